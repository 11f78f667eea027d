"""Round 17's opt-in normal life (more_life.py): off by default, tagged, real shapes, read back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from benchmarks.scenario import generate
from benchmarks.scenario.more_life import BEHAVIOURS, LIFE_GROUPS, expand
from schemas.readers import InputReader

SMALL = {"seed": 11, "days": 16, "users": 30, "learning_days": 5}


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "logs").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("life")
    generate(root / "plain", attacks=["every"], **SMALL)
    generate(root / "extra", attacks=["every"], life=["extra"], **SMALL)
    return root / "plain", root / "extra"


def test_extra_names_every_behaviour_and_unknown_names_fail() -> None:
    assert expand(["extra"]) == list(BEHAVIOURS) == list(LIFE_GROUPS["extra"])
    assert expand(["office_move", "extra"])[0] == "office_move"
    with pytest.raises(ValueError, match="unknown life"):
        expand(["nightlife"])


def test_default_generation_is_unchanged(life: tuple[Path, Path], tmp_path: Path) -> None:
    plain, _ = life
    generate(tmp_path, attacks=["every"], life=(), **SMALL)
    assert _digests(tmp_path) == _digests(plain)


def test_each_behaviour_is_a_tagged_episode_with_evidence(life: tuple[Path, Path]) -> None:
    plain, extra = life
    before = json.loads((plain / "truth.json").read_text())
    after = json.loads((extra / "truth.json").read_text())
    # the attacks are the same events (the extra life is emitted after them, from its own
    # random streams), and the episodes of the default scenario are still there
    assert [(a["id"], a["events"]) for a in after["attacks"]] == [
        (a["id"], a["events"]) for a in before["attacks"]
    ]
    old = {e["kind"] for e in before["normal_life"]}
    added = [e for e in after["normal_life"] if e["kind"] not in old]
    assert sorted(e["kind"] for e in added) == sorted(BEHAVIOURS)
    for episode in added:
        assert episode["events"] == len(episode["evidence"]) > 0, episode["id"]
        assert episode["entities"], episode["id"]
        assert after["start"] <= episode["start"] <= episode["end"] <= after["end"]
    assert after["events"]["windows"] > before["events"]["windows"]
    assert after["events"]["syslog"] > before["events"]["syslog"]
    assert after["events"]["cloudtrail"] > before["events"]["cloudtrail"]


def test_the_shapes_are_the_real_ones_and_read_back(life: tuple[Path, Path]) -> None:
    _, extra = life
    truth = json.loads((extra / "truth.json").read_text())
    records = [
        json.loads(line)
        for path in sorted((extra / "logs" / "windows").iterdir())
        for line in path.read_text().splitlines()
    ]
    images = {r["NewProcessName"].rsplit("\\", 1)[-1] for r in records if r["EventID"] == 4688}
    assert {"quser.exe", "whoami.exe"} <= images
    resets = [r for r in records if r["EventID"] == 4724 and r["SubjectUserName"] == "svc_vault"]
    assert len({r["TargetUserName"] for r in resets}) >= 4
    failures = [r for r in records if r["EventID"] == 4625 and r["TargetUserName"] == "svc_scan"]
    assert len({r["Hostname"] for r in failures}) >= 3
    syslog = "".join(p.read_text() for p in sorted((extra / "logs" / "linux").iterdir()))
    assert "Accepted publickey for cfgmgmt from 10.20.1.30" in syslog
    assert "Accepted publickey for cfgmgmt from 10.20.1.20" in syslog  # ProxyJump via app01
    trail = [
        r
        for p in sorted((extra / "logs" / "cloudtrail").iterdir())
        for r in json.loads(p.read_text())["Records"]
    ]
    assert any(r["eventName"] == "CreateRole" for r in trail)
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(extra / "logs")])) and not dead, dead[:3]


def test_roaming_laptops_ask_service_tickets_without_a_tgt_at_the_new_address(
    life: tuple[Path, Path],
) -> None:
    _, extra = life
    truth = json.loads((extra / "truth.json").read_text())
    (episode,) = [e for e in truth["normal_life"] if e["kind"] == "roaming_tickets"]
    roamers = set(episode["entities"]["users"])
    assert roamers
    records = [
        json.loads(line)
        for path in sorted((extra / "logs" / "windows").iterdir())
        for line in path.read_text().splitlines()
    ]
    tgts = {(r["TargetUserName"], r["IpAddress"]) for r in records if r["EventID"] == 4768}
    # A service ticket of a roamer from an address no TGT of theirs was ever issued to, and
    # another account's TGT there (the pool lease before).
    moved = {
        (r["TargetUserName"].split("@")[0], r["IpAddress"])
        for r in records
        if r["EventID"] == 4769 and r["TargetUserName"].split("@")[0] in roamers
    } - tgts
    assert moved
    leased = {ip for user, ip in tgts}
    assert any(ip in leased for _, ip in moved)
