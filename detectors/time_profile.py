"""Rare time of week for a user: activity at an hour the user is (almost) never active.

Each user has a 168-bin hour-of-week profile of decayed counts (half-life ~6 weeks, so a new
shift pattern becomes normal). The profile is smoothed on the circle: most of an event's mass
goes to its own and neighbouring hours of the same day, a little to the same hours on the other
days (a nine-to-five user working one Saturday morning is odd, not alarming). Sparse users lean
on the tenant's profile as a prior; users in their own learning period are not judged.

Surprise is ``-ln(168 * p(hour))``: 0 for an hour as likely as any, ~5-6 nats for 3 a.m. for
a nine-to-five user. Points are modest (max 30) - a late evening alone never alerts - but add
up with a rare network or a spray success into an incident. One signal per user per quiet
period (``cooldown_hours``), so a night session is one signal, not one per event; surprising
events are held back from the profile, so a slow attacker who logs in every few nights does not
teach the model that nights are normal.

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> import numpy as np
>>> monday = datetime(2024, 1, 1, tzinfo=UTC)
>>> def logon(day, hour):
...     return Event(time=monday + timedelta(days=day, hours=hour), tenant="t",
...                  source_format="x", action=Action.LOGON, user="alice", src_ip="10.0.0.5")
>>> office = [logon(d, h) for d in range(28) if d % 7 < 5 for h in (9, 11, 14, 16)]
>>> builder, detector = BatchBuilder(), RareTimeOfWeek()
>>> history = builder.build(office)
>>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
>>> signals = detector.score(builder.build([logon(30, 3.2)]), builder)
>>> len(signals), round(float(signals.points[0]))
(1, 21)
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'alice was active on Wed 03:12 UTC, an hour they are almost never active
 (normal: 0% of their activity in that hour, 100% on weekdays 09-17 UTC of 80 events)'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from detectors._decay import MAX_SPAN_TAUS, counts_before, previous_in_group, settle_by_group
from detectors._exact import exact_narrow
from detectors._seconds import NEVER, SECONDS, stored_times
from detectors._sort import stable_groups, unique1d
from detectors.base import (
    Signals,
    StateDict,
    bump_counts,
    fold_first_times,
    gather,
    gather_times,
    group_order,
    grow,
    narrow_counts,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array
from detectors.registry import register
from schemas.event import Action, Outcome

HOUR = 3600.0
DAY = 86_400.0
BINS = 168
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_NOT_ACTIVITY = frozenset({Action.LOGOFF, Action.LOGON_FAILED, Action.ACCOUNT_LOCKOUT})
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _load_native() -> tuple[Any, Any]:
    """The compiled smoothed lookups (schemas/native/src/smooth.rs, round 25): numpy's bits in
    one call where the numpy paths below make 2-4 calls per kernel offset (23 offsets, ~17
    times a batch). None without the module (or with an older build): the numpy paths."""
    try:
        from vigil_native import smoothed_grid, smoothed_stored
    except ImportError:  # pragma: no cover - other machines
        return None, None
    return smoothed_stored, smoothed_grid


#: Tests set these to None to run the numpy paths too.
_native_stored, _native_grid = _load_native()


def hour_of_week(time: FloatArray) -> Int64Array:
    """Hour of the week (Monday 00:00 UTC = 0).

    >>> hour_of_week(np.array([0.0, 4 * 86_400.0 + 3600.0])).tolist()
    [72, 1]
    """
    hours = np.floor(time / HOUR).astype(np.int64)
    result: Int64Array = (hours + _EPOCH_WEEKDAY * 24) % BINS
    return result


def kernel(same_day: float = 0.85) -> tuple[Int64Array, FloatArray]:
    """Smoothing offsets (in hours of week) and weights summing to 1."""
    near = np.array([-2, -1, 0, 1, 2], dtype=np.int64)
    near_w = np.array([0.1, 0.2, 0.4, 0.2, 0.1]) * same_day
    other = np.array([24 * d + h for d in range(1, 7) for h in (-1, 0, 1)], dtype=np.int64)
    other_w = np.tile([0.25, 0.5, 0.25], 6) * (1.0 - same_day) / 6.0
    return np.concatenate([near, other]), np.concatenate([near_w, other_w])


class PrefixSums:
    """Prefix sums of ``increments`` per key, queried at each position under another key.

    Sorting happens once; each query is two binary searches, so the smoothing kernel's many
    offsets share one sort.

    >>> sums = PrefixSums(np.array([1, 2, 1]), np.array([1.0, 2.0, 4.0]))
    >>> sums.at(np.array([2, 1, 2])).tolist()
    [0.0, 1.0, 2.0]
    """

    def __init__(self, keys: Int64Array, increments: FloatArray) -> None:
        n = len(keys)
        self.n = n
        self.position = np.arange(n, dtype=np.int64)
        self.span = n + 1
        # Keys are >= 0 (entity * BINS + hour), so no offset is needed.
        composite = keys * self.span + self.position
        order = np.argsort(composite, kind="stable")
        self.sorted = composite[order]
        self.cumulative = np.concatenate([[0.0], np.cumsum(increments[order])])

    def at(self, query_keys: Int64Array) -> FloatArray:
        if self.n == 0:
            return np.empty(0)
        base = query_keys * self.span
        upper = np.searchsorted(self.sorted, base + self.position, side="left")
        lower = np.searchsorted(self.sorted, base, side="left")
        result: FloatArray = self.cumulative[upper] - self.cumulative[lower]
        return result


def prefix_sum_at(keys: Int64Array, increments: FloatArray, query_keys: Int64Array) -> FloatArray:
    """For each position ``i``: sum of ``increments[j]`` over ``j < i`` with
    ``keys[j] == query_keys[i]`` (a prefix sum queried under another key).

    >>> prefix_sum_at(np.array([1, 2, 1]), np.array([1.0, 2.0, 4.0]), np.array([2, 1, 2])).tolist()
    [0.0, 1.0, 2.0]
    """
    return PrefixSums(keys, increments).at(query_keys)


@register
class RareTimeOfWeek:
    name: ClassVar[str] = "rare_time_of_week"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 20,
        half_life_days: float = 42.0,
        prior_events: float = 10.0,
        min_nats: float = 2.0,
        points_per_nat: float = 8.0,
        min_points: float = 5.0,
        max_points: float = 30.0,
        cooldown_hours: float = 8.0,
        same_day: float = 0.95,
    ) -> None:
        if learning_days < 0 or min_events < 0 or half_life_days <= 0 or prior_events <= 0:
            raise ValueError("rare_time_of_week: learning/decay/prior parameters out of range")
        if not 0 < same_day <= 1:
            raise ValueError("rare_time_of_week: same_day must be in (0, 1]")
        self.learning_days = learning_days
        self.min_events = min_events
        self.tau = half_life_days * DAY / np.log(2.0)
        self.prior_events = prior_events
        self.min_nats = min_nats
        self.points_per_nat = points_per_nat
        self.min_points = min_points
        self.max_points = max_points
        self.cooldown = cooldown_hours * HOUR
        self.offsets, self.weights = kernel(same_day)
        # Decayed counts per user x hour as float32 (the arithmetic is float64), sparse: a
        # user is active in a fifth of the week's hours, so 5 bytes per active hour instead of
        # 672 a user.
        self.profile_ = SparseProfiles()
        self.stamp_ = np.empty(0, dtype=np.float64)  # time the user's profile refers to
        self.first_ = np.empty(0, dtype=SECONDS)  # first activity, whole seconds (_seconds)
        # events seen (held back or not): whole counts, kept narrow (``bump_counts``)
        self.count_ = narrow_counts([])
        self.surprise_ = np.empty(0, dtype=np.float64)  # last surprising event (cooldown)
        self.tenant_profile_ = np.zeros((0, BINS), dtype=np.float64)
        self.tenant_stamp_ = np.empty(0, dtype=np.float64)
        self._version = 0  # bumped by every state change, so a cached view is never stale
        self._cache: tuple[EventBatch, int, dict[str, np.ndarray]] | None = None

    # -- the sequential view ----------------------------------------------------------------

    def _smoothed(
        self,
        profile: FloatArray,
        stamp: FloatArray,
        entity: np.ndarray,
        time: FloatArray,
        hour: Int64Array,
        keep: BoolArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Smoothed decayed count at each row's hour, and the decayed total, before the row."""
        return _SmoothedIndex(self, profile, stamp, entity, time, hour).evaluate(keep)

    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        # score() then learn() on the same batch: compute the (costly) fixed point once.
        cached = self._cache
        if cached is not None and cached[0] is batch and cached[1] == self._version:
            return cached[2]
        view = self._compute_view(batch)
        self._cache = (batch, self._version, view)
        return view

    def _compute_view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        activity = ~batch.action_mask(_NOT_ACTIVITY) & ~batch.outcome_is(Outcome.FAILURE)
        rows = np.flatnonzero(activity & (batch.column("user") >= 0)).astype(np.int64)
        n = len(rows)
        user = batch.column("user")[rows]
        tenant = batch.tenant[rows]
        time = batch.time[rows]
        hour = hour_of_week(time)
        size = int(user.max()) + 1 if n else 0
        tenant_size = int(tenant.max()) + 1 if n else 0
        # Only the batch's users' rows of the profile, as float64, indexed by a local id.
        present, local = unique1d(user, return_inverse=True)
        profile = self.profile_.rows(present.astype(np.int64))
        stamp = gather(self.stamp_, size, np.nan, user)
        tenant_profile = _grow_rows(self.tenant_profile_, tenant_size)
        tenant_stamp = gather(self.tenant_stamp_, tenant_size, np.nan, tenant)
        prior, first_row = group_order(user.astype(np.int64))
        first_state = gather_times(self.first_, size, user)
        first_seen = np.where(np.isnan(first_state), time[first_row], first_state)
        count_before = gather(self.count_, size, 0, user).astype(np.float64) + prior
        mature = (time - first_seen >= self.learning_days * DAY) & (count_before >= self.min_events)

        # The tenant profile learns from all activity (one user's odd hour barely moves it), so
        # it is computed once, outside the held-back fixed point.
        everything = np.ones(n, dtype=np.bool_)
        peer, peer_total = (
            self._smoothed(tenant_profile, tenant_stamp, tenant, time, hour, everything)
            if n
            else (np.zeros(0), np.zeros(0))
        )
        peer_p = (peer + 1.0 / BINS) / (peer_total + 1.0)

        # Everything that does not depend on which rows are held back is prepared once; each
        # round of the fixed point is then a cumulative sum and a few gathers.
        own_index = _SmoothedIndex(self, profile, stamp, local, time, hour) if n else None

        def surprise_with(
            index: _SmoothedIndex, held: BoolArray, prior: FloatArray
        ) -> tuple[FloatArray, FloatArray, FloatArray]:
            own, own_total = index.evaluate(~held)
            p = (own + self.prior_events * prior + 0.5 / BINS) / (
                own_total + self.prior_events + 0.5
            )
            nats = -np.log(p * BINS)
            points = np.minimum(self.max_points, self.points_per_nat * (nats - self.min_nats))
            return points, own / np.maximum(own_total, 1e-12), own_total

        def surprise(held: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
            assert own_index is not None  # noqa: S101 - only called with rows
            return surprise_with(own_index, held, peer_p)

        def judge(held: BoolArray) -> BoolArray:
            points, _, _ = surprise(held)
            result: BoolArray = mature & (points >= self.min_points)
            return result

        def judge_part(part: Int64Array) -> Callable[[BoolArray], BoolArray]:
            # The rows of some users only (a user's rows depend on that user's rows alone).
            users, part_local = unique1d(local[part], return_inverse=True)
            index = _SmoothedIndex(
                self, profile[users], stamp[part], part_local, time[part], hour[part]
            )

            def judge_rows(held: BoolArray) -> BoolArray:
                points, _, _ = surprise_with(index, held, peer_p[part])
                result: BoolArray = mature[part] & (points >= self.min_points)
                return result

            return judge_rows

        held = settle_by_group(judge, judge_part, local, n)
        points, share, total = surprise(held) if n else (np.zeros(0),) * 3
        # Cooldown: one signal per user per quiet period of surprising activity.
        surprising_rows = np.flatnonzero(held)
        previous = previous_in_group(user[surprising_rows].astype(np.int64))
        last_state = gather(self.surprise_, size, np.nan, user[surprising_rows])
        previous_time = np.where(
            previous >= 0, time[surprising_rows][np.maximum(previous, 0)], last_state
        )
        quiet = np.isnan(previous_time) | (
            time[surprising_rows] - np.nan_to_num(previous_time) > self.cooldown
        )
        flagged = np.zeros(n, dtype=np.bool_)
        flagged[surprising_rows[quiet]] = True
        return {
            "rows": rows,
            "user": user,
            "tenant": tenant,
            "time": time,
            "hour": hour,
            "held": held,
            "flagged": flagged,
            "points": points,
            "share": share,
            "total": total,
            "count_before": count_before,
            "present": present,
            "local": local,
        }

    # -- protocol -----------------------------------------------------------------------------

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["user"][flagged],
            points=view["points"][flagged],
            mitre=self.mitre,
        )
        vocab = builder.vocab["user"]
        for index in range(len(signals)):
            user = int(signals.entity[index])
            who = vocab.value(user)
            moment = datetime.fromtimestamp(float(view["time"][flagged][index]), UTC)
            share = float(view["share"][flagged][index])
            count = int(view["count_before"][flagged][index])
            usual = _usual_hours(self.profile_.rows(np.array([user], dtype=np.int64))[0])
            signals.titles.append(
                f"{who} was active on {moment:%a %H:%M} UTC, an hour they are almost never "
                f"active (normal: {share:.0%} of their activity in that hour, {usual} of "
                f"{count} events)"
            )
            signals.observed.append(f"{who} active outside their usual hours")
            signals.baseline.append(
                f"{share:.1%} of ~{float(view['total'][flagged][index]):.0f} decayed events "
                f"in {_DAYS[moment.weekday()]} {moment:%H}:00-{moment.hour + 1:02d}:00 (smoothed)"
            )
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        self._version += 1
        self._cache = None
        rows = view["rows"]
        if len(rows) == 0:
            return
        user, tenant, time, hour = view["user"], view["tenant"], view["time"], view["hour"]
        keep = ~(view["held"] | held_back[rows])
        size = int(user.max()) + 1
        # Only the batch's users' profiles change: fold them under local ids (row-wise
        # arithmetic, so the same values as folding the whole table).
        present = view["present"].astype(np.int64)  # the view's np.unique of the same users
        local = view["local"]
        self.stamp_ = grow(self.stamp_, size, np.nan)
        self.stamp_[present] = _fold_sparse(
            self.profile_,
            present,
            self.stamp_[present],
            local.reshape(-1),
            time,
            hour,
            keep,
            self.tau,
            size,
        )
        tenant_size = int(tenant.max()) + 1
        self.tenant_profile_, self.tenant_stamp_ = _fold_profile(
            _grow_rows(self.tenant_profile_, tenant_size),
            grow(self.tenant_stamp_, tenant_size, np.nan),
            tenant,
            time,
            hour,
            np.ones(len(rows), dtype=np.bool_),
            self.tau,
        )
        # Per-user state: the batch's users only (not scratch arrays of every user seen).
        self.first_ = grow(self.first_, size, NEVER)
        fold_first_times(self.first_, user, time)
        self.count_ = bump_counts(self.count_, size, user.astype(np.int64))
        self.surprise_ = grow(self.surprise_, size, np.nan)
        surprising = view["held"]
        if surprising.any():
            who, where = unique1d(user[surprising], return_inverse=True)
            latest = np.full(len(who), -np.inf)
            np.maximum.at(latest, where.reshape(-1), time[surprising])
            hit = np.isfinite(latest)
            self.surprise_[who[hit]] = latest[hit]

    def state(self) -> StateDict:
        return {
            "profile_lengths": self.profile_.lengths,
            "profile_hours": self.profile_.hours,
            "profile_values": self.profile_.values,
            "stamp": self.stamp_,
            "first": self.first_,
            "count": exact_narrow(self.count_),  # (whole counts, kept narrow: saved as they are)
            "surprise": self.surprise_,
            "tenant_profile": self.tenant_profile_,
            "tenant_stamp": self.tenant_stamp_,
        }

    def load_state(self, state: StateDict) -> None:
        self._version += 1
        self._cache = None
        if "profile" in state:  # a snapshot from before the sparse layout: a dense table
            dense = np.asarray(state["profile"], dtype=np.float32).reshape(-1, BINS)
            self.profile_ = SparseProfiles()
            self.profile_.replace(np.arange(len(dense), dtype=np.int64), dense, len(dense))
        else:
            self.profile_ = SparseProfiles(
                np.asarray(state["profile_lengths"], dtype=np.uint8),
                np.asarray(state["profile_hours"], dtype=np.uint8),
                np.asarray(state["profile_values"], dtype=np.float32),
            )
        self.stamp_ = np.asarray(state["stamp"], dtype=np.float64)
        self.first_ = stored_times(state["first"])  # (float64 before whole seconds: rounded)
        self.count_ = narrow_counts(state["count"])  # (float64 in snapshots from before)
        self.surprise_ = np.asarray(state["surprise"], dtype=np.float64)
        self.tenant_profile_ = np.asarray(state["tenant_profile"], dtype=np.float64).reshape(
            -1, BINS
        )
        self.tenant_stamp_ = np.asarray(state["tenant_stamp"], dtype=np.float64)


