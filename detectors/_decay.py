"""Vectorised decayed counts shared by the credential-misuse detectors (private module).

A decayed count at time ``t`` is ``sum_i exp(-(t - t_i) / tau)``. Within a batch each row's
contribution is kept in "weight units" ``exp((t_i - t0) / tau)`` so that a prefix sum per
entity gives, for every row, exactly what a one-by-one run would have seen just before it.
Doubling levels (:func:`level_of`) carry a small tolerance so that a count that is an integer
in one order of summation and a hair below it in another lands on the same level.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from detectors._sort import stable_argsort, unique1d
from detectors.base import group_cumsum_before, nan_to_zero
from detectors.batch import BoolArray, FloatArray, Int64Array

HOUR = 3600.0
DAY = 86_400.0
#: Largest span of one vectorised pass, in units of the decay constant. Not overflow (exp(600)
#: is finite) but precision sets it: prefix sums run over every group of a batch at once, so a
#: group whose rows weigh e^10 sitting after one weighing e^60 lost its counts entirely (a
#: 130-guess brute force in a 67-hour batch counted as 1 failure at a time). Within 20 decay
#: constants the error stays below ~1e-3 of a count.
MAX_SPAN_TAUS = 20.0
#: Relative tolerance of doubling levels (float sums of the same counts differ by ~1e-13).
LEVEL_TOLERANCE = 1e-9


def previous_in_group(keys: Int64Array) -> Int64Array:
    """Index of the previous position with the same key (``-1`` for the first).

    >>> previous_in_group(np.array([4, 2, 4, 4, 2], dtype=np.int64)).tolist()
    [-1, -1, 0, 2, 1]
    """
    n = len(keys)
    order = stable_argsort(keys)
    previous = np.full(n, -1, dtype=np.int64)
    if n > 1:
        same = keys[order[1:]] == keys[order[:-1]]
        previous[order[1:][same]] = order[:-1][same]
    return previous


def group_max_before(keys: Int64Array, values: FloatArray) -> FloatArray:
    """Maximum of ``values`` over earlier positions with the same key (``-inf`` for none).

    >>> group_max_before(np.array([1, 2, 1, 1]), np.array([3.0, 5.0, 1.0, 4.0])).tolist()
    [-inf, -inf, 3.0, 3.0]
    """
    n = len(keys)
    result = np.full(n, -np.inf)
    if n == 0:
        return result
    order = stable_argsort(keys)
    sorted_keys = keys[order]
    distinct, rank = unique1d(values[order], return_inverse=True)
    is_start = np.ones(n, dtype=np.bool_)
    is_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group = np.cumsum(is_start) - 1
    span = len(distinct) + 1
    running = np.maximum.accumulate(group * span + rank.astype(np.int64) + 1)
    previous = np.concatenate([[0], running[:-1]]) - group * span - 1
    result[order] = np.where(is_start, -np.inf, distinct[np.maximum(previous, 0)])
    return result


def peak_before(
    groups: Int64Array,
    time: FloatArray,
    value_after: FloatArray,
    stored_peak: FloatArray,
    stored_time: FloatArray,
    tau: float,
) -> tuple[FloatArray, FloatArray]:
    """A slowly decaying running peak of ``value_after`` (``P = max(P * decay, value)``).

    Returns the peak just before each row and, per row, the log-peak in batch units for
    :func:`peak_fold`. Signals fire when a value passes the *peak*, not the current level, so a
    count that hovers around a threshold does not fire again and again.

    >>> t = np.array([0.0, 1.0, 2.0])
    >>> p, _ = peak_before(np.zeros(3, np.int64), t, np.array([4.0, 2.0, 5.0]), np.zeros(3),
    ...                    np.full(3, np.nan), 1e9)
    >>> p.round(3).tolist()
    [0.0, 4.0, 4.0]
    """
    if len(time) == 0:
        return np.empty(0), np.empty(0)
    t0 = float(time[0])
    with np.errstate(divide="ignore"):
        log_value = np.log(np.maximum(value_after, 0.0)) + (time - t0) / tau
        stored = np.where(
            np.isnan(stored_time) | (stored_peak <= 0),
            -np.inf,
            np.log(np.maximum(stored_peak, 1e-300)) + (nan_to_zero(stored_time) - t0) / tau,
        )
    best = np.maximum(stored, group_max_before(groups, log_value))
    peak: FloatArray = np.exp(best - (time - t0) / tau)
    return peak, np.maximum(best, log_value)


def peak_fold(
    peak: FloatArray, entity: np.ndarray, time: FloatArray, log_after: FloatArray, tau: float
) -> FloatArray:
    """Stored peaks after a batch (per entity, referred to the entity's last row time)."""
    peak = peak.copy()
    if len(time) == 0:
        return peak
    t0 = float(time[0])
    best = np.full(len(peak), -np.inf)
    np.maximum.at(best, entity, log_after)
    last = np.full(len(peak), -np.inf)
    np.maximum.at(last, entity, time)
    touched = np.isfinite(last)
    peak[touched] = np.exp(best[touched] - (last[touched] - t0) / tau)
    return peak


def decayed_before(
    groups: Int64Array,
    time: FloatArray,
    increments: FloatArray,
    stored_value: FloatArray,
    stored_time: FloatArray,
    tau: float,
) -> FloatArray:
    """Decayed sum just before each row: stored value (at ``stored_time``) plus the earlier
    rows of the same group, every contribution decayed by ``exp(-age / tau)``.

    ``increments`` are in "weight units" (see :func:`weights`); a plain count uses the row's
    weight. NaN stored times mean "nothing stored".

    >>> t = np.array([0.0, 10.0, 20.0])
    >>> w = weights(t, t[0], 10.0)
    >>> decayed_before(np.zeros(3, np.int64), t, w, np.zeros(3), np.full(3, np.nan), 10.0).round(3)
    array([0.   , 0.368, 0.503])
    """
    if len(time) == 0:
        return np.empty(0, dtype=np.float64)
    t0 = float(time[0])
    stored = np.where(
        np.isnan(stored_time), 0.0, stored_value * np.exp((nan_to_zero(stored_time) - t0) / tau)
    )
    accumulated = stored + group_cumsum_before(groups, increments)
    result: FloatArray = accumulated * np.exp(-(time - t0) / tau)
    return result


def weights(time: FloatArray, t0: float, tau: float) -> FloatArray:
    """``exp((t - t0) / tau)``: a row's contribution in the undecayed units of a batch."""
    result: FloatArray = np.exp((time - t0) / tau)
    return result


def settle(
    compute: Callable[[BoolArray], BoolArray], n: int, start: BoolArray | None = None
) -> BoolArray:
    """The held-back set that a one-by-one run would produce.

    ``compute(held)`` says which rows are unusual when ``held`` rows are kept out of the
    baseline. A row depends only on earlier rows, so iterating from "nothing held" (or from any
    ``start``) fixes one more row per round at worst; the only fixed point is the sequential
    answer.

    >>> settle(lambda held: np.array([True, not held[0]]), 2).tolist()
    [True, False]
    """
    held = np.zeros(n, dtype=np.bool_) if start is None else start.copy()
    for _ in range(n + 1):
        updated = compute(held)
        if np.array_equal(updated, held):
            return held
        held = updated
    return held


def settle_by_group(
    compute: Callable[[BoolArray], BoolArray],
    compute_part: Callable[[Int64Array], Callable[[BoolArray], BoolArray]],
    groups: np.ndarray,
    n: int,
    full_rounds: int = 2,
) -> BoolArray:
    """:func:`settle` for a fixed point that splits by group: a row depends only on earlier
    rows of its own group (one user's held-back events never change another user's view).

    After ``full_rounds`` rounds over every row, a group whose rows did not change in the last
    round has reached its fixed point; the groups still changing (usually a few users with a
    chain of odd events, which take one round per link) go on alone, on the rows
    ``compute_part(rows)`` judges. A last round over every row confirms the answer (and goes
    on from there in the unlikely case that rounding differs between the two).

    >>> groups = np.array([0, 0, 0, 1])
    >>> def judge(held):  # group 0 is a chain: a row is unusual once the one before is held
    ...     return np.array([True, held[0], held[1], False])
    >>> def judge_part(rows):
    ...     def judge_rows(held):
    ...         every = np.zeros(4, dtype=bool)
    ...         every[rows] = held
    ...         return judge(every)[rows]
    ...     return judge_rows
    >>> settle_by_group(judge, judge_part, groups, 4, full_rounds=1).tolist()
    [True, True, True, False]
    """
    held = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return held
    for _ in range(full_rounds):
        updated = compute(held)
        if np.array_equal(updated, held):
            return held
        changing = unique1d(groups[updated != held])
        held = updated
    rows = np.flatnonzero(np.isin(groups, changing)).astype(np.int64)
    held[rows] = settle(compute_part(rows), len(rows), start=held[rows])
    return settle(compute, n, start=held)


def time_chunks(time: FloatArray, tau: float) -> list[tuple[int, int]]:
    """Split a time-ordered batch so that no chunk spans more than ``MAX_SPAN_TAUS * tau``."""
    n = len(time)
    if n == 0 or float(time[-1] - time[0]) <= MAX_SPAN_TAUS * tau:
        return [(0, n)]
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < n:
        stop = int(np.searchsorted(time, time[start] + MAX_SPAN_TAUS * tau, side="right"))
        stop = max(stop, start + 1)
        bounds.append((start, stop))
        start = stop
    return bounds


def poisson_nats(count: FloatArray, mean: FloatArray) -> FloatArray:
    """Chernoff bound on ``-ln P(X >= count)`` for ``X ~ Poisson(mean)`` (0 when count <= mean).

    >>> poisson_nats(np.array([1.0, 10.0]), np.array([2.0, 1.0])).round(2).tolist()
    [0.0, 14.03]
    """
    safe_count = np.maximum(count, 1e-12)
    nats = safe_count * np.log(safe_count / mean) - safe_count + mean
    result: FloatArray = np.where(count > mean, nats, 0.0)
    return result


def level_of(value: FloatArray, base: float) -> FloatArray:
    """Doubling level of ``value``: -1 below ``base``, 0 from ``base``, 1 from 2*base, ...

    Within :data:`LEVEL_TOLERANCE` of a boundary counts as reaching it, so that a count of two
    summed in another order (1.9999999999998) is on the same level as 2.0.

    >>> level_of(np.array([0.5, 1.0, 1.9999999999998, 2.0, 4.5]), 1.0).tolist()
    [-1.0, 0.0, 1.0, 1.0, 2.0]
    """
    scaled = np.maximum(value, 1e-300) * (1.0 + LEVEL_TOLERANCE) / base
    with np.errstate(divide="ignore"):
        levels = np.floor(np.log2(scaled))
    result: FloatArray = np.where(scaled >= 1.0, levels, -1.0)
    return result


def at_least(value: FloatArray, bound: float) -> BoolArray:
    """``value >= bound`` up to :data:`LEVEL_TOLERANCE` (for decayed counts of whole events).

    >>> at_least(np.array([1.9999999999998, 1.99]), 2.0).tolist()
    [True, False]
    """
    result: BoolArray = value * (1.0 + LEVEL_TOLERANCE) >= bound
    return result


def quantised(value: FloatArray, base: float) -> FloatArray:
    """``value`` rounded down to its doubling level (``base * 2**level``; 0 below ``base``)."""
    level = level_of(value, base)
    result: FloatArray = np.where(level >= 0, base * 2.0 ** np.maximum(level, 0), 0.0)
    return result


def passes_peak(value: FloatArray, peak: FloatArray, base: float) -> BoolArray:
    """True where ``value`` reaches a doubling level above the (decaying) quantised peak.

    The peak has to fade by half a level before the same level can fire again.

    >>> passes_peak(np.array([16.5, 16.5, 9.0]), np.array([15.9, 8.0, 0.0]), 8.0).tolist()
    [False, True, True]
    """
    result: BoolArray = level_of(value, base) > level_of(peak * 1.99, base)
    return result


def counts_before(
    value: FloatArray,
    stamp: FloatArray,
    entity: np.ndarray,
    time: FloatArray,
    keep: BoolArray,
    tau: float,
) -> FloatArray:
    """Per row: the entity's decayed count of earlier ``keep`` rows (and stored ``value`` at
    ``stamp``), as a one-by-one run would see it. ``value``/``stamp`` are per-row lookups.

    >>> t = np.array([0.0, 10.0, 20.0])
    >>> e = np.zeros(3, dtype=np.int32)
    >>> counts_before(np.zeros(3), np.full(3, np.nan), e, t, np.ones(3, bool), 10.0).round(3)
    array([0.   , 0.368, 0.503])
    """
    before = np.zeros(len(time))
    if len(time) == 0:
        return before
    groups = entity.astype(np.int64)
    size = int(entity.max()) + 1
    # Dense per-entity carry between chunks (a batch spanning more than MAX_SPAN_TAUS).
    carry_value = np.zeros(size)
    carry_stamp = np.full(size, np.nan)
    carry_value[entity] = value
    carry_stamp[entity] = stamp
    for start, stop in time_chunks(time, tau):
        part = slice(start, stop)
        w = weights(time[part], float(time[start]), tau)
        before[part] = decayed_before(
            groups[part],
            time[part],
            np.where(keep[part], w, 0.0),
            carry_value[entity[part]],
            carry_stamp[entity[part]],
            tau,
        )
        if stop < len(time):
            carry_value, carry_stamp = fold(
                carry_value, carry_stamp, entity[part], time[part], keep[part], tau
            )
    return before


def fold(
    value: FloatArray,
    stamp: FloatArray,
    entity: np.ndarray,
    time: FloatArray,
    keep: BoolArray,
    tau: float,
) -> tuple[FloatArray, FloatArray]:
    """Decayed counts after adding the ``keep`` rows; all touched entities move to their last
    row's time (decay is multiplicative, so the reference time is free)."""
    value, stamp = value.copy(), stamp.copy()
    last = np.full(len(value), -np.inf)
    np.maximum.at(last, entity, time)
    touched = np.isfinite(last)
    old = np.where(np.isnan(stamp), last, stamp)
    value[touched] = value[touched] * np.exp(-(last[touched] - old[touched]) / tau)
    age = last[entity] - time
    contribution = np.zeros(len(value))
    np.add.at(contribution, entity[keep], np.exp(-age[keep] / tau))
    value += contribution
    stamp[touched] = last[touched]
    return value, stamp
