"""Round 22 (core22): the scoring core's cuts give the answers of the code they replace.

Each helper is compared with the formula it replaced (kept here as the reference), on random
inputs (hypothesis): ``IdColumns.positions`` inserting new ids instead of rebuilding its bitmap,
``PairTable.add`` / ``PairKeys.insert`` answering where the keys are now, ``value_mask`` keeping
its verdicts with the batch, ``stored_spray_keys`` answering a wide table from its last key, and
``account_lifecycle``'s key plants grouped on one int64 key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors._id_columns import IdColumns
from detectors._pair_columns import PairKeys
from detectors.account_lifecycle import AccountLifecycle, key_plant_target
from detectors.base import PairTable, pair_keys, sorted_unique
from detectors.batch import ACTION_CODE, BatchBuilder, EventBatch
from detectors.failed_logons import NARROW_SPRAY_ID, narrow_spray_keys, stored_spray_keys
from detectors.lateral import LateralDesktopFanout, not_a_person, value_mask
from schemas.event import Action, Event, Outcome

_FILLS = {"count": 0, "first": float("nan"), "small": -1}
_TYPES = {"count": np.uint16, "first": np.float64, "small": np.int8}


def _rebuilt_positions(columns: IdColumns, ids: np.ndarray) -> np.ndarray:
    """``IdColumns.positions`` as it was (main at 3225c5b): the bitmap and every column rebuilt
    from every used id whenever a batch brings a new one."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids):
        columns.dense_size = max(columns.dense_size, int(ids.max()) + 1)
    slot, found = columns.find(ids)
    if found.all():
        return slot
    before = columns.ids
    columns._set_ids(np.concatenate([before, np.unique(ids[~found])]))
    kept = columns.find(before)[0]
    for name, column in columns.columns.items():
        grown = np.full(len(columns), columns.fills[name], dtype=column.dtype)
        grown[kept] = column
        columns.columns[name] = grown
    return columns.find(ids)[0]


def _fresh() -> IdColumns:
    columns = IdColumns(dict(_FILLS))
    for name, dtype in _TYPES.items():
        columns[name] = np.empty(0, dtype=dtype)
    return columns


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 3_000), min_size=0, max_size=60), min_size=1, max_size=8),
    st.integers(0, 2**32 - 1),
)
def test_id_columns_insert_as_rebuilt(batches: list[list[int]], seed: int) -> None:
    """Batch after batch of ids (repeats, ids within and beyond the bitmap's words): the same
    slots, bitmap, ranks and columns as rebuilding from every used id, values written between
    batches kept at their ids."""
    rng = np.random.default_rng(seed)
    ours, theirs = _fresh(), _fresh()
    for ids in batches:
        batch = np.array(ids, dtype=np.int64)
        got, want = ours.positions(batch), _rebuilt_positions(theirs, batch)
        assert np.array_equal(got, want)
        assert np.array_equal(ours.words, theirs.words)
        assert np.array_equal(ours.ranks, theirs.ranks)
        assert ours.dense_size == theirs.dense_size
        for name in _TYPES:
            assert ours[name].dtype == theirs[name].dtype
            assert np.array_equal(ours[name], theirs[name], equal_nan=True)
        if len(batch):  # write something at the batch's ids, as detectors do
            value = rng.integers(0, 100, size=len(batch))
            for columns in (ours, theirs):
                columns["count"][got] = value
                columns["first"][got] = value * 0.5


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 70_000), st.integers(0, 300)), max_size=40),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_pair_table_add_answers_positions(
    batches: list[list[tuple[int, int]]], narrow: bool
) -> None:
    """What ``PairTable.add`` returns is ``positions`` of the batch's distinct keys after it
    (narrow keys that widen on a large id included)."""
    table = PairTable(narrow_keys=narrow)
    for pairs in batches:
        left = np.array([p[0] for p in pairs], dtype=np.int64)
        right = np.array([p[1] for p in pairs], dtype=np.int64)
        keys = pair_keys(left, right)
        got = table.add(keys, np.arange(len(keys), dtype=np.float64))
        assert got.dtype == np.int64
        assert np.array_equal(got, table.positions(sorted_unique(keys)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 70_000), st.integers(0, 300)), max_size=40),
        min_size=1,
        max_size=6,
    )
)
def test_pair_keys_insert_answers_positions(batches: list[list[tuple[int, int]]]) -> None:
    """``PairKeys.insert`` keeps the keys of searching twice and returns their positions."""
    table = PairKeys()
    reference: set[int] = set()
    for pairs in batches:
        left = np.array([p[0] for p in pairs], dtype=np.int64)
        right = np.array([p[1] for p in pairs], dtype=np.int64)
        keys = pair_keys(left, right)
        got = table.insert(keys)
        reference |= set(keys.tolist())
        assert table.keys.tolist() == sorted(reference)
        assert np.array_equal(got, table.positions(sorted_unique(keys)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**40), max_size=50), st.booleans())
