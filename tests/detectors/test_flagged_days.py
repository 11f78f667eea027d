"""The (key, UTC day) ids and day counts that service_interactive and discovery hold flags by."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from detectors._flagged_days import DAY, add_flagged_days, day_keys
from detectors.base import WHOLE_COUNTS, PairTable

# Pair keys as pair_keys makes them (account << 32 | tool), for accounts far past 2**16.
pair_key = st.builds(
    lambda account, tool: account << 32 | tool, st.integers(0, 2**30), st.integers(0, 9)
)


@given(st.lists(st.tuples(pair_key, st.integers(0, 40_000)), max_size=60))
def test_ids_group_exactly_the_equal_key_day_pairs(rows: list[tuple[int, int]]) -> None:
    keys = np.array([key for key, _ in rows], dtype=np.int64)
    days = np.array([day for _, day in rows], dtype=np.float64)
    ids = day_keys(keys, days)
    for i, row in enumerate(rows):
        for j, other in enumerate(rows):
            assert (ids[i] == ids[j]) == (row == other)
    assert sorted(set(ids.tolist())) == list(range(len(set(rows))))


def test_pairs_the_old_product_key_merged_stay_apart() -> None:
    # key * 100_000 + day wraps around int64; these two (key, day) pairs got one id from it.
    first, second = (5 << 32 | 1) + 382_401_004_647_999_005, 5 << 32 | 1
    keys = np.array([first, second], dtype=np.int64)
    days = np.array([20_000.0, 20_032.0])
    with np.errstate(over="ignore"):
        old = keys * 100_000 + days.astype(np.int64)
    assert old[0] == old[1]
    assert day_keys(keys, days).tolist() == [1, 0]


def test_a_key_counts_each_new_day_once() -> None:
    table = PairTable(WHOLE_COUNTS)
    key = 50_000 << 32 | 1
    morning = 20_000 * DAY + 9 * 3600
    add_flagged_days(table, np.array([key, key], dtype=np.int64), np.array([morning, morning + 60]))
    add_flagged_days(table, np.array([key], dtype=np.int64), np.array([morning + 3600]))
    add_flagged_days(table, np.array([key], dtype=np.int64), np.array([morning + DAY]))
    days, last = table.lookup(np.array([key], dtype=np.int64))
    assert days.tolist() == [2]
    assert last.tolist() == [morning + DAY]
