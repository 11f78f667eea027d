"""Round 19: attack kinds nobody on the team had written yet (``--attacks novel19``).

Opt-in by name or ``--attacks novel19``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Each is
written in the raw formats the parsers read (HELK Windows JSON, syslog, CloudTrail) the way an
operator does it with ordinary tools: an infostealer lifting ``~/.aws/cli/cache`` session
credentials, a slow NTLM spray over SMB, mimikatz ``sid::add``, a role trust policy opened to the
attacker's own AWS account, a user added to an innocuously named group nested in the admins,
``tscon`` run as SYSTEM through a throwaway service (RDP session hijack), and a web shell reusing
the application pool's account. The parser drops 4778/4779 (RDP session reconnected or
disconnected): the hijack writes its 4778 as Windows does, and only the events the parser keeps
can count for it.
"""

from __future__ import annotations

import json

from benchmarks.scenario.context import (
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
    random_hex,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    EXECUTIVE,
    MINUTE,
    OFFICE,
    Host,
    Person,
    assume_role,
    aws_source,
    public_ip,
)

_SYSTEM32 = "C:\\Windows\\System32\\"
_CMD = _SYSTEM32 + "cmd.exe"
_SERVER_KINDS = ("app", "sql", "file", "web")
_KALI_CLI = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off "
    "command/{command}"
)
_BOTO = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 "


def _owner(ctx: Context) -> Person:
    """An office user whose workstation is the attacker's foothold."""
    org = ctx.org
    return ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])


# --------------------------------------------------------------------------------------------
# credential_misuse


