"""Round 17's kinds (``--attacks novel17``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel_threats import NOVEL17
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel17")
    return out, generate(out, attacks=["novel17"], **SMALL)


def test_novel17_kinds_are_opt_in_only() -> None:
    assert len(NOVEL17) == 8
    assert expand_names(["novel17"]) == list(NOVEL17)
    for group, names in GROUPS.items():
        if group != "novel17":
            assert not set(NOVEL17) & set(names), group
    assert not set(NOVEL17) & (set(ATTACKS) | set(THREATS))
    families = {kind.family for kind in NOVEL17.values()}
    assert families == {"credential_misuse", "privilege_abuse", "lateral_movement"}


def test_novel17_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL17)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel17_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    windows, _, _ = _evidence(out, truth, "helpdesk_reset_takeover")
    assert any(r["EventID"] == 4724 for r in windows)
    assert any(
        r["EventID"] == 4624 and r["WorkstationName"].startswith("DESKTOP-") for r in windows
    )
    _, _, trail = _evidence(out, truth, "aws_console_no_mfa_slow")
    logins = [r for r in trail if r["eventName"] == "ConsoleLogin"]
    assert len(logins) >= 2 and all(r["additionalEventData"]["MFAUsed"] == "No" for r in logins)
    assert len({r["eventTime"][:10] for r in logins}) >= 2  # over days
    windows, _, _ = _evidence(out, truth, "shadow_credentials")
    assert any(r.get("AttributeLDAPDisplayName") == "msDS-KeyCredentialLink" for r in windows)
    assert any(r["EventID"] == 4768 and r["PreAuthType"] == "16" for r in windows)
    windows, _, _ = _evidence(out, truth, "rbcd_delegation")
    assert {4741, 5136, 4769} <= {r["EventID"] for r in windows}
    assert any(r.get("TransmittedServices", "-") != "-" for r in windows if r["EventID"] == 4769)
    _, _, trail = _evidence(out, truth, "aws_policy_version_default")
    (version,) = [r for r in trail if r["eventName"] == "CreatePolicyVersion"]
    assert version["requestParameters"]["setAsDefault"] is True
    assert json.loads(version["requestParameters"]["policyDocument"])["Statement"][0][
        "Action"
    ] == "*"  # fmt: skip
    _, lines, _ = _evidence(out, truth, "linux_uid0_account")
    assert any("useradd -o -u 0" in line for line in lines)
    assert any("UID=0" in line for line in lines)
    windows, _, _ = _evidence(out, truth, "pass_the_ticket")
    assert any(r["EventID"] == 4769 for r in windows)
    assert not any(r["EventID"] in (4768, 4648) for r in windows)  # no TGT, no typed password
    windows, _, _ = _evidence(out, truth, "rdp_server_to_workstation")
    rdp = [r for r in windows if r["EventID"] == 4624 and r["LogonType"] == "10"]
    assert rdp and all(r["Hostname"].split(".")[0].upper().find("WS") >= 0 for r in rdp)


def test_novel17_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    changes = {e.object for e in events if e.action is Action.POLICY_CHANGE and e.privileged}
    assert {"msDS-KeyCredentialLink", "msDS-AllowedToActOnBehalfOfOtherIdentity"} <= changes
    assert any(e.action is Action.ACCOUNT_CHANGE and e.object == "created" and e.privileged
               and e.event_id == "useradd.new_user" for e in events)  # fmt: skip
    assert any(e.action is Action.POLICY_CHANGE and e.object.startswith("CreatePolicyVersion")
               and e.privileged for e in events)  # fmt: skip
