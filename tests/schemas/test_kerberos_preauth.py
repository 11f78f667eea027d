"""4768's PreAuthType (round 12): kept in ``logon_type`` of the TGT event ("0": no Kerberos
pre-authentication, the AS-REP roasting case), the same through the per-record parser, the
columnar Python path and the compiled HELK reader; a 4670 that opens a folder to everyone is
privileged the same way on every path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.event import Action
from schemas.parsers import bulk
from schemas.parsers.base import ParseContext
from schemas.parsers.windows import HelkParser
from tests.schemas.test_helk_native import assert_same, read
from tests.schemas.test_windows_files import NEW_SD, OLD_SD, READ_SD, helk

CTX = ParseContext(tenant="acme")

# A TGT request as the DC writes it (Security-Datasets' HELK shape; Rubeus asreproast sends
# no pre-authentication, so PreAuthType is 0).
TGT: dict[str, Any] = {
    "EventID": 4768,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "Hostname": "MORDORDC.theshire.local",
    "@timestamp": "2020-09-22T03:03:09.880Z",
    "RecordNumber": 1957163,
    "TargetUserName": "svc_sql",
    "TargetDomainName": "theshire.local",
    "ServiceName": "krbtgt",
    "TicketOptions": "0x40800010",
    "Status": "0x0",
    "TicketEncryptionType": "0x17",
    "PreAuthType": "0",
    "IpAddress": "::ffff:172.18.39.5",
}


def tgt(**changes: Any) -> dict[str, Any]:
    record = dict(TGT, **changes)
    return {key: value for key, value in record.items() if value is not None}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0"), ("2", "2"), ("15", "15"), ("0x0", "0"), (0, "0"), (2, "2"), ("-", ""),
     ("", ""), (None, ""), ("zero", ""), ("0x", ""), ("123456789", "")],
)  # fmt: skip
def test_pre_auth_type_is_kept_in_logon_type(value: Any, expected: str) -> None:
    [event] = HelkParser().parse(tgt(PreAuthType=value), CTX)
    assert (event.action, event.user, event.object) == (Action.AUTH_TICKET, "svc_sql", "krbtgt")
    assert event.auth_protocol == "kerberos_rc4"
    assert event.logon_type == expected


def test_only_tgt_requests_carry_it() -> None:
    # 4769 (service ticket) and 4771 (pre-auth failed) name a PreAuthType field too or not;
    # only 4768's says how the TGT was obtained.
    for event_id in (4769, 4771):
        [event] = HelkParser().parse(tgt(EventID=event_id, Status="0x0"), CTX)
        assert event.logon_type == "", event_id


@pytest.mark.skipif(not bulk.NATIVE, reason="vigil_native is not installed")
def test_compiled_reader_agrees(tmp_path: Path) -> None:
    records = [
        tgt(RecordNumber=1, PreAuthType="0"),
        tgt(RecordNumber=2, PreAuthType="2", TicketEncryptionType="0x12"),
        tgt(RecordNumber=3, PreAuthType=None),
        tgt(RecordNumber=4, PreAuthType=0),
        tgt(RecordNumber=5, PreAuthType="-", Status="0x12"),
        tgt(RecordNumber=6, PreAuthType="0"),  # from the compiled reader's cached template
        helk(EventID=4670, RecordNumber=7, OldSd=OLD_SD, NewSd=NEW_SD),
        helk(EventID=4670, RecordNumber=8, OldSd=OLD_SD, NewSd=READ_SD),
        helk(EventID=4670, RecordNumber=9, OldSd=OLD_SD, NewSd=NEW_SD),
    ]
    path = tmp_path / "dc.json"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
    events, letters, _ = assert_same([str(path)], per_record=True)
    assert not letters and len(events) == len(records)
    assert read([str(path)], True)[0] == events
    kept = [e for e in events if "logon_type='0'" in e]
    assert len(kept) == 3  # records 1, 4 and 6
    assert sum("privileged=True" in e for e in events) == 2  # records 7 and 9
