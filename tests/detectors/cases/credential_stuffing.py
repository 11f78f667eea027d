"""Conformance case: a success from a source that failed on the account (two sources failing
on it, the shared history's slow source among them)."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.cases.failed_logons_user import SPRAYER, history
from tests.detectors.streams import after

DETECTOR = "credential_stuffing"
PARAMS = {"window_days": 1000.0, "min_sources": 1.4, "gateway_ratio": 0.0}

__all__ = ["DETECTOR", "PARAMS", "anomaly", "history"]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user0",
        src_ip=SPRAYER,
        dst_host="srv1",
        logon_type="3",
        record_id="anomaly",
    )
