"""Per-distinct-value parsing for ``vigil detect``'s columnar ingestion (``InputReader(columnar=
True)``): the same events and dead letters as the per-record parser, computed once per distinct
combination of the fields that decide them.

A HELK record's event is a function of its time, its record number and a few other fields:
(1) the event id, provider, channel and computer decide the handler (or that the record is
irrelevant: 98 % of a real Windows feed) and the host; (2) the handler then reads a few more
(user, workstation, IP, logon type ...), and those repeat: the same user logging on to the same
host from the same workstation. So the per-record code runs once per distinct combination, on
the record itself, and gives a template Event; each record then only parses its time and builds
its record id (``msgspec.structs.replace`` of the template).

Which fields a handler reads is observed, not declared: it runs on a mapping that notes every
key read, and its templates are keyed by the values (and types: ``1``, ``1.0`` and ``True``
hash alike but read differently) of every key it has been seen to read. Two records equal on
those keys take the same path through the (pure) handler and give the same result. Anything
unusual goes through the per-record parser whole, so its dead letter and reason are the same: a
record whose split or handler fails, a time that does not parse, no record number (the record
is then hashed whole), a float or an unhashable value among the key fields.

With the compiled reader (``vigil_native.HelkReader``, schemas/native/src/helk.rs) the reader
does not decode a HELK line into a dict at all: ``HelkTemplates.read`` gets the values of only
the keys read here (the split's, and each handler's as they are learnt) in one pass over the
line, as a tuple by slot, and ``parse_values`` takes the same path on it as ``parse`` on the
dict. Any line the compiled reader is not sure of, and any record that needs the whole dict (a
new template, a meta combination not seen yet, a fallback to the per-record parser), is decoded
by ``orjson`` and goes through ``parse``: the same events and dead letters either way
(tests/schemas/test_helk_native.py).

The compiled reader also answers the usual line itself: ``parse_values`` tells it each answer
it gives from the values (``_remember``: the meta values, the handler's slots and their values,
the template; or that the meta is skipped), and a later line equal on those values, with no
EventData, an integer record number and a time ``iso_time`` reads, comes back as ``(_HIT,
template, time, record id)`` without a tuple of values or a Python lookup. An answer is a
function of those values alone (the handler is pure and its key set covers what it read), so
it never goes stale; the reader bounds how many it keeps.

Measured (``benchmarks/parse_throughput.py``): see README "Parse throughput".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

import msgspec
import orjson

from schemas.event import Event
from schemas.parsers.base import PARSERS, ParseContext, parse_time
from schemas.parsers.windows import (
    _HELK_TIME_KEYS,
    HANDLERS,
    Handler,
    _first_key,
    _scalar_text,
    normalise_host,
)

_SKIP = "skip"
_FAILED = "failed"
#: The template of a record its handler reads as nothing (``windows.Handler`` gave None): no
#: event, once its time has parsed (the per-record parser parses the time first too).
_NOTHING = "nothing"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Cached entries (templates of all handlers together, or event-id/host combinations) before
#: the cache is emptied: bounds memory (~300 bytes a template) on inputs of endless variety.
CACHE_LIMIT = 50_000
#: What HelkParser.split reads besides the time and the record number.
_META_KEYS = ("EventID", "SourceName", "EventSourceName", "Channel", "Hostname", "Computer")
_NUMBER_KEYS = ("RecordNumber", "EventRecordID", "EventOriginId")


def _load_native() -> tuple[Any, Callable[[str], datetime | None] | None]:
    """The compiled HELK line reader and ISO time reader (schemas/native, built by ``make``);
    without them every line is decoded by ``orjson``, with the same events."""
    try:
        from vigil_native import HelkReader, iso_time
    except ImportError:  # pragma: no cover - other machines
        return None, None
    return HelkReader, iso_time


_NativeReader, _native_time = _load_native()


def _load_hits_at() -> Any:
    """``vigil_native.helk_hits_at`` (``read_hits`` over a read block's lines in place, see
    schemas/native/src/lines.rs), or None."""
    try:
        from vigil_native import helk_hits_at
    except ImportError:  # pragma: no cover - other machines, older builds
        return None
    return helk_hits_at


_native_hits_at = _load_hits_at()

#: True when HELK lines go through the compiled reader first (tests/schemas/test_helk_native.py).
NATIVE = _NativeReader is not None


class _Tracer(Mapping[str, Any]):
    """A record that notes every key read; reading every key (iterating) is noted too."""

    __slots__ = ("read", "record", "whole")

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record
        self.read: set[str] = set()
        self.whole = False

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self.record[key]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            self.whole = True
            return key in self.record
        self.read.add(key)
        return key in self.record

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self.record.get(key, default)

    def __iter__(self) -> Iterator[str]:
        self.whole = True
        return iter(self.record)

    def __len__(self) -> int:
        self.whole = True
        return len(self.record)


class _NeedRecord(BaseException):
    """A handler asked :class:`_SlotTracer` for what the compiled reader did not read (a key
    without a slot, or every key): the line is decoded whole instead. A BaseException, so that
    no handler's ``except Exception`` takes it for a bad value."""


