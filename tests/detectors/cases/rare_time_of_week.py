"""Conformance case: a day worker is active at 3 a.m.; everyone else works around the clock.

``dayworker`` only appears from day 3 on, so the shifted three-day probe of the conformance
suite (which lands at odd hours) holds round-the-clock users only.
"""

from __future__ import annotations

import random
from datetime import timedelta

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import START, normal_stream

DETECTOR = "rare_time_of_week"
PARAMS = {"learning_days": 3.0, "min_events": 5, "prior_events": 1.0}


def _dayworker(time: object, record: str) -> Event:
    return Event(
        time=time,  # type: ignore[arg-type]
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="dayworker",
        src_ip="10.0.1.5",
        dst_host="srv1",
        logon_type="3",
        record_id=record,
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    rng = random.Random(seed)
    events = [
        msgspec.structs.replace(e, time=e.time + timedelta(hours=rng.choice((0, 8, 16))))
        for e in normal_stream(seed=seed, days=days)
    ]
    for day in range(3, days):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        for _ in range(3):
            t = START + timedelta(days=day, minutes=60 + rng.randint(0, 7 * 60))
            events.append(_dayworker(t, f"d{seed}-{day}-{len(events)}"))
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    last = events[-1].time + timedelta(days=1)
    return _dayworker(last.replace(hour=3, minute=7), "anomaly")
