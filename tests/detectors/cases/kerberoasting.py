"""Conformance case: a user asks for an RC4 ticket for a service account nobody roasts.

Normal traffic: everybody's AES service tickets for servers, and one legacy application whose
service account still gets RC4 tickets from a few users every day (not surprising).
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "kerberoasting"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    base = normal_stream(seed=seed, days=days)
    extra: list[Event] = []
    for index, event in enumerate(base):
        legacy = event.user in ("user2", "user3") and index % 2 == 0
        extra.append(
            msgspec.structs.replace(
                event,
                time=event.time - timedelta(seconds=2),
                action=Action.AUTH_TICKET,
                auth_protocol="kerberos_rc4" if legacy else "kerberos",
                object="svc_legacy" if legacy else f"{event.dst_host.upper()}$",
                record_id=f"{event.record_id}-tgs",
            )
        )
    events = base + extra
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.AUTH_TICKET,
        user="user5",
        src_ip="10.0.2.9",
        auth_protocol="kerberos_rc4",
        object="svc_sql",
        record_id="anomaly",
    )
