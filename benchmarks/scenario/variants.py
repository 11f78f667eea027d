"""Re-render a generated scenario's logs into other real export shapes, event for event.

The generator writes one shape per source (HELK flat Windows JSON, RFC 3164 syslog, CloudTrail
``{"Records": [...]}`` files). Logs collected by someone else arrive in other, equally real
shapes of the same events; a parser that misreads one loses every detection that depends on it
without a word. A variant rewrites the files of one source in another shape, keeping every
event's content, time (the instant Vigil reads from the original), host, record number (so
Windows ``host:RecordNumber`` and CloudTrail ``eventID`` evidence ids do not change) and, for
syslog, the file name and line numbers (``file:line`` ids), so the ground truth still holds.

    python -m benchmarks.scenario.variants LOGS_DIR NAME[,NAME...]
    python -m benchmarks.evaluate --seeds 7,8,9,10 --variant NAME[,NAME...]

Shapes (one per source at most; ``mixed-*`` deals a source's files round-robin over its shapes):

* Windows: ``winlogbeat`` (Winlogbeat 8 ECS: ``winlog.event_data``, string ids),
  ``winlogbeat7`` (integer ``event_id``/``record_id``), ``winlogbeat6`` (pre-ECS: ``event_data``,
  ``computer_name``, ``log_name`` at the top level), ``elasticdump`` (Winlogbeat 8 documents
  exported from Elasticsearch: ``{"_index", "_id", "_source"}``), ``winxml`` (``wevtutil qe /f:xml`` /
  ``Get-WinEvent ... ToXml()``: one ``<Event xmlns=...>`` per line), ``winxml-rendered``
  (``/f:RenderedXml`` pretty-printed: an ``<Events>`` document, every element on its own line,
  a multi-line Message), ``evtxjson`` (``evtx_dump
  -o jsonl``: ``{"Event": {"System": ..., "EventData": ...}}``), ``nxlog`` (NXLog JSON with
  ``EventData`` nested, lower-case channel, ``EventTime`` in host local time with its offset,
  no ``@timestamp``), ``mixed-windows``.
* syslog: ``rfc5424`` (``<38>1 2024-05-06T00:17:00.000000+00:00 host sshd 123 - - msg``),
  ``rsyslog-iso`` (rsyslog's high-precision ``2024-05-06T01:17:00.000000+01:00 host sshd[123]:``
  in host local time), ``journald`` (``journalctl -o json`` lines), ``short-unix``
  (``journalctl -o short-unix``), ``mixed-syslog``.
* CloudTrail: ``cloudtrail-jsonl`` (one record per line), ``cloudtrail-gz`` (S3 delivery:
  gzip'ed ``{"Records": [...]}`` named ``.json.gz``), ``eventbridge`` (EventBridge events
  ``{"detail-type": "AWS API Call via CloudTrail", "detail": {...}}``, one per line),
  ``cloudwatch-firehose`` (through CloudWatch Logs and Kinesis Firehose to S3: gzip'ed
  subscription ``DATA_MESSAGE`` objects back to back, each record a JSON string in
  ``logEvents[].message``), ``mixed-cloudtrail``.
* Any file (applied after the shapes): ``crlf`` (CRLF line ends), ``bom`` (a UTF-8 byte order
  mark first), ``noext`` (file names without their extension), ``gzip-noext`` (gzip'ed content
  under a name without ``.gz``), ``touch`` (every file's mtime set to now, as a copy that does
  not keep mtimes leaves it: RFC 3164 years then come from the dated file names), ``undated``
  (the date in every file name replaced by a short hash of the name: with ``touch``, RFC 3164
  files have nothing of their own to date them; the run's dated inputs anchor them).

Windows times: Winlogbeat's and the XML's time is the event's ``TimeCreated``; the generator's
HELK ``@timestamp`` is the collector's receive time (0.4-2.6 s later), which is what Vigil
reads from HELK. The variants carry that same instant, so both renderings are the same events
(the README says which time each shape gives Vigil).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

# What nxlog / HELK put around a Windows event's own EventData fields
# (benchmarks/scenario/formats.py _HelkEnvelope, as the Security-Datasets captures show it).
HELK_ENVELOPE = frozenset(
    {
        "@timestamp",
        "@version",
        "Category",
        "Channel",
        "EventID",
        "EventReceivedTime",
        "EventTime",
        "EventType",
        "ExecutionProcessID",
        "Hostname",
        "Keywords",
        "Opcode",
        "OpcodeValue",
        "ProviderGuid",
        "RecordNumber",
        "Severity",
        "SeverityValue",
        "SourceModuleName",
        "SourceModuleType",
        "SourceName",
        "Task",
        "ThreadID",
        "Version",
        "host",
        "port",
        "tags",
    }
)
# nxlog writes the System/Security user of 7045 over the event's own AccountName; these keys
# are that user (see schemas/parsers/windows.py _service_install_system).
_NXLOG_USER_KEYS = ("AccountName", "AccountType", "Domain", "UserID")
_EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
_EVENTLOG_NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
_AUDIT_SUCCESS = -9214364837600034816
_AUDIT_FAILURE = -9218868437227405312
_XML_TEXT = {"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
_XML_ATTR = {"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"}
# The service account of the generator's 7045s: what their 4697 twin says (ServiceAccount).
# nxlog overwrote AccountName with the installer and the generator writes no Message, so the
# HELK record does not carry it; the other shapes do, as the real event does.
SERVICE_ACCOUNT_7045 = "LocalSystem"


# --------------------------------------------------------------------------------------------
# Reading the generator's files.


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _helk_records(path: Path) -> Iterator[dict[str, Any]]:
    for line in _read(path).splitlines():
        if line.strip():
            yield orjson.loads(line)


def _event_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in HELK_ENVELOPE}


def _utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def _system_time(stamp: str) -> str:
    """``2024-05-06T00:18:10.4660000Z``: Windows' SystemTime, 7 fraction digits."""
    when = _utc(stamp)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"


