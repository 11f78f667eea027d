"""Volume surprise per user and action class: mass deletion, mass permission changes.

Each (user, action class) pair keeps an EWMA of its event count per active time bucket
(``bucket_minutes``, 10 by default) and how many active buckets it has seen (the warm-up). In a
bucket, the count is compared with a threshold fixed when the bucket opens: at least
``min_count``, ``ratio`` times the usual bucket count, and above a Poisson tail
(``mean + 5 * sqrt(mean) + 5``); no standard deviation, so nothing divides by zero. Pairs still
warming up (a user who never deletes) use a high ``cold`` count instead. Events past the
threshold are held back: a burst is folded into the baseline only up to the threshold. Signals
are raised when the count reaches the threshold and each doubling after it, not per event.
A deletion burst from a user who has never deleted anything scores ``first_delete_points``
(high): deletion cannot be undone, and nothing in their history says it is their job.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def delete(day, minute):
...     return Event(time=start + timedelta(days=day, minutes=minute), tenant="t",
...                  source_format="test", action=Action.DELETE, user="alice", object="x")
>>> builder, detector = BatchBuilder(), Volume()
>>> history = builder.build([delete(d, m) for d in range(14) for m in (0, 1, 2, 300)])
>>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
>>> burst = builder.build([delete(15, m / 60) for m in range(400)])
>>> signals = detector.score(burst, builder)
>>> [int(r) for r in signals.rows], [round(float(p)) for p in signals.points]
([19, 39, 79, 159, 319], [40, 48, 56, 64, 72])
>>> signals.titles[-1]  # doctest: +NORMALIZE_WHITESPACE
'alice made 320 delete events within 10 minutes (usual for alice: ~2.0 per active 10-minute
 bucket over 28 buckets; threshold 20)'
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors.base import Signals, StateDict, batch_view, changes_state, find_sorted
from detectors.batch import (
    ACTION_CODE,
    ACTIONS,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
)
from detectors.registry import register
from schemas.event import Action

_WARM_MIN: dict[Action, float] = {
    Action.DELETE: 20.0,
    Action.POLICY_CHANGE: 20.0,
    Action.GROUP_CHANGE: 20.0,
    Action.ACCOUNT_CHANGE: 20.0,
    Action.LOG_CLEARED: 5.0,
    Action.SHARE_ACCESS: 200.0,
    Action.API_CALL: 500.0,
}
# A user with no history in a class: 30 deletions in ten minutes from someone who has never
# deleted anything is already a mass deletion worth a look.
_COLD_MIN: dict[Action, float] = {
    Action.DELETE: 30.0,
    Action.POLICY_CHANGE: 30.0,
    Action.GROUP_CHANGE: 50.0,
    Action.ACCOUNT_CHANGE: 50.0,
    Action.LOG_CLEARED: 10.0,
    Action.SHARE_ACCESS: 1000.0,
    Action.API_CALL: 5000.0,
}


# Mass deletion destroys data; mass account changes remove access; mass grants manipulate it.
_TECHNIQUE: dict[Action, tuple[str, ...]] = {
    Action.DELETE: ("T1485",),
    Action.ACCOUNT_CHANGE: ("T1531",),
    Action.GROUP_CHANGE: ("T1098",),
    Action.POLICY_CHANGE: ("T1098",),
}


def _table(values: dict[Action, float]) -> FloatArray:
    table = np.full(len(ACTIONS), np.inf)
    for action, value in values.items():
        table[ACTION_CODE[action]] = value
    return table


@register
class Volume:
    """Per-(user, action class) burst detector on N-minute buckets (EWMA + Poisson tail)."""

    name: ClassVar[str] = "volume"
    mitre: ClassVar[tuple[str, ...]] = ("T1485", "T1098", "T1531", "T1078")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        bucket_minutes: float = 10.0,
        alpha: float = 0.1,
        ratio: float = 5.0,
        warmup_buckets: int = 5,
        base_points: float = 40.0,
        points_per_doubling: float = 8.0,
        max_points: float = 80.0,
        cold_count: float | None = None,
        first_delete_points: float = 65.0,
    ) -> None:
        if bucket_minutes <= 0 or not 0 < alpha <= 1 or ratio < 1 or warmup_buckets < 0:
            raise ValueError("volume: bucket_minutes > 0, 0 < alpha <= 1, ratio >= 1")
        if not 0 < base_points <= max_points <= 100 or points_per_doubling < 0:
            raise ValueError("volume: 0 < base_points <= max_points <= 100")
        self.bucket_seconds = bucket_minutes * 60.0
        self.alpha = alpha
        self.ratio = ratio
        self.warmup_buckets = warmup_buckets
        self.base_points = base_points
        self.points_per_doubling = points_per_doubling
        self.max_points = max_points
        if not 0 < first_delete_points <= 100:
            raise ValueError("volume: 0 < first_delete_points <= 100")
        self.first_delete_points = first_delete_points
        self.warm_min = _table(_WARM_MIN)
        self.cold_min = _table(_COLD_MIN)
        if cold_count is not None:
            if cold_count < 1:
                raise ValueError("volume: cold_count must be >= 1")
            self.cold_min = np.where(np.isfinite(self.cold_min), cold_count, np.inf)
        self.keys_ = np.empty(0, dtype=np.int64)  # sorted user << 32 | action code
        self.mean_ = np.empty(0, dtype=np.float64)  # EWMA count per active bucket
        self.active_ = np.empty(0, dtype=np.float64)  # active buckets folded in
        self.bucket_ = np.empty(0, dtype=np.float64)  # open bucket index
        self.current_ = np.empty(0, dtype=np.float64)  # events in the open bucket
        self.threshold_ = np.empty(0, dtype=np.float64)  # threshold of the open bucket

    def _threshold(self, mean: FloatArray, active: FloatArray, action: Int64Array) -> FloatArray:
        warm = np.maximum.reduce(
            [self.warm_min[action], self.ratio * mean, mean + 5.0 * np.sqrt(mean) + 5.0]
        )
        result: FloatArray = np.ceil(
            np.where(active >= self.warmup_buckets, warm, self.cold_min[action])
        )
        return result

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        action = batch.action.astype(np.int64)
        user = batch.column("user")
        mask = np.isfinite(self.warm_min[action]) & (user >= 0)
        rows = np.flatnonzero(mask).astype(np.int64)
        keys = (user[rows].astype(np.int64) << 32) | action[rows]
        bucket = np.floor(batch.time[rows] / self.bucket_seconds)
        order = np.lexsort((rows, bucket, keys))
        keys_s, bucket_s = keys[order], bucket[order]
        n = len(rows)
        seg_start = np.ones(n, dtype=np.bool_)
        if n:
            seg_start[1:] = (keys_s[1:] != keys_s[:-1]) | (bucket_s[1:] != bucket_s[:-1])
        seg_id = np.cumsum(seg_start) - 1
        starts = np.flatnonzero(seg_start)
        seg_len = np.diff(np.append(starts, n)).astype(np.float64)
        seg_key, seg_bucket = keys_s[starts], bucket_s[starts]
        pairs, seg_pair = np.unique(seg_key, return_inverse=True)
        pair_first_seg = np.searchsorted(seg_pair, np.arange(len(pairs)))  # segs sorted by pair
        seg_rank = np.arange(len(starts)) - pair_first_seg[seg_pair]
        mean, active, open_bucket, current, threshold = self._stored(pairs)
        pair_action = pairs & 0xFFFFFFFF
        seg_current = np.zeros(len(starts))
        seg_threshold = np.zeros(len(starts))
        seg_mean = np.zeros(len(starts))
        seg_active = np.zeros(len(starts))
        for rank in range(int(seg_rank.max()) + 1 if len(starts) else 0):
            segs = np.flatnonzero(seg_rank == rank)
            p = seg_pair[segs]
            new = open_bucket[p] != seg_bucket[segs]
            closing = new & (current[p] > 0)
            folded = np.minimum(current[p], threshold[p] - 1.0)
            mean[p] = np.where(
                closing,
                np.where(active[p] > 0, (1 - self.alpha) * mean[p] + self.alpha * folded, folded),
                mean[p],
            )
            active[p] += closing
            current[p] = np.where(new, 0.0, current[p])
            threshold[p] = np.where(
                new, self._threshold(mean[p], active[p], pair_action[p]), threshold[p]
            )
            seg_current[segs], seg_threshold[segs] = current[p], threshold[p]
            seg_mean[segs], seg_active[segs] = mean[p], active[p]
            current[p] += seg_len[segs]
            open_bucket[p] = seg_bucket[segs]
        within = np.arange(n) - starts[seg_id] if n else np.zeros(0, dtype=np.int64)
        count_sorted = seg_current[seg_id] + within + 1.0
        count = np.empty(n)
        count[order] = count_sorted
        limit = np.empty(n)
        limit[order] = seg_threshold[seg_id]
        usual = np.empty(n)
        usual[order] = seg_mean[seg_id]
        buckets_seen = np.empty(n)
        buckets_seen[order] = seg_active[seg_id]
        return {
            "rows": rows,
            "keys": keys,
            "count": count,
            "threshold": limit,
            "usual": usual,
            "active": buckets_seen,
            "pairs": pairs,
            "mean": mean,
            "active_after": active,
            "bucket": open_bucket,
            "current": current,
            "threshold_after": threshold,
        }

    def _stored(self, pairs: Int64Array) -> tuple[FloatArray, ...]:
        n = len(pairs)
        mean, active = np.zeros(n), np.zeros(n)
        bucket, current = np.full(n, np.nan), np.zeros(n)
        threshold = self._threshold(mean, active, pairs & 0xFFFFFFFF)
        if len(self.keys_) and n:
            position, found = find_sorted(self.keys_, pairs)
            hit = position[found]
            mean[found], active[found] = self.mean_[hit], self.active_[hit]
            bucket[found], current[found] = self.bucket_[hit], self.current_[hit]
            threshold[found] = self.threshold_[hit]
        return mean, active, bucket, current, threshold

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        count, threshold = view["count"], view["threshold"]
        ratio = count / threshold
        milestone = (count >= threshold) & (count % threshold == 0)
        doubling = np.log2(np.maximum(ratio, 1.0))
        milestone &= np.isclose(doubling, np.round(doubling))
        if not milestone.any():
            return Signals.empty(self.name, "user", self.mitre)
        index = np.flatnonzero(milestone)
        points = np.minimum(
            self.max_points, self.base_points + self.points_per_doubling * doubling[index]
        )
        rows = view["rows"][index]
        # Never deleted before (no active bucket at all): the burst is its own first-ever kind.
        never = (view["active"][index] == 0) & (batch.action[rows] == ACTION_CODE[Action.DELETE])
        points = np.where(never, np.maximum(points, self.first_delete_points), points)
        user = batch.column("user")[rows]
        signals = Signals(
            detector=self.name,
            entity_kind="user",
            rows=rows,
            entity=user,
            points=points,
            mitre=self.mitre,
        )
        vocab = builder.vocab["user"]
        minutes = self.bucket_seconds / 60.0
        for i, row in zip(index.tolist(), rows.tolist(), strict=True):
            who = vocab.value(int(batch.column("user")[row]))
            what = ACTIONS[int(batch.action[row])].value.replace("_", " ")
            n, limit = int(count[i]), int(threshold[i])
            active = int(view["active"][i])
            if active >= self.warmup_buckets:
                usual = (
                    f"~{float(view['usual'][i]):.1f} per active {minutes:.0f}-minute bucket "
                    f"over {active} buckets"
                )
            elif active == 0:
                usual = f"never a {what} event before"
            else:
                usual = f"no baseline yet ({active} active buckets)"
            signals.titles.append(
                f"{who} made {n} {what} events within {minutes:.0f} minutes "
                f"(usual for {who}: {usual}; threshold {limit})"
            )
            signals.observed.append(f"{n} {what} events in {minutes:.0f} minutes")
            signals.row_mitre.append(_TECHNIQUE.get(ACTIONS[int(batch.action[row])], ()))
            signals.baseline.append(f"{usual}; threshold {limit}")
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        pairs = view["pairs"]
        if not len(pairs):
            return
        keys = np.concatenate([self.keys_, pairs])
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        keep = np.ones(len(keys), dtype=np.bool_)
        keep[:-1] = keys[:-1] != keys[1:]
        take = order[keep]
        self.keys_ = keys[keep]
        self.mean_ = np.concatenate([self.mean_, view["mean"]])[take]
        self.active_ = np.concatenate([self.active_, view["active_after"]])[take]
        self.bucket_ = np.concatenate([self.bucket_, view["bucket"]])[take]
        self.current_ = np.concatenate([self.current_, view["current"]])[take]
        self.threshold_ = np.concatenate([self.threshold_, view["threshold_after"]])[take]

    def state(self) -> StateDict:
        return {
            "keys": self.keys_,
            "mean": self.mean_,
            "active": self.active_,
            "bucket": self.bucket_,
            "current": self.current_,
            "threshold": self.threshold_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.keys_ = np.asarray(state["keys"], dtype=np.int64)
        for name in ("mean", "active", "bucket", "current", "threshold"):
            setattr(self, f"{name}_", np.asarray(state[name], dtype=np.float64))


__all__ = ["Volume"]
