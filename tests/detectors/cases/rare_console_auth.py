"""Conformance case: a user whose console sign-ins all used MFA signs in to the console with a
password only, while their other channels' password sign-ins are routine (round 18)."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "rare_console_auth"
PARAMS = {"learning_days": 3.0, "min_events": 5}


def history(seed: int = 1, days: int = 14) -> list[Event]:
    # Every other sign-in is a console one with MFA, the rest a password elsewhere: the pooled
    # habit (rare_auth_method) knows "password" for everybody.
    return [
        msgspec.structs.replace(e, logon_type="console", auth_protocol="mfa")
        if i % 2
        else msgspec.structs.replace(e, auth_protocol="password")
        for i, e in enumerate(normal_stream(seed=seed, days=days))
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="user1",
        src_ip="10.0.1.23",
        logon_type="console",
        auth_protocol="password",
        record_id="anomaly",
    )