def _offset(record: dict[str, Any]) -> timedelta:
    """The host's UTC offset: EventReceivedTime (local, whole seconds) minus @timestamp (UTC,
    the same instant), rounded to the quarter hour."""
    local = datetime.fromisoformat(record["EventReceivedTime"]).replace(tzinfo=UTC)
    seconds = (local - _utc(record["@timestamp"])).total_seconds()
    return timedelta(minutes=15 * round(seconds / 900))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _is_7045(record: dict[str, Any]) -> bool:
    return record["EventID"] == 7045 and "UserID" in record


def _event_data(record: dict[str, Any]) -> dict[str, str]:
    """The event's own EventData as Windows has it (strings), 7045's nxlog quirk undone."""
    data = {k: _text(v) for k, v in _event_fields(record).items()}
    if _is_7045(record):
        for key in _NXLOG_USER_KEYS:
            data.pop(key, None)
        data["AccountName"] = SERVICE_ACCOUNT_7045
    return data


def _keywords(record: dict[str, Any]) -> list[str]:
    keywords = record.get("Keywords")
    if keywords == _AUDIT_SUCCESS:
        return ["Audit Success"]
    if keywords == _AUDIT_FAILURE:
        return ["Audit Failure"]
    return ["Classic"]


# --------------------------------------------------------------------------------------------
# Windows shapes: one HELK record in, one record (dict) or line (str) out.


def winlogbeat(record: dict[str, Any], *, version: int = 8) -> dict[str, Any]:
    """Winlogbeat 7/8 ECS document (8: ``event_id``/``record_id`` as strings, 7: integers)."""
    event_id = record["EventID"]
    data = _event_data(record)
    winlog: dict[str, Any] = {
        "api": "wineventlog",
        "channel": record["Channel"],
        "computer_name": record["Hostname"],
        "event_id": str(event_id) if version >= 8 else event_id,
        "keywords": _keywords(record),
        "opcode": record.get("Opcode", "Info"),
        "process": {
            "pid": record.get("ExecutionProcessID"),
            "thread": {"id": record.get("ThreadID")},
        },
        "provider_guid": record.get("ProviderGuid"),
        "provider_name": record["SourceName"],
        "record_id": str(record["RecordNumber"]) if version >= 8 else record["RecordNumber"],
        "task": record.get("Category", ""),
    }
    if event_id == 1102:
        winlog["user_data"] = {"xml_name": "LogFileCleared", **data}
    else:
        winlog["event_data"] = data
    if _is_7045(record):  # Winlogbeat resolves System/Security UserID to a name
        winlog["user"] = {
            "identifier": record["UserID"],
            "name": record["AccountName"],
            "domain": record.get("Domain", ""),
            "type": record.get("AccountType", "User"),
        }
    failure = record.get("Keywords") == _AUDIT_FAILURE
    return {
        "@timestamp": record["@timestamp"],
        "agent": {"type": "winlogbeat", "version": "8.11.1" if version >= 8 else "7.17.9"},
        "ecs": {"version": "8.0.0" if version >= 8 else "1.12.0"},
        "event": {
            "code": str(event_id),
            "kind": "event",
            "provider": record["SourceName"],
            "action": record.get("Category", ""),
            "outcome": "failure" if failure else "success",
            "created": record["@timestamp"],
        },
        "host": {"name": record["Hostname"].lower(), "hostname": record["Hostname"].lower()},
        "log": {"level": "information"},
        "message": f"{record.get('Category', '')} (event {event_id})",
        "winlog": winlog,
    }


