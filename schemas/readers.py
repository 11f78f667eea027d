"""Turn input files into Events: decompression, framing, format sniffing, dead letters.

One input (a file, a zip member, stdin) is read as one of three framings:

- ``evtx``: Windows binary event logs (magic ``ElfFile``), decoded by the ``evtx`` package;
- ``json``: JSON lines, or one JSON document (``{"Records": [...]}``, a bare array, one object);
- ``text``: log lines (syslog).

The format (parser) is chosen per input from its first records unless one is forced. Everything
that cannot be read becomes a :class:`DeadLetter` with a reason; nothing is dropped silently and
nothing raised by bad content escapes, so one hostile file never stops a run.
"""

from __future__ import annotations

import collections
import gzip
import heapq
import io
import itertools
import json
import logging
import multiprocessing
import operator
import os
import queue
import re
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import msgspec
import orjson

from schemas.event import Event
from schemas.parsers import PARSERS, BadRecord, ParseContext, Parser
from schemas.parsers import load_all as _load_parsers
from schemas.parsers.bulk import FastParse, NativeHelk, fast_parsers_native
from schemas.parsers.syslog import YEAR_INFERRED_STATE as _YEAR_INFERRED
from schemas.year_anchor import anchor_references

_load_parsers()

EVTX_MAGIC = b"ElfFile\x00"
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

#: One record (a JSON line or a text line) larger than this is dead-lettered unread.
MAX_RECORD_BYTES = 1 << 20
#: A whole JSON document (CloudTrail file, JSON array) larger than this is refused.
MAX_DOCUMENT_BYTES = 512 << 20
#: Decompressed output beyond both this size and ratio is treated as a decompression bomb.
BOMB_MIN_BYTES = 64 << 20
BOMB_RATIO = 200
#: How many leading records may fail to sniff before the whole input is declared unknown.
SNIFF_RECORDS = 50
#: Events are re-ordered by time within this many events per input (inputs are nearly ordered).
REORDER_WINDOW = 20_000
DEAD_LETTER_RAW_CHARS = 2048

# Sniffing order: specific shapes before generic ones (ECS is the catch-all for JSON).
SNIFF_ORDER = (
    "evtx",
    "winlogbeat",
    "helk",
    "cloudtrail",
    "cloudwatch",
    "elastic",
    "okta",
    "entra",
    "sentinel",
    "ocsf",
    "journald",
    "ecs",
    "winxml",
    "syslog",
)


class ByteStream(Protocol):
    """What the readers need of a binary stream (files, gzip/zip members, stdin, wrappers)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DeadLetter:
    """A record (or a whole input) that could not be turned into events, and why."""

    source: str
    position: int
    reason: str
    raw: str

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "source": self.source,
                "position": self.position,
                "reason": self.reason,
                "raw": self.raw,
            }
        )


@dataclass
class ReadStats:
    """Counters for the ``--stats`` summary; ``by_format`` counts records per chosen parser."""

    records_read: int = 0
    events: int = 0
    skipped: int = 0
    dead_letter: int = 0
    by_format: Counter[str] = field(default_factory=Counter)
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)


log = logging.getLogger(__name__)

#: How many records a probe for an input's first event reads at most (schemas/year_anchor.py):
#: enough to pass a capture's leading noise, bounded for archives of Sysmon events.
PROBE_MAX_RECORDS = 2_000


class _ProbeLimit(BaseException):
    """Ends a probe (a BaseException, so that no parser or framing guard turns it into a dead
    letter on the way out)."""


class _ProbeStats(ReadStats):
    """Counters that end a probe once it has read :data:`PROBE_MAX_RECORDS` records."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "records_read" and value > PROBE_MAX_RECORDS:
            raise _ProbeLimit
        super().__setattr__(name, value)


DeadLetterSink = Callable[[DeadLetter], None]
#: Splits a stream into numbered lines without their newline: _lines or _block_lines.
LineSplitter = Callable[["ByteStream"], Iterator[tuple[int, bytes]]]


def _raw_preview(raw: bytes | str | Any) -> str:
    if isinstance(raw, bytes):
        return raw[:DEAD_LETTER_RAW_CHARS].decode("utf-8", errors="replace")
    if isinstance(raw, str):
        return raw[:DEAD_LETTER_RAW_CHARS]
    try:
        return orjson.dumps(raw, default=str)[:DEAD_LETTER_RAW_CHARS].decode("utf-8", "replace")
    except (TypeError, orjson.JSONEncodeError):
        return repr(raw)[:DEAD_LETTER_RAW_CHARS]


