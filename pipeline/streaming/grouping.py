"""Grouping of a parse batch's events into ``vigil.events`` records, and the GC tuning of a
worker process: what the parse stage needs, without Faust, aiokafka or the detectors, so the
parse child (:mod:`pipeline.streaming.parse_child`) imports only this and the parsers."""

from __future__ import annotations

import gc
import os
from datetime import UTC, datetime

import msgspec

from pipeline.streaming.parsing import partition_key
from schemas.event import Event

_encode_event = msgspec.json.Encoder().encode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # event_time_seconds' epoch


def group_events(
    events: list[Event],
    lateness_s: float,
    partition_by: str = "user",
    rows: list[list[int]] | None = None,
) -> list[tuple[bytes, bytes]]:
    """``(key, value)`` records of a parse batch's events for ``vigil.events`` (key
    :func:`partition_key` under ``partition_by``: ``tenant|user`` here by default, the worker
    passes its ``--partition-by``): one record per key and time slice, its value the JSON
    array of that key's events in order (a single object when it is one event).

    Slices are runs of the batch (in its order) spanning less than ``lateness_s`` of event
    time, emitted one after the other. So on any partition an event is more than the lateness
    behind an event before it exactly when it was so in the batch's own order: grouping never
    makes an event late (nor hides a late one), and the detect stage's lateness rule sees the
    same as with one record per event.

    With ``rows`` (a list) it gets, per record returned, the indexes in ``events`` of the
    record's events (the parse stage sends their sources along, :mod:`.dedup`).

    >>> from datetime import UTC, datetime, timedelta
    >>> from schemas.event import Action
    >>> t0 = datetime(2024, 5, 1, tzinfo=UTC)
    >>> def ev(user: str, minutes: int) -> Event:
    ...     return Event(time=t0 + timedelta(minutes=minutes), tenant="acme",
    ...                  source_format="x", action=Action.LOGON, user=user)
    >>> batch = [ev("a", 0), ev("b", 1), ev("a", 2), ev("a", 90)]
    >>> users = group_events(batch, 3600)
    >>> [(key, value.count(b'"user"')) for key, value in users]
    [(b'acme|a', 2), (b'acme|b', 1), (b'acme|a', 1)]
    >>> tenant = group_events(batch, 3600, "tenant")
    >>> [(key, value.count(b'"user"')) for key, value in tenant]
    [(b'acme', 3), (b'acme', 1)]
    >>> rows: list[list[int]] = []
    >>> _ = group_events(batch, 3600, rows=rows)
    >>> rows
    [[0, 2], [1], [3]]
    """
    by_key: list[tuple[bytes, bytes]] = []
    keyed: dict[bytes, _Group] = {}
    if not events:
        return by_key
    # The hot loop of the parse stage (once per event): the event time, the key and the group
    # inlined; keyed by tenant the key is the tenant's bytes, memoised per tenant.
    by_tenant = partition_by == "tenant"
    tenant_keys: dict[str, bytes] = {}
    encode = _encode_event
    epoch = _EPOCH
    low = high = (events[0].time - epoch).total_seconds()  # as event_time_seconds
    track = rows is not None
    for index, event in enumerate(events):
        when = (event.time - epoch).total_seconds()
        if when - low >= lateness_s or high - when >= lateness_s:
            _close_slice(keyed, by_key, rows)
            low = high = when
        elif when < low:
            low = when
        elif when > high:
            high = when
        value = encode(event)
        if by_tenant:
            key = tenant_keys.get(event.tenant)
            if key is None:
                key = tenant_keys[event.tenant] = event.tenant.encode()
        else:
            key = partition_key(event, partition_by)
        group = keyed.get(key)
        if group is None:
            group = keyed[key] = _Group()
        group.parts.append(value)
        group.size += len(value)
        if track:
            group.rows.append(index)
        if len(group.parts) >= GROUP_EVENTS or group.size >= GROUP_BYTES:
            # A full group goes out as a record at once (the key's next events follow it in a
            # later record, still in the same time slice).
            del keyed[key]
            by_key.append((key, group.value()))
            if rows is not None:
                rows.append(group.rows)
    _close_slice(keyed, by_key, rows)
    return by_key


GROUP_EVENTS = 1_000  # events per vigil.events record at most
GROUP_BYTES = 256 * 1024  # and about this many bytes (the topics' limit is 1 MiB a record)


class _Group:
    __slots__ = ("parts", "rows", "size")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.rows: list[int] = []  # indexes of the events (only when the caller asks)
        self.size = 0

    def value(self) -> bytes:
        parts = self.parts
        return parts[0] if len(parts) == 1 else b"[" + b",".join(parts) + b"]"


def _close_slice(
    groups: dict[bytes, _Group], out: list[tuple[bytes, bytes]], rows: list[list[int]] | None
) -> None:
    for key, group in groups.items():
        out.append((key, group.value()))
        if rows is not None:
            rows.append(group.rows)
    groups.clear()


#: Cyclic-GC thresholds of a worker process (:func:`tune_gc`); Python's are (700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    """Fewer cyclic-GC passes in a worker process (``VIGIL_WORKER_GC=default`` keeps Python's).

    A batch allocates hundreds of thousands of tracked objects (events decoded from JSON,
    parsed events, detector rows): with the default threshold a generation-0 pass runs every
    700 allocations and walks them all again as they age, about half of msgspec's decode time
    (measured 2.4 -> 0.9 us per event with the collector off). Nearly all of it is freed by
    reference counting anyway; cycles are still collected, only less often. What exists at
    start (imports, the app) is frozen out of the collector's walks."""
    if os.environ.get("VIGIL_WORKER_GC", "").strip().lower() == "default":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
