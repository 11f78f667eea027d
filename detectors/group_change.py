"""Membership changes of sensitive groups, and rarity of who performs group changes at all.

Adding an account to Domain Admins, Administrators, ``wheel``/``sudo`` or attaching an admin
policy in the cloud (the parsers set ``privileged`` on such GROUP_CHANGE / POLICY_CHANGE events)
is what an attacker does first with a foothold. It is a strong signal on its own when the actor
never does group changes, a weak one when the actor is an admin who does them routinely. Any
group change by a mature user who never makes them is flagged too, weighed by how many users do
group changes. When the source does not name the actor (``usermod`` in syslog), the member who
gained the membership is the entity.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def ev(day, user, action=Action.LOGON, **kw):
...     return Event(time=start + timedelta(days=day, minutes=len(user)), tenant="t",
...                  source_format="test", action=action, user=user, **kw)
>>> history = [ev(d, u) for d in range(20) for u in ("alice", "bob", "carol")]
>>> builder, detector = BatchBuilder(), GroupChange(learning_days=7, min_events=10)
>>> batch = builder.build(history)
>>> detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
>>> add = ev(21, "bob", Action.GROUP_CHANGE, target_user="mallory", object="Domain Admins",
...          privileged=True, reason="added")
>>> signals = detector.score(builder.build([add]), builder)
>>> round(float(signals.points[0]))
71
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'bob added mallory to sensitive group Domain Admins; bob has made no group change in 21 days
 of activity (20 events) and 0 of 3 users make group changes'
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors.batch import (
    ACTION_CODE,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
    IntArray,
)
from detectors.privileged_action import (
    DAY,
    Features,
    RarityDetector,
    baseline_text,
    rarity_weight,
)
from detectors.registry import register
from schemas.event import Action, Event, Outcome
from schemas.parsers.cloudtrail import OUTSIDE_REASONS

_CHANGES = frozenset({Action.GROUP_CHANGE, Action.POLICY_CHANGE})
#: The kind code of a privileged permission change (0: group changes, ordinary policy changes).
_GRANT = 1
#: The Windows event of a directory object's attribute modified (read by ``_ds_change``).
_DIRECTORY_CHANGE = "5136"
#: CloudTrail's role trust policy rewrite (privileged when it trusts an outside account).
_TRUST_CHANGE = "UpdateAssumeRolePolicy"
#: A directory operation (4662) the parser reports as a privileged policy change only when it
#: used a replication right on the domain object (DCSync's evidence).
_DIRECTORY_OPERATION = "4662"


def _replication(event: Event) -> bool:
    return event.event_id == _DIRECTORY_OPERATION and event.object.startswith("DS-Replication-")


@register
class GroupChange(RarityDetector):
    """Sensitive-group / admin-policy grants and group changes by users who never make them.

    Points for a sensitive grant: ``(sensitive_base + sensitive_span * m * (1 - p)) * r`` where
    ``m`` is 1 for an actor past its learning period (0.35 before), ``p`` the share of users who
    make group changes and ``r`` falls from 1 (never) to ~0 (routine) with the actor's decayed
    count of group changes. Ordinary group changes get ``ordinary_max * m * (1 - p) * r`` with
    ``r`` over every earlier change of the actor, flagged ones included (ten team-group adds are
    one finding; what is learned is unchanged); removals count half. Ordinary (non-admin)
    policy changes only teach the baseline.
    """

    name: ClassVar[str] = "group_change"
    mitre: ClassVar[tuple[str, ...]] = ("T1098", "T1098.003", "T1078.002", "T1484")

    def __init__(
        self,
        *,
        sensitive_base: float = 35.0,
        sensitive_span: float = 45.0,
        ordinary_max: float = 30.0,
        immature_weight: float = 0.35,
        **kwargs: float,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if min(sensitive_base, sensitive_span, ordinary_max, immature_weight) < 0:
            raise ValueError("group_change: weights must be >= 0")
        self.sensitive_base = sensitive_base
        self.sensitive_span = sensitive_span
        self.ordinary_max = ordinary_max
        self.immature_weight = immature_weight

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        mask = batch.action_mask(_CHANGES) & batch.outcome_is(Outcome.SUCCESS)
        actor = batch.column("user")
        member = batch.column("target_user")
        entity = np.where(actor >= 0, actor, member)
        mask &= entity >= 0
        rows = np.flatnonzero(mask).astype(np.int64)
        # Two kinds (who performs them is what is rare): group changes, and rights granted in
        # the directory by rewriting an object (a 5136: its ACL, a GPO's file path, a
        # delegation, shadow credentials). The identity admin who adds people to groups every
        # day has never edited AdminSDHolder's ACL (T1098 persistence): that habit is not this
        # one. (Cloud admin policies stay with group changes: see README round 15.)
        grant = (batch.action[rows] == ACTION_CODE[Action.POLICY_CHANGE]) & batch.privileged[rows]
        for i in np.flatnonzero(grant).tolist():
            grant[i] = batch.events[int(rows[i])].event_id == _DIRECTORY_CHANGE
        return rows, entity[rows].astype(np.int32), np.where(grant, _GRANT, 0).astype(np.int64)

    def _extra(self, batch: EventBatch, rows: Int64Array) -> Features:
        group = batch.action[rows] == ACTION_CODE[Action.GROUP_CHANGE]
        removed = np.fromiter(
            (batch.events[r].reason == "removed" for r in rows.tolist()),
            dtype=np.bool_,
            count=len(rows),
        )
        return {"sensitive": batch.privileged[rows], "group": group, "removed": removed}

    def _points(self, count: FloatArray, feats: Features) -> FloatArray:
        # An ordinary change counts every earlier change of the actor, flagged ones included:
        # an identity admin adding ten people to team groups is one finding, and the same work
        # a week later is not "no group change" again. What is learned does not change (see
        # _holds), so a first sensitive grant by that admin is as strong as before.
        return self._scaled(count, np.maximum(count, feats["seen_before"]), feats)

    def _holds(self, count: FloatArray, feats: Features, points: FloatArray) -> BoolArray:
        # Held back as if every change were judged on the learned count alone: discounting the
        # report of a repeated ordinary change must not teach the baseline that changes are
        # routine (a slow attacker's ordinary changes would then hide a sensitive grant).
        held: BoolArray = self._clip(self._scaled(count, count, feats)) >= self.hold_points
        return held

    def _scaled(self, count: FloatArray, ordinary_count: FloatArray, feats: Features) -> FloatArray:
        maturity = np.where(feats["mature"], 1.0, self.immature_weight)
        share = (feats["users_of_kind"] + 1.0) / (feats["population"] + 2.0)
        rare_actor = maturity * (1.0 - np.minimum(share, 1.0))
        sensitive = self.sensitive_base + self.sensitive_span * rare_actor
        ordinary = np.where(feats["group"], self.ordinary_max * rare_actor, 0.0)
        points = np.where(
            feats["sensitive"],
            sensitive * rarity_weight(count),
            ordinary * rarity_weight(ordinary_count),
        )
        result: FloatArray = np.where(feats["removed"], 0.5 * points, points)
        return result

    def _describe(
        self, batch: EventBatch, builder: BatchBuilder, row: int, who: str, feats: Features, i: int
    ) -> tuple[str, str, str]:
        event = batch.events[row]
        member = event.target_user or "an account"
        target = event.object or "a group"
        if event.action is Action.POLICY_CHANGE and "write access granted to" in event.reason:
            # A file permission change (4670) that opened the object to everyone.
            what = f"changed the permissions of {target} ({event.reason})"
        elif event.action is Action.POLICY_CHANGE and event.event_id == _DIRECTORY_CHANGE:
            # A directory object's attribute rewritten (its ACL, a GPO's file path ...).
            owner = event.target_user or event.device  # a user's or computer's object
            what = f"changed directory attribute {target}" + (f" of {owner}" if owner else "")
        elif event.action is Action.POLICY_CHANGE and event.event_id == _TRUST_CHANGE:
            # A role's trust policy now lets a principal outside the account assume it.
            role = target.partition(":")[2] or event.target_user or "a role"
            what = f"opened role {role}'s trust policy to {event.reason or 'an outside account'}"
        elif event.action is Action.POLICY_CHANGE and event.reason.startswith(OUTSIDE_REASONS):
            # A resource policy (bucket, key, secret, function) now lets an outside account in.
            resource = target.partition(":")[2] or target
            what = f"opened {resource}'s resource policy to {event.reason} ({event.event_id})"
        elif event.action is Action.POLICY_CHANGE and _replication(event):
            # Replication rights used from an account's session: what DCSync does. Nothing was
            # granted; the title says what the DC saw (round 26: it read "granted admin
            # policy DS-Replication-Get-Changes").
            where = event.dst_host or "a domain controller"
            what = (
                f"pulled directory changes with replication right {target} on {where} "
                "(DCSync's request; normally only domain controllers replicate)"
            )
        elif event.action is Action.POLICY_CHANGE:
            what = f"granted admin policy {target}" + (
                f" to {event.target_user}" if event.target_user else ""
            )
        else:
            verb = "removed" if event.reason == "removed" else "added"
            prep = "from" if verb == "removed" else "to"
            kind = "sensitive group" if event.privileged else "group"
            what = f"{verb} {member} {prep} {kind} {target}"
        actor = who if event.user else f"(actor not logged; member {who})"
        days = (float(feats["time"][i]) - float(feats["first_seen"][i])) / DAY
        count = float(feats["count"][i])
        noun = "permission grant" if int(feats["kind"][i]) == _GRANT else "group change"
        habit = (
            f"has made no {noun}" if count < 0.05 else f"has made ~{count:.1f} {noun}s (decayed)"
        )
        title = (
            f"{actor} {what}; {who} {habit} in {days:.0f} days of activity "
            f"({int(feats['count_before'][i])} events) and {int(feats['users_of_kind'][i])} of "
            f"{int(feats['population'][i])} users make {noun}s"
        )
        return title, f"{what}", baseline_text(who, feats, i, f"{noun}s")

    def _techniques(self, event: Event, feats: Features, i: int) -> tuple[str, ...]:
        # An admin policy attached in the cloud is T1098.003; a group grant is T1098, and a
        # sensitive group (Domain Admins, wheel) makes the member a privileged valid account.
        if event.action is Action.POLICY_CHANGE and _replication(event):
            return ("T1003.006",)  # OS credential dumping: DCSync
        if event.action is Action.POLICY_CHANGE:
            return ("T1098.003",)
        return ("T1098", "T1078.002") if event.privileged else ("T1098",)


__all__ = ["GroupChange"]
