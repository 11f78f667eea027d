"""Round 24: attack kinds nobody on the team had written (``--attacks novel24``).

Opt-in by name or ``--attacks novel24``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Three are
slow credential misuse: an engineer's IAM user given an SSH public key for CodeCommit by a stolen
session, then ``GitPull`` from abroad on later nights with that key (CloudTrail); the CI deploy
key, lifted from the build runner, used interactively over days from an office workstation's
address, for long sessions and on to a server the pipeline never reaches (syslog); and an
insider typing a colleague's shoulder-surfed password at their own desk on three days (a
console logon as the colleague on someone else's workstation, then the colleague's file share;
HELK Windows JSON). Two are lateral movement: an admin's NTLM authentication relayed from a
poisoned office workstation to servers (``ntlmrelayx``: the logon names the admin's workstation
but comes from another address; remote registry opened for the SAM) and an EC2 instance's user
data swapped (stop, ``ModifyInstanceAttribute``, start) so the instance, on its next boot, runs
the operator's script with its own role. Two are privilege abuse: a Server Operators member
reconfiguring a service on a DC (``sc config binPath=``) so SYSTEM adds them to Domain Admins
(4728 made by the DC's machine account), and a CloudFormation stack launched with the
deployment service role, creating an IAM admin user whose key is then used from outside.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.scenario.context import (
    ATTACKER_CLI,
    AWS_KEY_ALPHABET,
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
    access_key_id,
    aws_person,
    random_hex,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    CI_KEY,
    ENGINEER,
    MINUTE,
    OFFICE,
    assume_role,
    public_ip,
)

_CMD = "C:\\Windows\\System32\\cmd.exe"
_SC = "C:\\Windows\\System32\\sc.exe"
_GIT_UA = "git/2.43.0"
_BOTO = "Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7"
_REDACTED = "<sensitiveDataRemoved>"


# --------------------------------------------------------------------------------------------
# credential_misuse


def aws_codecommit_ssh_key_slow(ctx: Context) -> Injected:
    """An engineer's role session, replayed from a hosting address at night, uploads an SSH
    public key to the engineer's IAM user (``iam:UploadSSHPublicKey``: CodeCommit's own
    credential, which survives a password change and the access keys' rotation); on three or
    four later nights over about ten days that key pulls the team's repositories from a
    residential address abroad (``GitPull`` records: the IAM user, the SSH key's id)."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    proxy = public_ip(rng, "hosting")
    day = ctx.day(11)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, proxy, ATTACKER_CLI, rng)
    key_id = access_key_id(ctx, "APKA")
    body = "ssh-rsa AAAAB3NzaC1yc2E" + "".join(rng.choice(AWS_KEY_ALPHABET) for _ in range(40))
    t += rng.randrange(20, 90) * 1000
    trail.call(t, session, "iam.amazonaws.com", "UploadSSHPublicKey", ip=proxy,
               user_agent=ATTACKER_CLI,
               params={"userName": victim.sam, "sSHPublicKeyBody": body},
               response={"sSHPublicKey": {"userName": victim.sam, "sSHPublicKeyId": key_id,
                                          "status": "Active"}},
               read_only=False, actor=victim.actor)  # fmt: skip
    git_user = trail.iam_user(victim.sam, victim.aws_principal, key_id)
    repos = rng.sample(("platform-api", "infra-terraform", "billing", "web-frontend", "ops"), 3)
    ip = public_ip(rng)
    day += rng.randrange(2, 4)
    nights, wanted, pulls = 0, rng.randrange(3, 5), 0
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        for repo in rng.sample(repos, rng.randrange(1, 3)):
            t += rng.randrange(1, 6) * MINUTE
            trail.call(t, git_user, "codecommit.amazonaws.com", "GitPull", ip=ip,
                       user_agent=_GIT_UA,
                       params={"repositoryName": repo, "protocol": "SSH"},
                       resources=[{"ARN": f"arn:aws:codecommit:{trail.region}:"
                                          f"{org.aws_account}:{repo}",
                                   "accountId": org.aws_account, "type": "AWS::CodeCommit::"
                                                                         "Repository"}],
                       actor=victim.actor)  # fmt: skip
            pulls += 1
        nights += 1
        day += rng.randrange(1, 4)
    return Injected(
        f"an SSH key ({key_id}) uploaded to {victim.sam}'s IAM user from {proxy}; it pulls "
        f"{pulls} repositor(ies) from {ip} on {nights} night(s)",
        users=[victim.actor],
        ips=[proxy, ip],
        primary=("user", victim.actor),
    )


