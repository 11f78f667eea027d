"""Round 25 (speed25): rare_time_of_week's compiled smoothed lookups
(``schemas/native/src/smooth.rs`` behind ``time_profile.smoothed_stored`` and
``_SmoothedIndex.evaluate``) give the numpy paths' answers bit for bit, and the detector's
signals and state do not depend on which path ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detectors.time_profile as time_profile
from detectors.batch import BatchBuilder
from detectors.time_profile import BINS, RareTimeOfWeek, _SmoothedIndex, hour_of_week
from schemas.event import Action, Event

native = pytest.mark.skipif(
    time_profile._native_grid is None or time_profile._native_stored is None,
    reason="vigil_native (with smooth.rs) is not installed",
)


def _numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_profile, "_native_grid", None)
    monkeypatch.setattr(time_profile, "_native_stored", None)


def _bits(values: np.ndarray) -> list[int]:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64).tolist()


@native
@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    entities=st.integers(1, 40),
    rows=st.integers(1, 400),
    span_hours=st.sampled_from([0.5, 30.0, 167.0, 200.0, 900.0, 5_000.0]),
    same_day=st.sampled_from([0.95, 0.85, 1.0]),
    keep_share=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    rounds=st.integers(1, 3),
)
def test_smoothed_index_is_numpys(
    seed: int,
    entities: int,
    rows: int,
    span_hours: float,
    same_day: float,
    keep_share: float,
    rounds: int,
) -> None:
    """The hour grid (one week or several: the weekly lattice), its whole-week offset and
    the sorted fallback (many entities over a long span), with stored profiles and stamps
    (some never), against numpy's path on the same inputs."""
    rng = np.random.default_rng(seed)
    detector = RareTimeOfWeek(same_day=same_day)
    time = np.sort(1.7e9 + rng.random(rows) * span_hours * 3600.0)
    entity = rng.integers(0, entities, rows).astype(np.int64)
    profile = rng.exponential(2.0, (entities, BINS)) * (rng.random((entities, BINS)) < 0.4)
    stamp = np.where(rng.random(rows) < 0.3, np.nan, time - rng.random(rows) * 1e6)
    hour = hour_of_week(time)
    keeps = [rng.random(rows) < keep_share for _ in range(rounds)]

    def answers() -> list[list[int]]:
        index = _SmoothedIndex(detector, profile, stamp, entity, time, hour)
        found = [_bits(index.stored_at_hour)]
        for keep in keeps:
            found.extend(_bits(part) for part in index.evaluate(keep))
        return found

    compiled = answers()
    with pytest.MonkeyPatch.context() as patch:
        _numpy_path(patch)
        assert compiled == answers()


def _stream(seed: int, users: int, days: int) -> list[Event]:
    """Office hours for most, nights for some, a few odd hours: rounds of the held-back fixed
    point, cooldowns and multi-week batches."""
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = []
    for day in range(days):
        for user in range(users):
            night = user % 4 == 3
            for _ in range(int(rng.integers(0, 6))):
                hour = rng.normal(2.0 if night else 12.0, 2.5) % 24
                if rng.random() < 0.03:
                    hour = rng.uniform(0, 24)
                moment = start + timedelta(days=day, hours=float(hour))
                events.append(
                    Event(
                        time=moment,
                        tenant=f"t{user % 2}",
                        source_format="x",
                        action=Action.LOGON,
                        user=f"u{user}",
                        src_ip="10.0.0.5",
                    )
                )
    events.sort(key=lambda event: event.time)
    return events


def _run(events: list[Event], batch: int) -> tuple[list[object], dict[str, np.ndarray]]:
    builder, detector = BatchBuilder(), RareTimeOfWeek(learning_days=3.0, min_events=5)
    found: list[object] = []
    for at in range(0, len(events), batch):
        built = builder.build(events[at : at + batch])
        signals = detector.score(built, builder)
        found.append((_bits(signals.points), signals.rows.tolist(), signals.titles))
        held = np.zeros(len(built), dtype=np.bool_)
        held[signals.rows] = True
        detector.learn(built, held)
    return found, detector.state()


@native
@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    batch=st.sampled_from([7, 150, 5_000]),
    days=st.sampled_from([10, 45]),
)
def test_detector_signals_and_state_do_not_depend_on_the_path(
    seed: int, batch: int, days: int
) -> None:
    events = _stream(seed, users=9, days=days)
    compiled_signals, compiled_state = _run(events, batch)
    with pytest.MonkeyPatch.context() as patch:
        _numpy_path(patch)
        numpy_signals, numpy_state = _run(events, batch)
    assert compiled_signals == numpy_signals
    assert sorted(compiled_state) == sorted(numpy_state)
    for name, array in compiled_state.items():
        assert array.dtype == numpy_state[name].dtype, name
        assert array.tobytes() == numpy_state[name].tobytes(), name
    assert any(titles for _, _, titles in compiled_signals)  # the stream does flag hours


@native
def test_kernels_refuse_what_they_cannot_read() -> None:
    """Out-of-range rows raise (as numpy's indexing would) instead of reading stray memory."""
    grid = time_profile._native_grid
    assert grid is not None
    ones = np.ones(3)
    rows = np.arange(3, dtype=np.int64)
    with pytest.raises(ValueError):  # a cell past the grid
        grid(
            np.ones(3, dtype=np.uint8), ones, rows + 5, rows, (1, 3),
            np.array([1], dtype=np.int64), np.array([0], dtype=np.int64), np.ones(1),
            (rows, rows * 0), (rows, rows * 0), ones, ones, ones,
        )  # fmt: skip
    stored = time_profile._native_stored
    assert stored is not None
    with pytest.raises(ValueError):  # an entity past the profile
        stored(np.zeros(BINS), rows, rows, ones, np.array([0], dtype=np.int64), np.ones(1))
