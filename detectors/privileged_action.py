"""Rare privileged action for a user *and* for their peers (sudo/su to root, 4672, runas, IAM).

A stolen or abused account shows itself when it starts doing privileged things it never did:
a first-ever ``sudo`` to root, a first special-privilege logon (4672), first explicit-credential
use (4648/runas), first IAM policy or access-key change. Each (user, privileged action kind)
pair keeps a decayed count, so an admin's daily sudo is routine and a kind left unused for
months becomes rare again. The surprise of a new kind combines the user's own history (a user
with hundreds of events and no privileged action at all is surprising) with a popularity prior
over peers (a kind most users do, like a service account's 4672, is barely surprising).
A first sudo/su to root by an account that already uses a privileged kind as routine (4672
special-privilege logons: an administrator) weighs ``admin_root_weight`` (0.5; round 24): root
where sudoers allows it is that administrator's second channel, not privilege gained. An
account with no privileged routine (an engineer's first root shell) is judged in full.

The module also holds :class:`RarityDetector`, the vectorised (entity, kind) rarity core shared
by the privilege-abuse detectors (``group_change``, ``account_lifecycle``, ``kerberoasting``).

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def ev(day, user, action=Action.LOGON, **kw):
...     return Event(time=start + timedelta(days=day, minutes=len(user)), tenant="t",
...                  source_format="test", action=action, user=user, **kw)
>>> sudo = dict(action=Action.PRIVILEGE_USE, target_user="root", app="sudo", privileged=True)
>>> history = [ev(d, u) for d in range(20) for u in ("alice", "bob", "carol", "dave")]
>>> history += [ev(d, "alice", **sudo) for d in range(20)]
>>> history.sort(key=lambda e: e.time)
>>> builder, detector = BatchBuilder(), PrivilegedAction(learning_days=7, min_events=10)
>>> batch = builder.build(history)
>>> detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
>>> signals = detector.score(builder.build([ev(21, "alice", **sudo), ev(21, "bob", **sudo)]),
...                          builder)
>>> signals.rows.tolist(), round(float(signals.points[0]))
([1], 35)
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'bob did sudo to root for the first time (normal for bob: 20 events, 0 privileged action
 kinds in 21 days; 1 of 4 users do it)'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from detectors._activity import UserActivity
from detectors._flagged_days import add_flagged_days
from detectors._rotation import key_rotations
from detectors._sort import unique1d
from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    Signals,
    StateDict,
    batch_view,
    changes_state,
    find_sorted,
    group_cumsum_before,
    group_order,
    grow,
    narrow_counts,
)
from detectors.batch import (
    ACTION_CODE,
    ACTIONS,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
    IntArray,
)
from detectors.registry import register
from schemas.event import Action, Event, Outcome
from schemas.parsers.windows import DS_PROPERTY_READ

DAY = 86_400.0
#: Flagged rows of one pair further apart than this (seconds) are separate episodes (runs).
_EPISODE = 1_800.0
_KIND_BITS = 27
#: Linux programs that run a command as another user (root by default): the "sudo to root" kind.
_ELEVATORS = frozenset({"sudo", "su", "pkexec"})
_SUB_MASK = (1 << 26) - 1
Features = dict[str, np.ndarray]


def kind_code(action: IntArray | np.ndarray, flag: BoolArray, sub: IntArray) -> Int64Array:
    """One ``int64`` (< 2**32) per (action code, flag, sub id) triple; ``sub`` = -1 is "none".

    >>> kind_code(np.array([3]), np.array([True]), np.array([-1])).tolist()
    [469762048]
    """
    return (
        (np.asarray(action, dtype=np.int64) << _KIND_BITS)
        | (np.asarray(flag, dtype=np.int64) << 26)
        | ((np.asarray(sub, dtype=np.int64) + 1) & _SUB_MASK)
    )


def kind_action(kind: Int64Array) -> Int64Array:
    return np.asarray(kind >> _KIND_BITS, dtype=np.int64)


def rarity_weight(count: FloatArray) -> FloatArray:
    """How unusual a kind is given its decayed count: 1 for never, 1/4 once, ~0 for routine.

    >>> rarity_weight(np.array([0.0, 1.0, 5.0])).round(3).tolist()
    [1.0, 0.25, 0.028]
    """
    return np.asarray(1.0 / (1.0 + np.maximum(count, 0.0)) ** 2, dtype=np.float64)


class RarityDetector:
    """Vectorised core: decayed count of (entity, kind) pairs with per-entity learning periods.

    Per relevant row it knows what a one-by-one scorer would know just before that row: the
    decayed count of the pair (flagged rows are held back, also within the batch), the entity's
    event count and first-seen time over *all* its events (the learning period), the number of
    distinct kinds the entity has shown, how many users have shown the kind (peer popularity)
    and the population size. Subclasses say which rows and kinds they watch and turn these
    features into points.
    """

    name: ClassVar[str] = "rarity"
    mitre: ClassVar[tuple[str, ...]] = ()
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 20,
        half_life_days: float = 30.0,
        hold_points: float = 20.0,
        min_points: float = 5.0,
        max_points: float = 95.0,
        release_days: int = 0,
    ) -> None:
        if learning_days < 0 or min_events < 0 or half_life_days <= 0 or release_days < 0:
            raise ValueError(
                f"{self.name}: learning_days/min_events/release_days >= 0, half_life_days > 0"
            )
        if not 0 < min_points <= hold_points <= max_points <= 100:
            raise ValueError(f"{self.name}: need 0 < min_points <= hold_points <= max_points")
        self.learning_days = learning_days
        self.min_events = min_events
        self.half_life_days = half_life_days
        self.hold_points = hold_points
        self.min_points = min_points
        self.max_points = max_points
        self.release_days = release_days
        # Per user over every event: first time, count, tenant; in an engine, one object that
        # all its rarity detectors share (detectors._activity); this one learns and saves it
        # while ``owns_activity``.
        self.activity_ = UserActivity()
        self.owns_activity = True
        self.pair_keys_ = np.empty(0, dtype=np.int64)  # sorted entity << 32 | kind
        self.pair_count_ = np.empty(0, dtype=np.float64)  # decayed, flagged rows held back
        self.pair_time_ = np.empty(0, dtype=np.float64)  # time pair_count_ refers to
        self.pair_seen_ = np.empty(0, dtype=np.float64)  # all occurrences, flagged included
        # Pairs with held (flagged) rows: distinct UTC days of them, the last one's time. Kept
        # only with ``release_days``: from that many days on, the pair is the entity's habit.
        self.flagged_days_ = PairTable(WHOLE_COUNTS)

    @property
    def user_first_(self) -> FloatArray:
        """First event time per user id (NaN = never)."""
        return self.activity_.first_

    @property
    def user_count_(self) -> np.ndarray:
        """Events of any kind per user id (whole counts, kept narrow)."""
        return self.activity_.count_

    @property
    def user_tenant_(self) -> np.ndarray:
        """Tenant id per user id (-1 unknown)."""
        return self.activity_.tenant_

    def share_state(self, detectors: Sequence[object]) -> None:
        """Called by the engine with all its detectors: the rarity detectors among them share
        one :class:`UserActivity`, the first one's; the last of them learns and saves it (see
        :mod:`detectors._activity` for why the last)."""
        sharing = [d for d in detectors if isinstance(d, RarityDetector)]
        if self not in sharing:
            return
        self.activity_ = sharing[0].activity_
        self.owns_activity = self is sharing[-1]

    # -- what subclasses define -------------------------------------------------------------

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        """Relevant rows, their entity ids and kind codes (< 2**32)."""
        raise NotImplementedError

    def _extra(self, batch: EventBatch, rows: Int64Array) -> Features:
        """Per-row features beyond the shared ones (may read ``batch.events`` of ``rows``)."""
        return {}

    def _points(self, count: FloatArray, feats: Features) -> FloatArray:
        raise NotImplementedError

    def _describe(
        self, batch: EventBatch, builder: BatchBuilder, row: int, who: str, feats: Features, i: int
    ) -> tuple[str, str, str]:
        raise NotImplementedError

    def _techniques(self, event: Event, feats: Features, i: int) -> tuple[str, ...]:
        """The ATT&CK techniques of one finding (empty: the detector's whole list)."""
        return ()

    # -- the sequential view ----------------------------------------------------------------

    def _half_life(self) -> float:
        return self.half_life_days * DAY

    def _stored_pairs(self, keys: Int64Array) -> tuple[FloatArray, FloatArray, FloatArray]:
        n = len(keys)
        if len(self.pair_keys_) == 0 or n == 0:
            return np.zeros(n), np.full(n, np.nan), np.zeros(n)
        position = np.searchsorted(self.pair_keys_, keys)
        clipped = np.minimum(position, len(self.pair_keys_) - 1)
        found = self.pair_keys_[clipped] == keys
        count = np.where(found, self.pair_count_[clipped], 0.0)
        time = np.where(found, self.pair_time_[clipped], np.nan)
        seen = np.where(found, self.pair_seen_[clipped], 0.0)
        return count, time, seen

    def _activity(self, batch: EventBatch, entity: IntArray, rows: Int64Array) -> Features:
        """Entity event counts, first-seen and population just before each relevant row."""
        user = batch.column("user")
        active = np.flatnonzero(user >= 0)
        active_user = user[active].astype(np.int64)
        size = max(
            int(entity.max()) + 1 if len(entity) else 0, int(user.max()) + 1 if len(user) else 0
        )
        stored_count = grow(self.user_count_, size, 0).astype(np.float64)
        stored_first = grow(self.user_first_, size, np.nan)
        # Sorted (user, position) keys answer "how many events of entity e before row r".
        order_keys = np.sort((active_user << 32) | active)
        entity64 = entity.astype(np.int64)
        low = np.searchsorted(order_keys, entity64 << 32)
        high = np.searchsorted(order_keys, (entity64 << 32) | rows)
        in_batch_before = (high - low).astype(np.float64)
        first_position = (
            (order_keys[np.minimum(low, max(len(order_keys) - 1, 0))] & 0xFFFFFFFF)
            if len(order_keys)
            else np.zeros(len(rows), dtype=np.int64)
        )
        time = batch.time[rows]
        first_in_batch = np.where(in_batch_before > 0, batch.time[first_position], time)
        stored_first_e = stored_first[entity]
        first_seen = np.where(np.isnan(stored_first_e), first_in_batch, stored_first_e)
        count_before = stored_count[entity] + in_batch_before
        # Population: users with any event before the row.
        prior, _ = group_order(active_user)
        new_user = np.zeros(len(batch), dtype=np.float64)
        new_user[active] = ((prior == 0) & (stored_count[active_user] == 0)).astype(np.float64)
        # Peers are the tenant's users only: another tenant's habits never shape this one's.
        tenant = batch.tenant.astype(np.int64)
        before = group_cumsum_before(tenant, new_user)
        stored_tenant = grow(self.user_tenant_, len(self.user_count_), -1.0)
        known = (self.user_count_ > 0) & (stored_tenant >= 0)
        per_tenant = np.bincount(
            stored_tenant[known].astype(np.int64), minlength=int(tenant.max()) + 1
        )
        population = per_tenant[tenant[rows]].astype(np.float64) + before[rows]
        mature = (time - first_seen >= self.learning_days * DAY) & (count_before >= self.min_events)
        return {
            "count_before": count_before,
            "first_seen": first_seen,
            "population": population,
            "mature": mature,
            "time": time,
        }

    @batch_view
    def _view(self, batch: EventBatch) -> Features:
        rows, entity, kind = self._select(batch)
        rows = rows.astype(np.int64)
        feats = self._activity(batch, entity, rows) if len(rows) else {}
        if not len(rows):
            return {"rows": rows, "held": np.zeros(0, dtype=np.bool_)}
        time = feats["time"]
        keys = (entity.astype(np.int64) << 32) | kind
        stored_count, stored_time, stored_seen = self._stored_pairs(keys)
        prior_pair, first_pair_row = group_order(keys)
        new_pair = ((prior_pair == 0) & (stored_seen == 0)).astype(np.float64)
        entity64 = entity.astype(np.int64)
        # Distinct kinds of the entity and distinct users of the kind, flagged rows included.
        tenant_kind = (batch.tenant[rows].astype(np.int64) << 32) | kind
        stored_kinds_of_entity, stored_users_of_kind = self._stored_distinct(entity64, tenant_kind)
        feats["kinds_before"] = stored_kinds_of_entity + group_cumsum_before(entity64, new_pair)
        feats["users_of_kind"] = stored_users_of_kind + group_cumsum_before(tenant_kind, new_pair)
        feats["seen_before"] = stored_seen + prior_pair
        feats.update(self._extra(batch, rows))
        feats["entity"] = entity
        feats["kind"] = kind
        # Decayed pair count assuming every earlier row of the batch was learned.
        half_life = self._half_life()
        t0 = float(time.min())
        weight = np.exp2((time - t0) / half_life)
        in_batch = group_cumsum_before(keys, weight) / weight
        decay = np.exp2(-np.maximum(time - np.nan_to_num(stored_time, nan=t0), 0.0) / half_life)
        stored_now = stored_count * decay
        count = stored_now + in_batch
        # Held days of the pair before each row's day (stored; the replay below adds the
        # batch's own): from ``release_days`` of them on, the pair is no news, while the last
        # of them is within a half-life (after a longer pause its decayed count judges it).
        day = np.floor(time / DAY)
        flagged_days, flagged_last = self._stored_flagged_days(keys)
        last_day = np.floor(np.nan_to_num(flagged_last, nan=-DAY) / DAY)
        days_before = flagged_days - ((flagged_days > 0) & (last_day == day))
        recent = time - np.nan_to_num(flagged_last, nan=-np.inf) <= half_life
        feats["released"] = (days_before >= self.release_days) & (self.release_days > 0) & recent
        # Earlier flagged episodes of the pair: its flagged days before this one, plus today's
        # when today's first flagged row is over ``_EPISODE`` earlier (another run, not the same
        # burst). (Only ``_reported`` reads them.)
        later = (flagged_days > 0) & (last_day == day) & (time - flagged_last > _EPISODE)
        feats["flag_days"] = np.where(recent, days_before + later, 0.0)
        points = self._bounded(count, feats)
        held = self._holds(count, feats, points)
        # Pairs with a held row: replay them in order, since held rows are not learned (nor,
        # with ``release_days``, are their days known before the replay counts them).
        replay = unique1d(keys[held])
        if len(replay):
            for key in replay.tolist():
                members = np.flatnonzero(keys == key)
                value, last = float(stored_count[members[0]]), stored_time[members[0]]
                last_t = float(time[members[0]]) if np.isnan(last) else float(last)
                seen_days, seen_last = float(flagged_days[members[0]]), float(last_day[members[0]])
                seen_t = float(np.nan_to_num(flagged_last[members[0]], nan=-np.inf))
                for i in members.tolist():
                    t = float(time[i])
                    current = value * float(np.exp2(-max(t - last_t, 0.0) / half_life))
                    sub = {name: array[i : i + 1] for name, array in feats.items()}
                    before = seen_days - float(seen_days > 0 and seen_last == day[i])
                    sub["released"] = np.array(
                        [0 < self.release_days <= before and t - seen_t <= half_life]
                    )
                    feats["released"][i] = sub["released"][0]
                    later = seen_days > 0 and seen_last == day[i] and t - seen_t > _EPISODE
                    feats["flag_days"][i] = before + later if t - seen_t <= half_life else 0.0
                    p = float(self._bounded(np.array([current]), sub)[0])
                    count[i], points[i] = current, p
                    held[i] = bool(self._holds(np.array([current]), sub, np.array([p]))[0])
                    if not held[i]:
                        value, last_t = current + 1.0, t
                    elif day[i] != seen_last:  # (the table keeps a new day's first time)
                        seen_days, seen_last, seen_t = seen_days + 1.0, float(day[i]), t
        feats.update(
            rows=rows, keys=keys, count=count, points=points, held=held, first_pair=first_pair_row
        )
        return feats

    def _holds(self, count: FloatArray, feats: Features, points: FloatArray) -> BoolArray:
        """Rows held back from the baseline: those scoring ``hold_points`` (by default)."""
        held: BoolArray = points >= self.hold_points
        return held

    def _bounded(self, count: FloatArray, feats: Features) -> FloatArray:
        points = self._clip(self._points(count, feats))
        released = feats.get("released")
        if released is None:
            return points
        return np.where(released, 0.0, points)

    def _reported(self, view: Features) -> FloatArray:
        """The points a finding reports (``points`` decides what is held back and learned)."""
        reported: FloatArray = view["points"]
        return reported

    def _stored_flagged_days(self, keys: Int64Array) -> tuple[FloatArray, FloatArray]:
        if not self.release_days:
            return np.zeros(len(keys)), np.full(len(keys), np.nan)
        return self.flagged_days_.lookup(keys)

    def _clip(self, points: FloatArray) -> FloatArray:
        """Points within 0 .. ``max_points`` (NaN counts as 0, infinity as the maximum)."""
        points = np.nan_to_num(points, nan=0.0, posinf=self.max_points)
        return np.clip(points, 0.0, self.max_points)

    def _stored_distinct(
        self, entity: Int64Array, tenant_kind: Int64Array
    ) -> tuple[FloatArray, FloatArray]:
        """Distinct kinds per entity, and distinct users per (tenant << 32 | kind)."""
        if len(self.pair_keys_) == 0:
            return np.zeros(len(entity)), np.zeros(len(tenant_kind))
        seen = self.pair_keys_[self.pair_seen_ > 0]
        ent, ent_counts = unique1d(seen >> 32, return_counts=True)
        owner = grow(self.user_tenant_, int((seen >> 32).max()) + 1 if len(seen) else 0, -1.0)
        seen_tenant = owner[seen >> 32].astype(np.int64)
        kin, kin_counts = unique1d((seen_tenant << 32) | (seen & 0xFFFFFFFF), return_counts=True)
        return _lookup(ent, ent_counts, entity), _lookup(kin, kin_counts, tenant_kind)

    # -- protocol ---------------------------------------------------------------------------

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        if not len(view["rows"]):
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        reported = self._reported(view)
        emit = reported >= self.min_points
        if not emit.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        index = np.flatnonzero(emit)
        rows = view["rows"][index]
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=rows.astype(np.int64),
            entity=view["entity"][index].astype(np.int32),
            points=reported[index].astype(np.float64),
            mitre=self.mitre,
        )
        vocab = builder.vocab[self.entity_kind]
        for i, row in zip(index.tolist(), rows.tolist(), strict=True):
            who = vocab.value(int(view["entity"][i]))
            title, observed, baseline = self._describe(batch, builder, row, who, view, i)
            signals.row_mitre.append(self._techniques(batch.events[row], view, i))
            signals.titles.append(title)
            signals.observed.append(observed)
            signals.baseline.append(baseline)
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        self._learn_activity(batch)
        rows = view["rows"]
        if not len(rows):
            return
        keys, time = view["keys"], view["time"]
        learned = ~(view["held"] | held_back[rows])
        unique, inverse = unique1d(keys, return_inverse=True)
        seen_add = np.bincount(inverse, minlength=len(unique)).astype(np.float64)
        last = np.full(len(unique), -np.inf)
        np.maximum.at(last, inverse[learned], time[learned])
        has_learned = np.isfinite(last)
        half_life = self._half_life()
        t_ref = np.where(has_learned, last, 0.0)
        contribution = np.zeros(len(unique))
        np.add.at(
            contribution,
            inverse[learned],
            np.exp2(-(t_ref[inverse[learned]] - time[learned]) / half_life),
        )
        count, stored_time, seen = self._stored_pairs(unique)
        since = np.where(np.isnan(stored_time), t_ref, stored_time)
        decayed = count * np.exp2(-np.maximum(t_ref - since, 0.0) / half_life)
        new_count = np.where(has_learned, decayed + contribution, count)
        # Pairs never learned keep a NaN time; the batch entries win in the sorted merge.
        new_time = np.where(has_learned, np.maximum(t_ref, since), stored_time)
        merged_keys = np.concatenate([self.pair_keys_, unique])
        order = np.argsort(merged_keys, kind="stable")
        merged_keys = merged_keys[order]
        keep = np.ones(len(merged_keys), dtype=np.bool_)
        keep[:-1] = merged_keys[:-1] != merged_keys[1:]  # the batch entry wins (it is later)
        take = order[keep]
        all_count = np.concatenate([self.pair_count_, new_count])
        all_time = np.concatenate([self.pair_time_, new_time])
        all_seen = np.concatenate([self.pair_seen_, seen + seen_add])
        self.pair_keys_ = merged_keys[keep]
        self.pair_count_ = all_count[take]
        self.pair_time_ = all_time[take]
        self.pair_seen_ = all_seen[take]
        if self.release_days and view["held"].any():
            add_flagged_days(self.flagged_days_, keys[view["held"]], time[view["held"]])

    def _learn_activity(self, batch: EventBatch) -> None:
        user = batch.column("user")
        active = user >= 0
        if not active.any():
            return
        if self.owns_activity:
            self.activity_.learn(user[active], batch.time[active], batch.tenant[active])

    def state(self) -> StateDict:
        # (the shared activity is saved once, by its owner)
        return {
            **(self.activity_.state() if self.owns_activity else {}),
            "pair_keys": self.pair_keys_,
            "pair_count": self.pair_count_,
            "pair_time": self.pair_time_,
            "pair_seen": self.pair_seen_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        if "user_first" in state:  # (the owner's; older snapshots: every detector's, the same)
            self.activity_.load_state(state)
        self.pair_keys_ = np.asarray(state["pair_keys"], dtype=np.int64)
        self.pair_count_ = np.asarray(state["pair_count"], dtype=np.float64)
        self.pair_time_ = np.asarray(state["pair_time"], dtype=np.float64)
        self.pair_seen_ = np.asarray(state["pair_seen"], dtype=np.float64)


def _lookup(keys: np.ndarray, values: np.ndarray, query: Int64Array) -> FloatArray:
    if len(keys) == 0:
        return np.zeros(len(query))
    position, found = find_sorted(keys, query)
    return np.where(found, values[position], 0).astype(np.float64)


def baseline_text(who: str, feats: Features, i: int, what: str) -> str:
    days = (float(feats["time"][i]) - float(feats["first_seen"][i])) / DAY
    return (
        f"{who}: {int(feats['count_before'][i])} events in {days:.0f} days, {what} "
        f"~{float(feats['count'][i]):.1f} times (decayed); "
        f"{int(feats['users_of_kind'][i])} of {int(feats['population'][i])} users do it"
    )


_WATCHED = frozenset(
    {Action.PRIVILEGE_USE, Action.EXPLICIT_CREDENTIAL, Action.POLICY_CHANGE, Action.ACCOUNT_CHANGE}
)
_KEY_VERBS = frozenset(
    {
        "access_key_created",
        "access_key_updated",
        "access_key_activated",
        "access_key_deactivated",
        "ssh_key_added",
    }
)
#: Decayed count from which taking on a privileged role is the holder's habit (see _points).
_ROLE_HABIT = 0.05


@register
class PrivilegedAction(RarityDetector):
    """First (or long-unused) privileged action kind for a mature user, weighed by peers.

    Kinds: special-privilege logon (4672), sudo/su to root or to another user, explicit
    credentials (4648/runas, and type 9 logons as another account), non-admin IAM policy
    changes, access-key creation, a privileged cloud role taken on (``AssumeRole`` into a
    watch-listed role; round 12). Points are
    ``per_nat * sqrt(user_surprise * peer_surprise) * rarity`` where user surprise is
    ``ln((events + 2) / (kinds + 1))`` over the user's history and peer surprise is
    ``-ln((users_doing_it + 1) / (users + 2))``. See the module docstring for an example.
    """

    name: ClassVar[str] = "privileged_action"
    mitre: ClassVar[tuple[str, ...]] = (
        "T1078.002",
        "T1078.003",
        "T1548.003",
        "T1098",
        "T1098.001",
        "T1550.002",
        "T1078.004",
    )

    def __init__(
        self,
        *,
        per_nat: float = 19.0,
        max_points: float = 80.0,
        root_routine: float = 5.0,
        admin_root_weight: float = 0.5,
        release_days: int = 3,
        **kwargs: float,
    ) -> None:
        super().__init__(max_points=max_points, release_days=release_days, **kwargs)  # type: ignore[arg-type]
        if per_nat <= 0 or root_routine <= 0:
            raise ValueError("privileged_action: per_nat and root_routine must be > 0")
        if not 0 < admin_root_weight <= 1:
            raise ValueError("privileged_action: admin_root_weight must be in (0, 1]")
        self.per_nat = per_nat
        self.root_routine = root_routine
        # A first sudo/su to root by an account whose learned routine already has a privileged
        # kind (4672 special-privilege logons, ...) weighs this much: see _points.
        self.admin_root_weight = admin_root_weight
        self.root_uses_ = narrow_counts([])  # sudo/su to root per user, all seen

    def _root_rows(self, batch: EventBatch) -> BoolArray:
        """sudo/su to a privileged account (root), flagged or not."""
        mask = batch.action_mask(frozenset({Action.PRIVILEGE_USE})) & batch.privileged
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        for row in np.flatnonzero(mask).tolist():
            mask[row] = batch.events[row].app in _ELEVATORS
        return mask

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        mask = batch.action_mask(_WATCHED) & batch.outcome_is(Outcome.SUCCESS)
        mask &= batch.column("user") >= 0
        netonly = self._netonly(batch)
        mask |= netonly
        # Taking on a privileged cloud role (AssumeRole into a watch-listed role): admin power
        # in use, the cloud's 4672. Other ticket rows (Kerberos, NTLM) are never privileged.
        ticket = batch.action == ACTION_CODE[Action.AUTH_TICKET]
        mask |= ticket & batch.privileged & batch.outcome_is(Outcome.SUCCESS)
        mask &= batch.column("user") >= 0
        policy = batch.action == ACTION_CODE[Action.POLICY_CHANGE]
        mask &= ~(policy & batch.privileged)  # admin grants are group_change's strong signal
        account = batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE]
        if account.any():
            keyed = np.zeros(len(batch), dtype=np.bool_)
            for row in np.flatnonzero(account & mask).tolist():
                keyed[row] = batch.events[row].object in _KEY_VERBS
            mask &= ~account | keyed
            # A key created for oneself and the old one retired minutes later is a rotation,
            # not a new credential: neither a finding nor this user's key-creation habit.
            mask &= ~key_rotations(batch)
        rows = np.flatnonzero(mask).astype(np.int64)
        # A logon that takes on another account's credentials for the network is the same kind
        # as 4648/runas: one habit, whichever way Windows logged it.
        action = np.where(
            netonly[rows], ACTION_CODE[Action.EXPLICIT_CREDENTIAL], batch.action[rows]
        )
        sub = np.where(
            action == ACTION_CODE[Action.ACCOUNT_CHANGE],
            batch.column("object")[rows],
            batch.column("app")[rows],
        )
        flag = batch.privileged[rows]
        kind = kind_code(action, flag, sub)
        return rows, batch.column("user")[rows], kind

    @staticmethod
    def _netonly(batch: EventBatch) -> BoolArray:
        """Logon type 9 (``runas /netonly``, mimikatz ``sekurlsa::pth``) whose network identity
        is another account: the session now acts as that account on every host it reaches."""
        mask = (batch.action == ACTION_CODE[Action.LOGON]) & batch.outcome_is(Outcome.SUCCESS)
        mask &= (batch.column("user") >= 0) & (batch.column("target_user") >= 0)
        for row in np.flatnonzero(mask).tolist():
            event = batch.events[row]
            mask[row] = event.logon_type == "9" and event.target_user != event.user
        result: BoolArray = mask
        return result

    def _extra(self, batch: EventBatch, rows: Int64Array) -> Features:
        # Root uses of the row's user before the row: stored, plus earlier rows of the batch
        # (flagged ones included, so this never depends on what was flagged).
        root = self._root_rows(batch).astype(np.float64)
        user = batch.column("user").astype(np.int64)
        size = int(user.max()) + 1 if len(user) else 0
        stored = grow(self.root_uses_, size, 0).astype(np.float64)
        before = stored[np.maximum(user, 0)] + group_cumsum_before(user, root)
        role = batch.action[rows] == ACTION_CODE[Action.AUTH_TICKET]
        return {
            "privileged": batch.privileged[rows],
            "root_before": before[rows],
            "elevates": root[rows] > 0,
            "role": role,
            "admin_kinds": self._admin_kinds(user[rows].astype(np.int64)),
        }

    def _admin_kinds(self, users: Int64Array) -> FloatArray:
        """Privileged kinds other than cloud roles each user has as learned routine (4672
        special-privilege logons, sudo to root ...): an admin already, whatever the cloud says."""
        keys = self.pair_keys_
        if not len(keys) or not len(users):
            return np.zeros(len(users))
        kind = keys & 0xFFFFFFFF
        routine = ((kind >> 26) & 1).astype(np.bool_) & (self.pair_count_ >= _ROLE_HABIT)
        routine &= kind_action(kind) != ACTION_CODE[Action.AUTH_TICKET]
        holders, counts = unique1d(keys[routine] >> 32, return_counts=True)
        return _lookup(holders, counts, users)

    def _points(self, count: FloatArray, feats: Features) -> FloatArray:
        user_surprise = np.log((feats["count_before"] + 2.0) / (feats["kinds_before"] + 1.0))
        peer_surprise = -np.log((feats["users_of_kind"] + 1.0) / (feats["population"] + 2.0))
        base = self.per_nat * np.sqrt(np.maximum(user_surprise, 0) * np.maximum(peer_surprise, 0))
        # Switching to a service account (sudo -u deploy, su postgres) is a role's routine far
        # more often than switching to root is; and for someone who already works as root
        # routinely it is no escalation at all (root can become any account).
        holds_root = 1.0 + feats["root_before"] / self.root_routine
        weight = np.where(feats["privileged"], 1.0, 0.3 / holds_root)
        # Likewise an admin role in the cloud is little news for someone who works as root
        # every day (an admin starting to use the cloud), and full news for anyone else ...
        weight = np.where(feats["role"], 1.0 / holds_root, weight)
        # and no news at all for someone who already uses special privileges as routine.
        weight = np.where(feats["role"] & (feats["admin_kinds"] > 0), 0.0, weight)
        # An administrator's first sudo/su to root: the account already uses special
        # privileges as routine (4672 admin logons on Windows servers, another privileged
        # kind), so becoming root where sudoers lets it is a second admin channel (the
        # identity admin creating a new starter's Linux account), not someone gaining power.
        # Partial: it stays a finding, and one corroborated by other news still alerts. An
        # account with no privileged routine (an engineer's first root shell) is untouched.
        admin_root = feats["elevates"] & feats["privileged"] & (feats["admin_kinds"] > 0)
        weight = np.where(admin_root, weight * self.admin_root_weight, weight)
        points: FloatArray = base * weight * rarity_weight(count) * feats["mature"]
        # A privileged role is taken on whenever its holders work (every session), so how often
        # a holder did lately is no news; only a first one (or one after long disuse) is.
        points = np.where(feats["role"] & (count >= _ROLE_HABIT), 0.0, points)
        return points

    def _reported(self, view: Features) -> FloatArray:
        # A first permission change that comes back in later runs is a duty arriving (a deploy
        # pipeline that starts managing IAM): each earlier flagged episode makes it less news,
        # until ``release_days`` of them make it the user's habit (0 points). A sweep happens
        # in one burst and reports in full; holding back and learning still follow the
        # unweighted points, so the pair releases as before. Only permission changes: a slow
        # attacker's 4672 / sudo / runas on a second night must weigh what the first did (the
        # discount on every kind cost a web-app pivot its page on unseen seeds 521-523).
        policy = (view["kind"] >> _KIND_BITS) == ACTION_CODE[Action.POLICY_CHANGE]
        return np.asarray(
            view["points"] / (1.0 + np.where(policy, view["flag_days"], 0.0)), dtype=np.float64
        )

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        super().learn(batch, held_back)
        root = self._root_rows(batch)
        if root.any():
            user = batch.column("user")[root]
            uses = grow(self.root_uses_, int(user.max()) + 1, 0).astype(np.int64)
            self.root_uses_ = narrow_counts(uses + np.bincount(user, minlength=len(uses)))

    def state(self) -> StateDict:
        return {
            **super().state(),
            "root_uses": self.root_uses_,
            **self.flagged_days_.state("flagged_days_"),
        }

    def load_state(self, state: StateDict) -> None:
        super().load_state(state)
        # State saved before root uses were counted: none known yet.
        self.root_uses_ = narrow_counts(state.get("root_uses", np.empty(0)))
        # ... nor, before round 17, the days of flagged pairs: none yet.
        self.flagged_days_ = PairTable(WHOLE_COUNTS)
        if "flagged_days_keys" in state:
            self.flagged_days_.load_state(state, "flagged_days_")

    def _describe(
        self, batch: EventBatch, builder: BatchBuilder, row: int, who: str, feats: Features, i: int
    ) -> tuple[str, str, str]:
        event = batch.events[row]
        what = _label(
            event.action, event.target_user, event.app, event.object, event.event_id, event.reason
        )
        days = (float(feats["time"][i]) - float(feats["first_seen"][i])) / DAY
        count = float(feats["count"][i])
        when = "for the first time" if count < 0.05 else f"(rare for them: ~{count:.1f} recently)"
        title = (
            f"{who} did {what} {when} (normal for {who}: {int(feats['count_before'][i])} events, "
            f"{int(feats['kinds_before'][i])} privileged action kinds in {days:.0f} days; "
            f"{int(feats['users_of_kind'][i])} of {int(feats['population'][i])} users do it)"
        )
        if feats["elevates"][i] and feats["admin_kinds"][i] > 0 and self.admin_root_weight < 1:
            title += (
                f"; an administrator already ({int(feats['admin_kinds'][i])} privileged kind(s)"
                f" as routine: x{self.admin_root_weight:g})"
            )
        return title, _observed(event, what, who), baseline_text(who, feats, i, what)

    def _techniques(self, event: Event, feats: Features, i: int) -> tuple[str, ...]:
        return _technique(event)


