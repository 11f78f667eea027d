"""Other real export shapes of the same events: each parser path on a real-shaped record, and
every variant of ``benchmarks/scenario/variants.py`` read back into the same canonical events
as the generator's own shapes (per record and columnar), whatever the file framing."""

from __future__ import annotations

import gzip
import os
import shutil
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.scenario.variants import FILE_CHANGES, VARIANTS, apply, undated_name
from schemas.event import EVENT_FIELDS, Action, Event, Outcome
from schemas.parsers import PARSERS, BadRecord, ParseContext
from schemas.parsers.bulk import HelkTemplates
from schemas.readers import DeadLetter, InputReader, ReadStats

CTX = ParseContext(tenant="t", source="x", position=1)


def read(
    paths: list[Path], *, columnar: bool = False, forced: str | None = None
) -> tuple[list[Event], list[DeadLetter], ReadStats]:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    reader = InputReader(
        tenant="t", sink=letters.append, stats=stats, columnar=columnar, forced_format=forced
    )
    return list(reader.read_paths([str(p) for p in paths])), letters, stats


# --- Windows ---------------------------------------------------------------------------------

NXLOG_4624: dict[str, Any] = {
    "EventTime": "2024-05-06T01:18:10.766+01:00",
    "EventReceivedTime": "2024-05-06 01:18:11",
    "Hostname": "DC01.acme.local",
    "EventID": 4624,
    "Channel": "security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "RecordNumber": 2939045,
    "EventData": {
        "TargetUserName": "jsmith",
        "TargetDomainName": "ACME",
        "LogonType": "3",
        "IpAddress": "::ffff:10.20.0.20",
        "WorkstationName": "LON-WS002",
        "AuthenticationPackageName": "Kerberos",
    },
}


def test_nxlog_nested_event_data_and_local_time_with_offset() -> None:
    [event] = PARSERS["helk"].parse(NXLOG_4624, CTX)
    assert (event.action, event.user, event.src_ip, event.src_host, event.logon_type) == (
        Action.LOGON,
        "jsmith",
        "10.20.0.20",
        "lon-ws002",
        "3",
    )
    assert event.time.isoformat() == "2024-05-06T00:18:10.766000+00:00"
    assert (event.dst_host, event.record_id) == ("dc01", "dc01:2939045")
    # The columnar path gives the same event (it hands nested records to the parser).
    assert HelkTemplates().parse(NXLOG_4624, CTX) == [event]


def test_nxlog_event_data_fields_win_over_the_envelope() -> None:
    record = {
        **NXLOG_4624,
        "EventID": 104,
        "Channel": "System",
        "SourceName": "Microsoft-Windows-Eventlog",
        "EventData": {"SubjectUserName": "eve", "Channel": "Application"},
    }
    [event] = PARSERS["helk"].parse(record, CTX)
    assert (event.action, event.user, event.object) == (Action.LOG_CLEARED, "eve", "Application")
    assert HelkTemplates().parse(record, CTX) == [event]


def test_sentinel_windows_event_rows_with_an_event_data_object() -> None:
    """Sentinel's WindowsEvent table (Azure Monitor Agent) keeps EventData as an object."""
    row = {
        "TenantId": "0d3c1a2b-0000-0000-0000-000000000000",
        "TimeGenerated": "2024-05-06T00:18:10.766Z",
        "Computer": "DC01.acme.local",
        "EventID": 4625,
        "Channel": "Security",
        "Provider": "Microsoft-Windows-Security-Auditing",
        "EventLevelName": "Information",
        "EventRecordId": "2939046",
        "EventData": {
            "TargetUserName": "jsmith",
            "LogonType": "3",
            "IpAddress": "10.20.0.20",
            "Status": "0xc000006d",
            "SubStatus": "0xc000006a",
        },
        "Type": "WindowsEvent",
    }
    assert PARSERS["helk"].sniff(row) and not PARSERS["sentinel"].sniff(row)
    [event] = PARSERS["helk"].parse(row, CTX)
    assert (event.action, event.user, event.src_ip, event.reason, event.dst_host) == (
        Action.LOGON_FAILED,
        "jsmith",
        "10.20.0.20",
        "0xc000006d/0xc000006a",
        "dc01",
    )
    assert HelkTemplates().parse(row, CTX) == [event]