def aws_session_token_replay(ctx: Context) -> Injected:
    """An infostealer on an engineer's laptop lifts the CLI's cached role-session credentials
    (``~/.aws/cli/cache``: ASIA key, secret, session token) minutes after the engineer assumes
    their role; the operator replays them from a hosting provider while the session lasts
    (no AssumeRole, no sign-in: the same session key, a new address and network) to list and
    read buckets and secrets; again on a later day with the next cached session."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER and p.first_day == 0])
    ip = public_ip(rng, "hosting")
    day = ctx.weekday(4)
    uses = 0
    buckets = list(org.buckets) or ["data"]
    while day < world.days and uses < 2:
        t = ctx.office_hours(day, victim)
        own = aws_source(world, victim, day, rng.random() < 0.3, rng)
        identity = assume_role(world, victim, t, own, victim.cli_ua, rng)
        t += rng.randrange(20, 110) * MINUTE
        calls: list[tuple[str, str, dict[str, object] | None, bool]] = [
            ("sts.amazonaws.com", "GetCallerIdentity", None, False),
            ("s3.amazonaws.com", "ListBuckets", None, False),
        ]
        for bucket in rng.sample(buckets, min(len(buckets), rng.randrange(2, 4))):
            calls.append(("s3.amazonaws.com", "ListObjects", {"bucketName": bucket}, True))
            for _ in range(rng.randrange(3, 8)):
                key = f"exports/{rng.randrange(2019, 2025)}/{random_hex(ctx, 8, upper=True).lower()}.csv"
                calls.append(("s3.amazonaws.com", "GetObject", {"bucketName": bucket, "key": key},
                              True))  # fmt: skip
        if uses == 0:
            calls.append(("secretsmanager.amazonaws.com", "ListSecrets", None, False))
            calls.append(("ssm.amazonaws.com", "DescribeParameters", None, False))
        for source, name, params, data in calls:
            t += rng.randrange(3, 40) * 1000
            command = "s3.cp" if name == "GetObject" else name.lower()
            trail.call(
                t, identity, source, name, ip=ip,
                user_agent=_KALI_CLI.format(command=command), params=params, data_event=data,
                actor=victim.actor,
            )  # fmt: skip
        uses += 1
        day += rng.randrange(1, 4)
    return Injected(
        f"{victim.sam}'s cached role-session credentials replayed from {ip} (a hosting "
        f"provider) within the session's hour, {uses} time(s): bucket and secret reads",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def ntlm_spray_slow(ctx: Context) -> Injected:
    """A slow NTLM password spray over SMB from a foothold workstation: one password a round,
    a handful of accounts per round, a round every hour or two in office hours over two or three
    days (4625 on the file server, 4776 with 0xC000006A on the DC: no account locks out); one
    account's password works, and the share is browsed with it."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    owner = _owner(ctx)
    day = ctx.weekday(4)
    foothold, ip = ctx.ws_ip(owner, day)
    target = org.hosts["FS01"]
    dc = org.dc_for(owner)
    people = [
        p
        for p in org.humans
        if p is not owner and p.first_day <= world.learning_days and p.role != ADMIN
    ]
    victim = ctx.pick([p for p in people if p.role in (OFFICE, EXECUTIVE)] or people)
    sprayed = rng.sample(people, min(len(people), rng.randrange(18, 30)))
    if victim not in sprayed:
        sprayed.append(victim)
    days = rng.randrange(2, 4)
    t = ctx.office_hours(day, owner)
    first_day = day
    success_at = 0
    for offset in range(days):
        d = first_day + offset
        if d >= world.days:
            break
        t = ctx.place(d, owner, owner.start_min + rng.uniform(30, 90))
        for _ in range(rng.randrange(3, 6)):
            batch = rng.sample(sprayed, min(len(sprayed), rng.randrange(4, 9)))
            for person in batch:
                t += rng.randrange(5, 40) * 1000
                if person is victim and offset == days - 1 and not success_at:
                    success_at = t
                    continue
                win.logon_failed(t, target, person.sam, 3, src=foothold)
                win.ntlm_validation(t - 150, dc, person.sam, foothold.name, status="0xc000006a")
            t += rng.randrange(60, 130) * MINUTE
    if not success_at:
        success_at = t
    win.ntlm_validation(success_at - 150, dc, victim.sam, foothold.name, actor=victim.actor)
    logon = win.logon(success_at, target, victim, 3, src=foothold, auth="NTLM")
    win.share(success_at + 400, target, victim, logon, ip, "IPC$")
    for k, folder in enumerate(("Finance", "HR", "Legal")):
        win.share(success_at + 2000 + k * 9000, target, victim, logon, ip, "Shares",
                  local_path="\\??\\D:\\Shares", relative=folder)  # fmt: skip
    win.logoff(success_at + rng.randrange(5, 20) * MINUTE, target, victim, logon, 3)
    return Injected(
        f"slow NTLM password spray from {foothold.name} ({owner.sam}'s workstation) against "
        f"{len(sprayed)} accounts over {days} days via {target.name}; {victim.sam}'s password "
        "works and the shares are browsed with it",
        users=[victim.actor],
        hosts=[foothold.short, target.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def sid_history_injection(ctx: Context) -> Injected:
    """mimikatz ``sid::patch`` + ``sid::add`` on the DC with a stolen admin's account: an
    ordinary user's account gets Domain Admins' SID in its sIDHistory (4765, and 4738), and a
    day or more later that account, from its owner's workstation, logs on to the DC and to
    servers with admin rights (4672) in the evening."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday(4)
    dc = org.dc_for(admin)
    mgmt = org.hosts["MGMT01"]
    t = ctx.evening(day, admin)
    win.tgt(t - 500, dc, admin, mgmt.ip)
    session = win.logon(t, dc, admin, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
    t += rng.randrange(2, 9) * MINUTE
    win.process(t, dc, admin, session, "C:\\Users\\Public\\m.exe",
                f'm.exe "privilege::debug" "sid::patch" "sid::add /sam:{victim.sam} '
                '/new:S-1-5-21-domain-512" exit', parent=_CMD, elevated=True)  # fmt: skip
    das = f"{org.domain_sid}-512"
    fields = {
        "SourceUserName": "-",
        "SourceSid": das,
        "TargetUserName": victim.sam,
        "TargetDomainName": win.netbios,
        "TargetSid": victim.sid,
        "SubjectUserSid": admin.sid,
        "SubjectUserName": admin.sam,
        "SubjectDomainName": win.netbios,
        "SubjectLogonId": session,
        "PrivilegeList": "-",
        "SidList": f"%{{{das}}}",
    }
    win.sink.win(t + 800, dc, 4765, fields, actor=admin.actor)
    win.account_changed(t + 900, dc, admin, session, 4738, victim)
    win.logoff(t + rng.randrange(5, 15) * MINUTE, dc, admin, session, 10)
    use_day = min(world.days - 1, day + rng.randrange(1, 3))
    foothold, ip = ctx.ws_ip(victim, use_day)
    t = ctx.evening(use_day, victim)
    targets = [dc, *rng.sample(ctx.hosts_outside(victim, use_day, kinds=_SERVER_KINDS), 2)]
    for host in targets:
        t += rng.randrange(2, 15) * MINUTE
        win.tgs(t - 300, org.dc_for(victim), victim, ip, host)
        logon = win.logon(t, host, victim, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 500, host, victim, logon, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(2, 8) * MINUTE, host, victim, logon, 3)
    return Injected(
        f"{admin.sam} adds Domain Admins' SID to {victim.sam}'s sIDHistory on {dc.name} "
        f"(mimikatz sid::add); {victim.sam} then logs on with admin rights to "
        f"{', '.join(h.name for h in targets)}",
        users=[admin.actor, victim.actor],
        hosts=[dc.short, *(h.short for h in targets), foothold.short],
        ips=[mgmt.ip, ip],
        primary=("user", victim.actor),
    )


def aws_trust_policy_backdoor(ctx: Context) -> Injected:
    """An engineer's role session (their stolen CLI credentials) rewrites the Admin role's trust
    policy (``iam:UpdateAssumeRolePolicy``) to also trust an outside AWS account; one to three
    days later that account assumes the role from a hosting address at night (a cross-account
    ``AssumeRole``) and the new role session reads users, secrets and buckets."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    actor = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.weekday(5)
    t = ctx.evening(day, actor) if rng.random() < 0.5 else ctx.office_hours(day, actor)
    ip = aws_source(world, actor, day, rng.random() < 0.5, rng)
    identity = assume_role(world, actor, t, ip, actor.cli_ua, rng)
    account = org.aws_account
    outside = "".join(rng.choice("0123456789") for _ in range(12))
    role = "Admin"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{outside}:root"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
    for name, params, read_only in (
        ("ListRoles", None, True),
        ("GetRole", {"roleName": role}, True),
        ("UpdateAssumeRolePolicy", {"roleName": role, "policyDocument": json.dumps(document)},
         False),
    ):  # fmt: skip
        t += rng.randrange(10, 90) * 1000
        trail.call(t, identity, "iam.amazonaws.com", name, ip=ip, user_agent=actor.cli_ua,
                   params=params, read_only=read_only, actor=actor.actor)  # fmt: skip
    attacker = public_ip(rng, "hosting")
    session_name = rng.choice(("terraform", "ops-automation", "backup-sync", "ci-runner"))
    caller_id = "AIDA" + random_hex(ctx, 16, upper=True)
    # An IAM user of the outside account, as CloudTrail names a cross-account caller.
    external = {"type": "AWSAccount", "principalId": caller_id, "accountId": outside}
    role_id = "AROA" + random_hex(ctx, 16, upper=True)
    ua = _BOTO + "Botocore/1.34.69"
    later = min(world.days - 1, day + rng.randrange(1, 4))
    uses = 0
    while later < world.days and uses < 2:
        t = ctx.night(later, actor)
        role_arn = f"arn:aws:iam::{account}:role/{role}"
        trail.call(
            t, external, "sts.amazonaws.com", "AssumeRole", ip=attacker, user_agent=ua,
            params={"roleArn": role_arn, "roleSessionName": session_name, "durationSeconds": 3600},
            response={"assumedRoleUser": {
                "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session_name}"}},
            actor=session_name,
        )  # fmt: skip
        key = "ASIA" + random_hex(ctx, 16, upper=True)
        session = trail.assumed_role(role, role_id, session_name, key, t, mfa=False)
        for source, name, params in (
            ("sts.amazonaws.com", "GetCallerIdentity", None),
            ("iam.amazonaws.com", "ListUsers", None),
            ("secretsmanager.amazonaws.com", "ListSecrets", None),
            ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "prod/db"}),
            ("s3.amazonaws.com", "ListBuckets", None),
        )[: 5 if uses == 0 else 3]:
            t += rng.randrange(5, 60) * 1000
            trail.call(t, session, source, name, ip=attacker, user_agent=ua, params=params,
                       actor=session_name)  # fmt: skip
        uses += 1
        later += rng.randrange(1, 3)
    return Injected(
        f"{actor.sam}'s role session adds outside account {outside} to the {role} role's trust "
        f"policy; that account assumes {role} from {attacker} at night ({uses} time(s)) as "
        f"{session_name!r}",
        users=[actor.actor, session_name, caller_id.lower()],
        ips=[ip, attacker],
        primary=("user", actor.actor),
    )


