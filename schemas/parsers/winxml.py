"""Windows events as XML text: ``wevtutil qe LOG /f:xml`` (or ``/f:RenderedXml``),
``Get-WinEvent | % ToXml()``, Windows Event Forwarding subscriptions written out, Event Viewer
"Save as XML".

A line holds one or more ``<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/
event">`` elements (wevtutil writes them back to back; ``<?xml ...?>`` and an ``<Events>``
wrapper are allowed), or one event spans several lines (pretty-printed; RenderedXml's Message
text has line breaks). Every event becomes the dict pyevtx-rs gives for an EVTX record
(``{"Event": {"System": ..., "EventData": ...}}``) and goes through the EVTX parser's mapping,
so an event means the same in every Windows shape.

Safety: a document type declaration is refused before parsing (``<!DOCTYPE``/``<!ENTITY``), so
no entity can be declared, expanded or fetched (what defusedxml's ``forbid_dtd`` does);
without a DTD, expat knows only the five predefined entities and character references.

>>> from schemas.parsers.base import ParseContext
>>> line = ('<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
...         '<Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4624</EventID>'
...         '<TimeCreated SystemTime="2024-05-06T00:18:10.4660000Z"/>'
...         '<EventRecordID>2939045</EventRecordID><Channel>Security</Channel>'
...         '<Computer>DC01.acme.local</Computer></System><EventData>'
...         '<Data Name="TargetUserName">jsmith</Data><Data Name="LogonType">3</Data>'
...         '<Data Name="IpAddress">10.20.0.20</Data></EventData></Event>')
>>> [e] = WinXmlParser().parse(line, ParseContext(tenant="t"))
>>> e.action, e.user, e.dst_host, e.src_ip, e.logon_type, e.record_id, e.time.isoformat()
(<Action.LOGON: 'logon'>, 'jsmith', 'dc01', '10.20.0.20', '3', 'dc01:2939045', \
'2024-05-06T00:18:10.466000+00:00')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # DTDs are refused before parsing (see above)
from typing import Any, ClassVar

import msgspec

from schemas.event import Event
from schemas.parsers.base import BadRecord, ParseContext, Record, register
from schemas.parsers.windows import EvtxParser

_EVENT_NS_TEXT = "http://schemas.microsoft.com/win/2004/08/events/event"
_NS = "{" + _EVENT_NS_TEXT + "}"
#: An XML line longer than this is not one Windows event line (events are < 64 KiB).
MAX_XML_CHARS = 1 << 20
#: Events on one line (wevtutil output without newlines); more is not a real export.
MAX_EVENTS_PER_LINE = 10_000
_EVTX = EvtxParser()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _value(element: ET.Element) -> Any:
    """A leaf's text (None when empty, as pyevtx-rs gives it); a node's children as a dict."""
    children = list(element)
    if not children:
        return element.text
    return {_local(child.tag): _value(child) for child in children}


def _with_attributes(element: ET.Element) -> Any:
    """pyevtx-rs's shape for an element with attributes: ``{"#text", "#attributes"}``."""
    if not element.attrib:
        return element.text
    node: dict[str, Any] = {"#attributes": dict(element.attrib)}
    if element.text is not None and element.text.strip():
        node["#text"] = element.text
    return node


def event_dict(event: ET.Element) -> dict[str, Any]:
    """One ``<Event>`` element as the dict pyevtx-rs decodes from an EVTX record."""
    system: dict[str, Any] = {}
    out: dict[str, Any] = {"System": system}
    for part in event:
        name = _local(part.tag)
        if name == "System":
            for item in part:
                system[_local(item.tag)] = _with_attributes(item)
        elif name == "EventData":
            data: dict[str, Any] = {}
            for item in part:
                key = item.get("Name")
                if key:  # unnamed <Data> (classic events) carry nothing a handler reads
                    data[key] = item.text
            out["EventData"] = data
        elif name == "UserData":
            out["UserData"] = {_local(child.tag): _value(child) for child in part}
    return {"Event": out}