def test_nxlog_event_data_not_an_object_is_a_dead_letter() -> None:
    with pytest.raises(BadRecord, match="EventData is not an object"):
        PARSERS["helk"].parse({**NXLOG_4624, "EventData": "x"}, CTX)


# Winlogbeat 6.8 as it ships to Logstash/Elasticsearch (no ECS, no winlog object).
WINLOGBEAT6_4625: dict[str, Any] = {
    "@timestamp": "2024-05-06T00:18:10.766Z",
    "beat": {"hostname": "DC01", "name": "DC01", "version": "6.8.23"},
    "computer_name": "DC01.acme.local",
    "event_data": {
        "TargetUserName": "jsmith",
        "LogonType": "3",
        "IpAddress": "10.20.0.20",
        "Status": "0xc000006d",
        "SubStatus": "0xc000006a",
    },
    "event_id": 4625,
    "keywords": ["Audit Failure"],
    "level": "Information",
    "log_name": "Security",
    "record_number": "2939046",
    "source_name": "Microsoft-Windows-Security-Auditing",
    "type": "wineventlog",
}


def test_winlogbeat6_documents_read_as_winlogbeat() -> None:
    parser = PARSERS["winlogbeat"]
    assert parser.sniff(WINLOGBEAT6_4625)
    assert not PARSERS["helk"].sniff(WINLOGBEAT6_4625)
    [event] = parser.parse(WINLOGBEAT6_4625, CTX)
    assert (event.action, event.outcome, event.user, event.reason, event.record_id) == (
        Action.LOGON_FAILED,
        Outcome.FAILURE,
        "jsmith",
        "0xc000006d/0xc000006a",
        "dc01:2939046",
    )


def test_winlogbeat_7045_installer_from_winlog_user() -> None:
    record = {
        "@timestamp": "2024-05-06T00:18:10.766Z",
        "event": {"code": "7045", "provider": "Service Control Manager"},
        "host": {"name": "app02.acme.local"},
        "winlog": {
            "channel": "System",
            "computer_name": "APP02.acme.local",
            "event_id": "7045",
            "provider_name": "Service Control Manager",
            "record_id": "10731",
            "event_data": {
                "ServiceName": "PSEXESVC",
                "ImagePath": "%SystemRoot%\\PSEXESVC.exe",
                "ServiceType": "user mode service",
                "StartType": "demand start",
                "AccountName": "LocalSystem",
            },
            "user": {"identifier": "S-1-5-21-1-2-3-1105", "name": "twang", "domain": "ACME"},
        },
    }
    [event] = PARSERS["winlogbeat"].parse(record, CTX)
    assert (event.action, event.user, event.target_user, event.object) == (
        Action.REMOTE_EXEC,
        "twang",
        "localsystem",
        "PSEXESVC",
    )


def test_elasticsearch_exports_read_by_their_source_format() -> None:
    parser = PARSERS["elastic"]
    dump = {"_index": "winlogbeat-6.8.23-2024.05.06", "_id": "a1", "_source": WINLOGBEAT6_4625}
    assert parser.sniff(dump)
    [event] = parser.parse(dump, ParseContext(tenant="t", source="x", position=1))
    assert event == PARSERS["winlogbeat"].parse(WINLOGBEAT6_4625, CTX)[0]
    response = {
        "took": 3,
        "hits": {
            "total": {"value": 2},
            "hits": [
                {"_index": "logs-endpoint-winevent-security", "_source": NXLOG_4624},
                {"_index": "cloudtrail", "_source": TRAIL},
            ],
        },
    }
    events = parser.parse(response, ParseContext(tenant="t"))
    assert [e.source_format for e in events] == ["helk", "cloudtrail"]
    with pytest.raises(BadRecord, match="_source of no known format"):
        parser.parse({"_index": "x", "_source": {"a": 1}}, ParseContext(tenant="t"))


