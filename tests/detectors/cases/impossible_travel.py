"""Conformance case: a user signs in from another country right after a home sign-in."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "impossible_travel"
PARAMS = {"min_travel_hours": 96.0}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [msgspec.structs.replace(e, country="NL") for e in normal_stream(seed=seed, days=days)]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user1",
        src_ip="198.51.100.23",
        country="BR",
        dst_host="srv1",
        logon_type="3",
        record_id="anomaly",
    )