class SparseProfiles:
    """Per-entity 168-bin float32 profiles holding only their non-zero bins.

    Entity by entity (in id order): how many bins it holds (``lengths``, uint8: at most 168),
    then each bin's hour (``hours``, uint8, ascending) and value (``values``). Densified per
    batch for the entities in it, which is all the vectorised code needs.

    >>> table = SparseProfiles()
    >>> dense = np.zeros((2, BINS), dtype=np.float32)
    >>> dense[0, 9], dense[1, 3] = 2.5, 1.0
    >>> table.replace(np.array([1, 3]), dense, 4)
    >>> table.lengths.tolist(), table.hours.tolist(), table.values.tolist()
    ([0, 1, 0, 1], [9, 3], [2.5, 1.0])
    >>> table.rows(np.array([3, 0, 7]))[:, 3].tolist()
    [1.0, 0.0, 0.0]
    """

    def __init__(
        self,
        lengths: npt.NDArray[np.uint8] | None = None,
        hours: npt.NDArray[np.uint8] | None = None,
        values: npt.NDArray[np.float32] | None = None,
    ) -> None:
        self.lengths = lengths if lengths is not None else np.empty(0, dtype=np.uint8)
        self.hours = hours if hours is not None else np.empty(0, dtype=np.uint8)
        self.values = values if values is not None else np.empty(0, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.lengths)

    def _starts(self) -> Int64Array:
        starts: Int64Array = np.concatenate([[0], np.cumsum(self.lengths, dtype=np.int64)])
        return starts

    def rows(self, entities: Int64Array) -> FloatArray:
        """Dense float64 rows for ``entities`` (zeros for entities beyond the table)."""
        dense = np.zeros((len(entities), BINS))
        owner, hour, values = self.entries(entities)
        # One flat index: a 2-D fancy assignment costs several times as much.
        dense.reshape(-1)[owner * BINS + hour] = values
        return dense

    def entries(
        self, entities: Int64Array
    ) -> tuple[Int64Array, Int64Array, npt.NDArray[np.float32]]:
        """The stored bins of ``entities``: for each, the position in ``entities`` of its
        owner, its hour and its value, in the order of ``entities`` then of hours."""
        inside = np.flatnonzero(entities < len(self.lengths))
        chosen = entities[inside]
        length = self.lengths[chosen].astype(np.int64)
        total = int(length.sum())
        if not total:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0, dtype=np.float32)
        start = self._starts()[chosen]
        ends = np.cumsum(length)
        entry = np.repeat(start - (ends - length), length) + np.arange(total)
        owner: Int64Array = np.repeat(inside.astype(np.int64), length)
        return owner, self.hours[entry].astype(np.int64), self.values[entry]

    def replace(self, entities: Int64Array, dense: npt.NDArray[np.float32], size: int) -> None:
        """Set the profiles of ``entities`` (ascending, distinct) to the rows of ``dense``;
        the table grows to ``size`` entities when shorter."""
        row, hour = np.nonzero(dense)  # row-major: by entity, then hour
        self.splice(entities, row.astype(np.int64), hour.astype(np.int64), dense[row, hour], size)

    def splice(
        self,
        entities: Int64Array,
        owner: Int64Array,
        hour: Int64Array,
        values: npt.NDArray[np.float32],
        size: int,
    ) -> None:
        """Set the profiles of ``entities`` (ascending, distinct) to the bins given as in
        :meth:`entries` (owner = position in ``entities``, ordered by owner then hour, no
        zero values); the table grows to ``size`` entities when shorter."""
        old = self.lengths
        lengths = grow(old, size, 0).copy()
        lengths[entities] = np.bincount(owner, minlength=len(entities)).astype(np.uint8)
        replaced = np.zeros(len(old), dtype=np.bool_)
        replaced[entities[entities < len(old)]] = True
        new_starts: Int64Array = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        # The new bins' slots (ascending: by entity, then hour); every other slot takes the
        # next kept bin in order. Over the whole table only byte masks and compressions run
        # (what np.insert does), the index arithmetic is the batch's.
        first = np.searchsorted(owner, np.arange(len(entities)))
        slot = new_starts[entities[owner]] + (np.arange(len(owner)) - first[owner])
        is_new = np.zeros(int(new_starts[-1]), dtype=np.bool_)
        is_new[slot] = True
        kept = np.repeat(~replaced, old)
        hours = np.empty(len(is_new), dtype=np.uint8)
        out_values = np.empty(len(is_new), dtype=np.float32)
        hours[is_new] = hour
        out_values[is_new] = values
        is_kept = ~is_new
        hours[is_kept] = self.hours[kept]
        out_values[is_kept] = self.values[kept]
        self.lengths, self.hours, self.values = lengths, hours, out_values