_NS = 'xmlns="http://schemas.microsoft.com/win/2004/08/events/event"'
XML_4624 = (
    f"<Event {_NS}><System><Provider Name='Microsoft-Windows-Security-Auditing' "
    "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4624</EventID><Version>2</Version>"
    "<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords>"
    "<TimeCreated SystemTime='2024-05-06T00:18:10.7660000Z'/><EventRecordID>2939045"
    "</EventRecordID><Correlation ActivityID='{b2f7c9e1-0000-0000-0000-000000000000}'/>"
    "<Execution ProcessID='872' ThreadID='6908'/><Channel>Security</Channel>"
    "<Computer>DC01.acme.local</Computer><Security/></System><EventData>"
    "<Data Name='SubjectUserSid'>S-1-0-0</Data><Data Name='SubjectUserName'>-</Data>"
    "<Data Name='TargetUserName'>jsmith</Data><Data Name='TargetDomainName'>ACME</Data>"
    "<Data Name='LogonType'>3</Data><Data Name='WorkstationName'>LON-WS002</Data>"
    "<Data Name='AuthenticationPackageName'>Kerberos</Data>"
    "<Data Name='IpAddress'>::ffff:10.20.0.20</Data><Data Name='IpPort'>60873</Data>"
    "</EventData></Event>"
)
XML_1102 = (
    f"<Event {_NS}><System><Provider Name='Microsoft-Windows-Eventlog'/>"
    "<EventID>1102</EventID><TimeCreated SystemTime='2024-05-07T03:00:00.0000000Z'/>"
    "<EventRecordID>77</EventRecordID><Channel>Security</Channel>"
    "<Computer>DC01.acme.local</Computer></System><UserData><LogFileCleared "
    "xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"
    "<SubjectUserSid>S-1-5-21-1-2-3-500</SubjectUserSid><SubjectUserName>eve</SubjectUserName>"
    "<SubjectDomainName>ACME</SubjectDomainName><SubjectLogonId>0x3e7</SubjectLogonId>"
    "</LogFileCleared></UserData></Event>"
)


def test_winxml_event_as_wevtutil_writes_it() -> None:
    parser = PARSERS["winxml"]
    assert parser.sniff(XML_4624)
    [event] = parser.parse(XML_4624, CTX)
    assert (event.action, event.user, event.src_ip, event.src_host) == (
        Action.LOGON,
        "jsmith",
        "10.20.0.20",
        "lon-ws002",
    )
    assert (event.auth_protocol, event.record_id, event.event_id) == (
        "kerberos",
        "dc01:2939045",
        "4624",
    )
    assert event.time.isoformat() == "2024-05-06T00:18:10.766000+00:00"
    [cleared] = parser.parse(XML_1102, CTX)
    assert (cleared.action, cleared.user, cleared.object) == (Action.LOG_CLEARED, "eve", "Security")


def test_winxml_several_events_per_line_and_wrappers() -> None:
    parser = PARSERS["winxml"]
    back_to_back = parser.parse(XML_4624 + XML_1102, CTX)
    wrapped = parser.parse(f'<?xml version="1.0"?><Events>{XML_4624}{XML_1102}</Events>', CTX)
    assert [e.action for e in back_to_back] == [Action.LOGON, Action.LOG_CLEARED]
    assert wrapped == back_to_back


def test_winxml_same_event_as_evtx_json() -> None:
    """The XML and the EVTX dict of one event give one Event (but for source_format)."""
    from schemas.parsers.winxml import _events, event_dict

    [element] = _events(XML_4624)
    [from_dict] = PARSERS["evtx"].parse(event_dict(element), CTX)
    [from_xml] = PARSERS["winxml"].parse(XML_4624, CTX)
    assert from_dict.source_format == "evtx"
    assert from_xml == from_dict.__class__(
        **{f: getattr(from_dict, f) for f in EVENT_FIELDS if f != "source_format"},
        source_format="winxml",
    )


