"""Round 13's lateral-movement gaps in ``remote_exec`` (README "Attack variants, round 13"):
commands on cloud instances through the control plane, DCOM application objects, and the
PowerShell-remoting logon that names no source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.engine import Engine
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event

T = datetime(2024, 3, 4, 10, tzinfo=UTC)
SVCHOST = "C:\\Windows\\System32\\svchost.exe"
MMC = "C:\\Windows\\System32\\mmc.exe"
EXCEL = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE"
CMD = "C:\\Windows\\System32\\cmd.exe"
WINRM = "C:\\Windows\\System32\\wsmprovhost.exe"
POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"


def cloud(minutes: float, user: str, instance: str, api: str = "StartSession") -> Event:
    return Event(
        time=T + timedelta(minutes=minutes),
        tenant="t",
        source_format="cloudtrail",
        action=Action.REMOTE_EXEC,
        user=user,
        src_ip="203.0.113.7",
        dst_host=instance,
        app="ssm.amazonaws.com",
        object=api,
        event_id=api,
    )


def logon(seconds: float, user: str = "eve", src_ip: str = "10.0.0.5") -> Event:
    return Event(
        time=T + timedelta(seconds=seconds),
        tenant="t",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=src_ip,
        dst_host="ws6",
        logon_type="3",
    )


def process(seconds: float, parent: str, image: str, user: str = "eve") -> Event:
    return Event(
        time=T + timedelta(seconds=seconds),
        tenant="t",
        source_format="test",
        action=Action.PROCESS_START,
        user=user,
        dst_host="ws6",
        app=parent,
        object=image,
    )


def points(events: list[Event], detector: RemoteExecution | None = None) -> list[float]:
    """Points per event, scored one by one after learning each (the stream's own order)."""
    detector = detector or RemoteExecution()
    builder = BatchBuilder()
    out = []
    for event in events:
        batch = builder.build([event])
        signals = detector.score(batch, builder)
        out.append(round(float(signals.points[0]), 2) if len(signals) else 0.0)
        detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return out


def test_a_first_cloud_command_scores_without_a_logon_and_a_sweep_scores_on_each_instance() -> None:
    sweep = [cloud(k * 3, "eve", f"i-0{k:016x}") for k in range(6)]
    scored = points(sweep)
    assert scored[0] == 35.0  # a shell on an instance, by a principal who never ran one
    # each new instance: 35 / (1 + earlier commands anywhere / 10), none on it before
    assert scored == [round(35.0 / (1.0 + k / 10.0), 2) for k in range(6)]


def test_a_fleet_operator_is_not_news_on_a_new_instance_nor_on_a_known_one() -> None:
    detector = RemoteExecution()
    routine = [
        cloud(day * 1440 + k, "ops", f"i-0{k:016x}", "SendCommand:AWS-RunShellScript")
        for day in range(10)
        for k in range(12)
    ]
    points(routine, detector)
    later = 10 * 1440
    new, known = points(
        [
            cloud(later, "ops", "i-0ffffffffffffff0", "SendCommand:AWS-RunShellScript"),
            cloud(later + 1, "ops", f"i-0{3:016x}", "SendCommand:AWS-RunShellScript"),
        ],
        detector,
    )
    assert new < 4.0 and known < 4.0  # under min_points: no finding


def test_the_cloud_finding_says_what_was_seen_and_what_is_normal() -> None:
    builder, detector = BatchBuilder(), RemoteExecution()
    signals = detector.score(builder.build([cloud(0, "eve", "i-0abc")]), builder)
    assert "ran StartSession on instance i-0abc through the cloud API" in signals.titles[0]
    assert signals.baseline[0].startswith("0.0 earlier commands by eve on i-0abc, 0.0 on any")
    assert signals.row_mitre[0] == ("T1651",)


def test_a_dcom_object_started_for_a_network_logon_and_its_shell_are_findings() -> None:
    scored = points([logon(0), process(1, SVCHOST, MMC), process(3, MMC, CMD)])
    # The shell is the account's second DCOM artefact in seconds: 45 / (1 + 1).
    assert scored == [0.0, 45.0, 22.5]
    engine = Engine([RemoteExecution()])
    alerts = engine.process([logon(0), process(1, SVCHOST, MMC), process(3, MMC, CMD)])
    assert alerts[-1].entity.id == "eve" and alerts[-1].score >= 40.0  # one act: an incident


def test_excel_activated_over_dcom_is_a_finding_as_in_covenants_registerxll() -> None:
    assert points([logon(0), process(2, SVCHOST, EXCEL)]) == [0.0, 45.0]


def test_office_and_mmc_without_a_network_logon_are_nobodys_dcom() -> None:
    # A local automation starting Excel, Outlook starting a shell for the person at the desk.
    assert points([process(1, SVCHOST, EXCEL), process(3, EXCEL, CMD)]) == [0.0, 0.0]
    # ... nor a habit: a later real DCOM activation is judged in full.
    assert points([process(1, SVCHOST, EXCEL), logon(600), process(601, SVCHOST, EXCEL)]) == [
        0.0,
        0.0,
        45.0,
    ]


def test_a_non_shell_started_by_mmc_after_a_logon_is_not_scored() -> None:
    helper = "C:\\Windows\\System32\\splwow64.exe"
    assert points([logon(0), process(1, MMC, helper)]) == [0.0, 0.0]


def test_a_network_logon_naming_no_source_anchors_what_wsmprovhost_starts() -> None:
    # Security-Datasets' Empire PSRemoting: 4624 type 3 with IpAddress "-", then the stager.
    anchored = points([logon(0, src_ip=""), process(3, WINRM, POWERSHELL)])
    assert anchored == [0.0, 45.0]
    unanchored = points([process(3, WINRM, POWERSHELL)])
    assert unanchored == [22.5]  # half weight, as before, without any logon


def test_engine_alerts_on_a_cloud_sweep() -> None:
    engine = Engine([RemoteExecution()])
    alerts = engine.process([cloud(k * 3, "eve", f"i-0{k:016x}") for k in range(4)])
    assert alerts and alerts[-1].entity.id == "eve" and alerts[-1].score >= 60.0


def test_snapshots_without_cloud_state_still_load() -> None:
    detector = RemoteExecution()
    points([cloud(0, "eve", "i-0abc")], detector)
    state = {k: v for k, v in detector.state().items() if not k.startswith("cloud_")}
    restored = RemoteExecution()
    restored.load_state(state)
    assert len(restored.cloud_.table.keys) == 0
    again = RemoteExecution()
    again.load_state(detector.state())
    assert len(again.cloud_.table.keys) == 1