def _observed(event: Event, what: str, who: str) -> str:
    """The finding's identity for the risk engine: a permission change is one finding per
    resource changed, whatever the operations (a deploy's CreatePolicyVersion, PutRolePolicy and
    AttachRolePolicy on one role are one change of that role, counted once; a sweep's buckets,
    snapshots and security groups stay one finding each). Other kinds: the action itself."""
    if event.action is not Action.POLICY_CHANGE:
        return f"{what} by {who}"
    if event.reason == DS_PROPERTY_READ:
        return f"audited property reads of {event.object} by {who}"
    operation, _, resource = event.object.partition(":")
    return f"permission changes to {resource or operation or event.app} by {who}"


def _technique(event: Event) -> tuple[str, ...]:
    """sudo/su: abuse of elevation control; 4672: a privileged (domain) account in use;
    runas/4648: another valid account; a type 9 logon as another account: alternate
    authentication material (pass the hash); permission changes and keys: manipulation."""
    if event.action is Action.LOGON:
        return ("T1550.002", "T1078.002")
    if event.action is Action.AUTH_TICKET:
        return ("T1078.004",)  # a privileged cloud role taken on
    if event.action is Action.PRIVILEGE_USE:
        if event.app in _ELEVATORS:
            return ("T1548.003",) if event.app != "pkexec" else ("T1548", "T1068")
        if event.source_format == "cloudtrail":
            return ("T1648", "T1078.004")  # a privileged role passed to a service's compute
        return ("T1078.002",)
    if event.action is Action.EXPLICIT_CREDENTIAL:
        return ("T1078.003",) if event.source_format == "syslog" else ("T1078.002",)
    if event.action is Action.ACCOUNT_CHANGE:
        return ("T1098.001",)
    return ("T1098",)  # a permission change


