"""Round 13's lateral-movement kinds (``--attacks lateral13``): opt-in, well formed, in the raw
formats, read back without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.lateral_threats import LATERAL13
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def lateral(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("lateral13")
    return out, generate(out, attacks=["lateral13"], **SMALL)


def test_lateral13_kinds_are_opt_in_only() -> None:
    assert len(LATERAL13) == 5
    assert expand_names(["lateral13"]) == list(LATERAL13)
    for group, names in GROUPS.items():
        if group != "lateral13":
            assert not set(LATERAL13) & set(names), group
    assert not set(LATERAL13) & (set(ATTACKS) | set(THREATS))


def test_lateral13_kinds_are_well_formed(lateral: tuple[Path, ScenarioTruth]) -> None:
    _, truth = lateral
    assert [a.name for a in truth.attacks] == list(LATERAL13)
    for attack in truth.attacks:
        assert attack.family == "lateral_movement", attack.id
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_lateral13_kinds_write_their_evidence(lateral: tuple[Path, ScenarioTruth]) -> None:
    out, truth = lateral
    windows, _, _ = _evidence(out, truth, "winrm_slow")
    hosts = [r for r in windows if r["EventID"] == 4688 and r["NewProcessName"].endswith(
        "wsmprovhost.exe")]  # fmt: skip
    assert hosts and any(r["EventID"] == 4648 for r in windows)
    assert any(r.get("ParentProcessName", "").endswith("wsmprovhost.exe") for r in windows)
    windows, _, _ = _evidence(out, truth, "dcom_mmc20")
    assert any(
        r["EventID"] == 4688 and r["NewProcessName"].endswith("mmc.exe")
        and r["CommandLine"].endswith("-Embedding") for r in windows
    )  # fmt: skip
    assert any(r.get("ParentProcessName", "").endswith("mmc.exe") for r in windows)
    windows, _, _ = _evidence(out, truth, "sc_remote_service")
    assert any(r["EventID"] == 7045 for r in windows)
    assert not any(r["EventID"] == 5140 and "ADMIN$" in r["ShareName"] for r in windows)
    assert any(r["EventID"] == 4688 and "sc.exe \\\\" in r["CommandLine"] for r in windows)
    _, _, trail = _evidence(out, truth, "ssm_session_fanout")
    sessions = [r for r in trail if r["eventName"] == "StartSession"]
    assert len({r["requestParameters"]["target"] for r in sessions}) >= 6
    _, _, trail = _evidence(out, truth, "ssm_command_slow")
    sent = [r for r in trail if r["eventName"] == "SendCommand"]
    assert sent and all(r["userIdentity"]["type"] == "IAMUser" for r in sent)
    assert len({r["eventTime"][:10] for r in sent}) >= 2  # over days


def test_lateral13_kinds_read_back_as_remote_execution(lateral: tuple[Path, ScenarioTruth]) -> None:
    out, truth = lateral
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    cloud = [e for e in events if e.action is Action.REMOTE_EXEC and e.dst_host.startswith("i-")]
    assert {e.object.split(":")[0] for e in cloud} == {"StartSession", "SendCommand"}