class _SlotTracer(Mapping[str, Any]):
    """:class:`_Tracer` over the compiled reader's values (``read``'s tuple, by slot) instead of
    the decoded record: the same answers for every key that has a slot (a missing key is
    ``_ABSENT`` there), :class:`_NeedRecord` for any other key and for iterating."""

    __slots__ = ("read", "row", "slot_of")

    def __init__(self, row: tuple[Any, ...], slot_of: dict[str, int]) -> None:
        self.row = row
        self.slot_of = slot_of
        self.read: set[str] = set()

    def _value(self, key: object) -> Any:
        slot = self.slot_of.get(key) if type(key) is str else None
        if slot is None:
            raise _NeedRecord
        self.read.add(key)  # type: ignore[arg-type]
        return self.row[slot]

    def __getitem__(self, key: str) -> Any:
        value = self._value(key)
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self._value(key) is not _ABSENT

    def get(self, key: str, default: Any = None) -> Any:
        value = self._value(key)
        return default if value is _ABSENT else value

    def __iter__(self) -> Iterator[str]:
        raise _NeedRecord

    def __len__(self) -> int:
        raise _NeedRecord


class _Absent:
    """A key missing from the record: handlers tell it from ``null`` (``"UserID" in fields``)."""


_ABSENT = _Absent()


class _Hit:
    """Starts the compiled reader's tuple for a line it answered (``parse_values``)."""


_HIT = _Hit()
_ABSENTS = (_ABSENT,) * 256


_SAFE_TYPES = frozenset({str, int, type(None), _Absent})


