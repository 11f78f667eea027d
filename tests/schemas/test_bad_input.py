"""A corpus of malformed and hostile inputs: each is dead-lettered with a reason, counted, and
never stops the run or reaches an alert. Good records around a bad one still parse."""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from schemas.readers import DeadLetter, InputReader, ReadStats

GOOD_HELK = {
    "EventID": 4624,
    "Channel": "Security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Hostname": "WORKSTATION6.theshire.local",
    "@timestamp": "2020-09-21T19:28:21.912Z",
    "TargetUserName": "pgustavo",
    "TargetDomainName": "THESHIRE",
    "IpAddress": "172.18.39.5",
    "LogonType": "3",
    "WorkstationName": "-",
    "AuthenticationPackageName": "Kerberos",
    "EventRecordID": 1234,
}
GOOD_SYSLOG = (
    b"Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 5.36.59.76 port 42393 ssh2"
)
GOOD_CLOUDTRAIL = {
    "eventVersion": "1.08",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateUser",
    "eventTime": "2022-01-01T10:00:00Z",
    "eventID": "0b1d0c5e-1",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "203.0.113.7",
    "userAgent": "aws-cli/2",
    "userIdentity": {"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::1:user/alice"},
    "requestParameters": {"userName": "mallory"},
}


def helk(**changes: object) -> bytes:
    record = {**GOOD_HELK, **changes}
    return orjson.dumps({k: v for k, v in record.items() if v is not None})


def helk_lines(bad: bytes) -> bytes:
    """A good record, the bad one, a good record: the run must carry on past the bad one."""
    return helk(EventRecordID=1) + b"\n" + bad + b"\n" + helk(EventRecordID=2) + b"\n"


def syslog_lines(bad: bytes) -> bytes:
    return GOOD_SYSLOG + b"\n" + bad + b"\n" + GOOD_SYSLOG + b"\n"


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def nested(depth: int) -> bytes:
    return b'{"EventID":' + b"[" * depth + b"]" * depth + b"}"


