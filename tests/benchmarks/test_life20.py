"""Round 20's opt-in normal life (life20.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life20 import BEHAVIOURS as LIFE20
from schemas.readers import InputReader
from tests.scenario_logs import assert_tagged_episodes, windows_records, with_and_without_life

SMALL = {"seed": 13, "days": 30, "users": 40, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life20"), "life20", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE20)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    plain, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    records = windows_records(changed)
    removed = [r for r in records if r["EventID"] == 4729]
    assert len(removed) >= 10  # the access review's afternoon
    assert {r["SubjectUserName"] for r in removed} == {removed[0]["SubjectUserName"]}
    dr = {r["IpAddress"] for r in records if r["EventID"] == 4624 and "10.40.0." in r["IpAddress"]}
    assert len(dr) >= 3  # DR web servers, DR backup host, MGMT01 -> DR hosts is not 10.40
    start = truth["learning_end"][:10]
    old_pool = [
        r
        for r in records
        if r["@timestamp"][:10] > start and str(r.get("IpAddress", "")).startswith("10.30.")
    ]
    new_pool = [r for r in records if str(r.get("IpAddress", "")).startswith("10.31.")]
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    change_day = episodes["vpn_change"]["start"][:10]
    assert new_pool and not [r for r in old_pool if r["@timestamp"][:10] >= change_day]
    assert [r for r in windows_records(plain) if str(r.get("IpAddress", "")).startswith("10.30.")]
    commands = {r.get("CommandLine") for r in records if r["EventID"] == 4688}
    assert "UsoClient.exe StartInstall" in commands
    auditor = episodes["auditor_sweep"]["entities"]["users"][0]
    shares = {
        (r["Hostname"], r["ShareName"])
        for r in records
        if r["EventID"] == 5145 and r["SubjectUserName"] == auditor
    }
    assert len(shares) >= 10
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
