"""Round 26 (novel26): an account's authentication weakened (4738 turning on "do not require
Kerberos pre-authentication" and the like: ``account_control``), and a computer account's TGT
asked from another machine's settled desk address (``machine_desk``). Every test here fails on
main (2766cf2: the parser keeps no flag of a 4738, and neither detector exists); the ones named
``..._not_...`` guard what is not judged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.account_control import AccountControl
from detectors.batch import BatchBuilder
from detectors.machine_desk import MachineDesk
from detectors.registry import build
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.windows import HelkParser

START = datetime(2024, 3, 4, 8, tzinfo=UTC)


def _helk_4738(flags: str) -> dict[str, object]:
    return {
        "EventID": 4738, "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security", "Hostname": "DC01.acme.local", "RecordNumber": 7,
        "@timestamp": "2024-03-04T19:12:00.000Z", "TargetUserName": "aturner",
        "TargetDomainName": "ACME", "TargetSid": "S-1-5-21-1-2-3-1107",
        "SubjectUserSid": "S-1-5-21-1-2-3-1188", "SubjectUserName": "jsmith",
        "SubjectDomainName": "ACME", "SubjectLogonId": "0x3e8a1", "OldUacValue": "0x10",
        "NewUacValue": "0x10010", "UserAccountControl": flags,
    }  # fmt: skip


def test_the_parser_keeps_the_weakening_flag_a_4738_turned_on() -> None:
    context = ParseContext(tenant="acme")
    (on,) = HelkParser().parse(_helk_4738("\r\n\t\t%%2096"), context)
    assert (on.action, on.user, on.target_user, on.object) == (
        Action.ACCOUNT_CHANGE, "jsmith", "aturner", "changed")  # fmt: skip
    assert on.reason == "dont_require_preauth"
    rendered = "\r\n\t\t'Don't Require Preauth' - Enabled\r\n\t\t'Use DES Key Only' - Enabled"
    (text,) = HelkParser().parse(_helk_4738(rendered), context)
    assert text.reason == "des_only,dont_require_preauth"
    # turned off, or a routine flag ("password never expires"): nothing kept
    for flags in ("\r\n\t\t%%2064", "\r\n\t\t%%2089", "-"):
        (off,) = HelkParser().parse(_helk_4738(flags), context)
        assert off.reason == "", flags


def _change(user: str, target: str, reason: str, day: int = 0) -> Event:
    return Event(
        time=START + timedelta(days=day), tenant="acme", source_format="helk",
        action=Action.ACCOUNT_CHANGE, user=user, target_user=target, object="changed",
        reason=reason, dst_host="dc01",
    )  # fmt: skip


def test_turning_off_pre_authentication_on_someone_elses_account_is_high_alone() -> None:
    assert [d.name for d in build(["account_control"])] == ["account_control"]
    builder, detector = BatchBuilder(), AccountControl()
    signals = detector.score(
        builder.build([_change("jsmith", "aturner", "dont_require_preauth")]), builder
    )
    assert [round(float(p)) for p in signals.points] == [70]  # >= 65: high, a page alone
    assert signals.titles[0].startswith(
        "jsmith turned on 'do not require Kerberos pre-authentication' on aturner's account"
    )


def test_an_account_change_that_weakens_nothing_is_not_judged_and_history_discounts() -> None:
    builder, detector = BatchBuilder(), AccountControl()
    plain = builder.build([_change("jsmith", "aturner", ""), _change("hd1", "bob", "x")])
    assert len(detector.score(plain, builder)) == 0
    # an administrator who keeps a legacy client working: the second time counts half
    first = builder.build([_change("admin1", "svc_unix", "dont_require_preauth", 0)])
    detector.learn(first, np.zeros(1, dtype=bool))
    again = builder.build([_change("admin1", "svc_unix2", "dont_require_preauth", 30)])
    assert [round(float(p)) for p in detector.score(again, builder).points] == [35]


def _tgt(day: int, machine: str, ip: str, minute: int = 0) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute), tenant="acme", source_format="helk",
        action=Action.AUTH_TICKET, src_host=machine, src_ip=ip, object="krbtgt",
        dst_host="dc01",
    )  # fmt: skip


def _learned(events: list[Event]) -> tuple[BatchBuilder, MachineDesk]:
    builder, detector = BatchBuilder(), MachineDesk()
    batch = builder.build(events)
    detector.score(batch, builder)
    detector.learn(batch, np.zeros(len(batch), dtype=bool))
    return builder, detector


def test_a_computer_accounts_tgt_from_another_machines_desk_is_flagged() -> None:
    desk = [_tgt(d, "wks5", "10.1.0.5") for d in range(6)]
    builder, detector = _learned(desk)
    signals = detector.score(builder.build([_tgt(6, "kiosk07", "10.1.0.5", 700)]), builder)
    assert [round(float(p)) for p in signals.points] == [50]
    assert signals.entity_kind == "host"
    assert signals.titles[0].startswith(
        "computer account kiosk07 got a Kerberos ticket (TGT) from 10.1.0.5, wks5's address "
        "(normal: the address named only wks5, on 6 days)"
    )
    # in one batch, as one by one
    builder2, detector2 = BatchBuilder(), MachineDesk()
    batch = builder2.build([*desk, _tgt(6, "kiosk07", "10.1.0.5", 700)])
    assert detector2.score(batch, builder2).rows.tolist() == [6]


def test_a_pool_address_a_young_desk_and_a_renamed_machine_are_not_asked_again() -> None:
    # a VPN address: one laptop, then another, then the first again (never settled)
    pool = [_tgt(d, ("lap1", "lap2")[d % 2], "10.30.0.9") for d in range(8)]
    builder, detector = _learned(pool)
    assert len(detector.score(builder.build([_tgt(8, "lap3", "10.30.0.9")]), builder)) == 0
    # a desk seen on two days only
    builder, detector = _learned([_tgt(d, "wks6", "10.1.0.6") for d in range(2)])
    assert len(detector.score(builder.build([_tgt(4, "wks9", "10.1.0.6")]), builder)) == 0
    # a machine renamed keeping its address: asked once, then the address is the new name's
    desk = [_tgt(d, "wks7", "10.1.0.7") for d in range(5)]
    renamed = [_tgt(d, "fin-wks7", "10.1.0.7") for d in range(5, 9)]
    builder, detector = BatchBuilder(), MachineDesk()
    batch = builder.build([*desk, *renamed])
    assert detector.score(batch, builder).rows.tolist() == [5]
