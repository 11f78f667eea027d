"""Raw records <-> canonical events, shared by ``vigil ingest`` and the worker's parse stage.

Ingest uses the same framing and format sniffing as ``vigil detect`` (``InputReader``) but stops
short of parsing: each record goes to ``vigil.raw`` as an envelope that carries what the parser
needs to give the *same* Event as ``vigil detect`` would (format, position in the input, the
input's reference time for year-less syslog). The worker parses envelopes with that parser.

Envelope (JSON), one raw record: ``{"tenant", "source", "format"?, "pos"?, "ref"?, "record"}``;
``record`` is the text line or the decoded JSON object. Producers other than ``vigil ingest`` (a
SIEM forwarder) may send only ``tenant``, ``source`` and ``record``: the format is then sniffed.

Batch envelope, many raw records of one input in input order (what ``vigil ingest`` sends, at
most :data:`PACK_RECORDS` records / :data:`PACK_BYTES` bytes each, so one Kafka record carries
a few thousand lines): ``{"tenant", "source", "format"?, "ref"?, "pos"?: [int, ...],
"records": [...]}``; ``pos`` (if present) has one position per record. A bad record of a batch
envelope is dead-lettered on its own, as the one-record envelope it stands for.

>>> packer = EnvelopePacker()
>>> one = {"tenant": "acme", "source": "a.log", "format": "syslog", "pos": 1, "ref": 0.0}
>>> packer.add(b"acme|a.log", {**one, "record": "line 1"})
>>> packer.add(b"acme|a.log", {**one, "pos": 2, "record": "line 2"})
>>> [(key, orjson.loads(value)["records"]) for key, value in packer.flush()]
[(b'acme|a.log', ['line 1', 'line 2'])]
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.event import Event

log = logging.getLogger("vigil.streaming")


def _import_readers() -> Any:
    """Import ``schemas.readers``, tolerating parser modules that have not landed yet.

    Temporary: ``schemas.parsers.load_all`` names modules that colleagues are still writing.
    A missing one is replaced by an empty module (its formats are then simply unknown) and
    reported once, instead of making the whole streaming path unusable meanwhile.
    """
    for _ in range(10):  # bounded: there are fewer parser modules than this
        try:
            return importlib.import_module("schemas.readers")
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if not missing.startswith("schemas.parsers.") or missing in sys.modules:
                raise
            log.warning("parser module %s is missing; its formats are unavailable", missing)
            sys.modules[missing] = type(sys)(missing)
    return importlib.import_module("schemas.readers")


readers = _import_readers()
from schemas.parsers import PARSERS, BadRecord, ParseContext, Parser  # noqa: E402

DeadLetter = readers.DeadLetter
InputReader = readers.InputReader
expand = readers.expand
InputError = readers.InputError
SNIFF_ORDER: tuple[str, ...] = readers.SNIFF_ORDER
DEAD_LETTER_RAW_CHARS: int = readers.DEAD_LETTER_RAW_CHARS

Envelope = dict[str, Any]

PACK_RECORDS = 500  # raw records per batch envelope
PACK_BYTES = 64 * 1024  # and at most about this many bytes of records (broker limit: 1 MiB)


class EnvelopePacker:
    """Packs consecutive one-record envelopes of the same key, tenant, source, format and
    reference time into batch envelopes (``vigil ingest``): one Kafka record per few thousand
    raw records instead of one each, same key, same order."""

    def __init__(self, max_records: int = PACK_RECORDS, max_bytes: int = PACK_BYTES) -> None:
        self.max_records, self.max_bytes = max_records, max_bytes
        self.ready: list[tuple[bytes, bytes]] = []
        self._ident: tuple[Any, ...] | None = None
        self._key = b""
        self._head: Envelope = {}
        self._positions: list[int] = []
        self._records: list[bytes] = []
        self._bytes = 0

    def add(self, key: bytes, envelope: Envelope) -> None:
        head = tuple(sorted((k, v) for k, v in envelope.items() if k not in ("record", "pos")))
        self.add_record(key, head, int(envelope.get("pos", 0)), envelope["record"])

    def add_record(
        self, key: bytes, head: tuple[tuple[str, Any], ...], pos: int, record: Any
    ) -> None:
        """:meth:`add` without the envelope dict: ``head`` is its items but ``record`` and
        ``pos``, in key order. ``vigil ingest`` sends a million lines in a few seconds, and
        building, splitting and sorting a dict per line was about a third of its CPU."""
        data = orjson.dumps(record)
        if (key, head) != self._ident or (
            self._records
            and (len(self._records) >= self.max_records or self._bytes + len(data) > self.max_bytes)
        ):
            self._close()
            self._ident, self._key, self._head = (key, head), key, dict(head)
        self._positions.append(pos)
        self._records.append(data)
        self._bytes += len(data) + 8

    def _close(self) -> None:
        if not self._records:
            return
        head = orjson.dumps({**self._head, "pos": self._positions})
        value = b"".join((head[:-1], b',"records":[', b",".join(self._records), b"]}"))
        self.ready.append((self._key, value))
        self._positions, self._records, self._bytes = [], [], 0

    def flush(self) -> list[tuple[bytes, bytes]]:
        """Every packed envelope so far, as ``(key, value)``; the packer starts afresh."""
        self._close()
        self._ident = None
        ready, self.ready = self.ready, []
        return ready


class RecordCapture(InputReader):  # type: ignore[misc, valid-type]
    """An ``InputReader`` that hands each sniffed raw record to ``emit`` instead of parsing it.

    ``_parse`` is the one place where framing and sniffing meet the parser, so overriding it
    keeps ingest's framing (gzip, zip, EVTX, JSON documents, CloudTrail ``Records``) and
    sniffing identical to ``vigil detect``. ``read_input`` then yields one ``None`` per record.
    """

    def __init__(
        self, *, emit: Callable[[tuple[tuple[str, Any], ...], int, Any], None], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.emit = emit
        self._head: tuple[tuple[str, Any], ...] = ()
        self._parts: tuple[Any, ...] = ()

    def _parse(self, parser: Parser, record: Any, ctx: ParseContext, raw: Any) -> Iterator[Any]:
        # Yields one None per record (not an Event) so the caller can pause between records.
        self.stats.by_format[parser.name] += 1
        # The envelope's head, (key, value) pairs in key order (EnvelopePacker.add_record),
        # rebuilt only when the input, format or reference time changes.
        parts = (parser.name, ctx.source, ctx.tenant, ctx.reference_time)
        if parts != self._parts:
            self._parts = parts
            self._head = (
                ("format", parser.name),
                ("ref", ctx.reference_time.timestamp()),
                ("source", ctx.source),
                ("tenant", ctx.tenant),
            )
        head = self._head
        self.emit(head, ctx.position, record)
        yield None


def sniff(record: Any) -> Parser | None:
    """The parser for a record without a declared format (same order as ``vigil detect``)."""
    kind = "text" if isinstance(record, str) else "json"
    for name in SNIFF_ORDER:
        parser = PARSERS.get(name)
        if parser is None or parser.kind != kind:
            continue
        try:
            if parser.sniff(record):
                return parser
        except Exception:  # noqa: S112 - a sniffer that chokes on hostile input just says no
            continue
    return None


@dataclass(frozen=True)
class Rejected:
    """A raw message that became no event: the dead letter for ``vigil.dlq``."""

    key: bytes | None
    letter: bytes


@dataclass
class ParseResult:
    events: list[Event]
    rejected: list[Rejected]
    skipped: int = 0
    records: int = 0  # raw records seen (a batch envelope counts each of its records)
    counts: list[int] = field(default_factory=list)  # events parsed from each value, in order


class EnvelopeParser:
    """Parses envelopes; keeps one ``ParseContext`` per input so parser state (syslog year
    rollover) carries across batches, bounded to the most recent ``max_inputs`` inputs."""

    def __init__(self, max_inputs: int = 4096) -> None:
        self.contexts: OrderedDict[tuple[str, str], ParseContext] = OrderedDict()
        self.max_inputs = max_inputs

    def parse(self, values: list[tuple[bytes | None, bytes]]) -> ParseResult:
        result = ParseResult(events=[], rejected=[])
        counts, events = result.counts, result.events
        for key, value in values:
            before = len(events)
            self._one(key, value, result)
            counts.append(len(events) - before)
        return result

    def _context(self, tenant: str, source: str, ref: Any) -> ParseContext:
        ident = (tenant, source)
        ctx = self.contexts.get(ident)
        if ctx is None:
            ctx = ParseContext(tenant=tenant, source=source)
            self.contexts[ident] = ctx
            if len(self.contexts) > self.max_inputs:
                self.contexts.popitem(last=False)
        else:
            self.contexts.move_to_end(ident)
        if isinstance(ref, int | float):
            ctx.reference_time = datetime.fromtimestamp(float(ref), UTC)
        return ctx

    def _one(self, key: bytes | None, value: bytes, result: ParseResult) -> None:
        def reject(reason: str, source: str = "-", position: int = 0, raw: bytes = value) -> None:
            preview = raw[:DEAD_LETTER_RAW_CHARS].decode("utf-8", "replace")
            letter = DeadLetter(source=source, position=position, reason=reason, raw=preview)
            result.rejected.append(Rejected(key=key, letter=letter.to_json()))

        try:
            envelope = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            result.records += 1
            reject(f"raw message is not a JSON envelope: {exc}"[:200])
            return
        if not isinstance(envelope, dict):
            result.records += 1
            reject("raw message is not an envelope: want {tenant, source, record}")
            return
        records = envelope.get("records")
        if "record" in envelope:
            records, positions = [envelope["record"]], [envelope.get("pos", 0)]
        elif isinstance(records, list):
            positions = envelope.get("pos", [0] * len(records))
        else:
            result.records += 1
            reject("raw message is not an envelope: want {tenant, source, record}")
            return
        result.records += len(records)
        tenant, source = envelope.get("tenant"), envelope.get("source", "-")
        batch = "records" in envelope and "record" not in envelope

        def reject_all(reason: str) -> None:
            """Dead-letter every record of the envelope, each as its one-record envelope."""
            if not batch:
                position = positions[0] if isinstance(positions[0], int) else 0
                reject(reason, str(source), position if isinstance(source, str) else 0)
                return
            ok = isinstance(positions, list) and len(positions) == len(records)
            for n, record in enumerate(records):
                position = positions[n] if ok and isinstance(positions[n], int) else 0
                reject(reason, str(source), position, _single(envelope, record, position))

        if not isinstance(tenant, str) or not tenant or "|" in tenant:
            reject_all("envelope has no valid tenant")
            return
        if (
            not isinstance(source, str)
            or not isinstance(positions, list)
            or len(positions) != len(records)
            or not all(isinstance(p, int) for p in positions)
        ):
            reject_all("envelope source/pos have wrong types")
            return
        declared = PARSERS.get(envelope["format"]) if envelope.get("format") else None
        if envelope.get("format") and declared is None:
            reject_all(f"unrecognised format {envelope['format']}")
            return
        ctx = self._context(tenant, source, envelope.get("ref"))
        events = result.events
        for record, position in zip(records, positions, strict=True):
            parser = declared or sniff(record)
            reason = None
            if parser is None:
                reason = "unrecognised format"
            elif parser.kind == "json" and not isinstance(record, dict):
                reason = "record is not a JSON object"
            elif parser.kind == "text" and not isinstance(record, str):
                reason = "record is not a text line"
            else:
                ctx.position = position
                try:
                    parsed = parser.parse(record, ctx)
                except BadRecord as exc:
                    reason = str(exc) or "bad record"
                except RecursionError:
                    reason = "record nested too deeply"
                except Exception as exc:  # a parser bug must not stop the stream: dead-letter it
                    reason = f"parser {parser.name} failed: {type(exc).__name__}: {exc}"[:200]
                else:
                    if parsed:
                        events.extend(parsed)
                    else:
                        result.skipped += 1
                    continue
            raw = _single(envelope, record, position) if batch else value
            reject(reason, source, position, raw)


def _single(envelope: Envelope, record: Any, position: int) -> bytes:
    """The one-record envelope a record of a batch envelope stands for (its dead letter's raw
    text, which can be sent to ``vigil.raw`` again as it is)."""
    head = {k: v for k, v in envelope.items() if k not in ("records", "pos")}
    return orjson.dumps({**head, "pos": position, "record": record})


def event_key(event: Event) -> bytes:
    """``tenant|user`` (``tenant|host`` without a user): one entity's events stay in order."""
    entity = event.user or event.dst_host or event.src_host or event.src_ip
    return f"{event.tenant}|{entity}".encode()


