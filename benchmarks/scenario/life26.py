"""Normal life nobody had written yet (round 26, opt-in: ``generate(life=["life26"])``).

Ordinary things a SOC sees a few times a year, in the raw formats of the rest of the scenario,
each tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it
(none repeats rounds 17-25's ``more_life``/``life19``/``life20``/``life22``/``life23``/
``life24``/``life25`` behaviours):

- ``vdi_pool``: a non-persistent VDI pool opens for a line-of-business application: from one
  Monday eight office staff each spend a couple of hours a day on a pooled desktop (RDP from
  their laptop); the desktops are rebuilt every night, so each day's desktop has a new name
  (``VDI-xxxxxx`` on 10.20.14.0/24) and reaches the file server on the user's behalf.
- ``pam_vault``: a privileged-access vault goes live: two shared administrative accounts
  (``t1_srvadmin``, ``t1_dbadmin``, new to the directory) are checked out by the admins and used
  only from the vault's session proxy PAM01 (RDP to servers, admin rights); after every session
  the vault's own account resets the checked-out account's password.
- ``directory_sync``: a cloud directory sync server (``svc_adsync`` on ADSYNC01, like Azure AD
  Connect) replicates directory changes from DC01 every thirty minutes, day and night: a network
  logon and the two replication rights on the domain object (4662): DCSync's shape, on purpose.
- ``ci_runner_fleet``: the CI system moves to autoscaled ephemeral runners: every build job runs
  on a fresh VM in the CI subnet (10.20.2.0/24, a new address each job) that ssh-es into the
  application host as ``deploy`` with the CI key, as the one runner did before.
- ``print_server_migration``: the print server moves to PRINT02 one Monday: every office
  workstation's user connects to it (a ticket, a network logon, the ``print$`` share) the first
  morning, and prints there now and then from then on.
- ``smartcard_rollout``: one site moves to smart-card logon from a Monday: its people's TGT
  requests use PKINIT (pre-authentication type 16, the certificate's issuer, serial and
  thumbprint) instead of a password.

Nobody an attack touches is chosen, and everything comes from its own random streams, after the
attacks: the default generation and the other life groups do not change. ``smartcard_rollout``
rewrites what was already written, leaving the attacks' own events as they were written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    CI_KEY,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    BenignTruth,
    Person,
    World,
)
from benchmarks.scenario.life19 import _candidates
from benchmarks.scenario.life23 import (
    _day_after_learning,
    _is_attack,
    _monday_after_learning,
    _name_users,
    _with,
)
from benchmarks.scenario.life24 import _host
from benchmarks.scenario.more_life import _episode, _server, _service_account, _workdays

_REPLICATION = (
    "{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes
    "{1131f6ad-9c07-11d1-f79f-00c04fc2dcd2}",  # DS-Replication-Get-Changes-All
)
_DOMAIN_DNS_CLASS = "{19195a5b-6da0-11d0-afd3-00c04fd930c9}"
_CARD_ISSUER = "CN=Corp Issuing CA 01, DC=corp"


def _admins(world: World) -> list[Person]:
    return [p for p in world.org.role(ADMIN) if p.first_day == 0 and not p.group_changer]


def _works(world: World, p: Person, day: int) -> bool:
    return world.clock.weekday(day) < 5 and day not in p.absent and p.first_day <= day < p.last_day


# --------------------------------------------------------------------------------------------
# The behaviours.


def vdi_pool(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    site = org.sites[0]
    people = [p for p in _candidates(world, (OFFICE,), "life26-vdi") if p.site is site][:8]
    first = _monday_after_learning(world, 3)
    days = _workdays(world, first)
    if len(people) < 2 or not days:
        return
    files = org.hosts["FS01"]
    tag = _episode(
        episodes,
        "vdi_pool",
        f"a non-persistent VDI pool opens on {clock.date(first)}: {len(people)} office staff use a "
        "pooled desktop a couple of hours a day, rebuilt nightly under a new name (10.20.14.x)",
        users=[p.actor for p in people],
        ips=["10.20.14.0/24"],
    )
    hosts: set[str] = set()
    with world.tagged(tag):
        for day in days:
            rng = world.rng("life26-vdi", day)
            for k, p in enumerate(people):
                laptop = p.workstation_on(day)
                if laptop is None or not _works(world, p, day) or rng.random() < 0.15:
                    continue
                # the pool hands out whichever rebuilt desktop is free: a name nobody saw
                name = "VDI-" + hashlib.sha256(f"{world.seed}/{day}/{k}".encode()).hexdigest()[:6]
                desk = _host(
                    world, name.upper(), f"10.20.14.{20 + (day * 7 + k * 13) % 200}",
                    "workstation", day, f"VDI,OU={site.city}",
                )  # fmt: skip
                hosts.add(desk.short)
                dc = org.dc_for(p)
                t = clock.at(day, site.tz, p.start_min + 60 + rng.uniform(0, 180))
                length = rng.randrange(60, 180) * MINUTE
                win.tgt(t - 3 * MINUTE, dc, desk, desk.ip)
                win.tgt(t - 1500, dc, p, laptop.ip)
                win.tgs(t - 1200, dc, p, laptop.ip, desk)
                session = win.logon(t, desk, p, 10, src=laptop)
                win.tgt(t + 3000, dc, p, desk.ip)
                win.tgs(t + 3500, dc, p, desk.ip, files)
                share = win.logon(t + 4000, files, p, 3, src=desk)
                win.share(t + 4100, files, p, share, desk.ip, "Shares",
                          local_path="\\??\\D:\\Shares")  # fmt: skip
                win.logoff(t + length - 2000, files, p, share, 3)
                win.logoff(t + length, desk, p, session, 10)
    _name_users(episodes, tag, {p.actor for p in people})
    for episode in episodes:
        if episode.id == tag:
            episode.entities = {**episode.entities, "hosts": sorted(hosts)}


def pam_vault(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admins = _admins(world)[:3]
    first = _day_after_learning(world, 4)
    servers = sorted(
        (h for h in org.servers() if h.kind not in ("dc", "mgmt") and h.since_day <= first),
        key=lambda h: h.name,
    )
    if not admins or not servers:
        return
    vault = _service_account(world, "svc_pam", "Privileged Access Vault", 9131)
    shared = [
        _service_account(world, "t1_srvadmin", "Tier 1 Server Admin", 9132),
        _service_account(world, "t1_dbadmin", "Tier 1 Database Admin", 9133),
    ]
    proxy = _server(world, "PAM01", "10.20.0.74", first, "app")
    tag = _episode(
        episodes,
        "pam_vault",
        f"a privileged-access vault goes live on {clock.date(first)}: the admins check out "
        f"{' and '.join(a.sam for a in shared)} and use them only through PAM01's session proxy "
        "(RDP to servers); svc_pam resets the account's password after each session",
        users=[vault.actor, *(a.actor for a in shared), *(a.actor for a in admins)],
        hosts=[proxy.short],
        ips=[proxy.ip],
    )
    dc = org.hosts["DC01"]
    with world.tagged(tag):
        for day in _workdays(world, first):
            rng = world.rng("life26-pam", day)
            # the vault's own tickets, renewed each morning before the first check-out
            morning = clock.at(day, org.sites[0].tz, 6 * 60 + rng.uniform(0, 20))
            win.tgt(morning, dc, vault, proxy.ip)
            win.tgs(morning + 500, dc, vault, proxy.ip, dc)
            for admin in admins:
                laptop = admin.workstation_on(day)
                if laptop is None or not _works(world, admin, day):
                    continue
                for _ in range(rng.randrange(0, 3)):
                    t = clock.at(day, admin.site.tz, admin.start_min + rng.uniform(30, 420))
                    account = rng.choice(shared)
                    target = rng.choice(servers)
                    # the admin signs in to the vault's portal with their own account ...
                    win.tgs(t - 800, org.dc_for(admin), admin, laptop.ip, proxy)
                    portal = win.logon(t - 500, proxy, admin, 3, src=laptop)
                    # ... and the proxy opens the session with the checked-out account
                    win.tgt(t, dc, account, proxy.ip)
                    win.tgs(t + 300, dc, account, proxy.ip, target)
                    session = win.logon(t + 800, target, account, 10, src=proxy,
                                        privileges=ADMIN_PRIVILEGES)  # fmt: skip
                    end = t + rng.randrange(5, 45) * MINUTE
                    win.logoff(end, target, account, session, 10)
                    win.logoff(end + 500, proxy, admin, portal, 3)
                    # check-in: the vault rotates the password it handed out
                    rotate = win.logon(end + 60_000, dc, vault, 3, src=proxy,
                                       privileges=ADMIN_PRIVILEGES)  # fmt: skip
                    win.account_changed(end + 62_000, dc, vault, rotate, 4724, account)
                    win.logoff(end + 64_000, dc, vault, rotate, 3)


def directory_sync(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    account = _service_account(world, "svc_adsync", "Directory Synchronization", 9134)
    day = _day_after_learning(world, 2)
    sync = _server(world, "ADSYNC01", "10.20.0.75", day, "app")
    dc = org.hosts["DC01"]
    tag = _episode(
        episodes,
        "directory_sync",
        f"a cloud directory sync server goes live on {clock.date(day)}: svc_adsync on ADSYNC01 "
        "replicates directory changes from DC01 every thirty minutes (4662 replication rights)",
        users=[account.actor],
        hosts=[sync.short],
        ips=[sync.ip],
    )
    rng = world.rng("life26-adsync", day)
    t = clock.at(day, org.sites[0].tz, 14 * 60 + rng.uniform(0, 30))
    last_ticket = -(10**15)
    with world.tagged(tag):
        while t < world.end_ms:
            if t - last_ticket >= 10 * HOUR:
                win.tgt(t - 2000, dc, account, sync.ip)
                win.tgs(t - 1500, dc, account, sync.ip, dc)
                last_ticket = t
            session = win.logon(t, dc, account, 3, src=sync)
            for n, right in enumerate(_REPLICATION):
                properties = f"%%7688\r\n\t\t\t\t{right}\r\n\t\t\t\t{_DOMAIN_DNS_CLASS}"
                win.directory_access(t + 400 + n * 40, dc, account, session, org.base_dn,
                                     properties)  # fmt: skip
            win.logoff(t + rng.randrange(2000, 6000), dc, account, session, 3)
            t += 30 * MINUTE + rng.randrange(-20_000, 20_000)


def ci_runner_fleet(world: World, episodes: list[BenignTruth]) -> None:
    org, linux, clock = world.org, world.linux, world.clock
    deploy = org.person("svc_deploy")
    first = _day_after_learning(world, 5)
    target = "lnx-app01"  # where the CI account deploys (generator.linux_background_day)
    if target not in org.linux or not deploy.uid:
        return
    tag = _episode(
        episodes,
        "ci_runner_fleet",
        f"the CI system moves to autoscaled ephemeral runners on {clock.date(first)}: each build "
        f"job runs on a fresh VM in 10.20.2.0/24 that ssh-es into {target} as deploy with the CI "
        "key",
        users=["deploy"],
        hosts=[target],
        ips=["10.20.2.0/24"],
    )
    with world.tagged(tag):
        for day in _workdays(world, first):
            rng = world.rng("life26-ci", day)
            for _ in range(rng.randrange(4, 12)):
                t = clock.at(day, org.sites[0].tz, rng.uniform(480, 1140))
                runner = f"10.20.2.{rng.randrange(40, 250)}"
                linux.ssh_session(
                    t, target, "deploy", deploy.uid, runner, rng.randrange(20, 240) * 1000,
                    key_fingerprint=CI_KEY, actor="deploy",
                )  # fmt: skip


def print_server_migration(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    first = _monday_after_learning(world, 8)
    printer = _server(world, "PRINT02", "10.20.0.76", first, "file")
    touched_free = {p.sam for p in _candidates(world, (OFFICE, ENGINEER, ADMIN), "life26-print")}
    people = sorted(
        (p for p in org.humans if p.sam in touched_free and p.site is org.sites[0]),
        key=lambda p: p.sam,
    )
    if not people:
        return
    tag = _episode(
        episodes,
        "print_server_migration",
        f"the print server moves to PRINT02 on {clock.date(first)}: {len(people)} office users' "
        "workstations connect to it that morning and print there now and then from then on",
        users=[p.actor for p in people],
        hosts=[printer.short],
        ips=[printer.ip],
    )
    with world.tagged(tag):
        for day in _workdays(world, first):
            rng = world.rng("life26-print", day)
            for p in people:
                laptop = p.workstation_on(day)
                if laptop is None or not _works(world, p, day):
                    continue
                if day != first and rng.random() > 0.25:
                    continue
                # the print queue is mapped by group policy at the first logon on the day
                minutes = p.start_min + (
                    rng.uniform(5, 30) if day == first else rng.uniform(60, 420)
                )
                t = clock.at(day, p.site.tz, minutes)
                win.tgs(t - 400, org.dc_for(p), p, laptop.ip, printer)
                session = win.logon(t, printer, p, 3, src=laptop)
                win.share(t + 100, printer, p, session, laptop.ip, "print$",
                          local_path="\\??\\C:\\Windows\\system32\\spool\\drivers")  # fmt: skip
                win.logoff(t + rng.randrange(5, 60) * 1000, printer, p, session, 3)


def smartcard_rollout(world: World, episodes: list[BenignTruth]) -> None:
    clock, sink = world.clock, world.sink
    site = world.org.sites[-1]
    people = [
        p for p in _candidates(world, (OFFICE, ENGINEER, ADMIN), "life26-card") if p.site is site
    ]
    day = _monday_after_learning(world, 6)
    if not people or day >= world.days - 1:
        return
    tag = _episode(
        episodes,
        "smartcard_rollout",
        f"{site.city} moves to smart-card logon on {clock.date(day)}: {len(people)} people's "
        "TGT requests use PKINIT (a certificate) instead of a password from then on",
        users=[p.actor for p in people],
    )
    lo = clock.day_start(day)
    cards = {
        p.actor: hashlib.sha256(f"{world.seed}/card/{p.sam}".encode()).hexdigest().upper()
        for p in people
    }
    users: set[str] = set()
    for w in sink.windows:
        if w.t < lo or w.event_id != 4768 or _is_attack(w.tags) or w.actor not in cards:
            continue
        card = cards[w.actor]
        w.fields = {
            **w.fields,
            "PreAuthType": "16",
            "CertIssuerName": _CARD_ISSUER,
            "CertSerialNumber": card[:32],
            "CertThumbprint": card[24:64],
        }
        w.tags = _with(w.tags, tag)
        users.add(w.actor)
    _name_users(episodes, tag, users)


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "vdi_pool": vdi_pool,
    "pam_vault": pam_vault,
    "directory_sync": directory_sync,
    "ci_runner_fleet": ci_runner_fleet,
    "print_server_migration": print_server_migration,
    # last: it rewrites what was written before it, the other behaviours' tickets too
    "smartcard_rollout": smartcard_rollout,
}

__all__ = ["BEHAVIOURS"]
