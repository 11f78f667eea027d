"""Round 18 (normal life the generator never showed, continued).

Support admins open desktop sessions from their management jump host on the workstations they
support, a few a week each, nearly every one a workstation new to that admin. An admin whose own
history holds none or one such visit was judged by that history alone, so each visit was a
first contact worth ~20-25 points. ``lateral_new_host`` now also asks the peers who work from
the same source machine: when the visits from it to other people's workstations mostly reached
one new to the visiting account, one more is routine there; from a user's own laptop, which
never reached other people's workstations, it is news as before.

Every test marked so fails on main's detectors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.lateral import LateralNewHost
from schemas.event import Action, Event

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)


def logon(t: datetime, user: str, host: str, src: str, kind: str = "3") -> Event:
    return Event(
        time=t,
        tenant="t",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=src,
        dst_host=host,
        logon_type=kind,
    )


def office(days: int) -> list[Event]:
    """20 people at their own workstations (console logons), each on two servers daily; two
    support admins (ann, bob) who RDP from mgmt01 to a different workstation each a day; cid,
    an admin who works on servers through mgmt01 all day and never reached a workstation."""
    events: list[Event] = []
    for day in range(days):
        for u in range(20):
            t = T0 + timedelta(days=day, minutes=u)
            events.append(logon(t, f"user{u}", f"ws{u}", "", "2"))
            events.append(logon(t + timedelta(minutes=1), f"user{u}", "files", f"ws{u}"))
            events.append(logon(t + timedelta(minutes=2), f"user{u}", f"app{u % 3}", f"ws{u}"))
        for k, admin in enumerate(("ann", "bob", "cid")):
            t = T0 + timedelta(days=day, hours=2 + k)
            events += [
                logon(t + timedelta(minutes=m), admin, "app0", "mgmt01", "10") for m in range(12)
            ]
            # bob on ws1, ws3, ... from day 0; ann on ws8, ws10, ... once mgmt01 is a support
            # station (three visits: the visits before that are the visiting accounts' own)
            if admin == "bob" or (admin == "ann" and day >= 4):
                ws = f"ws{(2 * day + k) % 20}"
                events.append(logon(t + timedelta(minutes=30), admin, ws, "mgmt01", "10"))
    return sorted(events, key=lambda e: e.time)


def score_reach(user: str, host: str, src: str, kind: str = "10") -> tuple[float, str]:
    """Learn 14 days of the office, one batch a day; points and title for ``user`` reaching
    ``host`` from ``src`` on day 15 (0 and "" when not flagged)."""
    builder, detector = BatchBuilder(), LateralNewHost()
    history = office(14)
    for day in sorted({e.time.date() for e in history}):
        batch = builder.build([e for e in history if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    t = T0 + timedelta(days=15, hours=3)
    signals = detector.score(builder.build([logon(t, user, host, src, kind)]), builder)
    if not len(signals):
        return 0.0, ""
    return float(signals.points.max()), signals.titles[0]


def test_a_support_admin_new_to_workstations_reaching_one_from_the_jump_host() -> None:
    # (fails on main: cid's own history holds no visit to a workstation, ~19 points)
    points, _ = score_reach("cid", "ws17", "mgmt01")
    assert points < 5.0


def test_the_same_admin_from_their_own_laptop_is_still_news() -> None:
    points, title = score_reach("cid", "ws17", "ws9")
    assert points >= 15.0
    # the account's own and the source's rate of new workstations, in numbers
    assert "0 new workstation(s) in its 0 visit(s) to others'" in title
    assert "0 new to the account in 0 from ws9" in title


def test_a_user_reaching_a_workstation_from_their_own_is_still_news() -> None:
    points, _ = score_reach("user3", "ws17", "ws3", "3")
    assert points >= 10.0


def test_support_visits_from_the_jump_host_do_not_excuse_the_account_elsewhere() -> None:
    # ann's visits from mgmt01 are the station's routine, not a habit of hers to reach
    # workstations from anywhere: from a laptop, a workstation new to her is news (fails on
    # main, where they count as her own habit: ~3 points)
    points, title = score_reach("ann", "ws17", "ws9")
    assert points >= 10.0
    assert "0 new workstation(s) in its 0 visit(s) to others'" in title