def elasticdump(record: dict[str, Any]) -> dict[str, Any]:
    """A Winlogbeat document as ``elasticdump`` writes it out of Elasticsearch."""
    document = winlogbeat(record)
    day = record["@timestamp"][:10].replace("-", ".")
    ident = uuid.uuid5(uuid.NAMESPACE_URL, f"{record['Hostname']}/{record['RecordNumber']}")
    return {
        "_index": f".ds-winlogbeat-8.11.1-{day}-000001",
        "_id": ident.hex[:20],
        "_score": 1,
        "_source": document,
    }


def winlogbeat6(record: dict[str, Any]) -> dict[str, Any]:
    """Winlogbeat 5/6 (before ECS): the ``winlog`` fields at the top level, renamed."""
    event_id = record["EventID"]
    document: dict[str, Any] = {
        "@timestamp": record["@timestamp"],
        "beat": {"hostname": record["Hostname"].split(".")[0], "version": "6.8.23"},
        "computer_name": record["Hostname"],
        "event_id": event_id,
        "keywords": _keywords(record),
        "level": "Information",
        "log_name": record["Channel"],
        "message": f"{record.get('Category', '')} (event {event_id})",
        "opcode": record.get("Opcode", "Info"),
        "process_id": record.get("ExecutionProcessID"),
        "provider_guid": record.get("ProviderGuid"),
        "record_number": str(record["RecordNumber"]),
        "source_name": record["SourceName"],
        "task": record.get("Category", ""),
        "thread_id": record.get("ThreadID"),
        "type": "wineventlog",
    }
    key = "user_data" if event_id == 1102 else "event_data"
    document[key] = _event_data(record)
    if _is_7045(record):
        document["user"] = {
            "identifier": record["UserID"],
            "name": record["AccountName"],
            "domain": record.get("Domain", ""),
            "type": record.get("AccountType", "User"),
        }
    return document


def evtxjson(record: dict[str, Any]) -> dict[str, Any]:
    """``evtx_dump -o jsonl``: the dict pyevtx-rs decodes from an EVTX record."""
    event_id = record["EventID"]
    system: dict[str, Any] = {
        "Provider": {
            "#attributes": {"Name": record["SourceName"], "Guid": record.get("ProviderGuid")}
        },
        "EventID": event_id,
        "Version": record.get("Version", 0),
        "Level": 0,
        "Task": record.get("Task", 0),
        "Opcode": 0,
        "Keywords": "0x8020000000000000",
        "TimeCreated": {"#attributes": {"SystemTime": _system_time(record["@timestamp"])}},
        "EventRecordID": record["RecordNumber"],
        "Correlation": None,
        "Execution": {
            "#attributes": {
                "ProcessID": record.get("ExecutionProcessID"),
                "ThreadID": record.get("ThreadID"),
            }
        },
        "Channel": record["Channel"],
        "Computer": record["Hostname"],
        "Security": {"#attributes": {"UserID": record["UserID"]}} if _is_7045(record) else None,
    }
    event: dict[str, Any] = {
        "#attributes": {"xmlns": _EVENT_NS},
        "System": system,
    }
    if event_id == 1102:
        event["UserData"] = {
            "LogFileCleared": {"#attributes": {"xmlns": _EVENTLOG_NS}, **_event_data(record)}
        }
    else:
        event["EventData"] = _event_data(record)
    return {"Event": event}