def ssh_ci_key_interactive_slow(ctx: Context) -> Injected:
    """The CI deploy key, lifted from the build runner's workspace, is used by hand from a
    compromised office workstation (not the CI runner's address): in the evening on three or
    four days over about ten days, long interactive sessions as ``deploy`` on the app server
    (the pipeline's sessions last a minute or two, in working hours), ``sudo -l``, and on from
    there to the database server, which the pipeline never reaches."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    deploy = org.person("svc_deploy")
    owner = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    day = ctx.day(10)
    ws, ip = ctx.ws_ip(owner, day)
    app, db = "lnx-app01", "lnx-db01"
    evenings, wanted = 0, rng.randrange(3, 5)
    while day < world.days and evenings < wanted:
        t = ctx.evening(day, owner)
        length = rng.randrange(20, 70) * MINUTE
        linux.ssh_session(t, app, "deploy", deploy.uid, ip, length, key_fingerprint=CI_KEY,
                          actor="deploy")  # fmt: skip
        linux.sudo(t + rng.randrange(30, 200) * 1000, app, "deploy", deploy.uid, "list",
                   actor="deploy")  # fmt: skip
        if evenings:  # from the second evening on, further in
            t += rng.randrange(5, 15) * MINUTE
            linux.ssh_session(t, db, "deploy", deploy.uid, org.linux[app].ip,
                              rng.randrange(5, 20) * MINUTE, key_fingerprint=CI_KEY,
                              actor="deploy")  # fmt: skip
        evenings += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"the CI deploy key used by hand from {ws.name} ({ip}) as deploy on {app} on "
        f"{evenings} evening(s), and on to {db}",
        users=["deploy"],
        hosts=[app, db],
        ips=[ip],
        primary=("user", "deploy"),
    )


def colleague_desk_logon_slow(ctx: Context) -> Injected:
    """An insider who watched a colleague type their password logs on as that colleague at
    the insider's own desk (a console logon on a workstation the colleague never uses), at
    lunchtime or late afternoon on three days over a week and a half, and opens the
    colleague's file share from there, reading a few documents each time."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    people = [
        p
        for p in org.humans
        if p.role == OFFICE and p.first_day == 0 and p.workstation_on(0) is not None
    ]
    victim = ctx.pick([p for p in people if p.servers] or people)
    insider = ctx.pick([p for p in people if p is not victim and p.site == victim.site] or people)
    day = ctx.weekday(10)
    names = sorted(s for s in victim.servers if s in org.hosts and org.hosts[s].kind == "file")
    files = [org.hosts[n] for n in names] or org.servers("file")
    server = files[0]
    dc = org.dc_for(victim)
    done, wanted, reads = 0, 3, 0
    desk = insider.workstation_on(day)
    while day < world.days and done < wanted:
        if world.clock.weekday(day) >= 5:
            day += 1
            continue
        desk = insider.workstation_on(day) or desk
        if desk is None:
            break
        minutes = rng.choice((rng.uniform(12.5, 13.5), rng.uniform(16.5, 17.5))) * 60
        t = ctx.place(day, insider, minutes)
        win.tgt(t - 500, dc, victim, desk.ip)
        console = win.logon(t, desk, victim, 2)
        win.tgs(t + 20_000, dc, victim, desk.ip, server)
        remote = win.logon(t + 21_000, server, victim, 3, src=desk)
        share = rng.choice(("Finance", "HR", "Projects"))
        win.share(t + 22_000, server, victim, remote, desk.ip, share)
        for _ in range(rng.randrange(3, 7)):
            t += rng.randrange(20, 120) * 1000
            doc = f"{share}\\{random_hex(ctx, 6)}.xlsx"
            win.share(t, server, victim, remote, desk.ip, share, relative=doc)
            reads += 1
        win.logoff(t + MINUTE, server, victim, remote, 3)
        win.logoff(t + 2 * MINUTE, desk, victim, console, 2)
        done += 1
        day += rng.randrange(2, 5)
    return Injected(
        f"{victim.sam}'s password typed at {insider.sam}'s desk"
        f"{'' if desk is None else ' (' + desk.name + ')'} on {done} day(s); "
        f"{reads} document(s) read on {server.name}",
        users=[victim.actor],
        hosts=[server.short, *([] if desk is None else [desk.short])],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def ntlm_relay_smb(ctx: Context) -> Injected:
    """From a compromised office workstation the operator poisons name resolution (LLMNR /
    NBT-NS) and relays an admin's NTLM authentication (``ntlmrelayx``) to two to four servers
    without SMB signing: each server logs an NTLM network logon by the admin naming the admin's
    own workstation but coming from the relaying workstation's address, then the remote
    registry pipe opened over IPC$ (the SAM hive dumped); during working hours."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick([p for p in org.role(ADMIN) if p.workstation_on(0) is not None])
    relay_owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday()
    relay, relay_ip = ctx.ws_ip(relay_owner, day)
    own = admin.workstation_on(day) or relay
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, admin)
    servers = [h for h in org.servers("app", "sql", "file", "web") if h.since_day <= day]
    reached = []
    for host in rng.sample(servers, min(len(servers), rng.randrange(2, 5))):
        t += rng.randrange(20, 240) * 1000
        win.ntlm_validation(t - 50, dc, admin.sam, own.name, actor=admin.actor)
        session = win.logon(t, host, admin, 3, src=own, src_ip=relay_ip, auth="NTLM",
                            privileges=ADMIN_PRIVILEGES)  # fmt: skip
        win.share(t + 300, host, admin, session, relay_ip, "IPC$")
        win.share(t + 600, host, admin, session, relay_ip, "IPC$", relative="winreg")
        win.logoff(t + rng.randrange(5, 30) * 1000, host, admin, session, 3)
        reached.append(host.short)
    return Injected(
        f"{admin.sam}'s NTLM authentication relayed from {relay.name} ({relay_ip}) to "
        f"{', '.join(reached)}, each logon naming {own.name}; remote registry opened",
        users=[admin.actor],
        hosts=[relay.short, *reached],
        ips=[relay_ip],
        primary=("user", admin.actor),
    )


def aws_ec2_userdata_swap(ctx: Context) -> Injected:
    """An engineer's role session, replayed from a hosting address at night, stops one or two
    of the company's instances, replaces their user data (``ModifyInstanceAttribute``; a
    ``#cloud-boothook`` that runs on every boot) and starts them again: from the instance, as
    its role, the script reads secrets and lists buckets and roles, and fetches the operator's
    tooling (the instance is the foothold: the calls come from its own address)."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    ip = public_ip(rng, "hosting")
    day = ctx.day(2)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, ip, ATTACKER_CLI, rng)
    t += rng.randrange(1, 5) * MINUTE
    trail.call(t, session, "ec2.amazonaws.com", "DescribeInstances", ip=ip,
               user_agent=ATTACKER_CLI, params={"instancesSet": {}, "filterSet": {}},
               actor=victim.actor)  # fmt: skip
    targets = rng.sample(org.instances, rng.randrange(1, 3))
    for instance in targets:
        items = {"instancesSet": {"items": [{"instanceId": instance}]}}
        for call, params in (
            ("StopInstances", {**items, "force": False}),
            # CloudTrail records the change but not the script itself
            ("ModifyInstanceAttribute", {"instanceId": instance, "userData": _REDACTED}),
            ("StartInstances", items),
        ):
            t += rng.randrange(30, 150) * 1000
            trail.call(t, session, "ec2.amazonaws.com", call, ip=ip, user_agent=ATTACKER_CLI,
                       params=params, read_only=False, actor=victim.actor)  # fmt: skip
        private = f"172.31.{rng.randrange(0, 64)}.{rng.randrange(4, 250)}"
        booted = t + rng.randrange(2, 4) * MINUTE
        role_id = "AROA" + random_hex(ctx, 17).upper()
        instance_session = trail.assumed_role("AppInstanceRole", role_id, instance,
                                              access_key_id(ctx, "ASIA"), booted, mfa=False)  # fmt: skip
        for source, call in rng.sample(
            [
                ("secretsmanager.amazonaws.com", "ListSecrets"),
                ("secretsmanager.amazonaws.com", "GetSecretValue"),
                ("s3.amazonaws.com", "ListBuckets"),
                ("iam.amazonaws.com", "ListRoles"),
                ("sts.amazonaws.com", "GetCallerIdentity"),
            ],
            3,
        ):
            booted += rng.randrange(5, 60) * 1000
            params: dict[str, Any] | None = (
                {"secretId": "prod/db"} if call == "GetSecretValue" else None
            )
            trail.call(booted, instance_session, source, call, ip=private, user_agent=_BOTO,
                       params=params, actor=victim.actor)  # fmt: skip
        t = booted
    return Injected(
        f"{victim.sam}'s role session (from {ip}) swaps the user data of "
        f"{', '.join(targets)} and restarts them; the instances' role then reads secrets",
        users=[victim.actor, *targets],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def server_operators_binpath(ctx: Context) -> Injected:
    """An office account that an old migration left in Server Operators (a builtin group that
    may configure services on domain controllers) reconfigures a DC service from its own
    workstation in the evening (``sc \\\\DC config VSS binPath= "cmd /c net group ..."``, then
    ``sc start``): the service control manager runs the command as SYSTEM, so the DC's machine
    account adds the user to Domain Admins (4728); the binPath is put back and the user logs
    on to a server with its new rights."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    user = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(1)
    ws, ip = ctx.ws_ip(user, day)
    dc = org.dc_for(user)
    t = ctx.evening(day, user)
    desktop = win.new_logon_id()
    win.tgs(t - 400, dc, user, ip, dc)
    remote = win.logon(t, dc, user, 3, src=ws)
    service = rng.choice(("VSS", "AppReadiness", "browser"))
    payload = f'C:\\Windows\\System32\\cmd.exe /c net group "Domain Admins" {user.sam} /add /domain'
    for line in (
        f'sc \\\\{dc.name} config {service} binPath= "{payload}"',
        f"sc \\\\{dc.name} start {service}",
    ):
        t += rng.randrange(10, 60) * 1000
        win.process(t, ws, user, desktop, _SC, line, parent=_CMD)
    t += 3000
    win.process(t, dc, dc, "0x3e7", _CMD, payload, parent="C:\\Windows\\System32\\services.exe",
                elevated=True)  # fmt: skip
    win.process(t + 800, dc, dc, "0x3e7", "C:\\Windows\\System32\\net.exe",
                payload.split("/c ", 1)[1], parent=_CMD, elevated=True)  # fmt: skip
    win.group_member_added(t + 1500, dc, dc, "0x3e7", user, "Domain Admins",
                           f"{win.domain_sid}-512")  # fmt: skip
    restore = f"sc \\\\{dc.name} config {service} binPath= C:\\Windows\\system32\\svchost.exe"
    win.process(t + rng.randrange(30, 90) * 1000, ws, user, desktop, _SC, restore, parent=_CMD)
    win.logoff(t + 2 * MINUTE, dc, user, remote, 3)
    servers = [h for h in org.servers("app", "sql", "file") if h.name not in user.servers]
    host = rng.choice(servers or org.servers("app", "sql", "file"))
    t += rng.randrange(10, 40) * MINUTE
    win.tgs(t - 300, dc, user, ip, host)
    session = win.logon(t, host, user, 3, src=ws, privileges=ADMIN_PRIVILEGES)
    win.share(t + 500, host, user, session, ip, "C$")
    win.logoff(t + 3 * MINUTE, host, user, session, 3)
    return Injected(
        f"{user.sam} (Server Operators) points {service}'s binPath on {dc.name} at 'net group "
        f"\"Domain Admins\" {user.sam} /add'; the DC's SYSTEM adds them; then admin on "
        f"{host.name}",
        users=[user.actor],
        hosts=[dc.short, ws.short, host.short],
        ips=[ip],
        primary=("user", user.actor),
    )


def aws_cloudformation_admin_stack(ctx: Context) -> Injected:
    """An engineer's stolen role session (from a hosting address at night) launches a
    CloudFormation stack with the deployment service role (``CreateStack --role-arn``: the
    engineer may pass that role, which can do anything): CloudFormation, as that role, creates
    an IAM user, attaches ``AdministratorAccess`` and makes it an access key; from the next
    night that key is used from outside (lists users, reads secrets)."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    ip = public_ip(rng, "hosting")
    day = ctx.day(3)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, ip, ATTACKER_CLI, rng)
    stack = rng.choice(("monitoring-baseline", "log-shipper", "cost-reports"))
    role_arn = f"arn:aws:iam::{org.aws_account}:role/cfn-deployment"
    template = {
        "Resources": {
            "U": {"Type": "AWS::IAM::User", "Properties": {"ManagedPolicyArns": [
                "arn:aws:iam::aws:policy/AdministratorAccess"]}},
            "K": {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": "U"}}},
        }
    }  # fmt: skip
    t += rng.randrange(1, 5) * MINUTE
    trail.call(t, session, "cloudformation.amazonaws.com", "CreateStack", ip=ip,
               user_agent=ATTACKER_CLI,
               params={"stackName": stack, "roleARN": role_arn,
                       "templateBody": json.dumps(template),
                       "capabilities": ["CAPABILITY_IAM"]},
               read_only=False, actor=victim.actor)  # fmt: skip
    new_user = f"{stack}-U-{random_hex(ctx, 12).upper()}"
    cfn = trail.assumed_role("cfn-deployment", "AROA" + random_hex(ctx, 17).upper(),
                             "AWSCloudFormation", access_key_id(ctx, "ASIA"), t, mfa=False)  # fmt: skip
    cfn["invokedBy"] = "cloudformation.amazonaws.com"
    new_key = access_key_id(ctx, "AKIA")
    for call, params in (
        ("CreateUser", {"userName": new_user}),
        (
            "AttachUserPolicy",
            {"userName": new_user, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        ("CreateAccessKey", {"userName": new_user}),
    ):
        t += rng.randrange(2, 20) * 1000
        trail.call(t, cfn, "iam.amazonaws.com", call, ip="cloudformation.amazonaws.com",
                   user_agent="cloudformation.amazonaws.com", params=params,
                   response={"accessKey": {"accessKeyId": new_key, "userName": new_user,
                                           "status": "Active"}}
                   if call == "CreateAccessKey" else None,
                   read_only=False, actor=victim.actor)  # fmt: skip
    principal = "AIDA" + random_hex(ctx, 17).upper()
    outsider = trail.iam_user(new_user, principal, new_key)
    later = ip if rng.random() < 0.5 else public_ip(rng)
    uses = 0
    for offset in (1, 2):
        if day + offset >= world.days:
            break
        t = ctx.night(day + offset, victim)
        for source, call in (
            ("iam.amazonaws.com", "ListUsers"),
            ("secretsmanager.amazonaws.com", "ListSecrets"),
            ("s3.amazonaws.com", "ListBuckets"),
        ):
            t += rng.randrange(10, 90) * 1000
            trail.call(t, outsider, source, call, ip=later, user_agent=_BOTO,
                       actor=new_user.lower())  # fmt: skip
            uses += 1
    return Injected(
        f"{victim.sam}'s role session (from {ip}) launches stack {stack} with cfn-deployment, "
        f"which creates admin user {new_user} and a key; the key makes {uses} call(s) from {later}",
        # (the stack role's session is CloudFormation's: the IAM changes are recorded as its)
        users=[victim.actor, "awscloudformation", new_user.lower()],
        ips=[ip, later],
        primary=("user", victim.actor),
    )


NOVEL24: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "aws_codecommit_ssh_key_slow",
            CREDENTIAL_MISUSE,
            "Account Manipulation: an SSH key for CodeCommit added and used on later nights",
            ("T1098.001", "T1213.003"),
            aws_codecommit_ssh_key_slow,
        ),
        AttackKind(
            "ssh_ci_key_interactive_slow",
            CREDENTIAL_MISUSE,
            "Unsecured Credentials: the CI deploy key used by hand over days",
            ("T1552.004", "T1078"),
            ssh_ci_key_interactive_slow,
        ),
        AttackKind(
            "colleague_desk_logon_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a colleague's password typed at an insider's desk",
            ("T1078.002",),
            colleague_desk_logon_slow,
        ),
        AttackKind(
            "ntlm_relay_smb",
            LATERAL_MOVEMENT,
            "Adversary-in-the-Middle: an admin's NTLM authentication relayed to servers",
            ("T1557.001", "T1021.002"),
            ntlm_relay_smb,
        ),
        AttackKind(
            "aws_ec2_userdata_swap",
            LATERAL_MOVEMENT,
            "Cloud Administration Command: instances' user data swapped and rebooted",
            ("T1059.009", "T1078.004"),
            aws_ec2_userdata_swap,
        ),
        AttackKind(
            "server_operators_binpath",
            PRIVILEGE_ABUSE,
            "Service abuse: a Server Operators member runs commands as SYSTEM on a DC",
            ("T1543.003", "T1098"),
            server_operators_binpath,
        ),
        AttackKind(
            "aws_cloudformation_admin_stack",
            PRIVILEGE_ABUSE,
            "Cloud Infrastructure: an admin user created through a privileged stack role",
            ("T1098.003", "T1136.003"),
            aws_cloudformation_admin_stack,
        ),
    )
}
