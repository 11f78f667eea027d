"""What every parser shares: the protocol, the context, the registry and time parsing.

A parser turns one raw record (a decoded JSON object, or one text line) into zero or more
:class:`~schemas.event.Event`. It returns ``[]`` for a record it recognises but no detector uses
(counted as *skipped*), and raises :class:`BadRecord` with a short reason for a record it cannot
read (sent to the dead-letter output). It never returns partial garbage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from schemas.event import Event

# Events outside these bounds are absurd for a security log (1601 from EVTX headers, 9999 ...).
MIN_TIME = datetime(1990, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2100, 1, 1, tzinfo=UTC)

Record = Mapping[str, Any] | str


class BadRecord(ValueError):
    """A record that cannot be turned into an Event; the message is the dead-letter reason."""


@dataclass
class ParseContext:
    """Per-input information a parser may need.

    ``reference_time`` anchors formats without a year (RFC 3164 syslog): normally the input
    file's modification time. ``state`` is scratch space a parser may keep per input (e.g. the
    last month seen, to detect a year rollover).
    """

    tenant: str
    source: str = "-"
    position: int = 0  # line number or record index in the input, for record ids and dead letters
    reference_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    state: dict[str, Any] = field(default_factory=dict)


class Parser(Protocol):
    """One source format."""

    name: ClassVar[str]
    #: "json" parsers get decoded objects, "text" parsers get lines (without the newline).
    kind: ClassVar[str]

    def sniff(self, record: Record) -> bool:
        """True when this record looks like this format (used on the first records of a file)."""
        ...

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]: ...


PARSERS: dict[str, Parser] = {}


def register(cls: type[Any]) -> type[Any]:
    """Class decorator: make a parser selectable by name and by sniffing."""
    instance = cls()
    if instance.name in PARSERS:
        raise ValueError(f"parser {instance.name!r} registered twice")
    PARSERS[instance.name] = instance
    return cls


def parse_time(value: Any, *, field_name: str = "time") -> datetime:
    """Parse ISO 8601 / RFC 3339 strings (with ``Z``, offsets or none = UTC) and epoch numbers.

    Always returns an aware UTC datetime within [1990, 2100); raises BadRecord otherwise.

    >>> parse_time("2020-09-21T19:28:21.912Z").isoformat()
    '2020-09-21T19:28:21.912000+00:00'
    >>> parse_time("2020-09-21 15:28:21").isoformat()
    '2020-09-21T15:28:21+00:00'
    >>> parse_time(1600716501.5).isoformat()
    '2020-09-21T19:28:21.500000+00:00'
    >>> parse_time(1722519208000).isoformat()
    '2024-08-01T13:33:28+00:00'
    >>> parse_time("2023-01-01T00:00:00.1234567Z").microsecond
    123456
    """
    if value is None or value == "":
        raise BadRecord(f"missing {field_name}")
    if isinstance(value, bool):
        raise BadRecord(f"{field_name} is not a time: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # epoch milliseconds (Okta, Entra, OCSF exports); 1e11 s is year 5138
            seconds /= 1000.0
        try:
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise BadRecord(f"{field_name} out of range: {value!r}") from exc
        return _check_bounds(parsed, field_name)
    if not isinstance(value, str):
        raise BadRecord(f"{field_name} is not a time: {type(value).__name__}")
    text = value.strip()
    if len(text) > 64:
        raise BadRecord(f"{field_name} too long to be a time")
    try:  # the common case, in C: ISO 8601 with Z or an offset and up to 6 fraction digits
        parsed = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return _check_bounds(parsed.astimezone(UTC), field_name)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python before 3.11 rejected >6 fractional digits; 3.11 accepts them but keep it explicit.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        rest = ""
        for index, char in enumerate(tail):
            if not char.isdigit():
                rest = tail[index:]
                break
            digits += char
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}" if digits else head + rest
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRecord(f"unparseable {field_name}: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _check_bounds(parsed.astimezone(UTC), field_name)


def _check_bounds(parsed: datetime, field_name: str) -> datetime:
    if not MIN_TIME <= parsed < MAX_TIME:
        raise BadRecord(f"absurd {field_name}: {parsed.isoformat()}")
    return parsed


def first(record: Mapping[str, Any], *keys: str) -> Any:
    """The first present, non-empty value among ``keys`` (dotted keys walk nested objects)."""
    for key in keys:
        value = dig(record, key)
        if value not in (None, "", [], {}):
            return value
    return None


def dig(record: Mapping[str, Any], dotted: str) -> Any:
    """``dig(r, "a.b.c")`` = ``r["a"]["b"]["c"]`` or a literal ``"a.b.c"`` key, else None."""
    if dotted in record:
        return record[dotted]
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def text(value: Any, *, limit: int = 512) -> str:
    """A field value as bounded text: numbers become strings, containers are rejected."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, bool | int | float):
        return str(value)
    raise BadRecord(f"expected a scalar, got {type(value).__name__}")


def guarded(
    what: str,
    parse: Callable[[Mapping[str, Any], ParseContext], list[Event]],
    record: Record,
    ctx: ParseContext,
) -> list[Event]:
    """Run ``parse``; anything but BadRecord becomes BadRecord (the parser contract: a parser
    bug on a hostile record is a dead letter with a reason, never a crash)."""
    if not isinstance(record, Mapping):
        raise BadRecord(f"{what} record is not a JSON object")
    try:
        return parse(record, ctx)
    except BadRecord:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError) as exc:
        raise BadRecord(f"malformed {what} record: {type(exc).__name__}") from exc


TimeParser = Callable[[Any], datetime]
ONE_DAY = timedelta(days=1)
