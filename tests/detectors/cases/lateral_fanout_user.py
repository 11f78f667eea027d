"""Conformance case: a user who only ever reached one host reaches a second one."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "lateral_fanout_user"
PARAMS = {"window_minutes": 43200.0, "learning_days": 3.0, "min_fanout": 2, "ratio": 1.5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return hop(events)


def hop(events: list[Event], **fields: str) -> Event:
    """One remote logon an hour after ``events``, with ``fields`` overriding the defaults."""
    values = {
        "user": "user1",
        "src_ip": "10.0.1.77",
        "src_host": "wks1",
        "dst_host": "srv9",
        "logon_type": "3",
    }
    values.update(fields)
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        record_id="anomaly",
        **values,
    )
