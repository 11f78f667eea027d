"""An account's authentication weakened: a flag turned on that makes its password crackable
offline or its tickets delegable (T1558.004, T1098).

A user account change (4738) names the ``userAccountControl`` flags it turned on; the parser
keeps, in ``reason``, those that weaken the account: "do not require Kerberos pre-authentication"
(anyone may then ask the DC for a TGT encrypted with the account's password and crack it
offline: targeted AS-REP roasting, by whoever holds write rights over the account), "password
not required", "store password using reversible encryption", "use DES key only", and the two
delegation flags (the account's tickets usable on its behalf elsewhere). Directory
administration turns none of them on in its work: each is a question of its own, and the one who
made the change is the entity (the account changed is named in the title).

Points are ``points / (1 + n)`` with ``n`` the weakening changes this account has made before
(learned, flagged rows excluded): an administrator who really keeps legacy Kerberos clients
working is discounted by their own history, not by other people's. State: one count per account
that ever made such a change, none in a tenant where it never happens.

>>> from datetime import UTC, datetime
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> change = Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="t", source_format="x",
...                action=Action.ACCOUNT_CHANGE, user="jsmith", target_user="aturner",
...                object="changed", reason="dont_require_preauth", dst_host="dc01")
>>> builder, detector = BatchBuilder(), AccountControl()
>>> signals = detector.score(builder.build([change]), builder)
>>> round(float(signals.points[0])), signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
(70, "jsmith turned on 'do not require Kerberos pre-authentication' on aturner's account
 (on dc01; an AS-REP roastable account: its password can be cracked offline) (normal: jsmith
 made 0 such change(s) before)")
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors.base import CountTable, Signals, StateDict, group_order
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import value_mask
from detectors.registry import register
from schemas.event import Action

#: The parser's names for the weakening flags (``schemas.parsers.windows.uac_weakened``), as
#: the title says them and what each makes possible.
FLAGS: dict[str, tuple[str, str]] = {
    "dont_require_preauth": (
        "do not require Kerberos pre-authentication",
        "an AS-REP roastable account: its password can be cracked offline",
    ),
    "password_not_required": ("password not required", "the account may have no password"),
    "reversible_encryption": (
        "store password using reversible encryption",
        "its password becomes readable from the directory",
    ),
    "des_only": ("use DES key only", "its tickets use a key cracked in hours"),
    "trusted_for_delegation": (
        "trusted for delegation",
        "tickets sent to it can be used for anyone, anywhere",
    ),
    "trusted_to_auth_for_delegation": (
        "trusted to authenticate for delegation",
        "it can ask tickets for anyone to its services",
    ),
}
_CHANGE = frozenset({Action.ACCOUNT_CHANGE})


def _is_change(verb: str) -> bool:
    return verb == "changed"


@register
class AccountControl:
    """Weakening account flags turned on, discounted by the changer's own history."""

    name: ClassVar[str] = "account_control"
    entity_kind: ClassVar[str] = "user"
    mitre: ClassVar[tuple[str, ...]] = ("T1558.004", "T1098")

    def __init__(self, *, points: float = 70.0) -> None:
        if not 0 < points <= 100:
            raise ValueError("account_control: points must be in (0, 100]")
        self.points = points
        self.changes_ = CountTable(counts=("changes",))  # by the changing user's id

    def _weakening(self, batch: EventBatch) -> Int64Array:
        """Rows of user account changes by a known account that turned a weakening flag on."""
        rows = np.flatnonzero(
            batch.action_mask(_CHANGE) & (batch.column("user") >= 0) & (batch.column("object") >= 0)
        )
        rows = rows[value_mask(batch, "object", rows, _is_change)]
        # (4738s are rare: the few left are read from their events)
        keep = [any(f in FLAGS for f in batch.events[r].reason.split(",")) for r in rows.tolist()]
        return rows[np.asarray(keep, dtype=np.bool_)] if len(rows) else rows

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows = self._weakening(batch)
        if not len(rows):
            return signals
        users = batch.column("user")[rows].astype(np.int64)
        before = self.changes_.lookup(users)["changes"].astype(np.int64) + group_order(users)[0]
        signals.rows = rows.astype(np.int64)
        signals.entity = users.astype(np.int32)
        signals.points = (self.points / (1.0 + before)).astype(np.float64)
        for row, count in zip(rows.tolist(), before.tolist(), strict=True):
            event = batch.events[row]
            flags = [f for f in event.reason.split(",") if f in FLAGS]
            what = " and ".join(f"'{FLAGS[f][0]}'" for f in flags)
            why = "; ".join(FLAGS[f][1] for f in flags)
            target = event.target_user or "an"
            where = f"on {event.dst_host}; " if event.dst_host else ""
            signals.titles.append(
                f"{event.user} turned on {what} on {target}'s account ({where}{why}) "
                f"(normal: {event.user} made {count} such change(s) before)"
            )
            signals.observed.append(f"{event.user} -> {target}: {', '.join(flags)}")
            signals.baseline.append(f"{count} earlier weakening change(s) by {event.user}")
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        rows = self._weakening(batch)
        rows = rows[~held_back[rows]]
        if len(rows):
            self.changes_.add("changes", batch.column("user")[rows].astype(np.int64))

    def state(self) -> StateDict:
        return self.changes_.state("changes_")

    def load_state(self, state: StateDict) -> None:
        self.changes_ = CountTable(counts=("changes",))
        if "changes_keys" in state:  # (a snapshot from before this detector has none)
            self.changes_.load_state(state, "changes_")
