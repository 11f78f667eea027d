"""Round 22's opt-in normal life (life22.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life22 import BEHAVIOURS as LIFE22
from schemas.readers import InputReader
from tests.scenario_logs import (
    assert_tagged_episodes,
    windows_records,
    with_and_without_life,
)

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life22"), "life22", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE22)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    _, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    records = windows_records(changed)
    resets = [r for r in records if r["EventID"] == 4724]
    helpdesk = episodes["phish_reset_wave"]["entities"]["users"][0]
    assert len([r for r in resets if r["SubjectUserName"] == helpdesk]) >= 3
    responder = episodes["ir_sweep"]["entities"]["users"][0]
    swept = {
        r["Hostname"]
        for r in records
        if r["EventID"] == 4688 and "triage.ps1" in str(r.get("CommandLine"))
    }
    assert len(swept) >= 10 and responder
    merged = [r for r in records if str(r.get("IpAddress", "")).startswith("10.60.")]
    assert len({r["TargetUserName"] for r in merged if r["EventID"] == 4624}) >= 5
    syslog = "\n".join(p.read_text() for p in sorted((changed / "logs" / "linux").iterdir()))
    assert "k8s-node-b01" in syslog
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
