"""Failed sign-ins: bursts against one account or from one source, low-and-slow password
spraying, and the success that follows a spray.

Three registered detectors share the vectorised decayed-count machinery of this module:

* ``failed_logons_user`` / ``failed_logons_source`` - a Poisson surprise of the recent (decayed,
  one-hour) number of failures of a user (per source) or a source IP against that entity's own
  long-term rate (T1110.001). Entities without a failure history get a prior rate, so a brute
  force against an account that never failed is still seen, while an account that is hammered
  every day learns that this is its normal. The user detector only judges accounts that have
  signed in successfully at least once and counts bursts per (account, source): internet
  scanners taking turns at ``root``/``admin`` on a bastion are normal life, not an incident.
  It also flags a success of the account from the source of a surprising burst, right after
  it (brute force, then in). A burst that recurs - the same account from the same source as its
  last burst, ``recur_min_days`` (2) or more later: a fortnightly credentialed scan whose account
  is refused on the same hosts - is judged against that earlier burst's peak as well (its
  surprise is the Poisson surprise of the count given that peak), and so is the success after it.
* ``password_spray`` (entity ``ip``) - distinct accounts failing from one source over a
  window of days (decayed distinct count, T1110.003). Failures for accounts that exist
  (bad password: ``bad_password``, ``0xc000006a``, Kerberos ``0x18``) count fully; failures for
  accounts that do not exist (``invalid_user``, ``0xc0000064``, Kerberos ``0x6``, Entra 50034) are
  what internet scanners produce and only ever earn low points. A source where many different
  users also sign in successfully (a VPN concentrator, an office NAT) is a shared gateway and is
  damped.
* ``success_after_spray`` (entity ``user``) - a successful sign-in from a source that was
  spraying many valid accounts: the spray found a password (T1078, T1110.003).

Batch scoring equals one-by-one scoring: decayed counts are prefix sums of ``exp((t - t0)/tau)``
weights within each entity group, and flagged-then-held-back rows are settled by a fixed-point
iteration whose only fixed point is the sequential answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

import numpy as np

from detectors._decay import (
    DAY,
    HOUR,
    at_least,
    counts_before,
    decayed_before,
    fold,
    level_of,
    passes_peak,
    peak_before,
    peak_fold,
    poisson_nats,
    previous_in_group,
    quantised,
    settle,
    weights,
)
from detectors._seconds import SECONDS, decode, encode, floor_seconds, stored_times
from detectors._sort import unique1d
from detectors.base import (
    Signals,
    StateDict,
    batch_view,
    changes_state,
    find_sorted,
    gather,
    group_cumsum_before,
    grow,
    merge_signals,
    narrow_counts,
    sorted_unique,
    upsert_sorted,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array
from detectors.registry import register
from schemas.event import Action, Outcome

FAILURE_ACTIONS = frozenset({Action.LOGON_FAILED, Action.AUTH_TICKET, Action.EXPLICIT_CREDENTIAL})
SUCCESS_ACTIONS = frozenset({Action.LOGON, Action.AUTH_TICKET, Action.API_CALL})

#: Failure reasons that say the account does not exist (what scanners produce).
_INVALID_USER_MARKERS = (
    "invalid_user",
    "0xc0000064",
    "50034",
    "no such user",
    "unknown user",
    "user not found",
    "does not exist",
)
#: Failure "reasons" that mean the password was right and a second factor was asked for.
_INTERRUPT_MARKERS = ("50074", "50076", "50079", "50158", "500121", "mfa")


def merge_pair_times(
    keys: np.ndarray,
    last: np.ndarray,
    unique: np.ndarray,
    latest: np.ndarray,
    cutoff: float,
    oldest: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The sorted pair table ``keys`` / ``last`` with the batch's sorted distinct pairs
    ``unique`` and their latest times folded in (the later time of a known pair; new pairs
    inserted in order), then the pairs last seen before ``cutoff`` forgotten; and a new lower
    bound of the times. Times are any type that orders as they do (``_seconds`` codes of
    times, none of them "never", are kept as they come).

    ``oldest`` is a lower bound of ``last`` (-inf when unknown): while ``cutoff`` does not pass
    it, no pair can be forgotten and the pass over the whole table that looks for them is
    skipped (on a stream of fresh sources the table holds every pair of the window; that
    pass, its two copies and a copy of ``last`` were 4 of the 6 passes over it per batch).
    The inputs are not changed (a snapshot may be reading them).

    >>> merge_pair_times(np.array([3, 8]), np.array([5.0, 1.0]), np.array([3, 4]),
    ...                  np.array([7.0, 6.0]), 2.0, -np.inf)
    (array([3, 4]), array([7., 6.]), 6.0)
    """
    at = np.searchsorted(keys, unique)
    known = at < len(keys)
    known[known] = keys[at[known]] == unique[known]
    new = ~known
    # Where each of ``unique`` sits after the insertion: its place in the old table plus the
    # new pairs inserted before it (the smaller ones: both are sorted).
    merged_at = at + (np.cumsum(new) - new)
    if new.any():
        keys = np.insert(keys, at[new], unique[new])
    merged_last = np.insert(last, at[new], latest[new])  # (a new array even with none new)
    merged_last[merged_at[known]] = np.maximum(merged_last[merged_at[known]], latest[known])
    if len(latest[new]):
        oldest = min(oldest, float(latest[new].min()))
    if cutoff <= oldest:  # (False for a NaN bound: then the table is looked through)
        return keys, merged_last, oldest
    fresh = merged_last >= cutoff
    kept_last = merged_last[fresh]
    return keys[fresh], kept_last, float(kept_last.min()) if len(kept_last) else np.inf


def classify_failures(batch: EventBatch, rows: Int64Array) -> tuple[BoolArray, BoolArray]:
    """``(invalid_user, interrupt)`` masks for failure ``rows`` from their reason strings."""
    reasons = [batch.events[int(r)].reason.lower() for r in rows]
    if not reasons:
        return np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.bool_)
    unique, inverse = unique1d(np.array(reasons, dtype=str), return_inverse=True)
    invalid = np.array([_is_invalid_user(str(u)) for u in unique], dtype=np.bool_)
    interrupt = np.array([any(m in str(u) for m in _INTERRUPT_MARKERS) for u in unique])
    return invalid[inverse], interrupt.astype(np.bool_)[inverse]


def _is_invalid_user(reason: str) -> bool:
    # Kerberos pre-auth: 0x6 = client not found in the database (exact code, not a prefix).
    return any(m in reason for m in _INVALID_USER_MARKERS) or reason.strip() == "0x6"


def _who(builder: BatchBuilder, kind: str, index: int) -> str:
    return builder.vocab[kind].value(index)


def _merged(bursts: Signals, successes: Signals) -> Signals:
    """One detector's burst and success-after-burst findings, in row order."""
    burst_mitre = [
        bursts.techniques(i) if bursts.row_mitre else ("T1110.001",) for i in range(len(bursts))
    ]
    return merge_signals(replace(bursts, row_mitre=burst_mitre), successes, successes.mitre)


# -- failed-logon bursts -------------------------------------------------------------------


