"""Round 21: attack kinds nobody on the team had written (``--attacks novel21``).

Opt-in by name or ``--attacks novel21``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Four are
slow credential misuse, written as the systems log them: a stolen password used from a second
workstation on the victim's own servers while its owner works at theirs (HELK Windows JSON), an
engineer's password (never their key) used on the internet-facing bastion on a few nights (RFC
3164 syslog), an engineer's long-term access key reading a few secrets a night over a week
(CloudTrail), and ``su`` tried against several local accounts from a stolen ssh session over
days until one password works. Three are privilege abuse: a computer account created by an
ordinary user (MachineAccountQuota, 4741) and then used to authenticate to servers, a sudoers
drop-in granting ``NOPASSWD: ALL`` that another account then uses to become root, and GPU
instances started in regions nobody uses (``RunInstances``; the parser does not keep
``awsRegion``).
"""

from __future__ import annotations

from benchmarks.scenario.context import (
    CREDENTIAL_MISUSE,
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
    Host,
    Person,
    assume_role,
    aws_source,
    public_ip,
)

_SERVER_KINDS = ("app", "sql", "file", "web")
_GO_SDK = "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/{api}"
_KALI_CLI = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off "
    "command/{command}"
)


def _linux_person(ctx: Context, role: str, *, root: bool | None = None) -> Person:
    """Someone with a Linux account who reaches lnx-app01 from the bastion."""
    people = [
        p
        for p in ctx.org.humans
        if p.role == role
        and p.uid
        and p.first_day == 0
        and (root is None or (p.sudo_as == "root") == root)
    ]
    with_app = [p for p in people if "lnx-app01" in p.linux_hosts]
    return ctx.pick(with_app or people)


# --------------------------------------------------------------------------------------------
# credential_misuse


