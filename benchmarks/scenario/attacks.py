"""The attack catalogue: what each injected attack does in the raw logs, and its ground truth.

Every attack runs after the learning period, against people and hosts chosen so that the attack
is genuinely outside their baseline (a host they never reach, an action they never take). Each
is written through the same builders as normal life, inside ``sink.tagged(attack_id)``, so the
truth's time window and evidence ids come from what was actually written.

Families follow DESIGN.md: ``credential_misuse``, ``privilege_abuse``, ``lateral_movement``.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.scenario.context import (
    ATTACKER_BROWSERS,
    ATTACKER_CLI,
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
    random_name,
)
from benchmarks.scenario.file_server import FILES
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.fresh_threats import FRESH
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    AttackTruth,
    World,
    assume_role,
    aws_source,
    console_agent,
    psexec,
    public_ip,
)
from benchmarks.scenario.lateral_threats import LATERAL13
from benchmarks.scenario.more_threats import MORE
from benchmarks.scenario.novel19_threats import NOVEL19
from benchmarks.scenario.novel20c_threats import NOVEL20C
from benchmarks.scenario.novel20w_threats import NOVEL20W
from benchmarks.scenario.novel21_threats import NOVEL21
from benchmarks.scenario.novel22_threats import NOVEL22
from benchmarks.scenario.novel23_threats import NOVEL23
from benchmarks.scenario.novel24_threats import NOVEL24
from benchmarks.scenario.novel25_threats import NOVEL25
from benchmarks.scenario.novel26_threats import NOVEL26
from benchmarks.scenario.novel_threats import NOVEL17
from benchmarks.scenario.other_threats import OTHER
from benchmarks.scenario.threats import THREATS

# --------------------------------------------------------------------------------------------
# credential_misuse


def stolen_credentials_night(ctx: Context) -> Injected:
    """Stolen AWS console credentials used from a new hosting IP at night, then recon."""
    world, rng, trail = ctx.world, ctx.rng, ctx.world.trail
    victim = ctx.pick([p for p in ctx.org.humans if p.aws and p.role in (ENGINEER, ADMIN)])
    day = ctx.day()
    t = ctx.night(day, victim)
    ip = public_ip(rng, "hosting")
    ua = rng.choice(ATTACKER_BROWSERS)
    user = trail.iam_user(victim.sam, victim.aws_principal, "")
    trail.console_login(t, user, ip=ip, user_agent=ua, mfa=rng.random() < 0.5, actor=victim.actor)
    t += rng.randrange(20, 60) * 1000
    identity = assume_role(world, victim, t, ip, ua, rng)
    recon = (
        ("sts.amazonaws.com", "GetCallerIdentity", None),
        ("iam.amazonaws.com", "ListUsers", None),
        ("iam.amazonaws.com", "ListRoles", None),
        ("iam.amazonaws.com", "GetAccountAuthorizationDetails", None),
        ("s3.amazonaws.com", "ListBuckets", None),
        ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
        ("secretsmanager.amazonaws.com", "ListSecrets", None),
        ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "prod/db"}),
        ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "prod/api-key"}),
        ("rds.amazonaws.com", "DescribeDBInstances", None),
    )
    for source, name, params in recon:
        t += rng.randrange(15, 240) * 1000
        agent = console_agent(source)
        trail.call(
            t, identity, source, name, ip=ip, user_agent=agent, params=params, actor=victim.actor
        )
    return Injected(
        f"{victim.sam}'s AWS console credentials are used from {ip} at night with an unfamiliar "
        "browser, followed by IAM/S3/Secrets Manager reconnaissance",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def stolen_credentials_slow(ctx: Context) -> Injected:
    """Stolen ssh password used once every few days, at night, from one new address."""
    world, rng, org = ctx.world, ctx.rng, ctx.org
    victim = ctx.pick([p for p in org.humans if p.uid and p.role == ENGINEER])
    ip = public_ip(rng, "hosting")
    day = world.learning_days + rng.randrange(0, 2)
    hosts = ["bastion01"]
    uses = 0
    while day < world.days and (uses < 2 or day < world.days - 1):
        t = ctx.night(day, victim)
        duration = rng.randrange(4, 16) * MINUTE
        world.linux.ssh_session(
            t,
            "bastion01",
            victim.sam,
            victim.uid,
            ip,
            duration,
            method="password",
            actor=victim.actor,
        )
        hop_to = [h for h in ("lnx-db01", "lnx-app01") if h not in victim.linux_hosts] or [
            "lnx-db01"
        ]
        if rng.random() < 0.5:
            hop = hop_to[0]
            world.linux.ssh_session(
                t + 2 * MINUTE,
                hop,
                victim.sam,
                victim.uid,
                org.bastion.ip,
                duration // 2,
                key_fingerprint=victim.ssh_key,
                actor=victim.actor,
            )
            hosts.append(hop)
        uses += 1
        step = rng.randrange(2, 5)
        if day + step >= world.days and uses < 2:
            step = 1
        day += step
    return Injected(
        f"{victim.sam}'s ssh password is used {uses} times, days apart, at night from {ip} "
        "(the victim always uses a key from the office or VPN)",
        users=[victim.actor],
        hosts=hosts,
        ips=[ip],
        primary=("user", victim.actor),
    )


def password_spray(ctx: Context) -> Injected:
    """Low-and-slow spray at the bastion: one guess per account per hour, then one success."""
    world, rng, org = ctx.world, ctx.rng, ctx.org
    linux_users = [p for p in org.humans if p.uid and p.role in (ENGINEER, OFFICE, ADMIN)]
    victim = ctx.pick([p for p in linux_users if p.role == ENGINEER] or linux_users)
    others = [p for p in org.humans if p is not victim and p.first_day <= world.learning_days]
    targets = [*rng.sample(others, min(len(others), rng.randrange(10, 18))), victim]
    names = [p.sam for p in targets] + ["administrator", "backup", "jenkins"]
    exists = {p.sam: bool(p.uid) for p in targets}
    ip = public_ip(rng, "hosting")
    day = ctx.day(span=2)
    t = ctx.place(day, victim, rng.uniform(0, 20) * 60)
    stop = min(t + rng.randrange(24, 42) * HOUR, world.end_ms - 2 * HOUR)
    while True:
        order = names[:]
        rng.shuffle(order)
        gap = HOUR // len(order)  # one round an hour, so each account gets one guess an hour
        for name in order:
            t += gap + rng.randrange(-gap // 4, gap // 4)
            if t >= stop:
                break
            world.linux.ssh_failed(
                t,
                "bastion01",
                name,
                ip,
                exists=exists.get(name, False),  # a guess is not activity by the account
            )
        if t >= stop:
            break
    t += rng.randrange(5, 40) * MINUTE
    world.linux.ssh_session(
        t,
        "bastion01",
        victim.sam,
        victim.uid,
        ip,
        rng.randrange(5, 20) * MINUTE,
        method="password",
        actor=victim.actor,
    )
    return Injected(
        f"{ip} sprays {len(names)} accounts at bastion01 (one guess per account per hour) and "
        f"finally logs in as {victim.sam} with a password",
        users=[victim.actor] + [p.actor for p in targets if p is not victim],
        hosts=["bastion01"],
        ips=[ip],
        primary=("ip", ip),
    )


def dormant_account(ctx: Context) -> Injected:
    """A disabled, long-unused contractor account is re-enabled and used at night."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    dormant = org.person(org.dormant)
    admins = org.role(ADMIN)
    actor = ctx.pick([a for a in admins if not a.group_changer] or admins)
    day = ctx.weekday(span=2)
    dc = org.dc_for(actor)
    ws, ws_ip = ctx.ws_ip(actor, day)
    t = ctx.evening(day, actor)
    session = win.logon(t, dc, actor, 3, src=ws, privileges=ADMIN_PRIVILEGES)
    win.account_changed(t + 40_000, dc, actor, session, 4722, dormant)
    win.account_changed(t + 55_000, dc, actor, session, 4724, dormant)
    win.logoff(t + 2 * MINUTE, dc, actor, session, 3)
    vpn_ip = world.vpn_ip(rng)
    hosts = [dc.short]
    for use in range(2):
        start = (
            (t + rng.randrange(40, 120) * MINUTE)
            if use == 0
            else ctx.night(min(day + 1, world.days - 1), dormant)
        )
        win.tgt(start, org.dc_for(dormant), dormant, vpn_ip)
        for k, name in enumerate(("FS01", "SQL01", "FS01")):
            host = org.hosts[name]
            at = start + (k + 1) * rng.randrange(2, 9) * MINUTE
            win.tgs(at - 600, org.dc_for(dormant), dormant, vpn_ip, host)
            logon = win.logon(at, host, dormant, 3, src_ip=vpn_ip)
            if host.kind == "file":
                share = rng.choice(("Finance", "HR", "Legal"))
                win.share(
                    at + 400,
                    host,
                    dormant,
                    logon,
                    vpn_ip,
                    share,
                    local_path=f"\\??\\D:\\Shares\\{share}",
                )
            win.logoff(at + rng.randrange(3, 20) * MINUTE, host, dormant, logon, 3)
            hosts.append(host.short)
    return Injected(
        f"contractor account {dormant.sam}, disabled since day {dormant.last_day + 1}, is "
        f"re-enabled and reset by {actor.sam} in the evening, then used over the VPN to reach "
        "file and SQL servers",
        users=[dormant.actor, actor.actor],
        hosts=[ws.short, *hosts],
        ips=[vpn_ip, ws_ip],
        primary=("user", dormant.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def domain_admin_add(ctx: Context) -> Injected:
    """An admin who never changes groups adds an engineer to Domain Admins, who then uses it."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admins = org.role(ADMIN)
    actor = ctx.pick(
        [a for a in admins if not a.group_changer and not a.resetter]
        or [a for a in admins if not a.group_changer]
    )
    member = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    day = ctx.weekday()
    dc = org.hosts["DC01"]
    ws, _ = ctx.ws_ip(actor, day)
    t = ctx.evening(day, actor)
    session = win.logon(t, dc, actor, 10, src=ws, privileges=ADMIN_PRIVILEGES)
    win.group_member_added(
        t + 3 * MINUTE, dc, actor, session, member, "Domain Admins", f"{org.domain_sid}-512"
    )
    win.logoff(t + 6 * MINUTE, dc, actor, session, 10)
    member_ws, member_ip = ctx.ws_ip(member, day)
    t2 = t + rng.randrange(20, 90) * MINUTE
    member_dc = org.dc_for(member)
    win.tgt(t2, member_dc, member, member_ip)
    used = org.hosts["DC02"] if member_dc.name == "DC01" else org.hosts["DC01"]
    win.tgs(t2 + 500, member_dc, member, member_ip, used)
    logon = win.logon(t2 + 1000, used, member, 10, src=member_ws, privileges=ADMIN_PRIVILEGES)
    win.logoff(t2 + rng.randrange(5, 25) * MINUTE, used, member, logon, 10)
    return Injected(
        f"{actor.sam} (never makes group changes) adds {member.sam} to Domain Admins on DC01 in "
        f"the evening; {member.sam} then RDPs to {used.name} with domain-admin privileges",
        users=[actor.actor, member.actor],
        hosts=[dc.short, used.short],
        primary=("user", actor.actor),
    )


def first_sudo_root(ctx: Context) -> Injected:
    """A non-admin engineer's first ever sudo to root on the bastion."""
    world, rng = ctx.world, ctx.rng
    victim = ctx.pick(
        [p for p in ctx.org.humans if p.uid and p.role == ENGINEER and p.sudo_as != "root"]
    )
    day = ctx.weekday()
    _, ip = ctx.ws_ip(victim, day)
    t = ctx.place(day, victim, victim.start_min + victim.length_min + rng.uniform(20, 120))
    linux = world.linux
    linux.ssh_session(
        t,
        "bastion01",
        victim.sam,
        victim.uid,
        ip,
        25 * MINUTE,
        key_fingerprint=victim.ssh_key,
        actor=victim.actor,
    )
    linux.sudo(t + 2 * MINUTE, "bastion01", victim.sam, victim.uid, "list", actor=victim.actor)
    linux.sudo(
        t + 3 * MINUTE,
        "bastion01",
        victim.sam,
        victim.uid,
        "/bin/bash",
        duration_ms=15 * MINUTE,
        actor=victim.actor,
    )
    linux.sudo(
        t + 19 * MINUTE,
        "bastion01",
        victim.sam,
        victim.uid,
        "/usr/bin/cat /etc/shadow",
        actor=victim.actor,
    )
    return Injected(
        f"{victim.sam} (engineer, normally sudo -u deploy at most) runs sudo -l, then a root shell "
        "and reads /etc/shadow on bastion01 after hours",
        users=[victim.actor],
        hosts=["bastion01"],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_mass_delete(ctx: Context) -> Injected:
    """A burst of S3/RDS/EC2 deletions by an AWS user who (almost) never deletes."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and not p.deleter and p.role == ENGINEER])
    day = ctx.weekday()
    t = ctx.office_hours(day, victim)
    remote = rng.random() < 0.5
    ip = aws_source(world, victim, day, remote, rng)
    ua = victim.cli_ua
    identity = assume_role(world, victim, t, ip, ua, rng)
    t += 20_000
    trail.call(
        t, identity, "s3.amazonaws.com", "ListBuckets", ip=ip, user_agent=ua, actor=victim.actor
    )
    for bucket in (f"{org.tenant}-data-prod", f"{org.tenant}-backups"):
        for _ in range(rng.randrange(20, 45)):
            t += rng.randrange(200, 2500)
            key = f"{rng.choice(('exports', 'db', 'reports'))}/{rng.randrange(10**6):06d}.parquet"
            trail.call(
                t,
                identity,
                "s3.amazonaws.com",
                "DeleteObject",
                ip=ip,
                user_agent=ua,
                params={"bucketName": bucket, "key": key, "Host": f"{bucket}.s3.amazonaws.com"},
                read_only=False,
                data_event=True,
                resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}],
                actor=victim.actor,
            )
    t += 5000
    trail.call(
        t,
        identity,
        "s3.amazonaws.com",
        "DeleteBucket",
        ip=ip,
        user_agent=ua,
        params={"bucketName": f"{org.tenant}-backups"},
        read_only=False,
        actor=victim.actor,
    )
    for k in range(rng.randrange(2, 4)):
        t += rng.randrange(5, 30) * 1000
        snapshot = {"dBSnapshotIdentifier": f"prod-db-snap-{k + 1:02d}"}
        trail.call(
            t,
            identity,
            "rds.amazonaws.com",
            "DeleteDBSnapshot",
            ip=ip,
            user_agent=ua,
            params=snapshot,
            read_only=False,
            actor=victim.actor,
        )
    instance = rng.choice(org.instances)
    trail.call(
        t + 30_000,
        identity,
        "ec2.amazonaws.com",
        "TerminateInstances",
        ip=ip,
        user_agent=ua,
        params={"instancesSet": {"items": [{"instanceId": instance}]}},
        read_only=False,
        actor=victim.actor,
    )
    return Injected(
        f"{victim.sam} (never deletes in AWS) deletes dozens of S3 objects in data-prod and "
        "backups, the backups bucket, RDS snapshots and an EC2 instance within minutes",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_admin_backdoor(ctx: Context) -> Injected:
    """New IAM user + AdministratorAccess + access key, then the key used from outside."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    actor = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.day()
    t = ctx.evening(day, actor)
    ip = aws_source(world, actor, day, True, rng)
    ua = actor.cli_ua
    identity = assume_role(world, actor, t, ip, ua, rng)
    new_user = rng.choice(("svc-backup-sync", "monitoring-agent", "terraform-ci2", "support-tmp"))
    key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    steps = (
        (
            "CreateUser",
            {"userName": new_user},
            {
                "user": {
                    "userName": new_user,
                    "arn": f"arn:aws:iam::{org.aws_account}:user/{new_user}",
                }
            },
        ),
        (
            "AttachUserPolicy",
            {"userName": new_user, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            None,
        ),
        (
            "CreateAccessKey",
            {"userName": new_user},
            {"accessKey": {"accessKeyId": key, "status": "Active", "userName": new_user}},
        ),
    )
    for name, params, response in steps:
        t += rng.randrange(5, 40) * 1000
        trail.call(
            t,
            identity,
            "iam.amazonaws.com",
            name,
            ip=ip,
            user_agent=ua,
            params=params,
            response=response,
            read_only=False,
            actor=actor.actor,
        )
    outside = public_ip(rng, "hosting")
    backdoor = trail.iam_user(new_user, "AIDA" + key[4:], key)
    t += rng.randrange(10, 60) * MINUTE
    for source, name in (
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("iam.amazonaws.com", "ListUsers"),
        ("ec2.amazonaws.com", "DescribeInstances"),
    ):
        t += rng.randrange(2, 20) * 1000
        trail.call(t, backdoor, source, name, ip=outside, user_agent=ATTACKER_CLI, actor=new_user)
    return Injected(
        f"{actor.sam} creates IAM user {new_user}, attaches AdministratorAccess and creates an "
        f"access key in the evening; the key is used from {outside} shortly after",
        users=[actor.actor, new_user],
        ips=[ip, outside],
        primary=("user", actor.actor),
    )


def audit_log_cleared(ctx: Context) -> Injected:
    """An admin account clears a server's Security log at night (1102)."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admins = org.role(ADMIN)
    actor = ctx.pick(admins)
    day = ctx.day()
    target = org.hosts[
        rng.choice(
            [s for s in ("SQL01", "FS01", "APP01", "WEB01") if s in actor.servers] or ["FS01"]
        )
    ]
    mgmt = org.hosts["MGMT01"]
    vpn_ip = world.vpn_ip(rng)
    t = ctx.night(day, actor)
    jump = win.logon(t, mgmt, actor, 10, src_ip=vpn_ip, privileges=ADMIN_PRIVILEGES)
    t += rng.randrange(2, 6) * MINUTE
    session = win.logon(t, target, actor, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
    cmd = "C:\\Windows\\System32\\cmd.exe"
    win.process(
        t + 60_000, target, actor, session, cmd, '"C:\\Windows\\system32\\cmd.exe"', elevated=True
    )
    win.process(
        t + 90_000,
        target,
        actor,
        session,
        "C:\\Windows\\System32\\wevtutil.exe",
        "wevtutil  cl Security",
        parent=cmd,
        elevated=True,
    )
    win.log_cleared(t + 91_000, target, actor, session)
    win.logoff(t + 3 * MINUTE, target, actor, session, 10)
    win.logoff(t + 5 * MINUTE, mgmt, actor, jump, 10)
    return Injected(
        f"{actor.sam} RDPs over the VPN at night to {target.name} and clears its Security log",
        users=[actor.actor],
        hosts=[target.short, mgmt.short],
        ips=[vpn_ip],
        primary=("host", target.short),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def lateral_psexec(ctx: Context) -> Injected:
    """Explicit credentials + ADMIN$ + service install on hosts outside the user's baseline."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    outside = ctx.hosts_outside(victim, day, kinds=("workstation",)) + ctx.hosts_outside(
        victim, day, kinds=("dc",)
    )
    targets = rng.sample(outside, min(len(outside), rng.randrange(2, 4)))
    t = ctx.office_hours(day, victim)
    source_session = win.new_logon_id()
    for target in targets:
        t += rng.randrange(2, 12) * MINUTE
        win.explicit_credentials(
            t - 2000,
            ws,
            victim,
            source_session,
            victim,
            target.name,
            process="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            target_info=target.fqdn,
        )
        service = random_name(rng)
        image = f"%SystemRoot%\\{service}.exe"
        psexec(
            world, victim, ws, target, t, rng, service=service, image=image, auth="NTLM", src_ip=ip
        )
    return Injected(
        f"{victim.sam} uses explicit credentials from {ws.name} to reach "
        f"{', '.join(h.name for h in targets)} (never reached before) over ADMIN$ and installs a "
        "randomly named service on each",
        users=[victim.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


def login_chain(ctx: Context) -> Injected:
    """A -> B -> C: RDP to a usual app server, then on with an admin's credentials."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    users = [
        p
        for p in org.humans
        if p.role in (ENGINEER, OFFICE) and any(org.hosts[s].kind == "app" for s in p.servers)
    ]
    user = ctx.pick(users)
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    a, a_ip = ctx.ws_ip(user, day)
    b = org.hosts[next(s for s in sorted(user.servers) if org.hosts[s].kind == "app")]
    kinds = ("sql", "dc", "file", "web")
    choices = [h for h in ctx.hosts_outside(user, day, kinds=kinds) if h.name != b.name]
    # Prefer a host that is new for the borrowed admin account too.
    admin_new = {h.name for h in ctx.hosts_outside(admin, day, kinds=kinds)}
    c = rng.choice([h for h in choices if h.name in admin_new] or choices)
    t = ctx.office_hours(day, user)
    dc = org.dc_for(user)
    win.tgs(t - 600, dc, user, a_ip, b)
    rdp = win.logon(t, b, user, 10, src=a, src_ip=a_ip)
    t += rng.randrange(4, 20) * MINUTE
    win.explicit_credentials(
        t,
        b,
        user,
        rdp,
        admin,
        c.name,
        process="C:\\Windows\\System32\\mstsc.exe",
        target_info=f"TERMSRV/{c.fqdn}",
    )
    win.ntlm_validation(t + 800, org.dc_for(admin), admin.sam, b.name, actor=admin.actor)
    hop = win.logon(t + 1200, c, admin, 3, src=b, auth="NTLM", privileges=ADMIN_PRIVILEGES)
    win.share(t + 2000, c, admin, hop, b.ip, "C$", local_path="\\??\\C:\\")
    win.share(
        t + 2300,
        c,
        admin,
        hop,
        b.ip,
        "C$",
        local_path="\\??\\C:\\",
        relative="Windows\\Temp\\rc.exe",
        access_mask="0x2",
    )
    win.logoff(t + rng.randrange(5, 20) * MINUTE, c, admin, hop, 3)
    win.logoff(t + 30 * MINUTE, b, user, rdp, 10)
    return Injected(
        f"{user.sam} RDPs {a.name} -> {b.name}, then switches to {admin.sam}'s credentials (4648) "
        f"to reach {c.name} from {b.name} and drop a file on C$",
        users=[user.actor, admin.actor],
        hosts=[a.short, b.short, c.short],
        ips=[a_ip],
        primary=("user", user.actor),
    )


def slow_spread(ctx: Context) -> Injected:
    """One new host a day for up to a week, during office hours, via C$."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    span = min(7, world.days - world.learning_days)
    first = ctx.day(span=span)
    outside = ctx.hosts_outside(victim, first, kinds=("workstation", "sql", "web", "file"))
    rng.shuffle(outside)
    reached: list[str] = []
    for offset in range(span):
        day = first + offset
        ws = victim.workstation_on(day)
        if ws is None or not outside:
            break
        target = outside.pop()
        t = ctx.office_hours(day, victim)
        win.tgs(t - 400, org.dc_for(victim), victim, ws.ip, target)
        session = win.logon(t, target, victim, 3, src_ip=ws.ip, privileges=ADMIN_PRIVILEGES)
        win.share(t + 300, target, victim, session, ws.ip, "C$", local_path="\\??\\C:\\")
        win.share(
            t + 600,
            target,
            victim,
            session,
            ws.ip,
            "C$",
            local_path="\\??\\C:\\",
            relative="Users\\Public\\Documents",
            access_mask="0x1",
        )
        win.logoff(t + rng.randrange(2, 10) * MINUTE, target, victim, session, 3)
        reached.append(target.short)
    ws0 = victim.workstation_on(first)
    return Injected(
        f"{victim.sam} reaches one new host a day over C$ for {len(reached)} days: "
        + ", ".join(reached),
        users=[victim.actor],
        hosts=([ws0.short] if ws0 else []) + reached,
        ips=[ws0.ip] if ws0 else [],
        primary=("user", victim.actor),
    )


def fanout_burst(ctx: Context) -> Injected:
    """One account from one workstation logs on to dozens of hosts within minutes."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    outside = ctx.hosts_outside(victim, day)
    targets = rng.sample(outside, min(len(outside), rng.randrange(20, 41)))
    t = ctx.office_hours(day, victim)
    dc = org.dc_for(victim)
    for target in targets:
        t += rng.randrange(3, 12) * 1000
        win.ntlm_validation(t - 200, dc, victim.sam, ws.name, actor=victim.actor)
        session = win.logon(t, target, victim, 3, src=ws, auth="NTLM")
        win.share(t + 300, target, victim, session, ip, "IPC$")
        win.share(
            t + 400, target, victim, session, ip, "IPC$", relative="srvsvc", access_mask="0x3"
        )
        win.logoff(t + 1500, target, victim, session, 3)
    return Injected(
        f"{victim.sam} on {ws.name} opens IPC$ on {len(targets)} hosts within minutes "
        "(share enumeration)",
        users=[victim.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# The catalogue.


ATTACKS: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "stolen_credentials_night",
            CREDENTIAL_MISUSE,
            "Valid Accounts: Cloud Accounts",
            ("T1078", "T1078.004"),
            stolen_credentials_night,
        ),
        AttackKind(
            "stolen_credentials_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts (rare use, days apart)",
            ("T1078", "T1021.004"),
            stolen_credentials_slow,
        ),
        AttackKind(
            "password_spray",
            CREDENTIAL_MISUSE,
            "Brute Force: Password Spraying",
            ("T1110.003",),
            password_spray,
        ),
        AttackKind(
            "dormant_account",
            CREDENTIAL_MISUSE,
            "Valid Accounts: Domain Accounts (dormant)",
            ("T1078.002", "T1098"),
            dormant_account,
        ),
        AttackKind(
            "domain_admin_add",
            PRIVILEGE_ABUSE,
            "Account Manipulation: Additional Local or Domain Groups",
            ("T1098", "T1098.007"),
            domain_admin_add,
        ),
        AttackKind(
            "first_sudo_root",
            PRIVILEGE_ABUSE,
            "Abuse Elevation Control Mechanism: Sudo and Sudo Caching",
            ("T1548.003",),
            first_sudo_root,
        ),
        AttackKind(
            "aws_mass_delete",
            PRIVILEGE_ABUSE,
            "Data Destruction",
            ("T1485", "T1578.003"),
            aws_mass_delete,
        ),
        AttackKind(
            "aws_admin_backdoor",
            PRIVILEGE_ABUSE,
            "Create Account: Cloud Account",
            ("T1136.003", "T1098.001", "T1098.003"),
            aws_admin_backdoor,
        ),
        AttackKind(
            "audit_log_cleared",
            PRIVILEGE_ABUSE,
            "Indicator Removal: Clear Windows Event Logs",
            ("T1070.001",),
            audit_log_cleared,
        ),
        AttackKind(
            "lateral_psexec",
            LATERAL_MOVEMENT,
            "Remote Services: SMB/Windows Admin Shares",
            ("T1021.002", "T1569.002", "T1570"),
            lateral_psexec,
        ),
        AttackKind(
            "login_chain",
            LATERAL_MOVEMENT,
            "Remote Services: RDP chain with credential switch",
            ("T1021.001", "T1021.002", "T1078.002"),
            login_chain,
        ),
        AttackKind(
            "slow_spread",
            LATERAL_MOVEMENT,
            "Remote Services: SMB, one new host per day",
            ("T1021.002", "T1078.002"),
            slow_spread,
        ),
        AttackKind(
            "fanout_burst",
            LATERAL_MOVEMENT,
            "Network Share Discovery (fan-out)",
            ("T1135", "T1021.002"),
            fanout_burst,
        ),
    )
}


# Every kind by name: the first catalogue (the default, and what ``all`` means, so existing seed
# sets keep generating the same scenarios), the threat-list kinds added later (``new``) and round
# 8's variants (``more``; not in ``every``, which keeps naming the sets it named).
CATALOGUE: dict[str, AttackKind] = {**ATTACKS, **THREATS, **MORE, **FILES, **OTHER, **FRESH}
CATALOGUE.update(LATERAL13)  # round 13 (lateral), opt-in
CATALOGUE.update(NOVEL17)  # round 17, opt-in
CATALOGUE.update(NOVEL19)  # round 19, opt-in
CATALOGUE.update(NOVEL20W)  # round 20 (Windows / AD), opt-in
CATALOGUE.update(NOVEL20C)  # round 20 (Linux and AWS), opt-in
CATALOGUE.update(NOVEL21)  # round 21, opt-in
CATALOGUE.update(NOVEL22)  # round 22, opt-in
CATALOGUE.update(NOVEL23)  # round 23, opt-in
CATALOGUE.update(NOVEL24)  # round 24, opt-in
CATALOGUE.update(NOVEL25)  # round 25, opt-in
CATALOGUE.update(NOVEL26)  # round 26, opt-in
GROUPS: dict[str, tuple[str, ...]] = {
    "all": tuple(ATTACKS),
    "new": tuple(THREATS),
    "every": (*ATTACKS, *THREATS),
    "more": tuple(MORE),
    "files": tuple(FILES),
    "other": tuple(OTHER),  # round 11, opt-in like "more"
    "fresh": tuple(FRESH),  # round 12, opt-in like "more"
}
GROUPS["lateral13"] = tuple(LATERAL13)  # round 13 (lateral), opt-in like "more"
GROUPS["novel17"] = tuple(NOVEL17)  # round 17, opt-in like "more"
GROUPS["novel19"] = tuple(NOVEL19)  # round 19, opt-in like "more"
GROUPS["novel20w"] = tuple(NOVEL20W)  # round 20 (Windows / AD), opt-in like "more"
GROUPS["novel20c"] = tuple(NOVEL20C)  # round 20 (Linux and AWS), opt-in like "more"
GROUPS["novel21"] = tuple(NOVEL21)  # round 21, opt-in like "more"
GROUPS["novel22"] = tuple(NOVEL22)  # round 22, opt-in like "more"
GROUPS["novel23"] = tuple(NOVEL23)  # round 23, opt-in like "more"
GROUPS["novel24"] = tuple(NOVEL24)  # round 24, opt-in like "more"
GROUPS["novel25"] = tuple(NOVEL25)  # round 25, opt-in like "more"
GROUPS["novel26"] = tuple(NOVEL26)  # round 26, opt-in like "more"


def expand_names(names: Sequence[str] | None) -> list[str]:
    """``None`` -> the first catalogue once; ``name:N`` -> N instances; ``all`` (first
    catalogue), ``new`` (threat-list kinds) and ``every`` (both) name groups; unknown names are
    an error."""
    if names is None:
        return list(ATTACKS)
    expanded: list[str] = []
    for raw in names:
        name, _, count = raw.strip().partition(":")
        if name in GROUPS:
            expanded.extend(GROUPS[name])
            continue
        if name not in CATALOGUE:
            raise ValueError(
                f"unknown attack {name!r}; choose from: {', '.join([*GROUPS, *CATALOGUE])}"
            )
        if count and (not count.isdigit() or int(count) < 1):
            raise ValueError(f"bad attack count in {raw!r}")
        expanded.extend([name] * (int(count) if count else 1))
    return expanded


def inject(world: World, names: Sequence[str]) -> list[AttackTruth]:
    """Run the named attacks (in order) and describe them; the writer fills in time/evidence."""
    truths: list[AttackTruth] = []
    used: set[str] = set()
    for index, name in enumerate(names, start=1):
        kind = CATALOGUE[name]
        attack_id = f"A{index:02d}-{name}"
        ctx = Context(world, world.rng("attack", index, name), used)
        with world.sink.tagged(attack_id):
            injected = kind.run(ctx)
        kind_, ident = injected.primary
        truths.append(
            AttackTruth(
                id=attack_id,
                name=name,
                family=kind.family,
                technique=kind.technique,
                mitre=list(kind.mitre),
                entities=injected.entities(),
                primary={"type": kind_, "id": ident},
                description=injected.description,
            )
        )
    return truths
