"""Lateral movement: who reaches which machine, from where, and how many at once.

Four families of signal over *remote access* rows (network/RDP/ssh logons and explicit-credential
use towards another machine):

* ``lateral_new_host`` — a user reaches a host outside their own baseline, judged after the user's
  own learning period and discounted by a popularity prior: a host that many distinct users reach
  (or that several users started reaching recently, as on a server roll-out day) is not surprising.
  Three habits of whole classes of hosts temper it: an account already reaching half of every
  host seen (a sweep) reaches a new one as part of it; a user who reaches other people's
  workstations (hosts with console logons) is judged by their own rate of new ones among those,
  or by their peers' at the source machine they came from (a support jump host whose visits to
  workstations mostly reach one new to the visiting account); and an account that never sat at
  a machine and only ever reached one or two hosts (a service account) is not excused by a
  host's popularity, in a tenant whose feed shows console logons at all.
* ``lateral_new_edge`` — a source machine reaches a destination it never reached before, when both
  ends are past their learning period.
* ``lateral_fanout_user`` / ``lateral_fanout_source`` — the number of distinct destinations newly
  reached within a short window jumps far above the entity's own decayed peak (a service account
  that fans out to every server each night has a high peak and stays quiet).
* ``lateral_rdp_fanout`` — desktop sessions on two or more hosts new to the user within hours, above
  the user's own peak of those (a host's popularity does not excuse the second or third: that
  is walking through servers, not using one).

Batch scoring equals one-by-one scoring: every per-row quantity is computed from the state plus
the *earlier rows of the same batch*, and where whether a row is learned depends on whether it was
flagged, the flags are settled by a fixed-point iteration (:func:`settle`), which reproduces the
sequential answer exactly because a row only depends on earlier rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np

from detectors._decay import previous_in_group, settle
from detectors._exact import all_slots, used_slots
from detectors._id_columns import IdColumns
from detectors._pair_columns import (
    KeyedColumns,
    SharesUserHosts,
    wide_keys,
)
from detectors._peers import peer_share
from detectors._seconds import (
    NEVER,
    NOT_SEEN,
    SECONDS,
    decode,
    encode,
    floor_seconds,
    stored_times,
)
from detectors._sort import unique1d
from detectors.base import (
    PairTable,
    Signals,
    StateDict,
    batch_view,
    bump_counts,
    changes_state,
    find_sorted,
    first_times,
    flagged_signals,
    fold_extreme,
    fold_first_times,
    gather,
    gather_times,
    group_cumsum_before,
    group_order,
    grow,
    nan_to_zero,
    narrow_counts,
    new_value_surprise,
    pair_keys,
    wide_pair_keys,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array, IntArray
from detectors.registry import register
from schemas.event import Action, Event, Outcome

DAY = 86_400.0
MINUTE = 60.0
LN2 = math.log(2.0)

#: Logon types that mean "someone reached this machine over the network".
REMOTE_LOGON_TYPES = frozenset(
    {"3", "8", "10", "ssh", "network", "remoteinteractive", "remote_interactive", "rdp"}
)
#: Remote desktop: a session on the host, not a file or database connection to it.
RDP_LOGON_TYPES = frozenset({"10", "remoteinteractive", "remote_interactive", "rdp"})
#: Accounts that are not people (null sessions).
NOT_USERS = frozenset(
    {"anonymous logon", "anonymous", "-", "guest", "system", "local service", "network service"}
)


# -- vectorised helpers shared by the lateral-movement detectors ---------------------------------


def value_mask(
    batch: EventBatch, column: str, rows: Int64Array, predicate: Callable[[str], bool]
) -> BoolArray:
    """``predicate`` of the string behind each row's id, evaluated once per *distinct* id.

    Verdicts are kept with the batch per (column, predicate): a module-level predicate (or a
    bound method such as ``NOT_USERS.__contains__``) that several detectors ask of the same
    batch calls Python once per distinct id and batch, not once per detector (on a stream of
    10,000 users that was ~300k calls per 300k events). An id stands for one string of the
    batch (the vocabulary interns exact values), so a kept verdict is the one the call would
    compute; the absent id (-1) is never kept (its rows may carry ``""`` or ``None``).

    >>> from datetime import UTC, datetime
    >>> from detectors.batch import BatchBuilder
    >>> e = [Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="t", source_format="x",
    ...            action=Action.LOGON, logon_type=v) for v in ("3", "2", "3")]
    >>> value_mask(BatchBuilder().build(e), "logon_type", np.arange(3), {"3"}.__contains__).tolist()
    [True, False, True]
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.bool_)
    ids: np.ndarray = batch.column(column)[rows]  # (int32 ids, searched as they are)
    kept = batch.derived.get("value_mask", {}).get((column, predicate))
    if kept is not None and len(kept[0]):
        # Every id asked already (another detector's rows, most often): the kept verdicts by
        # one search of the rows, without sorting out their distinct ids first (round 26).
        position, found = find_sorted(kept[0], ids)
        if found.all():
            known: BoolArray = kept[1][position]
            return known
    unique, first, inverse = unique1d(ids, return_index=True, return_inverse=True)
    verdict = _verdicts(batch, column, unique, rows[first], predicate)
    passed: BoolArray = verdict[inverse.reshape(-1)]
    return passed


def value_codes(
    batch: EventBatch, column: str, rows: Int64Array, classify: Callable[[str], int]
) -> Int64Array:
    """``classify`` of the string behind each row's id, called once per *distinct* id (as
    :func:`value_mask` asks a predicate): one pass where a mask per class would ask every
    distinct id once per class. Not kept with the batch (each caller classifies a column
    once).

    >>> from datetime import UTC, datetime
    >>> from detectors.batch import BatchBuilder
    >>> e = [Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="t", source_format="x",
    ...            action=Action.LOGON, logon_type=v) for v in ("3", "10", "3")]
    >>> value_codes(BatchBuilder().build(e), "logon_type", np.arange(3), len).tolist()
    [1, 2, 1]
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    ids = batch.column(column)[rows]
    _, first, inverse = unique1d(ids, return_index=True, return_inverse=True)
    codes: Int64Array = _ask(batch, column, rows[first], classify, np.int64)
    picked: Int64Array = codes[inverse.reshape(-1)]
    return picked


def _ask(
    batch: EventBatch,
    column: str,
    at: Int64Array,
    predicate: Callable[[str], Any],
    dtype: type[np.generic] = np.bool_,
) -> np.ndarray:
    """``predicate`` of ``column`` at rows ``at``, one Python call each (C-level maps)."""
    strings = map(str, map(attrgetter(column), map(batch.events.__getitem__, at.tolist())))
    verdict: np.ndarray = np.fromiter(map(predicate, strings), dtype=dtype, count=len(at))
    return verdict


def _verdicts(
    batch: EventBatch,
    column: str,
    unique: np.ndarray,
    at: Int64Array,
    predicate: Callable[[str], bool],
) -> BoolArray:
    """The verdict of each sorted distinct id ``unique`` (first seen at rows ``at``): kept
    ones from ``batch.derived``, the others asked, and the kept table extended."""
    every: dict[tuple[str, Callable[[str], bool]], tuple[np.ndarray, BoolArray]]
    every = batch.derived.setdefault("value_mask", {})
    key = (column, predicate)
    kept = every.get(key)
    if kept is None:
        verdict = _ask(batch, column, at, predicate)
        keep = unique >= 0
        every[key] = (unique[keep], verdict[keep])
        return verdict
    kept_ids, kept_verdict = kept
    position, found = find_sorted(kept_ids, unique)
    found &= unique >= 0
    verdict = np.zeros(len(unique), dtype=np.bool_)
    verdict[found] = kept_verdict[position[found]]
    if found.all():
        return verdict
    asked = ~found
    verdict[asked] = _ask(batch, column, at[asked], predicate)
    new = asked & (unique >= 0)
    if new.any():
        merged = np.concatenate([kept_ids, unique[new]])
        order = np.argsort(merged, kind="stable")
        every[key] = (merged[order], np.concatenate([kept_verdict, verdict[new]])[order])
    return verdict


def remote_access(batch: EventBatch) -> tuple[BoolArray, BoolArray]:
    """(remote-access rows, which of them are 4648 explicit-credential rows).

    A dozen detectors ask this of every batch; it is computed once and kept with the batch.
    """
    cached = batch.derived.get("remote_access")
    if cached is None:
        cached = _remote_access(batch)
        batch.derived["remote_access"] = cached
    mask, explicit = cached
    return mask.copy(), explicit.copy()


def _remote_access(batch: EventBatch) -> tuple[BoolArray, BoolArray]:
    user = batch.column("user")
    dst = batch.column("dst_host")
    src_host = batch.column("src_host")
    src_ip = batch.column("src_ip")
    success = batch.outcome_is(Outcome.SUCCESS)
    logon = batch.action_mask(frozenset({Action.LOGON})) & success
    logon &= (user >= 0) & (dst >= 0) & ((src_host >= 0) | (src_ip >= 0)) & (src_host != dst)
    rows = np.flatnonzero(logon)
    keep = value_mask(batch, "logon_type", rows, remote_logon_type)
    keep &= ~batch.src_loopback[rows]
    keep &= ~value_mask(batch, "user", rows, NOT_USERS.__contains__)
    mask = np.zeros(len(batch), dtype=np.bool_)
    mask[rows[keep]] = True
    explicit = batch.action_mask(frozenset({Action.EXPLICIT_CREDENTIAL})) & success
    explicit &= (user >= 0) & (dst >= 0) & (src_host >= 0) & (src_host != dst)
    return mask | explicit, explicit


#: Logon types of someone sitting at the machine (console, unlock, cached): a workstation.
LOCAL_LOGON_TYPES = frozenset({"2", "7", "11", "interactive", "unlock", "cachedinteractive"})


# Predicates of value_mask that several detectors ask of the same batch: named at module level,
# so that value_mask keeps their verdicts with the batch (a lambda is a new key each call).


def not_a_person(name: str) -> bool:
    """A machine account (``host$``) or a name that stands for no person."""
    return name.endswith("$") or name.lower() in NOT_USERS


def is_machine(name: str) -> bool:
    return name.endswith("$")


def remote_logon_type(kind: str) -> bool:
    return kind.lower() in REMOTE_LOGON_TYPES


def local_logon_type(kind: str) -> bool:
    return kind.lower() in LOCAL_LOGON_TYPES


def rdp_logon_type(kind: str) -> bool:
    return kind.lower() in RDP_LOGON_TYPES


def local_interactive(batch: EventBatch) -> Int64Array:
    """Rows of successful local interactive logons by users (what makes a host a workstation).

    Four detector steps ask this of every batch: computed once and kept with the batch."""
    cached = batch.derived.get("local_interactive")
    if cached is None:
        cached = batch.derived["local_interactive"] = _local_interactive(batch)
    rows: Int64Array = cached.copy()
    return rows


def _local_interactive(batch: EventBatch) -> Int64Array:
    user = batch.column("user")
    dst = batch.column("dst_host")
    logon = batch.action_mask(frozenset({Action.LOGON})) & batch.outcome_is(Outcome.SUCCESS)
    rows = np.flatnonzero(logon & (user >= 0) & (dst >= 0))
    # The logon type first: the user test calls Python once per distinct user of what is left,
    # and on a stream of remote logons (sshd) nothing is left.
    rows = rows[value_mask(batch, "logon_type", rows, local_logon_type)]
    rows = rows[~value_mask(batch, "user", rows, not_a_person)]
    return rows.astype(np.int64)


def acting_user(batch: EventBatch, explicit: BoolArray) -> IntArray:
    """The account used at the destination: 4648's target account, else the user."""
    target = batch.column("target_user")
    return np.where(explicit & (target >= 0), target, batch.column("user")).astype(np.int32)


def source_key(batch: EventBatch) -> Int64Array:
    """One id space for source machines: ``2*host`` when named, ``2*ip+1`` otherwise."""
    src_host = batch.column("src_host").astype(np.int64)
    src_ip = batch.column("src_ip").astype(np.int64)
    return np.where(src_host >= 0, 2 * src_host, np.where(src_ip >= 0, 2 * src_ip + 1, -1))


