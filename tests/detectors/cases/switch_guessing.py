"""Conformance case: an account that mistypes a su password now and then (postgres, deploy)
fails to switch to a third account within the window: guessing from inside a session
(round 21)."""

from __future__ import annotations

from datetime import timedelta

from schemas.event import Action, Event, Outcome
from tests.detectors.streams import after, normal_stream

DETECTOR = "switch_guessing"
PARAMS: dict[str, float] = {}


def _failed_su(event: Event, target: str, n: int) -> Event:
    return Event(
        time=event.time + timedelta(minutes=1),
        tenant="acme",
        source_format="test",
        action=Action.PRIVILEGE_USE,
        outcome=Outcome.FAILURE,
        user="user1",
        target_user=target,
        dst_host="srv1",
        app="su",
        event_id="su.failed",
        reason="bad_password",
        record_id=f"su{n}-{event.record_id}",
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    events = normal_stream(seed=seed, days=days)
    mine = [e for e in events if e.user == "user1"]
    # a mistyped su now and then, to one of two accounts
    extra = [_failed_su(e, ("postgres", "deploy")[n % 2], n) for n, e in enumerate(mine[::2])]
    return sorted([*events, *extra], key=lambda e: e.time)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.PRIVILEGE_USE,
        outcome=Outcome.FAILURE,
        user="user1",
        target_user="jenkins",
        dst_host="srv1",
        app="su",
        event_id="su.failed",
        reason="bad_password",
        record_id="anomaly",
    )
