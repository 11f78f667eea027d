"""Learned state held in memory as narrow as it is exact (round 20, issue 3's 2 KiB per user).

``benchmarks.state_size`` prints two figures: the saved form (``state()``) and the arrays a
running engine holds (``held_bytes``: at the widths they compute with, growth room included).
Round 20 brought the second under 2 KiB per user without changing a value any detector reads:
keys kept in 32 bits while every id fits (``narrow_pair_keys``, the same order), whole counts
in the narrowest unsigned type of their largest (``narrow_counts``), interned ids in 16 bits
while they fit, and a sixteenth of growth room instead of a quarter. These tests pin each form,
its fallback to the wide one, and that lookups read what the wide tables read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from detectors._exact import narrow_ids
from detectors._grow import grow
from detectors.base import PairTable, pair_keys, wide_pair_keys
from detectors.engine import Engine
from detectors.lateral import DecayedTable
from detectors.remote_exec import NO_SOURCE, RemoteExecution
from tests.detectors.streams import scenario_events


@pytest.fixture(scope="module")
def learned() -> Engine:
    engine = Engine()
    events = scenario_events()
    for start in range(0, len(events), 1500):
        engine.process(events[start : start + 1500])
    return engine


def _detector(engine: Engine, name: str) -> Any:
    return engine.detectors[[d.name for d in engine.detectors].index(name)]


def test_tables_of_a_learned_engine_are_held_narrow(learned: Engine) -> None:
    remote = _detector(learned, "remote_exec")
    for name in ("src_logons_", "src_user_logons_", "habits_"):
        table = getattr(remote, name).table
        assert len(table) and table.keys.dtype == np.uint32, name
    assert remote.named_.keys.dtype == np.uint32
    path = _detector(learned, "lateral_new_path")
    for name in ("edges_", "reach_"):
        assert getattr(path, name).keys.dtype == np.uint32, name
    kerberoasting = _detector(learned, "kerberoasting")
    assert kerberoasting.ticket_pairs_.dtype == np.uint32
    for name in ("holder_address_", "holder_user_"):
        assert getattr(kerberoasting, name).dtype.itemsize == 2, name
    assert kerberoasting.holder_switches_.dtype == np.uint8
    volume = _detector(learned, "volume")
    keys = volume.keys_
    assert len(keys) and keys.dtype == np.uint32
    saved = volume.state()["keys"]
    assert saved.dtype == np.int64  # (saved as before)
    np.testing.assert_array_equal(saved, wide_pair_keys(keys))
    assert _detector(learned, "rare_time_of_week").count_.dtype.kind == "u"
    assert _detector(learned, "account_lifecycle").privileged_uses_.dtype.kind == "u"


def _wide(half_life: float) -> DecayedTable:
    table = DecayedTable(half_life)
    table.table = PairTable()  # (int64 keys: the table as it was before round 20)
    return table


def test_a_decayed_table_reads_what_a_wide_one_reads_and_widens_for_a_large_id() -> None:
    narrow, wide = DecayedTable(3600.0), _wide(3600.0)
    rng = np.random.default_rng(5)
    time = 1_700_000_000.25
    queries = pair_keys(np.array([1, 2, 3, 70_000]), np.array([7, 7, 9, 1]))
    for step in range(6):
        users = rng.integers(0, 40, 50) if step < 4 else np.r_[rng.integers(0, 40, 49), 70_000]
        keys = pair_keys(users, rng.integers(0, 30, 50))
        times = time + np.sort(rng.uniform(0, 5000, 50))
        time = float(times[-1])
        for table in (narrow, wide):
            table.accumulate(keys, times)
        assert narrow.table.keys.dtype == (np.uint32 if step < 4 else np.int64)
        np.testing.assert_array_equal(wide_pair_keys(narrow.table.keys), wide.table.keys)
        assert narrow.table.counts.tobytes() == wide.table.counts.tobytes()
        assert narrow.table.last.tobytes() == wide.table.last.tobytes()
        probe = np.r_[keys, queries]
        at = np.full(len(probe), time + 60.0)
        assert narrow.at(probe, at).tobytes() == wide.at(probe, at).tobytes()
    assert narrow.state("t_")["t_keys"].dtype == np.int64  # (a key that does not fit 32 bits)


def test_kerberoasting_pairs_and_volume_keys_go_wide_for_a_large_id() -> None:
    from detectors.base import find_pair_keys
    from detectors.kerberoasting import _union_pairs
    from detectors.volume import _join_keys

    def _find_pairs(stored: np.ndarray, pairs: np.ndarray) -> np.ndarray:
        return find_pair_keys(stored, pairs)[1]

    small = pair_keys(np.array([3, 1, 3]), np.array([5, 2, 5]))
    stored = _union_pairs(np.empty(0, dtype=np.uint32), small)
    assert stored.dtype == np.uint32 and len(stored) == 2
    assert _find_pairs(stored, pair_keys(np.array([1, 70_000]), np.array([2, 2]))).tolist() == [
        True,
        False,
    ]
    large = pair_keys(np.array([70_000]), np.array([2]))
    widened = _union_pairs(stored, large)
    assert widened.dtype == np.int64
    np.testing.assert_array_equal(widened, np.union1d(small, large))
    assert _find_pairs(widened, np.r_[small, large]).all()
    # volume: the stable sort of the joined keys takes the same rows, narrow or wide
    joined = _join_keys(np.empty(0, dtype=np.uint32), np.r_[small, small])
    assert joined.dtype == np.uint32
    np.testing.assert_array_equal(
        np.argsort(joined, kind="stable"), np.argsort(np.r_[small, small], kind="stable")
    )
    _, found = find_pair_keys(np.sort(joined), np.r_[small, large])
    assert found.tolist() == [True, True, True, False]
    assert _join_keys(joined, large).dtype == np.int64


def test_growth_room_is_a_sixteenth_and_four() -> None:
    grown = grow(np.zeros(2), 320, 0.0)
    assert isinstance(grown.base, np.ndarray)
    assert len(grown) == 320 and len(grown.base) == 320 + 20 + 4


def test_remote_exec_holds_logon_sources_in_16_bits_until_a_wide_one(learned: Engine) -> None:
    remote = _detector(learned, "remote_exec")
    keys = remote.logons_.keys
    sources = remote.logon_sources(keys)
    assert remote.logons_["src"].dtype == np.uint16  # (ids of the scenario fit)
    assert (sources != NO_SOURCE).any()
    saved = remote.state()["logon_src"]  # (saved as before: narrow_ids of the uint32 column)
    np.testing.assert_array_equal(saved, narrow_ids(sources))


def test_a_wide_logon_source_widens_the_column_for_good() -> None:
    remote = RemoteExecution()  # (keys of its own: no engine shares them)
    keys = pair_keys(np.array([1, 2, 3]), np.array([10, 10, 11]))
    remote.logons_.latest_at("last", keys, np.array([1.0e9, 1.0e9, 1.0e9]))
    remote._store_sources(keys[:2], np.array([5, NO_SOURCE], dtype=np.uint32))
    assert remote.logons_["src"].dtype == np.uint16
    assert remote.logon_sources(keys).tolist() == [5, int(NO_SOURCE), int(NO_SOURCE)]
    narrow_saved = remote.state()
    remote._store_sources(keys[2:], np.array([70_000], dtype=np.uint32))
    assert remote.logons_["src"].dtype == np.uint32
    assert remote.logon_sources(keys).tolist() == [5, int(NO_SOURCE), 70_000]
    # a key inserted after the widening reads "no source", as a narrow column's would
    later = pair_keys(np.array([4]), np.array([12]))
    remote.logons_.latest_at("last", later, np.array([1.0e9]))
    assert remote.logon_sources(later).tolist() == [int(NO_SOURCE)]
    wide_saved = remote.state()
    assert wide_saved["logon_src"].dtype == np.uint32
    # snapshots load back the same either way, narrow into a fresh detector
    again = RemoteExecution()
    again.load_state(wide_saved)
    assert again.logons_["src"].dtype == np.uint32
    np.testing.assert_array_equal(again.logon_src_, remote.logon_src_)
    again = RemoteExecution()
    again.load_state(narrow_saved)
    assert again.logons_["src"].dtype == np.uint16
    assert again.logon_sources(keys).tolist() == [5, int(NO_SOURCE), int(NO_SOURCE)]


def test_volume_holds_its_whole_columns_narrow_and_saves_what_it_saved(learned: Engine) -> None:
    volume = _detector(learned, "volume")
    assert len(volume.keys_)
    for name in ("active_", "bucket_", "current_", "threshold_"):
        assert getattr(volume, name).dtype.kind in "iu", name  # (whole numbers)
    saved = volume.state()
    again = type(volume)()
    again.load_state(saved)
    for name in ("mean", "active", "bucket", "current", "threshold"):
        held = getattr(again, f"{name}_")
        assert held.dtype == getattr(volume, f"{name}_").dtype, name
        np.testing.assert_array_equal(held, getattr(volume, f"{name}_"))
        assert again.state()[name].tobytes() == saved[name].tobytes(), name
