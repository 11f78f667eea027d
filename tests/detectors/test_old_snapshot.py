"""A snapshot saved by main before the compact state layout (commit 1e424ca) still loads, and
every number in it lands where the new layout keeps it.

``data/snapshot_main_1e424ca`` is what main's engine saved after the first half of a generated
scenario (seed 7, 10 days, 15 users, every attack once; 4,096-event batches). The checks compare
the loaded state with the saved arrays themselves, table by table, so they hold whatever the
detectors later learn differently (they do not replay the scenario).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors._exact import all_slots
from detectors._pair_columns import KeyedColumns, wide_keys
from detectors._seconds import SECONDS, decode, floor_seconds
from detectors.base import CountTable
from detectors.engine import Engine
from detectors.failed_logons import FailedLogonSurprise, SpraySources, wide_spray_keys
from detectors.lateral import _LEFT_FILLS, PairsSeen
from detectors.novelty import _ENTITY_FILLS, _RESET_FILLS, NoveltyDetector
from tests.detectors.streams import normal_stream

FIXTURE = Path(__file__).parent / "data" / "snapshot_main_1e424ca"
#: Old arrays kept under the same name but now only for rows that say something.
SPARSE = {"long", "peak", "time", "peaks", "entity_hours"}

#: Columns saved at their used slots only (``detectors._exact.used_slots``), by prefix.
SLOTS = {"left_": _LEFT_FILLS, "entity_": _ENTITY_FILLS, "reset_": _RESET_FILLS}


@pytest.fixture(scope="module")
def saved() -> dict[str, dict[str, np.ndarray]]:
    """The fixture's arrays by detector and table."""
    by_detector: dict[str, dict[str, np.ndarray]] = {}
    with np.load(FIXTURE / "state.npz", allow_pickle=False) as data:
        for name in data.files:
            detector, table = name.split("/", 1)
            by_detector.setdefault(detector, {})[table] = data[name]
    return by_detector


@pytest.fixture(scope="module")
def engine() -> Engine:
    loaded = Engine()
    assert loaded.load(FIXTURE)
    return loaded


def as_float(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=np.float64)


def is_stored_time(table: str, value: np.ndarray) -> bool:
    """Whether a state array holds times as whole seconds (``detectors._seconds`` codes)."""
    return value.dtype == SECONDS and table.endswith(("last", "first"))


def test_arrays_kept_by_name_keep_their_values(
    saved: dict[str, dict[str, np.ndarray]], engine: Engine
) -> None:
    compared = 0
    for detector in engine.detectors:
        state = detector.state()
        for prefix, fills in SLOTS.items():  # (saved at the used slots only: compared in full)
            if f"{prefix}slots" in state:
                state.update(all_slots(state, fills, prefix))
        for table, value in state.items():
            old = saved.get(detector.name, {}).get(table)  # (detectors added since: none)
            if old is None or table in SPARSE:
                continue
            time_name = table.removesuffix("counts") + "last"
            if value.dtype == np.float64 and is_stored_time(time_name, state.get(time_name, old)):
                # Decayed values (DecayedTable), now as of their time rounded down: up by at
                # most a second's decay.
                assert (value >= old).all(), f"{detector.name}/{table}"
                np.testing.assert_allclose(value, old, rtol=1e-6, err_msg=f"{detector.name}")
                compared += 1
                continue
            if table == "pair_keys" and isinstance(detector, SpraySources):  # (round 11)
                value = wide_spray_keys(value)
            elif table.endswith("keys") and value.dtype == np.uint32:  # pair keys in 32 bits
                value = wide_keys(value)
            elif is_stored_time(table, value):  # float64 there, whole seconds rounded down here
                value, old = decode(value), floor_seconds(as_float(old))
                real = as_float(saved[detector.name][table])
                assert not (value > real).any()  # (never later; NaN stays NaN below)
            np.testing.assert_array_equal(
                as_float(value), as_float(old), err_msg=f"{detector.name}/{table}"
            )
            compared += 1
    assert compared > 60
    # Whole counts now narrow: the same numbers in fewer bytes.
    source = saved["rare_source_network"]
    assert source["entity_hours"].dtype == np.float64
    novelty = next(d for d in engine.detectors if d.name == "rare_source_network")
    assert novelty.state()["entity_hours"].dtype in (np.uint8, np.uint16)


def test_sparse_rows_read_as_the_dense_ones(
    saved: dict[str, dict[str, np.ndarray]], engine: Engine
) -> None:
    for detector in engine.detectors:
        old = saved.get(detector.name, {})
        if isinstance(detector, FailedLogonSurprise):
            long, peak, stamp = detector._dense(len(old["long"]))
            np.testing.assert_array_equal(long, old["long"])
            np.testing.assert_array_equal(peak, old["peak"])
            np.testing.assert_array_equal(stamp, old["time"])
            assert len(detector.failed_ids_) == int((~np.isnan(old["time"])).sum())
        if isinstance(detector, NoveltyDetector) and "entity_hours" in old:
            # Hour profiles: saved a row per entity id, kept a row per entity seen (round 11).
            dense = np.zeros(old["entity_hours"].shape)
            dense[detector.hour_entities_] = detector.entity_hours_
            np.testing.assert_array_equal(dense, old["entity_hours"], err_msg=detector.name)
            assert len(detector.hour_entities_) == int((old["entity_hours"].sum(1) > 0).sum())
        if isinstance(detector, SpraySources) and detector.keeps_peaks and "peaks" in old:
            # (credential_stuffing is newer than the snapshot: it starts empty)
            every_source = np.arange(len(old["peaks"].reshape(-1, 2)))
            dense = detector._peaks_of(every_source)
            np.testing.assert_array_equal(dense, old["peaks"].reshape(-1, 2))


