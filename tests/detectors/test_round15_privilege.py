"""Round 15 (privilege abuse on unseen scenarios): a permission grant is not a group change.

The identity admin adds people to groups every working day; the day their account rewrites a
directory object's ACL (AdminSDHolder's ``nTSecurityDescriptor``, 5136: T1098 persistence) or
a GPO's file path, ``group_change`` on main read it as one more of the actor's routine "group /
permission changes" and gave it ~0 points. Both tests fail on main's detectors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.group_change import GroupChange
from schemas.event import Action, Event

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
