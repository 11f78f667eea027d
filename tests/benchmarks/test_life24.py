"""Round 24's opt-in normal life (life24.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life24 import BEHAVIOURS as LIFE24
from schemas.readers import InputReader
from tests.scenario_logs import (
    assert_tagged_episodes,
    windows_records,
    with_and_without_life,
)

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life24"), "life24", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE24)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    _, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    records = windows_records(changed)
    training = [
        r for r in records if r["EventID"] == 4624 and r["Hostname"].lower().startswith("trn-pc")
    ]
    assert len({r["TargetUserName"] for r in training}) >= 4
    skew = [r for r in records if r["EventID"] == 4771 and r.get("Status") == "0x25"]
    assert len(skew) >= 3
    assert any(r["EventID"] == 4741 and r["TargetUserName"] == "GMSA-WEB$" for r in records)
    assert any(r["EventID"] == 4624 and r["TargetUserName"] == "GMSA-WEB$" for r in records)
    assert any(r["Hostname"].lower().startswith("mgmt02") for r in records)
    assert any(str(r.get("IpAddress", "")).startswith("10.21.0.") for r in records)
    trail = "\n".join(
        p.read_text() for p in sorted((changed / "logs" / "cloudtrail").rglob("*")) if p.is_file()
    )
    assert '"awsRegion": "eu-west-1"' in trail or '"awsRegion":"eu-west-1"' in trail
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    assert len(episodes["server_renumbering"]["entities"]["users"]) >= 5
    assert len(episodes["jump_host_move"]["entities"]["users"]) >= 1
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
