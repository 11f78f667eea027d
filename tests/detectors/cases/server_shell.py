"""Conformance case: the DNS server on a domain controller starts a command shell."""

from __future__ import annotations

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "server_shell"
PARAMS: dict[str, object] = {}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return normal_stream(seed=seed, days=days)


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.PROCESS_START,
        dst_host="srv0",
        object="C:\\Windows\\System32\\cmd.exe",
        app="C:\\Windows\\System32\\dns.exe",
        record_id="anomaly",
    )
