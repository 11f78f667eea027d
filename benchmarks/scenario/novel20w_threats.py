"""Round 20: Windows / Active Directory attack kinds nobody on the team had written yet
(``--attacks novel20w``).

Opt-in by name or ``--attacks novel20w``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Each is
written as Windows logs it (HELK Windows JSON): a LAPS password read (4662 on ``ms-Mcs-AdmPwd``)
then the local Administrator's logon with it, a GPO edited to push an immediate scheduled task
to every computer it applies to, an AD CS certificate requested with an admin's name in the
subject alternative name and used for a PKINIT logon, an NTDS.dit copy through ``ntdsutil ifm``
on a DC, a forged (golden) ticket used with no TGT ever issued, and a domain controller coerced
into authenticating to a server with unconstrained delegation, its ticket then replicating the
directory (DCSync as the DC's own account).

The parser drops 4886/4887 (certificate services) and 5137 (directory object created); they are
written as Windows writes them, and only the events the parser keeps can count for an attack.
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
from benchmarks.scenario.generator import ADMIN, ENGINEER, MINUTE, OFFICE, Host, Person
from benchmarks.scenario.more_threats import LocalAccount

_SYSTEM32 = "C:\\Windows\\System32\\"
_CMD = _SYSTEM32 + "cmd.exe"
_POWERSHELL = _SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe"
_SERVER_KINDS = ("app", "sql", "file", "web")
_COMPUTER_CLASS = "{bf967a86-0de6-11d0-a285-00aa003049e2}"
_DOMAIN_DNS_CLASS = "{19195a5b-6da0-11d0-afd3-00c04fd930c9}"
_GPC_CLASS = "{f30e3bc2-9ff0-11d1-b603-0000f80367c1}"
_REPLICATION = (
    "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes
    "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes-All
)
# Group Policy Preferences' Scheduled Tasks client-side extension, as written into a GPO's
# gPCMachineExtensionNames when an (immediate) scheduled task item is added.
_GPP_TASKS_CSE = (
    "[{00000000-0000-0000-0000-000000000000}{CAB54552-DEEA-4691-817E-ED4A4D1AFC72}]"
    "[{AADCED64-746C-4633-A97C-D61349046527}{CAB54552-DEEA-4691-817E-ED4A4D1AFC72}]"
)


def _guid(ctx: Context) -> str:
    h = random_hex(ctx, 32, upper=True).lower()
    return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}}}"


def _owner(ctx: Context) -> Person:
    """An office user whose workstation is the attacker's foothold."""
    org = ctx.org
    return ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])


def _local_admin(ctx: Context, host: Host) -> LocalAccount:
    """The built-in local Administrator (RID 500) of ``host``'s own SAM."""
    rng = ctx.rng
    sid = "S-1-5-21-" + "-".join(str(rng.randrange(10**9, 4 * 10**9)) for _ in range(3)) + "-500"
    return LocalAccount(
        sam="Administrator", sid=sid, dn="Administrator", display="Administrator",
        actor="administrator",
    )  # fmt: skip


def _ds_change(
    ctx: Context, t: int, dc: Host, who: Person, session: str, dn: str, object_class: str,
    attribute: str, value: str, *, operation: str = "%%14674", correlation: str = "",
) -> None:  # fmt: skip
    """5136 (a directory object was modified), logged on the DC."""
    fields = {
        "OpCorrelationID": correlation or _guid(ctx),
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
        "AttributeSyntaxOID": "2.5.5.12" if attribute != "versionNumber" else "2.5.5.9",
        "AttributeValue": value,
        "OperationType": operation,
    }
    ctx.world.win.sink.win(t, dc, 5136, fields, actor=who.actor)


# --------------------------------------------------------------------------------------------
# credential_misuse


