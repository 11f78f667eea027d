"""Round 11 (issue 3): the same threats done differently, again, with kinds nobody wrote yet.

Opt-in by name or ``--attacks other``: neither the default, ``all``, ``new``, ``every`` nor
``more`` holds them, so every existing seed set generates byte-identical scenarios. Each is
written in the raw formats the parsers read (HELK Windows JSON, syslog, CloudTrail) the way an
operator does it with ordinary tools (Rubeus brute/asreproast, the AWS CLI, ADUC / PowerShell
AD cmdlets, sudo, mstsc). Their benign look-alikes already live in normal life: people mistype
passwords (4771 0x18), the group changer adds and removes members, service accounts log on to
every server each night, engineers sudo as deploy, admins hop between servers.
"""

from __future__ import annotations

from benchmarks.scenario.context import (
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    aws_source,
)

_CMD = "C:\\Windows\\System32\\cmd.exe"
_POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
_RECON = (
    ("C:\\Windows\\System32\\whoami.exe", "whoami /all"),
    ("C:\\Windows\\System32\\net.exe", "net localgroup administrators"),
    ("C:\\Windows\\System32\\ipconfig.exe", "ipconfig /all"),
    ("C:\\Windows\\System32\\tasklist.exe", "tasklist /v"),
)


def _port(ctx: Context) -> str:
    return str(ctx.rng.randrange(49152, 65535))


# --------------------------------------------------------------------------------------------
# credential_misuse


