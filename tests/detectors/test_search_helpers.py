"""``search_sorted`` and ``sorted_unique`` give exactly what ``np.searchsorted`` and
``np.unique`` give (they only find it faster)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import base
from detectors.base import search_sorted, sorted_unique

keys_64 = st.lists(st.integers(min_value=-(1 << 62), max_value=1 << 62), max_size=40)
small_keys = st.lists(st.integers(min_value=-5, max_value=30), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    table=st.one_of(keys_64, small_keys),
    keys=st.one_of(keys_64, small_keys),
    side=st.sampled_from(["left", "right"]),
    sorted_path=st.booleans(),
)
def test_search_sorted_is_searchsorted(
    table: list[int], keys: list[int], side: str, sorted_path: bool
) -> None:
    stored = np.unique(np.array(table, dtype=np.int64))
    query = np.array(keys, dtype=np.int64)
    # Thresholds of 0 send every call down the sorted path, so small examples test it.
    with pytest.MonkeyPatch.context() as patch:
        if sorted_path:
            patch.setattr(base, "_SORTED_SEARCH_KEYS", 0)
            patch.setattr(base, "_SORTED_SEARCH_TABLE", 0)
        found = search_sorted(stored, query, side=side)  # type: ignore[arg-type]
    expected = np.searchsorted(stored, query, side=side)  # type: ignore[call-overload]
    np.testing.assert_array_equal(found, expected)
    assert found.dtype == expected.dtype


def test_search_sorted_takes_the_sorted_path_on_large_inputs() -> None:
    rng = np.random.default_rng(3)
    table = np.unique(rng.integers(0, 1 << 40, 2 * base._SORTED_SEARCH_TABLE))
    keys = np.concatenate([rng.integers(0, 1 << 40, base._SORTED_SEARCH_KEYS), table[::97]])
    np.testing.assert_array_equal(search_sorted(table, keys), np.searchsorted(table, keys))


@settings(max_examples=300, deadline=None)
@given(values=st.one_of(keys_64, small_keys), dtype=st.sampled_from([np.int64, np.int32]))
def test_sorted_unique_is_unique(values: list[int], dtype: type[np.signedinteger]) -> None:
    array = np.array(values, dtype=np.int64)
    if dtype is np.int32:
        array = np.clip(array, -(1 << 31), (1 << 31) - 1)
    array = array.astype(dtype)
    found = sorted_unique(array)
    np.testing.assert_array_equal(found, np.unique(array))
    assert found.dtype == array.dtype
