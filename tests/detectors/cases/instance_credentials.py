"""Conformance case: an EC2 instance session asks who it is from a public address."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "instance_credentials"
PARAMS: dict[str, object] = {}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.API_CALL,
        user="i-0e28ffa813db5c2b8",
        object="ListAttachedRolePolicies",
        app="iam.amazonaws.com",
        src_ip="45.83.152.7",
        record_id="anomaly",
    )
