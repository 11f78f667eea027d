"""Conformance case: a mature user who always signs in with Kerberos signs in with NTLM."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "rare_auth_method"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(e, auth_protocol="kerberos")
        for e in normal_stream(seed=seed, days=days)
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user1",
        src_ip="10.0.1.23",
        src_host="wks1",
        dst_host="srv1",
        logon_type="3",
        auth_protocol="ntlm",
        record_id="anomaly",
    )