def kerberos_spray_slow(ctx: Context) -> Injected:
    """Rubeus-style Kerberos password spray from one workstation: 4771 pre-auth failures (0x18)
    for many accounts, a few an hour over 2-3 working days, then one account's TGT succeeds."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    victim = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p is not owner])
    day = ctx.weekday(3)
    ws, ip = ctx.ws_ip(owner, day)
    sprayed = [p for p in org.humans if p is not owner and p is not victim]
    sprayed = rng.sample(sprayed, min(len(sprayed), rng.randrange(15, 30)))
    days = rng.randrange(2, 4)
    per_day = -(-len(sprayed) // days)
    tried = 0
    for d in range(days):
        if day + d >= world.days:
            break
        t = ctx.office_hours(day + d, owner)
        for person in sprayed[d * per_day : (d + 1) * per_day]:
            t += rng.randrange(12, 30) * MINUTE  # a few an hour: under any lockout window
            win.preauth_failed(t, org.dc_for(person), person, ip)
            tried += 1
    t += rng.randrange(10, 40) * MINUTE
    dc = org.dc_for(victim)
    win.tgt(t, dc, victim, ip)
    target = org.hosts[next(iter(sorted(victim.servers)), dc.name)] if victim.servers else dc
    win.tgs(t + 400, dc, victim, ip, target)
    session = win.logon(t + 900, target, victim, 3, src=ws)
    win.share(t + 1300, target, victim, session, ip, "IPC$")
    win.logoff(t + rng.randrange(2, 10) * MINUTE, target, victim, session, 3)
    return Injected(
        f"Kerberos password spray from {ws.name} ({owner.sam}'s workstation): {tried} accounts "
        f"fail pre-authentication over {days} days, then {victim.sam}'s password works",
        users=[victim.actor, owner.actor],
        hosts=[ws.short, target.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def asrep_roast(ctx: Context) -> Injected:
    """Rubeus asreproast from a user's workstation: 4768 TGTs without pre-authentication
    (PreAuthType 0) in RC4 for the few accounts that have "do not require pre-auth" set."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.day()
    ws, ip = ctx.ws_ip(owner, day)
    others = [p for p in org.people if p is not owner]
    roasted = rng.sample(others, min(len(others), rng.randrange(2, 6)))
    t = ctx.office_hours(day, owner) if rng.random() < 0.6 else ctx.evening(day, owner)
    dc = org.dc_for(owner)
    for person in roasted:
        t += rng.randrange(1, 8) * 1000
        fields = {
            "TargetUserName": person.sam,
            "TargetDomainName": win.dns_domain,
            "TargetSid": person.sid,
            "ServiceName": "krbtgt",
            "ServiceSid": f"{win.domain_sid}-502",
            "TicketOptions": "0x40800010",
            "Status": "0x0",
            "TicketEncryptionType": "0x17",
            "PreAuthType": "0",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": _port(ctx),
            "CertIssuerName": "",
            "CertSerialNumber": "",
            "CertThumbprint": "",
        }
        win.sink.win(t, dc, 4768, fields, actor=owner.actor)
    return Injected(
        f"AS-REP roasting from {ws.name} ({owner.sam}'s workstation): RC4 TGTs without "
        f"pre-authentication for {', '.join(p.sam for p in roasted)}",
        users=[owner.actor],
        hosts=[ws.short, dc.short],
        ips=[ip],
        primary=("user", owner.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def aws_self_admin(ctx: Context) -> Injected:
    """An engineer (or their stolen key) attaches AdministratorAccess to their own IAM user, then
    gives another existing IAM user a console password and a new access key."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    actor = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    other = ctx.pick([p for p in org.humans if p.aws and p is not actor])
    day = ctx.weekday()
    t = ctx.office_hours(day, actor) if rng.random() < 0.5 else ctx.evening(day, actor)
    ip = aws_source(world, actor, day, True, rng)
    ua = actor.cli_ua
    user = trail.iam_user(actor.sam, actor.aws_principal, actor.aws_keys[0])
    key = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    admin_policy = "arn:aws:iam::aws:policy/AdministratorAccess"
    steps: tuple[tuple[str, dict[str, object], dict[str, object] | None], ...] = (
        ("ListAttachedUserPolicies", {"userName": actor.sam}, None),
        ("AttachUserPolicy", {"userName": actor.sam, "policyArn": admin_policy}, None),
        ("CreateLoginProfile", {"userName": other.sam, "passwordResetRequired": False}, None),
        (
            "CreateAccessKey",
            {"userName": other.sam},
            {"accessKey": {"accessKeyId": key, "status": "Active", "userName": other.sam}},
        ),
    )
    for name, params, response in steps:
        t += rng.randrange(5, 60) * 1000
        trail.call(
            t, user, "iam.amazonaws.com", name, ip=ip, user_agent=ua, params=params,
            response=response, read_only=name.startswith("List"), actor=actor.actor,
        )  # fmt: skip
    return Injected(
        f"{actor.sam} attaches AdministratorAccess to their own IAM user, then creates a login "
        f"profile and an access key for {other.sam}",
        users=[actor.actor, other.actor],
        ips=[ip],
        primary=("user", actor.actor),
    )


def group_add_remove(ctx: Context) -> Injected:
    """An admin adds their own ordinary account to a sensitive group, uses it, and removes it an
    hour later (4728 then 4729): the membership is gone before anyone reviews groups."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admins = org.role(ADMIN)
    actor = ctx.pick([a for a in admins if not a.group_changer] or admins)
    member = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    group, rid = rng.choice(
        (("Domain Admins", 512), ("Enterprise Admins", 519), ("Schema Admins", 518))
    )
    day = ctx.weekday()
    dc = org.hosts["DC01"]
    ws, _ = ctx.ws_ip(actor, day)
    t = ctx.evening(day, actor) if rng.random() < 0.5 else ctx.office_hours(day, actor)
    session = win.logon(t, dc, actor, 10, src=ws, privileges=ADMIN_PRIVILEGES)
    sid = f"{org.domain_sid}-{rid}"
    win.group_member_added(t + 2 * MINUTE, dc, actor, session, member, group, sid)
    win.logoff(t + 4 * MINUTE, dc, actor, session, 10)
    member_ws, member_ip = ctx.ws_ip(member, day)
    t2 = t + rng.randrange(10, 30) * MINUTE
    member_dc = org.dc_for(member)
    used = org.hosts["DC02"] if member_dc.name == "DC01" else org.hosts["DC01"]
    win.tgs(t2, member_dc, member, member_ip, used)
    logon = win.logon(t2 + 500, used, member, 3, src=member_ws, privileges=ADMIN_PRIVILEGES)
    win.logoff(t2 + rng.randrange(3, 15) * MINUTE, used, member, logon, 3)
    t3 = t + rng.randrange(50, 80) * MINUTE
    again = win.logon(t3, dc, actor, 10, src=ws, privileges=ADMIN_PRIVILEGES)
    fields: dict[str, str] = {"MemberName": member.dn, "MemberSid": member.sid}
    fields.update(TargetUserName=group, TargetDomainName=win.netbios, TargetSid=sid)
    fields.update(
        SubjectUserSid=actor.sid, SubjectUserName=actor.sam, SubjectDomainName=win.netbios,
        SubjectLogonId=again, PrivilegeList="-",
    )  # fmt: skip
    win.sink.win(t3 + 90_000, dc, 4729, fields, actor=actor.actor)
    win.logoff(t3 + 3 * MINUTE, dc, actor, again, 10)
    return Injected(
        f"{actor.sam} adds {member.sam} to {group}, {member.sam} logs on to {used.name} with it, "
        f"and {actor.sam} removes the membership about an hour later",
        users=[actor.actor, member.actor],
        hosts=[dc.short, used.short],
        primary=("user", actor.actor),
    )


def adminsdholder_change(ctx: Context) -> Injected:
    """A stolen admin account edits AdminSDHolder's ACL (or a GPO's gPCFileSysPath) from a user's
    workstation: 5136 directory-object modifications a domain's admins almost never make."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.day()
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.evening(day, owner) if rng.random() < 0.5 else ctx.office_hours(day, owner)
    win.tgs(t - 600, dc, admin, ip, dc)
    session = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    if rng.random() < 0.5:
        dn = f"CN=AdminSDHolder,CN=System,{org.base_dn}"
        changes = [("nTSecurityDescriptor", "container", f"O:DAG:DAD:(A;;GA;;;{owner.sid})")]
        what = "AdminSDHolder's security descriptor"
    else:
        guid = "{" + "-".join(f"{rng.randrange(16**n):0{n}X}" for n in (8, 4, 4, 4, 12)) + "}"
        dn = f"CN={guid},CN=Policies,CN=System,{org.base_dn}"
        path = f"\\\\{foothold.name}\\share\\{guid}"
        changes = [("gPCFileSysPath", "groupPolicyContainer", path)]
        what = "a GPO's file path"
    for k, (attribute, object_class, value) in enumerate(changes):
        for n, operation in enumerate(("%%14675", "%%14674")):  # value deleted, value added
            fields = {
                "OpCorrelationID": "{" + f"{rng.randrange(16**8):08x}" + "-0000-0000-0000-0}",
                "AppCorrelationID": "-",
                "SubjectUserSid": admin.sid,
                "SubjectUserName": admin.sam,
                "SubjectDomainName": win.netbios,
                "SubjectLogonId": session,
                "DSName": win.dns_domain,
                "DSType": "%%14676",
                "ObjectDN": dn,
                "ObjectGUID": "{" + f"{rng.randrange(16**8):08x}" + "-1111-2222-3333-444455556666}",
                "ObjectClass": object_class,
                "AttributeLDAPDisplayName": attribute,
                "AttributeSyntaxOID": "2.5.5.15" if k == 0 else "2.5.5.12",
                "AttributeValue": value if n else "-",
                "OperationType": operation,
            }
            win.sink.win(t + 20_000 + n * 50, dc, 5136, fields, actor=admin.actor)
    win.logoff(t + rng.randrange(2, 6) * MINUTE, dc, admin, session, 3)
    return Injected(
        f"{admin.sam}'s account modifies {what} on {dc.name} from {foothold.name} "
        f"({owner.sam}'s workstation)",
        users=[admin.actor, owner.actor],
        hosts=[dc.short, foothold.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


def sudo_root_night(ctx: Context) -> Injected:
    """An engineer who sudoes only as deploy starts a root habit at night, one or two commands
    every night or two for a week, from the VPN through the bastion."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    victim = ctx.pick(
        [p for p in org.humans if p.uid and p.role == ENGINEER and p.sudo_as != "root"]
    )
    host = rng.choice(victim.linux_hosts or ["lnx-app01"])
    day = ctx.day(7)
    commands = (
        "/bin/cat /etc/shadow",
        "/usr/bin/tar czf /tmp/.c.tgz /etc/ssl/private",
        "/bin/bash",
        "/usr/bin/crontab -l",
        "/usr/bin/id",
    )
    nights, source = 0, world.vpn_ip(rng)
    while day < world.days and nights < 5:
        t = ctx.night(day, victim)
        linux.ssh_session(
            t, "bastion01", victim.sam, victim.uid, source, 40 * MINUTE,
            key_fingerprint=victim.ssh_key, actor=victim.actor,
        )  # fmt: skip
        hop = t + rng.randrange(1, 4) * MINUTE
        linux.ssh_session(
            hop, host, victim.sam, victim.uid, org.bastion.ip, 30 * MINUTE,
            key_fingerprint=victim.ssh_key, actor=victim.actor,
        )  # fmt: skip
        for k in range(rng.randrange(1, 3)):
            linux.sudo(
                hop + (k + 1) * rng.randrange(1, 5) * MINUTE, host, victim.sam, victim.uid,
                rng.choice(commands), actor=victim.actor,
            )  # fmt: skip
        nights += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"{victim.sam} (sudo as deploy only) runs commands as root on {host} at night on "
        f"{nights} nights",
        users=[victim.actor],
        hosts=[host, "bastion01"],
        ips=[source],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def service_account_rdp(ctx: Context) -> Injected:
    """A service account's password (from a script or a GPP file) used interactively: RDP from a
    user's workstation to servers, recon there. In normal life it logs on over the network
    only, from its own host."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    service = org.person(rng.choice(("svc_backup", "svc_web", "svc_scan")))
    owner = ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(owner, day)
    kinds = ("app", "sql", "file", "mgmt", "web")
    servers = sorted((h for h in org.hosts.values() if h.kind in kinds), key=lambda h: h.name)
    targets = rng.sample(servers, min(len(servers), rng.randrange(1, 3)))
    dc = org.dc_for(owner)
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    for target in targets:
        t += rng.randrange(3, 20) * MINUTE
        win.tgs(t - 700, dc, service, ip, target)
        session = win.logon(t, target, service, 10, src=ws, src_ip=ip, privileges=ADMIN_PRIVILEGES)
        for k, (image, command) in enumerate(rng.sample(_RECON, 2)):
            win.process(
                t + 50_000 + k * 15_000, target, service, session, image, command, parent=_CMD
            )
        win.logoff(t + rng.randrange(5, 25) * MINUTE, target, service, session, 10)
    return Injected(
        f"{service.sam} RDPs from {ws.name} ({owner.sam}'s workstation) to "
        f"{', '.join(h.name for h in targets)} and runs recon",
        users=[service.actor, owner.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", service.actor),
    )


def slow_chain_switch(ctx: Context) -> Injected:
    """A -> B -> C over days: the victim's own logon to a server they use (day 1), from there an
    admin's typed credentials to a second server (a day or two later), and from that server on
    to a third with the admin's account (days later again)."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick(
        [p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0 and p.servers]
    )
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday(6)
    ws, ip = ctx.ws_ip(victim, day)
    first = org.hosts[rng.choice(sorted(victim.servers))]
    kinds = ("app", "sql", "file", "mgmt", "web")
    servers = sorted(
        (
            h
            for h in org.hosts.values()
            if h.kind in kinds and h is not first and h.since_day <= day
        ),
        key=lambda h: h.name,
    )
    # B: a server the admin does not manage when there is one; C: any other server.
    outside = [h for h in ctx.hosts_outside(admin, day, kinds=kinds) if h in servers]
    second = rng.choice(outside or servers)
    third = rng.choice([h for h in servers if h is not second])
    dc = org.dc_for(victim)
    t = ctx.office_hours(day, victim)
    win.tgs(t - 500, dc, victim, ip, first)
    hop1 = win.logon(t, first, victim, 10, src=ws, src_ip=ip)
    win.logoff(t + rng.randrange(20, 60) * MINUTE, first, victim, hop1, 10)
    day2 = min(world.days - 1, day + rng.randrange(1, 3))
    t2 = ctx.office_hours(day2, victim)
    again = win.logon(t2, first, victim, 10, src=ws, src_ip=ip)
    win.explicit_credentials(
        t2 + 5 * MINUTE, first, victim, again, admin, second.name, target_info=second.fqdn,
        process="C:\\Windows\\System32\\mstsc.exe",
    )  # fmt: skip
    win.tgs(t2 + 5 * MINUTE + 300, org.dc_for(admin), admin, first.ip, second)
    hop2 = win.logon(
        t2 + 5 * MINUTE + 800, second, admin, 10, src=first, src_ip=first.ip,
        privileges=ADMIN_PRIVILEGES,
    )  # fmt: skip
    win.logoff(t2 + rng.randrange(20, 50) * MINUTE, second, admin, hop2, 10)
    win.logoff(t2 + 60 * MINUTE, first, victim, again, 10)
    day3 = min(world.days - 1, day2 + rng.randrange(1, 4))
    t3 = ctx.office_hours(day3, victim) + rng.randrange(0, 2) * HOUR
    hop2b = win.logon(
        t3, second, admin, 10, src=first, src_ip=first.ip, privileges=ADMIN_PRIVILEGES
    )
    win.tgs(t3 + 2 * MINUTE, org.dc_for(admin), admin, second.ip, third)
    hop3 = win.logon(
        t3 + 2 * MINUTE + 500, third, admin, 3, src=second, privileges=ADMIN_PRIVILEGES
    )
    win.share(t3 + 2 * MINUTE + 900, third, admin, hop3, second.ip, "C$")
    win.logoff(t3 + rng.randrange(5, 20) * MINUTE, third, admin, hop3, 3)
    win.logoff(t3 + 30 * MINUTE, second, admin, hop2b, 10)
    return Injected(
        f"{victim.sam} RDPs {ws.name} -> {first.name}; {day2 - day} day(s) later types "
        f"{admin.sam}'s credentials there and RDPs on to {second.name}; {day3 - day2} day(s) "
        f"later {admin.sam}'s account goes on from {second.name} to {third.name} (C$)",
        users=[victim.actor, admin.actor],
        hosts=[ws.short, first.short, second.short, third.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


OTHER: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "kerberos_spray_slow",
            CREDENTIAL_MISUSE,
            "Brute Force: Password Spraying (Kerberos pre-auth, low and slow)",
            ("T1110.003",),
            kerberos_spray_slow,
        ),
        AttackKind(
            "asrep_roast",
            CREDENTIAL_MISUSE,
            "Steal or Forge Kerberos Tickets: AS-REP Roasting",
            ("T1558.004",),
            asrep_roast,
        ),
        AttackKind(
            "aws_self_admin",
            PRIVILEGE_ABUSE,
            "Account Manipulation: Additional Cloud Credentials / Roles (self-granted admin)",
            ("T1098.001", "T1098.003"),
            aws_self_admin,
        ),
        AttackKind(
            "group_add_remove",
            PRIVILEGE_ABUSE,
            "Account Manipulation: temporary sensitive group membership",
            ("T1098", "T1078.002"),
            group_add_remove,
        ),
        AttackKind(
            "adminsdholder_change",
            PRIVILEGE_ABUSE,
            "Domain Policy Modification (AdminSDHolder ACL / GPO path)",
            ("T1484.001", "T1222.001"),
            adminsdholder_change,
        ),
        AttackKind(
            "sudo_root_night",
            PRIVILEGE_ABUSE,
            "Abuse Elevation Control Mechanism: Sudo (a new root habit at night)",
            ("T1548.003",),
            sudo_root_night,
        ),
        AttackKind(
            "service_account_rdp",
            LATERAL_MOVEMENT,
            "Valid Accounts: a service account used interactively (RDP)",
            ("T1078.002", "T1021.001"),
            service_account_rdp,
        ),
        AttackKind(
            "slow_chain_switch",
            LATERAL_MOVEMENT,
            "Remote Services chain over days with a credential switch",
            ("T1021.001", "T1021.002", "T1078.002"),
            slow_chain_switch,
        ),
    )
}
