"""Conformance case: a nine-to-five weekday worker is active at 3 a.m.; the others work around
the clock, every day of the week.

The round-the-clock users are in profile at any hour of any day, so the suite's probe (the same
history shifted to start one hour after the learned history ends, i.e. at an arbitrary hour and
weekday) is normal traffic wherever it lands. ``dayworker`` only appears from day 3 on, so the
three-day probe does not contain them; their anomaly is 03:07 the day after the history, far
outside weekdays 09-17.
"""

from __future__ import annotations

import random
from datetime import timedelta

from schemas.event import Action, Event
from tests.detectors.streams import START

DETECTOR = "rare_time_of_week"
PARAMS = {"learning_days": 3.0, "min_events": 5, "prior_events": 1.0}


def _logon(time: object, user: str, record: str) -> Event:
    return Event(
        time=time,  # type: ignore[arg-type]
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip="10.0.1.5",
        dst_host="srv1",
        logon_type="3",
        record_id=record,
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    for day in range(days):
        for u in range(6):
            for hour in range(0, 24, 2):  # every two hours, around the clock
                t = START + timedelta(days=day, hours=hour, minutes=rng.randint(0, 119))
                events.append(_logon(t, f"user{u}", f"n{seed}-{day}-{len(events)}"))
        if day < 3 or (START + timedelta(days=day)).weekday() >= 5:
            continue
        for _ in range(3):
            t = START + timedelta(days=day, minutes=60 + rng.randint(0, 7 * 60))
            events.append(_logon(t, "dayworker", f"d{seed}-{day}-{len(events)}"))
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    last = events[-1].time + timedelta(days=1)
    return _logon(last.replace(hour=3, minute=7), "dayworker", "anomaly")
