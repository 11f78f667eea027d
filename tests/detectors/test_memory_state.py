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
from detectors._seconds import NEVER
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


# -- round 21: margin under the 2 KiB ------------------------------------------------------


def _rarity(engine: Engine) -> list[Any]:
    from detectors.privileged_action import RarityDetector

    return [d for d in engine.detectors if isinstance(d, RarityDetector)]


def test_rarity_detectors_of_an_engine_hold_one_activity_table(learned: Engine) -> None:
    rarity = _rarity(learned)
    assert [d.name for d in rarity] == [
        "account_lifecycle",
        "group_change",
        "kerberoasting",
        "privileged_action",
    ]
    assert all(d.activity_ is rarity[0].activity_ for d in rarity)
    assert len(rarity[0].user_first_) and rarity[0].user_count_.sum() > 0
    # learned and saved once, by the last of them
    assert [d.owns_activity for d in rarity] == [False, False, False, True]
    for detector in rarity:
        assert ("user_first" in detector.state()) == detector.owns_activity, detector.name


def test_a_shared_activity_table_gives_every_detector_what_its_own_copy_gave() -> None:
    """Each rarity detector alone (its own activity) and the four in one engine (one shared
    table, learned by the last after every view): the same signals batch by batch."""
    from detectors.account_lifecycle import AccountLifecycle
    from detectors.group_change import GroupChange
    from detectors.kerberoasting import Kerberoasting
    from detectors.privileged_action import PrivilegedAction

    kinds = (AccountLifecycle, GroupChange, Kerberoasting, PrivilegedAction)
    alone = [kind() for kind in kinds]
    engine = Engine(detectors=[kind() for kind in kinds])
    shared = engine.detectors
    assert shared[0].activity_ is shared[3].activity_
    events = scenario_events()
    builder = engine.builder
    raised = 0
    for start in range(0, len(events), 700):
        batch = builder.build(events[start : start + 700])
        hold = np.zeros(len(batch), dtype=np.bool_)
        for own, one in zip(alone, shared, strict=True):
            expected = own.score(batch, builder)
            got = one.score(batch, builder)
            assert got.rows.tolist() == expected.rows.tolist(), own.name
            assert got.points.tobytes() == expected.points.tobytes(), own.name
            assert got.titles == expected.titles, own.name
            raised += len(got)
        for own in alone:
            own.learn(batch, hold)
        for one in shared:
            one.learn(batch, hold)
    assert raised
    for own in alone:
        assert own.user_first_.tobytes() == alone[0].user_first_.tobytes()
    np.testing.assert_array_equal(shared[0].user_first_, alone[0].user_first_)
    np.testing.assert_array_equal(shared[0].user_count_, alone[0].user_count_)
    np.testing.assert_array_equal(shared[0].user_tenant_, alone[0].user_tenant_)


def test_an_older_snapshot_with_every_rarity_copy_loads_into_the_shared_table(
    learned: Engine, tmp_path: Any
) -> None:
    learned.save(tmp_path)
    data = dict(np.load(tmp_path / "state.npz"))
    owner = "privileged_action"
    # as saved before round 21: every rarity detector with its own (identical) copy
    for name in ("account_lifecycle", "group_change", "kerberoasting"):
        for column in ("user_first", "user_count", "user_tenant"):
            data[f"{name}/{column}"] = data[f"{owner}/{column}"]
    np.savez(tmp_path / "state.npz", **data)  # type: ignore[arg-type]
    again = Engine()
    assert again.load(tmp_path)
    rarity = _rarity(again)
    assert all(d.activity_ is rarity[0].activity_ for d in rarity)
    np.testing.assert_array_equal(rarity[0].user_first_, _rarity(learned)[0].user_first_)
    assert {k: v.tobytes() for k, v in rarity[-1].state().items()} == {
        k: v.tobytes() for k, v in _rarity(learned)[-1].state().items()
    }


def test_hour_profiles_hold_the_non_zero_cells_and_save_what_the_dense_table_saved(
    learned: Engine,
) -> None:
    from detectors._exact import sparse_rows
    from detectors.novelty import NoveltyDetector

    novelty = [d for d in learned.detectors if isinstance(d, NoveltyDetector)]
    assert novelty
    for detector in novelty:
        dense = detector.entity_hours_
        profiles = detector.hours_
        assert len(profiles.values) == int(np.count_nonzero(dense)), detector.name
        assert not any(isinstance(v, np.ndarray) and v.ndim == 2 for v in vars(detector).values())
        mask, values = sparse_rows(dense)
        saved = detector.state()
        assert saved["entity_hours_mask"].tobytes() == mask.tobytes(), detector.name
        assert saved["entity_hours"].tobytes() == values.tobytes(), detector.name