def group_last_before(keys: Int64Array, valid: BoolArray) -> Int64Array:
    """Index of the last earlier row with the same key where ``valid`` holds (-1 when none).

    >>> group_last_before(np.array([1, 1, 2, 1, 2]), np.array([1, 0, 0, 0, 1], bool)).tolist()
    [-1, 0, -1, 0, -1]
    """
    n = len(keys)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    group = np.cumsum(np.r_[False, sorted_keys[1:] != sorted_keys[:-1]]).astype(np.int64)
    span = n + 1
    marks = np.where(valid[order], order + 1, 0).astype(np.int64) + group * span
    running = np.maximum.accumulate(marks)
    before = np.r_[np.int64(-1), running[:-1]]
    same_group = np.r_[False, group[1:] == group[:-1]]
    found = same_group & (before - group * span > 0)
    result = np.full(n, -1, dtype=np.int64)
    result[order[found]] = before[found] - group[found] * span - 1
    return result


def cohort_clock(
    first_seen: FloatArray, tenant_first: FloatArray, learning_days: float
) -> FloatArray:
    """When each entity's learning period started: the tenant's first event for an entity the
    feed saw in the first half of the tenant's own learning period, else its own first event.

    The learning period is the deployment's: someone the feed saw on its first days has been
    watched through most of it (their first logon on day two says they were off on day one,
    not that they are new), so they come out of it with the tenant, not a day later, when an
    attack on the first morning after it would still fall in their "learning". An entity first
    seen later (a new hire, a new server) keeps a whole learning period of its own; the
    detectors' minimum counts still apply to everyone.

    >>> days = cohort_clock(np.array([0.4, 1.2, 5.0]) * DAY, np.zeros(3), 7.0) / DAY
    >>> days.tolist()
    [0.0, 0.0, 5.0]
    """
    early = first_seen - tenant_first < learning_days * DAY / 2
    started: FloatArray = np.where(early, np.minimum(first_seen, tenant_first), first_seen)
    return started


def decayed_sum_before(
    keys: Int64Array, times: FloatArray, weights: FloatArray, half_life: float
) -> FloatArray:
    """Sum over earlier same-key rows of ``weight * 2**(-(t_i - t_j) / half_life)``."""
    if len(keys) == 0:
        return np.empty(0, dtype=np.float64)
    origin = float(times.min())
    scale = np.exp2((times - origin) / half_life)
    return group_cumsum_before(keys, weights * scale) / scale


#: :class:`_PairNovelty`'s per-left columns and what a left never seen holds in them.
_LEFT_FILLS: dict[str, float] = {"left_first": NEVER, "left_count": 0, "left_distinct": 0}


def _rights_and_latest(pair_keys: np.ndarray, last: np.ndarray) -> tuple[Int64Array, np.ndarray]:
    """The distinct right ids of (left, right) pair keys (narrow or wide) and the latest of
    ``last`` over each one's pairs: what :meth:`DecayedTable.state_beside` leaves out."""
    right = wide_pair_keys(np.asarray(pair_keys)) & 0xFFFFFFFF
    keys, inverse = unique1d(right, return_inverse=True)
    latest = np.zeros(len(keys), dtype=SECONDS)
    np.maximum.at(latest, inverse.reshape(-1), last)
    return keys, latest


class DecayedTable:
    """Sorted key -> exponentially decayed count (value as of its ``last`` time).

    Keys (:func:`pair_keys`, or plain ids) are kept in 32 bits while every one fits
    (``PairTable(narrow_keys=True)``: both ids < 2**16), as the snapshot saved them already:
    half the bytes of the table in memory, the same keys, order and lookups.
    """

    def __init__(self, half_life: float) -> None:
        self.half_life = half_life
        self.table = PairTable(narrow_keys=True)

    def at(self, keys: Int64Array, times: FloatArray) -> FloatArray:
        return self._decayed(*self.table.lookup(keys), times)

    def _decayed(self, value: FloatArray, last: FloatArray, times: FloatArray) -> FloatArray:
        """Stored values (``last``: NaN when absent) decayed to ``times``."""
        decay = np.exp2(-np.maximum(times - nan_to_zero(last), 0.0) / self.half_life)
        decayed: FloatArray = np.where(np.isnan(last), 0.0, value * decay)
        return decayed

    def accumulate(self, keys: Int64Array, times: FloatArray) -> None:
        """Add one decayed unit per row (rows in time order)."""
        if len(keys) == 0:
            return
        unique, inverse = unique1d(keys, return_inverse=True)
        inverse = inverse.reshape(-1)
        latest = np.full(len(unique), -np.inf)
        np.maximum.at(latest, inverse, times)
        added = np.zeros(len(unique))
        np.add.at(added, inverse, np.exp2(-(latest[inverse] - times) / self.half_life))
        # (one search: the stored values before, and where the keys are once inserted)
        value, last, position = self.table.look_up_and_place(unique)
        before = self._decayed(value, last, latest)
        # The table keeps ``latest`` rounded down to the second (``_seconds``): the value is
        # kept as of that time, so that decaying it from there reads what decaying it from
        # ``latest`` would (to rounding), not a second's decay less.
        stored = floor_seconds(latest)
        self.table.counts[position] = (before + added) * np.exp2((latest - stored) / self.half_life)
        self.table.last[position] = encode(stored)

    def state(self, prefix: str) -> StateDict:
        return self.table.state(prefix)

    def state_beside(self, prefix: str, pairs: DecayedTable) -> StateDict:
        """:meth:`state` without the keys and times that ``pairs`` gives: when every row this
        table counts is also counted in ``pairs`` under a (left, this key) pair, this table's
        keys are ``pairs``' right ids and its last times their latest pair's. Saved so only
        when that holds exactly (in-order input); else in full. Counts are saved either way
        (a sum over the pairs would differ in its last bits)."""
        keys, last = _rights_and_latest(pairs.table.keys, pairs.table.last)
        own_keys = wide_pair_keys(self.table.keys)
        if np.array_equal(keys, own_keys) and np.array_equal(last, self.table.last):
            return {f"{prefix}counts": self.table.counts}
        return self.state(prefix)

    @changes_state
    def load_state_beside(self, state: StateDict, prefix: str, pairs_prefix: str) -> None:
        """Restore what :meth:`state_beside` saved (the pairs' keys and times in ``state``)."""
        if f"{prefix}keys" in state:
            self.load_state(state, prefix)
            return
        keys, last = _rights_and_latest(
            np.asarray(state[f"{pairs_prefix}keys"]), np.asarray(state[f"{pairs_prefix}last"])
        )
        whole = {f"{prefix}keys": keys, f"{prefix}last": last}
        self.load_state({**whole, f"{prefix}counts": state[f"{prefix}counts"]}, prefix)

    @changes_state
    def load_state(self, state: StateDict, prefix: str) -> None:
        self.table.load_state(state, prefix)
        last = np.asarray(state[f"{prefix}last"])
        if last.dtype != SECONDS:  # (exact times, from before whole seconds: as ``accumulate``)
            rounded = np.nan_to_num(last - floor_seconds(last))
            self.table.counts = self.table.counts * np.exp2(rounded / self.half_life)


class PairsSeen:
    """Every (left, right) pair seen, and when it was last *learned* (NaN: seen, never learned).

    One table for what used to be two with the same pairs (a "seen" table keyed (right, left) for
    popularity and a "learned" table keyed (left, right) for the baseline): learned pairs are a
    subset of the seen ones, so one sorted key array and one time column hold both. The keys may
    be shared with other detectors' tables (:mod:`detectors._pair_columns`): a shared key this
    table never saw holds ``-inf`` and reads as not seen. Times are kept in whole seconds, rounded
    down (:mod:`detectors._seconds`).

    >>> table = PairsSeen()
    >>> table.see(np.array([5, 9], dtype=np.int64))
    >>> table.learn(np.array([9, 9], dtype=np.int64), np.array([1.0, 2.0]))
    >>> seen, last = table.lookup(np.array([5, 7, 9], dtype=np.int64))
    >>> seen.tolist(), last.tolist()
    ([True, False, True], [nan, nan, 2.0])
    """

    def __init__(self) -> None:
        self.table = KeyedColumns(last=(SECONDS, -np.inf))

    @property
    def keys(self) -> Int64Array:
        return self.table.keys

    @property
    def last(self) -> FloatArray:
        """Every key's last learned time (-inf: not seen, NaN: never learned; a copy)."""
        return self.table.times("last")

    def __len__(self) -> int:
        return len(self.table)

    def lookup(self, keys: Int64Array) -> tuple[BoolArray, FloatArray]:
        """Whether each pair was seen, and its last learned time (NaN: never learned)."""
        value = self.table.get("last", keys)
        found = value != -np.inf
        last: FloatArray = np.where(found, value, np.nan)
        return found, last

    def see(self, keys: Int64Array) -> None:
        if len(keys) == 0:
            return
        position = self.table.pairs.insert(keys)  # (where sorted_unique(keys) are now)
        stored = self.table["last"]
        stored[position] = np.where(stored[position] == NOT_SEEN, NEVER, stored[position])

    def learn(self, keys: Int64Array, times: FloatArray) -> None:
        """Last learned time = the latest of ``times`` per key (keys must have been seen)."""
        if len(keys) == 0:
            return
        self.table.fold_latest("last", self.table.positions(keys), times)

    def state(self, prefix: str) -> StateDict:
        return {**self.table.keys_state(f"{prefix}keys"), f"{prefix}last": self.table["last"]}

    def load_state(self, state: StateDict, prefix: str) -> None:
        last = np.asarray(state[f"{prefix}last"])  # (float64 before times were whole seconds)
        self.table.load_state(state, f"{prefix}keys", {"last": last})

    def load_two_tables(self, state: StateDict) -> None:
        """From a snapshot with the two older tables: learned ``pairs_*`` (left, right) and
        ``seen_*`` (right, left)."""
        seen = np.asarray(state["seen_keys"], dtype=np.int64)
        transposed = ((seen & 0xFFFFFFFF) << 32) | (seen >> 32)
        learned = np.asarray(state["pairs_keys"], dtype=np.int64)
        keys = np.union1d(transposed, learned)
        last = np.full(len(keys), np.nan)
        last[np.searchsorted(keys, learned)] = np.asarray(state["pairs_last"], dtype=np.float64)
        self.table.load_state({"keys": keys}, "keys", {"last": last})


def _name(builder: BatchBuilder, kind: str, index: int) -> str:
    return builder.vocab[kind].value(int(index))


