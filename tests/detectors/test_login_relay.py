"""Linux pivots without names (round 17): a hopping account signing in from a hop machine's
address with no session of its own there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.batch import BatchBuilder
from detectors.engine import Engine
from detectors.login_relay import LoginRelay
from detectors.risk import RiskConfig
from schemas.event import Action, Event

START = datetime(2024, 3, 4, 8, tzinfo=UTC)
BASTION, APP, OPS = "10.20.1.10", "10.20.1.20", "10.20.1.30"


def ssh(hours: float, user: str, ip: str, host: str, logon_type: str = "ssh") -> Event:
    return Event(
        time=START + timedelta(hours=hours),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=host,
        logon_type=logon_type,
        record_id=f"{user}-{host}-{hours:.3f}",
    )


def three_weeks(days: int = 21) -> list[Event]:
    """Admins come in to the bastion from a fresh VPN address, go on to the app server and from
    it to the database; ansible reaches every host from the ops server; backup pulls the
    database from the app server's address at night (never with a session of its own)."""
    events: list[Event] = []
    for day in range(days):
        base = day * 24.0
        for k, admin in enumerate(("ann", "bob", "cyd")):
            t = base + 1 + k
            events.append(ssh(t, admin, f"10.30.{k}.{(day * 7 + k) % 240 + 10}", "bastion01"))
            events.append(ssh(t + 0.1, admin, BASTION, "app01"))
            events.append(ssh(t + 0.3, admin, APP, "db01"))
        for host in ("app01", "db01", "bastion01"):
            events.append(ssh(base + 17, "ansible", OPS, host))
        events.append(ssh(base + 20, "backup", APP, "db01"))
    events.sort(key=lambda e: e.time)
    return events


def learned(days: int = 21) -> tuple[BatchBuilder, LoginRelay]:
    builder, detector = BatchBuilder(), LoginRelay()
    history = builder.build(three_weeks(days))
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    return builder, detector


def test_an_admin_signing_in_from_the_app_server_without_a_session_there_is_flagged() -> None:
    builder, detector = learned()
    signals = detector.score(builder.build([ssh(21 * 24 + 5, "bob", APP, "db01")]), builder)
    # an alert at the bar alone (low severity), a page only with other evidence
    assert len(signals) == 1 and float(signals.points[0]) == RiskConfig().alert_bar
    title = signals.titles[0]
    assert "bob signed in to db01 from 10.20.1.20, a machine people hop through" in title
    assert "no session of their own opened elsewhere in the last 3 h" in title


def test_the_admins_own_hops_stay_quiet() -> None:
    builder, detector = learned()
    day = 21 * 24
    usual = [
        ssh(day + 1, "bob", "10.30.1.222", "bastion01"),
        ssh(day + 1.1, "bob", BASTION, "app01"),
        ssh(day + 1.3, "bob", APP, "db01"),
        # a second hop from the app server in the same session: the session is still there
        ssh(day + 1.6, "bob", APP, "cache01"),
        ssh(day + 2.5, "bob", APP, "db01"),
    ]
    assert len(detector.score(builder.build(usual), builder)) == 0


def test_a_session_from_before_the_batch_counts() -> None:
    builder, detector = learned()
    day = 21 * 24
    first = builder.build([ssh(day + 1, "bob", "10.30.1.222", "bastion01")])
    detector.learn(first, held_back=np.zeros(1, dtype=bool))
    second = builder.build([ssh(day + 1.1, "bob", BASTION, "app01")])
    detector.learn(second, held_back=np.zeros(1, dtype=bool))
    hops = [ssh(day + 1.3, "bob", APP, "db01"), ssh(day + 1.5, "bob", APP, "db01")]
    assert len(detector.score(builder.build(hops), builder)) == 0
    # ... and expires with the window
    assert len(detector.score(builder.build([ssh(day + 4.2, "bob", APP, "db01")]), builder)) == 1


def test_accounts_that_never_hop_with_a_session_and_addresses_nobody_hops_through_stay_quiet():
    builder, detector = learned()
    day = 21 * 24
    quiet = [
        ssh(day + 3, "backup", APP, "db01"),  # from the relay, but never with a session
        ssh(day + 4, "ansible", OPS, "db01"),
        ssh(day + 5, "bob", OPS, "db01"),  # ops is no relay: nobody hops through it
        ssh(day + 6, "ann", "10.30.0.77", "bastion01"),
    ]
    assert len(detector.score(builder.build(quiet), builder)) == 0


def test_a_windows_session_is_no_place_ssh_sign_ins_come_from() -> None:
    builder, detector = learned()
    day = 21 * 24
    rdp = ssh(day + 4.5, "bob", "10.40.0.5", "ts01", logon_type="10")
    pivot = ssh(day + 5, "bob", APP, "db01")
    assert len(detector.score(builder.build([rdp, pivot]), builder)) == 1


def test_windows_logons_without_a_workstation_name_are_not_judged() -> None:
    builder, detector = learned()
    logon = ssh(21 * 24 + 5, "bob", APP, "db01", logon_type="3")
    assert len(detector.score(builder.build([logon]), builder)) == 0


def test_nothing_is_judged_in_the_tenants_learning_period() -> None:
    builder, detector = BatchBuilder(), LoginRelay(learning_days=7.0)
    history = builder.build(three_weeks(days=6))
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    attack = [ssh(5 * 24 + 22, "bob", APP, "db01")]
    assert len(detector.score(builder.build(attack), builder)) == 0
    young = LoginRelay(learning_days=1.0)
    young.learn(history, held_back=np.zeros(len(history), dtype=bool))
    assert len(young.score(builder.build(attack), builder)) == 1


def test_a_foothold_used_every_night_stays_news() -> None:
    """Flagged sign-ins are kept out of the tallies: ten nights of the same stolen password
    do not turn the admin's hops into unchained ones, nor teach anything."""
    builder, detector = learned()
    nights = [ssh(21 * 24 + 24 * d + 23, "bob", APP, "db01") for d in range(10)]
    batch = builder.build(nights)
    assert len(detector.score(batch, builder)) == 10
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    later = builder.build([ssh(31 * 24 + 23, "bob", APP, "db01")])
    assert len(detector.score(later, builder)) == 1


@pytest.mark.parametrize("split", [40, 200, 275, 276])
def test_a_split_run_with_saved_state_gives_the_same_alerts(split: int, tmp_path: Path) -> None:
    events = [
        *three_weeks(),
        ssh(21 * 24 + 5, "bob", APP, "db01"),
        ssh(21 * 24 + 6, "cyd", "10.30.2.99", "bastion01"),
        ssh(21 * 24 + 6.1, "cyd", BASTION, "app01"),
        ssh(21 * 24 + 6.3, "cyd", APP, "db01"),
    ]
    # The last two split points cut cyd's way in: between the bastion and the app server, and
    # between the app server and the database (a session before the split must count after it).
    assert events[275].dst_host == "app01" and events[276].dst_host == "db01"

    def engine() -> Engine:
        return Engine(detectors=[LoginRelay()])

    whole = engine().process(events)
    assert [a.entity.id for a in whole] == ["bob"]
    first = engine()
    alerts = first.process(events[:split])
    first.save(tmp_path)
    second = engine()
    assert second.load(tmp_path)
    alerts += second.process(events[split:])
    assert [(a.id, a.title) for a in alerts] == [(a.id, a.title) for a in whole]
