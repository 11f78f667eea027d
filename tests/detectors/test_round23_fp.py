"""Round 23 (fp23): a host being brought into service (``remote_exec``).

A deployment account's first remote service install on a workstation the feed first saw that
morning (its user's console logon) is the machine's provisioning: it weighs a quarter. The same
install on a workstation watched for days, on a host whose first event is the install's own
session, or in a tenant the feed started watching today, weighs in full; so does a credential
store read off a fresh host. These fail on main (55ed590), which has no such discount, except
the controls, which pass on both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)
SCCM = "10.20.0.41"


def event(t: datetime, action: Action, user: str, host: str, **fields: str) -> Event:
    return Event(
        time=t, tenant="t", source_format="test", action=action, user=user, dst_host=host, **fields
    )


def console(t: datetime, user: str, host: str) -> Event:
    return event(t, Action.LOGON, user, host, src_ip="127.0.0.1", logon_type="2")


def push(t: datetime, host: str, user: str = "svc_deploy") -> list[Event]:
    """A network logon from the deployment server and the agent's service install."""
    return [
        event(t, Action.LOGON, user, host, src_ip=SCCM, logon_type="3"),
        event(t + timedelta(seconds=2), Action.REMOTE_EXEC, user, host, object="AgentSetup"),
    ]


def history(days: int, hosts: int = 6) -> list[Event]:
    """Office users at their own workstations every day (the tenant and its hosts)."""
    return [
        console(T0 + timedelta(days=day, minutes=k), f"u{k}", f"ws{k}")
        for day in range(days)
        for k in range(hosts)
    ]


def score_last(events: list[Event], detector: RemoteExecution | None = None) -> float:
    """Learn every event but the last two, one batch a day; points of the last two (or 0)."""
    detector = detector or RemoteExecution()
    builder = BatchBuilder()
    before, last = events[:-2], events[-2:]
    for day in sorted({e.time.date() for e in before}):
        batch = builder.build([e for e in before if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = detector.score(builder.build(last), builder)
    return float(signals.points.max()) if len(signals) else 0.0


def test_a_push_onto_a_workstation_first_seen_this_morning_weighs_a_quarter() -> None:
    t = T0 + timedelta(days=10)
    events = [*history(10), console(t - timedelta(hours=3), "newbie", "ws-new"), *push(t, "ws-new")]
    assert score_last(events) == 45.0 * 0.25


def test_the_explanation_says_the_host_is_being_brought_into_service() -> None:
    t = T0 + timedelta(days=10)
    events = [*history(10), console(t - timedelta(hours=3), "newbie", "ws-new"), *push(t, "ws-new")]
    detector, builder = RemoteExecution(), BatchBuilder()
    for day in sorted({e.time.date() for e in events[:-2]}):
        batch = builder.build([e for e in events[:-2] if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = detector.score(builder.build(events[-2:]), builder)
    assert (
        "3.0 h after ws-new was first seen (a host being brought into service"
        in (signals.titles[0])
    )


def test_the_same_push_onto_a_workstation_watched_for_days_weighs_in_full() -> None:
    t = T0 + timedelta(days=10)
    assert score_last([*history(10), *push(t, "ws3")]) == 45.0


def test_a_host_first_seen_more_than_a_day_before_weighs_in_full() -> None:
    t = T0 + timedelta(days=10)
    events = [
        *history(10),
        console(t - timedelta(hours=30), "newbie", "ws-new"),
        *push(t, "ws-new"),
    ]
    assert score_last(events) == 45.0


def test_a_host_whose_first_event_is_the_install_session_weighs_in_full() -> None:
    # a machine the feed never saw is not a machine just built: an intruder's first reach of
    # a workstation that never had a network logon looks exactly like this
    t = T0 + timedelta(days=10)
    assert score_last([*history(10), *push(t, "ws-never")]) == 45.0


def test_on_the_tenants_first_day_every_host_is_new_and_none_is_fresh() -> None:
    t = T0 + timedelta(hours=5)
    events = [*history(1), console(t - timedelta(hours=3), "newbie", "ws-new"), *push(t, "ws-new")]
    assert score_last(events) == 45.0


def test_a_credential_store_read_off_a_fresh_host_weighs_in_full() -> None:
    t = T0 + timedelta(days=10)
    share = event(
        t + timedelta(seconds=2),
        Action.SHARE_ACCESS,
        "eve",
        "ws-new",
        src_ip="10.0.0.9",
        object="\\\\*\\C$\\Windows\\Temp\\sam.hiv",
    )
    events = [
        *history(10),
        console(t - timedelta(hours=3), "newbie", "ws-new"),
        event(t, Action.LOGON, "eve", "ws-new", src_ip="10.0.0.9", logon_type="3"),
        share,
    ]
    assert score_last(events) == 45.0


def test_first_seen_times_survive_a_snapshot() -> None:
    t = T0 + timedelta(days=10)
    events = [*history(10), console(t - timedelta(hours=3), "newbie", "ws-new"), *push(t, "ws-new")]
    detector, builder = RemoteExecution(), BatchBuilder()
    for day in sorted({e.time.date() for e in events[:-2]}):
        batch = builder.build([e for e in events[:-2] if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    restored = RemoteExecution()
    restored.load_state(detector.state())
    signals = restored.score(builder.build(events[-2:]), builder)
    assert float(signals.points.max()) == 45.0 * 0.25