def winxml(record: dict[str, Any], *, rendered: bool = False) -> str:
    """One ``<Event>`` as ``wevtutil qe /f:xml`` prints it (System, then EventData/UserData);
    ``rendered``: as ``/f:RenderedXml`` after an XML pretty-printer, one element per line and a
    RenderingInfo whose Message text runs over several lines."""
    event_id = record["EventID"]
    data = _event_data(record)
    security = (
        f"<Security UserID={quoteattr(record['UserID'])}/>" if _is_7045(record) else "<Security/>"
    )
    qualifiers = ' Qualifiers="16384"' if event_id == 7045 else ""
    parts = [
        f'<Event xmlns="{_EVENT_NS}"><System>',
        f"<Provider Name={quoteattr(record['SourceName'])} "
        f"Guid={quoteattr(record.get('ProviderGuid') or '')}/>",
        f"<EventID{qualifiers}>{event_id}</EventID>",
        f"<Version>{record.get('Version', 0)}</Version><Level>0</Level>",
        f"<Task>{record.get('Task', 0)}</Task><Opcode>0</Opcode>",
        "<Keywords>0x8020000000000000</Keywords>",
        f"<TimeCreated SystemTime={quoteattr(_system_time(record['@timestamp']))}/>",
        f"<EventRecordID>{record['RecordNumber']}</EventRecordID><Correlation/>",
        f'<Execution ProcessID="{record.get("ExecutionProcessID", 0)}" '
        f'ThreadID="{record.get("ThreadID", 0)}"/>',
        f"<Channel>{escape(record['Channel'])}</Channel>",
        f"<Computer>{escape(record['Hostname'])}</Computer>{security}</System>",
    ]
    if event_id == 1102:
        parts.append(f'<UserData><LogFileCleared xmlns="{_EVENTLOG_NS}">')
        parts.extend(f"<{k}>{escape(v, _XML_TEXT)}</{k}>" for k, v in data.items())
        parts.append("</LogFileCleared></UserData>")
    else:
        parts.append("<EventData>")
        parts.extend(
            f"<Data Name={quoteattr(k, _XML_ATTR)}>{escape(v, _XML_TEXT)}</Data>"
            for k, v in data.items()
        )
        parts.append("</EventData>")
    if rendered:
        message = f"{record.get('Category', '')}.\n\nSubject:\n\tEvent {event_id}\n"
        parts.append(
            f'<RenderingInfo Culture="en-US"><Message>{escape(message)}</Message>'
            "<Level>Information</Level><Task>"
            f"{escape(str(record.get('Category', '')))}</Task>"
            "<Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo>"
        )
    parts.append("</Event>")
    return ("\n  " if rendered else "").join(parts)


def nxlog(record: dict[str, Any]) -> dict[str, Any]:
    """NXLog JSON with ``EventData`` nested, lower-case channel, ``EventTime`` local with its
    offset (the @timestamp instant) and no ``@timestamp``."""
    offset = _offset(record)
    local = _utc(record["@timestamp"]).astimezone(timezone(offset))
    document = {
        k: v for k, v in record.items() if k in HELK_ENVELOPE and k not in ("@timestamp", "host")
    }
    document["EventTime"] = local.isoformat(timespec="milliseconds")
    document["Channel"] = record["Channel"].lower()
    fields = _event_fields(record)
    if _is_7045(record):  # nxlog's own System/Security user keys stay at the top
        for key in _NXLOG_USER_KEYS:
            document[key] = fields.pop(key)
    document["EventData"] = fields
    document["Hostname"] = record["Hostname"]
    return document


# --------------------------------------------------------------------------------------------
# syslog shapes: one RFC 3164 line (with the year and the file) in, one line out.

