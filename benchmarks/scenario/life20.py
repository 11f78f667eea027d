"""Normal life nobody had written yet (round 20, opt-in: ``generate(life=["life20"])``).

Ordinary things a SOC sees every quarter, in the raw formats of the rest of the scenario, each
tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it:

- ``access_review``: the quarterly access review: one afternoon the identity admin removes
  dozens of stale memberships from the department file-share groups (4729), from MGMT01.
- ``dr_failover``: a disaster-recovery test on a Saturday: the web service account reaches the
  DR site's SQL replica from the DR web servers every hour, the backup account checks every
  server from the DR backup host, and an admin RDPs into the DR hosts (a /24 nobody used).
- ``vpn_change``: the VPN concentrator is replaced overnight: from that day every remote
  session gets an address from a new pool (10.31.x.x, was 10.30.x.x) and AWS sees a new public
  egress address. Everything already written is moved, so it is the same work from new places.
- ``offsite``: a third of one site's office staff spend two working days at a hotel: everyone
  remote over the VPN, AWS and ssh straight from the hotel's one public address.
- ``patch_night``: an administrator's Saturday patch night: RDP from MGMT01 into every Windows
  server, Windows Update and a reboot on each, then every Linux host over the bastion with
  ``apt upgrade`` and a reboot.
- ``team_reorg``: a department is folded into another: from one Monday its people use the other
  department's servers and shares (re-lived days, their own hours and habits otherwise).
- ``auditor_sweep``: an internal auditor (an office worker) spends two days reading every
  department's share on both file servers (5140 + 5145 read-only), for the yearly audit.

Nobody an attack touches is re-lived or chosen, and everything comes from its own random
streams, after the attacks: the default generation and the other life groups do not change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from benchmarks.scenario.formats import ADMIN_PRIVILEGES, BACKUP_PRIVILEGES
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
    public_ip,
)
from benchmarks.scenario.life19 import (
    _candidates,
    _day_spans,
    _identity_admin,
    _live_differently,
)
from benchmarks.scenario.more_life import _episode, _workdays

_SHARES = {"FS01": "\\??\\D:\\Shares", "FS02": "\\??\\E:\\Shares"}
_DEPTS = ("Finance", "Sales", "HR", "Marketing", "Operations", "Legal", "Engineering", "IT")
_OLD_POOL = re.compile(r"\b10\.30\.(\d{1,3})\.(\d{1,3})\b")


def _dr_host(world: World, name: str, index: int, kind: str) -> Host:
    """A host of the DR site: its own /24 (10.40.0.0/24), nothing there during learning."""
    org = world.org
    site = org.sites[0]
    rng = world.rng("life20-dr-host", name)
    return Host(
        name=name,
        fqdn=f"{name.lower()}.{org.dns_domain}",
        ip=f"10.40.0.{10 + index}",
        kind=kind,
        tz=site.tz,
        lag_ms=rng.randrange(200, 3000),
        sid=_sid(org.domain_sid, 50_000 + rng.randrange(10_000)),
        dn=f"CN={name},OU=DR,OU=Servers,{org.base_dn}",
    )


def _member_removed(
    world: World, t: int, dc: Host, actor: Person, logon_id: str, member: Person, group: str
) -> None:
    """4729: a member was removed from a global security group (the review's one change)."""
    win = world.win
    rid = 2200 + sum(map(ord, group)) % 80
    fields: dict[str, Any] = {"MemberName": member.dn, "MemberSid": member.sid}
    fields.update(
        TargetUserName=group,
        TargetDomainName=win.netbios,
        TargetSid=_sid(world.org.domain_sid, rid),
        SubjectUserSid=actor.sid,
        SubjectUserName=actor.sam,
        SubjectDomainName=win.netbios,
        SubjectLogonId=logon_id,
        PrivilegeList="-",
    )
    world.sink.win(t, dc, 4729, fields, actor=actor.actor)


def _on_jump_host(world: World, admin: Person, day: int, t: int) -> str:
    """The admin's own desktop session on MGMT01 (from their laptop): where their RDP starts."""
    org, win = world.org, world.win
    mgmt = org.hosts["MGMT01"]
    laptop = admin.workstation_on(day)
    ip = laptop.ip if laptop else world.vpn_ip(world.rng("life20-jump", admin.sam, day))
    win.tgs(t - 800, org.dc_for(admin), admin, ip, mgmt)
    return win.logon(t, mgmt, admin, 10, src=laptop, src_ip=ip, privileges=ADMIN_PRIVILEGES)


# --------------------------------------------------------------------------------------------
# The behaviours.


def access_review(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admin = _identity_admin(world)
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 9))
    rng = world.rng("life20-review")
    people = [p for p in org.humans if p.role in (OFFICE, ENGINEER)]
    removals = [
        (p, f"GRP-{dept}-FS01-RW")
        for p in people
        for dept in _DEPTS
        if dept != p.dept and rng.random() < 0.08
    ][:60]
    tag = _episode(
        episodes,
        "access_review",
        f"quarterly access review on {clock.date(day)}: {admin.sam} removes {len(removals)} "
        "stale memberships from the department file-share groups in one afternoon",
        users=[admin.actor],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    with world.tagged(tag):
        t = clock.at(day, admin.site.tz, 14 * 60 + rng.uniform(0, 40))
        session = win.logon(t, dc, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        for member, group in removals:
            t += rng.randrange(15, 120) * 1000
            _member_removed(world, t, dc, admin, session, member, group)
        win.logoff(t + MINUTE, dc, admin, session, 3)


def dr_failover(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    day = min(world.days - 1, world.learning_days + 5)
    while clock.weekday(day) != 5 and day < world.days - 1:
        day += 1
    web_hosts = [_dr_host(world, f"WEB-DR0{i + 1}", i, "web") for i in range(2)]
    sql = _dr_host(world, "SQL-DR01", 5, "sql")
    bkp = _dr_host(world, "BKP-DR01", 8, "backup")
    dr = [*web_hosts, sql, bkp]
    web, backup = org.person("svc_web"), org.person("svc_backup")
    admin = next((p for p in org.role(ADMIN) if not p.group_changer), org.role(ADMIN)[0])
    tag = _episode(
        episodes,
        "dr_failover",
        f"disaster-recovery test on {clock.date(day)}: svc_web reaches SQL-DR01 from the DR web "
        f"servers, svc_backup checks every server from BKP-DR01, {admin.sam} RDPs into the DR "
        "hosts (10.40.0.0/24)",
        users=[web.actor, backup.actor, admin.actor],
        hosts=[h.short for h in dr],
        ips=[h.ip for h in dr],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    tz = org.sites[0].tz
    rng = world.rng("life20-dr", day)
    with world.tagged(tag):
        for host in dr:  # the DR hosts wake up: their machine accounts ask for tickets
            win.tgt(clock.at(day, tz, 7 * 60 + rng.uniform(0, 30)), dc, host, host.ip)
        for hour in range(8, 20):
            for web_host in web_hosts:
                t = clock.at(day, tz, hour * 60 + rng.uniform(0, 59))
                win.ntlm_validation(t - 200, dc, web.sam, web_host.name, actor=web.actor)
                session = win.logon(t, sql, web, 3, src=web_host, auth="NTLM")
                win.logoff(t + rng.randrange(20, 300) * 1000, sql, web, session, 3)
        t = clock.at(day, tz, 9 * 60 + rng.uniform(0, 30))
        targets = [h for h in org.servers("dc", "file", "sql", "web", "app") if h.since_day <= day]
        for host in [*targets, sql]:
            t += rng.randrange(40, 160) * 1000
            win.tgs(t - 300, dc, backup, bkp.ip, host)
            session = win.logon(t, host, backup, 3, src=bkp, privileges=BACKUP_PRIVILEGES)
            win.share(t + 500, host, backup, session, bkp.ip, "C$", local_path="\\??\\C:\\")
            win.logoff(t + rng.randrange(3, 15) * MINUTE, host, backup, session, 3)
        t = clock.at(day, admin.site.tz, 8 * 60 + rng.uniform(0, 30))
        jump = _on_jump_host(world, admin, day, t)
        for host in dr:
            t += rng.randrange(5, 30) * MINUTE
            win.tgs(t - 500, dc, admin, mgmt.ip, host)
            session = win.logon(t, host, admin, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
            win.logoff(t + rng.randrange(10, 60) * MINUTE, host, admin, session, 10)
        win.logoff(t + 2 * HOUR, mgmt, admin, jump, 10)


def vpn_change(world: World, episodes: list[BenignTruth]) -> None:
    org, clock, sink = world.org, world.clock, world.sink
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 2))
    lo = clock.day_start(day)
    rng = world.rng("life20-vpn")
    old_egress, new_egress = org.vpn_egress_ip, public_ip(rng, "hosting")
    tag = _episode(
        episodes,
        "vpn_change",
        f"the VPN concentrator is replaced overnight before {clock.date(day)}: remote sessions "
        f"come from 10.31.x.x (was 10.30.x.x) and AWS sees {new_egress} (was {old_egress})",
        ips=[new_egress],
    )

    def moved(text: str) -> str:
        return _OLD_POOL.sub(r"10.31.\1.\2", text)

    def tags(old: tuple[str, ...]) -> tuple[str, ...]:
        # the attacks' own events keep their tags only: the scorer must not call them benign
        return old if any(t.startswith("A") for t in old) else (*old, tag)

    # Everything after the change, attacks included, comes through the new concentrator.
    for w in sink.windows:
        if w.t < lo:
            continue
        changed = {k: moved(v) for k, v in w.fields.items() if isinstance(v, str) and "10.30." in v}
        if changed:
            w.fields = {**w.fields, **changed}
            w.tags = tags(w.tags)
    for line in sink.lines:
        if line.t >= lo and "10.30." in line.msg:
            line.msg = moved(line.msg)
            line.tags = tags(line.tags)
    for record in sink.trail:
        if record.t >= lo and record.record.get("sourceIPAddress") == old_egress:
            record.record = {**record.record, "sourceIPAddress": new_egress}
            record.tags = tags(record.tags)


def offsite(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    site = world.org.sites[0]
    people = [p for p in _candidates(world, (OFFICE, ENGINEER), "life20-offsite") if p.site is site]
    team = people[: max(2, len(people) // 3)]
    start = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 10))
    days = _workdays(world, start)[:2]
    if not team or not days:
        return
    hotel = public_ip(world.rng("life20-offsite-hotel"), "residential")
    tag = _episode(
        episodes,
        "offsite",
        f"company offsite {clock.date(days[0])} .. {clock.date(days[-1])}: {len(team)} people "
        f"work from one hotel, over the VPN, AWS and ssh straight from the hotel's {hotel}",
        users=[p.actor for p in team],
        ips=[hotel],
    )
    for p in team:
        away = replace(
            p, remote_prob=1.0, home_ips=[*p.home_ips, (days[0], hotel)], split_tunnel=True
        )
        _live_differently(world, p, away, _day_spans(world, days), days, "offsite", tag, days[0])


def patch_night(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    admins = [p for p in org.role(ADMIN) if p.first_day == 0]
    admin = next((p for p in admins if p.uid), admins[0] if admins else None)
    if admin is None:
        return
    day = min(world.days - 1, world.learning_days + 12)
    while clock.weekday(day) != 5 and day < world.days - 1:
        day += 1
    tag = _episode(
        episodes,
        "patch_night",
        f"{admin.sam}'s patch night on {clock.date(day)}: RDP from MGMT01 into every Windows "
        "server, Windows Update and a reboot on each, then apt upgrade and a reboot on every "
        "Linux host over the bastion",
        users=[admin.actor],
    )
    dc, mgmt = org.dc_for(admin), org.hosts["MGMT01"]
    rng = world.rng("life20-patch", day)
    with world.tagged(tag):
        t = clock.at(day, admin.site.tz, 21 * 60 + rng.uniform(0, 30))
        jump = _on_jump_host(world, admin, day, t)
        for host in sorted((h for h in org.servers() if h.since_day <= day), key=lambda h: h.ip):
            if host is mgmt:
                continue
            t += rng.randrange(2, 8) * MINUTE
            win.tgs(t - 500, dc, admin, mgmt.ip, host)
            session = win.logon(t, host, admin, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
            steps = (
                ("C:\\Windows\\System32\\UsoClient.exe", "UsoClient.exe StartInstall"),
                ("C:\\Windows\\System32\\shutdown.exe", 'shutdown.exe /r /t 60 /c "patching"'),
            )
            for k, (image, command) in enumerate(steps):
                win.process(
                    t + (k + 1) * 3 * MINUTE,
                    host,
                    admin,
                    session,
                    image,
                    command,
                    parent="C:\\Windows\\System32\\cmd.exe",
                    elevated=True,
                )
            win.logoff(t + 8 * MINUTE, host, admin, session, 10)
        win.logoff(t + 10 * MINUTE, mgmt, admin, jump, 10)
        if not admin.uid:
            return
        laptop = admin.workstation_on(day)
        source = laptop.ip if laptop else world.vpn_ip(rng)
        t += 10 * MINUTE
        linux.ssh_session(
            t, "bastion01", admin.sam, admin.uid, source, 2 * HOUR,
            key_fingerprint=admin.ssh_key, actor=admin.actor,
        )  # fmt: skip
        for name in sorted(org.linux):
            if name == "bastion01":
                continue
            t += rng.randrange(3, 8) * MINUTE
            linux.ssh_session(
                t, name, admin.sam, admin.uid, org.bastion.ip, 6 * MINUTE,
                key_fingerprint=admin.ssh_key, actor=admin.actor,
            )  # fmt: skip
            linux.sudo(t + 30_000, name, admin.sam, admin.uid, "/usr/bin/apt upgrade -y",
                       actor=admin.actor)  # fmt: skip
            linux.sudo(t + 5 * MINUTE, name, admin.sam, admin.uid, "/usr/sbin/reboot",
                       actor=admin.actor)  # fmt: skip


def team_reorg(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    people = _candidates(world, (OFFICE,), "life20-reorg")
    depts = sorted({p.dept for p in people}, key=lambda d: (-sum(p.dept == d for p in people), d))
    if len(depts) < 2:
        return
    old, new = depts[1], depts[0]
    host_team = [p for p in world.org.humans if p.dept == new and p.role == OFFICE and p.servers]
    if not host_team:
        return
    servers = dict(host_team[0].servers)
    team = [p for p in people if p.dept == old][:8]
    day = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 7))
    tag = _episode(
        episodes,
        "team_reorg",
        f"{old} ({len(team)} people) is folded into {new} on {clock.date(day)}: from then on "
        f"they use {new}'s servers ({', '.join(sorted(servers))}) and shares",
        users=[p.actor for p in team],
    )
    for p in team:
        moved = replace(p, dept=new, servers=servers)
        span = (clock.day_start(day), world.end_ms)
        _live_differently(world, p, moved, [span], range(day, world.days), "team_reorg", tag, day)


def auditor_sweep(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    people = _candidates(world, (OFFICE,), "life20-audit")
    auditor = next((p for p in people if p.dept in ("Finance", "Legal")), None)
    auditor = auditor or (people[0] if people else None)
    start = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 11))
    days = _workdays(world, start)[:2]
    if auditor is None or not days:
        return
    servers = [org.hosts[n] for n in ("FS01", "FS02") if n in org.hosts]
    tag = _episode(
        episodes,
        "auditor_sweep",
        f"{auditor.sam} reads every department's share on {', '.join(h.name for h in servers)} "
        f"{clock.date(days[0])} .. {clock.date(days[-1])} for the yearly audit (read-only)",
        users=[auditor.actor],
    )
    auditor.special = auditor.special or "auditor_sweep"
    dc = org.dc_for(auditor)
    rng = world.rng("life20-audit", auditor.sam)
    with world.tagged(tag):
        for index, day in enumerate(days):
            laptop = auditor.workstation_on(day)
            ip = laptop.ip if laptop else world.vpn_ip(rng)
            t = clock.at(day, auditor.site.tz, auditor.start_min + rng.uniform(45, 90))
            half = _DEPTS[index::2] if len(days) > 1 else _DEPTS
            for host in servers:
                win.tgs(t - 800, dc, auditor, ip, host)
                session = win.logon(t, host, auditor, 3, src_ip=ip)
                for dept in half:
                    t += rng.randrange(4, 20) * MINUTE
                    local = f"{_SHARES.get(host.name, '')}\\{dept}"
                    win.share(t, host, auditor, session, ip, dept, local_path=local)
                    for k in range(rng.randrange(3, 9)):
                        name = f"{dept}\\Policies\\{rng.choice(('2024', 'archive', 'current'))}"
                        win.share(
                            t + (k + 1) * 20_000,
                            host,
                            auditor,
                            session,
                            ip,
                            dept,
                            local_path=local,
                            relative=f"{name}\\doc{rng.randrange(100, 999)}.pdf",
                        )
                win.logoff(t + 5 * MINUTE, host, auditor, session, 3)
                t += rng.randrange(20, 60) * MINUTE


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "access_review": access_review,
    "dr_failover": dr_failover,
    "offsite": offsite,
    "patch_night": patch_night,
    "team_reorg": team_reorg,
    "auditor_sweep": auditor_sweep,
    "vpn_change": vpn_change,  # last: it moves what every other behaviour wrote too
}

__all__ = ["BEHAVIOURS"]
