"""Round 20 (Linux and AWS): attack kinds nobody on the team had written (``--attacks novel20c``).

Opt-in by name or ``--attacks novel20c``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Each is
written in the raw formats the parsers read (RFC 3164 syslog, CloudTrail) the way an operator
does it with ordinary tools: instance-profile credentials read through an SSRF and used from
outside AWS, a slow ssh key spray from a compromised app server (sshd at its default log level
says only ``Connection closed by authenticating user ... [preauth]`` for a refused key: the
parser drops that line and keeps ``Invalid user`` and the final ``Accepted``), ``pkexec`` to root
(PwnKit, or a borrowed password through polkit), a trail told to record read events only, a
bucket policy opened to an outside account that then reads the bucket, a Lambda function given
the Admin role that makes a new admin user, and EC2 Instance Connect pushing a key before an
ssh logon from the same outside address.
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
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    MINUTE,
    Person,
    assume_role,
    aws_source,
    public_ip,
    server_hopper,
)

_BOTO = (
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
)
_KALI_CLI = (
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.9-amd64 exe/x86_64.kali.2024 prompt/off "
    "command/{command}"
)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _fingerprint(ctx: Context) -> str:
    """An ED25519 key's SHA256 fingerprint as sshd prints it (43 base64 characters)."""
    return "".join(ctx.rng.choice(_B64) for _ in range(43))


def _engineer(ctx: Context, *, aws: bool = False, linux: bool = False) -> Person:
    org = ctx.org
    return ctx.pick(
        [
            p
            for p in org.humans
            if p.role == ENGINEER
            and p.first_day == 0
            and (p.aws or not aws)
            and ((p.uid and p.sudo_as != "root") or not linux)
        ]
    )


def _stolen_session(ctx: Context, victim: Person, day: int) -> tuple[dict[str, object], str, int]:
    """The victim's role session as an infostealer or a phished SSO token gives it: the victim
    assumes the role at work, the operator replays the session from a hosting provider."""
    world, rng = ctx.world, ctx.rng
    t = ctx.office_hours(day, victim)
    own = aws_source(world, victim, day, rng.random() < 0.3, rng)
    identity = assume_role(world, victim, t, own, victim.cli_ua, rng)
    return identity, public_ip(rng, "hosting"), t + rng.randrange(20, 120) * MINUTE


# --------------------------------------------------------------------------------------------
# credential_misuse


