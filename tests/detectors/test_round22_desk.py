"""Round 22: an account signed in at two machines at once (a password used from a second desk).

A stolen password typed at a colleague's workstation gets the account a TGT from that
workstation's address while the owner of the password is signed in at their own. The
``kerberoasting`` holder table already knows whose machine each address is (the account that
keeps getting its TGTs there); the rule reads it both ways: the address is another account's
own, and the account holds an address of its own where it got a TGT within ``desk_hours``.

The first test and the batch test fail on main (3225c5b): the rule is new.
"""

from __future__ import annotations

import numpy as np

from detectors.batch import BatchBuilder
from detectors.kerberoasting import Kerberoasting
from schemas.event import Event
from tests.detectors.test_round17_novel import _learn, _ticket_history, ticket


def _desk_findings(
    detector: Kerberoasting, builder: BatchBuilder, events: list[Event]
) -> list[str]:
    signals = detector.score(builder.build(events), builder)
    return [t for t in signals.titles if "two machines at once" in t]


def _morning(day: int) -> list[Event]:
    """Both sign in at their own desks on ``day``."""
    return [ticket(day, "alice", "10.0.0.5", "krbtgt"), ticket(day, "admin1", "10.0.0.9", "krbtgt")]


def test_a_tgt_at_a_colleagues_desk_while_signed_in_at_ones_own_is_a_finding() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), *_morning(14)])
    used = [ticket(14, "alice", "10.0.0.9", "krbtgt", 180),
            ticket(14, "alice", "10.0.0.9", "FS01$", 185)]  # fmt: skip
    signals = detector.score(builder.build(used), builder)
    (index,) = [i for i, t in enumerate(signals.titles) if "two machines at once" in t]
    assert float(signals.points[index]) == 65.0
    assert "admin1's machine" in signals.titles[index]
    assert "10.0.0.5" in signals.titles[index]  # where alice is signed in
    assert signals.row_mitre[index] == ("T1078", "T1550.002")


def test_the_same_in_one_batch_as_one_by_one() -> None:
    """Both mornings and the second desk's TGT in one batch: the same finding."""
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    day = [*_morning(14), ticket(14, "alice", "10.0.0.9", "krbtgt", 180)]
    assert len(_desk_findings(detector, builder, day)) == 1


def test_controls_stay_quiet() -> None:
    # Signed in nowhere else today (the last TGT at her own desk a day old): she sits at the
    # colleague's desk, the ordinary way to use another machine.
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    visit = [ticket(14, "alice", "10.0.0.9", "krbtgt", 600)]
    assert _desk_findings(detector, builder, visit) == []
    # An address nobody keeps (a pool lease held by bob for one session) is nobody's desk.
    detector = Kerberoasting()
    history = [*_ticket_history(), *_morning(14), ticket(14, "bob", "10.30.0.7", "krbtgt", 60)]
    builder = _learn(detector, history)
    assert (
        _desk_findings(detector, builder, [ticket(14, "alice", "10.30.0.7", "krbtgt", 180)]) == []
    )
    # Her own desk, and a desk where she got tickets before: nothing new.
    detector = Kerberoasting()
    history = [*_ticket_history(), *_morning(14), ticket(3, "alice", "10.0.0.9", "FS01$", 300)]
    builder = _learn(detector, history)
    again = [ticket(14, "alice", "10.0.0.5", "krbtgt", 180),
             ticket(14, "alice", "10.0.0.9", "krbtgt", 200)]  # fmt: skip
    assert _desk_findings(detector, builder, again) == []
    # Switched off.
    detector = Kerberoasting(desk_points=0.0)
    builder = _learn(detector, [*_ticket_history(), *_morning(14)])
    assert _desk_findings(detector, builder, [ticket(14, "alice", "10.0.0.9", "krbtgt", 180)]) == []


def test_findings_survive_a_snapshot() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, [*_ticket_history(), *_morning(14)])
    restored = Kerberoasting()
    restored.load_state(detector.state())
    used = [ticket(14, "alice", "10.0.0.9", "krbtgt", 180)]
    assert _desk_findings(restored, builder, used) == _desk_findings(detector, builder, used)
    assert np.array_equal(restored.holder_user_, detector.holder_user_)


def test_an_account_that_signs_in_at_other_peoples_desks_has_the_habit() -> None:
    """A help-desk technician's rounds: alice got tickets at bob's kept desk before (day 5),
    so her TGT at admin1's desk while signed in at her own is half the points (65 / 2), under
    the alert bar alone; a first visit keeps the full 65 (the first test). Fails on 1dacaf2:
    no habit there."""
    history = _ticket_history()
    for day in range(14):
        history.append(ticket(day, "bob", "10.0.0.7", "krbtgt", 1))
    history += [ticket(5, "alice", "10.0.0.5", "krbtgt", 100),
                ticket(5, "alice", "10.0.0.7", "krbtgt", 180)]  # fmt: skip
    detector = Kerberoasting()
    builder = _learn(detector, [*history, *_morning(14)])
    signals = detector.score(
        builder.build([ticket(14, "alice", "10.0.0.9", "krbtgt", 180)]), builder
    )
    (index,) = [i for i, t in enumerate(signals.titles) if "two machines at once" in t]
    assert float(signals.points[index]) == 32.5
    assert "tickets at 1 other people's desk(s) before" in signals.baseline[index]
