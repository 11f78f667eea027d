"""Copies of ``vigil.events`` records sent again (at least once) are recognised and dropped.

The parse stage is at-least-once: a chunk whose output was not all acknowledged (a parse child
killed while its producer was sending, a failed delivery) is parsed and sent again from its
first raw record, so the records that had already reached ``vigil.events`` arrive twice. Folded
again they would count twice in the baselines; behind the partition's event time they would be
dead-lettered as late by the thousand, though nothing was lost.

Every event's **source** identifies it exactly: the ``vigil.raw`` partition it was parsed from
and its position there, ``offset * 2**20 + n`` (the n-th event parsed from that Kafka record, a
batch envelope of up to hundreds of lines). The parse stage sends the sources of a record's
events in its :data:`SOURCE_HEADER` header (:func:`encode_sources`). A raw partition is parsed
in offset order, and one ``vigil.events`` key's events are in that order across its records
(grouping keeps a key's order); a producer delivers a prefix of what it sends to a partition.
So on a ``vigil.events`` partition, for each (raw partition, key), a source at or below the
highest one already folded is a copy, and every other is new: :class:`SeenRecords` keeps that
one mark per (raw partition, key), not the ids themselves.

Bounded: at most :data:`MAX_MARKS` marks per ``vigil.events`` partition (the least recently
moved is forgotten first; keyed by tenant that is one per tenant and raw partition). A copy
whose mark was forgotten is folded as before this module (never a new event dropped). The marks
are part of the partition's checkpoint (its metadata), taken with the engine: a restored worker
replays the records after the checkpoint as new (their sources are above the restored marks)
and drops copies of what the checkpoint holds. A record without the header (written by an
older worker or another producer) is folded as it is.

>>> seen = SeenRecords()
>>> parts, pos = np.array([0, 0, 0]), np.array([5 << 20, (5 << 20) + 1, 6 << 20])
>>> seen.copies(b"acme", parts[:2], pos[:2]).tolist()  # delivered, then the sender died
[False, False]
>>> seen.copies(b"acme", parts, pos).tolist()  # the whole chunk again: two copies, one new
[True, True, False]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SOURCE_HEADER = "vigil-src"
ORDINAL_BITS = 20  # events per raw Kafka record distinguished (a 1 MiB record holds fewer)
MAX_MARKS = 4096  # per vigil.events partition: (raw partition, key) pairs remembered
_ONE_PARTITION = b"\x01"  # header kinds: every event from one raw partition ...
_PER_EVENT = b"\x02"  # ... or a raw partition per event


def event_sources(
    counts: Sequence[int], sources: Sequence[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per event, the raw partition and the position (``offset << 20 | n``) of the events
    parsed from raw records ``sources`` (``(partition, offset)`` each), ``counts[i]`` events
    from record ``i``. A position that does not fit is -1 (no source: never a copy).

    >>> parts, pos = event_sources([2, 0, 1], [(3, 10), (3, 11), (3, 12)])
    >>> parts.tolist(), [(int(p) >> 20, int(p) & 0xFFFFF) for p in pos]
    ([3, 3, 3], [(10, 0), (10, 1), (12, 0)])
    """
    per_record = np.asarray(counts, np.int64)
    raw = np.asarray(sources, np.int64).reshape(-1, 2)
    parts = np.repeat(raw[:, 0], per_record).astype(np.int32)
    first = np.repeat(np.cumsum(per_record) - per_record, per_record)
    ordinal = np.arange(len(first), dtype=np.int64) - first
    positions = (np.repeat(raw[:, 1], per_record) << ORDINAL_BITS) + ordinal
    positions[ordinal >= 1 << ORDINAL_BITS] = -1
    return parts, positions


def encode_sources(parts: np.ndarray, positions: np.ndarray) -> bytes:
    """The :data:`SOURCE_HEADER` value of a record whose events have these sources."""
    if len(parts) and (parts == parts[0]).all():
        head = _ONE_PARTITION + int(parts[0]).to_bytes(4, "little", signed=True)
        return head + bytes(positions.astype("<i8").tobytes())
    return (
        _PER_EVENT + bytes(parts.astype("<i4").tobytes()) + bytes(positions.astype("<i8").tobytes())
    )


def decode_sources(value: bytes, events: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A header's sources for a record of ``events`` events; None when it does not match."""
    kind, body = value[:1], value[1:]
    if kind == _ONE_PARTITION and len(body) == 4 + 8 * events:
        part = int.from_bytes(body[:4], "little", signed=True)
        return np.full(events, part, np.int32), np.frombuffer(body[4:], "<i8").astype(np.int64)
    if kind == _PER_EVENT and len(body) == 12 * events:
        parts = np.frombuffer(body[: 4 * events], "<i4").astype(np.int32)
        return parts, np.frombuffer(body[4 * events :], "<i8").astype(np.int64)
    return None


def source_header(headers: Any) -> bytes | None:
    """The :data:`SOURCE_HEADER` value among a Kafka record's headers (pairs), if any."""
    for name, value in headers or ():
        if name == SOURCE_HEADER and isinstance(value, bytes):
            return value
    return None


class SeenRecords:
    """Per (raw partition, ``vigil.events`` key): the highest source folded (see the module)."""

    def __init__(self, max_marks: int = MAX_MARKS) -> None:
        self.max_marks = max_marks
        self.marks: dict[tuple[int, bytes], int] = {}  # insertion order: least recent first

    def copies(self, key: bytes, parts: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Which events of one record (key ``key``, sources ``parts``/``positions``) are copies
        of events already folded; the others move the marks."""
        mask_copy = np.zeros(len(positions), dtype=bool)
        if not len(positions):
            return mask_copy
        for part in np.unique(parts).tolist():  # nearly always one raw partition a record
            if part < 0:
                continue
            mask_part = (parts == part) & (positions >= 0)
            if not mask_part.any():
                continue
            mark = self.marks.get((part, key), -1)
            mask_copy[mask_part] = positions[mask_part] <= mark
            top = int(positions[mask_part].max())
            if top > mark:
                self.marks.pop((part, key), None)  # to the end: most recently moved
                self.marks[(part, key)] = top
                if len(self.marks) > self.max_marks:
                    del self.marks[next(iter(self.marks))]
        return mask_copy

    def to_json(self) -> list[list[Any]]:
        """For the checkpoint's metadata: ``[raw partition, key (hex), mark]``, oldest first."""
        return [[part, key.hex(), mark] for (part, key), mark in self.marks.items()]

    @classmethod
    def from_json(cls, rows: Any, max_marks: int = MAX_MARKS) -> SeenRecords:
        """From :meth:`to_json` (nothing, as in a checkpoint from before this, gives none)."""
        seen = cls(max_marks)
        for row in rows or ():
            part, key, mark = row
            seen.marks[(int(part), bytes.fromhex(key))] = int(mark)
        while len(seen.marks) > max_marks:
            del seen.marks[next(iter(seen.marks))]
        return seen
