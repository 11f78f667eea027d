"""Round 21 (``--attacks novel21``): what the new kinds showed was missing.

A computer account created (4741) by an account never seen using admin privileges is an
ordinary user spending the domain's MachineAccountQuota: a machine identity with a password of
their choosing, the first step of RBCD and noPac. It was a routine "computer_created" (8 points,
and the admins who join laptops every week were its peers); ``account_lifecycle`` now gives it
its own kind and 50 points, while the admins' joins stay routine.

Every test here fails on main (2fde2bf).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.account_lifecycle import AccountLifecycle
from detectors.batch import BatchBuilder
from schemas.event import Action, Event

START = datetime(2024, 5, 6, 8, tzinfo=UTC)


def _event(minutes: float, action: Action, user: str, **fields: object) -> Event:
    return Event(time=START + timedelta(minutes=minutes), tenant="t", source_format="windows",
                 action=action, user=user, **fields)  # type: ignore[arg-type]  # fmt: skip


def _join(minutes: float, user: str, computer: str) -> Event:
    return _event(minutes, Action.ACCOUNT_CHANGE, user, device=computer, dst_host="dc01",
                  object="computer_created", event_id="4741")  # fmt: skip


def _history() -> list[Event]:
    """Three weeks: the identity admin's daily admin logons and a weekly laptop join; the office
    users' daily logons."""
    events = []
    for day in range(21):
        at = day * 1440
        events.append(_event(at, Action.PRIVILEGE_USE, "idadmin", dst_host="dc01",
                             privileged=True, event_id="4672"))  # fmt: skip
        if day % 7 == 2:
            events.append(_join(at + 1, "idadmin", f"lt-{day:03d}"))
        for k, user in enumerate(("alice", "bob", "carol")):
            events.append(_event(at + 5 + k, Action.LOGON, user, dst_host="dc01",
                                 logon_type="3"))  # fmt: skip
    return events


def test_a_computer_joined_by_an_ordinary_user_is_a_medium_finding() -> None:
    builder, detector = BatchBuilder(), AccountLifecycle(learning_days=7, min_events=10)
    batch = builder.build(_history())
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    later = 22 * 1440
    signals = detector.score(
        builder.build([_join(later, "bob", "desktop-7f3a9c1"), _join(later + 5, "idadmin",
                                                                     "lt-022")]),
        builder,
    )  # fmt: skip
    by_row = dict(zip(signals.rows.tolist(), signals.points.tolist(), strict=True))
    assert by_row[0] >= 45  # bob: an alert alone
    assert by_row.get(1, 0.0) < 10  # the identity admin's weekly join stays routine
    title = signals.titles[signals.rows.tolist().index(0)]
    assert "created computer account desktop-7f3a9c1" in title
    assert "never seen using admin privileges" in title


def test_an_admin_in_the_same_batch_is_not_an_ordinary_joiner() -> None:
    builder, detector = BatchBuilder(), AccountLifecycle(learning_days=7, min_events=10)
    batch = builder.build(_history())
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    later = 22 * 1440
    fresh = [
        _event(later, Action.PRIVILEGE_USE, "newadmin", dst_host="dc01", privileged=True,
               event_id="4672"),
        _join(later + 1, "newadmin", "srv-new01"),
    ]  # fmt: skip
    signals = detector.score(builder.build(fresh), builder)
    assert not any(
        row == 1 and points >= 45
        for row, points in zip(signals.rows.tolist(), signals.points.tolist(), strict=True)
    )