def second_workstation_concurrent(ctx: Context) -> Injected:
    """An office user's password, phished or sniffed, used from a colleague's compromised
    workstation during office hours while the owner works at their own: a TGT and service
    tickets asked from the second workstation's address, network logons to the owner's own
    file and app servers (nothing new there) and a share opened, a little each day over three
    or four working days."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    candidates = [
        p
        for p in org.humans
        if p.role in (OFFICE, ENGINEER) and p.first_day == 0 and p.servers and p.laptops
    ]
    victim = ctx.pick(candidates)
    foothold_owner = ctx.pick([p for p in candidates if p is not victim] or candidates)
    day = ctx.weekday(6)
    dc = org.dc_for(victim)
    own_servers = [org.hosts[name] for name in victim.servers if name in org.hosts]
    days_used, reached, ips = 0, [], []
    wanted = rng.randrange(3, 5)
    while day < world.days and days_used < wanted:
        if world.clock.weekday(day) >= 5 or day in victim.absent:
            day += 1
            continue
        foothold, ip = ctx.ws_ip(foothold_owner, day)
        if foothold is victim.workstation_on(day):
            break
        ips.append(ip)
        t = ctx.office_hours(day, victim)
        win.tgt(t - 2000, dc, victim, ip)
        for host in rng.sample(own_servers, min(len(own_servers), rng.randrange(1, 3))):
            t += rng.randrange(2, 25) * MINUTE
            win.tgs(t - 300, dc, victim, ip, host)
            logon = win.logon(t, host, victim, 3, src=foothold)
            share = "Finance" if host.kind == "file" else "C$"
            win.share(t + 400, host, victim, logon, ip, share, local_path="\\??\\D:\\Shares")
            win.logoff(t + rng.randrange(2, 15) * MINUTE, host, victim, logon, 3)
            reached.append(host.short)
        days_used += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"{victim.sam}'s password used from {foothold_owner.sam}'s workstation "
        f"({', '.join(dict.fromkeys(ips))}) on {days_used} working day(s) while {victim.sam} "
        f"works at their own: logons to {', '.join(dict.fromkeys(reached))}",
        users=[victim.actor],
        hosts=list(dict.fromkeys(reached)),
        ips=list(dict.fromkeys(ips)),
        primary=("user", victim.actor),
    )


def ssh_password_night_slow(ctx: Context) -> Injected:
    """An engineer's password (phished through a fake SSO page; they always log on with their
    key) typed at the internet-facing bastion from a residential address on two or three nights
    within a week: a short session each time, a hop to one server and ``sudo -l``."""
    world, rng, linux = ctx.world, ctx.rng, ctx.world.linux
    victim = _linux_person(ctx, ENGINEER)
    day = ctx.day(8)
    nights, wanted = 0, rng.randrange(2, 4)
    ips: list[str] = []
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        ip = public_ip(rng) if not ips or rng.random() < 0.5 else ips[-1]
        ips.append(ip)
        length = rng.randrange(6, 25) * MINUTE
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, ip, length,
                          method="password", actor=victim.actor)  # fmt: skip
        if victim.linux_hosts:
            host = rng.choice(victim.linux_hosts)
            hop = t + rng.randrange(1, 4) * MINUTE
            linux.ssh_session(hop, host, victim.sam, victim.uid, ctx.org.bastion.ip,
                              rng.randrange(2, 5) * MINUTE, method="password",
                              actor=victim.actor)  # fmt: skip
            linux.sudo(hop + 50_000, host, victim.sam, victim.uid, "list", actor=victim.actor)
        nights += 1
        day += rng.randrange(2, 4)
    return Injected(
        f"{victim.sam}'s password (they always use a key) used on bastion01 from "
        f"{', '.join(dict.fromkeys(ips))} on {nights} night(s)",
        users=[victim.actor],
        hosts=["bastion01", *victim.linux_hosts[:1]],
        ips=list(dict.fromkeys(ips)),
        primary=("user", victim.actor),
    )


def aws_secrets_read_slow(ctx: Context) -> Injected:
    """An engineer's long-term access key, found in a leaked dotfile, signs calls directly
    (no AssumeRole) from a residential address abroad with a Go SDK: each of four to six
    nights over a week and a half it reads one to three secrets (``GetSecretValue``) or
    decrypted SSM parameters (``GetParameter`` with decryption), never many at once."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.aws and p.first_day == 0])
    identity = trail.iam_user(victim.sam, victim.aws_principal, victim.aws_keys[0])
    ip = public_ip(rng)
    secrets = [f"prod/{name}" for name in ("db", "api-key", "stripe", "smtp", "ldap-bind")]
    parameters = ["/prod/app/db_password", "/prod/app/jwt_secret", "/prod/ci/deploy_token"]
    day = ctx.day(10)
    nights, wanted, read = 0, rng.randrange(4, 7), 0
    while day < world.days and nights < wanted:
        t = ctx.night(day, victim)
        if nights == 0:
            trail.call(t, identity, "sts.amazonaws.com", "GetCallerIdentity", ip=ip,
                       user_agent=_GO_SDK.format(api="sts#1.26.7"),
                       actor=victim.actor)  # fmt: skip
        for _ in range(rng.randrange(1, 4)):
            t += rng.randrange(5, 120) * 1000
            if rng.random() < 0.6:
                trail.call(t, identity, "secretsmanager.amazonaws.com", "GetSecretValue",
                           ip=ip, user_agent=_GO_SDK.format(api="secretsmanager#1.26.0"),
                           params={"secretId": rng.choice(secrets)},
                           actor=victim.actor)  # fmt: skip
            else:
                trail.call(t, identity, "ssm.amazonaws.com", "GetParameter", ip=ip,
                           user_agent=_GO_SDK.format(api="ssm#1.44.7"),
                           params={"name": rng.choice(parameters), "withDecryption": True},
                           actor=victim.actor)  # fmt: skip
            read += 1
        nights += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"{victim.sam}'s long-term access key used directly from {ip} (a residential address "
        f"abroad, Go SDK) on {nights} night(s): {read} secret / parameter read(s)",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def su_account_sweep(ctx: Context) -> Injected:
    """From an engineer's stolen ssh key (the usual path: bastion, then lnx-app01), the
    operator tries ``su`` to local and colleagues' accounts with guessed and found passwords,
    a few an evening over two or three days (``FAILED SU`` and PAM's ``su:auth`` failure), until
    one works and a shell as that account follows."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    victim = _linux_person(ctx, ENGINEER)
    host = "lnx-app01" if "lnx-app01" in victim.linux_hosts else "lnx-db01"
    local = ["postgres", "deploy", "jenkins", "backup", "root"]
    colleagues = [p.sam for p in org.humans if p.uid and p is not victim]
    names = local + rng.sample(colleagues, min(len(colleagues), rng.randrange(2, 5)))
    winner = rng.choice(("deploy", "backup"))
    day = ctx.day(4)
    days = rng.randrange(2, 4)
    tries = 0
    t = 0
    for offset in range(days):
        if day + offset >= world.days:
            break
        t = ctx.evening(day + offset, victim)
        source = world.vpn_ip(rng)
        linux.ssh_session(t, "bastion01", victim.sam, victim.uid, source, 80 * MINUTE,
                          key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
        t += rng.randrange(1, 4) * MINUTE
        linux.ssh_session(t, host, victim.sam, victim.uid, org.bastion.ip, 70 * MINUTE,
                          key_fingerprint=victim.ssh_key, actor=victim.actor)  # fmt: skip
        for target in rng.sample(names, min(len(names), rng.randrange(3, 6))):
            t += rng.randrange(40, 600) * 1000
            tty = f"pts/{rng.randrange(0, 3)}"
            failure = (
                f"pam_unix(su:auth): authentication failure; logname={victim.sam} "
                f"uid={victim.uid} euid=0 tty=/dev/{tty} ruser={victim.sam} rhost=  "
                f"user={target}"
            )
            world.sink.syslog(t, host, "su", failure, actor=victim.actor)
            world.sink.syslog(t + 2500, host, "su", f"FAILED SU (to {target}) {victim.sam} on {tty}",
                              actor=victim.actor)  # fmt: skip
            tries += 1
    t += rng.randrange(2, 10) * MINUTE
    uid = {"deploy": 998, "backup": 34}[winner]
    linux.su(t, host, victim.sam, victim.uid, winner, uid, duration_ms=25 * MINUTE,
             actor=victim.actor)  # fmt: skip
    return Injected(
        f"{victim.sam}'s ssh session tries su to {len(set(names))} accounts on {host} "
        f"({tries} failures over {days} evening(s)), then su to {winner} works",
        users=[victim.actor],
        hosts=[host, "bastion01"],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def machine_account_quota(ctx: Context) -> Injected:
    """Any domain user may join ten computers (ms-DS-MachineAccountQuota): an office user's
    stolen session creates a computer account with a password it chose (Powermad /
    ``addcomputer.py``: 4741 on the DC with the user as subject), then authenticates as that
    computer from the user's workstation (a TGT for ``NAME$``), asks for service tickets and
    logs on to servers with it, opening ``C$``: a foothold identity no one owns, and the first
    step of RBCD and noPac."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    owner = ctx.pick([p for p in org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday(3)
    foothold, ip = ctx.ws_ip(owner, day)
    dc = org.dc_for(owner)
    name = rng.choice(("DESKTOP-", "WIN-", "PC-")) + random_hex(ctx, 7, upper=True)
    rid = rng.randrange(5000, 9000)
    machine = Host(
        name=name,
        fqdn=f"{name.lower()}.{win.dns_domain}",
        ip=ip,
        kind="workstation",
        tz=foothold.tz,
        lag_ms=foothold.lag_ms,
        sid=f"{org.domain_sid}-{rid}",
        dn=f"CN={name},CN=Computers,{org.base_dn}",
    )
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    win.tgs(t - 1500, dc, owner, ip, dc)
    session = win.logon(t - 1000, dc, owner, 3, src=foothold)
    win.computer_created(t, dc, owner, session, machine)
    win.logoff(t + 4000, dc, owner, session, 3)
    outside = ctx.hosts_outside(owner, day, kinds=_SERVER_KINDS)
    targets = rng.sample(outside, min(len(outside), rng.randrange(2, 4)))
    t += rng.randrange(2, 20) * MINUTE
    win.tgt(t, dc, machine, ip)
    for host in targets:
        t += rng.randrange(1, 8) * MINUTE
        win.tgs(t - 200, dc, machine, ip, host)
        logon = win.logon(t, host, machine, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 500, host, machine, logon, ip, "C$", local_path="\\??\\C:\\")
        win.logoff(t + rng.randrange(1, 6) * MINUTE, host, machine, logon, 3)
    return Injected(
        f"{owner.sam} (an office user) creates computer account {machine.sam} from "
        f"{foothold.name}, which then authenticates to "
        f"{', '.join(h.name for h in targets)} and opens C$",
        users=[owner.actor],
        hosts=[machine.short, foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", owner.actor),
    )


def sudoers_nopasswd(ctx: Context) -> Injected:
    """An admin's stolen session writes a sudoers drop-in granting an engineer's account
    ``NOPASSWD: ALL`` (``sudo tee /etc/sudoers.d/...``, then ``visudo -c``); on a later night
    that engineer's account, which only ever ran deploy commands as ``deploy``, runs a root
    shell and reads ``/etc/shadow`` with sudo and no password."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    admin = _linux_person(ctx, ADMIN, root=True)
    grantee = _linux_person(ctx, ENGINEER, root=False)
    host = "lnx-app01"
    day = ctx.day(5)
    t = ctx.evening(day, admin)
    linux.ssh_session(t, "bastion01", admin.sam, admin.uid, world.vpn_ip(rng), 40 * MINUTE,
                      key_fingerprint=admin.ssh_key, actor=admin.actor)  # fmt: skip
    t += rng.randrange(1, 4) * MINUTE
    linux.ssh_session(t, host, admin.sam, admin.uid, org.bastion.ip, 20 * MINUTE,
                      key_fingerprint=admin.ssh_key, actor=admin.actor)  # fmt: skip
    drop_in = f"/etc/sudoers.d/{rng.choice(('90-cloud-init-users', 'zz-ops', '50-deploy'))}"
    for k, command in enumerate(
        (f"/usr/bin/tee -a {drop_in}", f"/usr/sbin/visudo -c -f {drop_in}")
    ):
        linux.sudo(t + (k + 1) * 40_000, host, admin.sam, admin.uid, command, actor=admin.actor)
    later = min(world.days - 1, day + rng.randrange(1, 4))
    t = ctx.night(later, grantee)
    source = world.vpn_ip(rng)
    linux.ssh_session(t, "bastion01", grantee.sam, grantee.uid, source, 30 * MINUTE,
                      key_fingerprint=grantee.ssh_key, actor=grantee.actor)  # fmt: skip
    t += rng.randrange(1, 3) * MINUTE
    linux.ssh_session(t, host, grantee.sam, grantee.uid, org.bastion.ip, 20 * MINUTE,
                      key_fingerprint=grantee.ssh_key, actor=grantee.actor)  # fmt: skip
    for k, command in enumerate(("/bin/bash", "/usr/bin/cat /etc/shadow")):
        linux.sudo(t + (k + 1) * 50_000, host, grantee.sam, grantee.uid, command,
                   actor=grantee.actor)  # fmt: skip
    return Injected(
        f"{admin.sam}'s session adds a NOPASSWD: ALL sudoers drop-in ({drop_in}) on {host}; "
        f"{grantee.sam} (deploy commands only, never root) then runs a root shell there",
        users=[admin.actor, grantee.actor],
        hosts=[host, "bastion01"],
        primary=("user", grantee.actor),
    )


def aws_unused_region_compute(ctx: Context) -> Injected:
    """Resource hijacking in regions nobody watches (T1496, T1535): an engineer's replayed
    role session imports a key pair, opens ssh in a security group and starts large GPU
    instances in two or three regions the account never uses, from a hosting provider."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.role == ENGINEER and p.aws and p.first_day == 0])
    day = ctx.weekday(1)
    t = ctx.office_hours(day, victim)
    own = aws_source(world, victim, day, rng.random() < 0.3, rng)
    identity = assume_role(world, victim, t, own, victim.cli_ua, rng)
    ip = public_ip(rng, "hosting")
    t += rng.randrange(20, 120) * MINUTE
    regions = rng.sample(("ap-southeast-3", "sa-east-1", "me-south-1", "af-south-1",
                          "ap-northeast-3", "eu-south-2"), rng.randrange(2, 4))  # fmt: skip
    key_name = rng.choice(("default", "ops", "tmp")) + "-" + random_hex(ctx, 4, upper=True).lower()
    count = 0
    for region in regions:
        group = "sg-" + random_hex(ctx, 17, upper=True).lower()
        calls: list[tuple[str, dict[str, object] | None, bool]] = [
            ("DescribeRegions", None, True),
            ("ImportKeyPair", {"keyName": key_name}, False),
            ("AuthorizeSecurityGroupIngress",
             {"groupId": group, "ipPermissions": {"items": [
                 {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                  "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}, False),
        ]  # fmt: skip
        instances = rng.randrange(2, 9)
        calls.append(("RunInstances", {
            "instancesSet": {"items": [{"imageId": "ami-" + random_hex(ctx, 17, upper=True).lower(),
                                        "minCount": instances, "maxCount": instances}]},
            "instanceType": rng.choice(("p3.8xlarge", "g5.12xlarge", "g4dn.12xlarge")),
            "keyName": key_name, "groupSet": {"items": [{"groupId": group}]}}, False))  # fmt: skip
        for name, params, read_only in calls:
            t += rng.randrange(5, 60) * 1000
            trail.call(t, identity, "ec2.amazonaws.com", name, ip=ip,
                       user_agent=_KALI_CLI.format(command=f"ec2.{name.lower()}"),
                       params=params, read_only=read_only, region=region,
                       actor=victim.actor)  # fmt: skip
        count += instances
    return Injected(
        f"{victim.sam}'s replayed role session (from {ip}) starts {count} GPU instances in "
        f"{', '.join(regions)}, regions the account never uses",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


NOVEL21: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "second_workstation_concurrent",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a password used from a second workstation while its owner works",
            ("T1078.002", "T1021.002"),
            second_workstation_concurrent,
        ),
        AttackKind(
            "ssh_password_night_slow",
            CREDENTIAL_MISUSE,
            "Valid Accounts: a key user's password used at the bastion on a few nights",
            ("T1078.003", "T1021.004"),
            ssh_password_night_slow,
        ),
        AttackKind(
            "aws_secrets_read_slow",
            CREDENTIAL_MISUSE,
            "Credentials from Password Stores: cloud secrets read slowly with a leaked key",
            ("T1552.001", "T1555.006", "T1078.004"),
            aws_secrets_read_slow,
        ),
        AttackKind(
            "su_account_sweep",
            CREDENTIAL_MISUSE,
            "Brute Force: su tried against several local accounts, then one works",
            ("T1110.001", "T1078.003"),
            su_account_sweep,
        ),
        AttackKind(
            "machine_account_quota",
            PRIVILEGE_ABUSE,
            "Create Account: a computer account made by an ordinary user, then used",
            ("T1136.002", "T1078.002", "T1021.002"),
            machine_account_quota,
        ),
        AttackKind(
            "sudoers_nopasswd",
            PRIVILEGE_ABUSE,
            "Abuse Elevation Control Mechanism: sudoers NOPASSWD drop-in, then a root shell",
            ("T1548.003",),
            sudoers_nopasswd,
        ),
        AttackKind(
            "aws_unused_region_compute",
            PRIVILEGE_ABUSE,
            "Resource Hijacking in unused cloud regions",
            ("T1496", "T1535", "T1078.004"),
            aws_unused_region_compute,
        ),
    )
}
