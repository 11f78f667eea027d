"""A synthetic organisation, its normal life, and the scenario that wraps it.

``generate()`` builds an organisation (people with roles, workstations, Windows servers, a Linux
bastion, an AWS account), lets it live for ``days`` days (Windows logons and shares, Kerberos on
the DCs, ssh and sudo, console and CLI calls to AWS, nightly backups, internet scanners, ...),
injects the requested attacks after the learning period, and writes real raw log formats plus
``truth.json`` (see :mod:`benchmarks.scenario.formats` for the shapes).

Determinism: every random choice comes from a ``random.Random`` seeded with a string naming
what it is for (``"7/day/jsmith/12"``), so the background of a seed does not change when the
attack list does, one person's day does not change when another's does, and nothing depends on
the global random state or on hash randomisation (no iteration over sets of strings).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.scenario.formats import (
    ADMIN_PRIVILEGES,
    BACKUP_PRIVILEGES,
    DAY_MS,
    CloudTrailLog,
    LinuxLog,
    LogSink,
    WindowsLog,
    iso_s,
    owned_log_files,
)

DEFAULT_START = date(2024, 5, 6)  # a Monday; no daylight-saving change in EU/US for weeks
MINUTE = 60_000
HOUR = 60 * MINUTE
CI_KEY = "Qm9nVXNlZEJ5Q0lSdW5uZXJOb3RBUmVhbEtleTAwMDA"
# Server-to-server ssh of normal life (issue 3): the ansible controller (its own logs are not
# collected) and the backup server pull from every Linux host each night.
OPS_HOST_IP = "10.20.1.30"  # lnx-ops01, the ansible controller
ANSIBLE_KEY = "QW5zaWJsZUNvbnRyb2xsZXJLZXlOb3RBUmVhbEtleTA"
BACKUP_KEY = "QmFja3VwUHVsbEtleU5vdEFSZWFsS2V5MDAwMDAwMDA"
ANSIBLE_UID, BACKUP_UID = 995, 996

OFFICE, ENGINEER, ADMIN, EXECUTIVE, SERVICE, CONTRACTOR = (
    "office",
    "engineer",
    "admin",
    "executive",
    "service",
    "contractor",
)

# --------------------------------------------------------------------------------------------
# The organisation.


@dataclass(frozen=True)
class Site:
    code: str
    city: str
    tz: ZoneInfo
    octet: int  # office network 10.10.<octet>.0/24
    egress_ip: str  # the office's public NAT address (what AWS sees)

    def office_ip(self, index: int) -> str:
        # 240 hosts per /24; a bigger site spills into 10.11.<octet>.0/24 and so on.
        return f"10.{10 + index // 240}.{self.octet}.{10 + index % 240}"


@dataclass(eq=False)
class Host:
    """A Windows computer (workstation, server or DC) that logs to the collector."""

    name: str  # NetBIOS name, upper case
    fqdn: str
    ip: str
    kind: str  # workstation | dc | file | web | sql | app | mgmt | backup | scanner
    tz: ZoneInfo
    lag_ms: int  # collector receive delay
    sid: str
    dn: str
    since_day: int = 0  # first day it exists (rollout, new laptop)

    @property
    def sam(self) -> str:
        return f"{self.name}$"

    @property
    def display(self) -> str:
        return self.name

    @property
    def actor(self) -> str:
        return ""  # machine accounts do not count as user-days

    @property
    def short(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class LinuxHost:
    name: str  # syslog host name, lower case
    ip: str


@dataclass(eq=False)
class Person:
    """An account and the habits that make its baseline."""

    sam: str
    display: str
    role: str
    dept: str
    site: Site
    sid: str
    dn: str
    start_min: float = 540.0  # local minutes after midnight
    length_min: float = 510.0
    remote_prob: float = 0.2
    weekend_prob: float = 0.03
    servers: dict[str, float] = field(default_factory=dict)  # server -> visits per workday
    laptops: list[tuple[int, Host]] = field(default_factory=list)  # (from day, workstation)
    uid: int = 0  # Linux uid on the bastion; 0 = no Linux account
    linux_hosts: list[str] = field(default_factory=list)  # reached from the bastion
    sudo_as: str = ""  # "root" (admins) or "deploy" (engineers)
    ssh_key: str = ""
    aws: bool = False
    aws_role: str = ""
    aws_principal: str = ""
    aws_keys: tuple[str, str] = ("", "")  # (long-term AKIA key, console session key prefix)
    browser_ua: str = ""
    cli_ua: str = ""
    aws_calls: list[tuple[str, str]] = field(default_factory=list)  # favourite read calls
    home_ips: list[tuple[int, str]] = field(default_factory=list)  # (from day, ip)
    split_tunnel: bool = False  # AWS/ssh from home go direct, not via the VPN
    deleter: bool = False
    group_changer: bool = False
    resetter: bool = False
    first_day: int = 0
    last_day: int = 10**6
    absent: set[int] = field(default_factory=set)
    travel: dict[int, ZoneInfo] = field(default_factory=dict)
    episodes: dict[int, list[str]] = field(default_factory=dict)  # day -> benign episode tags
    special: str = ""  # a personal benign episode (new hire, travel ...): not an attack victim

    def add_episode(self, day: int, tag: str, kind: str) -> None:
        self.episodes.setdefault(day, []).append(tag)
        self.special = self.special or kind

    @property
    def actor(self) -> str:
        return self.sam.lower()

    def workstation_on(self, day: int) -> Host | None:
        current = None
        for since, host in self.laptops:
            if since <= day:
                current = host
        return current

    def home_ip_on(self, day: int) -> str:
        current = ""
        for since, ip in self.home_ips:
            if since <= day:
                current = ip
        return current

    def tz_on(self, day: int) -> ZoneInfo:
        return self.travel.get(day, self.site.tz)


@dataclass
class Org:
    tenant: str
    dns_domain: str
    netbios: str
    domain_sid: str
    base_dn: str
    sites: list[Site]
    people: list[Person]
    hosts: dict[str, Host]  # every Windows host by name
    linux: dict[str, LinuxHost]
    bastion: LinuxHost
    bastion_public_ip: str
    vpn_egress_ip: str
    ci_ip: str  # CI runner (public, for AWS) ...
    ci_internal_ip: str  # ... and inside (ssh deploys)
    aws_account: str
    region: str
    buckets: list[str]
    instances: list[str]
    rollout_server: str
    new_hire: str
    rollout_tag: str
    dormant: str

    @property
    def realm(self) -> str:
        return self.dns_domain.upper()

    def person(self, sam: str) -> Person:
        for person in self.people:
            if person.sam == sam:
                return person
        raise KeyError(sam)

    def role(self, role: str) -> list[Person]:
        return [p for p in self.people if p.role == role]

    @property
    def humans(self) -> list[Person]:
        return [p for p in self.people if p.role != SERVICE]

    def dc_for(self, person: Person) -> Host:
        return self.hosts["DC02"] if person.site.code == "nyc" else self.hosts["DC01"]

    def servers(self, *kinds: str) -> list[Host]:
        return [
            h
            for h in self.hosts.values()
            if h.kind != "workstation" and (not kinds or h.kind in kinds)
        ]

    def workstations(self) -> list[Host]:
        return [h for h in self.hosts.values() if h.kind == "workstation"]


class Clock:
    """Local wall-clock times on scenario days, as epoch milliseconds."""

    def __init__(self, start: date) -> None:
        self.start = start
        self.start_ms = int(
            datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp() * 1000
        )
        self._midnights: dict[tuple[int, str], int] = {}

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def weekday(self, day: int) -> int:
        return self.date(day).weekday()

    def at(self, day: int, tz: ZoneInfo, minutes: float) -> int:
        key = (day, tz.key)
        midnight = self._midnights.get(key)
        if midnight is None:
            d = self.date(day)
            midnight = int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp() * 1000)
            self._midnights[key] = midnight
        return midnight + int(minutes * MINUTE)

    def day_start(self, day: int) -> int:
        return self.start_ms + day * DAY_MS


@dataclass
class World:
    """Everything a day of life or an attack needs: the org, the clock and the log builders."""

    org: Org
    clock: Clock
    sink: LogSink
    win: WindowsLog
    linux: LinuxLog
    trail: CloudTrailLog
    seed: int
    days: int
    learning_days: int

    def rng(self, *parts: object) -> random.Random:
        return random.Random("/".join(str(p) for p in (self.seed, *parts)))

    @property
    def learning_end_ms(self) -> int:
        return self.clock.day_start(self.learning_days)

    @property
    def end_ms(self) -> int:
        return self.clock.day_start(self.days)

    def vpn_ip(self, rng: random.Random) -> str:
        return f"10.30.{rng.randrange(2)}.{rng.randrange(10, 250)}"

    @contextmanager
    def tagged(self, *tags: str | None) -> Iterator[None]:
        """Tag what is emitted inside with every tag given (``None`` entries are ignored)."""
        with self.sink.tagged(*(t for t in tags if t)):
            yield


# Public address space that looks like ISPs and hosting providers (all globally routable; the
# RFC 5737 documentation ranges are avoided because ipaddress calls them private).
_RESIDENTIAL = (
    "86.12",
    "82.132",
    "71.185",
    "73.42",
    "24.61",
    "95.91",
    "81.107",
    "98.207",
    "109.152",
)
_HOSTING = (
    "45.83",
    "185.220",
    "193.32",
    "91.219",
    "103.251",
    "5.188",
    "141.98",
    "194.26",
    "89.248",
)
_SCANNERS = ("61.177", "218.92", "222.186", "112.85", "49.88", "183.136", "43.156", "170.64")


def public_ip(rng: random.Random, kind: str = "residential") -> str:
    prefixes = {"residential": _RESIDENTIAL, "hosting": _HOSTING, "scanner": _SCANNERS}[kind]
    return f"{rng.choice(prefixes)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}"


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; fine for the small means used here."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --------------------------------------------------------------------------------------------
# Building the organisation.

_FIRST = (
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Sandra Mark Ashley Paul Emily Steven Donna Andrew Michelle Joshua Carol Kevin Amanda Brian "
    "Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Ryan Sharon Jacob Cynthia "
    "Priya Arjun Mei Wei Olga Ivan Fatima Omar Lukas Anna Sven Ingrid Marco Giulia"
).split()
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Kumar Chen "
    "Wang Ivanova Petrov Khan Haddad Schmidt Weber Larsen Berg Rossi Bianchi Novak Kowalski"
).split()
_DEPTS = ("Finance", "Sales", "HR", "Marketing", "Operations", "Legal")
_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
)
_CLIS = (
    "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.22 md/prompt#off",
    "aws-cli/2.15.38 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
    "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.5.0-28-generic md/arch#x86_64 "
    "lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84",
    "APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) "
    "terraform-provider-aws/5.48.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.26.1 ua/2.0 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64",
)
# (eventSource, eventName) of everyday read-only calls; each AWS user favours a subset.
READ_CALLS = (
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("ec2.amazonaws.com", "DescribeVpcs"),
    ("ec2.amazonaws.com", "DescribeSubnets"),
    ("ec2.amazonaws.com", "DescribeVolumes"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("s3.amazonaws.com", "GetBucketLocation"),
    ("s3.amazonaws.com", "GetBucketPolicy"),
    ("rds.amazonaws.com", "DescribeDBInstances"),
    ("rds.amazonaws.com", "DescribeDBSnapshots"),
    ("logs.amazonaws.com", "DescribeLogGroups"),
    ("logs.amazonaws.com", "FilterLogEvents"),
    ("monitoring.amazonaws.com", "DescribeAlarms"),
    ("monitoring.amazonaws.com", "GetMetricData"),
    ("lambda.amazonaws.com", "ListFunctions20150331"),
    ("lambda.amazonaws.com", "GetFunction20150331v2"),
    ("iam.amazonaws.com", "ListRoles"),
    ("iam.amazonaws.com", "GetRole"),
    ("ecs.amazonaws.com", "DescribeServices"),
    ("ecs.amazonaws.com", "ListClusters"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("secretsmanager.amazonaws.com", "DescribeSecret"),
)
ADMIN_READ_CALLS = (
    ("iam.amazonaws.com", "ListUsers"),
    ("iam.amazonaws.com", "ListPolicies"),
    ("iam.amazonaws.com", "GetAccountAuthorizationDetails"),
    ("cloudtrail.amazonaws.com", "DescribeTrails"),
    ("config.amazonaws.com", "DescribeConfigRules"),
)
# Reads nobody does daily but anyone may do now and then (looking something up in a service one
# rarely uses): the ordinary long tail of a cloud account, tenant-rare by nature.
OCCASIONAL_READ_CALLS = (
    ("ec2.amazonaws.com", "DescribeImages"),
    ("ec2.amazonaws.com", "DescribeKeyPairs"),
    ("ec2.amazonaws.com", "DescribeNetworkInterfaces"),
    ("s3.amazonaws.com", "GetBucketAcl"),
    ("s3.amazonaws.com", "GetBucketVersioning"),
    ("iam.amazonaws.com", "ListAttachedRolePolicies"),
    ("iam.amazonaws.com", "GetPolicy"),
    ("cloudformation.amazonaws.com", "DescribeStacks"),
    ("cloudformation.amazonaws.com", "ListStacks"),
    ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers"),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth"),
    ("route53.amazonaws.com", "ListHostedZones"),
    ("acm.amazonaws.com", "ListCertificates"),
    ("sns.amazonaws.com", "ListTopics"),
    ("kms.amazonaws.com", "ListAliases"),
    ("autoscaling.amazonaws.com", "DescribeAutoScalingGroups"),
    ("cloudwatch.amazonaws.com", "ListDashboards"),
    ("ssm.amazonaws.com", "DescribeInstanceInformation"),
)
# A service the engineering team adopts during the scenario (one per seed): the first adopters
# call APIs nobody in the tenant called before, the rest follow over the next days.
ADOPTED_SERVICES = (
    (
        ("dynamodb.amazonaws.com", "ListTables"),
        ("dynamodb.amazonaws.com", "DescribeTable"),
        ("dynamodb.amazonaws.com", "Query"),
        ("dynamodb.amazonaws.com", "GetItem"),
    ),
    (
        ("sqs.amazonaws.com", "ListQueues"),
        ("sqs.amazonaws.com", "GetQueueAttributes"),
        ("sqs.amazonaws.com", "ReceiveMessage"),
        ("sqs.amazonaws.com", "SendMessage"),
    ),
    (
        ("ssm.amazonaws.com", "DescribeParameters"),
        ("ssm.amazonaws.com", "GetParameter"),
        ("ssm.amazonaws.com", "GetParametersByPath"),
    ),
    (
        ("kinesis.amazonaws.com", "ListStreams"),
        ("kinesis.amazonaws.com", "DescribeStream"),
        ("kinesis.amazonaws.com", "GetRecords"),
        ("kinesis.amazonaws.com", "GetShardIterator"),
    ),
)
# Admin maintenance that touches sensitive APIs now and then: rotating a database password,
# auditing IAM users' keys, reading the credential report.
ADMIN_MAINTENANCE_CALLS = (
    (
        ("secretsmanager.amazonaws.com", "ListSecrets"),
        ("secretsmanager.amazonaws.com", "GetSecretValue"),
        ("secretsmanager.amazonaws.com", "PutSecretValue"),
    ),
    (
        ("iam.amazonaws.com", "ListUsers"),
        ("iam.amazonaws.com", "ListAccessKeys"),
        ("iam.amazonaws.com", "GetAccessKeyLastUsed"),
    ),
    (
        ("iam.amazonaws.com", "GenerateCredentialReport"),
        ("iam.amazonaws.com", "GetCredentialReport"),
    ),
)
LINUX_ADMIN_COMMANDS = (
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/apt update",
    "/usr/bin/apt upgrade -y",
    "/usr/bin/journalctl -u sshd --since today",
    "/usr/bin/tail -n 200 /var/log/syslog",
    "/usr/sbin/ufw status",
    "/usr/bin/systemctl status postgresql",
    "/usr/bin/du -sh /var/log",
)
DEPLOY_COMMANDS = (
    "/usr/bin/systemctl restart app",
    "/usr/bin/systemctl status app",
    "/usr/bin/tail -n 100 /srv/app/log/app.log",
    "/srv/app/bin/migrate --dry-run",
)


def _sid(org_sid: str, rid: int) -> str:
    return f"{org_sid}-{rid}"


def _fingerprint(rng: random.Random) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alphabet) for _ in range(43))


def _aws_id(rng: random.Random, prefix: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(rng.choice(alphabet) for _ in range(16))


class _OrgBuilder:
    """Builds the organisation for one seed; each step has its own random stream."""

    def __init__(
        self, *, seed: int, tenant: str, users: int, days: int, learning_days: int
    ) -> None:
        self.seed = seed
        self.tenant = tenant
        self.n_users = users
        self.days = days
        self.learning_days = learning_days
        rng = self.rng("org")
        self.dns_domain = f"{tenant}.local"
        self.netbios = tenant.upper()[:15]
        parts = (rng.randrange(10**9, 4 * 10**9) for _ in range(3))
        self.domain_sid = "S-1-5-21-" + "-".join(str(part) for part in parts)
        self.base_dn = ",".join(f"DC={part}" for part in self.dns_domain.split("."))
        self.next_rid = 1103
        self.next_uid = 1001
        self.hosts: dict[str, Host] = {}
        self.sites = [
            Site("lon", "London", ZoneInfo("Europe/London"), 1, public_ip(rng, "hosting")),
            Site("nyc", "New York", ZoneInfo("America/New_York"), 2, public_ip(rng, "hosting")),
            Site("ber", "Berlin", ZoneInfo("Europe/Berlin"), 3, public_ip(rng, "hosting")),
        ]
        self.site_hosts = {site.code: 0 for site in self.sites}

    def rng(self, *parts: object) -> random.Random:
        return random.Random("/".join(str(p) for p in (self.seed, "org", *parts)))

    def rid(self) -> int:
        self.next_rid += 1
        return self.next_rid

    # -- hosts ---------------------------------------------------------------------------------

    def add_host(self, name: str, kind: str, ip: str, site: Site, *, since_day: int = 0) -> Host:
        rng = self.rng("host", name)
        ou = "Workstations" if kind == "workstation" else "Servers"
        host = Host(
            name=name,
            fqdn=f"{name}.{self.dns_domain}",
            ip=ip,
            kind=kind,
            tz=site.tz,
            lag_ms=rng.randrange(400, 2600),
            sid=_sid(self.domain_sid, self.rid()),
            dn=f"CN={name},OU={ou},OU={site.city},{self.base_dn}",
            since_day=since_day,
        )
        self.hosts[name] = host
        return host

    def add_workstation(self, site: Site, *, since_day: int = 0) -> Host:
        index = self.site_hosts[site.code]
        self.site_hosts[site.code] += 1
        name = f"{site.code.upper()}-WS{index + 1:03d}"
        return self.add_host(name, "workstation", site.office_ip(index), site, since_day=since_day)

    def servers(self, rollout_day: int) -> None:
        lon, nyc = self.sites[0], self.sites[1]
        table = (
            ("DC01", "dc", lon, 0),
            ("DC02", "dc", nyc, 0),
            ("FS01", "file", lon, 0),
            ("SQL01", "sql", lon, 0),
            ("SQL02", "sql", nyc, 0),
            ("WEB01", "web", lon, 0),
            ("WEB02", "web", nyc, 0),
            ("APP01", "app", lon, 0),
            ("APP02", "app", nyc, 0),
            ("MGMT01", "mgmt", lon, 0),
            ("BKP01", "backup", lon, 0),
            ("SCAN01", "scanner", lon, 0),
            ("FS02", "file", lon, rollout_day),  # the new file server rolled out mid-period
        )
        for index, (name, kind, site, since) in enumerate(table):
            self.add_host(name, kind, f"10.20.0.{10 + index}", site, since_day=since)

    # -- people --------------------------------------------------------------------------------

    def role_counts(self) -> list[tuple[str, int]]:
        """Role mix for ``n`` accounts: 4 service accounts, 1 contractor, the rest humans."""
        n = self.n_users
        admins = max(2, round(0.07 * n))
        executives = max(1, round(0.07 * n))
        engineers = max(2, round(0.28 * n))  # includes the new hire
        office = n - 4 - 1 - admins - executives - engineers
        if office < 1:
            raise ValueError(f"users must be at least 12 (got {n})")
        return [
            (ADMIN, admins),
            (EXECUTIVE, executives),
            (ENGINEER, engineers),
            (OFFICE, office),
            (CONTRACTOR, 1),
        ]

    def unique_name(self, rng: random.Random, taken: set[str], prefix: str = "") -> tuple[str, str]:
        while True:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            sam = f"{prefix}{first[0]}{last}".lower()
            if sam in taken:
                sam = f"{sam}{rng.randrange(2, 99)}"
            if sam not in taken:
                taken.add(sam)
                return sam, f"{first} {last}"

    def person(self, sam: str, display: str, role: str, dept: str, site: Site) -> Person:
        ou = "Service Accounts" if role == SERVICE else "Users"
        escaped = display.replace(",", "\\,")
        return Person(
            sam=sam,
            display=display,
            role=role,
            dept=dept,
            site=site,
            sid=_sid(self.domain_sid, self.rid()),
            dn=f"CN={escaped},OU={ou},OU={site.city},{self.base_dn}",
        )

    def habits(self, p: Person, rng: random.Random) -> None:
        """Working hours, servers, Linux and AWS use by role."""
        if p.role == OFFICE:
            p.start_min = rng.uniform(7.5, 9.5) * 60
            p.length_min = rng.uniform(8.0, 9.3) * 60
            p.remote_prob, p.weekend_prob = rng.uniform(0.05, 0.3), 0.03
            p.servers = {"FS01": rng.uniform(2.5, 5.0), "WEB01": rng.uniform(1.0, 3.0)}
            if rng.random() < 0.3:
                p.servers["WEB02"] = rng.uniform(0.3, 1.0)
            if p.dept == "Finance":
                p.servers["APP02"] = rng.uniform(0.3, 0.8)  # the finance application (RDP)
        elif p.role == EXECUTIVE:
            p.start_min = rng.uniform(7.0, 8.5) * 60
            p.length_min = rng.uniform(9.0, 10.5) * 60
            p.remote_prob, p.weekend_prob = rng.uniform(0.2, 0.4), 0.15
            p.servers = {"FS01": rng.uniform(0.5, 1.5), "WEB01": rng.uniform(0.5, 1.5)}
        elif p.role in (ENGINEER, ADMIN):
            admin = p.role == ADMIN
            p.start_min = rng.uniform(7.5, 9.0 if admin else 10.5) * 60
            p.length_min = rng.uniform(8.5, 10.0) * 60
            p.remote_prob = rng.uniform(0.15, 0.45)
            p.weekend_prob = 0.12 if admin else 0.06
            p.servers = {"FS01": rng.uniform(1.0, 2.5), "WEB01": rng.uniform(0.5, 2.0)}
            for name, prob in (("SQL01", 0.6), ("SQL02", 0.3), ("APP01", 0.6), ("APP02", 0.25)):
                if admin or rng.random() < prob:
                    p.servers[name] = rng.uniform(0.5, 2.0)
            if admin:
                p.servers["MGMT01"] = 1.2  # admins work from the management jump host
            linux = admin or rng.random() < 0.8
            if linux:
                p.uid = self.next_uid
                self.next_uid += 1
                p.ssh_key = _fingerprint(rng)
                choices = ["lnx-app01", "lnx-db01"]
                p.linux_hosts = choices if admin else [h for h in choices if rng.random() < 0.6]
                p.sudo_as = "root" if admin else ("deploy" if "lnx-app01" in p.linux_hosts else "")
            p.aws = admin or rng.random() < 0.75
            if p.aws:
                p.aws_role = "Admin" if admin else "Engineer"
                p.aws_principal = _aws_id(rng, "AIDA")
                p.aws_keys = (_aws_id(rng, "AKIA"), _aws_id(rng, "ASIA")[:8])
                p.browser_ua = rng.choice(_BROWSERS)
                p.cli_ua = rng.choice(_CLIS)
                favourites = rng.sample(READ_CALLS, rng.randrange(6, 12))
                if admin:
                    favourites += list(ADMIN_READ_CALLS)
                p.aws_calls = favourites
                p.deleter = rng.random() < (0.5 if admin else 0.3)
            if rng.random() < (0.5 if admin else 0.4):
                p.home_ips = [(0, public_ip(rng))]
                p.split_tunnel = rng.random() < 0.6
        elif p.role == CONTRACTOR:
            p.start_min = rng.uniform(8.5, 10.0) * 60
            p.length_min = rng.uniform(6.0, 8.0) * 60
            p.remote_prob, p.weekend_prob = 1.0, 0.0
            p.servers = {"FS01": 1.5, "APP02": 1.0}

    def people(self) -> list[Person]:
        taken: set[str] = set()
        people: list[Person] = []
        rng = self.rng("people")
        site_weights = (0.5, 0.3, 0.2)
        for role, count in self.role_counts():
            for _ in range(count):
                site = rng.choices(self.sites, weights=site_weights)[0]
                prefix = "ext-" if role == CONTRACTOR else ""
                sam, display = self.unique_name(rng, taken, prefix)
                dept = {ADMIN: "IT", EXECUTIVE: "Executive", ENGINEER: "Engineering"}.get(
                    role, rng.choice(_DEPTS)
                )
                if role == CONTRACTOR:
                    dept = "Contractors"
                person = self.person(sam, display, role, dept, site)
                self.habits(person, self.rng("habits", sam))
                if role != CONTRACTOR:  # contractors bring their own laptops over the VPN
                    person.laptops = [(0, self.add_workstation(site))]
                people.append(person)
        lon = self.sites[0]
        for sam, display in (
            ("svc_backup", "Backup Service"),
            ("svc_web", "Web App Pool"),
            ("svc_scan", "Vulnerability Scanner"),
            ("svc_deploy", "CI Deploy"),
        ):
            people.append(self.person(sam, display, SERVICE, "IT", lon))
        deploy = people[-1]
        deploy.aws = True
        deploy.aws_principal = _aws_id(self.rng("deploy"), "AIDA")
        deploy.aws_keys = (_aws_id(self.rng("deploy-key"), "AKIA"), "")
        deploy.cli_ua = _CLIS[2]
        deploy.uid = 998  # the Linux "deploy" account CI uses on lnx-app01
        # Admins: the first does group changes and account admin, the second password resets
        # only; the others never change groups (an attack needs such an actor).
        admins = [p for p in people if p.role == ADMIN]
        admins[0].group_changer = admins[0].resetter = True
        admins[1].resetter = True
        return people

    def build(self) -> Org:
        rollout_day = min(self.days - 1, self.learning_days + 2)
        self.servers(rollout_day)
        people = self.people()
        rng = self.rng("infra")
        org = Org(
            tenant=self.tenant,
            dns_domain=self.dns_domain,
            netbios=self.netbios,
            domain_sid=self.domain_sid,
            base_dn=self.base_dn,
            sites=self.sites,
            people=people,
            hosts=self.hosts,
            linux={
                "bastion01": LinuxHost("bastion01", "10.20.1.10"),
                "lnx-app01": LinuxHost("lnx-app01", "10.20.1.20"),
                "lnx-db01": LinuxHost("lnx-db01", "10.20.1.21"),
            },
            bastion=LinuxHost("bastion01", "10.20.1.10"),
            bastion_public_ip=public_ip(rng, "hosting"),
            vpn_egress_ip=public_ip(rng, "hosting"),
            ci_ip=f"3.{rng.randrange(208, 240)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}",
            ci_internal_ip="10.20.2.15",
            aws_account=str(rng.randrange(10**11, 10**12)),
            region="us-east-1",
            buckets=[
                f"{self.tenant}-{b}"
                for b in ("data-prod", "logs", "backups", "scratch", "web-assets")
            ],
            instances=[f"i-0{rng.getrandbits(64):016x}" for _ in range(12)],
            rollout_server="FS02",
            new_hire="",
            rollout_tag="",
            dormant=next(p.sam for p in people if p.role == CONTRACTOR),
        )
        return org


# --------------------------------------------------------------------------------------------
# Benign novelty ("normal life" that must not be an incident), planned before the days run.


@dataclass
class BenignTruth:
    id: str
    kind: str
    description: str
    entities: dict[str, list[str]]
    start: str = ""
    end: str = ""
    events: int = 0
    evidence: list[str] = field(default_factory=list)


def _first_weekday_on_or_after(clock: Clock, day: int) -> int:
    while clock.weekday(day) >= 5:
        day += 1
    return day


def plan_normal_life(world: World, builder: _OrgBuilder) -> list[BenignTruth]:
    """Decide the benign episodes: new hire, rollout, vacations, travel, new devices ..."""
    org, clock = world.org, world.clock
    rng = world.rng("plan")
    days, learn = world.days, world.learning_days
    episodes: list[BenignTruth] = []

    def add(kind: str, description: str, **entities: list[str]) -> str:
        tag = f"N{len(episodes) + 1:02d}-{kind}"
        episodes.append(
            BenignTruth(tag, kind, description, {k: v for k, v in entities.items() if v})
        )
        return tag

    # New hire: an engineer whose account appears on the first working day after learning.
    hire_day = min(days - 1, _first_weekday_on_or_after(clock, learn))
    taken = {p.sam for p in org.people}
    sam, display = builder.unique_name(rng, taken)
    site = org.sites[0]
    hire = builder.person(sam, display, ENGINEER, "Engineering", site)
    builder.habits(hire, world.rng("habits", sam))
    hire.laptops = [(hire_day, builder.add_workstation(site, since_day=hire_day))]
    hire.first_day = hire_day
    engineers = org.role(ENGINEER)
    # The new hire replaces one pre-planned engineer slot so --users stays the account count.
    replaced = engineers[-1]
    org.people[org.people.index(replaced)] = hire
    org.hosts.pop(replaced.laptops[0][1].name, None)
    org.new_hire = hire.sam
    tag = add(
        "new_hire",
        f"{hire.sam} joins on {clock.date(hire_day)}: account, laptop, AWS and Linux access "
        "created by the identity admin; everything the new hire does in the first week is new",
        users=[hire.actor],
        hosts=[hire.laptops[0][1].short],
    )
    for day in range(hire_day, min(days, hire_day + 7)):
        hire.add_episode(day, tag, "new_hire")

    # Server rollout: FS02 goes live and most people start using it the same day.
    fs02 = org.hosts["FS02"]
    users = [
        p for p in org.humans if p.role != CONTRACTOR and world.rng("rollout", p.sam).random() < 0.7
    ]
    for person in users:
        person.servers["FS02"] = world.rng("rollout-rate", person.sam).uniform(0.8, 2.0)
    tag = add(
        "server_rollout",
        f"new file server FS02 goes live on {clock.date(fs02.since_day)}; "
        f"{len(users)} people use it from day one",
        hosts=["fs02"],
        users=[p.actor for p in users],
    )
    org.rollout_server = fs02.name
    org.rollout_tag = tag  # set on FS02 visits in its first two days (see _server_visit)

    humans = [
        p for p in org.humans if p.role in (OFFICE, ENGINEER, EXECUTIVE) and p.sam != hire.sam
    ]
    spare = sorted(humans, key=lambda p: world.rng("spare", p.sam).random())

    # Travel: executives work from another timezone for a few days (VPN, odd UTC hours).
    travellers = [p for p in org.role(EXECUTIVE)][:2]
    for index, person in enumerate(travellers):
        tz = ZoneInfo(("Asia/Singapore", "America/Los_Angeles")[index % 2])
        if person.site.tz.key == tz.key:
            tz = ZoneInfo("Asia/Tokyo")
        begin = rng.randrange(learn, max(learn + 1, days - 4))
        trip = range(begin, min(days, begin + rng.randrange(3, 6)))
        tag = add(
            "executive_travel",
            f"{person.sam} travels ({tz.key}) {clock.date(trip[0])} .. {clock.date(trip[-1])}: "
            "works over the VPN at local office hours of the destination",
            users=[person.actor],
        )
        for day in trip:
            person.travel[day] = tz
            person.add_episode(day, tag, "executive_travel")

    # Vacation: away across the end of learning, back in the detection period.
    spare = [p for p in spare if p not in travellers]
    for person in spare[:2]:
        away_from = max(1, learn - rng.randrange(2, 5))
        back = min(days - 1, _first_weekday_on_or_after(clock, away_from + rng.randrange(8, 11)))
        person.absent.update(range(away_from, back))
        tag = add(
            "vacation_return",
            f"{person.sam} is on holiday {clock.date(away_from)} .. {clock.date(back - 1)} and "
            "returns to normal work (days since last seen is long, but benign)",
            users=[person.actor],
        )
        person.add_episode(back, tag, "vacation_return")
    spare = spare[2:]

    # Rare device/address novelty: a few per 1000 user-days of the detection period.
    detection_user_days = len(org.humans) * max(1, days - learn)
    novelties = max(2, round(detection_user_days * 3 / 1000))
    for index in range(novelties):
        if not spare:
            break
        person = spare.pop(0)
        day = _first_weekday_on_or_after(clock, rng.randrange(learn, max(learn + 1, days - 1)))
        if day >= days:
            continue
        if index % 2 == 0 or not person.home_ips:
            old = person.workstation_on(day)
            if old is None:
                continue
            laptop = builder.add_workstation(person.site, since_day=day)
            person.laptops.append((day, laptop))
            tag = add(
                "new_laptop",
                f"{person.sam} gets a new laptop {laptop.name} on {clock.date(day)} "
                f"(replacing {old.name}); IT joins it to the domain the day before",
                users=[person.actor],
                hosts=[laptop.short],
            )
        else:
            ip = public_ip(world.rng("new-home", person.sam))
            person.home_ips.append((day, ip))
            tag = add(
                "new_home_ip",
                f"{person.sam}'s home broadband address changes to {ip} on {clock.date(day)}",
                users=[person.actor],
                ips=[ip],
            )
        for d in range(day, min(days, day + 2)):
            person.add_episode(d, tag, "device_change")

    # The contractor whose engagement ends on day 2 (the dormant account of a later attack).
    contractor = org.person(org.dormant)
    contractor.last_day = 1
    add(
        "contractor_offboarded",
        f"contractor {contractor.sam} works days 0-1, the account is disabled on day 2 by the "
        "identity admin",
        users=[contractor.actor],
    )
    routine = (
        (
            "backup_fanout",
            "svc_backup logs on to every server from BKP01 each night",
            ["svc_backup"],
        ),
        ("internet_scanners", "internet hosts guess root/admin/... at the bastion's sshd", []),
        (
            "weekly_vuln_scan",
            "svc_scan logs on to every host from SCAN01 on Saturday night",
            ["svc_scan"],
        ),
        (
            "ci_deploys",
            "svc_deploy deploys through AWS and ssh (as deploy) each workday",
            ["svc_deploy", "deploy"],
        ),
    )
    for kind, description, users in routine:
        add(kind, description, users=users)
    add(
        "admin_routine",
        "admins' usual work: RDP via MGMT01, sudo to root, PsExec to managed servers, group "
        "changes and password resets by the identity/helpdesk admins (not tagged per event)",
        users=[p.actor for p in org.role(ADMIN)],
    )
    add(
        "server_ssh",
        "server-to-server ssh: ansible (lnx-ops01) and the backup pull (BKP01) reach every Linux "
        "host each night, and some admins hop on from lnx-app01 to lnx-db01 with their own key",
        users=["ansible", "backup", *(p.actor for p in org.role(ADMIN) if server_hopper(world, p))],
    )
    return episodes


def server_hopper(world: World, p: Person) -> bool:
    """Whether an admin habitually hops from lnx-app01 on to lnx-db01 (agent forwarding).

    Its own random stream: the people's habits (and every older scenario) stay as they were.
    """
    return p.role == ADMIN and world.rng("hopper", p.sam).random() < 0.5


def routine_tag(episodes: list[BenignTruth], kind: str) -> str | None:
    for episode in episodes:
        if episode.kind == kind:
            return episode.id
    return None


# --------------------------------------------------------------------------------------------
# A day in the life.


def _visit_times(rng: random.Random, t0: int, t_end: int, count: int) -> list[int]:
    lo, hi = t0 + 10 * MINUTE, max(t0 + 11 * MINUTE, t_end - 15 * MINUTE)
    return sorted(rng.randrange(lo, hi) for _ in range(count))


def _works_today(world: World, p: Person, day: int, rng: random.Random) -> bool:
    if day < p.first_day or day > p.last_day or day in p.absent:
        return False
    if world.clock.weekday(day) >= 5:
        return rng.random() < p.weekend_prob
    return rng.random() > 0.04  # sick days, days off


def person_day(world: World, p: Person, day: int) -> None:
    """One person's working day: desktop, servers, Linux, AWS, admin chores."""
    rng = world.rng("day", p.sam, day)
    if not _works_today(world, p, day, rng):
        return
    org, win, clock = world.org, world.win, world.clock
    weekend = clock.weekday(day) >= 5
    travelling = day in p.travel
    remote = travelling or weekend or rng.random() < p.remote_prob
    if weekend:
        start, length = rng.uniform(600, 1200), rng.uniform(40, 180)
    else:
        start = p.start_min + rng.gauss(0, 20)
        length = p.length_min + rng.gauss(0, 30)
        if rng.random() < 0.06:
            length += rng.uniform(90, 240)  # occasional late work
    tz = p.tz_on(day)
    t0 = clock.at(day, tz, start)
    t_end = t0 + int(length * MINUTE)
    ws = p.workstation_on(day)
    ip = world.vpn_ip(rng) if remote or ws is None else ws.ip
    dc = org.dc_for(p)
    privileges = ADMIN_PRIVILEGES if p.role == ADMIN else ""

    desktop = None
    if ws is not None:
        desktop = _desktop_logon(world, p, ws, dc, ip, t0, remote, rng)
        # Background group-policy refresh by the laptop's machine account (every ~90-120 min).
        t = t0 + rng.randrange(90, 120) * MINUTE
        while t < t_end:
            refresh = win.logon(t, dc, ws, 3, src_ip=ip)
            win.logoff(t + 1200, dc, ws, refresh, 3)
            t += rng.randrange(90, 120) * MINUTE
        for t in _visit_times(rng, t0, t_end, rng.choice((0, 1, 1, 2, 3))):  # screen unlocks
            unlock = win.logon(t, ws, p, 7, privileges=privileges)
            win.logoff(t + 2000, ws, p, unlock, 7)
    else:  # contractor on their own laptop, over the VPN
        win.tgt(t0, dc, p, ip)
    visited: set[str] = set()
    for server, mean in sorted(p.servers.items()):
        host = org.hosts[server]
        if host.since_day > day:
            continue
        for t in _visit_times(rng, t0, t_end, poisson(rng, mean * (0.4 if weekend else 1.0))):
            _server_visit(world, p, host, ws, ip, dc, t, rng, first=server not in visited)
            visited.add(server)
    if p.uid:
        _linux_work(world, p, day, ip if not remote else "", t0, t_end, rng)
    if p.aws:
        _aws_work(world, p, day, remote, t0, t_end, rng)
    if p.role == ADMIN and not weekend:
        _admin_chores(world, p, day, dc, t0, t_end, rng)
    if ws is not None and desktop is not None:
        win.logoff(t_end, ws, p, desktop, 11 if remote else 2)


