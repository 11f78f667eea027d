"""Conformance case: a successful sign-in from the source that failed on several accounts."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.cases.failed_logons_user import SPRAYER, history
from tests.detectors.streams import after

DETECTOR = "success_after_spray"
PARAMS = {"window_days": 1000.0, "min_accounts": 1.4}

__all__ = ["DETECTOR", "PARAMS", "anomaly", "history"]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user5",
        src_ip=SPRAYER,
        dst_host="srv1",
        logon_type="3",
        record_id="anomaly",
    )