class InputReader:
    """Reads inputs into Events for one tenant, sending dead letters to ``sink``."""

    def __init__(
        self,
        *,
        tenant: str,
        sink: DeadLetterSink,
        stats: ReadStats | None = None,
        forced_format: str | None = None,
        columnar: bool = False,
    ) -> None:
        if forced_format is not None and forced_format not in PARSERS:
            known = ", ".join(sorted(PARSERS))
            raise ValueError(f"unknown format {forced_format!r}; choose one of: auto, {known}")
        self.tenant = tenant
        self.sink = sink
        self.stats = stats if stats is not None else ReadStats()
        self.forced = PARSERS[forced_format] if forced_format else None
        # Columnar ingestion (block reads, per-distinct-value parsing: schemas/parsers/bulk.py):
        # the same events and dead letters, faster. Off by default: streaming ingest and the
        # per-event baselines of benchmarks/throughput.py read record by record.
        self.columnar = columnar
        self._fast: dict[str, FastParse] = {}
        #: The compiled HELK line reader (schemas/native), columnar only: see bulk.py.
        self._native: NativeHelk | None = None
        if columnar:
            self._fast, self._native = fast_parsers_native()
        #: Reference times for year-less (RFC 3164) inputs, by input name, that win over the
        #: file's mtime: set from the run's dated inputs (schemas/year_anchor.py).
        self.reference_overrides: dict[str, datetime] = {}
        self._contexts: list[ParseContext] | None = None  # kept only while probing

    # -- public ------------------------------------------------------------------------------

    def read_paths(self, paths: Iterable[str]) -> Iterator[Event]:
        """Events from all inputs, merged in event-time order."""
        inputs = list(expand(paths))
        self.anchor_years(inputs)
        streams = [self._ordered(self.read_input(name, opener)) for name, opener in inputs]
        if len(streams) == 1:
            yield from streams[0]
            return
        keyed = [_keyed_seq(index, stream) for index, stream in enumerate(streams)]
        yield from map(_EVENT_OF, _merge_keyed(keyed))

    def read_input(
        self, name: str, opener: Callable[[], ByteStream]
    ) -> Generator[Event, None, None]:
        """Events of one input (file, stdin) in file order; dead letters go to the sink."""
        try:
            stream = opener()
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from exc
        try:
            yield from self._read_stream(name, stream, depth=0)
        finally:
            stream.close()

    def anchor_years(self, inputs: Sequence[tuple[str, Callable[[], ByteStream]]]) -> None:
        """Set :attr:`reference_overrides` for the year-less inputs of a run that also has
        dated inputs (see ``schemas/year_anchor.py``); a no-op for a single input or stdin."""
        files = [(name, opener) for name, opener in inputs if name != "-"]
        if len(files) < 2 or (self.forced is not None and self.forced.name != "syslog"):
            return
        # A JSON input's years are its own (only the syslog parser, of the text kind, infers
        # one): its first time matters only when another input's year is inferred, and a
        # JSON document's probe decodes the whole document (a CloudTrail file: ~7 % of a
        # generated scenario's parse time). So JSON inputs are probed last, only then.
        json_inputs = [(name, opener) for name, opener in files if self._json_input(opener)]
        json_names = {name for name, _ in json_inputs}
        probes = [
            (name, *self._probe(name, opener)) for name, opener in files if name not in json_names
        ]
        if any(inferred for _, _, inferred in probes):
            probes += [(name, *self._probe(name, opener)) for name, opener in json_inputs]
        self.reference_overrides = anchor_references(probes)
        by_year: dict[int, list[str]] = {}
        for name, when in self.reference_overrides.items():
            by_year.setdefault(when.year, []).append(name)
        for year, names in sorted(by_year.items()):
            log.warning(
                "vigil: %d syslog input(s) with dates without a year have modification times "
                "far from the dates of the run's other inputs: read as %d (%s%s)",
                len(names),
                year,
                names[0],
                f" and {len(names) - 1} more" if len(names) > 1 else "",
            )

    def _json_input(self, opener: Callable[[], ByteStream]) -> bool:
        """Whether an input is read as JSON (lines or a document) by ``_read_stream`` and
        ``_read_textual``: plain, not binary, its first byte past a BOM and blanks ``{`` or
        ``[``; with a forced format, never (it decides the parser)."""
        if self.forced is not None:
            return False
        try:
            stream = opener()
        except OSError:
            return False
        try:
            first = stream.read(8)
            if first.startswith((GZIP_MAGIC, ZIP_MAGIC, EMPTY_ZIP_MAGIC, EVTX_MAGIC)):
                return False
            head = _Prepended(first, stream).read(64 << 10)
        except OSError:
            return False
        finally:
            stream.close()
        if not head or _looks_binary(head):
            return False
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        return head.lstrip()[:1] in (b"{", b"[")

    def _probe(self, name: str, opener: Callable[[], ByteStream]) -> tuple[datetime | None, bool]:
        """The first event time of an input, and whether its year was inferred (RFC 3164).
        A throw-away reader (no dead letters, no counts) that stops after
        :data:`PROBE_MAX_RECORDS` records without an event."""
        probe = InputReader(
            tenant=self.tenant,
            sink=lambda letter: None,
            stats=_ProbeStats(),
            forced_format=self.forced.name if self.forced is not None else None,
        )
        probe._contexts = []
        events = probe.read_input(name, opener)
        first: datetime | None = None
        try:
            first = next(events).time
        except (StopIteration, _ProbeLimit, InputError):
            pass
        finally:
            events.close()
        inferred = any(_YEAR_INFERRED in ctx.state for ctx in probe._contexts)
        return first, inferred

    # -- framing -----------------------------------------------------------------------------

    def _read_stream(
        self, name: str, stream: ByteStream, depth: int, reference: datetime | None = None
    ) -> Iterator[Event]:
        head = stream.read(8)
        if not head:
            self._dead(name, 0, "empty input", b"")
            return
        rest = _Prepended(head, stream)
        if head.startswith(GZIP_MAGIC):
            if depth >= 2:
                self._dead(name, 0, "nested archive too deep", head)
                return
            unzipped = gzip.GzipFile(fileobj=rest)
            bounded = _BombGuard(unzipped, name)
            yield from self._guarded(name, self._gunzip(name, unzipped, bounded, depth))
        elif head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
            if depth >= 2:
                self._dead(name, 0, "nested archive too deep", head)
                return
            yield from self._read_zip(name, rest, depth)
        elif head.startswith(EVTX_MAGIC):
            yield from self._read_evtx(name, rest)
        else:
            # A plain (not decompressed) input may be read in blocks: see _block_lines. Not
            # stdin: a live pipe (tail -F | vigil detect -) would wait for a whole block.
            lines = _block_lines if depth == 0 and self.columnar and name != "-" else _lines
            yield from self._guarded(name, self._read_textual(name, rest, reference, lines))

    def _gunzip(
        self, name: str, unzipped: gzip.GzipFile, stream: ByteStream, depth: int
    ) -> Iterator[Event]:
        head = stream.read(8)
        # The gzip header keeps the original file's mtime, which survives copies that lose
        # the file's own mtime: the better anchor for RFC 3164 years.
        reference = datetime.fromtimestamp(unzipped.mtime, UTC) if unzipped.mtime else None
        yield from self._read_stream(name, _Prepended(head, stream), depth + 1, reference)

    def _guarded(self, name: str, events: Iterator[Event]) -> Iterator[Event]:
        """Turn a failure in the middle of a stream (corrupt gzip, bomb) into one dead letter."""
        try:
            yield from events
        except _Bomb as exc:
            self._dead(name, -1, str(exc), b"")
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
            self._dead(name, -1, f"input ends unreadably: {type(exc).__name__}: {exc}"[:200], b"")

    def _read_zip(self, name: str, stream: ByteStream, depth: int) -> Iterator[Event]:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            self._dead(name, 0, "zip archive larger than the document limit", data[:64])
            return
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            self._dead(name, 0, f"unreadable zip archive: {exc}"[:200], data[:64])
            return
        if not members:
            self._dead(name, 0, "zip archive has no files", b"")
            return
        for member in members:
            member_name = f"{name}:{member.filename}"
            ratio_limit = max(BOMB_MIN_BYTES, member.compress_size * BOMB_RATIO)
            if member.file_size > ratio_limit:
                self._dead(
                    member_name,
                    0,
                    f"decompression bomb: {member.file_size} bytes from {member.compress_size}",
                    b"",
                )
                continue
            try:
                member_stream = archive.open(member)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
                self._dead(member_name, 0, f"unreadable zip member: {exc}"[:200], b"")
                continue
            guarded = _BombGuard(member_stream, member_name, member.compress_size)
            try:
                yield from self._guarded(
                    member_name, self._read_stream(member_name, guarded, depth + 1)
                )
            finally:
                guarded.close()

    def _read_evtx(self, name: str, stream: ByteStream) -> Iterator[Event]:
        import evtx  # local: only EVTX inputs pay for the extension import

        parser = self.forced or PARSERS["evtx"]
        ctx = ParseContext(tenant=self.tenant, source=name)
        buffer = io.BytesIO(stream.read(MAX_DOCUMENT_BYTES))
        try:
            records = evtx.PyEvtxParser(buffer).records_json()
            position = 0
            while True:
                try:
                    item = next(records)
                except StopIteration:
                    break
                except (RuntimeError, OSError, ValueError) as exc:
                    # A corrupt chunk: the evtx iterator reports it and carries on.
                    position += 1
                    self.stats.records_read += 1
                    self._dead(name, position, f"corrupt evtx record: {exc}"[:200], b"")
                    continue
                position += 1
                self.stats.records_read += 1
                try:
                    record = orjson.loads(item["data"])  # type: ignore[index]
                except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                    self._dead(name, position, f"evtx record not JSON: {exc}"[:200], b"")
                    continue
                ctx.position = position
                yield from self._parse(parser, record, ctx, record)
        except (RuntimeError, OSError, ValueError) as exc:
            self._dead(name, 0, f"unreadable evtx file: {exc}"[:200], b"")
            return
        if position == 0:
            # A header the parser accepts but no chunk it can read: corrupt or truncated.
            self._dead(name, 0, "evtx file holds no readable records", b"")

    def _read_textual(
        self,
        name: str,
        stream: ByteStream,
        reference: datetime | None = None,
        lines: LineSplitter | None = None,
    ) -> Iterator[Event]:
        head = stream.read(64 << 10)
        if _looks_binary(head):
            self._dead(name, 0, "binary content of unknown format", head[:64])
            return
        body = _Prepended(head, stream)
        if head.startswith(b"\xef\xbb\xbf"):
            body.read(3)
            head = head[3:]
        stripped = head.lstrip()
        if stripped[:1] in (b"{", b"["):
            first_line = stripped.split(b"\n", 1)[0].strip()
            if _is_json(first_line):
                yield from self._read_json_lines(name, body, reference, lines or _lines)
            else:
                yield from self._read_json_document(name, body, reference)
        else:
            yield from self._read_text_lines(name, body, reference, lines or _lines)

    def _read_json_lines(
        self,
        name: str,
        stream: ByteStream,
        reference: datetime | None = None,
        lines: LineSplitter | None = None,
    ) -> Iterator[Event]:
        native = self._native
        helk = PARSERS["helk"]
        # The input's parser once known (_parse_records sniffs it on the first records): from
        # then on a HELK input's lines go to the compiled reader first, which yields a tuple of
        # the values HelkTemplates.parse_values reads (no JSON decoder gives a tuple).
        parser_of_input: list[Parser | None] = [self.forced]

        # Read in blocks (a plain input read columnar), the lines of a block after the parser
        # is known come as one _LineBlock, parsed in one loop (_parse_json_block).
        numbered: Iterator[tuple[int, bytes | _LineBlock]] = (
            _blocks_once_known(_line_blocks(stream), parser_of_input)
            if lines is _block_lines
            else (lines or _lines)(stream)
        )

        def records() -> Iterator[tuple[int, Any, bytes]]:
            for position, line in numbered:
                if isinstance(line, _LineBlock):
                    yield position, line, b""
                    continue
                if not line.strip():
                    continue
                self.stats.records_read += 1
                if len(line) > MAX_RECORD_BYTES:
                    self._dead(name, position, "record larger than 1 MiB", line[:256])
                    continue
                if native is not None and parser_of_input[0] is helk:
                    values = native.read(line)
                    if values is not None:
                        yield position, values, line
                        continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    self._dead(name, position, f"invalid JSON: {exc}"[:200], line)
                    continue
                for item in _unwrap(value):
                    yield position, item, line

        yield from self._parse_records(name, "json", records(), reference, parser_of_input)

    def _read_json_document(
        self, name: str, stream: ByteStream, reference: datetime | None = None
    ) -> Iterator[Event]:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
        self.stats.records_read += 1
        if len(data) > MAX_DOCUMENT_BYTES:
            self._dead(name, 0, "JSON document larger than 512 MiB", data[:256])
            return
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            values = _concatenated_json(data)
            if values is None:
                self._dead(name, 0, f"invalid JSON document: {exc}"[:200], data)
                return
            items = [item for one in values for item in _unwrap(one)]
        else:
            items = list(_unwrap(value))
        # A document is one read; its records are what gets counted from here on.
        self.stats.records_read += len(items) - 1

        def records() -> Iterator[tuple[int, Any, Any]]:
            for position, item in enumerate(items, start=1):
                yield position, item, item

        yield from self._parse_records(name, "json", records(), reference)

    def _read_text_lines(
        self,
        name: str,
        stream: ByteStream,
        reference: datetime | None = None,
        lines: LineSplitter | None = None,
    ) -> Iterator[Event]:
        def records() -> Iterator[tuple[int, Any, bytes]]:
            for position, raw in (lines or _lines)(stream):
                line = raw.rstrip(b"\r")
                if not line.strip():
                    continue
                self.stats.records_read += 1
                if len(line) > MAX_RECORD_BYTES:
                    self._dead(name, position, "line longer than 1 MiB", line[:256])
                    continue
                if b"\x00" in line:
                    self._dead(name, position, "NUL byte in text line", line)
                    continue
                try:
                    decoded = line.decode("utf-8")
                except UnicodeDecodeError:
                    self._dead(name, position, "invalid UTF-8", line)
                    continue
                yield position, decoded, line

        yield from self._parse_records(name, "text", records(), reference)

    # -- parsing -----------------------------------------------------------------------------

    def _parse_records(
        self,
        name: str,
        kind: str,
        records: Iterator[tuple[int, Any, Any]],
        reference: datetime | None = None,
        parser_of_input: list[Parser | None] | None = None,
    ) -> Iterator[Event]:
        """``parser_of_input``, when given, is told the input's parser once it is sniffed."""
        ctx = ParseContext(
            tenant=self.tenant,
            source=name,
            reference_time=(
                self.reference_overrides.get(name) or reference or _reference_time(name)
            ),
        )
        if self._contexts is not None:
            self._contexts.append(ctx)
        dead_before = self.stats.dead_letter
        columnar = self.columnar
        parser = self.forced
        pending: list[tuple[int, Any, Any]] = []
        seen = 0
        for position, record, raw in records:
            if type(record) is _LineBlock:  # JSON lines once the parser is known
                events, parsed = self._parse_json_block(parser, record, position, ctx)  # type: ignore[arg-type]
                seen += parsed
                yield from events
                continue
            seen += 1
            if parser is None:
                parser = _sniff(record, kind)
                if parser is None:
                    pending.append((position, record, raw))
                    if len(pending) >= SNIFF_RECORDS:
                        break
                    continue
                if parser_of_input is not None:
                    parser_of_input[0] = parser
                for p_position, p_record, p_raw in pending:
                    ctx.position = p_position
                    yield from self._parse(parser, p_record, ctx, p_raw)
                pending.clear()
            ctx.position = position
            if columnar:  # a list, not a generator per record (same work, same order)
                yield from self._parse_now(parser, record, ctx, raw)
            else:
                yield from self._parse(parser, record, ctx, raw)
        finish = getattr(parser, "finish", None)
        if finish is not None:  # a parser holding part of a record (multi-line XML) is told
            try:
                finish(ctx)
            except BadRecord as exc:
                self._dead(name, ctx.position, str(exc), b"")
        if seen == 0 and self.stats.dead_letter == dead_before:
            self._dead(name, 0, "no records in input (blank lines only)", b"")
        if parser is None:
            for position, _record, raw in pending:
                self._dead(name, position, f"unrecognised {kind} format", raw)
            for position, _record, raw in records:  # the rest of an unrecognised input
                self._dead(name, position, f"unrecognised {kind} format", raw)

    def _parse_json_block(
        self, parser: Parser, block: _LineBlock, position: int, ctx: ParseContext
    ) -> tuple[list[Event], int]:
        """The events of a block's JSON lines (``position``: the number of the line before its
        first), and how many records reached the parser: what ``_read_json_lines``'
        ``records`` and ``_parse_records`` do line by line, in one loop (the same events, dead
        letters and counts, in the same order)."""
        stats = self.stats
        name = ctx.source
        native = self._native if parser is PARSERS["helk"] else None
        read = native.read if native is not None else None
        parse_now = self._parse_now
        events: list[Event] = []
        parsed = 0
        # The compiled reader's lines: _parse_now's work inline, its counts added once.
        native_parsed = native_events = native_skipped = 0
        raw = block.block
        # With helk_hits_at the compiled reader walks the block's bytes in place and only the
        # lines it stops at are sliced out here (offset: the byte offset of lines[index]).
        hits_at = native.hits_at if native is not None else None
        data, offset = raw.data, 0
        lines = block.lines if block.lines is not None else []
        if hits_at is None:
            if block.lines is None:
                lines = raw.lines()
        else:
            for _ in range(block.start):  # the lines sniffing read (a few, first block only)
                offset = data.index(b"\n", offset) + 1
        index, end = block.start, raw.line_count
        first = position + 1 - index  # the position of lines[0]
        unread = scanned = native.unread if native is not None else None
        while index < end:
            if native is not None:
                # The lines the compiled reader answers itself, in one call; it stops at the
                # first other line and hands back its read() result (scanned), if it read it.
                if hits_at is not None:
                    found, passed, offset, answered, skipped, scanned = hits_at(
                        data, offset, end - index, MAX_RECORD_BYTES, ctx
                    )
                    stop = index + passed
                else:
                    found, stop, answered, skipped, scanned = native.hits(
                        lines, index, MAX_RECORD_BYTES, ctx
                    )
                if answered:
                    stats.records_read += answered
                    native_parsed += answered
                    native_events += len(found)
                    native_skipped += skipped
                    events += found
                    ctx.position = first + stop - 1
                index = stop
                if index >= end:
                    break
            if hits_at is not None:
                newline = data.find(b"\n", offset)
                line_end = newline if newline >= 0 else len(data)
                line = data[offset:line_end]
                offset = line_end + 1
                if len(line) > MAX_RECORD_BYTES:  # as _Block.lines cuts it
                    line = line[: MAX_RECORD_BYTES + 1]
            else:
                line = lines[index]
            position = first + index
            index += 1
            if not line.strip():
                continue
            stats.records_read += 1
            if len(line) > MAX_RECORD_BYTES:
                self._dead(name, position, "record larger than 1 MiB", line[:256])
                continue
            if read is not None:
                values = read(line) if scanned is unread else scanned
                if values is not None:
                    native_parsed += 1
                    ctx.position = position
                    try:
                        found = native.parse(values, line, ctx)  # type: ignore[union-attr]
                    except Exception as exc:  # as _parse_now: dead-lettered with its reason
                        self._parse_failed(parser, exc, ctx, line)
                        continue
                    if found:
                        native_events += len(found)
                        events += found
                    else:
                        native_skipped += 1
                    continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                self._dead(name, position, f"invalid JSON: {exc}"[:200], line)
                continue
            for item in _unwrap(value):
                parsed += 1
                ctx.position = position
                events += parse_now(parser, item, ctx, line)
        if native_parsed:
            stats.by_format[parser.name] += native_parsed
            stats.events += native_events
            stats.skipped += native_skipped
        return events, parsed + native_parsed

    def _parse(self, parser: Parser, record: Any, ctx: ParseContext, raw: Any) -> Iterator[Event]:
        # Streaming ingest (RecordCapture) overrides this one to capture records unparsed.
        yield from self._parse_now(parser, record, ctx, raw)

    def _parse_now(self, parser: Parser, record: Any, ctx: ParseContext, raw: Any) -> list[Event]:
        self.stats.by_format[parser.name] += 1
        native = type(record) is tuple  # a HELK line's values from the compiled reader
        if parser.kind == "json" and not native and not isinstance(record, dict):
            self._dead(ctx.source, ctx.position, "record is not a JSON object", raw)
            return []
        try:
            if native:
                events = self._native.parse(record, raw, ctx)  # type: ignore[union-attr]
            else:
                events = self._fast.get(parser.name, parser.parse)(record, ctx)
        except Exception as exc:  # a parser bug must not kill the stream; it is dead-lettered
            self._parse_failed(parser, exc, ctx, raw)
            return []
        if not events:
            self.stats.skipped += 1
            return []
        self.stats.events += len(events)
        return events

    def _parse_failed(self, parser: Parser, exc: Exception, ctx: ParseContext, raw: Any) -> None:
        """Dead-letter a record its parser raised on, with the reason."""
        if isinstance(exc, BadRecord):
            reason = str(exc) or "bad record"
        elif isinstance(exc, RecursionError):
            reason = "record nested too deeply"
        else:
            reason = f"parser {parser.name} failed: {type(exc).__name__}: {exc}"[:200]
        self._dead(ctx.source, ctx.position, reason, raw)

    def _dead(self, source: str, position: int, reason: str, raw: Any) -> None:
        self.stats.dead_letter += 1
        self.stats.dead_letter_reasons[_reason_class(reason)] += 1
        self.sink(
            DeadLetter(source=source, position=position, reason=reason, raw=_raw_preview(raw))
        )

    def _ordered(self, events: Iterator[Event]) -> Iterator[Event]:
        """Re-order an input's events by time within a bounded window (heap).

        While the input is in time order (the usual case) events pass through a FIFO of the
        window's length instead: on ordered input the heap pops exactly the FIFO's head (ties
        go by arrival), so the output is the same without the heap work. At the first event
        out of order the FIFO, already sorted and so a valid heap, becomes the heap.
        """
        fifo: collections.deque[Event] = collections.deque()
        last: datetime | None = None
        stream = iter(events)
        for event in stream:
            if last is not None and event.time < last:
                break
            last = event.time
            fifo.append(event)
            if len(fifo) > REORDER_WINDOW:
                yield fifo.popleft()
        else:
            yield from fifo
            return
        # Only the relative order of the arrival counters matters: renumber from 0.
        heap: list[tuple[datetime, int, Event]] = [(e.time, n, e) for n, e in enumerate(fifo)]
        fifo.clear()
        counter = itertools.count(len(heap))
        heapq.heappush(heap, (event.time, next(counter), event))
        if len(heap) > REORDER_WINDOW:
            yield heapq.heappop(heap)[2]
        for event in stream:
            heapq.heappush(heap, (event.time, next(counter), event))
            if len(heap) > REORDER_WINDOW:
                yield heapq.heappop(heap)[2]
        while heap:
            yield heapq.heappop(heap)[2]