def source_name(builder: BatchBuilder, key: int) -> str:
    kind = "host" if key % 2 == 0 else "ip"
    return _name(builder, kind, key // 2)


# -- user -> host and host -> host novelty ---------------------------------------------------------


class _PairNovelty:
    """First (left, right) pair for a mature left entity, discounted by right's popularity.

    ``left`` is the entity whose baseline is judged (a user, or a source machine), ``right`` the
    destination host. Popularity of the destination counts *every* pair seen (flagged or not):
    many users reaching a host is a fact about the host, not a baseline an attacker can teach.
    """

    name: ClassVar[str] = "pair_novelty"
    mitre: ClassVar[tuple[str, ...]] = ()
    entity_kind: ClassVar[str] = "user"
    entity_side: ClassVar[str] = "left"  # which id of the pair the signal is about
    default_points_per_nat: ClassVar[float] = 6.0
    default_max_points: ClassVar[float] = 35.0
    # Whether a remote-desktop reach is judged by the host's popularity for remote desktop only
    # (everybody's file server is not everybody's RDP host).
    rdp_popularity: ClassVar[bool] = False

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 10,
        points_per_nat: float | None = None,
        max_points: float | None = None,
        min_points: float = 5.0,
        popular_users: int = 8,
        popular_recent: float = 3.0,
        recent_half_life_days: float = 7.0,
        forget_days: float = 120.0,
        explicit_boost: float = 1.3,
        sweep_coverage: float = 0.5,
        sweep_min_hosts: int = 10,
        steady_max_hosts: int = 2,
        steady_min_events: int = 20,
    ) -> None:
        points_per_nat = self.default_points_per_nat if points_per_nat is None else points_per_nat
        max_points = self.default_max_points if max_points is None else max_points
        if learning_days < 0 or min_events < 0 or points_per_nat <= 0 or max_points <= 0:
            raise ValueError(f"{self.name}: learning_days/min_events >= 0, points > 0 required")
        if recent_half_life_days <= 0 or forget_days <= 0:
            raise ValueError(f"{self.name}: half-life and forget_days must be > 0")
        self.learning_days = learning_days
        self.min_events = min_events
        self.points_per_nat = points_per_nat
        self.max_points = max_points
        self.min_points = min_points
        self.popular_users = popular_users
        self.popular_recent = popular_recent
        self.recent_half_life = recent_half_life_days * DAY
        self.forget = forget_days * DAY
        self.explicit_boost = explicit_boost
        # An entity that already reaches at least this share of every destination seen (an
        # inventory or configuration sweep) reaches a new host as part of its sweep: p_new >=
        # its share, once it reaches ``sweep_min_hosts`` (two hosts of three is no sweep).
        self.sweep_coverage = sweep_coverage
        self.sweep_min_hosts = sweep_min_hosts
        self.steady_max_hosts = steady_max_hosts
        self.steady_min_events = steady_min_events
        # every (left, right) seen (popularity counts them all), with its last learned time
        # (held-back rows are not learned): the left entity's baseline
        self.edges_ = PairsSeen()
        # Per left id that ever was one (detectors._id_columns: a source machine's columns at
        # the hosts that were a source only): "left_first" in whole seconds, rounded down
        # (_seconds); whole counts "left_count" and "left_distinct" kept narrow (narrow_counts)
        # and read back as float64.
        self.lefts_ = IdColumns(_LEFT_FILLS)
        self.lefts_["left_first"] = np.empty(0, dtype=SECONDS)
        self.lefts_["left_count"] = narrow_counts([])
        self.lefts_["left_distinct"] = narrow_counts([])
        self.right_first_ = np.empty(0, dtype=np.float64)
        self.right_users_ = narrow_counts([])
        self.right_events_ = narrow_counts([])  # rows per destination
        self.right_recent_ = np.empty(0, dtype=np.float64)  # decayed new lefts, at right_last_
        self.right_last_ = np.empty(0, dtype=np.float64)
        self.right_rdp_users_ = narrow_counts([])  # lefts whose first reach was a desktop session
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # per tenant: its first reach seen
        self.left_rdp_distinct_ = narrow_counts([])  # hosts learned through a desktop session
        # A snapshot from before tenant_first_: the first host seen of any tenant, as then.
        self.legacy_first_ = np.nan
        self.tenant_hosts_ = np.empty(0, dtype=np.float64)  # per tenant: destinations seen
        self.legacy_hosts_ = 0.0  # (from before the per-tenant count: every tenant's hosts)

    @property
    def left_first_(self) -> np.ndarray:
        """First time per left id (whole seconds, :data:`NEVER`: never), dense (a copy)."""
        return self.lefts_.dense("left_first")

    @property
    def left_count_(self) -> np.ndarray:
        """Events per left id, dense (a copy)."""
        return self.lefts_.dense("left_count")

    @property
    def left_distinct_(self) -> np.ndarray:
        """Distinct rights learned per left id, dense (a copy)."""
        return self.lefts_.dense("left_distinct")

    def _pairs(self, batch: EventBatch) -> tuple[Int64Array, Int64Array, Int64Array, BoolArray]:
        """(rows, left ids, right ids, boosted rows) of the rows this detector watches."""
        raise NotImplementedError

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows, left, right, boosted = self._pairs(batch)
        time = batch.time[rows]
        n = len(rows)
        keys = pair_keys(left, right)
        size_l = int(left.max()) + 1 if n else 0
        size_r = int(right.max()) + 1 if n else 0
        seen_stored, last = self.edges_.lookup(keys)
        stored = (~np.isnan(last)).astype(np.float64)  # learned before
        stored_fresh = (stored > 0) & (time - np.nan_to_num(last, nan=-np.inf) <= self.forget)
        prior_left, first_left_row = group_order(left)
        left_at = self.lefts_.find(left)
        first_state = decode(self.lefts_.take("left_first", *left_at))
        first_seen = np.where(np.isnan(first_state), time[first_left_row], first_state)
        count_before = self.lefts_.take("left_count", *left_at).astype(np.float64) + prior_left
        # The tenant's own first day (another tenant's history must not change this one's
        # judgement); snapshots from before it was kept per tenant: the first host of any.
        tenant = batch.tenant[rows].astype(np.int64)
        size_t = int(tenant.max()) + 1 if n else 0
        tenant_first = first_times(self.tenant_first_, self.legacy_first_, tenant, time)
        clock = cohort_clock(first_seen, tenant_first, self.learning_days)
        mature = (time - clock >= self.learning_days * DAY) & (count_before >= self.min_events)
        # Popularity of the destination: every pair counts, flagged or not.
        _, first_seen_row = group_order(keys)
        first_reach = ~seen_stored & (first_seen_row == np.arange(n))
        users_before = gather(self.right_users_, size_r, 0, right) + group_cumsum_before(
            right, first_reach.astype(np.float64)
        )
        recent_state = gather(self.right_recent_, size_r, 0.0, right)
        recent_last = gather(self.right_last_, size_r, np.nan, right)
        recent_before = np.where(
            np.isnan(recent_last),
            0.0,
            recent_state * np.exp2(-(time - np.nan_to_num(recent_last)) / self.recent_half_life),
        ) + decayed_sum_before(right, time, first_reach.astype(np.float64), self.recent_half_life)
        right_first = gather(self.right_first_, size_r, np.nan, right)
        _, first_right_row = group_order(right)
        right_first = np.where(np.isnan(right_first), time[first_right_row], right_first)
        popular_long = users_before >= self.popular_users
        popular_recent = recent_before >= self.popular_recent
        # A host that appeared after the tenant's first day and that several users started on
        # lately is a roll-out: news to nobody, a service account included. (Hosts there from
        # the start all look recently popular for a while.)
        rollout = popular_recent & (right_first - tenant_first >= DAY)
        # Nobody had reached it before this row, and it came after the tenant's first day.
        brand_new = (users_before == 0) & (right_first - tenant_first >= DAY)
        rdp = self._rdp_rows(batch, rows)
        rdp_users_before = gather(self.right_rdp_users_, size_r, 0, right) + group_cumsum_before(
            right, (first_reach & rdp).astype(np.float64)
        )
        if rdp.any():
            # A desktop session on a host is vouched for by the users who open sessions there,
            # not by everyone whose files or database live on it; and only a roll-out's recent
            # popularity excuses it (the start-up popularity of a file server says nothing).
            popular_long = np.where(rdp, rdp_users_before >= self.popular_users, popular_long)
            popular_recent = np.where(rdp, rollout, popular_recent)
        distinct_state = self.lefts_.take("left_distinct", *left_at).astype(np.float64)
        rdp_state = gather(self.left_rdp_distinct_, size_l, 0, left).astype(np.float64)
        extra = self._extra(time, right, right_first, users_before, n)
        extra.update(self._classes(batch, rows, left, right))
        extra.update(self._peers(extra, left, right, ~stored_fresh & mature & extra["mature"], rdp))
        # Each host's first reach, of a host nobody had reached, that came after the tenant's
        # first day (a freshly built machine): what a pool of rebuilt desktops shows every day.
        fresh = brand_new & first_reach & (first_right_row == np.arange(n))
        fresh &= np.isnan(gather(self.right_first_, size_r, np.nan, right))
        pooled = self._pooled(tenant, left, time, fresh, rdp, extra)
        boost = np.where(boosted, self.explicit_boost, 1.0)
        # an account that never sat at a machine (extra "account") and has a history
        service = extra.get("account", np.zeros(n, dtype=np.bool_)) & (
            count_before >= self.steady_min_events
        )
        provisioned = service & brand_new
        # Every destination seen so far (state plus earlier rows of the batch): the sweep share.
        # (per tenant: another tenant's hosts must not make this tenant's sweep look partial)
        known_hosts = gather(self.tenant_hosts_, size_t, self.legacy_hosts_, tenant)
        new_host_row = np.isnan(gather(self.right_first_, size_r, np.nan, right)) & (
            first_right_row == np.arange(n)
        )
        hosts_before = known_hosts + group_cumsum_before(tenant, new_host_row.astype(np.float64))

        def points_for(flags: BoolArray) -> tuple[BoolArray, FloatArray, FloatArray, BoolArray]:
            learned_before = group_cumsum_before(keys, (~flags).astype(np.float64)) > 0
            known = stored_fresh | learned_before
            new_learn = (stored == 0) & ~flags & ~learned_before
            # (a host it brought into service is not one more host of its habit: a one-server
            # CI account that built three nodes is still judged as a one-server account)
            counted = new_learn & ~provisioned
            distinct = distinct_state + group_cumsum_before(left, counted.astype(np.float64))
            coverage = distinct / np.maximum(hosts_before, 1.0)
            sweep = (coverage >= self.sweep_coverage) & (distinct >= self.sweep_min_hosts)
            floor = np.maximum(extra["p_floor"], np.where(sweep, np.minimum(coverage, 1.0), 0.0))
            floor = np.maximum(floor, self._class_floor(extra, flags, left, new_learn))
            # A desktop session on a new host is judged by how often the user's logons opened
            # one on a new host before (a user who never works on servers' desktops: rarely).
            rdp_distinct = rdp_state + group_cumsum_before(left, (new_learn & rdp).astype(float))
            team = self._team_floor(extra, new_learn, rdp, rdp_distinct)
            floor = np.maximum(floor, team)
            judged = np.where(rdp, np.minimum(rdp_distinct, distinct), distinct)
            _, surprise = new_value_surprise(
                count_before, judged, self.points_per_nat, self.max_points, floor
            )
            points = np.minimum(surprise * boost, 100.0)
            # An account that has only ever reached a host or two, many times, and never sat at
            # a machine (a service account on its one server): a host everybody else has
            # reached for long is still news for it (one many started on lately is not).
            steady = (
                extra.get("account", np.zeros(n, dtype=np.bool_))
                & (distinct <= self.steady_max_hosts)
                & (count_before >= self.steady_min_events)
            )
            return known, distinct, points, steady

        def flags_of(flags: BoolArray) -> BoolArray:
            known, _, points, steady = points_for(flags)
            discounted = (popular_long | popular_recent) & ~(steady & ~rollout)
            # A service account's first reach of a host that nobody had ever reached, a host
            # that came after the tenant's first day, is the host being brought into service
            # by its automation (a node pool rotated, a server built): news to nobody. (An
            # intruder on a service account goes where others already work.) Any service
            # account with a history, not only a one-host one: the second and third new node
            # make the deploy account a three-host one.
            discounted |= provisioned
            discounted |= pooled
            result: BoolArray = ~known & mature & extra["mature"] & ~discounted
            return result & (points >= self.min_points)

        flagged = settle(flags_of, n)
        _, distinct, points, _ = points_for(flagged)
        learned_before = group_cumsum_before(keys, (~flagged).astype(np.float64)) > 0
        new_learn = (stored == 0) & ~flagged & ~learned_before
        return {
            **self._station_view(extra, flagged, new_learn),
            "rows": rows,
            "left": left,
            "right": right,
            "keys": keys,
            "time": time,
            "flagged": flagged,
            "points": points,
            "count_before": count_before,
            "distinct_before": distinct,
            "first_seen": first_seen,
            "users_before": users_before,
            "first_reach": first_reach,
            "rdp": rdp,
            "provisioned": provisioned,
            "fresh": fresh,
            "tenant": tenant,
            "boosted": boosted,
            **{f"class_{key}": value for key, value in extra.items() if key.startswith("client")},
        }

    def _extra(
        self,
        time: FloatArray,
        right: Int64Array,
        right_first: FloatArray,
        users_before: FloatArray,
        n: int,
    ) -> dict[str, np.ndarray]:
        return {"mature": np.ones(n, dtype=np.bool_), "p_floor": np.zeros(n)}

    def _pooled(
        self,
        tenant: Int64Array,
        left: Int64Array,
        time: FloatArray,
        fresh: BoolArray,
        rdp: BoolArray,
        extra: dict[str, np.ndarray],
    ) -> BoolArray:
        """Rows excused as a pool's freshly built machine (none here)."""
        return np.zeros(len(left), dtype=np.bool_)

    def _learn_pool(self, view: dict[str, np.ndarray]) -> None:
        """Learn what :meth:`_pooled` needs (nothing here)."""

    def _rdp_rows(self, batch: EventBatch, rows: Int64Array) -> BoolArray:
        """Which rows are remote-desktop sessions (all False unless ``rdp_popularity``)."""
        if not self.rdp_popularity or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.bool_)
        return value_mask(batch, "logon_type", rows, rdp_logon_type)

    def _classes(
        self, batch: EventBatch, rows: Int64Array, left: Int64Array, right: Int64Array
    ) -> dict[str, np.ndarray]:
        """Per-row facts about the destination's class for :meth:`_class_floor` (none here)."""
        return {}

    def _class_floor(
        self, extra: dict[str, np.ndarray], flags: BoolArray, left: Int64Array, new_learn: BoolArray
    ) -> FloatArray:
        """A further floor on p_new from the destination's class (none here)."""
        return np.zeros(len(left))

    def _learn_classes(
        self, batch: EventBatch, view: dict[str, np.ndarray], keep: BoolArray, size_l: int
    ) -> None:
        """Learn what :meth:`_classes` needs (nothing here)."""

    def _peers(
        self,
        extra: dict[str, np.ndarray],
        left: Int64Array,
        right: Int64Array,
        candidate: BoolArray,
        rdp: BoolArray,
    ) -> dict[str, np.ndarray]:
        """Per-row facts about the left entity's peers at the destination, for the ``candidate``
        rows (new pairs of mature entities) that :meth:`_team_floor` may judge (none here)."""
        return {}

    def _team_floor(
        self,
        extra: dict[str, np.ndarray],
        new_learn: BoolArray,
        rdp: BoolArray,
        rdp_distinct: FloatArray,
    ) -> FloatArray:
        """A further floor on p_new from the left entity's peers (none here); ``rdp_distinct``:
        the hosts the left entity opened desktop sessions on."""
        return np.zeros(len(new_learn))

    def _station_view(
        self, extra: dict[str, np.ndarray], flags: BoolArray, new_learn: BoolArray
    ) -> dict[str, np.ndarray]:
        """Per-row facts about the source machine's peers for the explanation (none here)."""
        return {}

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, self.entity_side)
        if not len(signals):
            return signals
        rows = signals.rows
        for index in range(len(rows)):
            item = {key: value[flagged][index] for key, value in view.items()}
            title, observed, baseline = self._explain(batch.events[int(rows[index])], item, builder)
            signals.titles.append(title)
            signals.observed.append(observed)
            signals.baseline.append(baseline)
        return signals

    def _explain(
        self, event: Event, item: dict[str, np.ndarray], builder: BatchBuilder
    ) -> tuple[str, str, str]:
        raise NotImplementedError

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        left, right, time = view["left"], view["right"], view["time"]
        size_l, size_r = int(left.max()) + 1, int(right.max()) + 1
        # Per-entity arrays are read and written at the batch's entities only: scratch arrays
        # the size of every entity seen cost a stream of fresh addresses more than its rows.
        lefts = self.lefts_
        at = lefts.positions(left)
        fold_first_times(lefts["left_first"], at, time)
        lefts["left_count"] = bump_counts(lefts["left_count"], len(lefts), at)
        # Destination popularity and first-seen: every row.
        new_hosts = unique1d(right[np.isnan(gather(self.right_first_, size_r, np.nan, right))])
        self.right_first_ = grow(self.right_first_, size_r, np.nan)
        self.right_events_ = bump_counts(self.right_events_, size_r, right)
        tenant = batch.tenant[rows].astype(np.int64)
        self.tenant_hosts_ = grow(self.tenant_hosts_, int(tenant.max()) + 1, self.legacy_hosts_)
        if len(new_hosts):
            host_tenant = np.zeros(size_r, dtype=np.int64)
            host_tenant[right] = tenant
            np.add.at(self.tenant_hosts_, host_tenant[new_hosts], 1.0)
        self.tenant_first_ = grow(self.tenant_first_, int(tenant.max()) + 1, np.nan)
        fold_extreme(self.tenant_first_, tenant, time)
        self.right_recent_ = grow(self.right_recent_, size_r, 0.0)
        self.right_last_ = grow(self.right_last_, size_r, np.nan)
        fold_extreme(self.right_first_, right, time)
        reach = view["first_reach"]
        self.right_users_ = bump_counts(self.right_users_, size_r, right[reach])
        desktop = right[reach & view["rdp"]]
        self.right_rdp_users_ = bump_counts(self.right_rdp_users_, size_r, desktop)
        hosts, host_row = unique1d(right, return_inverse=True)
        host_row = host_row.reshape(-1)
        last_r = np.full(len(hosts), -np.inf)
        np.maximum.at(last_r, host_row, time)
        old_last = self.right_last_[hosts]
        decayed = np.where(
            np.isnan(old_last),
            0.0,
            self.right_recent_[hosts]
            * np.exp2(-(last_r - np.nan_to_num(old_last)) / self.recent_half_life),
        )
        added = np.zeros(len(hosts))
        np.add.at(
            added,
            host_row[reach],
            np.exp2(-(last_r[host_row[reach]] - time[reach]) / self.recent_half_life),
        )
        self.right_recent_[hosts] = decayed + added
        self.right_last_[hosts] = last_r
        self._learn_pool(view)
        self.edges_.see(view["keys"])
        # The entity's own baseline: flagged and held-back rows stay out.
        keep = ~(view["flagged"] | held_back[rows])
        self._learn_classes(batch, view, keep, size_l)  # (before the edges learn: it reads them)
        keys = view["keys"][keep]
        unique, first = unique1d(keys, return_index=True)  # (and each pair's first kept row)
        _, learned_last = self.edges_.lookup(unique)
        new_keys = unique[np.isnan(learned_last)]
        # hosts the account brought into service (its first kept reach of the pair was one)
        built = unique[view["provisioned"][keep][first]]
        counted = new_keys[~np.isin(new_keys, built)]
        lefts["left_distinct"] = bump_counts(
            lefts["left_distinct"], len(lefts), lefts.positions((counted >> 32).astype(np.int64))
        )
        if self.rdp_popularity:  # new hosts whose first learned reach was a desktop session
            by_rdp = unique[view["rdp"][keep][first]]
            rdp_new = np.intersect1d(new_keys, by_rdp)
            self.left_rdp_distinct_ = bump_counts(
                self.left_rdp_distinct_, size_l, (rdp_new >> 32).astype(np.int64)
            )
        self.edges_.learn(keys, time[keep])

    def state(self) -> StateDict:
        state = self.edges_.state("edges_")
        state.update(
            left_first=self.left_first_,
            left_count=self.left_count_,
            left_distinct=self.left_distinct_,
            right_first=self.right_first_,
            right_users=self.right_users_,
            right_events=self.right_events_,
            right_recent=self.right_recent_,
            right_last=self.right_last_,
            right_rdp_users=self.right_rdp_users_,
            tenant_first=self.tenant_first_,
            tenant_hosts=self.tenant_hosts_,
            left_rdp_distinct=self.left_rdp_distinct_,
        )
        # (per-left columns at the ids that were ever a left only: :func:`used_slots`)
        left = {name: state[name] for name in _LEFT_FILLS}
        state.update(used_slots(left, self.left_first_ != NEVER, _LEFT_FILLS, "left_"))
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        state = {**state, **all_slots(state, _LEFT_FILLS, "left_")}
        if "edges_last" in state:
            self.edges_.load_state(state, "edges_")
            self.right_events_ = narrow_counts(state["right_events"])
        else:  # a snapshot from before the learned and seen tables were one
            self.edges_.load_two_tables(state)
            seen = np.asarray(state["seen_keys"], dtype=np.int64)
            events = np.bincount(
                seen >> 32, weights=state["seen_counts"], minlength=len(state["right_first"])
            )
            self.right_events_ = narrow_counts(events)
        for name in ("right_first", "right_recent", "right_last"):
            setattr(self, f"{name}_", np.asarray(state[name], dtype=np.float64))
        # (float64 in snapshots from before times were whole seconds: rounded down on load)
        lefts = {"left_first": stored_times(state["left_first"])}
        for name in ("left_count", "left_distinct"):  # (float64 in older ones)
            lefts[name] = narrow_counts(state[name])
        self.lefts_ = IdColumns(_LEFT_FILLS)
        self.lefts_.load_dense(lefts, lefts["left_first"] != NEVER)
        self.right_users_ = narrow_counts(state["right_users"])
        # Snapshots from before desktop popularity: every user of a host taken for a desktop
        # user (the old judgement) until the host's new users are counted.
        self.right_rdp_users_ = narrow_counts(state.get("right_rdp_users", state["right_users"]))
        self.tenant_first_ = np.asarray(state.get("tenant_first", np.empty(0)), dtype=np.float64)
        known_first = self.right_first_[~np.isnan(self.right_first_)]
        old = "tenant_first" not in state and len(known_first) > 0
        self.legacy_first_ = float(known_first.min()) if old else np.nan
        self.tenant_hosts_ = np.asarray(state.get("tenant_hosts", np.empty(0)), dtype=np.float64)
        self.legacy_hosts_ = float(len(known_first)) if "tenant_hosts" not in state else 0.0
        # (before: every host counted as a desktop host, the old judgement)
        self.left_rdp_distinct_ = narrow_counts(
            state.get("left_rdp_distinct", state["left_distinct"])
        )


