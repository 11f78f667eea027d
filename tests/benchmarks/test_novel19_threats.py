"""Round 19's kinds (``--attacks novel19``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read (the hijack's 4778 is written as
Windows does and dropped by the parser, on purpose)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel19_threats import NOVEL19
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel19")
    return out, generate(out, attacks=["novel19"], **SMALL)


def test_novel19_kinds_are_opt_in_only() -> None:
    assert len(NOVEL19) == 7
    assert expand_names(["novel19"]) == list(NOVEL19)
    for group, names in GROUPS.items():
        if group != "novel19":
            assert not set(NOVEL19) & set(names), group
    assert not set(NOVEL19) & (set(ATTACKS) | set(THREATS))
    families = {kind.family for kind in NOVEL19.values()}
    assert families == {"credential_misuse", "privilege_abuse", "lateral_movement"}


def test_novel19_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL19)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel19_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    _, _, trail = _evidence(out, truth, "aws_session_token_replay")
    # The victim's own AssumeRole, then that session's key used from another address.
    (own, *_) = [r for r in trail if r["eventName"] == "AssumeRole"]
    replayed = [r for r in trail if r["userIdentity"]["type"] == "AssumedRole"]
    assert replayed and {r["sourceIPAddress"] for r in replayed} != {own["sourceIPAddress"]}
    assert all(r["userIdentity"]["accessKeyId"].startswith("ASIA") for r in replayed)
    windows, _, _ = _evidence(out, truth, "ntlm_spray_slow")
    failures = [r for r in windows if r["EventID"] == 4776 and r["Status"] != "0x0"]
    assert len({r["TargetUserName"] for r in failures}) >= 5  # a 14-person organisation
    assert any(r["EventID"] == 4776 and r["Status"] == "0x0" for r in windows)
    windows, _, _ = _evidence(out, truth, "sid_history_injection")
    (added,) = [r for r in windows if r["EventID"] == 4765]
    assert added["SidList"].endswith("-512}")
    assert any(r["EventID"] == 4672 for r in windows)
    _, _, trail = _evidence(out, truth, "aws_trust_policy_backdoor")
    assert any(r["eventName"] == "UpdateAssumeRolePolicy" for r in trail)
    assert any(r["userIdentity"]["type"] == "AWSAccount" for r in trail)
    windows, _, _ = _evidence(out, truth, "nested_group_shadow_admin")
    assert any(r["EventID"] == 4728 for r in windows)
    windows, _, _ = _evidence(out, truth, "rdp_session_hijack")
    assert {4778, 7045, 4697} <= {r["EventID"] for r in windows}
    assert any(r["EventID"] == 4688 and r["NewProcessName"].endswith("tscon.exe") for r in windows)
    windows, _, _ = _evidence(out, truth, "webapp_service_pivot")
    assert {4776, 4624, 5140, 4698} <= {r["EventID"] for r in windows}


def test_novel19_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.action is Action.ACCOUNT_CHANGE and e.object == "sid_history_added"
               and e.privileged for e in events)  # fmt: skip
    assert any(e.event_id == "UpdateAssumeRolePolicy" and e.privileged
               and e.reason.startswith("outside account ") for e in events)  # fmt: skip
    assert any(e.event_id == "AssumeRole" and e.user.startswith("aida") for e in events)
    assert not any(e.event_id == "4778" for e in events)  # RDP reconnect: not read
