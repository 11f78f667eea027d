"""Round 24 (speed24): the compiled running counts and sums (``schemas/native/src/prefix.rs``
behind ``base.group_order`` / ``group_cumsum_before``), the squeezed radix keys of
``groups.rs``, and the cheaper ``nan_to_num`` equivalents give numpy's answers bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors._sort as sort_module
from detectors._seconds import LATEST, NEVER, NOT_SEEN, encode
from detectors.base import group_cumsum_before, group_order, nan_to_zero, narrow_pair_keys

native = pytest.mark.skipif(
    sort_module._native_sums is None or not sort_module.NATIVE,
    reason="vigil_native (with prefix.rs) is not installed",
)

#: Values that reach every branch: 0/1 counts, decay weights over many decay constants (the
#: precision check's segmented path), signed zeros, NaN and infinities (numpy's path), and
#: totals right at the check's threshold (1e9 times the smallest magnitude).
_SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-300, 1e300, 3.0, 3e9])


def _values(rng: np.random.Generator, kind: int, n: int) -> np.ndarray:
    if kind == 0:
        return rng.random(n) < 0.5  # a mask, as most callers pass
    if kind == 1:
        return np.exp(rng.uniform(-30.0, 30.0, n))  # decay weights
    if kind == 2:
        return rng.choice(_SPECIAL, n)
    if kind == 3:
        return rng.integers(-5, 6, n)
    if kind == 4:  # a total just either side of 1e9 x the smallest value
        values = np.full(n, 1e9 / max(n - 1, 1))
        if n:
            values[0] = 1.0 + rng.uniform(-1e-12, 1e-12)
        return values
    return rng.standard_normal(n).astype(np.float32)


def _numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sort_module, "NATIVE", False)


@native
@settings(max_examples=500, deadline=None)
@given(
    st.integers(0, 2_000),
    st.sampled_from([1, 3, 60, 5_000, 2**40]),
    st.sampled_from([np.int64, np.int32, np.uint16, np.int8, np.bool_]),
    st.integers(0, 5),
    st.integers(0, 2**32 - 1),
)
def test_sums_and_positions_are_numpys(
    n: int, spread: int, dtype: type, kind: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, spread, n, endpoint=True).astype(dtype)
    values = _values(rng, kind, n)
    with np.errstate(all="ignore"):
        compiled_sums = group_cumsum_before(keys, values)
        compiled_order = group_order(keys)
        with pytest.MonkeyPatch.context() as patch:
            _numpy_path(patch)
            numpy_sums = group_cumsum_before(keys, values)
            numpy_order = group_order(keys)
    assert compiled_sums.dtype == numpy_sums.dtype == np.float64
    assert compiled_sums.tobytes() == numpy_sums.tobytes()  # signed zeros and NaNs included
    for compiled, expected in zip(compiled_order, numpy_order, strict=True):
        assert compiled.dtype == expected.dtype
        assert np.array_equal(compiled, expected)


@native
def test_kernel_answers_counts_and_leaves_the_rest_to_numpy() -> None:
    """0/1 counts and ordinary weights are answered by the kernel; values whose precision
    check numpy's summation order decides, or that are not finite, are not."""
    keys = np.array([3, 1, 3, 3, 1], dtype=np.int64)
    counts = sort_module.sums_before(keys, np.array([True, True, False, True, True]))
    assert counts is not None
    assert counts.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert sort_module.sums_before(keys, np.array([1.0, np.nan, 2.0, 3.0, 4.0])) is None
    assert sort_module.sums_before(keys, np.array([1.0, 1e12, 2.0, 3.0, 4.0])) is None
    assert sort_module.sums_before(keys.astype(np.float64), np.ones(5)) is None


@native
@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5_000), st.integers(0, 70), st.integers(0, 5_000), st.integers(0, 2**32 - 1))
def test_pair_keys_sort_like_numpy(n: int, users: int, values: int, seed: int) -> None:
    """Pair keys (``left << 32 | right``): the kernel squeezes out the bits no key sets (2
    radix passes, not 4) and must keep numpy's stable order; negative and extreme keys too."""
    rng = np.random.default_rng(seed)
    keys = (rng.integers(0, users + 1, n).astype(np.int64) << 32) | rng.integers(0, values + 1, n)
    if n > 10:
        keys[rng.integers(0, n, 3)] = rng.choice(np.array([-1, -(2**63), 2**63 - 1, 7 << 40]), 3)
    assert np.array_equal(sort_module.stable_argsort(keys), np.argsort(keys, kind="stable"))
    unique, inverse = sort_module.unique1d(keys, return_inverse=True)
    expected, expected_inverse = np.unique(keys, return_inverse=True)
    assert np.array_equal(unique, expected) and np.array_equal(inverse, expected_inverse)


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, float(LATEST), float(LATEST) + 0.5, 2.0**33]),
        ),
        max_size=50,
    )
)
def test_encode_and_nan_to_zero_are_numpys(times: list[float]) -> None:
    values = np.array(times, dtype=np.float64)
    assert nan_to_zero(values).tobytes() == np.nan_to_num(values).tobytes()
    with np.errstate(invalid="ignore"):
        clipped = np.clip(np.nan_to_num(values, nan=0.0, neginf=0.0), 0.0, float(LATEST))
    expected = np.floor(clipped).astype(np.uint32)
    expected[np.isnan(values)] = NEVER
    expected[values == -np.inf] = NOT_SEEN
    assert np.array_equal(encode(values), expected)
    with np.errstate(over="ignore"):
        narrow = values.astype(np.float32)
    assert nan_to_zero(narrow).dtype == np.float32  # numpy's own there


@native
@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, -0.0, 1.5, -1.5, 5e-324, -5e-324, 1e300]),
        ),
        max_size=300,
    ),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_float_unique_is_numpys(
    values: list[float], first: bool, inverse: bool, counts: bool
) -> None:
    """``unique1d`` of ``float64`` values through the kernel (order-keeping ``int64`` keys)
    where no NaN and no zero is present, numpy's own otherwise: numpy's arrays either way."""
    array = np.array(values, dtype=np.float64)
    got = sort_module.unique1d(array, first, inverse, counts)
    expected = np.unique(array, return_index=first, return_inverse=inverse, return_counts=counts)
    got, expected = (x if isinstance(x, tuple) else (x,) for x in (got, expected))
    for mine, numpys in zip(got, expected, strict=True):
        assert mine.dtype == numpys.dtype and mine.shape == numpys.shape
        assert mine.tobytes() == numpys.tobytes()
    if len(array) and not np.isnan(array).any() and array.all():
        assert sort_module._float_keys(array) is not None  # the kernel answered


@given(
    st.lists(
        st.one_of(
            st.integers(-(2**63), 2**63 - 1),
            st.tuples(st.integers(0, 2**17), st.integers(0, 2**17)).map(
                lambda pair: pair[0] << 32 | pair[1]
            ),
        ),
        max_size=100,
    )
)
def test_narrow_pair_keys_as_before(keys: list[int]) -> None:
    """The one-mask ``narrow_pair_keys`` gives the three-comparison formula's arrays."""
    array = np.array(keys, dtype=np.int64)
    left, right = array >> 32, array & 0xFFFFFFFF
    fits = (array >= 0) & (left <= 0xFFFF) & (right <= 0xFFFF)
    expected = np.where(fits, (left << 16) | right, 0).astype(np.uint32)
    narrow, got_fits = narrow_pair_keys(array)
    assert narrow.dtype == np.uint32 and np.array_equal(narrow, expected)
    assert np.array_equal(got_fits, fits)
