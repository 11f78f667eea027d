"""Conformance case: a principal whose API calls were all signed by session credentials makes
calls signed with their long-term access key."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "rare_credential_kind"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(
            e,
            action=Action.API_CALL,
            app="s3.amazonaws.com",
            object="ListBuckets",
            auth_protocol="session_key",
        )
        for e in normal_stream(seed=seed, days=days)
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.API_CALL,
        user="user1",
        src_ip="10.0.1.23",
        app="s3.amazonaws.com",
        object="ListBuckets",
        auth_protocol="access_key",
        record_id="anomaly",
    )
