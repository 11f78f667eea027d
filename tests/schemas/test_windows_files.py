"""File-server deletes and permission changes (issue 3): Security 4663 (DELETE right), 4670
(permissions changed) and Sysmon 23/26 (file deleted) as ``delete`` / ``policy_change`` events
for ``volume``; 4663 reads and writes, 4660, registry keys, tokens and cache churn read as
nothing. Field names and values are those Windows writes (the 4663 read records are real: the
EVTX-ATTACK-SAMPLES file is read from ../shared/data, never copied)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from detectors.batch import BatchBuilder
from detectors.volume import Volume
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.windows import EvtxParser, HelkParser, WinlogbeatParser
from schemas.readers import InputReader
from tests.schemas.test_windows_parsers import evtx_record, evtx_records
from tests.shared_data import shared_data

CTX = ParseContext(tenant="acme")
HELK = HelkParser()

# A delete over SMB on a file server, as Windows Server 2019 writes it (one per file).
HELK_4663_DELETE: dict[str, Any] = {
    "EventID": 4663,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "Hostname": "FS01.corp.example.com",
    "@timestamp": "2024-03-05T10:15:02.120Z",
    "RecordNumber": 918273,
    "SubjectUserSid": "S-1-5-21-1-2-3-1104",
    "SubjectUserName": "mwilson",
    "SubjectDomainName": "CORP",
    "SubjectLogonId": "0x3a8f11",
    "ObjectServer": "Security",
    "ObjectType": "File",
    "ObjectName": "D:\\Shares\\Finance\\2023\\Q4\\ledger-final.xlsx",
    "HandleId": "0x1a3c",
    "AccessList": "%%1537\r\n\t\t\t\t",
    "AccessMask": "0x10000",
    "ProcessId": "0x4",
    "ProcessName": "",
    "ResourceAttributes": "S:AI",
}


def helk(**changes: Any) -> dict[str, Any]:
    record = dict(HELK_4663_DELETE)
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def test_4663_delete_is_a_delete_of_the_folder() -> None:
    [event] = HELK.parse(helk(), CTX)
    assert event.action is Action.DELETE
    assert (event.user, event.dst_host, event.event_id) == ("mwilson", "fs01", "4663")
    assert event.object == "D:\\Shares\\Finance\\2023\\Q4"  # the folder: short, few values
    assert event.record_id == "fs01:918273"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"AccessMask": "0x1", "AccessList": "%%4416\r\n\t\t\t\t"}, "ReadData"),
        ({"AccessMask": "0x2", "AccessList": "%%4417\r\n\t\t\t\t"}, "WriteData"),
        ({"AccessMask": "0x6", "AccessList": "%%4417\r\n\t\t\t\t%%4418"}, "write + append"),
        ({"ObjectType": "Key"}, "a registry key deleted"),
    ],
)
def test_4663_other_than_a_file_delete_reads_as_nothing(changes: dict[str, Any], why: str) -> None:
    assert HELK.parse(helk(**changes), CTX) == [], why


def test_4663_delete_from_access_list_alone_and_combined_masks() -> None:
    # Some exports drop AccessMask; others carry DELETE with other rights (0x10080).
    assert HELK.parse(helk(AccessMask=None), CTX)[0].action is Action.DELETE
    assert HELK.parse(helk(AccessMask="0x10080", AccessList="%%1537 %%4423"), CTX)
    assert HELK.parse(helk(AccessMask="0x10000", AccessList=None), CTX)


def test_4663_by_a_machine_account_has_no_user() -> None:
    # SYSTEM's own deletes are logged under the computer account: a host, as in every handler.
    [event] = HELK.parse(helk(SubjectUserName="FS01$", SubjectDomainName="CORP"), CTX)
    assert (event.user, event.src_host) == ("", "fs01")


def test_4660_is_read_as_nothing() -> None:
    # 4660 follows the 4663 with DELETE for the same handle and names no object.
    record = {
        key: HELK_4663_DELETE[key]
        for key in ("SourceName", "Channel", "Hostname", "@timestamp", "SubjectUserName")
    }
    record.update(EventID=4660, RecordNumber=918274, HandleId="0x1a3c", ObjectServer="Security")
    assert HELK.parse(record, CTX) == []


OLD_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-2210)"
NEW_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;WD)"
# The project group's Modify right cut to Read & execute (0x1200a9): no one gains anything.
READ_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-2210)"


def test_4670_on_a_folder_is_a_permission_change() -> None:
    record = helk(
        EventID=4670,
        ObjectName="D:\\Shares\\Finance\\2023",
        OldSd=OLD_SD,
        NewSd=NEW_SD,
        AccessMask=None,
        AccessList=None,
        ProcessName="C:\\Windows\\System32\\icacls.exe",
    )
    [event] = HELK.parse(dict(record, NewSd=READ_SD), CTX)
    assert event.action is Action.POLICY_CHANGE
    assert (event.user, event.object, event.reason) == (
        "mwilson",
        "D:\\Shares\\Finance\\2023",
        "dacl changed",
    )
    assert not event.privileged  # one ACL fix is routine: volume counts them
    owner = dict(record, NewSd=READ_SD.replace("O:BA", "O:S-1-5-21-1-2-3-1104"))
    assert HELK.parse(owner, CTX)[0].reason == "owner dacl changed"


def test_4670_granting_broad_groups_write_is_privileged() -> None:
    """A DACL that newly lets Everyone / Authenticated / Domain Users / Users write or take full
    control opens the data to the whole organisation: privileged, and the reason says to whom."""
    record = helk(EventID=4670, OldSd=OLD_SD, NewSd=NEW_SD, AccessMask=None, AccessList=None)
    [event] = HELK.parse(record, CTX)
    assert event.privileged
    assert event.reason == "dacl changed; write access granted to Everyone"
    grants = {
        # Domain Users by SID (RID 513) with Modify, Authenticated Users with generic write
        "(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-513)(A;;GRGW;;;AU)": (
            "Authenticated Users, Domain Users"
        ),
        "(A;OICI;0x1301bf;;;BU)": "Users",
        "(A;CIIO;GA;;;S-1-1-0)": "Everyone",  # inherit-only: every child gets it
    }
    for aces, names in grants.items():
        new = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)" + aces
        [event] = HELK.parse(dict(record, NewSd=new), CTX)
        assert event.privileged, aces
        assert event.reason == f"dacl changed; write access granted to {names}", aces
    quiet = (
        "(A;OICI;FR;;;WD)(A;OICI;0x1200a9;;;AU)",  # read only
        "(D;OICI;FA;;;WD)",  # a deny ACE grants nothing
        "(A;OICI;FA;;;S-1-5-21-1-2-3-1104)",  # one named account
        "(A;OICI;0x1301bf;;;S-1-5-21-1-2-3-2210)(A;OICI;FA;;;BA)",  # admins, project group
        "(A;OICI;FA;;;WD",  # malformed (cut off)
    )
    for aces in quiet:
        new = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)" + aces
        [event] = HELK.parse(dict(record, NewSd=new), CTX)
        assert not event.privileged, aces
        assert event.reason == "dacl changed", aces
    # Everyone could already write before the change: nothing newly opened.
    opened = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;0x1301bf;;;WD)"
    [event] = HELK.parse(dict(record, OldSd=opened, NewSd=NEW_SD), CTX)
    assert not event.privileged
    # An owner-only change never reads the DACLs.
    [event] = HELK.parse(dict(record, OldSd=NEW_SD, NewSd=NEW_SD.replace("O:BA", "O:SY")), CTX)
    assert (event.reason, event.privileged) == ("owner changed", False)


def test_4670_on_a_token_or_process_reads_as_nothing() -> None:
    # Services rewrite their token's DACL at every start (SYSTEM, ObjectType Token).
    for kind in ("Token", "Process", "Key"):
        record = helk(EventID=4670, ObjectType=kind, OldSd=OLD_SD, NewSd=NEW_SD)
        assert HELK.parse(record, CTX) == [], kind


SYSMON_23: dict[str, Any] = {
    "EventID": 23,
    "SourceName": "Microsoft-Windows-Sysmon",
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Hostname": "WKS17.corp.example.com",
    "@timestamp": "2024-03-05T10:15:02.120Z",
    "UtcTime": "2024-03-05 10:15:01.977",
    "RecordNumber": 55012,
    "RuleName": "-",
    "ProcessGuid": "{d273d0f0-e867-5f64-1a00-000000000800}",
    "ProcessId": "6120",
    "User": "CORP\\mwilson",
    "Image": "C:\\Windows\\explorer.exe",
    "TargetFilename": "C:\\Users\\mwilson\\Documents\\Projects\\Atlas\\plan.docx",
    "Hashes": "SHA256=ED6592B5ACC2E0C7744698249B2AB7E5DCD3859324A9BDC6D186C66D7FD5B404",
    "IsExecutable": "false",
    "Archived": "true",
}


@pytest.mark.parametrize("event_id", [23, 26])
def test_sysmon_file_delete(event_id: int) -> None:
    [event] = HELK.parse(dict(SYSMON_23, EventID=event_id), CTX)
    assert event.action is Action.DELETE
    assert (event.user, event.dst_host, event.event_id) == (
        "mwilson",
        "wks17",
        f"sysmon:{event_id}",
    )
    assert event.object == "C:\\Users\\mwilson\\Documents\\Projects\\Atlas"
    assert event.app == "C:\\Windows\\explorer.exe"


@pytest.mark.parametrize(
    "path",
    [
        "C:\\Users\\mwilson\\AppData\\Local\\Packages\\Cortana\\AC\\AppCache\\x.js",
        "C:\\Users\\TEMP\\AppData\\Local\\Microsoft\\Teams\\packages\\Teams-full.nupkg",
        "C:\\Windows\\Temp\\MpCmdRun.log",
        "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\x.bin",
    ],
)
def test_sysmon_deletes_of_software_churn_read_as_nothing(path: str) -> None:
    assert HELK.parse(dict(SYSMON_23, TargetFilename=path), CTX) == []


def test_sysmon_delete_by_system_is_the_system_user() -> None:
    # As Sysmon 1 reads it: NT AUTHORITY\SYSTEM is the user "system".
    [event] = HELK.parse(dict(SYSMON_23, User="NT AUTHORITY\\SYSTEM"), CTX)
    assert event.user == "system"


def test_the_same_records_in_winlogbeat_and_evtx_shapes() -> None:
    data = {k: v for k, v in HELK_4663_DELETE.items() if k[0].isupper() and k != "EventID"}
    for key in ("SourceName", "Channel", "Hostname", "RecordNumber"):
        data.pop(key)
    evtx = evtx_record(4663, data, computer="FS01.corp.example.com", record_id=918273)
    [event] = EvtxParser().parse(evtx, CTX)
    assert (event.action, event.user, event.object) == (
        Action.DELETE,
        "mwilson",
        "D:\\Shares\\Finance\\2023\\Q4",
    )
    beat = {
        "@timestamp": "2024-03-05T10:15:02.120Z",
        "winlog": {
            "event_id": "4663",
            "provider_name": "Microsoft-Windows-Security-Auditing",
            "channel": "Security",
            "computer_name": "FS01.corp.example.com",
            "record_id": 918273,
            "event_data": data,
        },
    }
    [event] = WinlogbeatParser().parse(beat, CTX)
    assert (event.action, event.user, event.dst_host) == (Action.DELETE, "mwilson", "fs01")


def test_real_4663_registry_reads_read_as_nothing() -> None:
    """DE_1102_security_log_cleared.evtx: 110 real 4663 (registry Key, AccessMask 0x1) and the
    1102 itself; only the 1102 becomes an event."""
    path = (
        shared_data()
        / "evtx-attack-samples"
        / "defense_evasion"
        / "DE_1102_security_log_cleared.evtx"
    )
    parser = EvtxParser()
    seen: dict[Any, int] = {}
    events: list[Event] = []
    for record in evtx_records(path):
        system = record["Event"]["System"]
        event_id = system["EventID"]
        event_id = event_id["#text"] if isinstance(event_id, dict) else event_id
        seen[event_id] = seen.get(event_id, 0) + 1
        events += parser.parse(record, CTX)
    assert seen[4663] == 110
    assert [event.action for event in events] == [Action.LOG_CLEARED]


def _lines(records: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(record) for record in records) + b"\n"


def test_columnar_reader_gives_the_per_record_events(tmp_path: Path) -> None:
    """``vigil detect``'s columnar HELK path (templates; with the compiled reader where built)
    reads a mix of deletes, reads and ACL changes as the per-record parser does: a read's
    template is "nothing", and a bad time on a read is still dead-lettered."""
    records: list[dict[str, Any]] = []
    start = datetime(2024, 3, 5, 10, tzinfo=UTC)
    for n in range(60):
        stamp = (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
        name = f"D:\\Shares\\Finance\\2023\\Q{n % 4 + 1}\\file{n}.xlsx"
        mask, rights = ("0x10000", "%%1537") if n % 3 else ("0x1", "%%4416")
        records.append(
            helk(
                RecordNumber=1000 + n,
                ObjectName=name,
                AccessMask=mask,
                AccessList=rights,
                **{"@timestamp": stamp},
            )
        )
    records.append(
        helk(RecordNumber=2000, AccessMask="0x1", AccessList="%%4416", **{"@timestamp": "x"})
    )
    records.append(dict(SYSMON_23, RecordNumber=3000))
    path = tmp_path / "fs.json"
    path.write_bytes(_lines(records))

    def read(columnar: bool) -> tuple[list[str], list[str]]:
        letters: list[Any] = []
        reader = InputReader(tenant="acme", sink=letters.append, columnar=columnar)
        events = [repr(event) for event in reader.read_paths([str(path)])]
        return events, [letter.reason for letter in letters]

    columnar, per_record = read(True), read(False)
    assert columnar == per_record
    assert len(columnar[0]) == 41 and len(columnar[1]) == 1  # 40 deletes + Sysmon; 1 bad time


def test_a_parsed_file_server_wipe_raises_volume() -> None:
    """End to end from raw 4663s: a user who deletes a few files a day on the file server, then
    600 in ten minutes across the shares. Without the 4663 handler nothing reaches ``volume``
    at all. (One folder tree emptied is a move's shape, reported lower: tests/detectors.)"""
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    number = iter(range(10_000, 100_000))

    def delete(at: datetime, path: str = HELK_4663_DELETE["ObjectName"]) -> Event:
        stamp = at.isoformat().replace("+00:00", "Z")
        record = helk(RecordNumber=next(number), ObjectName=path, **{"@timestamp": stamp})
        [event] = HELK.parse(record, CTX)
        return event

    history = [delete(start + timedelta(days=d, hours=h)) for d in range(14) for h in (1, 4, 6)]
    shares = ("Finance", "HR", "Sales", "Legal")
    wipe = [
        delete(start + timedelta(days=15, seconds=s), f"D:\\Shares\\{shares[s % 4]}\\f{s}.docx")
        for s in range(600)
    ]
    builder, detector = BatchBuilder(), Volume()
    batch = builder.build(history)
    detector.score(batch, builder)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build(wipe), builder)
    assert len(signals.rows) >= 1 and float(signals.points.max()) >= 40.0
    assert "mwilson made" in signals.titles[0] and "delete events" in signals.titles[0]