def _desktop_logon(
    world: World, p: Person, ws: Host, dc: Host, ip: str, t0: int, remote: bool, rng: random.Random
) -> str:
    """Morning logon: machine account, Kerberos on the DC, the interactive logon, GPO."""
    win = world.win
    win.tgt(t0 - 6 * MINUTE, dc, ws, ip)  # the laptop's own account when it boots
    machine = win.logon(t0 - 6 * MINUTE + 500, dc, ws, 3, src_ip=ip)
    win.logoff(t0 - 6 * MINUTE + 1500, dc, ws, machine, 3)
    if rng.random() < 0.03:  # a mistyped password first
        win.preauth_failed(t0 - 20_000, dc, p, ip)
        win.logon_failed(t0 - 19_500, ws, p.sam, 11 if remote else 2, actor=p.actor)
    win.tgt(t0 - 1500, dc, p, ip)
    win.tgs(t0 - 1200, dc, p, ip, ws)
    if rng.random() < 0.5:
        win.explicit_credentials(t0 - 400, ws, ws, "0x3e7", p, "localhost")
    privileges = ADMIN_PRIVILEGES if p.role == ADMIN else ""
    session = win.logon(t0, ws, p, 11 if remote else 2, privileges=privileges)
    gpo = win.logon(t0 + 4000, dc, p, 3, src_ip=ip)  # group policy from SYSVOL
    win.share(t0 + 4100, dc, p, gpo, ip, "SYSVOL", local_path="\\??\\C:\\Windows\\SYSVOL\\sysvol")
    win.logoff(t0 + 6000, dc, p, gpo, 3)
    return session