class InputError(Exception):
    """An input that cannot be opened at all (missing file, permission): a usage error."""


def expand(paths: Iterable[str]) -> Iterator[tuple[str, Callable[[], ByteStream]]]:
    """(name, opener) per input: files, every file below a directory, ``-`` for stdin."""
    for raw_path in paths:
        if raw_path == "-":
            yield "-", lambda: _StdinNoClose(sys.stdin.buffer)
            continue
        path = Path(raw_path)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield str(child), _opener(child)
        elif path.exists():
            yield str(path), _opener(path)
        else:
            raise InputError(f"no such file or directory: {raw_path}")


def _opener(path: Path) -> Callable[[], ByteStream]:
    return lambda: path.open("rb")


def _sniff(record: Any, kind: str) -> Parser | None:
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


def _unwrap(value: Any) -> Iterator[Any]:
    """CloudTrail ``{"Records": [...]}`` and bare arrays hold many records; others are one."""
    if isinstance(value, dict):
        records = value.get("Records")
        if isinstance(records, list) and "eventName" not in value:
            yield from records
            return
        yield value
    elif isinstance(value, list):
        yield from value
    else:
        yield value


def _lines(stream: ByteStream) -> Iterator[tuple[int, bytes]]:
    """Lines with 1-based numbers; an over-long line is cut and reported by length."""
    position = 0
    while True:
        line = stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        position += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            # Skip the remainder of an over-long line so the next record starts clean.
            while True:
                tail = stream.readline(MAX_RECORD_BYTES)
                if not tail or tail.endswith(b"\n"):
                    break
        yield position, line.rstrip(b"\n")


