"""A stable argsort of integer keys that gives numpy's own answer faster.

``np.argsort(keys, kind="stable")`` of int64 keys is a timsort; the grouping helpers call it
hundreds of times a batch, mostly on ids of users, hosts or kinds, which lie within 65,536 of
each other. Shifted by their minimum into ``uint16``, the same keys are radix-sorted by numpy's
stable sort (linear time), and the permutation is the same: a stable order is unique (by key,
ties by position) and the shift keeps the order of the keys.

Measured on the stable argsorts the grouping helpers make (keys captured from one engine run,
each timed both ways): the throughput scenario (8,192-event batches) 24.0 -> 14.8 ms, the
streaming benchmark's first 300k sshd events (22,000-event batches) 292 -> 211 ms. A second
route, an unstable sort of unique ``(key - min) * n + position`` keys for wider spreads, gained
2 ms on the first and lost 38 ms on the second (timsort profits from the runs that time-ordered
keys have): not kept. Floats, bools, small arrays and wide spreads are numpy's stable sort.

Round 20: with the compiled module (``vigil_native``, schemas/native/src/groups.rs) integer keys
are grouped in one call each: :func:`stable_argsort`, :func:`stable_groups` (the
order and where each run of equal keys starts: what ``base.group_order`` and
``group_cumsum_before`` derived in ~8 numpy passes) and :func:`unique1d` (``np.unique`` with
its ``return_*`` flags: numpy's Python wrapper made ~10 passes and an unstable sort). The
answers are numpy's by construction (a stable order is unique; runs, uniques, first indices,
inverses and counts follow from it), so alerts and state are the same with or without the
module; tests/detectors/test_sort.py compares both paths. Measured on the throughput
scenario's scoring core (cProfile, 2 runs of 7 batches of 8,192): ``group_cumsum_before``
0.44 -> 0.19 s, ``np.unique`` 0.55 -> 0.24 s (``unique1d``), ``group_order`` 0.08 -> 0.04 s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

#: Below this many keys the min/max scan costs about what it saves.
MIN_KEYS = 512


def _load_native() -> tuple[Any, Any, Any]:
    """The compiled grouping kernels (schemas/native/src/groups.rs, built by ``make``); without
    them the numpy paths below give the same arrays."""
    try:
        from vigil_native import stable_argsort, stable_groups, unique_inverse
    except ImportError:  # pragma: no cover - other machines
        return None, None, None
    return stable_argsort, stable_groups, unique_inverse


_native_order, _native_groups, _native_unique = _load_native()


def _load_prefix() -> tuple[Any, Any]:
    """The running-count kernels (schemas/native/src/prefix.rs), or None (an older build)."""
    try:
        from vigil_native import group_positions, sums_before
    except ImportError:  # pragma: no cover - other machines
        return None, None
    return group_positions, sums_before


_native_positions, _native_sums = _load_prefix()

#: True when the grouping helpers use the compiled kernels (tests set it False to run the numpy
#: paths too).
NATIVE = _native_groups is not None


def _native_keys(keys: np.ndarray) -> np.ndarray | None:
    """``keys`` as contiguous ``int64`` for the compiled kernels, or None (numpy's path): no
    module, not 1-D, or not integers that ``int64`` holds exactly. Any length goes: crossing
    into the module costs ~0.2 us, less than numpy's calls even on a handful of keys
    (``np.unique`` ~15 us, the numpy ``stable_groups`` ~10 us on 0-60 keys)."""
    if not NATIVE or keys.ndim != 1:
        return None
    kind = keys.dtype.kind
    if not (kind == "i" or kind == "b" or (kind == "u" and keys.itemsize < 8)):
        return None
    return np.ascontiguousarray(keys, dtype=np.int64)


def _int64s(buffer: bytearray) -> npt.NDArray[np.int64]:
    return np.frombuffer(buffer, dtype=np.int64)


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of a 1-D array (the same indices, as int64).

    >>> stable_argsort(np.array([7, 3, 7, 3, 1] * 200))[:6].tolist()
    [4, 9, 14, 19, 24, 29]
    >>> keys = np.array([2**40, 5, 2**40, 5] * 200)
    >>> bool((stable_argsort(keys) == np.argsort(keys, kind="stable")).all())
    True
    """
    wide = _native_keys(keys)
    if wide is not None:
        return _int64s(_native_order(wide))
    n = len(keys)
    kind = keys.dtype.kind
    if n < MIN_KEYS or keys.ndim != 1 or not (kind == "i" or (kind == "u" and keys.itemsize < 8)):
        order: np.ndarray = np.argsort(keys, kind="stable")
        return order
    low = int(keys.min())
    if int(keys.max()) - low < 1 << 16:
        shifted = (keys.astype(np.int64) - low).astype(np.uint16)
        order = np.argsort(shifted, kind="stable")
        return order
    order = np.argsort(keys, kind="stable")
    return order


def stable_groups(keys: np.ndarray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``(order, start)``: ``order`` is :func:`stable_argsort` of the 1-D ``keys`` and
    ``start[j]`` the sorted position where the run of ``keys[order[j]]`` begins (its first
    occurrence in the stable order).

    >>> order, start = stable_groups(np.array([7, 3, 7, 7, 3]))
    >>> order.tolist(), start.tolist()
    ([1, 4, 0, 2, 3], [0, 0, 2, 2, 2])
    """
    wide = _native_keys(keys)
    if wide is not None:
        order, start = _native_groups(wide)
        return _int64s(order), _int64s(start)
    n = len(keys)
    order = stable_argsort(keys).astype(np.int64, copy=False)
    sorted_keys = keys[order]
    is_start = np.ones(n, dtype=np.bool_)
    if n:
        is_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts: npt.NDArray[np.int64] = np.maximum.accumulate(np.where(is_start, np.arange(n), 0))
    return order, starts


def _float_keys(values: np.ndarray) -> np.ndarray | None:
    """1-D ``float64`` values as ``int64`` keys in the same order (the IEEE bits, negative
    values' magnitude bits flipped), for the compiled kernels; None where numpy's answer hangs
    on numpy's own sort: a NaN (``np.unique`` keeps one, last) or a zero (0.0 and -0.0 are one
    value to it, and which of the two it keeps depends on its unstable sort). Without either,
    the distinct values, first indices, inverse and counts follow from the values alone.
    Round 24: the decay helpers' running maxima rank float values (~30 ``np.unique`` calls a
    batch, ~3 % of the scoring core)."""
    if not NATIVE or values.ndim != 1 or values.dtype != np.float64:
        return None
    if np.isnan(values).any() or not values.all():
        return None
    bits = np.ascontiguousarray(values).view(np.int64)
    keys: np.ndarray = bits ^ ((bits >> 63) & _MAGNITUDE)
    return keys


#: The bits of a ``float64`` below its sign.
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def group_positions(keys: np.ndarray) -> tuple[npt.NDArray[np.int64], ...] | None:
    """``base.group_order(keys)`` in one compiled call: per position, how many earlier positions
    share its key and the first of them; None where the kernels do not take ``keys``."""
    wide = _native_keys(keys)
    if wide is None or _native_positions is None:
        return None
    prior, first = _native_positions(wide)
    return _int64s(prior), _int64s(first)


def sums_before(keys: np.ndarray, values: np.ndarray) -> npt.NDArray[np.float64] | None:
    """``base.group_cumsum_before(keys, values)`` in one compiled call (the same bits), or None
    where numpy's path must answer: keys the kernels do not take, values that are not real
    numbers, or values whose precision check only numpy's own summation decides."""
    wide = _native_keys(keys)
    if wide is None or _native_sums is None or values.dtype.kind not in "biuf":
        return None
    answer = _native_sums(wide, np.ascontiguousarray(values, dtype=np.float64))
    if answer is None:
        return None
    return np.frombuffer(answer, dtype=np.float64)


def unique1d(
    keys: npt.ArrayLike,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
) -> Any:
    """``np.unique(keys, ...)`` without ``axis`` (the same arrays, types and tuple shape):
    integer keys go through the compiled kernel (one stable sort, no Python wrapper passes),
    anything else (floats, strings, a few keys, no module) through ``np.unique`` itself.

    >>> unique, first, inverse = unique1d(
    ...     np.array([9, 2, 9, 5] * 20, dtype=np.int32), return_index=True, return_inverse=True)
    >>> unique.tolist(), unique.dtype.name, first.tolist(), inverse[:4].tolist()
    ([2, 5, 9], 'int32', [1, 3, 0], [2, 0, 2, 1])
    >>> unique1d(np.array([3, 1, 3])).tolist()
    [1, 3]
    """
    values = np.asarray(keys)
    wide = _native_keys(values)
    floats = wide is None and (wide := _float_keys(values)) is not None
    if wide is None:
        numpy_unique: Any = np.unique  # (its overloads want literal flags)
        return numpy_unique(
            values,
            return_index=return_index,
            return_inverse=return_inverse,
            return_counts=return_counts,
        )
    found, first, position, counted = _native_unique(wide)
    unique = values[_int64s(first)] if floats else _int64s(found).astype(values.dtype, copy=False)
    wanted = [(return_index, first), (return_inverse, position), (return_counts, counted)]
    extra = [_int64s(buffer) for flag, buffer in wanted if flag]
    return (unique, *extra) if extra else unique
