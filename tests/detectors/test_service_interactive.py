"""``service_interactive``: the first desktop session of an account that only ever logged on over
the network, as a service or a batch job (round 12, issue 3: ``service_account_rdp``, a backup
account that reaches every server each night, so no host is new to it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np

from detectors.batch import BatchBuilder
from detectors.service_interactive import ServiceInteractive
from schemas.event import Action, Event

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


def logon(when: datetime, user: str, kind: str, src: str = "", dst: str = "app01") -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=src,
        src_ip="127.0.0.1" if kind in ("2", "7") else "10.0.0.9",
        dst_host=dst,
        logon_type=kind,
        record_id=f"{user}-{kind}-{when.isoformat()}-{dst}",
    )


def estate(days: int = 14, *, people_at_machines: bool = True) -> list[Event]:
    """``svc_backup`` logs on (type 3) to three servers from bkp01 every night; five office
    users sit at their workstations (type 2, unless ``people_at_machines`` is off: a feed of
    servers only) and reach the file server (type 3)."""
    events = []
    for day in range(days):
        night = MONDAY + timedelta(days=day, hours=1)
        for k, server in enumerate(("app01", "fs01", "sql01")):
            events.append(logon(night + timedelta(minutes=k), "svc_backup", "3", "bkp01", server))
        for u in range(5):
            morning = MONDAY + timedelta(days=day, hours=8, minutes=u)
            if people_at_machines:
                events.append(logon(morning, f"user{u}", "2", dst=f"ws{u}"))
            events.append(logon(morning + timedelta(minutes=5), f"user{u}", "3", f"ws{u}", "fs01"))
    return events


def detector_after(history: list[Event]) -> tuple[BatchBuilder, ServiceInteractive]:
    builder, detector = BatchBuilder(), ServiceInteractive()
    past = builder.build(history)
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    return builder, detector


def rdp(day: float, user: str = "svc_backup", dst: str = "app01", src: str = "ws3") -> Event:
    return logon(MONDAY + timedelta(days=day, hours=17), user, "10", src, dst)


def test_a_network_only_account_opening_a_desktop_session_is_flagged_and_explained() -> None:
    builder, detector = detector_after(estate())
    signals = detector.score(builder.build([rdp(15)]), builder)
    assert signals.points.tolist() == [65.0]
    assert builder.vocab["user"].value(int(signals.entity[0])) == "svc_backup"
    assert signals.titles[0] == (
        "svc_backup opened a desktop session (logon type 10) on app01 from ws3: in 15 days it "
        "logged on 42 times, all over the network, as a service or a batch job, never at a "
        "desktop (5 of the tenant's 6 accounts have had desktop or other interactive logons)"
    )
    # A console logon (someone at the server's keyboard with the account) is the same finding.
    console = logon(MONDAY + timedelta(days=15, hours=17), "svc_backup", "2", dst="sql01")
    assert detector.score(builder.build([console]), builder).points.tolist() == [65.0]


def test_people_young_accounts_and_machine_accounts_are_not() -> None:
    history = estate()
    # user2 sits at a workstation every day: their first remote-desktop session is a person's.
    # svc_new logs on over the network from day 12 on only (3 days, 3 logons: too young).
    # WEB01$ is a machine account: never judged.
    for day in range(12, 14):
        history.append(logon(MONDAY + timedelta(days=day, hours=2), "svc_new", "3", "bkp01"))
    history.extend(
        logon(MONDAY + timedelta(days=d, hours=3), "web01$", "3", "web01") for d in range(14)
    )
    history.sort(key=lambda e: e.time)
    builder, detector = detector_after(history)
    tail = [rdp(15, "user2"), rdp(15.01, "svc_new"), rdp(15.02, "web01$")]
    assert len(detector.score(builder.build(tail), builder)) == 0


def test_a_feed_without_peoples_machines_says_nothing() -> None:
    # Servers only: the office users look network-only as well; nobody is taken for a service.
    builder, detector = detector_after(estate(people_at_machines=False))
    assert len(detector.score(builder.build([rdp(15)]), builder)) == 0


def test_flagged_sessions_are_not_learned_until_they_came_on_three_days() -> None:
    builder, detector = detector_after(estate())
    flagged_per_day = []
    for day in (15, 16, 17, 18):
        batch = builder.build([rdp(day), rdp(day + 0.01, dst="fs01")])
        flagged_per_day.append(len(detector.score(batch, builder)))
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=np.bool_))
    # Both sessions of each day are findings; after the third day the account is a person's.
    assert flagged_per_day == [2, 2, 2, 0]


def test_the_same_days_in_one_batch_give_the_same_answer() -> None:
    tail = [rdp(day + offset) for day in (15, 16, 17, 18) for offset in (0.0, 0.01)]
    builder, whole = detector_after(estate())
    together = whole.score(builder.build(tail), builder).rows.tolist()
    assert together == [0, 1, 2, 3, 4, 5]


def test_an_unlearned_session_held_back_by_the_risk_layer_is_not_a_habit() -> None:
    builder, detector = detector_after(estate())
    # A desktop session of a young service account is not flagged; held back, it is not
    # learned either, and the account's next one (once mature) is judged.
    young = [logon(MONDAY + timedelta(days=15, hours=1), "svc_x", "3", "bkp01")]
    young.append(msgspec.structs.replace(rdp(15, "svc_x"), record_id="held"))
    batch = builder.build(young)
    assert len(detector.score(batch, builder)) == 0
    detector.learn(batch, held_back=np.array([False, True]))
    later = [
        logon(MONDAY + timedelta(days=15 + d, hours=1), "svc_x", "3", "bkp01") for d in range(1, 30)
    ]
    batch = builder.build(later)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=np.bool_))
    assert len(detector.score(builder.build([rdp(45, "svc_x")]), builder)) == 1


def test_state_survives_a_snapshot() -> None:
    builder, detector = detector_after(estate())
    restored = ServiceInteractive()
    restored.load_state({k: v.copy() for k, v in detector.state().items()})
    batch = builder.build([rdp(15), rdp(15.1, "user1")])
    assert (
        restored.score(batch, builder).rows.tolist() == detector.score(batch, builder).rows.tolist()
    )
    assert restored.state()["kind"].dtype == np.uint8
