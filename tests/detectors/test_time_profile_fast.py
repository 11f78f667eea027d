"""The fast paths of rare_time_of_week against the formulas they replaced, to the bit.

Each reference below is the code as it was before the fast path (dense u x 168 blocks, 2-D
``np.add.at``, an integer modulo per kernel offset); floating-point results must be equal,
not close, because saved state and alerts must not change.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.time_profile import (
    BINS,
    SparseProfiles,
    _decay_factors,
    _fold_bins,
    _fold_profile,
    _fold_sparse,
    _merge_keys,
    kernel,
    smoothed_stored,
)

TAU = 42 * 86_400.0 / np.log(2.0)


def reference_fold(
    profile: np.ndarray,
    stamp: np.ndarray,
    entity: np.ndarray,
    time: np.ndarray,
    hour: np.ndarray,
    keep: np.ndarray,
    tau: float,
) -> tuple[np.ndarray, np.ndarray]:
    profile, stamp = profile.astype(np.float64), stamp.copy()
    last = np.full(len(stamp), -np.inf)
    np.maximum.at(last, entity, time)
    touched = np.flatnonzero(np.isfinite(last))
    old = np.where(np.isnan(stamp[touched]), last[touched], stamp[touched])
    profile[touched] *= np.exp(-(last[touched] - old) / tau)[:, None]
    add = np.exp(-(last[entity] - time) / tau)
    np.add.at(profile, (entity[keep], hour[keep]), add[keep])
    stamp[touched] = last[touched]
    return profile, stamp


def reference_smoothed(
    profile: np.ndarray,
    entity: np.ndarray,
    hour: np.ndarray,
    decay: np.ndarray,
    offsets: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    result = np.zeros(len(hour))
    for offset, weight in zip(offsets.tolist(), weights.tolist(), strict=True):
        result += weight * profile[entity, (hour - offset) % BINS] * decay
    return result


def random_table(rng: np.random.Generator, entities: int, density: float) -> np.ndarray:
    dense = rng.exponential(3.0, size=(entities, BINS)).astype(np.float32)
    dense[rng.random((entities, BINS)) > density] = 0.0
    return dense


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    entities=st.integers(1, 12),
    rows=st.integers(0, 60),
    density=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    hours=st.integers(1, BINS),
)
def test_smoothed_stored_is_the_formula(
    seed: int, entities: int, rows: int, density: float, hours: int
) -> None:
    rng = np.random.default_rng(seed)
    profile = random_table(rng, entities, density).astype(np.float64)
    entity = rng.integers(0, entities, rows)
    hour = rng.integers(0, hours, rows).astype(np.int64)
    decay = rng.random(rows)
    for same_day in (0.95, 0.85, 1.0):
        offsets, weights = kernel(same_day)
        expected = reference_smoothed(profile, entity, hour, decay, offsets, weights)
        got = smoothed_stored(profile, entity, hour, decay, offsets, weights)
        np.testing.assert_array_equal(got.view(np.int64), expected.view(np.int64))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    table_size=st.integers(0, 10),
    batch_entities=st.integers(1, 8),
    rows=st.integers(1, 80),
    density=st.sampled_from([0.0, 0.03, 0.3, 1.0]),
    hours=st.integers(1, BINS),
    tiny=st.booleans(),
)
def test_fold_sparse_is_dense_fold_then_replace(
    seed: int,
    table_size: int,
    batch_entities: int,
    rows: int,
    density: float,
    hours: int,
    tiny: bool,
) -> None:
    rng = np.random.default_rng(seed)
    stored = random_table(rng, table_size, density)
    if tiny and table_size:  # values that the decay can push below float32's range
        stored *= np.float32(1e-44)
    reference, fast = SparseProfiles(), SparseProfiles()
    for table in (reference, fast):
        table.replace(np.arange(table_size, dtype=np.int64), stored, table_size)
    universe = table_size + 4
    present = np.sort(rng.choice(universe, size=min(batch_entities, universe), replace=False))
    present = present.astype(np.int64)
    size = max(table_size, int(present.max()) + 1)
    local = rng.integers(0, len(present), rows).astype(np.int64)
    local[: len(present)] = np.arange(min(len(present), rows))
    time = 1.7e9 + rng.random(rows) * (86_400.0 * rng.choice([0.01, 1.0, 400.0]))
    hour = rng.integers(0, hours, rows).astype(np.int64)
    keep = rng.random(rows) < 0.8
    stamp = np.where(rng.random(len(present)) < 0.3, np.nan, 1.69e9 + rng.random(len(present)))

    folded, expected_stamp = reference_fold(
        reference.rows(present), stamp, local, time, hour, keep, TAU
    )
    reference.replace(present, folded.astype(np.float32), size)
    got_stamp = _fold_sparse(fast, present, stamp, local, time, hour, keep, TAU, size)

    np.testing.assert_array_equal(got_stamp, expected_stamp)
    # Before the float32 cast (which would hide a change of the order of additions).
    factor, add, _ = _decay_factors(stamp, local, time, TAU)
    original = SparseProfiles(*reference_state(stored, table_size))
    keys, bins = _fold_bins(original, present, factor, local[keep], hour[keep], add[keep])
    np.testing.assert_array_equal(keys, np.flatnonzero(folded.reshape(-1)))
    np.testing.assert_array_equal(bins.view(np.int64), folded.reshape(-1)[keys].view(np.int64))
    np.testing.assert_array_equal(fast.lengths, reference.lengths)
    np.testing.assert_array_equal(fast.hours, reference.hours)
    np.testing.assert_array_equal(fast.values.view(np.int32), reference.values.view(np.int32))
    # The dense fold (the tenant profile's) with its flat index, too.
    dense, dense_stamp = _fold_profile(
        SparseProfiles(*reference_state(stored, table_size)).rows(present),
        stamp,
        local,
        time,
        hour,
        keep,
        TAU,
    )
    np.testing.assert_array_equal(dense.view(np.int64), folded.view(np.int64))
    np.testing.assert_array_equal(dense_stamp, expected_stamp)


def reference_state(stored: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = SparseProfiles()
    table.replace(np.arange(size, dtype=np.int64), stored, size)
    return table.lengths, table.hours, table.values


@settings(max_examples=200, deadline=None)
@given(
    first=st.lists(st.integers(0, 500), max_size=40, unique=True),
    other=st.lists(st.integers(0, 500), max_size=40),
)
def test_merge_keys_is_union_and_search(first: list[int], other: list[int]) -> None:
    unique_sorted = np.array(sorted(first), dtype=np.int64)
    other_keys = np.array(other, dtype=np.int64)
    keys, first_at, other_at = _merge_keys(unique_sorted, other_keys)
    expected = np.union1d(unique_sorted, other_keys)
    np.testing.assert_array_equal(keys, expected)
    np.testing.assert_array_equal(first_at, np.searchsorted(expected, unique_sorted))
    np.testing.assert_array_equal(other_at, np.searchsorted(expected, other_keys))
