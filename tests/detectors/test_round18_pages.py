"""Round 18: attacks that were detected but left at low/medium (README "Round 18 (pages)").

- ``rare_console_auth``: a console sign-in without MFA by a user whose console sign-ins all
  used it, although their other channels sign in with a password every day.
- ``rare_workstation``: a machine from outside the domain signing in as an account within a
  day of another account resetting its password is a page even for a sparse user.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec
import numpy as np

from detectors.batch import BatchBuilder
from detectors.rare_attributes import RareAuthMethod, RareConsoleAuth, RareWorkstation
from schemas.event import Action, Event
from tests.detectors.test_round17_novel import START, logon, reset


def _points(
    detector: RareWorkstation | RareAuthMethod, history: list[Event], stream: list[Event]
) -> list[float]:
    builder = BatchBuilder()
    batch = builder.build(sorted(history, key=lambda e: e.time))
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return [float(p) for p in detector.score(builder.build(stream), builder).points]


def _sparse() -> list[Event]:
    # Two sign-ins a day for eight days from one machine: little history, little surprise.
    # ws-bob is a machine of the domain (its own logons are in the logs).
    own = [logon(d, "alice", "ws-alice", m) for d in range(8) for m in (0, 60)]
    return own + [logon(d, "bob", "ws-bob", 5) for d in range(8)]


def test_stranger_machine_after_a_reset_is_a_page_for_a_sparse_user() -> None:
    stranger = logon(9, "alice", "desktop-a3c4085", 40)
    assert _points(RareWorkstation(), _sparse(), [reset(9, "helpdesk", "alice"), stranger]) == [
        65.0
    ]
    # Without the floor it was under the page (the round-17 reading).
    off = _points(RareWorkstation(takeover_points=0), _sparse(), [reset(9, "helpdesk", "alice"),
                                                                  stranger])  # fmt: skip
    assert off[0] < 65.0
    # Not without a reset, nor from a machine of the domain after one, nor a day later.
    assert _points(RareWorkstation(), _sparse(), [stranger])[0] < 40.0
    domain = logon(9, "alice", "ws-bob", 40)
    assert _points(RareWorkstation(), _sparse(), [reset(9, "helpdesk", "alice"), domain])[0] < 40
    late = _points(RareWorkstation(), [*_sparse(), reset(8, "helpdesk", "alice")], [stranger])
    assert late[0] < 40.0


def _sign_in(day: int, channel: str, method: str) -> Event:
    return Event(
        time=START + timedelta(days=day, hours=1 if channel == "console" else 2),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user="carol",
        src_ip="198.51.100.7",
        logon_type=channel,
        auth_protocol=method,
    )


def test_console_without_mfa_where_it_was_always_used() -> None:
    history = [
        e
        for d in range(14)
        for e in (_sign_in(d, "console", "mfa"), _sign_in(d, "sso", "password"))
    ]
    # Another user signs in to the console without MFA every day (a break-glass account):
    # not carol's habit.
    history += [
        msgspec.structs.replace(_sign_in(d, "console", "password"), user="breakglass")
        for d in range(14)
    ]
    dropped = _sign_in(15, "console", "password")
    # The pooled habit knows "password" for carol: nothing there.
    assert _points(RareAuthMethod(), history, [dropped]) == []
    console = _points(RareConsoleAuth(), history, [dropped])
    assert len(console) == 1 and console[0] >= 20.0
    # A password on the channel that always had one is nothing new.
    assert _points(RareConsoleAuth(), history, [_sign_in(15, "sso", "password")]) == []