def test_stored_spray_keys_as_the_formula(values: list[int], large_last: bool) -> None:
    """The last-key shortcut gives the type and keys of the whole-table formula."""
    keys = np.array(sorted(values), dtype=np.int64)
    if large_last and len(keys):
        keys[-1] = (NARROW_SPRAY_ID + 1) << 33
    narrow, fits = narrow_spray_keys(keys)
    want = narrow if bool(fits.all()) else keys
    got = stored_spray_keys(keys)
    assert got.dtype == want.dtype
    assert np.array_equal(got, want)


def _logons(users: list[str]) -> list[Event]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Event(
            time=start + timedelta(seconds=i),
            tenant="t",
            source_format="x",
            action=Action.LOGON,
            user=user,
            logon_type="3",
        )
        for i, user in enumerate(users)
    ]


def test_value_mask_asks_each_id_once_per_batch() -> None:
    """A module-level predicate is called once per distinct id of the batch, however many
    detectors ask it over whichever rows; the verdicts are those of asking every row."""
    users = ["alice", "HOST$", "anonymous logon", "bob", "alice", "", "bob", "carol$"]
    batch = BatchBuilder().build(_logons(users))
    asked: list[str] = []

    def counting(name: str) -> bool:
        asked.append(name)
        return not_a_person(name)

    expected = np.array([not_a_person(u) for u in users])
    for rows in ([0, 1, 2], [3, 4, 5, 1], list(range(8)), [6, 7]):
        index = np.array(rows, dtype=np.int64)
        got = value_mask(batch, "user", index, counting)
        assert got.tolist() == expected[index].tolist()
    # every distinct non-empty user once; the absent user (id -1, "") each time it is asked
    assert sorted(name for name in asked if name) == sorted(set(u for u in users if u))
    assert asked.count("") == 2


def _old_key_plants(batch: EventBatch) -> np.ndarray:
    """``AccountLifecycle._key_plants`` as it was: ``np.unique(axis=0)`` of (object, user)."""
    mask = batch.action == ACTION_CODE[Action.PRIVILEGE_USE]
    mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
    mask &= batch.column("object") >= 0
    rows = np.flatnonzero(mask)
    if not len(rows):
        return mask
    keys = np.stack([batch.column("object")[rows], batch.column("user")[rows]], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    answers = []
    for row in rows[first].tolist():
        event = batch.events[row]
        target = key_plant_target(event.object, event.target_user)
        answers.append(event.app == "sudo" and target not in ("", event.user))
    mask[rows] = np.asarray(answers, dtype=np.bool_)[inverse.reshape(-1)]
    return mask


_COMMANDS = [
    "/usr/bin/cp /tmp/k /home/deploy/.ssh/authorized_keys",
    "/usr/bin/tee /root/.ssh/authorized_keys",
    "/usr/bin/vi .ssh/authorized_keys",
    "/usr/bin/systemctl restart nginx",
    "",
]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["root", "deploy", "alice", "bob", ""]),
            st.sampled_from(_COMMANDS),
            st.sampled_from(["sudo", "su", ""]),
            st.sampled_from(["root", "deploy", ""]),
            st.sampled_from([Action.PRIVILEGE_USE, Action.LOGON]),
            st.sampled_from([Outcome.SUCCESS, Outcome.FAILURE]),
        ),
        max_size=40,
    )
)
def test_key_plants_as_unique_rows(rows: list[tuple[str, str, str, str, Action, Outcome]]) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        Event(
            time=start + timedelta(seconds=i),
            tenant="t",
            source_format="x",
            action=action,
            outcome=outcome,
            user=user,
            object=command,
            app=app,
            target_user=target,
        )
        for i, (user, command, app, target, action, outcome) in enumerate(rows)
    ]
    if not events:
        return
    batch = BatchBuilder().build(events)
    got = AccountLifecycle()._key_plants(batch)
    assert got.tolist() == _old_key_plants(batch).tolist()


def test_desktop_fanout_marks_every_pair_it_sees() -> None:
    """``_see`` writes its marks into the column that ``PairKeys.insert`` grew (not the one it
    replaced): unshared, as ``registry.build()`` makes it, every pair seen reads as seen."""
    detector = LateralDesktopFanout()
    for left, right in (([3, 1, 3], [7, 2, 7]), ([1, 9], [2, 4]), ([70_000], [5])):
        detector._see(pair_keys(np.array(left), np.array(right)), np.zeros(len(left)))
    seen = detector.pairs_["seen"]
    assert len(seen) == len(detector.pairs_.pairs) == 4
    assert seen.tolist() == [1, 1, 1, 1]
