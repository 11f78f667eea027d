"""The detector protocol and the vectorised helpers detectors share.

A detector **scores** a batch (without changing its state), then **learns** from it. Scores come
out as :class:`Signals`: risk points per flagged event plus the explanation of each. The risk
layer, not the detector, decides what becomes an alert (STYLE.md: keep the decision out of the
scorer). State is plain numpy arrays, snapshotted without pickle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from detectors._exact import narrow_days, wide_days
from detectors._grow import grow as grow  # re-exported: detectors import it from here
from detectors._seconds import NEVER, SECONDS, decode, encode, stored_times
from detectors._sort import group_positions, stable_groups, sums_before, unique1d
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array, IntArray

StateDict = dict[str, np.ndarray]
View = TypeVar("View")
Method = TypeVar("Method", bound=Callable[..., Any])
_VIEW_ATTRIBUTE = "_batch_view_cache"


def batch_view(method: Callable[[Any, EventBatch], View]) -> Callable[[Any, EventBatch], View]:
    """Cache a detector's per-batch view from ``score`` for ``learn`` on the same batch.

    The engine scores a batch with every detector and then lets each learn from it; a view
    depends only on the batch and the detector's own state, which nothing changes in between
    (score never does, and :func:`changes_state` drops the cache whenever state changes), so
    computing it once halves the work. The cache holds the batch itself, so identity cannot be
    confused with a later batch at the same address.
    """

    @functools.wraps(method)
    def cached(self: Any, batch: EventBatch) -> View:
        hit: tuple[EventBatch, View] | None = getattr(self, _VIEW_ATTRIBUTE, None)
        if hit is not None and hit[0] is batch:
            return hit[1]
        view = method(self, batch)
        setattr(self, _VIEW_ATTRIBUTE, (batch, view))
        return view

    return cached


def changes_state(method: Method) -> Method:
    """For ``learn`` and ``load_state``: a view cached by :func:`batch_view` is stale after."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        finally:
            if getattr(self, _VIEW_ATTRIBUTE, None) is not None:
                setattr(self, _VIEW_ATTRIBUTE, None)

    return wrapper  # type: ignore[return-value]


@dataclass
class Signals:
    """What one detector flagged in one batch: a row per flagged event."""

    detector: str
    entity_kind: str  # "user" | "host" | "ip"
    rows: Int64Array  # indices into the batch
    entity: IntArray  # entity ids in the vocabulary of ``entity_kind``
    points: FloatArray  # risk points, 0-100
    titles: list[str] = field(default_factory=list)  # one sentence per row
    observed: list[str] = field(default_factory=list)
    baseline: list[str] = field(default_factory=list)
    mitre: tuple[str, ...] = ()
    # The techniques of each row when they depend on what was found (a service install is not a
    # log clearing); empty, or an empty row, means ``mitre`` (the detector's whole list).
    row_mitre: list[tuple[str, ...]] = field(default_factory=list)
    # Which of the detector's actions each row reports, when it reports more than one kind (a
    # failure burst, and the success that ended it): the risk layer reads one detector's
    # findings within minutes as artefacts of one action (a burst) only when they share it.
    # Empty, or an empty row, means one action for every row.
    actions: list[str] = field(default_factory=list)

    def action(self, index: int) -> str:
        """The action row ``index`` reports ("" = the detector's only one)."""
        return self.actions[index] if self.actions else ""

    def techniques(self, index: int) -> tuple[str, ...]:
        """ATT&CK techniques of row ``index``: its own when known, else the detector's."""
        own = self.row_mitre[index] if self.row_mitre else ()
        return own or self.mitre

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def empty(cls, detector: str, entity_kind: str, mitre: tuple[str, ...] = ()) -> Signals:
        return cls(
            detector=detector,
            entity_kind=entity_kind,
            rows=np.empty(0, dtype=np.int64),
            entity=np.empty(0, dtype=np.int32),
            points=np.empty(0, dtype=np.float64),
            mitre=mitre,
        )


def merge_signals(first: Signals, second: Signals, mitre: tuple[str, ...]) -> Signals:
    """Two sets of one detector's findings in one batch as one, in row order (on a tie, the
    first's row first). A per-row list a side left empty reads as its default for each of its
    rows: no techniques of its own (``mitre``), the detector's only action."""
    order = np.argsort(np.concatenate([first.rows, second.rows]), kind="stable")
    pick = order.tolist()

    def both(name: str, default: Any) -> list[Any]:
        joined = [
            value
            for side in (first, second)
            for value in (getattr(side, name) or [default] * len(side))
        ]
        return [joined[i] for i in pick]

    return Signals(
        detector=second.detector,
        entity_kind=second.entity_kind,
        rows=np.concatenate([first.rows, second.rows])[order],
        entity=np.concatenate([first.entity, second.entity])[order],
        points=np.concatenate([first.points, second.points])[order],
        titles=both("titles", ""),
        observed=both("observed", ""),
        baseline=both("baseline", ""),
        mitre=mitre,
        row_mitre=both("row_mitre", ()),
        actions=both("actions", ""),
    )


def flagged_signals(
    detector: Any, view: dict[str, np.ndarray], entity_key: str, points_key: str = "points"
) -> Signals:
    """Signals for the rows ``view["flagged"]`` marks (no titles yet): the common first half
    of a detector's ``score``. ``view`` holds per-relevant-row arrays incl. ``rows``."""
    flagged = view["flagged"]
    if not flagged.any():
        return Signals.empty(detector.name, detector.entity_kind, detector.mitre)
    return Signals(
        detector=detector.name,
        entity_kind=detector.entity_kind,
        rows=view["rows"][flagged].astype(np.int64),
        entity=view[entity_key][flagged].astype(np.int32),
        points=view[points_key][flagged],
        mitre=detector.mitre,
    )


