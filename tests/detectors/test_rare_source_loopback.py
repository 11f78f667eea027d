"""rare_source_network: a first loopback sign-in is reported as what it is, not as a network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.batch import BatchBuilder
from detectors.rare_source import RareSourceNetwork
from schemas.event import Action, Event

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def _logon(day: int, ip: str) -> Event:
    return Event(
        time=START + timedelta(days=day),
        tenant="t",
        source_format="test",
        action=Action.LOGON,
        user="alice",
        src_ip=ip,
    )


def _score_after_history(ip: str) -> list[str]:
    builder, detector = BatchBuilder(), RareSourceNetwork(learning_days=7, min_events=5)
    history = builder.build([_logon(day, "10.0.0.5") for day in range(20)])
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    return detector.score(builder.build([_logon(21, ip)]), builder).titles


@pytest.mark.parametrize("loopback", ["::1", "127.0.0.1"])
def test_a_first_loopback_sign_in_names_the_machine_itself(loopback: str) -> None:
    (title,) = _score_after_history(loopback)
    assert title == (
        f"alice signed in on the machine itself (loopback {loopback}), never before for them "
        "(normal: 20 events from 1 network(s) in 21 days)"
    )
    assert "/64" not in title and "/24" not in title


def test_a_real_new_network_keeps_its_title() -> None:
    (title,) = _score_after_history("203.0.113.9")
    assert "network 203.0.113.0/24 never seen for them" in title
