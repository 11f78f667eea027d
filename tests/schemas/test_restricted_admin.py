"""4624's ``RestrictedAdminMode`` (round 13): a restricted-admin desktop session
(``mstsc /restrictedadmin``, the way pass-the-hash reaches RDP) is a sign-in method of its own
in ``auth_protocol``, the same through the per-record parser, the columnar Python path and the
compiled HELK reader."""

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

CTX = ParseContext(tenant="acme")

RDP: dict[str, Any] = {
    "EventID": 4624,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "Hostname": "APP01.acme.local",
    "@timestamp": "2024-05-14T10:03:09.880Z",
    "RecordNumber": 1957163,
    "TargetUserName": "aadmin",
    "TargetDomainName": "ACME",
    "LogonType": "10",
    "LogonProcessName": "User32 ",
    "AuthenticationPackageName": "Negotiate",
    "WorkstationName": "WS-ANNA",
    "IpAddress": "10.1.2.3",
    "RestrictedAdminMode": "%%1843",
}


def rdp(**changes: Any) -> dict[str, Any]:
    record = dict(RDP, **changes)
    return {key: value for key, value in record.items() if value is not None}


@pytest.mark.parametrize(
    ("mode", "package", "expected"),
    [("%%1842", "Negotiate", "negotiate+restricted_admin"),
     ("Yes", "Negotiate", "negotiate+restricted_admin"),  # rendered exports
     ("%%1842", "NTLM", "ntlm+restricted_admin"),
     ("%%1842", "-", "restricted_admin"),
     ("%%1843", "Negotiate", "negotiate"), ("No", "Negotiate", "negotiate"),
     ("-", "Kerberos", "kerberos"), (None, "Kerberos", "kerberos"),
     (1842, "Negotiate", "negotiate")],
)  # fmt: skip
def test_restricted_admin_mode_is_a_sign_in_method(mode: Any, package: str, expected: str) -> None:
    [event] = HelkParser().parse(
        rdp(RestrictedAdminMode=mode, AuthenticationPackageName=package), CTX
    )
    assert (event.action, event.user, event.logon_type) == (Action.LOGON, "aadmin", "10")
    assert event.auth_protocol == expected


def test_a_failed_logon_reads_it_the_same_way() -> None:
    [event] = HelkParser().parse(
        rdp(EventID=4625, Status="0xc000006d", RestrictedAdminMode="%%1842"), CTX
    )
    assert event.action is Action.LOGON_FAILED
    assert event.auth_protocol == "negotiate+restricted_admin"


@pytest.mark.skipif(not bulk.NATIVE, reason="vigil_native is not installed")
def test_compiled_reader_agrees(tmp_path: Path) -> None:
    records = [
        rdp(RecordNumber=1, RestrictedAdminMode="%%1842"),
        rdp(RecordNumber=2),
        rdp(RecordNumber=3, RestrictedAdminMode=None),
        rdp(RecordNumber=4, RestrictedAdminMode="%%1842"),  # a cached template
        rdp(RecordNumber=5, RestrictedAdminMode="Yes"),
    ]
    path = tmp_path / "app01.json"
    path.write_bytes(b"\n".join(orjson.dumps(record) for record in records) + b"\n")
    events, letters, _ = assert_same([str(path)], per_record=True)
    assert not letters and len(events) == len(records)
    assert read([str(path)], True)[0] == events
    assert sum("restricted_admin" in e for e in events) == 3  # records 1, 4 and 5
