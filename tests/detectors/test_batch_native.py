"""The batch builder's compiled column kernels (round 21, schemas/native/src/batch.rs):
``detectors.batch.lookup_ids`` and ``event_basics`` give the same arrays (and the same "not
known" answer) with the kernels as with numpy's ``fromiter`` paths, and the builder makes the
same batches either way."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors.batch as batch_module
from detectors.batch import BatchBuilder, Vocabulary, event_basics, lookup_ids
from schemas.event import Action, Event, Outcome
from tests.detectors.streams import scenario_events

needs_native = pytest.mark.skipif(not batch_module.NATIVE, reason="vigil_native is not installed")


def test_native_is_built() -> None:
    """CI (``make test``) sets VIGIL_REQUIRE_NATIVE=1: the batch kernels must be there (a
    compiled module built before them would silently skip every kernel test here)."""
    if os.environ.get("VIGIL_REQUIRE_NATIVE") != "1":
        pytest.skip("VIGIL_REQUIRE_NATIVE is not set")
    assert batch_module._native_lookup is not None, "vigil_native lacks lookup_ids: run `make`"
    assert batch_module._native_basics is not None, "vigil_native lacks event_basics: run `make`"


WORDS = st.sampled_from(["", "a", "b", "c", "10.0.0.1", "x\x1fy", "é", "bob"])
IDS = st.one_of(st.integers(min_value=-1, max_value=2**31 - 1), st.none())


def _both(known: dict[str, int | None], values: list[str]) -> tuple[object, object]:
    answers = []
    for native in (True, False):
        batch_module.NATIVE = native
        try:
            found = lookup_ids(known, values)
        finally:
            batch_module.NATIVE = batch_module._native_lookup is not None
        answers.append(None if found is None else (found.dtype.str, found.tolist()))
    return answers[0], answers[1]


@settings(max_examples=300, deadline=None)
@given(known=st.dictionaries(WORDS, IDS, max_size=8), values=st.lists(WORDS, max_size=40))
def test_lookup_ids_is_fromiter(known: dict[str, int | None], values: list[str]) -> None:
    native, numpy = _both(known, values)
    assert native == numpy
    expected = [known.get(value) for value in values]
    if None in expected:
        assert native is None
    else:
        assert native == ("<i4" if np.little_endian else ">i4", expected)


@needs_native
def test_lookup_ids_uses_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = batch_module._native_lookup

    def counted(known: dict[str, int], values: list[str]) -> object:
        calls.append(len(values))
        return real(known, values)

    monkeypatch.setattr(batch_module, "_native_lookup", counted)
    vocab = Vocabulary()
    assert vocab.intern_many("t", ["a", "b", "a"]).tolist() == [0, 1, 0]
    assert vocab.intern_many("t", ["b", "a", "c", "a"]).tolist() == [1, 0, 2, 0]
    assert calls  # (the kernel answered, not numpy)


def test_out_of_range_ids_raise_either_way() -> None:
    for native in (True, False):
        batch_module.NATIVE = native and batch_module._native_lookup is not None
        try:
            with pytest.raises(OverflowError):
                lookup_ids({"a": 2**31}, ["a"])
        finally:
            batch_module.NATIVE = batch_module._native_lookup is not None


def test_batches_are_the_same_with_and_without_the_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = scenario_events()
    built = []
    for native in (True, False):
        monkeypatch.setattr(batch_module, "NATIVE", native and batch_module.NATIVE)
        builder = BatchBuilder()
        columns = []
        for start in range(0, len(events), 1500):
            batch = builder.build(events[start : start + 1500])
            columns.append({name: column.tobytes() for name, column in batch.columns.items()})
            for name in ("time", "tenant", "action", "outcome", "privileged"):
                column = getattr(batch, name)
                columns.append({name: column.dtype.str.encode() + column.tobytes()})
        built.append((columns, {kind: vocab.keys for kind, vocab in builder.vocab.items()}))
    assert built[0] == built[1]


def _basics_both_ways(events: list[Event]) -> list[object]:
    answers: list[object] = []
    for native in (True, False):
        batch_module.NATIVE = native and batch_module._native_basics is not None
        try:
            answers.append(
                [column.dtype.str.encode() + column.tobytes() for column in event_basics(events)]
            )
        except Exception as exc:  # (the same failure either way)
            answers.append((type(exc), str(exc)))
        finally:
            batch_module.NATIVE = batch_module._native_lookup is not None
    return answers


EVENT = Event(
    time=datetime(2024, 5, 1, tzinfo=UTC), tenant="t", source_format="x", action=Action.LOGON
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(0), "Z"), None])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.datetimes(timezones=ZONES),
            st.sampled_from(list(Action)),
            st.sampled_from(list(Outcome)),
            st.booleans(),
        ),
        max_size=20,
    )
)
def test_event_basics_is_the_fromiter_passes(
    rows: list[tuple[datetime, Action, Outcome, bool]],
) -> None:
    events = [
        msgspec.structs.replace(EVENT, time=time, action=action, outcome=outcome, privileged=flag)
        for time, action, outcome, flag in rows
    ]
    native, numpy = _basics_both_ways(events)
    assert native == numpy


@settings(max_examples=300, deadline=None)
@given(times=st.lists(st.datetimes(timezones=st.just(UTC)), min_size=1, max_size=20))
def test_event_times_are_timestamp(times: list[datetime]) -> None:
    events = [msgspec.structs.replace(EVENT, time=time) for time in times]
    assert event_basics(events)[0].tolist() == [time.timestamp() for time in times]


@needs_native
def test_event_basics_uses_the_kernel_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[bool] = []
    real = batch_module._native_basics

    def counted(*args: object) -> object:
        found = real(*args)
        answers.append(found is not None)
        return found

    monkeypatch.setattr(batch_module, "_native_basics", counted)
    assert event_basics([EVENT, EVENT])[1].tolist() == [0, 0]
    odd = [  # not what the kernel answers: Python's passes do, the same arrays or errors
        msgspec.structs.replace(
            EVENT, time=datetime(2024, 5, 1, tzinfo=timezone(timedelta(0), "Z"))
        ),
        msgspec.structs.replace(EVENT, privileged=1),  # type: ignore[arg-type]
        msgspec.structs.replace(EVENT, action="logon"),  # type: ignore[arg-type]
    ]
    for event in odd:
        native, numpy = _basics_both_ways([EVENT, event])
        assert native == numpy
    assert answers == [True, False, False, False]
