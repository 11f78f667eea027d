"""Password guessing from inside a session: one account failing to switch to several others.

``su`` (and ``sudo -u``, ``pkexec --user``) asks for a password; an operator holding one
account's shell tries ``su`` to the host's service accounts and to colleagues' accounts with
guessed or found passwords, a few at a time (T1110.001), until one works (T1078.003). No sign-in
detector sees it: the failures are not logons, they come from no address, and each target fails
only once or twice. What stands out is the *spread*: an engineer who mistypes postgres' password
fails against one account; three or more distinct accounts within ``window_hours`` is guessing.

* A failed switch to a target new in the window, once the account has failed against
  ``min_targets`` or more distinct targets in it: ``points_per_target`` for the
  ``min_targets``-th, twice that for the next ... up to ``max_points``.
* A successful ``su`` within ``success_hours`` after such a spread: ``success_points`` (the
  guessing worked; another action than the failures, so it counts in full beside them).

State: for accounts with recent failed switches only, one (account, target, last failure) row
per pair, forgotten ``window_hours`` after its last failure (tiny, and nothing for accounts that
never fail to switch).

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event, Outcome
>>> t0 = datetime(2024, 5, 6, 20, tzinfo=UTC)
>>> def su(minutes, target, failed=True):
...     return Event(time=t0 + timedelta(minutes=minutes), tenant="t", source_format="syslog",
...                  action=Action.PRIVILEGE_USE, user="eve", target_user=target,
...                  dst_host="lnx-app01", app="su", event_id="su.failed" if failed else "su.to",
...                  outcome=Outcome.FAILURE if failed else Outcome.SUCCESS)
>>> builder, detector = BatchBuilder(), SwitchGuessing()
>>> batch = builder.build([su(0, "postgres"), su(4, "deploy"), su(9, "jenkins"),
...                        su(30, "backup", failed=False)])
>>> signals = detector.score(batch, builder)
>>> signals.rows.tolist(), signals.points.tolist()
([2, 3], [15.0, 40.0])
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'eve failed to switch to jenkins on lnx-app01 (su.failed): the 3rd account eve failed to
 switch to within 72 h (normal: a failed switch is to one account, mistyped)'
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._seconds import SECONDS, decode, encode, floor_seconds, stored_times
from detectors.base import Signals, StateDict
from detectors.batch import ACTION_CODE, BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.registry import register
from schemas.event import Action, Outcome

HOUR = 3600.0


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@register
class SwitchGuessing:
    name: ClassVar[str] = "switch_guessing"
    mitre: ClassVar[tuple[str, ...]] = ("T1110.001", "T1078.003")

    def __init__(
        self,
        *,
        window_hours: float = 72.0,
        min_targets: int = 3,
        points_per_target: float = 15.0,
        max_points: float = 60.0,
        success_hours: float = 24.0,
        success_points: float = 40.0,
    ) -> None:
        if window_hours <= 0 or success_hours <= 0 or min_targets < 2:
            raise ValueError("switch_guessing: windows > 0 and min_targets >= 2")
        self.window_seconds = window_hours * HOUR
        self.min_targets = min_targets
        self.points_per_target = points_per_target
        self.max_points = max_points
        self.success_seconds = success_hours * HOUR
        self.success_points = success_points
        # (account, target) pairs with a failed switch in the window, sorted; last failure
        self.tried_users_ = np.empty(0, dtype=np.int32)
        self.tried_targets_ = np.empty(0, dtype=np.int32)
        self.tried_last_ = np.empty(0, dtype=SECONDS)

    # -- which rows -----------------------------------------------------------------------------

    @staticmethod
    def _switches(batch: EventBatch) -> tuple[BoolArray, BoolArray]:
        """(failed switches, successful switches) to another named account."""
        user, target = batch.column("user"), batch.column("target_user")
        switch = batch.action == ACTION_CODE[Action.PRIVILEGE_USE]
        switch &= (user >= 0) & (target >= 0) & (user != target)
        failed: BoolArray = switch & batch.outcome_is(Outcome.FAILURE)
        succeeded: BoolArray = switch & batch.outcome_is(Outcome.SUCCESS)
        return failed, succeeded

    def _candidates(self, batch: EventBatch) -> tuple[Int64Array, BoolArray]:
        """Rows to judge, in batch order: failed switches, and successful ``su`` by accounts
        with a failed switch in the window (this batch's or remembered)."""
        failed, succeeded = self._switches(batch)
        if not len(batch) or not (failed.any() or len(self.tried_users_)):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
        user = batch.column("user")
        since = float(batch.time.min()) - self.window_seconds
        remembered = self.tried_users_[decode(self.tried_last_) >= since]
        failing = np.union1d(user[failed], remembered)
        succeeded &= np.isin(user, failing)
        rows = np.flatnonzero(succeeded)
        # Only su proves the target's password was known (sudo asks for one's own).
        su = [batch.events[int(r)].event_id.startswith("su.") for r in rows.tolist()]
        succeeded[rows] = np.asarray(su, dtype=np.bool_)
        rows = np.flatnonzero(failed | succeeded).astype(np.int64)
        return rows, failed[rows]

    def _remembered(self, users: np.ndarray) -> dict[int, dict[int, float]]:
        """Account -> target -> last failed switch, from state, for ``users``."""
        history: dict[int, dict[int, float]] = {int(u): {} for u in users.tolist()}
        keep = np.isin(self.tried_users_, users)
        last = decode(self.tried_last_[keep])
        for u, t, when in zip(
            self.tried_users_[keep].tolist(),
            self.tried_targets_[keep].tolist(),
            last.tolist(),
            strict=True,
        ):
            history[u][t] = when
        return history

    def _judge(self, batch: EventBatch) -> tuple[Int64Array, np.ndarray, np.ndarray, BoolArray]:
        """Flagged rows, the distinct targets failed in the window at each, its points, and
        which are successes. A loop over the few candidate rows only (failed switches are
        rare), with times floored to stored seconds so that a batch judges as its events one
        by one would."""
        rows, failed = self._candidates(batch)
        empty = np.empty(0)
        if not len(rows):
            return np.empty(0, dtype=np.int64), empty, empty, np.empty(0, dtype=np.bool_)
        user = batch.column("user")[rows]
        target = batch.column("target_user")[rows]
        times = floor_seconds(batch.time[rows])
        history = self._remembered(np.unique(user))
        flagged: list[int] = []
        spread: list[int] = []
        points: list[float] = []
        success: list[bool] = []
        for i, (u, tg, t, fail) in enumerate(
            zip(user.tolist(), target.tolist(), times.tolist(), failed.tolist(), strict=True)
        ):
            tried = history[u]
            if fail:
                new = tried.get(tg, -np.inf) < t - self.window_seconds
                tried[tg] = t
                distinct = sum(1 for when in tried.values() if when >= t - self.window_seconds)
                if new and distinct >= self.min_targets:
                    steps = distinct - self.min_targets + 1
                    flagged.append(i)
                    spread.append(distinct)
                    points.append(min(self.max_points, self.points_per_target * steps))
                    success.append(False)
                continue
            distinct = sum(1 for when in tried.values() if when >= t - self.success_seconds)
            if distinct >= self.min_targets:
                flagged.append(i)
                spread.append(distinct)
                points.append(self.success_points)
                success.append(True)
        picked = np.asarray(flagged, dtype=np.int64)
        return (
            rows[picked],
            np.asarray(spread, dtype=np.float64),
            np.asarray(points, dtype=np.float64),
            np.asarray(success, dtype=np.bool_),
        )

    # -- protocol --------------------------------------------------------------------------------

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, "user", self.mitre)
        rows, spread, points, success = self._judge(batch)
        if not len(rows):
            return signals
        signals.rows = rows
        signals.entity = batch.column("user")[rows].astype(np.int32)
        signals.points = points
        hours = self.window_seconds / HOUR
        for row, distinct, ok in zip(rows.tolist(), spread.tolist(), success.tolist(), strict=True):
            event = batch.events[row]
            where = f" on {event.dst_host}" if event.dst_host else ""
            source = f" ({event.event_id})" if event.event_id else ""
            if ok:
                title = (
                    f"{event.user} switched to {event.target_user}{where}{source} after failing "
                    f"to switch to {int(distinct)} accounts (normal: no failed switches before "
                    "a su)"
                )
                observed = f"su to {event.target_user} after {int(distinct)} failed accounts"
                signals.actions.append("success")
                signals.row_mitre.append(("T1078.003",))
            else:
                title = (
                    f"{event.user} failed to switch to {event.target_user}{where}{source}: the "
                    f"{_ordinal(int(distinct))} account {event.user} failed to switch to within "
                    f"{hours:.0f} h (normal: a failed switch is to one account, mistyped)"
                )
                observed = f"{int(distinct)} accounts failed to switch to in {hours:.0f} h"
                signals.actions.append("guess")
                signals.row_mitre.append(("T1110.001",))
            signals.titles.append(title)
            signals.observed.append(observed)
            signals.baseline.append("failed switches to at most one account at a time")
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        """Remember every failed switch (facts, not behaviour to get used to: held-back rows
        too) and forget pairs whose last failure left the window."""
        failed, _ = self._switches(batch)
        rows = np.flatnonzero(failed)
        users = np.concatenate([self.tried_users_, batch.column("user")[rows]]).astype(np.int32)
        targets = np.concatenate([self.tried_targets_, batch.column("target_user")[rows]]).astype(
            np.int32
        )
        last = np.concatenate([self.tried_last_, encode(batch.time[rows])]).astype(SECONDS)
        if not len(users):
            return
        newest = float(batch.time.max()) if len(batch) else float(decode(last).max())
        order = np.lexsort((last, targets, users))
        users, targets, last = users[order], targets[order], last[order]
        # the latest row of each pair (sorted by time within it), still inside the window
        final = np.ones(len(users), dtype=np.bool_)
        final[:-1] = (users[1:] != users[:-1]) | (targets[1:] != targets[:-1])
        final &= decode(last) >= newest - self.window_seconds
        self.tried_users_ = users[final]
        self.tried_targets_ = targets[final]
        self.tried_last_ = last[final]

    def state(self) -> StateDict:
        return {
            "tried_users": self.tried_users_,
            "tried_targets": self.tried_targets_,
            "tried_last": self.tried_last_,
        }

    def load_state(self, state: StateDict) -> None:
        self.tried_users_ = np.asarray(state.get("tried_users", np.empty(0)), dtype=np.int32)
        self.tried_targets_ = np.asarray(state.get("tried_targets", np.empty(0)), dtype=np.int32)
        self.tried_last_ = stored_times(state.get("tried_last", np.empty(0, dtype=SECONDS)))


__all__ = ["SwitchGuessing"]
