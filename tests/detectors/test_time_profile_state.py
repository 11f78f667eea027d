"""The time-of-week profiles are kept sparse; a snapshot of the older dense layout still loads
into the same state."""

from __future__ import annotations

import numpy as np

from detectors.batch import BatchBuilder
from detectors.time_profile import BINS, RareTimeOfWeek
from tests.detectors.cases import rare_time_of_week as case


def trained() -> RareTimeOfWeek:
    builder, detector = BatchBuilder(), RareTimeOfWeek(**case.PARAMS)
    history = case.history(days=21)
    for start in range(0, len(history), 500):
        batch = builder.build(history[start : start + 500])
        detector.score(batch, builder)
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    return detector


def test_dense_snapshot_loads_into_the_same_sparse_state() -> None:
    detector = trained()
    state = detector.state()
    users = len(state["profile_lengths"])
    dense = detector.profile_.rows(np.arange(users, dtype=np.int64)).astype(np.float32)
    assert dense.shape == (users, BINS) and dense.any()
    legacy = {k: v for k, v in state.items() if not k.startswith("profile_")}
    legacy["profile"] = dense
    restored = RareTimeOfWeek(**case.PARAMS)
    restored.load_state(legacy)
    for key, value in state.items():
        np.testing.assert_array_equal(restored.state()[key], value, err_msg=key)


def test_sparse_profiles_hold_only_non_zero_hours() -> None:
    detector = trained()
    profile = detector.profile_
    assert len(profile.values) == int(profile.lengths.sum()) < len(profile) * BINS
    assert (profile.values != 0).all()
