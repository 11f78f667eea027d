"""Round 8 (issue 3): the same threats done differently, and threats with no kind yet.

Opt-in by name or ``--attacks more``: neither the default, ``all``, ``new`` nor ``every`` holds
them, so every existing seed set generates byte-identical scenarios. Each is written the way an
operator does it with ordinary tools (mstsc, runas + schtasks /s, net user /add, su, the AWS
CLI with a stolen access key, a console password spray), in the raw formats the parsers read,
and each has a benign look-alike in normal life: admins RDP to the app and management servers,
admins type explicit credentials, a DBA does ``su postgres``, engineers use the AWS CLI, people
mistype console passwords, the helpdesk creates accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    MINUTE,
    OFFICE,
    Host,
    assume_role,
    public_ip,
)

_CMD = "C:\\Windows\\System32\\cmd.exe"
_POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
_RDP_RECON = (
    ("C:\\Windows\\System32\\whoami.exe", "whoami /groups"),
    ("C:\\Windows\\System32\\net.exe", 'net group "Domain Admins" /domain'),
    ("C:\\Windows\\System32\\nltest.exe", "nltest /dclist:"),
    ("C:\\Windows\\System32\\quser.exe", "quser"),
)
# What an operator's CLI looks like in CloudTrail (a Kali/pip install, not the staff's build).
_ATTACKER_CLIS = (
    "aws-cli/2.13.25 Python/3.11.5 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off "
    "command/s3.ls",
    "Boto3/1.28.62 md/Botocore#1.31.62 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.62",
)
_HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"


@dataclass(frozen=True)
class LocalAccount:
    """A local (SAM) account on one member host: what ``net user NAME /add`` creates."""

    sam: str
    sid: str
    dn: str
    display: str
    actor: str


# --------------------------------------------------------------------------------------------
# credential_misuse


def aws_key_new_source(ctx: Context) -> Injected:
    """An engineer's long-term access key (leaked from a laptop or a repo) used directly, at the
    owner's working hours, from a hosting address with an operator's CLI, on 2-3 days."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and p.role in (ENGINEER, ADMIN)])
    ip = public_ip(rng, "hosting")
    ua = rng.choice(_ATTACKER_CLIS)
    user = trail.iam_user(victim.sam, victim.aws_principal, victim.aws_keys[0])
    day = ctx.weekday()
    uses = rng.randrange(2, 4)
    for use in range(uses):
        if day >= world.days:
            break
        t = ctx.office_hours(day, victim)
        calls: list[tuple[str, str, dict[str, object] | None]] = [
            ("sts.amazonaws.com", "GetCallerIdentity", None),
            ("s3.amazonaws.com", "ListBuckets", None),
        ]
        for source, name in rng.sample(victim.aws_calls, min(3, len(victim.aws_calls))):
            calls.append((source, name, None))
        if use == uses - 1:  # the last visit takes data
            bucket = rng.choice(org.buckets)
            for _ in range(rng.randrange(5, 15)):
                key = f"exports/{rng.randrange(10**6):06d}.csv.gz"
                calls.append(("s3.amazonaws.com", "GetObject", {"bucketName": bucket, "key": key}))
        for source, name, params in calls:
            t += rng.randrange(2, 40) * 1000
            trail.call(
                t, user, source, name, ip=ip, user_agent=ua, params=params,
                data_event=name == "GetObject", actor=victim.actor,
            )  # fmt: skip
        day += rng.randrange(1, 4)
    return Injected(
        f"{victim.sam}'s long-term access key used directly (no AssumeRole) from {ip} with an "
        f"operator's CLI, at {victim.sam}'s working hours on {uses} days; then S3 reads",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_console_spray(ctx: Context) -> Injected:
    """ConsoleLogin failures across many IAM users from one address, one success, then a look."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    staff = [p for p in org.humans if p.aws]
    victim = ctx.pick([p for p in staff if p.role in (ENGINEER, OFFICE, ADMIN)] or staff)
    sprayed = rng.sample(staff, min(len(staff), rng.randrange(8, 20)))
    if victim not in sprayed:
        sprayed.append(victim)
    rng.shuffle(sprayed)
    ip = public_ip(rng, "hosting")
    ua = rng.choice(ATTACKER_BROWSERS)
    day = ctx.day()
    t = ctx.night(day, victim) if rng.random() < 0.5 else ctx.office_hours(day, victim)
    for person in sprayed:
        if person is victim:
            continue
        t += rng.randrange(20, 240) * 1000
        who = trail.iam_user(person.sam, person.aws_principal, "")
        trail.console_login(t, who, ip=ip, user_agent=ua, mfa=False, success=False)
    for _ in range(rng.randrange(2, 6)):  # guessed names that are no IAM user
        t += rng.randrange(20, 240) * 1000
        ghost = {"type": "IAMUser", "accountId": org.aws_account, "accessKeyId": "",
                 "userName": _HIDDEN}  # fmt: skip
        trail.console_login(t, ghost, ip=ip, user_agent=ua, mfa=False, success=False)
    t += rng.randrange(20, 240) * 1000
    user = trail.iam_user(victim.sam, victim.aws_principal, "")
    trail.console_login(t, user, ip=ip, user_agent=ua, mfa=False, actor=victim.actor)
    t += rng.randrange(20, 90) * 1000
    identity = assume_role(world, victim, t, ip, ua, rng)
    for source, name in (
        ("iam.amazonaws.com", "ListUsers"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("ec2.amazonaws.com", "DescribeInstances"),
    ):
        t += rng.randrange(5, 60) * 1000
        trail.call(t, identity, source, name, ip=ip, user_agent=ua, actor=victim.actor)
    return Injected(
        f"console password spray from {ip}: {len(sprayed) - 1} IAM users fail, then "
        f"{victim.sam} signs in without MFA and looks around",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def slow_creds_office(ctx: Context) -> Injected:
    """A user's domain password used from the attacker's own (non-domain) machine over the VPN,
    at the user's working hours, on the user's own file server, every few days."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick(
        [
            p
            for p in org.humans
            if p.role in (OFFICE, ENGINEER)
            and p.first_day == 0
            and any(org.hosts[s].kind == "file" for s in p.servers)
        ]
    )
    server = org.hosts[next(s for s in sorted(victim.servers) if org.hosts[s].kind == "file")]
    # The attacker's own laptop: not in the domain, so NTLM, and its own name in the 4624.
    machine = "DESKTOP-" + random_name(rng, 7).upper()
    laptop = Host(machine, machine, "", "workstation", server.tz, 0, "", "")
    day = world.learning_days + rng.randrange(0, 3)
    uses, ips = 0, []
    while day < world.days and uses < 4:
        if world.clock.weekday(day) < 5:
            ip = world.vpn_ip(rng)
            ips.append(ip)
            t = ctx.office_hours(day, victim)
            win.ntlm_validation(
                t - 150, org.dc_for(victim), victim.sam, machine, actor=victim.actor
            )
            session = win.logon(t, server, victim, 3, src=laptop, src_ip=ip, auth="NTLM")
            for k in range(rng.randrange(1, 4)):
                share = victim.dept if rng.random() < 0.6 else "Shared"
                win.share(t + 400 + k * 30_000, server, victim, session, ip, share)
            win.logoff(t + rng.randrange(3, 20) * MINUTE, server, victim, session, 3)
            uses += 1
            day += rng.randrange(2, 5)
        else:
            day += 1
    return Injected(
        f"{victim.sam}'s password used {uses} times, days apart, at working hours from "
        f"{machine} (not domain-joined) over the VPN on {server.name}, the user's file server",
        users=[victim.actor],
        hosts=[server.short],
        ips=ips,
        primary=("user", victim.actor),
    )


