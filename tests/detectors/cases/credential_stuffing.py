"""Conformance case: a success from a public source that failed on the account (two public
sources failed on it on the first days, over the shared failed-logon history)."""

from __future__ import annotations

from datetime import timedelta

from schemas.event import Action, Event
from tests.detectors.cases.failed_logons_user import failure
from tests.detectors.cases.failed_logons_user import history as shared_history
from tests.detectors.streams import START, after

DETECTOR = "credential_stuffing"
PARAMS = {"window_days": 1000.0, "min_sources": 1.4, "gateway_ratio": 0.0}
GUESSERS = ("45.83.10.1", "185.220.20.2")

__all__ = ["DETECTOR", "PARAMS", "anomaly", "history"]


def history(seed: int = 1, days: int = 14) -> list[Event]:
    events = shared_history(seed=seed, days=days)
    for k, ip in enumerate(GUESSERS[: min(days, 2)]):
        t = START + timedelta(days=k, hours=20)
        events.append(failure(t, "user0", ip, f"g{seed}-{k}"))
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user0",
        src_ip=GUESSERS[-1],
        dst_host="srv1",
        logon_type="3",
        record_id="anomaly",
    )
