"""Round 12 (issue 3): more attack kinds nobody on the team had written yet.

Opt-in by name or ``--attacks fresh``: neither the default, ``all``, ``new``, ``every``, ``more``,
``files`` nor ``other`` holds them, and each attack draws from its own random stream, so every
existing seed set generates byte-identical scenarios. Each is written in the raw formats the
parsers read (HELK Windows JSON, syslog, CloudTrail) the way an operator does it with ordinary
tools: Rubeus ``asktgt /rc4`` (overpass-the-hash), mimikatz ``sekurlsa::pth`` with ``mstsc
/restrictedadmin``, impacket ``wmiexec``, OpenSSH with a key copied off a workstation, ``sudo tee``
and the AWS CLI. Their benign look-alikes live in normal life: admins RDP to servers and run
WMI, people ssh through the bastion, internet scanners guess passwords at the bastion, admins
use the console and their role.
"""

from __future__ import annotations

import json

from benchmarks.scenario.context import (
    ATTACKER_BROWSERS,
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
    random_name,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    assume_role,
    aws_source,
    console_agent,
    public_ip,
)

_CMD = "C:\\Windows\\System32\\cmd.exe"
_WMI = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
_SERVER_KINDS = ("app", "sql", "file", "mgmt", "web")


def _key_fingerprint(ctx: Context) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(ctx.rng.choice(alphabet) for _ in range(43))


# --------------------------------------------------------------------------------------------
# credential_misuse


def overpass_the_hash(ctx: Context) -> Injected:
    """Rubeus ``asktgt /rc4:HASH /ptt`` on an office user's workstation: a TGT for an admin in
    RC4 (the NT hash is the RC4 key) from an address the admin never asks from, then service
    tickets and Kerberos network logons to the admin's own servers, ``C$`` on each."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    servers = sorted(s for s in admin.servers if org.hosts[s].kind in ("sql", "file", "app"))
    targets = [org.hosts[s] for s in rng.sample(servers, min(len(servers), rng.randrange(1, 4)))]
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner) if rng.random() < 0.6 else ctx.evening(day, owner)
    fields = {
        "TargetUserName": admin.sam,
        "TargetDomainName": win.dns_domain,
        "TargetSid": admin.sid,
        "ServiceName": "krbtgt",
        "ServiceSid": f"{win.domain_sid}-502",
        "TicketOptions": "0x40810010",
        "Status": "0x0",
        "TicketEncryptionType": "0x17",
        "PreAuthType": "2",
        "IpAddress": f"::ffff:{ip}",
        "IpPort": str(rng.randrange(49152, 65535)),
        "CertIssuerName": "",
        "CertSerialNumber": "",
        "CertThumbprint": "",
    }
    win.sink.win(t, dc, 4768, fields, actor=admin.actor)
    for target in targets:
        t += rng.randrange(1, 10) * MINUTE
        win.tgs(t - 300, dc, admin, ip, target)
        session = win.logon(t, target, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 400, target, admin, session, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(1, 6) * MINUTE, target, admin, session, 3)
    return Injected(
        f"overpass-the-hash: an RC4 TGT for {admin.sam} requested from {foothold.name} "
        f"({owner.sam}'s workstation), then Kerberos logons to "
        f"{', '.join(h.name for h in targets)} with C$",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, dc.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def ssh_stuffing_slow(ctx: Context) -> Injected:
    """Credential stuffing against one valid account at the bastion's sshd: leaked passwords
    tried from many addresses (a botnet or proxy pool), one or two tries each, one every hour or
    three over 2-4 days, then one works and the account logs in with a password."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    victim = ctx.pick([p for p in org.humans if p.uid and p.role in (ENGINEER, ADMIN)])
    sources = [public_ip(rng, rng.choice(("residential", "hosting"))) for _ in range(30)]
    sources = list(dict.fromkeys(sources))[: rng.randrange(12, 25)]
    day = ctx.day(4)
    t = ctx.place(day, victim, rng.uniform(0, 24) * 60)
    stop = min(t + rng.randrange(2, 5) * 24 * HOUR, world.end_ms - 3 * HOUR)
    tries = 0
    for ip in sources:
        for _ in range(rng.choice((1, 1, 2))):
            t += rng.randrange(50, 180) * MINUTE
            if t >= stop:
                break
            linux.ssh_failed(t, "bastion01", victim.sam, ip, exists=True)
            tries += 1
        if t >= stop:
            break
    winner = rng.choice(sources[: max(1, min(len(sources), 6))])
    t = min(t, stop) + rng.randrange(20, 90) * MINUTE
    linux.ssh_session(
        t, "bastion01", victim.sam, victim.uid, winner, rng.randrange(5, 25) * MINUTE,
        method="password", actor=victim.actor,
    )  # fmt: skip
    return Injected(
        f"credential stuffing at bastion01 for {victim.sam}: {tries} failed passwords from "
        f"{len(sources)} addresses over days, then a password login from {winner}",
        users=[victim.actor],
        hosts=["bastion01"],
        ips=[winner, *sources],
        primary=("user", victim.actor),
    )


