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

Two look-alikes of a wipe are told apart (round 12):

* **One folder tree.** Deletes, share accesses and permission changes name paths. When every
  object of a burst from the event half-way to its threshold on lies below one folder at least
  ``tree_depth`` (4) levels deep (``D:\\Shares\\Engineering\\Projects``, not a share or a
  volume), the burst is what a folder move or clean-up looks like: it is reported once, at its
  threshold crossing, for ``confined_points`` (30: under the alert bar alone), and another
  bucket in the same tree within ``tree_hours`` is the same move. A burst that spreads out of
  its tree counts in full from its next doubling; ``mass_count`` (1,000) events in a bucket
  count in full whatever the tree; a first-ever deleter's burst keeps its high score.
* **A schedule.** Threshold crossings within 2 hours are one episode; an episode that starts a
  whole number of days (up to ``schedule_days``) after the previous one, within
  ``schedule_slack_minutes``, recurs. The second day counts half; from the third the burst is
  the entity's routine (not reported) as long as it is at most twice the schedule's largest
  bucket, and its buckets are not folded into the baseline: a nightly rotation of 300 files does
  not excuse 2,000 at 2 p.m. The first night, large and new, is still reported.

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

import functools
import re
import zlib
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from detectors._exact import exact_narrow
from detectors._sort import unique1d
from detectors.base import (
    Signals,
    StateDict,
    as_stored_pair_keys,
    batch_view,
    changes_state,
    find_pair_keys,
    find_sorted,
    wide_pair_keys,
)
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


#: Classes whose objects are paths (a file's folder, a share path, a folder whose ACL changed):
#: the ones a burst can be confined to one folder tree in.
_PATH_CLASSES = (Action.DELETE, Action.POLICY_CHANGE, Action.SHARE_ACCESS)
#: Folder levels of a path compared (a deeper common folder reads as this deep).
_LEVELS = 6
_COMPONENT = re.compile(r"[^\\/]+")
_DAY = 86400.0
#: Threshold crossings this close together are one episode (a job or a wipe that runs long).
_EPISODE_GAP = 2 * 3600.0


@functools.lru_cache(maxsize=65536)
def _prefix_hashes(path: str) -> tuple[int, ...]:
    r"""CRC-32 of each of the first ``_LEVELS`` folder prefixes of ``path`` (case-folded; 0 past
    its last component): two paths share a folder k levels deep when their k-th hashes match.

    >>> a, b = _prefix_hashes(r"D:\Shares\HR\Pay"), _prefix_hashes("d:/shares/hr/Leave")
    >>> [x == y for x, y in zip(a, b, strict=True)]
    [True, True, True, False, True, True]
    >>> a[4:]
    (0, 0)
    """
    hashes = [0] * _LEVELS
    value = 0
    for level, part in enumerate(_COMPONENT.findall(path)[:_LEVELS]):
        value = zlib.crc32(part.casefold().encode("utf-8", "surrogatepass") + b"/", value)
        hashes[level] = value or 1  # 0 means "no such level"
    return tuple(hashes)