def _key(record: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The values of ``keys`` in ``record`` as a cache key, or None when they cannot be one.

    Only text, integers, null and "absent" qualify: no two of those are equal unless they read
    the same (``1``, ``1.0`` and ``True`` are equal but read differently, so are ``0.0`` and
    ``-0.0``; containers do not hash)."""
    values = tuple(map(record.get, keys, _ABSENTS))  # keys are never more than _ABSENTS
    if not _SAFE_TYPES.issuperset(map(type, values)):
        return None
    return values


class _HandlerKeys:
    """The keys one handler has been seen to read, and its templates keyed by their values."""

    __slots__ = ("getter", "key_set", "keys", "slots", "templates")

    def __init__(self) -> None:
        self.keys: tuple[str, ...] = ()
        self.key_set: frozenset[str] = frozenset()
        self.templates: dict[Any, Any] = {}
        #: The key tuple from the compiled reader's values (``HelkTemplates._getter``), and
        #: the slots it reads.
        self.getter: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
        self.slots: tuple[int, ...] = ()

    def extend(self, keys: set[str]) -> None:
        self.key_set = self.key_set.union(keys)
        self.keys = tuple(sorted(self.key_set))
        self.templates.clear()  # keyed by the old key set
        self.getter = None
        self.slots = ()


class _Meta(NamedTuple):
    handler: Handler
    keys: _HandlerKeys
    host: str
    prefix: str  # "host:" of the record id
    event_id: str
    sysmon: bool


class HelkTemplates:
    """``HelkParser().parse`` with per-distinct-value caching; one per reader (per tenant)."""

    def __init__(self, native: bool | None = None) -> None:
        """``native``: use the compiled reader (True), not (False), or if installed (None)."""
        self.parser: Any = PARSERS["helk"]
        self.metas: dict[Any, Any] = {}
        self.handler_keys: dict[Handler, _HandlerKeys] = {}
        #: Templates of all handlers together (kept count of: summing them per new template
        #: was a third of a template's cost).
        self.template_count = 0
        self.native: Any = None
        #: The compiled reader's slot of each key it reads (``add_key``'s answers).
        self.slot_of: dict[str, int] = {}
        if _NativeReader is not None and native is not False:
            self.native = _NativeReader(_ABSENT)
            for key in _FIXED_KEYS:  # slots 0-5 are _META_KEYS, so values[:6] is the meta key
                # times and record numbers differ on every line: not worth keeping
                self.slot_of[key] = self.native.add_key(key, key not in _UNIQUE_KEYS)
            self.slots = len(_FIXED_KEYS)
            # The reader answers the lines whose answer it was told (``_remember``) itself.
            self.native.set_layout(_HIT, _EVENT_DATA, _RECORD_NUMBER, _UTC_TIME, _TIME_SLOTS[0])
        #: The tenant of the answers the compiled reader holds (they carry it).
        self.native_tenant: str | None = None

    def _meta(self, record: Mapping[str, Any]) -> Any:
        try:
            _, meta = self.parser.split(record)
            handler = HANDLERS.get((meta.family, meta.event_id))
            if handler is None:
                return _SKIP
            host = normalise_host(meta.computer)
        except Exception:  # the per-record parser gives the exact reason
            return _FAILED
        keys = self.handler_keys.get(handler)
        if keys is None:
            keys = self.handler_keys[handler] = _HandlerKeys()
        event_id = f"sysmon:{meta.event_id}" if meta.family == "sysmon" else str(meta.event_id)
        return _Meta(handler, keys, host, host + ":", event_id, meta.family == "sysmon")

    def _template(
        self, record: Mapping[str, Any], meta_key: Any, meta: _Meta, ctx: ParseContext
    ) -> Any:
        """The event of ``record`` but for time and record id; None: not cacheable."""
        keys = meta.keys
        tracer = _Tracer(record)
        try:
            kwargs = meta.handler(tracer, meta.host)
            template: Any
            if kwargs is None:  # read, nothing a detector uses (a 4663 read): no event
                template = _NOTHING
            else:
                kwargs.setdefault("dst_host", meta.host)
                template = Event(
                    time=_EPOCH,
                    tenant=ctx.tenant,
                    source_format=self.parser.name,
                    event_id=meta.event_id,
                    record_id="",
                    **kwargs,
                )
        except Exception:  # the per-record parser gives the exact reason
            template = _FAILED
        if tracer.whole:
            return None
        if not tracer.read <= keys.key_set:
            self.template_count -= len(keys.templates)
            keys.extend(tracer.read)
        if len(keys.keys) > len(_ABSENTS):
            return None
        key = _key(record, keys.keys)
        if key is None:
            return None
        self._keep(keys, (ctx.tenant, meta_key, key), template)
        return template

    def _keep(self, keys: _HandlerKeys, cache_key: tuple[Any, ...], template: Any) -> None:
        """Cache a template (the host, from the meta key, is an input of the handler too)."""
        if self.template_count >= CACHE_LIMIT:
            for other in self.handler_keys.values():
                other.templates.clear()
            self.template_count = 0
        self.template_count += cache_key not in keys.templates
        keys.templates[cache_key] = template

    def _template_values(
        self, values: tuple[Any, ...], meta_key: Any, meta: _Meta, ctx: ParseContext
    ) -> Any:
        """``_template`` from the compiled reader's values, without decoding the line; None
        when the handler reads a key that has no slot or is new to it, or iterates the record
        (the line is then decoded and ``_template`` learns the key), as ``_template``'s None."""
        keys = meta.keys
        tracer = _SlotTracer(values, self.slot_of)
        try:
            kwargs = meta.handler(tracer, meta.host)
            template: Any
            if kwargs is None:
                template = _NOTHING
            else:
                kwargs.setdefault("dst_host", meta.host)
                template = Event(
                    time=_EPOCH,
                    tenant=ctx.tenant,
                    source_format=self.parser.name,
                    event_id=meta.event_id,
                    record_id="",
                    **kwargs,
                )
        except _NeedRecord:
            return None
        except Exception:  # the per-record parser gives the exact reason
            template = _FAILED
        if not tracer.read <= keys.key_set or keys.getter is None:
            return None
        # The reader's values are text, integers, null or absent: always a valid key (_key).
        self._keep(keys, (ctx.tenant, meta_key, keys.getter(values)), template)
        return template

    def parse(self, record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
        """The same as ``HelkParser().parse(record, ctx)``."""
        meta_key = tuple(map(record.get, _META_KEYS, _ABSENTS))  # _key, inlined: per record
        if not _SAFE_TYPES.issuperset(map(type, meta_key)):
            return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        meta = self.metas.get(meta_key)
        if meta is None:
            if len(self.metas) >= CACHE_LIMIT:
                self.metas.clear()
            meta = self.metas[meta_key] = self._meta(record)
        if meta is _FAILED or "EventData" in record:
            # A nested EventData (HelkParser.split merges it): the tracer reads the record's
            # top level only, so such records take the per-record parser (no real HELK export
            # has one; NXLog-style exports that do are rare enough not to need templates).
            return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        # HelkParser.split reads the record number before anything can be skipped. The usual
        # case first: an integer RecordNumber is the first non-empty key, read as str(int).
        number_value = record.get("RecordNumber")
        if type(number_value) is int:
            number = str(number_value)
        else:
            try:
                number = _scalar_text(_first_key(record, _NUMBER_KEYS)[0])
            except Exception:  # the per-record parser gives the exact reason
                return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        if meta is _SKIP:
            return []
        if not number:  # hashed whole by the parser
            return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        keys = meta.keys
        key = _key(record, keys.keys)
        template = None if key is None else keys.templates.get((ctx.tenant, meta_key, key))
        if template is None:
            template = self._template(record, meta_key, meta, ctx)
            if template is None:
                return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        if template is _FAILED:
            return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        try:
            utc = record.get("UtcTime") if meta.sysmon else None
            if utc:
                time = _time(utc, "UtcTime")
            else:
                value = record.get(_HELK_TIME_KEYS[0])
                if type(value) is str and value:  # the first key, non-empty: _first_key's pick
                    time = _time(value, _HELK_TIME_KEYS[0])
                else:
                    value, field_name = _first_key(record, _HELK_TIME_KEYS)
                    time = _time(value, field_name)
        except Exception:  # the per-record parser gives the exact reason
            return self.parser.parse(record, ctx)  # type: ignore[no-any-return]
        if template is _NOTHING:
            return []
        return [msgspec.structs.replace(template, time=time, record_id=meta.prefix + number)]

    # -- the compiled reader's path --------------------------------------------------------

    def read(self, line: bytes) -> tuple[Any, ...] | None:
        """The values ``parse_values`` needs from a HELK line, or None: decode it whole."""
        return self.native.read(line)  # type: ignore[no-any-return]

    def read_hits(
        self, lines: list[bytes], start: int, max_bytes: int, ctx: ParseContext
    ) -> tuple[list[Event], int, int, int, Any]:
        """``read`` then ``parse_values`` over ``lines[start:]`` in one compiled call, for as
        long as the reader answers the lines itself (the usual line: ~1 us of Python a line
        less): (events, the index it stopped at, lines answered, of which without an event, the
        stopped line's ``read`` result or ``_ABSENT`` when it was not read). Blank lines are
        passed over; a line longer than ``max_bytes`` stops it unread (its caller dead-letters
        it). The answers are this tenant's (``_remember``, as ``parse_values`` makes sure)."""
        if ctx.tenant != self.native_tenant:
            self._remember(ctx)
        return self.native.read_hits(  # type: ignore[no-any-return]
            lines, start, max_bytes, _NOTHING, msgspec.structs.replace
        )

    def read_hits_at(
        self, data: bytes, offset: int, remaining: int, max_bytes: int, ctx: ParseContext
    ) -> tuple[list[Event], int, int, int, int, Any]:
        """``read_hits`` over the ``remaining`` lines of a read block ``data`` (lines end at
        ``\\n``) from byte ``offset`` on, without a ``bytes`` object per line: (events, lines
        passed, the byte offset of the line it stopped at, lines answered, of which without an
        event, the stopped line's ``read`` result or ``_ABSENT``)."""
        if ctx.tenant != self.native_tenant:
            self._remember(ctx)
        return _native_hits_at(  # type: ignore[no-any-return]
            self.native, data, offset, remaining, max_bytes, _NOTHING, msgspec.structs.replace
        )

    def _getter(self, keys: _HandlerKeys) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        slots = tuple(self.native.add_key(key) for key in keys.keys)
        self.slot_of.update(zip(keys.keys, slots, strict=True))
        self.slots = max(self.slots, *(slot + 1 for slot in slots), 0)
        getter: Callable[[tuple[Any, ...]], tuple[Any, ...]]
        if not slots:
            getter = _no_values
        elif len(slots) == 1:
            getter = _one_value(slots[0])
        else:
            getter = itemgetter(*slots)
        keys.getter = getter
        keys.slots = slots
        return getter

    def _remember(self, ctx: ParseContext) -> Any:
        """The compiled reader, told to forget answers of another tenant."""
        if ctx.tenant != self.native_tenant:
            self.native.forget()
            self.native_tenant = ctx.tenant
        return self.native

    def parse_values(self, values: tuple[Any, ...], line: bytes, ctx: ParseContext) -> list[Event]:
        """``parse(orjson.loads(line), ctx)`` from ``read(line)``'s values (text, integers and
        nulls only: the compiled reader gives nothing else), or from its answer: ``(_HIT,
        template, time, record id)`` for a line equal to one answered here before on the keys
        that decided it (``_remember``; ``(_HIT, None, None, None)``: a skipped meta)."""
        if values[0] is _HIT:
            if ctx.tenant != self.native_tenant:  # answers made for another tenant
                self._remember(ctx)  # forgets them
                return self.parse(orjson.loads(line), ctx)
            template = values[1]
            if template is None or template is _NOTHING:
                return []
            return [msgspec.structs.replace(template, time=values[2], record_id=values[3])]
        meta_key = values[:6]
        meta = self.metas.get(meta_key)
        if meta is None or meta is _FAILED or values[_EVENT_DATA] is not _ABSENT:
            return self.parse(orjson.loads(line), ctx)
        if meta is _SKIP:
            self._remember(ctx).remember_skip(meta_key)
            return []  # the split's record-number read cannot fail on text, integers, null
        number_value = values[_RECORD_NUMBER]
        if type(number_value) is int:
            number = str(number_value)
        else:
            number = _scalar_text(_first_value(values, _NUMBER_SLOTS))
            if not number:  # hashed whole by the parser
                return self.parse(orjson.loads(line), ctx)
        keys = meta.keys
        getter = keys.getter or self._getter(keys)
        if len(values) < self.slots:  # read before a handler's keys grew
            return self.parse(orjson.loads(line), ctx)
        template_key = getter(values)
        template = keys.templates.get((ctx.tenant, meta_key, template_key))
        if template is None:
            template = self._template_values(values, meta_key, meta, ctx)
        if template is None or template is _FAILED:
            return self.parse(orjson.loads(line), ctx)
        try:
            utc = values[_UTC_TIME] if meta.sysmon else None
            if utc is not None and utc is not _ABSENT and utc:
                time = _time(utc, "UtcTime")
            else:
                value = values[_TIME_SLOTS[0]]
                if type(value) is str and value:  # the first key, non-empty: _first_key's pick
                    time = _time(value, _HELK_TIME_KEYS[0])
                else:
                    value, field_name = None, _HELK_TIME_KEYS[0]  # _first_key's answers
                    for slot, key in zip(_TIME_SLOTS, _HELK_TIME_KEYS, strict=True):
                        candidate = values[slot]
                        if candidate is not _ABSENT and candidate is not None and candidate != "":
                            value, field_name = candidate, key
                            break
                    time = _time(value, field_name)
        except Exception:  # the per-record parser gives the exact reason
            return self.parse(orjson.loads(line), ctx)
        if type(number_value) is int:  # the reader answers only lines with such a number
            self._remember(ctx).remember(
                meta_key, keys.slots, meta.prefix, meta.sysmon, template_key, template
            )
        if template is _NOTHING:
            return []
        return [msgspec.structs.replace(template, time=time, record_id=meta.prefix + number)]


#: The keys every HELK record is read for (HelkParser.split's, and a CloudTrail-style
#: ``Records`` list, which the reader unwraps: not a scalar, so such a line is decoded whole).
_FIXED_KEYS = (
    *_META_KEYS,
    "EventData",
    "Records",
    *_NUMBER_KEYS,
    "UtcTime",
    *_HELK_TIME_KEYS,
)
_UNIQUE_KEYS = frozenset({*_NUMBER_KEYS, "UtcTime", *_HELK_TIME_KEYS})
_EVENT_DATA = _FIXED_KEYS.index("EventData")
_RECORD_NUMBER = _FIXED_KEYS.index("RecordNumber")
_NUMBER_SLOTS = tuple(_FIXED_KEYS.index(key) for key in _NUMBER_KEYS)
_UTC_TIME = _FIXED_KEYS.index("UtcTime")
_TIME_SLOTS = tuple(_FIXED_KEYS.index(key) for key in _HELK_TIME_KEYS)


def _first_value(values: tuple[Any, ...], slots: tuple[int, ...]) -> Any:
    """``_first_key``'s value over slots: the first present value that is not null or ""."""
    for slot in slots:
        value = values[slot]
        if value is not _ABSENT and value is not None and value != "":
            return value
    return None


def _time(value: Any, field_name: str) -> datetime:
    """``parse_time``, the usual ISO forms read by the compiled reader."""
    if type(value) is str and _native_time is not None:
        time = _native_time(value)
        if time is not None:
            return time
    return parse_time(value, field_name=field_name)


def _no_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return ()


def _one_value(slot: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    def get(values: tuple[Any, ...]) -> tuple[Any, ...]:
        return (values[slot],)

    return get


FastParse = Callable[[Mapping[str, Any], ParseContext], list[Event]]


def fast_parsers() -> dict[str, FastParse]:
    """Parser name -> a drop-in for its ``parse`` with caches of its own (one set per reader)."""
    return {"helk": HelkTemplates().parse}


class NativeHelk(NamedTuple):
    """The compiled reader's two steps for one reader (see ``HelkTemplates.read``)."""

    read: Callable[[bytes], tuple[Any, ...] | None]
    parse: Callable[[tuple[Any, ...], bytes, ParseContext], list[Event]]
    #: ``read_hits``: the lines of a block the reader answers itself, in one call.
    hits: Callable[[list[bytes], int, int, ParseContext], tuple[list[Event], int, int, int, Any]]
    #: What ``hits`` hands back for a line it stopped at without reading it.
    unread: Any
    #: ``read_hits_at``: ``hits`` over a read block's lines in place; None if not built.
    hits_at: (
        Callable[[bytes, int, int, int, ParseContext], tuple[list[Event], int, int, int, int, Any]]
        | None
    ) = None


def fast_parsers_native(
    native: bool | None = None,
) -> tuple[dict[str, FastParse], NativeHelk | None]:
    """``fast_parsers()``, and the compiled HELK reader sharing their caches (None when it is
    not installed or ``native`` is False)."""
    templates = HelkTemplates(native)
    steps = None
    if templates.native is not None:
        hits_at = templates.read_hits_at if _native_hits_at is not None else None
        steps = NativeHelk(
            templates.read, templates.parse_values, templates.read_hits, _ABSENT, hits_at
        )
    return {"helk": templates.parse}, steps