@runtime_checkable
class Detector(Protocol):
    """Score a batch, then learn from it. ``__init__`` takes configuration only."""

    name: ClassVar[str]
    mitre: ClassVar[tuple[str, ...]]

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        """Flag events of ``batch`` against the state learned so far; must not change state."""
        ...

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        """Fold the batch into the state, except rows in ``held_back`` (flagged behaviour)."""
        ...

    def state(self) -> StateDict:
        """Learned state as named numpy arrays (no object dtype)."""
        ...

    def load_state(self, state: StateDict) -> None: ...


def new_value_surprise(
    count: np.ndarray,
    distinct: np.ndarray,
    points_per_nat: float,
    max_points: float,
    p_floor: FloatArray | float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """The chance that an entity with ``count`` events over ``distinct`` values shows a new one
    (add-one estimate, never below ``p_floor``) and the points its surprise is worth:
    ``min(max_points, -ln(p_new) * points_per_nat)``.

    >>> p, points = new_value_surprise(np.array([98.0]), np.array([1.0]), 10.0, 80.0)
    >>> round(float(p[0]), 2), round(float(points[0]), 1)
    (0.02, 39.1)
    """
    p_new: FloatArray = np.maximum((distinct + 1.0) / (count + 2.0), p_floor)
    points: FloatArray = np.minimum(max_points, -np.log(p_new) * points_per_nat)
    return p_new, points


def group_order(keys: Int64Array) -> tuple[Int64Array, Int64Array]:
    """For each position: how many earlier positions share its key, and the first such position.

    This is what makes batch scoring equal to one-by-one scoring: an event in a batch sees the
    events before it in the same batch.

    >>> prior, first = group_order(np.array([7, 3, 7, 7, 3], dtype=np.int64))
    >>> prior.tolist(), first.tolist()
    ([0, 0, 1, 2, 1], [0, 1, 0, 0, 1])
    """
    compiled = group_positions(keys)
    if compiled is not None:
        return compiled[0], compiled[1]
    n = len(keys)
    order, start_index = stable_groups(keys)
    prior = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    prior[order] = np.arange(n) - start_index
    first[order] = order[start_index]
    return prior, first


def group_cumsum_before(keys: Int64Array, values: FloatArray) -> FloatArray:
    """Sum of ``values`` over earlier positions with the same key (exclusive prefix sum).

    >>> group_cumsum_before(np.array([1, 2, 1, 1]), np.array([1.0, 5.0, 2.0, 4.0])).tolist()
    [0.0, 0.0, 1.0, 3.0]
    """
    compiled = sums_before(keys, values)
    if compiled is not None:
        return compiled
    n = len(keys)
    order, start_index = stable_groups(keys)
    sorted_values = values[order].astype(np.float64)
    result = np.empty(n, dtype=np.float64)
    if n and _loses_precision(sorted_values):
        result[order] = _segmented_sum_before(sorted_values, start_index)
        return result
    inclusive = np.cumsum(sorted_values)
    exclusive = inclusive - sorted_values
    result[order] = exclusive - exclusive[start_index] if n else exclusive
    return result


#: One running sum over every group is exact enough while the batch's total stays within this
#: factor of its smallest value (the error is ~1e-16 of the total: 1e-7 of the smallest value).
#: Decay weights ``exp((t - t0) / tau)`` over a batch spanning many decay constants go far past
#: it: a group of e^10 weights after one of e^60 weights lost its counts entirely.
_EXACT_RANGE = 1e9


def _loses_precision(values: FloatArray) -> bool:
    """Would one running sum over every group lose a group's smallest values?"""
    magnitude = np.abs(values)
    nonzero = magnitude[magnitude > 0]
    if not len(nonzero):
        return False
    return bool(float(magnitude.sum()) > _EXACT_RANGE * float(nonzero.min()))


def _segmented_sum_before(values: FloatArray, group: Int64Array) -> FloatArray:
    """Exclusive prefix sums within runs of equal ``group`` (sorted), never across runs: each
    sum adds only its own group's values (doubling steps, log2 of the longest run)."""
    n = len(values)
    inclusive = values.copy()
    step = 1
    while step < n:
        same = group[step:] == group[:-step]
        if not same.any():
            break
        inclusive[step:] = inclusive[step:] + np.where(same, inclusive[:-step], 0.0)
        step *= 2
    before = np.zeros(n, dtype=np.float64)
    if n > 1:
        same = group[1:] == group[:-1]
        before[1:] = np.where(same, inclusive[:-1], 0.0)
    return before


#: The largest finite ``float64``: what ``np.nan_to_num`` puts for +-inf.
_LARGEST = float(np.finfo(np.float64).max)


def nan_to_zero(values: FloatArray) -> FloatArray:
    """``np.nan_to_num(values)`` of a ``float64`` array (NaN 0, +-inf the largest finite
    floats, a new array) in three ufunc calls: numpy's function made ~8 passes behind Python
    checks (~25 -> ~13 us on 2,000 values), and the shared helpers call it on every batch's
    stored times. Other types take numpy's function.

    >>> nan_to_zero(np.array([np.nan, -np.inf, 2.5, np.inf])).tolist()[:3]
    [0.0, -1.7976931348623157e+308, 2.5]
    """
    if values.dtype != np.float64:
        converted: FloatArray = np.nan_to_num(values)
        return converted
    result: FloatArray = np.where(np.isnan(values), 0.0, values)
    np.minimum(result, _LARGEST, out=result)
    np.maximum(result, -_LARGEST, out=result)
    return result


#: Unsigned types from narrowest to widest, for :func:`narrow_counts`.
_UNSIGNED: tuple[type[np.unsignedinteger[Any]], ...] = (np.uint8, np.uint16, np.uint32, np.uint64)


def narrow_counts(counts: npt.ArrayLike) -> np.ndarray:
    """Whole counts (>= 0) in the narrowest unsigned type that holds the largest of them.

    The type follows from the values alone (never from how they were batched), so state stays
    comparable bit for bit, and widens by itself when a count outgrows it: a user's events per
    hour of the day fit 16 bits for years, 32 when they don't. Callers compute in ``int64`` or
    ``float64`` and narrow the result; reading a narrow count back gives the same number.

    >>> narrow_counts(np.array([0.0, 3.0, 255.0])).dtype, narrow_counts([70_000]).dtype
    (dtype('uint8'), dtype('uint32'))
    """
    values = np.asarray(counts)
    top = int(values.max()) if values.size else 0
    for dtype in _UNSIGNED:
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype)
    raise OverflowError(f"count {top} does not fit 64 bits")


