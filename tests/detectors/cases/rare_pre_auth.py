"""Conformance case: an account whose TGTs were all issued on a password (pre-authentication
type 2) gets one by certificate (PKINIT, type 16): ESC1, shadow credentials (round 20)."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "rare_pre_auth"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(
            e, action=Action.AUTH_TICKET, object="krbtgt", logon_type="2", dst_host="dc01"
        )
        for e in normal_stream(seed=seed, days=days)
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.AUTH_TICKET,
        user="user1",
        src_ip="10.0.1.23",
        dst_host="dc01",
        object="krbtgt",
        logon_type="16",
        record_id="anomaly",
    )
