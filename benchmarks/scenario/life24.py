"""Normal life nobody had written yet (round 24, opt-in: ``generate(life=["life24"])``).

Ordinary things a SOC sees a few times a year, in the raw formats of the rest of the scenario,
each tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it
(none repeats rounds 17-23's ``more_life``/``life19``/``life20``/``life22``/``life23``
behaviours):

- ``training_room``: a two-day course: each morning half of a dozen office staff sign in at the
  training room's PCs (new machines on a /24 nobody used), interactively, and reach their usual
  file shares from there; the PCs are shared: a different person sits at each one the next day.
- ``aws_region_expansion``: the company opens a second AWS region: the CI account builds a VPC,
  subnets, security groups and instances there in one afternoon, and from then on a third of
  everyone's AWS calls go to the new region.
- ``kerberos_clock_skew``: DC01's clock drifts one morning: for about fifty minutes every TGT
  request there fails (4771 status 0x25, clock skew) and the clients fall back to NTLM: 4776 at
  the DC instead of service tickets, NTLM network logons on the servers.
- ``gmsa_migration``: the web service account is replaced by a group managed service account:
  the identity admin creates ``GMSA-WEB$`` (4741) and from that day the application servers run
  as it (same hosts, same hours, a new name and SID).
- ``server_renumbering``: the server VLANs are renumbered over a weekend: every member server
  (not the DCs, not MGMT01) and Linux host keeps its name and moves from 10.20.x.y to 10.21.x.y;
  everything after the change names the new addresses.
- ``jump_host_move``: the administrators' jump host MGMT01 is replaced by MGMT02 (a new name and
  address) on a Monday: every admin session, RDP hop and remote change starts there from then on.

Nobody an attack touches is chosen, and everything comes from its own random streams, after the
attacks: the default generation and the other life groups do not change. The behaviours that
move what was already written (region, clock skew, gMSA, addresses, jump host) leave the attacks'
own events as they were written: their ground truth names those hosts and accounts.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    MINUTE,
    OFFICE,
    BenignTruth,
    Host,
    World,
    _sid,
)
from benchmarks.scenario.life19 import _candidates, _identity_admin
from benchmarks.scenario.life23 import (
    _day_after_learning,
    _is_attack,
    _monday_after_learning,
    _name_users,
    _with,
)
from benchmarks.scenario.more_life import _episode, _workdays

_SECOND_REGION = "eu-west-1"


def _host(world: World, name: str, ip: str, kind: str, since_day: int, ou: str) -> Host:
    org = world.org
    rng = world.rng("life24-host", name)
    return Host(
        name=name,
        fqdn=f"{name.lower()}.{org.dns_domain}",
        ip=ip,
        kind=kind,
        tz=org.sites[0].tz,
        lag_ms=rng.randrange(200, 3000),
        sid=_sid(org.domain_sid, 50_000 + rng.randrange(10_000)),
        dn=f"CN={name},OU={ou},{org.base_dn}",
        since_day=since_day,
    )


def _moved(
    world: World, lo: int, tag: str, move: Callable[[str], str], *, hosts: dict[Host, Host]
) -> set[str]:
    """Rewrite every benign Windows event from ``lo`` on: string fields through ``move`` and the
    logging host through ``hosts``; returns who was moved (the episode's entities)."""
    users: set[str] = set()
    for w in world.sink.windows:
        if w.t < lo or _is_attack(w.tags):
            continue
        changed = {k: move(v) for k, v in w.fields.items() if isinstance(v, str)}
        changed = {k: v for k, v in changed.items() if v != w.fields[k]}
        host = hosts.get(w.host, w.host)
        if not changed and host is w.host:
            continue
        w.host = host
        w.fields = {**w.fields, **changed}
        w.tags = _with(w.tags, tag)
        users.update([w.actor] if w.actor else [])
    return users


# --------------------------------------------------------------------------------------------
# The behaviours.


def training_room(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    site = org.sites[0]
    people = [p for p in _candidates(world, (OFFICE,), "life24-training") if p.site is site]
    start = _day_after_learning(world, 6)
    days = _workdays(world, start)[:2]
    if len(people) < 2 or len(days) < 2:
        return
    team = people[:12]
    seats = (len(team) + 1) // 2
    pcs = [
        _host(
            world,
            f"TRN-PC{i + 1:02d}",
            f"10.20.9.{21 + i}",
            "workstation",
            days[0],
            f"Workstations,OU={site.city}",
        )
        for i in range(seats)
    ]
    tag = _episode(
        episodes,
        "training_room",
        f"a two-day course {clock.date(days[0])} .. {clock.date(days[1])}: {len(team)} office staff "
        f"sign in at the training room's {seats} shared PCs (10.20.9.x) in the mornings and reach "
        "their usual shares from there",
        users=[p.actor for p in team],
        hosts=[h.short for h in pcs],
        ips=[h.ip for h in pcs],
    )
    rng = world.rng("life24-training", days[0])
    with world.tagged(tag):
        for index, day in enumerate(days):
            # the second morning the other half comes, each at a PC someone else used
            group = team[index * seats : (index + 1) * seats]
            for k, p in enumerate(group):
                pc = pcs[(k + index) % seats]
                dc = org.dc_for(p)
                if index == 0:
                    win.tgt(clock.at(day, site.tz, 7 * 60 + rng.uniform(0, 20)), dc, pc, pc.ip)
                t = clock.at(day, site.tz, 9 * 60 + rng.uniform(0, 15))
                win.tgt(t - 600, dc, p, pc.ip)
                desk = win.logon(t, pc, p, 2)
                for name in sorted(p.servers)[:2]:
                    server = org.hosts.get(name)
                    if server is None or server.since_day > day:
                        continue
                    at = t + rng.randrange(5, 90) * MINUTE
                    win.tgs(at - 300, dc, p, pc.ip, server)
                    session = win.logon(at, server, p, 3, src=pc)
                    win.logoff(at + rng.randrange(2, 30) * MINUTE, server, p, session, 3)
                win.logoff(t + rng.randrange(170, 200) * MINUTE, pc, p, desk, 2)


def aws_region_expansion(world: World, episodes: list[BenignTruth]) -> None:
    org, trail, clock, sink = world.org, world.trail, world.clock, world.sink
    deploy = org.person("svc_deploy")
    day = _day_after_learning(world, 3)
    lo = clock.day_start(day)
    region = _SECOND_REGION if org.region != _SECOND_REGION else "us-west-2"
    tag = _episode(
        episodes,
        "aws_region_expansion",
        f"a second AWS region ({region}) opens on {clock.date(day)}: svc_deploy builds a VPC, "
        "subnets, security groups and instances there, and a third of the AWS calls go there "
        "from then on",
        users=[deploy.actor],
    )
    identity = trail.iam_user(deploy.sam, deploy.aws_principal, deploy.aws_keys[0])
    rng = world.rng("life24-region", day)
    steps = (
        ("ec2.amazonaws.com", "CreateVpc", {"cidrBlock": "10.60.0.0/16"}),
        ("ec2.amazonaws.com", "CreateSubnet", {"cidrBlock": "10.60.1.0/24"}),
        ("ec2.amazonaws.com", "CreateSubnet", {"cidrBlock": "10.60.2.0/24"}),
        ("ec2.amazonaws.com", "CreateInternetGateway", {}),
        ("ec2.amazonaws.com", "CreateSecurityGroup", {"groupName": "app"}),
        ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", {"groupName": "app"}),
        ("ec2.amazonaws.com", "CreateLaunchTemplate", {"launchTemplateName": "app"}),
        ("ec2.amazonaws.com", "RunInstances", {"minCount": 2, "maxCount": 2}),
        ("ecs.amazonaws.com", "CreateCluster", {"clusterName": "prod"}),
        ("ecs.amazonaws.com", "CreateService", {"cluster": "prod", "serviceName": "app"}),
    )
    with world.tagged(tag):
        t = clock.at(day, org.sites[0].tz, 14 * 60 + rng.uniform(0, 30))
        for source, name, params in steps:
            t += rng.randrange(10, 90) * 1000
            trail.call(
                t, identity, source, name, ip=org.ci_ip, user_agent=deploy.cli_ua,
                params=params, read_only=False, actor=deploy.actor, region=region,
            )  # fmt: skip
    users: set[str] = set()
    for record in sink.trail:
        body = record.record
        if (
            record.t < lo
            or _is_attack(record.tags)
            or body.get("eventSource") in ("signin.amazonaws.com", "iam.amazonaws.com")
            or body.get("awsRegion") != org.region
            or rng.random() >= 1 / 3
        ):
            continue
        record.record = {**body, "awsRegion": region}
        record.tags = _with(record.tags, tag)
        users.update([record.actor] if record.actor else [])
    _name_users(episodes, tag, users | {deploy.actor})


def kerberos_clock_skew(world: World, episodes: list[BenignTruth]) -> None:
    org, clock, sink = world.org, world.clock, world.sink
    dc = org.hosts["DC01"]
    day = _workdays(world, _day_after_learning(world, 8))[:1]
    if not day:
        return
    rng = world.rng("life24-skew", day[0])
    lo = clock.at(day[0], dc.tz, 8 * 60 + 40 + rng.uniform(0, 20))
    hi = lo + rng.randrange(45, 55) * MINUTE
    tag = _episode(
        episodes,
        "kerberos_clock_skew",
        f"DC01's clock drifts on {clock.date(day[0])}: for {(hi - lo) // MINUTE} minutes every TGT "
        "request there fails with clock skew (4771 0x25) and clients fall back to NTLM (4776, NTLM "
        "network logons) until the time service is fixed",
        hosts=[dc.name],
    )
    names = {h.ip: h.name for h in org.hosts.values()}
    dc01_users = {p.sam.lower() for p in org.people if org.dc_for(p) is dc}
    users: set[str] = set()
    for w in sink.windows:
        if not lo <= w.t < hi or _is_attack(w.tags) or not w.actor:
            continue
        f = w.fields
        ip = str(f.get("IpAddress", "")).removeprefix("::ffff:")
        if w.host is dc and w.event_id == 4768:
            w.event_id, w.failure = 4771, True
            w.fields = {
                "TargetUserName": f["TargetUserName"], "TargetSid": f["TargetSid"],
                "ServiceName": f"krbtgt/{world.win.realm}", "TicketOptions": f["TicketOptions"],
                "Status": "0x25", "PreAuthType": "2", "IpAddress": f["IpAddress"],
                "IpPort": f["IpPort"], "CertIssuerName": "", "CertSerialNumber": "",
                "CertThumbprint": "",
            }  # fmt: skip
        elif w.host is dc and w.event_id == 4769:
            w.event_id = 4776
            w.fields = {
                "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
                "TargetUserName": str(f["TargetUserName"]).split("@")[0],
                "Workstation": names.get(ip, ip),
                "Status": "0x0",
            }
        elif (
            w.event_id == 4624
            and f.get("LogonType") == "3"
            and f.get("AuthenticationPackageName") == "Kerberos"
            and w.actor in dc01_users
        ):
            w.fields = {
                **f,
                "TargetDomainName": world.win.netbios,
                "LogonProcessName": "NtLmSsp ",
                "AuthenticationPackageName": "NTLM",
                "WorkstationName": names.get(ip, "-"),
                "LmPackageName": "NTLM V2",
                "KeyLength": "128",
                "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            }
        else:
            continue
        w.tags = _with(w.tags, tag)
        users.add(w.actor)
    _name_users(episodes, tag, users)


def gmsa_migration(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    account = org.person("svc_web")
    admin = _identity_admin(world)
    day = _day_after_learning(world, 9)
    gmsa = _host(world, "GMSA-WEB", "", "gmsa", day, "Managed Service Accounts")
    tag = _episode(
        episodes,
        "gmsa_migration",
        f"{admin.sam} replaces svc_web by the group managed service account {gmsa.sam} on "
        f"{clock.date(day)}: the application servers run as it from then on",
        users=[admin.actor, account.actor, gmsa.sam.lower()],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    rng = world.rng("life24-gmsa", day)
    with world.tagged(tag):
        t = clock.at(day, admin.site.tz, 7 * 60 + rng.uniform(0, 20))
        session = win.logon(t, dc, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        win.computer_created(t + 40_000, dc, admin, session, gmsa)
        win.logoff(t + 3 * MINUTE, dc, admin, session, 3)
    name = re.compile(rf"\b{re.escape(account.sam)}\b", re.IGNORECASE)
    lo = t + 10 * MINUTE
    for w in world.sink.windows:
        if w.t < lo or _is_attack(w.tags) or w.actor != account.actor:
            continue
        w.fields = {
            k: (gmsa.sid if v == account.sid else name.sub(gmsa.sam, v)) if isinstance(v, str)
            else v
            for k, v in w.fields.items()
        }  # fmt: skip
        w.actor = gmsa.sam.lower()
        w.tags = _with(w.tags, tag)


def server_renumbering(world: World, episodes: list[BenignTruth]) -> None:
    org, clock = world.org, world.clock
    day = _monday_after_learning(world, 5)
    lo = clock.day_start(day)
    servers = sorted(
        (h for h in org.servers() if h.kind not in ("dc", "mgmt") and h.ip.startswith("10.20.0.")),
        key=lambda h: h.name,
    )
    linux = sorted((h for h in org.linux.values() if h.ip.startswith("10.20.1.")), key=str)
    if not servers:
        return
    new = {h.ip: "10.21." + h.ip.split(".", 2)[2] for h in [*servers, *linux]}
    tag = _episode(
        episodes,
        "server_renumbering",
        f"the server VLANs are renumbered before {clock.date(day)}: {len(servers)} Windows member "
        f"servers and {len(linux)} Linux hosts keep their names and move from 10.20.x.y to "
        "10.21.x.y",
        hosts=[*(h.short for h in servers), *(h.name for h in linux)],
        ips=sorted(new.values()),
    )
    address = re.compile(r"\b(" + "|".join(re.escape(ip) for ip in new) + r")\b")

    def move(text: str) -> str:
        return address.sub(lambda m: new[m.group(1)], text) if "10.20." in text else text

    users = _moved(world, lo, tag, move, hosts={})
    for line in world.sink.lines:
        if line.t < lo or _is_attack(line.tags) or "10.20." not in line.msg:
            continue
        moved = move(line.msg)
        if moved != line.msg:
            line.msg = moved
            line.tags = _with(line.tags, tag)
            users.update([line.actor] if line.actor else [])
    _name_users(episodes, tag, users)


def jump_host_move(world: World, episodes: list[BenignTruth]) -> None:
    org, clock = world.org, world.clock
    old = org.hosts["MGMT01"]
    day = _monday_after_learning(world, 7)
    lo = clock.day_start(day)
    new = _host(world, "MGMT02", "10.20.0.68", old.kind, day, "Servers")
    tag = _episode(
        episodes,
        "jump_host_move",
        f"the admins' jump host MGMT01 is replaced by MGMT02 ({new.ip}) before "
        f"{clock.date(day)}: every admin session and remote change starts there from then on",
        hosts=[new.name],
        ips=[new.ip],
    )
    name = re.compile(r"\bMGMT01\b", re.IGNORECASE)
    address = re.compile(rf"\b{re.escape(old.ip)}\b")

    def move(text: str) -> str:
        if "mgmt01" not in text.lower() and old.ip not in text:
            return text
        text = name.sub(lambda m: "MGMT02" if m.group(0).isupper() else "mgmt02", text)
        return address.sub(new.ip, text)

    users = _moved(world, lo, tag, move, hosts={old: new})
    _name_users(episodes, tag, users)


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "training_room": training_room,
    "aws_region_expansion": aws_region_expansion,
    "kerberos_clock_skew": kerberos_clock_skew,
    "gmsa_migration": gmsa_migration,
    # last: they move what was written before them, the other behaviours' events too
    "server_renumbering": server_renumbering,
    "jump_host_move": jump_host_move,
}

__all__ = ["BEHAVIOURS"]