#: Bytes read per block by :func:`_block_lines`.
LINE_BLOCK_BYTES = 1 << 20


def _block_lines(stream: ByteStream) -> Iterator[tuple[int, bytes]]:
    """:func:`_lines` (the same numbered lines, the same cut of an over-long line) from big
    reads and one ``split`` per block instead of a ``readline`` per line.

    Only for inputs that are not decompressed: a decompressor that fails mid-stream (a corrupt
    gzip, a bad zip CRC) would fail a whole block here where ``readline`` had yielded the lines
    before the damage, so those keep :func:`_lines`.
    """
    position = 0
    for block in _line_blocks(stream):
        for line in block.lines():
            position += 1
            yield position, line


class _Block(NamedTuple):
    """One read's complete lines, kept as read: ``data`` is ``line_count`` lines each ended by
    ``\\n`` (the last one possibly by the end of ``data``), maybe followed by the start of a
    line the next read finishes (not one of them). The compiled HELK reader walks ``data`` in
    place (``NativeHelk.hits_at``): no ``bytes`` object per line for the lines it answers."""

    data: bytes
    line_count: int
    #: Whether a line can be over 1 MiB (to be cut to ``MAX_RECORD_BYTES + 1`` bytes).
    long: bool

    def iter_lines(self) -> Iterator[bytes]:
        """``lines()`` one at a time: sniffing an input reads a line or two of its first block,
        and splitting the whole block for them cost a ``bytes`` object per line of it."""
        data, start, long = self.data, 0, self.long
        for _ in range(self.line_count):
            end = data.find(b"\n", start)
            if end < 0:  # the last line, ended by the end of data
                end = len(data)
            line = data[start:end]
            start = end + 1
            yield line[: MAX_RECORD_BYTES + 1] if long and len(line) > MAX_RECORD_BYTES else line

    def lines(self) -> list[bytes]:
        """The lines, an over-long one cut to ``MAX_RECORD_BYTES + 1`` bytes."""
        pieces = self.data.split(b"\n")
        del pieces[self.line_count :]  # the unfinished line after the last newline
        if self.long:
            pieces = [
                line if len(line) <= MAX_RECORD_BYTES else line[: MAX_RECORD_BYTES + 1]
                for line in pieces
            ]
        return pieces


