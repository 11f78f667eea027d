"""Conformance case: an account active for a week comes back after weeks of silence."""

from __future__ import annotations

import random
from datetime import timedelta

from schemas.event import Action, Event
from tests.detectors.streams import START, after, normal_stream

DETECTOR = "dormant_account"
PARAMS = {"min_gap_days": 5.0, "factor": 2.0, "min_events": 3}


def _logon(time: object, record: str) -> Event:
    return Event(
        time=time,  # type: ignore[arg-type]
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="olduser",
        src_ip="10.0.5.5",
        dst_host="srv1",
        logon_type="3",
        record_id=record,
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    rng = random.Random(seed)
    events = normal_stream(seed=seed, days=days)
    # olduser works on days 5-9 only, then goes quiet.
    for day in range(5, min(days, 10)):
        t = START + timedelta(days=day, minutes=rng.randint(0, 9 * 60))
        events.append(_logon(t, f"o{seed}-{day}"))
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    return _logon(after(events), "anomaly")
