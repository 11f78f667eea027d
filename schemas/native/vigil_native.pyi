"""Vigil's compiled fast paths (schemas/native): RFC 3164 sshd and sudo lines, flat HELK JSON.

``sshd_line(line, year_month)``: None, or ``(stamp_key, time, month, day, hour, minute, second,
dst_host, kind, user, a, b, auth_protocol, reason, count)``; ``a, b`` are src_ip, src_host for
sshd (kinds 1-4) and target_user, object for a sudo command (kind 5); kind 0 has no event.

``HelkReader(absent)``: ``add_key(key, intern=True)`` gives a key its slot; ``read(line)`` is
None (decode the line with orjson) or a tuple by slot of the keys' values (text, int, None;
``absent`` where the key is missing). After ``set_layout(hit, ...)`` it also answers lines
equal to ones Python told it about (``remember``, ``remember_skip``) on the keys that decided
them: ``(hit, template, time, record_id)``, or ``(hit, None, None, None)`` for a skipped meta.
``iso_time(text)``: ``parse_time(text)`` for the usual ISO forms, else None.
``helk_hits_at(reader, data, offset, remaining, ...)``: ``reader.read_hits`` over the
``remaining`` lines of a read block ``data`` from byte ``offset`` on, found in place (lines.rs).
``count_lines(data)``: ``data.count(b"\n")`` by memchr (a read block's lines, lines.rs).

``stable_argsort(keys)``, ``stable_groups(keys)`` and ``unique_inverse(keys)`` (1-D ``int64``
buffers; native-endian ``int64`` bytes back): the grouping kernels of ``detectors/_sort.py``
(see groups.rs). ``group_positions(keys)`` and ``sums_before(keys, values)`` (``float64``
values; None where numpy's path must answer): ``base.group_order`` and
``base.group_cumsum_before`` in one call each (see prefix.rs).

``smoothed_stored(...)`` and ``smoothed_grid(...)``: ``rare_time_of_week``'s smoothed lookups
(``detectors/time_profile.py``) in one call each, numpy's bits (see smooth.rs).

``lookup_ids(known, values)``: ``np.fromiter(map(known.get, values), np.int32)`` as
native-endian ``int32`` bytes, or None when a value is not in ``known`` (or maps to None);
``event_basics(events, utc, actions, outcomes)``: each event's ``time.timestamp()``, action and
outcome codes (index among the members, by identity) and privileged flag as ``float64``, ``int8``,
``int8``, ``bool`` bytes, or None (see batch.rs).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

_SshdHit = tuple[
    int, datetime | None, int, int, int, int, int, str, int, str, str, str, str, str, int, str
]

def sshd_line(line: str, year_month: tuple[int, int] | None = None, /) -> _SshdHit | None: ...

class HelkReader:
    def __init__(self, absent: object, /) -> None: ...
    def add_key(self, key: str, intern: bool = True) -> int: ...
    def read(self, line: bytes, /) -> tuple[object, ...] | None: ...
    def read_hits(
        self,
        lines: list[bytes],
        start: int,
        max_bytes: int,
        nothing: object,
        replace: Callable[..., Any],
        /,
    ) -> tuple[list[Any], int, int, int, object]: ...
    def set_layout(
        self, hit: object, event_data: int, record_number: int, utc_time: int, timestamp: int, /
    ) -> None: ...
    def remember_skip(self, meta: tuple[object, ...], /) -> bool: ...
    def remember(
        self,
        meta: tuple[object, ...],
        slots: tuple[int, ...],
        prefix: str,
        sysmon: bool,
        key: tuple[object, ...],
        template: object,
        /,
    ) -> bool: ...
    def forget(self) -> None: ...
    def remembered(self) -> int: ...

def iso_time(text: str, /) -> datetime | None: ...
def helk_hits_at(
    reader: HelkReader,
    data: bytes,
    offset: int,
    remaining: int,
    max_bytes: int,
    nothing: object,
    replace: Callable[..., Any],
    /,
) -> tuple[list[Any], int, int, int, int, object]: ...
def count_lines(data: bytes, /) -> int: ...
def stable_argsort(keys: object, /) -> bytearray: ...
def stable_groups(keys: object, /) -> tuple[bytearray, bytearray]: ...
def unique_inverse(keys: object, /) -> tuple[bytearray, bytearray, bytearray, bytearray]: ...
def group_positions(keys: object, /) -> tuple[bytearray, bytearray]: ...
def sums_before(keys: object, values: object, /) -> bytearray | None: ...
def smoothed_stored(
    profile: object,
    entity: object,
    hour: object,
    decay: object,
    offsets: object,
    weights: object,
    /,
) -> bytearray: ...
def smoothed_grid(
    keep: object,
    growth: object,
    cell: object,
    column: object,
    shape: tuple[int, int],
    backs: object,
    whole_week: object,
    weights: object,
    same: tuple[object, object],
    by_entity: tuple[object, object],
    decay_now: object,
    stored_at_hour: object,
    total_stored: object,
    /,
) -> tuple[bytearray, bytearray]: ...
def lookup_ids(known: dict[str, int], values: list[str], /) -> bytearray | None: ...
def event_basics(
    events: list[object], utc: object, actions: tuple[object, ...], outcomes: tuple[object, ...], /
) -> tuple[bytearray, bytearray, bytearray, bytearray] | None: ...