class _LineBlock(NamedTuple):
    """The lines of a block from ``start`` on (see :func:`_blocks_once_known`); ``lines`` is
    ``block.lines()`` when already split, else None (``_parse_json_block`` splits it if it
    needs the list)."""

    block: _Block
    start: int
    lines: list[bytes] | None


def _blocks_once_known(
    blocks: Iterator[_Block], parser_of_input: list[Parser | None]
) -> Iterator[tuple[int, bytes | _LineBlock]]:
    """:func:`_block_lines`' numbered lines while the input's parser is not known (sniffing
    reads them one by one); from then on the rest of each block as one :class:`_LineBlock`,
    numbered by the line before its first."""
    position = 0
    for block in blocks:
        index = 0
        if parser_of_input[0] is None:
            for line in block.iter_lines():
                if parser_of_input[0] is not None:
                    break
                position += 1
                index += 1
                yield position, line
        if index < block.line_count:
            yield position, _LineBlock(block, index, None)
            position += block.line_count - index


def _count_lines_py(data: bytes) -> int:
    """The newlines of a block (``vigil_native.count_lines`` when built: memchr's count)."""
    return data.count(b"\n")


def _load_count_lines() -> Callable[[bytes], int]:
    try:
        from vigil_native import count_lines
    except ImportError:  # pragma: no cover - other machines, older builds
        return _count_lines_py
    return count_lines


