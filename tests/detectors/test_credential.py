"""Behaviour of the credential-misuse detectors through the whole engine on real Event streams:
normal internet noise stays quiet, slow credential attacks alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.base import Signals
from detectors.engine import Engine
from schemas.alert import Alert
from schemas.event import Action, Event, Outcome

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)
USERS = [f"user{u:02d}" for u in range(20)]


def logon(when: datetime, user: str, ip: str, **extra: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host="bastion",
        logon_type="ssh",
        record_id=f"ok-{user}-{when.timestamp():.0f}-{ip}",
        **extra,
    )


def failure(when: datetime, user: str, ip: str, reason: str) -> Event:
    return Event(
        time=when,
        tenant="acme",
        source_format="test",
        action=Action.LOGON_FAILED,
        outcome=Outcome.FAILURE,
        user=user,
        src_ip=ip,
        dst_host="bastion",
        logon_type="ssh",
        reason=reason,
        record_id=f"fail-{user}-{when.timestamp():.0f}-{ip}",
    )


def office(days: int = 28, users: list[str] = USERS) -> list[Event]:
    """Weekday sign-ins between 09:00 and 17:00 UTC from each user's office address."""
    events = []
    for day in range(days):
        date = MONDAY + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for u, user in enumerate(users):
            for hour in (9, 11, 14, 16):
                events.append(logon(date + timedelta(hours=hour, minutes=u), user, f"10.0.1.{u}"))
    return events


def run(events: list[Event], engine: Engine | None = None) -> tuple[Engine, list[Alert]]:
    engine = engine or Engine()
    alerts: list[Alert] = []
    events = sorted(events, key=lambda e: e.time)
    for start in range(0, len(events), 500):
        alerts.extend(engine.process(events[start : start + 500]))
    return engine, alerts


def detectors_of(alert: Alert) -> set[str]:
    return {factor.detector for factor in alert.explanation} | {alert.detector}


def signals_for(engine: Engine, events: list[Event], name: str) -> Signals:
    detector = next(d for d in engine.detectors if d.name == name)
    return detector.score(engine.builder.build(events), engine.builder)


def test_internet_scanners_guessing_root_at_the_bastion_do_not_alert() -> None:
    noise = []
    start = MONDAY + timedelta(days=7)
    for s in range(40):  # 40 scanners over three weeks, each a short burst
        ip = f"198.51.{100 + s % 7}.{s + 10}"
        t = start + timedelta(hours=11 * s)
        for i in range(12):
            noise.append(failure(t + timedelta(seconds=5 * i), "root", ip, "bad_password"))
        for i, name in enumerate(("admin", "oracle", "test", "ubnt", "guest", "support")):
            noise.append(failure(t + timedelta(minutes=2, seconds=i), name, ip, "invalid_user"))
    _, alerts = run([*office(), *noise])
    assert [a.title for a in alerts if a.entity.id in {"root", "admin"}] == []
    assert [a.title for a in alerts] == []


def test_low_and_slow_spray_alerts_on_the_source_and_on_the_account_it_breaks() -> None:
    engine, quiet = run(office(days=21))
    assert quiet == []
    attacker = "203.0.113.7"
    start = MONDAY + timedelta(days=21, hours=1)
    spray = [
        failure(start + timedelta(hours=h), USERS[h % 20], attacker, "bad_password")
        for h in range(30)
    ]
    success = logon(start + timedelta(hours=31), "user05", attacker)
    _, alerts = run([*spray, success], engine)
    on_source = [a for a in alerts if a.entity.id == attacker]
    assert on_source, "the spraying source raised no alert"
    assert "password_spray" in detectors_of(on_source[-1])
    on_user = [a for a in alerts if a.entity.id == "user05"]
    assert on_user, "the success after the spray raised no alert"
    assert "success_after_spray" in detectors_of(on_user[-1])
    assert on_user[-1].severity in {"medium", "high", "critical"}


def test_stolen_credentials_at_night_from_a_new_network_alert() -> None:
    engine, quiet = run(office(days=28))
    assert quiet == []
    sunday_3am = MONDAY + timedelta(days=34, hours=3, minutes=12)
    assert sunday_3am.weekday() == 6
    _, alerts = run([logon(sunday_3am, "user03", "185.220.101.4")], engine)
    assert len(alerts) == 1
    assert alerts[0].entity.id == "user03"
    assert {"rare_source_network", "rare_time_of_week"} <= detectors_of(alerts[0])
    assert alerts[0].score >= 40