class FailedLogonSurprise:
    """Poisson surprise of the last hour's failures vs the entity's own long-term rate.

    The short count (``short_hours`` decay) is kept per *burst key*: the entity itself, or for
    the user detector the (user, source) pair, so that one account failing from many different
    internet sources (scanners taking turns at ``root``) is not read as one targeted burst - that
    pattern belongs to the sources (``failed_logons_source``, ``password_spray``). The long-term
    rate (``long_days`` decay) is per entity and learns only failures that were not unusual, so a
    brute force does not become the account's normal. A signal is raised when a short count
    reaches a new doubling level (``min_failures``, 2x, 4x ...) above the entity's decaying peak
    while surprising, so a burst gives a few signals, not one per failure.

    With ``needs_success`` (the user detector) an account is only judged once it has signed in
    successfully at least once: failures for an account nobody uses (``root`` or ``admin`` at an
    internet-facing bastion) have no baseline to be surprising against and only teach the rate.
    """

    name: ClassVar[str] = "failed_logons"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001",)
    entity_kind: ClassVar[str] = "user"
    entity_column: ClassVar[str] = "user"
    burst_column: ClassVar[str | None] = None  # second half of the burst key, if any
    valid_only: ClassVar[bool] = True  # count only failures for accounts that exist
    needs_success: ClassVar[bool] = False  # judge only entities with a successful sign-in
    recurring: ClassVar[bool] = False  # judge a burst against its key's earlier burst too

    def __init__(
        self,
        *,
        short_hours: float = 1.0,
        long_days: float = 14.0,
        prior_per_day: float = 1.0,
        min_failures: float = 8.0,
        min_nats: float = 8.0,
        points_per_nat: float = 1.0,
        max_points: float = 25.0,
        success_points: float = 40.0,
        recur_min_days: float = 2.0,
    ) -> None:
        if min(short_hours, long_days, prior_per_day, min_failures, points_per_nat) <= 0:
            raise ValueError(f"{self.name}: windows, prior and points must be > 0")
        if not 0 <= success_points <= 100:
            raise ValueError(f"{self.name}: success_points must be in [0, 100]")
        self.success_points = success_points
        self.short_tau = short_hours * HOUR
        self.peak_tau = 6.0 * self.short_tau
        self.long_tau = long_days * DAY
        self.prior_per_day = prior_per_day
        self.min_failures = min_failures
        self.min_nats = min_nats
        self.points_per_nat = points_per_nat
        self.max_points = max_points
        self.recur_gap = recur_min_days * DAY
        # Per entity that ever failed (most sources and users never do; the rest read as 0, 0,
        # NaN exactly as stored ones would): its sorted id, and aligned with it
        self.failed_ids_ = np.empty(0, dtype=np.int32)
        self.failed_long_ = np.empty(0, dtype=np.float64)  # decayed count per entity, long window
        self.failed_peak_ = np.empty(
            0, dtype=np.float64
        )  # slowly decaying peak of the short counts
        self.failed_time_ = np.empty(0, dtype=np.float64)  # time long/peak refer to (NaN = none)
        self.succeeded_ = narrow_counts([])  # successful sign-ins per entity (kept narrow)
        self.burst_keys_ = np.empty(0, dtype=np.int64)  # sorted burst keys
        self.burst_value_ = np.empty(0, dtype=np.float64)  # short decayed count per key
        self.burst_time_ = np.empty(0, dtype=np.float64)  # time each short count refers to
        # ``recurring`` only, per entity that ever had a burst (sorted ids): its last burst's
        # source (the burst key's second half), when it ended and its peak short count.
        self.recur_ids_ = np.empty(0, dtype=np.int32)
        self.recur_src_ = np.empty(0, dtype=np.int32)
        self.recur_time_ = np.empty(0, dtype=np.float64)
        self.recur_size_ = np.empty(0, dtype=np.float32)

    def _rows(self, batch: EventBatch) -> Int64Array:
        mask = batch.action_mask(FAILURE_ACTIONS) & batch.outcome_is(Outcome.FAILURE)
        mask &= batch.column(self.entity_column) >= 0
        rows = np.flatnonzero(mask).astype(np.int64)
        invalid, interrupt = classify_failures(batch, rows)
        keep = ~interrupt & (~invalid if self.valid_only else True)
        return rows[keep]

    def _success_rows(self, batch: EventBatch) -> Int64Array:
        mask = batch.action_mask(SUCCESS_ACTIONS) & batch.outcome_is(Outcome.SUCCESS)
        mask &= batch.column(self.entity_column) >= 0
        return np.flatnonzero(mask).astype(np.int64)

    def _burst_keys(self, batch: EventBatch, rows: Int64Array) -> Int64Array:
        entity = batch.column(self.entity_column)[rows].astype(np.int64)
        if self.burst_column is None:
            return entity
        other = batch.column(self.burst_column)[rows].astype(np.int64) + 1  # -1 = absent
        result: Int64Array = (entity << 32) | other
        return result

    def _stored_burst(self, keys: Int64Array) -> tuple[FloatArray, FloatArray]:
        if len(self.burst_keys_) == 0:
            return np.zeros(len(keys)), np.full(len(keys), np.nan)
        position, found = find_sorted(self.burst_keys_, keys)
        value = np.where(found, self.burst_value_[position], 0.0)
        stamp = np.where(found, self.burst_time_[position], np.nan)
        return value, stamp

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows = self._rows(batch)
        entity = batch.column(self.entity_column)[rows]
        time = batch.time[rows]
        n = len(rows)
        size = int(entity.max()) + 1 if n else 0
        long_all, peak_all, time_all = self._dense(size)
        long_state, time_state = long_all[entity], time_all[entity]
        keys = self._burst_keys(batch, rows)
        key_group = unique1d(keys, return_inverse=True)[1].astype(np.int64) if n else keys
        burst_value, burst_stamp = self._stored_burst(keys)
        ones = np.ones(n, dtype=np.bool_)
        short_before = counts_before(
            burst_value, burst_stamp, key_group, time, ones, self.short_tau
        )
        short_after = short_before + 1.0
        prior = self.prior_per_day * self.short_tau / DAY
        eligible = self._has_succeeded(batch, rows, entity, size)

        # A lone failure (a mistyped password) is always learned; a burst that is surprising
        # is held back from the long-term rate so that a brute force never becomes normal.
        burst = at_least(short_after, max(2.0, self.min_failures / 2))
        recurring = self._recurring_mean(entity, keys, time)

        def unusual(held: BoolArray) -> BoolArray:
            long_before = counts_before(long_state, time_state, entity, time, ~held, self.long_tau)
            mean = np.maximum(long_before * self.short_tau / self.long_tau, prior)
            mean = np.maximum(mean, recurring)
            result: BoolArray = (
                eligible & burst & (poisson_nats(short_after, mean) >= self.min_nats)
            )
            return result

        held = settle(unusual, n)
        long_before = counts_before(long_state, time_state, entity, time, ~held, self.long_tau)
        mean = np.maximum(long_before * self.short_tau / self.long_tau, prior)
        mean = np.maximum(mean, recurring)
        nats = poisson_nats(short_after, mean)
        surprising = eligible & (nats >= self.min_nats)
        peak_state = peak_all[entity]
        peak, log_peak = peak_before(
            entity.astype(np.int64),
            time,
            quantised(short_after, self.min_failures),
            peak_state,
            time_state,
            self.peak_tau,
        )
        crossed = passes_peak(short_after, peak, self.min_failures)
        flagged = surprising & crossed
        success = self._success_after_burst(batch, rows, held, long_state, time_state, size)
        return {
            **success,
            "rows": rows,
            "entity": entity,
            "time": time,
            "keys": keys,
            "key_group": key_group,
            "burst_value": burst_value,
            "burst_stamp": burst_stamp,
            "log_peak": log_peak,
            "held": held,
            "flagged": flagged,
            "short_after": short_after,
            "mean": mean,
            "nats": nats,
            "burst": burst,
            "recurring": recurring,
        }

    def _recurring_mean(self, entity: np.ndarray, keys: Int64Array, time: FloatArray) -> FloatArray:
        """Per failure (or success) row: the peak short count of its entity's last burst when
        that burst came from the row's source at least ``recur_min_days`` earlier (0 otherwise).

        A burst that recurs - the same account, the same source, about the same size, days
        apart (a credentialed scanner whose account fails on the same hosts every fortnight) -
        is judged against that earlier burst too, not only against the daily rate it was held
        out of. Only bursts before this batch count (a recurrence is days apart)."""
        none = np.zeros(len(entity))
        if not self.recurring or not len(self.recur_ids_) or not len(entity):
            return none
        position, found = find_sorted(self.recur_ids_.astype(np.int64), entity.astype(np.int64))
        source = (keys & 0xFFFFFFFF).astype(np.int64)
        same = found & (self.recur_src_[position].astype(np.int64) == source)
        gap = time - self.recur_time_[position]
        recur = same & (gap >= self.recur_gap)
        result: FloatArray = np.where(recur, self.recur_size_[position].astype(np.float64), 0.0)
        return result

    def _success_after_burst(
        self,
        batch: EventBatch,
        rows: Int64Array,
        held: BoolArray,
        long_state: FloatArray,
        time_state: FloatArray,
        size: int,
    ) -> dict[str, np.ndarray]:
        """Successful sign-ins whose (account, source) key had a surprising failure burst just
        before: the guessing worked (T1110.001 then T1078). Only for ``needs_success`` (the
        user detector); the counts are the failure rows' own, so this changes no state."""
        empty = np.empty(0, dtype=np.int64)
        if not self.needs_success or self.success_points <= 0:
            return {"success_rows": empty}
        success_rows = self._success_rows(batch)
        # Only successes whose (account, source) key failed in this batch or has a stored burst
        # count can follow a burst (most sign-ins never do): keeps this cheap.
        known = np.concatenate([self._burst_keys(batch, rows), self.burst_keys_])
        success_rows = success_rows[np.isin(self._burst_keys(batch, success_rows), known)]
        if not len(success_rows):
            return {"success_rows": empty}
        every = np.concatenate([rows, success_rows])
        order = np.argsort(every, kind="stable")
        every = every[order]
        is_failure = np.concatenate([np.ones(len(rows)), np.zeros(len(success_rows))])[order]
        is_failure = is_failure.astype(np.bool_)
        was_held = np.concatenate([held, np.zeros(len(success_rows), dtype=np.bool_)])[order]
        entity = batch.column(self.entity_column)[every]
        time = batch.time[every]
        size = max(size, int(entity.max()) + 1)
        keys = self._burst_keys(batch, every)
        key_group = unique1d(keys, return_inverse=True)[1].astype(np.int64)
        burst_value, burst_stamp = self._stored_burst(keys)
        short = counts_before(burst_value, burst_stamp, key_group, time, is_failure, self.short_tau)
        long_all, _, time_all = self._dense(size)
        long_before = counts_before(
            long_all[entity],
            time_all[entity],
            entity,
            time,
            is_failure & ~was_held,
            self.long_tau,
        )
        mean = np.maximum(
            long_before * self.short_tau / self.long_tau, self.prior_per_day * self.short_tau / DAY
        )
        # (a recurring burst's success is the recurring job's, judged as its failures are)
        mean = np.maximum(mean, self._recurring_mean(entity, keys, time))
        nats = poisson_nats(short, mean)
        hit = ~is_failure & at_least(short, self.min_failures) & (nats >= self.min_nats)
        return {
            "success_rows": every[hit],
            "success_entity": entity[hit],
            "success_short": short[hit],
            "success_mean": mean[hit],
        }

    def _has_succeeded(
        self, batch: EventBatch, rows: Int64Array, entity: np.ndarray, size: int
    ) -> BoolArray:
        """Per failure row: has the entity signed in successfully before it (or needn't it)?"""
        if not self.needs_success:
            return np.ones(len(rows), dtype=np.bool_)
        success_rows = self._success_rows(batch)
        success_entity = batch.column(self.entity_column)[success_rows]
        every = np.concatenate([rows, success_rows])
        order = np.argsort(every, kind="stable")
        owner = np.concatenate([entity, success_entity]).astype(np.int64)[order]
        is_success = np.concatenate([np.zeros(len(rows)), np.ones(len(success_rows))])[order]
        earlier = np.empty(len(every))
        earlier[order] = group_cumsum_before(owner, is_success)
        stored = gather(self.succeeded_, size, 0, entity) if len(rows) else np.zeros(0)
        result: BoolArray = stored + earlier[: len(rows)] > 0
        return result

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        bursts = self._burst_signals(batch, builder, view)
        if not len(view["success_rows"]):
            return bursts
        return _merged(bursts, self._success_signals(batch, builder, view))

    def _success_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        rows = view["success_rows"]
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=rows.astype(np.int64),
            entity=view["success_entity"].astype(np.int32),
            points=np.full(len(rows), self.success_points),
            mitre=self.mitre,
        )
        for index, row in enumerate(rows.tolist()):
            who = _who(builder, self.entity_kind, int(signals.entity[index]))
            source = batch.events[row].src_ip or batch.events[row].src_host or "the same source"
            count = float(view["success_short"][index])
            per_hour = float(view["success_mean"][index]) * HOUR / self.short_tau
            signals.titles.append(
                f"{who} signed in successfully from {source} right after ~{count:.0f} failed "
                f"sign-ins from there in about an hour (normal: {per_hour:.2f} failures per hour)"
            )
            signals.observed.append(f"successful sign-in after a failure burst for {who}")
            signals.baseline.append(f"long-term rate {per_hour * 24:.1f} failures/day")
            signals.row_mitre.append(("T1110.001", "T1078"))
            # Not one more artefact of the guessing: the guessing worked. Counted in full next
            # to the burst it ended (25 + 40: a page), not as the burst's n-th finding.
            signals.actions.append("success")
        return signals

    def _burst_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        flagged = view["flagged"]
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        nats = view["nats"][flagged]
        points = np.minimum(self.max_points, nats * self.points_per_nat)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["entity"][flagged],
            points=points,
            mitre=self.mitre,
        )
        kind = self.entity_kind
        for index in range(len(signals)):
            who = _who(builder, kind, int(signals.entity[index]))
            count = float(view["short_after"][flagged][index])
            per_hour = float(view["mean"][flagged][index]) * HOUR / self.short_tau
            subject = f"account {who}" if kind == "user" else f"source {who}"
            source = batch.events[int(signals.rows[index])].src_ip
            origin = f" from {source}" if kind == "user" and source else ""
            signals.titles.append(
                f"{count:.0f} failed sign-ins in about an hour for {subject}{origin} "
                f"(normal: {per_hour:.2f} per hour)"
            )
            signals.observed.append(f"burst of failed sign-ins for {subject}{origin}")
            signals.baseline.append(
                f"long-term rate {per_hour * 24:.1f} failures/day; "
                f"surprise {float(nats[index]):.1f} nats"
            )
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        success_entity = batch.column(self.entity_column)[self._success_rows(batch)]
        size = max(
            int(view["entity"].max()) + 1 if len(rows) else 0,
            int(success_entity.max()) + 1 if len(success_entity) else 0,
        )
        if self.needs_success and len(success_entity):
            succeeded = grow(self.succeeded_, size, 0).astype(np.int64)
            succeeded += np.bincount(success_entity, minlength=len(succeeded))
            self.succeeded_ = narrow_counts(succeeded)
        if len(rows) == 0:
            return
        entity, time = view["entity"], view["time"]
        keep_long = ~(view["held"] | held_back[rows])
        long, peak, stamp = self._dense(max(size, int(self.failed_ids_.max(initial=-1)) + 1))
        peak = peak_fold(peak, entity, time, view["log_peak"], self.peak_tau)
        long, stamp = fold(long, stamp, entity, time, keep_long, self.long_tau)
        self._keep(long, peak, stamp)
        self._learn_bursts(view)
        if self.recurring:
            self._learn_recurring(view)

    def _learn_recurring(self, view: dict[str, np.ndarray]) -> None:
        """Remember each entity's last burst: its source, when it ended and its peak (a burst
        still going on, under ``recur_min_days`` after the stored one, keeps the larger peak)."""
        burst = view["burst"]
        if not burst.any():
            return
        entity = view["entity"][burst].astype(np.int64)
        time = view["time"][burst]
        size = view["short_after"][burst]
        source = (view["keys"][burst] & 0xFFFFFFFF).astype(np.int64)
        ids = sorted_unique(entity)
        group = np.searchsorted(ids, entity)
        last = np.zeros(len(ids), dtype=np.int64)
        last[group] = np.arange(len(entity))  # rows in time order: the last one wins
        first_t = np.full(len(ids), np.inf)
        np.minimum.at(first_t, group, time)
        peak = np.zeros(len(ids))
        np.maximum.at(peak, group, size)
        stored_t, stored_size = np.full(len(ids), np.nan), np.zeros(len(ids))
        if len(self.recur_ids_):
            position, found = find_sorted(self.recur_ids_.astype(np.int64), ids)
            stored_t = np.where(found, self.recur_time_[position], np.nan)
            stored_size = np.where(found, self.recur_size_[position], 0.0)
        ongoing = first_t - stored_t < self.recur_gap  # (False where none is stored)
        peak = np.where(ongoing, np.maximum(peak, stored_size), peak)
        merged, (src, when, size) = upsert_sorted(
            self.recur_ids_.astype(np.int64),
            ids,
            [
                (self.recur_src_, source[last]),
                (self.recur_time_, time[last]),
                (self.recur_size_, peak),
            ],
        )
        self.recur_ids_ = merged.astype(np.int32)
        self.recur_src_ = src.astype(np.int32)
        self.recur_time_ = when
        self.recur_size_ = size.astype(np.float32)

    def _dense(self, size: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(long, peak, time) of entities ``0 .. size-1`` (0, 0, NaN where none is kept)."""
        long, peak, stamp = np.zeros(size), np.zeros(size), np.full(size, np.nan)
        inside = self.failed_ids_ < size
        ids = self.failed_ids_[inside]
        long[ids], peak[ids], stamp[ids] = (
            self.failed_long_[inside],
            self.failed_peak_[inside],
            self.failed_time_[inside],
        )
        return long, peak, stamp

    def _keep(self, long: FloatArray, peak: FloatArray, stamp: FloatArray) -> None:
        kept = np.flatnonzero(~np.isnan(stamp) | (long != 0) | (peak != 0))
        self.failed_ids_ = kept.astype(np.int32)
        self.failed_long_, self.failed_peak_, self.failed_time_ = (
            long[kept],
            peak[kept],
            stamp[kept],
        )

    def _learn_bursts(self, view: dict[str, np.ndarray]) -> None:
        """Fold the batch into the short counts; forget keys idle for 20 short windows."""
        keys, group, time = view["keys"], view["key_group"], view["time"]
        unique = sorted_unique(keys)
        stored_value = np.zeros(len(unique))
        stored_stamp = np.full(len(unique), np.nan)
        stored_value[group] = view["burst_value"]
        stored_stamp[group] = view["burst_stamp"]
        every = np.ones(len(keys), dtype=np.bool_)
        value, stamp = fold(stored_value, stored_stamp, group, time, every, self.short_tau)
        merged, (merged_value, merged_stamp) = upsert_sorted(
            self.burst_keys_, unique, [(self.burst_value_, value), (self.burst_time_, stamp)]
        )
        fresh = merged_stamp >= float(time[-1]) - 20.0 * self.short_tau
        self.burst_keys_ = merged[fresh]
        self.burst_value_ = merged_value[fresh]
        self.burst_time_ = merged_stamp[fresh]

    def state(self) -> StateDict:
        return {
            "ids": self.failed_ids_,
            "long": self.failed_long_,
            "peak": self.failed_peak_,
            "time": self.failed_time_,
            "succeeded": self.succeeded_,
            "burst_keys": self.burst_keys_,
            "burst_value": self.burst_value_,
            "burst_time": self.burst_time_,
            "recur_ids": self.recur_ids_,
            "recur_src": self.recur_src_,
            "recur_time": self.recur_time_,
            "recur_size": self.recur_size_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        long = np.asarray(state["long"], dtype=np.float64)
        peak = np.asarray(state["peak"], dtype=np.float64)
        stamp = np.asarray(state["time"], dtype=np.float64)
        if "ids" in state:
            self.failed_ids_ = np.asarray(state["ids"], dtype=np.int32)
            self.failed_long_, self.failed_peak_, self.failed_time_ = long, peak, stamp
        else:  # older snapshots hold a row for every entity id, never-failed ones included
            self._keep(long, peak, stamp)
        self.succeeded_ = narrow_counts(state["succeeded"])  # (float64 in older snapshots)
        self.burst_keys_ = np.asarray(state["burst_keys"], dtype=np.int64)
        self.burst_value_ = np.asarray(state["burst_value"], dtype=np.float64)
        self.burst_time_ = np.asarray(state["burst_time"], dtype=np.float64)
        # (snapshots from before recurring bursts were remembered have none)
        self.recur_ids_ = np.asarray(state.get("recur_ids", np.empty(0)), dtype=np.int32)
        self.recur_src_ = np.asarray(state.get("recur_src", np.empty(0)), dtype=np.int32)
        self.recur_time_ = np.asarray(state.get("recur_time", np.empty(0)), dtype=np.float64)
        self.recur_size_ = np.asarray(state.get("recur_size", np.empty(0)), dtype=np.float32)


@register
class FailedLogonsUser(FailedLogonSurprise):
    """A burst of failed sign-ins for one account in use, from one source, against its rate;
    and a successful sign-in of that account from that source right after such a burst
    (``success_points``, 40: the guessing worked, T1110.001 then T1078).

    Only accounts that have signed in successfully are judged, and the burst is counted per
    (account, source): thirty guesses at ``root`` from ten scanners, on a box where nobody
    signs in as root, are the sources' business, not an attack on an account.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def fail(minutes, user="bob"):
    ...     return Event(time=start + timedelta(minutes=minutes), tenant="t", source_format="x",
    ...                  action=Action.LOGON_FAILED, outcome=Outcome.FAILURE, user=user,
    ...                  src_ip="198.51.100.7", reason="bad_password")
    >>> bob_works = Event(time=start - timedelta(days=1), tenant="t", source_format="x",
    ...                   action=Action.LOGON, user="bob", src_ip="10.0.0.8")
    >>> events = [bob_works, *[fail(m) for m in range(30)], *[fail(m, "root") for m in range(30)]]
    >>> builder, detector = BatchBuilder(), FailedLogonsUser()
    >>> signals = detector.score(builder.build(events), builder)
    >>> len(signals), signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
    (2, '8 failed sign-ins in about an hour for account bob from 198.51.100.7
         (normal: 0.04 per hour)')
    """

    name: ClassVar[str] = "failed_logons_user"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001", "T1078")
    entity_kind: ClassVar[str] = "user"
    entity_column: ClassVar[str] = "user"
    burst_column: ClassVar[str | None] = "src_ip"
    valid_only: ClassVar[bool] = True
    needs_success: ClassVar[bool] = True
    recurring: ClassVar[bool] = True


@register
class FailedLogonsSource(FailedLogonSurprise):
    """A burst of failed sign-ins from one source IP, against that source's own rate.

    Internet sources hammer exposed services all day, so this earns few points on its own
    (``max_points`` 15); it is a companion to the spray and success-after-spray signals.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> events = [Event(time=start + timedelta(seconds=20 * i), tenant="t", source_format="x",
    ...                 action=Action.LOGON_FAILED, outcome=Outcome.FAILURE, user="root",
    ...                 src_ip="198.51.100.7", reason="bad_password") for i in range(40)]
    >>> builder, detector = BatchBuilder(), FailedLogonsSource()
    >>> signals = detector.score(builder.build(events), builder)
    >>> [round(float(p)) for p in signals.points]
    [15, 15, 15]
    """

    name: ClassVar[str] = "failed_logons_source"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001",)
    entity_kind: ClassVar[str] = "ip"
    entity_column: ClassVar[str] = "src_ip"
    valid_only: ClassVar[bool] = False

    def __init__(
        self,
        *,
        short_hours: float = 1.0,
        long_days: float = 14.0,
        prior_per_day: float = 1.0,
        min_failures: float = 8.0,
        min_nats: float = 8.0,
        points_per_nat: float = 0.6,
        max_points: float = 15.0,
    ) -> None:
        super().__init__(
            short_hours=short_hours,
            long_days=long_days,
            prior_per_day=prior_per_day,
            min_failures=min_failures,
            min_nats=min_nats,
            points_per_nat=points_per_nat,
            max_points=max_points,
        )


# -- password spraying ---------------------------------------------------------------------

VALID_FAIL, INVALID_FAIL, SUCCESS = 0, 1, 2
CHANNELS = 3
#: Largest source or user id of a spray pair whose key is kept in 32 bits (narrow_spray_keys).
NARROW_SPRAY_ID = (1 << 15) - 1


def narrow_spray_keys(keys: Int64Array) -> tuple[np.ndarray, BoolArray]:
    """Spray pair keys (``ip << 33 | channel << 31 | user``) as ``uint32`` ``ip << 17 |
    channel << 15 | user`` (the same order: channel < 4), and which of them have both ids
    < 2**15 (the others come out as 0).

    >>> wide = np.array([(5 << 33) | (2 << 31) | 7, 1 << 48], dtype=np.int64)
    >>> narrow, fits = narrow_spray_keys(wide)
    >>> fits.tolist(), wide_spray_keys(narrow[:1]).tolist() == wide[:1].tolist()
    ([True, False], True)
    """
    ip, channel, user = keys >> 33, (keys >> 31) & 3, keys & 0x7FFFFFFF
    fits = (keys >= 0) & (ip <= NARROW_SPRAY_ID) & (user <= NARROW_SPRAY_ID)
    narrow = np.where(fits, (ip << 17) | (channel << 15) | user, 0).astype(np.uint32)
    return narrow, fits


def wide_spray_keys(stored: np.ndarray) -> Int64Array:
    """Stored spray keys (``uint32`` narrow or ``int64``) as ``int64`` ``ip << 33 | channel <<
    31 | user``."""
    if stored.dtype == np.int64:
        return stored
    value = stored.astype(np.int64)
    wide: Int64Array = ((value >> 17) << 33) | (((value >> 15) & 3) << 31) | (value & 0x7FFF)
    return wide


def stored_spray_keys(keys: Int64Array) -> np.ndarray:
    """How a sorted table of wide spray keys is kept: ``uint32`` exactly when every key fits
    (so the type follows from the keys alone, never from the batching or a snapshot)."""
    if len(keys) and (keys[-1] < 0 or keys[-1] >> 33 > NARROW_SPRAY_ID):
        # One key that does not fit answers it without a pass over the whole table (on a
        # stream of fresh sources the table is wide for good, and its last, largest key
        # tells so: ~2 ms a batch at 300k pairs).
        return keys
    narrow, fits = narrow_spray_keys(keys)
    return narrow if bool(fits.all()) else keys


def _replace_rows(
    ips: np.ndarray, kept: FloatArray, sources: Int64Array, rows: FloatArray
) -> tuple[np.ndarray, FloatArray]:
    """A sparse table of rows by sorted source id (``int32``) with the rows of ``sources``
    (sorted, distinct) replaced; rows that are all 0 are not kept (they read as 0)."""
    # Mark where ``sources`` sit among the stored ones (the batch's sources, where np.isin
    # sorted every stored source each batch).
    others = np.ones(len(ips), dtype=np.bool_)
    at = np.searchsorted(ips, sources)
    hit = at < len(ips)
    hit[hit] = ips[at[hit]] == sources[hit]
    others[at[hit]] = False
    nonzero = (rows != 0).any(axis=1)
    merged = np.concatenate([ips[others], sources[nonzero]])
    merged_rows = np.concatenate([kept[others], rows[nonzero]])
    order = np.argsort(merged, kind="stable")
    return merged[order].astype(np.int32), merged_rows[order]


class SpraySources:
    """Decayed distinct-account counts per source IP, in three channels: failures for
    existing accounts, failures for non-existent accounts, and successful sign-ins.

    The distinct count of a channel at time ``t`` is ``sum_p exp(-(t - last_p) / tau)`` over the
    (source, account) pairs ``p`` of that channel, so an account counts once however often it is
    tried, and fades out over ``window_days``. Counts are facts about what a source did, not a
    baseline of normal behaviour, so nothing is held back.

    Both spray detectors keep these counts alike (same rows, same keys, same ``window_days``);
    in an engine that runs both, :meth:`share_state` lets ``success_after_spray`` read the
    counts of ``password_spray`` instead of keeping a second, identical copy: it then neither
    learns nor snapshots them (its signals come from ``before``, which depends only on the
    counts and ``window_days``).
    """

    name: ClassVar[str] = "spray_sources"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.003",)
    entity_kind: ClassVar[str] = "ip"
    #: Whether the detector reads the running peaks of the failure counts (only the spray
    #: signal does; success-after-spray judges ``before`` alone and keeps none).
    keeps_peaks: ClassVar[bool] = True

    def __init__(
        self,
        *,
        window_days: float = 3.0,
        min_accounts: float = 8.0,
        min_invalid_accounts: float = 20.0,
        gateway_ratio: float = 1.0,
        points: float = 22.0,
        points_per_level: float = 8.0,
        invalid_points: float = 5.0,
        max_points: float = 60.0,
    ) -> None:
        if window_days <= 0 or min_accounts <= 1 or min_invalid_accounts <= 1:
            raise ValueError(f"{self.name}: window_days > 0 and account minimums > 1 required")
        self.tau = window_days * DAY
        self.peak_tau = 3.0 * self.tau
        self.min_accounts = min_accounts
        self.min_invalid_accounts = min_invalid_accounts
        self.gateway_ratio = gateway_ratio
        self.points = points
        self.points_per_level = points_per_level
        self.invalid_points = invalid_points
        self.max_points = max_points
        # Decayed distinct accounts per channel: successes for every source (most sign in), the
        # two failure channels only for sources where one is not 0 (most sources never fail: a
        # missing row reads as 0, exactly, as the stored 0 did; 189 of 787 sources fail on the
        # 28-day scenario).
        self.sums_ = np.zeros(0, dtype=np.float64)  # SUCCESS, per source id
        self.fail_ips_ = np.empty(0, dtype=np.int32)  # sorted source ids
        self.fail_rows_ = np.zeros((0, 2), dtype=np.float64)  # their VALID_FAIL, INVALID_FAIL
        # Running peaks of the failure counts, kept only for sources where one is not 0 (most
        # sources never fail on a handful of accounts; a missing row reads as 0, exactly).
        self.peak_ips_ = np.empty(0, dtype=np.int32)  # sorted source ids
        self.peak_rows_ = np.zeros((0, 2), dtype=np.float64)  # their peaks
        self.stamp_ = np.empty(0, dtype=np.float64)  # time sums/peaks refer to (NaN = none)
        # Sorted (ip, channel, user) keys: uint32 while every stored pair's ids are < 2**15
        # (stored_spray_keys), else int64.
        self.pair_keys_: np.ndarray = np.empty(0, dtype=np.uint32)
        # Last time of each pair, in whole seconds rounded down (detectors._seconds); the sums
        # hold each pair's share as of that stored time (see ``learn``).
        self.pair_last_: np.ndarray = np.empty(0, dtype=SECONDS)
        # A lower bound of pair_last_ (-inf: unknown), so that a batch that forgets no pair
        # skips the pass that looks for them (merge_pair_times). Derived, not state.
        self._pair_oldest = -np.inf
        self.counts_owner_: SpraySources | None = None  # whose counts this one reads, if not own
        # Whose pair table this one reads, if not its own (the same pairs with the roles
        # swapped: credential_stuffing reads password_spray's; see _owner_keys). The owner
        # learns a batch before we do; ``learn`` reads the view cached when the batch was
        # scored (batch_view), from before the owner learned it.
        self.pairs_owner_: SpraySources | None = None

    def _rows(self, batch: EventBatch) -> tuple[Int64Array, np.ndarray]:
        has_ids = (batch.column("src_ip") >= 0) & (batch.column("user") >= 0)
        failed = batch.action_mask(FAILURE_ACTIONS) & batch.outcome_is(Outcome.FAILURE) & has_ids
        succeeded = batch.action_mask(SUCCESS_ACTIONS) & batch.outcome_is(Outcome.SUCCESS)
        succeeded &= has_ids
        rows = np.flatnonzero(failed | succeeded).astype(np.int64)
        channel = np.full(len(rows), SUCCESS, dtype=np.int64)
        failed_rows = failed[rows]
        invalid, interrupt = classify_failures(batch, rows[failed_rows])
        failure_channel = np.where(invalid, INVALID_FAIL, VALID_FAIL)
        # An MFA interrupt means the password was right: for spraying it is a success.
        channel[failed_rows] = np.where(interrupt, SUCCESS, failure_channel)
        return rows, channel

    def _owner_keys(self, keys: Int64Array) -> Int64Array:
        """Our pair keys as ``pairs_owner_``'s keys of the same pairs (ours are the owner's)."""
        return keys

    def _pair_last(self, keys: Int64Array) -> FloatArray:
        if self.pairs_owner_ is not None:
            return self.pairs_owner_._pair_last(self._owner_keys(keys))
        if len(self.pair_keys_) == 0:
            return np.full(len(keys), np.nan)
        if self.pair_keys_.dtype == np.uint32:  # (a key that does not fit is not stored)
            narrow, fits = narrow_spray_keys(keys)
            position, found = find_sorted(self.pair_keys_, narrow)
            found &= fits
        else:
            position, found = find_sorted(self.pair_keys_, keys)
        result: FloatArray = np.where(found, decode(self.pair_last_[position]), np.nan)
        return result

    def _shared(self, batch: EventBatch) -> tuple[np.ndarray, ...]:
        """What both spray detectors derive alike from a batch (rows, channels, pair keys and
        each row's previous try of its pair): computed once per batch, in ``batch.derived``."""
        cached = batch.derived.get("spray_rows")
        if cached is None:
            rows, channel = self._rows(batch)
            ip = batch.column("src_ip")[rows]
            user = batch.column("user")[rows]
            keys = (ip.astype(np.int64) << 33) | (channel << 31) | user.astype(np.int64)
            cached = (rows, channel, ip, user, keys, previous_in_group(keys))
            batch.derived["spray_rows"] = cached
        result: tuple[np.ndarray, ...] = cached
        return result

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        if self.counts_owner_ is not None:
            # The owner's view of the same batch (cached there): ``before`` and the row columns
            # are the same as ours would be; its ``after`` and peaks are its own and unused here.
            return self.counts_owner_._view(batch)
        rows, channel, ip, user, keys, previous = self._shared(batch)
        n = len(rows)
        time = batch.time[rows]
        # Stored values of the batch's sources only (a source never seen reads 0 / NaN): no
        # copy of tables the size of every source ever seen.
        stored = ip < len(self.stamp_)
        stamp = np.full(n, np.nan)
        stamp[stored] = self.stamp_[ip[stored]]
        t0 = float(time[0]) if n else 0.0
        w = weights(time, t0, self.tau)
        stored_last = self._pair_last(keys)
        previous_time = np.where(previous >= 0, time[np.maximum(previous, 0)], stored_last)
        w_previous = np.where(
            np.isnan(previous_time), 0.0, np.exp((np.nan_to_num(previous_time) - t0) / self.tau)
        )
        increment = w - w_previous
        groups = ip.astype(np.int64)
        before = np.zeros((n, CHANNELS))
        stored_sums = self._sums_of(ip.astype(np.int64))
        for c in range(CHANNELS):
            in_channel = channel == c
            before[:, c] = decayed_before(
                groups,
                time,
                np.where(in_channel, increment, 0.0),
                stored_sums[:, c],
                stamp,
                self.tau,
            )
        # This row's own effect on its channel: +1, minus the faded earlier try of the same pair.
        own = 1.0 - w_previous / w if n else np.zeros(0)
        gateway = self.gateway_ratio * before[:, SUCCESS]
        after = np.zeros((n, 2))
        after[:, VALID_FAIL] = np.where(
            channel == VALID_FAIL, before[:, VALID_FAIL] - gateway + own, 0
        )
        after[:, INVALID_FAIL] = np.where(channel == INVALID_FAIL, before[:, INVALID_FAIL] + own, 0)
        # The batch's distinct sources (learn folds per source with the same split).
        sources, source_row = unique1d(ip, return_inverse=True)
        source_row = source_row.reshape(-1)
        peaks = self._peaks_of(sources)[source_row]
        peak = np.zeros((n, 2))
        log_peak = np.zeros((n, 2))
        bases = ((VALID_FAIL, self.min_accounts), (INVALID_FAIL, self.min_invalid_accounts))
        for c, base in bases if self.keeps_peaks else ():
            peak[:, c], log_peak[:, c] = peak_before(
                groups, time, quantised(after[:, c], base), peaks[:, c], stamp, self.peak_tau
            )
        return {
            "after": after,
            "peak": peak,
            "log_peak": log_peak,
            "rows": rows,
            "channel": channel,
            "ip": ip,
            "user": user,
            "time": time,
            "keys": keys,
            "before": before,
            "own": own,
            "increment": increment,
            # the pair's previous try (in the batch or stored; NaN: none on record)
            "previous_time": previous_time,
            "t0": np.array([t0]),
            "sources": sources,
            "source_row": source_row,
        }

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        if self.counts_owner_ is not None:
            return  # the owner learns the shared counts
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        ip, time, channel = view["ip"], view["time"], view["channel"]
        t0 = float(view["t0"][0])
        size = int(ip.max()) + 1
        self.stamp_ = grow(self.stamp_, size, np.nan)
        # Work on the sources this batch touched only (not arrays the size of every source
        # ever seen): per-batch cost follows the batch, not the state, which matters for the
        # small batches of a live stream. The same numbers as over the full arrays.
        touched, inverse = view["sources"], view["source_row"]
        last = np.full(len(touched), -np.inf)
        np.maximum.at(last, inverse, time)
        # Each pair's latest try: the pair table keeps its time rounded down to the second.
        unique, pair_inverse = unique1d(view["keys"], return_inverse=True)
        latest = np.full(len(unique), -np.inf)
        np.maximum.at(latest, pair_inverse.reshape(-1), time)
        old_stamp = self.stamp_[touched]
        stored_weight = np.where(
            np.isnan(old_stamp), 0.0, np.exp((np.nan_to_num(old_stamp) - t0) / self.tau)
        )
        sums = self._sums_of(touched)
        for c in range(CHANNELS):
            added = np.zeros(len(touched))
            in_channel = channel == c
            np.add.at(added, inverse[in_channel], view["increment"][in_channel])
            accumulated = sums[:, c] * stored_weight + added
            sums[:, c] = accumulated * np.exp(-(last - t0) / self.tau)
        sums += self._rounding_shares(touched, last, unique, latest)
        self._store_sums(touched, sums, size)
        if self.keeps_peaks:
            peaks = self._peaks_of(touched)
            for c in (VALID_FAIL, INVALID_FAIL):
                peaks[:, c] = peak_fold(
                    peaks[:, c], inverse, time, view["log_peak"][:, c], self.peak_tau
                )
            self._store_peaks(touched, peaks)
        self.stamp_[touched] = last
        if self.pairs_owner_ is not None:
            return  # the owner keeps the pair table
        # Pair table: last time per (ip, channel, user); forget pairs faded below e^-20.
        table: np.ndarray = self.pair_keys_
        batch_keys: np.ndarray = unique
        if table.dtype == np.uint32:
            narrow, fits = narrow_spray_keys(unique)
            if fits.all():
                batch_keys = narrow  # (the same order as the wide keys)
            else:
                table = wide_spray_keys(table)
        keys, self.pair_last_, self._pair_oldest = merge_pair_times(
            table,
            self.pair_last_,
            batch_keys,
            encode(latest),  # (codes of times order as the times; no never here)
            float(time[-1]) - 20.0 * self.tau,
            self._pair_oldest,
        )
        # (a wide table whose large pairs were forgotten goes back to 32 bits)
        self.pair_keys_ = keys if keys.dtype == np.uint32 else stored_spray_keys(keys)

    def _rounding_shares(
        self, sources: Int64Array, stamp: FloatArray, pairs: Int64Array, latest: FloatArray
    ) -> FloatArray:
        """What moves each of ``sources``' sums (as of ``stamp``) when the ``pairs`` (sorted
        batch keys, their latest tries ``latest``) are kept as tried at their stored time,
        rounded down, instead: ``exp(-(stamp - floor(t)) / tau) - exp(-(stamp - t) / tau)``
        per pair. A later try of the pair takes its share out again as the stored time reads
        (``increment``), so the sums then hold no trace of the rounding: without this, each
        retry would leave up to 1 s / tau (4e-6) of a share behind, for good."""
        shares = np.zeros((len(sources), CHANNELS))
        if len(pairs) == 0:
            return shares
        row = np.searchsorted(sources, pairs >> 33)  # (the group id: source, or account)
        channel = (pairs >> 31) & 3
        age = stamp[row] - latest
        moved = np.exp(-(age + (latest - floor_seconds(latest))) / self.tau)
        moved -= np.exp(-age / self.tau)
        np.add.at(shares, (row, channel), moved)
        return shares

    def _sums_of(self, sources: Int64Array) -> FloatArray:
        """The stored sums of ``sources`` as rows of the three channels (0 where none)."""
        rows = np.zeros((len(sources), CHANNELS))
        dense = sources < len(self.sums_)
        rows[dense, SUCCESS] = self.sums_[sources[dense]]
        at = np.searchsorted(self.fail_ips_, sources)
        hit = at < len(self.fail_ips_)
        hit[hit] = self.fail_ips_[at[hit]] == sources[hit]
        rows[hit, :SUCCESS] = self.fail_rows_[at[hit]]
        return rows

    def _store_sums(self, sources: Int64Array, rows: FloatArray, size: int) -> None:
        """Replace the sums of ``sources`` (sorted, distinct); failure rows that are all 0 are
        not kept."""
        self.sums_ = grow(self.sums_, size, 0.0)
        self.sums_[sources] = rows[:, SUCCESS]
        self.fail_ips_, self.fail_rows_ = _replace_rows(
            self.fail_ips_, self.fail_rows_, sources, rows[:, :SUCCESS]
        )

    def _peaks_of(self, sources: Int64Array) -> FloatArray:
        """The stored peaks of ``sources`` (sorted, distinct) as rows (0 where none is kept)."""
        rows = np.zeros((len(sources), 2))
        at = np.searchsorted(self.peak_ips_, sources)
        hit = at < len(self.peak_ips_)
        hit[hit] = self.peak_ips_[at[hit]] == sources[hit]
        rows[hit] = self.peak_rows_[at[hit]]
        return rows

    def _store_peaks(self, sources: Int64Array, rows: FloatArray) -> None:
        """Replace the peaks of ``sources``; only rows that are not all 0 are kept."""
        self.peak_ips_, self.peak_rows_ = _replace_rows(
            self.peak_ips_, self.peak_rows_, sources, rows
        )

    def _keep_peaks(self, dense: FloatArray) -> None:
        kept = np.flatnonzero((dense != 0).any(axis=1))
        self.peak_ips_ = kept.astype(np.int32)
        self.peak_rows_ = dense[kept]

    def share_state(self, detectors: Sequence[object]) -> None:
        """Called by the engine with all its detectors; see the class docstring."""

    def _read_counts_of(self, detectors: Sequence[object], owner: type[SpraySources]) -> None:
        """Read the counts of the ``owner``-type detector among ``detectors`` when its window is
        ours (counts over another window differ and stay separate)."""
        for detector in detectors:
            if (
                isinstance(detector, owner)
                and detector is not self
                and detector.tau == self.tau
                and detector.counts_owner_ is None
            ):
                self.counts_owner_ = detector
                return

    def state(self) -> StateDict:
        if self.counts_owner_ is not None:
            return {}
        state: StateDict = {
            "success_sums": self.sums_,
            "fail_ips": self.fail_ips_,
            "fail_sums": self.fail_rows_,
            "stamp": self.stamp_,
        }
        if self.pairs_owner_ is None:
            state["pair_keys"] = self.pair_keys_
            state["pair_last"] = self.pair_last_
        if self.keeps_peaks:
            state["peak_ips"] = self.peak_ips_
            state["peaks"] = self.peak_rows_
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        if self.counts_owner_ is not None:
            # A snapshot from before the counts were shared holds this detector's own copy,
            # identical to the owner's: the owner restores its own.
            return
        if "sums" in state:  # snapshots from before round 11: every channel for every source
            dense = np.asarray(state["sums"], dtype=np.float64).reshape(-1, CHANNELS)
            fails = np.flatnonzero((dense[:, :SUCCESS] != 0).any(axis=1))
            self.sums_ = np.ascontiguousarray(dense[:, SUCCESS])
            self.fail_ips_ = fails.astype(np.int32)
            self.fail_rows_ = np.ascontiguousarray(dense[fails, :SUCCESS])
        else:
            self.sums_ = np.asarray(state["success_sums"], dtype=np.float64)
            self.fail_ips_ = np.asarray(state["fail_ips"], dtype=np.int32)
            self.fail_rows_ = np.asarray(state["fail_sums"], dtype=np.float64).reshape(-1, 2)
        if self.keeps_peaks:  # (older snapshots of success_after_spray hold unread peaks)
            peaks = np.asarray(state["peaks"], dtype=np.float64).reshape(-1, 2)
            if "peak_ips" in state:
                self.peak_ips_ = np.asarray(state["peak_ips"], dtype=np.int32)
                self.peak_rows_ = peaks
            else:  # older snapshots hold a row for every source, zeros included
                self._keep_peaks(peaks)
        self.stamp_ = np.asarray(state["stamp"], dtype=np.float64)
        if self.pairs_owner_ is not None:
            return  # (a snapshot's own copy of the owner's pairs is the owner's to restore)
        keys = np.asarray(state["pair_keys"])  # (int64 in snapshots from before round 11)
        self.pair_keys_ = stored_spray_keys(wide_spray_keys(keys).astype(np.int64))
        exact = np.asarray(state["pair_last"])
        self.pair_last_ = stored_times(exact)
        self._pair_oldest = -np.inf
        if exact.dtype != SECONDS and len(exact):
            # From before whole seconds: the sums hold each pair's exact share; rounded down as
            # ``learn`` keeps them (a reader of these pairs, ``credential_stuffing``, keeps the
            # exact shares of a subset it cannot tell here: up to 4e-6 each, fading out).
            pairs = wide_spray_keys(np.asarray(state["pair_keys"])).astype(np.int64)
            sources = unique1d(pairs >> 33)
            stamp = self.stamp_[sources]
            shares = self._rounding_shares(sources, stamp, pairs, exact.astype(np.float64))
            self._store_sums(sources, self._sums_of(sources) + shares, len(self.sums_))

    def _gateway(self, view: dict[str, np.ndarray]) -> FloatArray:
        """Distinct accounts that also sign in successfully from the source (a shared NAT)."""
        result: FloatArray = self.gateway_ratio * view["before"][:, SUCCESS]
        return result


@register
class PasswordSpray(SpraySources):
    """Many existing accounts failing from one source over days: low-and-slow spraying.

    One signal per doubling of the decayed number of distinct accounts (8, 16, 32 ...), on the
    source IP. Non-existent account names (what internet scanners try) earn only
    ``invalid_points``.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, tzinfo=UTC)
    >>> spray = [Event(time=start + timedelta(hours=h), tenant="t", source_format="x",
    ...                action=Action.LOGON_FAILED, outcome=Outcome.FAILURE, user=f"user{h}",
    ...                src_ip="203.0.113.50", reason="0xc000006d/0xc000006a") for h in range(20)]
    >>> builder, detector = BatchBuilder(), PasswordSpray()
    >>> signals = detector.score(builder.build(spray), builder)
    >>> [round(float(p)) for p in signals.points]
    [22, 30]
    >>> signals.titles[1]  # doctest: +NORMALIZE_WHITESPACE
    '203.0.113.50 had failed sign-ins for 16 different existing accounts in the last days
     (normal for a source: fewer than 8; 0 accounts sign in from it successfully)'
    """

    name: ClassVar[str] = "password_spray"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.003",)
    entity_kind: ClassVar[str] = "ip"

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        channel, before, after, peak = view["channel"], view["before"], view["after"], view["peak"]
        valid = channel == VALID_FAIL
        valid_level = level_of(after[:, VALID_FAIL], self.min_accounts)
        valid_cross = valid & passes_peak(
            after[:, VALID_FAIL], peak[:, VALID_FAIL], self.min_accounts
        )
        invalid = channel == INVALID_FAIL
        invalid_level = level_of(after[:, INVALID_FAIL], self.min_invalid_accounts)
        invalid_cross = invalid & passes_peak(
            after[:, INVALID_FAIL], peak[:, INVALID_FAIL], self.min_invalid_accounts
        )
        flagged = valid_cross | invalid_cross
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        level = np.where(valid_cross, valid_level, invalid_level)[flagged]
        points = np.where(
            valid_cross[flagged],
            np.minimum(self.max_points, self.points + self.points_per_level * level),
            self.invalid_points,
        )
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["ip"][flagged],
            points=points,
            mitre=self.mitre,
        )
        for index in range(len(signals)):
            source = _who(builder, "ip", int(signals.entity[index]))
            succeeded = float(before[flagged][index, SUCCESS])
            if valid_cross[flagged][index]:
                count = round(self.min_accounts * 2.0 ** level[index])
                signals.titles.append(
                    f"{source} had failed sign-ins for {count} different existing accounts in "
                    f"the last days (normal for a source: fewer than {self.min_accounts:.0f}; "
                    f"{succeeded:.0f} accounts sign in from it successfully)"
                )
                signals.observed.append(f"{count}+ existing accounts failing from {source}")
            else:
                count = round(self.min_invalid_accounts * 2.0 ** level[index])
                signals.titles.append(
                    f"{source} tried {count} account names that do not exist (scanner-like "
                    f"guessing; normal: fewer than {self.min_invalid_accounts:.0f})"
                )
                signals.observed.append(f"{count}+ non-existent accounts tried from {source}")
            signals.baseline.append(
                f"decayed distinct accounts over ~{self.tau / DAY:.0f} days: "
                f"{before[flagged][index, VALID_FAIL]:.1f} existing, "
                f"{before[flagged][index, INVALID_FAIL]:.1f} non-existent, "
                f"{succeeded:.1f} successful"
            )
        return signals


@register
class SuccessAfterSpray(SpraySources):
    """A successful sign-in from a source that has been failing on many accounts.

    Strong on its own: the spray found a working password. Scored on the user who signed in.
    Two bars, both over the decayed ``window_days`` distinct counts of the source:

    * ``min_accounts`` (5) existing accounts failed - a password spray in the classic sense;
    * a *mixed* bar: at least 8 distinct names failed (``min_mixed_accounts`` 7.5, the counts
      are decayed), of which at least 2 exist (``min_valid_in_mix`` 1.5), then a success
      (``mixed_points``, 40 - enough to alert alone). A guesser that walks a name list learns
      which accounts exist from the failure codes; when it then gets in, that is the spray
      working. The Kerberos spray capture ``kerberos_pwd_spray_4771.evtx`` shows this: seven
      unknown names (4768 ``0x6``) and two bad passwords (4771 ``0x18``) from 172.16.66.1,
      then a TGT for ``normal`` in the same second. Invalid-only scanners that never get in, and
      shared gateways where most accounts sign in successfully (``gateway_ratio``), stay quiet.

    Points on the first bar: ``points`` (45) plus ``points_per_level`` (12) per doubling above
    ``min_accounts``: a success after 20 or more existing accounts failed is high on its own.
    A user who already signed in from the source in the last ``routine_days`` (30) gets
    ``routine_factor`` (0.5) of that: the source is a host they use (a jump host that sprays
    keeps carrying its own admins' logons), and the spray's first new account is what matters.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, tzinfo=UTC)
    >>> def try_(h, user, outcome):
    ...     action = Action.LOGON if outcome is Outcome.SUCCESS else Action.LOGON_FAILED
    ...     return Event(time=start + timedelta(hours=h), tenant="t", source_format="x",
    ...                  action=action, outcome=outcome, user=user, src_ip="203.0.113.50",
    ...                  reason="" if outcome is Outcome.SUCCESS else "bad_password")
    >>> events = [try_(h, f"user{h}", Outcome.FAILURE) for h in range(24)]
    >>> events.append(try_(25, "carol", Outcome.SUCCESS))
    >>> builder, detector = BatchBuilder(), SuccessAfterSpray()
    >>> signals = detector.score(builder.build(events), builder)
    >>> len(signals), round(float(signals.points[0]))
    (1, 57)
    """

    name: ClassVar[str] = "success_after_spray"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.003", "T1078")
    entity_kind: ClassVar[str] = "user"
    keeps_peaks: ClassVar[bool] = False

    def share_state(self, detectors: Sequence[object]) -> None:
        """Read ``password_spray``'s counts when the engine runs it over the same window."""
        self._read_counts_of(detectors, PasswordSpray)

    def __init__(
        self,
        *,
        window_days: float = 3.0,
        min_accounts: float = 5.0,
        min_invalid_accounts: float = 20.0,
        gateway_ratio: float = 2.0,
        points: float = 45.0,
        points_per_level: float = 12.0,
        invalid_points: float = 5.0,
        max_points: float = 75.0,
        min_valid_in_mix: float = 1.5,
        min_mixed_accounts: float = 7.5,
        mixed_points: float = 40.0,
        routine_days: float = 30.0,
        routine_factor: float = 0.5,
    ) -> None:
        if min_valid_in_mix <= 0 or min_mixed_accounts <= min_valid_in_mix:
            raise ValueError(f"{self.name}: 0 < min_valid_in_mix < min_mixed_accounts required")
        if not 0 < routine_days <= 20 * window_days or not 0 <= routine_factor <= 1:
            raise ValueError(
                f"{self.name}: 0 < routine_days <= 20 * window_days (the pair table's memory) "
                "and 0 <= routine_factor <= 1 required"
            )
        self.routine_days = routine_days
        self.routine_factor = routine_factor
        self.min_valid_in_mix = min_valid_in_mix
        self.min_mixed_accounts = min_mixed_accounts
        self.mixed_points = mixed_points
        super().__init__(
            window_days=window_days,
            min_accounts=min_accounts,
            min_invalid_accounts=min_invalid_accounts,
            gateway_ratio=gateway_ratio,
            points=points,
            points_per_level=points_per_level,
            invalid_points=invalid_points,
            max_points=max_points,
        )

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        before = view["before"]
        sprayed = before[:, VALID_FAIL]
        guessed = before[:, INVALID_FAIL]
        succeeded = before[:, SUCCESS]
        not_gateway = sprayed + guessed > self.gateway_ratio * succeeded
        valid_bar = at_least(sprayed, self.min_accounts) & (
            sprayed > self.gateway_ratio * succeeded
        )
        # Mixed bar: a source that guessed many names, some of them real accounts, then got in.
        mixed_bar = (
            at_least(sprayed, self.min_valid_in_mix)
            & at_least(sprayed + guessed, self.min_mixed_accounts)
            & not_gateway
        )
        flagged = (view["channel"] == SUCCESS) & (valid_bar | mixed_bar)
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        level = np.maximum(level_of(sprayed[flagged], self.min_accounts), 0.0)
        points = np.where(
            valid_bar[flagged],
            np.minimum(self.max_points, self.points + self.points_per_level * level),
            self.mixed_points,
        )
        # A user who signed in from this source before (within routine_days: the pair table
        # keeps success pairs for 20 windows) is using a host they always use, not a password
        # the spray just found: a jump host that sprays keeps carrying its own admins' logons.
        # Read from the pair table spray detectors already keep (no state of its own).
        gap_days = (view["time"][flagged] - view["previous_time"][flagged]) / DAY
        routine = gap_days <= self.routine_days  # NaN (no earlier sign-in): False
        points = np.where(routine, points * self.routine_factor, points)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["user"][flagged],
            points=points,
            mitre=self.mitre,
        )
        for index in range(len(signals)):
            row = int(signals.rows[index])
            who = _who(builder, "user", int(signals.entity[index]))
            source = _who(builder, "ip", int(view["ip"][flagged][index]))
            n = float(sprayed[flagged][index])
            m = float(guessed[flagged][index])
            ok = float(succeeded[flagged][index])
            how = "passed the password step" if batch.events[row].reason else "signed in"
            if valid_bar[flagged][index]:
                what = f"{n:.0f} different existing accounts"
            else:
                what = f"{n + m:.0f} different account names ({n:.0f} of them existing)"
            usual = (
                f"; {who} last signed in from there {gap_days[index]:.1f} days before"
                if routine[index]
                else ""
            )
            signals.titles.append(
                f"{who} {how} from {source}, a source that just failed on {what} (normal: a "
                f"source where {ok:.0f} accounts sign in successfully does not fail on more "
                f"than {self.min_accounts:.0f} existing accounts{usual})"
            )
            signals.observed.append(f"{who} signed in from spraying source {source}")
            signals.baseline.append(
                f"decayed distinct accounts from {source} over ~{self.tau / DAY:.0f} days: "
                f"{n:.1f} failing (existing), {m:.1f} failing (non-existent), "
                f"{ok:.1f} succeeding"
            )
        return signals