# name -> (file name, content, expected good events around it)
CORPUS: dict[str, tuple[str, Callable[[], bytes], int]] = {
    "truncated json line": ("a.json", lambda: helk_lines(helk()[:-20]), 2),
    "json line is a string": ("a.json", lambda: helk_lines(b'"just a string"'), 2),
    "json line is a number": ("a.json", lambda: helk_lines(b"12345"), 2),
    "json NaN": ("a.json", lambda: helk_lines(b'{"EventID": NaN}'), 2),
    "wrong type EventID object": ("a.json", lambda: helk_lines(helk(EventID={"x": 1})), 2),
    "non numeric EventID": ("a.json", lambda: helk_lines(helk(EventID="four")), 2),
    "Hostname is a list": ("a.json", lambda: helk_lines(helk(Hostname=["a", "b"])), 2),
    "user name is an object": ("a.json", lambda: helk_lines(helk(TargetUserName={"a": 1})), 2),
    "missing timestamp": ("a.json", lambda: helk_lines(helk(**{"@timestamp": None})), 2),
    "absurd timestamp 9999": (
        "a.json",
        lambda: helk_lines(helk(**{"@timestamp": "9999-01-01T00:00:00Z"})),
        2,
    ),
    "absurd timestamp 1601": (
        "a.json",
        lambda: helk_lines(helk(**{"@timestamp": "1601-01-01T00:00:00Z"})),
        2,
    ),
    "garbage timestamp": ("a.json", lambda: helk_lines(helk(**{"@timestamp": "yesterday-ish"})), 2),
    "timestamp is a bool": ("a.json", lambda: helk_lines(helk(**{"@timestamp": True})), 2),
    "10 MB field": ("a.json", lambda: helk_lines(helk(TargetUserName="x" * (10 << 20))), 2),
    "deeply nested json": ("a.json", lambda: helk_lines(nested(5000)), 2),
    "NUL bytes in json line": (
        "a.json",
        lambda: helk_lines(b'{"EventID": 4624, "\x00": "\x00"}'),
        2,
    ),
    "invalid utf-8 in json": ("a.json", lambda: helk_lines(b'{"EventID": "\xff\xfe"}'), 2),
    "NUL bytes in syslog": (
        "auth.log",
        lambda: syslog_lines(b"Dec 10 06:55:49 LabSZ sshd[1]: Fail\x00ed"),
        2,
    ),
    "invalid utf-8 in syslog": (
        "auth.log",
        lambda: syslog_lines(b"Dec 10 06:55:49 LabSZ sshd[1]: \xff\xfe\xfd bad"),
        2,
    ),
    "syslog Feb 30": (
        "auth.log",
        lambda: syslog_lines(
            b"Feb 30 06:55:49 LabSZ sshd[1]: Failed password for root from 1.2.3.4 port 2 ssh2"
        ),
        2,
    ),
    "not syslog at all": (
        "auth.log",
        lambda: syslog_lines(b"hello world, this is not a log line"),
        2,
    ),
    "2 MB text line": (
        "auth.log",
        lambda: syslog_lines(b"Dec 10 06:55:49 LabSZ sshd[1]: " + b"A" * (2 << 20)),
        2,
    ),
    "csv inside .json": (
        "events.json",
        lambda: b"time,user,ip\n2024-01-01,alice,1.2.3.4\n2024-01-02,bob,5.6.7.8\n",
        0,
    ),
    "empty file": ("empty.json", lambda: b"", 0),
    "whitespace only file": ("blank.log", lambda: b"\n\n   \n\t\n", 0),
    "binary file": ("blob.bin", lambda: bytes(range(256)) * 64, 0),
    "evtx magic then garbage": (
        "x.evtx",
        lambda: b"ElfFile\x00" + random.Random(7).randbytes(4096),
        0,
    ),
    "truncated gzip": ("a.json.gz", lambda: gzip.compress(helk_lines(b"{}") * 50)[:-40], -1),
    "corrupt zip": ("a.zip", lambda: b"PK\x03\x04" + random.Random(8).randbytes(512), 0),
    "zip bomb-ish": ("bomb.zip", lambda: zip_bytes({"bomb.json": b"\x00" * (100 << 20)}), 0),
    "empty zip": ("e.zip", lambda: zip_bytes({}), 0),
    "zip in zip in zip": (
        "deep.zip",
        lambda: zip_bytes({"a.zip": zip_bytes({"b.zip": zip_bytes({"c.json": helk()})})}),
        0,
    ),
    "invalid json document": (
        "trail.json",
        lambda: b'{\n  "Records": [\n    {"eventVersion": "1.08",\n',
        0,
    ),
    "Records is not a list": ("trail.json", lambda: b'{\n "Records": "nope"\n}\n', 0),
    "cloudtrail identity is a string": (
        "trail.json",
        lambda: orjson.dumps(
            {
                "Records": [
                    GOOD_CLOUDTRAIL,
                    {**GOOD_CLOUDTRAIL, "eventID": "b", "userIdentity": "root"},
                ]
            }
        ),
        1,
    ),
    "cloudtrail bad eventTime": (
        "trail.json",
        lambda: orjson.dumps(
            {"Records": [GOOD_CLOUDTRAIL, {**GOOD_CLOUDTRAIL, "eventID": "c", "eventTime": "0000"}]}
        ),
        1,
    ),
}


def read(path: Path) -> tuple[list[object], list[DeadLetter], ReadStats]:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    reader = InputReader(tenant="t", sink=letters.append, stats=stats)
    events = list(reader.read_paths([str(path)]))
    return events, letters, stats


def test_corpus_is_at_least_thirty_cases() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_bad_input_is_dead_lettered_with_a_reason(case: str, tmp_path: Path) -> None:
    name, make, good_events = CORPUS[case]
    path = tmp_path / name
    path.write_bytes(make())
    events, letters, stats = read(path)
    assert letters, f"{case}: nothing dead-lettered"
    assert all(letter.reason for letter in letters)
    assert stats.dead_letter == len(letters)
    assert all(len(letter.raw) <= 2048 for letter in letters)
    if good_events >= 0:
        assert len(events) == good_events, [letter.reason for letter in letters]


def test_whole_corpus_in_one_run_carries_on(tmp_path: Path) -> None:
    for index, case in enumerate(sorted(CORPUS)):
        name, make, _ = CORPUS[case]
        (tmp_path / f"{index:02d}-{name}").write_bytes(make())
    (tmp_path / "zz-good.json").write_bytes(helk_lines(helk(EventRecordID=3)))
    events, letters, stats = read(tmp_path)
    assert stats.dead_letter >= len(CORPUS)
    assert len(events) >= 3
    reasons = {letter.reason for letter in letters}
    assert any("bomb" in reason for reason in reasons)
    assert any("empty" in reason for reason in reasons)
