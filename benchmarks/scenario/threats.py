"""Attacks from the issue's threat list that the first catalogue never made (opt-in by name).

Written the way the tools do it (crackmapexec/hydra, Rubeus/GetUserSPNs, mimikatz pth, wmiexec,
Enter-PSSession, atexec/schtasks, usermod, the AWS CLI), not shaped to what Vigil detects. They
are not in the default attack list: existing seeds keep generating byte-identical scenarios.
``--attacks new`` runs each once; ``--attacks every`` runs the old and the new catalogue.
"""

from __future__ import annotations

from benchmarks.scenario.context import (
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
    CI_KEY,
    ENGINEER,
    LINUX_ADMIN_COMMANDS,
    MINUTE,
    OFFICE,
    SERVICE,
    assume_role,
    aws_source,
    server_hopper,
)

_WRONG_PASSWORD_STATUS = "0xc000006a"  # noqa: S105 (an NTSTATUS code)


# --------------------------------------------------------------------------------------------
# credential_misuse


def brute_force_user(ctx: Context) -> Injected:
    """From a foothold workstation, guess ONE admin's password over SMB, then get in."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.day()
    foothold, ip = ctx.ws_ip(owner, day)
    target = org.hosts[rng.choice(("FS01", "SQL01", "APP01"))]
    dc = org.dc_for(victim)
    t = ctx.evening(day, owner)
    guesses = rng.randrange(40, 160)
    for _ in range(guesses):
        # crackmapexec smb: one NTLM attempt every few seconds (a wordlist, not a spray).
        t += rng.randrange(1500, 9000)
        win.ntlm_validation(t - 150, dc, victim.sam, foothold.name, status=_WRONG_PASSWORD_STATUS)
        win.logon_failed(t, target, victim.sam, 3, src=foothold, sub_status=_WRONG_PASSWORD_STATUS)
    t += rng.randrange(2000, 9000)
    win.ntlm_validation(t - 150, dc, victim.sam, foothold.name, actor=victim.actor)
    session = win.logon(
        t, target, victim, 3, src=foothold, auth="NTLM", privileges=ADMIN_PRIVILEGES
    )
    win.share(t + 400, target, victim, session, ip, "C$", local_path="\\??\\C:\\")
    win.logoff(t + rng.randrange(1, 6) * MINUTE, target, victim, session, 3)
    return Injected(
        f"from {foothold.name} ({owner.sam}'s workstation) {guesses} NTLM password guesses "
        f"against {victim.sam} on {target.name} in the evening, then a successful logon and C$",
        users=[victim.actor, owner.actor],
        hosts=[foothold.short, target.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def kerberoasting(ctx: Context) -> Injected:
    """One user asks the DC for RC4 service tickets for every SPN account within a minute."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    dc = org.dc_for(victim)
    # Every account with a servicePrincipalName: the service accounts, as GetUserSPNs lists them.
    spns = [p for p in org.people if p.role == SERVICE]
    rng.shuffle(spns)
    t = ctx.office_hours(day, victim)
    for account in spns:
        t += rng.randrange(80, 900)
        win.tgs(t, dc, victim, ip, account, encryption="0x17", options="0x40800000")
    return Injected(
        f"{victim.sam} on {ws.name} requests RC4 (0x17) service tickets for {len(spns)} service "
        "accounts within seconds (Kerberoasting)",
        users=[victim.actor],
        hosts=[ws.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def privileged_reset_use(ctx: Context) -> Injected:
    """An admin who never resets passwords resets another admin's, which is then used."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admins = org.role(ADMIN)
    actor = ctx.pick([a for a in admins if not a.resetter] or admins)
    target = ctx.pick([a for a in admins if a is not actor] or admins)
    day = ctx.weekday(span=2)
    dc = org.dc_for(actor)
    ws, ws_ip = ctx.ws_ip(actor, day)
    t = ctx.evening(day, actor)
    session = win.logon(t, dc, actor, 3, src=ws, privileges=ADMIN_PRIVILEGES)
    win.account_changed(t + rng.randrange(20, 90) * 1000, dc, actor, session, 4724, target)
    win.logoff(t + 2 * MINUTE, dc, actor, session, 3)
    # The taken-over account, from the same machine: a ticket, RDP to the management host,
    # then on to the other DC with its new password.
    t2 = t + rng.randrange(10, 40) * MINUTE
    win.tgt(t2, dc, target, ws_ip)
    mgmt = org.hosts["MGMT01"]
    win.tgs(t2 + 400, dc, target, ws_ip, mgmt)
    rdp = win.logon(t2 + 900, mgmt, target, 10, src=ws, privileges=ADMIN_PRIVILEGES)
    other = org.hosts["DC02"] if dc.name == "DC01" else org.hosts["DC01"]
    t3 = t2 + rng.randrange(3, 12) * MINUTE
    win.tgs(t3 - 300, dc, target, mgmt.ip, other)
    hop = win.logon(t3, other, target, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
    win.logoff(t3 + rng.randrange(2, 10) * MINUTE, other, target, hop, 3)
    win.logoff(t3 + 15 * MINUTE, mgmt, target, rdp, 10)
    # Next morning the real owner's old password no longer works.
    owner_ws = target.workstation_on(min(day + 1, world.days - 1))
    hosts = [ws.short, dc.short, mgmt.short, other.short]
    if owner_ws is not None:
        morning = ctx.place(min(day + 1, world.days - 1), target, target.start_min + 10)
        for k in range(rng.randrange(2, 4)):
            win.preauth_failed(morning + k * 20_000, org.dc_for(target), target, owner_ws.ip)
        hosts.append(owner_ws.short)
    return Injected(
        f"{actor.sam} (never resets passwords) resets admin {target.sam}'s password on "
        f"{dc.name} in the evening; {target.sam} is then used from {ws.name} to RDP to "
        f"{mgmt.name} and reach {other.name}",
        users=[target.actor, actor.actor],
        hosts=hosts,
        ips=[ws_ip],
        primary=("user", target.actor),
    )


def linux_sudo_group_add(ctx: Context) -> Injected:
    """An admin account adds an engineer to the ``sudo`` group; the engineer then uses root."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    admin = ctx.pick([p for p in org.role(ADMIN) if p.uid])
    member = ctx.pick(
        [p for p in org.humans if p.uid and p.role == ENGINEER and p.sudo_as != "root"]
    )
    day = ctx.day()
    host = rng.choice(("lnx-db01", "lnx-app01"))
    t = ctx.evening(day, admin)
    source = world.vpn_ip(rng)
    linux.ssh_session(
        t, "bastion01", admin.sam, admin.uid, source, 20 * MINUTE,
        key_fingerprint=admin.ssh_key, actor=admin.actor,
    )  # fmt: skip
    hop = t + rng.randrange(1, 4) * MINUTE
    linux.ssh_session(
        hop, host, admin.sam, admin.uid, org.bastion.ip, 10 * MINUTE,
        key_fingerprint=admin.ssh_key, actor=admin.actor,
    )  # fmt: skip
    command = f"/usr/sbin/usermod -aG sudo {member.sam}"
    linux.sudo(hop + 50_000, host, admin.sam, admin.uid, command, actor=admin.actor)
    linux.group_add(hop + 51_000, host, member.sam, "sudo")
    t2 = hop + rng.randrange(15, 90) * MINUTE
    member_ip = world.vpn_ip(rng)
    linux.ssh_session(
        t2, "bastion01", member.sam, member.uid, member_ip, 30 * MINUTE,
        key_fingerprint=member.ssh_key, actor=member.actor,
    )  # fmt: skip
    linux.ssh_session(
        t2 + 60_000, host, member.sam, member.uid, org.bastion.ip, 25 * MINUTE,
        key_fingerprint=member.ssh_key, actor=member.actor,
    )  # fmt: skip
    linux.sudo(
        t2 + 2 * MINUTE, host, member.sam, member.uid, "/bin/bash",
        duration_ms=12 * MINUTE, actor=member.actor,
    )  # fmt: skip
    linux.sudo(
        t2 + 5 * MINUTE, host, member.sam, member.uid, "/usr/bin/cat /etc/shadow",
        actor=member.actor,
    )  # fmt: skip
    return Injected(
        f"{admin.sam} runs 'sudo usermod -aG sudo {member.sam}' on {host} in the evening; "
        f"{member.sam} (never root before) opens a root shell there and reads /etc/shadow",
        users=[member.actor, admin.actor],
        hosts=[host, "bastion01"],
        ips=[source, member_ip],
        primary=("user", member.actor),
    )


def aws_permission_sweep(ctx: Context) -> Injected:
    """Dozens of policy/ACL changes in minutes: buckets public, snapshots shared, roles widened."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.day()
    t = ctx.evening(day, victim)
    ip = aws_source(world, victim, day, True, rng)
    ua = victim.cli_ua
    identity = assume_role(world, victim, t, ip, ua, rng)
    outsider = str(rng.randrange(10**11, 10**12))
    changes: list[tuple[str, str, dict[str, object]]] = []
    for bucket in org.buckets:
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            f'{{"AWS":"arn:aws:iam::{outsider}:root"}},"Action":"s3:*","Resource":'
            f'["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]}}]}}'
        )
        changes.append(
            ("s3.amazonaws.com", "PutBucketPolicy", {"bucketName": bucket, "bucketPolicy": policy})
        )
        changes.append(
            (
                "s3.amazonaws.com",
                "PutBucketAcl",
                {"bucketName": bucket, "x-amz-acl": ["public-read"]},
            )
        )
        changes.append(("s3.amazonaws.com", "DeletePublicAccessBlock", {"bucketName": bucket}))
    for k in range(rng.randrange(2, 5)):
        changes.append(
            (
                "rds.amazonaws.com",
                "ModifyDBSnapshotAttribute",
                {
                    "dBSnapshotIdentifier": f"prod-db-snap-{k + 1:02d}",
                    "attributeName": "restore",
                    "valuesToAdd": [outsider],
                },
            )
        )
    for role in ("Engineer", "ci-deploy", "lambda-exec"):
        changes.append(
            (
                "iam.amazonaws.com",
                "AttachRolePolicy",
                {"roleName": role, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            )
        )
        trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            f'{{"AWS":"arn:aws:iam::{outsider}:root"}},"Action":"sts:AssumeRole"}}]}}'
        )
        changes.append(
            (
                "iam.amazonaws.com",
                "UpdateAssumeRolePolicy",
                {"roleName": role, "policyDocument": trust},
            )
        )
    for _ in range(rng.randrange(1, 3)):
        group = f"sg-0{rng.getrandbits(64):016x}"
        rule = {
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
        }
        changes.append(
            (
                "ec2.amazonaws.com",
                "AuthorizeSecurityGroupIngress",
                {"groupId": group, "ipPermissions": {"items": [rule]}},
            )
        )
    rng.shuffle(changes)
    for source, name, params in changes:
        t += rng.randrange(3, 25) * 1000
        trail.call(
            t, identity, source, name, ip=ip, user_agent=ua, params=dict(params),
            read_only=False, actor=victim.actor,
        )  # fmt: skip
    return Injected(
        f"{victim.sam} makes {len(changes)} permission changes within minutes in the evening: "
        f"bucket policies and ACLs opened to account {outsider} and the public, RDS snapshots "
        "shared, roles given AdministratorAccess and a foreign trust, ssh open to the world",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def pass_the_hash(ctx: Context) -> Injected:
    """An admin's NTLM hash used from someone else's workstation (sekurlsa::pth) on servers."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    # Where the admin's account opens doors: its own servers (where it is at home).
    servers = sorted(s for s in victim.servers if org.hosts[s].kind in ("sql", "file", "app"))
    targets = [org.hosts[s] for s in rng.sample(servers, min(len(servers), rng.randrange(2, 4)))]
    t = ctx.office_hours(day, owner)
    win.new_credentials_logon(t, foothold, owner, victim, org.netbios)
    dc = org.dc_for(victim)
    for target in targets:
        t += rng.randrange(1, 8) * MINUTE
        win.ntlm_validation(t - 200, dc, victim.sam, foothold.name, actor=victim.actor)
        session = win.logon(
            t, target, victim, 3, src=foothold, auth="NTLM", privileges=ADMIN_PRIVILEGES
        )
        win.share(t + 300, target, victim, session, ip, "C$", local_path="\\??\\C:\\")
        win.share(
            t + 700, target, victim, session, ip, "C$", local_path="\\??\\C:\\",
            relative="Windows\\Temp", access_mask="0x1",
        )  # fmt: skip
        win.logoff(t + rng.randrange(1, 8) * MINUTE, target, victim, session, 3)
    return Injected(
        f"{victim.sam}'s NTLM hash is used from {foothold.name} ({owner.sam}'s workstation) for "
        f"NTLM network logons to {', '.join(h.name for h in targets)} (the admin uses Kerberos)",
        users=[victim.actor, owner.actor],
        hosts=[foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


_WMI = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
_WINRM = "C:\\Windows\\System32\\wsmprovhost.exe"
_CMD = "C:\\Windows\\System32\\cmd.exe"
_RECON = ("whoami /all", "ipconfig /all", "net localgroup administrators", "tasklist /v")


def lateral_remote_exec(ctx: Context) -> Injected:
    """WMI, WinRM and a remote scheduled task to hosts never reached (no PsExec service)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role in (ADMIN, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    outside = ctx.hosts_outside(victim, day, kinds=("workstation", "sql", "file", "app", "web"))
    targets = rng.sample(outside, min(len(outside), 3))
    methods = ["wmi", "winrm", "task"]
    rng.shuffle(methods)
    dc = org.dc_for(victim)
    t = ctx.office_hours(day, victim)
    for target, method in zip(targets, methods, strict=False):
        t += rng.randrange(3, 15) * MINUTE
        win.tgs(t - 400, dc, victim, ip, target)
        session = win.logon(t, target, victim, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        if method == "wmi":  # impacket wmiexec: cmd.exe /Q /c ... 1> \\127.0.0.1\ADMIN$\__<t>
            for k, command in enumerate(rng.sample(_RECON, 2)):
                out = f"\\\\127.0.0.1\\ADMIN$\\__{t // 1000}.{rng.randrange(10**6)}"
                win.process(
                    t + 2000 + k * 9000, target, victim, session, _CMD,
                    f"cmd.exe /Q /c {command} 1> {out} 2>&1", parent=_WMI, elevated=True,
                )  # fmt: skip
        elif method == "winrm":  # Enter-PSSession: wsmprovhost.exe, commands under it
            win.process(
                t + 1500, target, victim, session, _WINRM,
                "C:\\Windows\\system32\\wsmprovhost.exe -Embedding",
                parent="C:\\Windows\\System32\\svchost.exe", elevated=True,
            )  # fmt: skip
            for k, command in enumerate(rng.sample(_RECON, 2)):
                image = "C:\\Windows\\System32\\" + command.split()[0] + ".exe"
                win.process(
                    t + 6000 + k * 8000, target, victim, session, image, command,
                    parent=_WINRM, elevated=True,
                )  # fmt: skip
        else:  # atexec / schtasks /create /s: a task over the atsvc pipe, run as SYSTEM
            win.share(t + 300, target, victim, session, ip, "IPC$")
            win.share(
                t + 400, target, victim, session, ip, "IPC$", relative="atsvc", access_mask="0x3"
            )
            name = "\\" + random_name(rng)
            out = f"C:\\Windows\\Temp\\{random_name(rng)}.tmp"
            win.task_created(
                t + 900,
                target,
                victim,
                session,
                name,
                _CMD,
                f"/C whoami /all &gt; {out} 2&gt;&amp;1",
            )
        win.logoff(t + rng.randrange(1, 5) * MINUTE, target, victim, session, 3)
    used = ", ".join(f"{h.name} ({m})" for h, m in zip(targets, methods, strict=False))
    return Injected(
        f"{victim.sam} from {ws.name} runs commands by WMI, WinRM and a scheduled task on "
        f"hosts never reached before: {used}",
        users=[victim.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


def source_host_fanout(ctx: Context) -> Injected:
    """A compromised app server logs on to many hosts with the accounts cached on it."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    source = org.hosts[rng.choice(("APP01", "APP02"))]
    # Accounts an attacker dumps from the server's memory: people who RDP there.
    visitors = [p for p in org.humans if source.name in p.servers and p.first_day == 0]
    accounts = rng.sample(visitors, min(len(visitors), rng.randrange(3, 6)))
    day = ctx.weekday()
    hosts = sorted(
        (h for h in org.hosts.values() if h.name != source.name and h.since_day <= day),
        key=lambda h: h.name,
    )
    targets = rng.sample(hosts, min(len(hosts), rng.randrange(12, 25)))
    t = ctx.night(day, accounts[0])
    for target in targets:
        who = rng.choice(accounts)
        t += rng.randrange(20, 180) * 1000
        win.ntlm_validation(t - 200, org.dc_for(who), who.sam, source.name, actor=who.actor)
        session = win.logon(t, target, who, 3, src=source, auth="NTLM")
        win.share(t + 300, target, who, session, source.ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(10, 90) * 1000, target, who, session, 3)
    return Injected(
        f"{source.name} (an app server) logs on over the network at night to {len(targets)} "
        f"hosts with {len(accounts)} accounts cached on it: " + ", ".join(p.sam for p in accounts),
        users=[p.actor for p in accounts],
        hosts=[source.short, *(h.short for h in targets)],
        ips=[source.ip],
        primary=("host", source.short),
    )


_PIVOT_COMMANDS = (
    "/bin/bash",
    "/usr/bin/cat /etc/shadow",
    "/usr/bin/tar czf /tmp/.c.tgz /etc/ssh /root/.ssh",
    "/usr/bin/pg_dumpall -U postgres -f /tmp/.d.sql",
)


def linux_ssh_pivot(ctx: Context) -> Injected:
    """From a foothold on lnx-app01, ssh on to lnx-db01 with credentials found there.

    Linux-only lateral movement, as the ssh logs of the target show it: an internal source (the
    app server's own address) that never connected to the target, with an account that does
    reach the target every week - from the bastion. The credentials: an admin's password (a
    config file, shell history), an admin's key (their forwarded agent), or the deploy key that
    CI leaves on the app server. Half the time the attacker arrived on lnx-app01 as an engineer
    with a stolen key through the bastion, the engineer's usual path (so the account changes at
    the hop); otherwise through the web application (no logon on record). Any time of day.
    An admin who hops from lnx-app01 to lnx-db01 with their own key in normal life is not the
    victim of the key variant: that would be the admin's own routine, indistinguishable.
    """
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    app, target = org.linux["lnx-app01"], "lnx-db01"
    engineers = [
        p for p in org.humans if p.role == ENGINEER and "lnx-app01" in p.linux_hosts and p.uid
    ]
    entry = ctx.pick(engineers) if engineers and rng.random() < 0.5 else None
    variant = rng.choice(("admin_password", "admin_key", "deploy_key"))
    admins = [p for p in org.role(ADMIN) if p.uid]
    if variant == "deploy_key":
        deploy = org.person("svc_deploy")
        account, uid, actor, key, method = "deploy", deploy.uid, "deploy", CI_KEY, "publickey"
        clock_person = entry or ctx.pick(engineers or admins)
    else:
        pool = admins
        if variant == "admin_key":
            pool = [a for a in admins if not server_hopper(world, a)] or admins
        victim = ctx.pick(pool)
        account, uid, actor = victim.sam, victim.uid, victim.actor
        key = victim.ssh_key if variant == "admin_key" else ""
        method = "publickey" if variant == "admin_key" else "password"
        clock_person = entry or victim
    day = ctx.day()
    when = rng.choice(("office", "office", "evening", "night"))
    if when == "office":
        t = ctx.office_hours(day, clock_person)
    elif when == "evening":
        t = ctx.evening(day, clock_person)
    else:
        t = ctx.night(day, clock_person)
    users, ips, hosts = [actor], [app.ip], ["lnx-app01", target]
    if entry is not None:
        source = world.vpn_ip(rng)
        linux.ssh_session(
            t, "bastion01", entry.sam, entry.uid, source, 90 * MINUTE,
            key_fingerprint=entry.ssh_key, actor=entry.actor,
        )  # fmt: skip
        t += rng.randrange(1, 6) * MINUTE
        linux.ssh_session(
            t, "lnx-app01", entry.sam, entry.uid, org.bastion.ip, 70 * MINUTE,
            key_fingerprint=entry.ssh_key, actor=entry.actor,
        )  # fmt: skip
        users.append(entry.actor)
        ips.append(source)
        hosts.append("bastion01")
    t += rng.randrange(4, 40) * MINUTE
    linux.ssh_session(
        t, target, account, uid, app.ip, rng.randrange(6, 30) * MINUTE, method=method,
        key_fingerprint=key, actor=actor,
    )  # fmt: skip
    if account != "deploy":
        for k, command in enumerate(rng.sample(_PIVOT_COMMANDS, 2)):
            linux.sudo(t + (k + 1) * 40_000, target, account, uid, command, actor=actor)
        if rng.random() < 0.3:  # and a routine command, as the admin would
            linux.sudo(
                t + 150_000, target, account, uid, rng.choice(LINUX_ADMIN_COMMANDS), actor=actor
            )
    if rng.random() < 0.4:  # the same credentials tried on the bastion, from the app server too
        linux.ssh_session(
            t + rng.randrange(3, 15) * MINUTE, "bastion01", account, uid, app.ip,
            rng.randrange(2, 10) * MINUTE, method=method, key_fingerprint=key, actor=actor,
        )  # fmt: skip
        hosts.append("bastion01")
    how = {"admin_password": "password", "admin_key": "key", "deploy_key": "CI deploy key"}
    came = f"arrived as {entry.sam} through the bastion" if entry else "no logon on record"
    return Injected(
        f"from lnx-app01 ({came}) ssh on to {target} as {account} with a stolen "
        f"{how[variant]} ({when}), then {'sudo' if account != 'deploy' else 'a look around'}",
        users=users,
        hosts=hosts,
        ips=ips,
        primary=("user", actor),
    )


THREATS: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "brute_force_user",
            CREDENTIAL_MISUSE,
            "Brute Force: Password Guessing",
            ("T1110.001",),
            brute_force_user,
        ),
        AttackKind(
            "kerberoasting",
            CREDENTIAL_MISUSE,
            "Steal or Forge Kerberos Tickets: Kerberoasting",
            ("T1558.003",),
            kerberoasting,
        ),
        AttackKind(
            "privileged_reset_use",
            PRIVILEGE_ABUSE,
            "Account Manipulation (privileged password reset, then use)",
            ("T1098", "T1078.002"),
            privileged_reset_use,
        ),
        AttackKind(
            "linux_sudo_group_add",
            PRIVILEGE_ABUSE,
            "Account Manipulation: sudo group add, then sudo",
            ("T1098", "T1548.003"),
            linux_sudo_group_add,
        ),
        AttackKind(
            "aws_permission_sweep",
            PRIVILEGE_ABUSE,
            "Permission changes en masse (cloud policies, ACLs, roles)",
            ("T1098.003", "T1222", "T1537"),
            aws_permission_sweep,
        ),
        AttackKind(
            "pass_the_hash",
            LATERAL_MOVEMENT,
            "Use Alternate Authentication Material: Pass the Hash",
            ("T1550.002", "T1021.002"),
            pass_the_hash,
        ),
        AttackKind(
            "lateral_remote_exec",
            LATERAL_MOVEMENT,
            "WMI, WinRM and remote scheduled tasks",
            ("T1047", "T1021.006", "T1053.005"),
            lateral_remote_exec,
        ),
        AttackKind(
            "linux_ssh_pivot",
            LATERAL_MOVEMENT,
            "Remote Services: SSH from one internal Linux host to another with stolen credentials",
            ("T1021.004", "T1552.004", "T1078"),
            linux_ssh_pivot,
        ),
        AttackKind(
            "source_host_fanout",
            LATERAL_MOVEMENT,
            "Remote Services from a compromised server (fan-out by source host)",
            ("T1021.002", "T1078.002", "T1003"),
            source_host_fanout,
        ),
    )
}
