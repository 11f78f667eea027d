"""Conformance case: an office user who never ran a discovery tool runs ``nltest`` (an admin
runs ``whoami`` and every user starts ordinary programs every day)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import normal_stream

DETECTOR = "discovery"
PARAMS = {"learning_days": 3.0}

_SYSTEM32 = "C:\\Windows\\System32\\"


def history(seed: int = 1, days: int = 14) -> list[Event]:
    """The normal stream's logons, each followed by a process on the host reached: user0 (an
    admin) runs ``whoami.exe``, everyone else ``notepad.exe`` or ``cmd.exe``."""
    events = normal_stream(seed=seed, days=days)
    processes = [
        msgspec.structs.replace(
            e,
            time=e.time + timedelta(seconds=30),
            action=Action.PROCESS_START,
            object=_SYSTEM32
            + ("whoami.exe" if e.user == "user0" else ("notepad.exe", "cmd.exe")[i % 2]),
            app=_SYSTEM32 + "explorer.exe",
            logon_type="",
            record_id=f"p-{e.record_id}",
        )
        for i, e in enumerate(events)
    ]
    return sorted([*events, *processes], key=lambda e: e.time)


def anomaly(events: list[Event]) -> Event:
    last = events[-1]
    return msgspec.structs.replace(
        last,
        time=last.time + timedelta(minutes=5),
        action=Action.PROCESS_START,
        user="user3",
        dst_host="srv1",
        object=_SYSTEM32 + "nltest.exe",
        app=_SYSTEM32 + "cmd.exe",
        logon_type="",
        record_id="anomaly-nltest",
    )