def aws_instance_credentials_outside(ctx: Context) -> Injected:
    """An SSRF in the web application reads the instance profile's credentials from the
    metadata service (``/latest/meta-data/iam/security-credentials/AppInstanceRole``); the
    operator uses them from a hosting provider (GuardDuty's InstanceCredentialExfiltration):
    the role session named after the instance lists buckets and secrets and copies objects, on
    one or two days while the credentials last."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    instance = rng.choice(org.instances)
    role, role_id = "AppInstanceRole", "AROA" + random_hex(ctx, 17, upper=True)
    ip = public_ip(rng, "hosting")
    clock_person = _engineer(ctx)
    day = ctx.day(3)
    uses, wanted = 0, rng.randrange(1, 3)
    buckets = list(org.buckets) or ["data"]
    while day < world.days and uses < wanted:
        t = ctx.night(day, clock_person) if rng.random() < 0.5 else ctx.evening(day, clock_person)
        key = "ASIA" + random_hex(ctx, 16, upper=True)
        session = trail.assumed_role(role, role_id, instance, key, t - 40 * MINUTE, mfa=False)
        calls: list[tuple[str, str, dict[str, object] | None, bool]] = [
            ("sts.amazonaws.com", "GetCallerIdentity", None, False),
            ("iam.amazonaws.com", "ListAttachedRolePolicies", {"roleName": role}, False),
            ("s3.amazonaws.com", "ListBuckets", None, False),
        ]
        for bucket in rng.sample(buckets, min(len(buckets), rng.randrange(1, 3))):
            calls.append(("s3.amazonaws.com", "ListObjects", {"bucketName": bucket}, True))
            for _ in range(rng.randrange(4, 12)):
                obj = f"uploads/{random_hex(ctx, 10, upper=True).lower()}.json"
                calls.append(
                    ("s3.amazonaws.com", "GetObject", {"bucketName": bucket, "key": obj}, True)
                )
        if uses == 0:
            calls.append(("secretsmanager.amazonaws.com", "ListSecrets", None, False))
        for source, name, params, data in calls:
            t += rng.randrange(2, 30) * 1000
            trail.call(t, session, source, name, ip=ip, user_agent=_BOTO, params=params,
                       data_event=data, actor=instance)  # fmt: skip
        uses += 1
        day += rng.randrange(1, 3)
    return Injected(
        f"instance profile credentials of {instance} ({role}, read through an SSRF) used from "
        f"{ip} (a hosting provider, outside AWS) on {uses} day(s): bucket listing and reads",
        users=[instance],
        ips=[ip],
        primary=("user", instance),
    )


def ssh_key_spray_internal(ctx: Context) -> Injected:
    """From a web shell on lnx-app01 (no logon on record), the operator tries the private keys
    found on it against many accounts on lnx-db01 and the bastion, a few tries an hour over two
    or three days. sshd at its default log level writes only ``Connection closed by
    authenticating user ... [preauth]`` for a refused key, and ``Invalid user`` for an unknown
    account; one admin's key (left in a deploy script's directory) finally works on lnx-db01,
    and the account runs root commands there."""
    world, rng, org, linux = ctx.world, ctx.rng, ctx.org, ctx.world.linux
    app = org.linux["lnx-app01"]
    admins = [p for p in org.role(ADMIN) if p.uid and not server_hopper(world, p)]
    victim = ctx.pick(admins or [p for p in org.role(ADMIN) if p.uid])
    known = [p.sam for p in org.humans if p.uid and p is not victim]
    names = rng.sample(known, min(len(known), rng.randrange(8, 16)))
    names += rng.sample(("ubuntu", "ec2-user", "centos", "admin", "git", "jenkins"), 3)
    day = ctx.weekday(3)
    days = rng.randrange(2, 4)
    last_t = 0
    for offset in range(days):
        if day + offset >= world.days:
            break
        t = ctx.office_hours(day + offset, victim)
        for _ in range(rng.randrange(3, 7)):
            host = rng.choice(("lnx-db01", "lnx-db01", "bastion01"))
            for user in rng.sample(names, min(len(names), rng.randrange(2, 5))):
                t += rng.randrange(20, 200) * 1000
                port = rng.randrange(32768, 61000)
                if user in known:
                    line = f"Connection closed by authenticating user {user} {app.ip} port {port}"
                    ctx.world.sink.syslog(t, host, "sshd", line + " [preauth]")
                else:
                    sink = ctx.world.sink
                    sink.syslog(t, host, "sshd", f"Invalid user {user} from {app.ip} port {port}")
                    sink.syslog(t + 3, host, "sshd",
                                f"Connection closed by invalid user {user} {app.ip} port {port} "
                                "[preauth]")  # fmt: skip
            t += rng.randrange(35, 110) * MINUTE
        last_t = t
    t = last_t + rng.randrange(5, 30) * MINUTE
    linux.ssh_session(
        t, "lnx-db01", victim.sam, victim.uid, app.ip, rng.randrange(8, 25) * MINUTE,
        key_fingerprint=victim.ssh_key, actor=victim.actor,
    )  # fmt: skip
    for k, command in enumerate(("/usr/bin/id", "/usr/bin/cat /etc/shadow")):
        linux.sudo(t + (k + 1) * 45_000, "lnx-db01", victim.sam, victim.uid, command,
                   actor=victim.actor)  # fmt: skip
    return Injected(
        f"slow ssh key spray from lnx-app01 ({app.ip}) against {len(names)} accounts on "
        f"lnx-db01 and bastion01 over {days} day(s); {victim.sam}'s key works on lnx-db01 and "
        "root commands follow",
        users=[victim.actor],
        hosts=["lnx-app01", "lnx-db01", "bastion01"],
        ips=[app.ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# privilege_abuse


def pkexec_root(ctx: Context) -> Injected:
    """An engineer who never works as root gets a root shell on a server with ``pkexec``:
    either PwnKit (CVE-2021-4034: pkexec logs that the SHELL variable is not in /etc/shells,
    with the exploit's GCONV_PATH environment as the command) or polkit's own password prompt
    answered with a password found on the host; the root shell lasts a while, and it happens
    again on a later evening."""
    world, rng, linux = ctx.world, ctx.rng, ctx.world.linux
    victim = _engineer(ctx, linux=True)
    host = rng.choice(victim.linux_hosts or ["lnx-app01"])
    pwnkit = rng.random() < 0.5
    day = ctx.day(3)
    times = 0
    while day < world.days and times < 2:
        t = ctx.office_hours(day, victim) if times == 0 else ctx.evening(day, victim)
        source = world.vpn_ip(rng)
        linux.ssh_session(
            t, "bastion01", victim.sam, victim.uid, source, 70 * MINUTE,
            key_fingerprint=victim.ssh_key, actor=victim.actor,
        )  # fmt: skip
        hop = t + rng.randrange(1, 5) * MINUTE
        linux.ssh_session(
            hop, host, victim.sam, victim.uid, ctx.org.bastion.ip, 55 * MINUTE,
            key_fingerprint=victim.ssh_key, actor=victim.actor,
        )  # fmt: skip
        at = hop + rng.randrange(2, 15) * MINUTE
        tty = f"/dev/pts/{rng.randrange(0, 4)}"
        if pwnkit:
            workdir = f"/tmp/.{random_hex(ctx, 6, upper=True).lower()}"  # noqa: S108 - a log line's text
            message = (
                f"{victim.sam}: The value for the SHELL variable was not found the /etc/shells "
                f"file [USER=root] [TTY={tty}] [CWD={workdir}] [COMMAND=GCONV_PATH=./pwnkit.so:. "
                "PATH=GCONV_PATH=. CHARSET=PWNKIT SHELL=pwnkit]"
            )
            world.sink.syslog(at, host, "pkexec", message, actor=victim.actor)
        else:
            key = f"pk{random_hex(ctx, 6, upper=True)}"
            opened = (
                "pam_unix(polkit-1:session): session opened for user root(uid=0) by "
                f"{victim.sam}(uid={victim.uid})"
            )
            world.sink.syslog(at, host, "pkexec", opened, session=key)
            executing = (
                f"{victim.sam}: Executing command [USER=root] [TTY={tty}] "
                f"[CWD=/home/{victim.sam}] [COMMAND=/usr/bin/bash]"
            )
            world.sink.syslog(at + 2, host, "pkexec", executing, session=key, actor=victim.actor)
            world.sink.syslog(at + rng.randrange(10, 40) * MINUTE, host, "pkexec",
                              "pam_unix(polkit-1:session): session closed for user root",
                              session=key)  # fmt: skip
        times += 1
        day += rng.randrange(1, 4)
    how = "PwnKit (CVE-2021-4034)" if pwnkit else "polkit with a found password"
    return Injected(
        f"{victim.sam} (never root) gets a root shell on {host} with pkexec ({how}), "
        f"{times} time(s)",
        users=[victim.actor],
        hosts=[host, "bastion01"],
        primary=("user", victim.actor),
    )


def aws_trail_blinding(ctx: Context) -> Injected:
    """Defence evasion without ``StopLogging``: a stolen engineer role session changes the
    trail's event selectors to record read-only management events (``PutEventSelectors``
    ReadWriteType ReadOnly, or advanced selectors keeping only readOnly=true), so every write
    that follows is unrecorded; the reads it goes on making (users, secrets) still are."""
    rng, org, trail = ctx.rng, ctx.org, ctx.world.trail
    victim = _engineer(ctx, aws=True)
    day = ctx.weekday(2)
    identity, ip, t = _stolen_session(ctx, victim, day)
    trail_name = rng.choice(("org-trail", "management-events", f"{org.tenant}-audit"))
    ua = _KALI_CLI
    if rng.random() < 0.5:
        selectors: dict[str, object] = {
            "trailName": trail_name,
            "eventSelectors": [
                {"readWriteType": "ReadOnly", "includeManagementEvents": True,
                 "dataResources": [], "excludeManagementEventSources": []}
            ],
        }  # fmt: skip
    else:
        selectors = {
            "trailName": trail_name,
            "advancedEventSelectors": [
                {"name": "Management events",
                 "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]},
                                    {"field": "readOnly", "equals": ["true"]}]}
            ],
        }  # fmt: skip
    calls: list[tuple[str, str, dict[str, object] | None, bool]] = [
        ("sts.amazonaws.com", "GetCallerIdentity", None, True),
        ("cloudtrail.amazonaws.com", "DescribeTrails", None, True),
        ("cloudtrail.amazonaws.com", "GetEventSelectors", {"trailName": trail_name}, True),
        ("cloudtrail.amazonaws.com", "PutEventSelectors", selectors, False),
        ("iam.amazonaws.com", "ListUsers", None, True),
        ("iam.amazonaws.com", "ListRoles", None, True),
        ("secretsmanager.amazonaws.com", "ListSecrets", None, True),
    ]
    for source, name, params, read_only in calls:
        t += rng.randrange(5, 60) * 1000
        command = name.lower()
        trail.call(t, identity, source, name, ip=ip, user_agent=ua.format(command=command),
                   params=params, read_only=read_only, actor=victim.actor)  # fmt: skip
    return Injected(
        f"{victim.sam}'s replayed role session (from {ip}) sets trail {trail_name} to record "
        "read events only, so the writes that follow go unrecorded",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def aws_bucket_policy_outside(ctx: Context) -> Injected:
    """Transfer to another cloud account (T1537) without copying anything: a stolen engineer
    role session adds a statement to a data bucket's policy that lets an outside AWS account
    list and read it (``PutBucketPolicy``); later that account reads the bucket from a hosting
    provider, which the bucket owner's trail records as an ``AWSAccount`` caller."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = _engineer(ctx, aws=True)
    day = ctx.weekday(3)
    identity, ip, t = _stolen_session(ctx, victim, day)
    bucket = rng.choice([b for b in org.buckets if "data" in b or "backup" in b] or org.buckets)
    outside = "".join(rng.choice("0123456789") for _ in range(12))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": rng.choice(("ReplicationAccess", "PartnerRead", "AnalyticsSync")),
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{outside}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            },
        ],
    }
    for name, params, read_only in (
        ("GetBucketPolicy", {"bucketName": bucket, "policy": ""}, True),
        ("PutBucketPolicy", {"bucketName": bucket, "bucketPolicy": policy}, False),
    ):
        t += rng.randrange(10, 90) * 1000
        trail.call(t, identity, "s3.amazonaws.com", name, ip=ip,
                   user_agent=_KALI_CLI.format(command=f"s3api.{name.lower()}"), params=params,
                   read_only=read_only, actor=victim.actor)  # fmt: skip
    caller = {
        "type": "AWSAccount",
        "principalId": "AIDA" + random_hex(ctx, 17, upper=True),
        "accountId": outside,
    }
    reader_ip = public_ip(rng, "hosting")
    later = min(world.days - 1, day + rng.randrange(0, 3))
    t = ctx.night(later, victim)
    trail.call(t, caller, "s3.amazonaws.com", "ListObjects", ip=reader_ip, user_agent=_BOTO,
               params={"bucketName": bucket, "prefix": ""}, data_event=True,
               actor=outside)  # fmt: skip
    for _ in range(rng.randrange(15, 40)):
        t += rng.randrange(1, 8) * 1000
        obj = (
            f"exports/{rng.randrange(2020, 2025)}/{random_hex(ctx, 8, upper=True).lower()}.parquet"
        )
        trail.call(t, caller, "s3.amazonaws.com", "GetObject", ip=reader_ip, user_agent=_BOTO,
                   params={"bucketName": bucket, "key": obj}, data_event=True,
                   actor=outside)  # fmt: skip
    return Injected(
        f"{victim.sam}'s replayed role session (from {ip}) opens bucket {bucket}'s policy to "
        f"outside account {outside}, which reads it from {reader_ip}",
        users=[victim.actor, outside],
        ips=[ip, reader_ip],
        primary=("user", victim.actor),
    )


