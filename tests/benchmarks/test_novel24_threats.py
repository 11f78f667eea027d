"""Round 24's kinds (``--attacks novel24``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evaluate_sets import SETS
from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel24_threats import NOVEL24
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel24")
    return out, generate(out, attacks=["novel24"], **SMALL)


def test_novel24_kinds_are_opt_in_only() -> None:
    assert len(NOVEL24) == 7
    assert expand_names(["novel24"]) == list(NOVEL24)
    for group, names in GROUPS.items():
        if group != "novel24":
            assert not set(NOVEL24) & set(names), group
    assert not set(NOVEL24) & (set(ATTACKS) | set(THREATS))
    families = [k.family for k in NOVEL24.values()]
    assert families.count("credential_misuse") >= 3
    assert families.count("lateral_movement") >= 2
    assert families.count("privilege_abuse") >= 1
    names = [name for name, _ in SETS]
    # appended after round 23's life sets: the earlier sets keep their order
    assert names.index("s631r") == names.index("s561m") + 1
    assert names.index("s641r") == names.index("s631r") + 1


def test_novel24_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL24)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel24_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    _, _, trail = _evidence(out, truth, "aws_codecommit_ssh_key_slow")
    assert any(r["eventName"] == "UploadSSHPublicKey" for r in trail)
    assert sum(r["eventName"] == "GitPull" for r in trail) >= 2
    _, lines, _ = _evidence(out, truth, "ssh_ci_key_interactive_slow")
    assert any("Accepted publickey for deploy" in line for line in lines)
    windows, _, _ = _evidence(out, truth, "colleague_desk_logon_slow")
    assert any(r["EventID"] == 4624 and r["LogonType"] == "2" for r in windows)
    windows, _, _ = _evidence(out, truth, "ntlm_relay_smb")
    relayed = [r for r in windows if r["EventID"] == 4624]
    assert relayed and all(r["AuthenticationPackageName"] == "NTLM" for r in relayed)
    assert any(r["EventID"] == 5145 and r["RelativeTargetName"] == "winreg" for r in windows)
    _, _, trail = _evidence(out, truth, "aws_ec2_userdata_swap")
    assert any(r["eventName"] == "ModifyInstanceAttribute" for r in trail)
    windows, _, _ = _evidence(out, truth, "server_operators_binpath")
    assert any(r["EventID"] == 4728 and r["SubjectUserName"].endswith("$") for r in windows)
    assert any(r["EventID"] == 4688 and "binPath=" in r["CommandLine"] for r in windows)
    _, _, trail = _evidence(out, truth, "aws_cloudformation_admin_stack")
    assert {"CreateStack", "CreateUser", "AttachUserPolicy", "CreateAccessKey"} <= {
        r["eventName"] for r in trail
    }


def test_novel24_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "UploadSSHPublicKey" for e in events)
    assert any(e.event_id == "GitPull" for e in events)
    assert any(e.event_id == "ModifyInstanceAttribute" for e in events)
