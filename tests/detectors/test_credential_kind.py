"""``rare_credential_kind``: an engineer's long-term key signing calls directly, where a CI user
and scripts sign with their keys every day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.rare_attributes import RareCredentialKind
from schemas.event import Action, Event

START = datetime(2024, 5, 6, 9, tzinfo=UTC)


def call(user: str, hours: float, kind: str) -> Event:
    return Event(
        time=START + timedelta(hours=hours),
        tenant="t",
        source_format="cloudtrail",
        action=Action.API_CALL,
        user=user,
        src_ip="198.51.100.7",
        app="s3.amazonaws.com",
        object="ListBuckets",
        auth_protocol=kind,
    )


def test_a_session_user_signing_with_their_key_is_flagged_whatever_peers_do() -> None:
    builder, detector = BatchBuilder(), RareCredentialKind()
    history = [
        call(user, day * 24 + hour, kind)
        for day in range(14)
        for hour in (1, 3, 5)
        for user, kind in (
            ("alice", "session_key"),
            ("svc_ci", "access_key"),
            ("ci2", "access_key"),
            ("ci3", "access_key"),
        )
    ]
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(
        builder.build(
            [call("alice", 15 * 24, "access_key"), call("svc_ci", 15 * 24, "access_key")]
        ),
        builder,
    )
    # Only alice; three CI users signing with keys do not discount her first one.
    assert [builder.vocab["user"].value(int(e)) for e in signals.entity] == ["alice"]
    assert float(signals.points[0]) >= 10.0  # 3 with the peer discount other rare_* use
    assert "access key" in signals.titles[0]
