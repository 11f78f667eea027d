"""More normal life the generator never shows (round 19, opt-in: ``generate(life=["life19"])``).

Ordinary things a SOC sees every month, in the raw formats of the rest of the scenario, each
tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it:

- ``long_leave``: two people are away for three weeks (parental leave, a sabbatical) from just
  before the end of learning, then come back to their usual work.
- ``night_shift``: one department works nights for a working week (month-end close): their
  usual day, started at 20:00-22:00 local time and running past midnight.
- ``business_travel``: an engineer or office worker spends a working week abroad at a customer:
  the local hours of the destination, everything over the VPN, AWS and ssh from the hotel's
  public address (split tunnel), then home again.
- ``laptop_refresh``: a team of up to twelve gets new laptops on one day (a new naming scheme,
  new addresses); IT joins the machines to the domain the day before.
- ``password_expiry``: the quarterly password expiry morning: a third of the people mistype
  their old or new password once or twice (4771 / 4625), change it (4723), then work as usual.
- ``new_it_admin``: an administrator joins IT after learning: account, laptop and Linux access
  created by the identity admin, added to the server-admin group, then an admin's daily work
  (RDP via MGMT01, sudo to root, admin chores) from day one.
- ``backup_agent``: a new backup product rolled out after learning: on its first night its
  account installs an agent service on every Windows server through ``ADMIN$``, then reads
  ``C$`` on every server and pulls every Linux host over ssh each night.

The people whose days change (leave, night shift, travel, refresh) are re-lived: their events
in the changed days are taken out of the sink and their day is run again through the generator's
own ``person_day`` with the change, so their habits stay theirs. Nobody an attack touches, and
nobody in another benign episode, is chosen. Everything comes from its own random streams and is
emitted after the attacks, so the default generation and ``--life extra`` do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    BenignTruth,
    Host,
    Person,
    World,
    _first_weekday_on_or_after,
    _sid,
    person_day,
    public_ip,
)
from benchmarks.scenario.more_life import _episode, _server, _service_account, _workdays

AGENT_KEY = "QmFja3VwQWdlbnRQdWxsS2V5Tm90QVJlYWxLZXkwMDA"
AGENT_UID = 993


# --------------------------------------------------------------------------------------------
# Helpers: who may be re-lived, taking a person's days out of the sink, running them again.


def _touched_by_attacks(world: World) -> set[str]:
    """Actors with any attack-tagged event (attack ids start with ``A``)."""
    sink = world.sink
    actors: set[str] = set()
    for event in (*sink.windows, *sink.lines, *sink.trail):
        if event.actor and any(tag.startswith("A") for tag in event.tags):
            actors.add(event.actor)
    return actors


def _candidates(world: World, roles: Iterable[str], stream: str) -> list[Person]:
    """Ordinary people (no benign episode of their own, no attack) in a stable random order."""
    touched = _touched_by_attacks(world)
    wanted = set(roles)
    people = [
        p
        for p in world.org.humans
        if p.role in wanted
        and not p.special
        and p.actor not in touched
        and p.first_day == 0
        and p.last_day >= world.days
        and p.workstation_on(0) is not None
    ]
    return sorted(people, key=lambda p: world.rng(stream, p.sam).random())


def _remove(
    world: World, p: Person, spans: Sequence[tuple[int, int]], *, machines: Iterable[Host] = ()
) -> None:
    """Take ``p``'s own events in the time ``spans`` ([lo, hi) each) out of the sink, and their
    laptops' machine events, in one pass.

    Attack-tagged events stay (none are expected: attack victims are never chosen).
    """
    # Events without an actor that name the person or their laptop are theirs too: the
    # laptop's machine-account sign-ins and the 4648 it logs as the person signs in.
    names = {h.sam for h in machines} | {p.sam}
    sink = world.sink

    def own(actor: str, t: int, tags: tuple[str, ...], fields: dict[str, object]) -> bool:
        if not any(lo <= t < hi for lo, hi in spans) or any(tag.startswith("A") for tag in tags):
            return False
        if actor == p.actor:
            return True
        named = {fields.get("TargetUserName"), fields.get("SubjectUserName")}
        return not actor and bool(named & names)

    sink.windows = [e for e in sink.windows if not own(e.actor, e.t, e.tags, e.fields)]
    sink.lines = [e for e in sink.lines if not own(e.actor, e.t, e.tags, {})]
    sink.trail = [e for e in sink.trail if not own(e.actor, e.t, e.tags, {})]


def _live_differently(
    world: World,
    p: Person,
    changed: Person,
    spans: Sequence[tuple[int, int]],
    days: Iterable[int],
    special: str,
    tag: str,
    laptop_day: int,
) -> None:
    """``p``'s events in ``spans`` (and their laptop's on ``laptop_day``) out of the sink, ``p``
    marked ``special``, and ``days`` lived again as ``changed`` (``p`` with what the episode
    changes), tagged ``tag``."""
    laptop = p.workstation_on(laptop_day)
    _remove(world, p, spans, machines=[laptop] if laptop else [])
    p.special = special
    _relive(world, changed, days, tag)


def _day_spans(world: World, days: Iterable[int]) -> list[tuple[int, int]]:
    """Each of ``days`` as a [start, next start) span."""
    return [(world.clock.day_start(day), world.clock.day_start(day + 1)) for day in days]


def _relive(world: World, person: Person, days: Iterable[int], tag: str) -> None:
    """Run ``person``'s days again (the generator's ``person_day``), tagged with ``tag``."""
    for day in days:
        with world.tagged(tag, *person.episodes.get(day, [])):
            person_day(world, person, day)


def _laptop(world: World, person: Person, name: str, index: int, since_day: int) -> Host:
    """A new laptop on the person's site network, in a range the generator never hands out."""
    site, org = person.site, world.org
    rng = world.rng("life19-host", name)
    return Host(
        name=name,
        fqdn=f"{name.lower()}.{org.dns_domain}",
        ip=f"10.{12 + index // 240}.{site.octet}.{10 + index % 240}",
        kind="workstation",
        tz=site.tz,
        lag_ms=rng.randrange(200, 3000),
        sid=_sid(org.domain_sid, 40_000 + rng.randrange(10_000)),
        dn=f"CN={name},OU=Workstations,OU={site.city},{org.base_dn}",
        since_day=since_day,
    )