def _grow_rows(profile: np.ndarray, size: int) -> FloatArray:
    """The profile as float64, with zero rows added up to ``size``."""
    wide: FloatArray = profile.astype(np.float64)
    if len(wide) >= size:
        return wide
    extra = np.zeros((size - len(wide), BINS))
    grown: FloatArray = np.vstack([wide, extra])
    return grown


def _fold_profile(
    profile: FloatArray,
    stamp: FloatArray,
    entity: np.ndarray,
    time: FloatArray,
    hour: Int64Array,
    keep: BoolArray,
    tau: float,
) -> tuple[FloatArray, FloatArray]:
    profile, stamp = np.array(profile, dtype=np.float64), stamp.copy()
    factor, add, stamp[:] = _decay_factors(stamp, entity, time, tau)
    profile *= factor[:, None]
    # A flat index adds in the same (row) order as the 2-D one, several times faster.
    np.add.at(profile.reshape(-1), entity[keep] * BINS + hour[keep], add[keep])
    return profile, stamp


def _decay_factors(
    stamp: FloatArray, entity: np.ndarray, time: FloatArray, tau: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per entity the factor that decays its profile to its latest time in the batch (1 for
    an entity without rows) and that time (its new stamp); per row the weight of the row's
    event at that time."""
    last = np.full(len(stamp), -np.inf)
    np.maximum.at(last, entity, time)
    touched = np.flatnonzero(np.isfinite(last))
    old = np.where(np.isnan(stamp[touched]), last[touched], stamp[touched])
    factor = np.ones(len(stamp))
    factor[touched] = np.exp(-(last[touched] - old) / tau)
    new_stamp = stamp.copy()
    new_stamp[touched] = last[touched]
    add: FloatArray = np.exp(-(last[entity] - time) / tau)
    return factor, add, new_stamp


def _fold_sparse(
    table: SparseProfiles,
    entities: Int64Array,
    stamp: FloatArray,
    local: Int64Array,
    time: FloatArray,
    hour: Int64Array,
    keep: BoolArray,
    tau: float,
    size: int,
) -> FloatArray:
    """:func:`_fold_profile` of the rows of ``entities`` (ascending, distinct; ``local`` is a
    row's position among them) straight into the sparse table, without densifying: the same
    products and the same additions in the same order per bin, so the same float32 values.
    Returns the entities' new stamps."""
    factor, add, new_stamp = _decay_factors(stamp, local, time, tau)
    keys, folded = _fold_bins(table, entities, factor, local[keep], hour[keep], add[keep])
    values = folded.astype(np.float32)
    nonzero = values != 0
    keys = keys[nonzero]
    table.splice(entities, keys // BINS, keys % BINS, values[nonzero], size)
    return new_stamp


def _fold_bins(
    table: SparseProfiles,
    entities: Int64Array,
    factor: FloatArray,
    local: Int64Array,
    hour: Int64Array,
    add: FloatArray,
) -> tuple[Int64Array, FloatArray]:
    """The float64 bins of ``entities`` decayed by their ``factor`` with ``add`` added at
    (``local``, ``hour``) in row order, as sorted keys (local * BINS + hour) and values: the
    dense block's non-empty bins, the same products and sums in the same order."""
    owner, stored_hour, stored = table.entries(entities)
    stored_keys = owner * BINS + stored_hour
    keys, stored_at, added_at = _merge_keys(stored_keys, local * BINS + hour)
    folded = np.zeros(len(keys))
    folded[stored_at] = stored.astype(np.float64) * factor[owner]
    np.add.at(folded, added_at, add)
    return keys, folded


def _merge_keys(
    unique_sorted: Int64Array, other: Int64Array
) -> tuple[Int64Array, Int64Array, Int64Array]:
    """The distinct keys of both (sorted) and where each key of each lies among them, for a
    first argument already sorted and distinct. Two sorted runs make the stable sort one merge
    pass (``np.union1d`` went through numpy 2.4's hash-based unique: ~50 ms a batch here)."""
    other_order = np.argsort(other, kind="stable")
    merged = np.concatenate([unique_sorted, other[other_order]])
    order = np.argsort(merged, kind="stable")
    ordered = merged[order]
    distinct = np.ones(len(merged), dtype=np.bool_)
    np.not_equal(ordered[1:], ordered[:-1], out=distinct[1:])
    slot = np.empty(len(merged), dtype=np.int64)
    slot[order] = np.cumsum(distinct) - 1
    other_at = np.empty(len(other), dtype=np.int64)
    other_at[other_order] = slot[len(unique_sorted) :]
    keys: Int64Array = ordered[distinct]
    return keys, slot[: len(unique_sorted)], other_at


def _usual_hours(profile: FloatArray) -> str:
    """A short description of where a profile's mass is, e.g. ``100% on weekdays 09-17 UTC``."""
    total = float(profile.sum())
    if total <= 0:
        return "no settled profile"
    by_hour = profile.reshape(7, 24)
    weekday_share = float(by_hour[:5].sum()) / total
    hours = by_hour.sum(axis=0)
    active = np.flatnonzero(hours >= 0.05 * hours.max())
    span = f"{int(active.min()):02d}-{int(active.max()) + 1:02d}" if len(active) else "-"
    return f"{weekday_share:.0%} on weekdays {span} UTC"


def smoothed_stored(
    profile: FloatArray,
    entity: np.ndarray,
    hour: Int64Array,
    decay: FloatArray,
    offsets: Int64Array,
    weights: FloatArray,
) -> FloatArray:
    """Per row: the sum over the kernel of ``weight * profile[entity, hour - offset] * decay``
    (hours on the 168-hour circle), term by term in the kernel's order.

    Flat gathers (row start + hour looked up in a per-offset table of shifted hours): a 2-D
    fancy index and an integer modulo per offset cost several times as much, for the same
    products and sums.
    """
    flat = np.ascontiguousarray(profile, dtype=np.float64).reshape(-1)
    if _native_stored is not None:
        compiled = _native_stored(
            flat,
            np.ascontiguousarray(entity, dtype=np.int64),
            np.ascontiguousarray(hour, dtype=np.int64),
            np.ascontiguousarray(decay, dtype=np.float64),
            np.ascontiguousarray(offsets, dtype=np.int64),
            np.ascontiguousarray(weights, dtype=np.float64),
        )
        return np.frombuffer(compiled, dtype=np.float64)
    result = np.zeros(len(hour))
    row_start = np.asarray(entity, dtype=np.int64) * BINS
    shifted = (np.arange(BINS, dtype=np.int64) - offsets[:, None]) % BINS
    for source_hours, weight in zip(shifted, weights.tolist(), strict=True):
        result += weight * flat[row_start + source_hours[hour]] * decay
    return result


#: The hour-grid fast path of :class:`_SmoothedIndex` is used while its grid (entities x
#: hours spanned) stays within this many cells per row of the batch, plus a constant.
GRID_CELLS_PER_ROW = 32
GRID_CELLS_FLOOR = 1 << 16


class _SmoothedIndex:
    """The parts of the smoothed profile lookup that do not depend on what is held back.

    ``evaluate(keep)`` is called once per round of the held-back fixed point, so everything
    that can be is prepared here. Two ways to get "decayed count of earlier kept rows of the
    entity at hour-of-week ``h - offset``" for the kernel's offsets:

    - the hour grid (usual case): per entity, kept weight per absolute hour of the batch,
      summed along the 168-hour lattice. For an offset that is not a multiple of a week, an
      earlier row at that hour of the week is exactly a row in an absolute hour at or before
      ``A - (offset mod 168)`` (a row of another hour of the week is earlier iff its hour is),
      so each offset is one gather. Same-hour rows need the position order: a group prefix sum
      over (entity, absolute hour) with the sort done once here.
    - sorted prefix sums (two binary searches per offset and row), used when the grid would be
      large next to the batch (many entities over a long span).
    """

    def __init__(
        self,
        detector: RareTimeOfWeek,
        profile: FloatArray,
        stamp: FloatArray,
        entity: np.ndarray,
        time: FloatArray,
        hour: Int64Array,
    ) -> None:
        n = len(time)
        self.n = n
        self.entity = entity
        self.time = time
        self.tau = detector.tau
        self.t0 = float(time[0]) if n else 0.0
        self.decay_now = np.exp(-(time - self.t0) / self.tau)
        stored_decay = np.where(
            np.isnan(stamp), 0.0, np.exp(-(time - np.nan_to_num(stamp)) / self.tau)
        )
        self.growth = np.exp((time - self.t0) / self.tau)
        self.weights = detector.weights
        self.offsets = detector.offsets
        self.stored_at_hour = smoothed_stored(
            profile, entity, hour, stored_decay, detector.offsets, detector.weights
        )
        self.total_stored = profile.sum(axis=1)[entity] * stored_decay if n else np.zeros(0)
        entity64 = entity.astype(np.int64)
        # The decayed total before each row is a per-entity prefix sum (counts_before); its
        # sort is done once here unless the batch needs counts_before's time chunks.
        self.entity_sum = (
            _GroupPrefix(entity64)
            if n and float(time[-1] - time[0]) <= MAX_SPAN_TAUS * self.tau
            else None
        )
        absolute = np.floor(time / HOUR).astype(np.int64)
        first_hour = int(absolute.min()) if n else 0
        span = int(absolute.max()) - first_hour + 1 if n else 0
        columns = span if span <= BINS else -(-span // BINS) * BINS
        entities = int(entity64.max()) + 1 if n else 0
        self.grid_shape = (entities, columns)
        self.native: tuple[Any, ...] | None = None
        self.use_grid = entities * columns <= GRID_CELLS_PER_ROW * n + GRID_CELLS_FLOOR
        if self.use_grid:
            self._prepare_grid(entity64, absolute - first_hour, columns)
        else:
            self._prepare_sorted(entity64, hour)

    def _prepare_grid(self, entity: Int64Array, column: Int64Array, columns: int) -> None:
        cells = len(entity) and self.grid_shape[0] * columns
        self.cell = entity * columns + column
        self.same_hour = _GroupPrefix(self.cell)
        self.whole_week = [offset % BINS == 0 for offset in self.offsets.tolist()]
        backs = [offset % BINS or BINS for offset in self.offsets.tolist()]
        if _native_grid is not None and self.entity_sum is not None and len(entity):
            # Everything evaluate() reads but the kept rows, for the compiled pass.
            self.native = (
                np.ascontiguousarray(self.growth, dtype=np.float64),
                np.ascontiguousarray(self.cell, dtype=np.int64),
                np.ascontiguousarray(column, dtype=np.int64),
                self.grid_shape,
                np.array(backs, dtype=np.int64),
                np.array(self.whole_week, dtype=np.int64),
                np.ascontiguousarray(self.weights, dtype=np.float64),
                (self.same_hour.order, self.same_hour.start_index),
                (self.entity_sum.order, self.entity_sum.start_index),
                np.ascontiguousarray(self.decay_now, dtype=np.float64),
                np.ascontiguousarray(self.stored_at_hour, dtype=np.float64),
                np.ascontiguousarray(self.total_stored, dtype=np.float64),
            )
            return
        # Per offset: the grid cell to read per row, or ``cells`` (an extra zero cell) when
        # the lattice point lies before the batch's first hour.
        self.reads = []
        for back in backs:  # (a whole-week offset: the same hour a week earlier)
            inside = column - back >= 0
            self.reads.append(np.where(inside, self.cell - back, cells))

    def _prepare_sorted(self, entity: Int64Array, hour: Int64Array) -> None:
        n = self.n
        keys = entity * BINS + hour
        position = np.arange(n, dtype=np.int64)
        span = n + 1
        composite = keys * span + position
        self.order = np.argsort(composite, kind="stable")
        ordered = composite[self.order]
        uppers, lowers = [], []
        for offset in self.offsets.tolist():
            base = (entity * BINS + (hour - offset) % BINS) * span
            uppers.append(np.searchsorted(ordered, base + position, side="left"))
            lowers.append(np.searchsorted(ordered, base, side="left"))
        self.uppers = np.stack(uppers) if uppers else np.zeros((0, n), dtype=np.int64)
        self.lowers = np.stack(lowers) if lowers else np.zeros((0, n), dtype=np.int64)

    def _recent_grid(self, w: FloatArray) -> FloatArray:
        entities, columns = self.grid_shape
        cells = entities * columns
        grid = np.bincount(self.cell, weights=w, minlength=cells)
        if columns > BINS:
            # Sum along the weekly lattice: cell (e, a) holds every kept row at a, a - 168, ...
            lattice = grid.reshape(entities, columns // BINS, BINS)
            grid = np.cumsum(lattice, axis=1).reshape(-1)
        lookup = np.concatenate([grid, [0.0]])
        same = self.same_hour.before(w) if any(self.whole_week) else None
        recent = np.zeros(self.n)
        for weight, read, whole_week in zip(
            self.weights.tolist(), self.reads, self.whole_week, strict=True
        ):
            value = lookup[read]
            if whole_week:
                assert same is not None  # noqa: S101 - computed above when needed
                value = value + same
            recent += weight * value
        return recent

    def _recent_sorted(self, w: FloatArray) -> FloatArray:
        cumulative = np.concatenate([[0.0], np.cumsum(w[self.order])])
        recent = (cumulative[self.uppers] - cumulative[self.lowers]) * self.weights[:, None]
        result: FloatArray = recent.sum(axis=0)
        return result

    def evaluate(self, keep: BoolArray) -> tuple[FloatArray, FloatArray]:
        if self.native is not None:
            kept = np.ascontiguousarray(keep, dtype=np.bool_).view(np.uint8)
            at_hour_bytes, total_bytes = _native_grid(kept, *self.native)
            return np.frombuffer(at_hour_bytes), np.frombuffer(total_bytes)
        w = np.where(keep, self.growth, 0.0)
        recent = self._recent_grid(w) if self.use_grid else self._recent_sorted(w)
        at_hour: FloatArray = self.stored_at_hour + recent * self.decay_now
        if self.entity_sum is not None:
            # counts_before with nothing stored and one time chunk, with the sort shared.
            before = self.entity_sum.before(w) * self.decay_now
        else:
            before = counts_before(
                np.zeros(self.n), np.full(self.n, np.nan), self.entity, self.time, keep, self.tau
            )
        total: FloatArray = self.total_stored + before
        return at_hour, total


class _GroupPrefix:
    """:func:`detectors.base.group_cumsum_before` for fixed keys, with the sort done once (the
    same arithmetic, so the same results to the bit)."""

    def __init__(self, keys: Int64Array) -> None:
        # (numpy's stable argsort and run starts; one compiled call with vigil_native)
        self.order, self.start_index = stable_groups(keys)

    def before(self, values: FloatArray) -> FloatArray:
        sorted_values = values[self.order].astype(np.float64)
        inclusive = np.cumsum(sorted_values)
        exclusive = inclusive - sorted_values
        result = np.empty(len(values), dtype=np.float64)
        result[self.order] = exclusive - exclusive[self.start_index] if len(values) else exclusive
        return result
