"""``login_chain`` cold start: once the tenant's learning period is over, a chain through a relay
host or accounts still in their own learning period is judged with reduced points instead of
not at all, and a switch to an account seen using privileges keeps its full weight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from schemas.event import Event
from tests.detectors.streams import explicit_credential as explicit
from tests.detectors.streams import network_logon as logon

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


def history(days: int, newcomer_from: int) -> list[Event]:
    """Office staff reach their app servers daily from day 0; the admin ``kim`` (privileged
    logons to the DC) and the clerk ``lou`` only appear on day ``newcomer_from``."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=9)
        for u in range(4):
            events.append(logon(date + timedelta(minutes=u), f"user{u}", f"wks{u}", f"app{u}"))
        if day >= newcomer_from:
            events.append(
                logon(date + timedelta(hours=1), "kim", "wks-kim", "dc1", privileged=True)
            )
            events.append(logon(date + timedelta(hours=2), "lou", "wks-lou", "files"))
    return events


def chain(when: datetime, borrowed: str) -> list[Event]:
    """user0 reaches app0 (their usual server), then uses ``borrowed``'s credentials to db1."""
    return [
        logon(when, "user0", "wks0", "app0"),
        explicit(when + timedelta(minutes=10), "user0", borrowed, "app0", "db1"),
        logon(when + timedelta(minutes=10, seconds=1), borrowed, "app0", "db1"),
    ]


def run(events: list[Event], tail: list[Event]) -> tuple[LoginChain, list[float], list[str]]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(events)
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    signals = detector.score(builder.build(tail), builder)
    return detector, [float(p) for p in signals.points], signals.titles


def test_switch_to_a_young_privileged_account_is_judged_after_the_tenant_learned() -> None:
    # Day 10: the tenant, the relay app0 and user0 are 10 days old; kim only 3 days.
    when = MONDAY + timedelta(days=10, hours=13)
    _, points, titles = run(history(10, newcomer_from=7), chain(when, "kim"))
    assert points, "a cold chain with a switch to a privileged account must be judged"
    # 15 * 0.5 for the chain, the 30 switch points in full (kim uses privileges).
    assert max(points) == 37.5
    assert "account switch user0 -> kim" in titles[0]
    assert "judged on a short history" in titles[0]


def test_switch_to_a_young_ordinary_account_counts_only_the_reduced_chain() -> None:
    when = MONDAY + timedelta(days=10, hours=13)
    _, points, _ = run(history(10, newcomer_from=7), chain(when, "lou"))
    assert points and max(points) == 7.5  # 15 * 0.5, no switch points: lou never used privileges


def test_nothing_is_judged_while_the_tenant_itself_is_learning() -> None:
    # Day 2 of a tenant (its learning period is 3 days): everything is young, nothing judged.
    when = MONDAY + timedelta(days=2, hours=13)
    _, points, _ = run(history(2, newcomer_from=1), chain(when, "kim"))
    assert points == []


def test_mature_chain_keeps_its_full_points() -> None:
    when = MONDAY + timedelta(days=10, hours=13)
    _, points, titles = run(history(10, newcomer_from=0), chain(when, "kim"))
    assert max(points) == 45.0
    assert "short history" not in titles[0]


def test_cold_start_state_survives_a_snapshot() -> None:
    when = MONDAY + timedelta(days=10, hours=13)
    detector, _, _ = run(history(10, newcomer_from=7), chain(when, "kim"))
    restored = LoginChain()
    restored.load_state(detector.state())
    for name, array in detector.state().items():
        assert np.array_equal(restored.state()[name], array, equal_nan=True), name
    assert np.isfinite(detector.tenant_first_).all() and detector.user_privileged_.sum() == 1.0
