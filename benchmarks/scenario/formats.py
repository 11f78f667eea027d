"""Raw log shapes: HELK flat JSON (Windows), RFC 3164 syslog (Linux) and CloudTrail (AWS).

The generator does not build final records. It tells a :class:`LogSink` *what happened* (time,
reporting host, event id and the event's own fields); at write time the sink sorts each day,
then does what the real plumbing does:

* Windows: numbers records per host and channel (``RecordNumber``, with gaps, as an export of a
  busy log has), adds the nxlog/HELK envelope (``@timestamp`` = collector receive time in UTC,
  ``EventTime`` = host local time without zone, ``Keywords``, ``Task`` ...) exactly as the
  Security-Datasets captures show it, one JSON object per line.
* Linux: gives processes increasing pids per host and writes RFC 3164 lines (no year, UTC,
  day padded with a space) as rsyslog's traditional format does; the file's mtime is set to its
  last line so a reader can infer the year the way it would for a real rotated ``auth.log``.
* AWS: ``{"Records": [...]}`` per day, as CloudTrail delivers to S3 (one line of JSON).

Records emitted while :meth:`LogSink.tagged` is active carry its tag (an attack or a benign
"normal life" episode; nested blocks give a record several tags). The writer reports, per tag,
the ids a parser will give those records (Windows ``host:RecordNumber``, CloudTrail ``eventID``,
syslog ``file:line``) and their time span, which is how ground truth is derived from what was
actually written.
"""

from __future__ import annotations

import gzip as gzip_module
import itertools
import os
import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson

DAY_MS = 86_400_000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------------------------
# Time formatting. Times are integer epoch milliseconds throughout the generator.


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def iso_ms(ms: int) -> str:
    """``2024-05-06T09:12:01.123Z`` (HELK ``@timestamp``)."""
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_s(ms: int) -> str:
    """``2024-05-06T09:12:01Z`` (CloudTrail ``eventTime``, truth windows)."""
    return utc(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_s(ms: int, tz: ZoneInfo) -> str:
    """Host local wall time without zone, as nxlog writes ``EventTime``."""
    return datetime.fromtimestamp(ms / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")


def rfc3164_stamp(ms: int) -> str:
    """``May  6 09:12:01``: English month, day padded with a space, no year, UTC."""
    when = utc(ms)
    return f"{MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S}"


def day_of(ms: int, start_ms: int) -> int:
    return (ms - start_ms) // DAY_MS


# --------------------------------------------------------------------------------------------
# What a Windows host must provide to be written as a HELK record.


class WinSource(Protocol):
    name: str  # short upper-case NetBIOS name
    fqdn: str
    tz: ZoneInfo
    lag_ms: int  # collector receive delay: @timestamp is when the WEC got it


@dataclass(frozen=True)
class _EventMeta:
    category: str
    task: int
    version: int
    provider: str = "security"


# Category / Task / Version per event id, from the Security-Datasets captures.
EVENT_META: dict[int, _EventMeta] = {
    4624: _EventMeta("Logon", 12544, 2),
    4625: _EventMeta("Logon", 12544, 0),
    4634: _EventMeta("Logoff", 12545, 0),
    4648: _EventMeta("Logon", 12544, 0),
    4672: _EventMeta("Special Logon", 12548, 0),
    4688: _EventMeta("Process Creation", 13312, 2),
    4698: _EventMeta("Other Object Access Events", 12804, 1),
    4697: _EventMeta("Security System Extension", 12289, 0),
    4720: _EventMeta("User Account Management", 13824, 0),
    4722: _EventMeta("User Account Management", 13824, 0),
    4724: _EventMeta("User Account Management", 13824, 0),
    4723: _EventMeta("User Account Management", 13824, 0),
    4725: _EventMeta("User Account Management", 13824, 0),
    4728: _EventMeta("Security Group Management", 13826, 0),
    4729: _EventMeta("Security Group Management", 13826, 0),  # round 11 (other_threats)
    4732: _EventMeta("Security Group Management", 13826, 0),
    4741: _EventMeta("Computer Account Management", 13825, 0),
    4738: _EventMeta("User Account Management", 13824, 0),  # round 19 (novel19_threats)
    4765: _EventMeta("User Account Management", 13824, 0),  # round 19
    4794: _EventMeta("User Account Management", 13824, 0),  # round 22 (novel22_threats)
    4704: _EventMeta("Authorization Policy Change", 13570, 0),  # round 23 (novel23_threats)
    4778: _EventMeta("Other Logon/Logoff Events", 12551, 0),  # round 19
    4662: _EventMeta("Directory Service Access", 14080, 0),
    5136: _EventMeta("Directory Service Changes", 14081, 0),  # round 11 (other_threats)
    4756: _EventMeta("Security Group Management", 13826, 0),
    4768: _EventMeta("Kerberos Authentication Service", 14339, 0),
    4769: _EventMeta("Kerberos Service Ticket Operations", 14337, 0),
    4771: _EventMeta("Kerberos Authentication Service", 14339, 0),
    4776: _EventMeta("Credential Validation", 14336, 0),
    5140: _EventMeta("File Share", 12808, 1),
    5145: _EventMeta("Detailed File Share", 12811, 0),
    4663: _EventMeta("File System", 12800, 1),
    4660: _EventMeta("File System", 12800, 0),
    4670: _EventMeta("Authorization Policy Change", 13570, 0),
    1102: _EventMeta("Log clear", 104, 1, provider="eventlog"),
    7045: _EventMeta("Service Control Manager", 0, 0, provider="scm"),
    4886: _EventMeta("Certification Services", 12805, 0),  # round 20 (novel20w_threats)
    4887: _EventMeta("Certification Services", 12805, 0),  # round 20
}

_PROVIDERS = {
    "security": ("Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}"),
    "eventlog": ("Microsoft-Windows-Eventlog", "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}"),
    "scm": ("Service Control Manager", "{555908D1-A6D7-4695-8E1E-26931D2012F4}"),
}
# Keywords as nxlog writes them (signed 64-bit).
_KEYWORDS_SUCCESS = -9214364837600034816  # 0x8020000000000000 Audit Success
_KEYWORDS_FAILURE = -9218868437227405312  # 0x8010000000000000 Audit Failure
_KEYWORDS_SYSTEM = -9187343239835811840  # 0x8080000000000000 Classic
_KEYWORDS_EVENTLOG = 4620693217682128896  # 0x4020000000000000
# Events logged by the kernel (System process) rather than lsass.
_KERNEL_EVENTS = frozenset({5140, 5145, 4688})


# --------------------------------------------------------------------------------------------
# The sink.


@dataclass(slots=True)
class _Win:
    t: int
    seq: int
    host: WinSource
    channel: str
    event_id: int
    fields: dict[str, Any]
    failure: bool
    tags: tuple[str, ...]
    actor: str


@dataclass(slots=True)
class _Line:
    t: int
    seq: int
    host: str
    prog: str
    session: str | None  # same session -> same pid; None -> a fresh process
    with_pid: bool
    msg: str
    tags: tuple[str, ...]
    actor: str


@dataclass(slots=True)
class _Trail:
    t: int
    seq: int
    record: dict[str, Any]
    tags: tuple[str, ...]
    actor: str


@dataclass
class TagSpan:
    """What was written for one tag: ids a parser will report, count and event-time span."""

    evidence: list[str] = field(default_factory=list)
    first_ms: int | None = None
    last_ms: int | None = None

    def add(self, ms: int, ident: str) -> None:
        self.evidence.append(ident)
        self.first_ms = ms if self.first_ms is None else min(self.first_ms, ms)
        self.last_ms = ms if self.last_ms is None else max(self.last_ms, ms)


@dataclass
class WriteResult:
    files: list[str]  # relative to the output directory, sorted
    counts: dict[str, int]  # records per format
    tags: dict[str, TagSpan]
    active_users: dict[str, list[str]]  # UTC date -> sorted user ids


class LogSink:
    """Collects what happened; :meth:`write` renders it into files."""

    def __init__(self, *, seed: int, start_ms: int, end_ms: int, tenant: str) -> None:
        self.seed = seed
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.tenant = tenant
        self._seq = itertools.count()
        self._tags: tuple[str, ...] = ()
        self.windows: list[_Win] = []
        self.lines: list[_Line] = []
        self.trail: list[_Trail] = []

    @contextmanager
    def tagged(self, *tags: str) -> Iterator[None]:
        """Everything emitted inside belongs to ``tags`` too (attack or benign episode ids)."""
        previous = self._tags
        self._tags = previous + tuple(t for t in tags if t not in previous)
        try:
            yield
        finally:
            self._tags = previous

    def win(
        self,
        t: int,
        host: WinSource,
        event_id: int,
        fields: dict[str, Any],
        *,
        actor: str = "",
        failure: bool = False,
        channel: str = "Security",
    ) -> None:
        """One Windows event logged by ``host``; ``actor`` is the user id for user-day counts."""
        self.windows.append(
            _Win(t, next(self._seq), host, channel, event_id, fields, failure, self._tags, actor)
        )

    def syslog(
        self,
        t: int,
        host: str,
        prog: str,
        msg: str,
        *,
        session: str | None = None,
        with_pid: bool = True,
        actor: str = "",
    ) -> None:
        """One syslog line from ``prog`` on ``host`` (lines of one ``session`` share a pid)."""
        self.lines.append(
            _Line(t, next(self._seq), host, prog, session, with_pid, msg, self._tags, actor)
        )

    def cloudtrail(self, t: int, record: dict[str, Any], *, actor: str = "") -> None:
        self.trail.append(_Trail(t, next(self._seq), record, self._tags, actor))

    # -- writing ------------------------------------------------------------------------------

    def write(self, out_dir: Path, *, gzip: bool, aws_account: str, region: str) -> WriteResult:
        """Render every format into ``out_dir/logs/...``, one file per UTC day and format."""
        result = WriteResult(files=[], counts={}, tags=defaultdict(TagSpan), active_users={})
        active: dict[int, set[str]] = defaultdict(set)
        writer = _FileWriter(out_dir, gzip=gzip)
        result.counts["windows"] = self._write_windows(writer, result, active)
        result.counts["syslog"] = self._write_syslog(writer, result, active)
        result.counts["cloudtrail"] = self._write_cloudtrail(
            writer, result, active, aws_account, region
        )
        result.files = sorted(writer.files)
        result.tags = dict(result.tags)
        result.active_users = {
            utc(self.start_ms + day * DAY_MS).strftime("%Y-%m-%d"): sorted(users)
            for day, users in sorted(active.items())
        }
        return result

    def _in_period(self, t: int) -> bool:
        return self.start_ms <= t < self.end_ms

    def _by_day(self, items: list[Any], key: Any) -> dict[int, list[Any]]:
        days: dict[int, list[Any]] = defaultdict(list)
        for item in items:
            when = key(item)
            if self._in_period(item.t) and self._in_period(when):
                days[day_of(when, self.start_ms)].append(item)
        return days

    def _write_windows(
        self, writer: _FileWriter, result: WriteResult, active: dict[int, set[str]]
    ) -> int:
        numbers: dict[tuple[str, str], int] = {}
        streams: dict[tuple[str, str], random.Random] = {}
        helper = _HelkEnvelope(self.seed)
        count = 0
        # A file holds what the collector *received* that day, ordered by receive time.
        for day, events in sorted(
            self._by_day(self.windows, lambda e: e.t + e.host.lag_ms).items()
        ):
            events.sort(key=lambda e: (e.t + e.host.lag_ms, e.seq))
            out: list[bytes] = []
            for event in events:
                key = (event.host.name, event.channel)
                if key not in numbers:
                    # One stream per host log, so one host's numbering never depends on another's.
                    rng = streams[key] = random.Random(f"{self.seed}/records/{key[0]}/{key[1]}")
                    # Security logs of long-lived hosts are deep into their numbering; System
                    # logs are small. Disjoint ranges keep host:RecordNumber ids unique.
                    base = 2_000_000 if event.channel == "Security" else 10_000
                    numbers[key] = base + rng.randrange(1_000_000 if base > 10_000 else 5_000)
                rng = streams[key]
                # Gaps: the export keeps only the events Vigil reads (no 5156, 4703 ...).
                numbers[key] += 1 + (rng.randrange(12) if event.channel == "Security" else 0)
                record = helper.render(event, numbers[key])
                out.append(orjson.dumps(record))
                for tag in event.tags:
                    ident = f"{event.host.name.lower()}:{numbers[key]}"
                    result.tags[tag].add(event.t, ident)
                if event.actor:
                    active[day_of(event.t, self.start_ms)].add(event.actor)
            name = f"windows/helk-{utc(self.start_ms + day * DAY_MS):%Y-%m-%d}.json"
            last = events[-1].t + events[-1].host.lag_ms
            writer.write(name, b"\n".join(out) + b"\n", last)
            count += len(events)
        return count

    def _write_syslog(
        self, writer: _FileWriter, result: WriteResult, active: dict[int, set[str]]
    ) -> int:
        streams: dict[str, random.Random] = {}
        next_pid: dict[str, int] = {}
        pids: dict[tuple[str, str], int] = {}
        count = 0
        for day, lines in sorted(self._by_day(self.lines, lambda e: e.t).items()):
            lines.sort(key=lambda e: (e.t, e.seq))
            name = f"linux/auth-{utc(self.start_ms + day * DAY_MS):%Y-%m-%d}.log"
            out: list[str] = []
            for number, line in enumerate(lines, start=1):
                if line.with_pid:
                    pid = pids.get((line.host, line.session)) if line.session else None
                    if pid is None:
                        rng = streams.get(line.host)
                        if rng is None:  # per host, like the record numbers above
                            rng = streams[line.host] = random.Random(
                                f"{self.seed}/pids/{line.host}"
                            )
                        pid = next_pid.get(line.host, 900 + rng.randrange(20_000))
                        next_pid[line.host] = pid + 1 + rng.randrange(40)
                        if line.session:
                            pids[line.host, line.session] = pid
                    tag = f"{line.prog}[{pid}]"
                else:
                    tag = line.prog
                out.append(f"{rfc3164_stamp(line.t)} {line.host} {tag}: {line.msg}")
                for tag in line.tags:
                    result.tags[tag].add(line.t, f"{name}:{number}")
                if line.actor:
                    active[day_of(line.t, self.start_ms)].add(line.actor)
            writer.write(name, ("\n".join(out) + "\n").encode(), lines[-1].t)
            count += len(lines)
        return count

    def _write_cloudtrail(
        self,
        writer: _FileWriter,
        result: WriteResult,
        active: dict[int, set[str]],
        aws_account: str,
        region: str,
    ) -> int:
        count = 0
        for day, records in sorted(self._by_day(self.trail, lambda e: e.t).items()):
            records.sort(key=lambda e: (e.t, e.seq))
            for item in records:
                for tag in item.tags:
                    result.tags[tag].add(item.t, item.record["eventID"])
                if item.actor:
                    active[day_of(item.t, self.start_ms)].add(item.actor)
            stamp = utc(self.start_ms + day * DAY_MS).strftime("%Y%m%d")
            name = f"cloudtrail/{aws_account}_CloudTrail_{region}_{stamp}.json"
            body = orjson.dumps({"Records": [item.record for item in records]})
            writer.write(name, body + b"\n", records[-1].t)
            count += len(records)
        return count


class _HelkEnvelope:
    """The nxlog / HELK fields around a Windows event's own ``EventData`` fields."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(f"{seed}/formats/threads")
        self._host_fixed: dict[str, tuple[int, int, int, int]] = {}

    def _fixed(self, host: WinSource) -> tuple[int, int, int, int]:
        """Per host: lsass pid, services.exe pid, eventlog pid, collector port (stable)."""
        fixed = self._host_fixed.get(host.name)
        if fixed is None:
            rng = random.Random(f"{self.seed}/envelope/{host.name}")
            fixed = (
                rng.randrange(600, 900, 4),
                rng.randrange(560, 700, 4),
                rng.randrange(1200, 1800, 4),
                rng.randrange(50_000, 65_000),
            )
            self._host_fixed[host.name] = fixed
        return fixed

    def render(self, event: _Win, record_number: int) -> dict[str, Any]:
        meta = EVENT_META[event.event_id]
        source_name, guid = _PROVIDERS[meta.provider]
        lsass, services, eventlog, port = self._fixed(event.host)
        received = event.t + event.host.lag_ms
        if meta.provider == "scm":
            event_type, keywords, process_id = "INFO", _KEYWORDS_SYSTEM, services
        elif meta.provider == "eventlog":
            event_type, keywords, process_id = "INFO", _KEYWORDS_EVENTLOG, eventlog
        elif event.failure:
            event_type, keywords, process_id = "AUDIT_FAILURE", _KEYWORDS_FAILURE, lsass
        else:
            event_type, keywords, process_id = "AUDIT_SUCCESS", _KEYWORDS_SUCCESS, lsass
        if event.event_id in _KERNEL_EVENTS:
            process_id = 4
        record: dict[str, Any] = {
            "@timestamp": iso_ms(received),
            "@version": "1",
            "Category": meta.category,
            "Channel": event.channel,
            "EventID": event.event_id,
            "EventReceivedTime": local_s(received, event.host.tz),
            "EventTime": local_s(event.t, event.host.tz),
            "EventType": event_type,
            "ExecutionProcessID": process_id,
            "Hostname": event.host.fqdn,
            "Keywords": keywords,
            "Opcode": "Info",
            "OpcodeValue": 0,
            "ProviderGuid": guid,
            "RecordNumber": record_number,
            "Severity": "ERROR" if event.failure else "INFO",
            "SeverityValue": 4 if event.failure else 2,
            "SourceModuleName": "eventlog",
            "SourceModuleType": "im_msvistalog",
            "SourceName": source_name,
            "Task": meta.task,
            "ThreadID": self.rng.randrange(200, 9000, 4),
            "Version": meta.version,
        }
        record.update(event.fields)
        record["host"] = "wec.internal.cloudapp.net"
        record["port"] = port
        record["tags"] = ["vigil-scenario"]
        return record


class _FileWriter:
    """Writes files under ``out_dir/logs``. Gzip headers carry the last record's time (not the
    wall clock), so output is reproducible and survives copies that lose file mtimes."""

    def __init__(self, out_dir: Path, *, gzip: bool) -> None:
        self.root = out_dir
        self.gzip = gzip
        self.files: list[str] = []

    def write(self, name: str, data: bytes, last_ms: int) -> None:
        relative = f"logs/{name}" + (".gz" if self.gzip else "")
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.gzip:
            data = gzip_module.compress(data, compresslevel=6, mtime=last_ms // 1000 + 1)
        path.write_bytes(data)
        # mtime = last record, as for a real rotated log: RFC 3164 readers infer the year from it.
        stamp = last_ms / 1000 + 1
        os.utime(path, (stamp, stamp))
        self.files.append(relative)


def owned_log_files(out_dir: Path) -> list[Path]:
    """Files a previous run of the generator wrote (and only those), for a clean re-run."""
    logs = out_dir / "logs"
    patterns = ("windows/helk-*.json*", "linux/auth-*.log*", "cloudtrail/*_CloudTrail_*.json*")
    found: list[Path] = []
    for pattern in patterns:
        found.extend(logs.glob(pattern))
    return sorted(found)


# --------------------------------------------------------------------------------------------
# Windows event builders: the EventData fields of each event id, as the real events carry them.


class Principal(Protocol):
    """An account as Windows writes it."""

    sam: str  # sAMAccountName as written (``jsmith``, ``FS01$``)
    sid: str
    dn: str  # distinguished name, for group membership events
    display: str
    actor: str  # normalised user id for user-day counting; "" for machine accounts


class WinHost(WinSource, Principal, Protocol):
    ip: str


_MACHINE_SID = "S-1-5-18"
_NULL_SID = "S-1-0-0"
_NULL_GUID = "{00000000-0000-0000-0000-000000000000}"
ADMIN_PRIVILEGES = "\r\n\t\t\t".join(
    (
        "SeSecurityPrivilege",
        "SeBackupPrivilege",
        "SeRestorePrivilege",
        "SeTakeOwnershipPrivilege",
        "SeDebugPrivilege",
        "SeSystemEnvironmentPrivilege",
        "SeLoadDriverPrivilege",
        "SeImpersonatePrivilege",
        "SeDelegateSessionUserImpersonatePrivilege",
        "SeEnableDelegationPrivilege",
    )
)
BACKUP_PRIVILEGES = "SeBackupPrivilege\r\n\t\t\tSeRestorePrivilege"
_SVCHOST = "C:\\Windows\\System32\\svchost.exe"


class WindowsLog:
    """Builds Windows Security/System events into a :class:`LogSink`."""

    def __init__(
        self, sink: LogSink, rng: random.Random, *, netbios: str, realm: str, dns_domain: str
    ) -> None:
        self.sink = sink
        self.rng = rng
        self.netbios = netbios  # ACME
        self.realm = realm  # ACME.LOCAL
        self.dns_domain = dns_domain  # acme.local
        self.domain_sid = ""  # set by the organisation

    # -- small helpers --------------------------------------------------------------------------

    def new_logon_id(self) -> str:
        return hex(self.rng.randrange(0x100000, 0x7FFFFFFF))

    def _guid(self) -> str:
        r = self.rng.getrandbits(128)
        h = f"{r:032x}"
        return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}}}"

    def _port(self) -> str:
        return str(self.rng.randrange(49152, 65535))

    def _subject(self, who: Principal, logon_id: str) -> dict[str, str]:
        return {
            "SubjectUserSid": who.sid,
            "SubjectUserName": who.sam,
            "SubjectDomainName": self.netbios,
            "SubjectLogonId": logon_id,
        }

    def _machine_subject(self, host: WinHost) -> dict[str, str]:
        return {
            "SubjectUserSid": _MACHINE_SID,
            "SubjectUserName": host.sam,
            "SubjectDomainName": self.netbios,
            "SubjectLogonId": "0x3e7",
        }

    # -- logons ---------------------------------------------------------------------------------

    def logon(
        self,
        t: int,
        host: WinHost,
        who: Principal,
        logon_type: int,
        *,
        src: WinHost | None = None,
        src_ip: str = "",
        auth: str = "Kerberos",
        privileges: str = "",
    ) -> str:
        """4624 on ``host`` (+ 4672 when ``privileges``); returns the new logon id.

        Interactive types (2, 7, 11) are local: ``IpAddress`` 127.0.0.1. Network (3) and RDP (10)
        logons name the source by address, and by workstation name for NTLM and RDP.
        """
        logon_id = self.new_logon_id()
        ip = src_ip or (src.ip if src is not None else "-")
        src_name = src.name if src is not None else "-"
        fields: dict[str, Any] = {"SubjectUserSid": _NULL_SID, "SubjectUserName": "-"}
        fields.update(SubjectDomainName="-", SubjectLogonId="0x0")
        fields.update(
            TargetUserSid=who.sid,
            TargetUserName=who.sam,
            TargetDomainName=self.netbios,
            TargetLogonId=logon_id,
            LogonType=str(logon_type),
            LogonProcessName="Kerberos",
            AuthenticationPackageName="Kerberos",
            WorkstationName="-",
            LogonGuid=self._guid(),
            TransmittedServices="-",
            LmPackageName="-",
            KeyLength="0",
            ProcessId="0x0",
            ProcessName="-",
            IpAddress=ip,
            IpPort=self._port() if ip != "-" else "-",
            ImpersonationLevel="%%1833",
            RestrictedAdminMode="-",
            TargetOutboundUserName="-",
            TargetOutboundDomainName="-",
            VirtualAccount="%%1843",
            TargetLinkedLogonId="0x0",
            ElevatedToken="%%1842" if privileges else "%%1843",
        )
        if logon_type in (2, 7, 11, 10, 5):
            fields.update(self._machine_subject(host))
            fields["ProcessId"] = hex(self.rng.randrange(0x200, 0x2000, 4))
            fields["ProcessName"] = _SVCHOST
            fields["AuthenticationPackageName"] = "Negotiate"
            fields["LogonProcessName"] = "User32 "
            fields["RestrictedAdminMode"] = "%%1843" if logon_type == 10 else "-"
        if logon_type in (2, 7, 11):
            fields.update(WorkstationName=host.name, IpAddress="127.0.0.1", IpPort="0")
        elif logon_type == 10:
            fields.update(WorkstationName=src_name, IpPort="0")
        elif logon_type == 5:
            fields.update(
                LogonProcessName="Advapi  ",
                ProcessName="C:\\Windows\\System32\\services.exe",
                IpAddress="-",
                IpPort="-",
                LogonGuid=_NULL_GUID,
            )
        elif auth == "NTLM":
            fields.update(
                LogonProcessName="NtLmSsp ",
                AuthenticationPackageName="NTLM",
                WorkstationName=src_name,
                LmPackageName="NTLM V2",
                KeyLength="128",
                LogonGuid=_NULL_GUID,
            )
        else:  # Kerberos network logon: the realm, no workstation name
            fields["TargetDomainName"] = self.realm
        self.sink.win(t, host, 4624, fields, actor=who.actor)
        if privileges:
            self.special_privileges(t, host, who, logon_id, privileges)
        return logon_id

    def special_privileges(
        self, t: int, host: WinHost, who: Principal, logon_id: str, privileges: str
    ) -> None:
        fields = self._subject(who, logon_id)
        fields["PrivilegeList"] = privileges
        self.sink.win(t, host, 4672, fields, actor=who.actor)

    def new_credentials_logon(
        self, t: int, host: WinHost, who: Principal, outbound: Principal, outbound_domain: str
    ) -> str:
        """4624 type 9 (``runas /netonly``, mimikatz ``sekurlsa::pth``): ``who`` stays the local
        identity; ``outbound`` is the account used on the network. Returns the new logon id."""
        logon_id = self.new_logon_id()
        fields: dict[str, Any] = self._subject(who, self.new_logon_id())
        fields.update(
            TargetUserSid=who.sid,
            TargetUserName=who.sam,
            TargetDomainName=self.netbios,
            TargetLogonId=logon_id,
            LogonType="9",
            LogonProcessName="seclogo",
            AuthenticationPackageName="Negotiate",
            WorkstationName="-",
            LogonGuid=_NULL_GUID,
            TransmittedServices="-",
            LmPackageName="-",
            KeyLength="0",
            ProcessId=hex(self.rng.randrange(0x400, 0x4000, 4)),
            ProcessName="C:\\Windows\\System32\\svchost.exe",
            IpAddress="::1",
            IpPort="0",
            ImpersonationLevel="%%1833",
            RestrictedAdminMode="-",
            TargetOutboundUserName=outbound.sam,
            TargetOutboundDomainName=outbound_domain,
            VirtualAccount="%%1843",
            TargetLinkedLogonId="0x0",
            ElevatedToken="%%1842",
        )
        self.sink.win(t, host, 4624, fields, actor=who.actor)
        return logon_id

    def logon_failed(
        self,
        t: int,
        host: WinHost,
        user: str,
        logon_type: int,
        *,
        src: WinHost | None = None,
        src_ip: str = "",
        auth: str = "Negotiate",
        sub_status: str = "0xc000006a",
        actor: str = "",
    ) -> None:
        """4625: ``sub_status`` 0xc000006a = bad password, 0xc0000064 = no such user."""
        local = logon_type in (2, 7, 11)
        fields: dict[str, Any] = (
            self._machine_subject(host)
            if local
            else {
                "SubjectUserSid": _NULL_SID,
                "SubjectUserName": "-",
                "SubjectDomainName": "-",
                "SubjectLogonId": "0x0",
            }
        )
        ip = "127.0.0.1" if local else (src_ip or (src.ip if src else "-"))
        fields.update(
            TargetUserSid=_NULL_SID,
            TargetUserName=user,
            TargetDomainName=self.netbios,
            Status="0xc000006d",
            FailureReason="%%2313",
            SubStatus=sub_status,
            LogonType=str(logon_type),
            LogonProcessName="User32 " if local else "NtLmSsp ",
            AuthenticationPackageName=auth if local else "NTLM",
            WorkstationName=host.name if local else (src.name if src else "-"),
            TransmittedServices="-",
            LmPackageName="-",
            KeyLength="0",
            ProcessId=hex(self.rng.randrange(0x200, 0x2000, 4)) if local else "0x0",
            ProcessName=_SVCHOST if local else "-",
            IpAddress=ip,
            IpPort="0" if local else self._port(),
        )
        self.sink.win(t, host, 4625, fields, actor=actor, failure=True)

    def logoff(self, t: int, host: WinHost, who: Principal, logon_id: str, logon_type: int) -> None:
        fields = {
            "TargetUserSid": who.sid,
            "TargetUserName": who.sam,
            "TargetDomainName": self.netbios,
            "TargetLogonId": logon_id,
            "LogonType": str(logon_type),
        }
        self.sink.win(t, host, 4634, fields, actor=who.actor)

    def explicit_credentials(
        self,
        t: int,
        host: WinHost,
        subject: Principal,
        subject_logon_id: str,
        target: Principal,
        target_server: str,
        *,
        process: str = "C:\\Windows\\System32\\svchost.exe",
        target_info: str = "",
    ) -> None:
        """4648, logged where the credentials were typed (``host``)."""
        fields = self._subject(subject, subject_logon_id)
        if subject.sam.endswith("$"):
            fields.update(self._machine_subject(host))
        fields.update(
            LogonGuid=_NULL_GUID,
            TargetUserName=target.sam,
            TargetDomainName=self.netbios,
            TargetLogonGuid=_NULL_GUID if target_server == "localhost" else self._guid(),
            TargetServerName=target_server,
            TargetInfo=target_info or target_server,
            ProcessId=hex(self.rng.randrange(0x200, 0x3000, 4)),
            ProcessName=process,
            IpAddress="-" if target_server != "localhost" else "127.0.0.1",
            IpPort="-" if target_server != "localhost" else "0",
        )
        self.sink.win(t, host, 4648, fields, actor=subject.actor)

    # -- domain controller authentication ------------------------------------------------------

    def tgt(self, t: int, dc: WinHost, who: Principal, ip: str) -> None:
        """4768: Kerberos TGT requested (logged on the DC)."""
        fields = {
            "TargetUserName": who.sam,
            "TargetDomainName": self.dns_domain,
            "TargetSid": who.sid,
            "ServiceName": "krbtgt",
            "ServiceSid": f"{self.domain_sid}-502",
            "TicketOptions": "0x40810010",
            "Status": "0x0",
            "TicketEncryptionType": "0x12",
            "PreAuthType": "2",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": self._port(),
            "CertIssuerName": "",
            "CertSerialNumber": "",
            "CertThumbprint": "",
        }
        self.sink.win(t, dc, 4768, fields, actor=who.actor)

    def preauth_failed(self, t: int, dc: WinHost, who: Principal, ip: str) -> None:
        """4771 status 0x18: wrong password at Kerberos pre-authentication."""
        fields = {
            "TargetUserName": who.sam,
            "TargetSid": who.sid,
            "ServiceName": f"krbtgt/{self.realm}",
            "TicketOptions": "0x40810010",
            "Status": "0x18",
            "PreAuthType": "2",
            "IpAddress": f"::ffff:{ip}",
            "IpPort": self._port(),
            "CertIssuerName": "",
            "CertSerialNumber": "",
            "CertThumbprint": "",
        }
        self.sink.win(t, dc, 4771, fields, actor=who.actor, failure=True)

    def tgs(
        self,
        t: int,
        dc: WinHost,
        who: Principal,
        ip: str,
        service: Principal,
        *,
        encryption: str = "0x12",
        options: str = "0x40810000",
    ) -> None:
        """4769: Kerberos service ticket for ``service`` (``TargetUserName`` is user@REALM).

        ``encryption`` 0x12 is AES256; 0x17 (RC4-HMAC) is what Kerberoasting tools ask for, as
        RC4 tickets crack offline far faster.
        """
        fields = {
            "TargetUserName": f"{who.sam}@{self.realm}",
            "TargetDomainName": self.realm,
            "ServiceName": service.sam,
            "ServiceSid": service.sid,
            "TicketOptions": options,
            "TicketEncryptionType": encryption,
            "IpAddress": f"::ffff:{ip}",
            "IpPort": self._port(),
            "Status": "0x0",
            "LogonGuid": self._guid(),
            "TransmittedServices": "-",
        }
        self.sink.win(t, dc, 4769, fields, actor=who.actor)

    def ntlm_validation(
        self,
        t: int,
        dc: WinHost,
        user: str,
        workstation: str,
        *,
        status: str = "0x0",
        actor: str = "",
    ) -> None:
        """4776: NTLM credential validation on the DC."""
        fields = {
            "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
            "TargetUserName": user,
            "Workstation": workstation,
            "Status": status,
        }
        self.sink.win(t, dc, 4776, fields, actor=actor, failure=status != "0x0")

    # -- shares, services, processes -----------------------------------------------------------

    def share(
        self,
        t: int,
        host: WinHost,
        who: Principal,
        logon_id: str,
        ip: str,
        share: str,
        *,
        local_path: str = "",
        relative: str | None = None,
        access_mask: str = "0x1",
    ) -> None:
        """5140 (share opened) or, with ``relative``, 5145 (object in a share checked)."""
        fields: dict[str, Any] = self._subject(who, logon_id)
        fields.update(
            ObjectType="File",
            IpAddress=ip,
            IpPort=self._port(),
            ShareName=f"\\\\*\\{share}",
            ShareLocalPath=local_path or None,
            AccessMask=access_mask,
            AccessList="%%4416\r\n\t\t\t\t"
            if access_mask == "0x1"
            else "%%1538\r\n\t\t\t\t%%4417\r\n\t\t\t\t",
        )
        if relative is None:
            self.sink.win(t, host, 5140, fields, actor=who.actor)
            return
        fields["RelativeTargetName"] = relative
        fields["AccessReason"] = "-"
        self.sink.win(t, host, 5145, fields, actor=who.actor)

    def service_installed(
        self,
        t: int,
        host: WinHost,
        who: Principal,
        logon_id: str,
        name: str,
        image: str,
        *,
        start_type: str = "demand start",
    ) -> None:
        """7045 (System, Service Control Manager) and 4697 (Security) for one service install.

        The System record is in nxlog's shape, where ``AccountName``/``Domain``/``UserID`` name
        the account that *installed* the service (as in Security-Datasets' covenant_sharpsc).
        """
        system = {
            "AccountName": who.sam,
            "AccountType": "User",
            "Domain": self.netbios,
            "UserID": who.sid,
            "ServiceName": name,
            "ImagePath": image,
            "ServiceType": "user mode service",
            "StartType": start_type,
        }
        self.sink.win(t, host, 7045, system, actor=who.actor, channel="System")
        security = self._subject(who, logon_id)
        security.update(
            ServiceName=name,
            ServiceFileName=image,
            ServiceType="0x10",
            ServiceStartType="3" if start_type == "demand start" else "2",
            ServiceAccount="LocalSystem",
        )
        self.sink.win(t + 3, host, 4697, security, actor=who.actor)

    def process(
        self,
        t: int,
        host: WinHost,
        who: Principal,
        logon_id: str,
        image: str,
        command_line: str,
        *,
        parent: str = "C:\\Windows\\explorer.exe",
        elevated: bool = False,
    ) -> None:
        """4688 with command line auditing on."""
        fields = self._subject(who, logon_id)
        fields.update(
            NewProcessId=hex(self.rng.randrange(0x400, 0x4000, 4)),
            NewProcessName=image,
            TokenElevationType="%%1937" if elevated else "%%1938",
            ProcessId=hex(self.rng.randrange(0x400, 0x4000, 4)),
            CommandLine=command_line,
            TargetUserSid=_NULL_SID,
            TargetUserName="-",
            TargetDomainName="-",
            TargetLogonId="0x0",
            ParentProcessName=parent,
            MandatoryLabel="S-1-16-12288" if elevated else "S-1-16-8192",
        )
        self.sink.win(t, host, 4688, fields, actor=who.actor)

    def task_created(
        self,
        t: int,
        host: WinHost,
        who: Principal,
        logon_id: str,
        name: str,
        command: str,
        arguments: str = "",
    ) -> None:
        """4698: a scheduled task was registered (``schtasks /create /s``, atexec over atsvc)."""
        fields = self._subject(who, logon_id)
        content = (
            '<?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" '
            'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\r\n  '
            '<Principals>\r\n    <Principal id="LocalSystem">\r\n      '
            "<UserId>S-1-5-18</UserId>\r\n      <RunLevel>HighestAvailable</RunLevel>\r\n"
            '    </Principal>\r\n  </Principals>\r\n  <Actions Context="LocalSystem">\r\n'
            f"    <Exec>\r\n      <Command>{command}</Command>\r\n      "
            f"<Arguments>{arguments}</Arguments>\r\n    </Exec>\r\n  </Actions>\r\n</Task>"
        )
        fields.update(TaskName=name, TaskContent=content, ClientProcessStartKey="-")
        self.sink.win(t, host, 4698, fields, actor=who.actor)

    def directory_access(
        self,
        t: int,
        dc: WinHost,
        who: Principal,
        logon_id: str,
        object_dn: str,
        properties: str,
        access_mask: str = "0x100",
    ) -> None:
        """4662: an operation on a directory object (a replication right: DRSGetNCChanges)."""
        fields = self._subject(who, logon_id)
        fields.update(
            ObjectServer="DS",
            ObjectType="%{19195a5b-6da0-11d0-afd3-00c04fd930c9}",
            ObjectName=object_dn,
            OperationType="Object Access",
            HandleId="0x0",
            AccessList="%%7688",
            AccessMask=access_mask,
            Properties=properties,
            AdditionalInfo="-",
            AdditionalInfo2="",
        )
        self.sink.win(t, dc, 4662, fields, actor=who.actor)

    def log_cleared(self, t: int, host: WinHost, who: Principal, logon_id: str) -> None:
        """1102: the Security log was cleared (provider Microsoft-Windows-Eventlog)."""
        self.sink.win(t, host, 1102, self._subject(who, logon_id), actor=who.actor)

    # -- directory changes (logged on a DC) ----------------------------------------------------

    def account_created(
        self,
        t: int,
        dc: WinHost,
        actor: Principal,
        logon_id: str,
        new: Principal,
        *,
        domain: str = "",
    ) -> None:
        """4720; ``domain``: the computer's name for a local (SAM) account on a member host."""
        fields: dict[str, Any] = {
            "TargetUserName": new.sam,
            "TargetDomainName": domain or self.netbios,
            "TargetSid": new.sid,
        }
        fields.update(self._subject(actor, logon_id))
        fields.update(
            PrivilegeList="-",
            SamAccountName=new.sam,
            DisplayName=new.display,
            UserPrincipalName="-" if domain else f"{new.sam}@{self.dns_domain}",
            HomeDirectory="%%1793",
            HomePath="%%1793",
            ScriptPath="%%1793",
            ProfilePath="%%1793",
            UserWorkstations="%%1793",
            PasswordLastSet="%%1794",
            AccountExpires="%%1794",
            PrimaryGroupId="513",
            AllowedToDelegateTo="-",
            OldUacValue="0x0",
            NewUacValue="0x15",
            UserAccountControl="\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084",
            UserParameters="%%1793",
            SidHistory="-",
            LogonHours="%%1797",
        )
        self.sink.win(t, dc, 4720, fields, actor=actor.actor)

    def account_changed(
        self, t: int, dc: WinHost, actor: Principal, logon_id: str, event_id: int, target: Principal
    ) -> None:
        """4722 enabled, 4724 password reset, 4725 disabled."""
        fields: dict[str, Any] = {
            "TargetUserName": target.sam,
            "TargetDomainName": self.netbios,
            "TargetSid": target.sid,
        }
        fields.update(self._subject(actor, logon_id))
        self.sink.win(t, dc, event_id, fields, actor=actor.actor)

    def dsrm_password_set(
        self, t: int, dc: WinHost, actor: Principal, logon_id: str, workstation: str
    ) -> None:
        """4794: an attempt to set the Directory Services Restore Mode administrator password
        (no target account: the DSRM account is the DC's own local Administrator)."""
        fields: dict[str, Any] = self._subject(actor, logon_id)
        fields.update(Workstation=workstation, Status="0x0")
        self.sink.win(t, dc, 4794, fields, actor=actor.actor)

    def computer_created(
        self, t: int, dc: WinHost, actor: Principal, logon_id: str, computer: WinHost
    ) -> None:
        """4741: a computer account was created (a new laptop joined to the domain)."""
        fields: dict[str, Any] = {
            "TargetUserName": computer.sam,
            "TargetDomainName": self.netbios,
            "TargetSid": computer.sid,
        }
        fields.update(self._subject(actor, logon_id))
        fields.update(
            PrivilegeList="-",
            SamAccountName=computer.sam,
            DisplayName="-",
            UserPrincipalName="-",
            DnsHostName=computer.fqdn,
            ServicePrincipalNames=f"HOST/{computer.fqdn}\r\n\t\tHOST/{computer.name}",
            PrimaryGroupId="515",
            OldUacValue="0x0",
            NewUacValue="0x80",
            UserAccountControl="\r\n\t\t%%2087",
        )
        self.sink.win(t, dc, 4741, fields, actor=actor.actor)

    def group_member_added(
        self,
        t: int,
        dc: WinHost,
        actor: Principal,
        logon_id: str,
        member: Principal,
        group: str,
        group_sid: str,
        *,
        scope: str = "global",
    ) -> None:
        """4728 (global group), 4732 (local/builtin group) or 4756 (universal group)."""
        event_id = {"global": 4728, "local": 4732, "universal": 4756}[scope]
        fields: dict[str, Any] = {"MemberName": member.dn, "MemberSid": member.sid}
        fields.update(
            TargetUserName=group,
            TargetDomainName="Builtin" if scope == "local" else self.netbios,
            TargetSid=group_sid,
        )
        fields.update(self._subject(actor, logon_id))
        fields["PrivilegeList"] = "-"
        self.sink.win(t, dc, event_id, fields, actor=actor.actor)


# --------------------------------------------------------------------------------------------
# Linux auth lines (Ubuntu 22.04 / OpenSSH 8.9 wording).


class LinuxLog:
    """Builds sshd / sudo / su / shadow-utils / cron syslog lines into a :class:`LogSink`."""

    def __init__(self, sink: LogSink, rng: random.Random) -> None:
        self.sink = sink
        self.rng = rng
        self._sessions = itertools.count(1)
        self._logind_session: dict[str, int] = {}

    def _port(self) -> int:
        return self.rng.randrange(32768, 61000)

    def _key(self) -> str:
        return f"s{next(self._sessions)}"

    def ssh_session(
        self,
        t: int,
        host: str,
        user: str,
        uid: int,
        ip: str,
        duration_ms: int,
        *,
        method: str = "publickey",
        key_fingerprint: str = "",
        actor: str = "",
    ) -> int:
        """A successful ssh login and, ``duration_ms`` later, its logout. Returns the end time."""
        key, port = self._key(), self._port()
        number = self._logind_session.get(host, 0) + 1 + self.rng.randrange(3)
        self._logind_session[host] = number
        log = self.sink.syslog
        accepted = f"Accepted {method} for {user} from {ip} port {port} ssh2"
        if method == "publickey":
            accepted += f": ED25519 SHA256:{key_fingerprint or 'unknown'}"
        log(t, host, "sshd", accepted, session=key, actor=actor)
        opened = f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)"
        log(t, host, "sshd", opened, session=key, actor=actor)
        log(
            t + 40,
            host,
            "systemd-logind",
            f"New session {number} of user {user}.",
            session="logind",
        )
        end = t + duration_ms
        log(
            end,
            host,
            "sshd",
            f"Received disconnect from {ip} port {port}:11: disconnected by user",
            session=key,
        )
        log(end, host, "sshd", f"Disconnected from user {user} {ip} port {port}", session=key)
        log(
            end,
            host,
            "sshd",
            f"pam_unix(sshd:session): session closed for user {user}",
            session=key,
        )
        log(
            end + 30,
            host,
            "systemd-logind",
            f"Session {number} logged out. Waiting for processes to exit.",
            session="logind",
        )
        log(end + 60, host, "systemd-logind", f"Removed session {number}.", session="logind")
        return end

    def ssh_failed(
        self, t: int, host: str, user: str, ip: str, *, exists: bool, actor: str = ""
    ) -> None:
        """One failed password attempt, for an existing or an unknown account."""
        key, port = self._key(), self._port()
        log = self.sink.syslog
        if exists:
            log(
                t,
                host,
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
                f"ruser= rhost={ip}  user={user}",
                session=key,
                actor=actor,
            )
            log(
                t + 2100,
                host,
                "sshd",
                f"Failed password for {user} from {ip} port {port} ssh2",
                session=key,
                actor=actor,
            )
            log(
                t + 2400,
                host,
                "sshd",
                f"Connection closed by authenticating user {user} {ip} port {port} [preauth]",
                session=key,
            )
            return
        log(t, host, "sshd", f"Invalid user {user} from {ip} port {port}", session=key)
        log(t + 5, host, "sshd", "pam_unix(sshd:auth): check pass; user unknown", session=key)
        log(
            t + 5,
            host,
            "sshd",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
            f"ruser= rhost={ip}",
            session=key,
        )
        log(
            t + 2100,
            host,
            "sshd",
            f"Failed password for invalid user {user} from {ip} port {port} ssh2",
            session=key,
        )
        log(
            t + 2400,
            host,
            "sshd",
            f"Connection closed by invalid user {user} {ip} port {port} [preauth]",
            session=key,
        )

    def sudo(
        self,
        t: int,
        host: str,
        user: str,
        uid: int,
        command: str,
        *,
        run_as: str = "root",
        run_as_uid: int = 0,
        tty: str = "pts/0",
        denied: str = "",
        duration_ms: int = 2000,
        actor: str = "",
    ) -> None:
        """A sudo command line, and its PAM session unless ``denied`` ("user NOT in sudoers")."""
        log = self.sink.syslog
        problem = f"{denied} ; " if denied else ""
        pwd = f"/home/{user}"
        line = f"  {user} : {problem}TTY={tty} ; PWD={pwd} ; USER={run_as} ; COMMAND={command}"
        log(t, host, "sudo", line, with_pid=False, actor=actor)
        if denied or command == "list":
            return
        opened = (
            "pam_unix(sudo:session): session opened for user "
            f"{run_as}(uid={run_as_uid}) by {user}(uid={uid})"
        )
        log(t + 1, host, "sudo", opened, with_pid=False)
        log(
            t + duration_ms,
            host,
            "sudo",
            f"pam_unix(sudo:session): session closed for user {run_as}",
            with_pid=False,
        )

    def su(
        self,
        t: int,
        host: str,
        user: str,
        uid: int,
        target: str,
        target_uid: int,
        *,
        tty: str = "pts/1",
        duration_ms: int = 60_000,
        actor: str = "",
    ) -> None:
        key = self._key()
        log = self.sink.syslog
        log(t, host, "su", f"(to {target}) {user} on {tty}", session=key, actor=actor)
        opened = (
            "pam_unix(su-l:session): session opened for user "
            f"{target}(uid={target_uid}) by {user}(uid={uid})"
        )
        log(t, host, "su", opened, session=key)
        log(
            t + duration_ms,
            host,
            "su",
            f"pam_unix(su-l:session): session closed for user {target}",
            session=key,
        )

    def useradd(self, t: int, host: str, name: str, uid: int, groups: list[str]) -> None:
        """useradd + usermod -aG lines (shadow-utils does not name who ran them; sudo does)."""
        key = self._key()
        log = self.sink.syslog
        log(t, host, "useradd", f"new group: name={name}, GID={uid}", session=key)
        log(t, host, "useradd", f"group added to /etc/group: name={name}, GID={uid}", session=key)
        log(
            t,
            host,
            "useradd",
            f"new user: name={name}, UID={uid}, GID={uid}, home=/home/{name}, "
            "shell=/bin/bash, from=/dev/pts/0",
            session=key,
        )
        key = self._key()
        for group in groups:
            log(t + 4000, host, "usermod", f"add '{name}' to group '{group}'", session=key)
            log(t + 4000, host, "usermod", f"add '{name}' to shadow group '{group}'", session=key)

    def group_add(self, t: int, host: str, name: str, group: str) -> None:
        """``usermod -aG group name`` as shadow-utils logs it (who ran it is in sudo's line)."""
        key = self._key()
        log = self.sink.syslog
        log(t, host, "usermod", f"add '{name}' to group '{group}'", session=key)
        log(t, host, "usermod", f"add '{name}' to shadow group '{group}'", session=key)

    def cron(self, t: int, host: str) -> None:
        key = self._key()
        log = self.sink.syslog
        log(
            t,
            host,
            "CRON",
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            session=key,
        )
        log(
            t + 1000,
            host,
            "CRON",
            "pam_unix(cron:session): session closed for user root",
            session=key,
        )


# --------------------------------------------------------------------------------------------
# CloudTrail records.


class CloudTrailLog:
    """Builds CloudTrail records (management and S3 data events) into a :class:`LogSink`."""

    def __init__(self, sink: LogSink, rng: random.Random, *, account: str, region: str) -> None:
        self.sink = sink
        self.rng = rng
        self.account = account
        self.region = region

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def iam_user(self, name: str, principal_id: str, access_key: str) -> dict[str, Any]:
        """An IAM user identity; console sign-ins carry no ``accessKeyId`` (pass "")."""
        identity = {
            "type": "IAMUser",
            "principalId": principal_id,
            "arn": f"arn:aws:iam::{self.account}:user/{name}",
            "accountId": self.account,
            "accessKeyId": access_key,
            "userName": name,
        }
        if not access_key:
            del identity["accessKeyId"]
        return identity

    def assumed_role(
        self, role: str, role_id: str, session: str, access_key: str, created_ms: int, *, mfa: bool
    ) -> dict[str, Any]:
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{self.account}:assumed-role/{role}/{session}",
            "accountId": self.account,
            "accessKeyId": access_key,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{self.account}:role/{role}",
                    "accountId": self.account,
                    "userName": role,
                },
                "webIdFederationData": {},
                "attributes": {
                    "creationDate": iso_s(created_ms),
                    "mfaAuthenticated": "true" if mfa else "false",
                },
            },
        }

    def call(
        self,
        t: int,
        identity: dict[str, Any],
        source: str,
        name: str,
        *,
        ip: str,
        user_agent: str,
        params: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        read_only: bool = True,
        data_event: bool = False,
        error: str = "",
        resources: list[dict[str, str]] | None = None,
        actor: str = "",
        region: str = "",
    ) -> str:
        """One API call record; returns its ``eventID``."""
        event_id = self.uuid()
        record: dict[str, Any] = {
            "eventVersion": "1.09" if not data_event else "1.10",
            "userIdentity": identity,
            "eventTime": iso_s(t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region or self.region,
            "sourceIPAddress": ip,
            "userAgent": user_agent,
        }
        if error:
            record["errorCode"] = error
            record["errorMessage"] = f"User is not authorized to perform: {name}"
        record.update(
            requestParameters=params,
            responseElements=response,
            requestID=self.uuid(),
            eventID=event_id,
            readOnly=read_only,
        )
        if resources:
            record["resources"] = resources
        record.update(
            eventType="AwsApiCall",
            managementEvent=not data_event,
            recipientAccountId=self.account,
            eventCategory="Data" if data_event else "Management",
            tlsDetails={
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": source.replace(
                    ".amazonaws.com", f".{self.region}.amazonaws.com"
                )
                if source.startswith(("s3", "ec2", "rds"))
                else source,
            },
        )
        self.sink.cloudtrail(t, record, actor=actor)
        return event_id

    def console_login(
        self,
        t: int,
        identity: dict[str, Any],
        *,
        ip: str,
        user_agent: str,
        mfa: bool,
        success: bool = True,
        actor: str = "",
    ) -> str:
        event_id = self.uuid()
        record: dict[str, Any] = {
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": iso_s(t),
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": "us-east-1",
            "sourceIPAddress": ip,
            "userAgent": user_agent,
        }
        if not success:
            record["errorMessage"] = "Failed authentication"
        extra: dict[str, str] = {
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
        }
        if mfa:
            extra["MFAIdentifier"] = (
                f"arn:aws:iam::{self.account}:mfa/{identity.get('userName', '')}"
            )
        extra["MFAUsed"] = "Yes" if mfa else "No"
        record.update(
            requestParameters=None,
            responseElements={"ConsoleLogin": "Success" if success else "Failure"},
            additionalEventData=extra,
            eventID=event_id,
            readOnly=False,
            eventType="AwsConsoleSignIn",
            managementEvent=True,
            recipientAccountId=self.account,
            eventCategory="Management",
            tlsDetails={
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": "signin.aws.amazon.com",
            },
        )
        self.sink.cloudtrail(t, record, actor=actor)
        return event_id
