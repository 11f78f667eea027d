"""Failed sign-ins: bursts against one account or from one source, low-and-slow password
spraying, and the success that follows a spray.

Three registered detectors share the vectorised decayed-count machinery of this module:

* ``failed_logons_user`` / ``failed_logons_source`` - a Poisson surprise of the recent (decayed,
  one-hour) number of failures of a user or a source IP against that entity's own long-term rate
  (T1110.001). Users without history get a tenant-wide prior rate, so a brute force against an
  account that never failed is still seen, while an account that is hammered every day (``root``
  at an internet-facing bastion) learns that this is its normal.
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

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from detectors.base import Signals, StateDict, group_cumsum_before
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array
from detectors.registry import register
from schemas.event import Action, Outcome

HOUR = 3600.0
DAY = 86_400.0
#: Largest span of one vectorised pass, in units of the decay constant (exp(600) is finite).
MAX_SPAN_TAUS = 500.0

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

# -- shared vectorised helpers -------------------------------------------------------------


def fit(array: np.ndarray, size: int, fill: float | int) -> np.ndarray:
    """``array`` padded with ``fill`` to exactly ``max(len, size)`` entries, so that state
    shapes do not depend on how the stream was batched (unlike amortised doubling)."""
    if len(array) >= size:
        return array
    grown = np.full(size, fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def previous_in_group(keys: Int64Array) -> Int64Array:
    """Index of the previous position with the same key (``-1`` for the first).

    >>> previous_in_group(np.array([4, 2, 4, 4, 2], dtype=np.int64)).tolist()
    [-1, -1, 0, 2, 1]
    """
    n = len(keys)
    order = np.argsort(keys, kind="stable")
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
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    distinct, rank = np.unique(values[order], return_inverse=True)
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
            np.log(np.maximum(stored_peak, 1e-300)) + (np.nan_to_num(stored_time) - t0) / tau,
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
        np.isnan(stored_time), 0.0, stored_value * np.exp((np.nan_to_num(stored_time) - t0) / tau)
    )
    accumulated = stored + group_cumsum_before(groups, increments)
    result: FloatArray = accumulated * np.exp(-(time - t0) / tau)
    return result


def weights(time: FloatArray, t0: float, tau: float) -> FloatArray:
    """``exp((t - t0) / tau)``: a row's contribution in the undecayed units of a batch."""
    result: FloatArray = np.exp((time - t0) / tau)
    return result


def settle(compute: Callable[[BoolArray], BoolArray], n: int) -> BoolArray:
    """The held-back set that a one-by-one run would produce.

    ``compute(held)`` says which rows are unusual when ``held`` rows are kept out of the
    baseline. A row depends only on earlier rows, so iterating from "nothing held" fixes one
    more row per round at worst; the only fixed point is the sequential answer.

    >>> settle(lambda held: np.array([True, not held[0]]), 2).tolist()
    [True, False]
    """
    held = np.zeros(n, dtype=np.bool_)
    for _ in range(n + 1):
        updated = compute(held)
        if np.array_equal(updated, held):
            return held
        held = updated
    return held


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


def classify_failures(batch: EventBatch, rows: Int64Array) -> tuple[BoolArray, BoolArray]:
    """``(invalid_user, interrupt)`` masks for failure ``rows`` from their reason strings."""
    reasons = [batch.events[int(r)].reason.lower() for r in rows]
    if not reasons:
        return np.zeros(0, dtype=np.bool_), np.zeros(0, dtype=np.bool_)
    unique, inverse = np.unique(np.array(reasons, dtype=str), return_inverse=True)
    invalid = np.array([_is_invalid_user(str(u)) for u in unique], dtype=np.bool_)
    interrupt = np.array([any(m in str(u) for m in _INTERRUPT_MARKERS) for u in unique])
    return invalid[inverse], interrupt.astype(np.bool_)[inverse]