def gather(array: np.ndarray, size: int, fill: float | int, index: np.ndarray) -> np.ndarray:
    """``grow(array, size, fill)[index]`` without growing a copy of ``array``: the batch's
    rows only, where the copy was the size of everything ever seen.

    >>> gather(np.array([1.0, 2.0]), 4, np.nan, np.array([1, 3, -1])).tolist()
    [2.0, nan, nan]
    """
    index = np.asarray(index)
    total = max(len(array), size)
    if index.size and int(index.min()) < 0:
        index = np.where(index < 0, index + total, index)
        if int(index.min()) < 0:
            raise IndexError(f"index {int(index.min()) - total} is out of bounds for size {total}")
    inside = index < len(array)
    if inside.all():
        result: np.ndarray = array[index]
        return result
    if index.size and int(index.max()) >= total:
        raise IndexError(f"index {int(index.max())} is out of bounds for size {total}")
    gathered = np.full(index.shape, fill, dtype=array.dtype)
    gathered[inside] = array[index[inside]]
    return gathered


def bump_counts(counts: np.ndarray, size: int, index: np.ndarray) -> np.ndarray:
    """``narrow_counts(grow(counts, size, 0).astype(np.int64) + np.bincount(index, ...))``
    touching only the rows in ``index`` (a new array only when it grows or its type widens).

    Counts made by :func:`narrow_counts` are in the narrowest type of their largest value and
    only ever grow here, so the type after adding is the wider of theirs and the narrowest of
    the rows just bumped: the same array, bit for bit, without reading every entity.

    >>> bump_counts(np.array([1, 0], dtype=np.uint8), 3, np.array([2, 2, 0])).tolist()
    [2, 0, 2]
    >>> bump_counts(np.array([255], dtype=np.uint8), 1, np.array([0])).dtype
    dtype('uint16')
    """
    current = np.asarray(counts)
    total = max(len(current), size)
    if len(current) == 0 or current.dtype.kind != "u":
        return narrow_counts(
            grow(current, total, 0).astype(np.int64) + np.bincount(index, minlength=total)
        )
    rows, hits = unique1d(np.asarray(index, dtype=np.int64), return_counts=True)
    grown = grow(current, total, 0)
    if not len(rows):
        return grown
    values = grown[rows].astype(np.int64) + hits
    wide = narrow_counts(np.array([int(values.max())])).dtype
    if np.iinfo(wide).max > np.iinfo(grown.dtype).max:
        grown = grown.astype(wide)
    grown[rows] = values
    return grown


def fold_extreme(
    stored: np.ndarray, index: np.ndarray, values: np.ndarray, largest: bool = False
) -> None:
    """In place: each entity in ``index`` keeps the smaller (``largest``: larger) of its stored
    value and its values in the batch (NaN stored: the batch's). The batch's entities only,
    where a full-size scratch array per call cost the size of every entity seen.

    >>> stored = np.array([5.0, np.nan, 1.0])
    >>> fold_extreme(stored, np.array([0, 1, 0]), np.array([7.0, 3.0, 4.0]))
    >>> stored.tolist()
    [4.0, 3.0, 1.0]
    """
    if not len(index):
        return
    rows, inverse = unique1d(index, return_inverse=True)
    extreme = np.full(len(rows), -np.inf if largest else np.inf)
    (np.maximum if largest else np.minimum).at(extreme, inverse.reshape(-1), values)
    finite = np.isfinite(extreme)
    rows, extreme = rows[finite], extreme[finite]
    stored[rows] = (np.fmax if largest else np.fmin)(stored[rows], extreme)


def gather_times(stored: np.ndarray, size: int, index: np.ndarray) -> FloatArray:
    """:func:`gather` of a per-entity time column kept in whole seconds
    (:mod:`detectors._seconds`), read as ``float64`` (NaN: never).

    >>> gather_times(encode(np.array([5.5, np.nan])), 3, np.array([0, 1, 2])).tolist()
    [5.0, nan, nan]
    """
    return decode(gather(stored, size, NEVER, index))


def first_times(stored: np.ndarray, fill: float, index: Int64Array, time: FloatArray) -> FloatArray:
    """Each row's first time of its entity ``index`` (a tenant, say): the stored one
    (:func:`gather`, ``fill`` for an entity beyond ``stored``), else, where that is NaN, the
    time of the entity's first row in the batch (rows in time order).

    >>> first_times(np.array([5.0]), np.nan, np.array([0, 1, 1]), np.array([7.0, 8.0, 9.0]))
    array([5., 8., 8.])
    """
    size = int(index.max()) + 1 if len(index) else 0
    first = gather(stored, size, fill, index)
    _, first_row = group_order(index)
    result: FloatArray = np.where(np.isnan(first), time[first_row], first)
    return result