def _label(action: Action, target: str, app: str, obj: str, event_id: str, reason: str = "") -> str:
    if action is Action.LOGON:
        return (
            f"a network-only logon (type 9: runas /netonly, or pass the hash) as "
            f"{target or 'another account'}"
        )
    if action is Action.AUTH_TICKET:
        return f"an assumption of the privileged role {target or obj}"
    if action is Action.PRIVILEGE_USE:
        if app in _ELEVATORS:
            return f"{app} to {target or 'root'}"
        if event_id == "4672" or not app:
            return "a special-privilege logon (4672)"
        if obj.partition(":")[2] and app.endswith(".amazonaws.com"):
            # CreateFunction:Admin ...: a privileged role handed to a service's compute.
            role, service = obj.partition(":")[2], app.split(".")[0]
            return f"a hand-over of the privileged role {role} to {service} (iam:PassRole)"
        return f"privilege use via {app}"
    if action is Action.EXPLICIT_CREDENTIAL:
        return f"explicit-credential use (runas/4648) as {target or 'another account'}"
    if action is Action.POLICY_CHANGE:
        if reason == DS_PROPERTY_READ:
            return f"a read of audited directory properties ({obj}: a confidential attribute)"
        return f"a permission change ({obj or app})"
    return f"{obj.replace('_', ' ')} for {target or 'an account'}"


__all__ = [
    "ACTIONS",
    "DAY",
    "PrivilegedAction",
    "RarityDetector",
    "baseline_text",
    "kind_action",
    "kind_code",
    "rarity_weight",
]
