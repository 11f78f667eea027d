"""Round 26's opt-in normal life (life26.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario import generate
from benchmarks.scenario.life19 import BEHAVIOURS as LIFE19
from benchmarks.scenario.life20 import BEHAVIOURS as LIFE20
from benchmarks.scenario.life22 import BEHAVIOURS as LIFE22
from benchmarks.scenario.life23 import BEHAVIOURS as LIFE23
from benchmarks.scenario.life24 import BEHAVIOURS as LIFE24
from benchmarks.scenario.life25 import BEHAVIOURS as LIFE25
from benchmarks.scenario.life26 import BEHAVIOURS as LIFE26
from benchmarks.scenario.more_life import LIFE_GROUPS, expand
from schemas.readers import InputReader
from tests.scenario_logs import log_files, windows_records, with_and_without_life

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life26"), "life26", **SMALL)


def test_life26_names_its_behaviours_apart_from_the_older_groups() -> None:
    assert expand(["life26"]) == list(LIFE26)
    assert LIFE_GROUPS["life26"] == tuple(LIFE26)
    older = (
        set(LIFE_GROUPS["extra"])
        | set(LIFE19)
        | set(LIFE20)
        | set(LIFE22)
        | set(LIFE23)
        | set(LIFE24)
        | set(LIFE25)
    )
    assert not set(LIFE26) & older
    assert expand(["life25"]) == list(LIFE25)


def test_life26_generates_the_same_logs_twice(tmp_path: Path) -> None:
    generate(tmp_path / "a", attacks=["every"], life=["life26"], **SMALL)
    generate(tmp_path / "b", attacks=["every"], life=["life26"], **SMALL)
    assert log_files(tmp_path / "a") == log_files(tmp_path / "b")


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    plain, changed = life
    before = json.loads((plain / "truth.json").read_text())
    after = json.loads((changed / "truth.json").read_text())
    assert [(a["id"], a["events"]) for a in after["attacks"]] == [
        (a["id"], a["events"]) for a in before["attacks"]
    ]
    added = {e["kind"] for e in after["normal_life"]} - {e["kind"] for e in before["normal_life"]}
    assert added == set(LIFE26)
    for episode in after["normal_life"]:
        if episode["kind"] in LIFE26:
            assert episode["events"] == len(episode["evidence"]) > 0, episode["id"]
            assert episode["entities"], episode["id"]


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
