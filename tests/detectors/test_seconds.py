"""Stored times in ``uint32`` whole seconds (``detectors._seconds``): the codes, and the tables
that keep them (their time columns narrow, snapshots from before load and decide the same)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from detectors._pair_columns import KeyedColumns
from detectors._seconds import (
    LATEST,
    NEVER,
    NOT_SEEN,
    SECONDS,
    decode,
    encode,
    floor_seconds,
    stored_times,
)
from detectors.base import PairTable
from detectors.engine import Engine
from detectors.failed_logons import PasswordSpray
from detectors.lateral import DecayedTable, LateralFanoutUser, PairsSeen
from detectors.remote_exec import RemoteExecution
from schemas.event import Event
from tests.detectors.streams import scenario_events

#: Main's engine (3fd4266, every time float64) after the first half of ``scenario_events``.
FIXTURE = Path(__file__).parent / "data" / "snapshot_main_3fd4266"
T = 1_715_300_000.0  # (2024-05-10)


def test_round_trip_of_whole_seconds() -> None:
    whole = np.array([0.0, 1.0, T, float(LATEST)])
    stored = encode(whole)
    assert stored.dtype == np.uint32
    np.testing.assert_array_equal(decode(stored), whole)
    assert decode(stored).dtype == np.float64


def test_times_are_rounded_down_never_up() -> None:
    times = T + np.array([0.001, 0.5, 0.999, 1.0, 1.999999])
    stored = decode(encode(times))
    np.testing.assert_array_equal(stored, T + np.array([0.0, 0.0, 0.0, 1.0, 1.0]))
    assert (stored <= times).all() and (times - stored < 1.0).all()
    np.testing.assert_array_equal(floor_seconds(times), stored)


def test_reserved_codes_for_never_and_not_seen() -> None:
    stored = encode(np.array([np.nan, -np.inf, T]))
    assert stored.tolist() == [NEVER, NOT_SEEN, int(T)]
    back = decode(stored)
    assert np.isnan(back[0]) and back[1] == -np.inf and back[2] == T
    # no time takes a reserved code: the latest storable one is just below them
    assert LATEST < NOT_SEEN < NEVER == 2**32 - 1


def test_limits() -> None:
    latest = datetime.fromtimestamp(float(LATEST), UTC)
    assert latest.year == 2106 and latest.month == 2
    # Later times (and +inf) are stored as the latest one: still not later than the real time.
    far = encode(np.array([float(LATEST) + 0.5, float(LATEST) + 10.0, np.inf]))
    assert far.tolist() == [LATEST, LATEST, LATEST]
    # Before the epoch: 0 (no log event is that old).
    assert encode(np.array([-5.0, -0.5])).tolist() == [0, 0]


def test_vectorised_over_any_shape() -> None:
    rng = np.random.default_rng(7)
    times = T + rng.uniform(0, 86_400 * 365, size=(50, 4))
    times[3, 1], times[7, 2] = np.nan, -np.inf
    stored = encode(times)
    assert stored.shape == times.shape and stored.dtype == SECONDS
    back = decode(stored)
    finite = np.isfinite(times)
    np.testing.assert_array_equal(back[finite], np.floor(times[finite]))
    assert np.isnan(back[3, 1]) and back[7, 2] == -np.inf
    assert encode([]).dtype == SECONDS and len(decode(np.empty(0, SECONDS))) == 0


def test_old_float_columns_are_encoded_and_new_ones_kept() -> None:
    old = np.array([T + 0.7, np.nan])
    assert stored_times(old).tolist() == [int(T), NEVER]
    new = encode(old)
    assert stored_times(new) is not new and stored_times(new).tolist() == new.tolist()


def test_table_time_columns_are_uint32_after_updates() -> None:
    keys = np.array([5, 9, 5], dtype=np.int64)
    times = T + np.array([1.25, 2.5, 3.75])
    table = PairTable()
    table.add(keys, times)
    assert table.last.dtype == np.uint32
    assert table.lookup(keys)[1].tolist() == [T + 3.0, T + 2.0, T + 3.0]

    columns = KeyedColumns(last=(SECONDS, np.nan), count=(np.uint8, 0))
    columns.latest_at("last", keys, times)
    assert columns["last"].dtype == np.uint32 and columns["count"].dtype == np.uint8
    assert columns.get("last", np.array([5, 7])).tolist()[0] == T + 3.0
    assert np.isnan(columns.get("last", np.array([7]))[0])

    seen = PairsSeen()
    seen.see(np.array([1, 2], dtype=np.int64))
    seen.learn(np.array([2], dtype=np.int64), np.array([T + 0.9]))
    assert seen.table["last"].dtype == np.uint32
    found, last = seen.lookup(np.array([1, 2, 3], dtype=np.int64))
    assert found.tolist() == [True, True, False]
    assert np.isnan(last[0]) and last[1] == T and np.isnan(last[2])


def test_decayed_table_reads_as_before_the_rounding() -> None:
    """The value is kept as of the stored (rounded-down) time, so it reads as if decayed from
    the real one."""
    half_life = 86_400.0
    table = DecayedTable(half_life)
    keys = np.array([3, 3, 4], dtype=np.int64)
    times = T + np.array([0.2, 0.9, 0.4])
    table.accumulate(keys, times)
    later = np.array([T + 3600.5, T + 7200.0])
    expected = np.array([1.0 + 2 ** (-(0.7) / half_life), 1.0]) * np.exp2(
        -(later - np.array([T + 0.9, T + 0.4])) / half_life
    )
    np.testing.assert_allclose(table.at(np.array([3, 4]), later), expected, rtol=1e-12)
    assert table.table.last.dtype == np.uint32


def test_old_float_snapshot_of_a_decayed_table_decides_the_same() -> None:
    half_life = 3_600.0
    old = {
        "t_keys": np.array([3, 4], dtype=np.int64),
        "t_counts": np.array([2.5, 1.0]),
        "t_last": np.array([T + 0.75, T + 10.5]),
    }
    table = DecayedTable(half_life)
    table.load_state(old, "t_")
    assert table.state("t_")["t_last"].dtype == np.uint32
    later = np.array([T + 100.0, T + 200.0])
    expected = old["t_counts"] * np.exp2(-(later - old["t_last"]) / half_life)
    np.testing.assert_allclose(table.at(np.array([3, 4]), later), expected, rtol=1e-12)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    from tests.detectors.test_sparse_state import as_main_parsed

    return [as_main_parsed(e) for e in scenario_events()]


def test_main_float_snapshot_loads_in_whole_seconds_and_alerts_the_same(
    events: list[Event],
) -> None:
    """Main's snapshot (float64 times with milliseconds) loads with every time column in whole
    seconds, never later than saved, and the second half alerts as after learning the first
    half with this code."""
    with np.load(FIXTURE / "state.npz", allow_pickle=False) as data:
        saved = {name: data[name] for name in data.files}
    resumed = Engine()
    assert resumed.load(FIXTURE)
    by_name = {d.name: d for d in resumed.detectors}
    checked = 0
    for name, (detector, table) in {
        "password_spray/pair_last": ("password_spray", "pair_last"),
        "lateral_new_edge/edges_last": ("lateral_new_edge", "edges_last"),
        "lateral_new_edge/left_first": ("lateral_new_edge", "left_first"),
        "remote_exec/habits_last": ("remote_exec", "habits_last"),
        "lateral_fanout_user/mark_last": ("lateral_fanout_user", "mark_last"),
    }.items():
        old = saved[name]
        assert old.dtype == np.float64 and (old[np.isfinite(old)] % 1 != 0).any()
        now = by_name[detector].state()[table]
        assert now.dtype == np.uint32, name
        if len(now) == len(old):
            back = decode(now)
            assert not (back > old).any() and (np.isnan(back) == np.isnan(old)).all(), name
            np.testing.assert_array_equal(back, floor_seconds(old))
            checked += 1
    assert checked >= 3
    assert isinstance(by_name["password_spray"], PasswordSpray)
    assert isinstance(by_name["remote_exec"], RemoteExecution)
    assert isinstance(by_name["lateral_fanout_user"], LateralFanoutUser)
    split = len(events) // 2
    own = Engine()
    for start in range(0, split, 4096):
        own.process(events[start : min(start + 4096, split)])
    expected = own.process(events[split:])
    assert expected
    assert [a.id for a in resumed.process(events[split:])] == [a.id for a in expected]
