"""Columnar event batches: the shape every detector scores and learns from.

Strings are interned to dense ``int32`` ids per kind (users, hosts, IPs, ...) so that detectors
work on numpy arrays only. Ids are scoped by tenant: ``acme/alice`` and ``globex/alice`` are
different entities, which is what keeps one tenant's baselines out of another's alerts.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from detectors._grow import grow
from detectors.addresses import address_facts
from schemas.event import Action, Event, Outcome

ACTIONS: tuple[Action, ...] = tuple(Action)
ACTION_CODE: dict[Action, int] = {action: code for code, action in enumerate(ACTIONS)}
OUTCOMES: tuple[Outcome, ...] = tuple(Outcome)
OUTCOME_CODE: dict[Outcome, int] = {outcome: code for code, outcome in enumerate(OUTCOMES)}


def _load_native() -> tuple[Any, Any]:
    """The compiled column kernels (schemas/native/src/batch.rs, built by ``make``); without them
    :func:`lookup_ids` and :func:`event_basics` take numpy's ``fromiter``, the same arrays."""
    try:
        from vigil_native import event_basics, lookup_ids
    except ImportError:  # pragma: no cover - other machines
        return None, None
    return lookup_ids, event_basics


_native_lookup, _native_basics = _load_native()

#: True when :func:`lookup_ids` and :func:`event_basics` use the compiled kernels (tests set it
#: False to run numpy's paths too).
NATIVE = _native_lookup is not None

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
    >>> v.intern_many("acme", ["bob", "", "carol", "bob"]).tolist()
    [1, -1, 2, 1]
    """

    __slots__ = ("by_tenant", "keys")

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self.keys: list[str] = list(keys)
        # value -> id per tenant (the only index: a column of one tenant is interned with one
        # C-level ``map(dict.get, values)``, and a second index by "tenant<US>value" cost a
        # dict entry per string: ~100 bytes an address on a stream of fresh addresses).
        self.by_tenant: dict[str, dict[str, int]] = {}
        parts = [key.partition(SEPARATOR) for key in self.keys]
        tenants = dict.fromkeys(part[0] for part in parts)
        if len(tenants) == 1:  # restoring one tenant's vocabulary: in bulk
            (tenant,) = tenants
            ids = self._tenant_ids(tenant)
            ids.update(zip((part[2] for part in parts), range(len(parts)), strict=True))
        else:
            for index, (tenant, _, value) in enumerate(parts):
                self._tenant_ids(tenant)[value] = index

    def __len__(self) -> int:
        return len(self.keys)

    def _tenant_ids(self, tenant: str) -> dict[str, int]:
        found = self.by_tenant.get(tenant)
        if found is None:
            found = self.by_tenant[tenant] = {"": -1}
        return found

    def intern(self, tenant: str, value: str) -> int:
        if not value:
            return -1
        known = self._tenant_ids(tenant)
        found = known.get(value)
        if found is None:
            found = known[value] = len(self.keys)
            self.keys.append(tenant + SEPARATOR + value)
        return found

    def intern_many(self, tenant: str, values: Sequence[str]) -> IntArray:
        """Ids of ``values`` of one tenant, new values interned in order of first appearance."""
        known = self._tenant_ids(tenant)
        if values:
            # A column of one known value (most often "": a field the source does not carry)
            # is one lookup, not one per event.
            first = values[0]
            first_id = known.get(first)
            if first_id is not None and values[-1] == first and values.count(first) == len(values):
                return np.full(len(values), first_id, dtype=np.int32)
        ids = lookup_ids(known, values)
        if ids is not None:
            return ids
        # New values in order of first appearance, in bulk: a stream of fresh addresses makes
        # most of a batch new, and one intern() call per value cost ~1.6 us.
        # The batch's distinct values are looked up in the (large) index once each, and the
        # column is then read from a small dict of them: on a stream of fresh addresses the
        # index holds every address seen, and each lookup in it is a cache miss.
        distinct = dict.fromkeys(values)
        found = list(map(known.get, distinct))
        missing = list(itertools.compress(distinct, map(operator.is_, found, _nones(len(found)))))
        start = len(self.keys)
        fresh = dict(zip(missing, range(start, start + len(missing)), strict=True))
        self.keys.extend([tenant + SEPARATOR + value for value in missing])
        known.update(fresh)
        batch_ids = dict(zip(distinct, found, strict=True))
        batch_ids.update(fresh)
        every = lookup_ids(batch_ids, values)
        if every is None:  # pragma: no cover - every value of the batch has an id now
            raise RuntimeError("a batch value without an id")
        return every

    def value(self, index: int) -> str:
        """The original string of an id (without its tenant)."""
        if index < 0:
            return ""
        return self.keys[index].split(SEPARATOR, 1)[1]

    def tenant_of(self, index: int) -> str:
        return self.keys[index].split(SEPARATOR, 1)[0]


def lookup_ids(known: Mapping[str, int | None], values: Sequence[str]) -> IntArray | None:
    """``np.fromiter(map(known.get, values), np.int32)``: the id of each value, or None when one
    of them is not in ``known`` (or maps to None). The compiled kernel (a dict and a list) reads
    each id in one dict lookup; ``fromiter`` spent ~45 ns a value converting it, ~2/3 of the
    lookup's cost.

    >>> lookup_ids({"alice": 0, "bob": 1}, ["bob", "alice", "bob"]).tolist()
    [1, 0, 1]
    >>> lookup_ids({"alice": 0}, ["alice", "carol"]) is None
    True
    """
    if NATIVE and type(values) is list and type(known) is dict:
        found = _native_lookup(known, values)
        return None if found is None else np.frombuffer(found, dtype=np.int32)
    try:
        # None (an unknown value) does not convert.
        return np.fromiter(map(known.get, values), dtype=np.int32, count=len(values))
    except TypeError:
        return None


def event_basics(
    events: Sequence[Event],
) -> tuple[FloatArray, npt.NDArray[np.int8], npt.NDArray[np.int8], BoolArray]:
    """Per event: its time as ``datetime.timestamp()``, its action and outcome codes
    (``ACTION_CODE``, ``OUTCOME_CODE``) and its privileged flag. The compiled kernel answers a
    list of events in UTC with enum members and bools (what the parsers make), ~4x faster than
    the ``fromiter`` passes below (``timestamp()`` ~140 ns an event, an enum member's Python
    ``__hash__`` in each code lookup ~100 ns); anything else takes those passes.

    >>> from datetime import UTC, datetime
    >>> event = Event(time=datetime(2024, 5, 1, 9, 30, tzinfo=UTC), tenant="acme",
    ...               source_format="syslog", action=Action.LOGON, privileged=True)
    >>> [column.tolist() for column in event_basics([event])]
    [[1714555800.0], [0], [0], [True]]
    """
    n = len(events)
    if NATIVE and type(events) is list:
        found = _native_basics(events, UTC, ACTIONS, OUTCOMES)
        if found is not None:
            time_bytes, action_bytes, outcome_bytes, privileged_bytes = found
            return (
                np.frombuffer(time_bytes, dtype=np.float64),
                np.frombuffer(action_bytes, dtype=np.int8),
                np.frombuffer(outcome_bytes, dtype=np.int8),
                np.frombuffer(privileged_bytes, dtype=np.bool_),
            )
    time = np.fromiter(map(_TIMESTAMP, map(_TIME, events)), dtype=np.float64, count=n)
    action = np.fromiter(map(ACTION_CODE.__getitem__, map(_ACTION, events)), dtype=np.int8, count=n)
    outcome = np.fromiter(
        map(OUTCOME_CODE.__getitem__, map(_OUTCOME, events)), dtype=np.int8, count=n
    )
    privileged = np.fromiter(map(_PRIVILEGED, events), dtype=np.bool_, count=n)
    return time, action, outcome, privileged


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
    #: Per row, facts about its source address (detectors/addresses.py): loopback, and the
    #: wide network (-1: none, private or special).
    src_loopback: BoolArray
    src_wide16: Int64Array
    #: Per row, whether its source address is internal (addresses.is_internal).
    src_internal: BoolArray
    #: Per-batch results several detectors derive alike (computed once, read by all).
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.events)

    def column(self, name: str) -> IntArray:
        return self.columns[name]

    def action_mask(self, actions: frozenset[Action]) -> BoolArray:
        """Rows whose action is one of ``actions`` (a new array: callers narrow it in place)."""
        mask: BoolArray = _action_table(actions)[self.action]
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
        # Per address id, filled as addresses are interned: its network id (-1: none), whether
        # it is loopback and its wide network (addresses.py). The string work runs once per
        # distinct address, not once per batch and detector. Derived from the vocabularies
        # alone, so a restored builder rebuilds them. The last entry of each answers for the
        # -1 ("no address") id; it is also each table's fill value, so growing the tables
        # (``grow``: with spare room, not a copy of every address per batch) keeps it last.
        self._ip_nets = np.full(1, -1, dtype=np.int32)
        self._ip_loopback = np.zeros(1, dtype=np.bool_)
        self._ip_wide16 = np.full(1, -1, dtype=np.int64)
        self._ip_internal = np.zeros(1, dtype=np.bool_)

    def build(self, events: Sequence[Event]) -> EventBatch:
        n = len(events)
        tenants = list(map(_TENANT, events))
        time, action, outcome, privileged = event_basics(events)
        distinct_tenants = dict.fromkeys(tenants)
        single_tenant = next(iter(distinct_tenants)) if len(distinct_tenants) == 1 else None
        # Tenants are interned in order of first appearance, as one call per event would.
        tenant_ids = self.tenants.intern_many("", tenants)
        columns: dict[str, IntArray] = {}
        for column, kind in COLUMN_KINDS.items():
            vocab = self.vocab[kind]
            if column == "src_net":
                self._learn_addresses()
                columns[column] = self._ip_nets[columns["src_ip"]]
                continue
            values = list(map(_COLUMN_GETTERS[column], events))
            if single_tenant is not None:
                ids = vocab.intern_many(single_tenant, values)
            else:
                ids = np.array(
                    [vocab.intern(t, v) for t, v in zip(tenants, values, strict=True)],
                    dtype=np.int32,
                )
            columns[column] = ids.reshape(n)
        return EventBatch(
            events=events,
            time=time,
            tenant=tenant_ids.reshape(n),
            action=action.reshape(n),
            outcome=outcome.reshape(n),
            privileged=privileged.reshape(n),
            columns=columns,
            src_loopback=self._ip_loopback[columns["src_ip"]],
            src_wide16=self._ip_wide16[columns["src_ip"]],
            src_internal=self._ip_internal[columns["src_ip"]],
        )

    def _learn_addresses(self) -> None:
        """Extend the per-address tables to every interned address. Networks are interned in
        the order of their first address's id, which is the order a per-row interning would
        give: a new network's first row always carries a new address (a known address's
        network is known)."""
        ips, nets = self.vocab["ip"], self.vocab["net"]
        known = len(self._ip_nets) - 1
        if len(ips) <= known:
            return
        keys = ips.keys[known:]
        only = next(iter(ips.by_tenant)) if len(ips.by_tenant) == 1 else SEPARATOR
        if SEPARATOR not in only:
            # Every key's tenant has an entry in by_tenant, so all keys are this tenant's: the
            # addresses are the keys past a fixed prefix (one C-level slice per key, where two
            # partition() passes cost ~8 ms a batch on a stream of fresh addresses).
            tenant = only
            cut = operator.itemgetter(slice(len(tenant) + len(SEPARATOR), None))
            tenants = [tenant]
            addresses = list(map(cut, keys))
        else:
            # partition, not split: no list per key (a stream of fresh addresses has 100k+).
            tenants = [key.partition(SEPARATOR)[0] for key in keys]
            addresses = [key.partition(SEPARATOR)[2] for key in keys]
        net_strings, loopback, wide, internal = address_facts(addresses)
        if len(set(tenants)) == 1:
            net_ids = nets.intern_many(tenants[0], net_strings)
        else:
            net_ids = np.array(
                [nets.intern(t, n) for t, n in zip(tenants, net_strings, strict=True)],
                dtype=np.int32,
            )
        total = len(ips)
        self._ip_nets = grow(self._ip_nets, total + 1, -1)
        self._ip_loopback = grow(self._ip_loopback, total + 1, False)
        self._ip_wide16 = grow(self._ip_wide16, total + 1, -1)
        self._ip_internal = grow(self._ip_internal, total + 1, False)
        self._ip_nets[known:total] = net_ids
        self._ip_loopback[known:total] = loopback
        self._ip_wide16[known:total] = wide
        self._ip_internal[known:total] = internal


_TENANT = operator.attrgetter("tenant")
_TIME = operator.attrgetter("time")
_TIMESTAMP = datetime.timestamp
_ACTION = operator.attrgetter("action")
_OUTCOME = operator.attrgetter("outcome")
_PRIVILEGED = operator.attrgetter("privileged")
_COLUMN_GETTERS = {column: operator.attrgetter(column) for column in COLUMN_KINDS}


def _nones(count: int) -> itertools.repeat[None]:
    return itertools.repeat(None, count)


@functools.cache
def _action_table(actions: frozenset[Action]) -> BoolArray:
    """A lookup table over action codes: one gather per call instead of ``np.isin``, which
    sorts and costs ~0.2 ms even on small batches (detectors ask ~30 times a batch)."""
    table = np.zeros(len(ACTIONS), dtype=np.bool_)
    table[[ACTION_CODE[action] for action in actions]] = True
    table.flags.writeable = False
    return table