_RFC3164 = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<time>\d\d:\d\d:\d\d) (?P<host>\S+) "
    r"(?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)",
    re.DOTALL,
)
_MONTHS = {
    m: i for i, m in enumerate(("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(), 1)
}
# Facility per program, as Debian's rsyslog and journald set it (auth=4, authpriv=10, cron=9).
_FACILITY = {"sshd": 4, "CRON": 9, "cron": 9}
_LOCAL_OFFSET = timezone(timedelta(hours=1))
_UNITS = {"sshd": "ssh.service", "CRON": "cron.service", "cron": "cron.service"}


@dataclass(frozen=True)
class SyslogLine:
    time: datetime
    host: str
    prog: str
    pid: str
    msg: str


def parse_rfc3164(line: str, year: int) -> SyslogLine:
    m = _RFC3164.fullmatch(line)
    if m is None:
        raise ValueError(f"not a generated RFC 3164 line: {line[:80]!r}")
    hh, mi, ss = (int(x) for x in m["time"].split(":"))
    when = datetime(year, _MONTHS[m["mon"]], int(m["day"]), hh, mi, ss, tzinfo=UTC)
    return SyslogLine(when, m["host"], m["prog"], m["pid"] or "", m["msg"])


def rfc5424(line: SyslogLine) -> str:
    pri = _FACILITY.get(line.prog, 10) * 8 + 6
    stamp = line.time.isoformat(timespec="microseconds")
    return f"<{pri}>1 {stamp} {line.host} {line.prog} {line.pid or '-'} - - {line.msg}"


def rsyslog_iso(line: SyslogLine) -> str:
    stamp = line.time.astimezone(_LOCAL_OFFSET).isoformat(timespec="microseconds")
    tag = f"{line.prog}[{line.pid}]" if line.pid else line.prog
    return f"{stamp} {line.host} {tag}: {line.msg}"


def short_unix(line: SyslogLine) -> str:
    """``journalctl -o short-unix``: epoch seconds with microseconds, then the usual tag."""
    micros = (line.time - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    tag = f"{line.prog}[{line.pid}]" if line.pid else line.prog
    return f"{micros // 10**6}.{micros % 10**6:06d} {line.host} {tag}: {line.msg}"


def journald(line: SyslogLine, position: int) -> str:
    micros = (line.time - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    boot = uuid.uuid5(uuid.NAMESPACE_DNS, line.host).hex
    record: dict[str, Any] = {
        "__CURSOR": f"s={boot};i={position:x};b={boot};t={micros:x}",
        "__REALTIME_TIMESTAMP": str(micros),
        "__MONOTONIC_TIMESTAMP": str(micros % 10**12),
        "_BOOT_ID": boot,
        "_TRANSPORT": "syslog",
        "PRIORITY": "6",
        "SYSLOG_FACILITY": str(_FACILITY.get(line.prog, 10)),
        "SYSLOG_IDENTIFIER": line.prog,
        "_HOSTNAME": line.host,
        "_COMM": line.prog.lower()[:15],
        "MESSAGE": line.msg,
    }
    if line.pid:
        record["SYSLOG_PID"] = line.pid
        record["_PID"] = line.pid
    if line.prog in _UNITS:
        record["_SYSTEMD_UNIT"] = _UNITS[line.prog]
    return orjson.dumps(record).decode()


def _file_year(path: Path) -> int:
    m = re.search(r"(\d{4})-\d\d-\d\d", path.name)
    if m:
        return int(m.group(1))
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).year


# --------------------------------------------------------------------------------------------
# CloudTrail shapes.


def eventbridge(record: dict[str, Any]) -> dict[str, Any]:
    name = record.get("eventName")
    detail_type = (
        "AWS Console Sign In via CloudTrail"
        if name == "ConsoleLogin"
        else "AWS API Call via CloudTrail"
    )
    service = str(record.get("eventSource", "")).split(".", 1)[0]
    ident = uuid.uuid5(uuid.NAMESPACE_URL, str(record.get("eventID")))
    return {
        "version": "0",
        "id": str(ident),
        "detail-type": detail_type,
        "source": f"aws.{service}",
        "account": record.get("recipientAccountId", ""),
        "time": record.get("eventTime"),
        "region": record.get("awsRegion", ""),
        "resources": [],
        "detail": record,
    }


# --------------------------------------------------------------------------------------------
# Variants: rendering whole files.

#: A file of the original shape -> [(relative name, bytes)] of the new shape.
FileRender = Callable[[Path, int], list[tuple[str, bytes]]]


def _lines(items: Iterator[str]) -> bytes:
    return ("\n".join(items) + "\n").encode()


def _winxml_rendered_file(path: Path, _: int) -> list[tuple[str, bytes]]:
    name = _plain(path.name).removesuffix(".json") + ".xml"
    events = "\n".join(winxml(r, rendered=True) for r in _helk_records(path))
    return [
        (name, f'<?xml version="1.0" encoding="UTF-8"?>\n<Events>\n{events}\n</Events>\n'.encode())
    ]


def _windows_json(shape: Callable[[dict[str, Any]], dict[str, Any]]) -> FileRender:
    def render(path: Path, _: int) -> list[tuple[str, bytes]]:
        body = b"\n".join(orjson.dumps(shape(r)) for r in _helk_records(path)) + b"\n"
        return [(_plain(path.name), body)]

    return render


def _winxml_file(path: Path, _: int) -> list[tuple[str, bytes]]:
    name = _plain(path.name).removesuffix(".json") + ".xml"
    return [(name, _lines(winxml(r) for r in _helk_records(path)))]


def _syslog_file(shape: Callable[[SyslogLine, int], str]) -> FileRender:
    def render(path: Path, _: int) -> list[tuple[str, bytes]]:
        year = _file_year(path)
        lines = _read(path).decode().splitlines()
        out = (shape(parse_rfc3164(line, year), n) for n, line in enumerate(lines, 1) if line)
        return [(_plain(path.name), _lines(out))]

    return render


def _trail_records(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = orjson.loads(_read(path))["Records"]
    return records


def _cloudtrail_jsonl(path: Path, _: int) -> list[tuple[str, bytes]]:
    body = b"\n".join(orjson.dumps(r) for r in _trail_records(path)) + b"\n"
    return [(_plain(path.name), body)]


def _cloudtrail_gz(path: Path, _: int) -> list[tuple[str, bytes]]:
    body = orjson.dumps({"Records": _trail_records(path)})
    return [(_plain(path.name) + ".gz", gzip.compress(body, mtime=int(path.stat().st_mtime)))]


def _eventbridge_file(path: Path, _: int) -> list[tuple[str, bytes]]:
    body = b"\n".join(orjson.dumps(eventbridge(r)) for r in _trail_records(path)) + b"\n"
    return [(_plain(path.name), body)]


def cloudwatch(records: list[dict[str, Any]], log_group: str) -> dict[str, Any]:
    """A CloudWatch Logs subscription DATA_MESSAGE holding ``records`` (one log event each)."""
    account = str(records[0].get("recipientAccountId", "")) if records else ""
    region = str(records[0].get("awsRegion", "")) if records else ""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": account,
        "logGroup": log_group,
        "logStream": f"{account}_CloudTrail_{region}",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(r.get("eventID")))).replace("-", ""),
                "timestamp": int(_utc(str(r["eventTime"])).timestamp() * 1000),
                "message": orjson.dumps(r).decode(),
            }
            for r in records
        ],
    }


