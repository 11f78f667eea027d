"""Young entities in the novelty detectors: past ``report_after_days`` (and ``min_events``) but
not their learning period, a user is reported on what they have shown so far. A value seen at the
user's usual hours is still learned; one seen at hours they are not active is held back and does
not count as one of the two learning-period sightings that make a value known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.rare_api_call import RareApiCall
from detectors.rare_source import RareSourceNetwork
from schemas.event import Action, Event

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


def logon(when: datetime, ip: str, user: str = "alice") -> Event:
    return Event(
        time=when, tenant="t", source_format="test", action=Action.LOGON, user=user, src_ip=ip
    )


def office_days(days: int) -> list[Event]:
    """Four sign-ins a working day, 09-15 UTC, from the office network."""
    return [
        logon(MONDAY + timedelta(days=day, hours=hour), "10.0.0.5")
        for day in range(days)
        for hour in (9, 11, 13, 15)
    ]


def trained(days: int) -> tuple[BatchBuilder, RareSourceNetwork]:
    builder, detector = BatchBuilder(), RareSourceNetwork(learning_days=7, min_events=10)
    history = builder.build(office_days(days))
    detector.learn(history, held_back=np.zeros(len(history), dtype=np.bool_))
    return builder, detector


def feed(builder: BatchBuilder, detector: RareSourceNetwork, events: list[Event]) -> list[float]:
    """Score then learn ``events`` one by one; the points of each event's signal (0 if none)."""
    points = []
    for event in events:
        batch = builder.build([event])
        signals = detector.score(batch, builder)
        points.append(float(signals.points[0]) if len(signals) else 0.0)
        detector.learn(batch, held_back=np.zeros(1, dtype=np.bool_))
    return points


def test_a_young_user_is_reported_on_a_new_network() -> None:
    # Day 4: alice has 16 sign-ins over 4 days, past report_after_days (3) but not learning (7).
    builder, detector = trained(4)
    [points] = feed(builder, detector, [logon(MONDAY + timedelta(days=4, hours=2), "203.0.113.9")])
    # One network in 16 sign-ins: a new one is a surprise already, reported at half weight.
    assert points > 10


def test_nothing_is_reported_before_report_after_days() -> None:
    builder, detector = trained(2)
    [points] = feed(builder, detector, [logon(MONDAY + timedelta(days=2, hours=2), "203.0.113.9")])
    assert points == 0.0


def test_a_night_network_of_a_young_user_stays_new_after_the_learning_period() -> None:
    # The attacker's network at 02:00 on days 4 and 5 (young), then on day 9 (mature): it was
    # held back both times, so it is still news on day 9.
    builder, detector = trained(4)
    nights = [logon(MONDAY + timedelta(days=d, hours=2), "203.0.113.9") for d in (4, 5)]
    points = feed(builder, detector, nights)
    feed(builder, detector, office_days(9)[20:])  # days 5-8 at the office
    [later] = feed(builder, detector, [logon(MONDAY + timedelta(days=9, hours=2), "203.0.113.9")])
    assert min(points) > 0 and later > 0


def test_a_daytime_network_of_a_young_user_is_learned() -> None:
    # A new home network at the usual hours in the first week: learned each time, so known once
    # seen twice (the learning-period rule), and no longer reported the third time.
    builder, detector = trained(4)
    days = [logon(MONDAY + timedelta(days=d, hours=11), "198.51.100.7") for d in (4, 5, 6)]
    first, second, third = feed(builder, detector, days)
    assert first > 0 and second > 0 and third == 0.0


def test_rare_api_call_does_not_report_young_principals() -> None:
    builder, detector = BatchBuilder(), RareApiCall(learning_days=7, min_events=10)
    calls = [
        Event(
            time=MONDAY + timedelta(days=day, hours=hour),
            tenant="t",
            source_format="test",
            action=Action.API_CALL,
            user="bob",
            object="DescribeInstances",
        )
        for day in range(4)
        for hour in (9, 13)
    ]
    history = builder.build(calls * 2)
    detector.learn(history, held_back=np.zeros(len(history), dtype=np.bool_))
    probe = Event(
        time=MONDAY + timedelta(days=4, hours=10),
        tenant="t",
        source_format="test",
        action=Action.API_CALL,
        user="bob",
        object="GetSecretValue",
    )
    assert len(detector.score(builder.build([probe]), builder)) == 0
