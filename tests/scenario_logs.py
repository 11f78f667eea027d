"""Generated scenarios for the scenario tests, and what they wrote read back: the Windows records
and every log file's bytes (the opt-in groups' tests compare runs and count marks with these)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks.scenario import generate


def windows_records(root: Path) -> list[dict[str, Any]]:
    """Every Windows JSON record under ``root/logs/windows``, file by file, in file order."""
    return [
        json.loads(line)
        for path in sorted((root / "logs" / "windows").iterdir())
        for line in path.read_text().splitlines()
    ]


def log_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root/logs`` by its path relative to ``root``: two runs compare equal
    only if they wrote the same logs."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "logs").rglob("*"))
        if p.is_file()
    }


def with_and_without_life(root: Path, group: str, **options: Any) -> tuple[Path, Path]:
    """The same scenario (every attack kind) generated under ``root`` without, then with, the
    opt-in normal-life ``group``: the two directories."""
    generate(root / "plain", attacks=["every"], **options)
    generate(root / group, attacks=["every"], life=[group], **options)
    return root / "plain", root / group


def assert_tagged_episodes(plain: Path, changed: Path, behaviours: Iterable[str]) -> None:
    """What an opt-in normal-life group must do to a scenario (``plain`` without it, ``changed``
    with it): add exactly its ``behaviours`` as normal-life episodes, each with its evidence
    counted and its entities named, and leave every attack (id and events) as it was."""
    before = json.loads((plain / "truth.json").read_text())
    after = json.loads((changed / "truth.json").read_text())
    assert [(a["id"], a["events"]) for a in after["attacks"]] == [
        (a["id"], a["events"]) for a in before["attacks"]
    ]
    added = {e["kind"] for e in after["normal_life"]} - {e["kind"] for e in before["normal_life"]}
    assert added == set(behaviours)
    for episode in after["normal_life"]:
        if episode["kind"] in added:
            assert episode["events"] == len(episode["evidence"]) > 0, episode["id"]
            assert episode["entities"], episode["id"]
