"""Alerts name the ATT&CK techniques of what was found, not every technique a detector knows."""

from __future__ import annotations

from pathlib import Path

from detectors.engine import Engine
from schemas.readers import InputReader

SAMPLE = (
    Path(__file__).parents[2]
    / "benchmarks/samples/lab/covenant_sharpsc_create_dcerpc_smb_svcctl.zip"
)


def test_a_remote_service_install_is_not_reported_as_log_clearing() -> None:
    reader = InputReader(tenant="lab", sink=lambda letter: None)
    events = sorted(reader.read_paths([str(SAMPLE)]), key=lambda e: e.time)
    alerts = Engine().process(events)
    assert alerts, "the SharpSC capture raised no alert"
    techniques = set(alerts[-1].mitre)
    # What the capture shows: a service created and run over svcctl after a network logon.
    assert {"T1543.003", "T1569.002"} <= techniques
    # What account_lifecycle and remote_exec know but the capture does not show.
    assert not techniques & {"T1070.001", "T1562.008", "T1136", "T1047", "T1053.005"}
