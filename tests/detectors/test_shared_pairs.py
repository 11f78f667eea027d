"""The (user, host) keys kept once for five detectors (``detectors._pair_columns``).

``lateral_fanout_user``, ``lateral_new_host``, ``lateral_rdp_fanout``, ``login_chain`` (hosts reached) and
``remote_exec`` (last network logons) watch the same remote logons; in one engine the first
keeps the keys and the others columns aligned with them. The checks: each detector flags
exactly what it flags alone (with keys of its own), the keys are in the state once, a snapshot
round-trips, and snapshots with keys of each detector's own (saved by main before the keys were
shared, or by an engine that ran a detector alone) load with every value where it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors import registry
from detectors._exact import wide_ids
from detectors._pair_columns import KeyedColumns
from detectors._seconds import floor_seconds
from detectors.base import Detector
from detectors.batch import SEPARATOR, BatchBuilder, Vocabulary
from detectors.engine import Engine
from detectors.failed_logons import PasswordSpray
from detectors.lateral import (
    LateralFanoutSource,
    LateralFanoutUser,
    LateralNewEdge,
    LateralNewHost,
)
from detectors.login_chain import LoginChain
from detectors.novelty import NoveltyDetector
from detectors.remote_exec import NO_SOURCE, RemoteExecution
from schemas.event import Event
from tests.detectors.streams import scenario_events

FIXTURE = Path(__file__).parent / "data" / "snapshot_main_a68d8f0"
SHARING = (
    "lateral_fanout_user",
    "lateral_new_host",
    "lateral_rdp_fanout",
    "login_chain",
    "remote_exec",
)
#: Each detector's (keys, columns) in a snapshot with keys of its own (main's a68d8f0 fixture:
#: ``lateral_rdp_fanout`` came later and starts from nothing when such a snapshot loads).
OWN_TABLES = {
    "lateral_fanout_user": ("pairs_keys", ("pairs_last", "mark_last", "mark_value")),
    "lateral_new_host": ("edges_keys", ("edges_last",)),
    "login_chain": ("reached_keys", ("reached_counts",)),
    "remote_exec": ("logons_keys", ("logons_last", "logon_src")),
}


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return scenario_events()


def run(engine: Engine, events: list[Event], size: int = 700) -> dict[str, list[tuple]]:
    """Every signal (detector -> (row, points) list), the engine's detectors scoring then
    learning batch by batch."""
    found: dict[str, list[tuple]] = {d.name: [] for d in engine.detectors}
    for start in range(0, len(events), size):
        batch = engine.builder.build(events[start : start + size])
        signals = {d.name: d.score(batch, engine.builder) for d in engine.detectors}
        for detector in engine.detectors:
            detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
        for name, own in signals.items():
            found[name] += [
                (start + int(r), float(p)) for r, p in zip(own.rows, own.points, strict=True)
            ]
    return found


def sharing(engine: Engine) -> list[Detector]:
    return [d for d in engine.detectors if d.name in SHARING]


def tables(engine: Engine) -> dict[str, KeyedColumns]:
    return {d.name: d.user_host_pairs for d in sharing(engine)}  # type: ignore[attr-defined]


def test_shared_keys_flag_what_own_keys_flag(events: list[Event]) -> None:
    shared = run(Engine(), events)
    flagged = 0
    for name in SHARING:
        alone = Engine(detectors=[registry.load_all()[name]()])
        assert tables(alone)[name].owns_keys
        assert run(alone, events)[name] == shared[name], name
        flagged += len(shared[name])
    assert flagged > 10


def test_engine_keeps_the_keys_once(events: list[Event]) -> None:
    engine = Engine()
    engine.process(events)
    by_name = tables(engine)
    keys = by_name["lateral_fanout_user"].pairs
    assert len(keys.keys) > 50
    assert all(table.pairs is keys for table in by_name.values())
    states = {d.name: d.state() for d in sharing(engine)}
    assert "pairs_keys" in states["lateral_fanout_user"]
    for name, (keys_name, columns) in OWN_TABLES.items():
        if name != "lateral_fanout_user":
            assert keys_name not in states[name]
        for column in columns:
            assert len(states[name][column]) == len(keys.keys)
    # Each detector alone keeps the same pairs (remote_exec: those without explicit credentials)
    # with the same values: the shared columns are its own, plus fill values.
    for name, (_, columns) in OWN_TABLES.items():
        alone = Engine(detectors=[registry.load_all()[name]()])
        alone.process(events)
        own = alone.detectors[0].state()
        own_keys = tables(alone)[name].keys  # (as pair_keys makes them; saved in 32 bits)
        assert set(own_keys) <= set(keys.keys)
        at = np.searchsorted(keys.keys, own_keys)
        for column in columns:
            np.testing.assert_array_equal(states[name][column][at], own[column], err_msg=column)
            assert states[name][column].dtype == own[column].dtype


def test_snapshot_round_trips_and_runs_on(events: list[Event], tmp_path: Path) -> None:
    split = len(events) // 2
    whole = Engine().process(events)
    first = Engine()
    alerts = first.process(events[:split])
    first.save(tmp_path)
    second = Engine()
    assert second.load(tmp_path)
    for a, b in zip(first.detectors, second.detectors, strict=True):
        for table, value in a.state().items():
            assert value.dtype == b.state()[table].dtype, f"{a.name}/{table}"
            np.testing.assert_array_equal(value, b.state()[table], err_msg=f"{a.name}/{table}")
    assert all(
        t.pairs is tables(second)["lateral_fanout_user"].pairs for t in tables(second).values()
    )
    alerts += second.process(events[split:])
    assert {a.id for a in alerts} == {a.id for a in whole}


def saved_arrays(directory: Path) -> dict[str, np.ndarray]:
    with np.load(directory / "state.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def test_main_snapshot_loads_every_value(tmp_path: Path) -> None:
    """``data/snapshot_main_a68d8f0``: main's engine (a68d8f0, each detector with keys of its
    own) after the first half of a generated scenario (seed 7, 10 days, 15 users, every attack
    once; 4,096-event batches)."""
    saved = saved_arrays(FIXTURE)
    engine = Engine()
    assert engine.load(FIXTURE)
    by_name = {d.name: d for d in engine.detectors}
    union = np.unique(np.concatenate([saved[f"{n}/{k}"] for n, (k, _) in OWN_TABLES.items()]))
    np.testing.assert_array_equal(tables(engine)["lateral_new_host"].keys, union)
    fanout = by_name["lateral_fanout_user"]
    assert isinstance(fanout, LateralFanoutUser)
    keys = saved["lateral_fanout_user/pairs_keys"]
    for column, old in (("last", "pairs_last"), ("mark_last", "mark_last")):
        got = fanout.pairs_.get(column, keys)  # (times: whole seconds, rounded down)
        np.testing.assert_array_equal(got, floor_seconds(saved[f"lateral_fanout_user/{old}"]))
    got = fanout.pairs_.get("mark_value", keys)
    np.testing.assert_array_equal(got, saved["lateral_fanout_user/mark_value"])
    host = by_name["lateral_new_host"]
    assert isinstance(host, LateralNewHost)
    seen, last = host.edges_.lookup(saved["lateral_new_host/edges_keys"])
    assert seen.all()
    np.testing.assert_array_equal(last, floor_seconds(saved["lateral_new_host/edges_last"]))
    chain = by_name["login_chain"]
    assert isinstance(chain, LoginChain)
    counts = chain.reached_.get("counts", saved["login_chain/reached_keys"])
    np.testing.assert_array_equal(counts, saved["login_chain/reached_counts"])
    for name in ("ip_host", "last_in_user", "last_in_src", "user_privileged", "relay"):
        np.testing.assert_array_equal(chain.state()[name], saved[f"login_chain/{name}"])
    remote = by_name["remote_exec"]
    assert isinstance(remote, RemoteExecution)
    logons = saved["remote_exec/logons_keys"]
    np.testing.assert_array_equal(
        remote.logons_.get("last", logons), floor_seconds(saved["remote_exec/logons_last"])
    )
    np.testing.assert_array_equal(
        remote.logon_sources(logons), wide_ids(saved["remote_exec/logon_src"])
    )
    # and it saves in the shared layout, which loads back the same
    engine.save(tmp_path)
    again = Engine()
    assert again.load(tmp_path)
    for a, b in zip(engine.detectors, again.detectors, strict=True):
        for table, value in a.state().items():
            np.testing.assert_array_equal(value, b.state()[table], err_msg=f"{a.name}/{table}")


def test_own_keys_that_differ_are_merged(tmp_path: Path) -> None:
    """Snapshots where the detectors' own key sets differ (remote_exec keeps only logons
    without explicit credentials): each keeps its values, and reads fills for the others."""
    arrays = saved_arrays(FIXTURE)
    keys = arrays["remote_exec/logons_keys"]
    kept = np.arange(len(keys)) % 3 != 0  # drop a third of remote_exec's pairs
    for table in ("logons_keys", "logons_last", "logon_src"):
        arrays[f"remote_exec/{table}"] = arrays[f"remote_exec/{table}"][kept]
    for name in ("meta.json", "vocab.json", "risk.json"):
        (tmp_path / name).write_bytes((FIXTURE / name).read_bytes())
    np.savez(tmp_path / "state.npz", **arrays)  # type: ignore[arg-type]
    engine = Engine()
    assert engine.load(tmp_path)
    remote = next(d for d in engine.detectors if isinstance(d, RemoteExecution))
    np.testing.assert_array_equal(
        remote.logons_.get("last", keys[kept]), floor_seconds(arrays["remote_exec/logons_last"])
    )
    assert np.isnan(remote.logons_.get("last", keys[~kept])).all()
    assert (remote.logon_sources(keys[~kept]) == NO_SOURCE).all()
    host = next(d for d in engine.detectors if isinstance(d, LateralNewHost))
    assert host.edges_.lookup(keys)[0].all()
    assert len(remote.logons_.keys) == len(keys)  # the union: the other tables' keys


def test_keys_widen_when_an_id_outgrows_16_bits() -> None:
    table = KeyedColumns(last=(np.float64, np.nan))
    small = np.array([(3 << 32) | 9, (1 << 32) | 70], dtype=np.int64)
    table.latest_at("last", small, np.array([5.0, 6.0]))
    assert table.pairs.stored.dtype == np.uint32
    np.testing.assert_array_equal(table.keys, np.sort(small))
    large = (2 << 32) | 70_000  # a host id past 2**16: not in the table, and then the first
    assert not table.pairs.find(np.array([large, -1], dtype=np.int64))[1].any()
    table.latest_at("last", np.array([large], dtype=np.int64), np.array([7.0]))
    assert table.pairs.stored.dtype == np.int64
    keys = np.array([(1 << 32) | 70, large, (3 << 32) | 9], dtype=np.int64)
    np.testing.assert_array_equal(table.keys, keys)
    np.testing.assert_array_equal(table.get("last", keys), [6.0, 7.0, 5.0])
    np.testing.assert_array_equal(table.lefts(), [1, 2, 3])


def padded(kinds: tuple[str, ...], size: int = 70_000) -> Engine:
    """An engine whose ids of ``kinds`` start past 2**16 (another tenant's names first)."""
    engine = Engine()
    for kind in kinds:
        filler = [f"other{SEPARATOR}{kind}{i}" for i in range(size)]
        engine.builder.vocab[kind] = Vocabulary(filler)
    engine.builder = BatchBuilder(engine.builder.vocab)
    return engine


def test_wide_keys_flag_what_narrow_keys_flag(events: list[Event]) -> None:
    narrow = Engine()
    expected = run(narrow, events)
    wide = padded(("user", "host", "ip"))
    assert run(wide, events) == expected
    for engine, dtype in ((narrow, np.uint32), (wide, np.int64)):
        by_name = {d.name: d for d in engine.detectors}
        edge, fanout = by_name["lateral_new_edge"], by_name["lateral_fanout_source"]
        assert isinstance(edge, LateralNewEdge) and isinstance(fanout, LateralFanoutSource)
        for table in (*tables(engine).values(), edge.edges_.table, fanout.pairs_):
            assert table.pairs.stored.dtype == dtype
        rare = [d.pairs_ for d in engine.detectors if isinstance(d, NoveltyDetector)]
        assert sum(len(t) for t in rare) > 100
        for count_table in rare:  # (the rare_* pair keys: narrow by the same rule)
            assert count_table.stored.dtype == dtype or not len(count_table)
        # Round 11: the spray pairs (ids < 2**15) and login_chain's tables, the same way.
        spray, chain = by_name["password_spray"], by_name["login_chain"]
        assert isinstance(spray, PasswordSpray) and isinstance(chain, LoginChain)
        assert len(spray.pair_keys_) > 0 and spray.pair_keys_.dtype == dtype
        assert len(chain.habits_) > 0 and len(chain.console_) > 0
        for pair_table in (chain.habits_, chain.console_, chain.pools_):
            assert pair_table.keys.dtype == dtype or not len(pair_table)


@pytest.mark.parametrize("left_out", ["lateral_fanout_user", "lateral_new_host"])
def test_keys_saved_by_a_detector_not_run_still_restore(
    events: list[Event], tmp_path: Path, left_out: str
) -> None:
    """Saved by an engine that runs all four, restored by one without the detector that saved
    the keys (an ``enabled`` list changed between runs), and back."""
    full = Engine()
    full.process(events)
    full.save(tmp_path / "full")
    part = Engine(
        detectors=registry.build([n for n in sorted(registry.load_all()) if n != left_out])
    )
    assert part.load(tmp_path / "full")
    keys = tables(full)["lateral_fanout_user"].keys
    expected = tables(full)
    assert left_out not in tables(part)
    for name, table in tables(part).items():
        for column in expected[name].columns:  # (as read: time columns in float64)
            values = expected[name].get(column, keys)
            np.testing.assert_array_equal(table.get(column, keys), values, err_msg=name)
    part.save(tmp_path / "part")
    again = Engine()
    assert again.load(tmp_path / "part")
    for name, table in tables(again).items():
        if name == left_out:  # (not in that snapshot: nothing learned, every pair absent)
            for column, fill in table.fills.items():
                np.testing.assert_array_equal(table.get(column, keys), np.full(len(keys), fill))
            continue
        for column in expected[name].columns:  # (as read: time columns in float64)
            values = expected[name].get(column, keys)
            np.testing.assert_array_equal(table.get(column, keys), values, err_msg=name)


def test_keys_saved_by_the_desktop_fanout_restore_without_it(
    events: list[Event], tmp_path: Path
) -> None:
    """With the two detectors before it left out, ``lateral_rdp_fanout`` saves the keys; an
    engine without it must still find them for the others' columns."""
    names = sorted(registry.load_all())
    earlier = ("lateral_fanout_user", "lateral_new_host")
    owner = Engine(detectors=registry.build([n for n in names if n not in earlier]))
    owner.process(events)
    owner.save(tmp_path / "owner")
    without = (*earlier, "lateral_rdp_fanout")
    part = Engine(detectors=registry.build([n for n in names if n not in without]))
    assert part.load(tmp_path / "owner")
    expected = tables(owner)
    keys = expected["login_chain"].keys
    assert len(keys) > 0
    for name, table in tables(part).items():
        for column in expected[name].columns:  # (as read: time columns in float64)
            values = expected[name].get(column, keys)
            np.testing.assert_array_equal(table.get(column, keys), values, err_msg=name)
