"""Normal life nobody had written yet (round 22, opt-in: ``generate(life=["life22"])``).

Ordinary things a SOC sees a few times a year, in the raw formats of the rest of the scenario,
each tagged as a benign episode of its own kind so ``benchmarks.evaluate --breakdown`` names it
(none repeats rounds 17-20's ``more_life``/``life19``/``life20`` behaviours):

- ``phish_reset_wave``: the morning after a phishing simulation the help desk resets the
  password (4724) of everyone who typed it into the fake page; each of them then fails once or
  twice with the old password (4771 at the DC, 4625 on the laptop) before the new one works.
- ``ir_sweep``: an incident responder (an administrator) triages an alert: in about an hour they
  reach thirty workstations over WinRM from their own laptop (network logon, a collection
  script run by ``wsmprovhost.exe``), the same script on every host.
- ``node_pool_rotation``: the Kubernetes node pool is rotated: the CI account creates a new
  node group and drains the old one (EKS / EC2 / Auto Scaling calls in CloudTrail), and from
  that day its ssh deploys also go to three new node hosts (new names, new addresses).
- ``oncall_night``: an engineer on call is paged at night twice in one week: from home, over
  the bastion, onto Linux hosts they rarely or never touch, ``journalctl`` and a service
  restart under sudo, and read-only AWS calls to look at the instances.
- ``merger_users``: an acquired company's office staff (a dozen people) get accounts in the
  domain on one morning (4720 + group adds by the identity admin) and from then on work on the
  file and application servers of the department they join, from their own network (a /16
  nobody used, over the new site-to-site link).
- ``summer_hours``: one site moves to summer working hours: from one Monday everybody there
  starts and ends their day an hour earlier (the same work, the same hosts, the same order).
  To an hour-of-week profile it is what a daylight-saving change is: the whole site shifted.

Nobody an attack touches is re-lived or chosen, and everything comes from its own random
streams, after the attacks: the default generation and the other life groups do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    CI_KEY,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    BenignTruth,
    Host,
    LinuxHost,
    Person,
    World,
    _first_weekday_on_or_after,
    _sid,
    person_day,
)
from benchmarks.scenario.life19 import _candidates, _identity_admin, _live_differently
from benchmarks.scenario.more_life import _episode

_MERGER_NAMES = (
    ("Aurelio", "Bianchetti"),
    ("Dagny", "Solbakken"),
    ("Emeka", "Nwachukwu"),
    ("Fenella", "Quaritch"),
    ("Gideon", "Ashworth"),
    ("Henrike", "Vossberg"),
    ("Ilse", "Marquardt"),
    ("Joaquim", "Teixeira"),
    ("Kalani", "Makoa"),
    ("Ludmila", "Zvereva"),
    ("Mathis", "Lefebvre"),
    ("Noor", "Haddadin"),
)
_COLLECT = (
    "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\Windows\\Temp\\ir\\triage.ps1 "
    "-Out \\\\FS01\\IR$\\case-{case}"
)


def _day_after_learning(world: World, offset: int) -> int:
    return _first_weekday_on_or_after(
        world.clock, min(world.days - 1, world.learning_days + offset)
    )


# --------------------------------------------------------------------------------------------
# The behaviours.


def phish_reset_wave(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admins = org.role(ADMIN)
    helpdesk = next((p for p in admins if p.resetter and not p.group_changer), None)
    helpdesk = helpdesk or _identity_admin(world)
    people = _candidates(world, (OFFICE, ENGINEER), "life22-phish")
    clicked = people[: max(3, len(people) // 4)]
    day = _day_after_learning(world, 6)
    if not clicked:
        return
    tag = _episode(
        episodes,
        "phish_reset_wave",
        f"after a phishing simulation {helpdesk.sam} resets the passwords of {len(clicked)} "
        f"people who typed theirs into the fake page on {clock.date(day)}; they fail with the old "
        "one before the new one works",
        users=[helpdesk.actor, *(p.actor for p in clicked)],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    rng = world.rng("life22-phish", day)
    with world.tagged(tag):
        t = clock.at(day, helpdesk.site.tz, 7 * 60 + 30 + rng.uniform(0, 20))
        session = win.logon(t, dc, helpdesk, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        for p in clicked:
            t += rng.randrange(40, 180) * 1000
            win.account_changed(t, dc, helpdesk, session, 4724, p)
        win.logoff(t + MINUTE, dc, helpdesk, session, 3)
    for p in clicked:
        ws = p.workstation_on(day)
        if ws is None:
            continue
        with world.tagged(tag, *p.episodes.get(day, [])):
            # their morning starts with the old password: before their usual logon that day
            t = clock.at(day, p.site.tz, p.start_min - rng.uniform(8, 25))
            for _ in range(rng.randrange(1, 3)):
                win.preauth_failed(t, org.dc_for(p), p, ws.ip)
                win.logon_failed(t + 300, ws, p.sam, 2, src_ip="127.0.0.1", actor=p.actor)
                t += rng.randrange(20, 90) * 1000


def ir_sweep(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    admins = [
        p
        for p in org.role(ADMIN)
        if not p.group_changer and not p.resetter and p.first_day == 0 and p.workstation_on(0)
    ]
    if not admins:
        return
    responder = admins[-1]
    day = _day_after_learning(world, 8)
    laptop = responder.workstation_on(day)
    if laptop is None:
        return
    rng = world.rng("life22-ir", day)
    hosts = sorted(
        (h for h in org.workstations() if h.since_day <= day and h is not laptop),
        key=lambda h: rng.random(),
    )[:30]
    case = rng.randrange(1000, 9999)
    tag = _episode(
        episodes,
        "ir_sweep",
        f"{responder.sam} triages an alert on {clock.date(day)} (case {case}): the same WinRM "
        f"collection script on {len(hosts)} workstations in about an hour from their laptop",
        users=[responder.actor],
    )
    dc = org.dc_for(responder)
    command = _COLLECT.format(case=case)
    with world.tagged(tag):
        t = clock.at(day, responder.site.tz, responder.start_min + 120 + rng.uniform(0, 30))
        for host in hosts:
            t += rng.randrange(60, 150) * 1000
            win.tgs(t - 400, dc, responder, laptop.ip, host)
            session = win.logon(
                t, host, responder, 3, src=laptop, privileges=ADMIN_PRIVILEGES, auth="Kerberos"
            )
            win.process(
                t + 2000,
                host,
                responder,
                session,
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                command,
                parent="C:\\Windows\\System32\\wsmprovhost.exe",
                elevated=True,
            )
            win.logoff(t + rng.randrange(40, 110) * 1000, host, responder, session, 3)


def node_pool_rotation(world: World, episodes: list[BenignTruth]) -> None:
    org, linux, trail, clock = world.org, world.linux, world.trail, world.clock
    deploy = org.person("svc_deploy")
    day = _day_after_learning(world, 4)
    nodes = [LinuxHost(f"k8s-node-b0{i + 1}", f"10.20.1.{41 + i}") for i in range(3)]
    tag = _episode(
        episodes,
        "node_pool_rotation",
        f"the Kubernetes node pool is rotated on {clock.date(day)}: svc_deploy creates node group "
        f"'workers-b', drains 'workers-a', and deploys over ssh to "
        f"{', '.join(n.name for n in nodes)} from then on",
        users=[deploy.actor, "deploy"],
        hosts=[n.name for n in nodes],
        ips=[n.ip for n in nodes],
    )
    identity = trail.iam_user(deploy.sam, deploy.aws_principal, deploy.aws_keys[0])
    rng = world.rng("life22-nodes", day)
    steps = (
        ("eks.amazonaws.com", "DescribeCluster", True, {"name": "prod"}),
        ("eks.amazonaws.com", "CreateNodegroup", False, {"nodegroupName": "workers-b"}),
        ("ec2.amazonaws.com", "CreateLaunchTemplateVersion", False, {"launchTemplateId": "lt-b"}),
        ("autoscaling.amazonaws.com", "CreateAutoScalingGroup", False, {"name": "workers-b"}),
        ("ec2.amazonaws.com", "RunInstances", False, {"minCount": 3, "maxCount": 3}),
        ("eks.amazonaws.com", "DescribeNodegroup", True, {"nodegroupName": "workers-b"}),
        ("autoscaling.amazonaws.com", "UpdateAutoScalingGroup", False, {"desired": 0}),
        ("ec2.amazonaws.com", "TerminateInstances", False, {"instancesSet": "workers-a"}),
        ("eks.amazonaws.com", "DeleteNodegroup", False, {"nodegroupName": "workers-a"}),
    )
    with world.tagged(tag):
        t = clock.at(day, org.sites[0].tz, 10 * 60 + rng.uniform(0, 30))
        for source, name, read_only, params in steps:
            t += rng.randrange(20, 240) * 1000
            trail.call(
                t,
                identity,
                source,
                name,
                ip=org.ci_ip,
                user_agent=deploy.cli_ua,
                params=params,
                read_only=read_only,
                actor=deploy.actor,
            )
        for d in range(day, world.days):
            hours = range(24) if d > day else range(11, 24)
            for node in nodes:
                for hour in hours:
                    linux.cron(clock.day_start(d) + hour * HOUR + 17 * MINUTE + rng.randrange(2000),
                               node.name)  # fmt: skip
            if clock.weekday(d) >= 5:
                continue
            for _ in range(rng.randrange(2, 6)):
                t = clock.at(d, org.sites[0].tz, rng.uniform(600 if d == day else 540, 1080))
                for node in nodes:
                    t += rng.randrange(5, 40) * 1000
                    linux.ssh_session(
                        t, node.name, "deploy", deploy.uid, org.ci_internal_ip,
                        rng.randrange(20, 120) * 1000, key_fingerprint=CI_KEY, actor="deploy",
                    )  # fmt: skip


def oncall_night(world: World, episodes: list[BenignTruth]) -> None:
    org, linux, trail, clock = world.org, world.linux, world.trail, world.clock
    # an engineer, or an administrator where every engineer has an episode of their own
    people = [p for p in _candidates(world, (ENGINEER, ADMIN), "life22-oncall") if p.uid]
    if not people:
        return
    sre = next((p for p in people if p.role == ENGINEER), people[0])
    start = _day_after_learning(world, 9)
    nights = [start, min(world.days - 1, start + 3)]
    rare = sorted(set(org.linux) - {"bastion01"} - set(sre.linux_hosts)) or sorted(
        set(org.linux) - {"bastion01"}
    )
    home = sre.home_ip_on(start)
    tag = _episode(
        episodes,
        "oncall_night",
        f"{sre.sam} is on call: paged on the nights of {clock.date(nights[0])} and "
        f"{clock.date(nights[-1])}, ssh from home over the bastion to {', '.join(rare)}, "
        "journalctl and a service restart under sudo, read-only AWS calls",
        users=[sre.actor],
    )
    sre.special = sre.special or "oncall_night"
    identity = (
        trail.iam_user(sre.sam, sre.aws_principal, sre.aws_keys[0]) if sre.aws_keys[0] else None
    )
    for night in sorted(set(nights)):
        rng = world.rng("life22-oncall", sre.sam, night)
        source = home if home and sre.split_tunnel else world.vpn_ip(rng)
        with world.tagged(tag):
            t = clock.at(night, sre.site.tz, 24 * 60 + 2 * 60 + rng.uniform(0, 90))
            length = rng.randrange(40, 90) * MINUTE
            linux.ssh_session(
                t, "bastion01", sre.sam, sre.uid, source, length,
                key_fingerprint=sre.ssh_key, actor=sre.actor,
            )  # fmt: skip
            for name in rare:
                t += rng.randrange(2, 6) * MINUTE
                linux.ssh_session(
                    t, name, sre.sam, sre.uid, org.bastion.ip, rng.randrange(10, 25) * MINUTE,
                    key_fingerprint=sre.ssh_key, actor=sre.actor,
                )  # fmt: skip
                for k, command in enumerate(
                    ("/usr/bin/journalctl -u app --since -1h", "/usr/bin/systemctl restart app")
                ):
                    linux.sudo(t + (k + 1) * 90_000, name, sre.sam, sre.uid, command,
                               actor=sre.actor)  # fmt: skip
            if identity and sre.aws:
                ip = home if home and sre.split_tunnel else org.vpn_egress_ip
                for name in ("DescribeInstances", "DescribeInstanceStatus", "GetMetricData"):
                    t += rng.randrange(10, 60) * 1000
                    source_name = (
                        "monitoring.amazonaws.com"
                        if name == "GetMetricData"
                        else "ec2.amazonaws.com"
                    )
                    trail.call(t, identity, source_name, name, ip=ip, user_agent=sre.cli_ua,
                               read_only=True, actor=sre.actor)  # fmt: skip


def merger_users(world: World, episodes: list[BenignTruth]) -> None:
    org, win, clock = world.org, world.win, world.clock
    models = [p for p in _candidates(world, (OFFICE,), "life22-merger") if p.servers]
    if not models:
        return
    model = models[0]
    day = _day_after_learning(world, 3)
    site = model.site
    taken = {p.sam for p in org.people}
    hires: list[Person] = []
    for index, (first, last) in enumerate(_MERGER_NAMES):
        sam = f"{first[0]}{last}".lower()[:20]
        if sam in taken:
            continue
        rng = world.rng("life22-merger-host", sam)
        name = f"ACQ-LT{index + 1:03d}"
        laptop = Host(
            name=name,
            fqdn=f"{name.lower()}.{org.dns_domain}",
            ip=f"10.60.{1 + index // 200}.{20 + index % 200}",
            kind="workstation",
            tz=site.tz,
            lag_ms=rng.randrange(200, 3000),
            sid=_sid(org.domain_sid, 60_000 + index),
            dn=f"CN={name},OU=Acquired,OU=Workstations,{org.base_dn}",
            since_day=day,
        )
        hires.append(
            replace(
                model,
                sam=sam,
                display=f"{first} {last}",
                sid=_sid(org.domain_sid, 9400 + index),
                dn=f"CN={first} {last},OU=Acquired,OU={site.city},{org.base_dn}",
                laptops=[(day, laptop)],
                start_min=model.start_min + rng.uniform(-40, 40),
                remote_prob=0.1,
                uid=0,
                ssh_key="",
                aws=False,
                home_ips=[],
                group_changer=False,
                resetter=False,
                deleter=False,
                first_day=day,
                absent=set(),
                travel={},
                episodes={},
                special="merger_users",
            )
        )
    identity = _identity_admin(world)
    tag = _episode(
        episodes,
        "merger_users",
        f"{len(hires)} people of an acquired company get accounts on {clock.date(day)} and join "
        f"{model.dept}: its servers ({', '.join(sorted(model.servers))}) from their own network "
        "(10.60.0.0/16, the new site-to-site link)",
        users=[identity.actor, *(h.actor for h in hires)],
        hosts=[h.laptops[0][1].short for h in hires],
    )
    dc, mgmt = org.hosts["DC01"], org.hosts["MGMT01"]
    rng = world.rng("life22-merger", day)
    with world.tagged(tag):
        t = clock.at(day, identity.site.tz, 7 * 60 + rng.uniform(0, 20))
        session = win.logon(t, dc, identity, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
        rid = 2000 + sum(map(ord, model.dept)) % 80
        for hire in hires:
            t += rng.randrange(30, 90) * 1000
            win.computer_created(t, dc, identity, session, hire.laptops[0][1])
            win.account_created(t + 5000, dc, identity, session, hire)
            win.account_changed(t + 7000, dc, identity, session, 4722, hire)
            win.group_member_added(
                t + 9000,
                dc,
                identity,
                session,
                hire,
                f"GRP-{model.dept}",
                _sid(org.domain_sid, rid),
            )
        win.logoff(t + MINUTE, dc, identity, session, 3)
    for hire in hires:
        for d in range(day, world.days):
            with world.tagged(tag):  # all of it: nobody learned these accounts
                person_day(world, hire, d)


def summer_hours(world: World, episodes: list[BenignTruth]) -> None:
    clock = world.clock
    site = world.org.sites[-1]
    people = [
        p for p in _candidates(world, (OFFICE, ENGINEER, ADMIN), "life22-summer") if p.site is site
    ]
    day = _day_after_learning(world, 5)
    while clock.weekday(day) != 0 and day < world.days - 1:
        day += 1
    if not people or day >= world.days - 1:
        return
    tag = _episode(
        episodes,
        "summer_hours",
        f"{site.city} moves to summer working hours on {clock.date(day)}: {len(people)} people "
        "start and end their day an hour earlier",
        users=[p.actor for p in people],
    )
    span = [(clock.day_start(day), world.end_ms)]
    for p in people:
        earlier = replace(p, start_min=p.start_min - 60)
        _live_differently(world, p, earlier, span, range(day, world.days), "summer_hours", tag, day)


BEHAVIOURS: dict[str, Callable[[World, list[BenignTruth]], None]] = {
    "phish_reset_wave": phish_reset_wave,
    "ir_sweep": ir_sweep,
    "node_pool_rotation": node_pool_rotation,
    "oncall_night": oncall_night,
    "merger_users": merger_users,
    "summer_hours": summer_hours,  # last: it re-lives whoever the others left ordinary at one site
}

__all__ = ["BEHAVIOURS"]