def _identity_admin(world: World) -> Person:
    admins = world.org.role(ADMIN)
    return next((p for p in admins if p.group_changer), admins[0])


# --------------------------------------------------------------------------------------------
# The behaviours.


def long_leave(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    away = max(1, world.learning_days - 3)
    back = _first_weekday_on_or_after(clock, min(world.days - 3, away + 21))
    people = _candidates(world, (OFFICE, ENGINEER), "life19-leave")[:2]
    if back <= away or not people:
        return
    tag = _episode(
        episodes,
        "long_leave",
        f"{', '.join(p.sam for p in people)} are on leave {clock.date(away)} .. "
        f"{clock.date(back - 1)} and come back to their usual work",
        users=[p.actor for p in people],
    )
    for p in people:
        span = (clock.day_start(away), clock.day_start(back + 2))
        days = range(back, min(world.days, back + 2))
        _live_differently(world, p, p, [span], days, "long_leave", tag, away)


def night_shift(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    people = _candidates(world, (OFFICE,), "life19-night")
    depts = sorted({p.dept for p in people}, key=lambda d: (-sum(p.dept == d for p in people), d))
    if not depts:
        return
    team = [p for p in people if p.dept == depts[0]][:8]
    start = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 7))
    days = _workdays(world, start)[:5]
    if not days:
        return
    tag = _episode(
        episodes,
        "night_shift",
        f"{depts[0]} works nights {clock.date(days[0])} .. {clock.date(days[-1])} for the "
        f"month-end close: {len(team)} people start at 20:00-22:00 and work past midnight",
        users=[p.actor for p in team],
    )
    for p in team:
        rng = world.rng("life19-night-start", p.sam)
        night = replace(
            p, start_min=rng.uniform(20 * 60, 22 * 60), length_min=rng.uniform(420, 510)
        )
        spans = _day_spans(world, days)
        _live_differently(world, p, night, spans, days, "night_shift", tag, days[0])


_DESTINATIONS = ("America/New_York", "Asia/Singapore", "Europe/Berlin", "America/Chicago")


