"""Round 21: an ssh key spray seen only through sshd's preauth close lines, and the success
that follows it (tests fail on main 2fde2bf: the close lines gave no event, and a user's
routine sign-in from a spraying jump host scored as high as a new account's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.failed_logons import SuccessAfterSpray
from schemas.event import Action, Event, Outcome
from schemas.parsers.base import ParseContext
from schemas.parsers.syslog import SyslogParser

START = datetime(2024, 5, 1, tzinfo=UTC)
JUMP = "10.20.1.20"


def stamp(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%b %e %H:%M:%S")


def key_spray_lines(first_minute: float, accounts: list[str]) -> list[str]:
    """One internal host offering one key per account on two servers: at LogLevel INFO sshd
    writes only the close line of each refused connection."""
    return [
        f"{stamp(first_minute + 7 * i)} {('db01', 'bastion01')[i % 2]} sshd[{4000 + i}]: "
        f"Connection closed by authenticating user {user} {JUMP} port {40000 + i} [preauth]"
        for i, user in enumerate(accounts)
    ]


def accepted(minute: float, user: str, port: int) -> str:
    return (
        f"{stamp(minute)} db01 sshd[{5000 + port}]: Accepted publickey for {user} from {JUMP} "
        f"port {port} ssh2: RSA SHA256:abc"
    )


def parse(lines: list[str]) -> list[Event]:
    parser, ctx = SyslogParser(), ParseContext(tenant="acme", source="auth.log")
    ctx.reference_time = START + timedelta(days=30)
    return [event for n, line in enumerate(lines) for event in parser.parse(line, ctx)]


def run(events: list[Event]) -> list[tuple[str, float]]:
    builder, detector = BatchBuilder(), SuccessAfterSpray()
    found: list[tuple[str, float]] = []
    for start in range(0, len(events), 16):
        batch = builder.build(events[start : start + 16])
        signals = detector.score(batch, builder)
        found += [
            (batch.events[int(row)].user, float(points))
            for row, points in zip(signals.rows, signals.points, strict=True)
        ]
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return found


def test_key_spray_close_lines_are_failed_logons_that_feed_the_spray() -> None:
    accounts = [f"user{k}" for k in range(10)]
    events = parse([*key_spray_lines(24 * 60, accounts), accepted(24 * 60 + 120, "victim", 50001)])
    failed = [e for e in events if e.action is Action.LOGON_FAILED]
    assert len(failed) == 10 and {e.src_ip for e in failed} == {JUMP}
    assert {e.outcome for e in failed} == {Outcome.FAILURE}
    assert run(events) and run(events)[0][0] == "victim"


def sign_in(minutes: float, user: str, ok: bool) -> Event:
    return Event(
        time=START + timedelta(minutes=minutes),
        tenant="acme",
        source_format="test",
        action=Action.LOGON if ok else Action.LOGON_FAILED,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        user=user,
        src_ip=JUMP,
        reason="" if ok else "bad_password",
    )


def test_routine_user_of_the_spraying_host_scores_half_of_a_new_account() -> None:
    """admin1 works from the jump host (last sign-in 3 days before); the spray from it then
    fails on 10 accounts; admin1's next sign-in there is routine, victim's first is the find."""
    spray = 3 * 24 * 60
    events = [sign_in(60, "admin1", True)]
    events += [sign_in(spray + 7 * k, f"user{k}", False) for k in range(10)]
    events += [sign_in(spray + 100, "admin1", True), sign_in(spray + 110, "victim", True)]
    scored = dict(run(events))
    assert set(scored) == {"admin1", "victim"}
    assert scored["admin1"] == scored["victim"] * 0.5
    assert scored["victim"] >= 45.0


def test_routine_factor_explained_with_the_gap() -> None:
    spray = 3 * 24 * 60
    events = [sign_in(60, "admin1", True)]
    events += [sign_in(spray + 7 * k, f"user{k}", False) for k in range(10)]
    events.append(sign_in(spray + 100, "admin1", True))
    builder, detector = BatchBuilder(), SuccessAfterSpray()
    batch = builder.build(events)
    signals = detector.score(batch, builder)
    assert len(signals) == 1
    assert "admin1 last signed in from there 3.0 days before" in signals.titles[0]