_SHARES = {"FS01": "\\??\\D:\\Shares", "FS02": "\\??\\E:\\Shares"}


def _server_visit(
    world: World,
    p: Person,
    host: Host,
    ws: Host | None,
    ip: str,
    dc: Host,
    t: int,
    rng: random.Random,
    *,
    first: bool,
) -> None:
    """One use of a server: a network logon (files, web, SQL) or an RDP session (apps, MGMT)."""
    rollout = host.since_day and t < world.clock.day_start(host.since_day + 2)
    with world.tagged(world.org.rollout_tag if rollout else None):
        _use_server(world, p, host, ws, ip, dc, t, rng, first=first)


def _use_server(
    world: World,
    p: Person,
    host: Host,
    ws: Host | None,
    ip: str,
    dc: Host,
    t: int,
    rng: random.Random,
    *,
    first: bool,
) -> None:
    win = world.win
    privileges = ADMIN_PRIVILEGES if p.role == ADMIN else ""
    if first:
        win.tgs(t - 800, dc, p, ip, host)
    if host.kind in ("app", "mgmt"):
        session = win.logon(t, host, p, 10, src=ws, src_ip=ip, privileges=privileges)
        if p.role == ADMIN:
            tool = rng.choice(
                (
                    (
                        "C:\\Windows\\System32\\mmc.exe",
                        '"C:\\Windows\\system32\\mmc.exe" compmgmt.msc',
                    ),
                    (
                        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                        '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"',
                    ),
                    ("C:\\Windows\\System32\\cmd.exe", '"C:\\Windows\\system32\\cmd.exe"'),
                )
            )
            win.process(t + 40_000, host, p, session, tool[0], tool[1], elevated=True)
        win.logoff(t + rng.randrange(10, 90) * MINUTE, host, p, session, 10)
        return
    session = win.logon(t, host, p, 3, src_ip=ip, privileges=privileges)
    if host.kind == "file":
        for k in range(rng.choice((1, 1, 2, 3))):
            share = p.dept if rng.random() < 0.6 else "Shared"
            local = f"{_SHARES.get(host.name, '')}\\{share}"
            win.share(t + 300 + k * 45_000, host, p, session, ip, share, local_path=local)
    win.logoff(t + rng.randrange(1, 25) * MINUTE, host, p, session, 3)