def business_travel(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    people = _candidates(world, (OFFICE, ENGINEER), "life19-travel")
    people = [p for p in people if p.aws or p.uid] or people  # AWS or ssh show the hotel
    if not people:
        return
    p = people[0]
    rng = world.rng("life19-travel", p.sam)
    tz = next(ZoneInfo(z) for z in _DESTINATIONS if z != p.site.tz.key)
    start = _first_weekday_on_or_after(
        clock, min(world.days - 1, world.learning_days + rng.randrange(2, 6))
    )
    days = _workdays(world, start)[:5]
    if not days:
        return
    hotel = public_ip(rng, "residential")
    tag = _episode(
        episodes,
        "business_travel",
        f"{p.sam} works at a customer in {tz.key} {clock.date(days[0])} .. "
        f"{clock.date(days[-1])}: local hours there, the VPN, AWS and ssh from the hotel's {hotel}",
        users=[p.actor],
        ips=[hotel],
    )
    trip = replace(
        p,
        travel={**p.travel, **{d: tz for d in days}},
        home_ips=[*p.home_ips, (days[0], hotel)],
        split_tunnel=True,
    )
    _live_differently(
        world, p, trip, _day_spans(world, days), days, "business_travel", tag, days[0]
    )


def laptop_refresh(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    people = _candidates(world, (OFFICE, ENGINEER), "life19-refresh")
    site = org.sites[0]
    people = [p for p in people if p.site is site]
    if not people:
        return
    depts = sorted({p.dept for p in people}, key=lambda d: (-sum(p.dept == d for p in people), d))
    team = [p for p in people if p.dept == depts[0]][:12]
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 4))
    laptops = {
        p.sam: _laptop(world, p, f"{site.code.upper()}-LT{index + 1:03d}", index, day)
        for index, p in enumerate(team)
    }
    tag = _episode(
        episodes,
        "laptop_refresh",
        f"{depts[0]} ({len(team)} people) get new laptops on {clock.date(day)}; IT joins "
        "them to the domain the day before",
        users=[p.actor for p in team],
        hosts=[h.short for h in laptops.values()],
    )
    admin = _identity_admin(world)
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    with world.tagged(tag):
        prep = _first_weekday_on_or_after(clock, day - 1) if clock.weekday(day - 1) < 5 else day
        t = clock.at(prep, admin.site.tz, admin.start_min + 60)
        session = win.logon(t, dc, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        for laptop in laptops.values():
            t += world.rng("life19-refresh-join", laptop.name).randrange(20, 90) * 1000
            win.computer_created(t, dc, admin, session, laptop)
        win.logoff(t + MINUTE, dc, admin, session, 3)
    for p in team:
        # (the old laptop's events go: the new one is handed over before the days are relived)
        old = p.workstation_on(day)
        _remove(world, p, [(clock.day_start(day), world.end_ms)], machines=[old] if old else [])
        p.laptops.append((day, laptops[p.sam]))
        p.special = "laptop_refresh"
        _relive(world, p, range(day, world.days), tag)


def password_expiry(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 8))
    lo, hi = clock.day_start(day) - 6 * HOUR, clock.day_start(day + 1)
    # each person's first TGT of that morning: where and when they signed in
    first: dict[str, tuple[int, str]] = {}
    for e in world.sink.windows:
        if e.event_id == 4768 and e.actor and lo <= e.t < hi and not e.tags:
            if e.actor not in first or e.t < first[e.actor][0]:
                first[e.actor] = (e.t, str(e.fields["IpAddress"]).removeprefix("::ffff:"))
    people = [
        p
        for p in org.humans
        if p.actor in first and world.rng("life19-expiry", p.sam).random() < 0.35
    ]
    tag = _episode(
        episodes,
        "password_expiry",
        f"passwords expire on {clock.date(day)}: {len(people)} people mistype the old or new "
        "password once or twice, change it, and sign in",
        users=[p.actor for p in people],
    )
    with world.tagged(tag):
        for p in people:
            rng = world.rng("life19-expiry-tries", p.sam)
            t, ip = first[p.actor]
            dc = org.dc_for(p)
            ws = p.workstation_on(day)
            t -= rng.randrange(60, 240) * 1000
            for _ in range(rng.choice((1, 1, 2))):
                win.preauth_failed(t, dc, p, ip)
                if ws is not None:
                    win.logon_failed(t + 400, ws, p.sam, 2, actor=p.actor)
                t += rng.randrange(8, 30) * 1000
            win.account_changed(t, dc, p, win.new_logon_id(), 4723, p)


