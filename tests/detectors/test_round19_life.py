"""Round 19: normal life nobody had written (benchmarks/scenario/life19.py) must not hide attacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.account_lifecycle import AccountLifecycle
from detectors.batch import BatchBuilder
from schemas.event import Action, Event

START = datetime(2024, 5, 1, tzinfo=UTC)


def _event(at: timedelta, user: str, action: Action, **fields: object) -> Event:
    return Event(
        time=START + at, tenant="t", source_format="helk", action=action, user=user, **fields
    )


def _takeover_reset_points(*, new_admin_provisioned: bool) -> float:
    """Points of mgarcia's first reset of admin bdavis's password, in an org where bdavis uses
    special privileges daily; with ``new_admin_provisioned`` the identity admin alice created a
    new administrator the day before (4720, then its first password 4724, as every creation)."""
    events: list[Event] = []
    for day in range(14):
        at = timedelta(days=day, hours=9)
        for k, user in enumerate(("mgarcia", "bdavis", "alice", "carol")):
            events.append(_event(at + timedelta(minutes=k), user, Action.LOGON))
        events.append(
            _event(
                at + timedelta(minutes=5),
                "bdavis",
                Action.PRIVILEGE_USE,
                object="SeDebugPrivilege",
                privileged=True,
            )
        )
    if new_admin_provisioned:
        at = timedelta(days=13, hours=8)
        for minutes, verb in ((0, "created"), (1, "password_reset"), (2, "enabled")):
            events.append(
                _event(
                    at + timedelta(minutes=minutes),
                    "alice",
                    Action.ACCOUNT_CHANGE,
                    target_user="nokafor",
                    object=verb,
                    privileged=True,
                )
            )
    builder, detector = BatchBuilder(), AccountLifecycle(min_events=5)
    history = builder.build(events)
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    reset = _event(
        timedelta(days=14, hours=20),
        "mgarcia",
        Action.ACCOUNT_CHANGE,
        target_user="bdavis",
        object="password_reset",
    )
    signals = detector.score(builder.build([reset]), builder)
    assert "privileged account bdavis" in signals.titles[0]
    return float(signals.points[0])


def test_provisioning_a_new_admin_does_not_excuse_another_admins_password_takeover() -> None:
    """Setting a new account's first password is part of creating it: the identity admin who
    does it is no peer of someone resetting an existing admin's password (life19 new_it_admin
    hid privileged_reset_use in seed 321 on a4e2af6: 45 points halved to 22.5)."""
    quiet = _takeover_reset_points(new_admin_provisioned=False)
    after_hire = _takeover_reset_points(new_admin_provisioned=True)
    assert quiet >= 40.0
    assert after_hire == quiet
