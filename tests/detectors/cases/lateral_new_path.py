"""Conformance case: an account reaches its server over ssh from an internal address the server
never saw (everybody came through the bastion before)."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "lateral_new_path"
PARAMS = {"learning_days": 3.0, "min_events": 5}
BASTION = "10.0.9.10"


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(e, src_host="", src_ip=BASTION, logon_type="ssh")
        for e in normal_stream(seed=seed, days=days)
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        record_id="anomaly",
        user="user1",
        src_ip="10.0.9.77",
        dst_host="srv1",
        logon_type="ssh",
    )
