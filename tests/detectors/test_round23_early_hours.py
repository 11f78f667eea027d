"""Round 23 (recall23): a user inside their learning period is judged at an hour the tenant is
quiet, with the tenant's profile as the prior (the issue's "peer groups as the prior for new and
sparse entities"), scaled by how much of the learning period lies behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.time_profile import RareTimeOfWeek
from schemas.event import Action, Event

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


def _logon(user: str, day: int, hour: float) -> Event:
    return Event(
        time=MONDAY + timedelta(days=day, hours=hour),
        tenant="t",
        source_format="x",
        action=Action.LOGON,
        user=user,
        src_ip="10.0.0.5",
    )


def _history(new_hire_from: int, evening_users: int = 0) -> list[Event]:
    """Forty office workers for two weeks; ``newbie`` from ``new_hire_from`` on, office hours;
    ``evening_users`` of the staff also work every evening at 19-20 h."""
    events = [
        _logon(f"u{k}", d, h)
        for d in range(14)
        if d % 7 < 5
        for k in range(40)
        for h in (9, 11, 14, 16)
    ]
    events += [
        _logon(f"u{k}", d, h)
        for d in range(14)
        for k in range(evening_users)
        for h in (19.2, 19.6, 20.1)
    ]
    events += [
        _logon("newbie", d, h)
        for d in range(new_hire_from, 14)
        if d % 7 < 5
        for h in (9, 10, 11, 13, 14, 15, 16)
    ]
    return sorted(events, key=lambda e: e.time)


def _learned(events: list[Event]) -> tuple[BatchBuilder, RareTimeOfWeek]:
    builder, detector = BatchBuilder(), RareTimeOfWeek()
    batch = builder.build(events)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return builder, detector


def test_a_user_in_their_learning_period_active_at_3am_when_the_tenant_is_quiet() -> None:
    # newbie started on day 9 (a Wednesday): five working days, 35 sign-ins, then 3 a.m. on
    # day 14. On main (55ed590) nobody inside their first 7 days is judged: no signal.
    builder, detector = _learned(_history(new_hire_from=9))
    signals = detector.score(builder.build([_logon("newbie", 14, 3.2)]), builder)
    assert len(signals) == 1
    # about five of seven learning days behind them: ~5/7 of a mature user's points
    assert 5.0 <= float(signals.points[0]) < 0.8 * 30.0
    assert "newbie was active on Mon 03:12 UTC" in signals.titles[0]


def test_not_at_an_hour_the_tenant_is_busy_nor_in_the_first_days() -> None:
    # The same newbie at 19:30 where a quarter of the staff works every evening: the hour is
    # ordinary for the tenant, so a new user's first evening is not judged.
    builder, detector = _learned(_history(new_hire_from=9, evening_users=10))
    signals = detector.score(builder.build([_logon("newbie", 14, 19.5)]), builder)
    assert len(signals) == 0
    # One day in (24 sign-ins on their first Friday): too new to say, at any hour.
    first_day = [_logon("newbie", 11, 8 + k / 3) for k in range(24)]
    builder, detector = _learned(
        sorted(_history(new_hire_from=14) + first_day, key=lambda e: e.time)
    )
    assert len(detector.score(builder.build([_logon("newbie", 11, 23.5)]), builder)) == 0


def test_a_mature_user_is_judged_as_before() -> None:
    builder, detector = _learned(_history(new_hire_from=0))
    signals = detector.score(builder.build([_logon("newbie", 14, 3.2)]), builder)
    assert len(signals) == 1 and float(signals.points[0]) > 20.0