_DOMAIN_DNS_CLASS = "{19195a5b-6da0-11d0-afd3-00c04fd930c9}"  # domainDNS
_REPLICATION = (
    "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes
    "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes-All
)


def dcsync(ctx: Context) -> Injected:
    """mimikatz ``lsadump::dcsync`` with a stolen admin's account from a user's workstation:
    the DC logs the replication rights used on the domain object (4662), not a DC's own."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.day()
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    win.tgs(t - 600, dc, admin, ip, dc)
    session = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    for k in range(rng.randrange(1, 4)):  # krbtgt, then an admin or two
        for n, right in enumerate(_REPLICATION):
            properties = f"%%7688\r\n\t\t\t\t{right}\r\n\t\t\t\t{_DOMAIN_DNS_CLASS}"
            win.directory_access(
                t + 1500 + k * 20_000 + n * 40, dc, admin, session, org.base_dn, properties
            )
    win.logoff(t + rng.randrange(1, 4) * MINUTE, dc, admin, session, 3)
    return Injected(
        f"{admin.sam}'s account replicates directory secrets (DCSync) on {dc.name} from "
        f"{foothold.name} ({owner.sam}'s workstation)",
        users=[admin.actor, owner.actor],
        hosts=[dc.short, foothold.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def linux_su_root(ctx: Context) -> Injected:
    """An engineer who never works as root types a root password found on the host (su -)."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    victim = ctx.pick(
        [p for p in org.humans if p.uid and p.role == ENGINEER and p.sudo_as != "root"]
    )
    host = rng.choice(victim.linux_hosts or ["lnx-app01"])
    day = ctx.day()
    t = ctx.office_hours(day, victim) if rng.random() < 0.5 else ctx.evening(day, victim)
    source = world.vpn_ip(rng)
    linux.ssh_session(
        t, "bastion01", victim.sam, victim.uid, source, 60 * MINUTE,
        key_fingerprint=victim.ssh_key, actor=victim.actor,
    )  # fmt: skip
    hop = t + rng.randrange(1, 5) * MINUTE
    linux.ssh_session(
        hop, host, victim.sam, victim.uid, org.bastion.ip, 45 * MINUTE,
        key_fingerprint=victim.ssh_key, actor=victim.actor,
    )  # fmt: skip
    linux.su(
        hop + rng.randrange(2, 10) * MINUTE, host, victim.sam, victim.uid, "root", 0,
        duration_ms=rng.randrange(5, 30) * MINUTE, actor=victim.actor,
    )  # fmt: skip
    return Injected(
        f"{victim.sam} (never root) runs 'su -' on {host} with a root password and works as root",
        users=[victim.actor],
        hosts=[host, "bastion01"],
        ips=[source],
        primary=("user", victim.actor),
    )