def test_xml_7045_installer_named_from_an_earlier_logon_of_the_same_sid() -> None:
    """EVTX/XML give 7045's installer as a SID only; the input's earlier Security events name
    it. A SID the input has not named leaves the installer unknown; inputs do not share."""
    sid = "S-1-5-21-2687186873-2562875639-1261110626-1105"
    logon = XML_4624.replace(
        "<Data Name='TargetUserName'>jsmith</Data>",
        f"<Data Name='TargetUserSid'>{sid}</Data><Data Name='TargetUserName'>jsmith</Data>",
    )
    install = (
        f"<Event {_NS}><System><Provider Name='Service Control Manager'/>"
        "<EventID Qualifiers='16384'>7045</EventID>"
        "<TimeCreated SystemTime='2024-05-06T00:18:11.0000000Z'/><EventRecordID>10731"
        "</EventRecordID><Channel>System</Channel><Computer>APP02.acme.local</Computer>"
        f"<Security UserID='{sid.lower()}'/></System><EventData>"
        "<Data Name='ServiceName'>PSEXESVC</Data>"
        "<Data Name='ImagePath'>%SystemRoot%\\PSEXESVC.exe</Data>"
        "<Data Name='ServiceType'>user mode service</Data>"
        "<Data Name='StartType'>demand start</Data>"
        "<Data Name='AccountName'>LocalSystem</Data></EventData></Event>"
    )
    parser = PARSERS["winxml"]
    ctx = ParseContext(tenant="t", source="x")
    assert [e.user for e in parser.parse(install, ctx)] == [""]
    parser.parse(logon, ctx)
    [event] = parser.parse(install, ctx)
    assert (event.action, event.user, event.target_user) == (
        Action.REMOTE_EXEC,
        "jsmith",
        "localsystem",
    )
    assert [e.user for e in parser.parse(install, ParseContext(tenant="t"))] == [""]


def test_winxml_event_over_several_lines_and_unfinished_at_the_end(tmp_path: Path) -> None:
    pretty = XML_4624.replace("><", ">\n  <")
    path = tmp_path / "events.xml"
    path.write_text(f'<?xml version="1.0"?>\n<Events>\n{pretty}\n{XML_1102}\n</Events>\n')
    for columnar in (False, True):
        events, letters, _ = read([path], columnar=columnar)
        assert not letters
        assert [e.action for e in events] == [Action.LOGON, Action.LOG_CLEARED]
        assert events[0] == PARSERS["winxml"].parse(XML_4624, CTX)[0].__class__(
            **{f: getattr(events[0], f) for f in EVENT_FIELDS}
        )
    # An event the input never closes is a dead letter, not a silent skip.
    cut = tmp_path / "cut.xml"
    cut.write_text(XML_1102 + "\n" + "\n".join(pretty.split("\n")[:10]) + "\n")
    events, letters, _ = read([cut])
    assert [e.action for e in events] == [Action.LOG_CLEARED]
    assert [d.reason for d in letters] == [
        "XML event unfinished at the end of the input (10 lines)"
    ]


def test_winxml_hostile_unclosed_event_is_cut_at_1_mib() -> None:
    parser = PARSERS["winxml"]
    ctx = ParseContext(tenant="t")
    assert parser.parse(f"<Event {_NS}>", ctx) == []
    line = "<Data>" + "x" * 1000 + "</Data>"
    with pytest.raises(BadRecord, match="XML event longer than 1 MiB"):
        for _ in range(2000):
            assert parser.parse(line, ctx) == []
    assert [e.action for e in parser.parse(XML_4624, ctx)] == [Action.LOGON]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;">]><Event><System>&lol2;</System></Event>',
            "document type declaration",
        ),
        (
            f'<!DOCTYPE e SYSTEM "file:///etc/passwd"><Event {_NS}><System/></Event>',
            "document type declaration",
        ),
        (f"<Event {_NS}><System><EventID>4624</EventID></Event>", "invalid XML"),
        (f"<Event {_NS}><System>&undefined;</System></Event>", "invalid XML"),
        ("<Foo><System/></Foo>", "no Windows <Event>"),
        (f"<Event {_NS}><System><EventID>x</EventID></System></Event>", "non-integer EventID"),
    ],
)
def test_winxml_refuses_dtds_and_bad_xml(line: str, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        PARSERS["winxml"].parse(line, ParseContext(tenant="t"))


# --- syslog ----------------------------------------------------------------------------------

JOURNAL_SSHD: dict[str, Any] = {
    "__CURSOR": "s=5d3b;i=1a2b;b=9f1e;m=2b0c;t=5f7c;x=77",
    "__REALTIME_TIMESTAMP": "1714954690466123",
    "__MONOTONIC_TIMESTAMP": "183412345",
    "_BOOT_ID": "9f1e0000000000000000000000000000",
    "_TRANSPORT": "syslog",
    "PRIORITY": "6",
    "SYSLOG_FACILITY": "4",
    "SYSLOG_IDENTIFIER": "sshd",
    "SYSLOG_PID": "24680",
    "_PID": "24680",
    "_COMM": "sshd",
    "_SYSTEMD_UNIT": "ssh.service",
    "_HOSTNAME": "bastion01",
    "MESSAGE": "Accepted publickey for alice from 203.0.113.9 port 50514 ssh2: ED25519 SHA256:x",
}


def test_journald_json_reads_as_syslog() -> None:
    parser = PARSERS["journald"]
    assert parser.sniff(JOURNAL_SSHD)
    [event] = parser.parse(JOURNAL_SSHD, CTX)
    text = PARSERS["syslog"].parse(
        "2024-05-06T00:18:10.466123+00:00 bastion01 sshd[24680]: " + JOURNAL_SSHD["MESSAGE"], CTX
    )
    assert [event] == text  # same source_format ("syslog"), same fields, same record id
    assert (event.action, event.user, event.src_ip, event.dst_host) == (
        Action.LOGON,
        "alice",
        "203.0.113.9",
        "bastion01",
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-05-06T00:18:10.466123+00:00",  # -o short-iso-precise
        "2024-05-06T00:18:10.466123+0000",
        "Mon 2024-05-06 00:18:10.466123 UTC",  # -o short-full (with --utc)
        "1714954690.466123",  # -o short-unix
    ],
)
def test_journalctl_text_outputs(stamp: str) -> None:
    line = f"{stamp} bastion01 sshd[24680]: " + JOURNAL_SSHD["MESSAGE"]
    assert PARSERS["syslog"].sniff(line)
    [event] = PARSERS["syslog"].parse(line, CTX)
    assert event.time.isoformat() == "2024-05-06T00:18:10.466123+00:00"
    assert (event.user, event.dst_host) == ("alice", "bastion01")