def aws_login_profile_takeover(ctx: Context) -> Injected:
    """An admin's role session (their stolen console or key) resets another admin's console
    password (``UpdateLoginProfile``), and that admin then signs in from a hosting address
    without MFA and looks around IAM and the secrets."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    admins = [p for p in org.role(ADMIN) if p.aws]
    actor = ctx.pick(admins)
    victim = ctx.pick([p for p in org.humans if p.aws and p is not actor])
    day = ctx.day()
    t = ctx.evening(day, actor) if rng.random() < 0.5 else ctx.office_hours(day, actor)
    ip = aws_source(world, actor, day, rng.random() < 0.5, rng)
    identity = assume_role(world, actor, t, ip, actor.cli_ua, rng)
    t += rng.randrange(20, 120) * 1000
    trail.call(
        t, identity, "iam.amazonaws.com", "GetLoginProfile", ip=ip, user_agent=actor.cli_ua,
        params={"userName": victim.sam}, actor=actor.actor,
    )  # fmt: skip
    t += rng.randrange(5, 40) * 1000
    trail.call(
        t, identity, "iam.amazonaws.com", "UpdateLoginProfile", ip=ip, user_agent=actor.cli_ua,
        params={"userName": victim.sam, "passwordResetRequired": False}, read_only=False,
        actor=actor.actor,
    )  # fmt: skip
    t += rng.randrange(2, 30) * MINUTE
    attacker = public_ip(rng, "hosting")
    ua = rng.choice(ATTACKER_BROWSERS)
    user = trail.iam_user(victim.sam, victim.aws_principal, "")
    trail.console_login(t, user, ip=attacker, user_agent=ua, mfa=False, actor=victim.actor)
    for source, name in (
        ("iam.amazonaws.com", "ListUsers"),
        ("iam.amazonaws.com", "ListAccessKeys"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("s3.amazonaws.com", "ListBuckets"),
    ):
        t += rng.randrange(10, 120) * 1000
        trail.call(
            t, user, source, name, ip=attacker, user_agent=console_agent(source),
            actor=victim.actor,
        )  # fmt: skip
    return Injected(
        f"{actor.sam}'s role session resets {victim.sam}'s console password, then "
        f"{victim.sam} signs in from {attacker} without MFA and lists users, keys and secrets",
        users=[actor.actor, victim.actor],
        ips=[ip, attacker],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def aws_role_chain(ctx: Context) -> Injected:
    """From an engineer's own role session, ``AssumeRole`` into the Admin role (role chaining:
    the caller is an assumed role, not a user), then an inline policy granting everything put
    on the Engineer role (``PutRolePolicy``), so every engineer session is admin from now on."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    actor = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.weekday()
    t = ctx.office_hours(day, actor) if rng.random() < 0.6 else ctx.evening(day, actor)
    ip = aws_source(world, actor, day, rng.random() < 0.4, rng)
    ua = actor.cli_ua
    own = assume_role(world, actor, t, ip, ua, rng)
    t += rng.randrange(30, 300) * 1000
    trail.call(t, own, "iam.amazonaws.com", "ListRoles", ip=ip, user_agent=ua, actor=actor.actor)
    t += rng.randrange(10, 90) * 1000
    account = org.aws_account
    session = f"{actor.sam}-{random_name(rng, 4).lower()}"
    trail.call(
        t, own, "sts.amazonaws.com", "AssumeRole", ip=ip, user_agent=ua,
        params={"roleArn": f"arn:aws:iam::{account}:role/Admin", "roleSessionName": session,
                "durationSeconds": 3600},
        response={"assumedRoleUser": {"arn": f"arn:aws:sts::{account}:assumed-role/Admin/{session}"}},
        actor=actor.actor,
    )  # fmt: skip
    role_id = "AROA" + account[-6:] + "ADMINX"
    key = actor.aws_keys[1] + "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(12)
    )
    admin = trail.assumed_role("Admin", role_id, session, key, t, mfa=False)
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    t += rng.randrange(10, 60) * 1000
    trail.call(
        t, admin, "iam.amazonaws.com", "PutRolePolicy", ip=ip, user_agent=ua,
        params={"roleName": "Engineer", "policyName": random_name(rng, 6).lower(),
                "policyDocument": policy},
        read_only=False, actor=actor.actor,
    )  # fmt: skip
    t += rng.randrange(10, 60) * 1000
    trail.call(
        t, admin, "iam.amazonaws.com", "ListRolePolicies", ip=ip, user_agent=ua,
        params={"roleName": "Engineer"}, actor=actor.actor,
    )  # fmt: skip
    return Injected(
        f"{actor.sam}'s Engineer role session assumes the Admin role and puts an inline "
        "Allow *:* policy on the Engineer role",
        users=[actor.actor, session.lower()],  # the chained session acts under its own name
        ips=[ip],
        primary=("user", actor.actor),
    )