def local_admin_backdoor(ctx: Context) -> Injected:
    """With an admin's account, ``net user NAME /add`` + ``net localgroup administrators`` on a
    server, then the new local account RDPs in from the foothold later that day."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    server = org.hosts[
        rng.choice([s for s in ("APP01", "APP02", "SQL01", "FS01") if s in org.hosts])
    ]
    name = rng.choice(("support", "svc_backup", "helpdesk", "sqladmin", "updater")) + str(
        rng.randrange(1, 10)
    )
    local = LocalAccount(
        sam=name,
        sid=f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-"
        f"{rng.randrange(10**9, 4 * 10**9)}-1001",
        dn=name,
        display=name,
        actor=name.lower(),
    )
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner)
    win.tgs(t - 500, dc, admin, ip, server)
    session = win.logon(t, server, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    win.process(
        t + 3000, server, admin, session, "C:\\Windows\\System32\\net.exe",
        f"net user {name} P@ssw0rd{rng.randrange(10, 99)}! /add", parent=_CMD, elevated=True,
    )  # fmt: skip
    win.account_created(t + 3500, server, admin, session, local, domain=server.name)
    win.group_member_added(
        t + 9000, server, admin, session, local, "Administrators", "S-1-5-32-544", scope="local"
    )
    win.logoff(t + 2 * MINUTE, server, admin, session, 3)
    t2 = t + rng.randrange(30, 180) * MINUTE
    rdp = win.logon(t2, server, local, 10, src=foothold, src_ip=ip, privileges=ADMIN_PRIVILEGES)
    win.process(t2 + 40_000, server, local, rdp, _POWERSHELL, "powershell.exe", elevated=True)
    win.logoff(t2 + rng.randrange(10, 40) * MINUTE, server, local, rdp, 10)
    return Injected(
        f"{admin.sam}'s account creates local account {name} on {server.name} from "
        f"{foothold.name} ({owner.sam}'s workstation) and adds it to Administrators; {name} "
        "then RDPs in",
        users=[local.actor, admin.actor],
        hosts=[server.short, foothold.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def rdp_lateral(ctx: Context) -> Injected:
    """mstsc from a user's workstation to servers the user never RDPs to (type 10), recon there."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    outside = ctx.hosts_outside(victim, day, kinds=("app", "mgmt", "sql", "file"))
    targets = rng.sample(outside, min(len(outside), rng.randrange(2, 4)))
    dc = org.dc_for(victim)
    t = ctx.office_hours(day, victim) if rng.random() < 0.6 else ctx.evening(day, victim)
    for target in targets:
        t += rng.randrange(5, 25) * MINUTE
        win.tgs(t - 700, dc, victim, ip, target)
        session = win.logon(t, target, victim, 10, src=ws, src_ip=ip)
        for k, (image, command) in enumerate(rng.sample(_RDP_RECON, 2)):
            win.process(
                t + 60_000 + k * 20_000, target, victim, session, image, command, parent=_CMD
            )
        win.logoff(t + rng.randrange(5, 20) * MINUTE, target, victim, session, 10)
    return Injected(
        f"{victim.sam} RDPs from {ws.name} to {', '.join(h.name for h in targets)} (never "
        "reached before) and runs recon commands",
        users=[victim.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


def runas_remote_task(ctx: Context) -> Injected:
    """An admin's password (from a script) typed with runas on a user's workstation (4648),
    then ``schtasks /create /s`` on a server the admin does not manage, over the network."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(owner, day)
    kinds = ("sql", "file", "app", "web")
    outside = ctx.hosts_outside(admin, day, kinds=kinds) or ctx.hosts_outside(
        owner, day, kinds=kinds
    )
    targets = rng.sample(outside, min(len(outside), rng.randrange(1, 3)))
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner)
    local_session = win.new_logon_id()
    for target in targets:
        t += rng.randrange(3, 20) * MINUTE
        win.explicit_credentials(
            t - 1500, ws, owner, local_session, admin, target.name,
            process="C:\\Windows\\System32\\schtasks.exe", target_info=target.fqdn,
        )  # fmt: skip
        win.tgs(t - 800, dc, admin, ip, target)
        session = win.logon(t, target, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        win.share(t + 300, target, admin, session, ip, "IPC$")
        win.share(t + 400, target, admin, session, ip, "IPC$", relative="atsvc", access_mask="0x3")
        task = "\\Microsoft\\Windows\\" + random_name(rng)
        win.task_created(
            t + 900, target, admin, session, task, _POWERSHELL,
            "-nop -w hidden -enc " + random_name(rng, 40),
        )  # fmt: skip
        win.logoff(t + rng.randrange(1, 4) * MINUTE, target, admin, session, 3)
    return Injected(
        f"{admin.sam}'s credentials typed with runas on {ws.name} ({owner.sam}'s workstation), "
        f"then a remote scheduled task on {', '.join(h.name for h in targets)}",
        users=[admin.actor, owner.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


MORE: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "aws_key_new_source",
            CREDENTIAL_MISUSE,
            "Valid Accounts: Cloud Accounts (leaked access key, working hours)",
            ("T1078.004", "T1552.001", "T1530"),
            aws_key_new_source,
        ),
        AttackKind(
            "aws_console_spray",
            CREDENTIAL_MISUSE,
            "Brute Force: Password Spraying (AWS console)",
            ("T1110.003", "T1078.004"),
            aws_console_spray,
        ),
        AttackKind(
            "slow_creds_office",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a stolen password at working hours from a new machine",
            ("T1078.002",),
            slow_creds_office,
        ),
        AttackKind(
            "linux_su_root",
            PRIVILEGE_ABUSE,
            "Abuse Elevation Control Mechanism: su to root",
            ("T1548", "T1078.003"),
            linux_su_root,
        ),
        AttackKind(
            "local_admin_backdoor",
            PRIVILEGE_ABUSE,
            "Create Account: Local Account (added to Administrators, then used)",
            ("T1136.001", "T1098", "T1078.003"),
            local_admin_backdoor,
        ),
        AttackKind(
            "rdp_lateral",
            LATERAL_MOVEMENT,
            "Remote Services: Remote Desktop Protocol",
            ("T1021.001",),
            rdp_lateral,
        ),
        AttackKind(
            "runas_remote_task",
            LATERAL_MOVEMENT,
            "Explicit credentials (runas) and a remote scheduled task",
            ("T1078.002", "T1053.005", "T1021"),
            runas_remote_task,
        ),
        # (last: appended kinds keep the random streams of the kinds before them)
        AttackKind(
            "dcsync",
            CREDENTIAL_MISUSE,
            "OS Credential Dumping: DCSync",
            ("T1003.006", "T1078.002"),
            dcsync,
        ),
    )
}
