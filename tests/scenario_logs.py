"""Generated scenarios for the scenario tests, and what they wrote read back: the Windows records
and every log file's bytes (the opt-in groups' tests compare runs and count marks with these)."""

from __future__ import annotations

import json
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
