"""``gather`` reads what ``grow(...)[index]`` reads, without the copy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.base import gather, grow


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
