"""``stable_argsort`` is numpy's stable argsort, index for index, on every kind of key array."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors._sort as sort_module
from detectors._sort import stable_argsort

_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(_DTYPES),
    st.integers(0, 3_000),
    st.sampled_from([1, 7, 300, 70_000, 2**31, 2**40, 2**62, 2**64]),
    st.integers(0, 2**32 - 1),
)
def test_same_order_as_numpy(dtype: type, n: int, spread: int, seed: int) -> None:
    """Spreads below 2**16 (the radix route) and beyond (numpy's sort), in every integer type,
    with many ties."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    top = min(int(info.max), int(info.min) + spread)
    low = rng.integers(int(info.min), top, endpoint=True, size=1, dtype=dtype)[0]
    keys = rng.integers(low, top, endpoint=True, size=n, dtype=dtype)
    if n > 10:  # a few extreme values too
        keys[rng.integers(0, n, 3)] = rng.choice(
            np.array([info.min, info.max, low], dtype=dtype), 3
        )
    before = keys.copy()
    got = stable_argsort(keys)
    assert got.dtype == np.intp
    assert np.array_equal(got, np.argsort(before, kind="stable"))
    assert np.array_equal(keys, before)  # not modified


@pytest.mark.parametrize("route", ["radix", "numpy"])
def test_each_route_is_taken_and_exact(route: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both routes give numpy's order on keys built for them (a route broken on purpose, e.g.
    an unstable sort of the shifted keys, fails here)."""
    rng = np.random.default_rng(5)
    spread = {"radix": 500, "numpy": 2**40}[route]
    keys = rng.integers(-spread, spread, size=5_000, dtype=np.int64)
    keys[::3] = keys[0]  # long runs of ties
    calls: list[str] = []
    real = np.argsort

    def spy(array: np.ndarray, kind: str | None = None) -> np.ndarray:
        calls.append(f"{array.dtype}/{kind}")
        return real(array, kind=kind)

    monkeypatch.setattr(sort_module.np, "argsort", spy)
    got = stable_argsort(keys)
    monkeypatch.undo()
    assert np.array_equal(got, np.argsort(keys, kind="stable"))
    assert calls == [{"radix": "uint16/stable", "numpy": "int64/stable"}[route]]


@pytest.mark.parametrize(
    "keys",
    [
        np.array([], dtype=np.int64),
        np.array([3.0, np.nan, -0.0, 0.0, 3.0] * 200),
        np.array([True, False] * 400),
        np.arange(600, dtype=np.int64)[::-1],
    ],
)
def test_other_arrays(keys: np.ndarray) -> None:
    assert np.array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))
