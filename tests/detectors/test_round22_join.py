"""Round 22: a computer account used from its creator's own machine (MachineAccountQuota).

Any domain user may create ten computer accounts. Powermad / ``addcomputer.py`` create one with
a password the user chose and then authenticate as it from the user's own workstation: a TGT
for ``NAME$`` from an address where the creator has signed in for days. A machine joined to the
domain, by IT or by its user, gets its TGTs from its own address. The tests that expect a
finding fail on main (3225c5b): the rule is new.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.kerberoasting import Kerberoasting
from schemas.event import Action, Event, Outcome
from tests.detectors.test_round17_novel import START, _learn, _ticket_history


def _created(day: int, creator: str, machine: str, minute: int = 0) -> Event:
    return Event(time=START + timedelta(days=day, minutes=minute), tenant="acme",
                 source_format="helk", action=Action.ACCOUNT_CHANGE, outcome=Outcome.SUCCESS,
                 user=creator, device=machine, object="computer_created",
                 dst_host="dc01")  # fmt: skip


def _machine_tgt(day: int, machine: str, ip: str, minute: int = 0) -> Event:
    return Event(time=START + timedelta(days=day, minutes=minute), tenant="acme",
                 source_format="helk", action=Action.AUTH_TICKET, src_host=machine, src_ip=ip,
                 dst_host="dc01", object="krbtgt", auth_protocol="kerberos",
                 logon_type="2")  # fmt: skip


def _findings(detector: Kerberoasting, builder: BatchBuilder, events: list[Event]) -> list[str]:
    signals = detector.score(builder.build(events), builder)
    return [t for t in signals.titles if "MachineAccountQuota" in t]


def test_a_new_computer_account_signing_in_from_its_creators_desk_is_a_finding() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), _created(14, "alice", "win-e7431")])
    signals = detector.score(builder.build([_machine_tgt(14, "win-e7431", "10.0.0.5", 20)]),
                             builder)  # fmt: skip
    (index,) = [i for i, t in enumerate(signals.titles) if "MachineAccountQuota" in t]
    assert float(signals.points[index]) == 65.0
    assert builder.vocab["user"].value(int(signals.entity[index])) == "alice"
    assert "alice created 20 min earlier" in signals.titles[index]
    # The creation and the TGT in one batch: the same finding.
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    both = [_created(14, "alice", "win-e7431"), _machine_tgt(14, "win-e7431", "10.0.0.5", 20)]
    assert len(_findings(detector, builder, both)) == 1
    # ... and after a snapshot.
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), _created(14, "alice", "win-e7431")])
    restored = Kerberoasting()
    restored.load_state(detector.state())
    assert _findings(restored, builder, [_machine_tgt(14, "win-e7431", "10.0.0.5", 20)])


def test_ordinary_joins_stay_quiet() -> None:
    # A machine signing in from its own address (a new laptop, a new server).
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), _created(14, "alice", "lon-ws99")])
    assert _findings(detector, builder, [_machine_tgt(14, "lon-ws99", "10.0.7.7", 30)]) == []
    # IT re-images alice's desk under a new name (same address): created by admin1, not by
    # the address's holder.
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), _created(14, "admin1", "lon-ws98")])
    assert _findings(detector, builder, [_machine_tgt(14, "lon-ws98", "10.0.0.5", 30)]) == []
    # The desk's own machine account, and a creation older than join_hours.
    detector = Kerberoasting(join_hours=24.0)
    builder = _learn(detector, [*_ticket_history(), _created(12, "alice", "win-e7431")])
    tgts = [_machine_tgt(14, "lon-ws01", "10.0.0.5"), _machine_tgt(14, "win-e7431", "10.0.0.5")]
    assert _findings(detector, builder, tgts) == []
    assert len(detector.joined_device_) == 0  # expired at learn
    assert np.array_equal(detector.joined_by_, np.empty(0, dtype=np.int32))
