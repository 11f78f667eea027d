"""``stable_argsort`` is numpy's stable argsort, index for index, on every kind of key array;
``stable_groups`` and ``unique1d`` give numpy's answers too. Every test runs on both paths: the
compiled kernels (``vigil_native``, round 20) and numpy's."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors._sort as sort_module
from detectors._sort import stable_argsort, stable_groups, unique1d
from detectors.base import group_cumsum_before, group_order

_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.fixture(autouse=True, params=["native", "numpy"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test on the compiled kernels and on numpy's path (the module switched off)."""
    if request.param == "native" and not sort_module.NATIVE:
        pytest.skip("vigil_native is not installed")
    if request.param == "numpy":
        monkeypatch.setattr(sort_module, "NATIVE", False)
    return str(request.param)


def test_native_is_built() -> None:
    """CI (``make test``) sets VIGIL_REQUIRE_NATIVE=1: the grouping kernels must be there."""
    if os.environ.get("VIGIL_REQUIRE_NATIVE") != "1":
        pytest.skip("VIGIL_REQUIRE_NATIVE is not set")
    assert sort_module._native_groups is not None, "vigil_native is not importable: run `make`"


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
def test_each_route_is_taken_and_exact(
    route: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both numpy routes give numpy's order on keys built for them (a route broken on purpose,
    e.g. an unstable sort of the shifted keys, fails here)."""
    if path == "native":
        pytest.skip("the numpy routes: the compiled kernel makes no numpy sort")
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


_FLAGS = [
    (False, False, False),
    (True, False, False),
    (False, True, False),
    (False, False, True),
    (True, True, False),
    (False, True, True),
    (True, True, True),
]


def _same(got: object, expected: object) -> None:
    """The same tuple shape, and arrays equal in values, types and shapes."""
    got_all = got if isinstance(got, tuple) else (got,)
    expected_all = expected if isinstance(expected, tuple) else (expected,)
    assert len(got_all) == len(expected_all)
    for mine, theirs in zip(got_all, expected_all, strict=True):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        assert np.array_equal(mine, theirs, equal_nan=mine.dtype.kind == "f")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_DTYPES),
    st.integers(0, 3_000),
    st.sampled_from([1, 7, 300, 70_000, 2**40, 2**64]),
    st.integers(0, 2**32 - 1),
    st.sampled_from(_FLAGS),
)
def test_unique1d_is_numpys_unique(
    dtype: type, n: int, spread: int, seed: int, flags: tuple[bool, bool, bool]
) -> None:
    """``np.unique``'s arrays (values, first indices, inverse, counts) and types, every flag
    combination: small spreads (counting sort), wide ones (radix passes), uint64 (numpy)."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    top = min(int(info.max), int(info.min) + spread)
    keys = rng.integers(int(info.min), top, endpoint=True, size=n, dtype=dtype)
    before = keys.copy()
    _same(unique1d(keys, *flags), np.unique(before, *flags))
    assert np.array_equal(keys, before)


@pytest.mark.parametrize(
    "keys",
    [
        np.array([], dtype=np.int64),
        np.array([3.0, np.nan, -0.0, 0.0, 3.0] * 200),
        np.array([True, False, True] * 400),
        np.array(["b", "a", "b"] * 100),
        np.array([[3, 1], [1, 2]] * 100),
        np.array([2**63 - 1, -(2**63), 0, 5] * 100, dtype=np.int64),
        [4, 2, 4],
    ],
)
def test_unique1d_other_arrays(keys: np.ndarray) -> None:
    for flags in _FLAGS:
        _same(unique1d(keys, *flags), np.unique(keys, *flags))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3_000), st.sampled_from([3, 300, 70_000, 2**40]), st.integers(0, 2**32 - 1))
def test_groups_and_their_users(n: int, spread: int, seed: int) -> None:
    """``stable_groups`` (order, run starts) against a reading of numpy's stable order, and the
    two helpers built on it against plain loops (counts exactly, sums bit for bit against the
    numpy path's running sums in the same order)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(-spread, spread, size=n, dtype=np.int64)
    order, start = stable_groups(keys)
    expected = np.argsort(keys, kind="stable")
    assert np.array_equal(order, expected)
    sorted_keys = keys[expected]
    for j in range(n):
        first = start[j]
        assert sorted_keys[first] == sorted_keys[j] and (
            first == 0 or sorted_keys[first - 1] != sorted_keys[j]
        )
    prior, first_at = group_order(keys)
    seen: dict[int, list[int]] = {}
    for i, key in enumerate(keys.tolist()):
        rows = seen.setdefault(key, [])
        assert prior[i] == len(rows) and first_at[i] == (rows[0] if rows else i)
        rows.append(i)
    # (values within a factor of 10 of each other: one running sum over every group, the path
    # this reference reads; a value near 0 makes the total more than 1e9 times it and
    # group_cumsum_before sums group by group instead, seed 8759 with n 1201)
    values = rng.uniform(0.5, 5, n)
    sums = group_cumsum_before(keys, values)
    sorted_values = values[expected]
    inclusive = np.cumsum(sorted_values)
    exclusive = inclusive - sorted_values
    runs = (
        np.maximum.accumulate(
            np.where(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]], np.arange(n), 0)
        )
        if n
        else np.zeros(0, dtype=np.int64)
    )
    reference = np.empty(n)
    reference[expected] = exclusive - exclusive[runs]
    assert np.array_equal(sums, reference)  # bit for bit: the same operations in the same order