def nested_group_shadow_admin(ctx: Context) -> Injected:
    """Shadow admin through nesting: a stolen admin account, which never changes groups, adds an
    ordinary user to an innocuously named group that an old delegation nested in the
    administrators (nothing in the name says admin); the user's account then logs on to
    servers it never used, with admin rights (4672), and runs recon there, over one or two
    evenings."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admins = [p for p in org.role(ADMIN) if not p.group_changer] or org.role(ADMIN)
    admin = ctx.pick(admins)
    member = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday(3)
    dc = org.dc_for(admin)
    foothold, ip = ctx.ws_ip(member, day)
    t = ctx.evening(day, admin)
    win.tgt(t - 500, dc, admin, ip)  # runas /netonly + dsa.msc / net group /add
    session = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    group = rng.choice(("IT-Tier1-Support", "SCCM-Operators", "Citrix-Ops", "Legacy-App-Owners"))
    group_sid = f"{org.domain_sid}-{rng.randrange(1300, 1900)}"
    win.group_member_added(t + 20_000, dc, admin, session, member, group, group_sid)
    win.logoff(t + 2 * MINUTE, dc, admin, session, 3)
    servers = ctx.hosts_outside(member, day, kinds=_SERVER_KINDS)
    targets = rng.sample(servers, min(len(servers), rng.randrange(2, 4)))
    commands = (
        ("C:\\Windows\\System32\\net.exe", "net localgroup administrators"),
        ("C:\\Windows\\System32\\whoami.exe", "whoami /groups"),
        (_SYSTEM32 + "reg.exe", "reg save HKLM\\SAM C:\\Windows\\Temp\\s.hiv"),
    )
    t += rng.randrange(10, 40) * MINUTE
    for index, host in enumerate(targets):
        if index and rng.random() < 0.4 and day + 1 < world.days:
            day += 1
            t = ctx.evening(day, member)
        t += rng.randrange(3, 20) * MINUTE
        win.tgs(t - 300, org.dc_for(member), member, ip, host)
        logon = win.logon(t, host, member, 10, src=foothold, privileges=ADMIN_PRIVILEGES)
        for k, (image, command) in enumerate(rng.sample(commands, 2)):
            win.process(t + 30_000 + k * 20_000, host, member, logon, image, command,
                        parent=_CMD, elevated=True)  # fmt: skip
        win.logoff(t + rng.randrange(6, 25) * MINUTE, host, member, logon, 10)
    return Injected(
        f"{admin.sam} adds {member.sam} to {group} (nested in the administrators); "
        f"{member.sam} then RDPs with admin rights to {', '.join(h.name for h in targets)}",
        users=[admin.actor, member.actor],
        hosts=[dc.short, foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", member.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def rdp_session_hijack(ctx: Context) -> Injected:
    """RDP session hijack: with a stolen admin account the operator RDPs from a user's
    workstation to a server where another admin left a disconnected session, installs a
    throwaway service running ``tscon <id> /dest:rdp-tcp#N`` (it runs as SYSTEM, so no password
    is asked), and takes the session over (4778, which the parser drops); from it, with the
    second admin's Kerberos tickets, network logons to servers that admin never reaches."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admins = org.role(ADMIN)
    owner_admin = ctx.pick([a for a in admins if any(
        org.hosts[s].kind in _SERVER_KINDS for s in a.servers)] or admins)  # fmt: skip
    thief = ctx.pick([a for a in admins if a is not owner_admin] or admins)
    owner = _owner(ctx)
    day = ctx.weekday(2)
    foothold, ip = ctx.ws_ip(owner, day)
    servers = sorted(s for s in owner_admin.servers if org.hosts[s].kind in _SERVER_KINDS)
    server = org.hosts[rng.choice(servers)] if servers else org.hosts["APP01"]
    t = ctx.evening(day, owner)
    dc = org.dc_for(owner_admin)
    # The victim admin's own session, hours earlier, left disconnected.
    earlier = t - rng.randrange(3, 7) * 60 * MINUTE
    mgmt = org.hosts["MGMT01"]
    win.tgt(earlier - 300, dc, owner_admin, mgmt.ip)
    win.tgs(earlier - 200, dc, owner_admin, mgmt.ip, server)
    victim_logon = win.logon(earlier, server, owner_admin, 10, src=mgmt,
                             privileges=ADMIN_PRIVILEGES)  # fmt: skip
    win.tgt(earlier + 1000, dc, owner_admin, server.ip)  # the interactive session's own TGT
    # mstsc with the stolen password: a TGT and a TERMSRV ticket from the foothold, then the
    # server's own TGT for the new desktop session.
    win.tgt(t - 600, org.dc_for(thief), thief, ip)
    win.tgs(t - 400, org.dc_for(thief), thief, ip, server)
    win.tgt(t + 1000, org.dc_for(thief), thief, server.ip)
    logon = win.logon(t, server, thief, 10, src=foothold, privileges=ADMIN_PRIVILEGES)
    t += rng.randrange(1, 4) * MINUTE
    win.process(t, server, thief, logon, _SYSTEM32 + "quser.exe", "quser", parent=_CMD,
                elevated=True)  # fmt: skip
    name = rng.choice(
        ("sesshijack", "tsupd", "rdpfix", "svc" + random_hex(ctx, 4, upper=True).lower())
    )
    session_id = rng.randrange(2, 6)
    command = f"cmd.exe /k tscon {session_id} /dest:rdp-tcp#{rng.randrange(1, 9)}"
    t += rng.randrange(20, 90) * 1000
    win.service_installed(t, server, thief, logon, name, command)
    win.process(t + 2000, server, server, "0x3e7", _SYSTEM32 + "tscon.exe",
                command.removeprefix("cmd.exe /k "), parent=_CMD, elevated=True)  # fmt: skip
    reconnect = {
        "AccountName": owner_admin.sam,
        "AccountDomain": win.netbios,
        "LogonID": victim_logon,
        "SessionName": f"RDP-Tcp#{rng.randrange(1, 9)}",
        "ClientName": foothold.name,
        "ClientAddress": ip,
    }
    win.sink.win(t + 2500, server, 4778, reconnect, actor=owner_admin.actor)
    reached: list[Host] = []
    outside = ctx.hosts_outside(owner_admin, day, kinds=_SERVER_KINDS)
    for host in rng.sample(outside, min(len(outside), rng.randrange(2, 4))):
        t += rng.randrange(2, 12) * MINUTE
        win.tgs(t - 300, dc, owner_admin, server.ip, host)
        remote = win.logon(t, host, owner_admin, 3, src=server, privileges=ADMIN_PRIVILEGES)
        win.share(t + 500, host, owner_admin, remote, server.ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(2, 9) * MINUTE, host, owner_admin, remote, 3)
        reached.append(host)
    win.logoff(t + 5 * MINUTE, server, thief, logon, 10)
    return Injected(
        f"{thief.sam}'s account RDPs from {foothold.name} to {server.name}, hijacks "
        f"{owner_admin.sam}'s disconnected session with tscon (service {name}) and reaches "
        f"{', '.join(h.name for h in reached)} as {owner_admin.sam}",
        users=[thief.actor, owner_admin.actor],
        hosts=[server.short, foothold.short, *(h.short for h in reached)],
        ips=[ip, server.ip],
        primary=("user", owner_admin.actor),
    )


