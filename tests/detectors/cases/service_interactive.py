"""Conformance case: an account that only ever logged on over the network opens a desktop
session (the other users sit at their workstations every day)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

from schemas.event import Event
from tests.detectors.cases.lateral_fanout_user import hop
from tests.detectors.streams import normal_stream

DETECTOR = "service_interactive"
PARAMS = {"learning_days": 3.0, "min_network": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    """The normal stream (type 3 logons), plus a console logon of every user but user1 at their
    workstation ten minutes before each of their network logons."""
    events = normal_stream(seed=seed, days=days)
    console = [
        msgspec.structs.replace(
            e,
            time=e.time - timedelta(minutes=10),
            dst_host=e.src_host,
            src_host="",
            src_ip="127.0.0.1",
            logon_type="2",
            record_id=f"c-{e.record_id}",
        )
        for e in events
        if e.user != "user1"
    ]
    return sorted([*events, *console], key=lambda e: e.time)


def anomaly(events: list[Event]) -> Event:
    return hop(events, logon_type="10")
