"""PairTable with whole counts (narrow unsigned): the same numbers as float64 counts, widening
as they grow and saturating at 2**32 - 1."""

from __future__ import annotations

import numpy as np

from detectors.base import WHOLE_COUNTS, PairTable


def test_whole_counts_match_float_counts() -> None:
    rng = np.random.default_rng(3)
    whole, floating = PairTable(WHOLE_COUNTS), PairTable()
    for _ in range(20):
        keys = rng.integers(0, 50, size=40).astype(np.int64)
        times = np.sort(rng.random(40))
        whole.add(keys, times)
        floating.add(keys, times)
    assert whole.counts.dtype == np.uint8  # largest count 27
    np.testing.assert_array_equal(whole.keys, floating.keys)
    np.testing.assert_array_equal(whole.counts, floating.counts)
    probe = np.arange(60, dtype=np.int64)
    for got, expected in zip(whole.lookup(probe), floating.lookup(probe), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_float_snapshot_loads_and_counts_saturate() -> None:
    table = PairTable(WHOLE_COUNTS)
    table.load_state(
        {
            "p_keys": np.array([1, 2], dtype=np.int64),
            "p_counts": np.array([3.0, 2.0**32 - 2], dtype=np.float64),
            "p_last": np.array([1.0, 1.0]),
        },
        "p_",
    )
    table.add(np.array([2, 2, 2, 1], dtype=np.int64), np.array([2.0, 2.0, 2.0, 2.0]))
    assert table.counts.dtype == np.uint32
    assert table.counts.tolist() == [4, 2**32 - 1]


def test_a_table_without_times_counts_alike_and_keeps_no_times() -> None:
    keys = np.array([4, 1, 4, 9], dtype=np.int64)
    times = np.array([1.0, 2.0, 3.0, 4.0])
    plain, timeless = PairTable(WHOLE_COUNTS), PairTable(WHOLE_COUNTS, times=False)
    plain.add(keys, times)
    timeless.add(keys, times)
    probe = np.array([1, 4, 5], dtype=np.int64)
    np.testing.assert_array_equal(timeless.lookup(probe)[0], plain.lookup(probe)[0])
    assert np.isnan(timeless.lookup(probe)[1]).all()
    assert set(timeless.state("p_")) == {"p_keys", "p_counts"}
    restored = PairTable(WHOLE_COUNTS, times=False)
    restored.load_state(plain.state("p_"), "p_")  # an older snapshot with times: ignored
    np.testing.assert_array_equal(restored.counts, plain.counts)


def test_whole_counts_widen_when_they_outgrow_their_type() -> None:
    table, floating = PairTable(WHOLE_COUNTS), PairTable()
    keys = np.array([7] * 300 + [3], dtype=np.int64)
    for part in (keys[:200], keys[200:]):  # the second add takes key 7 past 255
        table.add(part, np.zeros(len(part)))
        floating.add(part, np.zeros(len(part)))
        np.testing.assert_array_equal(table.counts, floating.counts)
    assert table.counts.dtype == np.uint16
    assert table.counts.tolist() == [1, 300]
    fresh = PairTable(WHOLE_COUNTS)
    fresh.add(np.array([5] * 70_000, dtype=np.int64), np.zeros(70_000))  # new key, large count
    assert fresh.counts.dtype == np.uint32
    assert fresh.counts.tolist() == [70_000]
    restored = PairTable(WHOLE_COUNTS)
    restored.load_state(table.state("p_"), "p_")
    assert restored.counts.dtype == np.uint16


def test_a_table_without_counts_answers_presence_and_keeps_times() -> None:
    keys = np.array([4, 1, 4, 9], dtype=np.int64)
    times = np.array([1.0, 2.0, 3.0, 4.0])
    plain, untallied = PairTable(WHOLE_COUNTS), PairTable(WHOLE_COUNTS, tally=False)
    plain.add(keys, times)
    untallied.add(keys, times)
    probe = np.array([1, 4, 5], dtype=np.int64)
    present, last = untallied.lookup(probe)
    assert present.tolist() == [1.0, 1.0, 0.0]
    np.testing.assert_array_equal(last, plain.lookup(probe)[1])
    assert set(untallied.state("p_")) == {"p_keys", "p_last"}
    restored = PairTable(WHOLE_COUNTS, tally=False)
    restored.load_state(plain.state("p_"), "p_")  # an older snapshot with counts: ignored
    np.testing.assert_array_equal(restored.last, plain.last)
    assert restored.counts.size == 0


def test_int64_keys_are_saved_in_32_bits_when_they_all_fit() -> None:
    """Round 17: a snapshot holds the keys in 32 bits while every one fits (both ids of a pair
    key < 2**16, or a plain id < 2**16), in 64 bits otherwise; either loads back the same."""
    pair = (np.int64(7) << 32) | np.int64(65_535)
    table = PairTable()
    table.add(np.array([3, pair, 40_000], dtype=np.int64), np.array([1.0, 2.0, 3.0]))
    saved = table.state("t_")
    assert saved["t_keys"].dtype == np.uint32
    restored = PairTable()
    restored.load_state(saved, "t_")
    np.testing.assert_array_equal(restored.keys, table.keys)
    assert restored.keys.dtype == np.int64
    probe = np.array([3, pair, 40_000, 5], dtype=np.int64)
    for got, expected in zip(restored.lookup(probe), table.lookup(probe), strict=True):
        np.testing.assert_array_equal(got, expected)
    table.add(np.array([70_000], dtype=np.int64), np.array([4.0]))  # (a plain id >= 2**16)
    assert table.state("t_")["t_keys"].dtype == np.int64
    restored.load_state(table.state("t_"), "t_")
    np.testing.assert_array_equal(restored.keys, table.keys)
