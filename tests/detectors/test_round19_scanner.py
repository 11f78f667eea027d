"""A credentialed scanner is normal life (round 19, s291b): ``login_chain`` does not chain through
a sweeper's network logon (an account that reached many hosts, all from one machine), and
``failed_logons_user`` judges a failure burst that recurs from the same source days later
against the earlier burst - while a user's foothold hop and a new or larger burst still count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.failed_logons import FailedLogonsUser
from detectors.login_chain import LoginChain
from schemas.event import Action, Event, Outcome
from tests.detectors.streams import network_logon as logon

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)
HOSTS = [f"ws{i:02d}" for i in range(40)]


def office(days: int, *, second_source_on: int | None = None) -> list[Event]:
    """user1..user8 reach their servers from their workstations daily; every Wednesday the
    scan account sweeps all 40 workstations from scan01 (with ``second_source_on``: once from
    another machine too)."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=9)
        for u in range(1, 9):
            events.append(logon(date + timedelta(minutes=u), f"user{u}", HOSTS[u + 10], f"app{u}"))
        if day % 7 == 2:
            night = date + timedelta(hours=12)
            for i, host in enumerate(HOSTS):
                events.append(logon(night + timedelta(seconds=5 * i), "svc_scan", "scan01", host))
        if day == second_source_on:
            events.append(logon(date + timedelta(hours=2), "svc_scan", "ws05", "app9"))
    return events


def chain_points(history: list[Event], tail: list[Event]) -> list[float]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(history)
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    return [float(p) for p in detector.score(builder.build(tail), builder).points]


def after_scan(first: str, src: str) -> list[Event]:
    """Day 16 (a scan night): ``first`` reaches ws07 from ``src``, then user7 logs on from
    ws07 to db1 half an hour later (ws07 is nobody's habitual source)."""
    when = MONDAY + timedelta(days=16, hours=21)
    return [
        logon(when, first, src, "ws07"),
        logon(when + timedelta(minutes=30), "user7", "ws07", "db1"),
    ]


def test_a_sweepers_logon_is_no_hop_a_user_then_moves_from() -> None:
    assert chain_points(office(15), after_scan("svc_scan", "scan01")) == []


def test_a_users_inbound_hop_still_starts_a_chain() -> None:
    # user1 reaches few hosts: the same hop out of ws07 is a chain with a switch (15 + 30).
    assert chain_points(office(15), after_scan("user1", HOSTS[11])) == [45.0]


def test_an_account_that_ever_logged_on_from_elsewhere_is_no_sweeper() -> None:
    # svc_scan once started a session from ws05: it moves on from hosts; its hop counts.
    history = office(15, second_source_on=9)
    assert chain_points(history, after_scan("svc_scan", "scan01")) == [45.0]


def test_a_sweeper_reaching_a_host_from_a_new_machine_still_starts_a_chain() -> None:
    # Its credentials used from a machine it never swept from: not its sweep.
    assert chain_points(office(15), after_scan("svc_scan", "ws30")) == [45.0]


def failure(when: datetime, user: str, ip: str, host: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON_FAILED,
        outcome=Outcome.FAILURE,
        user=user,
        src_ip=ip,
        dst_host=host,
        reason="0xc000006a",
    )


def success(when: datetime, user: str, ip: str, host: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        outcome=Outcome.SUCCESS,
        user=user,
        src_ip=ip,
        dst_host=host,
        logon_type="3",
    )


def scan_night(day: int, ip: str = "10.20.0.21", repeat: int = 2) -> list[Event]:
    """The scan account fails ``repeat`` times on each of 12 hosts (its credential is refused
    there) and signs in on the rest, all from ``ip`` within a quarter of an hour."""
    start = MONDAY + timedelta(days=day, hours=21)
    events = []
    for i in range(36):
        when = start + timedelta(seconds=20 * i)
        if i % 3 == 0:
            events += [
                failure(when + timedelta(seconds=k), "svc_scan", ip, HOSTS[i])
                for k in range(repeat)
            ]
        else:
            events.append(success(when, "svc_scan", ip, HOSTS[i]))
    return events


def burst_signals(history: list[Event], tail: list[Event]) -> list[str]:
    builder, detector = BatchBuilder(), FailedLogonsUser()
    for day_events in (history,):
        past = builder.build(day_events)
        detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    return list(detector.score(builder.build(tail), builder).titles)


def test_the_scans_first_burst_is_surprising() -> None:
    assert burst_signals([success(MONDAY, "svc_scan", "10.20.0.21", "ws00")], scan_night(2))


def test_a_burst_recurring_from_the_same_source_a_fortnight_later_is_not() -> None:
    assert burst_signals(scan_night(2), scan_night(16)) == []


def test_a_recurring_burst_from_another_source_still_is() -> None:
    titles = burst_signals(scan_night(2), scan_night(16, ip="203.0.113.9"))
    assert any("failed sign-ins" in title for title in titles)


def test_a_recurring_burst_three_times_the_size_still_is() -> None:
    titles = burst_signals(scan_night(2), scan_night(16, repeat=6))
    assert any("failed sign-ins in about an hour for account svc_scan" in t for t in titles)