def test_journalctl_short_full_with_a_zone_name_is_refused_not_guessed() -> None:
    line = "Mon 2024-05-06 02:18:10 CEST bastion01 sshd[1]: " + JOURNAL_SSHD["MESSAGE"]
    with pytest.raises(BadRecord, match="time zone name 'CEST' is ambiguous"):
        PARSERS["syslog"].parse(line, CTX)


def test_journald_binary_message_and_bad_records() -> None:
    parser = PARSERS["journald"]
    message = list(b"Failed password for root from 198.51.100.7 port 22 ssh2")
    [event] = parser.parse({**JOURNAL_SSHD, "MESSAGE": message}, CTX)
    assert (event.action, event.user) == (Action.LOGON_FAILED, "root")
    assert parser.parse({**JOURNAL_SSHD, "SYSLOG_IDENTIFIER": "kernel"}, CTX) == []
    for bad, reason in (
        ({"__REALTIME_TIMESTAMP": "soon"}, "unparseable __REALTIME_TIMESTAMP"),
        ({"__REALTIME_TIMESTAMP": ""}, "missing __REALTIME_TIMESTAMP"),
        ({"__REALTIME_TIMESTAMP": "99999999999999999"}, "absurd time"),
        ({"MESSAGE": [1, 300]}, "byte array out of range"),
        ({"MESSAGE": {"a": 1}}, "MESSAGE is not text"),
    ):
        with pytest.raises(BadRecord, match=reason):
            parser.parse({**JOURNAL_SSHD, **bad}, CTX)


# --- CloudTrail ------------------------------------------------------------------------------

TRAIL: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"},
    "eventTime": "2024-05-06T08:18:30Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateAccessKey",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.4",
    "userAgent": "aws-cli/2.15.0",
    "requestParameters": {"userName": "bob"},
    "eventID": "3a1f6f43-7a55-4c7a-9f36-0e0b8f2a1c11",
    "recipientAccountId": "111122223333",
}
EVENTBRIDGE: dict[str, Any] = {
    "version": "0",
    "id": "6f0c4b1e-2c53-9d3c-4f7e-0c1a2b3c4d5e",
    "detail-type": "AWS API Call via CloudTrail",
    "source": "aws.iam",
    "account": "111122223333",
    "time": "2024-05-06T08:18:30Z",
    "region": "us-east-1",
    "resources": [],
    "detail": TRAIL,
}


def test_eventbridge_wrapped_cloudtrail_is_the_record_inside() -> None:
    parser = PARSERS["cloudtrail"]
    assert parser.sniff(EVENTBRIDGE)
    assert parser.parse(EVENTBRIDGE, CTX) == parser.parse(TRAIL, CTX)
    assert not parser.sniff({**EVENTBRIDGE, "detail": {"state": "running"}})
    with pytest.raises(BadRecord):
        parser.parse({**EVENTBRIDGE, "detail": {"state": "running"}}, CTX)


