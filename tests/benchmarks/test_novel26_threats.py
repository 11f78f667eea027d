"""Round 26's kinds (``--attacks novel26``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read (the 4738's weakened flag, the
computer account's TGT)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evaluate_sets import SETS
from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel26_threats import NOVEL26
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel26")
    return out, generate(out, attacks=["novel26"], **SMALL)


def test_novel26_kinds_are_opt_in_only() -> None:
    assert len(NOVEL26) == 7
    assert expand_names(["novel26"]) == list(NOVEL26)
    for group, names in GROUPS.items():
        if group != "novel26":
            assert not set(NOVEL26) & set(names), group
    assert not set(NOVEL26) & (set(ATTACKS) | set(THREATS))
    families = [k.family for k in NOVEL26.values()]
    assert families.count("credential_misuse") >= 3
    assert families.count("lateral_movement") >= 2
    assert families.count("privilege_abuse") >= 1
    names = [name for name, _ in SETS]
    # appended after round 25's life sets: the earlier sets keep their order
    assert names.index("s751r") == names.index("s731m") + 1
    assert names.index("s761r") == names.index("s751r") + 1


def test_novel26_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL26)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel26_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    _, _, trail = _evidence(out, truth, "aws_roles_anywhere_slow")
    names = [r["eventName"] for r in trail]
    assert "CreateTrustAnchor" in names and names.count("CreateSession") >= 1
    windows, _, _ = _evidence(out, truth, "preauth_disabled_roast_slow")
    changes = [r for r in windows if r["EventID"] == 4738]
    assert [r["UserAccountControl"].strip() for r in changes] == ["%%2096", "%%2064"]
    assert any(r["EventID"] == 4768 and r["PreAuthType"] == "0" for r in windows)
    windows, _, _ = _evidence(out, truth, "legacy_computer_account_slow")
    tgts = [r for r in windows if r["EventID"] == 4768]
    assert tgts and all(r["TargetUserName"].endswith("$") for r in tgts)
    windows, _, _ = _evidence(out, truth, "local_admin_reuse_spread")
    logons = [r for r in windows if r["EventID"] == 4624]
    assert logons and all(r["TargetDomainName"] == r["Hostname"].split(".")[0].upper()
                          for r in logons)  # fmt: skip
    windows, lines, _ = _evidence(out, truth, "ssh_tunnel_rdp_bastion")
    assert any("Accepted publickey" in line for line in lines)
    assert all(r["IpAddress"] == "10.20.1.10" for r in windows if r["EventID"] == 4624)
    _, _, trail = _evidence(out, truth, "aws_codebuild_passrole_admin")
    assert {"CreateProject", "StartBuild", "AttachUserPolicy"} <= {r["eventName"] for r in trail}
    _, lines, _ = _evidence(out, truth, "sudo_tee_cron_root")
    assert any("COMMAND=/usr/bin/tee /etc/app/../cron.d/" in line for line in lines)
    assert any("(root) CMD (" in line for line in lines)


def test_novel26_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "CreateSession" for e in events)
    # the parser keeps the flag the 4738 turned on, and the computer account as a host
    assert any(e.action == Action.ACCOUNT_CHANGE and e.reason == "dont_require_preauth"
               for e in events)  # fmt: skip
    assert any(e.action == Action.AUTH_TICKET and not e.user and e.src_host.startswith(
        ("kiosk-", "lobby-", "print-", "scan-", "pos-")) for e in events)  # fmt: skip
