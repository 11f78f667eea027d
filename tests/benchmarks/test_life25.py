"""Round 25's opt-in normal life (life25.py): off by default, the other groups unchanged, tagged,
real shapes, read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.scenario.life25 import BEHAVIOURS as LIFE25
from schemas.readers import InputReader
from tests.scenario_logs import (
    assert_tagged_episodes,
    windows_records,
    with_and_without_life,
)

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life25"), "life25", **SMALL)


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    assert_tagged_episodes(*life, LIFE25)


def test_the_behaviours_leave_their_marks_in_the_raw_logs(life: tuple[Path, Path]) -> None:
    _, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    records = windows_records(changed)
    polls = [r for r in records if r["EventID"] == 4624 and r["TargetUserName"] == "svc_monitor"]
    assert len({r["Hostname"] for r in polls}) >= 5
    assert any(
        r["EventID"] == 4688 and "shutdown.exe /r" in str(r.get("CommandLine", "")) for r in records
    )
    assert any(r["Hostname"].lower().startswith("dc03") and r["EventID"] == 4769 for r in records)
    syslog = "\n".join(p.read_text() for p in sorted((changed / "logs" / "linux").iterdir()))
    assert "systemctl reboot" in syslog
    trail = "\n".join(
        p.read_text() for p in sorted((changed / "logs" / "cloudtrail").rglob("*")) if p.is_file()
    )
    assert "SecurityAuditTool" in trail and "GetAccessKeyLastUsed" in trail
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    assert len(episodes["office_closure"]["entities"]["users"]) >= 5
    assert len(episodes["isp_renumbering"]["entities"]["users"]) >= 2
    assert len(episodes["new_domain_controller"]["entities"]["users"]) >= 5
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]
