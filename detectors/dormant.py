"""Dormant account reactivation: activity after a silence far longer than the user's rhythm.

Stolen or forgotten credentials of a leaver, a service account nobody uses any more, an admin
account kept "just in case": when such an account comes back, it is worth a look. The gap
since the user's last activity is compared with the longest break the user normally takes (a
slowly decaying maximum of their earlier gaps, so a three-week holiday once a year is known):
a reactivation is flagged when ``gap >= max(min_gap_days, factor x longest usual break)``.
The flagged gap is held back, so a second long silence is judged against the normal rhythm too.

An account that was *disabled* after its last use and is active again has been declared
dormant by the organisation itself: its comeback is flagged whatever the gap (a contractor
offboarded after two days, re-enabled three weeks later) and scored ``disabled_points`` (high:
someone brought back an account that was switched off, and it is in use; a helpdesk's planned
re-enables are what feedback suppressions are for).

An account this tenant has never seen active that *another* account enables (4722), or whose
access key it makes active again (``UpdateAccessKey`` status Active), and that is then used
for the first time within ``revived_days``, is the same story told from the other end: a
leaver's or an integration's account that was switched off before the capture began, brought
back and used (T1078, T1098.001). Its first activity scores ``revived_points`` (65, high) when a
credential was made active again (an access key: nobody hands a new starter a key that was
switched off), ``enabled_points`` (50, medium: an alert that pages only with other evidence)
when the account was enabled: an account staged before the capture began and enabled on its
owner's first day is how many organisations onboard. An account created in view (4720,
``CreateUser``) and then enabled is a new hire being set up, not this.

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def logon(day):
...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
...                  action=Action.LOGON, user="svc-backup", src_ip="10.0.0.5")
>>> builder, detector = BatchBuilder(), DormantAccount()
>>> signals = detector.score(builder.build([logon(d) for d in (*range(0, 30, 2), 120)]), builder)
>>> len(signals), round(float(signals.points[0]))
(1, 46)
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'svc-backup was active again after 92 days of silence
 (normal: longest break 1.2 days over 15 events since 2024-01-01)'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import numpy as np

from detectors._decay import peak_before, peak_fold, previous_in_group, settle
from detectors.base import (
    Signals,
    StateDict,
    batch_view,
    bump_counts,
    changes_state,
    fold_extreme,
    gather,
    group_order,
    grow,
    narrow_counts,
)
from detectors.batch import (
    ACTION_CODE,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
    IntArray,
)
from detectors.lateral import group_last_before
from detectors.registry import register
from schemas.event import Action, Outcome

DAY = 86_400.0
#: Actions that do not show the account being used.
_NOT_ACTIVITY = frozenset({Action.LOGOFF, Action.LOGON_FAILED, Action.ACCOUNT_LOCKOUT})
#: Account changes that take an account out of use (as account_lifecycle reads them).
_DISABLE_VERBS = frozenset({"disabled", "deactivated", "suspended"})
#: Account changes that put an account (or its credentials) back into use.
_REVIVE_VERBS = frozenset({"enabled", "activated", "reactivated", "access_key_activated"})
_CREATE_VERBS = frozenset({"created"})


@register
class DormantAccount:
    name: ClassVar[str] = "dormant_account"
    mitre: ClassVar[tuple[str, ...]] = ("T1078", "T1078.003")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        min_gap_days: float = 30.0,
        factor: float = 3.0,
        min_events: int = 5,
        memory_days: float = 180.0,
        points: float = 30.0,
        points_per_doubling: float = 10.0,
        max_points: float = 60.0,
        disabled_points: float = 65.0,
        revived_days: float = 30.0,
        revived_points: float = 65.0,
        enabled_points: float = 50.0,
    ) -> None:
        if not 0 < disabled_points <= 100:
            raise ValueError("dormant_account: 0 < disabled_points <= 100")
        if min_gap_days <= 0 or factor < 1 or min_events < 1 or memory_days <= 0:
            raise ValueError("dormant_account: min_gap_days > 0, factor >= 1, min_events >= 1")
        self.min_gap = min_gap_days * DAY
        self.factor = factor
        self.min_events = min_events
        self.memory = memory_days * DAY
        self.points = points
        self.points_per_doubling = points_per_doubling
        self.max_points = max_points
        self.disabled_points = disabled_points
        if revived_days <= 0 or not 0 < revived_points <= 100 or not 0 < enabled_points <= 100:
            raise ValueError(
                "dormant_account: revived_days > 0, 0 < revived_points <= 100, "
                "0 < enabled_points <= 100"
            )
        self.revived_window = revived_days * DAY
        self.revived_points = revived_points
        self.enabled_points = enabled_points
        self.first_ = np.empty(0, dtype=np.float64)  # first activity (NaN = never)
        self.last_ = np.empty(0, dtype=np.float64)  # last activity (NaN = never)
        self.count_ = narrow_counts([])  # activity events (whole, kept narrow)
        self.longest_ = np.empty(0, dtype=np.float64)  # decaying longest usual gap, at last_
        self.disabled_ = np.empty(0, dtype=np.float64)  # last time disabled (NaN = never)
        # Accounts never seen active that were enabled by another account (when) or created in
        # view (NaN): sparse, one row per such account until it is first active.
        self.pending_user_ = np.empty(0, dtype=np.int64)
        self.pending_at_ = np.empty(0, dtype=np.float64)
        self.pending_key_ = np.empty(0, dtype=np.bool_)  # revived by making a key active

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        activity = ~batch.action_mask(_NOT_ACTIVITY) & ~batch.outcome_is(Outcome.FAILURE)
        rows = np.flatnonzero(activity & (batch.column("user") >= 0)).astype(np.int64)
        user = batch.column("user")[rows]
        time = batch.time[rows]
        n = len(rows)
        size = int(user.max()) + 1 if n else 0
        first_state = gather(self.first_, size, np.nan, user)
        last_state = gather(self.last_, size, np.nan, user)
        count_state = gather(self.count_, size, 0, user).astype(np.float64)
        longest_state = gather(self.longest_, size, 0.0, user)
        groups = user.astype(np.int64)
        previous = previous_in_group(groups)
        previous_time = np.where(previous >= 0, time[np.maximum(previous, 0)], last_state)
        gap = np.where(np.isnan(previous_time), 0.0, time - np.nan_to_num(previous_time))
        # Rows before this one of the same user: a running count within the batch.
        prior, first_row = group_order(groups)
        count_before = count_state + prior
        first_seen = np.where(np.isnan(first_state), time[first_row], first_state)
        disabled_at = self._disabled_before(batch, rows, user)
        # Disabled after its last use, and used again: the first activity since then.
        comeback: BoolArray = (
            ~np.isnan(previous_time)
            & (np.nan_to_num(disabled_at, nan=-np.inf) > np.nan_to_num(previous_time))
            & (count_before >= self.min_events)
        )

        def judge(held: BoolArray) -> BoolArray:
            usual, _ = peak_before(
                groups, time, np.where(held, 0.0, gap), longest_state, last_state, self.memory
            )
            threshold = np.maximum(self.min_gap, self.factor * usual)
            result: BoolArray = ((count_before >= self.min_events) & (gap >= threshold)) | comeback
            return result

        revived_at, revived_key = self._revived_before(batch, rows, user, count_before)
        revived: BoolArray = ~np.isnan(revived_at) & ~comeback
        flagged = settle(judge, n) | revived
        usual, log_peak = peak_before(
            groups, time, np.where(flagged, 0.0, gap), longest_state, last_state, self.memory
        )
        return {
            "rows": rows,
            "user": user,
            "time": time,
            "gap": gap,
            "usual": usual,
            "flagged": flagged,
            "count_before": count_before,
            "first_seen": first_seen,
            "log_peak": log_peak,
            "comeback": comeback,
            "disabled_at": disabled_at,
            "revived": revived,
            "revived_at": revived_at,
            "revived_key": revived_key,
        }

    def _changes(self, batch: EventBatch) -> list[tuple[int, int, float, bool]]:
        """(row, target, when: NaN for a creation, whether a key was made active) of the
        batch's revivals and creations."""
        changes = np.flatnonzero(
            (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE])
            & (batch.column("target_user") >= 0)
            & batch.outcome_is(Outcome.SUCCESS)
        )
        targets, users = batch.column("target_user"), batch.column("user")
        found: list[tuple[int, int, float, bool]] = []
        # Account changes are rare: read their verbs one by one, as _disable_rows does.
        for row in changes.tolist():
            verb = batch.events[row].object
            if verb in _CREATE_VERBS:
                found.append((row, int(targets[row]), np.nan, False))
            elif verb in _REVIVE_VERBS and users[row] != targets[row]:
                key = verb == "access_key_activated"
                found.append((row, int(targets[row]), float(batch.time[row]), key))
        return found

    def _revived_before(
        self, batch: EventBatch, rows: Int64Array, user: IntArray, count_before: FloatArray
    ) -> tuple[FloatArray, BoolArray]:
        """For each activity row that is its account's first ever: when another account revived
        it within the window (NaN: not revived, created in view, or not a first activity), and
        whether it did so by making a key active."""
        result: FloatArray = np.full(len(rows), np.nan)
        by_key: BoolArray = np.zeros(len(rows), dtype=np.bool_)
        first_ever = np.flatnonzero(count_before == 0)
        changes = self._changes(batch)
        if not len(first_ever) or (not len(self.pending_user_) and not changes):
            return result, by_key
        state = self._pending()
        by_target: dict[int, list[tuple[int, float, bool]]] = {}
        for row, target, when, key in changes:
            by_target.setdefault(target, []).append((row, when, key))
        # Only first activities (a handful per batch at most) are looked at one by one.
        for index in first_ever.tolist():
            who, row = int(user[index]), int(rows[index])
            when, key = state.get(who, (np.nan, False))
            created = who in state and np.isnan(when)
            for change_row, change_at, change_key in by_target.get(who, []):
                if change_row >= row:
                    break
                created = created or np.isnan(change_at)
                when, key = (np.nan, False) if created else (change_at, change_key)
            if not np.isnan(when) and batch.time[row] - when <= self.revived_window:
                result[index], by_key[index] = when, key
        return result, by_key

    def _pending(self) -> dict[int, tuple[float, bool]]:
        """Stored revivals and creations: account -> (when, NaN for a creation; by a key)."""
        return {
            int(user): (float(at), bool(key))
            for user, at, key in zip(
                self.pending_user_, self.pending_at_, self.pending_key_, strict=True
            )
        }

    def _disabled_before(self, batch: EventBatch, rows: Int64Array, user: IntArray) -> FloatArray:
        """For each activity row, when its account was last disabled before it (NaN: never)."""
        stored: FloatArray = gather(
            self.disabled_, int(user.max()) + 1 if len(user) else 0, np.nan, user
        )
        disables = self._disable_rows(batch)
        if not len(disables) or not len(rows):
            return stored
        # Disables and activity in batch order (a disable before the activity of the same row).
        keys = np.concatenate([batch.column("target_user")[disables], user]).astype(np.int64)
        position = np.concatenate([2 * disables, 2 * rows + 1])
        is_disable = np.r_[np.ones(len(disables), np.bool_), np.zeros(len(rows), np.bool_)]
        order = np.argsort(position, kind="stable")
        last = group_last_before(keys[order], is_disable[order])
        times = np.concatenate([batch.time[disables], batch.time[rows]])[order]
        found = np.where(last >= 0, times[np.maximum(last, 0)], np.nan)
        in_batch = np.empty(len(order))
        in_batch[order] = found
        activity = in_batch[len(disables) :]
        result: FloatArray = np.where(np.isnan(activity), stored, activity)
        return result

    @staticmethod
    def _disable_rows(batch: EventBatch) -> Int64Array:
        """Rows that disable an account (its id in ``target_user``)."""
        changes = np.flatnonzero(
            (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE])
            & (batch.column("target_user") >= 0)
            & batch.outcome_is(Outcome.SUCCESS)
        )
        # Only the (rare) account changes are read as objects, not every event.
        mask = np.fromiter(
            (batch.events[int(r)].object in _DISABLE_VERBS for r in changes.tolist()),
            np.bool_,
            len(changes),
        )
        disables: Int64Array = changes[mask].astype(np.int64)
        return disables

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        if not flagged.any():
            return Signals.empty(self.name, self.entity_kind, self.mitre)
        gap = view["gap"][flagged]
        usual = view["usual"][flagged]
        threshold = np.maximum(self.min_gap, self.factor * usual)
        comeback = view["comeback"][flagged]
        points = np.minimum(
            self.max_points,
            self.points
            + self.points_per_doubling * np.log2(np.maximum(gap, threshold) / threshold),
        )
        points = np.where(comeback, self.disabled_points, points)
        revived = view["revived"][flagged]
        by_key = view["revived_key"][flagged]
        revival = np.where(by_key, self.revived_points, self.enabled_points)
        points = np.where(revived, revival, points)
        signals = Signals(
            detector=self.name,
            entity_kind=self.entity_kind,
            rows=view["rows"][flagged],
            entity=view["user"][flagged],
            points=points,
            mitre=self.mitre,
        )
        vocab = builder.vocab["user"]
        for index in range(len(signals)):
            who = vocab.value(int(signals.entity[index]))
            since = datetime.fromtimestamp(float(view["first_seen"][flagged][index]), UTC)
            count = int(view["count_before"][flagged][index])
            days, usual_days = gap[index] / DAY, usual[index] / DAY
            if revived[index]:
                at = datetime.fromtimestamp(float(view["revived_at"][flagged][index]), UTC)
                hours = (float(view["time"][flagged][index]) - at.timestamp()) / 3600
                how = "reactivated its access key" if by_key[index] else "enabled it"
                signals.titles.append(
                    f"{who}, never active before, was used {hours:.0f} h after another account "
                    f"{how} on {at:%Y-%m-%d} (normal: a revived account's first use is its "
                    "owner's return; 0 events from it before)"
                )
                signals.observed.append(f"{who} first active after being revived by another")
                signals.baseline.append(f"revived on {at:%Y-%m-%d %H:%M}; never active before")
                continue
            if comeback[index]:
                disabled = datetime.fromtimestamp(float(view["disabled_at"][flagged][index]), UTC)
                signals.titles.append(
                    f"{who}, disabled on {disabled:%Y-%m-%d} after its last use, was active again "
                    f"after {days:.0f} days (normal: longest break {usual_days:.1f} days over "
                    f"{count} events since {since:%Y-%m-%d})"
                )
                signals.observed.append(f"{who} active again after being disabled")
                signals.baseline.append(
                    f"disabled on {disabled:%Y-%m-%d}; longest usual break {usual_days:.1f} days"
                )
                continue
            signals.titles.append(
                f"{who} was active again after {days:.0f} days of silence (normal: longest "
                f"break {usual_days:.1f} days over {count} events since {since:%Y-%m-%d})"
            )
            signals.observed.append(f"{who} active after {days:.0f} days of silence")
            signals.baseline.append(
                f"longest usual break {usual_days:.1f} days; flagged from "
                f"{threshold[index] / DAY:.0f} days"
            )
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        self._learn_disabled(batch)
        self._learn_activity(batch, view, held_back)
        self._learn_pending(batch)

    def _learn_pending(self, batch: EventBatch) -> None:
        """Keep revivals and creations of accounts never active (the activity is learnt)."""
        changes = self._changes(batch)
        if not changes and not len(self.pending_user_):
            return
        state = self._pending()
        for _, target, when, key in changes:
            created = np.isnan(when) or (target in state and np.isnan(state[target][0]))
            state[target] = (np.nan, False) if created else (when, key)
        users = np.fromiter(state.keys(), np.int64, len(state))
        at = np.fromiter((v[0] for v in state.values()), np.float64, len(state))
        by_key = np.fromiter((v[1] for v in state.values()), np.bool_, len(state))
        last = gather(self.last_, int(users.max()) + 1 if len(users) else 0, np.nan, users)
        horizon = float(batch.time.max()) - self.revived_window if len(batch.time) else -np.inf
        # Gone once active (judged then) or once the window has passed; a creation stays
        # until the account is first used, so that enabling it later reads as its setup.
        keep = np.isnan(last) & (np.isnan(at) | (at >= horizon))
        self.pending_user_, self.pending_at_ = users[keep], at[keep]
        self.pending_key_ = by_key[keep]

    def _learn_activity(
        self, batch: EventBatch, view: dict[str, np.ndarray], held_back: BoolArray
    ) -> None:
        rows = view["rows"]
        if len(rows) == 0:
            return
        user, time = view["user"], view["time"]
        size = int(user.max()) + 1
        self.first_ = grow(self.first_, size, np.nan)
        self.last_ = grow(self.last_, size, np.nan)
        self.longest_ = grow(self.longest_, size, 0.0)
        fold_extreme(self.first_, user, time)
        self.count_ = bump_counts(self.count_, size, user)
        # Gaps that were flagged (or held back by the engine) are not a usual rhythm.
        keep = ~(view["flagged"] | held_back[rows])
        _, log_peak = peak_before(
            user.astype(np.int64),
            time,
            np.where(keep, view["gap"], 0.0),
            self.longest_[user],
            self.last_[user],
            self.memory,
        )
        self.longest_ = peak_fold(self.longest_, user, time, log_peak, self.memory)
        fold_extreme(self.last_, user, time, largest=True)

    def _learn_disabled(self, batch: EventBatch) -> None:
        disables = self._disable_rows(batch)
        if not len(disables):
            return
        target = batch.column("target_user")[disables].astype(np.int64)
        when = batch.time[disables]
        self.disabled_ = grow(self.disabled_, int(target.max()) + 1, np.nan)
        fold_extreme(self.disabled_, target, when, largest=True)

    def state(self) -> StateDict:
        return {
            "first": self.first_,
            "last": self.last_,
            "count": self.count_,
            "longest": self.longest_,
            "disabled": self.disabled_,
            "pending_user": self.pending_user_,
            "pending_at": self.pending_at_,
            "pending_key": self.pending_key_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.first_ = np.asarray(state["first"], dtype=np.float64)
        self.last_ = np.asarray(state["last"], dtype=np.float64)
        self.count_ = narrow_counts(state["count"])  # (float64 in older snapshots)
        self.longest_ = np.asarray(state["longest"], dtype=np.float64)
        # State saved before disables were tracked has none.
        self.disabled_ = np.asarray(state.get("disabled", np.empty(0)), dtype=np.float64)
        # State saved before revivals were tracked has none.
        self.pending_user_ = np.asarray(state.get("pending_user", np.empty(0)), dtype=np.int64)
        self.pending_at_ = np.asarray(state.get("pending_at", np.empty(0)), dtype=np.float64)
        # (round 22's first snapshots kept no kind: read as enables)
        key = state.get("pending_key", np.zeros(len(self.pending_user_), dtype=np.bool_))
        self.pending_key_ = np.asarray(key, dtype=np.bool_)