def fold_first_times(stored: np.ndarray, index: np.ndarray, times: FloatArray) -> None:
    """In place: each entity in ``index`` keeps the earliest of its stored time (whole seconds,
    :data:`NEVER` for none) and its ``times``, rounded down. Codes order as the times they
    store and "never" is the largest, so the smallest code is the earliest time (the floor of
    the earliest is the earliest floor)."""
    fold_extreme(stored, index, encode(times).astype(np.float64))


class PairTable:
    """A sorted ``int64`` key -> (count, last time) table with vectorised lookup and merge.

    >>> table = PairTable()
    >>> table.add(np.array([5, 9, 5], dtype=np.int64), np.array([1.0, 2.0, 3.0])).tolist()
    [0, 1]
    >>> table.lookup(np.array([5, 7, 9], dtype=np.int64))[0].tolist()
    [2.0, 0.0, 1.0]

    A table whose counts only ever grow by :meth:`add` (whole occurrences) keeps them as
    unsigned integers (``PairTable(WHOLE_COUNTS)``), in the narrowest type that holds the
    largest (:func:`narrow_counts`: 1, 2 or 4 bytes an entry instead of 8, the same numbers; a
    count stops at 2**32 - 1). Tables whose callers store other values in ``counts`` stay
    float64.
    Last-seen times are kept as ``uint32`` whole seconds, rounded down
    (:mod:`detectors._seconds`: 4 bytes an entry, never later than the real time); :meth:`lookup`
    answers them as ``float64``.
    A table whose last-seen times nobody reads is made with ``times=False``: it keeps none
    and :meth:`lookup` answers NaN for them. One whose counts nobody reads
    (only the last time) is made with ``tally=False``: :meth:`lookup` then answers 1 for a key
    that is present.
    A table of :func:`pair_keys` keys (or of single ids: a pair with left 0) made with
    ``narrow_keys=True`` keeps them in 32 bits while both ids of every key are < 2**16
    (:func:`narrow_pair_keys`, the same order, as :class:`CountTable` does); the first larger
    one makes them ``int64`` for good (keys are never removed: that is "while they all fit",
    so the type follows from the keys alone, also when restored from a snapshot).

    >>> narrow = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
    >>> narrow.add(pair_keys(np.array([3, 3]), np.array([4, 4])), np.zeros(2)).tolist()
    [0]
    >>> narrow.keys.dtype.name, narrow.lookup(pair_keys(np.array([3, 9]), np.array([4, 4])))[0]
    ('uint32', array([2., 0.]))
    >>> narrow.add(pair_keys(np.array([70_000]), np.array([1])), np.zeros(1)).tolist()
    [1]
    >>> narrow.keys.dtype.name, narrow.lookup(pair_keys(np.array([3, 70_000]), np.array([4, 1])))[0]
    ('int64', array([2., 1.]))
    """

    def __init__(
        self,
        counts: type[np.generic] = np.float64,
        *,
        times: bool = True,
        tally: bool = True,
        narrow_keys: bool = False,
    ) -> None:
        self._narrow_keys = narrow_keys
        # (uint32 narrow keys while they all fit, when ``narrow_keys``; else int64)
        self.keys: np.ndarray = np.empty(0, dtype=np.uint32 if narrow_keys else np.int64)
        self._whole = np.issubdtype(counts, np.integer)
        self._tally = tally
        self.counts: np.ndarray = np.empty(0, dtype=np.uint8 if self._whole else counts)
        self.last: np.ndarray = np.empty(0, dtype=SECONDS)  # (encoded: read it with decode)
        self._times = times

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, keys: Int64Array) -> tuple[FloatArray, FloatArray]:
        """Counts (0 when absent) and last-seen times (NaN when absent) for ``keys``."""
        if len(self.keys) == 0:
            return np.zeros(len(keys)), np.full(len(keys), np.nan)
        clipped, found = find_pair_keys(self.keys, keys)
        counts = np.where(found, self.counts[clipped] if self._tally else 1.0, 0.0)
        if not self._times:
            return counts, np.full(len(keys), np.nan)
        last = np.where(found, decode(self.last[clipped]), np.nan)
        return counts, last

    def positions(self, keys: Int64Array) -> Int64Array:
        """Where ``keys`` (all present) are, as :meth:`add` put them (narrow or not)."""
        return pair_key_positions(self.keys, keys)

    def add(self, keys: Int64Array, times: FloatArray) -> Int64Array:
        """Count each key occurrence once; last time = the latest of ``times`` per key.

        Returns where the distinct ``keys`` (ascending) are now, what :meth:`positions` of
        them answers, without searching the table again."""
        if len(keys) == 0:
            return np.empty(0, dtype=np.int64)
        unique, inverse = unique1d(keys, return_inverse=True)
        increments = np.bincount(inverse, minlength=len(unique))
        if not self._whole:
            increments = increments.astype(np.float64)
        latest = np.full(len(unique), -np.inf)
        if self._times:
            np.maximum.at(latest, inverse, times)
        # (narrow while every key fits; a larger id: every key in 64 bits from now)
        self.keys, unique = as_stored_pair_keys(self.keys, unique)
        position = np.searchsorted(self.keys, unique)
        clipped = np.minimum(position, max(len(self.keys) - 1, 0))
        found = self.keys[clipped] == unique if len(self.keys) else np.zeros(len(unique), np.bool_)
        hit = clipped[found]
        if not self._tally:
            pass
        elif self._whole:
            total = np.minimum(self.counts[hit].astype(np.int64) + increments[found], _WHOLE_MAX)
            increments = np.minimum(increments, _WHOLE_MAX)
            top = max(int(total.max(initial=0)), int(increments.max(initial=0)))
            if top > np.iinfo(self.counts.dtype).max:  # widen to the type that holds ``top``
                self.counts = self.counts.astype(narrow_counts([top]).dtype)
            self.counts[hit] = total
        else:
            self.counts[hit] += increments[found]
        if self._times:  # (codes of times order as the times: never is not stored here)
            self.last[hit] = np.maximum(self.last[hit], encode(latest[found]))
        new = ~found
        if new.any():
            insert_at = position[new]
            self.keys = np.insert(self.keys, insert_at, unique[new])
            if self._tally:
                self.counts = np.insert(
                    self.counts, insert_at, increments[new].astype(self.counts.dtype)
                )
            if self._times:
                self.last = np.insert(self.last, insert_at, encode(latest[new]))
        return places_after_insert(position, new)

    def look_up_and_place(self, keys: Int64Array) -> tuple[FloatArray, FloatArray, Int64Array]:
        """For sorted distinct ``keys``: :meth:`lookup`'s counts and last times as the table
        held them, and where the keys are once the absent ones are put in (count 0, time code
        0: the caller writes both), from one search of the table (round 26: where a lookup and
        an :meth:`add` searched it twice; the keys stored as :meth:`add` stores them).

        >>> table = PairTable()
        >>> _ = table.add(np.array([5], dtype=np.int64), np.array([7.0]))
        >>> counts, last, position = table.look_up_and_place(np.array([2, 5], dtype=np.int64))
        >>> counts.tolist(), last.tolist(), position.tolist(), table.keys.tolist()
        ([0.0, 1.0], [nan, 7.0], [0, 1], [2, 5])
        """
        self.keys, query = as_stored_pair_keys(self.keys, keys)
        position, found = place_sorted(self.keys, query)
        hit = position[found]
        counts = np.zeros(len(keys))
        counts[found] = self.counts[hit] if self._tally else 1.0
        last = np.full(len(keys), np.nan)
        if self._times:
            last[found] = decode(self.last[hit])
        new = ~found
        if new.any():
            at = position[new]
            self.keys = np.insert(self.keys, at, query[new])
            if self._tally:
                self.counts = np.insert(self.counts, at, 0)
            if self._times:
                self.last = np.insert(self.last, at, 0)
        return counts, last, places_after_insert(position, new)

    def state(self, prefix: str) -> StateDict:
        keys = self.keys
        if keys.dtype == np.int64 and len(keys):
            # Saved in 32 bits whenever every key fits (both ids < 2**16; a plain id key
            # < 2**16 fits too): :meth:`load_state` widens them back, the same keys.
            narrow, fits = narrow_pair_keys(keys)
            keys = narrow if fits.all() else keys
        state: StateDict = {f"{prefix}keys": keys}
        if self._tally:
            state[f"{prefix}counts"] = self.counts
        if self._times:
            state[f"{prefix}last"] = self.last
        return state

    def load_state(self, state: StateDict, prefix: str) -> None:
        keys = np.asarray(state[f"{prefix}keys"])
        # (narrow or int64, whichever was saved: kept as this table keeps them)
        wide = wide_pair_keys(keys) if keys.dtype == np.uint32 else keys.astype(np.int64)
        self.keys = wide
        if self._narrow_keys:
            narrow, fits = narrow_pair_keys(wide)
            if fits.all():
                self.keys = narrow
        # Snapshots from before whole counts were narrow hold them as float64 or uint32: the
        # same values, narrowed as :meth:`add` keeps them.
        if self._tally:  # (a snapshot may hold counts this table does not keep: ignored)
            counts = np.asarray(state[f"{prefix}counts"])
            self.counts = narrow_counts(counts) if self._whole else counts.astype(self.counts.dtype)
        if self._times:  # (a snapshot may hold times this table does not keep: ignored)
            # (float64 in snapshots from before times were whole seconds: rounded down as
            # if learned)
            self.last = stored_times(state[f"{prefix}last"])


