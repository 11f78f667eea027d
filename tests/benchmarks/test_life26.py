"""Round 26's opt-in normal life (life26.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life26 import BEHAVIOURS as LIFE26
from schemas.readers import InputReader
from tests.scenario_logs import (
    assert_tagged_episodes,
    windows_records,
    with_and_without_life,
)

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life26"), "life26", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE26)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    _, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    records = windows_records(changed)
    vdi = {r["Hostname"] for r in records if r["Hostname"].lower().startswith("vdi-")}
    assert len(vdi) >= 5  # a new desktop name every day
    assert any(
        r["EventID"] == 4624
        and r["TargetUserName"] == "t1_srvadmin"
        and str(r["LogonType"]) == "10"
        for r in records
    )
    assert any(r["EventID"] == 4724 and r["TargetUserName"].startswith("t1_") for r in records)
    sync = [r for r in records if r["EventID"] == 4662 and r["SubjectUserName"] == "svc_adsync"]
    assert len(sync) > 100
    assert any(
        r["Hostname"].lower().startswith("print02") and r["EventID"] == 5140 for r in records
    )
    assert any(r["EventID"] == 4768 and r.get("PreAuthType") == "16" for r in records)
    syslog = "\n".join(p.read_text() for p in sorted((changed / "logs" / "linux").iterdir()))
    runners = {
        line.split(" from ")[1].split()[0]
        for line in syslog.splitlines()
        if "Accepted publickey for deploy from 10.20.2." in line
    }
    assert len(runners) >= 10
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    assert len(episodes["smartcard_rollout"]["entities"]["users"]) >= 3
    assert len(episodes["print_server_migration"]["entities"]["users"]) >= 5
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
