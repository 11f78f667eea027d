"""A deploy account's first IAM changes vs a permission sweep (round 19, ``ci_iam_deploy``).

A CI account that starts managing IAM changes one role per run (several operations on it within
seconds), runs hours or days apart. Before, every (operation, role) was its own finding and each
run reported in full, so a few first deploys added up to a page. Now a permission change is one
finding per resource, and a pair's later flagged runs (another day, or the same day over half
an hour after its first) report less; a sweep's many resources within minutes keep full points.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.base import Signals
from detectors.batch import BatchBuilder
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event

START = datetime(2024, 5, 6, 8, tzinfo=UTC)
USERS = ("svc_ci", *(f"user{k:02d}" for k in range(79)))


def logon(day: int, user: str, minute: int) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        dst_host="dc01",
        logon_type="3",
    )


def change(day: int, minutes: float, operation: str, resource: str) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minutes),
        tenant="acme",
        source_format="cloudtrail",
        action=Action.POLICY_CHANGE,
        user="svc_ci",
        app="iam.amazonaws.com",
        object=f"{operation}:{resource}",
        event_id=operation,
    )


def run(day: int, minutes: float, role: str) -> list[Event]:
    """One deploy: three operations on one role, seconds apart."""
    ops = ("PutRolePolicy", "AttachRolePolicy", "CreatePolicyVersion")
    return [change(day, minutes + k / 6, op, role) for k, op in enumerate(ops)]


def replay(batches: list[list[Event]]) -> list[Signals]:
    """Score then learn each batch in turn, as the pipeline does."""
    history = [
        logon(d, u, 2 * m + k) for d in range(21) for m, u in enumerate(USERS) for k in (0, 1)
    ]
    history += [logon(d, "svc_ci", 200 + k) for d in range(21) for k in range(8)]  # a busy account
    history.sort(key=lambda e: e.time)
    builder, detector = BatchBuilder(), PrivilegedAction()
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    out = []
    for events in batches:
        batch = builder.build(events)
        out.append(detector.score(batch, builder))
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return out


def test_one_deploy_run_is_one_finding_per_role() -> None:
    (first,) = replay([run(22, 120, "app-api-task") + run(22, 125, "app-web-task")])
    assert len(first) == 6
    # The three operations on one role are one finding; another role is another.
    assert len(set(first.observed[:3])) == 1 and len(set(first.observed)) == 2
    assert "app-api-task" in first.observed[0]
    assert "PutRolePolicy:app-api-task" in first.titles[0]  # the title still names it


def test_later_runs_of_a_new_duty_report_less_than_its_first() -> None:
    first, same_day, next_day = replay(
        [run(22, 120, "app-api-task"), run(22, 240, "app-worker-task"), run(23, 120, "app-batch")]
    )
    full = float(first.points.max())
    assert full >= 20.0  # a first IAM change by this account is news
    # Two hours later, another run of the same new duty is half as much news, and so is the
    # next day's (one earlier flagged day), until release_days of them make it routine.
    assert float(same_day.points.max()) <= full / 2 + 0.1
    assert 0 < float(next_day.points.max()) <= full / 2 + 0.1


def test_a_sweep_within_minutes_reports_every_resource_in_full() -> None:
    sweep = [change(22, 120 + k * 0.3, "PutRolePolicy", f"role-{k}") for k in range(8)]
    (signals,) = replay([sweep])
    assert len(signals) == 8 and len(set(signals.observed)) == 8
    assert float(signals.points.min()) >= 20.0


def sudo_root(day: int, minutes: float) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minutes),
        tenant="acme",
        source_format="syslog",
        action=Action.PRIVILEGE_USE,
        user="svc_ci",
        target_user="root",
        dst_host="lnx-app01",
        app="sudo",
        event_id="sudo",
    )


def test_a_privileged_action_repeated_on_a_second_night_weighs_what_the_first_did() -> None:
    # Only permission changes are a duty arriving; a slow intruder's second night of root
    # shells (or 4672s, or runas) on a new account must count as much as the first.
    first, second = replay([[sudo_root(22, 120)], [sudo_root(23, 120)]])
    assert len(first) == 1 and len(second) == 1
    assert float(first.points[0]) >= 20.0
    # (a little less from being seen once before; the permission-change discount would halve it)
    assert float(second.points[0]) >= 0.75 * float(first.points[0])