def _is_invalid_user(reason: str) -> bool:
    # Kerberos pre-auth: 0x6 = client not found in the database (exact code, not a prefix).
    return any(m in reason for m in _INVALID_USER_MARKERS) or reason.strip() == "0x6"


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
    """Doubling level of ``value``: -1 below ``base``, 0 from ``base``, 1 from 2*base, ..."""
    with np.errstate(divide="ignore"):
        levels = np.floor(np.log2(np.maximum(value, 1e-300) / base))
    result: FloatArray = np.where(value >= base, levels, -1.0)
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


def _who(builder: BatchBuilder, kind: str, index: int) -> str:
    return builder.vocab[kind].value(index)


# -- failed-logon bursts -------------------------------------------------------------------


class FailedLogonSurprise:
    """Poisson surprise of the last hour's failures for one entity vs its long-term rate.

    The short count (``short_hours`` decay) includes every failure; the long-term rate
    (``long_days`` decay) learns only failures that were not unusual, so a brute force does
    not become the account's normal. A signal is raised when the short count reaches a new
    doubling level (``min_failures``, 2x, 4x ...) while surprising, so a burst gives a few
    signals, not one per failure.
    """

    name: ClassVar[str] = "failed_logons"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001",)
    entity_kind: ClassVar[str] = "user"
    entity_column: ClassVar[str] = "user"
    valid_only: ClassVar[bool] = True  # count only failures for accounts that exist

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
    ) -> None:
        if min(short_hours, long_days, prior_per_day, min_failures, points_per_nat) <= 0:
            raise ValueError(f"{self.name}: windows, prior and points must be > 0")
        self.short_tau = short_hours * HOUR
        self.peak_tau = 6.0 * self.short_tau
        self.long_tau = long_days * DAY
        self.prior_per_day = prior_per_day
        self.min_failures = min_failures
        self.min_nats = min_nats
        self.points_per_nat = points_per_nat
        self.max_points = max_points
        self.short_ = np.empty(0, dtype=np.float64)  # decayed count, short window
        self.long_ = np.empty(0, dtype=np.float64)  # decayed count, long window
        self.peak_ = np.empty(0, dtype=np.float64)  # slowly decaying peak of the short count
        self.time_ = np.empty(0, dtype=np.float64)  # time all three refer to (NaN = none)

    def _rows(self, batch: EventBatch) -> Int64Array:
        mask = batch.action_mask(FAILURE_ACTIONS) & batch.outcome_is(Outcome.FAILURE)
        mask &= batch.column(self.entity_column) >= 0
        rows = np.flatnonzero(mask).astype(np.int64)
        invalid, interrupt = classify_failures(batch, rows)
        keep = ~interrupt & (~invalid if self.valid_only else True)
        return rows[keep]

    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows = self._rows(batch)
        entity = batch.column(self.entity_column)[rows]
        time = batch.time[rows]
        n = len(rows)
        size = int(entity.max()) + 1 if n else 0
        short_state = fit(self.short_, size, 0.0)[entity]
        long_state = fit(self.long_, size, 0.0)[entity]
        time_state = fit(self.time_, size, np.nan)[entity]
        ones = np.ones(n, dtype=np.bool_)
        short_before = counts_before(short_state, time_state, entity, time, ones, self.short_tau)
        short_after = short_before + 1.0
        prior = self.prior_per_day * self.short_tau / DAY

        def unusual(held: BoolArray) -> BoolArray:
            long_before = counts_before(long_state, time_state, entity, time, ~held, self.long_tau)
            mean = np.maximum(long_before * self.short_tau / self.long_tau, prior)
            nats = poisson_nats(short_after, mean)
            result: BoolArray = (nats >= self.min_nats) & (short_after >= self.min_failures / 2)
            return result

        held = settle(unusual, n)
        long_before = counts_before(long_state, time_state, entity, time, ~held, self.long_tau)
        mean = np.maximum(long_before * self.short_tau / self.long_tau, prior)
        nats = poisson_nats(short_after, mean)
        peak_state = fit(self.peak_, size, 0.0)[entity]
        peak, log_peak = peak_before(
            entity.astype(np.int64),
            time,
            quantised(short_after, self.min_failures),
            peak_state,
            time_state,
            self.peak_tau,
        )
        crossed = passes_peak(short_after, peak, self.min_failures)
        flagged = held & crossed & (nats >= self.min_nats)
        return {
            "rows": rows,
            "entity": entity,
            "time": time,
            "log_peak": log_peak,
            "held": held,
            "flagged": flagged,
            "short_after": short_after,
            "mean": mean,
            "nats": nats,
        }

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
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
            signals.titles.append(
                f"{count:.0f} failed sign-ins in about an hour for {subject} "
                f"(normal: {per_hour:.2f} per hour)"
            )
            signals.observed.append(f"burst of failed sign-ins for {subject}")
            signals.baseline.append(
                f"long-term rate {per_hour * 24:.1f} failures/day; "
                f"surprise {float(nats[index]):.1f} nats"
            )
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        entity, time = view["entity"], view["time"]
        keep_long = ~(view["held"] | held_back[rows])
        size = int(entity.max()) + 1
        self.short_ = fit(self.short_, size, 0.0)
        self.long_ = fit(self.long_, size, 0.0)
        self.time_ = fit(self.time_, size, np.nan)
        self.peak_ = fit(self.peak_, size, 0.0)
        self.peak_ = peak_fold(self.peak_, entity, time, view["log_peak"], self.peak_tau)
        every = np.ones(len(rows), dtype=np.bool_)
        self.short_, _ = _fold(self.short_, self.time_, entity, time, every, self.short_tau)
        self.long_, self.time_ = _fold(
            self.long_, self.time_, entity, time, keep_long, self.long_tau
        )

    def state(self) -> StateDict:
        return {"short": self.short_, "long": self.long_, "peak": self.peak_, "time": self.time_}

    def load_state(self, state: StateDict) -> None:
        self.short_ = np.asarray(state["short"], dtype=np.float64)
        self.long_ = np.asarray(state["long"], dtype=np.float64)
        self.peak_ = np.asarray(state["peak"], dtype=np.float64)
        self.time_ = np.asarray(state["time"], dtype=np.float64)


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
    # Dense per-entity carry between chunks (only needed when a batch spans ~500 taus).
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
            carry_value, carry_stamp = _fold(
                carry_value, carry_stamp, entity[part], time[part], keep[part], tau
            )
    return before


