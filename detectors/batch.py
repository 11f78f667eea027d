"""Columnar event batches: the shape every detector scores and learns from.

Strings are interned to dense ``int32`` ids per kind (users, hosts, IPs, ...) so that detectors
work on numpy arrays only. Ids are scoped by tenant: ``acme/alice`` and ``globex/alice`` are
different entities, which is what keeps one tenant's baselines out of another's alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from schemas.event import Action, Event, Outcome
from schemas.normalise import network_of

ACTIONS: tuple[Action, ...] = tuple(Action)
ACTION_CODE: dict[Action, int] = {action: code for code, action in enumerate(ACTIONS)}
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
OUTCOME_CODE: dict[Outcome, int] = {outcome: code for code, outcome in enumerate(OUTCOMES)}

#: Interned string columns and the vocabulary (kind) each one uses.
COLUMN_KINDS: dict[str, str] = {
    "user": "user",
    "target_user": "user",
    "src_ip": "ip",
    "src_net": "net",
    "src_host": "host",
    "dst_host": "host",
    "user_agent": "ua",
    "country": "country",
    "asn": "asn",
    "device": "device",
    "object": "object",
    "logon_type": "logon_type",
    "app": "app",
    "auth_protocol": "auth",
}
KINDS: tuple[str, ...] = tuple(dict.fromkeys(COLUMN_KINDS.values()))
SEPARATOR = "\x1f"

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int64Array = npt.NDArray[np.int64]


class Vocabulary:
    """Dense ids for strings of one kind; ``-1`` is "no value".

    >>> v = Vocabulary()
    >>> v.intern("acme", "alice"), v.intern("acme", "bob"), v.intern("acme", "alice")
    (0, 1, 0)
    >>> v.intern("acme", ""), v.value(1), v.tenant_of(1), len(v)
    (-1, 'bob', 'acme', 2)
    """

    __slots__ = ("ids", "keys")

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self.keys: list[str] = list(keys)
        self.ids: dict[str, int] = {key: index for index, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def intern(self, tenant: str, value: str) -> int:
        if not value:
            return -1
        key = tenant + SEPARATOR + value
        found = self.ids.get(key)
        if found is None:
            found = len(self.keys)
            self.ids[key] = found
            self.keys.append(key)
        return found

    def value(self, index: int) -> str:
        """The original string of an id (without its tenant)."""
        if index < 0:
            return ""
        return self.keys[index].split(SEPARATOR, 1)[1]

    def tenant_of(self, index: int) -> str:
        return self.keys[index].split(SEPARATOR, 1)[0]


@dataclass(frozen=True)
class EventBatch:
    """A time-ordered batch of events as parallel numpy columns (``-1`` = absent)."""

    events: Sequence[Event]
    time: FloatArray
    tenant: IntArray
    action: npt.NDArray[np.int8]
    outcome: npt.NDArray[np.int8]
    privileged: BoolArray
    columns: dict[str, IntArray]
    #: Per-batch results several detectors derive alike (computed once, read by all).
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.events)

    def column(self, name: str) -> IntArray:
        return self.columns[name]

    def action_mask(self, actions: frozenset[Action]) -> BoolArray:
        codes = np.fromiter((ACTION_CODE[a] for a in actions), dtype=np.int8)
        mask: BoolArray = np.isin(self.action, codes)
        return mask

    def outcome_is(self, outcome: Outcome) -> BoolArray:
        return np.equal(self.outcome, OUTCOME_CODE[outcome])


class BatchBuilder:
    """Interns events into :class:`EventBatch` columns; owns the vocabularies."""

    def __init__(self, vocabularies: dict[str, Vocabulary] | None = None) -> None:
        self.vocab: dict[str, Vocabulary] = vocabularies or {kind: Vocabulary() for kind in KINDS}
        for kind in KINDS:  # state saved before a column was added has no vocabulary for it
            self.vocab.setdefault(kind, Vocabulary())
        self.tenants = self.vocab.setdefault("tenant", Vocabulary())

    def build(self, events: Sequence[Event]) -> EventBatch:
        n = len(events)
        tenants = [e.tenant for e in events]
        time = np.fromiter((e.time.timestamp() for e in events), dtype=np.float64, count=n)
        tenant_ids = np.fromiter(
            (self.tenants.intern("", t) for t in tenants), dtype=np.int32, count=n
        )
        action = np.fromiter((ACTION_CODE[e.action] for e in events), dtype=np.int8, count=n)
        outcome = np.fromiter((OUTCOME_CODE[e.outcome] for e in events), dtype=np.int8, count=n)
        privileged = np.fromiter((e.privileged for e in events), dtype=np.bool_, count=n)
        columns: dict[str, IntArray] = {}
        for column, kind in COLUMN_KINDS.items():
            vocab = self.vocab[kind]
            if column == "src_net":
                values = [network_of(e.src_ip) for e in events]
            else:
                values = [getattr(e, column) for e in events]
            columns[column] = np.fromiter(
                (vocab.intern(t, v) for t, v in zip(tenants, values, strict=True)),
                dtype=np.int32,
                count=n,
            )
        return EventBatch(
            events=events,
            time=time,
            tenant=tenant_ids,
            action=action,
            outcome=outcome,
            privileged=privileged,
            columns=columns,
        )