#: How the parse stage keys ``vigil.events`` (``vigil worker --partition-by``). ``tenant``: a
#: tenant's events share one partition, so one engine sees all of them and every detector
#: (per source IP, per host pair, login chains across accounts, tenant-wide priors) sees
#: exactly what ``vigil detect`` sees; a tenant is then detected by one worker at a time.
#: ``user``: ``tenant|user`` (:func:`event_key`), spread over the partitions, but a detector
#: keyed by anything else than the user sees only a partition's slice of its key's events
#: (a spray over 40 accounts as ~10 per partition): fewer and different incidents.
PARTITION_MODES = ("tenant", "user")
DEFAULT_PARTITION_BY = "tenant"


def partition_key(event: Event, partition_by: str = DEFAULT_PARTITION_BY) -> bytes:
    """The ``vigil.events`` key of ``event`` under ``partition_by`` (:data:`PARTITION_MODES`).

    >>> from datetime import UTC, datetime
    >>> from schemas.event import Action
    >>> e = Event(time=datetime(2024, 5, 1, tzinfo=UTC), tenant="acme", source_format="x",
    ...           action=Action.LOGON, user="alice")
    >>> partition_key(e), partition_key(e, "user")
    (b'acme', b'acme|alice')
    """
    if partition_by == "tenant":
        return event.tenant.encode()
    if partition_by == "user":
        return event_key(event)
    raise ValueError(f"partition_by must be one of {PARTITION_MODES}, not {partition_by!r}")
