"""Round 22's opt-in normal life (life22.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario import generate
from benchmarks.scenario.life19 import BEHAVIOURS as LIFE19
from benchmarks.scenario.life20 import BEHAVIOURS as LIFE20
from benchmarks.scenario.life22 import BEHAVIOURS as LIFE22
from benchmarks.scenario.more_life import LIFE_GROUPS, expand
from schemas.readers import InputReader
from tests.scenario_logs import log_files, windows_records, with_and_without_life

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life22"), "life22", **SMALL)


def test_life22_names_its_behaviours_apart_from_the_older_groups() -> None:
    assert expand(["life22"]) == list(LIFE22)
    assert LIFE_GROUPS["life22"] == tuple(LIFE22)
    assert not set(LIFE22) & (set(LIFE_GROUPS["extra"]) | set(LIFE19) | set(LIFE20))
    assert expand(["life20"]) == list(LIFE20)


def test_a_life_group_generates_the_same_logs_twice(tmp_path: Path) -> None:
    generate(tmp_path / "a", attacks=["every"], life=["life20"], **SMALL)
    generate(tmp_path / "b", attacks=["every"], life=["life20"], **SMALL)
    assert log_files(tmp_path / "a") == log_files(tmp_path / "b")


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    plain, changed = life
    before = json.loads((plain / "truth.json").read_text())
    after = json.loads((changed / "truth.json").read_text())
    assert [(a["id"], a["events"]) for a in after["attacks"]] == [
        (a["id"], a["events"]) for a in before["attacks"]
    ]
    added = {e["kind"] for e in after["normal_life"]} - {e["kind"] for e in before["normal_life"]}
    assert added == set(LIFE22)
    for episode in after["normal_life"]:
        if episode["kind"] in LIFE22:
            assert episode["events"] == len(episode["evidence"]) > 0, episode["id"]
            assert episode["entities"], episode["id"]


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
