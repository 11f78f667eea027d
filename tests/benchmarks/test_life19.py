"""Round 19's opt-in normal life (life19.py): off by default, --life extra unchanged, tagged,
real shapes, read back; the re-lived people keep their habits."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.scenario import generate
from benchmarks.scenario.life19 import BEHAVIOURS as LIFE19
from benchmarks.scenario.more_life import LIFE_GROUPS, expand
from schemas.readers import InputReader
from tests.scenario_logs import windows_records, with_and_without_life

SMALL = {"seed": 11, "days": 30, "users": 40, "learning_days": 5}


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "logs").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return with_and_without_life(tmp_path_factory.mktemp("life19"), "life19", **SMALL)


def test_life19_names_its_behaviours_and_leaves_extra_as_it_was() -> None:
    assert expand(["life19"]) == list(LIFE19)
    assert LIFE_GROUPS["life19"] == tuple(LIFE19)
    assert not set(LIFE19) & set(LIFE_GROUPS["extra"])
    assert expand(["extra", "night_shift"])[-1] == "night_shift"


def test_each_behaviour_is_a_tagged_episode_and_the_attacks_stay(life: tuple[Path, Path]) -> None:
    plain, changed = life
    before = json.loads((plain / "truth.json").read_text())
    after = json.loads((changed / "truth.json").read_text())
    assert [(a["id"], a["events"]) for a in after["attacks"]] == [
        (a["id"], a["events"]) for a in before["attacks"]
    ]
    added = {e["kind"] for e in after["normal_life"]} - {e["kind"] for e in before["normal_life"]}
    assert added == set(LIFE19)
    for episode in after["normal_life"]:
        if episode["kind"] in LIFE19:
            assert episode["events"] == len(episode["evidence"]) > 0, episode["id"]
            assert episode["entities"].get("users"), episode["id"]


def test_leave_takes_the_days_out_and_the_refresh_moves_the_team(life: tuple[Path, Path]) -> None:
    plain, changed = life
    truth = json.loads((changed / "truth.json").read_text())
    episodes = {e["kind"]: e for e in truth["normal_life"]}
    records, old = windows_records(changed), windows_records(plain)

    def days_seen(rows: list[dict[str, Any]], user: str) -> set[str]:
        return {r["@timestamp"][:10] for r in rows if r.get("TargetUserName") == user}

    for user in episodes["long_leave"]["entities"]["users"]:
        gone = days_seen(old, user) - days_seen(records, user)
        assert len(gone) >= 8, user  # weeks of working days without a single sign-in
    new_hosts = {h.upper() for h in episodes["laptop_refresh"]["entities"]["hosts"]}
    joined = {r["TargetUserName"].rstrip("$") for r in records if r["EventID"] == 4741}
    assert new_hosts <= joined
    used = {r["Hostname"].split(".")[0].upper() for r in records if r["EventID"] == 4624}
    assert new_hosts <= used
    changes = [r for r in records if r["EventID"] == 4723]
    assert len(changes) == len(episodes["password_expiry"]["entities"]["users"]) > 0
    services = {r["ServiceName"] for r in records if r["EventID"] == 7045}
    assert "BackupAgentSvc" in services
    dead: list[object] = []
    reader = InputReader(tenant=truth["tenant"], sink=dead.append)
    assert list(reader.read_paths([str(changed / "logs")])) and not dead, dead[:3]


def test_default_generation_is_unchanged(life: tuple[Path, Path], tmp_path: Path) -> None:
    plain, _ = life
    generate(tmp_path, attacks=["every"], life=(), **SMALL)
    assert _digests(tmp_path) == _digests(plain)
