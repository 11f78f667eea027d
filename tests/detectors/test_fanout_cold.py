"""``lateral_fanout_user`` judges a user after 3 days of history (its default learning period):
a share-enumeration spree on day 4 of a tenant is not invisible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.lateral import LateralFanoutUser
from schemas.event import Action, Event

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def logon(t: timedelta, host: str) -> Event:
    return Event(
        time=START + t,
        tenant="t",
        source_format="x",
        action=Action.LOGON,
        user="carol",
        src_host="wks3",
        dst_host=host,
        logon_type="3",
    )


def test_a_spree_on_day_four_is_judged_against_three_days_of_history() -> None:
    builder, detector = BatchBuilder(), LateralFanoutUser()
    history = builder.build(
        [logon(timedelta(days=d, hours=h), "files") for d in range(4) for h in (0, 4)]
    )
    detector.learn(history, held_back=np.zeros(len(history), dtype=np.bool_))
    spree = [logon(timedelta(days=3, hours=8, minutes=m), f"srv{m}") for m in range(8)]
    signals = detector.score(builder.build(spree), builder)
    assert len(signals) == 3 and float(signals.points[-1]) >= 40


def test_a_spree_on_day_two_is_not_judged_yet() -> None:
    builder, detector = BatchBuilder(), LateralFanoutUser()
    history = builder.build(
        [logon(timedelta(days=d, hours=h), "files") for d in range(2) for h in (0, 4)]
    )
    detector.learn(history, held_back=np.zeros(len(history), dtype=np.bool_))
    spree = [logon(timedelta(days=2, minutes=m), f"srv{m}") for m in range(8)]
    assert len(detector.score(builder.build(spree), builder)) == 0


def test_each_doubling_of_a_spree_is_a_finding_of_its_own() -> None:
    # The risk layer counts the same finding once within 48 h: a spree growing from 6 to 25
    # hosts must read as three findings (6, 12, 24 hosts), not one.
    builder, detector = BatchBuilder(), LateralFanoutUser()
    history = builder.build(
        [logon(timedelta(days=d, hours=h), "files") for d in range(4) for h in (0, 4)]
    )
    detector.learn(history, held_back=np.zeros(len(history), dtype=np.bool_))
    spree = [logon(timedelta(days=3, hours=8, seconds=20 * m), f"srv{m}") for m in range(25)]
    signals = detector.score(builder.build(spree), builder)
    assert sorted(set(signals.observed)) == [
        "fan-out spike from carol (>= 12 hosts)",
        "fan-out spike from carol (>= 24 hosts)",
        "fan-out spike from carol (>= 6 hosts)",
    ]