def _linux_work(
    world: World, p: Person, day: int, office_ip: str, t0: int, t_end: int, rng: random.Random
) -> None:
    """ssh to the bastion (from the office, the VPN or home), hop to app/db hosts, sudo."""
    if rng.random() > (0.7 if p.role == ADMIN else 0.45):
        return
    org, linux = world.org, world.linux
    home = p.home_ip_on(day)
    if office_ip:
        source = office_ip
    elif home and p.split_tunnel:
        source = home
    else:
        source = world.vpn_ip(rng)
    t = _visit_times(rng, t0, t_end, 1)[0]
    duration = rng.randrange(10, 120) * MINUTE
    linux.ssh_session(
        t, "bastion01", p.sam, p.uid, source, duration, key_fingerprint=p.ssh_key, actor=p.actor
    )
    for name in p.linux_hosts:
        if rng.random() < 0.6:
            hop = t + rng.randrange(1, max(2, duration // MINUTE - 2)) * MINUTE
            hop_len = rng.randrange(2, 30) * MINUTE
            linux.ssh_session(
                hop,
                name,
                p.sam,
                p.uid,
                org.bastion.ip,
                hop_len,
                key_fingerprint=p.ssh_key,
                actor=p.actor,
            )
            if p.sudo_as == "root":
                for k in range(rng.randrange(1, 4)):
                    linux.sudo(
                        hop + (k + 1) * 40_000,
                        name,
                        p.sam,
                        p.uid,
                        rng.choice(LINUX_ADMIN_COMMANDS),
                        actor=p.actor,
                    )
                if name == "lnx-db01" and rng.random() < 0.3:
                    linux.su(hop + 3 * MINUTE, name, p.sam, p.uid, "postgres", 113, actor=p.actor)
                if name == "lnx-app01" and server_hopper(world, p):
                    _hop_on(world, p, day, hop, hop_len)
            elif p.sudo_as == "deploy" and name == "lnx-app01":
                for k in range(rng.randrange(0, 3)):
                    command = rng.choice(DEPLOY_COMMANDS)
                    linux.sudo(
                        hop + (k + 1) * 45_000,
                        name,
                        p.sam,
                        p.uid,
                        command,
                        run_as="deploy",
                        run_as_uid=998,
                        actor=p.actor,
                    )
    if p.sudo_as == "root" and rng.random() < 0.4:
        linux.sudo(
            t + 2 * MINUTE,
            "bastion01",
            p.sam,
            p.uid,
            rng.choice(LINUX_ADMIN_COMMANDS),
            actor=p.actor,
        )


def _hop_on(world: World, p: Person, day: int, hop: int, hop_len: int) -> None:
    """An admin on lnx-app01 goes on to lnx-db01 from there with their own (forwarded) key."""
    # Its own random stream: the day's draws (and so every older scenario) stay as they were.
    rng = world.rng("linux-hop", p.sam, day, hop)
    if rng.random() > 0.5:
        return
    linux = world.linux
    onward = hop + rng.randrange(1, max(2, hop_len // MINUTE - 1)) * MINUTE
    linux.ssh_session(
        onward, "lnx-db01", p.sam, p.uid, world.org.linux["lnx-app01"].ip,
        rng.randrange(2, 15) * MINUTE, key_fingerprint=p.ssh_key, actor=p.actor,
    )  # fmt: skip
    for k in range(rng.randrange(0, 3)):
        command = rng.choice(LINUX_ADMIN_COMMANDS)
        linux.sudo(onward + (k + 1) * 30_000, "lnx-db01", p.sam, p.uid, command, actor=p.actor)


def server_ssh_day(world: World, day: int, episodes: list[BenignTruth]) -> None:
    """Nightly ansible run from lnx-ops01 (sudo to root) and the backup pull from BKP01."""
    org, linux, clock = world.org, world.linux, world.clock
    rng = world.rng("server-ssh", day)
    tz = org.sites[0].tz
    with world.tagged(routine_tag(episodes, "server_ssh")):
        t = clock.at(day, tz, rng.uniform(115, 135))
        for host in sorted(org.linux):
            t += rng.randrange(5, 40) * 1000
            linux.ssh_session(
                t, host, "ansible", ANSIBLE_UID, OPS_HOST_IP, rng.randrange(40, 240) * 1000,
                key_fingerprint=ANSIBLE_KEY, actor="ansible",
            )  # fmt: skip
            marker = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(32))
            command = f"/bin/sh -c echo BECOME-SUCCESS-{marker} ; /usr/bin/python3"
            linux.sudo(
                t + rng.randrange(3, 20) * 1000, host, "ansible", ANSIBLE_UID, command,
                actor="ansible",
            )  # fmt: skip
        t = clock.at(day, tz, rng.uniform(60, 95))
        for host in ("lnx-db01", "lnx-app01"):
            duration = rng.randrange(3, 25) * MINUTE
            linux.ssh_session(
                t, host, "backup", BACKUP_UID, org.hosts["BKP01"].ip, duration,
                key_fingerprint=BACKUP_KEY, actor="backup",
            )  # fmt: skip
            t += duration + rng.randrange(1, 5) * MINUTE


def aws_source(world: World, p: Person, day: int, remote: bool, rng: random.Random) -> str:
    """Where AWS sees a person come from: office NAT, VPN NAT, or home (split tunnel)."""
    if not remote:
        return p.site.egress_ip
    home = p.home_ip_on(day)
    if home and p.split_tunnel:
        return home
    return world.org.vpn_egress_ip


def console_agent(source: str) -> str:
    """User agent CloudTrail records for calls the console makes on a user's behalf."""
    service = source.split(".", 1)[0]
    if service in ("ec2", "rds", "lambda", "ecs"):
        return f"console.{service}.amazonaws.com"
    if service == "s3":
        return "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.217 java/17]"
    return "AWS Internal"


def role_identity(
    world: World, p: Person, t: int, rng: random.Random, *, mfa: bool = True
) -> dict[str, Any]:
    role_id = "AROA" + world.org.aws_account[-6:] + p.aws_role.upper()[:6].ljust(6, "X")
    key = p.aws_keys[1] + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(12))
    return world.trail.assumed_role(p.aws_role, role_id, p.sam, key, t, mfa=mfa)


def assume_role(
    world: World, p: Person, t: int, ip: str, ua: str, rng: random.Random
) -> dict[str, Any]:
    """AssumeRole into the person's role (console and CLI alike); returns the session identity."""
    trail, org = world.trail, world.org
    user = trail.iam_user(p.sam, p.aws_principal, p.aws_keys[0])
    role_arn = f"arn:aws:iam::{org.aws_account}:role/{p.aws_role}"
    trail.call(
        t,
        user,
        "sts.amazonaws.com",
        "AssumeRole",
        ip=ip,
        user_agent=ua,
        params={"roleArn": role_arn, "roleSessionName": p.sam, "durationSeconds": 3600},
        response={
            "assumedRoleUser": {
                "arn": f"arn:aws:sts::{org.aws_account}:assumed-role/{p.aws_role}/{p.sam}"
            }
        },
        actor=p.actor,
    )
    return role_identity(world, p, t, rng)


def read_params(world: World, source: str, name: str, rng: random.Random) -> dict[str, Any] | None:
    org = world.org
    if source == "s3.amazonaws.com" and name != "ListBuckets":
        return {"bucketName": rng.choice(org.buckets), "Host": "s3.amazonaws.com"}
    if name == "DescribeInstances":
        return {"instancesSet": {}, "filterSet": {}}
    if name == "GetRole":
        return {"roleName": rng.choice(("Engineer", "Admin", "ReadOnly", "LambdaExec"))}
    if name == "GetFunction20150331v2":
        return {"functionName": rng.choice(("thumbnailer", "report-builder", "sync-users"))}
    if name == "FilterLogEvents":
        return {"logGroupName": rng.choice(("/ecs/app", "/aws/lambda/thumbnailer")), "limit": 100}
    if name == "DescribeServices":
        return {"cluster": "prod", "services": ["app", "worker"]}
    if name == "DescribeSecret":
        return {"secretId": rng.choice(("prod/db", "prod/api-key"))}
    return None


def _aws_work(
    world: World, p: Person, day: int, remote: bool, t0: int, t_end: int, rng: random.Random
) -> None:
    """Console and CLI sessions: reads mostly, the occasional write, deletes for a few people."""
    if rng.random() > (0.55 if p.role == ADMIN else 0.65):
        return
    org, trail = world.org, world.trail
    ip = aws_source(world, p, day, remote, rng)
    # Variety draws from its own stream, so the rest of the scenario is what it was without it.
    variety = world.rng("aws-variety", p.sam, day)
    for t in _visit_times(rng, t0, t_end, rng.choice((1, 1, 2))):
        console = rng.random() < 0.5
        if console:
            ua = p.browser_ua
            trail.console_login(
                t,
                trail.iam_user(p.sam, p.aws_principal, ""),
                ip=ip,
                user_agent=ua,
                mfa=True,
                actor=p.actor,
            )
            t += rng.randrange(5, 30) * 1000
        else:
            ua = p.cli_ua
        if not console and _signs_with_own_key(world, p, day):
            # The same draws as assume_role, so the rest of the scenario is what it was.
            role_identity(world, p, t, rng)
            identity = trail.iam_user(p.sam, p.aws_principal, p.aws_keys[0])
        else:
            identity = assume_role(world, p, t, ip, ua, rng)
        for _ in range(rng.randrange(4, 20)):
            t += rng.randrange(2, 90) * 1000
            source, name = rng.choice(p.aws_calls)
            agent = console_agent(source) if console else ua
            trail.call(
                t,
                identity,
                source,
                name,
                ip=ip,
                user_agent=agent,
                params=read_params(world, source, name, rng),
                actor=p.actor,
            )
        _aws_variety(world, p, day, t, identity, ip, ua, console, variety)
        if rng.random() < 0.15:
            instance = rng.choice(org.instances)
            action = rng.choice(("StartInstances", "StopInstances", "CreateTags"))
            trail.call(
                t + 5000,
                identity,
                "ec2.amazonaws.com",
                action,
                ip=ip,
                user_agent=ua,
                params={"instancesSet": {"items": [{"instanceId": instance}]}},
                read_only=False,
                actor=p.actor,
            )
        if p.deleter and rng.random() < 0.25:
            for k in range(rng.randrange(1, 4)):
                key = f"tmp/{p.sam}/export-{rng.randrange(10**5):05d}.csv"
                bucket = f"{org.tenant}-scratch"
                trail.call(
                    t + 8000 + k * 1500,
                    identity,
                    "s3.amazonaws.com",
                    "DeleteObject",
                    ip=ip,
                    user_agent=ua,
                    params={"bucketName": bucket, "key": key, "Host": f"{bucket}.s3.amazonaws.com"},
                    read_only=False,
                    data_event=True,
                    resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}],
                    actor=p.actor,
                )