def lambda_admin_role(ctx: Context) -> Injected:
    """Privilege escalation through ``iam:PassRole``: a stolen engineer role session creates a
    Lambda function that runs as the Admin role and invokes it; the function's role session
    (named after the function, from AWS's own address space) creates an IAM user, attaches
    AdministratorAccess and makes it an access key; the key is used the next day from a
    hosting provider."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = _engineer(ctx, aws=True)
    day = ctx.weekday(2)
    identity, ip, t = _stolen_session(ctx, victim, day)
    function = rng.choice(("log-rotate", "cost-report", "tag-sync", "cleanup-snapshots"))
    function += "-" + random_hex(ctx, 4, upper=True).lower()
    account = org.aws_account
    ua = _KALI_CLI
    create = {
        "functionName": function,
        "runtime": "python3.12",
        "role": f"arn:aws:iam::{account}:role/Admin",
        "handler": "lambda_function.lambda_handler",
        "code": {},
        "timeout": 30,
        "publish": True,
    }
    for source, name, params, read_only, data in (
        ("iam.amazonaws.com", "ListRoles", None, True, False),
        ("lambda.amazonaws.com", "CreateFunction20150331", create, False, False),
        ("lambda.amazonaws.com", "GetFunction20150331v2", {"functionName": function}, True,
         False),
        ("lambda.amazonaws.com", "Invoke", {"functionName": function}, False, True),
    ):  # fmt: skip
        t += rng.randrange(10, 90) * 1000
        trail.call(t, identity, source, name, ip=ip, user_agent=ua.format(command=name.lower()),
                   params=params, read_only=read_only, data_event=data,
                   actor=victim.actor)  # fmt: skip
    lambda_ip = f"3.{rng.randrange(208, 240)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"
    key = "ASIA" + random_hex(ctx, 16, upper=True)
    session = trail.assumed_role(
        "Admin", "AROA" + random_hex(ctx, 17, upper=True), function, key, t, mfa=False
    )
    new_user = rng.choice(("svc-backup-sync", "ops-automation", "cloudwatch-export"))
    new_key = "AKIA" + random_hex(ctx, 16, upper=True)
    lambda_ua = (
        "Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#5.10.214 exec-env/AWS_Lambda_python3.12"
    )
    for name, params in (
        ("CreateUser", {"userName": new_user}),
        ("AttachUserPolicy", {"userName": new_user,
                              "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ("CreateAccessKey", {"userName": new_user}),
    ):  # fmt: skip
        t += rng.randrange(200, 900)
        response = {"accessKey": {"accessKeyId": new_key, "status": "Active",
                                  "userName": new_user}} if name == "CreateAccessKey" else None  # fmt: skip
        trail.call(t, session, "iam.amazonaws.com", name, ip=lambda_ip, user_agent=lambda_ua,
                   params=params, response=response, read_only=False, actor=function)  # fmt: skip
    later = min(world.days - 1, day + 1)
    t = ctx.night(later, victim)
    backdoor = trail.iam_user(new_user, "AIDA" + random_hex(ctx, 17, upper=True), new_key)
    user_ip = public_ip(rng, "hosting")
    for source, name in (
        ("sts.amazonaws.com", "GetCallerIdentity"),
        ("iam.amazonaws.com", "ListUsers"),
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("s3.amazonaws.com", "ListBuckets"),
    ):
        t += rng.randrange(5, 40) * 1000
        trail.call(t, backdoor, source, name, ip=user_ip, user_agent=_BOTO, actor=new_user)
    return Injected(
        f"{victim.sam}'s replayed role session (from {ip}) creates Lambda {function} with the "
        f"Admin role and invokes it; the function creates admin user {new_user} with an access "
        f"key, used from {user_ip} the next night",
        users=[victim.actor, function, new_user],
        ips=[ip, lambda_ip, user_ip],
        primary=("user", victim.actor),
    )


# --------------------------------------------------------------------------------------------
# lateral_movement


def ec2_instance_connect_ssh(ctx: Context) -> Injected:
    """EC2 Instance Connect as a way in: a stolen engineer role session pushes the operator's
    own public key to an instance's ``ec2-user`` (``SendSSHPublicKey``, valid 60 seconds) and
    logs on with it at once from the same outside address (the bastion is that instance), then
    becomes root with ec2-user's passwordless sudo and hops on to an app server the same way."""
    rng, org, trail, linux = ctx.rng, ctx.org, ctx.world.trail, ctx.world.linux
    victim = _engineer(ctx, aws=True)
    day = ctx.day(2)
    identity, ip, t = _stolen_session(ctx, victim, day)
    fingerprint = _fingerprint(ctx)
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" + "".join(
        rng.choice(_B64) for _ in range(43)
    )
    targets = [("bastion01", ip), ("lnx-app01", org.bastion.ip)]
    instances = rng.sample(org.instances, len(targets))
    t += rng.randrange(20, 90) * 1000
    trail.call(t, identity, "ec2.amazonaws.com", "DescribeInstances", ip=ip,
               user_agent=_KALI_CLI.format(command="ec2.describe-instances"),
               actor=victim.actor)  # fmt: skip
    for (host, source), instance in zip(targets, instances, strict=True):
        t += rng.randrange(30, 300) * 1000
        params = {
            "instanceId": instance,
            "instanceOSUser": "ec2-user",
            "sSHPublicKey": public_key,
            "availabilityZone": f"{org.region}{rng.choice('abc')}",
        }
        trail.call(t, identity, "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey",
                   ip=ip, user_agent=_KALI_CLI.format(command="ec2-instance-connect.send-ssh-"
                                                      "public-key"),
                   params=params, read_only=False, actor=victim.actor)  # fmt: skip
        t += rng.randrange(3, 40) * 1000
        end = linux.ssh_session(t, host, "ec2-user", 1000, source, rng.randrange(10, 40) * MINUTE,
                                key_fingerprint=fingerprint, actor="ec2-user")  # fmt: skip
        linux.sudo(t + rng.randrange(20, 90) * 1000, host, "ec2-user", 1000, "/bin/bash",
                   duration_ms=max(60_000, end - t - 120_000), actor="ec2-user")  # fmt: skip
    return Injected(
        f"{victim.sam}'s role session (from {ip}) pushes a key to ec2-user on "
        f"{len(targets)} instances with EC2 Instance Connect and logs on with it at once "
        f"({', '.join(h for h, _ in targets)}), then sudo to root",
        users=[victim.actor, "ec2-user"],
        hosts=[h for h, _ in targets],
        ips=[ip],
        primary=("user", victim.actor),
    )


