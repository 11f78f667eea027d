"""Round 14 (lateral movement on unseen scenarios): the tenant's learning period for the users
seen in its first days, a weekly scanner's evidence, and discovery tools after a hop.

The first three tests fail on main's detectors (an attack on the first morning after the
tenant's learning period by a user first seen on the feed's second day was "still learning";
a weekly scanner's account six days after its only sweep was "too young"); the discovery tests
fail there because the detector did not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.discovery import Discovery
from detectors.lateral import LateralDesktopFanout, LateralNewHost
from detectors.risk import ASPECTS, CORROBORATION_ASPECTS
from detectors.service_interactive import ServiceInteractive
from schemas.event import Action, Event

START = datetime(2024, 5, 6, 0, 15, tzinfo=UTC)  # a Monday; the feed starts after midnight


def logon(t: timedelta, user: str, host: str, kind: str = "3", src: str = "ws1") -> Event:
    return Event(
        time=START + t,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=src,
        src_ip="10.10.1.5",
        dst_host=host,
        logon_type=kind,
    )


def process(t: timedelta, user: str, image: str, host: str = "app01") -> Event:
    return Event(
        time=START + t,
        tenant="acme",
        source_format="test",
        action=Action.PROCESS_START,
        user=user,
        dst_host=host,
        object=f"C:\\Windows\\System32\\{image}",
        app="C:\\Windows\\System32\\cmd.exe",
    )


def office_week(first_day: int, user: str = "carol", days: int = 7) -> list[Event]:
    """``user`` reads files from the file server four times a working day from ``first_day``;
    bob does the same from the feed's first minutes (the tenant's clock)."""
    events = [logon(timedelta(minutes=m), "bob", "files", src="ws2") for m in range(0, 60, 10)]
    for day in range(first_day, days):
        for hour in (9, 11, 14, 16):
            events.append(logon(timedelta(days=day, hours=hour), user, "files"))
    return sorted(events, key=lambda e: e.time)


def learned(detector: object, builder: BatchBuilder, events: list[Event]) -> None:
    batch = builder.build(events)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))  # type: ignore[attr-defined]


def test_new_host_on_the_first_morning_after_the_tenants_learning_period() -> None:
    """carol was off on the feed's first day: on day 7 at 08:00 she is 6.9 days "old", but the
    tenant has been watched for 7 days and so has she, for all but its first."""
    builder, detector = BatchBuilder(), LateralNewHost()
    learned(detector, builder, office_week(first_day=1))
    hop = logon(timedelta(days=7, hours=8), "carol", "hr-db", kind="10")
    signals = detector.score(builder.build([hop]), builder)
    assert len(signals) == 1
    assert "carol reached host hr-db for the first time" in signals.titles[0]


def test_a_new_hire_keeps_a_learning_period_of_their_own() -> None:
    """dave first appeared on the feed's fifth day: three days later he is still learning."""
    builder, detector = BatchBuilder(), LateralNewHost(min_events=5)
    learned(detector, builder, office_week(first_day=5, user="dave", days=8))
    hop = logon(timedelta(days=8, hours=8), "dave", "hr-db")
    assert len(detector.score(builder.build([hop]), builder)) == 0


def test_desktop_walk_on_the_first_morning_after_the_learning_period() -> None:
    builder, detector = BatchBuilder(), LateralDesktopFanout()
    learned(detector, builder, office_week(first_day=1))
    walk = [
        logon(timedelta(days=7, hours=8, minutes=20 * k), "carol", f"srv{k}", kind="10")
        for k in range(3)
    ]
    signals = detector.score(builder.build(walk), builder)
    assert [round(float(p)) for p in signals.points] == [40, 52]


def _people(days: int) -> list[Event]:
    """Three people at their desks every day (console logons): the feed shows people."""
    return [
        logon(timedelta(days=d, hours=8), f"user{u}", f"ws{u}", kind="2", src="")
        for d in range(days)
        for u in range(3)
    ]


