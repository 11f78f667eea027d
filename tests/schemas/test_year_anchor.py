"""RFC 3164 years anchored on the run's dated inputs when a file's mtime is not its log's time
(a copy, a checkout, an unpacked archive): schemas/year_anchor.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas.event import Event
from schemas.readers import InputReader, read_paths_parallel

SSH = (
    "May {day:2d} 14:{minute:02d}:03 bastion sshd[{pid}]: "
    "Accepted password for alice from 10.1.1.{pid} port 50122 ssh2\n"
)
TODAY = datetime(2026, 11, 27, 12, tzinfo=UTC)


def helk_logon(when: str, record: int) -> bytes:
    return orjson.dumps(
        {
            "EventID": 4624,
            "Channel": "Security",
            "SourceName": "Microsoft-Windows-Security-Auditing",
            "Hostname": "SRV1.acme.local",
            "@timestamp": when,
            "TargetUserName": "bob",
            "TargetDomainName": "ACME",
            "IpAddress": "10.0.0.5",
            "LogonType": "3",
            "EventRecordID": record,
        }
    )


def write_run(tmp_path: Path, syslog_mtime: datetime, dated: str = "2024-05-06") -> Path:
    """A Windows file dated by its records and a year-less auth.log whose mtime is given."""
    root = tmp_path / "logs"
    root.mkdir(parents=True)
    (root / "windows.json").write_bytes(
        b"\n".join(helk_logon(f"{dated}T{h:02d}:00:00Z", h) for h in range(9, 12)) + b"\n"
    )
    auth = root / "auth.log"
    auth.write_text("".join(SSH.format(day=7, minute=m, pid=10 + m) for m in range(3)))
    os.utime(auth, (syslog_mtime.timestamp(),) * 2)
    return root


def read(root: Path | str, parallel: int = 0) -> list[Event]:
    reader = InputReader(tenant="acme", sink=lambda letter: None)
    return list(read_paths_parallel(reader, [str(root)], parallel))


def syslog_years(events: list[Event]) -> set[int]:
    return {e.time.year for e in events if e.source_format == "syslog"}


@pytest.mark.parametrize("parallel", [0, 1])
def test_a_touched_syslog_file_is_read_in_the_year_of_the_other_inputs(
    tmp_path: Path, parallel: int, caplog: pytest.LogCaptureFixture
) -> None:
    events = read(write_run(tmp_path, syslog_mtime=TODAY), parallel)
    assert syslog_years(events) == {2024}
    assert [e.time for e in events] == sorted(e.time for e in events)  # merged in time order
    assert any("read as 2024" in message for message in caplog.messages)


def test_an_mtime_near_the_other_inputs_is_kept(tmp_path: Path) -> None:
    """A year is moved only when the mtime puts the file more than 60 days outside the dated
    inputs' span: a log written on the day, and one six weeks before the dated inputs."""
    events = read(write_run(tmp_path, syslog_mtime=datetime(2024, 5, 8, tzinfo=UTC)))
    assert syslog_years(events) == {2024}
    events = read(
        write_run(tmp_path / "b", syslog_mtime=datetime(2024, 5, 8, tzinfo=UTC), dated="2024-06-20")
    )
    assert syslog_years(events) == {2024}


def test_without_dated_inputs_the_mtime_decides(tmp_path: Path) -> None:
    root = write_run(tmp_path, syslog_mtime=TODAY)
    (root / "windows.json").unlink()
    second = root / "auth.log.1"
    second.write_text(SSH.format(day=6, minute=1, pid=9))
    os.utime(second, (TODAY.timestamp(),) * 2)
    assert syslog_years(read(root)) == {2026}
    # A single input is read as before too.
    assert syslog_years(read(root / "auth.log")) == {2026}


def test_dated_syslog_lines_are_not_moved(tmp_path: Path) -> None:
    root = write_run(tmp_path, syslog_mtime=TODAY)
    (root / "auth.log").write_text(
        "2026-05-07T14:00:03+00:00 bastion sshd[10]: Accepted password for alice from "
        "10.1.1.10 port 50122 ssh2\n"
    )
    assert syslog_years(read(root)) == {2026}


def _cloudtrail_document(root: Path, day: str = "2024-05-06") -> None:
    """A CloudTrail file (one JSON document, BOM and blanks in front) dated by its records."""
    records = [
        {
            "eventVersion": "1.08",
            "eventTime": f"{day}T1{h}:00:00Z",
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "userIdentity": {"type": "IAMUser", "userName": "carol"},
            "sourceIPAddress": "198.51.100.7",
            "responseElements": {"ConsoleLogin": "Success"},
        }
        for h in range(3)
    ]
    (root / "trail.json").write_bytes(b"\xef\xbb\xbf \n" + orjson.dumps({"Records": records}))


def test_json_inputs_anchor_a_touched_syslog_file(tmp_path: Path) -> None:
    """JSON inputs are probed after the others (round 22), and still anchor a year-less file:
    a CloudTrail document alone as the dated input."""
    root = write_run(tmp_path, syslog_mtime=TODAY)
    (root / "windows.json").unlink()
    _cloudtrail_document(root)
    events = read(root)
    assert syslog_years(events) == {2024}
    assert {e.source_format for e in events} == {"syslog", "cloudtrail"}


def test_json_inputs_are_not_probed_without_a_year_less_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a year-less (RFC 3164) input needs the run's other inputs' first times: without one
    the JSON inputs (a CloudTrail document is decoded whole by its probe) are not probed, and
    the events are the same as a reader that probes everything gives."""
    root = tmp_path / "logs"
    root.mkdir()
    (root / "windows.json").write_bytes(helk_logon("2024-05-06T09:00:00Z", 1) + b"\n")
    _cloudtrail_document(root)
    (root / "auth.log").write_text(
        "2024-05-07T14:00:03+00:00 bastion sshd[7]: Accepted password for alice from 10.1.1.7 port 50122 ssh2\n"
    )
    probed: list[str] = []
    real_probe = InputReader._probe

    def spy(self: InputReader, name: str, opener: Any) -> Any:
        probed.append(Path(name).name)
        return real_probe(self, name, opener)

    monkeypatch.setattr(InputReader, "_probe", spy)
    events = read(root)
    assert probed == ["auth.log"]
    monkeypatch.setattr(InputReader, "_json_input", lambda self, opener: False)
    assert [repr(e) for e in read(root)] == [repr(e) for e in events]
    assert len(probed) == 4 and len(events) == 5
