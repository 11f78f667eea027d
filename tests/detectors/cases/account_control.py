"""Conformance case: an account turns off Kerberos pre-authentication on a colleague's account."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "account_control"
PARAMS: dict[str, object] = {}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.ACCOUNT_CHANGE,
        user="user0",
        target_user="user1",
        dst_host="dc01",
        object="changed",
        reason="dont_require_preauth",
        record_id="anomaly",
    )