def authorized_keys_root(ctx: Context) -> Injected:
    """A stolen admin account plants a key for root on the bastion (``sudo tee -a
    /root/.ssh/authorized_keys``); a day or three later root logs in with that key from a
    hosting address at night, twice over a few days."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    admin = ctx.pick([p for p in org.role(ADMIN) if p.uid])
    day = ctx.day(6)
    t = ctx.evening(day, admin) if rng.random() < 0.5 else ctx.office_hours(day, admin)
    source = world.vpn_ip(rng)
    linux.ssh_session(
        t, "bastion01", admin.sam, admin.uid, source, 20 * MINUTE,
        key_fingerprint=admin.ssh_key, actor=admin.actor,
    )  # fmt: skip
    t += rng.randrange(1, 5) * MINUTE
    linux.sudo(
        t, "bastion01", admin.sam, admin.uid, "/usr/bin/mkdir -p /root/.ssh", actor=admin.actor
    )
    linux.sudo(
        t + rng.randrange(5, 40) * 1000, "bastion01", admin.sam, admin.uid,
        "/usr/bin/tee -a /root/.ssh/authorized_keys", actor=admin.actor,
    )  # fmt: skip
    planted = _key_fingerprint(ctx)
    attacker = public_ip(rng, "hosting")
    logins = 0
    next_day = day + rng.randrange(1, 4)
    while next_day < world.days and logins < 2:
        t2 = ctx.night(next_day, admin)
        linux.ssh_session(
            t2, "bastion01", "root", 0, attacker, rng.randrange(3, 20) * MINUTE,
            key_fingerprint=planted, actor="root",
        )  # fmt: skip
        logins += 1
        next_day += rng.randrange(1, 4)
    return Injected(
        f"{admin.sam} appends a key to root's authorized_keys on bastion01 with sudo; root "
        f"logs in with it from {attacker} at night ({logins} time(s))",
        users=[admin.actor, "root"],
        hosts=["bastion01"],
        ips=[source, attacker],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def rdp_restricted_admin(ctx: Context) -> Injected:
    """Pass-the-hash over RDP: ``sekurlsa::pth`` with an admin's NT hash on an office user's
    workstation (4624 type 9, seclogo), then ``mstsc /restrictedadmin`` to 1-3 servers (4624
    type 10 with RestrictedAdminMode Yes, NTLM, 4672), recon there."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    servers = sorted(
        (h for h in org.hosts.values() if h.kind in _SERVER_KINDS and h.since_day <= day),
        key=lambda h: h.name,
    )
    targets = rng.sample(servers, min(len(servers), rng.randrange(1, 4)))
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    win.new_credentials_logon(t, foothold, owner, admin, org.netbios)
    dc = org.dc_for(admin)
    for target in targets:
        t += rng.randrange(2, 15) * MINUTE
        win.ntlm_validation(t - 300, dc, admin.sam, foothold.name, actor=admin.actor)
        logon_id = win.new_logon_id()
        fields = {
            "SubjectUserSid": target.sid,
            "SubjectUserName": target.sam,
            "SubjectDomainName": win.netbios,
            "SubjectLogonId": "0x3e7",
            "TargetUserSid": admin.sid,
            "TargetUserName": admin.sam,
            "TargetDomainName": win.netbios,
            "TargetLogonId": logon_id,
            "LogonType": "10",
            "LogonProcessName": "User32 ",
            "AuthenticationPackageName": "Negotiate",
            "WorkstationName": foothold.name,
            "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "TransmittedServices": "-",
            "LmPackageName": "-",
            "KeyLength": "0",
            "ProcessId": hex(rng.randrange(0x200, 0x2000, 4)),
            "ProcessName": "C:\\Windows\\System32\\svchost.exe",
            "IpAddress": ip,
            "IpPort": "0",
            "ImpersonationLevel": "%%1833",
            "RestrictedAdminMode": "%%1842",
            "TargetOutboundUserName": "-",
            "TargetOutboundDomainName": "-",
            "VirtualAccount": "%%1843",
            "TargetLinkedLogonId": "0x0",
            "ElevatedToken": "%%1842",
        }
        win.sink.win(t, target, 4624, fields, actor=admin.actor)
        win.special_privileges(t, target, admin, logon_id, ADMIN_PRIVILEGES)
        for k, command in enumerate(("whoami /priv", "quser", "net localgroup administrators")):
            image = "C:\\Windows\\System32\\" + command.split()[0] + ".exe"
            win.process(
                t + 40_000 + k * 12_000, target, admin, logon_id, image, command, parent=_CMD,
                elevated=True,
            )  # fmt: skip
        win.logoff(t + rng.randrange(5, 20) * MINUTE, target, admin, logon_id, 10)
    return Injected(
        f"pass-the-hash over RDP: {admin.sam}'s hash on {foothold.name} ({owner.sam}'s "
        f"workstation), restricted-admin RDP to {', '.join(h.name for h in targets)}",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def wmiexec_slow(ctx: Context) -> Injected:
    """impacket ``wmiexec`` with an admin's password from an office user's workstation, one
    server a working day for 3-5 days: a network logon, ``cmd.exe /Q /c ...`` under WmiPrvSE
    with the output to ``ADMIN$``, nothing else."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday(7)
    servers = sorted(
        (h for h in org.hosts.values() if h.kind in _SERVER_KINDS and h.since_day <= day),
        key=lambda h: h.name,
    )
    count = min(len(servers), rng.randrange(3, 6))
    targets = rng.sample(servers, count)
    commands = ("whoami /all", "ipconfig /all", "net group \"Domain Admins\" /domain", "quser",
                "tasklist /v", "netstat -ano")  # fmt: skip
    dc = org.dc_for(admin)
    done: list[str] = []
    ip = ""
    foothold = None
    for target in targets:
        while day < world.days and world.clock.weekday(day) >= 5:
            day += 1
        if day >= world.days:
            break
        foothold, ip = ctx.ws_ip(owner, day)
        t = ctx.office_hours(day, owner)
        win.tgs(t - 400, dc, admin, ip, target)
        session = win.logon(t, target, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        for k, command in enumerate(rng.sample(commands, 2)):
            out = f"\\\\127.0.0.1\\ADMIN$\\__{t // 1000}.{rng.randrange(10**6)}"
            win.process(
                t + 2000 + k * 9000, target, admin, session, _CMD,
                f"cmd.exe /Q /c {command} 1> {out} 2>&1", parent=_WMI, elevated=True,
            )  # fmt: skip
        win.logoff(t + rng.randrange(1, 4) * MINUTE, target, admin, session, 3)
        done.append(target.name)
        day += rng.randrange(1, 3)
    if foothold is None:
        raise ValueError("no day left for wmiexec_slow")
    return Injected(
        f"wmiexec with {admin.sam}'s password from {foothold.name} ({owner.sam}'s workstation), "
        f"one server a day: {', '.join(done)}",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, *(org.hosts[n].short for n in done)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def ssh_from_workstation(ctx: Context) -> Injected:
    """An engineer's ssh key copied off a Windows workstation used from there: straight to the
    app server (not through the bastion, as the engineer always goes), on from the app server to
    the database server with the same key, and ``sudo -i`` there."""
    rng, org, linux = ctx.rng, ctx.org, ctx.world.linux
    victim = ctx.pick(
        [p for p in org.humans if p.uid and p.role == ENGINEER and "lnx-app01" in p.linux_hosts]
        or [p for p in org.humans if p.uid and p.role == ENGINEER]
    )
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    app, db = org.linux["lnx-app01"], "lnx-db01"
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    linux.ssh_session(
        t, "lnx-app01", victim.sam, victim.uid, ip, 50 * MINUTE,
        key_fingerprint=victim.ssh_key, actor=victim.actor,
    )  # fmt: skip
    t += rng.randrange(2, 15) * MINUTE
    linux.ssh_session(
        t, db, victim.sam, victim.uid, app.ip, 30 * MINUTE,
        key_fingerprint=victim.ssh_key, actor=victim.actor,
    )  # fmt: skip
    linux.sudo(t + rng.randrange(30, 120) * 1000, db, victim.sam, victim.uid, "/bin/bash",
               actor=victim.actor)  # fmt: skip
    return Injected(
        f"{victim.sam}'s ssh key used from {foothold.name} ({owner.sam}'s workstation) straight "
        f"to lnx-app01, on to {db} and sudo -i there",
        users=[victim.actor],
        hosts=["lnx-app01", db, foothold.short],
        ips=[ip, app.ip],
        primary=("user", victim.actor),
    )


FRESH: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "overpass_the_hash",
            CREDENTIAL_MISUSE,
            "Use Alternate Authentication Material: overpass-the-hash (RC4 TGT from a new host)",
            ("T1550.002", "T1558"),
            overpass_the_hash,
        ),
        AttackKind(
            "ssh_stuffing_slow",
            CREDENTIAL_MISUSE,
            "Brute Force: Credential Stuffing (one account, many sources, low and slow)",
            ("T1110.004",),
            ssh_stuffing_slow,
        ),
        AttackKind(
            "aws_login_profile_takeover",
            CREDENTIAL_MISUSE,
            "Account Manipulation: another user's console password reset, then used",
            ("T1098", "T1078.004"),
            aws_login_profile_takeover,
        ),
        AttackKind(
            "aws_role_chain",
            PRIVILEGE_ABUSE,
            "Valid Accounts: Cloud role chaining into an admin role, inline admin policy",
            ("T1078.004", "T1098.003"),
            aws_role_chain,
        ),
        AttackKind(
            "authorized_keys_root",
            PRIVILEGE_ABUSE,
            "Account Manipulation: SSH Authorized Keys for root",
            ("T1098.004", "T1548.003"),
            authorized_keys_root,
        ),
        AttackKind(
            "rdp_restricted_admin",
            LATERAL_MOVEMENT,
            "Use Alternate Authentication Material: pass-the-hash over restricted-admin RDP",
            ("T1550.002", "T1021.001"),
            rdp_restricted_admin,
        ),
        AttackKind(
            "wmiexec_slow",
            LATERAL_MOVEMENT,
            "Windows Management Instrumentation, one server a day (slow)",
            ("T1047", "T1021.002"),
            wmiexec_slow,
        ),
        AttackKind(
            "ssh_from_workstation",
            LATERAL_MOVEMENT,
            "Remote Services: SSH with a key taken from a workstation, bastion bypassed",
            ("T1021.004", "T1552.004", "T1548.003"),
            ssh_from_workstation,
        ),
    )
}