def _log_events(*records: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": f"3737{n}", "timestamp": 1714983510000, "message": orjson.dumps(r).decode()}
        for n, r in enumerate(records)
    ]


def test_cloudwatch_subscription_and_filter_log_events_output() -> None:
    parser = PARSERS["cloudwatch"]
    subscription = {
        "messageType": "DATA_MESSAGE",
        "owner": "111122223333",
        "logGroup": "aws-cloudtrail-logs-111122223333",
        "logStream": "111122223333_CloudTrail_us-east-1",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": _log_events(TRAIL, {"note": "not a trail record"}, TRAIL),
    }
    assert parser.sniff(subscription) and not PARSERS["cloudtrail"].sniff(subscription)
    [one] = PARSERS["cloudtrail"].parse(TRAIL, CTX)
    assert parser.parse(subscription, CTX) == [one, one]
    filtered = {
        "events": [
            {**e, "logStreamName": "111122223333_CloudTrail_us-east-1", "ingestionTime": 1}
            for e in _log_events(TRAIL)
        ],
        "searchedLogStreams": [],
    }
    assert parser.sniff(filtered) and parser.parse(filtered, CTX) == [one]
    assert parser.parse({"messageType": "CONTROL_MESSAGE", "logEvents": []}, CTX) == []
    bad = {**subscription, "logEvents": [{"id": "1", "timestamp": 1, "message": "{oops"}]}
    with pytest.raises(BadRecord, match="log event 0 message is not JSON"):
        parser.parse(bad, CTX)


def test_concatenated_json_documents_as_firehose_writes_them(tmp_path: Path) -> None:
    body = orjson.dumps({"Records": [TRAIL]}) + orjson.dumps({"Records": [TRAIL, TRAIL]})
    path = tmp_path / "firehose-1-2024-05-06"
    path.write_bytes(gzip.compress(body))
    for columnar in (False, True):
        events, letters, stats = read([path], columnar=columnar)
        assert not letters and len(events) == 3 and stats.records_read == 3
    # Not exactly documents back to back: the document's own error, as before.
    for name, data in (
        ("trailing", body + b" x"),
        ("nan", body + b'{"Records": [NaN]}'),
        ("scalar", body + b"1"),
    ):
        broken = tmp_path / name
        broken.write_bytes(data)
        events, letters, _ = read([broken])
        assert events == []
        assert [d.reason.split(":")[0] for d in letters] == ["invalid JSON document"]


# --- framing and sniffing --------------------------------------------------------------------


def _ssh_line(n: int) -> str:
    return f"May  6 00:1{n}:00 bastion01 sshd[{100 + n}]: Accepted password for u{n} from 10.0.0.{n} port 22 ssh2"


def test_mixed_directory_extensions_crlf_bom_and_gzip_without_gz(tmp_path: Path) -> None:
    """One directory, every shape under misleading names: each input is sniffed on its own."""
    reference = tmp_path / "ref"
    reference.mkdir()
    (reference / "auth.log").write_text("\n".join(_ssh_line(n) for n in range(3)) + "\n")
    (reference / "trail.json").write_bytes(orjson.dumps({"Records": [TRAIL]}))
    (reference / "dc.json").write_text(XML_4624.replace("\n", "") + "\n")
    expected, letters, _ = read([reference])
    assert not letters and len(expected) == 5

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    crlf_bom = "\ufeff" + "\r\n".join(_ssh_line(n) for n in range(3)) + "\r\n"
    (mixed / "auth.log").write_text(crlf_bom, newline="")
    (mixed / "trail").write_bytes(gzip.compress(orjson.dumps(EVENTBRIDGE | {"detail": TRAIL})))
    (mixed / "dc.json").write_text("\ufeff" + XML_4624 + "\r\n", newline="")
    for columnar in (False, True):
        events, letters, stats = read([mixed], columnar=columnar)
        assert not letters
        assert sorted(stats.by_format) == ["cloudtrail", "syslog", "winxml"]
        # Record ids name the input file, the rest is the same.
        assert [_without_source(e) for e in events] == [_without_source(e) for e in expected]