_count_lines = _load_count_lines()


def _line_blocks(stream: ByteStream) -> Iterator[_Block]:
    """The lines :func:`_block_lines` numbers, a block's worth (one read) per :class:`_Block`:
    every line of the input in order, an over-long one cut to ``MAX_RECORD_BYTES + 1`` bytes
    and the rest of it skipped (so the position of a line is its index over all blocks, plus
    one). The line a read ends in is finished by the next read: it is put in front of that
    read's bytes (one copy of the block; splitting it into lines made one per line)."""
    carry = b""
    skipping = False  # the rest of an over-long line whose first part was already yielded
    while True:
        data = stream.read(LINE_BLOCK_BYTES)
        if not data:
            break
        if skipping:
            newline = data.find(b"\n")
            if newline < 0:
                continue
            data = data[newline + 1 :]
            skipping = False
        if carry:  # the line the last block ended in
            data = carry + data
        last = data.rfind(b"\n")
        if last < 0:
            carry = data
        else:
            yield _Block(data, _count_lines(data), len(data) > MAX_RECORD_BYTES)
            carry = data[last + 1 :]
        if len(carry) > MAX_RECORD_BYTES:
            yield _Block(carry[: MAX_RECORD_BYTES + 1], 1, True)
            carry = b""
            skipping = True
    if carry:
        yield _Block(carry, 1, len(carry) > MAX_RECORD_BYTES)


