"""Round 20's Linux and AWS kinds (``--attacks novel20c``): opt-in, well formed, in the raw
formats, read back without a dead letter (sshd's ``Connection closed by authenticating user``
line of a refused key is written as sshd does and dropped by the parser, on purpose)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel20c_threats import NOVEL20C
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import RFC3164, SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel20c")
    return out, generate(out, attacks=["novel20c"], **SMALL)


def test_novel20c_kinds_are_opt_in_only() -> None:
    assert len(NOVEL20C) == 7
    assert expand_names(["novel20c"]) == list(NOVEL20C)
    for group, names in GROUPS.items():
        if group != "novel20c":
            assert not set(NOVEL20C) & set(names), group
    assert not set(NOVEL20C) & (set(ATTACKS) | set(THREATS))
    families = {kind.family for kind in NOVEL20C.values()}
    assert families == {"credential_misuse", "privilege_abuse", "lateral_movement"}


def test_novel20c_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL20C)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel20c_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    _, _, trail = _evidence(out, truth, "aws_instance_credentials_outside")
    assert {r["userIdentity"]["type"] for r in trail} == {"AssumedRole"}
    assert all(r["userIdentity"]["accessKeyId"].startswith("ASIA") for r in trail)
    _, lines, _ = _evidence(out, truth, "ssh_key_spray_internal")
    assert all(RFC3164.match(line) for line in lines)
    assert any("Connection closed by authenticating user" in line for line in lines)
    assert any("Accepted publickey for" in line and "10.20.1.20" in line for line in lines)
    _, lines, _ = _evidence(out, truth, "pkexec_root")
    assert any(" pkexec[" in line and "[USER=root]" in line for line in lines)
    _, _, trail = _evidence(out, truth, "aws_trail_blinding")
    assert any(r["eventName"] == "PutEventSelectors" for r in trail)
    _, _, trail = _evidence(out, truth, "aws_bucket_policy_outside")
    assert any(r["eventName"] == "PutBucketPolicy" for r in trail)
    assert any(r["userIdentity"]["type"] == "AWSAccount" for r in trail)
    _, _, trail = _evidence(out, truth, "lambda_admin_role")
    assert {"CreateFunction20150331", "CreateUser", "AttachUserPolicy"} <= {
        r["eventName"] for r in trail
    }
    _, lines, trail = _evidence(out, truth, "ec2_instance_connect_ssh")
    assert any(r["eventName"] == "SendSSHPublicKey" for r in trail)
    assert any("Accepted publickey for ec2-user" in line for line in lines)


def test_novel20c_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "SendSSHPublicKey" and e.target_user == "ec2-user" for e in events)
