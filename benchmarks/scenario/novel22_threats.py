"""Round 22: attack kinds nobody on the team had written (``--attacks novel22``).

Opt-in by name or ``--attacks novel22``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Four are
slow credential misuse: the DSRM password of a DC set (4794) and the DC's local Administrator
then used over the network on later evenings (HELK Windows JSON); a service account's password
guessed a few times a night from a compromised app server (4771) and then used to RDP from it;
a long-unused IAM user's access key made active again by a stolen admin session and used on
later nights (CloudTrail); and a domain admin's password typed with ``runas /netonly`` on an
office workstation (4624 type 9 + 4648) and used against servers. Two are lateral movement: an
engineer's forwarded ssh agent carried from the bastion through two servers in a direction
nobody goes (syslog), and scheduled tasks registered remotely (4698) on several servers from a
workstation. One is privilege abuse: EBS and RDS snapshots shared with an outside account
(``ModifySnapshotAttribute`` / ``ModifyDBSnapshotAttribute``).
"""

from __future__ import annotations

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
    MINUTE,
    OFFICE,
    Person,
    assume_role,
    aws_source,
    public_ip,
)
from benchmarks.scenario.more_threats import LocalAccount

_SERVER_KINDS = ("app", "sql", "file", "web", "mgmt")
_CMD = "C:\\Windows\\System32\\cmd.exe"
_PY_SDK = (
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7"
)


def _office_victim(ctx: Context) -> Person:
    return ctx.pick(
        [p for p in ctx.org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0]
    )


# --------------------------------------------------------------------------------------------
# credential_misuse


def dsrm_password_logon(ctx: Context) -> Injected:
    """An admin's stolen session resets the DSRM password of a DC (``ntdsutil "set dsrm
    password"``: 4794 on the DC) and, with ``DsrmAdminLogonBehavior`` set to 2, the DC's local
    Administrator (the DSRM account) then logs on to it over the network with NTLM from an
    office workstation on two or three later evenings, opening ``C$``."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _office_victim(ctx)
    day = ctx.weekday(8)
    dc = org.dc_for(admin)
    foothold, ip = ctx.ws_ip(owner, day)
    t = ctx.evening(day, owner)
    win.tgs(t - 900, dc, admin, ip, dc)
    session = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    win.process(t + 2000, dc, admin, session, "C:\\Windows\\System32\\ntdsutil.exe",
                'ntdsutil "set dsrm password" "reset password on server null" q q',
                parent=_CMD, elevated=True)  # fmt: skip
    dsrm = LocalAccount(
        sam="Administrator",
        sid=f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-"
        f"{rng.randrange(10**9, 4 * 10**9)}-500",
        dn="Administrator",
        display="Administrator",
        actor="administrator",
    )
    win.dsrm_password_set(t + 9000, dc, admin, session, dc.name)
    win.logoff(t + 3 * MINUTE, dc, admin, session, 3)
    later = day + rng.randrange(2, 5)
    evenings = 0
    for _ in range(rng.randrange(2, 4)):
        if later >= world.days:
            break
        t = ctx.evening(later, owner)
        win.ntlm_validation(t - 300, dc, "Administrator", foothold.name, actor=dsrm.actor)
        logon = win.logon(t, dc, dsrm, 3, src=foothold, auth="NTLM", privileges=ADMIN_PRIVILEGES)
        win.share(t + 600, dc, dsrm, logon, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(3, 20) * MINUTE, dc, dsrm, logon, 3)
        evenings += 1
        later += rng.randrange(1, 4)
    return Injected(
        f"{admin.sam}'s session sets the DSRM password on {dc.name} from {foothold.name}; the "
        f"DC's local Administrator then logs on to it from there on {evenings} evening(s)",
        users=[admin.actor, dsrm.actor],
        hosts=[dc.short, foothold.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


def service_spray_internal_rdp(ctx: Context) -> Injected:
    """From a compromised internal application server, one service account's password is
    guessed slowly at Kerberos pre-authentication (4771, a handful a night over three or four
    nights, under any lockout threshold) until a guess works; the service account then gets a
    TGT from that server and RDPs (type 10) from it to one or two other servers."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    service = org.person(rng.choice(("svc_backup", "svc_web", "svc_scan", "svc_deploy")))
    source = org.hosts[
        rng.choice([n for n in ("APP01", "APP02", "WEB01", "WEB02") if n in org.hosts])
    ]
    dc = org.dc_for(service)
    day = ctx.day(6)
    failures = 0
    nights = rng.randrange(3, 5)
    t = 0
    for night in range(nights):
        if day + night >= world.days:
            break
        t = ctx.night(day + night, service)
        for _ in range(rng.randrange(2, 6)):
            t += rng.randrange(3, 40) * MINUTE
            win.preauth_failed(t, dc, service, source.ip)
            failures += 1
    t += rng.randrange(5, 60) * MINUTE
    win.tgt(t, dc, service, source.ip)
    targets = rng.sample(
        [h for h in org.servers(*_SERVER_KINDS) if h is not source and h.since_day <= day],
        rng.randrange(1, 3),
    )
    for host in targets:
        t += rng.randrange(2, 15) * MINUTE
        win.tgs(t - 400, dc, service, source.ip, host)
        rdp = win.logon(t, host, service, 10, src=source, privileges=ADMIN_PRIVILEGES)
        win.process(t + 30_000, host, service, rdp, "C:\\Windows\\System32\\whoami.exe",
                    "whoami /all", parent=_CMD)  # fmt: skip
        win.logoff(t + rng.randrange(5, 30) * MINUTE, host, service, rdp, 10)
    return Injected(
        f"{service.sam}'s password guessed {failures} times over {nights} night(s) from "
        f"{source.name} ({source.ip}), then {service.sam} RDPs from there to "
        f"{', '.join(h.name for h in targets)}",
        users=[service.actor],
        hosts=[source.short, *(h.short for h in targets)],
        ips=[source.ip],
        primary=("user", service.actor),
    )


