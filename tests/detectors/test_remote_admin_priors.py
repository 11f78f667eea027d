"""Benign remote administration learned as normal, attacks not (issue 3, round 7).

- ``remote_exec``: a WMI/WinRM child after a logon from a machine *other* accounts routinely run
  remote execution from (the admins' management host) is discounted; the same from a machine
  nobody runs it from is not, and one account's own repetitions do not make a source.
- ``lateral_new_host``: a user who routinely reaches other people's workstations (desktop
  support) is not news on one more; a user who never did is. An account that sweeps most hosts
  reaches a new one as part of the sweep. An account that only ever reached one host (a service
  account) is news on a host everybody else reaches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.lateral import LateralNewHost
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)
WMI = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
GPUPDATE = "C:\\Windows\\System32\\gpupdate.exe"


def logon(t: datetime, user: str, host: str, src: str, logon_type: str = "3") -> Event:
    return Event(
        time=t,
        tenant="t",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=src if logon_type == "3" else "127.0.0.1",
        dst_host=host,
        logon_type=logon_type,
    )


def wmi_child(t: datetime, user: str, host: str, image: str = GPUPDATE) -> Event:
    return Event(
        time=t,
        tenant="t",
        source_format="test",
        action=Action.PROCESS_START,
        user=user,
        dst_host=host,
        app=WMI,
        object=image,
    )


def remote_run(t: datetime, user: str, host: str, src: str, image: str = GPUPDATE) -> list[Event]:
    return [logon(t, user, host, src), wmi_child(t + timedelta(seconds=2), user, host, image)]


AGENT = "C:\\Program Files\\Agent\\agent.exe"  # a child no account ran before


def score_last(detector: RemoteExecution | LateralNewHost, events: list[Event]) -> float:
    """Learn every event but the last two, one batch a day; points for the last one (or 0)."""
    builder = BatchBuilder()
    history, last = events[:-2], events[-2:]
    for day in sorted({e.time.date() for e in history}):
        batch = builder.build([e for e in history if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = detector.score(builder.build(last), builder)
    return float(signals.points.max()) if len(signals) else 0.0


def test_wmi_from_the_admins_management_host_is_discounted_not_from_a_workstation() -> None:
    history: list[Event] = []
    for day in range(10):  # three admins run WMI commands from MGMT01 every day
        for k, admin in enumerate(("ann", "bob", "cid")):
            t = T0 + timedelta(days=day, hours=k)
            history += remote_run(t, admin, f"srv{k}", "10.0.0.19")
    t = T0 + timedelta(days=11)
    # dan's first WMI child ever, on a server: from the management host, and from a laptop
    mgmt = remote_run(t, "dan", "srv9", "10.0.0.19", AGENT)
    laptop_run = remote_run(t, "dan", "srv9", "10.1.1.50", AGENT)
    managed = score_last(RemoteExecution(), [*history, *mgmt])
    laptop = score_last(RemoteExecution(), [*history, *laptop_run])
    assert laptop == 35.0  # no other account runs anything remotely from there
    assert managed < laptop / 4  # 35 / (1 + ~27 of others' decayed runs / 2)


def test_one_accounts_own_runs_do_not_make_its_source_a_management_host() -> None:
    history: list[Event] = []
    for day in range(10):  # eve alone runs WMI from her laptop every day
        history += remote_run(T0 + timedelta(days=day), "eve", "srv1", "10.1.1.50")
    t = T0 + timedelta(days=11)
    # mallory on eve's laptop: one other account does not make it a management host
    on_laptop = remote_run(t, "mal", "srv2", "10.1.1.50", AGENT)
    elsewhere = remote_run(t, "mal", "srv2", "10.9.9.9", AGENT)
    assert score_last(RemoteExecution(), [*history, *on_laptop]) == 35.0
    assert score_last(RemoteExecution(), [*history, *elsewhere]) == 35.0
    # a second regular account there makes it one
    for day in range(10):
        history += remote_run(T0 + timedelta(days=day, hours=2), "fay", "srv3", "10.1.1.50")
    history.sort(key=lambda e: e.time)
    assert score_last(RemoteExecution(), [*history, *on_laptop]) < 10.0


def _office(days: int, extra: list[Event]) -> list[Event]:
    """20 users on their own workstations (console logons), each reaching two servers daily."""
    events: list[Event] = []
    for day in range(days):
        for u in range(20):
            t = T0 + timedelta(days=day, minutes=u)
            events.append(logon(t, f"user{u}", f"ws{u}", "", logon_type="2"))
            events.append(logon(t + timedelta(minutes=1), f"user{u}", "files", f"10.1.0.{u}"))
            events.append(logon(t + timedelta(minutes=2), f"user{u}", f"app{u % 3}", f"10.1.0.{u}"))
    events += extra
    return sorted(events, key=lambda e: e.time)


def _helpdesk(user: str, days: int) -> list[Event]:
    """``user`` takes over a different user's workstation every day, and works on the file
    server a dozen times a day (what makes a new host rare by count alone)."""
    events = [
        logon(T0 + timedelta(days=day, hours=3), user, f"ws{day % 20}", "10.1.0.99")
        for day in range(days)
    ]
    events += [
        logon(T0 + timedelta(days=day, hours=4, minutes=k), user, "files", "10.1.0.99")
        for day in range(days)
        for k in range(12)
    ]
    return events


def _reach(user: str, host: str, src: str = "10.1.0.99") -> list[Event]:
    t = T0 + timedelta(days=16, hours=4)
    return [logon(t, user, "files", src), logon(t + timedelta(minutes=1), user, host, src)]


def test_desktop_support_reaching_one_more_workstation_is_not_news() -> None:
    events = _office(16, _helpdesk("helpdesk", 14))
    assert score_last(LateralNewHost(), [*events, *_reach("helpdesk", "ws17")]) < 5.0


def test_a_user_who_never_reached_workstations_reaching_one_is() -> None:
    events = _office(16, _helpdesk("helpdesk", 14))
    assert score_last(LateralNewHost(), [*events, *_reach("user3", "ws17", "10.1.0.3")]) >= 10.0


def test_a_sweep_reaching_a_new_host_is_not_news() -> None:
    sweep = [
        logon(T0 + timedelta(days=day, hours=2, seconds=h), "inventory", f"ws{h}", "10.0.0.42")
        for day in range(16)
        for h in range(20)
    ]
    sweep += [
        logon(T0 + timedelta(days=day, hours=2, seconds=30), "inventory", "files", "10.0.0.42")
        for day in range(16)
    ]
    events = _office(16, sweep)
    # the night a new machine appears, the sweep reaches it too
    assert (
        score_last(LateralNewHost(), [*events, *_reach("inventory", "ws-new", "10.0.0.42")]) < 5.0
    )


def test_a_service_account_on_a_host_everybody_reaches_is_news() -> None:
    deploy = [
        logon(T0 + timedelta(days=day, hours=h), "deploy", "app-ci", "10.2.0.15")
        for day in range(16)
        for h in (2, 5)
    ]
    events = _office(16, deploy)
    # "files" is reached by all 20 users: popular, yet deploy only ever knew app-ci
    t = T0 + timedelta(days=16, hours=4)
    last = [logon(t, "deploy", "app-ci", "10.2.0.15"), logon(t, "deploy", "files", "10.2.0.15")]
    assert score_last(LateralNewHost(), [*events, *last]) >= 15.0  # 32 logons, 1 host: 17


def test_a_person_with_two_hosts_on_a_host_everybody_reaches_is_not() -> None:
    # the office users reach two hosts each too, but sit at a workstation: people, not services
    events = _office(16, [])
    t = T0 + timedelta(days=16, hours=4)
    popular = [
        logon(t + timedelta(minutes=u), f"user{u}", "new-files", f"10.1.0.{u}") for u in range(10)
    ]
    last = [logon(t, "user12", "files", "10.1.0.12"), logon(t, "user12", "new-files", "10.1.0.12")]
    assert score_last(LateralNewHost(), [*events, *popular, *last]) == 0.0


def test_where_the_feed_never_shows_console_logons_nobody_is_a_service_account() -> None:
    # An sshd-only fleet: every person reaches one server and no machine ever shows a console
    # logon, so "never sat at a machine" says nothing; the popular host excuses them again.
    fleet = [
        logon(T0 + timedelta(days=day, hours=h, minutes=u), f"dev{u}", f"srv{u % 2}", f"10.3.0.{u}")
        for day in range(16)
        for h in (0, 6)
        for u in range(20)
    ]
    t = T0 + timedelta(days=16, hours=4)
    last = [logon(t, "dev1", "srv1", "10.3.0.1"), logon(t, "dev1", "srv0", "10.3.0.1")]
    assert score_last(LateralNewHost(), [*fleet, *last]) == 0.0
    # ... and the same fleet with one console logon anywhere in the tenant is back to the rule
    console = [logon(T0 + timedelta(hours=1), "someone", "ws-x", "", logon_type="2")]
    assert score_last(LateralNewHost(), sorted([*console, *fleet, *last], key=lambda e: e.time)) > 0


# -- login_chain: the helpdesk connects to a workstation, its owner goes on from it ---------------


def _console(when: datetime, user: str, host: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip="127.0.0.1",
        dst_host=host,
        logon_type="11",
    )


def test_the_owner_going_on_from_their_workstation_after_the_helpdesk_is_no_chain() -> None:
    from detectors.login_chain import LoginChain
    from tests.detectors.test_login_chain_cold import logon as hop

    monday = datetime(2024, 3, 4, 8, tzinfo=UTC)
    history: list[Event] = []
    for day in range(10):  # zoe sits at wks-zoe (cached logons); the helpdesk works from wks-hd
        t = monday + timedelta(days=day)
        history.append(_console(t, "zoe", "wks-zoe"))
        # (her network logons name only an address, as Kerberos ones do: no habit from wks-zoe)
        history.append(logon(t + timedelta(minutes=1), "zoe", "files", "10.1.0.7"))
        history.append(hop(t + timedelta(minutes=2), "hd", "wks-hd", "files"))
        history.append(hop(t + timedelta(minutes=3), "max", "wks-max", "files"))
    when = monday + timedelta(days=11, hours=2)
    helpdesk = hop(when, "hd", "wks-hd", "wks-zoe")

    def points(user: str) -> list[float]:
        builder, detector = BatchBuilder(), LoginChain()
        past = builder.build(history)
        detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
        tail = [helpdesk, hop(when + timedelta(minutes=20), user, "wks-zoe", "bastion")]
        return [float(p) for p in detector.score(builder.build(tail), builder).points]

    assert points("zoe") == []  # her own machine: not continuing the helpdesk's session
    # max never sat at wks-zoe: a chain (wks-zoe is a young relay, first reached now: cold)
    assert points("max") == [7.5]


def _push(t: datetime, user: str, host: str, service: str) -> list[Event]:
    install = Event(
        time=t + timedelta(seconds=2),
        tenant="t",
        source_format="test",
        action=Action.REMOTE_EXEC,
        user=user,
        dst_host=host,
        object=service,
    )
    return [logon(t, user, host, "10.0.0.41"), install]


def test_a_deployment_tools_service_again_on_another_host_is_its_routine() -> None:
    history: list[Event] = []
    for day in range(6):  # the deployment account installs its client on a workstation a day
        history += _push(T0 + timedelta(days=day), "svc_sccm", f"ws{day}", "ccmsetup")
    t = T0 + timedelta(days=7)
    again = score_last(RemoteExecution(), [*history, *_push(t, "svc_sccm", "ws9", "ccmsetup")])
    other = score_last(RemoteExecution(), [*history, *_push(t, "svc_sccm", "ws9", "Xq7Rk2Vb")])
    assert other > 2 * again  # a service it never installed counts its kind's habit only


def _rdp_from(when: datetime, user: str, ws: str, ip: str, dst: str) -> Event:
    """An RDP logon: it names the source workstation and its address (an IP -> host pair)."""
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=ws,
        src_ip=ip,
        dst_host=dst,
        logon_type="10",
    )


def _ssh_from(when: datetime, user: str, ip: str, dst: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=dst,
        logon_type="ssh",
    )


def test_a_vpn_pool_address_does_not_name_last_weeks_machine() -> None:
    from detectors.login_chain import LoginChain
    from tests.detectors.test_login_chain_cold import logon as hop

    monday = datetime(2024, 3, 4, 8, tzinfo=UTC)
    vpn = "10.30.0.77"
    history: list[Event] = []
    for day in range(10):
        t = monday + timedelta(days=day)
        history.append(hop(t, "hd", "wks-hd", "files"))
        history.append(hop(t + timedelta(minutes=1), "ann", "wks-ann", "files"))
        history.append(hop(t + timedelta(minutes=2), "bob", "wks-bob", "files"))
        history.append(_ssh_from(t + timedelta(minutes=3), "bob", "10.30.1.5", "bastion"))
    # The pool address named wks-ann on day 2 and wks-bob on day 5: it is a pool address.
    history.append(_rdp_from(monday + timedelta(days=2, hours=1), "ann", "wks-ann", vpn, "app"))
    history.append(_rdp_from(monday + timedelta(days=5, hours=1), "bob", "wks-bob", vpn, "app"))
    when = monday + timedelta(days=11, hours=2)

    def points(tail: list[Event]) -> list[float]:
        builder, detector = BatchBuilder(), LoginChain()
        past = builder.build(history)
        detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
        return [float(p) for p in detector.score(builder.build(tail), builder).points]

    # Six days later bob's session comes from that address: it does not resolve to wks-bob, so
    # the helpdesk's connection to wks-bob minutes before is not the first hop of a chain ...
    stale = [
        hop(when, "hd", "wks-hd", "wks-bob"),
        _ssh_from(when + timedelta(minutes=5), "max", vpn, "bastion"),
    ]
    assert points(stale) == []
    # ... while the same address naming wks-bob an hour before still does.
    fresh = [
        _rdp_from(when - timedelta(hours=1), "bob", "wks-bob", vpn, "app"),
        *stale,
    ]
    assert points(fresh) != []
