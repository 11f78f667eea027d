"""Self-rotations of an access key: a new key created and the old one retired minutes later.

A credential policy (or a careful engineer) rotates an IAM user's access key in one sitting:
``CreateAccessKey`` for oneself, then ``UpdateAccessKey`` (old key -> Inactive) and/or
``DeleteAccessKey`` of one's own key, from the same address. An intruder who adds a key to keep
a way in (T1098.001) does not retire the victim's key: that breaks the victim's scripts and
tells them someone is there; a key created for *someone else* is never a rotation. So a
self-created key followed, within ``ROTATION_WINDOW`` seconds and from the same source
address, by the caller retiring a key of their own is a rotation, and its rows (the creation
and the retirements) are not findings for the key detectors (``privileged_action``,
``account_lifecycle``). What else the calls show (a new address, a new client) is still judged
by the detectors that watch those.

Only rows of one batch pair up: ``vigil detect`` reads a rotation's calls (about two minutes
apart) in one batch. A rotation split across two streaming batches is judged as before (the
creation scores as a key created for oneself): no pending state is kept.

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> t = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def call(seconds, verb, target="ann", ip="10.0.0.5"):
...     return Event(time=t + timedelta(seconds=seconds), tenant="t", source_format="cloudtrail",
...                  action=Action.ACCOUNT_CHANGE, user="ann", target_user=target, src_ip=ip,
...                  object=verb)
>>> batch = BatchBuilder().build(
...     [call(0, "access_key_created"), call(40, "access_key_deactivated"),
...      call(80, "access_key_deleted"), call(90, "access_key_created", target="bob")])
>>> key_rotations(batch).tolist()
[True, True, True, False]
>>> key_rotations(BatchBuilder().build([call(0, "access_key_created")])).tolist()
[False]
"""

from __future__ import annotations

import numpy as np

from detectors.batch import ACTION_CODE, BoolArray, EventBatch
from detectors.lateral import value_mask
from schemas.event import Action, Outcome

#: Seconds from the new key's creation within which retiring one's own key is the same
#: rotation (a person at a terminal takes one to three minutes; a script seconds).
ROTATION_WINDOW = 15 * 60.0
_CREATED = "access_key_created"
_RETIRED = frozenset({"access_key_deactivated", "access_key_deleted"})
# (module-level predicates: ``value_mask`` keeps their verdicts with the batch)
_is_created = frozenset({_CREATED}).__contains__
_is_retired = _RETIRED.__contains__


def key_rotations(batch: EventBatch) -> BoolArray:
    """Rows that belong to a completed self-rotation of an access key (computed once a batch)."""
    cached: BoolArray | None = batch.derived.get("key_rotations")
    if cached is None:
        cached = batch.derived["key_rotations"] = _key_rotations(batch)
    return cached


def _key_rotations(batch: EventBatch) -> BoolArray:
    marked = np.zeros(len(batch), dtype=np.bool_)
    user, target = batch.column("user"), batch.column("target_user")
    own = (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE]) & batch.outcome_is(Outcome.SUCCESS)
    own &= (user >= 0) & (user == target)
    rows = np.flatnonzero(own)
    if not len(rows):
        return marked
    created = value_mask(batch, "object", rows, _is_created)
    retired = value_mask(batch, "object", rows, _is_retired)
    if not created.any() or not retired.any():
        return marked
    src = batch.column("src_ip")[rows]
    time = batch.time[rows]
    who = user[rows]
    # Each creation against each retirement of the batch's own-key changes (both few).
    made, gone = np.flatnonzero(created), np.flatnonzero(retired)
    delay = time[gone][None, :] - time[made][:, None]
    pair = (who[made][:, None] == who[gone][None, :]) & (src[made][:, None] == src[gone][None, :])
    pair &= (src[made][:, None] >= 0) & (delay >= 0) & (delay <= ROTATION_WINDOW)
    marked[rows[made[pair.any(axis=1)]]] = True
    marked[rows[gone[pair.any(axis=0)]]] = True
    return marked


__all__ = ["ROTATION_WINDOW", "key_rotations"]
