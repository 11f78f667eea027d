"""Round 20's Windows / AD kinds (``--attacks novel20w``): opt-in, well formed, in the raw
formats, read back without a dead letter, and parsed into what the detectors read (4886/4887,
certificate services, are written as the CA writes them and dropped by the parser)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel20w_threats import NOVEL20W
from schemas.event import Action
from schemas.parsers.windows import DS_PROPERTY_READ
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel20w")
    return out, generate(out, attacks=["novel20w"], **SMALL)


def test_novel20w_kinds_are_opt_in_only() -> None:
    assert len(NOVEL20W) == 6
    assert expand_names(["novel20w"]) == list(NOVEL20W)
    for group, names in GROUPS.items():
        if group != "novel20w":
            assert not set(NOVEL20W) & set(names), group
    assert not set(NOVEL20W) & (set(ATTACKS) | set(THREATS))
    families = {kind.family for kind in NOVEL20W.values()}
    assert families == {"credential_misuse", "privilege_abuse", "lateral_movement"}


def test_novel20w_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL20W)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel20w_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    windows, _, _ = _evidence(out, truth, "golden_ticket")
    assert not any(r["EventID"] == 4768 for r in windows)  # a forged TGT: none was issued
    assert any(r["EventID"] == 4769 and r["TicketEncryptionType"] == "0x17" for r in windows)
    windows, _, _ = _evidence(out, truth, "laps_password_read")
    reads = [r for r in windows if r["EventID"] == 4662]
    assert reads and all(r["AccessMask"] == "0x10" for r in reads)
    assert any(r["EventID"] == 4624 and r["TargetUserName"] == "Administrator" for r in windows)
    windows, _, _ = _evidence(out, truth, "adcs_san_impersonation")
    assert {4886, 4887} <= {r["EventID"] for r in windows}
    (pkinit,) = [r for r in windows if r["EventID"] == 4768]
    assert pkinit["PreAuthType"] == "16" and pkinit["CertIssuerName"]
    windows, _, _ = _evidence(out, truth, "ntds_ifm_dump")
    assert any(r["EventID"] == 4688 and "ifm" in r["CommandLine"] for r in windows)
    assert any(r["EventID"] == 5145 and r["RelativeTargetName"].endswith("ntds.dit")
               for r in windows)  # fmt: skip
    windows, _, _ = _evidence(out, truth, "gpo_immediate_task")
    assert any(r["EventID"] == 5136 and r["ObjectClass"] == "groupPolicyContainer"
               for r in windows)  # fmt: skip
    tasks = [r for r in windows if r["EventID"] == 4698]
    assert len({r["Hostname"] for r in tasks}) >= 3
    assert all(r["SubjectUserName"].endswith("$") for r in tasks)  # the computers themselves
    windows, _, _ = _evidence(out, truth, "delegation_coercion")
    dc_logons = [r for r in windows if r["EventID"] == 4624 and r["TargetUserName"].endswith("$")]
    assert len(dc_logons) == 2
    assert any(r["EventID"] == 4662 and r["SubjectUserName"].endswith("$") for r in windows)


def test_novel20w_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "4768" and e.logon_type == "16" for e in events)  # PKINIT
    assert any(e.event_id == "4662" and e.reason == DS_PROPERTY_READ for e in events)
    assert any(e.action is Action.SHARE_ACCESS and e.object.endswith("ntds.dit")
               for e in events)  # fmt: skip
    assert not any(e.event_id in ("4886", "4887") for e in events)  # certificate services
