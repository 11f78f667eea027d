"""Round 21's kinds (``--attacks novel21``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read (``awsRegion`` is written as
CloudTrail writes it; the parser does not keep it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel21_threats import NOVEL21
from schemas.event import Action, Outcome
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel21")
    return out, generate(out, attacks=["novel21"], **SMALL)


def test_novel21_kinds_are_opt_in_only() -> None:
    assert len(NOVEL21) == 7
    assert expand_names(["novel21"]) == list(NOVEL21)
    for group, names in GROUPS.items():
        if group != "novel21":
            assert not set(NOVEL21) & set(names), group
    assert not set(NOVEL21) & (set(ATTACKS) | set(THREATS))
    slow_credential = [k for k in NOVEL21.values() if k.family == "credential_misuse"]
    assert len(slow_credential) >= 3


def test_novel21_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL21)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel21_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    windows, _, _ = _evidence(out, truth, "machine_account_quota")
    (created,) = [r for r in windows if r["EventID"] == 4741]
    assert not created["SubjectUserName"].endswith("$")
    machine = created["TargetUserName"]
    assert any(r["EventID"] == 4768 and r["TargetUserName"] == machine for r in windows)
    assert any(r["EventID"] == 4624 and r["TargetUserName"] == machine for r in windows)
    _, lines, _ = _evidence(out, truth, "su_account_sweep")
    assert (
        len({line.rsplit("(to ", 1)[1].split(")")[0] for line in lines if "FAILED SU" in line}) >= 2
    )
    assert any("su:auth): authentication failure" in line for line in lines)
    _, lines, _ = _evidence(out, truth, "ssh_password_night_slow")
    assert any("Accepted password for" in line for line in lines)
    assert not any("Accepted publickey" in line for line in lines)
    _, _, trail = _evidence(out, truth, "aws_secrets_read_slow")
    assert {r["userIdentity"]["type"] for r in trail} == {"IAMUser"}
    assert {r["eventName"] for r in trail} <= {
        "GetCallerIdentity",
        "GetSecretValue",
        "GetParameter",
    }
    _, _, trail = _evidence(out, truth, "aws_unused_region_compute")
    runs = [r for r in trail if r["eventName"] == "RunInstances"]
    assert len(runs) >= 2 and len({r["awsRegion"] for r in runs}) == len(runs)
    _, lines, _ = _evidence(out, truth, "sudoers_nopasswd")
    assert any("/etc/sudoers.d/" in line for line in lines)
    windows, _, _ = _evidence(out, truth, "second_workstation_concurrent")
    assert {r["EventID"] for r in windows} >= {4768, 4769, 4624, 5140}


def test_novel21_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "4741" and e.device.startswith(("desktop-", "win-", "pc-"))
               for e in events)  # fmt: skip
    failed_su = [e for e in events
                 if e.action is Action.PRIVILEGE_USE and e.outcome is Outcome.FAILURE
                 and e.event_id.startswith("su.")]  # fmt: skip
    assert len({e.target_user for e in failed_su}) >= 2