def _ancestor(path: str, depth: int) -> str:
    r"""The first ``depth`` folder levels of ``path``, as written.

    >>> print(_ancestor(r"\\*\Eng\Projects\Atlas\a.txt", 3))
    \\*\Eng\Projects
    """
    found = list(_COMPONENT.finditer(path))
    return path[: found[min(depth, len(found)) - 1].end()] if found and depth > 0 else path


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
        tree_depth: int = 4,
        confined_points: float = 30.0,
        mass_count: float = 1000.0,
        tree_hours: float = 2.0,
        schedule_days: int = 7,
        schedule_slack_minutes: float = 60.0,
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
        if not 1 <= tree_depth <= _LEVELS or not 0 < confined_points <= 100 or mass_count < 1:
            raise ValueError(
                f"volume: 1 <= tree_depth <= {_LEVELS}, 0 < confined_points <= 100, mass_count >= 1"
            )
        if tree_hours <= 0 or schedule_days < 1 or schedule_slack_minutes < 0:
            raise ValueError("volume: tree_hours > 0, schedule_days >= 1, schedule_slack >= 0")
        self.tree_depth = tree_depth
        self.confined_points = confined_points
        self.mass_count = mass_count
        self.tree_seconds = tree_hours * 3600.0
        self.schedule_days = schedule_days
        self.schedule_slack = schedule_slack_minutes * 60.0
        self.path_class = np.zeros(len(ACTIONS), dtype=np.bool_)
        self.path_class[[ACTION_CODE[action] for action in _PATH_CLASSES]] = True
        self.warm_min = _table(_WARM_MIN)
        self.cold_min = _table(_COLD_MIN)
        if cold_count is not None:
            if cold_count < 1:
                raise ValueError("volume: cold_count must be >= 1")
            self.cold_min = np.where(np.isfinite(self.cold_min), cold_count, np.inf)
        # sorted user << 32 | action code; in memory as ``uint32`` user << 16 | action while
        # every user id is < 2**16 (``narrow_pair_keys``: the same order), saved as ``int64``
        self.keys_ = np.empty(0, dtype=np.uint32)
        self.mean_ = np.empty(0, dtype=np.float64)  # EWMA count per active bucket
        self.active_ = np.empty(0, dtype=np.float64)  # active buckets folded in
        self.bucket_ = np.empty(0, dtype=np.float64)  # open bucket index
        self.current_ = np.empty(0, dtype=np.float64)  # events in the open bucket
        self.threshold_ = np.empty(0, dtype=np.float64)  # threshold of the open bucket
        # Sparse: only pairs with something below to remember (a bucket half-way to its
        # threshold, a recent burst in one tree, a schedule), sorted, with their columns.
        self.marked_ = np.empty(0, dtype=np.int64)
        # The open bucket's folder tree: the folder prefixes of its first object, and how many
        # levels every object of the bucket so far shares with it (path classes only).
        self.anchor_ = np.zeros((0, _LEVELS), dtype=np.uint32)
        self.common_ = np.empty(0, dtype=np.uint8)
        # The latest burst confined to one folder tree: the tree's prefixes and depth, and the
        # start of the latest bucket that crossed its threshold in it (negated when that bucket
        # was the same tree again, not reported).
        self.tree_ = np.zeros((0, _LEVELS), dtype=np.uint32)
        self.tree_depth_ = np.empty(0, dtype=np.uint8)
        self.tree_time_ = np.empty(0, dtype=np.float64)
        # Bursts that recur at one hour of the day: the start of the latest episode of
        # threshold crossings, of its latest crossing, and how many days running it recurred.
        self.sched_start_ = np.empty(0, dtype=np.float64)
        self.sched_last_ = np.empty(0, dtype=np.float64)
        self.sched_count_ = np.empty(0, dtype=np.uint8)
        self.sched_peak_ = np.empty(0, dtype=np.float64)  # the schedule's largest bucket

    def _threshold(self, mean: FloatArray, active: FloatArray, action: Int64Array) -> FloatArray:
        warm = np.maximum.reduce(
            [self.warm_min[action], self.ratio * mean, mean + 5.0 * np.sqrt(mean) + 5.0]
        )
        result: FloatArray = np.ceil(
            np.where(active >= self.warmup_buckets, warm, self.cold_min[action])
        )
        return result

    def _path_hashes(self, batch: EventBatch, rows: Int64Array) -> npt.NDArray[np.uint32]:
        """Folder prefix hashes of the objects of ``rows`` (zeros outside the path classes).
        The string work runs once per distinct object of the batch (and is cached)."""
        hashes = np.zeros((len(rows), _LEVELS), dtype=np.uint32)
        obj = batch.column("object")[rows]
        take = np.flatnonzero(self.path_class[batch.action[rows]] & (obj >= 0))
        if len(take):
            _, first, inverse = unique1d(obj[take], return_index=True, return_inverse=True)
            events = batch.events
            table = np.array(
                [_prefix_hashes(events[row].object) for row in rows[take[first]].tolist()],
                dtype=np.uint32,
            ).reshape(-1, _LEVELS)
            hashes[take] = table[inverse.reshape(-1)]
        return hashes

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
        pairs, seg_pair = unique1d(seg_key, return_inverse=True)
        seg_pair = seg_pair.reshape(-1)
        pair_first_seg = np.searchsorted(seg_pair, np.arange(len(pairs)))  # segs sorted by pair
        seg_rank = np.arange(len(starts)) - pair_first_seg[seg_pair]
        stored = self._stored(pairs)
        mean, active, open_bucket, current, threshold = stored[:5]
        anchor, common_state, tree, tree_depth, tree_time = stored[5:10]
        sched_start, sched_last, sched_count, sched_peak = stored[10:]
        tables = (tree, tree_depth, tree_time, sched_start, sched_last, sched_count, sched_peak)
        pair_action = pairs & 0xFFFFFFFF
        rows_sorted = rows[order]
        seg_end = np.append(starts[1:], n) - 1
        seg_current = np.zeros(len(starts))
        seg_threshold = np.zeros(len(starts))
        seg_mean = np.zeros(len(starts))
        seg_active = np.zeros(len(starts))
        seg_recur = np.zeros(len(starts))
        seg_peak = np.zeros(len(starts))
        seg_repeat = np.zeros(len(starts), dtype=np.bool_)
        seg_anchor = np.zeros((len(starts), _LEVELS), dtype=np.uint32)
        common_sorted = np.full(n, _LEVELS, dtype=np.int64)
        for rank in range(int(seg_rank.max()) + 1 if len(starts) else 0):
            segs = np.flatnonzero(seg_rank == rank)
            p = seg_pair[segs]
            new = open_bucket[p] != seg_bucket[segs]
            closing = new & (current[p] > 0)
            # A closing bucket of a burst recurring at its hour (a schedule) is explained by
            # the schedule: not folded into the baseline of the other hours; its size is the
            # schedule's.
            closed_at = open_bucket[p] * self.bucket_seconds
            latest = closing & (sched_last[p] == closed_at)
            sched_peak[p] = np.where(latest, np.maximum(sched_peak[p], current[p]), sched_peak[p])
            folding = closing & ~(latest & (sched_count[p] >= 3))
            folded = np.minimum(current[p], threshold[p] - 1.0)
            mean[p] = np.where(
                folding,
                np.where(active[p] > 0, (1 - self.alpha) * mean[p] + self.alpha * folded, folded),
                mean[p],
            )
            active[p] += folding
            current[p] = np.where(new, 0.0, current[p])
            threshold[p] = np.where(
                new, self._threshold(mean[p], active[p], pair_action[p]), threshold[p]
            )
            seg_current[segs], seg_threshold[segs] = current[p], threshold[p]
            seg_mean[segs], seg_active[segs] = mean[p], active[p]
            self._trees(
                batch,
                segs,
                p,
                new,
                starts,
                seg_end,
                rows_sorted,
                (current, threshold, anchor, common_state, seg_anchor, common_sorted),
            )
            opened = seg_bucket[segs] * self.bucket_seconds
            crossing = (current[p] < threshold[p]) & (current[p] + seg_len[segs] >= threshold[p])
            if crossing.any():
                self._crossed(
                    segs[crossing],
                    p[crossing],
                    opened[crossing],
                    starts[segs[crossing]]
                    + (threshold[p] - current[p] - 1.0)[crossing].astype(np.int64),
                    common_sorted,
                    seg_anchor,
                    tables,
                )
            recurring = sched_last[p] == opened
            seg_recur[segs] = np.where(recurring, sched_count[p], 0)
            seg_peak[segs] = np.where(recurring, sched_peak[p], 0.0)
            seg_repeat[segs] = tree_time[p] == -opened
            current[p] += seg_len[segs]
            open_bucket[p] = seg_bucket[segs]
        within = np.arange(n) - starts[seg_id] if n else np.zeros(0, dtype=np.int64)
        count_sorted = seg_current[seg_id] + within + 1.0
        # What can no longer matter is forgotten (as if never set), so that only pairs with a
        # recent burst stay in the sparse table: a tree after tree_hours, a schedule after a
        # gap it could not recur across.
        now = open_bucket * self.bucket_seconds
        stale = now - np.abs(tree_time) > self.tree_seconds
        tree[stale], tree_depth[stale], tree_time[stale] = 0, 0, np.nan
        stale = now - sched_last > self.schedule_days * _DAY + self.schedule_slack + _EPISODE_GAP
        sched_start[stale], sched_last[stale] = np.nan, np.nan
        sched_count[stale], sched_peak[stale] = 0, 0.0
        count = np.empty(n)
        count[order] = count_sorted
        limit = np.empty(n)
        limit[order] = seg_threshold[seg_id]
        usual = np.empty(n)
        usual[order] = seg_mean[seg_id]
        buckets_seen = np.empty(n)
        buckets_seen[order] = seg_active[seg_id]
        common = np.empty(n, dtype=np.int64)
        common[order] = common_sorted
        recur = np.empty(n)
        recur[order] = seg_recur[seg_id]
        repeat = np.empty(n, dtype=np.bool_)
        repeat[order] = seg_repeat[seg_id]
        peak = np.empty(n)
        peak[order] = seg_peak[seg_id]
        return {
            "rows": rows,
            "keys": keys,
            "count": count,
            "threshold": limit,
            "usual": usual,
            "active": buckets_seen,
            "common": common,
            "recur": recur,
            "repeat": repeat,
            "peak": peak,
            "pairs": pairs,
            "mean": mean,
            "active_after": active,
            "bucket": open_bucket,
            "current": current,
            "threshold_after": threshold,
            "anchor": anchor,
            "common_after": common_state,
            "tree": tree,
            "tree_depth": tree_depth,
            "tree_time": tree_time,
            "sched_start": sched_start,
            "sched_last": sched_last,
            "sched_count": sched_count,
            "sched_peak": sched_peak,
        }

    def _trees(
        self,
        batch: EventBatch,
        segs: Int64Array,
        p: Int64Array,
        new: BoolArray,
        starts: Int64Array,
        seg_end: Int64Array,
        rows_sorted: Int64Array,
        tables: tuple[np.ndarray, ...],
    ) -> None:
        """How deep a folder the objects of buckets ``segs`` share (their folder tree), from
        the event half-way to the threshold on: the first of those is the anchor. Objects are
        read only for buckets that get that far (a few in normal traffic)."""
        current, threshold, anchor, common_state, seg_anchor, common_sorted = tables
        half = np.ceil(threshold[p] / 2.0)
        tracking = ~new & (current[p] >= half)  # the open bucket was already half-way
        first = starts[segs] + np.maximum(half - current[p] - 1.0, 0.0).astype(np.int64)
        hot = first <= seg_end[segs]
        idle = new & ~hot
        anchor[p[idle]], common_state[p[idle]] = 0, 0
        if not hot.any():
            return
        segs, p, tracking, first = segs[hot], p[hot], tracking[hot], first[hot]
        lengths = seg_end[segs] - first + 1
        offsets = np.cumsum(lengths) - lengths
        local = np.repeat(np.arange(len(segs)), lengths)
        index = np.arange(int(lengths.sum())) - offsets[local] + first[local]
        hashes = self._path_hashes(batch, rows_sorted[index])
        own = np.where(tracking[:, None], anchor[p], hashes[offsets])
        shared_levels = np.cumprod(
            (hashes == own[local]) & (hashes != 0), axis=1, dtype=np.int64
        ).sum(axis=1)
        step = local * (_LEVELS + 1)  # a running minimum per segment, in one pass
        start_level = np.where(tracking, common_state[p], _LEVELS).astype(np.int64)
        common_sorted[index] = np.minimum(
            np.minimum.accumulate(shared_levels - step) + step, start_level[local]
        )
        seg_anchor[segs] = own
        anchor[p] = own
        common_state[p] = common_sorted[seg_end[segs]]

    def _crossed(
        self,
        segs: Int64Array,
        p: Int64Array,
        opened: FloatArray,
        at: Int64Array,
        common_sorted: Int64Array,
        seg_anchor: npt.NDArray[np.uint32],
        tables: tuple[np.ndarray, ...],
    ) -> None:
        """Buckets ``segs`` (of pairs ``p``, opened at ``opened``) crossed their threshold at
        sorted event ``at``: update the schedule and folder-tree tables in place."""
        tree, tree_depth, tree_time, sched_start, sched_last, sched_count, sched_peak = tables
        # A schedule: crossings within 2 hours of each other are one episode; an episode that
        # starts a whole number of days (1..schedule_days) after the previous one, give or
        # take the slack, recurs.
        same_episode = opened - sched_last[p] <= _EPISODE_GAP
        delta = opened - sched_start[p]
        days = np.round(delta / _DAY)
        periodic = (
            (days >= 1)
            & (days <= self.schedule_days)
            & (np.abs(delta - days * _DAY) <= self.schedule_slack)
        )
        sched_count[p] = np.where(
            same_episode,
            sched_count[p],
            np.where(periodic, np.minimum(sched_count[p].astype(np.int64) + 1, 255), 1),
        )
        sched_peak[p] = np.where(same_episode | periodic, sched_peak[p], 0.0)
        sched_start[p] = np.where(same_episode, sched_start[p], opened)
        sched_last[p] = opened
        # A folder tree: the crossing bucket's objects so far all share a folder at least
        # tree_depth levels deep. The same tree as a confined burst of the last few hours
        # (they share a folder that deep) is the same move going on: not reported again.
        deep = common_sorted[at]
        confined = deep >= self.tree_depth
        shared = np.minimum(tree_depth[p].astype(np.int64), deep)
        level = np.maximum(shared, 1) - 1
        same_tree = (
            confined
            & (opened - np.abs(tree_time[p]) <= self.tree_seconds)
            & (shared >= self.tree_depth)
            & (seg_anchor[segs, level] == tree[p, level])
        )
        fresh = confined & ~same_tree
        tree[p[fresh]] = seg_anchor[segs[fresh]]
        tree_depth[p[fresh]] = deep[fresh]
        tree_time[p[fresh]] = opened[fresh]
        tree_depth[p[same_tree]] = shared[same_tree]
        tree_time[p[same_tree]] = -opened[same_tree]

    def _stored(self, pairs: Int64Array) -> tuple[np.ndarray, ...]:
        n = len(pairs)
        mean, active = np.zeros(n), np.zeros(n)
        bucket, current = np.full(n, np.nan), np.zeros(n)
        threshold = self._threshold(mean, active, pairs & 0xFFFFFFFF)
        anchor = np.zeros((n, _LEVELS), dtype=np.uint32)
        common = np.zeros(n, dtype=np.uint8)
        tree = np.zeros((n, _LEVELS), dtype=np.uint32)
        tree_depth = np.zeros(n, dtype=np.uint8)
        tree_time = np.full(n, np.nan)
        sched_start, sched_last = np.full(n, np.nan), np.full(n, np.nan)
        sched_count = np.zeros(n, dtype=np.uint8)
        sched_peak = np.zeros(n)
        if len(self.keys_) and n:
            position, found = find_pair_keys(self.keys_, pairs)
            hit = position[found]
            mean[found], active[found] = self.mean_[hit], self.active_[hit]
            bucket[found], current[found] = self.bucket_[hit], self.current_[hit]
            threshold[found] = self.threshold_[hit]
        if len(self.marked_) and n:
            position, found = find_sorted(self.marked_, pairs)
            hit = position[found]
            anchor[found], common[found] = self.anchor_[hit], self.common_[hit]
            tree[found], tree_depth[found] = self.tree_[hit], self.tree_depth_[hit]
            tree_time[found] = self.tree_time_[hit]
            sched_start[found], sched_last[found] = self.sched_start_[hit], self.sched_last_[hit]
            sched_count[found], sched_peak[found] = self.sched_count_[hit], self.sched_peak_[hit]
        return (
            mean,
            active,
            bucket,
            current,
            threshold,
            anchor,
            common,
            tree,
            tree_depth,
            tree_time,
            sched_start,
            sched_last,
            sched_count,
            sched_peak,
        )

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        count, threshold = view["count"], view["threshold"]
        ratio = count / threshold
        milestone = (count >= threshold) & (count % threshold == 0)
        doubling = np.log2(np.maximum(ratio, 1.0))
        milestone &= np.isclose(doubling, np.round(doubling))
        index = np.flatnonzero(milestone)
        points = np.minimum(
            self.max_points, self.base_points + self.points_per_doubling * doubling[index]
        )
        rows = view["rows"][index]
        # Never deleted before (no active bucket at all): the burst is its own first-ever kind.
        never = (view["active"][index] == 0) & (batch.action[rows] == ACTION_CODE[Action.DELETE])
        points = np.where(never, np.maximum(points, self.first_delete_points), points)
        # A thousand events in minutes is reported in full whatever its tree or schedule.
        mass = count[index] >= self.mass_count
        # A burst at the hour one crossed the threshold on the previous day(s) too, no more than
        # twice the size it had: a schedule. The second day counts half, from the third it is
        # the entity's routine.
        usual_size = count[index] <= 2.0 * view["peak"][index]
        recur = np.where(usual_size, view["recur"][index], 0.0)
        points = np.where(recur == 2, 0.5 * points, points)
        # A burst whose objects all lie in one folder tree (tree_depth+ levels deep): what a
        # folder move or clean-up looks like, not a wipe across shares. Reported once, at its
        # threshold crossing, for confined_points; later buckets in the same tree within hours
        # are the same move. Should it spread out of the tree, its next doubling counts in full.
        depth = view["common"][index]
        confined = (depth >= self.tree_depth) & ~mass & ~never
        points = np.where(confined, np.minimum(points, self.confined_points), points)
        first = np.isclose(doubling[index], 0.0)
        keep = (recur < 3) & ~(confined & (~first | view["repeat"][index]))
        index, rows, points = index[keep], rows[keep], points[keep]
        recur, depth, confined = recur[keep], depth[keep], confined[keep]
        if not len(index):
            return Signals.empty(self.name, "user", self.mitre)
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
        for k, (i, row) in enumerate(zip(index.tolist(), rows.tolist(), strict=True)):
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
            where = ""
            if confined[k]:
                tree = _ancestor(batch.events[row].object, int(depth[k]))
                where = f", all below {tree}"
                usual += (
                    f"; a burst within one folder tree {self.tree_depth}+ levels deep (a move or"
                    f" clean-up) counts {self.confined_points:.0f} points"
                )
            if recur[k] == 2:
                usual += "; a burst crossed the threshold at this hour the day before too"
            signals.titles.append(
                f"{who} made {n} {what} events within {minutes:.0f} minutes{where} "
                f"(usual for {who}: {usual}; threshold {limit})"
            )
            signals.observed.append(f"{n} {what} events in {minutes:.0f} minutes{where}")
            signals.row_mitre.append(_TECHNIQUE.get(ACTIONS[int(batch.action[row])], ()))
            signals.baseline.append(f"{usual}; threshold {limit}")
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        pairs = view["pairs"]
        if not len(pairs):
            return
        keys = _join_keys(self.keys_, pairs)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        keep = np.ones(len(keys), dtype=np.bool_)
        keep[:-1] = keys[:-1] != keys[1:]
        take = order[keep]
        self.keys_ = keys[keep]
        # The dense columns are held as they are saved (:func:`exact_narrow`: thresholds, buckets
        # and counts are whole numbers): read back into float64 in ``_stored``, the same values.
        for name, new in _DENSE.items():
            old = getattr(self, f"{name}_").astype(np.float64)
            joined = np.concatenate([old, view[new].astype(np.float64)])[take]
            setattr(self, f"{name}_", exact_narrow(joined))
        # The sparse table: the batch's pairs replace their old rows; only those with something
        # to remember stay.
        kept = ~np.isin(self.marked_, pairs)
        marks = (
            (view["common_after"] > 0)
            | np.isfinite(view["tree_time"])
            | np.isfinite(view["sched_last"])
        )
        marked = np.concatenate([self.marked_[kept], pairs[marks]])
        order = np.argsort(marked, kind="stable")
        self.marked_ = marked[order]
        for name, new in _SPARSE.items():
            old = getattr(self, f"{name}_")
            joined = np.concatenate([old[kept], view[new][marks].astype(old.dtype)])
            setattr(self, f"{name}_", joined[order])

    def state(self) -> StateDict:
        names = ("keys", *_DENSE, "marked", *_SPARSE)
        state = {name: getattr(self, f"{name}_") for name in names}
        state["keys"] = wide_pair_keys(self.keys_)  # (as saved before they were kept narrow)
        # (float64 columns saved in the narrowest type that holds them exactly: thresholds,
        # buckets and counts are whole numbers; read back as float64, the same values)
        state.update({name: exact_narrow(state[name]) for name in _DENSE})
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.keys_ = _join_keys(np.empty(0, dtype=np.uint32), np.asarray(state["keys"], np.int64))
        for name in _DENSE:  # (held narrow where exact, as learned)
            setattr(self, f"{name}_", exact_narrow(np.asarray(state[name], dtype=np.float64)))
        # Saved before round 12: no folder trees or schedules yet.
        marked = state.get("marked")
        self.marked_ = np.empty(0, dtype=np.int64) if marked is None else marked.astype(np.int64)
        defaults = self._sparse_defaults(len(self.marked_))
        for name, default in defaults.items():
            value = state.get(name) if marked is not None else None
            setattr(self, f"{name}_", default if value is None else value.astype(default.dtype))

    @staticmethod
    def _sparse_defaults(n: int) -> dict[str, np.ndarray]:
        return {
            "anchor": np.zeros((n, _LEVELS), dtype=np.uint32),
            "common": np.zeros(n, dtype=np.uint8),
            "tree": np.zeros((n, _LEVELS), dtype=np.uint32),
            "tree_depth": np.zeros(n, dtype=np.uint8),
            "tree_time": np.full(n, np.nan),
            "sched_start": np.full(n, np.nan),
            "sched_last": np.full(n, np.nan),
            "sched_count": np.zeros(n, dtype=np.uint8),
            "sched_peak": np.zeros(n),
        }


#: Learned tables, one row per pair, and the view entry each one is updated from.
_DENSE: dict[str, str] = {
    "mean": "mean",
    "active": "active_after",
    "bucket": "bucket",
    "current": "current",
    "threshold": "threshold_after",
}
#: Learned tables of the sparse pairs (``marked``) and their view entries.
_SPARSE: dict[str, str] = {
    "anchor": "anchor",
    "common": "common_after",
    "tree": "tree",
    "tree_depth": "tree_depth",
    "tree_time": "tree_time",
    "sched_start": "sched_start",
    "sched_last": "sched_last",
    "sched_count": "sched_count",
    "sched_peak": "sched_peak",
}


def _join_keys(stored: np.ndarray, pairs: Int64Array) -> np.ndarray:
    """``stored`` then ``pairs``, in 32 bits while every key fits, else ``int64`` for good
    (the same order either way: the caller's stable sort takes the same rows)."""
    return np.concatenate(as_stored_pair_keys(stored, pairs))


__all__ = ["Volume"]
