"""Conformance case: a user who never makes group changes adds someone to Domain Admins."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.cases.privileged_action import admin_stream
from tests.detectors.streams import after

DETECTOR = "group_change"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return admin_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.GROUP_CHANGE,
        user="user5",
        target_user="user6",
        object="Domain Admins",
        privileged=True,
        reason="added",
        record_id="anomaly",
    )
