"""Conformance case: a user who never fails has a failed sign-in; others fail once a day.

The history is shared by the failed-logon, spray and success-after-spray cases: normal sign-ins,
one bad password per user (users 0-6) per working day from the user's own address, and a slow
source ``10.1.99.9`` that tried two accounts at night on the first days.
"""

from __future__ import annotations

import random
from datetime import timedelta

from schemas.event import Action, Event, Outcome
from tests.detectors.streams import START, after, normal_stream

DETECTOR = "failed_logons_user"
PARAMS = {"prior_per_day": 0.01, "min_failures": 1.0, "min_nats": 3.0}
SPRAYER = "10.1.99.9"


def failure(time: object, user: str, ip: str, record: str, reason: str = "bad_password") -> Event:
    return Event(
        time=time,  # type: ignore[arg-type]
        tenant="acme",
        source_format="test",
        action=Action.LOGON_FAILED,
        outcome=Outcome.FAILURE,
        user=user,
        src_ip=ip,
        dst_host="srv1",
        logon_type="3",
        reason=reason,
        record_id=record,
    )


def history(seed: int = 1, days: int = 14) -> list[Event]:
    rng = random.Random(seed)
    events = normal_stream(seed=seed, days=days)
    for day in range(days):
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        for u in range(7):
            t = START + timedelta(days=day, minutes=rng.randint(0, 9 * 60))
            events.append(failure(t, f"user{u}", f"10.1.{u}.9", f"f{seed}-{day}-{u}"))
    for day in range(min(days, 2)):
        t = START + timedelta(days=day, hours=19)
        events.append(failure(t, f"user{day}", SPRAYER, f"s{seed}-{day}"))
    events.sort(key=lambda e: e.time)
    return events


def anomaly(events: list[Event]) -> Event:
    return failure(after(events), "user7", "10.1.7.9", "anomaly")
