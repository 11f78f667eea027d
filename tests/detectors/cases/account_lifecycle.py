"""Conformance case: a user who never touches logs clears the Security audit log."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.cases.privileged_action import admin_stream
from tests.detectors.streams import after

DETECTOR = "account_lifecycle"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return admin_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOG_CLEARED,
        user="user3",
        dst_host="dc1",
        object="Security",
        event_id="1102",
        record_id="anomaly",
    )
