"""Stream builders for detector tests: a small, seeded, normal organisation."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from benchmarks.scenario import generate
from schemas.event import Action, Event, Outcome
from schemas.readers import InputReader

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # a Monday


def normal_stream(seed: int = 1, days: int = 14, users: int = 8) -> list[Event]:
    """Users signing in from their office /24 on working days, to their usual hosts."""
    rng = random.Random(seed)
    events: list[Event] = []
    for day in range(days):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        for u in range(users):
            for _ in range(rng.randint(2, 5)):
                t = START + timedelta(days=day, minutes=rng.randint(0, 9 * 60))
                events.append(
                    Event(
                        time=t,
                        tenant="acme",
                        source_format="test",
                        action=Action.LOGON,
                        outcome=Outcome.SUCCESS,
                        user=f"user{u}",
                        src_ip=f"10.0.{u % 3}.{rng.randint(2, 250)}",
                        src_host=f"wks{u}",
                        dst_host=f"srv{u % 2}",
                        logon_type="3",
                        record_id=f"n{day}-{u}-{len(events)}",
                    )
                )
    events.sort(key=lambda e: e.time)
    return events


def after(events: list[Event], hours: float = 1.0) -> datetime:
    return events[-1].time + timedelta(hours=hours)


def shifted(events: list[Event], to: datetime) -> list[Event]:
    """The same events moved so that the first one happens at ``to``."""
    delta = to - events[0].time
    return [msgspec.structs.replace(e, time=e.time + delta) for e in events]


def new_attribute_case(
    field: str, unusual: str, usual: Callable[[str], str] | None = None
) -> tuple[Callable[..., list[Event]], Callable[[list[Event]], Event]]:
    """``history`` and ``anomaly`` of a conformance case for a client-attribute novelty
    detector: every user keeps one value of ``field`` (``usual(user)``, or the normal stream's
    own when ``None``), then user1 signs in with ``unusual``."""

    def history(seed: int = 1, days: int = 14) -> list[Event]:
        events = normal_stream(seed=seed, days=days)
        if usual is None:
            return events
        return [msgspec.structs.replace(e, **{field: usual(e.user)}) for e in events]

    def anomaly(events: list[Event]) -> Event:
        fields = {
            "src_ip": "10.0.1.23",
            "src_host": "wks1",
            "dst_host": "srv1",
            "logon_type": "3",
            field: unusual,
        }
        return Event(
            time=after(events),
            tenant="acme",
            source_format="test",
            action=Action.LOGON,
            user="user1",
            record_id="anomaly",
            **fields,
        )

    return history, anomaly


def network_logon(
    when: datetime, user: str, src: str, dst: str, *, privileged: bool = False, ip: str = ""
) -> Event:
    """A network logon (type 3) of ``user`` on ``dst`` from machine ``src``."""
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=src,
        src_ip=ip,
        dst_host=dst,
        logon_type="3",
        privileged=privileged,
    )


def explicit_credential(when: datetime, user: str, target: str, src: str, dst: str) -> Event:
    """A 4648 on ``src``: ``user`` typed ``target``'s password for server ``dst``."""
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.EXPLICIT_CREDENTIAL,
        user=user,
        target_user=target,
        src_host=src,
        dst_host=dst,
    )


def scenario_events() -> list[Event]:
    """A small generated scenario with every attack once (lateral movement included): seed 11,
    10 days, 12 users, tenant "t" (the snapshots under tests/detectors/data were saved from it)."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "scenario"
        generate(root, seed=11, days=10, users=12)
        reader = InputReader(tenant="t", sink=lambda letter: None)
        return list(reader.read_paths([str(root)]))