def webapp_service_pivot(ctx: Context) -> Injected:
    """A web shell on a web server reuses the application pool account's password (from
    ``web.config``): the account, which only ever reaches the SQL server from the web servers,
    logs on over NTLM from that web server to other servers at night, one or two a night over
    two nights, lists their admin shares and, on the last, runs a command through a scheduled
    task (atexec, 4698)."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    web = org.person("svc_web")
    source = org.hosts[rng.choice(("WEB01", "WEB02"))]
    day = ctx.day(3)
    dc = org.hosts["DC01"]
    pool = [
        h
        for h in org.servers("file", "app", "mgmt", "sql")
        if h.name != "SQL01" and h.since_day <= day
    ]
    targets = rng.sample(sorted(pool, key=lambda h: h.name), min(len(pool), rng.randrange(3, 5)))
    clock_person = _owner(ctx)
    t = ctx.night(day, clock_person)
    for index, host in enumerate(targets):
        if index == 2 and day + 1 < world.days:
            day += 1
            t = ctx.night(day, clock_person)
        t += rng.randrange(4, 30) * MINUTE
        win.ntlm_validation(t - 200, dc, web.sam, source.name, actor=web.actor)
        logon = win.logon(t, host, web, 3, src=source, auth="NTLM", privileges=ADMIN_PRIVILEGES)
        win.share(t + 400, host, web, logon, source.ip, "IPC$")
        win.share(t + 900, host, web, logon, source.ip, "ADMIN$", local_path="\\??\\C:\\Windows")
        if index == len(targets) - 1:
            task = "\\" + random_hex(ctx, 8, upper=True)
            win.task_created(t + 3000, host, web, logon, task, _CMD,
                             f"/C whoami /all > C:\\Windows\\Temp\\{random_hex(ctx, 6, upper=True)}.tmp 2>&1")  # fmt: skip
        win.logoff(t + rng.randrange(1, 5) * MINUTE, host, web, logon, 3)
    return Injected(
        f"{web.sam} (the web app pool account) logs on over NTLM from {source.name} to "
        f"{', '.join(h.name for h in targets)} at night, lists admin shares and runs a "
        "scheduled-task command on the last",
        users=[web.actor],
        hosts=[source.short, *(h.short for h in targets)],
        ips=[source.ip],
        primary=("user", web.actor),
    )


NOVEL19: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "aws_session_token_replay",
            CREDENTIAL_MISUSE,
            "Use Alternate Authentication Material: stolen cloud session credentials replayed",
            ("T1550.001", "T1528", "T1078.004"),
            aws_session_token_replay,
        ),
        AttackKind(
            "ntlm_spray_slow",
            CREDENTIAL_MISUSE,
            "Brute Force: Password Spraying (NTLM over SMB, low and slow)",
            ("T1110.003",),
            ntlm_spray_slow,
        ),
        AttackKind(
            "sid_history_injection",
            PRIVILEGE_ABUSE,
            "Access Token Manipulation: SID-History Injection",
            ("T1134.005",),
            sid_history_injection,
        ),
        AttackKind(
            "aws_trust_policy_backdoor",
            PRIVILEGE_ABUSE,
            "Account Manipulation: role trust policy opened to an outside account",
            ("T1098.003", "T1199", "T1078.004"),
            aws_trust_policy_backdoor,
        ),
        AttackKind(
            "nested_group_shadow_admin",
            PRIVILEGE_ABUSE,
            "Account Manipulation: member of a group nested in the administrators",
            ("T1098.007", "T1078.002"),
            nested_group_shadow_admin,
        ),
        AttackKind(
            "rdp_session_hijack",
            LATERAL_MOVEMENT,
            "Remote Service Session Hijacking: RDP Hijacking (tscon)",
            ("T1563.002", "T1543.003", "T1021.002"),
            rdp_session_hijack,
        ),
        AttackKind(
            "webapp_service_pivot",
            LATERAL_MOVEMENT,
            "Valid Accounts: application pool account reused from a web shell",
            ("T1505.003", "T1078.002", "T1021.002", "T1053.005"),
            webapp_service_pivot,
        ),
    )
}
