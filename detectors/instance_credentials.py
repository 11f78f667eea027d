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
sees it. Points are ``points / (1 + n)`` with ``n`` the distinct earlier days (UTC) on which
the tenant's instance sessions made this call from the same network (/24), each within
``habit_days`` of the one before: a fleet whose instances ask who they are every day through
their NAT gateway's address is discounted by its own habit within days, while intrusions from
somewhere else, or weeks apart, are each news. Every sighting counts, flagged or not, so the
count never depends on what was flagged. One such call is under the alert bar (40); a second
identity call of the same burst crosses it. State: per (API, network) ever seen so, a day
count and the latest day; none in a tenant whose instances never do.

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
this call from its network on 0 earlier day(s))
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from detectors.base import CountTable, Signals, StateDict, pair_keys
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
DAY = 86_400.0


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

    def __init__(self, *, points: float = 30.0, habit_days: float = 14.0) -> None:
        if not 0 < points <= 100 or habit_days <= 0:
            raise ValueError("instance_credentials: points in (0, 100], habit_days > 0")
        self.points = points
        self.habit_days = habit_days
        # By pair_keys(API, network) ids (per tenant): days seen in the habit, the latest day.
        self.calls_ = CountTable(counts=("days",), days=("last",))

    def _calls(self, batch: EventBatch) -> Int64Array:
        """Rows of identity-mapping calls by an instance session from a public address."""
        rows = np.flatnonzero(
            batch.action_mask(_API_CALLS)
            & (batch.column("user") >= 0)
            & (batch.column("object") >= 0)
            & (batch.column("src_net") >= 0)
            # src_wide16 is -1 for private, special and unparsable addresses (addresses.py).
            & (batch.src_wide16 >= 0)
        )
        rows = rows[value_mask(batch, "user", rows, is_instance_session)]
        return rows[value_mask(batch, "object", rows, maps_identities)]

    @staticmethod
    def _keys(batch: EventBatch, rows: Int64Array) -> Int64Array:
        """The habit's key per row: (API name, source network)."""
        return pair_keys(batch.column("object")[rows], batch.column("src_net")[rows])

    def _days(self, keys: Int64Array, days: Int64Array) -> tuple[Int64Array, dict[str, np.ndarray]]:
        """Per row: the habit's distinct earlier days (state, then the batch's earlier days: a
        batch scores as its rows one by one); and the state after the batch per distinct key.

        The loop runs over the distinct (API, day) pairs of the batch's instance-session
        identity calls (a handful), never over events."""
        pairs, inverse = np.unique(np.stack([keys, days], axis=1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        stored = self.calls_.lookup(pairs[:, 0])
        count: dict[int, int] = {}
        last: dict[int, float] = {}
        before = np.zeros(len(pairs), dtype=np.int64)
        for index, (key, day) in enumerate(pairs.tolist()):
            if key not in count:
                count[key], last[key] = int(stored["days"][index]), float(stored["last"][index])
            if day == last[key]:  # (today already counted)
                before[index] = count[key] - 1
                continue
            if np.isnan(last[key]) or day - last[key] > self.habit_days:
                count[key] = 0  # never seen, or the habit lapsed: news again
            before[index] = count[key]
            count[key] += 1
            last[key] = day
        distinct = np.array(sorted(count), dtype=np.int64)
        after = {
            "keys": distinct,
            "days": np.array([count[k] for k in distinct.tolist()], dtype=np.int64),
            "last": np.array([last[k] for k in distinct.tolist()], dtype=np.int64),
        }
        return before[inverse], after

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows = self._calls(batch)
        if not len(rows):
            return signals
        before, _ = self._days(
            self._keys(batch, rows), np.floor(batch.time[rows] / DAY).astype(np.int64)
        )
        signals.rows = rows.astype(np.int64)
        signals.entity = batch.column("user")[rows].astype(np.int32)
        signals.points = (self.points / (1.0 + before)).astype(np.float64)
        for row, count in zip(rows.tolist(), before.tolist(), strict=True):
            event = batch.events[row]
            api = event.object
            signals.titles.append(
                f"EC2 instance {event.user}'s role credentials called {api} ({_MAPS_IDENTITIES}) "
                f"from public address {event.src_ip} (normal: the tenant's instance sessions "
                f"made this call from its network on {count} earlier day(s))"
            )
            signals.observed.append(f"{api} by instance session {event.user} from {event.src_ip}")
            signals.baseline.append(
                f"{api} by the tenant's instances from this network on {count} earlier day(s)"
            )
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        # Every sighting, flagged or not (held_back ignored): the habit is what the fleet does.
        rows = self._calls(batch)
        if not len(rows):
            return
        _, after = self._days(
            self._keys(batch, rows), np.floor(batch.time[rows] / DAY).astype(np.int64)
        )
        # (set, not added: a lapsed habit's count starts over)
        self.calls_.assign(after["keys"], days=after["days"], last=after["last"])

    def state(self) -> StateDict:
        return self.calls_.state("calls_")

    def load_state(self, state: StateDict) -> None:
        self.calls_ = CountTable(counts=("days",), days=("last",))
        if "calls_keys" in state:  # (a snapshot from before this detector has none)
            self.calls_.load_state(state, "calls_")
