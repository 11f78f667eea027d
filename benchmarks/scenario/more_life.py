"""Normal life the default generator never shows (round 17, opt-in: ``generate(life=["extra"])``).

Each behaviour is ordinary work a SOC sees every week and must not page on, written in the same
raw formats as the rest of the scenario and tagged as a benign episode of its own kind, so
``benchmarks.evaluate --breakdown`` names it:

- ``helpdesk_discovery``: admins and helpdesk run ``quser`` / ``qwinsta`` / ``whoami`` /
  ``systeminfo`` / ``nltest`` on the machines they support (4688), and now and then an engineer
  runs ``whoami`` or ``systeminfo`` on their own laptop.
- ``config_mgmt``: a configuration-management account (``cfgmgmt``) rolled out after learning
  ssh-es from the controller into every Linux host every two hours with ``sudo``, chaining on to
  the database host through the application host (ProxyJump).
- ``long_sessions``: engineers keep tmux on the bastion alive for days (one ssh session open
  across nights).
- ``office_move``: twenty people move to a new office floor on one day: from then on their
  machines reach the servers and the bastion from a /24 nobody used before. (SCCM client push,
  WinRM configuration, helpdesk remote control and inventory scans are every scenario's normal
  life already: :mod:`benchmarks.scenario.remote_admin`.)
- ``auth_vuln_scan``: a fortnightly credentialed compliance scan from SCAN01 whose credential
  fails on a third of the hosts (4625 from one source, one account, many hosts; ssh failures
  on the Linux hosts).
- ``password_rotation``: a password vault's service account resets (4724) every service
  account's password each Sunday night, and once rotates the admins' too (a policy change).
- ``migration_week``: the identity admin's planned migration: two new servers, the admin on
  them, and people moved into new groups over one working week.
- ``ci_iam_deploy``: the CI deploy starts managing IAM (CreateRole, PutRolePolicy, PassRole ...)
  after learning, as infrastructure-as-code arrives.
- ``roaming_tickets`` (round 18): Kerberos TGTs carry no address. On a few % of laptop-days the
  laptop changes address mid-day (docked -> Wi-Fi DHCP lease, office -> VPN pool) and keeps
  using its morning TGT: service tickets (4769) and network logons from the new address with no
  new 4768. Pool addresses are shared: another user's machine held the address before (their
  TGT issued there earlier that day or the day before) and another one gets it the next day.

Everything here is emitted after the attacks, from its own random streams and log builders, so
the attacks' events stay byte-identical and the default generation (no ``life``) does not change
at all.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Sequence
from dataclasses import replace

from benchmarks.scenario.formats import (
    ADMIN_PRIVILEGES,
    DAY_MS,
    CloudTrailLog,
    LinuxLog,
    WindowsLog,
)
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    OPS_HOST_IP,
    SERVICE,
    BenignTruth,
    Host,
    Person,
    World,
    _first_weekday_on_or_after,
    _sid,
    poisson,
)

CFG_KEY = "Q2ZnTWdtdENvbnRyb2xsZXJLZXlOb3RBUmVhbEtleTA"
CFG_UID = 994


def _episode(
    episodes: list[BenignTruth], kind: str, description: str, **entities: list[str]
) -> str:
    tag = f"N{len(episodes) + 1:02d}-{kind}"
    episodes.append(BenignTruth(tag, kind, description, {k: v for k, v in entities.items() if v}))
    return tag


def _service_account(world: World, sam: str, display: str, rid: int) -> Person:
    org = world.org
    site = org.sites[0]
    return Person(
        sam=sam,
        display=display,
        role=SERVICE,
        dept="IT",
        site=site,
        sid=_sid(org.domain_sid, rid),
        dn=f"CN={display},OU=Service Accounts,OU={site.city},{org.base_dn}",
    )


def _server(world: World, name: str, ip: str, since_day: int, kind: str = "app") -> Host:
    """A Windows server of the extra life (10.20.0.6x: remote_admin's hosts hold 10.20.0.4x)."""
    org = world.org
    site = org.sites[0]
    rng = world.rng("life-host", name)
    return Host(
        name=name,
        fqdn=f"{name.lower()}.{org.dns_domain}",
        ip=ip,
        kind=kind,
        tz=site.tz,
        lag_ms=rng.randrange(200, 3000),
        sid=_sid(org.domain_sid, 30_000 + rng.randrange(10_000)),
        dn=f"CN={name},OU=Servers,{org.base_dn}",
        since_day=since_day,
    )


def _workdays(world: World, first: int = 0) -> list[int]:
    return [d for d in range(first, world.days) if world.clock.weekday(d) < 5]


# --------------------------------------------------------------------------------------------
# The behaviours.


def helpdesk_discovery(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admins = [p for p in org.role(ADMIN) if p.first_day < world.days]
    engineers = [p for p in org.role(ENGINEER)]
    tag = _episode(
        episodes,
        "helpdesk_discovery",
        "admins and helpdesk run quser/qwinsta/whoami/systeminfo/nltest on the machines they "
        "support; engineers now and then run whoami or systeminfo on their own laptop",
        users=[p.actor for p in admins],
    )
    episode = episodes[-1]
    mgmt = org.hosts["MGMT01"]
    tools = (
        ("quser.exe", "quser /server:localhost", 4),
        ("qwinsta.exe", "qwinsta", 2),
        ("whoami.exe", "whoami /groups", 3),
        ("systeminfo.exe", "systeminfo", 2),
        ("nltest.exe", "nltest /dsgetdc:", 1),
    )
    with world.tagged(tag):
        for p in admins:
            rng = world.rng("life-helpdesk", p.sam)
            rate = rng.uniform(0.15, 0.5)  # support sessions per workday
            for day in _workdays(world):
                for _ in range(poisson(rng, rate)):
                    target = rng.choice(org.workstations()) if rng.random() < 0.7 else None
                    if target is None:
                        target = rng.choice([h for h in org.servers() if h.since_day <= day])
                    if target.since_day > day:
                        continue
                    t = clock.at(day, p.site.tz, rng.uniform(p.start_min, p.start_min + 420))
                    session = win.logon(t, target, p, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
                    for image, command, _ in rng.choices(
                        tools, weights=[w for *_, w in tools], k=rng.randrange(1, 4)
                    ):
                        t += rng.randrange(10, 120) * 1000
                        win.process(
                            t,
                            target,
                            p,
                            session,
                            f"C:\\Windows\\System32\\{image}",
                            command,
                            parent="C:\\Windows\\System32\\cmd.exe",
                            elevated=True,
                        )
                    win.logoff(t + rng.randrange(2, 20) * MINUTE, target, p, session, 10)
        for p in engineers:
            rng = world.rng("life-whoami", p.sam)
            for day in _workdays(world, p.first_day):
                if rng.random() >= 0.02:
                    continue
                laptop = p.workstation_on(day)
                if laptop is None or day in p.absent or day > p.last_day:
                    continue
                t = clock.at(day, p.site.tz, rng.uniform(p.start_min + 30, p.start_min + 400))
                image, command = rng.choice(
                    (("whoami.exe", "whoami /all"), ("systeminfo.exe", "systeminfo"))
                )
                if p.actor not in episode.entities["users"]:
                    # only those who ran one: --breakdown's fallback by entity and span
                    episode.entities["users"].append(p.actor)
                win.process(
                    t,
                    laptop,
                    p,
                    win.new_logon_id(),
                    f"C:\\Windows\\System32\\{image}",
                    command,
                    parent="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                )


def config_mgmt(world: World, episodes: list[BenignTruth]) -> None:
    org, linux, clock = world.org, world.linux, world.clock
    start = min(world.days - 1, world.learning_days + 3)
    tag = _episode(
        episodes,
        "config_mgmt",
        f"configuration management (account cfgmgmt) rolled out on {clock.date(start)}: every "
        "two hours the controller lnx-ops01 ssh-es into every Linux host and sudoes; the "
        "database host is reached through lnx-app01",
        users=["cfgmgmt"],
        ips=[OPS_HOST_IP],
    )
    app = org.linux["lnx-app01"]
    with world.tagged(tag):
        for day in range(start, world.days):
            rng = world.rng("life-cfg", day)
            for hour in range(0, 24, 2):
                t = clock.day_start(day) + hour * HOUR + 5 * MINUTE + rng.randrange(0, 30_000)
                for name in sorted(org.linux):
                    if name == "lnx-db01":
                        continue
                    t += rng.randrange(1, 4) * 1000
                    end = linux.ssh_session(
                        t,
                        name,
                        "cfgmgmt",
                        CFG_UID,
                        OPS_HOST_IP,
                        rng.randrange(20, 90) * 1000,
                        key_fingerprint=CFG_KEY,
                        actor="cfgmgmt",
                    )
                    linux.sudo(
                        t + 3000,
                        name,
                        "cfgmgmt",
                        CFG_UID,
                        "/bin/sh -c echo BECOME-SUCCESS; /usr/bin/python3",
                        actor="cfgmgmt",
                    )
                    if name == "lnx-app01":  # ProxyJump on to the database host
                        linux.ssh_session(
                            t + 4000,
                            "lnx-db01",
                            "cfgmgmt",
                            CFG_UID,
                            app.ip,
                            max(5000, end - t - 8000),
                            key_fingerprint=CFG_KEY,
                            actor="cfgmgmt",
                        )
                        linux.sudo(
                            t + 7000,
                            "lnx-db01",
                            "cfgmgmt",
                            CFG_UID,
                            "/bin/sh -c echo BECOME-SUCCESS; /usr/bin/python3",
                            actor="cfgmgmt",
                        )


def long_sessions(world: World, episodes: list[BenignTruth]) -> None:
    org, linux, clock = world.org, world.linux, world.clock
    users = [
        p for p in org.role(ENGINEER) if p.uid and world.rng("life-tmux", p.sam).random() < 0.5
    ]
    tag = _episode(
        episodes,
        "long_sessions",
        "engineers keep tmux on the bastion for days: one ssh session open across nights",
        users=[p.actor for p in users],
    )
    with world.tagged(tag):
        for p in users:
            rng = world.rng("life-tmux-days", p.sam)
            day = max(p.first_day, rng.randrange(0, 4))
            while day < world.days:
                day = _first_weekday_on_or_after(clock, day)
                if day >= world.days or day > p.last_day:
                    break
                if day in p.absent:
                    day += 1
                    continue
                t = clock.at(day, p.site.tz, p.start_min + rng.uniform(5, 40))
                span = rng.randrange(2, 6)
                laptop = p.workstation_on(day)
                if laptop is None:
                    day += 1
                    continue
                linux.ssh_session(
                    t,
                    "bastion01",
                    p.sam,
                    p.uid,
                    laptop.ip,
                    span * DAY_MS + rng.randrange(-3, 3) * HOUR,
                    key_fingerprint=p.ssh_key,
                    actor=p.actor,
                )
                day += span + rng.randrange(0, 3)


def office_move(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    site = org.sites[0]
    move = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 6))
    team = sorted(
        (p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.site is site),
        key=lambda p: world.rng("life-move-team", p.sam).random(),
    )[:20]
    octet = 200 + world.rng("life-move-net").randrange(40)
    tag = _episode(
        episodes,
        "office_move",
        f"{len(team)} people move to the new office floor on {clock.date(move)}: from then on "
        f"their machines are on 10.10.{octet}.0/24 (new addresses towards every server)",
        users=[p.actor for p in team],
    )
    with world.tagged(tag):
        for index, p in enumerate(team):
            ip = f"10.10.{octet}.{10 + index}"
            rng = world.rng("life-move-days", p.sam)
            servers = sorted(p.servers) or ["FS01"]
            for day in _workdays(world, move):
                if day in p.absent or day > p.last_day or p.workstation_on(day) is None:
                    continue
                for _ in range(rng.randrange(1, 4)):
                    host = org.hosts[rng.choice(servers)]
                    if host.since_day > day:
                        continue
                    t = clock.at(day, p.site.tz, p.start_min + rng.uniform(15, p.length_min - 30))
                    win.tgs(t - 400, org.dc_for(p), p, ip, host)
                    session = win.logon(t, host, p, 3, src_ip=ip)
                    win.logoff(t + rng.randrange(1, 30) * MINUTE, host, p, session, 3)
                if p.uid and rng.random() < 0.5:
                    t = clock.at(day, p.site.tz, p.start_min + rng.uniform(30, 300))
                    linux.ssh_session(
                        t,
                        "bastion01",
                        p.sam,
                        p.uid,
                        ip,
                        rng.randrange(5, 90) * MINUTE,
                        key_fingerprint=p.ssh_key,
                        actor=p.actor,
                    )


def auth_vuln_scan(world: World, episodes: list[BenignTruth]) -> None:
    org, win, linux, clock = world.org, world.win, world.linux, world.clock
    scan = org.person("svc_scan")
    scanner = org.hosts["SCAN01"]
    tag = _episode(
        episodes,
        "auth_vuln_scan",
        "fortnightly credentialed compliance scan by svc_scan from SCAN01; its credential "
        "fails on a third of the hosts (Windows 4625, Linux ssh)",
        users=[scan.actor],
        hosts=["scan01"],
        ips=[scanner.ip],
    )
    dc = org.hosts["DC01"]
    with world.tagged(tag):
        for day in range(world.days):
            if clock.weekday(day) != 2 or (day // 7) % 2:
                continue
            rng = world.rng("life-scan", day)
            t = clock.at(day, org.sites[0].tz, 21 * 60 + rng.uniform(0, 30))
            for host in sorted(org.hosts.values(), key=lambda h: h.ip):
                if host.since_day > day or host.name == "SCAN01":
                    continue
                t += rng.randrange(2, 10) * 1000
                # a host's local policy decides whether the scan credential works there
                if world.rng("life-scan-denied", host.name).random() < 0.33:
                    for _ in range(rng.randrange(1, 4)):
                        win.logon_failed(t, host, scan.sam, 3, src=scanner, actor=scan.actor)
                        t += rng.randrange(1, 4) * 1000
                    continue
                session = win.logon(
                    t, host, scan, 3, src=scanner, auth="NTLM", privileges=ADMIN_PRIVILEGES
                )
                win.share(t + 300, host, scan, session, scanner.ip, "IPC$")
                win.logoff(t + 15_000, host, scan, session, 3)
            win.ntlm_validation(t, dc, scan.sam, scanner.name, actor=scan.actor)
            for name in sorted(org.linux):
                for _ in range(rng.randrange(2, 5)):
                    t += rng.randrange(2, 6) * 1000
                    linux.ssh_failed(t, name, "svc_scan", scanner.ip, exists=False)


def password_rotation(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    vault_account = _service_account(world, "svc_vault", "Password Vault", 9102)
    vault = _server(world, "VAULT01", "10.20.0.61", 0, "app")
    services = [p for p in org.people if p.role == SERVICE]
    admins = org.role(ADMIN)
    bulk_day = _first_weekday_on_or_after(world.clock, min(world.days - 1, world.learning_days + 5))
    tag = _episode(
        episodes,
        "password_rotation",
        "svc_vault (VAULT01) resets every service account's password each Sunday night; on "
        f"{clock.date(bulk_day)} a policy change makes it rotate the admins' passwords too",
        users=[vault_account.actor],
        hosts=[vault.short],
    )
    dc = org.hosts["DC01"]
    with world.tagged(tag):
        for day in range(world.days):
            targets: list[Person] = []
            if clock.weekday(day) == 6:
                targets += services
            if day == bulk_day:
                targets += admins
            if not targets:
                continue
            rng = world.rng("life-vault", day)
            t = clock.at(day, org.sites[0].tz, 3 * 60 + rng.uniform(0, 20))
            session = win.logon(t, dc, vault_account, 3, src=vault, privileges=ADMIN_PRIVILEGES)
            for target in targets:
                t += rng.randrange(2, 8) * 1000
                win.account_changed(t, dc, vault_account, session, 4724, target)
            win.logoff(t + 5000, dc, vault_account, session, 3)


def migration_week(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admin = next((p for p in org.role(ADMIN) if p.group_changer), org.role(ADMIN)[0])
    start = _first_weekday_on_or_after(clock, min(world.days - 1, world.learning_days + 4))
    days = _workdays(world, start)[:5]
    new_servers = [
        _server(world, "FS03", "10.20.0.62", start, "file"),
        _server(world, "SQL03", "10.20.0.63", start, "sql"),
    ]
    movers = [
        p
        for p in org.humans
        if p.role in (OFFICE, ENGINEER) and world.rng("life-move", p.sam).random() < 0.5
    ]
    tag = _episode(
        episodes,
        "migration_week",
        f"{admin.sam}'s planned migration week from {clock.date(start)}: new servers FS03 and "
        f"SQL03, {len(movers)} people moved into the new file-share groups",
        users=[admin.actor],
        hosts=[h.short for h in new_servers],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    with world.tagged(tag):
        rng = world.rng("life-migration")
        for index, day in enumerate(days):
            t = clock.at(day, admin.site.tz, admin.start_min + rng.uniform(10, 40))
            session = win.logon(t, dc, admin, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
            if index == 0:
                for server in new_servers:
                    t += 60_000
                    win.computer_created(t, dc, admin, session, server)
            batch = movers[index :: len(days)] if days else []
            for member in batch:
                t += rng.randrange(10, 60) * 1000
                group = f"GRP-{member.dept}-FS03-RW"
                rid = 2100 + sum(map(ord, member.dept)) % 50
                win.group_member_added(
                    t, dc, admin, session, member, group, _sid(org.domain_sid, rid)
                )
            win.logoff(t + MINUTE, dc, admin, session, 3)
            for server in new_servers:
                t += rng.randrange(5, 40) * MINUTE
                rdp = win.logon(t, server, admin, 10, src=mgmt, privileges=ADMIN_PRIVILEGES)
                win.logoff(t + rng.randrange(10, 90) * MINUTE, server, admin, rdp, 10)


def ci_iam_deploy(world: World, episodes: list[BenignTruth]) -> None:
    org, trail, clock = world.org, world.trail, world.clock
    deploy = org.person("svc_deploy")
    start = min(world.days - 1, world.learning_days + 2)
    tag = _episode(
        episodes,
        "ci_iam_deploy",
        f"infrastructure-as-code arrives on {clock.date(start)}: svc_deploy's CI run creates "
        "and updates IAM roles and policies during some deploys",
        users=[deploy.actor],
    )
    identity = trail.iam_user(deploy.sam, deploy.aws_principal, deploy.aws_keys[0])
    steps = (
        ("iam.amazonaws.com", "GetRole", True),
        ("iam.amazonaws.com", "CreateRole", False),
        ("iam.amazonaws.com", "PutRolePolicy", False),
        ("iam.amazonaws.com", "AttachRolePolicy", False),
        ("iam.amazonaws.com", "TagRole", False),
        ("iam.amazonaws.com", "PassRole", False),
        ("iam.amazonaws.com", "CreatePolicyVersion", False),
        ("iam.amazonaws.com", "ListAttachedRolePolicies", True),
    )
    with world.tagged(tag):
        for day in _workdays(world, start):
            rng = world.rng("life-iac", day)
            for _ in range(rng.randrange(0, 3)):
                t = clock.at(day, org.sites[0].tz, rng.uniform(560, 1060))
                service = f"app-{rng.choice(('api', 'worker', 'web', 'batch'))}"
                for source, name, read_only in rng.sample(steps, rng.randrange(3, len(steps))):
                    t += rng.randrange(1, 10) * 1000
                    trail.call(
                        t,
                        identity,
                        source,
                        name,
                        ip=org.ci_ip,
                        user_agent=deploy.cli_ua,
                        params={"roleName": f"{service}-task"},
                        read_only=read_only,
                        actor=deploy.actor,
                    )


def roaming_tickets(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    laptop_users = [p for p in org.humans if p.laptops and p.role != SERVICE]
    fixed = {h.ip for h in org.workstations()}
    tag = _episode(
        episodes,
        "roaming_tickets",
        "laptops change address mid-day (DHCP lease on Wi-Fi, office -> VPN pool) and keep "
        "their morning TGT: service tickets from the new address without a new 4768, on "
        "addresses other users' machines hold before and after",
    )
    episode = episodes[-1]
    episode.entities.setdefault("users", [])  # only those who roamed: --breakdown by entity
    workdays = set(_workdays(world))
    with world.tagged(tag):
        for p in laptop_users:
            rng = world.rng("life-roaming", p.sam)
            rate = rng.uniform(0.01, 0.06)  # share of this person's laptop-days with a move
            others = [q for q in laptop_users if q is not p]
            for day in _workdays(world, max(p.first_day, 2)):
                laptop = p.workstation_on(day)
                if laptop is None or day in p.absent or day > p.last_day or not others:
                    continue
                if rng.random() >= rate:
                    continue
                if rng.random() < 0.6:  # the VPN pool
                    ip = world.vpn_ip(rng)
                else:  # a DHCP lease on the office Wi-Fi: an address no docked machine holds
                    prefix = laptop.ip.rsplit(".", 1)[0]
                    ip = f"{prefix}.{rng.randrange(10, 250)}"
                    if ip in fixed:
                        continue
                offset = rng.uniform(90, p.length_min - 90)
                move = clock.at(day, p.site.tz, p.start_min + offset)
                end = clock.at(day, p.site.tz, p.start_min + p.length_min)
                dc = org.dc_for(p)
                # The address's earlier lease: another machine signed in from it earlier that
                # working day or the working day before (the pool hands it on when that machine leaves).
                before = rng.choice(others)
                t = clock.at(day, before.site.tz, before.start_min + rng.uniform(0, 120))
                if t > move - HOUR or rng.random() < 0.5:
                    previous = max((d for d in workdays if d < day), default=day - 1)
                    t = clock.at(previous, before.site.tz, before.start_min + rng.uniform(0, 480))
                win.tgt(t, org.dc_for(before), before, ip)
                win.tgs(
                    t + 300, org.dc_for(before), before, ip, before.workstation_on(day) or laptop
                )
                servers = sorted(p.servers) or ["FS01"]
                uses = sorted(
                    rng.uniform(move, end - 30 * MINUTE) for _ in range(rng.randrange(1, 5))
                )
                for at in uses:  # within the working day, as the user's own visits
                    host = org.hosts[rng.choice(servers)]
                    if host.since_day > day:
                        continue
                    t = int(at)
                    win.tgs(t - 400, dc, p, ip, host)
                    session = win.logon(t, host, p, 3, src_ip=ip)
                    win.logoff(t + rng.randrange(1, 30) * MINUTE, host, p, session, 3)
                if p.actor not in episode.entities["users"]:
                    episode.entities["users"].append(p.actor)
                # The next lease: another user's machine the next day.
                after = rng.choice(others)
                following = next((d for d in range(day + 1, world.days) if d in workdays), None)
                if following is not None:
                    t = clock.at(following, after.site.tz, after.start_min + rng.uniform(0, 120))
                    win.tgt(t, org.dc_for(after), after, ip)
                    win.tgs(
                        t + 300, org.dc_for(after), after, ip, after.workstation_on(day) or laptop
                    )


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "helpdesk_discovery": helpdesk_discovery,
    "config_mgmt": config_mgmt,
    "long_sessions": long_sessions,
    "office_move": office_move,
    "auth_vuln_scan": auth_vuln_scan,
    "password_rotation": password_rotation,
    "migration_week": migration_week,
    "ci_iam_deploy": ci_iam_deploy,
    "roaming_tickets": roaming_tickets,
}
LIFE_GROUPS: dict[str, tuple[str, ...]] = {"extra": tuple(BEHAVIOURS)}


#: The rounds' opt-in groups, each a module of this package with a ``BEHAVIOURS`` table, in the
#: order their behaviours are registered (a new round adds its module's name here).
LIFE_MODULES: tuple[str, ...] = (
    "life19",
    "life20",
    "life22",
    "life23",
    "life24",
    "life25",
    "life26",
)


def _every_behaviour() -> dict[str, Callable[[World, list[BenignTruth]], None]]:
    """This module's behaviours and every round's in :data:`LIFE_MODULES` (those modules build
    on this one, so they are imported here, not at the top); registers their groups under the
    modules' names."""
    known = dict(BEHAVIOURS)
    for name in LIFE_MODULES:
        behaviours = importlib.import_module(f"benchmarks.scenario.{name}").BEHAVIOURS
        LIFE_GROUPS.setdefault(name, tuple(behaviours))
        known.update(behaviours)
    return known


def expand(names: Sequence[str]) -> list[str]:
    """``extra`` and the rounds' groups (``life19`` ..) -> their behaviours; single names as
    given; unknown is an error."""
    known = _every_behaviour()
    expanded: list[str] = []
    for name in names:
        name = name.strip()
        if name in LIFE_GROUPS:
            expanded.extend(n for n in LIFE_GROUPS[name] if n not in expanded)
        elif name in known:
            if name not in expanded:
                expanded.append(name)
        else:
            raise ValueError(
                f"unknown life {name!r}; choose from: {', '.join([*LIFE_GROUPS, *known])}"
            )
    return expanded


def live(world: World, episodes: list[BenignTruth], names: Sequence[str]) -> None:
    """Emit the named behaviours into ``world``'s sink with their own log builders."""
    org, seed = world.org, world.seed
    win = WindowsLog(
        world.sink,
        random.Random(f"{seed}/life-win"),
        netbios=org.netbios,
        realm=org.realm,
        dns_domain=org.dns_domain,
    )
    win.domain_sid = org.domain_sid
    own = replace(
        world,
        win=win,
        linux=LinuxLog(world.sink, random.Random(f"{seed}/life-linux")),
        trail=CloudTrailLog(
            world.sink,
            random.Random(f"{seed}/life-trail"),
            account=org.aws_account,
            region=org.region,
        ),
    )
    known = _every_behaviour()
    for name in expand(names):
        known[name](own, episodes)


__all__ = ["BEHAVIOURS", "LIFE_GROUPS", "expand", "live"]
