"""Framing and sniffing: how inputs become records, whatever wraps them."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import orjson

from schemas.event import Action, Event
from schemas.readers import DeadLetter, InputReader, ReadStats

SSH = b"Dec 31 23:59:58 bastion sshd[1]: Accepted password for alice from 10.0.0.1 port 2 ssh2\n"
TRAIL = {
    "eventVersion": "1.08",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "eventTime": "2022-01-01T10:00:00Z",
    "eventID": "e1",
    "sourceIPAddress": "198.51.100.4",
    "userIdentity": {"type": "IAMUser", "userName": "alice"},
    "responseElements": {"ConsoleLogin": "Success"},
}


def read(*paths: Path) -> tuple[list[Event], list[DeadLetter], ReadStats]:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    reader = InputReader(tenant="t", sink=letters.append, stats=stats)
    return list(reader.read_paths([str(p) for p in paths])), letters, stats


def test_gzip_header_mtime_anchors_the_syslog_year(tmp_path: Path) -> None:
    """A copied .gz loses its file mtime but keeps the original one in its header."""
    header_time = datetime(2020, 1, 2, tzinfo=UTC).timestamp()
    path = tmp_path / "auth.log.gz"
    path.write_bytes(gzip.compress(SSH, mtime=int(header_time)))
    os.utime(path, (datetime(2026, 6, 1, tzinfo=UTC).timestamp(),) * 2)
    [event], letters, _ = read(path)
    assert not letters
    assert event.time == datetime(2019, 12, 31, 23, 59, 58, tzinfo=UTC)


def test_plain_file_mtime_anchors_the_syslog_year(tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(SSH)
    os.utime(path, (datetime(2021, 1, 3, tzinfo=UTC).timestamp(),) * 2)
    [event], _, _ = read(path)
    assert event.time.year == 2020


def test_cloudtrail_shapes_all_read_alike(tmp_path: Path) -> None:
    records = [TRAIL, {**TRAIL, "eventID": "e2", "eventTime": "2022-01-01T10:05:00Z"}]
    (tmp_path / "records.json").write_bytes(orjson.dumps({"Records": records}))
    (tmp_path / "array.json").write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2))
    (tmp_path / "lines.json").write_bytes(b"\r\n".join(orjson.dumps(r) for r in records) + b"\r\n")
    for name in ("records.json", "array.json", "lines.json"):
        events, letters, stats = read(tmp_path / name)
        assert [e.record_id for e in events] == ["e1", "e2"], name
        assert not letters and stats.by_format == {"cloudtrail": 2}
        assert events[0].action is Action.LOGON


def test_zip_members_are_inputs_and_merge_in_time_order(tmp_path: Path) -> None:
    late = orjson.dumps({**TRAIL, "eventID": "late", "eventTime": "2022-01-02T00:00:00Z"})
    early = orjson.dumps({**TRAIL, "eventID": "early", "eventTime": "2022-01-01T00:00:00Z"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.json", late + b"\n")
        archive.writestr("b.json", early + b"\n")
    (tmp_path / "x.zip").write_bytes(buffer.getvalue())
    other = tmp_path / "y.json"
    other.write_bytes(
        orjson.dumps({**TRAIL, "eventID": "middle", "eventTime": "2022-01-01T12:00:00Z"})
    )
    events, letters, _ = read(tmp_path / "x.zip", other)
    assert not letters
    # zip members are read one after the other, then re-ordered within the window
    assert [e.record_id for e in events] == ["early", "middle", "late"]