@register
class LateralNewHost(SharesUserHosts, _PairNovelty):
    """A user reaches a host outside their own baseline that few others use.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(day, user, host):
    ...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user=user, src_ip="10.0.0.5", src_host="wks1",
    ...                  dst_host=host, logon_type="3")
    >>> builder, detector = BatchBuilder(), LateralNewHost(learning_days=7, min_events=5)
    >>> history = builder.build([logon(day, "alice", "files") for day in range(20)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([logon(21, "alice", "hr-db")]), builder)
    >>> len(signals), round(float(signals.points[0]))
    (1, 14)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    alice reached host hr-db for the first time (normal: 20 remote logons to 1 host(s) in 21
    days; 0 other users reach hr-db)
    """

    name: ClassVar[str] = "lateral_new_host"
    mitre: ClassVar[tuple[str, ...]] = ("T1021", "T1078")
    entity_kind: ClassVar[str] = "user"
    rdp_popularity: ClassVar[bool] = True

    @property
    def user_host_pairs(self) -> KeyedColumns:
        """Its (acting user, destination) pairs: keys shared with the detectors that watch the
        same remote logons (:func:`detectors._pair_columns.share_user_hosts`)."""
        return self.edges_.table

    def _pairs(self, batch: EventBatch) -> tuple[Int64Array, Int64Array, Int64Array, BoolArray]:
        mask, explicit = remote_access(batch)
        rows = np.flatnonzero(mask)
        user = acting_user(batch, explicit)[rows].astype(np.int64)
        host = batch.column("dst_host")[rows].astype(np.int64)
        switched = explicit[rows] & (batch.column("target_user")[rows] >= 0)
        switched &= batch.column("target_user")[rows] != batch.column("user")[rows]
        return rows, user, host, switched

    def __init__(
        self,
        *,
        client_habit_min: int = 2,
        station_habit_min: int = 3,
        peer_overlap: float = 0.5,
        peer_min: int = 2,
        peer_min_hosts: int = 3,
        peer_rdp_min: int = 3,
        pool_days: float = 4.0,
        pool_min: int = 3,
        **params: float,
    ) -> None:
        super().__init__(**params)  # type: ignore[arg-type]
        # A pool of desktops rebuilt under new names (non-persistent VDI): a desktop session,
        # from the user's own desk, on a freshly built machine nobody had reached, while at least
        # ``pool_min`` other freshly built machines were each first reached by another account
        # in the tenant within ``pool_days`` (a weekend between two work days) is the pool
        # handing out a desktop, news to nobody (0: off). An intruder's first reach of a machine
        # that already has users, or of a fresh one by network logon or from a host that is
        # nobody's desk, is judged as before. Kept: the recent fresh machines' first reaches
        # (time, tenant, account), a few per pooled desktop a day, not per user.
        self.pool_days = pool_days
        self.pool_min = pool_min
        self.pool_time_ = np.empty(0, dtype=np.float64)
        self.pool_tenant_ = np.empty(0, dtype=np.int64)
        self.pool_user_ = np.empty(0, dtype=np.int64)
        # Someone's workstation (a host with console or unlock logons) reached by a user who
        # already reaches at least this many workstations of others (desktop support): p_new
        # is at least the user's own rate of new ones among their workstation visits.
        self.client_habit_min = client_habit_min
        # The same question asked of the peers who work from the same source machine (a
        # support jump host): once the visits from it to workstations reached at least this
        # many workstations new to the visiting account, p_new is at least the share of its
        # visits that did. A support admin whose own history holds few such visits is judged
        # by the role's rate there; from a user's own laptop, which never reached other
        # people's workstations, nothing changes. (0: off.)
        self.station_habit_min = station_habit_min
        # The user's team (:func:`detectors._peers.peer_share`): users who reach at least
        # ``peer_overlap`` of the user's hosts (0: off), counted once there are ``peer_min`` of
        # them and the user reaches ``peer_min_hosts`` hosts. For a desktop session on a server
        # (not from someone's desk) by a user who opened them on ``peer_rdp_min`` hosts, p_new
        # is at least the share of the team that reaches the host (:meth:`_team_floor`).
        self.peer_overlap = peer_overlap
        self.peer_min = peer_min
        self.peer_min_hosts = peer_min_hosts
        self.peer_rdp_min = peer_rdp_min
        self.station_client_events_ = narrow_counts([])  # learned visits to workstations
        self.station_client_distinct_ = narrow_counts([])  # of them, new to the account
        self.right_client_ = narrow_counts([])  # 1: the host had a local interactive logon
        self.left_client_events_ = narrow_counts([])  # learned visits to workstations
        self.left_client_distinct_ = narrow_counts([])  # distinct workstations learned
        # Of those, the ones judged by a station's peers (:meth:`_at_station`): the account's
        # own habit is the difference.
        self.left_peer_events_ = narrow_counts([])
        self.left_peer_distinct_ = narrow_counts([])
        self.left_console_ = narrow_counts([])  # 1: the account had a local interactive logon
        # 1: the tenant's feed has shown a local interactive logon at all. Where it never does
        # (a Linux fleet: people's laptops are not in the feed), "never sat at a machine" says
        # nothing about an account, so nobody is taken for a service account.
        self.tenant_console_ = narrow_counts([])

    def _classes(
        self, batch: EventBatch, rows: Int64Array, left: Int64Array, right: Int64Array
    ) -> dict[str, np.ndarray]:
        n = len(rows)
        interactive = local_interactive(batch)
        hosts = batch.column("dst_host")[interactive].astype(np.int64)
        size = max(int(right.max()) + 1 if n else 1, int(hosts.max()) + 1 if len(hosts) else 1)
        first_row = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_row, hosts, interactive)
        client = gather(self.right_client_, size, 0, right) > 0
        client |= first_row[right] < rows  # an earlier row of this batch made it one
        size_l = int(left.max()) + 1 if n else 0
        # People sit at a machine (console or unlock logons); service accounts never do.
        people = batch.column("user")[interactive].astype(np.int64)
        size_p = max(size_l, int(people.max()) + 1 if len(people) else 1, 1)
        first_person_row = np.full(size_p, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_person_row, people, interactive)
        console = gather(self.left_console_, size_p, 0, left) > 0
        console |= first_person_row[left] < rows
        tenant = batch.tenant[rows].astype(np.int64)
        shown = batch.tenant[interactive].astype(np.int64)
        size_t = max(int(tenant.max()) + 1 if n else 1, int(shown.max()) + 1 if len(shown) else 1)
        first_tenant_row = np.full(size_t, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_tenant_row, shown, interactive)
        observable = gather(self.tenant_console_, size_t, 0, tenant) > 0
        observable |= first_tenant_row[tenant] < rows
        # The acting account is a person's or a service's, not a machine account (HOST$ reaches
        # another DC of its site without news).
        _, explicit = remote_access(batch)
        target = batch.column("target_user")[rows]
        use_target = explicit[rows] & (target >= 0)

        account = ~np.where(
            use_target,
            value_mask(batch, "target_user", rows, is_machine),
            value_mask(batch, "user", rows, is_machine),
        )
        # Only a service account's one host makes another news, and only where the feed shows
        # people at machines at all.
        account &= ~console & observable
        station = source_key(batch)[rows]
        size_s = int(station.max()) + 1 if n else 0
        # Whether the source machine is someone's desk (a host with console or unlock logons)
        src = batch.column("src_host")[rows].astype(np.int64)
        named = src >= 0
        size_d = max(size, int(src.max()) + 1 if n else 1)
        first_desk_row = np.full(size_d, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_desk_row, hosts, interactive)
        desk = named & (gather(self.right_client_, size_d, 0, np.maximum(src, 0)) > 0)
        desk |= named & (first_desk_row[np.maximum(src, 0)] < rows)
        return {
            "account": account,
            "client": client,
            "from_desk": desk,
            "station": station,
            "station_events": gather(self.station_client_events_, size_s, 0, station).astype(
                np.float64
            ),
            "station_distinct": gather(self.station_client_distinct_, size_s, 0, station).astype(
                np.float64
            ),
            # the account's own visits (not those its station's peers account for)
            "client_events": gather(self.left_client_events_, size_l, 0, left).astype(np.float64)
            - gather(self.left_peer_events_, size_l, 0, left).astype(np.float64),
            "client_distinct": gather(self.left_client_distinct_, size_l, 0, left).astype(
                np.float64
            )
            - gather(self.left_peer_distinct_, size_l, 0, left).astype(np.float64),
        }

    def _pooled(
        self,
        tenant: Int64Array,
        left: Int64Array,
        time: FloatArray,
        fresh: BoolArray,
        rdp: BoolArray,
        extra: dict[str, np.ndarray],
    ) -> BoolArray:
        candidate = fresh & rdp & extra["from_desk"]
        if self.pool_days <= 0 or not candidate.any():
            return np.zeros(len(left), dtype=np.bool_)
        window = self.pool_days * DAY
        # earlier fresh first reaches: the learned ones, then this batch's earlier rows
        earlier = np.flatnonzero(fresh)
        at = np.flatnonzero(candidate)
        old_t, old_tenant, old_user = self.pool_time_, self.pool_tenant_, self.pool_user_
        # (few rows either way: the fresh machines of a batch, the pool's last days)
        before = (earlier[None, :] < at[:, None]) & (
            tenant[earlier][None, :] == tenant[at][:, None]
        )
        before &= left[earlier][None, :] != left[at][:, None]
        before &= time[earlier][None, :] >= time[at][:, None] - window
        stored = (old_tenant[None, :] == tenant[at][:, None]) & (
            old_user[None, :] != left[at][:, None]
        )
        stored &= (old_t[None, :] >= time[at][:, None] - window) & (
            old_t[None, :] <= time[at][:, None]
        )
        others = before.sum(axis=1) + stored.sum(axis=1)
        pooled = np.zeros(len(left), dtype=np.bool_)
        pooled[at] = others >= self.pool_min
        return pooled

    def _learn_pool(self, view: dict[str, np.ndarray]) -> None:
        if self.pool_days <= 0:
            return
        fresh = view["fresh"]
        time = np.concatenate([self.pool_time_, view["time"][fresh]])
        tenant = np.concatenate([self.pool_tenant_, view["tenant"][fresh]])
        user = np.concatenate([self.pool_user_, view["left"][fresh]])
        # only the window before the latest time is ever asked again
        keep = time >= (time.max() if len(time) else 0.0) - self.pool_days * DAY
        self.pool_time_, self.pool_tenant_, self.pool_user_ = time[keep], tenant[keep], user[keep]

    def _class_floor(
        self, extra: dict[str, np.ndarray], flags: BoolArray, left: Int64Array, new_learn: BoolArray
    ) -> FloatArray:
        client = extra["client"]
        at_events, at_distinct = self._station_counts(extra, flags, new_learn)
        peers = self._at_station(extra, at_distinct)
        # The account's own habit counts only its visits that its station's peers do not
        # account for: routine visits from the support jump host do not make an account one
        # that roams workstations from anywhere (its own laptop included).
        own = client & ~peers
        events = extra["client_events"] + group_cumsum_before(
            left, (own & ~flags).astype(np.float64)
        )
        distinct = extra["client_distinct"] + group_cumsum_before(
            left, (own & new_learn).astype(np.float64)
        )
        habit = client & (distinct >= self.client_habit_min)
        floor: FloatArray = np.where(habit, (distinct + 1.0) / (events + 2.0), 0.0)
        station_floor = (at_distinct + 1.0) / (at_events + 2.0)
        floor = np.maximum(floor, np.where(peers, station_floor, 0.0))
        return floor

    def _team_floor(
        self,
        extra: dict[str, np.ndarray],
        new_learn: BoolArray,
        rdp: BoolArray,
        rdp_distinct: FloatArray,
    ) -> FloatArray:
        # A desktop session on a server the user's own team already works on, opened by a user
        # who already opens them on several hosts (an administrator's way of working: a patch
        # night from the jump host), not from someone's desk. Network logons are not excused:
        # they are how a stolen hash or ticket is replayed on the team's servers (pass the
        # hash, a 3 a.m. hop through an app server), and the team's own network logons to a
        # database server do not vouch for a first desktop session on it by someone who never
        # opens one. Someone's workstation is not judged so either (whose desk, not which job).
        if "peer_share" not in extra:
            return np.zeros(len(new_learn))
        usual = rdp & (rdp_distinct >= self.peer_rdp_min) & ~extra["client"]
        usual &= ~extra["from_desk"]
        return np.where(usual, self._team_share(extra, new_learn), 0.0)

    def _team_share(self, extra: dict[str, np.ndarray], new_learn: BoolArray) -> FloatArray:
        """:func:`peer_share` at each row, with the pairs learned by earlier rows of the batch
        (as a one-by-one run would have them)."""
        if "peer_share" not in extra:
            return np.zeros(len(new_learn))
        share: FloatArray = extra["peer_share"].copy()
        candidate = extra["peer_candidate"]
        position = np.arange(len(new_learn))
        added = np.flatnonzero(new_learn)
        if not len(added) or not candidate.any():
            return share
        redo = np.flatnonzero(candidate & (position > added[0]))
        for row in redo.tolist():  # (the few rows judged new after a pair learned in the batch)
            pairs = np.union1d(extra["peer_pairs"], extra["peer_keys"][added[added < row]])
            only = position == row
            share[row] = self._peer_share(pairs, extra["peer_left"], extra["peer_right"], only)[row]
        return share

    def _peer_share(
        self, pairs: Int64Array, left: Int64Array, right: Int64Array, candidate: BoolArray
    ) -> FloatArray:
        share, _ = peer_share(
            pairs,
            left,
            right,
            candidate,
            overlap=self.peer_overlap,
            min_peers=self.peer_min,
            min_hosts=self.peer_min_hosts,
        )
        return share

    def _peers(
        self,
        extra: dict[str, np.ndarray],
        left: Int64Array,
        right: Int64Array,
        candidate: BoolArray,
        rdp: BoolArray,
    ) -> dict[str, np.ndarray]:
        # (only where :meth:`_team_floor` may use it)
        candidate = candidate & rdp & ~extra["client"] & ~extra["from_desk"]
        if self.peer_overlap <= 0 or not candidate.any():
            return {}
        pairs = self.edges_.keys[np.isfinite(self.edges_.last)]  # learned (sorted, distinct)
        return {
            "peer_share": self._peer_share(pairs, left, right, candidate),
            "peer_candidate": candidate,
            "peer_pairs": pairs,
            "peer_left": left,
            "peer_right": right,
            "peer_keys": pair_keys(left, right),
        }

    def _at_station(self, extra: dict[str, np.ndarray], at_distinct: FloatArray) -> BoolArray:
        """Rows reaching a workstation from a source whose peers' visits judge them."""
        if self.station_habit_min <= 0:
            return np.zeros(len(at_distinct), dtype=np.bool_)
        at: BoolArray = extra["client"] & (extra["station"] >= 0)
        return at & (at_distinct >= self.station_habit_min)

    def _station_counts(
        self, extra: dict[str, np.ndarray], flags: BoolArray, new_learn: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        """Learned visits to workstations from each row's source machine before the row, and
        how many of them reached a workstation new to the visiting account."""
        station, client = extra["station"], extra["client"] & (extra["station"] >= 0)
        events = extra["station_events"] + group_cumsum_before(
            station, (client & ~flags).astype(np.float64)
        )
        distinct = extra["station_distinct"] + group_cumsum_before(
            station, (client & new_learn).astype(np.float64)
        )
        return events, distinct

    def _station_view(
        self, extra: dict[str, np.ndarray], flags: BoolArray, new_learn: BoolArray
    ) -> dict[str, np.ndarray]:
        events, distinct = self._station_counts(extra, flags, new_learn)
        return {"station": extra["station"], "station_events": events, "station_distinct": distinct}

    def _learn_classes(
        self, batch: EventBatch, view: dict[str, np.ndarray], keep: BoolArray, size_l: int
    ) -> None:
        interactive = local_interactive(batch)
        hosts = batch.column("dst_host")[interactive].astype(np.int64)
        if len(hosts):
            self.right_client_ = grow(self.right_client_, int(hosts.max()) + 1, 0)
            self.right_client_[hosts] = 1
            people = batch.column("user")[interactive].astype(np.int64)
            self.left_console_ = grow(self.left_console_, int(people.max()) + 1, 0)
            self.left_console_[people] = 1
            tenants = batch.tenant[interactive].astype(np.int64)
            self.tenant_console_ = grow(self.tenant_console_, int(tenants.max()) + 1, 0)
            self.tenant_console_[tenants] = 1
        client = view["class_client"] & keep
        if not client.any():
            return
        left = view["left"]
        at_station = self._at_station(
            {"client": view["class_client"], "station": view["station"]}, view["station_distinct"]
        )
        peer = client & at_station  # (as _class_floor counts them: not the account's own)
        self.left_client_events_ = bump_counts(self.left_client_events_, size_l, left[client])
        self.left_peer_events_ = bump_counts(self.left_peer_events_, size_l, left[peer])
        keys = view["keys"][client]
        unique, first = unique1d(keys, return_index=True)
        _, learned_last = self.edges_.lookup(unique)
        is_new = np.isnan(learned_last)
        new_keys = unique[is_new]
        self.left_client_distinct_ = bump_counts(
            self.left_client_distinct_, size_l, (new_keys >> 32).astype(np.int64)
        )
        peer_first = peer[np.flatnonzero(client)[first]]  # the pair's first kept visit
        peer_keys = unique[is_new & peer_first]
        self.left_peer_distinct_ = bump_counts(
            self.left_peer_distinct_, size_l, (peer_keys >> 32).astype(np.int64)
        )
        station = view["station"][client]
        named = station >= 0
        if named.any():
            size_s = int(station.max()) + 1
            self.station_client_events_ = bump_counts(
                self.station_client_events_, size_s, station[named]
            )
            reached = station[first][is_new]  # the source of each new pair's first visit
            self.station_client_distinct_ = bump_counts(
                self.station_client_distinct_, size_s, reached[reached >= 0]
            )

    def state(self) -> StateDict:
        state = super().state()
        state.update(
            right_client=self.right_client_,
            left_client_events=self.left_client_events_,
            left_client_distinct=self.left_client_distinct_,
            left_console=self.left_console_,
            tenant_console=self.tenant_console_,
            station_client_events=self.station_client_events_,
            station_client_distinct=self.station_client_distinct_,
            left_peer_events=self.left_peer_events_,
            left_peer_distinct=self.left_peer_distinct_,
            pool_time=self.pool_time_,
            pool_tenant=self.pool_tenant_,
            pool_user=self.pool_user_,
        )
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        super().load_state(state)
        # (snapshots from before the workstation class have none: nothing learned yet; from
        # before the per-tenant flag, a tenant counts as showing console logons from its next one)
        for name in (
            "right_client",
            "left_client_events",
            "left_client_distinct",
            "left_console",
            "tenant_console",
            "station_client_events",  # (from before round 18: nothing learned from a station)
            "station_client_distinct",
            "left_peer_events",
            "left_peer_distinct",
        ):
            setattr(self, f"{name}_", narrow_counts(state.get(name, np.zeros(0, np.uint8))))
        # (from before round 26's pool: no fresh machine remembered)
        self.pool_time_ = np.asarray(state.get("pool_time", np.empty(0)), dtype=np.float64)
        self.pool_tenant_ = np.asarray(state.get("pool_tenant", np.empty(0)), dtype=np.int64)
        self.pool_user_ = np.asarray(state.get("pool_user", np.empty(0)), dtype=np.int64)

    def _explain(
        self, event: Event, item: dict[str, np.ndarray], builder: BatchBuilder
    ) -> tuple[str, str, str]:
        who = _name(builder, "user", int(item["left"]))
        host = _name(builder, "host", int(item["right"]))
        n, d = int(item["count_before"]), int(item["distinct_before"])
        days = (float(item["time"]) - float(item["first_seen"])) / DAY
        others = int(item["users_before"])
        how = " with explicit credentials" if bool(item["boosted"]) else ""
        baseline = (
            f"{n} remote logons to {d} host(s) over {days:.0f} days; {host} used by {others} users"
        )
        role = ""
        if bool(item["class_client"]):
            # Someone's workstation: the account's own and its peers' rate of new ones.
            own_new, own_visits = (
                int(item["class_client_distinct"]),
                int(item["class_client_events"]),
            )
            role = f"; {own_new} new workstation(s) in its {own_visits} visit(s) to others'"
            if int(item["station"]) >= 0:
                station = source_name(builder, int(item["station"]))
                at_new, at_visits = int(item["station_distinct"]), int(item["station_events"])
                role += f", {at_new} new to the account in {at_visits} from {station}"
        title = (
            f"{who} reached host {host} for the first time{how} (normal: {n} remote logons "
            f"to {d} host(s) in {days:.0f} days; {others} other users reach {host}{role})"
        )
        return (title, f"{who} -> {host}", baseline + role)


@register
class LateralNewEdge(_PairNovelty):
    """A source machine reaches a destination it never reached, both past their learning period.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(day, src, host):
    ...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user="bob", src_host=src, dst_host=host,
    ...                  logon_type="3")
    >>> builder, detector = BatchBuilder(), LateralNewEdge(learning_days=7, min_events=5)
    >>> history = builder.build([logon(d, "wks1", "files") for d in range(20)]
    ...                         + [logon(d, "wks2", "db1") for d in range(20)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([logon(21, "wks1", "db1")]), builder)
    >>> len(signals), round(float(signals.points[0]))
    (1, 11)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    wks1 connected to db1 for the first time (normal: wks1 made 20 remote logons to 1
    host(s); db1 had 1 source(s))
    """

    name: ClassVar[str] = "lateral_new_edge"
    mitre: ClassVar[tuple[str, ...]] = ("T1021",)
    entity_kind: ClassVar[str] = "host"
    entity_side: ClassVar[str] = "right"
    default_points_per_nat: ClassVar[float] = 4.5
    default_max_points: ClassVar[float] = 25.0

    def _pairs(self, batch: EventBatch) -> tuple[Int64Array, Int64Array, Int64Array, BoolArray]:
        mask, _ = remote_access(batch)
        source = source_key(batch)
        rows = np.flatnonzero(mask & (source >= 0))
        host = batch.column("dst_host")[rows].astype(np.int64)
        return rows, source[rows], host, np.zeros(len(rows), dtype=np.bool_)

    def _extra(
        self,
        time: FloatArray,
        right: Int64Array,
        right_first: FloatArray,
        users_before: FloatArray,
        n: int,
    ) -> dict[str, np.ndarray]:
        # Both ends must be past their learning period; a destination that many sources reach
        # is not surprised by one more (Good-Turing on its side too).
        _, count_before = self._right_counts(right, n)
        mature = time - right_first >= self.learning_days * DAY
        p_floor = (users_before + 1.0) / (count_before + 2.0)
        return {"mature": mature, "p_floor": p_floor}

    def _right_counts(self, right: Int64Array, n: int) -> tuple[Int64Array, FloatArray]:
        # Destination event counts: the stored rows per destination plus earlier batch rows.
        prior, _ = group_order(right)
        if len(self.edges_) == 0 or n == 0:
            return prior, prior.astype(np.float64)
        totals = grow(self.right_events_, int(right.max()) + 1, 0)
        counts: FloatArray = (totals[right] + prior).astype(np.float64)
        return prior, counts

    def _explain(
        self, event: Event, item: dict[str, np.ndarray], builder: BatchBuilder
    ) -> tuple[str, str, str]:
        source = source_name(builder, int(item["left"]))
        host = _name(builder, "host", int(item["right"]))
        n, d = int(item["count_before"]), int(item["distinct_before"])
        sources = int(item["users_before"])
        title = (
            f"{source} connected to {host} for the first time (normal: {source} made {n} "
            f"remote logons to {d} host(s); {host} had {sources} source(s))"
        )
        return (
            title,
            f"{source} -> {host}",
            f"{source}: {n} remote logons to {d} host(s); {host}: {sources} distinct sources",
        )


# -- fan-out spikes ------------------------------------------------------------------------------


class _Fanout:
    """Distinct destinations newly reached within ``window_minutes`` vs the entity's decayed peak.

    A destination counts when the (entity, destination) pair was not seen in the window before
    it. The baseline is the entity's peak of that count over *earlier* windows (a ramp-up inside
    the current window never raises its own bar), decaying with ``peak_half_life_days`` and kept
    as a log-envelope ``max(log F + t ln2 / H)`` so that it merges with ``max``. A count joins the
    envelope once its window has passed; until then it waits in ``marks_`` (value ``-inf`` when
    the row was flagged or held back).
    """

    name: ClassVar[str] = "fanout"
    mitre: ClassVar[tuple[str, ...]] = ("T1021", "T1135")
    entity_kind: ClassVar[str] = "user"
    label: ClassVar[str] = "user"
    # Whether counts from the entity's learning period join its peak.
    learn_young: ClassVar[bool] = True

    def __init__(
        self,
        *,
        window_minutes: float = 60.0,
        learning_days: float = 3.0,  # a peak is known within days; a week missed early sprees
        min_fanout: int = 6,
        ratio: float = 2.0,
        points_per_doubling: float = 12.0,
        max_points: float = 60.0,
        peak_half_life_days: float = 30.0,
    ) -> None:
        if window_minutes <= 0 or learning_days < 0 or min_fanout < 1 or ratio < 1:
            raise ValueError(f"{self.name}: window > 0, learning >= 0, min_fanout >= 1, ratio >= 1")
        if points_per_doubling <= 0 or max_points <= 0 or peak_half_life_days <= 0:
            raise ValueError(f"{self.name}: points and half-life must be > 0")
        self.window = window_minutes * MINUTE
        self.learning_days = learning_days
        self.min_fanout = min_fanout
        self.ratio = ratio
        self.points_per_doubling = points_per_doubling
        self.max_points = max_points
        self.rate = LN2 / (peak_half_life_days * DAY)
        # (entity, destination) -> last seen (NaN: never), and per pair (every pair is marked
        # when first seen, so one key array serves all three) the last "new in window" time
        # (NaN = none) and its value. A user's pairs may share their keys with other detectors
        # (:class:`LateralFanoutUser`). Times in whole seconds, rounded down (``_seconds``).
        self.pairs_ = KeyedColumns(
            last=(SECONDS, np.nan),
            mark_last=(SECONDS, np.nan),
            mark_value=(np.float64, -np.inf),
        )
        self.first_ = np.empty(0, dtype=SECONDS)  # first seen, whole seconds (_seconds)
        self.envelope_ = np.empty(0, dtype=np.float64)  # max(log F + rate * t), -inf = none
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # per tenant: its first row seen

    @property
    def marks_(self) -> KeyedColumns:
        """The table whose ``mark_last`` and ``mark_value`` columns hold the marks."""
        return self.pairs_

    @property
    def mark_last_(self) -> FloatArray:
        """The marks' times (NaN: no mark; a copy, stored in whole seconds)."""
        return self.marks_.times("mark_last")

    @property
    def mark_value_(self) -> FloatArray:
        mark_value: FloatArray = self.marks_["mark_value"]
        return mark_value

    def _last_seen(self, keys: Int64Array) -> FloatArray:
        """Each pair's last time seen before the batch (NaN: never), as ``_marks`` reads it."""
        last: FloatArray = self.pairs_.get("last", keys)
        return last

    def _see(self, keys: Int64Array, time: FloatArray) -> None:
        """Learn that the pairs were seen at ``time``."""
        self.pairs_.latest_at("last", keys, time)  # (new pairs: no mark yet, NaN)

    def _mark_positions(self, keys: Int64Array) -> Int64Array:
        """Where the marks of ``keys`` (pairs already seen) are kept."""
        return self.pairs_.positions(keys)

    def _entities(self, batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        raise NotImplementedError

    def _marks(
        self, batch: EventBatch, rows: Int64Array, prev_time: FloatArray, time: FloatArray
    ) -> BoolArray:
        """Rows that count as a destination reached anew: not reached in the window before."""
        marks: BoolArray = np.isnan(prev_time) | (time - prev_time > self.window)
        return marks

    def _describe(self, who: str, host: str, fan: int, peak: float) -> tuple[str, str, str]:
        """(title, observed, baseline) of a finding."""
        minutes = self.window / MINUTE
        # Each doubling of the spree is a finding of its own (6, 12, 24 ... hosts): the risk
        # layer counts a repeat of the same finding once, and a spree that keeps growing
        # within minutes is stronger evidence than its first six hosts.
        size = self.min_fanout * 2 ** int(math.log2(max(fan, 1) / self.min_fanout))
        return (
            f"{self.label} {who} reached {fan} different hosts within {minutes:.0f} min "
            f"(latest {host}); their usual peak is {peak:.1f} hosts",
            f"fan-out spike from {who} (>= {size} hosts)",
            f"decayed peak {peak:.1f} distinct hosts per {minutes:.0f} min",
        )

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows, entity = self._entities(batch)
        n = len(rows)
        dst = batch.column("dst_host")[rows].astype(np.int64)
        time = batch.time[rows]
        keys = pair_keys(entity, dst)
        last_state = self._last_seen(keys)
        previous = previous_in_group(keys)
        prev_time = np.where(previous >= 0, time[np.maximum(previous, 0)], last_state)
        window_new = self._marks(batch, rows, prev_time, time)
        size = int(entity.max()) + 1 if n else 0
        # Marks from earlier batches still inside the window act as earlier rows.
        if n and len(self.marks_):
            in_batch = np.zeros(size, dtype=np.bool_)
            in_batch[entity] = True
            owners = self.marks_.lefts()
            mark_last = self.mark_last_
            old = (owners < size) & (mark_last > float(time.min()) - self.window)
            old &= in_batch[np.minimum(owners, size - 1)]
            order = np.argsort(mark_last[old], kind="stable")
            old_entity = owners[old][order]
            old_time = mark_last[old][order]
            old_value = self.mark_value_[old][order]
        else:
            old_entity = np.empty(0, dtype=np.int64)
            old_time = np.empty(0, dtype=np.float64)
            old_value = np.empty(0, dtype=np.float64)
        marked = np.flatnonzero(window_new)
        windows = _Windows(
            np.r_[old_entity, entity[marked]], np.r_[old_time, time[marked]], self.window
        )
        fanout = np.zeros(n)
        fanout[marked] = windows.counts()[len(old_entity) :]
        first_state = gather_times(self.first_, size, entity)
        _, first_row = group_order(entity)
        first_seen = np.where(np.isnan(first_state), time[first_row], first_state)
        tenant = batch.tenant[rows].astype(np.int64)
        tenant_first = first_times(self.tenant_first_, np.nan, tenant, time)
        clock = cohort_clock(first_seen, tenant_first, self.learning_days)
        mature = time - clock >= self.learning_days * DAY
        envelope_state = gather(self.envelope_, size, -np.inf, entity)
        log_value = np.log(np.maximum(fanout, 1.0)) + self.rate * time

        def peak_for(flags: BoolArray) -> FloatArray:
            learnable = ~flags[marked]
            values = np.r_[old_value, np.where(learnable, log_value[marked], -np.inf)]
            lagged = np.full(n, -np.inf)
            lagged[marked] = windows.max_before_window(values)[len(old_entity) :]
            # Unmarked rows (a destination re-reached) see the same peak as the last mark.
            before = np.maximum(envelope_state, lagged)
            peak: FloatArray = np.exp(before - self.rate * time)
            return peak

        def flags_of(flags: BoolArray) -> BoolArray:
            peak = peak_for(flags)
            spike = fanout > self.ratio * np.maximum(peak, 1.0)
            return window_new & mature & (fanout >= self.min_fanout) & spike

        flagged = settle(flags_of, n)
        peak = peak_for(flagged)
        ratio = fanout / np.maximum(peak, 1.0)
        points = np.minimum(
            self.max_points, self.points_per_doubling * (np.log2(np.maximum(ratio, 1.0)) + 1.0)
        )
        return {
            "rows": rows,
            "entity": entity,
            "dst": dst,
            "keys": keys,
            "time": time,
            "window_new": window_new,
            "fanout": fanout,
            "peak": peak,
            "flagged": flagged,
            "points": points,
            "log_value": log_value,
            "mature": mature,
            "prev_time": prev_time,
        }

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "entity")
        if not len(signals):
            return signals
        rows = signals.rows
        for index in range(len(rows)):
            who = _name(builder, self.entity_kind, int(view["entity"][flagged][index]))
            host = _name(builder, "host", int(view["dst"][flagged][index]))
            fan = int(view["fanout"][flagged][index])
            peak = float(view["peak"][flagged][index])
            title, observed, baseline = self._describe(who, host, fan, peak)
            signals.titles.append(title)
            signals.observed.append(observed)
            signals.baseline.append(baseline)
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        entity, time = view["entity"], view["time"]
        size = int(entity.max()) + 1
        self.first_ = grow(self.first_, size, NEVER)
        self.envelope_ = grow(self.envelope_, size, -np.inf)
        fold_first_times(self.first_, entity, time)
        tenant = batch.tenant[rows].astype(np.int64)
        self.tenant_first_ = grow(self.tenant_first_, int(tenant.max()) + 1, np.nan)
        fold_extreme(self.tenant_first_, tenant, time)
        self._see(view["keys"], time)
        horizon = float(time.max()) - self.window
        # Counts whose window has passed join the envelope (state marks first: a batch mark of
        # the same pair replaces its stored one below).
        if len(self.marks_):
            ripe = self.mark_last_ <= horizon  # (NaN: no mark)
            owners = self.marks_.lefts()[ripe]
            self.envelope_ = grow(
                self.envelope_, int(owners.max()) + 1 if len(owners) else 0, -np.inf
            )
            np.maximum.at(self.envelope_, owners, self.mark_value_[ripe])
        marked = view["window_new"]
        unlearned = view["flagged"] | held_back[rows]
        if not self.learn_young:  # (the user's first days: every host they use is new)
            unlearned = unlearned | ~view["mature"]
        value = np.where(unlearned, -np.inf, view["log_value"])
        ripe_now = marked & (time <= horizon)
        np.maximum.at(self.envelope_, entity[ripe_now], value[ripe_now])
        position = self._mark_positions(view["keys"][marked])
        self.marks_.fold_latest("mark_last", position, time[marked])
        # The latest mark of each pair carries its value (rows are in time order).
        self.mark_value_[position] = value[marked]

    def state(self) -> StateDict:
        state = self.pairs_.keys_state("pairs_keys")
        state.update(pairs_last=self.pairs_["last"])
        state.update(mark_last=self.marks_["mark_last"], mark_value=self.mark_value_)
        state.update(first=self.first_, envelope=self.envelope_)
        state.update(tenant_first=self.tenant_first_)
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        # (times: uint32 whole seconds, or float64 from before, rounded down on load)
        last = np.asarray(state["pairs_last"])
        if "mark_last" in state:
            mark_last = np.asarray(state["mark_last"])
            mark_value = np.asarray(state["mark_value"], dtype=np.float64)
        else:  # a snapshot with marks in a table of their own (their pairs are all in pairs_)
            keys = np.asarray(state["pairs_keys"], dtype=np.int64)
            marks = np.asarray(state["marks_keys"], dtype=np.int64)
            at = np.searchsorted(keys, marks)
            if len(marks) and not np.array_equal(keys[np.minimum(at, len(keys) - 1)], marks):
                raise ValueError(f"{self.name}: snapshot has marks of pairs it never saw")
            mark_last = np.full(len(keys), np.nan)
            mark_value = np.full(len(keys), -np.inf)
            mark_last[at] = np.asarray(state["marks_last"], dtype=np.float64)
            mark_value[at] = np.asarray(state["marks_counts"], dtype=np.float64)
        columns = {"last": last, "mark_last": mark_last, "mark_value": mark_value}
        self.pairs_.load_state(state, "pairs_keys", columns)
        self.first_ = stored_times(state["first"])  # (float64 before whole seconds: rounded)
        self.envelope_ = np.asarray(state["envelope"], dtype=np.float64)
        # (snapshots from before it: learned again from the next batch on, which for anyone
        # already seen changes nothing)
        self.tenant_first_ = np.asarray(state.get("tenant_first", np.empty(0)), dtype=np.float64)


class _Windows:
    """Sliding-window queries over time-ordered rows grouped by entity, exactly (integer ranks).

    >>> w = _Windows(np.array([1, 1, 2, 1]), np.array([0.0, 5.0, 6.0, 20.0]), 10.0)
    >>> w.counts().tolist()
    [1.0, 2.0, 1.0, 1.0]
    >>> w.max_before_window(np.array([3.0, 4.0, 9.0, 0.0])).tolist()
    [-inf, -inf, -inf, 4.0]
    """

    def __init__(self, entity: Int64Array, time: FloatArray, window: float) -> None:
        n = len(entity)
        self.n = n
        times: FloatArray = unique1d(time)
        rank = np.searchsorted(times, time).astype(np.int64)
        low_rank = np.searchsorted(times, time - window, side="right").astype(np.int64)
        span = len(times) + 1
        group: Int64Array = unique1d(entity, return_inverse=True)[1].reshape(-1).astype(np.int64)
        self.order = np.lexsort((np.arange(n), group))
        composite = (group * span + rank)[self.order]
        self.position = np.empty(n, dtype=np.int64)
        self.position[self.order] = np.arange(n)
        # First sorted position of the row's group, and of the rows inside its window.
        self.group_start = np.searchsorted(composite, group * span, side="left")
        self.low = np.searchsorted(composite, group * span + low_rank, side="left")
        self.group = group

    def counts(self) -> FloatArray:
        """Rows of the same entity up to and including each row, inside its window."""
        return (self.position - self.low + 1).astype(np.float64)

    def max_before_window(self, values: FloatArray) -> FloatArray:
        """Max of ``values`` over same-entity rows that are older than each row's window."""
        if self.n == 0:
            return np.empty(0, dtype=np.float64)
        sorted_values = values[self.order]
        uniq, rank = unique1d(sorted_values, return_inverse=True)
        rank = rank.reshape(-1).astype(np.int64)
        span = len(uniq) + 1
        sorted_group = self.group[self.order]
        running = np.maximum.accumulate(rank + sorted_group * span) - sorted_group * span
        last = self.low - 1  # sorted position of the newest row older than the window
        has = last >= self.group_start
        result = np.full(self.n, -np.inf)
        result[has] = uniq[running[last[has]]]
        return result


@register
class LateralFanoutUser(SharesUserHosts, _Fanout):
    """A user suddenly reaches many more distinct hosts than their own peak.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(t, host):
    ...     return Event(time=start + t, tenant="t", source_format="x", action=Action.LOGON,
    ...                  user="carol", src_host="wks3", dst_host=host, logon_type="3")
    >>> builder, detector = BatchBuilder(), LateralFanoutUser(learning_days=7)
    >>> history = builder.build([logon(timedelta(days=d), "files") for d in range(20)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> spree = [logon(timedelta(days=21, minutes=m), f"srv{m}") for m in range(8)]
    >>> signals = detector.score(builder.build(spree), builder)
    >>> len(signals), round(float(signals.points[-1]))
    (3, 48)
    >>> print(signals.titles[-1])  # doctest: +NORMALIZE_WHITESPACE
    user carol reached 8 different hosts within 60 min (latest srv7); their usual peak is
    0.9 hosts
    """

    name: ClassVar[str] = "lateral_fanout_user"
    entity_kind: ClassVar[str] = "user"
    label: ClassVar[str] = "user"

    @property
    def user_host_pairs(self) -> KeyedColumns:
        """Its (acting user, destination) pairs: keys shared with the detectors that watch the
        same remote logons (:func:`detectors._pair_columns.share_user_hosts`)."""
        return self.pairs_

    def _entities(self, batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        mask, explicit = remote_access(batch)
        rows = np.flatnonzero(mask)
        return rows, acting_user(batch, explicit)[rows].astype(np.int64)


@register
class LateralFanoutSource(_Fanout):
    """A source machine suddenly reaches many more distinct hosts than its own peak.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(t, user, host):
    ...     return Event(time=start + t, tenant="t", source_format="x", action=Action.LOGON,
    ...                  user=user, src_host="wks3", dst_host=host, logon_type="3")
    >>> builder, detector = BatchBuilder(), LateralFanoutSource(learning_days=7)
    >>> history = builder.build([logon(timedelta(days=d), "carol", "files") for d in range(20)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> spree = [logon(timedelta(days=21, minutes=m), f"u{m}", f"srv{m}") for m in range(8)]
    >>> len(detector.score(builder.build(spree), builder))
    3
    """

    name: ClassVar[str] = "lateral_fanout_source"
    entity_kind: ClassVar[str] = "host"
    label: ClassVar[str] = "host"

    def _entities(self, batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        mask, _ = remote_access(batch)
        rows = np.flatnonzero(mask & (batch.column("src_host") >= 0))
        return rows, batch.column("src_host")[rows].astype(np.int64)


@register
class LateralDesktopFanout(SharesUserHosts, _Fanout):
    """A user opens desktop sessions on several hosts they never had one on, within hours.

    One first desktop session on a server is common enough (an admin on a new box, a user on a
    terminal server colleagues work on) that a popular host excuses it; several within a few
    hours, by a user whose own peak of new desktop hosts per window is one or none, is how
    someone walks through servers with a stolen session (mstsc from host to host). Every
    remote logon of the user feeds their maturity and their known hosts (a server whose files
    the user reads is not a new host); only remote-desktop rows (4624 type 10,
    ``RemoteInteractive``) to hosts the user never reached count. The baseline is the user's
    own decayed peak of such hosts per window, learned from windows that were not flagged and
    not in the user's first week (when every host they use is new); as with the other fan-out
    detectors a flagged walk is not learned, so in practice any walk of two new desktop hosts
    after the first week is flagged. Two by a user whose peak is one or none weigh 40 (the
    alert bar: a low alert on their own), three 52; the third is the same finding, stronger.
    The observed text is one per user: an admin who walks new servers again weeks later is a
    finding already reported (the risk layer weighs it 0.2), not a new alert.
    Sessions opened from a desktop jump host of the user do not count (round 19): a machine the
    user reached remotely before (not their own laptop) from which ``launch_min`` (3) desktop
    sessions on hosts new to their users were opened before, flagged or not. That is where
    admins visit new servers and the helpdesk people's machines; ``lateral_new_host`` still
    judges each host.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(t, host, kind="3"):
    ...     return Event(time=start + t, tenant="t", source_format="x", action=Action.LOGON,
    ...                  user="carol", src_host="wks3", dst_host=host, logon_type=kind)
    >>> builder, detector = BatchBuilder(), LateralDesktopFanout()
    >>> history = builder.build([logon(timedelta(days=d), "files") for d in range(20)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> hop = [logon(timedelta(days=21, minutes=20 * m), f"srv{m}", "10") for m in range(3)]
    >>> signals = detector.score(builder.build(hop), builder)
    >>> [round(float(p)) for p in signals.points]
    [40, 52]
    """

    name: ClassVar[str] = "lateral_rdp_fanout"
    mitre: ClassVar[tuple[str, ...]] = ("T1021.001",)
    entity_kind: ClassVar[str] = "user"
    label: ClassVar[str] = "user"
    # A user's first week reaches every host they use for the first time (the tenant's first
    # days, a new hire's): that is no peak of theirs, or every user who RDPs to two app servers
    # would carry a peak of two for months.
    learn_young: ClassVar[bool] = False

    def __init__(
        self,
        *,
        window_minutes: float = 240.0,
        learning_days: float = 7.0,
        min_fanout: int = 2,
        ratio: float = 1.5,
        points_per_doubling: float = 20.0,
        max_points: float = 60.0,
        peak_half_life_days: float = 60.0,
        launch_min: int = 3,
    ) -> None:
        super().__init__(
            window_minutes=window_minutes,
            learning_days=learning_days,
            min_fanout=min_fanout,
            ratio=ratio,
            points_per_doubling=points_per_doubling,
            max_points=max_points,
            peak_half_life_days=peak_half_life_days,
        )
        # Storage of its own (the columns of :class:`_Fanout` would be aligned with every shared
        # (user, host) pair, though only desktop sessions to new hosts are ever marked): whether
        # a pair was seen (``_marks`` reads no more of its last time), and a small table of the
        # marked pairs only, with keys of its own.
        self.pairs_ = KeyedColumns(seen=(np.uint8, 0))
        self.desk_marks_ = KeyedColumns(
            mark_last=(SECONDS, np.nan),
            mark_value=(np.float64, -np.inf),
        )
        # A desktop jump host of the user: a named machine the user reached remotely before
        # (a jump host, not their own laptop) from which at least ``launch_min`` desktop
        # sessions on hosts new to their users were opened before (0: off). That is where
        # admins and the helpdesk start their visits to servers and people's machines, so a
        # walk of new hosts from there is their work, judged by lateral_new_host host by host;
        # a walk from someone's laptop, or from a server nobody launches sessions from (an
        # intruder's foothold) until it has launched ``launch_min``, still counts. Every such
        # session counts, flagged or not, so the count never depends on the flags.
        if launch_min < 0:
            raise ValueError(f"{self.name}: launch_min >= 0")
        self.launch_min = launch_min
        self.launches_ = narrow_counts([])  # per source host: desktop sessions to new hosts

    @property
    def user_host_pairs(self) -> KeyedColumns:
        """Its (acting user, destination) pairs: the same keys as :class:`LateralFanoutUser`."""
        return self.pairs_

    @property
    def marks_(self) -> KeyedColumns:
        return self.desk_marks_

    def _last_seen(self, keys: Int64Array) -> FloatArray:
        # 0.0 for "seen at some time": ``_marks`` below only asks whether it is NaN.
        seen = self.pairs_.get("seen", keys)
        last: FloatArray = np.where(seen > 0, 0.0, np.nan)
        return last

    def _see(self, keys: Int64Array, time: FloatArray) -> None:
        if len(keys) == 0:
            return
        position = self.pairs_.pairs.insert(keys)  # (first: it replaces the columns)
        self.pairs_["seen"][position] = 1

    def _mark_positions(self, keys: Int64Array) -> Int64Array:
        self.desk_marks_.pairs.insert(keys)
        return self.desk_marks_.positions(keys)

    def state(self) -> StateDict:
        state = self.pairs_.keys_state("pairs_keys")
        state.update(pairs_seen=self.pairs_["seen"])
        state.update(desk_keys=self.desk_marks_.pairs.stored)
        state.update(desk_last=self.marks_["mark_last"], desk_value=self.mark_value_)
        state.update(first=self.first_, envelope=self.envelope_)
        state.update(tenant_first=self.tenant_first_)
        state.update(launches=self.launches_)
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        # (snapshots from before desktop jump hosts: none known yet)
        self.launches_ = narrow_counts(state.get("launches", np.empty(0)))
        if "pairs_seen" in state:
            seen = np.asarray(state["pairs_seen"], dtype=np.uint8)
            marks = wide_keys(np.asarray(state["desk_keys"]))
            mark_last = np.asarray(state["desk_last"])  # (float64 before whole seconds)
            mark_value = np.asarray(state["desk_value"], dtype=np.float64)
        else:  # main's layout up to round 9: last seen and the marks aligned with every pair
            last = np.asarray(state["pairs_last"], dtype=np.float64)
            seen = (~np.isnan(last)).astype(np.uint8)
            dense_last = np.asarray(state["mark_last"], dtype=np.float64)
            has = ~np.isnan(dense_last)  # (a pair never marked: NaN, and its value -inf)
            mark_last = dense_last[has]
            mark_value = np.asarray(state["mark_value"], dtype=np.float64)[has]
        self.pairs_.load_state(state, "pairs_keys", {"seen": seen})
        if "pairs_seen" not in state:  # the marked pairs: among the keys just restored
            keys = state.get("pairs_keys")
            aligned = self.pairs_.keys if keys is None else wide_keys(np.asarray(keys))
            marks = aligned[has]
        columns = {"mark_last": mark_last, "mark_value": mark_value}
        self.desk_marks_.load_state({"keys": marks}, "keys", columns)
        self.first_ = stored_times(state["first"])  # (float64 before whole seconds: rounded)
        self.envelope_ = np.asarray(state["envelope"], dtype=np.float64)
        # (snapshots from before it: learned again from the next batch on, which for anyone
        # already seen changes nothing)
        self.tenant_first_ = np.asarray(state.get("tenant_first", np.empty(0)), dtype=np.float64)

    def _entities(self, batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        mask, explicit = remote_access(batch)
        rows = np.flatnonzero(mask)
        return rows, acting_user(batch, explicit)[rows].astype(np.int64)

    def _marks(
        self, batch: EventBatch, rows: Int64Array, prev_time: FloatArray, time: FloatArray
    ) -> BoolArray:
        # A host never reached before (in any way), reached by a desktop session.
        if len(rows) == 0:
            return np.zeros(0, dtype=np.bool_)
        marks = self._new_desktops(batch, rows, prev_time)
        if self.launch_min <= 0 or not marks.any():
            return marks
        # Sessions from a desktop jump host of the user do not count: a machine the user
        # reached remotely before (not their own laptop) from which at least ``launch_min``
        # desktop sessions on hosts new to their users were opened before the row (stored, and
        # earlier in the batch).
        source = batch.column("src_host")[rows].astype(np.int64)
        named = marks & (source >= 0)
        size = int(source.max()) + 1 if len(source) else 0
        stored = gather(self.launches_, size, 0, np.maximum(source, 0)).astype(np.float64)
        before = stored + group_cumsum_before(np.where(named, source, -1), named.astype(float))
        jump = named & (before >= self.launch_min)
        if jump.any():
            user = self._entities(batch)[1]
            dst = batch.column("dst_host")[rows].astype(np.int64)
            keys = pair_keys(user, dst)
            asked = pair_keys(user[jump], source[jump])
            reached = ~np.isnan(self._last_seen(asked))
            # ... or earlier in the batch
            unique, first = unique1d(keys, return_index=True)
            at = np.minimum(np.searchsorted(unique, asked), max(len(unique) - 1, 0))
            reached |= (unique[at] == asked) & (first[at] < np.flatnonzero(jump))
            jump[jump] = reached
        result: BoolArray = marks & ~jump
        return result

    @staticmethod
    def _new_desktops(batch: EventBatch, rows: Int64Array, prev_time: FloatArray) -> BoolArray:
        """Desktop sessions on a host never reached before (in any way) by the user."""
        rdp = value_mask(batch, "logon_type", rows, rdp_logon_type)
        marks: BoolArray = np.isnan(prev_time) & rdp
        return marks

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        super().learn(batch, held_back)
        rows = view["rows"]
        if not len(rows):
            return
        source = batch.column("src_host")[rows].astype(np.int64)
        launched = source[self._new_desktops(batch, rows, view["prev_time"]) & (source >= 0)]
        if len(launched):
            self.launches_ = bump_counts(self.launches_, int(launched.max()) + 1, launched)

    def _describe(self, who: str, host: str, fan: int, peak: float) -> tuple[str, str, str]:
        hours = self.window / 3600.0
        # One observed text per user: a third host is the same finding, stronger only when it
        # clearly is (the risk layer adds what a repeat exceeds the first report by).
        return (
            f"{self.label} {who} opened desktop sessions on {fan} hosts new to them within "
            f"{hours:.0f} h (latest {host}); their usual peak is {peak:.1f}",
            f"desktop sessions on new hosts by {who}",
            f"decayed peak {peak:.1f} new desktop hosts per {hours:.0f} h",
        )


__all__ = [
    "DecayedTable",
    "LateralDesktopFanout",
    "LateralFanoutSource",
    "LateralFanoutUser",
    "LateralNewEdge",
    "LateralNewHost",
    "acting_user",
    "group_last_before",
    "remote_access",
    "source_key",
    "value_mask",
]