def _events(line: str) -> list[ET.Element]:
    upper = line.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise BadRecord("XML with a document type declaration (refused: entity expansion)")
    body = line.strip()
    if body.startswith("<?xml"):
        end = body.find("?>")
        if end < 0:
            raise BadRecord("unterminated XML declaration")
        body = body[end + 2 :].lstrip()
    if not body.startswith("<Events"):
        body = f"<Events>{body}</Events>"
    try:
        root = ET.fromstring(body)  # noqa: S314 - no DTD gets here (refused above)
    except ET.ParseError as exc:
        raise BadRecord(f"invalid XML: {exc}"[:200]) from exc
    events = [child for child in root if child.tag == _NS + "Event" or child.tag == "Event"]
    if len(events) > MAX_EVENTS_PER_LINE:
        raise BadRecord(f"more than {MAX_EVENTS_PER_LINE} XML events on one line")
    return events


_OPEN = re.compile(r"<Event[\s>]")
_WRAPPER = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?(?:</?Events\s*>\s*)*")
_STATE_PENDING = "winxml.pending"


class _Pending:
    """The lines of an event spread over several lines, counted as they come (each line is
    looked at once: a hostile input that never closes its event costs linear time)."""

    __slots__ = ("closes", "lines", "opens", "size")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.opens = 0
        self.closes = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line) + 1
        # <Events>, <EventData>, <EventID> ... are other elements: "<Event" then a space or ">"
        self.opens += len(_OPEN.findall(line))
        self.closes += line.count("</Event>")

    def complete(self) -> bool:
        return self.closes >= self.opens


@register
class WinXmlParser:
    """Windows events rendered as XML: one line holding one or more ``<Event>`` elements, or
    one event spread over several lines (pretty-printed, or RenderedXml whose Message text has
    line breaks), which is read when its ``</Event>`` arrives; the lines before count as
    skipped, and an event the input leaves unfinished is a dead letter (:meth:`finish`)."""

    name: ClassVar[str] = "winxml"
    kind: ClassVar[str] = "text"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, str):
            return False
        head = record.lstrip()[:512]
        return head.startswith(("<Event", "<?xml")) and (
            "<System>" in record[:4096] or _EVENT_NS_TEXT in head
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if not isinstance(record, str):
            raise BadRecord("not a text line")
        pending: _Pending | None = ctx.state.get(_STATE_PENDING)
        if pending is not None:
            pending.add(record)
            if pending.size > MAX_XML_CHARS:
                del ctx.state[_STATE_PENDING]
                raise BadRecord("XML event longer than 1 MiB")
            if not pending.complete():
                return []
            del ctx.state[_STATE_PENDING]
            return self._parse_text("\n".join(pending.lines), ctx)
        if len(record) > MAX_XML_CHARS:
            raise BadRecord("XML line longer than 1 MiB")
        if _OPEN.search(record) is None:
            if _WRAPPER.fullmatch(record):  # <?xml ...?>, <Events>, </Events>: no event
                return []
            raise BadRecord("no Windows <Event> element in the line")
        started = _Pending()
        started.add(record)
        if not started.complete():
            ctx.state[_STATE_PENDING] = started
            return []
        return self._parse_text(record, ctx)

    def finish(self, ctx: ParseContext) -> None:
        """The input has ended: an event still open is a dead letter."""
        pending: _Pending | None = ctx.state.pop(_STATE_PENDING, None)
        if pending is not None:
            count = len(pending.lines)
            raise BadRecord(f"XML event unfinished at the end of the input ({count} lines)")

    def _parse_text(self, text: str, ctx: ParseContext) -> list[Event]:
        try:
            elements = _events(text)
            if not elements:
                raise BadRecord("no Windows <Event> element in the line")
            found: list[Event] = []
            for element in elements:
                found.extend(
                    msgspec.structs.replace(event, source_format=self.name)
                    for event in _EVTX.events(event_dict(element), ctx)
                )
            return found
        except BadRecord:
            raise
        except Exception as exc:  # the contract: nothing but BadRecord escapes
            raise BadRecord(f"malformed winxml record: {type(exc).__name__}: {exc}"[:200]) from exc
