"""password_spray's stored peaks: replacing the batch's sources against the np.isin formula."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.failed_logons import PasswordSpray


def reference_store(
    ips: np.ndarray, kept: np.ndarray, sources: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    others = ~np.isin(ips, sources)
    nonzero = (rows != 0).any(axis=1)
    merged = np.concatenate([ips[others], sources[nonzero]])
    values = np.concatenate([kept[others], rows[nonzero]])
    order = np.argsort(merged, kind="stable")
    return merged[order].astype(np.int32), values[order]


@settings(max_examples=300, deadline=None)
@given(
    stored=st.sets(st.integers(0, 60), max_size=25),
    sources=st.sets(st.integers(0, 70), max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
def test_store_peaks_is_the_isin_formula(stored: set[int], sources: set[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    detector = PasswordSpray()
    ips = np.array(sorted(stored), dtype=np.int32)
    kept = rng.random((len(ips), 2)) + 0.5
    detector.peak_ips_, detector.peak_rows_ = ips, kept
    batch_sources = np.array(sorted(sources), dtype=np.int64)
    rows = rng.random((len(batch_sources), 2)) * (rng.random((len(batch_sources), 1)) < 0.6)
    detector._store_peaks(batch_sources, rows)
    expected_ips, expected_rows = reference_store(ips, kept, batch_sources, rows)
    np.testing.assert_array_equal(detector.peak_ips_, expected_ips)
    np.testing.assert_array_equal(detector.peak_rows_, expected_rows)