def test_hour_profiles_count_what_a_dense_table_counts() -> None:
    from detectors._exact import sparse_rows
    from detectors._hour_profiles import HourProfiles
    from detectors.base import bump_counts, find_sorted, narrow_counts, sorted_unique

    rng = np.random.default_rng(21)
    for _ in range(40):
        profiles = HourProfiles()
        ids, dense = np.empty(0, dtype=np.uint32), narrow_counts(np.zeros((0, 24)))
        for _ in range(8):
            entity = rng.integers(0, 50, 300).astype(np.int64)
            hour = rng.integers(0, rng.choice([3, 24]), 300).astype(np.int64)
            # the dense table as novelty detectors kept it before round 21
            present = sorted_unique(entity)
            if not find_sorted(ids.astype(np.int64), present)[1].all():
                wider = np.union1d(ids, present).astype(np.uint32)
                rows = np.zeros((len(wider), 24), dtype=dense.dtype)
                rows[np.searchsorted(wider, ids)] = dense
                ids, dense = wider, rows
            slot = np.searchsorted(ids, entity).astype(np.int64)
            dense = bump_counts(dense.reshape(-1), dense.size, slot * 24 + hour).reshape(-1, 24)
            profiles.add(profiles.slots(entity), hour)
            assert profiles.ids.tolist() == ids.tolist()
            assert profiles.dense().dtype == dense.dtype
            np.testing.assert_array_equal(profiles.dense(), dense)
            asked = rng.integers(0, len(ids), 12)
            np.testing.assert_array_equal(profiles.rows(asked), dense[asked])
            mask, values = sparse_rows(dense)
            saved = profiles.saved()
            assert saved[0].tobytes() == mask.tobytes() and saved[1].tobytes() == values.tobytes()
    # a count past 255 widens the cells' type, as a dense table's
    profiles = HourProfiles()
    profiles.add(profiles.slots(np.zeros(300, dtype=np.int64)), np.zeros(300, dtype=np.int64))
    assert profiles.values.dtype == np.uint16 and profiles.values.tolist() == [300]


def test_lateral_new_edge_holds_its_per_source_columns_at_the_sources_only(
    learned: Engine,
) -> None:
    edge = _detector(learned, "lateral_new_edge")
    lefts = edge.lefts_
    sources = int(np.count_nonzero(edge.left_first_ != NEVER))
    assert 0 < len(lefts) == sources < lefts.dense_size
    for name in ("left_first", "left_count", "left_distinct"):
        assert len(lefts[name]) == sources, name
    assert lefts.words.nbytes + lefts.ranks.nbytes < sources  # (under a byte a source)


def test_id_columns_read_and_count_what_dense_columns_do() -> None:
    from detectors._id_columns import IdColumns
    from detectors.base import bump_counts, gather, narrow_counts

    rng = np.random.default_rng(7)
    for _ in range(60):
        columns = IdColumns({"n": 0, "t": np.nan})
        columns["n"], columns["t"] = narrow_counts([]), np.empty(0)
        count, times = narrow_counts([]), np.empty(0)
        for _ in range(6):
            top = int(rng.integers(1, 300))
            asked = rng.integers(0, top + 70, 40)
            size = int(asked.max()) + 1
            assert columns.gather("n", asked).tolist() == gather(count, size, 0, asked).tolist()
            np.testing.assert_array_equal(
                columns.gather("t", asked), gather(times, size, np.nan, asked)
            )
            ids = rng.integers(0, top, 200).astype(np.int64)
            at = columns.positions(ids)
            columns["n"] = bump_counts(columns["n"], len(columns), at)
            columns["t"][at] = ids * 1.5
            count = bump_counts(count, top, ids)
            times = grow(times, int(ids.max()) + 1, np.nan)
            times[ids] = ids * 1.5
            assert columns.dense("n").tobytes() == count[: columns.dense_size].tobytes()
            assert columns.ids.tolist() == np.flatnonzero(count).tolist()
            loaded = IdColumns({"n": 0, "t": np.nan})
            loaded.load_dense({"n": count, "t": times}, count > 0)  # (lengths differ)
            assert loaded.dense("n").tobytes() == count.tobytes()
            assert len(loaded) == len(columns)
