"""Normal life nobody had written yet (round 23, opt-in: ``generate(life=["life23"])``).

Ordinary things a SOC sees a few times a year, in the raw formats of the rest of the scenario,
each tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it
(none repeats rounds 17-22's ``more_life``/``life19``/``life20``/``life22`` behaviours):

- ``edr_rollout``: an EDR sensor is pushed to every workstation and server over two working
  days: an administrator's deployment run from MGMT01 opens ``ADMIN$`` on each machine, installs
  the sensor service (7045 + 4697) and runs its installer, in waves during office hours.
- ``stale_task_password``: the identity admin changes the web service account's password (4724,
  a planned change); a scheduled task on the application servers still holds the old one, so
  every hour for about a day and a half it fails (4625 batch logon on the server, 4771 at the
  DC) until someone updates the task and it logs on again.
- ``holiday_cover``: a colleague covers for a teammate on holiday for a working week: the one on
  holiday is gone, the one covering also does the absent one's rounds (their servers and Linux
  hosts) on top of their own, at their own hours from their own desk.
- ``key_rotation``: a security policy rotates credentials on one day: everyone with AWS access
  creates a new access key, switches to it and deletes the old one (CreateAccessKey,
  UpdateAccessKey, DeleteAccessKey, from where they usually work), and everyone's ssh key is
  replaced (new fingerprints from then on).
- ``bastion_replacement``: the ssh bastion is rebuilt as ``bastion02`` on a new address over a
  weekend: from that Monday every ssh hop starts there and reaches the Linux hosts from the new
  address.
- ``file_server_cutover``: the old file server FS01 is replaced by FS03 (a new name and
  address) one morning: from then on everyone's shares are on FS03 and FS01 goes quiet.

Nobody an attack touches is re-lived or chosen, and everything comes from its own random
streams, after the attacks: the default generation and the other life groups do not change. The
three behaviours that move what was already written (keys, bastion, file server) leave the
attacks' own events as they were written: their ground truth names those keys and hosts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    BenignTruth,
    Host,
    LinuxHost,
    World,
    _first_weekday_on_or_after,
    _sid,
)
from benchmarks.scenario.life19 import (
    _candidates,
    _day_spans,
    _identity_admin,
    _live_differently,
)
from benchmarks.scenario.more_life import _episode, _workdays

_SENSOR = "C:\\Program Files\\Sentinel Sensor\\sensorsvc.exe"
_SENSOR_SETUP = "C:\\Windows\\Temp\\sensor\\SensorSetup.exe /quiet /norestart CID={cid}"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _is_attack(tags: tuple[str, ...]) -> bool:
    return any(t.startswith("A") for t in tags)


def _with(tags: tuple[str, ...], tag: str) -> tuple[str, ...]:
    return tags if tag in tags else (*tags, tag)


def _name_users(episodes: list[BenignTruth], tag: str, users: set[str]) -> None:
    """The people whose events an episode moved are its entities (who hopped through the new
    bastion, who reached the new file server): the scorer's fallback when evidence ids do not
    match (``normal_life_category``)."""
    for episode in episodes:
        if episode.id == tag and users:
            episode.entities = {**episode.entities, "users": sorted(users)}


def _day_after_learning(world: World, offset: int) -> int:
    return _first_weekday_on_or_after(
        world.clock, min(world.days - 1, world.learning_days + offset)
    )


def _monday_after_learning(world: World, offset: int) -> int:
    day = _day_after_learning(world, offset)
    while world.clock.weekday(day) != 0 and day < world.days - 1:
        day += 1
    return day


# --------------------------------------------------------------------------------------------
# The behaviours.


def edr_rollout(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admins = [p for p in org.role(ADMIN) if p.first_day == 0 and not p.group_changer]
    if not admins:
        return
    admin = admins[0]
    days = _workdays(world, _day_after_learning(world, 2))[:2]
    mgmt, dc = org.hosts["MGMT01"], org.dc_for(admin)
    if not days:
        return
    rng = world.rng("life23-edr", days[0])
    targets = sorted(
        (h for h in org.hosts.values() if h.since_day <= days[0] and h is not mgmt),
        key=lambda h: (h.kind != "workstation", rng.random()),
    )
    waves = [targets[: len(targets) // 2], targets[len(targets) // 2 :]]
    cid = f"{rng.getrandbits(64):016X}"
    tag = _episode(
        episodes,
        "edr_rollout",
        f"an EDR sensor is pushed to {len(targets)} machines on "
        f"{', '.join(str(clock.date(d)) for d in days)}: {admin.sam} from MGMT01 opens ADMIN$, installs "
        "the SentinelSensor service and runs its installer on each, in waves in office hours",
        users=[admin.actor],
    )
    with world.tagged(tag):
        for day, wave in zip(days, waves, strict=False):
            t = clock.at(day, admin.site.tz, admin.start_min + 90 + rng.uniform(0, 30))
            for index, host in enumerate(wave):
                # batches of twenty, a pause between batches while the console reports back
                t += rng.randrange(15, 60) * 1000 + (20 * MINUTE if index % 20 == 19 else 0)
                win.tgs(t - 400, dc, admin, mgmt.ip, host)
                session = win.logon(
                    t, host, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES, auth="Kerberos"
                )
                win.share(t + 300, host, admin, session, mgmt.ip, "ADMIN$")
                win.service_installed(
                    t + 1500, host, admin, session, "SentinelSensor", _SENSOR,
                    start_type="auto start",
                )  # fmt: skip
                win.process(
                    t + 2500,
                    host,
                    admin,
                    session,
                    "C:\\Windows\\Temp\\sensor\\SensorSetup.exe",
                    _SENSOR_SETUP.format(cid=cid),
                    parent="C:\\Windows\\System32\\services.exe",
                    elevated=True,
                )
                win.logoff(t + rng.randrange(60, 180) * 1000, host, admin, session, 3)


def stale_task_password(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    account = org.person("svc_web")
    identity = _identity_admin(world)
    day = _day_after_learning(world, 5)
    servers = [h for h in org.servers("app") if h.since_day <= day]
    if not servers:
        return
    rng = world.rng("life23-stale", day)
    tag = _episode(
        episodes,
        "stale_task_password",
        f"{identity.sam} changes svc_web's password on {clock.date(day)}; a scheduled task on "
        f"{', '.join(h.name for h in servers)} still holds the old one and fails every hour for "
        "about a day and a half, until the task is updated",
        users=[identity.actor, account.actor],
        hosts=[h.name for h in servers],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    with world.tagged(tag):
        t = clock.at(day, identity.site.tz, 8 * 60 + rng.uniform(0, 30))
        session = win.logon(t, dc, identity, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        win.account_changed(t + 40_000, dc, identity, session, 4724, account)
        win.logoff(t + 2 * MINUTE, dc, identity, session, 3)
        changed = t + 40_000
        fixed = changed + rng.randrange(30, 40) * HOUR
        first_hour = (changed - clock.day_start(day)) // HOUR + 1
        end = min(world.end_ms, fixed + 12 * HOUR)
        hour = clock.day_start(day) + first_hour * HOUR
        while hour < end:
            for server in servers:
                at = hour + 5 * MINUTE + rng.randrange(0, 20_000)
                if hour < fixed:
                    win.preauth_failed(at, dc, account, server.ip)
                    win.logon_failed(at + 200, server, account.sam, 4, actor=account.actor)
                else:
                    win.tgt(at, dc, account, server.ip)
                    task = win.logon(at + 200, server, account, 4)
                    win.logoff(at + rng.randrange(20, 90) * 1000, server, account, task, 4)
            hour += HOUR


def holiday_cover(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    for role in (ADMIN, ENGINEER):
        people = [
            p for p in _candidates(world, (role,), "life23-cover") if p.servers or p.linux_hosts
        ]
        if len(people) >= 2:
            break
    else:
        return
    covering, away = people[0], people[1]
    days = _workdays(world, _monday_after_learning(world, 8))[:5]
    if not days:
        return
    servers = {**covering.servers}
    for name, visits in away.servers.items():
        servers[name] = servers.get(name, 0.0) + visits
    linux_hosts = [*covering.linux_hosts, *(h for h in away.linux_hosts if h not in covering.linux_hosts)]  # fmt: skip
    tag = _episode(
        episodes,
        "holiday_cover",
        f"{covering.sam} covers for {away.sam} (on holiday) {clock.date(days[0])} .. "
        f"{clock.date(days[-1])}: their own work and {away.sam}'s rounds "
        f"({', '.join([*sorted(away.servers), *away.linux_hosts])}) from their own desk",
        users=[covering.actor, away.actor],
    )
    spans = _day_spans(world, days)
    both = replace(
        covering,
        servers=servers,
        linux_hosts=linux_hosts,
        sudo_as=covering.sudo_as or away.sudo_as,
        uid=covering.uid or away.uid,
    )
    _live_differently(world, covering, both, spans, days, "holiday_cover", tag, days[0])
    absent = replace(away, absent={*away.absent, *days})
    _live_differently(world, away, absent, spans, days, "holiday_cover", tag, days[0])


def _new_key(world: World, *parts: object) -> str:
    rng = world.rng("life23-key", *parts)
    return "".join(rng.choice(_KEY_ALPHABET) for _ in range(43))


def key_rotation(world: World, episodes: list[BenignTruth]) -> None:
    org, clock, sink, trail = world.org, world.clock, world.sink, world.trail
    day = _day_after_learning(world, 12)
    lo = clock.day_start(day)
    people = [p for p in org.humans if p.first_day <= day < p.last_day and (p.ssh_key or p.aws)]
    if not people:
        return
    tag = _episode(
        episodes,
        "key_rotation",
        f"a credential policy rotates keys on {clock.date(day)}: {len(people)} people get new ssh "
        "keys and whoever uses AWS creates a new access key, switches to it and deletes the old",
        users=[p.actor for p in people],
    )
    rng = world.rng("life23-keys", day)
    old_ssh = {p.actor: p.ssh_key for p in people if p.ssh_key}
    new_ssh = {actor: _new_key(world, "ssh", actor) for actor in old_ssh}
    for line in sink.lines:
        old = old_ssh.get(line.actor)
        if line.t >= lo and old and not _is_attack(line.tags) and f"SHA256:{old}" in line.msg:
            line.msg = line.msg.replace(f"SHA256:{old}", f"SHA256:{new_ssh[line.actor]}")
            line.tags = _with(line.tags, tag)
    # AWS: each user's first CLI call of the day or later with the old key is where they rotate
    old_aws = {p.actor: p for p in people if p.aws and p.aws_keys[0]}
    switch: dict[str, int] = {}
    first: dict[str, dict[str, object]] = {}
    for record in sorted(sink.trail, key=lambda r: r.t):
        p = old_aws.get(record.actor)
        identity = record.record.get("userIdentity", {})
        if (
            p is None
            or record.t < lo
            or record.actor in switch
            or _is_attack(record.tags)
            or identity.get("accessKeyId") != p.aws_keys[0]
        ):
            continue
        switch[record.actor] = record.t
        first[record.actor] = record.record
    new_aws: dict[str, str] = {}
    for actor, t in sorted(switch.items()):
        p, seen = old_aws[actor], first[actor]
        new = "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        new_aws[actor] = new
        old_identity = trail.iam_user(p.sam, p.aws_principal, p.aws_keys[0])
        new_identity = trail.iam_user(p.sam, p.aws_principal, new)
        ip, agent = str(seen.get("sourceIPAddress", "")), str(seen.get("userAgent", p.cli_ua))
        steps = (
            (old_identity, "ListAccessKeys", True, {"userName": p.sam}),
            (old_identity, "CreateAccessKey", False, {"userName": p.sam}),
            (new_identity, "UpdateAccessKey", False,
             {"userName": p.sam, "accessKeyId": p.aws_keys[0], "status": "Inactive"}),
            (new_identity, "DeleteAccessKey", False,
             {"userName": p.sam, "accessKeyId": p.aws_keys[0]}),
        )  # fmt: skip
        at = t - 4 * MINUTE
        with world.tagged(tag):
            for identity, name, read_only, params in steps:
                at += rng.randrange(15, 50) * 1000
                trail.call(
                    at, identity, "iam.amazonaws.com", name, ip=ip, user_agent=agent,
                    params=params, read_only=read_only, actor=actor,
                )  # fmt: skip
    for record in sink.trail:
        actor = record.actor
        if actor not in switch or record.t < switch[actor] or _is_attack(record.tags):
            continue
        identity = record.record.get("userIdentity", {})
        if identity.get("accessKeyId") == old_aws[actor].aws_keys[0]:
            record.record = {
                **record.record,
                "userIdentity": {**identity, "accessKeyId": new_aws[actor]},
            }
            record.tags = _with(record.tags, tag)
    for p in people:
        if p.actor in new_ssh:
            p.ssh_key = new_ssh[p.actor]
        if p.actor in new_aws:
            p.aws_keys = (new_aws[p.actor], p.aws_keys[1])


def bastion_replacement(world: World, episodes: list[BenignTruth]) -> None:
    org, clock, sink = world.org, world.clock, world.sink
    old = org.bastion
    new = LinuxHost("bastion02", "10.20.1.12")
    day = _monday_after_learning(world, 3)
    lo = clock.day_start(day)
    tag = _episode(
        episodes,
        "bastion_replacement",
        f"the ssh bastion is rebuilt as {new.name} ({new.ip}, was {old.name} {old.ip}) before "
        f"{clock.date(day)}: every ssh hop starts there from then on",
        hosts=[new.name],
        ips=[new.ip],
    )
    source = re.compile(rf"\b{re.escape(old.ip)}\b")
    # a hop's other sshd lines (session opened, closed) name no address: same host and session
    hops: set[tuple[str, str]] = set()
    for line in sink.lines:
        if line.t < lo or _is_attack(line.tags):
            continue
        moved = False
        if line.host == old.name:
            line.host, moved = new.name, True
        if old.ip in line.msg:
            line.msg, count = source.subn(new.ip, line.msg)
            moved = moved or count > 0
            if count and line.session and line.prog == "sshd":
                hops.add((line.host, line.session))
        if moved:
            line.tags = _with(line.tags, tag)
    users: set[str] = set()
    for line in sink.lines:
        if line.prog == "sshd" and (line.host, line.session) in hops and not _is_attack(line.tags):
            line.tags = _with(line.tags, tag)
            users.update([line.actor] if line.actor else [])
    _name_users(episodes, tag, users)


def file_server_cutover(world: World, episodes: list[BenignTruth]) -> None:
    org, clock, sink = world.org, world.clock, world.sink
    old = org.hosts["FS01"]
    day = _day_after_learning(world, 10)
    lo = clock.day_start(day)
    rng = world.rng("life23-fs", day)
    new = Host(
        name="FS03",
        fqdn=f"fs03.{org.dns_domain}",
        ip="10.20.0.67",
        kind=old.kind,
        tz=old.tz,
        lag_ms=rng.randrange(200, 3000),
        sid=_sid(org.domain_sid, 30_000 + rng.randrange(10_000)),
        dn=old.dn.replace("CN=FS01,", "CN=FS03,"),
        since_day=day,
    )
    tag = _episode(
        episodes,
        "file_server_cutover",
        f"FS01 is replaced by FS03 ({new.ip}) on {clock.date(day)}: from then on everyone's "
        "shares are on FS03 and FS01 goes quiet",
        hosts=[new.name],
        ips=[new.ip],
    )
    name = re.compile(r"\bFS01\b", re.IGNORECASE)
    address = re.compile(rf"\b{re.escape(old.ip)}\b")

    def moved(text: str) -> str:
        text = name.sub(lambda m: "FS03" if m.group(0).isupper() else "fs03", text)
        return address.sub(new.ip, text)

    users: set[str] = set()
    for w in sink.windows:
        if w.t < lo or _is_attack(w.tags):
            continue
        changed = {
            k: moved(v)
            for k, v in w.fields.items()
            if isinstance(v, str) and (old.ip in v or "fs01" in v.lower())
        }
        if w.host is old:
            w.host = new
        elif not changed:
            continue
        w.fields = {**w.fields, **changed}
        w.tags = _with(w.tags, tag)
        users.update([w.actor] if w.actor else [])
    _name_users(episodes, tag, users)


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "edr_rollout": edr_rollout,
    "stale_task_password": stale_task_password,
    "holiday_cover": holiday_cover,
    # last: they move what was written before them, the other behaviours' events too; the
    # hosts first, so an ssh hop through the new bastion with a new key counts as the bastion's
    # (the scorer names the first episode an incident shares evidence with)
    "bastion_replacement": bastion_replacement,
    "file_server_cutover": file_server_cutover,
    "key_rotation": key_rotation,
}

__all__ = ["BEHAVIOURS"]
