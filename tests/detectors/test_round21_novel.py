"""Round 21 (``--attacks novel21``): what the new kinds showed was missing.

A computer account created (4741) by an account never seen using admin privileges is an
ordinary user spending the domain's MachineAccountQuota: a machine identity with a password of
their choosing, the first step of RBCD and noPac. It was a routine "computer_created" (8 points,
and the admins who join laptops every week were its peers); ``account_lifecycle`` now gives it
its own kind and 50 points, while the admins' joins stay routine.

``su`` tried against several accounts from one session (guessed or found passwords) was read
by the parser (``su.failed``, ``su.pam_auth_failure``) and by no detector: the failures are no
sign-ins and come from no address. ``switch_guessing`` (new) flags the third distinct account
an account failed to switch to within 72 hours, more for each one after, and a ``su`` that
works after such a spread.

Every test here fails on main (2fde2bf).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np

from detectors.account_lifecycle import AccountLifecycle
from detectors.batch import BatchBuilder
from detectors.switch_guessing import SwitchGuessing
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.syslog import SyslogParser

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


# --- su tried against several accounts from one session (switch_guessing) --------------------


def _syslog(line: str) -> list[Event]:
    ctx = ParseContext(
        tenant="t", source="auth.log", position=1, reference_time=START + timedelta(days=30)
    )
    return SyslogParser().parse(line, ctx)


def _su_attempt(minute: int, target: str) -> list[Event]:
    """One wrong su password as Ubuntu's su writes it: PAM's failure, then ``FAILED SU``."""
    stamp = f"May 28 21:{minute:02d}"
    return [
        *_syslog(f"{stamp}:01 lnx-app01 su[4021{minute}]: pam_unix(su:auth): authentication "
                 "failure; logname=eve uid=1004 euid=0 tty=/dev/pts/1 ruser=eve rhost=  "
                 f"user={target}"),
        *_syslog(f"{stamp}:04 lnx-app01 su[4021{minute}]: FAILED SU (to {target}) eve on pts/1"),
    ]  # fmt: skip


def test_su_tried_against_several_accounts_is_guessing_and_the_success_after_it_counts() -> None:
    events = [*_su_attempt(10, "postgres"), *_su_attempt(14, "postgres"),
              *_su_attempt(19, "deploy"), *_su_attempt(23, "jenkins"), *_su_attempt(31, "dbo")]  # fmt: skip
    events += _syslog("May 28 21:40:02 lnx-app01 su[40299]: (to backup) eve on pts/1")
    assert all(e.action is Action.PRIVILEGE_USE and e.user == "eve" for e in events)
    builder, detector = BatchBuilder(), SwitchGuessing()
    signals = detector.score(builder.build(events), builder)
    flagged = [events[row].target_user for row in signals.rows.tolist()]
    assert flagged == ["jenkins", "dbo", "backup"]  # the 3rd and 4th accounts, then the su
    assert signals.points.tolist() == [15.0, 30.0, 40.0]
    assert signals.actions == ["guess", "guess", "success"]
    assert "the 3rd account eve failed to switch to within 72 h" in signals.titles[0]
    assert "after failing to switch to 4 accounts" in signals.titles[2]


def test_failed_switches_are_remembered_across_batches_and_forgotten_after_the_window() -> None:
    builder, detector = BatchBuilder(), SwitchGuessing()
    first = [*_su_attempt(10, "postgres"), *_su_attempt(19, "deploy")]
    batch = builder.build(first)
    assert not len(detector.score(batch, builder))
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    assert len(detector.state()["tried_users"]) == 2  # one row per (account, target)
    third = _su_attempt(40, "jenkins")
    signals = detector.score(builder.build(third), builder)
    assert [third[row].target_user for row in signals.rows.tolist()] == ["jenkins"]
    # four days later the earlier two have left the window: one more account is no spread
    late = [msgspec.structs.replace(e, time=e.time + timedelta(days=4)) for e in third]
    assert not len(detector.score(builder.build(late), builder))


def test_one_mistyped_account_is_not_guessing() -> None:
    events = [a for minute in (10, 12, 15, 20, 26) for a in _su_attempt(minute, "postgres")]
    events += _syslog("May 28 21:40:02 lnx-app01 su[40299]: (to postgres) eve on pts/1")
    builder, detector = BatchBuilder(), SwitchGuessing()
    assert not len(detector.score(builder.build(events), builder))


def test_another_ordinary_joiner_does_not_excuse_the_next() -> None:
    builder, detector = BatchBuilder(), AccountLifecycle(learning_days=7, min_events=10)
    batch = builder.build(_history())
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    later = 22 * 1440
    first = builder.build([_join(later, "bob", "desktop-7f3a9c1")])
    detector.learn(first, held_back=np.zeros(len(first), dtype=bool))
    signals = detector.score(builder.build([_join(later + 600, "carol", "win-5baab8a")]), builder)
    assert signals.points.tolist() and signals.points[0] >= 45  # not halved by bob's
