"""Round 22's kinds (``--attacks novel22``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evaluate_sets import SETS
from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel22_threats import NOVEL22
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel22")
    return out, generate(out, attacks=["novel22"], **SMALL)


def test_novel22_kinds_are_opt_in_only() -> None:
    assert len(NOVEL22) == 7
    assert expand_names(["novel22"]) == list(NOVEL22)
    for group, names in GROUPS.items():
        if group != "novel22":
            assert not set(NOVEL22) & set(names), group
    assert not set(NOVEL22) & (set(ATTACKS) | set(THREATS))
    families = [k.family for k in NOVEL22.values()]
    assert families.count("credential_misuse") >= 3
    assert families.count("lateral_movement") >= 2
    names = [name for name, _ in SETS]
    # appended after round 21's sets: the earlier sets keep their order
    assert names.index("s441t") == names.index("s431u") + 1
    assert names.index("s451t") == names.index("s441t") + 1


def test_novel22_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL22)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel22_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    windows, _, _ = _evidence(out, truth, "dsrm_password_logon")
    assert any(r["EventID"] == 4794 for r in windows)
    assert any(r["EventID"] == 4624 and r["TargetUserName"] == "Administrator" for r in windows)
    windows, _, _ = _evidence(out, truth, "service_spray_internal_rdp")
    assert sum(r["EventID"] == 4771 for r in windows) >= 3
    assert any(r["EventID"] == 4624 and r["LogonType"] == "10" for r in windows)
    windows, _, _ = _evidence(out, truth, "runas_netonly_admin")
    assert any(r["EventID"] == 4624 and r["LogonType"] == "9" for r in windows)
    assert any(r["EventID"] == 4648 for r in windows)
    windows, _, _ = _evidence(out, truth, "remote_schtask_fanout")
    assert sum(r["EventID"] == 4698 for r in windows) >= 3
    _, lines, _ = _evidence(out, truth, "ssh_agent_forward_chain")
    assert any("Accepted publickey" in line and "from 10.20.1.21 " in line for line in lines)
    _, _, trail = _evidence(out, truth, "aws_stale_key_reactivated")
    assert any(r["eventName"] == "UpdateAccessKey" for r in trail)
    assert any(r["userIdentity"]["type"] == "IAMUser" for r in trail)
    _, _, trail = _evidence(out, truth, "aws_snapshot_shared_outside")
    assert {"ModifySnapshotAttribute", "ModifyDBSnapshotAttribute"} <= {
        r["eventName"] for r in trail
    }


def test_novel22_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "4794" for e in events)
    assert any(e.action is Action.POLICY_CHANGE and e.event_id == "ModifySnapshotAttribute"
               for e in events)  # fmt: skip
