"""Conformance case: a user active from two distant public networks at the same time."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "concurrent_sources"
PARAMS = {"window_minutes": 96.0 * 60}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(e, src_ip="81.2." + e.src_ip.split(".", 2)[2])
        for e in normal_stream(seed=seed, days=days)
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user1",
        src_ip="94.142.0.9",
        dst_host="srv1",
        logon_type="3",
        record_id="anomaly",
    )
