"""Where a user signs in from, over time: impossible travel and concurrent distant sources.

* ``impossible_travel`` - two successful sign-ins of one user from different countries closer
  in time than ``min_travel_hours`` (no flight gets you there that fast; a VPN or a second party
  does). Needs geo on the events (Okta, Entra, CloudTrail enrichments carry ``country``).
* ``concurrent_sources`` - one user active from two external networks in different /16 ranges
  within ``window_minutes``: the user and someone else at the same time.

Both compare consecutive sign-ins of the same user, so batch scoring equals one-by-one scoring
by construction (the previous sign-in is the previous row of the user in the batch, or the
stored last one). Points are moderate: a new country alone is ``rare_country``'s business.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._decay import previous_in_group
from detectors.base import Signals, StateDict, batch_view, changes_state, gather, grow
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.registry import register
from schemas.event import Action, Outcome

HOUR = 3600.0
SIGN_INS = frozenset({Action.LOGON, Action.AUTH_TICKET, Action.API_CALL})


class _Consecutive:
    """Compares each sign-in of a user with that user's previous one carrying ``column``."""

    name: ClassVar[str] = "consecutive"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    entity_kind: ClassVar[str] = "user"
    column: ClassVar[str] = "country"

    def __init__(self, *, window_hours: float, points: float) -> None:
        if window_hours <= 0 or not 0 < points <= 100:
            raise ValueError(f"{self.name}: window > 0 and 0 < points <= 100 required")
        self.window = window_hours * HOUR
        self.points = points
        self.last_value_ = np.empty(0, dtype=np.int64)  # previous value id (-1 = none)
        self.last_time_ = np.empty(0, dtype=np.float64)  # its time (NaN = none)

    def _values(self, batch: EventBatch, rows: Int64Array) -> Int64Array:
        return batch.column(self.column)[rows].astype(np.int64)

    def _rows(self, batch: EventBatch) -> Int64Array:
        mask = batch.action_mask(SIGN_INS) & batch.outcome_is(Outcome.SUCCESS)
        mask &= (batch.column("user") >= 0) & (batch.column(self.column) >= 0)
        return np.flatnonzero(mask).astype(np.int64)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows = self._rows(batch)
        values = self._values(batch, rows)
        keep = values >= 0
        rows, values = rows[keep], values[keep]
        user = batch.column("user")[rows]
        time = batch.time[rows]
        size = int(user.max()) + 1 if len(rows) else 0
        previous = previous_in_group(user.astype(np.int64))
        has_previous = previous >= 0
        index = np.maximum(previous, 0)
        previous_value = np.where(
            has_previous, values[index], gather(self.last_value_, size, -1, user)
        )
        previous_time = np.where(
            has_previous, time[index], gather(self.last_time_, size, np.nan, user)
        )
        elapsed = time - previous_time
        changed = (previous_value >= 0) & (previous_value != values)
        flagged = changed & (elapsed < self.window)
        return {
            "rows": rows,
            "user": user,
            "time": time,
            "values": values,
            "previous_value": previous_value,
            "elapsed": elapsed,
            "flagged": flagged,
        }

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
            points=np.full(int(flagged.sum()), self.points),
            mitre=self.mitre,
        )
        users = builder.vocab["user"]
        for index in range(len(signals)):
            who = users.value(int(signals.entity[index]))
            now = self._label(builder, int(view["values"][flagged][index]))
            before = self._label(builder, int(view["previous_value"][flagged][index]))
            minutes = float(view["elapsed"][flagged][index]) / 60.0
            signals.titles.append(self.title(who, before, now, minutes))
            signals.observed.append(f"{who} from {before} and {now}")
            signals.baseline.append(
                f"{minutes:.0f} minutes apart; plausible only after "
                f"{self.window / 60.0:.0f} minutes or more"
            )
        return signals

    def _label(self, builder: BatchBuilder, value: int) -> str:
        return builder.vocab["country"].value(value)

    def title(self, who: str, before: str, now: str, minutes: float) -> str:
        return f"{who} {before} -> {now} in {minutes:.0f} minutes"

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        user, time, values = view["user"], view["time"], view["values"]
        size = int(user.max()) + 1
        self.last_value_ = grow(self.last_value_, size, -1)
        self.last_time_ = grow(self.last_time_, size, np.nan)
        # The last row of each user (rows are time-ordered; later rows overwrite earlier).
        self.last_value_[user] = values
        self.last_time_[user] = time
        _ = held_back  # where a user is is a fact, not a baseline: nothing to hold back

    def state(self) -> StateDict:
        return {"last_value": self.last_value_, "last_time": self.last_time_}

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.last_value_ = np.asarray(state["last_value"], dtype=np.int64)
        self.last_time_ = np.asarray(state["last_time"], dtype=np.float64)


@register
class ImpossibleTravel(_Consecutive):
    """Sign-ins from two countries closer in time than any journey between them.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(minutes, country):
    ...     return Event(time=start + timedelta(minutes=minutes), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user="alice", src_ip="192.0.2.1", country=country)
    >>> builder, detector = BatchBuilder(), ImpossibleTravel()
    >>> signals = detector.score(builder.build([logon(0, "NL"), logon(40, "US")]), builder)
    >>> signals.titles, signals.points.tolist()  # doctest: +NORMALIZE_WHITESPACE
    (['alice signed in from US 40 minutes after signing in from NL
      (normal: no sign-in from another country within 2 hours)'], [30.0])
    """

    name: ClassVar[str] = "impossible_travel"
    mitre: ClassVar[tuple[str, ...]] = ("T1078", "T1078.004")
    column: ClassVar[str] = "country"

    def __init__(self, *, min_travel_hours: float = 2.0, points: float = 30.0) -> None:
        super().__init__(window_hours=min_travel_hours, points=points)

    def title(self, who: str, before: str, now: str, minutes: float) -> str:
        return (
            f"{who} signed in from {now} {minutes:.0f} minutes after signing in from {before} "
            f"(normal: no sign-in from another country within {self.window / HOUR:.0f} hours)"
        )


@register
class ConcurrentSources(_Consecutive):
    """One user active from two external networks (different /16) within minutes.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def logon(minutes, ip):
    ...     return Event(time=start + timedelta(minutes=minutes), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user="alice", src_ip=ip)
    >>> builder, detector = BatchBuilder(), ConcurrentSources()
    >>> events = [logon(0, "81.2.69.1"), logon(3, "10.1.1.1"), logon(5, "94.142.0.9")]
    >>> [round(float(p)) for p in detector.score(builder.build(events), builder).points]
    [20]
    """

    name: ClassVar[str] = "concurrent_sources"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    column: ClassVar[str] = "src_ip"

    def __init__(self, *, window_minutes: float = 10.0, points: float = 20.0) -> None:
        super().__init__(window_hours=window_minutes / 60.0, points=points)

    def _values(self, batch: EventBatch, rows: Int64Array) -> Int64Array:
        """The /16 of public source addresses as a small integer (-1 for private ones)."""
        result: Int64Array = batch.src_wide16[rows]
        return result

    def _label(self, builder: BatchBuilder, value: int) -> str:
        if value >= 1 << 32:
            return f"IPv6 network {value - (1 << 32):x}::/32"
        return f"{value >> 24}.{(value >> 16) & 0xFF}.0.0/16"

    def title(self, who: str, before: str, now: str, minutes: float) -> str:
        return (
            f"{who} was active from {now} {minutes:.0f} minutes after activity from {before} "
            f"(normal: one external network at a time, "
            f"{self.window / 60.0:.0f} minutes apart at least)"
        )