def _concatenated_json(data: bytes) -> list[Any] | None:
    """JSON documents written back to back without separators (``{...}{...}``), as Kinesis
    Firehose delivers records to S3: each document becomes an item (its ``Records`` unwrapped
    later). None when ``data`` is not exactly that (the caller reports the original error).

    Only reached after ``orjson`` refused the whole input, so other inputs pay nothing; the
    stdlib decoder finds where each document ends and ``orjson`` decodes it (same checks as
    everywhere else: no NaN, no numbers beyond float range, valid UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    values: list[Any] = []
    index = 0
    end = len(text)
    while True:
        while index < end and text[index] in " \t\r\n":
            index += 1
        if index >= end:
            break
        if text[index] not in "{[":
            return None
        try:
            _, stop = decoder.raw_decode(text, index)
            values.append(orjson.loads(text[index:stop]))
        except (ValueError, RecursionError):  # json's and orjson's decode errors are ValueError
            return None
        index = stop
    return values if len(values) > 1 else None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    sample = head[:4096]
    if sample.count(b"\x00") > len(sample) // 100 + 1:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))  # bytes < 9, 14-31
    return control > len(sample) // 20


#: The control bytes :func:`_looks_binary` counts (not tab, newline, vertical tab, form feed, CR).
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


# A calendar date in a file name: auth-2024-05-06.log, auth.log-20240506 (logrotate dateext),
# secure_2024.05.06. Digits around it would make it part of a longer number.
_NAME_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
)


def _reference_time(name: str) -> datetime:
    """Where RFC 3164 years are inferred from (the stamps have none) when the input is not a
    gzip member with a header time: the end of the day its file name is dated (rotated and
    exported logs usually are), else the file's mtime.

    The name comes first because an mtime does not survive every copy (git checkout, some
    archive tools, cp without -p): measured on the generated scenario (2024) with every file's
    mtime set to the day of the run, 7-10 went from 52/52 to 44/52 detected and from 4 to 96
    false alerts (72 pages), Linux events being read two years late. An undated name whose
    mtime was lost still gets the year of the copy.
    """
    match = _NAME_DATE.search(os.path.basename(name.rsplit(":", 1)[-1]))
    if match is not None:
        year, _, month, day = match.groups()
        try:
            return datetime(int(year), int(month), int(day), tzinfo=UTC) + timedelta(days=1)
        except ValueError:  # 2023-02-30: not a date after all
            pass
    return _mtime(name)


def _mtime(name: str) -> datetime:
    path = name.split(":", 1)[0] if not os.path.exists(name) else name
    try:
        return datetime.fromtimestamp(os.path.getmtime(path), UTC)
    except OSError:
        return datetime.now(UTC)


def _reason_class(reason: str) -> str:
    """A bounded label for metrics: the reason up to its first colon or digit."""
    head = reason.split(":", 1)[0]
    return "".join(c for c in head if not c.isdigit()).strip()[:60] or "other"


class _Bomb(Exception):
    pass


class _Wrapped(io.RawIOBase):
    """A readable raw stream over ``self.inner`` that closes it when closed itself."""

    inner: ByteStream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


class _BombGuard(_Wrapped):
    """Stops reading a decompressed stream that grows past the bomb limits."""

    def __init__(self, inner: ByteStream, name: str, compressed_size: int = 0) -> None:
        self.inner = inner
        self.name_ = name
        self.limit = max(BOMB_MIN_BYTES, compressed_size * BOMB_RATIO)
        if compressed_size == 0:
            self.limit = MAX_DOCUMENT_BYTES
        self.total = 0

    def _counted(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.limit:
            raise _Bomb(f"decompression bomb: more than {self.limit} bytes decompressed")
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        return self._counted(self.inner.read(-1 if size is None else size))

    def readline(self, size: int | None = -1, /) -> bytes:
        return self._counted(self.inner.readline(-1 if size is None else size))


class _Prepended(_Wrapped):
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, inner: ByteStream) -> None:
        self.head = head
        self.inner = inner

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            data, self.head = self.head + self.inner.read(), b""
            return data
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.inner.read(size - len(data))
            return data
        return self.inner.read(size)

    def readline(self, size: int | None = -1, /) -> bytes:
        limit = -1 if size is None else size
        if self.head:
            newline = self.head.find(b"\n")
            if newline >= 0 and (limit < 0 or newline < limit):
                data, self.head = self.head[: newline + 1], self.head[newline + 1 :]
                return data
            if limit >= 0 and len(self.head) >= limit:
                data, self.head = self.head[:limit], self.head[limit:]
                return data
            data, self.head = self.head, b""
            rest_limit = -1 if limit < 0 else limit - len(data)
            return data + self.inner.readline(rest_limit)
        return self.inner.readline(limit)


class _StdinNoClose(io.RawIOBase):
    def __init__(self, inner: ByteStream) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        return self.inner.read(-1 if size is None else size)

    def readline(self, size: int | None = -1, /) -> bytes:
        return self.inner.readline(-1 if size is None else size)


# -- parallel parsing ------------------------------------------------------------------------
#
# Parsing is Python per record and the largest cost of ``vigil detect``; it parallelises by
# input. Worker processes each read a share of the inputs exactly as :meth:`read_paths` does
# (framing, per-input sniffing, bounded re-ordering) and merge their share by (time, input);
# the parent merges the workers' streams by the same key, which is the same order as one
# merge over every input. What crosses the process boundary is msgspec-encoded (our own
# Event structs, dead letters and counters), never pickle of what was read.

#: Events per message from a parse worker.
PARALLEL_CHUNK_EVENTS = 4096
#: Messages a worker may run ahead of the parent, per worker (bounds memory).
PARALLEL_QUEUE_CHUNKS = 8
#: Below this many bytes of input, starting processes costs more than it saves.
PARALLEL_MIN_BYTES = 4 << 20


class _Chunk(msgspec.Struct, array_like=True):
    """One message from a parse worker: events with their input's index, the dead letters and
    counter increments since the previous message, and whether the worker is done."""

    events: list[Event]
    inputs: list[int]
    letters: list[tuple[str, int, str, str]]
    counts: tuple[int, int, int, int]  # records_read, events, skipped, dead_letter
    by_format: dict[str, int]
    reasons: dict[str, int]
    done: bool = False
    error: str = ""
    input_error: bool = False


_CHUNK_DECODER = msgspec.msgpack.Decoder(_Chunk)


def parse_worker_count(paths: Iterable[str], requested: int | None = None) -> int:
    """Parse worker processes for ``paths`` (0: parse in this process): ``requested``, or by
    default one per CPU when the inputs are large enough to be worth it and the machine has a
    CPU to spare; never more than the number of file inputs.

    Workers add work (encoding, decoding, merging: ~3 us an event): on a machine whose CPUs
    are busy with other work they make a run slower, not faster (measured on 2 shared CPUs).
    """
    sizes = [_size(name) for name, _ in expand(paths) if name != "-"]
    if requested is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        if sum(sizes) < PARALLEL_MIN_BYTES or _busy_cpus() > cpus - 1:
            return 0
        requested = cpus
    return max(0, min(requested, len(sizes)))


def _busy_cpus() -> float:
    """CPUs other work keeps busy: the 1-minute load average (0 where there is none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def read_paths_parallel(reader: InputReader, paths: Iterable[str], workers: int) -> Iterator[Event]:
    """:meth:`InputReader.read_paths` with the inputs parsed in ``workers`` processes (0: in
    this process). One worker already overlaps parsing with what the caller does with events.

    Same events in the same order, same dead letters (delivered to the reader's sink when the
    parent reaches the worker's message that carries them) and the same counters.
    """
    paths = list(paths)
    inputs = list(expand(paths))
    files = [(index, name) for index, (name, _) in enumerate(inputs) if name != "-"]
    if workers < 1 or not files:
        yield from reader.read_paths(paths)
        return
    reader.anchor_years(inputs)
    shares = _balanced_shares(files, workers)
    forced = reader.forced.name if reader.forced is not None else None
    # fork starts at once and does not re-import __main__; it is only safe while this
    # process has no other thread (a forked lock held by one would never be released).
    method = "fork" if threading.active_count() == 1 and _can_fork() else "spawn"
    context: Any = multiprocessing.get_context(method)
    processes: list[Any] = []
    pipes: list[Any] = []
    try:
        for share in shares:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_parse_worker,
                args=(
                    reader.tenant,
                    forced,
                    share,
                    sender,
                    reader.columnar,
                    reader.reference_overrides,
                ),
                name="vigil-parse",
                daemon=True,
            )
            process.start()
            sender.close()  # the worker holds the sending end; EOF tells us it is gone
            processes.append(process)
            pipes.append(receiver)
        stdin = [(index, opener) for index, (name, opener) in enumerate(inputs) if name == "-"]
        if len(processes) == 1 and not stdin:
            # One stream is already in order: no merge, events straight from the messages.
            for chunk in _worker_chunks(reader, pipes[0], processes[0]):
                yield from chunk.events
            return
        # (time, input, arrival in its stream): (time, input) never ties across streams (an
        # input is read by one of them), so this is the merge keyed on (time, input).
        streams: list[Iterator[tuple[datetime, int, int, Event]]] = [
            _worker_stream(reader, pipe, process)
            for pipe, process in zip(pipes, processes, strict=True)
        ]
        for index, opener in stdin:  # stdin stays in this process
            streams.append(_keyed_seq(index, reader._ordered(reader.read_input("-", opener))))
        yield from map(_EVENT_OF, _merge_keyed(streams))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        for pipe in pipes:
            pipe.close()


#: An event in a merge: (time, input index, arrival in its stream, event).
KeyedEvent = tuple[datetime, int, int, Event]


