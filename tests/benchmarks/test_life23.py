"""Round 23's opt-in normal life (life23.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life23 import BEHAVIOURS as LIFE23
from schemas.readers import InputReader
from tests.scenario_logs import (
    assert_tagged_episodes,
    windows_records,
    with_and_without_life,
)

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life23"), "life23", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE23)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    _, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    records = windows_records(changed)
    sensor = {
        r["Hostname"]
        for r in records
        if r["EventID"] == 7045 and r.get("ServiceName") == "SentinelSensor"
    }
    assert len(sensor) >= 20
    batch = [r for r in records if r["EventID"] == 4625 and r.get("LogonType") == "4"]
    assert len(batch) >= 20 and {r["TargetUserName"] for r in batch} == {"svc_web"}
    fs03 = [r for r in records if r["Hostname"].lower().startswith("fs03")]
    assert len({r.get("TargetUserName") for r in fs03 if r["EventID"] == 4624}) >= 5
    syslog = "\n".join(p.read_text() for p in sorted((changed / "logs" / "linux").iterdir()))
    assert "bastion02" in syslog and "from 10.20.1.12 " in syslog
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    # the moves name the people they moved (the scorer's fallback to entity and time)
    assert len(episodes["bastion_replacement"]["entities"]["users"]) >= 5
    assert len(episodes["file_server_cutover"]["entities"]["users"]) >= 5
    trail = "\n".join(
        p.read_text() for p in sorted((changed / "logs" / "cloudtrail").rglob("*")) if p.is_file()
    )
    assert "CreateAccessKey" in trail and "DeleteAccessKey" in trail
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