def new_it_admin(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    admins = org.role(ADMIN)
    model = next((p for p in admins if not p.group_changer and not p.resetter), admins[0])
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 3))
    rid = 9300
    sam = "nokafor"  # not in the generator's name lists: no clash with anyone there
    site = model.site
    laptop = _laptop(world, model, f"{site.code.upper()}-LT900", 230, day)
    uid = 1900
    hire = replace(
        model,
        sam=sam,
        display="Nkem Okafor",
        sid=_sid(org.domain_sid, rid),
        dn=f"CN=Nkem Okafor,OU=IT,OU={site.city},{org.base_dn}",
        laptops=[(day, laptop)],
        uid=uid if model.uid else 0,
        ssh_key="TmV3QWRtaW5LZXlOb3RBUmVhbEtleTAwMDAwMDAwMDA" if model.uid else "",
        aws=False,
        home_ips=[],
        group_changer=False,
        resetter=False,
        deleter=False,
        first_day=day,
        absent=set(),
        travel={},
        episodes={},
        special="new_it_admin",
    )
    tag = _episode(
        episodes,
        "new_it_admin",
        f"{sam} joins IT as a server administrator on {clock.date(day)}: account, laptop and "
        "Linux access by the identity admin, added to the server-admin group, admin work from "
        "day one",
        users=[hire.actor],
        hosts=[laptop.short],
    )
    identity = _identity_admin(world)
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    with world.tagged(tag):
        t = clock.at(day, identity.site.tz, 8 * 60 + 5)
        session = win.logon(t, dc, identity, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        win.computer_created(t + 30_000, dc, identity, session, laptop)
        win.account_created(t + 60_000, dc, identity, session, hire)
        win.account_changed(t + 62_000, dc, identity, session, 4724, hire)
        win.account_changed(t + 63_000, dc, identity, session, 4722, hire)
        win.group_member_added(
            t + 90_000,
            dc,
            identity,
            session,
            hire,
            "GRP-IT-ServerAdmins",
            _sid(org.domain_sid, 2090),
        )
        win.logoff(t + 3 * MINUTE, dc, identity, session, 3)
        if hire.uid and identity.uid:
            linux.sudo(
                t + 5 * MINUTE,
                "bastion01",
                identity.sam,
                identity.uid,
                f"/usr/sbin/useradd -m -s /bin/bash {hire.sam}",
                actor=identity.actor,
            )
            linux.useradd(t + 5 * MINUTE + 500, "bastion01", hire.sam, hire.uid, ["sudo"])
    # every day of the first week is the new starter's first: tagged; later days are plain work
    for d in range(day, world.days):
        with world.tagged(tag if d < day + 7 else None):
            person_day(world, hire, d)


def backup_agent(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    account = _service_account(world, "svc_bkpagent", "Backup Agent Service", 9104)
    server = _server(world, "BKP02", "10.20.0.64", 0, "backup")
    start = min(world.days - 1, world.learning_days + 5)
    tag = _episode(
        episodes,
        "backup_agent",
        f"a new backup product (svc_bkpagent on BKP02) from {clock.date(start)}: it installs its "
        "agent service on every Windows server the first night, then reads C$ on every server "
        "and pulls every Linux host each night",
        users=[account.actor, "bkpagent"],
        hosts=[server.short],
        ips=[server.ip],
    )
    dc = org.hosts["DC01"]
    with world.tagged(tag):
        for day in range(start, world.days):
            rng = world.rng("life19-agent", day)
            t = clock.at(day, org.sites[0].tz, 23 * 60 + rng.uniform(0, 20))
            win.tgt(t, dc, account, server.ip)
            targets = sorted(
                (h for h in org.servers() if h.since_day <= day and h.kind != "dc"),
                key=lambda h: h.ip,
            )
            for host in targets:
                t += rng.randrange(20, 90) * 1000
                win.tgs(t - 300, dc, account, server.ip, host)
                session = win.logon(t, host, account, 3, src=server, privileges=ADMIN_PRIVILEGES)
                if day == start:
                    win.share(t + 400, host, account, session, server.ip, "ADMIN$")
                    win.service_installed(
                        t + 2000,
                        host,
                        account,
                        session,
                        "BackupAgentSvc",
                        "C:\\Program Files\\Backup Agent\\agentsvc.exe",
                        start_type="auto start",
                    )
                win.share(t + 5000, host, account, session, server.ip, "C$")
                win.logoff(t + rng.randrange(5, 40) * MINUTE, host, account, session, 3)
            for name in sorted(org.linux):
                t += rng.randrange(5, 30) * 1000
                linux.ssh_session(
                    t,
                    name,
                    "bkpagent",
                    AGENT_UID,
                    server.ip,
                    rng.randrange(3, 20) * MINUTE,
                    key_fingerprint=AGENT_KEY,
                    actor="bkpagent",
                )
                linux.sudo(
                    t + 2000,
                    name,
                    "bkpagent",
                    AGENT_UID,
                    "/usr/bin/tar -cf - /etc /var/lib",
                    actor="bkpagent",
                )


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "long_leave": long_leave,
    "night_shift": night_shift,
    "business_travel": business_travel,
    "laptop_refresh": laptop_refresh,
    "password_expiry": password_expiry,
    "new_it_admin": new_it_admin,
    "backup_agent": backup_agent,
}

__all__ = ["BEHAVIOURS"]