@register
class CredentialStuffing(SpraySources):
    """One account failing from many sources over days, then a success from one of them:
    credential stuffing or a distributed guess (T1110.004, T1110.001).

    The mirror of ``password_spray``: the same decayed distinct counts over ``window_days``,
    kept per *account* over the *sources* that fail on it (and those it signs in from). A
    leaked password list replayed through a botnet or a proxy pool tries one account from a
    new address every hour or two: no source fails twice in a row, so the per-source burst of
    ``failed_logons_user`` and the per-source spray never see it. Only accounts that sign in
    successfully are judged (internet scanners taking turns at ``root`` on a bastion are not an
    account in use), and the sources the account signs in from offset the failing ones
    (``gateway_ratio``: a roaming user who mistypes on the train and at home is not a botnet).
    Only failures from public addresses count: the organisation's own (a VPN pool, office
    DHCP) hand one person a new address every session.

    One signal per doubling of the distinct failing sources (``min_sources`` 6, 12, 24 ...)
    above the account's own peak; and a success from a source that failed on the account
    while at least ``min_sources`` sources were failing on it (``success_points``: the list
    had the password). Both on the account.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, tzinfo=UTC)
    >>> def try_(h, ip, outcome=Outcome.FAILURE):
    ...     action = Action.LOGON if outcome is Outcome.SUCCESS else Action.LOGON_FAILED
    ...     return Event(time=start + timedelta(hours=h), tenant="t", source_format="x",
    ...                  action=action, outcome=outcome, user="alice", src_ip=ip,
    ...                  reason="" if outcome is Outcome.SUCCESS else "bad_password")
    >>> events = [try_(0, "10.0.0.5", Outcome.SUCCESS)]
    >>> events += [try_(1 + h, f"185.220.{h}.7") for h in range(14)]
    >>> events.append(try_(16, "185.220.3.7", Outcome.SUCCESS))
    >>> builder, detector = BatchBuilder(), CredentialStuffing()
    >>> signals = detector.score(builder.build(events), builder)
    >>> [round(float(p)) for p in signals.points]
    [25, 45]
    >>> signals.titles[1]  # doctest: +NORMALIZE_WHITESPACE
    'alice signed in from 185.220.3.7, one of 12 different sources that failed on the account
     in the last days (normal: it signs in from 1 and fails from fewer than 6)'
    """

    name: ClassVar[str] = "credential_stuffing"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.004", "T1110.001", "T1078")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        window_days: float = 3.0,
        min_sources: float = 6.0,
        gateway_ratio: float = 1.0,
        points: float = 25.0,
        points_per_level: float = 8.0,
        max_points: float = 50.0,
        success_points: float = 45.0,
    ) -> None:
        super().__init__(
            window_days=window_days,
            min_accounts=min_sources,
            gateway_ratio=gateway_ratio,
            points=points,
            points_per_level=points_per_level,
            max_points=max_points,
        )
        self.success_points = success_points

    def share_state(self, detectors: Sequence[object]) -> None:
        """Read ``password_spray``'s pair table when the engine runs it over the same window:
        its (source, channel, account) pairs are ours with the roles swapped, and it keeps
        every row we keep (ours are its public ones), so the last time of a pair is the same
        in both. A second copy was ~140 of ~2,190 B/user (``benchmarks.state_size --days 28
        --users 200``)."""
        for detector in detectors:
            if (
                isinstance(detector, PasswordSpray)
                and detector.tau == self.tau
                and detector.pairs_owner_ is None
            ):
                self.pairs_owner_ = detector
                return

    def _owner_keys(self, keys: Int64Array) -> Int64Array:
        account, channel, source = keys >> 33, (keys >> 31) & 3, keys & 0x7FFFFFFF
        swapped: Int64Array = (source << 33) | (channel << 31) | account
        return swapped

    def _shared(self, batch: EventBatch) -> tuple[np.ndarray, ...]:
        """The spray rows with the roles swapped: grouped by account, counting sources."""
        cached = batch.derived.get("stuffing_rows")
        if cached is None:
            rows, channel = self._rows(batch)
            # Failures from the organisation's own addresses (a VPN pool, office DHCP) are
            # people mistyping on their own machines; a replayed list comes from the internet.
            public = (channel == SUCCESS) | (batch.src_wide16[rows] >= 0)
            rows, channel = rows[public], channel[public]
            account = batch.column("user")[rows]
            source = batch.column("src_ip")[rows]
            keys = (account.astype(np.int64) << 33) | (channel << 31) | source.astype(np.int64)
            cached = (rows, channel, account, source, keys, previous_in_group(keys))
            batch.derived["stuffing_rows"] = cached
        result: tuple[np.ndarray, ...] = cached
        return result

    def _failed_before(self, view: dict[str, np.ndarray], success: BoolArray) -> BoolArray:
        """Success rows whose source failed on the account before (state or earlier rows)."""
        account = view["ip"].astype(np.int64)  # (the group column holds the account)
        source = view["user"].astype(np.int64)
        failure_keys = (account << 33) | (VALID_FAIL << 31) | source
        stored = ~np.isnan(self._pair_last(failure_keys[success]))
        failing = np.flatnonzero(view["channel"] == VALID_FAIL)
        earlier = np.zeros(int(success.sum()), dtype=np.bool_)
        if len(failing):
            keys, first = unique1d(failure_keys[failing], return_index=True)
            position = np.searchsorted(keys, failure_keys[success])
            found = position < len(keys)
            found[found] = keys[position[found]] == failure_keys[success][found]
            first_row = failing[first[np.minimum(position, len(keys) - 1)]]
            earlier = found & (first_row < np.flatnonzero(success))
        result: BoolArray = stored | earlier
        return result

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        channel, before, after, peak = view["channel"], view["before"], view["after"], view["peak"]
        in_use = before[:, SUCCESS] > 0  # an account that signs in (not a scanner's guess)
        failing = before[:, VALID_FAIL]
        cross = (channel == VALID_FAIL) & in_use
        cross &= passes_peak(after[:, VALID_FAIL], peak[:, VALID_FAIL], self.min_accounts)
        success = (channel == SUCCESS) & in_use & at_least(failing, self.min_accounts)
        success &= failing > self.gateway_ratio * before[:, SUCCESS]
        if success.any():
            success[success] = self._failed_before(view, success)
        flagged = cross | success
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        level = level_of(after[:, VALID_FAIL], self.min_accounts)
        points = np.where(
            cross, np.minimum(self.max_points, self.points + self.points_per_level * level), 0.0
        )
        points = np.where(success, self.success_points, points)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["ip"][flagged].astype(np.int32),
            points=points[flagged],
            mitre=self.mitre,
        )
        for row in np.flatnonzero(flagged).tolist():
            who = _who(builder, "user", int(view["ip"][row]))
            source = _who(builder, "ip", int(view["user"][row]))
            ok = float(before[row, SUCCESS])
            if success[row]:
                n = float(failing[row])
                signals.titles.append(
                    f"{who} signed in from {source}, one of {n:.0f} different sources that "
                    f"failed on the account in the last days (normal: it signs in from "
                    f"{ok:.0f} and fails from fewer than {self.min_accounts:.0f})"
                )
                signals.observed.append(f"{who} signed in from stuffing source {source}")
                signals.actions.append("success")
                signals.row_mitre.append(("T1110.004", "T1078"))
            else:
                count = round(self.min_accounts * 2.0 ** level[row])
                signals.titles.append(
                    f"{who} had failed sign-ins from {count} different sources in the last "
                    f"days, the latest {source} (normal for an account: fewer than "
                    f"{self.min_accounts:.0f}; it signs in from {ok:.0f})"
                )
                signals.observed.append(f"{count}+ sources failing on {who}")
                signals.actions.append("guessing")
                signals.row_mitre.append(("T1110.004", "T1110.001"))
            signals.baseline.append(
                f"decayed distinct sources over ~{self.tau / DAY:.0f} days: "
                f"{float(before[row, VALID_FAIL]):.1f} failing, {ok:.1f} signing in"
            )
        return signals


__all__ = [
    "CredentialStuffing",
    "FailedLogonSurprise",
    "FailedLogonsSource",
    "FailedLogonsUser",
    "PasswordSpray",
    "SpraySources",
    "SuccessAfterSpray",
    "classify_failures",
]
