"""An EC2 instance's role credentials mapping their own identity from a public address
(T1552.005, T1087.004).

EC2 hands an instance its role's credentials through the metadata service, and the role
session is named after the instance (``i-`` and 8 or 17 hex digits: the session name in the
ARN, which the CloudTrail parser makes the ``user``). A workload on the instance knows what it
is and what it may do: it calls the services its code needs. Asking "who am I" and "what may I
do" (``GetCallerIdentity``, ``ListAttachedRolePolicies``, ``GetAccountAuthorizationDetails``:
the identity-mapping calls of :data:`detectors.rare_api_call.SENSITIVE_APIS` and a role's own
policy reads) is what whoever
took the credentials off the instance does first (an SSRF reading
``/latest/meta-data/iam/security-credentials/ROLE``, GuardDuty's
``InstanceCredentialExfiltration``). Calls from a private address come through the VPC (the
instance itself, or an endpoint) and are not judged; ones from a public address are.

An instance session has no history of its own to learn (instances come and go, each a new
session name), and ``rare_api_call`` judges no principal in its first week, so nothing else
sees it. Points are ``points / (1 + n)`` with ``n`` the times the tenant's instance sessions
made this call before (learned, flagged rows excluded): an application whose instances all
call ``GetCallerIdentity`` at start is discounted by its own history. One such call is under
the alert bar (40); a second identity call of the same burst crosses it. State: one count per
API name ever called so, none in a tenant whose instances never do.

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Event
>>> start = datetime(2024, 1, 1, 3, tzinfo=UTC)
>>> def call(api, minute=0, ip="45.83.152.7", user="i-0e28ffa813db5c2b8"):
...     return Event(time=start + timedelta(minutes=minute), tenant="t",
...                  source_format="cloudtrail", action=Action.API_CALL, user=user,
...                  object=api, app="sts.amazonaws.com", src_ip=ip)
>>> builder, detector = BatchBuilder(), InstanceCredentials()
>>> signals = detector.score(builder.build([call("GetCallerIdentity"),
...     call("ListAttachedRolePolicies", 1), call("GetCallerIdentity", 2, ip="10.1.2.3"),
...     call("GetCallerIdentity", 3, user="alice")]), builder)
>>> signals.rows.tolist(), [round(float(p)) for p in signals.points]
([0, 1], [30, 30])
>>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
EC2 instance i-0e28ffa813db5c2b8's role credentials called GetCallerIdentity (maps identities
and permissions) from public address 45.83.152.7 (normal: the tenant's instance sessions made
this call 0 time(s) before)
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from detectors.base import CountTable, Signals, StateDict, group_order
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import value_mask
from detectors.rare_api_call import sensitivity
from detectors.registry import register
from schemas.event import Action

#: The role session name EC2 gives an instance profile's credentials: the instance id.
_INSTANCE_SESSION = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_MAPS_IDENTITIES = "maps identities and permissions"
#: What a role's own session asks to learn its permissions; ``SENSITIVE_APIS`` lists the user
#: forms (people's sessions read role policies in ordinary work, so it leaves these out).
_ROLE_POLICY_READS = frozenset({"listattachedrolepolicies", "listrolepolicies", "getrolepolicy"})
_API_CALLS = frozenset({Action.API_CALL})


def is_instance_session(user: str) -> bool:
    """Whether a principal is an EC2 instance profile's role session (named after the instance).

    >>> is_instance_session("i-0e28ffa813db5c2b8"), is_instance_session("i-1a2b3c4d")
    (True, True)
    >>> is_instance_session("alice"), is_instance_session("i-xyz")
    (False, False)
    """
    return _INSTANCE_SESSION.fullmatch(user) is not None


def maps_identities(api: str) -> bool:
    """Whether an API call asks who the caller is or what identities and permissions exist.

    >>> maps_identities("GetCallerIdentity"), maps_identities("ListAttachedRolePolicies")
    (True, True)
    >>> maps_identities("GetObject")
    False
    """
    name = api.rsplit(":", 1)[-1].rsplit(".", 1)[-1].lower()
    return name in _ROLE_POLICY_READS or sensitivity(api) == _MAPS_IDENTITIES


@register
class InstanceCredentials:
    """An EC2 instance's role credentials mapping identities from a public address."""

    name: ClassVar[str] = "instance_credentials"
    entity_kind: ClassVar[str] = "user"
    mitre: ClassVar[tuple[str, ...]] = ("T1552.005", "T1087.004")

    def __init__(self, *, points: float = 30.0) -> None:
        if not 0 < points <= 100:
            raise ValueError("instance_credentials: points must be in (0, 100]")
        self.points = points
        self.calls_ = CountTable(counts=("calls",))  # by API name id (ids are per tenant)

    def _calls(self, batch: EventBatch) -> Int64Array:
        """Rows of identity-mapping calls by an instance session from a public address."""
        rows = np.flatnonzero(
            batch.action_mask(_API_CALLS)
            & (batch.column("user") >= 0)
            & (batch.column("object") >= 0)
            # src_wide16 is -1 for private, special and unparsable addresses (addresses.py).
            & (batch.src_wide16 >= 0)
        )
        rows = rows[value_mask(batch, "user", rows, is_instance_session)]
        return rows[value_mask(batch, "object", rows, maps_identities)]

    def _before(self, keys: Int64Array) -> Int64Array:
        """Each API's learned count plus its earlier rows in the batch (batch = one by one)."""
        learned = self.calls_.lookup(keys)["calls"].astype(np.int64)
        return learned + group_order(keys)[0]

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows = self._calls(batch)
        if not len(rows):
            return signals
        apis = batch.column("object")[rows].astype(np.int64)
        before = self._before(apis)
        signals.rows = rows.astype(np.int64)
        signals.entity = batch.column("user")[rows].astype(np.int32)
        signals.points = (self.points / (1.0 + before)).astype(np.float64)
        for row, count in zip(rows.tolist(), before.tolist(), strict=True):
            event = batch.events[row]
            api = event.object
            signals.titles.append(
                f"EC2 instance {event.user}'s role credentials called {api} ({_MAPS_IDENTITIES}) "
                f"from public address {event.src_ip} (normal: the tenant's instance sessions "
                f"made this call {count} time(s) before)"
            )
            signals.observed.append(f"{api} by instance session {event.user} from {event.src_ip}")
            signals.baseline.append(f"{count} earlier {api} call(s) by the tenant's instances")
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        rows = self._calls(batch)
        rows = rows[~held_back[rows]]
        if len(rows):
            self.calls_.add("calls", batch.column("object")[rows].astype(np.int64))

    def state(self) -> StateDict:
        return self.calls_.state("calls_")

    def load_state(self, state: StateDict) -> None:
        self.calls_ = CountTable(counts=("calls",))
        if "calls_keys" in state:  # (a snapshot from before this detector has none)
            self.calls_.load_state(state, "calls_")