def _signs_with_own_key(world: World, p: Person, day: int) -> bool:
    """Whether ``p``'s CLI session on ``day`` signs its calls with their long-term access key
    directly (no AssumeRole): the benign look-alike of a stolen key. About one engineer or admin
    in five has such a script or profile; half of them from the start, half only from a day
    in the second half of the scenario on (a new script: their key signs calls for the first
    time, from their usual network and CLI). Own streams: nobody else's activity changes."""
    own = world.rng("aws-own-key", p.sam)
    if p.role not in (ENGINEER, ADMIN) or own.random() > 0.2:
        return False
    start = 0 if own.random() < 0.5 else own.randrange(max(1, world.days // 2), max(2, world.days))
    return day >= start and world.rng("aws-own-key", p.sam, day).random() < 0.5


def _adoption(world: World, p: Person) -> tuple[int, tuple[tuple[str, str], ...]] | None:
    """The day ``p`` starts using the service the team adopts, and its calls (None: never)."""
    org_rng = world.rng("aws-adoption")
    service = org_rng.choice(ADOPTED_SERVICES)
    start = org_rng.randrange(max(1, world.days // 4), max(2, world.days - 3))
    own = world.rng("aws-adoption", p.sam)
    if p.role != ENGINEER or own.random() > 0.6:
        return None
    return start + own.randrange(0, 8), service


def _aws_variety(
    world: World,
    p: Person,
    day: int,
    t: int,
    identity: dict[str, Any],
    ip: str,
    ua: str,
    console: bool,
    rng: random.Random,
) -> None:
    """Normal cloud life beyond a person's favourite calls: a look into a service they rarely
    use, the service the team adopted, an admin's sensitive maintenance."""
    calls: list[tuple[str, str]] = []
    if rng.random() < 0.06:
        pool = [c for c in (*READ_CALLS, *OCCASIONAL_READ_CALLS) if c not in p.aws_calls]
        calls += rng.sample(pool, rng.randrange(1, 3))
    adoption = _adoption(world, p)
    if adoption is not None and day >= adoption[0] and rng.random() < 0.5:
        calls += [rng.choice(adoption[1]) for _ in range(rng.randrange(1, 5))]
    if p.role == ADMIN and rng.random() < 0.05:
        calls += list(rng.choice(ADMIN_MAINTENANCE_CALLS))
    for source, name in calls:
        t += rng.randrange(2, 60) * 1000
        world.trail.call(
            t,
            identity,
            source,
            name,
            ip=ip,
            user_agent=console_agent(source) if console else ua,
            params=read_params(world, source, name, rng),
            read_only=not name.startswith(("Put", "Send", "Generate")),
            actor=p.actor,
        )


def _admin_chores(
    world: World,
    p: Person,
    day: int,
    dc: Host,
    t0: int,
    t_end: int,
    rng: random.Random,
) -> None:
    """Group changes and password resets (only for the admins who do them), PsExec now and then."""
    org, win = world.org, world.win
    mgmt = org.hosts["MGMT01"]
    if p.group_changer:
        for t in _visit_times(rng, t0, t_end, poisson(rng, 0.6)):
            session = win.logon(t, dc, p, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
            members = [m for m in org.humans if m.role in (OFFICE, ENGINEER) and m.first_day <= day]
            member = rng.choice(members)
            if rng.random() < 0.15 and member.role == ENGINEER:
                win.group_member_added(
                    t + 20_000,
                    dc,
                    p,
                    session,
                    member,
                    "Remote Desktop Users",
                    "S-1-5-32-555",
                    scope="local",
                )
            else:
                group = f"GRP-{member.dept}-RW"
                rid = 2000 + sorted((*_DEPTS, "Engineering", "IT", "Executive")).index(member.dept)
                win.group_member_added(
                    t + 20_000, dc, p, session, member, group, _sid(org.domain_sid, rid)
                )
            win.logoff(t + 2 * MINUTE, dc, p, session, 3)
    if p.resetter:
        for t in _visit_times(rng, t0, t_end, poisson(rng, 0.5)):
            session = win.logon(t, dc, p, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
            target = rng.choice(
                [m for m in org.humans if m.role in (OFFICE, EXECUTIVE) and m.first_day <= day]
            )
            win.account_changed(t + 15_000, dc, p, session, 4724, target)
            if rng.random() < 0.2:
                win.account_changed(t + 16_000, dc, p, session, 4722, target)
            win.logoff(t + MINUTE, dc, p, session, 3)
    if rng.random() < 0.12:  # PsExec to a managed server, from the management host
        servers = [
            org.hosts[s]
            for s in sorted(p.servers)
            if org.hosts[s].kind in ("sql", "app", "web", "file")
        ]
        target = rng.choice(servers)
        t = _visit_times(rng, t0, t_end, 1)[0]
        psexec(
            world, p, mgmt, target, t, rng, service="PSEXESVC", image="%SystemRoot%\\PSEXESVC.exe"
        )


def psexec(
    world: World,
    who: Person,
    source: Host,
    target: Host,
    t: int,
    rng: random.Random,
    *,
    service: str,
    image: str,
    auth: str = "Kerberos",
    src_ip: str = "",
) -> None:
    """Remote service execution as PsExec does it: ADMIN$ copy, svcctl pipe, service install."""
    win = world.win
    ip = src_ip or source.ip
    if auth == "Kerberos":
        win.tgs(t - 500, world.org.dc_for(who), who, ip, target)
    else:
        win.ntlm_validation(t - 300, world.org.dc_for(who), who.sam, source.name, actor=who.actor)
    session = win.logon(
        t, target, who, 3, src=source, src_ip=ip, auth=auth, privileges=ADMIN_PRIVILEGES
    )
    win.share(t + 200, target, who, session, ip, "ADMIN$", local_path="\\??\\C:\\Windows")
    binary = image.rsplit("\\", 1)[-1]
    win.share(
        t + 400,
        target,
        who,
        session,
        ip,
        "ADMIN$",
        local_path="\\??\\C:\\Windows",
        relative=binary,
        access_mask="0x2",
    )
    win.share(t + 900, target, who, session, ip, "IPC$")
    win.share(t + 1000, target, who, session, ip, "IPC$", relative="svcctl", access_mask="0x3")
    win.service_installed(t + 1500, target, who, session, service, image)
    win.logoff(t + rng.randrange(20, 240) * 1000, target, who, session, 3)


def service_accounts_day(world: World, day: int, episodes: list[BenignTruth]) -> None:
    """Backups every night, the web app's SQL logons, the weekly vulnerability scan."""
    org, win, clock = world.org, world.win, world.clock
    rng = world.rng("services", day)
    lon = org.sites[0]
    dc = org.hosts["DC01"]
    backup, web, scan = org.person("svc_backup"), org.person("svc_web"), org.person("svc_scan")
    bkp = org.hosts["BKP01"]
    with world.tagged(routine_tag(episodes, "backup_fanout")):
        t = clock.at(day, lon.tz, 60 + rng.uniform(0, 20))
        for host in org.servers("dc", "file", "sql", "web", "app", "mgmt"):
            if host.since_day > day:
                continue
            t += rng.randrange(40, 160) * 1000
            win.tgs(t - 300, dc, backup, bkp.ip, host)
            session = win.logon(t, host, backup, 3, src=bkp, privileges=BACKUP_PRIVILEGES)
            win.share(t + 500, host, backup, session, bkp.ip, "C$", local_path="\\??\\C:\\")
            win.share(
                t + 900,
                host,
                backup,
                session,
                bkp.ip,
                "C$",
                local_path="\\??\\C:\\",
                relative="ProgramData\\Backup\\state.vss",
            )
            win.logoff(t + rng.randrange(3, 15) * MINUTE, host, backup, session, 3)
    weekend = clock.weekday(day) >= 5
    sql, web_hosts = org.hosts["SQL01"], (org.hosts["WEB01"], org.hosts["WEB02"])
    for hour in range(0, 24, 1 if not weekend else 3):
        for web_host in web_hosts:
            t = clock.at(day, lon.tz, hour * 60 + rng.uniform(0, 59))
            win.ntlm_validation(t - 200, dc, web.sam, web_host.name, actor=web.actor)
            session = win.logon(t, sql, web, 3, src=web_host, auth="NTLM")
            win.logoff(t + rng.randrange(20, 300) * 1000, sql, web, session, 3)
    if clock.weekday(day) == 5:  # Saturday night credentialed vulnerability scan
        scanner = org.hosts["SCAN01"]
        with world.tagged(routine_tag(episodes, "weekly_vuln_scan")):
            t = clock.at(day, lon.tz, 22 * 60 + rng.uniform(0, 30))
            for host in sorted(org.hosts.values(), key=lambda h: h.ip):
                if host.since_day > day or host.name == "SCAN01":
                    continue
                t += rng.randrange(2, 12) * 1000
                session = win.logon(
                    t, host, scan, 3, src=scanner, auth="NTLM", privileges=ADMIN_PRIVILEGES
                )
                win.share(t + 300, host, scan, session, scanner.ip, "IPC$")
                win.share(
                    t + 400,
                    host,
                    scan,
                    session,
                    scanner.ip,
                    "IPC$",
                    relative="winreg",
                    access_mask="0x3",
                )
                win.logoff(t + 20_000, host, scan, session, 3)
            win.ntlm_validation(t, dc, scan.sam, scanner.name, actor=scan.actor)
    # Servers' own machine accounts renew tickets on the DC a few times a day.
    for host in org.servers():
        if host.since_day > day or host.kind == "dc":
            continue
        for hour in (6, 14):
            t = clock.at(day, host.tz, hour * 60 + rng.uniform(0, 59))
            win.tgt(t, dc, host, host.ip)


def linux_background_day(world: World, day: int, episodes: list[BenignTruth]) -> None:
    """cron on every Linux host, internet scanners at the bastion, CI deploys over ssh."""
    org, linux, clock = world.org, world.linux, world.clock
    rng = world.rng("linux", day)
    for host in sorted(org.linux):
        for hour in range(24):
            linux.cron(
                clock.day_start(day) + hour * HOUR + 17 * MINUTE + rng.randrange(0, 2000), host
            )
    with world.tagged(routine_tag(episodes, "internet_scanners")):
        scanner_pool = [public_ip(world.rng("scanner-pool", i), "scanner") for i in range(25)]
        for _ in range(rng.randrange(3, 9)):
            ip = rng.choice(scanner_pool) if rng.random() < 0.6 else public_ip(rng, "scanner")
            t = clock.day_start(day) + rng.randrange(DAY_MS - HOUR)
            for _ in range(rng.choice((1, 2, 3, 5, 8, 12, 20, 30, 45))):
                user = rng.choice(
                    (
                        "root",
                        "root",
                        "root",
                        "admin",
                        "test",
                        "ubuntu",
                        "oracle",
                        "user",
                        "postgres",
                        "git",
                        "ftpuser",
                        "pi",
                        "guest",
                        "support",
                        "ec2-user",
                    )
                )
                linux.ssh_failed(t, "bastion01", user, ip, exists=user == "root")
                t += rng.randrange(3, 40) * 1000
    if clock.weekday(day) < 5:
        deploy = org.person("svc_deploy")
        with world.tagged(routine_tag(episodes, "ci_deploys")):
            for t in sorted(
                clock.at(day, org.sites[0].tz, rng.uniform(540, 1080))
                for _ in range(rng.randrange(2, 7))
            ):
                linux.ssh_session(
                    t,
                    "lnx-app01",
                    "deploy",
                    deploy.uid,
                    org.ci_internal_ip,
                    rng.randrange(30, 180) * 1000,
                    key_fingerprint=CI_KEY,
                    actor="deploy",
                )
                _deploy_via_aws(world, deploy, t + 5000, rng)


def _deploy_via_aws(world: World, deploy: Person, t: int, rng: random.Random) -> None:
    org, trail = world.org, world.trail
    identity = trail.iam_user(deploy.sam, deploy.aws_principal, deploy.aws_keys[0])
    ip, ua = org.ci_ip, deploy.cli_ua
    steps = (
        ("ecr.amazonaws.com", "GetAuthorizationToken", None, True),
        ("ecs.amazonaws.com", "RegisterTaskDefinition", {"family": "app"}, False),
        ("ecs.amazonaws.com", "UpdateService", {"cluster": "prod", "service": "app"}, False),
        ("ecs.amazonaws.com", "DescribeServices", {"cluster": "prod", "services": ["app"]}, True),
        ("ecs.amazonaws.com", "DescribeServices", {"cluster": "prod", "services": ["app"]}, True),
    )
    for source, name, params, read_only in steps:
        t += rng.randrange(2, 30) * 1000
        trail.call(
            t,
            identity,
            source,
            name,
            ip=ip,
            user_agent=ua,
            params=params,
            read_only=read_only,
            actor=deploy.actor,
        )


def aws_background_day(world: World, day: int) -> None:
    """AWS services acting for themselves (instance profiles, Lambda) a few times a day."""
    trail, org = world.trail, world.org
    rng = world.rng("aws-bg", day)
    for _ in range(rng.randrange(4, 10)):
        t = world.clock.day_start(day) + rng.randrange(DAY_MS)
        service = rng.choice(("ec2.amazonaws.com", "lambda.amazonaws.com"))
        role = "AppInstanceRole" if service.startswith("ec2") else "LambdaExec"
        trail.call(
            t,
            {"type": "AWSService", "invokedBy": service},
            "sts.amazonaws.com",
            "AssumeRole",
            ip=service,
            user_agent=service,
            params={
                "roleArn": f"arn:aws:iam::{org.aws_account}:role/{role}",
                "roleSessionName": f"i-{rng.getrandbits(32):08x}",
            },
        )


def benign_setup_events(world: World, episodes: list[BenignTruth]) -> None:
    """One-off admin work that belongs to benign episodes: the new hire, laptops, offboarding."""
    org, win, clock = world.org, world.win, world.clock
    identity_admin = next(p for p in org.role(ADMIN) if p.group_changer)
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    rng = world.rng("setup")
    hire = org.person(org.new_hire)
    with world.tagged(*hire.episodes.get(hire.first_day, [])):
        t = clock.at(hire.first_day, identity_admin.site.tz, 8 * 60 + 10)
        session = win.logon(t, dc, identity_admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        laptop = hire.laptops[0][1]
        win.computer_created(t + 30_000, dc, identity_admin, session, laptop)
        win.account_created(t + 60_000, dc, identity_admin, session, hire)
        win.account_changed(t + 62_000, dc, identity_admin, session, 4724, hire)
        win.account_changed(t + 63_000, dc, identity_admin, session, 4722, hire)
        win.group_member_added(
            t + 90_000,
            dc,
            identity_admin,
            session,
            hire,
            "GRP-Engineering-RW",
            _sid(org.domain_sid, 2001),
        )
        win.logoff(t + 3 * MINUTE, dc, identity_admin, session, 3)
        if hire.uid:
            world.linux.sudo(
                t + 5 * MINUTE,
                "bastion01",
                identity_admin.sam,
                identity_admin.uid,
                f"/usr/sbin/useradd -m -s /bin/bash {hire.sam}",
                actor=identity_admin.actor,
            )
            world.linux.useradd(
                t + 5 * MINUTE + 500, "bastion01", hire.sam, hire.uid, ["developers"]
            )
        if hire.aws and identity_admin.aws:
            ip = identity_admin.site.egress_ip
            ua = identity_admin.browser_ua
            admin_id = assume_role(world, identity_admin, t + 6 * MINUTE, ip, ua, rng)
            user_name = {"userName": hire.sam}
            calls = (
                ("CreateUser", user_name),
                ("CreateLoginProfile", {**user_name, "passwordResetRequired": True}),
                ("AddUserToGroup", {**user_name, "groupName": "Engineers"}),
            )
            for k, (name, params) in enumerate(calls):
                world.trail.call(
                    t + 7 * MINUTE + k * 4000,
                    admin_id,
                    "iam.amazonaws.com",
                    name,
                    ip=ip,
                    user_agent=ua,
                    params=params,
                    read_only=False,
                    actor=identity_admin.actor,
                )
    for person in org.humans:
        for since, laptop in person.laptops[1:]:
            with world.tagged(*person.episodes.get(since, [])):
                t = clock.at(since - 1, identity_admin.site.tz, 15 * 60 + rng.uniform(0, 90))
                session = win.logon(t, dc, identity_admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
                win.computer_created(t + 20_000, dc, identity_admin, session, laptop)
                win.logoff(t + MINUTE, dc, identity_admin, session, 3)
    contractor = org.person(org.dormant)
    with world.tagged(routine_tag(episodes, "contractor_offboarded")):
        t = clock.at(contractor.last_day + 1, identity_admin.site.tz, 9 * 60 + rng.uniform(0, 120))
        session = win.logon(t, dc, identity_admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        win.account_changed(t + 20_000, dc, identity_admin, session, 4725, contractor)
        win.logoff(t + MINUTE, dc, identity_admin, session, 3)


# --------------------------------------------------------------------------------------------
# Ground truth and the public entry point.


@dataclass
class AttackTruth:
    id: str
    name: str
    family: str
    technique: str
    mitre: list[str]
    entities: dict[str, list[str]]
    primary: dict[str, str]
    description: str
    start: str = ""
    end: str = ""
    events: int = 0
    evidence: list[str] = field(default_factory=list)


@dataclass
class ScenarioTruth:
    """What ``generate()`` wrote and what is in it; also written to ``truth.json``."""

    tenant: str
    seed: int
    start: str
    end: str
    days: int
    learning_days: int
    learning_end: str
    users: int
    domain: str
    aws_account: str
    files: list[str]
    events: dict[str, int]
    attacks: list[AttackTruth]
    normal_life: list[BenignTruth]
    active_users: dict[str, list[str]]  # UTC date -> user ids with activity that day
    user_days: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> ScenarioTruth:
        data = json.loads(Path(path).read_text())
        data["attacks"] = [AttackTruth(**a) for a in data["attacks"]]
        data["normal_life"] = [BenignTruth(**b) for b in data["normal_life"]]
        return cls(**data)


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    days: int = 21,
    users: int = 60,
    attacks: Sequence[str] | None = None,
    tenant: str = "acme",
    learning_days: int = 7,
    gzip: bool = False,
    start: date = DEFAULT_START,
    life: Sequence[str] = (),
) -> ScenarioTruth:
    """Generate one scenario into ``out_dir`` (``logs/`` + ``truth.json``) and return its truth.

    ``attacks``: catalogue names (see ``benchmarks.scenario.ATTACKS``), repeated or written
    ``name:N`` for several instances; ``None`` = every attack once; ``[]`` = none.
    ``life``: opt-in normal life the default never shows (``["extra"]`` or behaviour names of
    :mod:`benchmarks.scenario.more_life`); empty = the default scenario, unchanged.
    """
    if days < learning_days + 2:
        raise ValueError(f"days ({days}) must exceed learning_days ({learning_days}) by at least 2")
    if learning_days < 1:
        raise ValueError("learning_days must be at least 1")
    if not tenant.isidentifier() or not tenant.islower():
        raise ValueError(f"tenant must be a lower-case identifier (got {tenant!r})")
    # attacks.py builds on this module's model and helpers, so it is imported here, not at the top.
    from benchmarks.scenario import attacks as attack_catalogue

    names = attack_catalogue.expand_names(attacks)
    from benchmarks.scenario import more_life

    extra_life = more_life.expand(life)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in owned_log_files(out_dir):
        stale.unlink()

    builder = _OrgBuilder(
        seed=seed, tenant=tenant, users=users, days=days, learning_days=learning_days
    )
    org = builder.build()
    clock = Clock(start)
    sink = LogSink(seed=seed, start_ms=clock.start_ms, end_ms=clock.day_start(days), tenant=tenant)
    win = WindowsLog(
        sink,
        random.Random(f"{seed}/win"),
        netbios=org.netbios,
        realm=org.realm,
        dns_domain=org.dns_domain,
    )
    win.domain_sid = org.domain_sid
    world = World(
        org=org,
        clock=clock,
        sink=sink,
        win=win,
        linux=LinuxLog(sink, random.Random(f"{seed}/linux")),
        trail=CloudTrailLog(
            sink, random.Random(f"{seed}/trail"), account=org.aws_account, region=org.region
        ),
        seed=seed,
        days=days,
        learning_days=learning_days,
    )
    episodes = plan_normal_life(world, builder)
    benign_setup_events(world, episodes)
    # remote_admin builds on this module's model, so it is imported here (as attacks is).
    from benchmarks.scenario import remote_admin

    remote = remote_admin.plan(world, episodes)
    # The file server's audited deletes (round 11) only with its attack kinds: every other
    # set's events stay as they were.
    from benchmarks.scenario import file_server

    files = any(name in file_server.FILES for name in names)
    for day in range(days):
        for person in org.humans:
            with world.tagged(*person.episodes.get(day, [])):
                person_day(world, person, day)
        service_accounts_day(world, day, episodes)
        linux_background_day(world, day, episodes)
        server_ssh_day(world, day, episodes)
        aws_background_day(world, day)
        remote.day(day)
        if files:
            file_server.file_server_day(world, day)
    injected = attack_catalogue.inject(world, names)
    if extra_life:  # after the attacks, from its own streams: their events do not change
        more_life.live(world, episodes, extra_life)

    written = sink.write(out_dir, gzip=gzip, aws_account=org.aws_account, region=org.region)
    for item in [*injected, *episodes]:
        span = written.tags.get(item.id)
        if span is None or span.first_ms is None or span.last_ms is None:
            continue
        item.start, item.end = iso_s(span.first_ms), iso_s(span.last_ms + 999)
        item.events, item.evidence = len(span.evidence), span.evidence
    truth = ScenarioTruth(
        tenant=tenant,
        seed=seed,
        start=iso_s(clock.start_ms),
        end=iso_s(clock.day_start(days)),
        days=days,
        learning_days=learning_days,
        learning_end=iso_s(world.learning_end_ms),
        users=len(org.people),
        domain=org.dns_domain,
        aws_account=org.aws_account,
        files=written.files,
        events=written.counts,
        attacks=injected,
        normal_life=episodes,
        active_users=written.active_users,
        user_days=sum(len(u) for u in written.active_users.values()),
    )
    (out_dir / "truth.json").write_text(truth.to_json())
    return truth