#: From this many keys in a table of at least this many, :func:`search_sorted` looks them up in
#: sorted order: numpy's binary search then walks neighbouring paths of a table that does not
#: fit the cache (22,000 random keys in a table of 1M keys: 4.1 ms in the order given, 1.2 ms
#: with the argsort). Below ~2,000 keys, or in a smaller table (batch-sized ones, the stored
#: pairs of a small tenant), the argsort costs more than it saves (measured on the streaming
#: benchmark's input, per call site).
_SORTED_SEARCH_KEYS = 1024
_SORTED_SEARCH_TABLE = 1 << 16


def search_sorted(
    table: np.ndarray, keys: np.ndarray, side: Literal["left", "right"] = "left"
) -> Int64Array:
    """``np.searchsorted(table, keys, side)``: the same positions (each key's position depends
    on that key alone), found faster for many keys in a large table by searching them in
    sorted order.

    >>> search_sorted(np.array([2, 5, 9]), np.array([5, 1, 9, 12])).tolist()
    [1, 0, 2, 3]
    """
    keys = np.asarray(keys)
    if keys.ndim != 1 or len(keys) < _SORTED_SEARCH_KEYS or len(table) < _SORTED_SEARCH_TABLE:
        found: Int64Array = np.searchsorted(table, keys, side=side)
        return found
    order = np.argsort(keys)
    position = np.empty(len(keys), dtype=np.intp)
    position[order] = np.searchsorted(table, keys[order], side=side)
    return position


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D integer array, by a sort: numpy 2.4's ``np.unique``
    without ``return_index``/``return_inverse``/``return_counts`` goes through a hash table
    and is 7-9x slower (27 us / 1.8 ms for 500 / 22,000 int64 keys against 4 / 0.2 ms).
    Integers only (``np.unique`` collapses NaNs, this would not).

    >>> sorted_unique(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    ordered = np.sort(np.asarray(values))
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    distinct: np.ndarray = ordered[first]
    return distinct


def latest_earlier(
    event_keys: Int64Array, event_rows: Int64Array, keys: Int64Array, rows: Int64Array
) -> Int64Array:
    """Per query (``keys``, ``rows``): the index into the events of the latest event with the
    same key at an earlier batch row (-1: none). Keys and rows are non-negative.

    >>> latest_earlier(np.array([7, 7, 3]), np.array([1, 4, 2]),
    ...                np.array([7, 7, 3, 3]), np.array([4, 9, 2, 5])).tolist()
    [0, 1, -1, 2]
    """
    result = np.full(len(keys), -1, dtype=np.int64)
    if not len(event_keys) or not len(keys):
        return result
    span = int(max(event_rows.max(), rows.max())) + 1
    composite = event_keys.astype(np.int64) * span + event_rows
    order = np.argsort(composite, kind="stable")
    at = np.searchsorted(composite[order], keys.astype(np.int64) * span + rows) - 1
    hit = at >= 0
    hit[hit] = event_keys[order[at[hit]]] == keys[hit]
    result[hit] = order[at[hit]]
    return result


def upsert_sorted(
    keys: np.ndarray, new_keys: np.ndarray, columns: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """A table of sorted distinct ``keys`` and aligned columns with the rows of ``new_keys``
    (distinct) put in: a key already there takes its new row, the others are inserted in order.
    ``columns`` pairs each stored column with its new rows.

    >>> upsert_sorted(np.array([2, 5]), np.array([5, 3]), [(np.array([20, 50]), np.array([9, 3]))])
    (array([2, 3, 5]), [array([20,  3,  9])])
    """
    keep = ~np.isin(keys, new_keys)
    merged = np.concatenate([keys[keep], new_keys])
    order = np.argsort(merged, kind="stable")
    return merged[order], [np.concatenate([old[keep], new])[order] for old, new in columns]


def places_after_insert(position: Int64Array, new: BoolArray) -> Int64Array:
    """Where sorted distinct keys are once the ``new`` ones are inserted at ``position`` (their
    ``searchsorted`` places in the table before): each place plus the new keys inserted ahead
    of it (the smaller ones: both are sorted).

    Keys 5, 20, 25, 40 into 10, 20, 30 (20 is there): 5, 10, 20, 25, 30, 40.

    >>> places_after_insert(np.array([0, 1, 2, 3]), np.array([True, False, True, True])).tolist()
    [0, 2, 3, 5]
    """
    after: Int64Array = position.astype(np.int64) + (np.cumsum(new) - new)
    return after


def find_sorted(table: Int64Array, keys: Int64Array) -> tuple[Int64Array, BoolArray]:
    """Where each of ``keys`` is in the sorted ``table``, and whether it is there at all.

    Positions are valid indices into a non-empty table (clipped to its end); read values at
    them only where found.

    >>> find_sorted(np.array([2, 5, 9]), np.array([5, 1, 9, 12]))
    (array([1, 0, 2, 2]), array([ True, False,  True, False]))
    """
    if len(table) == 0:
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=np.bool_)
    position = np.minimum(search_sorted(table, keys), len(table) - 1)
    return position, table[position] == keys


def place_sorted(table: np.ndarray, keys: np.ndarray) -> tuple[Int64Array, BoolArray]:
    """For sorted distinct ``keys``: where each is in the sorted ``table`` or would go in
    (``np.searchsorted``, not clipped: :func:`places_after_insert` takes it on), and whether it
    is there; the one search a table that looks keys up and inserts the absent ones needs.

    >>> place_sorted(np.array([2, 5, 9]), np.array([1, 5, 12]))
    (array([0, 1, 3]), array([False,  True, False]))
    """
    position: Int64Array = np.searchsorted(table, keys)
    found: BoolArray = position < len(table)
    found[found] = table[position[found]] == keys[found]
    return position, found


#: Largest id of a pair whose key is kept in 32 bits (:func:`narrow_pair_keys`).
NARROW_ID = 0xFFFF


def narrow_pair_keys(keys: Int64Array) -> tuple[np.ndarray, BoolArray]:
    """:func:`pair_keys` keys as ``uint32`` ``left << 16 | right`` (the same order), and which
    of them have both ids < 2**16 (the others come out as 0).

    >>> narrow, fits = narrow_pair_keys(pair_keys(np.array([1, 70_000]), np.array([2, 3])))
    >>> narrow.tolist(), fits.tolist(), wide_pair_keys(narrow[:1]).tolist()
    ([65538, 0], [True, False], [4294967298])
    """
    if keys.dtype == np.int64:
        # One mask test instead of three comparisons (keys >= 0, left and right < 2**16: the
        # sign bit and bits 16-31 and 48-62 clear) and ``left << 16 | right`` as
        # ``keys >> 16 | low 16 bits``: the same arrays in 5 numpy calls, not 10 (the pair
        # tables narrow every batch's keys ~150 times).
        fits = (keys & _NOT_NARROW) == 0
        narrowed = np.where(fits, (keys >> 16) | (keys & NARROW_ID), 0).astype(np.uint32)
        return narrowed, fits
    left, right = keys >> 32, keys & 0xFFFFFFFF
    fits = (keys >= 0) & (left <= NARROW_ID) & (right <= NARROW_ID)
    narrow = np.where(fits, (left << 16) | right, 0).astype(np.uint32)
    return narrow, fits


#: The bits a pair key that fits 32 bits leaves clear (sign, 48-62 and 16-31).
_NOT_NARROW = np.int64(~0x0000_FFFF_0000_FFFF)


def wide_pair_keys(stored: np.ndarray) -> Int64Array:
    """Stored keys (``uint32`` narrow or ``int64``) as :func:`pair_keys` makes them."""
    if stored.dtype == np.int64:
        return stored
    value = stored.astype(np.int64)
    wide: Int64Array = ((value >> 16) << 32) | (value & NARROW_ID)
    return wide


def find_pair_keys(stored: np.ndarray, keys: Int64Array) -> tuple[Int64Array, BoolArray]:
    """:func:`find_sorted` of :func:`pair_keys` ``keys`` in a sorted key array kept narrow
    (``uint32``, :func:`narrow_pair_keys`) or not (``int64``): a key that does not fit 32 bits
    is never in a narrow array.

    >>> narrow = narrow_pair_keys(pair_keys(np.array([1, 2]), np.array([5, 5])))[0]
    >>> find_pair_keys(narrow, pair_keys(np.array([2, 70_000]), np.array([5, 5])))[1].tolist()
    [True, False]
    """
    if stored.dtype != np.uint32:
        return find_sorted(stored, keys)
    narrow, fits = narrow_pair_keys(keys)
    position, found = find_sorted(stored, narrow)
    return position, found & fits


def pair_key_positions(stored: np.ndarray, keys: Int64Array) -> Int64Array:
    """Where :func:`pair_keys` ``keys`` (all present) are in a sorted key array kept narrow
    (``uint32``) or not."""
    query = narrow_pair_keys(keys)[0] if stored.dtype == np.uint32 else keys
    position: Int64Array = np.searchsorted(stored, query)
    return position


def as_stored_pair_keys(stored: np.ndarray, keys: Int64Array) -> tuple[np.ndarray, np.ndarray]:
    """``(stored, keys)`` in one type, to be merged: 32 bits while ``stored`` is narrow and
    every one of ``keys`` fits, else both ``int64`` (a narrow ``stored`` widens for good; the
    same keys, the same order).

    >>> stored = narrow_pair_keys(pair_keys(np.array([1]), np.array([5])))[0]
    >>> small, large = pair_keys(np.array([2, 70_000]), np.array([5, 5]))
    >>> [a.dtype.name for a in as_stored_pair_keys(stored, np.array([small]))]
    ['uint32', 'uint32']
    >>> [a.dtype.name for a in as_stored_pair_keys(stored, np.array([large]))]
    ['int64', 'int64']
    """
    wide = np.asarray(keys, dtype=np.int64)
    if stored.dtype == np.uint32:
        narrow, fits = narrow_pair_keys(wide)
        if fits.all():
            return stored, narrow
        stored = wide_pair_keys(stored)
    return stored, wide


class CountTable:
    """Sorted :func:`pair_keys` keys with several whole-count columns and "last day" columns:
    one key array for facts about the same pairs that would otherwise each keep their own.

    While both ids of every pair are < 2**16 the keys are kept in 32 bits (``left << 16 |
    right``, the same order, as :mod:`detectors._pair_columns` does); the first pair with a
    larger id (or a negative key) makes them ``int64`` for good. Which one follows from the
    keys alone (also when restored from a snapshot), never from how the stream was batched.

    Counts are kept narrow (:func:`narrow_counts`); a day column holds ``int32`` day numbers
    (``floor(t / 86400)``: every datetime fits) with :data:`NO_DAY` for "never", saved in 16
    bits while every day fits (:func:`detectors._exact.narrow_days`, until 2059). A key absent
    from the table reads as 0 counts and never, exactly as one that is present with those.

    >>> table = CountTable(counts=("seen", "learned"), days=("usual",))
    >>> table.add("seen", np.array([9, 5, 9], dtype=np.int64))
    >>> table.add("learned", np.array([9], dtype=np.int64))
    >>> table.add_days("usual", np.array([5, 5], dtype=np.int64), np.array([19_000.0, 19_002.0]))
    >>> found = table.lookup(np.array([5, 7, 9], dtype=np.int64))
    >>> found["seen"].tolist(), found["learned"].tolist(), found["usual"].tolist()
    ([1.0, 0.0, 2.0], [0.0, 0.0, 1.0], [19002.0, nan, nan])
    """

    def __init__(self, counts: tuple[str, ...], days: tuple[str, ...] = ()) -> None:
        self.stored: np.ndarray = np.empty(0, dtype=np.uint32)  # (uint32 narrow, or int64)
        self.counts = {name: narrow_counts([]) for name in counts}
        self.days = {name: np.empty(0, dtype=np.int32) for name in days}

    @property
    def keys(self) -> Int64Array:
        """The keys as :func:`pair_keys` makes them (a copy while they are kept narrow)."""
        return wide_pair_keys(self.stored)

    def __len__(self) -> int:
        return len(self.stored)

    def _query(self, keys: Int64Array) -> tuple[np.ndarray, BoolArray | None]:
        """``keys`` in the stored type, and which can be there at all (None: every one)."""
        if self.stored.dtype == np.int64:
            return keys, None
        return narrow_pair_keys(keys)

    def _find(self, keys: Int64Array) -> tuple[Int64Array, BoolArray]:
        query, fits = self._query(keys)
        position, found = find_sorted(self.stored, query)
        if fits is not None:
            found &= fits
        return position, found

    def lookup(self, keys: Int64Array) -> dict[str, FloatArray]:
        """Per key and column: the count (0 when absent) or the last day (NaN when never)."""
        position, found = self._find(keys)
        result: dict[str, FloatArray] = {}
        for name, column in self.counts.items():
            result[name] = np.where(found, column[position] if len(column) else 0, 0.0)
        for name, day in self.days.items():
            value = day[position].astype(np.float64) if len(day) else np.zeros(len(keys))
            result[name] = np.where(found & (value != NO_DAY), value, np.nan)
        return result

    def _insert(self, unique: Int64Array) -> Int64Array:
        """Positions of the sorted distinct ``unique`` keys, adding the missing ones."""
        query, fits = self._query(unique)
        if fits is not None and not fits.all():  # a larger id: every key in 64 bits from now
            self.stored = wide_pair_keys(self.stored)
            query = unique
        # One search places the keys: where the new ones go in, and (:func:`places_after_insert`)
        # where every key is afterwards, instead of searching again before and after (round 26).
        position, found = place_sorted(self.stored, query)
        new = ~found
        if new.any():
            at = position[new]
            self.stored = np.insert(self.stored, at, query[new])
            for name, column in self.counts.items():
                self.counts[name] = np.insert(column, at, 0)
            for name, day in self.days.items():
                self.days[name] = np.insert(day, at, NO_DAY)
        return places_after_insert(position, new)

    def add(self, column: str, keys: Int64Array) -> None:
        """Count each occurrence of ``keys`` in ``column``."""
        if len(keys) == 0:
            return
        unique, occurrences = unique1d(keys, return_counts=True)
        position = self._insert(unique)
        # Only the rows counted are read (round 26; as :func:`bump_counts`): a column is kept in
        # the narrowest type of its largest count and only grows here, so its type afterwards
        # is the wider of its own and the one of the largest count just made, the same array
        # ``narrow_counts`` of the whole column in ``int64`` gave.
        counts = self.counts[column]
        total = counts[position].astype(np.int64) + occurrences
        wide = narrow_counts(total.max(initial=0, keepdims=True)).dtype
        if wide.itemsize > counts.itemsize:
            counts = counts.astype(wide)
        counts[position] = total
        self.counts[column] = counts

    def assign(self, keys: Int64Array, **columns: npt.ArrayLike) -> None:
        """Make each named column read the given values for the sorted distinct ``keys`` (a
        count that can start over, such as a habit that lapsed, where :meth:`add` only adds;
        a day that is the one given, where :meth:`add_days` keeps the latest).

        >>> table = CountTable(counts=("days",), days=("last",))
        >>> table.add("days", np.array([4, 4, 9], dtype=np.int64))
        >>> table.assign(np.array([4, 7], dtype=np.int64), days=[1, 3], last=[19_000, 19_002])
        >>> found = table.lookup(np.array([4, 7, 9], dtype=np.int64))
        >>> found["days"].tolist(), found["last"].tolist()
        ([1.0, 3.0, 1.0], [19000.0, 19002.0, nan])
        """
        if len(keys) == 0:
            return
        position = self._insert(keys)
        for name, given in columns.items():
            if name in self.counts:
                counts = self.counts[name].astype(np.int64)
                counts[position] = np.asarray(given, dtype=np.int64)
                self.counts[name] = narrow_counts(counts)
            else:
                self.days[name][position] = np.asarray(given, dtype=np.int64)

    def add_days(self, column: str, keys: Int64Array, days: FloatArray) -> None:
        """Keep the latest of ``days`` (whole day numbers) per key in ``column``."""
        if len(keys) == 0:
            return
        unique, inverse = unique1d(keys, return_inverse=True)
        latest = np.full(len(unique), NO_DAY, dtype=np.int64)
        np.maximum.at(latest, inverse, days.astype(np.int64))
        position = self._insert(unique)
        self.days[column][position] = np.maximum(self.days[column][position], latest)

    def state(self, prefix: str) -> StateDict:
        state: StateDict = {f"{prefix}keys": self.stored}  # (narrow or not)
        state.update({f"{prefix}{name}": column for name, column in self.counts.items()})
        # (day columns saved in 16 bits while every day fits: :func:`narrow_days`)
        for name, day in self.days.items():
            state[f"{prefix}{name}"] = narrow_days(day, NO_DAY)
        return state

    def load_state(self, state: StateDict, prefix: str) -> None:
        # (int64 keys saved by an older version are narrowed when they all fit, as if learned)
        keys = wide_pair_keys(np.asarray(state[f"{prefix}keys"]))
        narrow, fits = narrow_pair_keys(keys)
        self.stored = narrow if fits.all() else keys
        for name in self.counts:
            self.counts[name] = narrow_counts(state[f"{prefix}{name}"])
        for name in self.days:
            self.days[name] = wide_days(state[f"{prefix}{name}"], NO_DAY)

    def merge_pair_table(self, state: StateDict, prefix: str, column: str, day: str = "") -> None:
        """Fold a :class:`PairTable` snapshot (``{prefix}keys``/``counts``/``last``) into
        ``column`` (and its last times, which are day numbers, into ``day``)."""
        keys = np.asarray(state[f"{prefix}keys"], dtype=np.int64)
        if len(keys) == 0:
            return
        distinct = unique1d(keys)
        position = self._insert(distinct)[np.searchsorted(distinct, keys)]
        counts = self.counts[column].astype(np.int64)
        counts[position] += np.asarray(state[f"{prefix}counts"]).astype(np.int64)
        self.counts[column] = narrow_counts(counts)
        if day:
            last = np.asarray(state[f"{prefix}last"], dtype=np.float64)
            self.days[day][position] = np.where(np.isnan(last), NO_DAY, last).astype(np.int32)


#: "Never" in a :class:`CountTable` day column.
NO_DAY = int(np.iinfo(np.int32).min)

#: Counts of :data:`WHOLE_COUNTS` tables saturate here instead of wrapping around.
_WHOLE_MAX = np.iinfo(np.uint32).max
#: The count type of a :class:`PairTable` that only counts occurrences.
WHOLE_COUNTS = np.uint32


def pair_keys(
    left: npt.NDArray[np.signedinteger[Any]], right: npt.NDArray[np.signedinteger[Any]]
) -> Int64Array:
    """One ``int64`` key per (left, right) id pair; ids are < 2**31."""
    return (left.astype(np.int64) << 32) | right.astype(np.int64)