def _keyed_seq(index: int, events: Iterator[Event]) -> Iterator[KeyedEvent]:
    """Merge keys (time, input index, arrival) in front of an input's events: a plain tuple
    merge then orders by (time, input) and keeps each input's own order on ties, as a merge
    keyed on (time, input) does, without a key function call per comparison."""
    return ((event.time, index, n, event) for n, event in enumerate(events))


#: A merge item's event: (time, input, arrival, event)[3].
_EVENT_OF = operator.itemgetter(3)


def _merge_keyed(streams: list[Iterator[KeyedEvent]]) -> Iterator[KeyedEvent]:
    """``heapq.merge(*streams)`` for items whose keys never tie ((time, input, arrival): an
    input is read by one stream). Each step yields the smallest head, as the heap merge does;
    the stream it came from goes on yielding while its next item is smaller than every other
    stream's head (the smaller child of the heap's root), so a run of one input's events costs
    one comparison an event instead of a heap replace (inputs of one day interleave in runs of
    tens)."""
    heap: list[list[Any]] = []
    for stream in streams:
        for first in stream:
            heap.append([first, stream])
            break
    heapq.heapify(heap)
    while len(heap) > 1:
        top = heap[0]
        item, stream = top
        yield item
        bound = heap[1][0] if len(heap) == 2 or heap[1][0] < heap[2][0] else heap[2][0]
        for item in stream:
            if item < bound:
                yield item
                continue
            top[0] = item
            heapq.heapreplace(heap, top)
            break
        else:
            heapq.heappop(heap)
    if heap:
        item, stream = heap[0]
        yield item
        yield from stream


def _balanced_shares(files: list[tuple[int, str]], workers: int) -> list[list[tuple[int, str]]]:
    """Inputs dealt to workers largest first, each to the least loaded (by bytes)."""
    shares: list[list[tuple[int, str]]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for index, name in sorted(files, key=lambda item: -_size(item[1])):
        lightest = loads.index(min(loads))
        shares[lightest].append((index, name))
        loads[lightest] += max(_size(name), 1)
    for share in shares:
        share.sort()
    return [share for share in shares if share]


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:
        return 0


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _worker_stream(
    reader: InputReader, pipe: Any, process: Any
) -> Iterator[tuple[datetime, int, int, Event]]:
    """A worker's events as (time, input index, arrival, event), for the merge."""
    arrival = itertools.count()
    for chunk in _worker_chunks(reader, pipe, process):
        for index, event in zip(chunk.inputs, chunk.events, strict=True):
            yield event.time, index, next(arrival), event


def _worker_chunks(reader: InputReader, pipe: Any, process: Any) -> Iterator[_Chunk]:
    """A worker's messages, folding its counters and dead letters into ``reader`` as they
    arrive (before their events are handed on)."""
    stats = reader.stats
    while True:
        try:
            data = pipe.recv_bytes()
        except EOFError:
            process.join(timeout=5)
            raise RuntimeError(
                f"parse worker exited with status {process.exitcode} before finishing"
            ) from None
        chunk = _CHUNK_DECODER.decode(data)
        records_read, events, skipped, dead_letter = chunk.counts
        stats.records_read += records_read
        stats.events += events
        stats.skipped += skipped
        stats.dead_letter += dead_letter
        stats.by_format.update(chunk.by_format)
        stats.dead_letter_reasons.update(chunk.reasons)
        for source, position, reason, raw in chunk.letters:
            reader.sink(DeadLetter(source=source, position=position, reason=reason, raw=raw))
        if chunk.error:
            if chunk.input_error:
                raise InputError(chunk.error)
            raise RuntimeError(f"parse worker failed: {chunk.error}")
        yield chunk
        if chunk.done:
            return


def _parse_worker(
    tenant: str,
    forced: str | None,
    share: list[tuple[int, str]],
    pipe: Any,
    columnar: bool = False,
    overrides: dict[str, datetime] | None = None,
) -> None:
    """Entry point of a parse worker process: read ``share`` and send it down ``pipe``.

    A sender thread writes the messages, so that parsing runs up to
    :data:`PARALLEL_QUEUE_CHUNKS` messages ahead of the parent (the pipe alone would hold one).
    """
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=PARALLEL_QUEUE_CHUNKS)

    def write() -> None:
        while (message := outbox.get()) is not None:
            try:
                pipe.send_bytes(message)
            except OSError:  # the parent has gone (closed its end): nothing left to do
                return

    writer = threading.Thread(target=write, name="vigil-parse-send", daemon=True)
    writer.start()
    try:
        _parse_share(tenant, forced, share, outbox, columnar, overrides)
    finally:
        outbox.put(None)
        writer.join()
        pipe.close()


def _parse_share(
    tenant: str,
    forced: str | None,
    share: list[tuple[int, str]],
    outbox: queue.Queue[bytes | None],
    columnar: bool = False,
    overrides: dict[str, datetime] | None = None,
) -> None:
    letters: list[DeadLetter] = []
    reader = InputReader(
        tenant=tenant,
        sink=letters.append,
        stats=ReadStats(),
        forced_format=forced,
        columnar=columnar,
    )
    reader.reference_overrides = dict(overrides or {})
    encoder = msgspec.msgpack.Encoder()
    events: list[Event] = []
    inputs: list[int] = []

    def send(done: bool = False, error: str = "", input_error: bool = False) -> None:
        stats = reader.stats
        chunk = _Chunk(
            events=events,
            inputs=inputs,
            letters=[(d.source, d.position, d.reason, d.raw) for d in letters],
            counts=(stats.records_read, stats.events, stats.skipped, stats.dead_letter),
            by_format=dict(stats.by_format),
            reasons=dict(stats.dead_letter_reasons),
            done=done,
            error=error,
            input_error=input_error,
        )
        outbox.put(encoder.encode(chunk))
        letters.clear()
        reader.stats = ReadStats()  # counters travel as increments

    try:
        streams = [
            _keyed_seq(index, reader._ordered(reader.read_input(name, _opener(Path(name)))))
            for index, name in share
        ]
        for _, index, _, event in _merge_keyed(streams):
            events.append(event)
            inputs.append(index)
            if len(events) >= PARALLEL_CHUNK_EVENTS:
                send()
                events, inputs = [], []
        send(done=True)
    except InputError as exc:
        events, inputs = [], []
        send(error=str(exc), input_error=True)
    except Exception as exc:  # reported to the parent, which stops the run with it
        events, inputs = [], []
        send(error=f"{type(exc).__name__}: {exc}"[:500])
