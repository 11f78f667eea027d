"""Detector fixes found by the threat-list attacks (benchmarks/scenario/threats.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np

from detectors._decay import counts_before
from detectors.account_lifecycle import AccountLifecycle
from detectors.batch import BatchBuilder
from detectors.failed_logons import FailedLogonsUser
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event, Outcome
from schemas.parsers.base import ParseContext
from schemas.parsers.windows import HelkParser

START = datetime(2024, 5, 1, tzinfo=UTC)


def test_decayed_counts_keep_their_precision_in_a_long_batch() -> None:
    # Key 0 is busy late in a batch spanning 60 decay constants; key 1 has a burst early on.
    # One prefix sum over both keys (weights up to e^60) used to swallow key 1's counts.
    late = np.linspace(55.0, 60.0, 50)
    early = 10.0 + np.arange(5) * 0.01
    time = np.concatenate([early, late])
    keys = np.concatenate([np.ones(5), np.zeros(50)]).astype(np.int32)
    order = np.argsort(time, kind="stable")
    time, keys = time[order], keys[order]
    n = len(time)
    before = counts_before(np.zeros(n), np.full(n, np.nan), keys, time, np.ones(n, bool), 1.0)
    burst = before[keys == 1]
    assert burst[-1] > 3.9  # four earlier failures, a few hundredths of a decay constant ago


def _fail(at: timedelta, user: str) -> Event:
    return Event(
        time=START + at,
        tenant="t",
        source_format="helk",
        action=Action.LOGON_FAILED,
        outcome=Outcome.FAILURE,
        user=user,
        src_ip="10.10.3.15",
        reason="0xc000006d/0xc000006a",
    )


def test_brute_force_is_seen_in_a_batch_spanning_days() -> None:
    # A wordlist against one admin on day 1 evening, in a batch that runs to day 3 with
    # another account's failures at the end (a replayed day file is such a batch); that account
    # comes first in the vocabulary, so its prefix sums come first too.
    works = [
        Event(
            time=START + timedelta(hours=h),
            tenant="t",
            source_format="helk",
            action=Action.LOGON,
            user=user,
            src_ip="10.10.1.5",
        )
        for h, user in ((1, "bob"), (2, "llarsen"))
    ]
    guesses = [_fail(timedelta(hours=17, seconds=5 * i), "llarsen") for i in range(60)]
    later = [_fail(timedelta(hours=66, minutes=i), "bob") for i in range(3)]
    builder, detector = BatchBuilder(), FailedLogonsUser()
    signals = detector.score(builder.build([*works, *guesses, *later]), builder)
    flagged = {builder.vocab["user"].value(int(e)) for e in signals.entity}
    assert "llarsen" in flagged


def test_a_success_right_after_a_burst_from_the_same_source_is_flagged() -> None:
    works = Event(time=START, tenant="t", source_format="helk", action=Action.LOGON, user="llarsen")
    guesses = [_fail(timedelta(hours=17, seconds=5 * i), "llarsen") for i in range(30)]
    success = Event(
        time=START + timedelta(hours=17, minutes=3),
        tenant="t",
        source_format="helk",
        action=Action.LOGON,
        user="llarsen",
        src_ip="10.10.3.15",
        record_id="in",
    )
    elsewhere = Event(
        time=START + timedelta(hours=17, minutes=4),
        tenant="t",
        source_format="helk",
        action=Action.LOGON,
        user="llarsen",
        src_ip="10.10.1.5",
        record_id="own desk",
    )
    events = [works, *guesses, success, elsewhere]
    builder, detector = BatchBuilder(), FailedLogonsUser()
    signals = detector.score(builder.build(events), builder)
    after = {
        events[int(r)].record_id: float(p)
        for r, p in zip(signals.rows, signals.points, strict=True)
    }
    assert after.get("in") == 40.0 and "own desk" not in after
    assert signals.techniques(list(signals.rows).index(len(events) - 2)) == ("T1110.001", "T1078")


def test_rc4_service_tickets_are_parsed_as_such() -> None:
    record = {
        "EventID": 4769,
        "Channel": "Security",
        "Hostname": "DC01.acme.local",
        "@timestamp": "2024-05-20T11:46:33.517Z",
        "TargetUserName": "jhall@ACME.LOCAL",
        "ServiceName": "svc_sql",
        "TicketEncryptionType": "0x17",
        "IpAddress": "::ffff:10.10.1.9",
        "Status": "0x0",
    }
    context = ParseContext(tenant="t")
    (rc4,) = HelkParser().parse(record, context)
    (aes,) = HelkParser().parse({**record, "TicketEncryptionType": "0x12"}, context)
    assert (rc4.auth_protocol, aes.auth_protocol) == ("kerberos_rc4", "kerberos")


def _reset_points(target: str) -> tuple[float, str]:
    """Points and title of mgarcia's first password reset of ``target``, in an org where bdavis
    uses special privileges (4672) daily and alice resets ordinary passwords."""
    events: list[Event] = []
    for day in range(14):
        at = START + timedelta(days=day, hours=9)
        for k, user in enumerate(("mgarcia", "bdavis", "alice", "carol")):
            events.append(
                Event(
                    time=at + timedelta(minutes=k),
                    tenant="t",
                    source_format="helk",
                    action=Action.LOGON,
                    user=user,
                )
            )
        events.append(
            Event(
                time=at + timedelta(minutes=5),
                tenant="t",
                source_format="helk",
                action=Action.PRIVILEGE_USE,
                user="bdavis",
                object="SeDebugPrivilege",
                privileged=True,
            )
        )
        events.append(
            Event(
                time=at + timedelta(minutes=6),
                tenant="t",
                source_format="helk",
                action=Action.ACCOUNT_CHANGE,
                user="alice",
                target_user="carol",
                object="password_reset",
            )
        )
    builder, detector = BatchBuilder(), AccountLifecycle(min_events=5)
    history = builder.build(events)
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    reset = Event(
        time=START + timedelta(days=14, hours=20),
        tenant="t",
        source_format="helk",
        action=Action.ACCOUNT_CHANGE,
        user="mgarcia",
        target_user=target,
        object="password_reset",
    )
    signals = detector.score(builder.build([reset]), builder)
    return float(signals.points[0]), signals.titles[0]


def test_a_password_reset_of_an_account_seen_acting_as_admin_weighs_as_privileged() -> None:
    admin_points, admin_title = _reset_points("bdavis")
    plain_points, _ = _reset_points("carol")
    assert "privileged account bdavis" in admin_title
    assert admin_points >= 40.0 > 2 * plain_points


def test_a_type_9_logon_as_another_account_is_explicit_credential_use() -> None:
    events = [
        Event(
            time=START + timedelta(days=day, hours=9, minutes=k),
            tenant="t",
            source_format="helk",
            action=Action.LOGON,
            user=user,
            logon_type="2",
        )
        for day in range(14)
        for k, user in enumerate(("pgarcia", "mgarcia", "carol"))
    ]
    builder, detector = BatchBuilder(), PrivilegedAction(min_events=5)
    history = builder.build(events)
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    pth = Event(
        time=START + timedelta(days=14, hours=11),
        tenant="t",
        source_format="helk",
        action=Action.LOGON,
        user="pgarcia",
        target_user="mgarcia",
        logon_type="9",
        src_ip="::1",
    )
    own = msgspec.structs.replace(pth, target_user="pgarcia")  # runas /netonly as oneself
    signals = detector.score(builder.build([own, pth]), builder)
    assert signals.rows.tolist() == [1] and signals.points[0] > 10.0
    assert "network-only logon" in signals.titles[0] and "as mgarcia" in signals.titles[0]
    assert signals.techniques(0) == ("T1550.002", "T1078.002")