def golden_ticket(ctx: Context) -> Injected:
    """A forged TGT (mimikatz ``kerberos::golden /ptt`` with the krbtgt hash taken earlier) in
    an office user's session: no DC ever issued it, so no 4768 precedes the service tickets the
    workstation then asks for in an admin's name (RC4, as the tool's default), and the admin's
    name logs on to the DC and servers from that workstation in the evening, over two days."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday(3)
    dc = org.dc_for(admin)
    reached: list[Host] = []
    ips: list[str] = []
    for visit in range(2):
        if day >= world.days:
            break
        foothold, ip = ctx.ws_ip(owner, day)
        ips.append(ip)
        t = ctx.evening(day, owner)
        outside = ctx.hosts_outside(admin, day, kinds=_SERVER_KINDS)
        targets = [dc] if visit == 0 else []
        targets += rng.sample(outside, min(len(outside), rng.randrange(1, 3)))
        for host in targets:
            t += rng.randrange(2, 12) * MINUTE
            win.tgs(t - 400, dc, admin, ip, host, encryption="0x17")
            logon = win.logon(t, host, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
            win.share(t + 600, host, admin, logon, ip, "C$", local_path="\\??\\C:\\")
            if host is not dc:
                win.share(t + 1500, host, admin, logon, ip, "ADMIN$",
                          local_path="\\??\\C:\\Windows")  # fmt: skip
            win.logoff(t + rng.randrange(2, 9) * MINUTE, host, admin, logon, 3)
            reached.append(host)
        day += rng.randrange(1, 3)
    return Injected(
        f"a forged TGT in {owner.sam}'s session: service tickets (RC4) and logons as "
        f"{admin.sam} from {owner.sam}'s workstation to "
        f"{', '.join(dict.fromkeys(h.name for h in reached))} with no TGT ever issued",
        users=[admin.actor, owner.actor],
        hosts=[*(h.short for h in reached), *(ws.short for _, ws in owner.laptops)],
        ips=ips,
        primary=("user", admin.actor),
    )


def laps_password_read(ctx: Context) -> Injected:
    """An office user's stolen account reads the LAPS password (``ms-Mcs-AdmPwd``, a
    confidential attribute: 4662 Read Property on the DC) of several servers' computer
    objects; minutes later the servers' local Administrator logs on over NTLM from the user's
    workstation (4624 + 4672 on the server, the local account's 4776 on the server itself),
    opens C$ and runs recon."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    reader = _owner(ctx)
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(reader, day)
    dc = org.dc_for(reader)
    outside = ctx.hosts_outside(reader, day, kinds=_SERVER_KINDS)
    read = rng.sample(outside, min(len(outside), rng.randrange(3, 6)))
    used = read[: rng.randrange(1, 3)]
    t = ctx.office_hours(day, reader) if rng.random() < 0.5 else ctx.evening(day, reader)
    # Get-ADComputer -Properties ms-Mcs-AdmPwd over LDAP: an LDAP network logon on the DC.
    win.tgs(t - 900, dc, reader, ip, dc)
    session = win.logon(t, dc, reader, 3, src=foothold)
    attribute_guid = _guid(ctx)  # ms-Mcs-AdmPwd's schemaIDGUID is made when LAPS is installed
    for k, _computer in enumerate(read):
        fields = {
            "SubjectUserSid": reader.sid,
            "SubjectUserName": reader.sam,
            "SubjectDomainName": win.netbios,
            "SubjectLogonId": session,
            "ObjectServer": "DS",
            "ObjectType": f"%{_COMPUTER_CLASS}",
            "ObjectName": f"%{_guid(ctx)}",
            "OperationType": "Object Access",
            "HandleId": "0x0",
            "AccessList": "%%7684\r\n\t\t\t\t",
            "AccessMask": "0x10",
            "Properties": f"%%7684\r\n\t\t{attribute_guid}\r\n\t{_COMPUTER_CLASS}\r\n",
            "AdditionalInfo": "-",
            "AdditionalInfo2": "",
        }
        win.sink.win(t + 2000 + k * 700, dc, 4662, fields, actor=reader.actor)
    win.logoff(t + 40_000, dc, reader, session, 3)
    for host in used:
        t += rng.randrange(3, 20) * MINUTE
        local = _local_admin(ctx, host)
        fields = {
            "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
            "TargetUserName": "Administrator",
            "Workstation": foothold.name,
            "Status": "0x0",
        }
        win.sink.win(t - 100, host, 4776, fields, actor=local.actor)
        logon = win.logon(t, host, local, 3, src=foothold, auth="NTLM",
                          privileges=ADMIN_PRIVILEGES)  # fmt: skip
        win.share(t + 500, host, local, logon, ip, "C$", local_path="\\??\\C:\\")
        win.share(t + 900, host, local, logon, ip, "ADMIN$", local_path="\\??\\C:\\Windows")
        win.logoff(t + rng.randrange(3, 12) * MINUTE, host, local, logon, 3)
    return Injected(
        f"{reader.sam} reads the LAPS password of {len(read)} computers "
        f"({', '.join(h.name for h in read)}) on {dc.name}; the local Administrator then logs "
        f"on over NTLM from {foothold.name} to {', '.join(h.name for h in used)}",
        users=[reader.actor, "administrator"],
        hosts=[dc.short, foothold.short, *(h.short for h in used)],
        ips=[ip],
        primary=("user", reader.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def adcs_san_impersonation(ctx: Context) -> Injected:
    """AD CS ESC1 (Certify / certipy ``req -upn``): an ordinary user enrols on a template that
    lets the requester put any name in the subject alternative name and asks for a certificate
    naming a domain admin (4886/4887 on the CA, which the parser drops, and which name only the
    requester: the SAN is inside the request); with it the user's
    workstation gets the admin's TGT by PKINIT (4768 with certificate pre-authentication, type
    16) and logs on as the admin to the DC and servers, with admin rights."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    user = _owner(ctx)
    day = ctx.weekday(2)
    foothold, ip = ctx.ws_ip(user, day)
    ca = org.hosts["DC01"]  # the enterprise CA role on the first DC, as in small domains
    ca_name = f"{win.netbios}-{ca.name}-CA"
    t = ctx.office_hours(day, user) if rng.random() < 0.5 else ctx.evening(day, user)
    request_id = str(rng.randrange(40, 900))
    template = rng.choice(("VPNUser", "WebServer-Legacy", "SmartcardLogonV2", "CorpUser-Auth"))
    win.tgs(t - 800, org.dc_for(user), user, ip, ca)
    requester = f"{win.netbios}\\{user.sam}"
    # ESC1 puts the admin's UPN in the request's own SAN extension, which 4886/4887 do not
    # show: they name the requester, the template and the subject only.
    attributes = f"CertificateTemplate:{template}\nccm:{foothold.fqdn}"
    win.sink.win(t, ca, 4886, {"RequestId": request_id, "Requester": requester,
                               "Attributes": attributes}, actor=user.actor)  # fmt: skip
    serial = random_hex(ctx, 38, upper=True).lower()
    issued = {
        "RequestId": request_id,
        "Requester": requester,
        "Attributes": attributes,
        "Disposition": "3",
        "SubjectKeyIdentifier": random_hex(ctx, 40, upper=True).lower(),
        "Subject": f"CN={user.display}, CN=Users, {org.base_dn}",
    }
    win.sink.win(t + 1200, ca, 4887, issued, actor=user.actor)
    t += rng.randrange(2, 15) * MINUTE
    dc = org.dc_for(admin)
    pkinit = {
        "TargetUserName": admin.sam,
        "TargetDomainName": win.dns_domain,
        "TargetSid": admin.sid,
        "ServiceName": "krbtgt",
        "ServiceSid": f"{org.domain_sid}-502",
        "TicketOptions": "0x40800010",
        "Status": "0x0",
        "TicketEncryptionType": "0x12",
        "PreAuthType": "16",
        "IpAddress": f"::ffff:{ip}",
        "IpPort": str(rng.randrange(49152, 65535)),
        "CertIssuerName": ca_name,
        "CertSerialNumber": serial,
        "CertThumbprint": random_hex(ctx, 40, upper=True),
    }
    win.sink.win(t, dc, 4768, pkinit, actor=admin.actor)
    outside = ctx.hosts_outside(admin, day, kinds=_SERVER_KINDS)
    targets = [dc, *rng.sample(outside, min(len(outside), rng.randrange(1, 3)))]
    for host in targets:
        t += rng.randrange(1, 8) * MINUTE
        win.tgs(t - 300, dc, admin, ip, host)
        logon = win.logon(t, host, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 500, host, admin, logon, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(2, 10) * MINUTE, host, admin, logon, 3)
    del world
    return Injected(
        f"{user.sam} obtains a certificate naming {admin.sam} (template {template}, AD CS "
        f"ESC1) and logs on as {admin.sam} by PKINIT from {foothold.name} to "
        f"{', '.join(h.name for h in targets)}",
        users=[user.actor, admin.actor],
        hosts=[ca.short, foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def ntds_ifm_dump(ctx: Context) -> Injected:
    """NTDS.dit stolen with built-in tools: a stolen admin account RDPs to a DC from a user's
    workstation in the evening, runs ``ntdsutil "ac i ntds" "ifm" "create full ..."`` (a shadow
    copy of the database and the SYSTEM hive), packs the folder, and the workstation copies it
    out over the DC's C$ share (5145 reads of ``ntds.dit``)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.evening(day, owner)
    win.tgt(t - 900, dc, admin, ip)
    win.tgs(t - 700, dc, admin, ip, dc)
    rdp = win.logon(t, dc, admin, 10, src=foothold, privileges=ADMIN_PRIVILEGES)
    folder = (
        "C:\\Windows\\Temp\\"
        + rng.choice(("ifm", "bk", "dbg", "upd"))
        + random_hex(ctx, 3, upper=True)
    )
    steps = (
        (_SYSTEM32 + "whoami.exe", "whoami /groups"),
        (_SYSTEM32 + "ntdsutil.exe",
         f'ntdsutil.exe "ac i ntds" "ifm" "create full {folder}" q q'),
        (_SYSTEM32 + "vssadmin.exe", "vssadmin list shadows"),
        (_POWERSHELL, f"powershell -c Compress-Archive -Path {folder} -DestinationPath "
                      f"{folder}.zip"),
    )  # fmt: skip
    t += rng.randrange(1, 4) * MINUTE
    for image, command in steps:
        t += rng.randrange(15, 120) * 1000
        win.process(t, dc, admin, rdp, image, command, parent=_CMD, elevated=True)
    t += rng.randrange(3, 10) * MINUTE
    win.tgs(t - 300, dc, admin, ip, dc)
    net = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    relative = folder.removeprefix("C:\\")
    win.share(t + 300, dc, admin, net, ip, "C$", local_path="\\??\\C:\\")
    for k, name in enumerate(
        (f"{relative}.zip", f"{relative}\\Active Directory\\ntds.dit",
         f"{relative}\\registry\\SYSTEM")
    ):  # fmt: skip
        win.share(t + 800 + k * 4000, dc, admin, net, ip, "C$", local_path="\\??\\C:\\",
                  relative=name, access_mask="0x120089")  # fmt: skip
    win.logoff(t + rng.randrange(3, 9) * MINUTE, dc, admin, net, 3)
    win.logoff(t + rng.randrange(10, 20) * MINUTE, dc, admin, rdp, 10)
    return Injected(
        f"{admin.sam}'s account RDPs from {foothold.name} ({owner.sam}'s workstation) to "
        f"{dc.name}, dumps NTDS.dit with ntdsutil ifm and copies it out over C$",
        users=[admin.actor],
        hosts=[dc.short, foothold.short],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def gpo_immediate_task(ctx: Context) -> Injected:
    """A stolen admin account edits a GPO linked to the servers' OU from a user's workstation
    (SharpGPOAbuse ``--AddComputerTask``): the GPO gains the Scheduled Tasks extension and a new
    version (5136 x2 on the DC), ``ScheduledTasks.xml`` is written into its SYSVOL folder
    (5145 write); at the next policy refresh (90-120 minutes) every computer the GPO applies to
    registers the immediate task as SYSTEM (4698 by the computer account) and runs it."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    win.tgt(t - 900, dc, admin, ip)  # the stolen password typed on the foothold (runas)
    win.tgs(t - 600, dc, admin, ip, dc)
    session = win.logon(t, dc, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
    gpo = "{" + _guid(ctx).strip("{}").upper() + "}"
    dn = f"CN={gpo},CN=Policies,CN=System,{org.base_dn}"
    correlation = _guid(ctx)
    _ds_change(ctx, t + 2000, dc, admin, session, dn, "groupPolicyContainer",
               "gPCMachineExtensionNames", _GPP_TASKS_CSE, correlation=correlation)  # fmt: skip
    version = rng.randrange(3, 40) * 65536 + rng.randrange(1, 30)
    _ds_change(ctx, t + 2100, dc, admin, session, dn, "groupPolicyContainer", "versionNumber",
               str(version), operation="%%14675", correlation=correlation)  # fmt: skip
    _ds_change(ctx, t + 2100, dc, admin, session, dn, "groupPolicyContainer", "versionNumber",
               str(version + 1), correlation=correlation)  # fmt: skip
    xml = f"{win.dns_domain}\\Policies\\{gpo}\\Machine\\Preferences\\ScheduledTasks"
    win.share(t + 1500, dc, admin, session, ip, "SYSVOL", local_path="\\??\\C:\\Windows\\SYSVOL")
    win.share(t + 1600, dc, admin, session, ip, "SYSVOL", local_path="\\??\\C:\\Windows\\SYSVOL",
              relative=f"{xml}\\ScheduledTasks.xml", access_mask="0x116")  # fmt: skip
    win.logoff(t + 2 * MINUTE, dc, admin, session, 3)
    task = "\\" + rng.choice(("WindowsUpdateCheck", "EdgeUpdateTaskCore", "OneDriveSync",
                              "TelemetryRefresh"))  # fmt: skip
    payload = random_hex(ctx, 48, upper=True)
    hosts = [h for h in org.servers("app", "sql", "file", "web", "mgmt") if h.since_day <= day]
    refresh = t + rng.randrange(90, 120) * MINUTE
    for host in hosts:
        when = refresh + rng.randrange(0, 30) * MINUTE
        win.task_created(when, host, host, "0x3e7", task, _POWERSHELL,
                         f"-nop -w hidden -enc {payload}")  # fmt: skip
        win.process(when + 1500, host, host, "0x3e7", _POWERSHELL,
                    f"powershell.exe -nop -w hidden -enc {payload}",
                    parent=_SYSTEM32 + "svchost.exe", elevated=True)  # fmt: skip
    del world
    return Injected(
        f"{admin.sam}'s account adds an immediate scheduled task ({task}) to GPO {gpo} from "
        f"{foothold.name} ({owner.sam}'s workstation); {len(hosts)} servers register and run it",
        users=[admin.actor],
        hosts=[dc.short, foothold.short, *(h.short for h in hosts)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def delegation_coercion(ctx: Context) -> Injected:
    """Unconstrained delegation abused by coercion: with a stolen admin account the operator
    RDPs from a user's workstation to a server trusted for delegation, starts a ticket monitor
    (Rubeus ``monitor``) and coerces a DC into authenticating to it (PetitPotam over EFSRPC):
    the DC's computer account logs on to the server with a forwardable ticket (4624), its TGT
    is lifted from memory, and the server then asks a second DC for replication as that DC
    (4769 and a network logon from the server's address, 4662 replication rights: DCSync)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    server = org.hosts[rng.choice([n for n in ("APP01", "APP02", "WEB01") if n in org.hosts])]
    coerced, replica = org.hosts["DC01"], org.hosts["DC02"]
    if rng.random() < 0.5:
        coerced, replica = replica, coerced
    t = ctx.evening(day, owner)
    win.tgt(t - 800, org.dc_for(admin), admin, ip)  # mstsc with the stolen password
    win.tgs(t - 500, org.dc_for(admin), admin, ip, server)
    rdp = win.logon(t, server, admin, 10, src=foothold, privileges=ADMIN_PRIVILEGES)
    tools = "C:\\ProgramData\\" + rng.choice(("Intel", "Dell", "HP", "Lenovo")) + "\\"
    t += rng.randrange(2, 6) * MINUTE
    win.process(t, server, admin, rdp, tools + "rb.exe",
                f"rb.exe monitor /interval:5 /filteruser:{coerced.sam} /nowrap", parent=_CMD,
                elevated=True)  # fmt: skip
    t += rng.randrange(20, 90) * 1000
    win.process(t, server, admin, rdp, tools + "pp.exe",
                f"pp.exe {server.ip} {coerced.ip}", parent=_CMD, elevated=True)  # fmt: skip
    # The coerced DC authenticates to the server: it asks its KDC for the server's ticket
    # (forwardable: the server is trusted for delegation) and logs on over the network.
    win.tgs(t + 600, coerced, coerced, coerced.ip, server, options="0x60810010")
    dc_logon = win.logon(t + 900, server, coerced, 3, src=coerced)
    win.logoff(t + 1400, server, coerced, dc_logon, 3)
    # The lifted TGT replays from the server: a service ticket for the other DC, a network
    # logon there as the coerced DC's account, and the replication rights (DCSync).
    t += rng.randrange(2, 8) * MINUTE
    win.tgs(t - 400, replica, coerced, server.ip, replica)
    session = win.logon(t, replica, coerced, 3, src=server)
    for k in range(rng.randrange(1, 3)):
        for n, right in enumerate(_REPLICATION):
            properties = f"%%7688\r\n\t\t\t\t{right}\r\n\t\t\t\t{_DOMAIN_DNS_CLASS}"
            win.directory_access(t + 1500 + k * 20_000 + n * 40, replica, coerced, session,
                                 org.base_dn, properties)  # fmt: skip
    win.logoff(t + rng.randrange(1, 3) * MINUTE, replica, coerced, session, 3)
    win.logoff(t + rng.randrange(5, 15) * MINUTE, server, admin, rdp, 10)
    return Injected(
        f"{admin.sam}'s account RDPs from {foothold.name} to {server.name} (unconstrained "
        f"delegation), coerces {coerced.name} to authenticate there and replays "
        f"{coerced.name}'s ticket from {server.name} to replicate secrets from {replica.name}",
        users=[admin.actor],
        hosts=[server.short, foothold.short, coerced.short, replica.short],
        ips=[ip, server.ip],
        primary=("user", admin.actor),
    )


NOVEL20W: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "golden_ticket",
            CREDENTIAL_MISUSE,
            "Steal or Forge Kerberos Tickets: Golden Ticket",
            ("T1558.001", "T1550.003", "T1021.002"),
            golden_ticket,
        ),
        AttackKind(
            "laps_password_read",
            CREDENTIAL_MISUSE,
            "Unsecured Credentials: LAPS password read, then local Administrator logon",
            ("T1552", "T1078.003", "T1021.002"),
            laps_password_read,
        ),
        AttackKind(
            "adcs_san_impersonation",
            PRIVILEGE_ABUSE,
            "Steal or Forge Authentication Certificates: AD CS template with requester SAN",
            ("T1649", "T1550", "T1078.002"),
            adcs_san_impersonation,
        ),
        AttackKind(
            "ntds_ifm_dump",
            PRIVILEGE_ABUSE,
            "OS Credential Dumping: NTDS (ntdsutil ifm)",
            ("T1003.003", "T1021.001", "T1039"),
            ntds_ifm_dump,
        ),
        AttackKind(
            "gpo_immediate_task",
            LATERAL_MOVEMENT,
            "Domain Policy Modification: Group Policy immediate scheduled task",
            ("T1484.001", "T1053.005"),
            gpo_immediate_task,
        ),
        AttackKind(
            "delegation_coercion",
            LATERAL_MOVEMENT,
            "Forced Authentication to unconstrained delegation, then DCSync as the DC",
            ("T1187", "T1558", "T1003.006"),
            delegation_coercion,
        ),
    )
}
