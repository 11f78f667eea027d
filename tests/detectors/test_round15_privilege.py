"""Round 15 (misses and unpaged attacks on unseen scenarios).

A permission grant is not a group change: the
identity admin adds people to groups every working day; the day their account rewrites a
directory object's ACL (AdminSDHolder's ``nTSecurityDescriptor``, 5136: T1098 persistence) or
a GPO's file path, ``group_change`` on main read it as one more of the actor's routine "group /
permission changes" and gave it ~0 points.

A success from a source that failed on 20+ existing accounts is high on its own.

Every test here fails on main's detectors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.failed_logons import SuccessAfterSpray
from detectors.group_change import GroupChange
from schemas.event import Action, Event, Outcome

START = datetime(2024, 5, 6, 8, tzinfo=UTC)


def logon(day: int, user: str, minute: int = 0) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        dst_host="dc01",
        logon_type="3",
    )


def group_add(day: int, actor: str, member: str, group: str = "GRP-HR-RW") -> Event:
    return Event(
        time=START + timedelta(days=day, hours=2),
        tenant="acme",
        source_format="test",
        action=Action.GROUP_CHANGE,
        user=actor,
        target_user=member,
        dst_host="dc01",
        object=group,
        reason="added",
    )


def ds_change(day: int, actor: str, attribute: str = "nTSecurityDescriptor") -> Event:
    """A 5136 as the Windows parser reads it: a sensitive directory attribute rewritten."""
    return Event(
        time=START + timedelta(days=day, hours=3),
        tenant="acme",
        source_format="windows_xml",
        action=Action.POLICY_CHANGE,
        user=actor,
        dst_host="dc01",
        object=attribute,
        privileged=True,
        reason="value added",
        event_id="5136",
    )


def history(extra: list[Event]) -> list[Event]:
    users = ("idadmin", "alice", "bob", "carol", "dave", "erin")
    events = [logon(d, u, m) for d in range(21) for m, u in enumerate(users) for _ in range(2)]
    events += extra
    return sorted(events, key=lambda e: e.time)


def learned(events: list[Event]) -> tuple[BatchBuilder, GroupChange]:
    builder, detector = BatchBuilder(), GroupChange()
    batch = builder.build(events)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return builder, detector


def test_acl_edit_by_a_group_admin_is_not_their_routine() -> None:
    adds = [group_add(d, "idadmin", f"new{d}") for d in range(21) if d % 7 < 5]
    builder, detector = learned(history(adds))
    signals = detector.score(builder.build([ds_change(22, "idadmin")]), builder)
    assert len(signals) == 1
    assert float(signals.points[0]) >= 60.0
    title = signals.titles[0]
    assert "changed directory attribute nTSecurityDescriptor" in title
    assert "has made no permission grant" in title
    # What the admin does every day stays their routine beside it.
    routine = detector.score(builder.build([group_add(22, "idadmin", "zoe")]), builder)
    assert float(routine.points.sum()) < 5.0


def test_gpo_path_edit_by_a_group_admin_is_flagged() -> None:
    adds = [group_add(d, "idadmin", f"new{d}") for d in range(21) if d % 7 < 5]
    builder, detector = learned(history(adds))
    signals = detector.score(builder.build([ds_change(22, "idadmin", "gPCFileSysPath")]), builder)
    assert len(signals) == 1 and float(signals.points[0]) >= 60.0


def sign_in(minutes: float, user: str, ip: str, ok: bool) -> Event:
    return Event(
        time=START + timedelta(minutes=minutes),
        tenant="acme",
        source_format="test",
        action=Action.LOGON if ok else Action.LOGON_FAILED,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        user=user,
        src_ip=ip,
        reason="" if ok else "bad_password",
    )


def test_success_after_a_wide_spray_pages() -> None:
    """A success from a workstation that failed on 20+ existing accounts over two days (a slow
    Kerberos spray) is a compromised account, high on its own (main: 61 points, medium)."""
    events = [
        sign_in(60 * h + u, f"user{u}", f"10.0.1.{u}", True)
        for h in range(0, 24 * 5, 4)
        for u in range(30)
    ]
    spray_start = 60 * 24 * 5
    events += [sign_in(spray_start + 90 * i, f"user{i}", "10.0.2.99", False) for i in range(28)]
    events.append(sign_in(spray_start + 90 * 29, "user29", "10.0.2.99", True))
    events.sort(key=lambda e: e.time)
    builder, detector = BatchBuilder(), SuccessAfterSpray()
    points: list[float] = []
    for start in range(0, len(events), 50):
        batch = builder.build(events[start : start + 50])
        points += detector.score(batch, builder).points.tolist()
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    assert points and max(points) >= 65.0
