"""Round 12's attack kinds (``--attacks fresh``): opt-in, well formed, in the raw formats, read
back without a dead letter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS
from benchmarks.scenario.fresh_threats import FRESH
from schemas.event import Action
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import FAMILIES, SMALL, _evidence


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("fresh")
    return out, generate(out, attacks=["fresh"], **SMALL)


def test_fresh_kinds_are_opt_in_only() -> None:
    assert len(FRESH) == 8
    for group, names in GROUPS.items():
        if group != "fresh":
            assert not set(FRESH) & set(names), group
    assert not set(FRESH) & (set(ATTACKS) | set(THREATS))


def test_fresh_kinds_are_well_formed(fresh: tuple[Path, ScenarioTruth]) -> None:
    _, truth = fresh
    assert [a.name for a in truth.attacks] == list(FRESH)
    assert {a.family for a in truth.attacks} == FAMILIES
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_fresh_kinds_write_their_evidence(fresh: tuple[Path, ScenarioTruth]) -> None:
    out, truth = fresh
    windows, _, _ = _evidence(out, truth, "overpass_the_hash")
    tgts = [r for r in windows if r["EventID"] == 4768]
    assert len(tgts) == 1 and tgts[0]["TicketEncryptionType"] == "0x17"
    assert tgts[0]["PreAuthType"] == "2"  # pre-authenticated with the hash: not roasting
    assert any(r["EventID"] == 4624 and r["LogonType"] == "3" for r in windows)
    windows, _, _ = _evidence(out, truth, "rdp_restricted_admin")
    rdp = [r for r in windows if r["EventID"] == 4624 and r["LogonType"] == "10"]
    assert rdp and all(r["RestrictedAdminMode"] == "%%1842" for r in rdp)
    assert any(r["EventID"] == 4624 and r["LogonType"] == "9" for r in windows)
    windows, _, _ = _evidence(out, truth, "wmiexec_slow")
    shells = [r for r in windows if r["EventID"] == 4688]
    assert shells and all(r["ParentProcessName"].endswith("WmiPrvSE.exe") for r in shells)
    _, lines, _ = _evidence(out, truth, "ssh_stuffing_slow")
    failed = {
        m.group(1)
        for m in map(re.compile(r"Failed password for \S+ from (\S+)").search, lines)
        if m
    }
    assert len(failed) >= 10 and any("Accepted password" in line for line in lines)
    _, lines, _ = _evidence(out, truth, "authorized_keys_root")
    assert any("COMMAND=/usr/bin/tee -a /root/.ssh/authorized_keys" in line for line in lines)
    assert any("Accepted publickey for root" in line for line in lines)
    _, lines, _ = _evidence(out, truth, "ssh_from_workstation")
    assert any("COMMAND=/bin/bash" in line and "lnx-db01" in line for line in lines)
    _, _, trail = _evidence(out, truth, "aws_role_chain")
    chained = [r for r in trail if r["eventName"] == "AssumeRole"]
    assert chained[-1]["userIdentity"]["type"] == "AssumedRole"  # role chaining
    assert chained[-1]["requestParameters"]["roleArn"].endswith(":role/Admin")
    put = [r for r in trail if r["eventName"] == "PutRolePolicy"]
    assert put and json.loads(put[0]["requestParameters"]["policyDocument"])["Statement"]
    _, _, trail = _evidence(out, truth, "aws_login_profile_takeover")
    assert [r["eventName"] for r in trail][:3] == [
        "AssumeRole",
        "GetLoginProfile",
        "UpdateLoginProfile",
    ]


def test_fresh_kinds_read_back_without_dead_letters(fresh: tuple[Path, ScenarioTruth]) -> None:
    out, truth = fresh
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    roles = [e for e in events if e.action is Action.AUTH_TICKET and e.object == "AssumeRole:Admin"]
    assert roles and all(e.privileged for e in roles)
