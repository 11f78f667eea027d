"""Conformance case: deletions by a user with no deletion baseline (volume past cold limit)."""

from __future__ import annotations

import random
from datetime import timedelta

from schemas.event import Action, Event
from tests.detectors.streams import START, after

DETECTOR = "volume"
PARAMS = {"warmup_buckets": 3, "cold_count": 1.0}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    for day in range(days):
        for u in range(4):
            for _ in range(rng.randint(1, 4)):
                events.append(
                    Event(
                        time=START + timedelta(days=day, minutes=rng.randint(0, 9 * 60)),
                        tenant="acme",
                        source_format="test",
                        action=Action.DELETE,
                        user=f"user{u}",
                        object=f"bucket{u}",
                        record_id=f"d{seed}-{day}-{u}-{len(events)}",
                    )
                )
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    """A user who never deletes starts deleting (``cold_count`` 1 makes one event a burst)."""
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.DELETE,
        user="user9",
        object="bucket1",
        record_id="anomaly",
    )
