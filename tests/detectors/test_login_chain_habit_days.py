"""``login_chain``: an account's habit of logging on from a machine is counted in days for the
switches a 4648 proves (round 26, issue 3: ``login_chain`` on s721m seed 724).

A compromised app server logs on at night to many workstations with an admin's cached
credentials (a fan-out, one burst). Days later a user RDPs to that server and types the admin's
password there (4648) to reach a domain controller. The burst made seven hops of the admin from
the server: counted as hops, they were a habit that excused the typed switch. Seven logons in
half an hour are one occasion; a habit spans days."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from schemas.event import Event
from tests.detectors.streams import explicit_credential as explicit
from tests.detectors.streams import network_logon as logon
from tests.detectors.test_login_chain_typist import MONDAY, estate, rdp


def signals_for(history: list[Event], tail: list[Event]) -> tuple[list[float], list[str]]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(history)
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    signals = detector.score(builder.build(tail), builder)
    return [float(p) for p in signals.points], signals.titles


def typed_switch() -> list[Event]:
    """Day 11: user1 RDPs to web01, types adm's credentials naming dc2, adm logs on to dc2."""
    start = MONDAY + timedelta(days=11, hours=9)
    return [
        rdp(start, "user1", "ws1", "web01"),
        explicit(start + timedelta(minutes=12), "user1", "adm", "web01", "dc2"),
        logon(start + timedelta(minutes=32), "adm", "web01", "dc2", privileged=True),
    ]


def burst(day: int, hosts: int) -> list[Event]:
    """adm's logons from web01 to ``hosts`` workstations within half an hour, on one night."""
    night = MONDAY + timedelta(days=day, hours=2)
    return [
        logon(night + timedelta(minutes=4 * h), "adm", "web01", f"pc{h}", privileged=True)
        for h in range(hosts)
    ]


def test_a_burst_from_the_relay_on_one_night_does_not_excuse_a_typed_switch() -> None:
    points, titles = signals_for([*estate(), *burst(8, 7)], typed_switch())
    chain = LoginChain()
    # The 4648 (user1's session on web01) and adm's logon it typed: both the switch user1 -> adm.
    assert points == [chain.chain_points + chain.switch_points] * 2
    assert all("account switch user1 -> adm" in title for title in titles)
    assert "user1 typed adm's credentials on web01 naming dc2" in titles[1]


def test_logons_from_the_relay_on_two_days_still_make_a_habit() -> None:
    # One logon from web01 on each of two days: adm works from web01 (as before round 26).
    history = [*estate(), *burst(5, 1), *burst(8, 1)]
    assert signals_for(history, typed_switch())[0] == []


def test_days_are_counted_alike_in_one_batch_and_across_batches() -> None:
    # The burst and a second day in the scored batch itself: the typed logon is excused there too
    # (two days), and the 4648's own day does not count against it.
    points, _ = signals_for(estate(), [*burst(8, 7), *burst(9, 1), *typed_switch()])
    assert points == []
    points, _ = signals_for(estate(), [*burst(8, 7), *typed_switch()])
    assert len(points) == 2