def _fold(
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


@register
class FailedLogonsUser(FailedLogonSurprise):
    """A burst of failed sign-ins for one existing account, against its own rate.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event, Outcome
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def fail(minutes):
    ...     return Event(time=start + timedelta(minutes=minutes), tenant="t", source_format="x",
    ...                  action=Action.LOGON_FAILED, outcome=Outcome.FAILURE, user="bob",
    ...                  src_ip="198.51.100.7", reason="bad_password")
    >>> builder, detector = BatchBuilder(), FailedLogonsUser()
    >>> signals = detector.score(builder.build([fail(m) for m in range(30)]), builder)
    >>> len(signals), signals.titles[0]
    (2, '8 failed sign-ins in about an hour for account bob (normal: 0.04 per hour)')
    """

    name: ClassVar[str] = "failed_logons_user"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001",)
    entity_kind: ClassVar[str] = "user"
    entity_column: ClassVar[str] = "user"
    valid_only: ClassVar[bool] = True


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


class SpraySources:
    """Decayed distinct-account counts per source IP, in three channels: failures for
    existing accounts, failures for non-existent accounts, and successful sign-ins.

    The distinct count of a channel at time ``t`` is ``sum_p exp(-(t - last_p) / tau)`` over the
    (source, account) pairs ``p`` of that channel, so an account counts once however often it is
    tried, and fades out over ``window_days``. Counts are facts about what a source did, not a
    baseline of normal behaviour, so nothing is held back.
    """

    name: ClassVar[str] = "spray_sources"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.003",)
    entity_kind: ClassVar[str] = "ip"

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
        self.sums_ = np.zeros((0, CHANNELS), dtype=np.float64)  # decayed distinct per channel
        self.peaks_ = np.zeros((0, 2), dtype=np.float64)  # running peaks of the failure counts
        self.stamp_ = np.empty(0, dtype=np.float64)  # time sums/peaks refer to (NaN = none)
        self.pair_keys_ = np.empty(0, dtype=np.int64)  # sorted (ip, channel, user) keys
        self.pair_last_ = np.empty(0, dtype=np.float64)  # last time of each pair

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

    def _pair_last(self, keys: Int64Array) -> FloatArray:
        if len(self.pair_keys_) == 0:
            return np.full(len(keys), np.nan)
        position = np.minimum(np.searchsorted(self.pair_keys_, keys), len(self.pair_keys_) - 1)
        found = self.pair_keys_[position] == keys
        result: FloatArray = np.where(found, self.pair_last_[position], np.nan)
        return result

    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows, channel = self._rows(batch)
        n = len(rows)
        ip = batch.column("src_ip")[rows]
        user = batch.column("user")[rows]
        time = batch.time[rows]
        keys = (ip.astype(np.int64) << 33) | (channel << 31) | user.astype(np.int64)
        size = int(ip.max()) + 1 if n else 0
        stamp = fit(self.stamp_, size, np.nan)[ip]
        t0 = float(time[0]) if n else 0.0
        w = weights(time, t0, self.tau)
        previous = previous_in_group(keys)
        stored_last = self._pair_last(keys)
        previous_time = np.where(previous >= 0, time[np.maximum(previous, 0)], stored_last)
        w_previous = np.where(
            np.isnan(previous_time), 0.0, np.exp((np.nan_to_num(previous_time) - t0) / self.tau)
        )
        increment = w - w_previous
        groups = ip.astype(np.int64)
        before = np.zeros((n, CHANNELS))
        sums = self.sums_
        if len(sums) < size:
            sums = np.vstack([sums, np.zeros((size - len(sums), CHANNELS))])
        for c in range(CHANNELS):
            in_channel = channel == c
            before[:, c] = decayed_before(
                groups, time, np.where(in_channel, increment, 0.0), sums[ip, c], stamp, self.tau
            )
        # This row's own effect on its channel: +1, minus the faded earlier try of the same pair.
        own = 1.0 - w_previous / w if n else np.zeros(0)
        gateway = self.gateway_ratio * before[:, SUCCESS]
        after = np.zeros((n, 2))
        after[:, VALID_FAIL] = np.where(
            channel == VALID_FAIL, before[:, VALID_FAIL] - gateway + own, 0
        )
        after[:, INVALID_FAIL] = np.where(channel == INVALID_FAIL, before[:, INVALID_FAIL] + own, 0)
        peaks = self.peaks_
        if len(peaks) < size:
            peaks = np.vstack([peaks, np.zeros((size - len(peaks), 2))])
        peak = np.zeros((n, 2))
        log_peak = np.zeros((n, 2))
        for c, base in ((VALID_FAIL, self.min_accounts), (INVALID_FAIL, self.min_invalid_accounts)):
            peak[:, c], log_peak[:, c] = peak_before(
                groups, time, quantised(after[:, c], base), peaks[ip, c], stamp, self.peak_tau
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
            "t0": np.array([t0]),
        }

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        ip, time, channel = view["ip"], view["time"], view["channel"]
        t0 = float(view["t0"][0])
        size = int(ip.max()) + 1
        if len(self.sums_) < size:
            self.sums_ = np.vstack([self.sums_, np.zeros((size - len(self.sums_), CHANNELS))])
        self.stamp_ = fit(self.stamp_, size, np.nan)
        last = np.full(size, -np.inf)
        np.maximum.at(last, ip, time)
        touched = np.flatnonzero(np.isfinite(last))
        old_stamp = self.stamp_[touched]
        stored_weight = np.where(
            np.isnan(old_stamp), 0.0, np.exp((np.nan_to_num(old_stamp) - t0) / self.tau)
        )
        for c in range(CHANNELS):
            added = np.zeros(size)
            in_channel = channel == c
            np.add.at(added, ip[in_channel], view["increment"][in_channel])
            accumulated = self.sums_[touched, c] * stored_weight + added[touched]
            self.sums_[touched, c] = accumulated * np.exp(-(last[touched] - t0) / self.tau)
        if len(self.peaks_) < size:
            self.peaks_ = np.vstack([self.peaks_, np.zeros((size - len(self.peaks_), 2))])
        for c in (VALID_FAIL, INVALID_FAIL):
            self.peaks_[:, c] = peak_fold(
                self.peaks_[:, c], ip, time, view["log_peak"][:, c], self.peak_tau
            )
        self.stamp_[touched] = last[touched]
        # Pair table: last time per (ip, channel, user); forget pairs faded below e^-20.
        unique, inverse = np.unique(view["keys"], return_inverse=True)
        latest = np.full(len(unique), -np.inf)
        np.maximum.at(latest, inverse, time)
        merged_keys = np.concatenate([self.pair_keys_, unique])
        merged_last = np.concatenate([self.pair_last_, latest])
        order = np.lexsort((-merged_last, merged_keys))
        merged_keys, merged_last = merged_keys[order], merged_last[order]
        first = np.ones(len(merged_keys), dtype=np.bool_)
        first[1:] = merged_keys[1:] != merged_keys[:-1]
        fresh = merged_last >= float(time[-1]) - 20.0 * self.tau
        keep = first & fresh
        self.pair_keys_ = merged_keys[keep]
        self.pair_last_ = merged_last[keep]

    def state(self) -> StateDict:
        return {
            "sums": self.sums_,
            "peaks": self.peaks_,
            "stamp": self.stamp_,
            "pair_keys": self.pair_keys_,
            "pair_last": self.pair_last_,
        }

    def load_state(self, state: StateDict) -> None:
        self.sums_ = np.asarray(state["sums"], dtype=np.float64).reshape(-1, CHANNELS)
        self.peaks_ = np.asarray(state["peaks"], dtype=np.float64).reshape(-1, 2)
        self.stamp_ = np.asarray(state["stamp"], dtype=np.float64)
        self.pair_keys_ = np.asarray(state["pair_keys"], dtype=np.int64)
        self.pair_last_ = np.asarray(state["pair_last"], dtype=np.float64)

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
    """A successful sign-in from a source that has been failing on many existing accounts.

    Strong on its own: the spray found a working password. Scored on the user who signed in.

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
    (1, 53)
    """

    name: ClassVar[str] = "success_after_spray"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.003", "T1078")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        window_days: float = 3.0,
        min_accounts: float = 5.0,
        min_invalid_accounts: float = 20.0,
        gateway_ratio: float = 2.0,
        points: float = 45.0,
        points_per_level: float = 8.0,
        invalid_points: float = 5.0,
        max_points: float = 75.0,
    ) -> None:
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
        succeeded = before[:, SUCCESS]
        flagged = (
            (view["channel"] == SUCCESS)
            & (sprayed >= self.min_accounts)
            & (sprayed > self.gateway_ratio * succeeded)
        )
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        level = level_of(sprayed[flagged], self.min_accounts)
        points = np.minimum(self.max_points, self.points + self.points_per_level * level)
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
            ok = float(succeeded[flagged][index])
            how = "passed the password step" if batch.events[row].reason else "signed in"
            signals.titles.append(
                f"{who} {how} from {source}, a source that just failed on {n:.0f} different "
                f"existing accounts (normal: a source where {ok:.0f} accounts sign in "
                f"successfully does not fail on more than {self.min_accounts:.0f})"
            )
            signals.observed.append(f"{who} signed in from spraying source {source}")
            signals.baseline.append(
                f"decayed distinct accounts from {source} over ~{self.tau / DAY:.0f} days: "
                f"{n:.1f} failing, {ok:.1f} succeeding"
            )
        return signals


__all__ = [
    "FailedLogonSurprise",
    "FailedLogonsSource",
    "FailedLogonsUser",
    "PasswordSpray",
    "SpraySources",
    "SuccessAfterSpray",
    "classify_failures",
    "decayed_before",
    "fit",
    "poisson_nats",
    "previous_in_group",
    "settle",
    "time_chunks",
    "weights",
]
