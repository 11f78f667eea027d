"""Conformance case: a non-admin user runs sudo to root for the first time."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "privileged_action"
PARAMS = {"learning_days": 3.0, "min_events": 5}
ADMINS = ("user0", "user1")


def admin_stream(seed: int = 1, days: int = 14) -> list[Event]:
    """The normal organisation plus admins' daily sudo, group changes, and a service's 4672."""
    base = normal_stream(seed=seed, days=days)
    extra: list[Event] = []
    for index, event in enumerate(base):
        if event.user in ADMINS and index % 3 == 0:
            extra.append(
                msgspec.structs.replace(
                    event,
                    time=event.time + timedelta(seconds=30),
                    action=Action.PRIVILEGE_USE,
                    target_user="root",
                    app="sudo",
                    privileged=True,
                    record_id=f"{event.record_id}-sudo",
                )
            )
        if event.user == ADMINS[0] and index % 7 == 0:
            extra.append(
                msgspec.structs.replace(
                    event,
                    time=event.time + timedelta(seconds=40),
                    action=Action.GROUP_CHANGE,
                    target_user=f"user{index % 5 + 2}",
                    object="Marketing",
                    reason="added",
                    record_id=f"{event.record_id}-group",
                )
            )
        if event.user == "user7" and index % 2 == 0:
            extra.append(
                msgspec.structs.replace(
                    event,
                    time=event.time + timedelta(seconds=20),
                    action=Action.PRIVILEGE_USE,
                    privileged=True,
                    object="SeBackupPrivilege",
                    record_id=f"{event.record_id}-4672",
                )
            )
    events = base + extra
    events.sort(key=lambda e: e.time)
    return events


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return admin_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.PRIVILEGE_USE,
        user="user4",
        target_user="root",
        app="sudo",
        object="/bin/bash",
        privileged=True,
        record_id="anomaly",
    )
