"""Conformance case: an admin who always reaches the database through the app server, with a
session of their own there, signs in to it from the app server with no session anywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.event import Action, Event
from tests.detectors.streams import START, after

DETECTOR = "login_relay"
PARAMS = {"learning_days": 3.0}
VPN, APP = "10.30.0.{}", "10.20.1.20"


def history(seed: int = 1, days: int = 14) -> list[Event]:
    """Every working day each admin comes in from a VPN address to the app server, then goes on
    from it to the database; a service account pulls from the app server on its own."""
    events: list[Event] = []
    for day in range(days):
        for k, admin in enumerate(("ann", "bob", "cyd")):
            t = START + timedelta(days=day, hours=k + (seed % 3), minutes=7 * k)
            events.append(ssh(t, admin, VPN.format(10 + (day * 5 + k) % 200), "app1", day, k))
            events.append(ssh(t + timedelta(minutes=20), admin, APP, "db1", day, k, "b"))
        t = START + timedelta(days=day, hours=20)
        events.append(ssh(t, "backup", APP, "db1", day, 9))
    events.sort(key=lambda e: e.time)
    return events


def ssh(t: datetime, user: str, ip: str, host: str, day: int, k: int, part: str = "a") -> Event:
    return Event(
        time=t,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=host,
        logon_type="ssh",
        record_id=f"n{day}-{k}-{part}",
    )


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events, hours=5),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        record_id="anomaly",
        user="bob",
        src_ip=APP,
        dst_host="db1",
        logon_type="ssh",
    )
