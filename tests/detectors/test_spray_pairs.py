"""``merge_pair_times`` (the spray detectors' pair table) gives what the whole-table merge it
replaces gives, bit for bit, over a sequence of batches with its carried lower bound."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.failed_logons import merge_pair_times


def whole_table_merge(
    keys: np.ndarray, last: np.ndarray, unique: np.ndarray, latest: np.ndarray, cutoff: float
) -> tuple[np.ndarray, np.ndarray]:
    """The formula before: update a copy, insert the new pairs, keep those not before cutoff."""
    stored_last = last.copy()
    at = np.searchsorted(keys, unique)
    known = at < len(keys)
    known[known] = keys[at[known]] == unique[known]
    stored_last[at[known]] = np.maximum(stored_last[at[known]], latest[known])
    keys = np.insert(keys, at[~known], unique[~known])
    stored_last = np.insert(stored_last, at[~known], latest[~known])
    fresh = stored_last >= cutoff
    return keys[fresh], stored_last[fresh]


batch = st.dictionaries(
    st.integers(min_value=0, max_value=40),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(st.tuples(batch, st.floats(min_value=-10, max_value=110)), max_size=8))
def test_merge_is_the_whole_table_merge(batches: list[tuple[dict[int, float], float]]) -> None:
    keys, last = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    expected_keys, expected_last = keys, last
    oldest = -np.inf
    for pairs, cutoff in batches:
        unique = np.array(sorted(pairs), dtype=np.int64)
        latest = np.array([pairs[k] for k in sorted(pairs)], dtype=np.float64)
        keys, last, oldest = merge_pair_times(keys, last, unique, latest, cutoff, oldest)
        expected_keys, expected_last = whole_table_merge(
            expected_keys, expected_last, unique, latest, cutoff
        )
        np.testing.assert_array_equal(keys, expected_keys)
        np.testing.assert_array_equal(last, expected_last)
        assert keys.dtype == expected_keys.dtype and last.dtype == expected_last.dtype
        assert not len(last) or oldest <= last.min()


def test_inputs_are_not_changed() -> None:
    keys, last = np.array([2, 5, 9]), np.array([1.0, 2.0, 3.0])
    merge_pair_times(keys, last, np.array([5, 7]), np.array([8.0, 9.0]), 0.0, 1.0)
    assert keys.tolist() == [2, 5, 9] and last.tolist() == [1.0, 2.0, 3.0]
