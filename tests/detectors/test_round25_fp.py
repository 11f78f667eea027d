"""Round 25 (fp25): false pages on normal administration, each rule with its controls."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from detectors.account_lifecycle import AccountLifecycle
from detectors.batch import BatchBuilder
from schemas.event import Action, Event
from tests.detectors.test_privilege import event, scored, trained


def _install(history: list[Event], host: str, event_id: str, seconds: float = 0.0) -> Event:
    """``user4`` (no service install in its history) installs service ``AgentSvc`` on
    ``host`` ``seconds`` after an hour past the history, reported as ``event_id``."""
    base = event(history, "user4", Action.REMOTE_EXEC, dst_host=host, object="AgentSvc")
    return Event(
        time=base.time + timedelta(seconds=seconds),
        tenant=base.tenant,
        source_format="test",
        action=Action.REMOTE_EXEC,
        user="user4",
        dst_host=host,
        object="AgentSvc",
        app="C:\\Program Files\\Agent\\agentsvc.exe",
        event_id=event_id,
    )


def _learn(detector: AccountLifecycle, builder: BatchBuilder, events: list[Event]) -> None:
    batch = builder.build(events)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))


def test_one_install_reported_by_7045_and_4697_is_one_finding() -> None:
    # The System log's 7045 and the Security log's 4697 of one install, a second apart: one
    # action, not two findings that add up in the risk layer (main scores both).
    detector = AccountLifecycle()
    builder, history = trained(detector)
    signals = scored(
        detector,
        builder,
        [_install(history, "srv1", "7045"), _install(history, "srv1", "4697", seconds=1.0)],
    )
    assert len(signals) == 1, signals.titles
    assert "(7045)" in signals.titles[0]


def test_the_second_report_in_the_next_batch_is_recognised() -> None:
    # The two reports split over two batches (and a snapshot in between): the first report's
    # time is kept per (host, service).
    detector = AccountLifecycle()
    builder, history = trained(detector)
    first = _install(history, "srv1", "7045")
    assert len(scored(detector, builder, [first])) == 1
    _learn(detector, builder, [first])
    restored = AccountLifecycle()
    restored.load_state(detector.state())
    second = _install(history, "srv1", "4697", seconds=1.0)
    assert len(scored(restored, builder, [second])) == 0
    assert len(scored(AccountLifecycle(), builder, [second])) == 1  # (state is what knew it)


def test_other_hosts_and_later_installs_are_scored() -> None:
    # Controls: the same service on a second host within the minute is a second install (a
    # fan-out), and the same host two hours later is a new install.
    detector = AccountLifecycle()
    builder, history = trained(detector)
    signals = scored(
        detector,
        builder,
        [_install(history, "srv1", "7045"), _install(history, "srv2", "7045", seconds=5.0)],
    )
    assert len(signals) == 2, signals.titles
    first = _install(history, "srv1", "7045")
    _learn(detector, builder, [first])
    later = _install(history, "srv1", "4697", seconds=7200.0)
    assert len(scored(detector, builder, [later])) == 1
