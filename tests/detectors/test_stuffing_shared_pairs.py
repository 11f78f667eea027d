"""credential_stuffing reads password_spray's pair table instead of keeping a swapped copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.failed_logons import CredentialStuffing, PasswordSpray
from schemas.event import Action, Event, Outcome

START = datetime(2024, 3, 1, tzinfo=UTC)


def _try(hours: float, user: str, ip: str, ok: bool = False) -> Event:
    return Event(
        time=START + timedelta(hours=hours),
        tenant="t",
        source_format="x",
        action=Action.LOGON if ok else Action.LOGON_FAILED,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        user=user,
        src_ip=ip,
        reason="" if ok else "bad_password",
    )


def _batches() -> list[list[Event]]:
    """Alice signs in from home for days; then a botnet tries her from a new address every
    couple of hours (some addresses twice, days apart), and one of them gets in."""
    normal = [_try(24.0 * d + 9, "alice", "203.0.113.7", ok=True) for d in range(10)]
    normal += [_try(24.0 * d + 10, "bob", "198.51.100.9", ok=True) for d in range(10)]
    attack = [_try(240 + 2.0 * h, "alice", f"185.220.{h % 9}.{h}") for h in range(30)]
    attack += [_try(300 + 2.0 * h, "alice", f"185.220.{h % 9}.{h}") for h in range(10)]
    attack.append(_try(330, "alice", "185.220.4.4", ok=True))
    events = sorted(normal + attack, key=lambda e: e.time)
    return [events[i : i + 7] for i in range(0, len(events), 7)]


def _run(shared: bool) -> tuple[list[tuple[list[float], list[str]]], CredentialStuffing]:
    builder = BatchBuilder()
    spray, stuffing = PasswordSpray(), CredentialStuffing()
    if shared:
        stuffing.share_state([spray, stuffing])
    out = []
    for events in _batches():
        batch = builder.build(events)
        signals = stuffing.score(batch, builder)
        spray.score(batch, builder)
        hold = np.zeros(len(batch), dtype=np.bool_)
        spray.learn(batch, hold)  # the owner learns first: the harder order for the reader
        stuffing.learn(batch, hold)
        out.append(([round(float(p), 6) for p in signals.points], list(signals.titles)))
    return out, stuffing


def test_shared_pairs_give_the_signals_of_an_own_table() -> None:
    shared, reader = _run(shared=True)
    alone, own = _run(shared=False)
    assert reader.pairs_owner_ is not None
    assert shared == alone
    # and the same learned counts (a view taken after the owner learned the batch would
    # count every repeated pair of the batch as new)
    for name, array in reader.state().items():
        np.testing.assert_array_equal(array, own.state()[name], err_msg=name)
    assert any(any("signed in from 185.220.4.4" in t for t in titles) for _, titles in shared)


def test_the_reader_keeps_no_copy_of_the_pairs() -> None:
    _, reader = _run(shared=True)
    state = reader.state()
    assert "pair_keys" not in state and "pair_last" not in state
    assert len(reader.pair_keys_) == 0
    _, alone = _run(shared=False)
    assert len(alone.state()["pair_keys"]) > 0
    # A snapshot of an unshared detector (its own copy) loads into a shared one.
    restored = CredentialStuffing()
    restored.share_state([PasswordSpray(), restored])
    restored.load_state(alone.state())
    np.testing.assert_array_equal(restored.stamp_, alone.stamp_)
