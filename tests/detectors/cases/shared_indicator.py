"""Conformance case: a logon from a source IP confirmed malicious in another tenant."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "shared_indicator"
PARAMS = {"indicators": {"ip": {"45.83.64.17": ["token-of-another-tenant"]}}}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user2",
        src_ip="45.83.64.17",
        dst_host="srv0",
        record_id="anomaly",
    )
