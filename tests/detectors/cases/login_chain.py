"""Conformance case: a server just logged on to opens a logon to another, as another account."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "login_chain"
PARAMS = {"window_minutes": 4320.0, "learning_days": 3.0}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return hop(events, user="user0", src_host="srv1", src_ip="10.9.9.9", dst_host="srv0")


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