def _without_source(event: Event) -> tuple[Any, ...]:
    return tuple(
        (f, getattr(event, f)) for f in EVENT_FIELDS if f not in ("record_id", "source_format")
    )


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("auth-2019-12-31.log", 2019),  # the generator's names
        ("auth.log-20200101", 2019),  # logrotate dateext: rotated the next day
        ("secure_2019.12.31", 2019),
        ("auth.log", 2025),  # no date in the name: the mtime (Dec 31 before June 2026)
        ("auth-2019-02-30.log", 2025),  # not a date
        ("auth-120191231.log", 2025),  # part of a longer number
    ],
)
def test_rfc3164_year_from_a_dated_file_name_before_the_mtime(
    tmp_path: Path, name: str, year: int
) -> None:
    """mtimes do not survive every copy; a dated name does (README "Input formats")."""
    path = tmp_path / name
    path.write_bytes(
        b"Dec 31 23:59:58 bastion sshd[1]: Accepted password for a from 10.0.0.1 port 2\n"
    )
    os.utime(path, (datetime(2026, 6, 1, tzinfo=UTC).timestamp(),) * 2)
    [event], letters, _ = read([path])
    assert not letters and event.time.year == year


def test_forced_format_reads_a_shape_sniffing_would_also_find(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    path.write_bytes(orjson.dumps(JOURNAL_SSHD) + b"\n")
    sniffed, _, _ = read([path])
    forced, letters, stats = read([path], forced="journald")
    assert forced == sniffed and not letters and stats.by_format == Counter(journald=1)
    # Framing follows the content: a forced text format gets the decoded object, says so.
    wrong, letters, _ = read([path], forced="winxml")
    assert wrong == [] and [d.reason for d in letters] == ["not a text line"]
    xml = tmp_path / "events"
    xml.write_text(XML_4624 + "\n")
    assert [e.user for e in read([xml], forced="winxml")[0]] == ["jsmith"]


# --- every variant of a generated scenario reads back into the same events -----------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks.scenario import generate

    root = tmp_path_factory.mktemp("scenario")
    generate(root, seed=3, days=5, users=15, learning_days=2)
    return root


# The generator's HELK 7045 is nxlog's: AccountName holds the installer and, without the
# Message text, the service account is lost (target_user ""). The other shapes carry the
# service account as the real event does (LocalSystem).


def _comparable(
    event: Event, root: Path, rename: Callable[[str], str] = lambda name: name
) -> tuple[Any, ...]:
    values = {f: getattr(event, f) for f in EVENT_FIELDS if f != "source_format"}
    record_id = values["record_id"]
    if record_id.startswith(str(root)):  # syslog file:line ids: the file's stem and the line
        head, _, line = record_id.rpartition(":")
        values["record_id"] = f"{rename(Path(head).name).split('.')[0]}:{line}"
    if event.event_id == "7045":  # see above
        values["target_user"] = values["target_user"].replace("localsystem", "")
    return tuple(values.items())


CASES = [
    *([name] for name in VARIANTS),
    ["winxml", "journald", "eventbridge", "crlf", "bom"],
    ["mixed-windows", "mixed-syslog", "mixed-cloudtrail", "noext"],
    ["nxlog", "rfc5424", "cloudtrail-gz", "gzip-noext"],
    ["touch"],
    ["undated", "touch"],
]


@pytest.mark.parametrize("names", CASES, ids=[",".join(c) for c in CASES])
def test_variant_reads_into_the_same_events(
    scenario: Path, tmp_path: Path, names: list[str]
) -> None:
    assert set(FILE_CHANGES) <= {n for case in CASES for n in case}
    shutil.copytree(scenario / "logs", tmp_path / "logs")
    apply(tmp_path / "logs", names)
    original, letters, _ = read([scenario / "logs"])
    assert not letters
    assert all(e.user for e in original if e.event_id == "7045")
    # `undated` renames files: the original's syslog ids are compared under the new names.
    rename = undated_name if "undated" in names else (lambda name: name)
    expected = Counter(_comparable(e, scenario / "logs", rename) for e in original)
    for columnar in (False, True):
        events, letters, _ = read([tmp_path / "logs"], columnar=columnar)
        assert not letters, letters[:3]
        assert Counter(_comparable(e, tmp_path / "logs") for e in events) == expected
