"""The batch-sized helpers give what the whole-array formulas they replace give, bit for bit:
``gather`` = ``grow(...)[index]``, ``bump_counts`` = narrowed ``grow + bincount``,
``fold_extreme`` = a full-size ``minimum.at`` / ``maximum.at`` and ``fmin`` / ``fmax``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.base import bump_counts, fold_extreme, gather, grow, narrow_counts


@settings(max_examples=300, deadline=None)
@given(
    stored=st.lists(st.floats(allow_nan=False, width=32), max_size=12),
    extra=st.integers(min_value=0, max_value=6),
    picks=st.lists(st.integers(min_value=-18, max_value=17), max_size=20),
    fill=st.sampled_from([0.0, np.nan, -1.0]),
)
def test_gather_reads_what_grow_reads(
    stored: list[float], extra: int, picks: list[int], fill: float
) -> None:
    array = np.array(stored, dtype=np.float64)
    size = len(array) + extra
    index = np.array(picks, dtype=np.int64)
    grown = grow(array, size, fill)
    try:
        expected = grown[index]
    except IndexError:
        with pytest.raises(IndexError):
            gather(array, size, fill, index)
        return
    np.testing.assert_array_equal(gather(array, size, fill, index), expected)
    assert gather(array, size, fill, index).dtype == expected.dtype


def test_counts_keep_their_type() -> None:
    counts = np.array([3, 1], dtype=np.uint8)
    result = gather(counts, 4, 0, np.array([0, 3, 1]))
    assert result.tolist() == [3, 0, 1] and result.dtype == np.uint8


@settings(max_examples=300, deadline=None)
@given(
    start=st.lists(st.integers(min_value=0, max_value=70_000), max_size=10),
    extra=st.integers(min_value=0, max_value=5),
    hits=st.lists(st.integers(min_value=0, max_value=14), max_size=400),
)
def test_bump_counts_is_the_narrowed_sum(start: list[int], extra: int, hits: list[int]) -> None:
    counts = narrow_counts(np.array(start, dtype=np.int64))
    index = np.array([h for h in hits if h < len(start) + extra], dtype=np.int64)
    size = len(start) + extra
    expected = narrow_counts(
        grow(counts, size, 0).astype(np.int64) + np.bincount(index, minlength=size)
    )
    result = bump_counts(counts.copy(), size, index)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == expected.dtype


@settings(max_examples=300, deadline=None)
@given(
    stored=st.lists(
        st.floats(allow_nan=True, allow_infinity=False, width=32), min_size=1, max_size=8
    ),
    picks=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=7),
            st.floats(allow_nan=True, allow_infinity=True, width=32),
        ),
        max_size=20,
    ),
    largest=st.booleans(),
)
def test_fold_extreme_is_the_full_size_fold(
    stored: list[float], picks: list[tuple[int, float]], largest: bool
) -> None:
    array = np.array(stored, dtype=np.float64)
    index = np.array([i % len(stored) for i, _ in picks], dtype=np.int64)
    values = np.array([v for _, v in picks], dtype=np.float64)
    expected = array.copy()
    scratch = np.full(len(expected), -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(scratch, index, values)
    touched = np.isfinite(scratch)
    expected[touched] = (np.fmax if largest else np.fmin)(expected[touched], scratch[touched])
    fold_extreme(array, index, values, largest=largest)
    np.testing.assert_array_equal(array, expected)


def test_grow_extends_only_the_latest_view_and_never_what_others_read() -> None:
    first = grow(np.array([1.0, 2.0]), 3, np.nan)  # a view of a buffer with room
    second = grow(first, 5, 0.0)  # filled in place: the same buffer
    np.testing.assert_array_equal(second, [1.0, 2.0, np.nan, 0.0, 0.0])
    assert np.shares_memory(first, second)
    second[0] = 9.0
    stale = grow(first, 4, -1.0)  # ``first`` is no longer the latest view: copied
    assert not np.shares_memory(stale, second)
    np.testing.assert_array_equal(stale, [9.0, 2.0, np.nan, -1.0])
    np.testing.assert_array_equal(second, [9.0, 2.0, np.nan, 0.0, 0.0])
    window = second[1:3]  # a view that does not start where the buffer does: copied
    assert not np.shares_memory(grow(window, 4, 5.0), second)
    np.testing.assert_array_equal(second, [9.0, 2.0, np.nan, 0.0, 0.0])


@settings(max_examples=200, deadline=None)
@given(
    rounds=st.lists(
        st.dictionaries(
            st.integers(min_value=0, max_value=9),
            st.dictionaries(st.integers(min_value=0, max_value=167), st.integers(1, 5)),
            max_size=4,
        ),
        max_size=6,
    )
)
def test_sparse_profiles_replace_is_a_dense_table(rounds: list[dict[int, dict[int, int]]]) -> None:
    from detectors.time_profile import BINS, SparseProfiles

    table, reference = SparseProfiles(), np.zeros((0, BINS), dtype=np.float32)
    for changes in rounds:
        if not changes:
            continue
        entities = np.array(sorted(changes), dtype=np.int64)
        dense = np.zeros((len(entities), BINS), dtype=np.float32)
        for row, entity in enumerate(entities.tolist()):
            for hour, value in changes[entity].items():
                dense[row, hour] = value
        size = max(len(reference), int(entities.max()) + 1)
        reference = np.vstack([reference, np.zeros((size - len(reference), BINS), np.float32)])
        reference[entities] = dense
        table.replace(entities, dense, size)
        everyone = np.arange(size + 2, dtype=np.int64)
        expected = np.vstack([reference, np.zeros((2, BINS))]).astype(np.float64)
        np.testing.assert_array_equal(table.rows(everyone), expected)
        assert len(table) == size
