"""Normal life nobody had written yet (round 25, opt-in: ``generate(life=["life25"])``).

Ordinary things a SOC sees a few times a year, in the raw formats of the rest of the scenario,
each tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it
(none repeats rounds 17-24's ``more_life``/``life19``/``life20``/``life22``/``life23``/``life24``
behaviours):

- ``monitoring_rollout``: a new monitoring system (``svc_monitor`` on MON01) polls every Windows
  server over WinRM every thirty minutes, day and night, from the day it goes live: a network
  logon, the WinRM provider host process, a logoff; a Kerberos ticket per server every ten hours.
- ``maintenance_weekend``: a datacentre maintenance window on a Saturday at 03:00: two
  administrators log on to every member server from MGMT01 and restart it, the service accounts
  log on again as their services come back, and the Linux hosts are rebooted over ssh and sudo.
- ``iam_key_audit``: a security tool's role (assumed from the vendor's address) inventories
  every IAM user's access keys each Monday morning (ListUsers, ListAccessKeys,
  GetAccessKeyLastUsed, ListMFADevices) and, the first time, deactivates and deletes a few old
  keys nobody used for months.
- ``new_domain_controller``: a third domain controller DC03 is promoted one evening; from the
  next morning about half the London clients (each sticking to the DC its DNS lookup gave it)
  get their tickets and NTLM validations there instead of at DC01.
- ``office_closure``: the London office is closed for a day (a power cut): everyone who works
  that day does so from home over the VPN.
- ``isp_renumbering``: a broadband provider renumbers its customers: several remote workers on
  it move to addresses in one new block on the same day.

Nobody an attack touches is chosen, and everything comes from its own random streams, after the
attacks: the default generation and the other life groups do not change. The behaviours that
move what was already written (DC, addresses) leave the attacks' own events as they were
written: their ground truth names those hosts and addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    DAY_MS,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    BenignTruth,
    Person,
    World,
    _aws_id,
    public_ip,
)
from benchmarks.scenario.life19 import (
    _candidates,
    _day_spans,
    _live_differently,
    _touched_by_attacks,
)
from benchmarks.scenario.life23 import (
    _day_after_learning,
    _is_attack,
    _name_users,
    _with,
)
from benchmarks.scenario.life24 import _host
from benchmarks.scenario.more_life import _episode, _server, _service_account, _workdays

_WINRM_HOST = "C:\\Windows\\System32\\wsmprovhost.exe"
_RESTART = 'C:\\Windows\\System32\\shutdown.exe /r /t 60 /d p:1:1 /c "Planned maintenance"'
_AUDIT_ROLE = "SecurityAuditTool"


def _admins(world: World) -> list[Person]:
    return [p for p in world.org.role(ADMIN) if p.first_day == 0 and not p.group_changer]


# --------------------------------------------------------------------------------------------
# The behaviours.


def monitoring_rollout(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    account = _service_account(world, "svc_monitor", "Monitoring Service", 9125)
    monitor = _server(world, "MON01", "10.20.0.69", 0, "app")
    day = _day_after_learning(world, 4)
    servers = sorted(
        (h for h in org.servers() if h.kind not in ("dc",) and h.since_day <= day),
        key=lambda h: h.name,
    )
    if not servers:
        return
    tag = _episode(
        episodes,
        "monitoring_rollout",
        f"a new monitoring system goes live on {clock.date(day)}: svc_monitor on MON01 polls "
        f"{len(servers)} Windows servers over WinRM every thirty minutes, day and night",
        users=[account.actor],
        hosts=[monitor.short],
        ips=[monitor.ip],
    )
    rng = world.rng("life25-monitor", day)
    start = clock.at(day, monitor.tz, 11 * 60 + rng.uniform(0, 30))
    with world.tagged(tag):
        ticket: dict[str, int] = {}
        started: dict[str, int] = {}
        t0 = start
        last_tgt = -(10**15)
        while t0 < world.end_ms:
            dc = org.hosts["DC01"]
            if t0 - last_tgt >= 10 * HOUR:
                win.tgt(t0 - 2000, dc, account, monitor.ip)
                last_tgt = t0
            for index, host in enumerate(servers):
                at = t0 + index * 4000 + rng.randrange(0, 1500)
                if at - ticket.get(host.name, -(10**15)) >= 10 * HOUR:
                    win.tgs(at - 300, dc, account, monitor.ip, host)
                    ticket[host.name] = at
                session = win.logon(at, host, account, 3, src=monitor)
                if at - started.get(host.name, -(10**15)) >= DAY_MS:
                    # the WinRM provider host once a day per server (process auditing keeps
                    # the first of a repeated command line; the logons are the volume)
                    win.process(
                        at + 300, host, account, session, _WINRM_HOST,
                        f"{_WINRM_HOST} -Embedding",
                        parent="C:\\Windows\\System32\\svchost.exe",
                    )  # fmt: skip
                    started[host.name] = at
                win.logoff(at + rng.randrange(2000, 9000), host, account, session, 3)
            t0 += 30 * MINUTE


def maintenance_weekend(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    admins = _admins(world)[:2]
    if not admins:
        return
    day = _day_after_learning(world, 6)
    while clock.weekday(day) != 5 and day < world.days - 1:
        day += 1
    if clock.weekday(day) != 5:
        return
    mgmt = org.hosts["MGMT01"]
    servers = sorted(
        (h for h in org.servers() if h.kind not in ("dc", "mgmt") and h.since_day <= day),
        key=lambda h: h.name,
    )
    hosts = sorted(h for h in org.linux if h != org.bastion.name)
    services = [p for p in (org.person("svc_web"), org.person("svc_backup"))]
    tag = _episode(
        episodes,
        "maintenance_weekend",
        f"a datacentre maintenance window on Saturday {clock.date(day)} from 03:00: "
        f"{', '.join(a.sam for a in admins)} restart {len(servers)} Windows servers from MGMT01 "
        f"and reboot {len(hosts)} Linux hosts over ssh from the bastion (from home over the VPN); "
        "services log on again as they come back",
        users=[*(a.actor for a in admins), *(p.actor for p in services)],
        hosts=[*(h.short for h in servers), *hosts],
    )
    rng = world.rng("life25-maintenance", day)
    site = org.sites[0]
    with world.tagged(tag):
        t = clock.at(day, site.tz, 3 * 60 + rng.uniform(0, 10))
        # from home over the VPN: a desktop session on MGMT01 and an ssh session on the bastion
        # each, the whole window long, every hop of the night starts there
        length = (len(servers) * 6 + len(hosts) * 4 + 30) * MINUTE
        for admin in admins:
            vpn = world.vpn_ip(rng)
            win.tgt(t - 60_000, org.dc_for(admin), admin, vpn)
            desk = win.logon(t - 50_000, mgmt, admin, 10, src_ip=vpn, privileges=ADMIN_PRIVILEGES)
            win.logoff(t + length, mgmt, admin, desk, 10)
            if admin.uid:
                linux.ssh_session(
                    t - 40_000, org.bastion.name, admin.sam, admin.uid, vpn, length,
                    key_fingerprint=admin.ssh_key, actor=admin.actor,
                )  # fmt: skip
        for index, host in enumerate(servers):
            admin = admins[index % len(admins)]
            dc = org.dc_for(admin)
            t += rng.randrange(3, 8) * MINUTE
            win.tgs(t - 400, dc, admin, mgmt.ip, host)
            session = win.logon(t, host, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
            win.process(
                t + 20_000, host, admin, session, "C:\\Windows\\System32\\shutdown.exe",
                _RESTART, parent="C:\\Windows\\System32\\wsmprovhost.exe", elevated=True,
            )  # fmt: skip
            win.logoff(t + 40_000, host, admin, session, 3)
            # the services that run there come back after the restart
            for account in services:
                if host.name in account.servers or (
                    account.sam == "svc_web" and host.kind in ("web", "app")
                ):
                    back = t + rng.randrange(3, 6) * MINUTE
                    win.tgt(back - 500, org.dc_for(account), account, host.ip)
                    started = win.logon(back, host, account, 5)
                    win.logoff(back + rng.randrange(1, 5) * MINUTE, host, account, started, 5)
        for index, name in enumerate(hosts):
            admin = admins[index % len(admins)]
            if not admin.uid:
                continue
            t += rng.randrange(2, 6) * MINUTE
            linux.ssh_session(
                t, name, admin.sam, admin.uid, org.bastion.ip, 90_000,
                key_fingerprint=admin.ssh_key, actor=admin.actor,
            )  # fmt: skip
            linux.sudo(t + 30_000, name, admin.sam, admin.uid, "/usr/bin/systemctl reboot",
                       actor=admin.actor)  # fmt: skip


def iam_key_audit(world: World, episodes: list[BenignTruth]) -> None:
    org, trail, clock = world.org, world.trail, world.clock
    first = _day_after_learning(world, 2)
    while clock.weekday(first) != 0 and first < world.days - 1:
        first += 1
    users = sorted((p for p in org.people if p.aws and p.aws_keys[0]), key=lambda p: p.sam)
    if not users or clock.weekday(first) != 0:
        return
    rng = world.rng("life25-audit", first)
    vendor = public_ip(rng, "hosting")
    session = "secaudit-scan"
    tag = _episode(
        episodes,
        "iam_key_audit",
        f"a security tool's role ({_AUDIT_ROLE}, from {vendor}) inventories every IAM user's "
        f"access keys each Monday from {clock.date(first)}; the first run deactivates and deletes "
        "a few old keys nobody used for months",
        users=[session],
        ips=[vendor],
    )
    role_id = _aws_id(rng, "AROA")
    agent = "SecurityAuditTool/3.4 aws-sdk-go-v2/1.24.0 os/linux"
    stale = [p for p in users if rng.random() < 0.3][:3]
    old_keys = {p.sam: _aws_id(world.rng("life25-old-key", p.sam), "AKIA") for p in stale}
    with world.tagged(tag):
        for day in range(first, world.days, 7):
            t = clock.at(day, org.sites[0].tz, 6 * 60 + rng.uniform(0, 20))
            key = _aws_id(rng, "ASIA")
            identity = trail.assumed_role(_AUDIT_ROLE, role_id, session, key, t, mfa=False)
            calls: list[tuple[int, str, dict[str, object], bool]] = [
                (t, "GenerateCredentialReport", {}, False),
                (t + 2000, "ListUsers", {"maxItems": 1000}, True),
            ]
            at = t + 4000
            for p in users:
                for name in ("ListAccessKeys", "GetAccessKeyLastUsed", "ListMFADevices"):
                    at += rng.randrange(200, 900)
                    params: dict[str, object] = {"userName": p.sam}
                    if name == "GetAccessKeyLastUsed":
                        params = {"accessKeyId": p.aws_keys[0]}
                    calls.append((at, name, params, True))
            calls.append((at + 3000, "GetCredentialReport", {}, True))
            for p in stale if day == first else []:
                old = old_keys[p.sam]
                at += rng.randrange(4000, 8000)
                calls.append(
                    (
                        at,
                        "UpdateAccessKey",
                        {"userName": p.sam, "accessKeyId": old, "status": "Inactive"},
                        False,
                    )
                )
                calls.append((at + 1500, "DeleteAccessKey",
                              {"userName": p.sam, "accessKeyId": old}, False))  # fmt: skip
            for at, name, params, read_only in calls:
                trail.call(
                    at, identity, "iam.amazonaws.com", name, ip=vendor, user_agent=agent,
                    params=params, read_only=read_only, actor=session,
                )  # fmt: skip


def new_domain_controller(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock, sink = world.org, world.win, world.clock, world.sink
    old = org.hosts["DC01"]
    admins = _admins(world)
    if not admins:
        return
    admin = admins[0]
    day = _day_after_learning(world, 9)
    while clock.weekday(day) > 3 and day < world.days - 1:  # promoted on a Mon-Thu evening
        day += 1
    dc03 = _host(world, "DC03", "10.20.0.70", "dc", day, "Domain Controllers")
    lo = clock.day_start(day + 1)
    tag = _episode(
        episodes,
        "new_domain_controller",
        f"a third domain controller DC03 ({dc03.ip}) is promoted on the evening of "
        f"{clock.date(day)}: from the next morning about half the London clients get their "
        "tickets and NTLM validations there instead of at DC01",
        users=[admin.actor],
        hosts=[dc03.short],
        ips=[dc03.ip],
    )
    rng = world.rng("life25-dc", day)
    mgmt = org.hosts["MGMT01"]
    with world.tagged(tag):
        t = clock.at(day, admin.site.tz, 18 * 60 + rng.uniform(0, 30))
        win.tgs(t - 500, old, admin, mgmt.ip, dc03)
        session = win.logon(t, dc03, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        win.logoff(t + 40 * MINUTE, dc03, admin, session, 3)
    # each client sticks to the DC its DNS lookup gave it: a coin per client address
    sticky: dict[str, bool] = {}
    users: set[str] = set()
    for w in sink.windows:
        if (
            w.t < lo
            or w.host is not old
            or w.event_id not in (4768, 4769, 4771, 4776)
            or _is_attack(w.tags)
        ):
            continue
        client = str(w.fields.get("IpAddress") or w.fields.get("Workstation") or "")
        if client not in sticky:
            sticky[client] = world.rng("life25-dc-client", client).random() < 0.5
        if not sticky[client]:
            continue
        w.host = dc03
        w.tags = _with(w.tags, tag)
        users.update([w.actor] if w.actor else [])
    _name_users(episodes, tag, users | {admin.actor})


def office_closure(world: World, episodes: list[BenignTruth]) -> None:
    site = world.org.sites[0]
    days = _workdays(world, _day_after_learning(world, 11))[:1]
    people = [
        p for p in _candidates(world, (OFFICE, ENGINEER, ADMIN), "life25-closure") if p.site is site
    ]
    if not days or not people:
        return
    tag = _episode(
        episodes,
        "office_closure",
        f"the {site.city} office is closed on {world.clock.date(days[0])} (a power cut): "
        f"{len(people)} people work from home over the VPN that day",
        users=[p.actor for p in people],
    )
    spans = _day_spans(world, days)
    for p in people:
        home = replace(p, remote_prob=1.0)
        _live_differently(world, p, home, spans, days, "office_closure", tag, days[0])


def isp_renumbering(world: World, episodes: list[BenignTruth]) -> None:
    clock, sink = world.clock, world.sink
    day = _day_after_learning(world, 7)
    lo = clock.day_start(day)
    touched = _touched_by_attacks(world)
    # home addresses show where people reach AWS or ssh directly, not through the VPN; the
    # provider renumbers whoever is on it, so an attack's victim may be among them (their own
    # events move, the attack's stay as written), the others first
    people = sorted(
        (
            p
            for p in world.org.humans
            if p.first_day == 0 and p.home_ip_on(day) and p.split_tunnel and (p.aws or p.uid)
        ),
        key=lambda p: (p.actor in touched, world.rng("life25-isp", p.sam).random()),
    )[:6]
    if len(people) < 2:
        return
    rng = world.rng("life25-isp", day)
    block = public_ip(rng).rsplit(".", 1)[0]
    new = {
        p.home_ip_on(day): f"{block}.{20 + 17 * k + rng.randrange(10)}"
        for k, p in enumerate(people)
    }
    tag = _episode(
        episodes,
        "isp_renumbering",
        f"a broadband provider renumbers its customers on {clock.date(day)}: {len(people)} remote "
        f"workers move to addresses in {block}.0/24",
        users=[p.actor for p in people],
        ips=sorted(new.values()),
    )
    address = re.compile(r"\b(" + "|".join(re.escape(ip) for ip in new) + r")\b")

    def move(text: str) -> str:
        return address.sub(lambda m: new[m.group(1)], text)

    actors = {p.actor for p in people}
    for w in sink.windows:
        if w.t < lo or _is_attack(w.tags) or w.actor not in actors:
            continue
        changed = {k: move(v) for k, v in w.fields.items() if isinstance(v, str)}
        changed = {k: v for k, v in changed.items() if v != w.fields[k]}
        if changed:
            w.fields = {**w.fields, **changed}
            w.tags = _with(w.tags, tag)
    for line in sink.lines:
        if line.t < lo or _is_attack(line.tags) or line.actor not in actors:
            continue
        moved = move(line.msg)
        if moved != line.msg:
            line.msg = moved
            line.tags = _with(line.tags, tag)
    for record in sink.trail:
        ip = str(record.record.get("sourceIPAddress", ""))
        if record.t < lo or _is_attack(record.tags) or ip not in new:
            continue
        record.record = {**record.record, "sourceIPAddress": new[ip]}
        record.tags = _with(record.tags, tag)
    for p in people:
        p.home_ips = [*p.home_ips, (day, new[p.home_ip_on(day)])]


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "monitoring_rollout": monitoring_rollout,
    "maintenance_weekend": maintenance_weekend,
    "iam_key_audit": iam_key_audit,
    "office_closure": office_closure,
    # last: they move what was written before them, the other behaviours' events too
    "new_domain_controller": new_domain_controller,
    "isp_renumbering": isp_renumbering,
}

__all__ = ["BEHAVIOURS"]