def _firehose_file(path: Path, _: int) -> list[tuple[str, bytes]]:
    """CloudTrail -> CloudWatch Logs -> subscription -> Kinesis Firehose -> S3: gzip'ed
    DATA_MESSAGEs (up to 50 log events each) written back to back, no separator."""
    records = _trail_records(path)
    group = f"aws-cloudtrail-logs-{records[0].get('recipientAccountId', '')}" if records else ""
    body = b"".join(
        orjson.dumps(cloudwatch(records[i : i + 50], group)) for i in range(0, len(records), 50)
    )
    name = _plain(path.name).removesuffix(".json") + ".gz"
    return [(name, gzip.compress(body, mtime=int(path.stat().st_mtime)))]


def _plain(name: str) -> str:
    return name.removesuffix(".gz")


@dataclass(frozen=True)
class Variant:
    name: str
    family: str  # the generator's directory it rewrites: windows, linux, cloudtrail
    render: FileRender


_WINDOWS: dict[str, FileRender] = {
    "winlogbeat": _windows_json(winlogbeat),
    "winlogbeat7": _windows_json(lambda r: winlogbeat(r, version=7)),
    "winlogbeat6": _windows_json(winlogbeat6),
    "elasticdump": _windows_json(elasticdump),
    "winxml": _winxml_file,
    "winxml-rendered": _winxml_rendered_file,
    "evtxjson": _windows_json(evtxjson),
    "nxlog": _windows_json(nxlog),
}
_SYSLOG: dict[str, FileRender] = {
    "rfc5424": _syslog_file(lambda line, _: rfc5424(line)),
    "rsyslog-iso": _syslog_file(lambda line, _: rsyslog_iso(line)),
    "journald": _syslog_file(journald),
    "short-unix": _syslog_file(lambda line, _: short_unix(line)),
}
_CLOUDTRAIL: dict[str, FileRender] = {
    "cloudtrail-jsonl": _cloudtrail_jsonl,
    "cloudtrail-gz": _cloudtrail_gz,
    "eventbridge": _eventbridge_file,
    "cloudwatch-firehose": _firehose_file,
}


