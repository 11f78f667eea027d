"""Round 18: pass-the-ticket against roaming laptops and pool addresses.

TGTs carry no address: a laptop that changes address mid-day keeps its morning TGT and asks
service tickets from the new address (a DHCP lease, the VPN pool) whose last TGT was another
machine's. The rule judges only an address its holder kept across sign-ins (its own machine).

Every test here fails on main's detector.
"""

from __future__ import annotations

import numpy as np

from detectors.kerberoasting import Kerberoasting
from schemas.event import Event
from tests.detectors.test_round17_novel import _learn, _ptt_findings, _ticket_history, ticket


def _pool_history() -> list[Event]:
    """The usual history, and a pool address (10.30.0.7) leased to bob for one session a day
    before alice's laptop moves onto it."""
    return [*_ticket_history(), ticket(14, "bob", "10.30.0.7", "krbtgt", 300),
            ticket(14, "bob", "10.30.0.7", "FS01$", 305)]  # fmt: skip


def test_a_roaming_laptop_on_a_pool_lease_is_not_pass_the_ticket() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, _pool_history())
    # alice signed in at her desk this morning; her laptop is then on the VPN pool address bob
    # held yesterday, still on her morning TGT: only service tickets from there.
    roaming = [ticket(15, "alice", "10.0.0.5", "krbtgt"),
               ticket(15, "alice", "10.30.0.7", "FS01$", 240),
               ticket(15, "alice", "10.30.0.7", "APP01$", 250)]  # fmt: skip
    assert _ptt_findings(detector, builder, roaming) == []
    # The same lease taken in the batch itself (bob's one sign-in just before): still a lease.
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    leased = [ticket(15, "bob", "10.30.0.8", "krbtgt", 60),
              ticket(15, "alice", "10.30.0.8", "FS01$", 240)]  # fmt: skip
    assert _ptt_findings(detector, builder, leased) == []


def test_a_holder_who_keeps_the_address_across_days_is_judged() -> None:
    detector = Kerberoasting()
    history = [*_pool_history(), ticket(15, "bob", "10.30.0.7", "krbtgt", 0)]
    builder = _learn(detector, history)
    # bob has now signed in there on two days (~19 h apart): his machine, and admin1's ticket
    # from it without a TGT is the stolen-ticket shape again ...
    assert _ptt_findings(detector, builder, [ticket(15, "admin1", "10.30.0.7", "FS01$", 60)])
    # ... while a holder for under the tenure is not judged (ptt_tenure_hours=24).
    strict = Kerberoasting(ptt_tenure_hours=24.0)
    builder = _learn(strict, history)
    assert _ptt_findings(strict, builder, [ticket(15, "admin1", "10.30.0.7", "FS01$", 60)]) == []


def test_tenures_survive_a_snapshot() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, _pool_history())
    restored = Kerberoasting()
    restored.load_state(detector.state())
    np.testing.assert_allclose(restored.holder_first_, detector.holder_first_, atol=300)
    np.testing.assert_allclose(restored.holder_last_, detector.holder_last_, atol=300)
    roaming = [ticket(15, "alice", "10.30.0.7", "FS01$", 240)]
    stolen = [ticket(15, "admin1", "10.0.0.5", "SQL01$", 600)]
    assert _ptt_findings(restored, builder, roaming) == []
    assert _ptt_findings(restored, builder, stolen) == _ptt_findings(detector, builder, stolen)
    assert _ptt_findings(restored, builder, stolen)
