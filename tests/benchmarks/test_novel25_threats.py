"""Round 25's kinds (``--attacks novel25``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evaluate_sets import SETS
from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel25_threats import NOVEL25
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel25")
    return out, generate(out, attacks=["novel25"], **SMALL)


def test_novel25_kinds_are_opt_in_only() -> None:
    assert len(NOVEL25) == 7
    assert expand_names(["novel25"]) == list(NOVEL25)
    for group, names in GROUPS.items():
        if group != "novel25":
            assert not set(NOVEL25) & set(names), group
    assert not set(NOVEL25) & (set(ATTACKS) | set(THREATS))
    families = [k.family for k in NOVEL25.values()]
    assert families.count("credential_misuse") >= 3
    assert families.count("lateral_movement") >= 2
    assert families.count("privilege_abuse") >= 1
    names = [name for name, _ in SETS]
    # appended after round 24's life sets: the earlier sets keep their order
    assert names.index("s691r") == names.index("s671m") + 1
    assert names.index("s701r") == names.index("s691r") + 1


def test_novel25_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL25)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel25_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    windows, _, _ = _evidence(out, truth, "silver_ticket_slow")
    logons = [r for r in windows if r["EventID"] == 4624]
    assert logons and all(r["AuthenticationPackageName"] == "Kerberos" for r in logons)
    assert not any(r["EventID"] in (4768, 4769) for r in windows)  # the DC issued nothing
    _, lines, _ = _evidence(out, truth, "ssh_concurrent_session_slow")
    assert sum("Accepted publickey" in line for line in lines) >= 3  # own, second, hop
    _, _, trail = _evidence(out, truth, "aws_sso_device_code_slow")
    names = [r["eventName"] for r in trail]
    assert "CreateToken" in names and "GetRoleCredentials" in names
    _, lines, _ = _evidence(out, truth, "postgres_key_hop")
    assert any("USER=postgres" in line for line in lines)
    assert any("Accepted publickey for postgres from 10.20.1.21" in line for line in lines)
    windows, _, _ = _evidence(out, truth, "wmi_subscription_push")
    assert any(r["EventID"] == 4688 and r["ParentProcessName"].endswith("WmiPrvSE.exe")
               for r in windows)  # fmt: skip
    _, _, trail = _evidence(out, truth, "lambda_code_swap_admin")
    assert {"UpdateFunctionCode20150331v2", "CreateAccessKey"} <= {r["eventName"] for r in trail}
    windows, _, _ = _evidence(out, truth, "backup_operator_hive_save")
    assert any(r["EventID"] == 5145 and r["RelativeTargetName"] == "winreg" for r in windows)
    assert any(r["EventID"] == 4662 and r["SubjectUserName"].endswith("$") for r in windows)


def test_novel25_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "CreateToken" for e in events)
    assert any(e.event_id == "GetRoleCredentials" for e in events)
    assert any(e.event_id.startswith("UpdateFunctionCode") for e in events)
