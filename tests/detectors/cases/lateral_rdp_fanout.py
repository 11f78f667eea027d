"""Conformance case: a user opens a desktop session on a second host new to them within hours."""

from __future__ import annotations

import msgspec

from schemas.event import Event
from tests.detectors.cases.lateral_fanout_user import hop
from tests.detectors.streams import normal_stream

DETECTOR = "lateral_rdp_fanout"
PARAMS = {"window_minutes": 43200.0, "learning_days": 3.0}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    """The normal stream, where user1 once opens a desktop session on a host new to them."""
    events = normal_stream(seed=seed, days=days)
    middle = len(events) // 2
    first = msgspec.structs.replace(
        events[middle], user="user1", dst_host=f"ts{seed}", logon_type="10", record_id="ts"
    )
    return sorted([*events, first], key=lambda e: e.time)


def anomaly(events: list[Event]) -> Event:
    return hop(events, logon_type="10")
