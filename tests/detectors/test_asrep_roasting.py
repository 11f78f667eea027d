"""AS-REP roasting (round 11): RC4 TGTs for other accounts from one user's address.

The 4768s name the roasted accounts; the finding goes to the account that usually gets its
tickets from that address. A legacy client whose own user gets RC4 TGTs is not flagged, and an
address that keeps doing it stops being news.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.kerberoasting import Kerberoasting
from schemas.event import Action, Event

START = datetime(2024, 3, 4, 8, tzinfo=UTC)
ADDRESSES = {"alice": "10.10.1.21", "bob": "10.10.1.22", "carol": "10.10.1.23"}


def ticket(
    day: float, user: str, ip: str, *, service: str, protocol: str = "kerberos", pre_auth: str = ""
) -> Event:
    return Event(
        time=START + timedelta(days=day),
        tenant="t",
        source_format="helk",
        action=Action.AUTH_TICKET,
        user=user,
        src_ip=ip,
        object=service,
        auth_protocol=protocol,
        logon_type=pre_auth,  # 4768's PreAuthType, where the source gives it
    )


def trained() -> tuple[Kerberoasting, BatchBuilder]:
    """Three weeks of everyone's AES TGTs and service tickets from their own workstations."""
    history = [
        ticket(day + hour / 24, user, ip, service=service)
        for day in range(21)
        for hour, service in ((0, "krbtgt"), (1, "FS01$"), (2, "APP01$"))
        for user, ip in ADDRESSES.items()
    ]
    builder, detector = BatchBuilder(), Kerberoasting(learning_days=7, min_events=10)
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return detector, builder


def roast(
    day: float,
    ip: str,
    accounts: tuple[str, ...],
    protocol: str = "kerberos_rc4",
    pre_auth: str = "",
) -> list[Event]:
    return [
        ticket(
            day + k / 86_400, account, ip, service="krbtgt", protocol=protocol, pre_auth=pre_auth
        )
        for k, account in enumerate(accounts)
    ]


def test_rc4_tgts_for_other_accounts_are_a_finding_on_the_address_user() -> None:
    detector, builder = trained()
    signals = detector.score(
        builder.build(roast(22, ADDRESSES["bob"], ("svc_sql", "carol"))), builder
    )
    assert len(signals) == 1
    assert builder.vocab["user"].value(int(signals.entity[0])) == "bob"
    assert float(signals.points[0]) >= 40  # two accounts: over the alert bar on its own
    assert "AS-REP" in signals.titles[0]
    assert signals.techniques(0) == ("T1558.004",)


def test_a_legacy_client_getting_its_own_rc4_tgt_is_quiet_and_repeats_fade() -> None:
    detector, builder = trained()
    own = builder.build(roast(22, ADDRESSES["alice"], ("alice",)))
    assert len(detector.score(own, builder)) == 0
    first = builder.build(roast(22, ADDRESSES["carol"], ("svc_sql", "svc_web")))
    before = float(detector.score(first, builder).points[0])
    detector.learn(first, held_back=np.zeros(len(first), dtype=bool))
    again = builder.build(roast(23, ADDRESSES["carol"], ("svc_sql", "svc_web")))
    after = detector.score(again, builder)
    assert len(after) == 0 or float(after.points[0]) <= before / 2


def test_the_address_map_survives_a_snapshot() -> None:
    detector, builder = trained()
    restored = Kerberoasting(learning_days=7, min_events=10)
    restored.load_state(detector.state())
    signals = restored.score(
        builder.build(roast(22, ADDRESSES["bob"], ("svc_sql", "carol"))), builder
    )
    assert [builder.vocab["user"].value(int(e)) for e in signals.entity] == ["bob"]


def test_tgts_without_pre_authentication_are_the_evidence_in_any_cipher() -> None:
    """Where the source gives 4768's PreAuthType, 0 (no pre-authentication) is what roasting
    needs, in RC4 or AES (Rubeus /aes); RC4 TGTs with pre-authentication (2: a legacy client,
    or Rubeus asktgt with a hash) are not AS-REP roasting."""
    detector, builder = trained()
    for protocol in ("kerberos_rc4", "kerberos"):
        batch = builder.build(
            roast(22, ADDRESSES["bob"], ("svc_sql", "carol"), protocol=protocol, pre_auth="0")
        )
        signals = detector.score(batch, builder)
        assert [builder.vocab["user"].value(int(e)) for e in signals.entity] == ["bob"], protocol
        assert float(signals.points[0]) >= 40
        assert "TGTs without pre-authentication" in signals.titles[0]
        assert signals.observed[0] == (
            f"TGTs without pre-authentication for other accounts from {ADDRESSES['bob']}"
        )
        assert ADDRESSES["bob"] in signals.baseline[0]
    legacy = builder.build(roast(22, ADDRESSES["bob"], ("svc_sql", "carol"), pre_auth="2"))
    assert len(detector.score(legacy, builder)) == 0


def test_the_rc4_reading_is_only_the_fallback_per_row() -> None:
    """A batch mixing a source that gives PreAuthType with one that does not: each row is read
    by what it carries."""
    detector, builder = trained()
    rows = roast(22, ADDRESSES["bob"], ("svc_sql", "carol"), pre_auth="2")
    rows += roast(22.1, ADDRESSES["carol"], ("svc_web", "alice"))  # no pre-auth type given
    signals = detector.score(builder.build(rows), builder)
    assert [builder.vocab["user"].value(int(e)) for e in signals.entity] == ["carol"]
    assert "RC4 TGTs" in signals.titles[0]


def test_three_accounts_roasted_at_once_are_high() -> None:
    """Round 15: TGTs without pre-authentication for three other accounts in one burst from a
    user's workstation are a roasting tool at work, high on their own (main: 60, medium)."""
    detector, builder = trained()
    burst = roast(22, ADDRESSES["bob"], ("svc_sql", "carol", "alice"), pre_auth="0")
    signals = detector.score(builder.build(burst), builder)
    assert len(signals) == 1
    assert float(signals.points[0]) >= 65.0
