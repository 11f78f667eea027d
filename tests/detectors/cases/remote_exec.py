"""Conformance case: an executable is written to a server's C$ share from the network."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "remote_exec"
PARAMS: dict[str, float] = {}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.SHARE_ACCESS,
        user="user1",
        src_ip="10.0.1.77",
        dst_host="srv1",
        object="\\\\*\\C$\\Windows\\Temp\\update.exe",
        record_id="anomaly",
    )