def test_a_travellers_new_country_once_is_at_most_low() -> None:
    home = [
        Event(
            time=e.time,
            tenant=e.tenant,
            source_format=e.source_format,
            action=e.action,
            user=e.user,
            src_ip=e.src_ip,
            dst_host=e.dst_host,
            country="DE",
            record_id=e.record_id,
        )
        for e in office(days=28)
    ]
    engine, quiet = run(home)
    assert quiet == []
    tuesday_10am = MONDAY + timedelta(days=29, hours=10)
    trip = logon(tuesday_10am, "user07", "10.0.1.7", country="PT")
    country = signals_for(engine, [trip], "rare_country")
    assert len(country) == 1 and 0 < float(country.points[0]) < 40
    _, alerts = run([trip], engine)
    assert all(a.severity in {"info", "low"} for a in alerts), [a.title for a in alerts]


def test_dormant_account_coming_back_is_a_signal() -> None:
    daily = [logon(MONDAY + timedelta(days=d, hours=10), "olduser", "10.0.2.9") for d in range(30)]
    engine, _ = run([*office(days=30), *daily])
    back = logon(MONDAY + timedelta(days=90, hours=10), "olduser", "10.0.2.9")
    signals = signals_for(engine, [back], "dormant_account")
    assert len(signals) == 1
    assert signals.titles[0].startswith("olduser")
    assert "61 days" in signals.titles[0]
    assert 0 < float(signals.points[0]) <= 100
    next_day = logon(back.time + timedelta(days=1), "olduser", "10.0.2.9")
    _, _ = run([back], engine)
    assert len(signals_for(engine, [next_day], "dormant_account")) == 0


def test_disabled_account_used_again_is_a_signal_whatever_the_gap() -> None:
    """Two days of work, disabled, used again ten days later: far below the 30-day silence
    bar, but the organisation declared the account dormant by disabling it."""
    work = [
        logon(MONDAY + timedelta(days=d, hours=h), "ext-contractor", "10.0.2.9")
        for d in range(2)
        for h in (9, 11, 14, 16)
    ]
    disable = Event(
        time=MONDAY + timedelta(days=2, hours=9),
        tenant="acme",
        source_format="test",
        action=Action.ACCOUNT_CHANGE,
        user="admin1",
        target_user="ext-contractor",
        object="disabled",
        record_id="disable-1",
    )
    engine, _ = run([*office(days=12), *work, disable])
    back = logon(MONDAY + timedelta(days=12, hours=10), "ext-contractor", "10.0.2.9")
    signals = signals_for(engine, [back], "dormant_account")
    assert len(signals) == 1
    assert "disabled on 2024-03-06" in signals.titles[0], signals.titles[0]
    assert float(signals.points[0]) == 65.0
    # Only its first use since the disable is news; a user never disabled is not flagged.
    run([back], engine)
    again = logon(back.time + timedelta(hours=2), "ext-contractor", "10.0.2.9")
    assert len(signals_for(engine, [again], "dormant_account")) == 0
    other = logon(back.time, "user01", "10.0.1.1")
    assert len(signals_for(engine, [other], "dormant_account")) == 0
    # Disable and comeback in one batch give the same as one by one.
    fresh, _ = run([*office(days=12), *work])
    both = signals_for(fresh, [disable, back], "dormant_account")
    assert len(both) == 1 and float(both.points[0]) == 65.0


def _flagged_network_events(events: list[Event]) -> int:
    """Events rare_source_network flags when the stream is scored and learned one by one."""
    from detectors.batch import BatchBuilder
    from detectors.rare_source import RareSourceNetwork

    builder, detector, flagged = BatchBuilder(), RareSourceNetwork(), 0
    for event in sorted(events, key=lambda e: e.time):
        batch = builder.build([event])
        flagged += len(detector.score(batch, builder))
        detector.learn(batch, held_back=np.zeros(1, dtype=np.bool_))
    return flagged


def test_a_new_home_network_at_usual_hours_is_released_but_a_night_one_stays_flagged() -> None:
    history = office(days=14, users=["alice"])
    later = [MONDAY + timedelta(days=day) for day in range(14, 28) if day % 7 < 5]
    # From day 14 alice works from a new home network, at her usual office hours, every day.
    home = [logon(day + timedelta(hours=10), "alice", "198.51.100.7") for day in later]
    # An attacker uses her password from another network, at 03:00, on as many days.
    night = [logon(day + timedelta(hours=3), "alice", "203.0.113.9") for day in later]
    # Flagged on the first three days it was seen at her hours, then learned.
    assert _flagged_network_events(history + home) == 3
    assert _flagged_network_events(history + night) == len(night)
