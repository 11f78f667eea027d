"""Behaviour of the privilege-abuse detectors on normal admin life and on clear abuse."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import numpy as np

from detectors.account_lifecycle import AccountLifecycle
from detectors.base import Detector, Signals
from detectors.batch import BatchBuilder
from detectors.group_change import GroupChange
from detectors.privileged_action import PrivilegedAction
from detectors.volume import Volume
from schemas.event import Action, Event
from tests.detectors.cases.privileged_action import admin_stream
from tests.detectors.streams import after


def trained(detector: Detector, days: int = 21) -> tuple[BatchBuilder, list[Event]]:
    builder = BatchBuilder()
    history = admin_stream(days=days)
    batch = builder.build(history)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    return builder, history


def scored(detector: Detector, builder: BatchBuilder, events: list[Event]) -> Signals:
    return detector.score(builder.build(events), builder)


def event(history: list[Event], user: str, action: Action, **fields: object) -> Event:
    return Event(
        time=after(history),
        tenant="acme",
        source_format="test",
        action=action,
        user=user,
        **fields,  # type: ignore[arg-type]
    )


def test_admin_routine_is_quiet() -> None:
    for detector in (PrivilegedAction(), GroupChange(), AccountLifecycle(), Volume()):
        builder, history = trained(detector, days=14)
        later = [
            e
            for e in admin_stream(seed=4, days=21)
            if e.time > history[-1].time and e.user != "user7"
        ]
        signals = scored(detector, builder, later)
        assert (signals.points < 20).all(), (detector.name, signals.titles[:3])


def test_first_sudo_by_non_admin_alerts() -> None:
    detector = PrivilegedAction()
    builder, history = trained(detector)
    sudo = event(
        history, "user4", Action.PRIVILEGE_USE, target_user="root", app="sudo", privileged=True
    )
    routine = event(
        history, "user0", Action.PRIVILEGE_USE, target_user="root", app="sudo", privileged=True
    )
    signals = scored(detector, builder, [sudo, routine])
    assert signals.rows.tolist() == [0]
    assert signals.points[0] >= 40
    assert "user4 did sudo to root for the first time" in signals.titles[0]


def test_new_employee_first_week_is_quiet() -> None:
    detector = PrivilegedAction()
    builder, history = trained(detector)
    t = after(history)
    newbie = [
        Event(
            time=t + timedelta(hours=h),
            tenant="acme",
            source_format="test",
            action=Action.PRIVILEGE_USE,
            user="newhire",
            target_user="root",
            app="sudo",
            privileged=True,
        )
        for h in range(0, 120, 8)
    ]
    assert len(scored(detector, builder, newbie)) == 0


def test_domain_admins_add_by_non_changer_is_strong() -> None:
    detector = GroupChange()
    builder, history = trained(detector)
    add = event(
        history,
        "user5",
        Action.GROUP_CHANGE,
        target_user="user6",
        object="Domain Admins",
        privileged=True,
        reason="added",
    )
    signals = scored(detector, builder, [add])
    assert signals.points[0] >= 70  # high severity on its own
    routine = event(
        history,
        "user0",
        Action.GROUP_CHANGE,
        target_user="user6",
        object="Marketing",
        reason="added",
    )
    assert len(scored(detector, builder, [routine])) == 0


def test_cloud_admin_takeover_crosses_bar() -> None:
    builder = BatchBuilder()
    detectors: list[Detector] = [GroupChange(), AccountLifecycle(), PrivilegedAction()]
    history = admin_stream(days=21)
    batch = builder.build(history)
    for d in detectors:
        d.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    attack = [
        event(
            history,
            "user3",
            Action.ACCOUNT_CHANGE,
            target_user="backdoor",
            object="created",
            app="iam.amazonaws.com",
        ),
        event(
            history,
            "user3",
            Action.POLICY_CHANGE,
            target_user="backdoor",
            object="AttachUserPolicy:AdministratorAccess",
            app="iam.amazonaws.com",
            privileged=True,
        ),
        event(
            history,
            "user3",
            Action.ACCOUNT_CHANGE,
            target_user="backdoor",
            object="access_key_created",
            app="iam.amazonaws.com",
        ),
    ]
    total = sum(float(d.score(builder.build(attack), builder).points.sum()) for d in detectors)
    assert total >= 40


def test_log_cleared_is_strong_even_without_baseline() -> None:
    detector = AccountLifecycle()
    builder = BatchBuilder()
    cleared = Event(
        time=after(admin_stream(days=1)),
        tenant="acme",
        source_format="test",
        action=Action.LOG_CLEARED,
        user="bob",
        object="Security",
        event_id="1102",
    )
    assert scored(detector, builder, [cleared]).points[0] >= 40


def test_deletion_burst_by_rare_deleter() -> None:
    detector = Volume()
    builder = BatchBuilder()
    history = [
        Event(
            time=after(admin_stream(days=1)) + timedelta(days=d, hours=h),
            tenant="acme",
            source_format="test",
            action=Action.DELETE,
            user="user2",
            object="x",
        )
        for d in range(14)
        for h in (1, 5)
    ]
    batch = builder.build(history)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    t = history[-1].time + timedelta(days=1)
    burst = [
        Event(
            time=t + timedelta(seconds=s / 10),
            tenant="acme",
            source_format="test",
            action=Action.DELETE,
            user="user2",
            object="x",
        )
        for s in range(3000)
    ]
    signals = scored(detector, builder, burst)
    assert 0 < len(signals) <= 10  # milestones, not one signal per event
    assert signals.points.sum() >= 40


def test_setting_up_a_new_account_scores_as_one_action() -> None:
    detector = AccountLifecycle()
    builder, history = trained(detector)
    start = after(history)

    def change(minutes: float, verb: str, target: str) -> Event:
        return Event(
            time=start + timedelta(minutes=minutes),
            tenant="acme",
            source_format="test",
            action=Action.ACCOUNT_CHANGE,
            user="user4",
            target_user=target,
            dst_host="dc1",
            object=verb,
        )

    # Created, then enabled and given a password minutes later (4720 -> 4722 -> 4724) ...
    setup = scored(
        detector,
        builder,
        [
            change(0, "created", "newbie"),
            change(1, "enabled", "newbie"),
            change(2, "password_reset", "newbie"),
        ],
    )
    # ... while enabling and resetting an account nobody just created are findings of their own.
    other = scored(
        detector,
        builder,
        [change(1, "enabled", "user2"), change(2, "password_reset", "user2")],
    )
    created, follow_ups = float(setup.points[0]), setup.points[1:]
    assert created > 0
    assert (follow_ups <= 0.2 * created + 1e-9).all(), setup.titles
    assert (other.points > 0.2 * created).all(), other.titles


def test_first_ever_deletion_burst_pages_a_burst_against_a_baseline_does_not() -> None:
    """30 deletions from someone who never deleted anything: high on its own; the same from
    someone who deletes a little every day: the base points of a burst."""

    def deletes(user: str, start: object, count: int, step_s: float) -> list[Event]:
        return [
            Event(
                time=start + timedelta(seconds=s * step_s),  # type: ignore[operator]
                tenant="acme",
                source_format="test",
                action=Action.DELETE,
                user=user,
                object="x",
            )
            for s in range(count)
        ]

    detector, builder = Volume(), BatchBuilder()
    t0 = after(admin_stream(days=1))
    history = [e for d in range(14) for e in deletes("user2", t0 + timedelta(days=d), 3, 60)]
    batch = builder.build(history)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    t = t0 + timedelta(days=15)
    never = scored(detector, builder, deletes("user3", t, 30, 2))
    assert len(never) == 1 and float(never.points[0]) == 65.0
    assert "never a delete event before" in never.titles[0]
    known = scored(detector, builder, deletes("user2", t, 30, 2))
    assert len(known) == 1 and float(known.points[0]) == 40.0


def test_a_rare_actors_ordinary_group_work_is_one_finding_not_a_weekly_page() -> None:
    """Ten people added to team groups by someone who never changes groups: the first add is
    the finding; the others, and the same work a week later, add little. A sensitive grant by
    the same actor afterwards is still strong (flagged grants are not learned from)."""
    detector = GroupChange()
    builder, history = trained(detector)
    start = after(history)

    def add(minutes: float, member: str, group: str, privileged: bool = False) -> Event:
        return Event(
            time=start + timedelta(minutes=minutes),
            tenant="acme",
            source_format="test",
            action=Action.GROUP_CHANGE,
            user="user5",
            target_user=member,
            object=group,
            privileged=privileged,
            reason="added",
        )

    first = [add(i, f"new{i}", "GRP-Engineering-RW") for i in range(10)]
    signals = scored(detector, builder, first)
    detector.learn(builder.build(first), np.zeros(len(first), dtype=np.bool_))
    points = dict(zip(signals.rows.tolist(), signals.points.tolist(), strict=True))
    assert points[0] >= 20  # the first ordinary change by a rare actor is worth reporting
    assert sum(points.values()) - points[0] < points[0]  # the other nine add less than it
    week_later = [add(7 * 24 * 60 + i, f"late{i}", "GRP-Operations-RW") for i in range(3)]
    assert scored(detector, builder, week_later).points.sum() < 5
    grant = [add(7 * 24 * 60 + 10, "new1", "Domain Admins", privileged=True)]
    assert scored(detector, builder, grant).points[0] >= 35


def test_a_new_account_made_an_administrator_at_once_is_a_privileged_creation() -> None:
    # net user support1 /add, then net localgroup administrators support1 /add on a server, by
    # an admin whose group work would discount a sensitive grant: the grant completes the
    # creation of a privileged account, scored as one (account_lifecycle), whatever the name.
    detector = AccountLifecycle()
    builder, history = trained(detector)
    start = after(history)

    def at(minutes: float, action: Action, target: str, **fields: object) -> Event:
        return Event(
            time=start + timedelta(minutes=minutes),
            tenant="acme",
            source_format="test",
            action=action,
            user="user4",
            target_user=target,
            dst_host="sql01",
            **fields,  # type: ignore[arg-type]
        )

    created = at(0, Action.ACCOUNT_CHANGE, "support1", object="created")
    grant = at(1, Action.GROUP_CHANGE, "support1", object="Administrators", privileged=True)
    signals = scored(detector, builder, [created, grant])
    assert len(signals) == 2 and signals.points[1] >= 40.0, signals.titles
    assert "created privileged account support1" in signals.titles[1]
    # The same grant to an account created days ago is group work, not this finding.
    old = at(0, Action.GROUP_CHANGE, "user2", object="Administrators", privileged=True)
    assert not any("created privileged" in t for t in scored(detector, builder, [old]).titles)
    # And one by one (the grant in a later batch) it is the same finding.
    detector = AccountLifecycle()
    builder, _ = trained(detector)
    first = builder.build([created])
    detector.learn(first, np.zeros(len(first), dtype=np.bool_))
    alone = scored(detector, builder, [grant])
    assert alone.points[0] == signals.points[1]


def test_a_folder_opened_to_everyone_is_a_sensitive_permission_grant() -> None:
    """A 4670 whose new DACL lets Everyone write (parsed as a privileged policy change) by a
    user who never changes permissions is group_change's strong signal; the finding says which
    folder and to whom, not "admin policy". The same change without the grant weighs nothing."""
    detector = GroupChange()
    builder, history = trained(detector)
    opened = event(
        history,
        "user5",
        Action.POLICY_CHANGE,
        object="D:\\Shares\\HR\\Reviews",
        privileged=True,
        reason="dacl changed; write access granted to Everyone",
        event_id="4670",
    )
    signals = scored(detector, builder, [opened])
    assert signals.points[0] >= 70
    assert signals.observed[0] == (
        "changed the permissions of D:\\Shares\\HR\\Reviews "
        "(dacl changed; write access granted to Everyone)"
    )
    assert "admin policy" not in signals.titles[0]
    fixed = msgspec.structs.replace(opened, privileged=False, reason="dacl changed")
    assert len(scored(detector, builder, [fixed])) == 0


def test_a_replication_right_used_by_a_non_dc_is_told_as_dcsync_not_a_policy_grant() -> None:
    """Round 26: a 4662 with a replication right (what the parser reports for DCSync, and for a
    directory sync server's own schedule) is as strong as before, but the finding says what the
    DC saw - changes pulled with a replication right - not "granted admin policy", and names
    DCSync's technique."""
    detector = GroupChange()
    builder, history = trained(detector)
    pulled = event(
        history,
        "user5",
        Action.POLICY_CHANGE,
        object="DS-Replication-Get-Changes-All",
        privileged=True,
        event_id="4662",
        dst_host="dc01",
    )
    signals = scored(detector, builder, [pulled])
    assert signals.points[0] >= 70
    assert signals.observed[0].startswith(
        "pulled directory changes with replication right DS-Replication-Get-Changes-All on dc01"
    )
    assert "admin policy" not in signals.titles[0]
    assert signals.row_mitre[0] == ("T1003.006",)
