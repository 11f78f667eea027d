"""The conformance suite every registered detector passes (STYLE.md, river/sklearn style).

Each detector has a case module in ``tests/detectors/cases/<name>.py`` with ``DETECTOR``,
``PARAMS`` (short learning periods for small streams), ``history(seed, days)`` (normal traffic
the detector watches) and ``anomaly(history)`` (one event it must flag).
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tests.detectors.cases as cases_package
from detectors import registry
from detectors.base import Detector, Signals
from detectors.batch import BatchBuilder
from schemas.event import Event
from tests.detectors.streams import shifted

DETECTOR_NAMES = sorted(registry.load_all())
CASES: dict[str, ModuleType] = {}
for info in pkgutil.iter_modules(cases_package.__path__):
    module = importlib.import_module(f"tests.detectors.cases.{info.name}")
    CASES[module.DETECTOR] = module


def fresh(name: str) -> Detector:
    return registry.DETECTORS[name](**CASES[name].PARAMS)


def run(detector: Detector, builder: BatchBuilder, events: list[Event]) -> Signals:
    batch = builder.build(events)
    signals = detector.score(batch, builder)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    return signals


def flagged(signals: Signals, events: list[Event]) -> dict[str, float]:
    return {
        events[int(r)].record_id: float(p)
        for r, p in zip(signals.rows, signals.points, strict=True)
    }


def test_every_detector_has_a_conformance_case() -> None:
    missing = [name for name in DETECTOR_NAMES if name not in CASES]
    assert not missing, f"add tests/detectors/cases/<name>.py for {missing}"


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_input_not_mutated(name: str) -> None:
    events = CASES[name].history()
    before = copy.deepcopy(events)
    builder = BatchBuilder()
    batch = builder.build(events)
    columns_before = {k: v.copy() for k, v in batch.columns.items()}
    time_before = batch.time.copy()
    detector = fresh(name)
    detector.score(batch, builder)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    assert events == before
    np.testing.assert_array_equal(batch.time, time_before)
    for key, column in batch.columns.items():
        np.testing.assert_array_equal(column, columns_before[key])


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_score_does_not_change_state(name: str) -> None:
    builder, detector = BatchBuilder(), fresh(name)
    run(detector, builder, CASES[name].history())
    state = {k: v.copy() for k, v in detector.state().items()}
    detector.score(builder.build(CASES[name].history(seed=2)), builder)
    after = detector.state()
    assert state.keys() == after.keys()
    for key in state:
        np.testing.assert_array_equal(state[key], after[key])


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_snapshot_restore_bit_for_bit(name: str, tmp_path: Path) -> None:
    builder, detector = BatchBuilder(), fresh(name)
    history = CASES[name].history()
    run(detector, builder, history)
    path = tmp_path / "state.npz"
    np.savez(path, **detector.state())
    with np.load(path, allow_pickle=False) as data:
        restored_state = {k: data[k] for k in data.files}
    restored = fresh(name)
    restored.load_state(restored_state)
    for key, value in detector.state().items():
        np.testing.assert_array_equal(value, restored.state()[key])
        assert value.dtype == restored.state()[key].dtype
    probe = [
        *shifted(CASES[name].history(seed=3, days=3), history[-1].time),
        CASES[name].anomaly(history),
    ]
    probe.sort(key=lambda e: e.time)
    batch = builder.build(probe)
    a, b = detector.score(batch, builder), restored.score(batch, builder)
    np.testing.assert_array_equal(a.rows, b.rows)
    np.testing.assert_array_equal(a.points, b.points)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_seeded_runs_repeat(name: str) -> None:
    results = []
    for _ in range(2):
        builder, detector = BatchBuilder(), fresh(name)
        events = CASES[name].history(seed=5)
        results.append(flagged(run(detector, builder, events), events))
    assert results[0] == results[1]


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_scores_finite_on_empty_and_constant_baselines(name: str) -> None:
    builder, detector = BatchBuilder(), fresh(name)
    history = CASES[name].history()
    anomaly = CASES[name].anomaly(history)
    empty = detector.score(builder.build([anomaly]), builder)
    assert np.isfinite(empty.points).all()
    constant = [history[0]] * 50
    run(detector, builder, constant)
    signals = detector.score(builder.build([anomaly]), builder)
    assert np.isfinite(signals.points).all()
    assert ((signals.points >= 0) & (signals.points <= 100)).all()
    assert detector.score(builder.build([]), builder).rows.size == 0


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_batch_equals_one_by_one(name: str) -> None:
    history = CASES[name].history(days=21)
    events = [*history, *([CASES[name].anomaly(history)] * 3)]
    whole_builder, whole = BatchBuilder(), fresh(name)
    whole_flags = flagged(run(whole, whole_builder, events), events)
    single_builder, single = BatchBuilder(), fresh(name)
    # Intern in the same order as the whole batch so that state arrays are comparable by id.
    single_builder.build(events)
    single_flags: dict[str, float] = {}
    for event in events:
        single_flags.update(flagged(run(single, single_builder, [event]), [event]))
    assert whole_flags == pytest.approx(single_flags)
    assert whole_flags, f"{name} flagged nothing in the equivalence stream"
    for key, value in whole.state().items():
        # float32 state (compact profiles) rounds differently along different batchings.
        rtol = 1e-5 if value.dtype == np.float32 else 1e-7
        np.testing.assert_allclose(value, single.state()[key], rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_injected_anomaly_outranks_normal_traffic(name: str) -> None:
    builder, detector = BatchBuilder(), fresh(name)
    history = CASES[name].history(days=21)
    run(detector, builder, history)
    more = shifted(CASES[name].history(seed=9, days=3), history[-1].time + timedelta(hours=1))
    anomaly = CASES[name].anomaly(more)
    probe = [*more, anomaly]
    scores = flagged(detector.score(builder.build(probe), builder), probe)
    assert anomaly.record_id in scores, f"{name} did not flag its anomaly"
    normal_max = max((p for r, p in scores.items() if r != anomaly.record_id), default=0.0)
    assert scores[anomaly.record_id] > normal_max


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_per_finding_techniques_are_the_detectors_own(name: str) -> None:
    """A finding names only techniques its detector declares, one entry per row when given."""
    builder, detector = BatchBuilder(), fresh(name)
    history = CASES[name].history(days=21)
    run(detector, builder, history)
    anomaly = CASES[name].anomaly(history)
    signals = detector.score(builder.build([*history[-20:], anomaly]), builder)
    assert len(signals), f"{name} flagged nothing"
    assert not signals.row_mitre or len(signals.row_mitre) == len(signals)
    for index in range(len(signals)):
        techniques = signals.techniques(index)
        assert set(techniques) <= set(detector.mitre), (name, techniques, detector.mitre)
        assert all(t.startswith("T") for t in techniques)
