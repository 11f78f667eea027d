"""Round 26 (speed26): the shortcuts give what the longer ways gave, value for value.

- ``lateral.value_codes`` (one classification per distinct value) against one
  ``value_mask`` per kind, as ``remote_exec._kinds`` asked before; ``remote_exec.kind_in``
  against ``np.isin``;
- ``value_mask`` answering from verdicts kept with the batch against the predicate row by row;
- ``PairTable.look_up_and_place`` against ``lookup`` then ``add``, and ``DecayedTable.accumulate``
  (which now uses it) against the lookup-then-add version it replaced;
- ``CountTable`` (one search per insert, only the counted rows read) against a plain model,
  its count columns in the narrowest type of their largest value after every step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors._seconds import encode, floor_seconds
from detectors._sort import unique1d
from detectors.base import CountTable, PairTable, narrow_counts, pair_keys
from detectors.batch import BatchBuilder, EventBatch
from detectors.lateral import DecayedTable, value_codes, value_mask
from detectors.remote_exec import KINDS, NONE, exec_kind, kind_in, parent_kind, share_kind
from schemas.event import Action, Event

_START = datetime(2024, 3, 4, 9, tzinfo=UTC)

_OBJECTS = (
    "//*/ADMIN$",
    "//*/C$/x/a.exe",
    "//*/C$/Temp/ifm/ntds.dit",
    "//*/IPC$/svcctl",
    "//*/IPC$",
    "//*/SYSVOL/x",
    "\\Microsoft\\Task",
    "PSEXESVC",
    "",
)
_APPS = (
    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    "C:\\Windows\\System32\\wsmprovhost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\system32\\svchost.exe",
    "",
)


def _batch(objects: list[str], apps: list[str]) -> EventBatch:
    events = [
        Event(
            time=_START + timedelta(seconds=i),
            tenant="t",
            source_format="x",
            action=Action.PROCESS_START,
            user=f"u{i % 3}",
            object=obj,
            app=app,
        )
        for i, (obj, app) in enumerate(zip(objects, apps, strict=True))
    ]
    return BatchBuilder().build(events)


def _per_kind(
    batch: EventBatch, rows: np.ndarray, column: str, classify: Callable[[str], int]
) -> np.ndarray:
    """``remote_exec._kinds`` as it was: one ``value_mask`` (a fresh predicate) per kind."""
    out = np.full(len(rows), NONE, dtype=np.int64)
    for kind in range(len(KINDS)):

        def is_kind(value: str, wanted: int = kind) -> bool:
            return classify(value) == wanted

        out[value_mask(batch, column, rows, is_kind)] = kind
    return out


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, len(_OBJECTS) - 1), st.integers(0, len(_APPS) - 1)),
        min_size=1,
        max_size=60,
    ),
    data=st.data(),
)
def test_value_codes_are_one_mask_per_kind(
    picks: list[tuple[int, int]], data: st.DataObject
) -> None:
    batch = _batch([_OBJECTS[o] for o, _ in picks], [_APPS[a] for _, a in picks])
    rows = np.array(
        data.draw(st.lists(st.integers(0, len(picks) - 1), max_size=80)), dtype=np.int64
    )
    for column, classify in (("object", share_kind), ("object", exec_kind), ("app", parent_kind)):
        codes = value_codes(batch, column, rows, classify)
        codes[(codes < 0) | (codes >= len(KINDS))] = NONE
        assert codes.dtype == np.int64
        assert codes.tolist() == _per_kind(batch, rows, column, classify).tolist()


@given(st.lists(st.integers(NONE, len(KINDS) - 1), max_size=50), st.data())
def test_kind_in_is_isin(kinds: list[int], data: st.DataObject) -> None:
    names = tuple(data.draw(st.lists(st.sampled_from(KINDS), unique=True)))
    kind = np.array(kinds, dtype=np.int64)
    expected = np.isin(kind, [KINDS.index(name) for name in names])
    assert kind_in(kind, names).tolist() == expected.tolist()


def _is_admin(value: str) -> bool:  # a module-level predicate: its verdicts are kept
    return "ADMIN" in value or value.endswith(".exe")


@settings(max_examples=150, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(_OBJECTS) - 1), min_size=1, max_size=50),
    asks=st.lists(st.lists(st.integers(0, 49), max_size=60), min_size=1, max_size=5),
)
def test_value_mask_from_kept_verdicts(picks: list[int], asks: list[list[int]]) -> None:
    """Asked several times over overlapping rows (the later ones answered from the verdicts
    the earlier ones kept, or by asking the ids not kept yet): the predicate of each row."""
    objects = [_OBJECTS[p] for p in picks]
    batch = _batch(objects, [""] * len(objects))
    for ask in asks:
        rows = np.array([r % len(objects) for r in ask], dtype=np.int64)
        expected = [_is_admin(str(batch.events[r].object)) for r in rows.tolist()]
        assert value_mask(batch, "object", rows, _is_admin).tolist() == expected


_KEYS = st.lists(
    st.tuples(st.sampled_from([0, 1, 3, 7, 0xFFFF, 70_000]), st.integers(0, 9)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    first=_KEYS,
    second=_KEYS,
    narrow=st.booleans(),
    tally=st.booleans(),
    times=st.booleans(),
)
def test_look_up_and_place_is_lookup_then_add(
    first: list[tuple[int, int]],
    second: list[tuple[int, int]],
    narrow: bool,
    tally: bool,
    times: bool,
) -> None:
    def keys_of(pairs: list[tuple[int, int]]) -> np.ndarray:
        left, right = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
        return pair_keys(left, right)

    tables = [PairTable(narrow_keys=narrow, tally=tally, times=times) for _ in range(2)]
    for table in tables:
        table.add(keys_of(first), np.arange(len(first), dtype=np.float64) * 60.0)
    query = unique1d(keys_of(second))
    counts, last = tables[0].lookup(query)
    tables[0].add(query, np.zeros(len(query)))
    placed_counts, placed_last, position = tables[1].look_up_and_place(query)
    np.testing.assert_array_equal(placed_counts, counts)
    np.testing.assert_array_equal(placed_last, last)
    assert tables[1].keys.dtype == tables[0].keys.dtype
    assert tables[1].keys.tolist() == tables[0].keys.tolist()
    assert position.tolist() == tables[0].positions(query).tolist()
    assert len(tables[1].counts) == len(tables[0].counts)
    assert len(tables[1].last) == len(tables[0].last)


def _accumulate_before(table: DecayedTable, keys: np.ndarray, times: np.ndarray) -> None:
    """``DecayedTable.accumulate`` as it was: a lookup, then an ``add`` overwritten."""
    unique, inverse = unique1d(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    latest = np.full(len(unique), -np.inf)
    np.maximum.at(latest, inverse, times)
    added = np.zeros(len(unique))
    np.add.at(added, inverse, np.exp2(-(latest[inverse] - times) / table.half_life))
    before = table.at(unique, latest)
    position = table.table.add(unique, latest)
    stored = floor_seconds(latest)
    table.table.counts[position] = (before + added) * np.exp2((latest - stored) / table.half_life)
    table.table.last[position] = encode(stored)


@settings(max_examples=150, deadline=None)
@given(
    batches=st.lists(
        st.lists(
            st.tuples(st.sampled_from([1, 2, 5, 70_000]), st.integers(0, 6), st.floats(0, 5e4)),
            min_size=1,
            max_size=30,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_decayed_table_accumulates_as_before(batches: list[list[tuple[int, int, float]]]) -> None:
    now, before = DecayedTable(3_600.0), DecayedTable(3_600.0)
    clock = 1.7e9
    for rows in batches:
        left, right, offsets = (np.array(c) for c in zip(*rows, strict=True))
        keys = pair_keys(left.astype(np.int64), right.astype(np.int64))
        times = clock + np.sort(offsets.astype(np.float64))
        clock = float(times[-1]) + 1.0
        now.accumulate(keys, times)
        _accumulate_before(before, keys, times)
        for name in ("keys", "counts", "last"):
            ours, theirs = getattr(now.table, name), getattr(before.table, name)
            assert ours.dtype == theirs.dtype
            assert ours.tobytes() == theirs.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["add", "add", "assign", "add_days"]),
            st.lists(st.sampled_from([1, 2, 9, 300, 70_000]), min_size=1, max_size=30),
            st.integers(0, 400),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_count_table_counts(steps: list[tuple[str, list[int], int]]) -> None:
    """Adds (some above 255: the column widens), assigned counts that start over (it narrows
    again) and days, against a dictionary; every count column keeps the narrowest type."""
    table = CountTable(counts=("seen", "other"), days=("last",))
    model: dict[str, dict[int, int]] = {"seen": {}, "other": {}, "last": {}}
    for op, ids, value in steps:
        keys = pair_keys(np.array(ids, dtype=np.int64), np.full(len(ids), 4, dtype=np.int64))
        if op == "add":
            for _ in range(1 + value // 100):  # (repeats: counts past 255)
                table.add("seen", keys)
                for key in keys.tolist():
                    model["seen"][key] = model["seen"].get(key, 0) + 1
        elif op == "assign":
            distinct = unique1d(keys)
            table.assign(distinct, seen=[value] * len(distinct), other=[1] * len(distinct))
            for key in distinct.tolist():
                model["seen"][key], model["other"][key] = value, 1
        else:
            table.add_days("last", keys, np.full(len(keys), float(19_000 + value)))
            for key in keys.tolist():
                model["last"][key] = max(model["last"].get(key, -(2**31)), 19_000 + value)
        every = sorted(set().union(*model.values()))
        assert table.keys.tolist() == every
        found = table.lookup(np.array(every, dtype=np.int64))
        for name in ("seen", "other"):
            assert found[name].tolist() == [float(model[name].get(k, 0)) for k in every]
            column = table.counts[name]
            assert column.dtype == narrow_counts(column.astype(np.int64)).dtype
        expected_days = [float(model["last"][k]) if k in model["last"] else None for k in every]
        assert [None if np.isnan(d) else d for d in found["last"].tolist()] == expected_days
