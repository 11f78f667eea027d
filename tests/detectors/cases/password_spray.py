"""Conformance case: the slow source fails on a third existing account."""

from __future__ import annotations

from schemas.event import Event
from tests.detectors.cases.failed_logons_user import SPRAYER, failure, history
from tests.detectors.streams import after

DETECTOR = "password_spray"
PARAMS = {"window_days": 1000.0, "min_accounts": 1.4}

__all__ = ["DETECTOR", "PARAMS", "anomaly", "history"]


def anomaly(events: list[Event]) -> Event:
    return failure(after(events), "user5", SPRAYER, "anomaly")