NOVEL20C: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "aws_instance_credentials_outside",
            CREDENTIAL_MISUSE,
            "Unsecured Credentials: Cloud Instance Metadata API (used outside AWS)",
            ("T1552.005", "T1078.004", "T1530"),
            aws_instance_credentials_outside,
        ),
        AttackKind(
            "ssh_key_spray_internal",
            CREDENTIAL_MISUSE,
            "Brute Force: ssh keys found on a host tried against many accounts, low and slow",
            ("T1110.003", "T1552.004", "T1021.004"),
            ssh_key_spray_internal,
        ),
        AttackKind(
            "pkexec_root",
            PRIVILEGE_ABUSE,
            "Exploitation for Privilege Escalation: pkexec / polkit to root",
            ("T1068", "T1548"),
            pkexec_root,
        ),
        AttackKind(
            "aws_trail_blinding",
            PRIVILEGE_ABUSE,
            "Impair Defenses: Disable or Modify Cloud Logs (event selectors)",
            ("T1562.008",),
            aws_trail_blinding,
        ),
        AttackKind(
            "aws_bucket_policy_outside",
            PRIVILEGE_ABUSE,
            "Transfer Data to Cloud Account: bucket policy opened to an outside account",
            ("T1537", "T1098", "T1530"),
            aws_bucket_policy_outside,
        ),
        AttackKind(
            "lambda_admin_role",
            PRIVILEGE_ABUSE,
            "Serverless Execution with a passed Admin role, then Create Account",
            ("T1648", "T1098.003", "T1136.003"),
            lambda_admin_role,
        ),
        AttackKind(
            "ec2_instance_connect_ssh",
            LATERAL_MOVEMENT,
            "Remote Services: SSH with a key pushed by EC2 Instance Connect",
            ("T1021.004", "T1098.004", "T1078.004"),
            ec2_instance_connect_ssh,
        ),
    )
}
