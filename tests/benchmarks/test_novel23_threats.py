"""Round 23's kinds (``--attacks novel23``): opt-in, well formed, in the raw formats, read back
without a dead letter, and parsed into what the detectors read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.evaluate_sets import SETS
from benchmarks.scenario import ATTACKS, THREATS, ScenarioTruth, generate
from benchmarks.scenario.attacks import GROUPS, expand_names
from benchmarks.scenario.novel23_threats import NOVEL23
from schemas.readers import InputReader
from tests.benchmarks.test_scenario import SMALL, _evidence


@pytest.fixture(scope="module")
def novel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScenarioTruth]:
    out = tmp_path_factory.mktemp("novel23")
    return out, generate(out, attacks=["novel23"], **SMALL)


def test_novel23_kinds_are_opt_in_only() -> None:
    assert len(NOVEL23) == 7
    assert expand_names(["novel23"]) == list(NOVEL23)
    for group, names in GROUPS.items():
        if group != "novel23":
            assert not set(NOVEL23) & set(names), group
    assert not set(NOVEL23) & (set(ATTACKS) | set(THREATS))
    families = [k.family for k in NOVEL23.values()]
    assert families.count("credential_misuse") >= 3
    assert families.count("lateral_movement") >= 2
    assert families.count("privilege_abuse") >= 1
    names = [name for name, _ in SETS]
    # appended after round 22's life sets: the earlier sets keep their order
    assert names.index("s481r") == names.index("s471k") + 1
    assert names.index("s491r") == names.index("s481r") + 1


def test_novel23_kinds_are_well_formed(novel: tuple[Path, ScenarioTruth]) -> None:
    _, truth = novel
    assert [a.name for a in truth.attacks] == list(NOVEL23)
    for attack in truth.attacks:
        assert attack.entities and all(attack.entities.values()), attack.id
        assert all(all(v) for v in attack.entities.values()), attack.id  # no empty ids
        assert truth.learning_end <= attack.start <= attack.end <= truth.end, attack.id
        assert attack.events == len(attack.evidence) > 0, attack.id


def test_novel23_kinds_write_their_evidence(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    _, lines, _ = _evidence(out, truth, "ssh_new_key_slow")
    prints = {line.rsplit("SHA256:", 1)[1] for line in lines if "Accepted publickey" in line}
    assert len(prints) == 2  # the victim's own key once, then the planted one
    _, _, trail = _evidence(out, truth, "aws_federation_token_slow")
    assert sum(r["eventName"] == "GetFederationToken" for r in trail) >= 2
    assert any(r["userIdentity"]["type"] == "FederatedUser" for r in trail)
    _, _, trail = _evidence(out, truth, "aws_mfa_device_swap")
    assert {"EnableMFADevice", "DeactivateMFADevice"} <= {r["eventName"] for r in trail}
    assert sum(r["eventName"] == "ConsoleLogin" for r in trail) >= 2
    windows, _, _ = _evidence(out, truth, "rdp_loopback_tunnel")
    assert any(
        r["EventID"] == 4624 and r["LogonType"] == "10" and r["IpAddress"] == "127.0.0.1"
        for r in windows
    )
    _, _, trail = _evidence(out, truth, "aws_cross_account_pivot")
    assert len({r["recipientAccountId"] for r in trail}) >= 3
    windows, _, _ = _evidence(out, truth, "user_right_debug_grant")
    assert sum(r["EventID"] == 4704 for r in windows) == 2
    assert any(r["EventID"] == 4672 and "SeDebugPrivilege" in r["PrivilegeList"] for r in windows)
    windows, _, _ = _evidence(out, truth, "dnsadmins_plugin_dll")
    assert any(r["EventID"] == 4732 and r["TargetUserName"] == "DnsAdmins" for r in windows)
    assert any(r["EventID"] == 4688 and "serverlevelplugindll" in r["CommandLine"] for r in windows)


def test_novel23_kinds_read_back(novel: tuple[Path, ScenarioTruth]) -> None:
    out, truth = novel
    dead: list[object] = []
    reader = InputReader(tenant=truth.tenant, sink=dead.append)
    events = list(reader.read_paths([str(out / "logs")]))
    assert events and not dead, dead[:3]
    assert any(e.event_id == "GetFederationToken" for e in events)
    assert any(e.event_id == "EnableMFADevice" for e in events)
