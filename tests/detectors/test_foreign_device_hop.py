"""Round 9 (issue 3): a device the tenant never saw as a machine (``rare_workstation``), and a
credential switch typed on a workstation (``login_chain``: a 4648 on B naming server C and
account A, then A's logon on C from B)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from detectors.rare_attributes import RareWorkstation
from schemas.event import Event
from tests.detectors.streams import explicit_credential as explicit
from tests.detectors.streams import network_logon as logon

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


# -- rare_workstation: the tenant's machines ------------------------------------------------


def office_history(days: int = 14) -> list[Event]:
    """kim signs in to fs01 from her laptop every weekday; the laptop ws-new of a colleague
    boots (its machine account: no user) and the colleague sits at it (its own log)."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=9)
        for k in range(3):
            events.append(logon(date + timedelta(minutes=k), "kim", "ws-kim", "fs01"))
        events.append(logon(date, "", "ws-new", "dc1"))  # ws-new$ authenticating
        events.append(logon(date + timedelta(minutes=5), "lou", "", "ws-new"))  # at its console
    return events


def workstation_points(source: str) -> list[float]:
    builder, detector = BatchBuilder(), RareWorkstation()
    past = builder.build(office_history())
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    when = MONDAY + timedelta(days=15, hours=10)
    signals = detector.score(builder.build([logon(when, "kim", source, "fs01")]), builder)
    return [float(p) for p in signals.points]


def test_a_name_the_tenant_never_saw_as_a_machine_weighs_more() -> None:
    # ws-new is a machine of the estate (a machine account booted on it, someone sat at it);
    # desktop-x7 was never any event's host: kim's password from outside the domain.
    (known,) = workstation_points("ws-new")
    (foreign,) = workstation_points("desktop-x7")
    assert known > 0
    assert foreign == RareWorkstation().stranger_factor * known


def test_an_address_as_the_source_is_not_a_foreign_name() -> None:
    (address,) = workstation_points("192.0.2.9")
    (known,) = workstation_points("ws-new")
    assert address == known


def test_a_host_seen_earlier_in_the_same_batch_is_known() -> None:
    builder, detector = BatchBuilder(), RareWorkstation()
    past = builder.build(office_history())
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    when = MONDAY + timedelta(days=15, hours=10)
    # The new laptop's owner signs in at it first (its own log), then reaches fs01 from it.
    batch = builder.build(
        [
            logon(when, "kim", "", "ws-kim2"),
            logon(when + timedelta(minutes=1), "kim", "ws-kim2", "fs01"),
        ]
    )
    signals = detector.score(batch, builder)
    (known,) = workstation_points("ws-new")
    assert [float(p) for p in signals.points] == [known]


def test_the_known_machines_survive_a_snapshot() -> None:
    builder, detector = BatchBuilder(), RareWorkstation()
    past = builder.build(office_history())
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    restored = RareWorkstation()
    restored.load_state(detector.state())
    when = MONDAY + timedelta(days=15, hours=10)
    batch = builder.build([logon(when, "kim", "ws-new", "fs01")])
    assert detector.score(batch, builder).points.tolist() == (
        restored.score(batch, builder).points.tolist()
    )


# -- login_chain: the typed hop -----------------------------------------------------------


def estate(days: int = 10) -> list[Event]:
    """Office users at their workstations reach the file server; the admin ``adm`` (privileged)
    manages web01 from MGMT01."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=9)
        for u in range(3):
            events.append(logon(date + timedelta(minutes=u), f"user{u}", f"ws{u}", "fs01"))
        events.append(logon(date + timedelta(hours=1), "adm", "mgmt01", "web01", privileged=True))
        events.append(logon(date + timedelta(hours=1), "adm", "mgmt01", "web02", privileged=True))
    return events


def hop_signals(tail: list[Event], *, split: bool = False) -> tuple[list[float], list[str]]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(estate())
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    if split:  # the 4648 in one batch, the logon in the next: state carries it
        first = builder.build(tail[:1])
        detector.score(first, builder)
        detector.learn(first, held_back=np.zeros(1, dtype=np.bool_))
        tail = tail[1:]
    signals = detector.score(builder.build(tail), builder)
    return [float(p) for p in signals.points], signals.titles


def runas(typist: str, account: str, source: str = "ws1") -> list[Event]:
    when = MONDAY + timedelta(days=11, hours=14)
    return [
        explicit(when, typist, account, source, "web02"),
        logon(when + timedelta(seconds=1), account, source, "web02", privileged=True),
    ]


def test_an_admin_password_typed_on_a_users_workstation_then_used_from_it_is_a_hop() -> None:
    for split in (False, True):
        points, titles = hop_signals(runas("user1", "adm"), split=split)
        # ws1 never relayed anything (a relay in its learning period): the chain counts at
        # cold_weight, the switch to an account seen using privileges in full.
        chain = LoginChain()
        assert points == [chain.cold_weight * chain.chain_points + chain.switch_points]
        assert "user1 typed adm's credentials on ws1" in titles[0]


def test_the_logon_alone_or_typed_by_the_account_itself_is_not() -> None:
    assert hop_signals(runas("user1", "adm")[1:])[0] == []
    assert hop_signals(runas("adm", "adm"))[0] == []


def test_an_account_at_home_on_the_source_is_not() -> None:
    # adm works from mgmt01 every day: a colleague typing adm's password there is adm's habit.
    assert hop_signals(runas("user1", "adm", source="mgmt01"))[0] == []