def _mixed(shapes: dict[str, FileRender]) -> FileRender:
    """Each file in another shape of the family, round-robin: a directory of mixed shapes."""
    renders = list(shapes.values())

    def render(path: Path, index: int) -> list[tuple[str, bytes]]:
        return renders[index % len(renders)](path, index)

    return render


VARIANTS: dict[str, Variant] = {
    **{name: Variant(name, "windows", render) for name, render in _WINDOWS.items()},
    "mixed-windows": Variant("mixed-windows", "windows", _mixed(_WINDOWS)),
    **{name: Variant(name, "linux", render) for name, render in _SYSLOG.items()},
    "mixed-syslog": Variant("mixed-syslog", "linux", _mixed(_SYSLOG)),
    **{name: Variant(name, "cloudtrail", render) for name, render in _CLOUDTRAIL.items()},
    "mixed-cloudtrail": Variant("mixed-cloudtrail", "cloudtrail", _mixed(_CLOUDTRAIL)),
}
#: File-level changes, applied to every file after the shapes.
FILE_CHANGES = ("crlf", "bom", "noext", "gzip-noext", "touch", "undated")
_NAME_DATE = re.compile(r"(19|20)\d\d-?\d\d-?\d\d")


def undated_name(name: str) -> str:
    """``name`` with its date replaced by a short hash of the name (``undated``)."""
    return _NAME_DATE.sub(hashlib.sha256(name.encode()).hexdigest()[:8], name)


def _write(path: Path, data: bytes, mtime: float) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))  # RFC 3164 readers take the year from it


def _change_file(path: Path, change: str) -> None:
    mtime = path.stat().st_mtime
    data = path.read_bytes()
    if change == "touch":  # a copy that did not keep mtimes (git checkout, cp without -p)
        now = time.time()
        os.utime(path, (now, now))
        return
    if change == "undated":  # keeps the mtime; combine with touch to lose both
        path.rename(path.with_name(undated_name(path.name)))
        return
    if change == "noext":
        target = path.with_name(path.name.split(".", 1)[0])
        path.rename(target)
        return
    if change == "gzip-noext":
        if data[:2] != b"\x1f\x8b":
            data = gzip.compress(data, mtime=int(mtime))
        path.unlink()
        _write(path.with_name(path.name.split(".", 1)[0]), data, mtime)
        return
    compressed = data[:2] == b"\x1f\x8b"
    if compressed:
        data = gzip.decompress(data)
    if change == "crlf":
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    elif change == "bom":
        data = b"\xef\xbb\xbf" + data
    if compressed:
        data = gzip.compress(data, mtime=int(mtime))
    _write(path, data, mtime)


def apply(logs: Path, names: Sequence[str]) -> list[str]:
    """Rewrite the generator's files under ``logs`` in place; returns the files now there."""
    unknown = [n for n in names if n not in VARIANTS and n not in FILE_CHANGES]
    if unknown:
        known = ", ".join([*VARIANTS, *FILE_CHANGES])
        raise ValueError(f"unknown variant(s) {', '.join(unknown)}; choose from: {known}")
    shapes = [VARIANTS[n] for n in names if n in VARIANTS]
    families = [v.family for v in shapes]
    if len(set(families)) != len(families):
        raise ValueError("one shape per source: " + ", ".join(n for n in names if n in VARIANTS))
    for variant in shapes:
        folder = logs / variant.family
        for index, path in enumerate(sorted(p for p in folder.iterdir() if p.is_file())):
            mtime = path.stat().st_mtime
            outputs = variant.render(path, index)
            path.unlink()
            for name, data in outputs:
                _write(folder / name, data, mtime)
    changes = [n for n in names if n in FILE_CHANGES]
    for change in changes:
        for path in sorted(p for p in logs.rglob("*") if p.is_file()):
            _change_file(path, change)
    return sorted(str(p.relative_to(logs)) for p in logs.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        files = apply(Path(args[0]), args[1].split(","))
    except ValueError as exc:
        print(f"variants: {exc}", file=sys.stderr)
        return 2
    print(f"{len(files)} files in {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
