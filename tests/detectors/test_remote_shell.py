"""A shell started through WMI, reported before its logon (Sysmon 1) and again after it (4688):
one process, judged in full once the logon is seen (issue 3, the real WMI captures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detectors.engine import Engine
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event

T = datetime(2024, 3, 4, 4, 14, 53, tzinfo=UTC)
WMI = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"


def child(seconds: float, image: str, record: str) -> Event:
    return Event(
        time=T + timedelta(seconds=seconds),
        tenant="lab",
        source_format="test",
        action=Action.PROCESS_START,
        user="pgustavo",
        dst_host="workstation6",
        app=WMI,
        object=image,
        record_id=record,
    )


def logon(seconds: float) -> Event:
    return Event(
        time=T + timedelta(seconds=seconds),
        tenant="lab",
        source_format="test",
        action=Action.LOGON,
        user="pgustavo",
        src_ip="172.18.39.5",
        dst_host="workstation6",
        logon_type="3",
        record_id="4624",
    )


def stream(image: str) -> list[Event]:
    return [child(0, image, "sysmon-1"), logon(2), child(2.5, image, "4688")]


def test_the_report_before_the_logon_is_not_a_habit_and_the_later_one_counts_in_full() -> None:
    shell = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    engine = Engine([RemoteExecution()])
    alerts = [engine.process([e]) for e in stream(shell)]
    assert alerts[0] == [] and alerts[1] == []  # 22.5: half weight without a visible logon
    (alert,) = alerts[2]  # 45 in full after it: the stronger report of the same finding
    # 22.5 for the early report, and what the later one exceeds it by: 45, the shell in full
    assert alert.entity.id == "pgustavo" and alert.score == 45.0


def test_another_child_of_wmi_stays_under_the_bar() -> None:
    engine = Engine([RemoteExecution()])
    alerts = [
        a for e in stream("C:\\Windows\\System32\\GruntHTTP2.exe") for a in engine.process([e])
    ]
    assert alerts == []  # 17.5, then topped up to 35: a WMI child alone is not an incident
