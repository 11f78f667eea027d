"""Round 17: attack kinds nobody on the team had written yet (``--attacks novel17``).

Opt-in by name or ``--attacks novel17``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Each is
written in the raw formats the parsers read (HELK Windows JSON, syslog, CloudTrail) the way an
operator does it with ordinary tools: a phone call to the helpdesk, a residential proxy and a
password without the second factor, Whisker and Rubeus ``asktgt /certificate`` (shadow
credentials), PowerMad + Rubeus ``s4u`` and impacket ``secretsdump`` (resource-based
constrained delegation), ``aws iam create-policy-version --set-as-default``, ``useradd -o -u 0``,
Rubeus ``ptt`` with a ticket taken from a server's memory, and ``mstsc`` from a server. Their
benign look-alikes live in normal life: the helpdesk admins reset office users' passwords every
day, everyone signs in to the AWS console, admins RDP and reach their servers, engineers use
their roles, admins sudo as root.
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
    random_hex,
    random_name,
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
    console_agent,
    public_ip,
)

_SYSTEM32 = "C:\\Windows\\System32\\"
_CMD = _SYSTEM32 + "cmd.exe"
_EXPLORER = "C:\\Windows\\explorer.exe"
_SERVER_KINDS = ("app", "sql", "file", "web")


def _guid(ctx: Context) -> str:
    h = random_hex(ctx, 32, upper=True)
    return "{" + f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" + "}"


def _owner(ctx: Context) -> Person:
    org = ctx.org
    return ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])


def _next_weekday(ctx: Context, day: int) -> int:
    while day < ctx.world.days - 1 and ctx.world.clock.weekday(day) >= 5:
        day += 1
    return day


def _ds_write(
    ctx: Context,
    t: int,
    dc: Host,
    who: Person,
    session: str,
    *,
    dn: str,
    object_class: str,
    attribute: str,
    syntax: str,
    value: str,
) -> None:
    """5136 (a directory object was modified: value added), logged on the DC."""
    fields = {
        "OpCorrelationID": _guid(ctx),
        "AppCorrelationID": "-",
        "SubjectUserSid": who.sid,
        "SubjectUserName": who.sam,
        "SubjectDomainName": ctx.world.win.netbios,
        "SubjectLogonId": session,
        "DSName": ctx.world.win.dns_domain,
        "DSType": "%%14676",
        "ObjectDN": dn,
        "ObjectGUID": _guid(ctx),
        "ObjectClass": object_class,
        "AttributeLDAPDisplayName": attribute,
        "AttributeSyntaxOID": syntax,
        "AttributeValue": value,
        "OperationType": "%%14674",
    }
    ctx.world.win.sink.win(t, dc, 5136, fields, actor=who.actor)


# --------------------------------------------------------------------------------------------
# credential_misuse


def helpdesk_reset_takeover(ctx: Context) -> Injected:
    """Account takeover through the helpdesk: a caller posing as an office user has the
    helpdesk admin reset the user's password (4724 from the management host, exactly as every
    day's resets), and within the hour the account signs in over the VPN from the caller's own,
    non-domain machine (NTLM, an unknown workstation name) to the user's file shares; again on
    one or two later days, at varied hours."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    resetters = [p for p in org.role(ADMIN) if p.resetter] or org.role(ADMIN)
    helpdesk = rng.choice(resetters)  # deceived, not an attacker: not in the truth's entities
    victim = ctx.pick(
        [p for p in org.humans if p.role in (OFFICE, EXECUTIVE) and p.first_day == 0 and p.servers]
    )
    day = _next_weekday(ctx, ctx.day(4))
    mgmt, dc = org.hosts["MGMT01"], org.dc_for(victim)
    t = ctx.office_hours(day, helpdesk)
    session = win.logon(t, dc, helpdesk, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
    win.account_changed(t + 15_000, dc, helpdesk, session, 4724, victim)
    win.logoff(t + MINUTE, dc, helpdesk, session, 3)
    rogue = "DESKTOP-" + random_hex(ctx, 7, upper=True)
    servers = sorted(s for s in victim.servers if s in org.hosts)
    shares = ("Finance", "HR", "Projects", "Users", "Shared")
    ips: list[str] = []
    hosts: list[str] = [dc.short]
    uses = 0
    t += rng.randrange(12, 50) * MINUTE
    while uses < rng.randrange(2, 4) and day < world.days:
        ip = world.vpn_ip(rng)
        ips.append(ip)
        machine = Host(rogue, rogue.lower(), ip, "workstation", victim.site.tz, 0, "", "")
        for name in rng.sample(servers, min(len(servers), rng.randrange(1, 3))):
            server = org.hosts[name]
            win.ntlm_validation(t - 300, dc, victim.sam, rogue, actor=victim.actor)
            logon = win.logon(t, server, victim, 3, src=machine, auth="NTLM")
            share = rng.choice(shares)
            win.share(t + 500, server, victim, logon, ip, share)
            for k in range(rng.randrange(3, 9)):
                win.share(
                    t + 2000 + k * rng.randrange(5, 40) * 1000, server, victim, logon, ip, share,
                    relative=f"{random_name(rng, 6)}\\{random_name(rng, 8)}.xlsx",
                )  # fmt: skip
            win.logoff(t + rng.randrange(5, 25) * MINUTE, server, victim, logon, 3)
            hosts.append(server.short)
            t += rng.randrange(3, 12) * MINUTE
        uses += 1
        day += rng.randrange(1, 4)
        if day >= world.days:
            break
        t = ctx.place(day, victim, rng.uniform(7.0, 23.0) * 60)
    return Injected(
        f"{helpdesk.sam} resets {victim.sam}'s password at a caller's request; the account then "
        f"signs in over the VPN from a non-domain machine ({rogue}) to its file shares, "
        f"{uses} time(s) over days",
        users=[victim.actor],
        hosts=hosts,
        ips=ips,
        primary=("user", victim.actor),
    )


def aws_console_no_mfa_slow(ctx: Context) -> Injected:
    """A phished console password used without the second factor, low and slow: a sign-in
    without MFA (the user always signs in with it) from a residential proxy in an ordinary ISP's
    range, at the user's working hours, every two to four days, a few reads each time."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws])
    day = ctx.day(6)
    ua = rng.choice(ATTACKER_BROWSERS)
    reads = (
        ("s3.amazonaws.com", "ListBuckets", None),
        ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
        ("iam.amazonaws.com", "ListUsers", None),
        ("secretsmanager.amazonaws.com", "ListSecrets", None),
        ("rds.amazonaws.com", "DescribeDBInstances", None),
        ("s3.amazonaws.com", "GetBucketPolicy", {"bucketName": "backups"}),
    )
    ips: list[str] = []
    logins = 0
    while day < world.days and logins < 4:
        ip = public_ip(rng, "residential")
        ips.append(ip)
        t = ctx.office_hours(day, victim)
        user = trail.iam_user(victim.sam, victim.aws_principal, "")
        trail.console_login(t, user, ip=ip, user_agent=ua, mfa=False, actor=victim.actor)
        t += rng.randrange(10, 60) * 1000
        identity = assume_role(world, victim, t, ip, ua, rng)
        for source, name, params in rng.sample(reads, rng.randrange(2, 5)):
            t += rng.randrange(20, 300) * 1000
            trail.call(
                t, identity, source, name, ip=ip, user_agent=console_agent(source), params=params,
                actor=victim.actor,
            )  # fmt: skip
        logins += 1
        day += rng.randrange(2, 5)
    return Injected(
        f"{victim.sam}'s console password is used without MFA from residential addresses "
        f"({', '.join(ips)}) at working hours, {logins} sign-ins days apart",
        users=[victim.actor],
        ips=ips,
        primary=("user", victim.actor),
    )


def shadow_credentials(ctx: Context) -> Injected:
    """Shadow credentials (Whisker): an engineer's account, from the engineer's workstation,
    adds a key to an admin's ``msDS-KeyCredentialLink`` (5136; write rights left on the object
    by a delegated OU permission), then asks for the admin's TGT with that certificate (PKINIT,
    4768 pre-authentication type 16) from the same address, and uses it on the admin's
    servers."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    actor = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(actor, day)
    dc = org.dc_for(actor)
    t = ctx.office_hours(day, actor) if rng.random() < 0.5 else ctx.evening(day, actor)
    win.tgs(t - 400, dc, actor, ip, dc)
    session = win.logon(t, dc, actor, 3, src=ws)
    device = _guid(ctx)[1:-1].lower()
    _ds_write(
        ctx, t + 3000, dc, actor, session, dn=admin.dn, object_class="user",
        attribute="msDS-KeyCredentialLink", syntax="2.5.5.7",
        value=f"B:828:0002{random_hex(ctx, 60, upper=True)}:{admin.dn}",
    )  # fmt: skip
    win.logoff(t + 40_000, dc, actor, session, 3)
    t += rng.randrange(2, 20) * MINUTE
    fields = {
        "TargetUserName": admin.sam,
        "TargetDomainName": win.dns_domain,
        "TargetSid": admin.sid,
        "ServiceName": "krbtgt",
        "ServiceSid": f"{win.domain_sid}-502",
        "TicketOptions": "0x40800010",
        "Status": "0x0",
        "TicketEncryptionType": "0x12",
        "PreAuthType": "16",
        "IpAddress": f"::ffff:{ip}",
        "IpPort": str(rng.randrange(49152, 65535)),
        "CertIssuerName": f"CN={admin.sam}",
        "CertSerialNumber": random_hex(ctx, 32, upper=True),
        "CertThumbprint": random_hex(ctx, 40, upper=True),
    }
    win.sink.win(t, dc, 4768, fields, actor=admin.actor)
    servers = sorted(s for s in admin.servers if org.hosts[s].kind in _SERVER_KINDS)
    targets = [org.hosts[s] for s in rng.sample(servers, min(len(servers), rng.randrange(1, 3)))]
    for target in targets:
        t += rng.randrange(1, 8) * MINUTE
        win.tgs(t - 300, dc, admin, ip, target)
        logon = win.logon(t, target, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        win.share(t + 400, target, admin, logon, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(1, 5) * MINUTE, target, admin, logon, 3)
    return Injected(
        f"{actor.sam} writes a key credential (device {device[:8]}) to {admin.sam}'s "
        f"msDS-KeyCredentialLink from {ws.name}, takes {admin.sam}'s TGT with the certificate "
        f"(PKINIT) and logs on to {', '.join(h.name for h in targets)}",
        users=[actor.actor, admin.actor],
        hosts=[ws.short, dc.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", actor.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def rbcd_delegation(ctx: Context) -> Injected:
    """Resource-based constrained delegation: an engineer's account creates a computer account
    (the default machine-account quota lets any user add ten; 4741), writes it into a server's
    ``msDS-AllowedToActOnBehalfOfOtherIdentity`` (5136), then, as that computer, asks for a
    service ticket to the server on behalf of an admin (S4U2self + S4U2proxy, 4769) and dumps the
    server's secrets over the remote registry as the admin (a network logon, ``IPC$\\winreg``)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    actor = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.first_day == 0])
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(actor, day)
    dc = org.dc_for(actor)
    servers = sorted(
        (h for h in org.hosts.values() if h.kind in _SERVER_KINDS and h.since_day <= day),
        key=lambda h: h.name,
    )
    server = rng.choice(servers)
    name = rng.choice(("WS", "PC", "LT", "SRV")) + "-" + random_hex(ctx, 6, upper=True)
    fake = Host(
        name=name,
        fqdn=f"{name.lower()}.{win.dns_domain}",
        ip=ip,
        kind="workstation",
        tz=ws.tz,
        lag_ms=0,
        sid=f"{win.domain_sid}-{rng.randrange(20_000, 60_000)}",
        dn=f"CN={name},CN=Computers,{org.base_dn}",
        since_day=day,
    )
    t = ctx.office_hours(day, actor) if rng.random() < 0.5 else ctx.evening(day, actor)
    win.tgs(t - 400, dc, actor, ip, dc)
    session = win.logon(t, dc, actor, 3, src=ws)
    win.computer_created(t + 2000, dc, actor, session, fake)
    _ds_write(
        ctx, t + 9000, dc, actor, session, dn=server.dn, object_class="computer",
        attribute="msDS-AllowedToActOnBehalfOfOtherIdentity", syntax="2.5.5.15",
        value=f"O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;{fake.sid})",
    )  # fmt: skip
    win.logoff(t + MINUTE, dc, actor, session, 3)
    t += rng.randrange(1, 10) * MINUTE
    win.tgt(t, dc, fake, ip)
    realm = win.realm
    for service, transited in ((fake, "-"), (server, f"{fake.sam}@{realm}")):
        fields = {
            "TargetUserName": f"{fake.sam}@{realm}",
            "TargetDomainName": realm,
            "ServiceName": service.sam,
            "ServiceSid": service.sid,
            "TicketOptions": "0x40810000" if transited == "-" else "0x40820010",
            "TicketEncryptionType": "0x12",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": str(rng.randrange(49152, 65535)),
            "Status": "0x0",
            "LogonGuid": _guid(ctx),
            "TransmittedServices": transited,
        }
        t += rng.randrange(1, 5) * 1000
        win.sink.win(t, dc, 4769, fields, actor=actor.actor)
    t += rng.randrange(10, 60) * 1000
    logon = win.logon(t, server, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
    win.share(t + 300, server, admin, logon, ip, "IPC$")
    win.share(t + 600, server, admin, logon, ip, "IPC$", relative="winreg")
    win.share(t + 4000, server, admin, logon, ip, "ADMIN$", local_path="\\??\\C:\\Windows",
              relative=f"Temp\\{random_name(rng, 8)}.tmp", access_mask="0x2")  # fmt: skip
    win.logoff(t + rng.randrange(1, 4) * MINUTE, server, admin, logon, 3)
    return Injected(
        f"{actor.sam} adds computer {fake.sam} from {ws.name}, lets it act on behalf of anyone "
        f"on {server.name} (msDS-AllowedToActOnBehalfOfOtherIdentity), then impersonates "
        f"{admin.sam} there (S4U) and reads the registry's secrets",
        users=[actor.actor, admin.actor],
        hosts=[ws.short, dc.short, server.short, fake.short],
        ips=[ip],
        primary=("user", actor.actor),
    )


def aws_policy_version_default(ctx: Context) -> Injected:
    """``iam:CreatePolicyVersion --set-as-default`` by an engineer on the customer-managed
    policy attached to their own role: a new default version allowing everything (no new
    attachment, no new role, so nothing "attached admin" fires), secrets read with it, and
    two to four days later the original version made the default again and the admin version
    deleted."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    actor = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.weekday(5)
    t = ctx.office_hours(day, actor) if rng.random() < 0.6 else ctx.evening(day, actor)
    ip = aws_source(world, actor, day, rng.random() < 0.4, rng)
    ua = actor.cli_ua
    identity = assume_role(world, actor, t, ip, ua, rng)
    account = org.aws_account
    arn = f"arn:aws:iam::{account}:policy/{actor.aws_role}-{rng.choice(('access', 'deploy'))}"

    def call(
        name: str,
        source: str = "iam.amazonaws.com",
        *,
        params: dict[str, object] | None = None,
        response: dict[str, object] | None = None,
        read_only: bool = True,
    ) -> None:
        nonlocal t
        t += rng.randrange(10, 90) * 1000
        trail.call(
            t, identity, source, name, ip=ip, user_agent=ua, params=params, response=response,
            read_only=read_only, actor=actor.actor,
        )  # fmt: skip

    call("ListAttachedRolePolicies", params={"roleName": actor.aws_role})
    call("ListPolicyVersions", params={"policyArn": arn})
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    call(
        "CreatePolicyVersion",
        params={"policyArn": arn, "policyDocument": document, "setAsDefault": True},
        response={"policyVersion": {"versionId": "v2", "isDefaultVersion": True}},
        read_only=False,
    )
    for secret in rng.sample(("prod/db", "prod/api-key", "prod/stripe", "ci/deploy-key"), 2):
        call("GetSecretValue", "secretsmanager.amazonaws.com", params={"secretId": secret})
    call("ListUsers")
    later = day + rng.randrange(2, 5)
    if later < world.days:
        t = ctx.office_hours(later, actor)
        identity = assume_role(world, actor, t, ip, ua, rng)
        call(
            "SetDefaultPolicyVersion",
            params={"policyArn": arn, "versionId": "v1"},
            read_only=False,
        )
        call("DeletePolicyVersion", params={"policyArn": arn, "versionId": "v2"}, read_only=False)
    return Injected(
        f"{actor.sam}'s role session makes an Allow *:* version the default of {arn} "
        "(attached to their own role), reads secrets with it, and restores the old version later",
        users=[actor.actor],
        ips=[ip],
        primary=("user", actor.actor),
    )


def linux_uid0_account(ctx: Context) -> Injected:
    """A second root: a stolen admin account runs ``sudo useradd -o -u 0 -g 0`` on the bastion
    (a non-unique uid 0 under a daemon-like name) and sets its password; a day or more later
    that name signs in with the password from a hosting address at night, once or twice."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    admin = ctx.pick([p for p in org.role(ADMIN) if p.uid])
    day = ctx.day(5)
    t = ctx.evening(day, admin) if rng.random() < 0.5 else ctx.office_hours(day, admin)
    source = world.vpn_ip(rng)
    linux.ssh_session(
        t, "bastion01", admin.sam, admin.uid, source, 25 * MINUTE,
        key_fingerprint=admin.ssh_key, actor=admin.actor,
    )  # fmt: skip
    name = rng.choice(("sysupdate", "nscd-cache", "systemd-sync", "dbus-helper", "apt-mirror"))
    t += rng.randrange(2, 8) * MINUTE
    linux.sudo(
        t, "bastion01", admin.sam, admin.uid,
        f"/usr/sbin/useradd -o -u 0 -g 0 -M -d /root -s /bin/bash {name}", actor=admin.actor,
    )  # fmt: skip
    linux.sink.syslog(
        t + 300, "bastion01", "useradd",
        f"new user: name={name}, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
        session=f"u{rng.randrange(10**6)}",
    )  # fmt: skip
    t += rng.randrange(20, 90) * 1000
    linux.sudo(t, "bastion01", admin.sam, admin.uid, f"/usr/bin/passwd {name}", actor=admin.actor)
    linux.sink.syslog(
        t + 8000, "bastion01", "passwd",
        f"pam_unix(passwd:chauthtok): password changed for {name}",
        session=f"p{rng.randrange(10**6)}",
    )  # fmt: skip
    attacker = public_ip(rng, "hosting")
    logins = 0
    next_day = day + rng.randrange(1, 3)
    while next_day < world.days and logins < 2:
        t2 = ctx.night(next_day, admin)
        linux.ssh_session(
            t2, "bastion01", name, 0, attacker, rng.randrange(4, 25) * MINUTE,
            method="password", actor=name,
        )  # fmt: skip
        logins += 1
        next_day += rng.randrange(1, 4)
    return Injected(
        f"{admin.sam} adds a second uid-0 account {name} on bastion01 with sudo and sets its "
        f"password; {name} logs in from {attacker} at night ({logins} time(s))",
        users=[admin.actor, name],
        hosts=["bastion01"],
        ips=[source, attacker],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def pass_the_ticket(ctx: Context) -> Injected:
    """Pass-the-ticket: an admin's TGT taken from a server's memory (Rubeus ``dump``) is
    imported on an office user's workstation (``ptt``); no TGT is ever asked from there (no
    4768, no 4648), only service tickets (4769, AES, as the admin's own) and Kerberos network
    logons to the admin's servers, ``C$`` on each, over two days while the ticket renews."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday(3)
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    servers = sorted(s for s in admin.servers if org.hosts[s].kind in _SERVER_KINDS)
    targets = [org.hosts[s] for s in rng.sample(servers, min(len(servers), rng.randrange(2, 5)))]
    done: list[str] = []
    t = ctx.office_hours(day, owner) if rng.random() < 0.6 else ctx.evening(day, owner)
    for index, target in enumerate(targets):
        if index and rng.random() < 0.5 and day + 1 < world.days:
            day += 1
            t = ctx.office_hours(day, owner)
        t += rng.randrange(2, 25) * MINUTE
        win.tgs(t - 300, dc, admin, ip, target)
        cifs = rng.random() < 0.5
        logon = win.logon(t, target, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 500, target, admin, logon, ip, "C$" if cifs else "IPC$",
                  local_path="\\??\\C:\\" if cifs else "")  # fmt: skip
        if cifs:
            win.share(t + 4000, target, admin, logon, ip, "C$", local_path="\\??\\C:\\",
                      relative="Users")  # fmt: skip
        win.logoff(t + rng.randrange(1, 6) * MINUTE, target, admin, logon, 3)
        done.append(target.name)
    return Injected(
        f"pass-the-ticket: {admin.sam}'s TGT imported on {foothold.name} ({owner.sam}'s "
        f"workstation), service tickets and logons to {', '.join(done)}",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, *(org.hosts[n].short for n in done)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def rdp_server_to_workstation(ctx: Context) -> Injected:
    """RDP in the wrong direction: from a compromised server, an admin's account opens desktop
    sessions (4624 type 10) on two to four people's workstations (executives and finance
    first: their mail and files), browses their documents and the file shares from there; one
    or two an evening over one or two days. Admins RDP *to* servers; the helpdesk reaches
    workstations from its own workstation with its remote-control tool."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    day = ctx.weekday(3)
    servers = [
        h for h in org.hosts.values() if h.kind in ("app", "web", "sql") and h.since_day <= day
    ]
    source = rng.choice(sorted(servers, key=lambda h: h.name))
    people = [
        p
        for p in org.humans
        if p.role in (EXECUTIVE, OFFICE) and p.first_day == 0 and p is not admin
    ]
    people.sort(key=lambda p: (p.role != EXECUTIVE, p.dept != "Finance", p.sam))
    count = rng.randrange(2, 5)
    victims = rng.sample(people[: max(count, 8)], min(count, len(people)))
    dc = org.dc_for(admin)
    done: list[str] = []
    t = ctx.evening(day, admin)
    for index, person in enumerate(victims):
        if index and rng.random() < 0.4 and day + 1 < world.days:
            day += 1
            t = ctx.evening(day, admin)
        target = person.workstation_on(day)
        if target is None:
            continue
        t += rng.randrange(3, 30) * MINUTE
        win.tgs(t - 400, dc, admin, source.ip, target)
        logon = win.logon(t, target, admin, 10, src=source, privileges=ADMIN_PRIVILEGES)
        commands = (
            (_EXPLORER, "explorer.exe"),
            (_CMD, f"cmd.exe /c dir C:\\Users\\{person.sam}\\Documents /s"),
            (_SYSTEM32 + "notepad.exe", f"notepad.exe C:\\Users\\{person.sam}\\Desktop\\notes.txt"),
        )
        for k, (image, command) in enumerate(rng.sample(commands, 2)):
            win.process(t + 30_000 + k * 40_000, target, admin, logon, image, command,
                        elevated=True)  # fmt: skip
        win.logoff(t + rng.randrange(8, 30) * MINUTE, target, admin, logon, 10)
        done.append(target.name)
    if not done:
        raise ValueError("no workstation for rdp_server_to_workstation")
    return Injected(
        f"{admin.sam}'s account RDPs from server {source.name} to workstations "
        f"{', '.join(done)} in the evening",
        users=[admin.actor],
        hosts=[source.short, *(org.hosts[n].short for n in done)],
        ips=[source.ip],
        primary=("user", admin.actor),
    )


NOVEL17: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "helpdesk_reset_takeover",
            CREDENTIAL_MISUSE,
            "Valid Accounts: helpdesk password reset, then sign-in from a non-domain machine",
            ("T1078.002", "T1656", "T1098"),
            helpdesk_reset_takeover,
        ),
        AttackKind(
            "aws_console_no_mfa_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: Cloud Accounts (console password without MFA, low and slow)",
            ("T1078.004", "T1111"),
            aws_console_no_mfa_slow,
        ),
        AttackKind(
            "shadow_credentials",
            CREDENTIAL_MISUSE,
            "Modify Authentication Process: shadow credentials (msDS-KeyCredentialLink, PKINIT)",
            ("T1556", "T1098", "T1550"),
            shadow_credentials,
        ),
        AttackKind(
            "rbcd_delegation",
            PRIVILEGE_ABUSE,
            "Resource-based constrained delegation by a non-admin (machine account + S4U)",
            ("T1134.001", "T1558", "T1136.002"),
            rbcd_delegation,
        ),
        AttackKind(
            "aws_policy_version_default",
            PRIVILEGE_ABUSE,
            "Account Manipulation: IAM policy version set as default (Allow *:*)",
            ("T1098.003", "T1078.004"),
            aws_policy_version_default,
        ),
        AttackKind(
            "linux_uid0_account",
            PRIVILEGE_ABUSE,
            "Create Account: Local Account with uid 0, then used from outside",
            ("T1136.001", "T1078.003", "T1548.003"),
            linux_uid0_account,
        ),
        AttackKind(
            "pass_the_ticket",
            LATERAL_MOVEMENT,
            "Use Alternate Authentication Material: Pass the Ticket",
            ("T1550.003", "T1021.002"),
            pass_the_ticket,
        ),
        AttackKind(
            "rdp_server_to_workstation",
            LATERAL_MOVEMENT,
            "Remote Services: RDP from a server to users' workstations",
            ("T1021.001", "T1078.002"),
            rdp_server_to_workstation,
        ),
    )
}
