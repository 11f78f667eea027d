"""Raw records <-> canonical events, shared by ``vigil ingest`` and the worker's parse stage.

Ingest uses the same framing and format sniffing as ``vigil detect`` (``InputReader``) but stops
short of parsing: each record goes to ``vigil.raw`` as an envelope that carries what the parser
needs to give the *same* Event as ``vigil detect`` would (format, position in the input, the
input's reference time for year-less syslog). The worker parses envelopes with that parser.

Envelope (JSON): ``{"tenant", "source", "format"?, "pos"?, "ref"?, "record"}``; ``record`` is
the text line or the decoded JSON object. Producers other than ``vigil ingest`` (a SIEM
forwarder) may send only ``tenant``, ``source`` and ``record``: the format is then sniffed.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


class RecordCapture(InputReader):  # type: ignore[misc, valid-type]
    """An ``InputReader`` that hands each sniffed raw record to ``emit`` instead of parsing it.

    ``_parse`` is the one place where framing and sniffing meet the parser, so overriding it
    keeps ingest's framing (gzip, zip, EVTX, JSON documents, CloudTrail ``Records``) and
    sniffing identical to ``vigil detect``. ``read_input`` then yields one ``None`` per record.
    """

    def __init__(self, *, emit: Callable[[Envelope], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.emit = emit

    def _parse(self, parser: Parser, record: Any, ctx: ParseContext, raw: Any) -> Iterator[Any]:
        # Yields one None per record (not an Event) so the caller can pause between records.
        self.stats.by_format[parser.name] += 1
        self.emit(
            {
                "tenant": ctx.tenant,
                "source": ctx.source,
                "format": parser.name,
                "pos": ctx.position,
                "ref": ctx.reference_time.timestamp(),
                "record": record,
            }
        )
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


class EnvelopeParser:
    """Parses envelopes; keeps one ``ParseContext`` per input so parser state (syslog year
    rollover) carries across batches, bounded to the most recent ``max_inputs`` inputs."""

    def __init__(self, max_inputs: int = 4096) -> None:
        self.contexts: OrderedDict[tuple[str, str], ParseContext] = OrderedDict()
        self.max_inputs = max_inputs

    def parse(self, values: list[tuple[bytes | None, bytes]]) -> ParseResult:
        result = ParseResult(events=[], rejected=[])
        for key, value in values:
            self._one(key, value, result)
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
        def reject(reason: str, source: str = "-", position: int = 0) -> None:
            raw = value[:DEAD_LETTER_RAW_CHARS].decode("utf-8", "replace")
            letter = DeadLetter(source=source, position=position, reason=reason, raw=raw)
            result.rejected.append(Rejected(key=key, letter=letter.to_json()))

        try:
            envelope = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            reject(f"raw message is not a JSON envelope: {exc}"[:200])
            return
        if not isinstance(envelope, dict) or "record" not in envelope:
            reject("raw message is not an envelope: want {tenant, source, record}")
            return
        tenant, source = envelope.get("tenant"), envelope.get("source", "-")
        position = envelope.get("pos", 0)
        if not isinstance(tenant, str) or not tenant or "|" in tenant:
            reject("envelope has no valid tenant", str(source), 0)
            return
        if not isinstance(source, str) or not isinstance(position, int):
            reject("envelope source/pos have wrong types")
            return
        record = envelope["record"]
        parser = PARSERS.get(envelope["format"]) if envelope.get("format") else sniff(record)
        if parser is None:
            reject(f"unrecognised format {envelope.get('format') or ''}".strip(), source, position)
            return
        if parser.kind == "json" and not isinstance(record, dict):
            reject("record is not a JSON object", source, position)
            return
        if parser.kind == "text" and not isinstance(record, str):
            reject("record is not a text line", source, position)
            return
        ctx = self._context(tenant, source, envelope.get("ref"))
        ctx.position = position
        try:
            events = parser.parse(record, ctx)
        except BadRecord as exc:
            reject(str(exc) or "bad record", source, position)
            return
        except RecursionError:
            reject("record nested too deeply", source, position)
            return
        except Exception as exc:  # a parser bug must not stop the stream: dead-letter it
            reject(
                f"parser {parser.name} failed: {type(exc).__name__}: {exc}"[:200], source, position
            )
            return
        if not events:
            result.skipped += 1
        result.events.extend(events)


def event_key(event: Event) -> bytes:
    """``tenant|user`` (``tenant|host`` without a user): one entity's events stay in order."""
    entity = event.user or event.dst_host or event.src_host or event.src_ip
    return f"{event.tenant}|{entity}".encode()
