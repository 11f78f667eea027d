"""Snapshot arrays saved in fewer bytes (``detectors._exact``), every value given back exactly.

What a detector keeps in memory is unchanged; what ``state()`` saves (and ``state_size``
counts) is narrower where every value fits: the rare_* hour counts sparse, ``CountTable`` day
columns in 16 bits, ``remote_exec``'s per-source totals without the keys and times its
(user, source) pairs give, ``logon_src`` and some id columns in 16 bits, whole-number float
columns as small integers, ``lateral_new_edge``'s per-source columns at the ids that were a
source only, the rare_* per-entity columns at the entities each saw only. The checks: a snapshot restores every array of every detector bit
for bit (type included), the saved form is the narrow one, and each encoding falls back to the
full one when a value does not fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detectors._exact import (
    NO_ID,
    dense_rows,
    exact_narrow,
    narrow_days,
    narrow_ids,
    sparse_rows,
    wide_days,
    wide_ids,
)
from detectors._seconds import NEVER
from detectors.base import NO_DAY, CountTable, pair_keys
from detectors.engine import Engine
from detectors.lateral import DecayedTable
from detectors.novelty import NoveltyDetector
from tests.detectors.streams import scenario_events


def arrays_of(thing: Any, prefix: str = "", depth: int = 3) -> dict[str, np.ndarray]:
    """Every numpy array a detector holds, through its tables (attributes of ``detectors``
    classes, dicts of arrays), by attribute path."""
    found: dict[str, np.ndarray] = {}
    items = thing.items() if isinstance(thing, dict) else vars(thing).items()
    for name, value in items:
        path = f"{prefix}{name}"
        if isinstance(value, np.ndarray):
            found[path] = value
        elif depth and isinstance(value, dict):
            found.update(arrays_of(value, f"{path}.", depth - 1))
        elif depth and type(value).__module__.startswith("detectors"):
            found.update(arrays_of(value, f"{path}.", depth - 1))
    return found


@pytest.fixture(scope="module")
def learned() -> Engine:
    engine = Engine()
    events = scenario_events()
    for start in range(0, len(events), 1500):
        engine.process(events[start : start + 1500])
    return engine


def test_a_snapshot_restores_every_array_bit_for_bit(learned: Engine, tmp_path: Path) -> None:
    learned.save(tmp_path)
    restored = Engine()
    assert restored.load(tmp_path)
    differ = []
    for before, after in zip(learned.detectors, restored.detectors, strict=True):
        old, new = arrays_of(before), arrays_of(after)
        assert old.keys() == new.keys(), before.name
        for name, array in old.items():
            same = new[name].dtype == array.dtype and new[name].shape == array.shape
            if not (same and new[name].tobytes() == array.tobytes()):
                differ.append(f"{before.name}.{name}")
    # (pass-the-ticket's tenures are saved as float32 hours by design, round 18: a few minutes)
    assert differ == ["kerberoasting.holder_first_", "kerberoasting.holder_last_"]


def test_the_saved_form_is_the_narrow_one(learned: Engine) -> None:
    state = {detector.name: detector.state() for detector in learned.detectors}
    novelty = [d for d in learned.detectors if isinstance(d, NoveltyDetector)]
    assert novelty
    for detector in novelty:
        saved = state[detector.name]
        hours = detector.entity_hours_
        assert saved["entity_hours"].ndim == 1, detector.name  # the non-zero cells only
        assert len(saved["entity_hours"]) == int(np.count_nonzero(hours)), detector.name
        assert len(saved["entity_hours_mask"]) == len(hours) * 3, detector.name  # 24 bits a row
        assert saved["hour_entities"].dtype == np.uint16, detector.name
        assert saved["pair_usual_last"].dtype == np.int16, detector.name
        seen = int(np.count_nonzero(detector.entity_first_ != NEVER))
        if seen < len(detector.entity_first_):  # (ids it never saw: not saved)
            assert len(saved["entity_first"]) == len(saved["entity_count"]) == seen
        if detector.after_reset and len(detector.reset_at_):
            assert len(saved["reset_at"]) == int(np.count_nonzero(~np.isnan(detector.reset_at_)))
            assert len(saved["reset_at"]) < len(detector.reset_at_), detector.name
    remote = state["remote_exec"]
    assert "src_logons_keys" not in remote and "src_logons_last" not in remote
    assert len(remote["src_logons_counts"]) > 0
    assert remote["logon_src"].dtype == np.uint16
    volume = state["volume"]
    assert len(volume["threshold"]) > 0
    assert all(volume[name].dtype != np.float64 for name in ("threshold", "bucket", "current"))
    kerberoasting = state["kerberoasting"]
    for name in ("address_keys", "address_user", "holder_address", "holder_user"):
        assert kerberoasting[name].dtype.itemsize == 2, name
    assert state["rare_time_of_week"]["count"].dtype != np.float64
    edge = learned.detectors[[d.name for d in learned.detectors].index("lateral_new_edge")]
    sources = int(np.count_nonzero(edge.left_first_ != NEVER))
    assert 0 < sources < len(edge.left_first_)  # (hosts that never were a source: not saved)
    for name in ("left_first", "left_count", "left_distinct"):
        assert len(state["lateral_new_edge"][name]) == sources, name


def test_source_totals_are_saved_beside_their_pairs_and_in_full_when_not_given() -> None:
    def tables(order: list[int]) -> tuple[DecayedTable, DecayedTable]:
        users = np.array([1, 2, 1, 3, 2])
        sources = np.array([7, 7, 9, 7, 9])
        times = np.array([100.25, 200.5, 300.75, 400.0, 500.5])
        totals, pairs = DecayedTable(3600.0), DecayedTable(3600.0)
        for rows in np.array_split(np.arange(5), 2)[:: 1 if order == [0, 1] else -1]:
            totals.accumulate(sources[rows], times[rows])
            pairs.accumulate(pair_keys(users[rows], sources[rows]), times[rows])
        return totals, pairs

    for order, narrow in (([0, 1], True), ([1, 0], False)):  # (out of order: last times differ)
        totals, pairs = tables(order)
        saved = {**totals.state_beside("t_", pairs), **pairs.state("p_")}
        assert ("t_keys" not in saved) == narrow
        restored = DecayedTable(3600.0)
        restored.load_state_beside(saved, "t_", "p_")
        for name in ("keys", "counts", "last"):
            original = getattr(totals.table, name)
            assert getattr(restored.table, name).dtype == original.dtype, name
            assert getattr(restored.table, name).tobytes() == original.tobytes(), name


def test_count_table_days_round_trip_narrow_and_wide() -> None:
    for day, narrow in ((19_876.0, True), (40_000.0, False)):
        table = CountTable(("seen",), ("usual",))
        table.add_days("usual", np.array([5, 9], dtype=np.int64), np.array([day, 12.0]))
        table.add("seen", np.array([3], dtype=np.int64))  # (3: never a usual day)
        saved = table.state("p_")
        assert (saved["p_usual"].dtype == np.int16) == narrow
        restored = CountTable(("seen",), ("usual",))
        restored.load_state(saved, "p_")
        np.testing.assert_array_equal(restored.days["usual"], table.days["usual"])
        assert restored.days["usual"].dtype == np.int32
        assert int(restored.days["usual"][0]) == NO_DAY


def test_exact_narrow_gives_every_value_back_bit_for_bit() -> None:
    cases = [
        (np.array([0.0, 3.0, 255.0]), np.uint8),
        (np.array([-1.0, 100.0]), np.int8),
        (np.array([0.0, 70_000.0]), np.uint32),
        (np.array([0.5, -2.25, np.inf]), np.float32),
        (np.array([1.0, np.nan]), np.float32),  # (NaN: no integer type holds it)
        (np.array([0.1, 1.0]), np.float64),  # (0.1 is not exact in float32)
        (np.array([-0.0, 1.0]), np.float32),  # (the sign of zero is kept)
        (np.array([1_700_000_000.25]), np.float64),
        (np.array([3, 2**40], dtype=np.int64), np.int64),
        (np.array([3, 2**20], dtype=np.int64), np.uint32),
        (np.empty(0), np.uint8),
    ]
    for values, expected in cases:
        narrow = exact_narrow(values)
        assert narrow.dtype == expected, values
        back = narrow.astype(values.dtype)
        assert back.tobytes() == values.tobytes(), values
    ids = np.array([7, 300], dtype=np.int32)
    assert exact_narrow(ids, smallest=2).dtype == np.uint16


def test_ids_and_sparse_rows_round_trip_and_fall_back() -> None:
    ids = np.array([0, NO_ID, 65_534], dtype=np.uint32)
    assert narrow_ids(ids).dtype == np.uint16
    np.testing.assert_array_equal(wide_ids(narrow_ids(ids)), ids)
    large = np.array([0, NO_ID, 65_535], dtype=np.uint32)  # (65,535 would read as none)
    assert narrow_ids(large).dtype == np.uint32
    np.testing.assert_array_equal(wide_ids(narrow_ids(large)), large)
    never = NO_DAY
    days = np.array([never, -32_767, 32_767], dtype=np.int32)
    np.testing.assert_array_equal(wide_days(narrow_days(days, never), never), days)
    assert narrow_days(np.array([-32_768], dtype=np.int32), never).dtype == np.int32
    rng = np.random.default_rng(3)
    for rows in (0, 1, 5):
        table = (rng.integers(0, 3, size=(rows, 24)) * 1000).astype(np.uint16)
        mask, values = sparse_rows(table)
        back = dense_rows(mask, values, table.shape)
        assert back.dtype == table.dtype and back.tobytes() == table.tobytes()