def aws_stale_key_reactivated(ctx: Context) -> Injected:
    """A stolen admin role session makes the deactivated access key of a long-unused IAM user
    (a departed contractor's integration) active again (``UpdateAccessKey``, status Active);
    a week later that key signs a few reads from a hosting address with a Python SDK on three
    or four nights (who am I, list buckets, read objects' metadata, describe instances)."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    admins = [p for p in org.humans if p.role == ADMIN and p.aws and p.first_day == 0]
    admin = ctx.pick(admins or [p for p in org.humans if p.aws])
    name = rng.choice(("contractor-etl", "legacy-reporting", "vendor-sync", "old-jenkins"))
    key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    principal = "AIDA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))
    day = ctx.weekday(10)
    t = ctx.office_hours(day, admin)
    own = aws_source(world, admin, day, rng.random() < 0.3, rng)
    session = assume_role(world, admin, t, own, admin.cli_ua, rng)
    t += rng.randrange(5, 60) * MINUTE
    trail.call(t, session, "iam.amazonaws.com", "ListAccessKeys", ip=own, user_agent=admin.cli_ua,
               params={"userName": name}, actor=admin.actor)  # fmt: skip
    trail.call(t + 20_000, session, "iam.amazonaws.com", "UpdateAccessKey", ip=own,
               user_agent=admin.cli_ua, read_only=False,
               params={"userName": name, "accessKeyId": key, "status": "Active"},
               actor=admin.actor)  # fmt: skip
    identity = trail.iam_user(name, principal, key)
    ip = public_ip(rng, "hosting")
    later = day + rng.randrange(4, 8)
    nights, calls = 0, 0
    reads = [
        ("sts.amazonaws.com", "GetCallerIdentity", None),
        ("s3.amazonaws.com", "ListBuckets", None),
        ("ec2.amazonaws.com", "DescribeInstances", None),
        ("iam.amazonaws.com", "ListAttachedUserPolicies", {"userName": name}),
        ("rds.amazonaws.com", "DescribeDBInstances", None),
    ]
    for _ in range(rng.randrange(3, 5)):
        if later >= world.days:
            break
        t = ctx.night(later, admin)
        for source, call, params in rng.sample(reads, rng.randrange(2, 4)):
            t += rng.randrange(5, 90) * 1000
            trail.call(t, identity, source, call, ip=ip, user_agent=_PY_SDK, params=params,
                       actor=name)  # fmt: skip
            calls += 1
        nights += 1
        later += rng.randrange(1, 3)
    return Injected(
        f"{admin.sam}'s session reactivates the access key of unused IAM user {name}; the key "
        f"then makes {calls} call(s) from {ip} on {nights} night(s)",
        users=[admin.actor, name],
        ips=[ip],
        primary=("user", name),
    )


def runas_netonly_admin(ctx: Context) -> Injected:
    """A domain admin's password (from a script on a share) typed with ``runas /netonly`` on an
    office user's workstation during working hours (4624 type 9 with the admin as the outbound
    account, a 4648 per server it names), then network logons as the admin to two or three
    servers from that workstation, which the admin never uses; again on a later day."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    owner = _office_victim(ctx)
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday(4)
    dc = org.dc_for(admin)
    days, reached = 0, []
    ws, ip = ctx.ws_ip(owner, day)
    for _ in range(2):
        if day >= world.days:
            break
        ws, ip = ctx.ws_ip(owner, day)
        t = ctx.office_hours(day, owner)
        desktop = win.new_logon_id()
        netonly = win.new_credentials_logon(t, ws, owner, admin, org.netbios)
        servers = [h for h in org.servers(*_SERVER_KINDS) if h.since_day <= day]
        for host in rng.sample(servers, min(len(servers), rng.randrange(2, 4))):
            t += rng.randrange(1, 6) * MINUTE
            win.explicit_credentials(t - 200, ws, owner, desktop, admin, host.fqdn,
                                     process="C:\\Windows\\System32\\mmc.exe")  # fmt: skip
            win.tgs(t - 100, dc, admin, ip, host)
            logon = win.logon(t, host, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
            win.share(t + 500, host, admin, logon, ip, "C$", local_path="\\??\\C:\\")
            win.logoff(t + rng.randrange(1, 8) * MINUTE, host, admin, logon, 3)
            reached.append(host.short)
        win.logoff(t + 10 * MINUTE, ws, owner, netonly, 9)
        days += 1
        day += rng.randrange(1, 4)
    return Injected(
        f"{admin.sam}'s password typed with runas /netonly on {ws.name} ({owner.sam}'s "
        f"workstation) on {days} day(s): logons as {admin.sam} to "
        f"{', '.join(dict.fromkeys(reached))}",
        users=[admin.actor, owner.actor],
        hosts=[ws.short, *dict.fromkeys(reached)],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def ssh_agent_forward_chain(ctx: Context) -> Injected:
    """An engineer's laptop is compromised while ssh agent forwarding is on: on two evenings
    the operator goes bastion -> lnx-db01 -> lnx-app01 with the engineer's key, each hop from
    the previous server's address (the engineer only ever reaches lnx-app01, from the bastion),
    and lists sudo rights on each."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    people = [p for p in org.humans if p.role == ENGINEER and p.uid and p.first_day == 0]
    only_app = [p for p in people if p.linux_hosts == ["lnx-app01"]]
    victim = ctx.pick(only_app or people)
    chain = ["lnx-db01", "lnx-app01"]
    day = ctx.day(5)
    evenings = 0
    for _ in range(2):
        if day >= world.days:
            break
        t = ctx.evening(day, victim)
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, world.vpn_ip(rng), 60 * MINUTE,
                          key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
        source = org.bastion.ip
        for k, host in enumerate(chain):
            t += rng.randrange(1, 5) * MINUTE
            linux.ssh_session(t, host, victim.sam, victim.uid, source, (40 - 10 * k) * MINUTE,
                              key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
            linux.sudo(t + 40_000, host, victim.sam, victim.uid, "list", actor=victim.actor)
            source = org.linux[host].ip
        evenings += 1
        day += rng.randrange(1, 4)
    return Injected(
        f"{victim.sam}'s forwarded ssh agent used bastion01 -> lnx-db01 -> lnx-app01 on "
        f"{evenings} evening(s); {victim.sam} only ever reaches lnx-app01 from the bastion",
        users=[victim.actor],
        hosts=["bastion01", *chain],
        primary=("user", victim.actor),
    )


def remote_schtask_fanout(ctx: Context) -> Injected:
    """An admin's stolen credentials used from an office workstation in the evening: on three
    to five servers in turn a network logon and a scheduled task registered over RPC
    (``schtasks /create /s HOST /ru SYSTEM``, 4698 on each server), running a payload from
    ``C:\\ProgramData``."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    owner = _office_victim(ctx)
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.evening(day, owner)
    win.tgt(t - 3000, dc, admin, ip)
    servers = [h for h in org.servers(*_SERVER_KINDS, "backup") if h.since_day <= day]
    targets = rng.sample(servers, min(len(servers), rng.randrange(3, 6)))
    task = "\\Microsoft\\Windows\\" + rng.choice(("UpdateOrchestrator", "Maintenance", "WDI"))
    task += "\\" + rng.choice(("Refresh", "Sync", "Cleanup")) + random_hex(ctx, 4)
    payload = f"C:\\ProgramData\\{rng.choice(('svc', 'upd', 'wsus'))}{random_hex(ctx, 3)}.exe"
    for host in targets:
        t += rng.randrange(1, 6) * MINUTE
        win.tgs(t - 300, dc, admin, ip, host)
        logon = win.logon(t, host, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        win.share(t + 300, host, admin, logon, ip, "C$", local_path="\\??\\C:\\",
                  relative=payload[3:], access_mask="0x2")  # fmt: skip
        win.task_created(t + 2000, host, admin, logon, task, payload)
        win.logoff(t + rng.randrange(1, 3) * MINUTE, host, admin, logon, 3)
    return Injected(
        f"{admin.sam}'s credentials register scheduled task {task} on "
        f"{', '.join(h.name for h in targets)} from {ws.name} ({owner.sam}'s workstation)",
        users=[admin.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def aws_snapshot_shared_outside(ctx: Context) -> Injected:
    """Exfiltration by sharing (T1537): an engineer's replayed role session snapshots an EBS
    volume and an RDS database and shares both with an account outside the organisation
    (``ModifySnapshotAttribute`` createVolumePermission add, ``ModifyDBSnapshotAttribute``
    restore), from a hosting address, in the evening."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.aws and p.first_day == 0])
    day = ctx.weekday(1)
    t = ctx.evening(day, victim)
    own = aws_source(world, victim, day, True, rng)
    identity = assume_role(world, victim, t, own, victim.cli_ua, rng)
    ip = public_ip(rng, "hosting")
    outside = str(rng.randrange(10**11, 10**12))
    volume, snapshot = "vol-" + random_hex(ctx, 17), "snap-" + random_hex(ctx, 17)
    db = rng.choice(("prod-orders", "prod-users", "billing"))
    db_snapshot = f"{db}-{random_hex(ctx, 6)}"
    calls: list[tuple[str, str, dict[str, object], bool]] = [
        ("ec2.amazonaws.com", "DescribeVolumes", {"maxResults": 100}, True),
        ("ec2.amazonaws.com", "CreateSnapshot", {"volumeId": volume}, False),
        ("ec2.amazonaws.com", "ModifySnapshotAttribute",
         {"snapshotId": snapshot, "attributeType": "CREATE_VOLUME_PERMISSION",
          "createVolumePermission": {"add": {"items": [{"userId": outside}]}}}, False),
        ("rds.amazonaws.com", "CreateDBSnapshot",
         {"dBInstanceIdentifier": db, "dBSnapshotIdentifier": db_snapshot}, False),
        ("rds.amazonaws.com", "ModifyDBSnapshotAttribute",
         {"dBSnapshotIdentifier": db_snapshot, "attributeName": "restore",
          "valuesToAdd": [outside]}, False),
    ]  # fmt: skip
    t += rng.randrange(10, 90) * MINUTE
    for source, name, params, read_only in calls:
        t += rng.randrange(20, 400) * 1000
        trail.call(t, identity, source, name, ip=ip, user_agent=victim.cli_ua, params=params,
                   read_only=read_only, actor=victim.actor)  # fmt: skip
    return Injected(
        f"{victim.sam}'s role session (from {ip}) snapshots {volume} and {db} and shares both "
        f"with outside account {outside}",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


NOVEL22: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "dsrm_password_logon",
            CREDENTIAL_MISUSE,
            "Account Manipulation: DSRM password set, then the DC's local Administrator used",
            ("T1098", "T1078.003"),
            dsrm_password_logon,
        ),
        AttackKind(
            "service_spray_internal_rdp",
            CREDENTIAL_MISUSE,
            "Password Guessing: a service account guessed slowly from a server, then RDP",
            ("T1110.001", "T1078.002", "T1021.001"),
            service_spray_internal_rdp,
        ),
        AttackKind(
            "aws_stale_key_reactivated",
            CREDENTIAL_MISUSE,
            "Valid Accounts: an unused IAM user's access key reactivated, then used",
            ("T1098.001", "T1078.004"),
            aws_stale_key_reactivated,
        ),
        AttackKind(
            "runas_netonly_admin",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a domain admin's password typed with runas /netonly",
            ("T1078.002", "T1134.001"),
            runas_netonly_admin,
        ),
        AttackKind(
            "ssh_agent_forward_chain",
            LATERAL_MOVEMENT,
            "Remote Services: SSH hops through two servers with a forwarded agent",
            ("T1021.004", "T1563.001"),
            ssh_agent_forward_chain,
        ),
        AttackKind(
            "remote_schtask_fanout",
            LATERAL_MOVEMENT,
            "Scheduled Task registered remotely on several servers",
            ("T1053.005", "T1021.002"),
            remote_schtask_fanout,
        ),
        AttackKind(
            "aws_snapshot_shared_outside",
            PRIVILEGE_ABUSE,
            "Transfer Data to Cloud Account: snapshots shared with an outside account",
            ("T1537", "T1078.004"),
            aws_snapshot_shared_outside,
        ),
    )
}