def test_weekly_scanner_six_days_after_its_only_sweep() -> None:
    """svc_scan swept 95 hosts on the first Saturday night (day 5) and was not seen since; its
    desktop session from a user's workstation on Friday (day 11) is its password in a
    person's hands, six days after the sweep."""
    sweep = [
        logon(timedelta(days=5, hours=22, seconds=20 * k), "svc_scan", f"host{k}", src="scan01")
        for k in range(95)
    ]
    builder, detector = BatchBuilder(), ServiceInteractive()
    learned(detector, builder, sorted([*_people(11), *sweep], key=lambda e: e.time))
    rdp = logon(timedelta(days=11, hours=13), "svc_scan", "web01", kind="10", src="lon-ws018")
    signals = detector.score(builder.build([rdp]), builder)
    assert signals.points.tolist() == [65.0]


def test_a_day_old_account_with_a_few_network_logons_is_not_judged() -> None:
    """25 network logons yesterday are not a week of them (7 x 20 = 140 would be)."""
    logons = [
        logon(timedelta(days=9, hours=22, seconds=20 * k), "svc_new", f"host{k}", src="srv9")
        for k in range(25)
    ]
    builder, detector = BatchBuilder(), ServiceInteractive()
    learned(detector, builder, sorted([*_people(10), *logons], key=lambda e: e.time))
    rdp = logon(timedelta(days=10, hours=13), "svc_new", "web01", kind="10", src="lon-ws018")
    assert len(detector.score(builder.build([rdp]), builder)) == 0


def _tenant_processes(days: int = 8) -> list[Event]:
    """Ordinary programs every day; an admin runs whoami now and then."""
    events = [process(timedelta(days=d, hours=9), "alice", "notepad.exe") for d in range(days)]
    events += [process(timedelta(days=d, hours=10), "admin1", "whoami.exe") for d in range(days)]
    return sorted(events, key=lambda e: e.time)


def test_discovery_first_run_weighed_by_peers_and_own_tools() -> None:
    builder, detector = BatchBuilder(), Discovery()
    learned(detector, builder, _tenant_processes())
    recon = [
        process(timedelta(days=8, hours=9, minutes=1), "carol", "nltest.exe", host="mgmt01"),
        process(timedelta(days=8, hours=9, minutes=2), "carol", "whoami.exe", host="mgmt01"),
        process(timedelta(days=8, hours=9, minutes=3), "carol", "nltest.exe", host="app01"),
    ]
    signals = detector.score(builder.build(recon), builder)
    # nltest: nobody ran it, 25; whoami: admin1 runs it (25 / 1.25); the flagged nltest is not
    # learned, so it is not one of carol's tools, and the second nltest is flagged again.
    assert [round(float(p), 1) for p in signals.points] == [25.0, 20.0, 25.0]
    assert signals.row_mitre == [("T1482",), ("T1033",), ("T1482",)]
    assert ASPECTS["discovery"] == "discovery" and CORROBORATION_ASPECTS["discovery"] == "activity"


def test_discovery_quiet_while_learning_and_for_ambiguous_images() -> None:
    """During the tenant's learning period nothing is judged; net.exe (``net use``, ``net
    stop``) and machine accounts never are."""
    builder, detector = BatchBuilder(), Discovery()
    early = [process(timedelta(days=2, hours=9), "carol", "nltest.exe")]
    assert len(detector.score(builder.build(early), builder)) == 0
    learned(detector, builder, _tenant_processes())
    later = [
        process(timedelta(days=9, hours=9), "carol", "net.exe"),
        process(timedelta(days=9, hours=9), "APP01$", "whoami.exe"),
        process(timedelta(days=9, hours=9), "alice", "notepad.exe"),
    ]
    assert len(detector.score(builder.build(later), builder)) == 0


def test_discovery_holds_back_what_it_flagged_until_a_habit() -> None:
    """Flagged runs are not learned; on a fourth day with runs of the tool, it is the account's
    habit, and learned: the run after that is quiet, and the account counts as a runner."""
    builder, detector = BatchBuilder(), Discovery()
    learned(detector, builder, _tenant_processes())
    for day in (8, 9, 10):
        runs = [process(timedelta(days=day, hours=9), "carol", "quser.exe")]
        assert len(detector.score(builder.build(runs), builder)) == 1
        learned(detector, builder, runs)
    habit = [process(timedelta(days=11, hours=9), "carol", "quser.exe")]
    assert len(detector.score(builder.build(habit), builder)) == 0
    learned(detector, builder, habit)
    assert len(detector.score(builder.build(habit), builder)) == 0
    other = [process(timedelta(days=12, hours=9), "dave", "quser.exe")]
    assert detector.score(builder.build(other), builder).points.tolist() == [20.0]
