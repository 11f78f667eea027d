"""Where the shared real datasets live (../shared/data, or $VIGIL_SHARED_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VIGIL_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA} (set VIGIL_SHARED_DATA)")
    return SHARED_DATA


def real_log_files() -> list[Path]:
    """Every log file the foundation issue names: Security-Datasets zips, EVTX samples,
    Stratus CloudTrail files and the loghub OpenSSH/Linux logs."""
    if not SHARED_DATA.is_dir():
        return []
    root = SHARED_DATA
    files = sorted((root / "security-datasets").rglob("*.zip"))
    files += sorted((root / "evtx-attack-samples").rglob("*.evtx"))
    files += sorted((root / "stratus-red-team").rglob("*.json"))
    files = [f for f in files if f.name != "LABELS.json"]
    files += [root / "loghub/OpenSSH/OpenSSH_2k.log", root / "loghub/Linux/Linux_2k.log"]
    return files
