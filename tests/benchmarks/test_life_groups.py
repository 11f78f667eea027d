"""Every opt-in normal-life group (``--life extra``, ``life19`` .. ): registered under its name,
its behaviours apart from every other group's, and its scenarios the same on every run. One test
for all groups, so a new round's group is checked against all the older ones without listing
them."""

from __future__ import annotations

import importlib
from itertools import combinations
from pathlib import Path

import pytest

from benchmarks.scenario import generate, more_life
from benchmarks.scenario.more_life import LIFE_GROUPS, LIFE_MODULES, expand
from tests.scenario_logs import log_files

SMALL = {"seed": 13, "days": 30, "users": 60, "learning_days": 5}


def test_every_life_module_registers_its_group_under_its_name() -> None:
    on_disk = sorted(p.stem for p in Path(more_life.__file__).parent.glob("life[0-9]*.py"))
    assert sorted(LIFE_MODULES) == on_disk  # a new round's module is registered, none forgotten
    expand(["extra"])  # registers the rounds' groups
    assert set(LIFE_GROUPS) == {"extra", *LIFE_MODULES}
    for name in LIFE_MODULES:
        behaviours = importlib.import_module(f"benchmarks.scenario.{name}").BEHAVIOURS
        assert LIFE_GROUPS[name] == tuple(behaviours), name
        assert expand([name]) == list(behaviours), name


def test_no_behaviour_is_in_two_groups() -> None:
    expand(["extra"])
    for (first, a), (second, b) in combinations(LIFE_GROUPS.items(), 2):
        assert not set(a) & set(b), (first, second, sorted(set(a) & set(b)))


def test_a_single_behaviour_after_a_group_is_added_once_at_the_end() -> None:
    last = LIFE_GROUPS["extra"][-1] if LIFE_GROUPS["extra"] else ""
    assert expand(["extra", "night_shift"])[-1] == "night_shift"
    assert expand(["extra", last]) == list(LIFE_GROUPS["extra"])


@pytest.mark.parametrize("group", ["life20", "life23", "life24", "life25", "life26"])
def test_a_life_group_generates_the_same_logs_twice(tmp_path: Path, group: str) -> None:
    generate(tmp_path / "a", attacks=["every"], life=[group], **SMALL)
    generate(tmp_path / "b", attacks=["every"], life=[group], **SMALL)
    assert log_files(tmp_path / "a") == log_files(tmp_path / "b")
