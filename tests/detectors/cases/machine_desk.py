"""Conformance case: a computer account's TGT from another machine's settled desk address."""

from __future__ import annotations

from datetime import timedelta

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "machine_desk"
PARAMS: dict[str, object] = {}


def _ticket(event: Event, machine: str, ip: str) -> Event:
    return Event(
        time=event.time - timedelta(minutes=5),
        tenant=event.tenant,
        source_format="test",
        action=Action.AUTH_TICKET,
        src_host=machine,
        src_ip=ip,
        dst_host="dc01",
        object="krbtgt",
        record_id=f"tgt-{event.record_id}",
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    """The normal stream, with each day's first event preceded by one desk machine's boot TGT
    from its own address (the machine's name and address stay the same)."""
    events = normal_stream(seed=seed, days=days)
    seen: set[object] = set()
    out: list[Event] = []
    for event in events:
        day = event.time.date()
        if day not in seen:
            seen.add(day)
            out.append(_ticket(event, "wks7", "10.9.0.7"))
        out.append(event)
    return out


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.AUTH_TICKET,
        src_host="kiosk07",
        src_ip="10.9.0.7",
        dst_host="dc01",
        object="krbtgt",
        record_id="anomaly",
    )