def check_column(table: CountTable, keys: np.ndarray, column: str, expected: np.ndarray) -> None:
    got = table.lookup(keys.astype(np.int64))[column]
    np.testing.assert_array_equal(got, as_float(expected), err_msg=column)
    others = np.setdiff1d(table.keys, keys)
    absent = table.lookup(others)[column]
    assert (np.isnan(absent) if column == "usual_last" else absent == 0).all(), column


def test_novelty_tables_are_one(saved: dict[str, dict[str, np.ndarray]], engine: Engine) -> None:
    checked = 0
    for detector in engine.detectors:
        if not isinstance(detector, NoveltyDetector):
            continue
        if detector.name not in saved:  # newer than the snapshot: it starts empty
            assert len(detector.pairs_) == 0, detector.name
            continue
        old, table = saved[detector.name], detector.pairs_
        every = [old[f"{t}_keys"] for t in ("sightings", "pairs", "trusted", "habitual")]
        np.testing.assert_array_equal(table.keys, np.unique(np.concatenate(every)))
        check_column(table, old["sightings_keys"], "seen", old["sightings_counts"])
        check_column(table, old["pairs_keys"], "learned", old["pairs_counts"])
        check_column(table, old["trusted_keys"], "trusted", old["trusted_counts"])
        check_column(table, old["habitual_keys"], "usual_days", old["habitual_counts"])
        check_column(table, old["habitual_keys"], "usual_last", old["habitual_last"])
        checked += len(table)
    assert checked > 100


def test_lateral_tables_are_one(saved: dict[str, dict[str, np.ndarray]], engine: Engine) -> None:
    for name in ("lateral_new_host", "lateral_new_edge"):
        detector = next(d for d in engine.detectors if d.name == name)
        old, table = saved[name], detector.edges_
        assert isinstance(table, PairsSeen)
        seen = old["seen_keys"]
        transposed = ((seen & 0xFFFFFFFF) << 32) | (seen >> 32)
        np.testing.assert_array_equal(table.keys, np.union1d(transposed, old["pairs_keys"]))
        found, last = table.lookup(old["pairs_keys"])
        assert found.all()
        np.testing.assert_array_equal(last, floor_seconds(old["pairs_last"]))  # (whole seconds)
        unlearned = np.setdiff1d(table.keys, old["pairs_keys"])
        assert np.isnan(table.lookup(unlearned)[1]).all()
        events = np.bincount(seen >> 32, weights=old["seen_counts"])
        got = as_float(detector.right_events_)[: len(events)]
        np.testing.assert_array_equal(got, events)
    for name in ("lateral_fanout_user", "lateral_fanout_source"):
        detector = next(d for d in engine.detectors if d.name == name)
        old = saved[name]
        pairs = detector.pairs_
        assert isinstance(pairs, KeyedColumns)
        at = np.searchsorted(pairs.keys, old["marks_keys"])
        np.testing.assert_array_equal(pairs.keys[at], old["marks_keys"])
        np.testing.assert_array_equal(detector.mark_last_[at], floor_seconds(old["marks_last"]))
        np.testing.assert_array_equal(detector.mark_value_[at], old["marks_counts"])


def test_spray_copy_is_dropped(saved: dict[str, dict[str, np.ndarray]], engine: Engine) -> None:
    reader = next(d for d in engine.detectors if d.name == "success_after_spray")
    owner = next(d for d in engine.detectors if d.name == "password_spray")
    assert reader.state() == {}
    # The copy was identical (the pair times now in whole seconds, rounded down).
    old_copy = saved["success_after_spray"]
    np.testing.assert_array_equal(old_copy["stamp"], owner.state()["stamp"])
    pair_last = decode(owner.state()["pair_last"])
    np.testing.assert_array_equal(floor_seconds(old_copy["pair_last"]), pair_last)
    # (every channel of every source there; the failure channels sparse here: the same sums,
    # but for each pair's share as of its time rounded down: less by at most 1 s / tau a pair)
    sources = np.arange(len(owner.sums_), dtype=np.int64)
    sums, old_sums = owner._sums_of(sources), saved["success_after_spray"]["sums"].reshape(-1, 3)
    assert (sums <= old_sums).all()
    np.testing.assert_allclose(sums, old_sums, rtol=0, atol=len(owner.pair_last_) / owner.tau)
    # (the keys int64 there, in 32 bits here: the same pairs)
    keys = wide_spray_keys(owner.state()["pair_keys"])
    np.testing.assert_array_equal(saved["success_after_spray"]["pair_keys"], keys)


def test_loaded_state_round_trips_and_runs_on(
    saved: dict[str, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    first = Engine()
    assert first.load(FIXTURE)
    first.save(tmp_path)
    second = Engine()
    assert second.load(tmp_path)
    for a, b in zip(first.detectors, second.detectors, strict=True):
        for table, value in a.state().items():
            assert value.dtype == b.state()[table].dtype
            np.testing.assert_array_equal(value, b.state()[table])
    events = normal_stream(days=2, users=4)
    assert [x.id for x in first.process(events)] == [x.id for x in second.process(events)]
    main_bytes = sum(int(array.nbytes) for table in saved.values() for array in table.values())
    assert first.state_bytes() < main_bytes / 1.5
