"""Round 17 (normal life the generator never showed; benchmarks/scenario/more_life.py).

A CI account that starts managing IAM (infrastructure as code) changes role policies on most
working days from then on. ``privileged_action`` held every such change back from the baseline
(flagged behaviour does not become normal by itself), so each one stayed a "first time" for
ever: a page every few days for as long as the pipeline runs. As ``discovery`` and
``service_interactive`` already do, a (user, kind) pair that was flagged on ``release_days`` (3)
distinct UTC days is the account's habit: the runs of the third day are still findings, the
fourth day's are learned.

Every test here fails on main's detectors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event

START = datetime(2024, 5, 6, 8, tzinfo=UTC)
# a tenant of 60 accounts; the pipeline's account makes most of the API calls
USERS = ("svc_deploy",) * 30 + tuple(f"user{i:02d}" for i in range(59))


def api(day: int, user: str, minute: int = 0) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="acme",
        source_format="cloudtrail",
        action=Action.API_CALL,
        user=user,
        app="ecs.amazonaws.com",
        object="DescribeServices",
    )


def iam_change(day: int, role: str, hour: int = 3) -> Event:
    return Event(
        time=START + timedelta(days=day, hours=hour),
        tenant="acme",
        source_format="cloudtrail",
        action=Action.POLICY_CHANGE,
        user="svc_deploy",
        target_user=role,
        app="iam.amazonaws.com",
        object=f"PutRolePolicy:{role}",
    )


def stream(change_days: list[int]) -> list[Event]:
    events = [api(d, u, m) for d in range(24) for m, u in enumerate(USERS)]
    events += [iam_change(d, f"app-{d}-task") for d in change_days]
    events += [iam_change(d, f"app-{d}-worker", hour=5) for d in change_days]
    return sorted(events, key=lambda e: e.time)


def flagged_days(events: list[Event], *, one_by_one: bool) -> list[int]:
    """UTC days (from START) of the IAM changes ``privileged_action`` flags."""
    builder, detector = BatchBuilder(), PrivilegedAction()
    chunks = [[e] for e in events] if one_by_one else [events]
    days = []
    for chunk in chunks:
        batch = builder.build(chunk)
        signals = detector.score(batch, builder)
        for row in signals.rows.tolist():
            if chunk[row].action is Action.POLICY_CHANGE:
                days.append((chunk[row].time - START).days)
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return days


def test_a_pipelines_daily_iam_changes_become_its_habit_after_three_days() -> None:
    events = stream([10, 11, 14, 15, 16, 17, 18])
    days = flagged_days(events, one_by_one=True)
    # both changes of each of the first three days are findings; from the fourth day, none
    assert days == [10, 10, 11, 11, 14, 14]
    # the same in one batch (the batch's own flagged days count as they come) ...
    assert flagged_days(events, one_by_one=False) == days
    # ... and an intruder's IAM changes on two days (a backdoor, then its use a week later)
    # are each still a finding: two days are no habit.
    assert flagged_days(stream([10, 19]), one_by_one=True) == [10, 10, 19, 19]


def test_the_flagged_days_survive_a_snapshot() -> None:
    events = stream([10, 11, 14, 15])
    cut = next(i for i, e in enumerate(events) if e.time >= START + timedelta(days=15))
    builder, detector = BatchBuilder(), PrivilegedAction()
    batch = builder.build(events[:cut])
    detector.score(batch, builder)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    restored = PrivilegedAction()
    restored.load_state(detector.state())
    batch = builder.build(events[cut:])
    signals = restored.score(batch, builder)
    assert not [r for r in signals.rows.tolist() if events[cut + r].action is Action.POLICY_CHANGE]
    # an old snapshot (before round 17) knows no flagged days: still a finding
    old = PrivilegedAction()
    old.load_state({k: v for k, v in detector.state().items() if "flagged_days" not in k})
    signals = old.score(batch, builder)
    assert [r for r in signals.rows.tolist() if events[cut + r].action is Action.POLICY_CHANGE]
