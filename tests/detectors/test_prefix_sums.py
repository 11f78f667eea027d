"""Grouped prefix sums stay exact per group whatever the other groups of the batch weigh."""

from __future__ import annotations

import numpy as np

from detectors.base import group_cumsum_before
from detectors.lateral import decayed_sum_before


def test_small_group_after_a_huge_one_keeps_its_counts() -> None:
    # Decay weights exp((t - t0) / tau) of a batch spanning 60 decay constants: one running sum
    # over both groups left the small group nothing but rounding (0.0 for every row).
    huge = np.exp(60.0)
    for keys in (np.array([1, 1, 1, 2, 2, 2]), np.array([2, 2, 2, 1, 1, 1])):
        values = np.array([huge, huge, huge, 1.0, 1.0, 1.0])
        scale = np.array([huge, huge, huge, 1.0, 1.0, 1.0])
        assert (group_cumsum_before(keys, values) / scale).tolist() == [0, 1, 2, 0, 1, 2]


def test_interleaved_groups_match_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 30, 2000)
    values = np.exp(rng.uniform(0, 80, 2000))  # far past one running sum's range
    expected = np.zeros(len(keys))
    running: dict[int, float] = {}
    for i, key in enumerate(keys.tolist()):
        expected[i] = running.get(key, 0.0)
        running[key] = expected[i] + float(values[i])
    assert np.allclose(group_cumsum_before(keys, values), expected, rtol=1e-12, atol=0)


def test_decayed_sum_over_many_half_lives() -> None:
    # lateral's decayed sums: a pair seen twice at the batch's start, and one at its end 200
    # half-lives later; each still counts its own earlier rows.
    keys = np.array([1, 1, 2, 2], dtype=np.int64)
    times = np.array([0.0, 1.0, 200.0, 200.0])
    result = decayed_sum_before(keys, times, np.ones(4), half_life=1.0)
    assert np.allclose(result, [0.0, 0.5, 0.0, 1.0])
