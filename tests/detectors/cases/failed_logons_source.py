"""Conformance case: a source that never failed before has a failed sign-in."""

from __future__ import annotations

from schemas.event import Event
from tests.detectors.cases.failed_logons_user import failure, history
from tests.detectors.streams import after

DETECTOR = "failed_logons_source"
PARAMS = {"prior_per_day": 0.01, "min_failures": 1.0, "min_nats": 3.0}

__all__ = ["DETECTOR", "PARAMS", "anomaly", "history"]


def anomaly(events: list[Event]) -> Event:
    return failure(after(events), "user3", "203.0.113.66", "anomaly")
