"""The file-server scenario kinds (round 11, ``--attacks files``): its normal life and attacks
reach the parsers as deletes and permission changes, and only when asked for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.scenario import generate
from schemas.event import Action
from schemas.readers import InputReader


def _events(out: Path) -> list[object]:
    reader = InputReader(tenant="t", sink=lambda letter: None, columnar=True)
    return list(reader.read_paths([str(out / "logs" / "windows")]))


def test_files_kinds_bring_the_file_server_life(tmp_path: Path) -> None:
    truth = generate(tmp_path, seed=171, days=10, users=30, learning_days=4, attacks=["files"])
    assert [a.name for a in truth.attacks] == [
        "files_mass_delete",
        "files_slow_delete",
        "files_mass_acl",
        "files_share_wipe",  # round 12
        "files_backup_account_wipe",
    ]
    deletes: Counter[str] = Counter()
    acls: Counter[str] = Counter()
    shares: dict[str, set[str]] = {}
    days: dict[str, set[object]] = {}
    acl_roots: dict[str, set[str]] = {}
    for event in _events(tmp_path):
        user, path = event.user, event.object  # type: ignore[attr-defined]
        if event.action is Action.DELETE:  # type: ignore[attr-defined]
            deletes[user] += 1
            shares.setdefault(user, set()).add(path.split("\\")[2])
            days.setdefault(user, set()).add(event.time.date())  # type: ignore[attr-defined]
        elif event.event_id == "4670":  # type: ignore[attr-defined]
            acls[user] += 1
            acl_roots.setdefault(user, set()).add("\\".join(path.split("\\")[:5]))
    assert deletes["svc_backup"] >= 10 * 150 + 2000  # the nightly rotation, and its wipe
    wiper = truth.attacks[0].primary["id"]
    assert deletes[wiper] >= 2000 and len(shares[wiper]) >= 5
    assert acls[truth.attacks[2].primary["id"]] >= 300
    share_wiper = truth.attacks[3].primary["id"]
    assert deletes[share_wiper] >= 600 and len(shares[share_wiper]) == 1  # one share
    victims = {a.primary["id"] for a in truth.attacks}
    # The wipers are people who delete a few files on other days (their habit).
    assert all(len(days[truth.attacks[i].primary["id"]]) >= 2 for i in (0, 1, 3))
    # An admin re-permissions one project tree (150+ 4670s below one folder).
    assert any(acls[u] >= 150 and len(acl_roots[u]) == 1 for u in acls if u not in victims)


def test_other_sets_have_no_file_server_deletes(tmp_path: Path) -> None:
    generate(tmp_path, seed=171, days=6, users=20, learning_days=3, attacks=["every"])
    kinds = Counter(event.event_id for event in _events(tmp_path))  # type: ignore[attr-defined]
    assert not {"4663", "4660", "4670"} & set(kinds)


def test_compiled_helk_reader_reads_the_file_server_logs_as_python(tmp_path: Path) -> None:
    """The differential test of tests/schemas/test_helk_native.py on the file server's logs:
    deletes, 4663s read as nothing and 4670s through the compiled reader and without it."""
    from tests.schemas.test_helk_native import assert_same, needs_native

    if needs_native.args[0]:
        pytest.skip("vigil_native is not installed")
    generate(tmp_path, seed=172, days=6, users=20, learning_days=3, attacks=["files"])
    events, _, _ = assert_same([str(tmp_path / "logs" / "windows")], per_record=True)
    assert sum("action=<Action.DELETE" in event for event in events) > 1000
