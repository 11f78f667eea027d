"""``login_chain`` on a jump host several admins use: an account switch inferred only from another
user's inbound hop (no 4648) does not count when the account itself reaches the host habitually;
an explicit-credential switch still does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from schemas.event import Event
from tests.detectors.test_login_chain_cold import chain, logon

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


def admins_on_mgmt(days: int) -> list[Event]:
    """ann and ben reach the jump host mgmt every day from their workstations; user0 works on
    app0; ben also logs on to app0 now and then. Nobody hops out of mgmt or app0."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=8)
        events.append(logon(date, "ann", "wks-ann", "mgmt", privileged=True))
        events.append(logon(date + timedelta(minutes=5), "ben", "wks-ben", "mgmt", privileged=True))
        events.append(logon(date + timedelta(minutes=9), "user0", "wks0", "app0"))
        if day % 3 == 0:
            events.append(logon(date + timedelta(hours=3), "ben", "wks-ben", "app0"))
    return events


def score(history: list[Event], tail: list[Event]) -> list[float]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(history)
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    return [float(p) for p in detector.score(builder.build(tail), builder).points]


def test_an_admin_hopping_out_of_the_jump_host_after_another_admin_is_no_switch() -> None:
    when = MONDAY + timedelta(days=10, hours=10)
    tail = [
        logon(when, "ann", "wks-ann", "mgmt"),
        logon(when + timedelta(minutes=30), "ben", "mgmt", "db1"),
    ]
    assert score(admins_on_mgmt(10), tail) == [15.0]  # the chain, without the 30 switch points


def test_explicit_credentials_at_the_hop_still_count_as_a_switch() -> None:
    # ben reaches app0 habitually too, but user0's 4648 with ben's credentials is the switch.
    when = MONDAY + timedelta(days=10, hours=13)
    points = score(admins_on_mgmt(10), chain(when, "ben"))
    assert max(points) == 45.0


def test_a_plain_logon_switch_by_an_account_new_to_the_host_still_counts() -> None:
    when = MONDAY + timedelta(days=10, hours=10)
    tail = [
        logon(when, "ann", "wks-ann", "mgmt"),
        logon(when + timedelta(minutes=30), "user0", "mgmt", "db1"),
    ]
    assert score(admins_on_mgmt(10), tail) == [45.0]
