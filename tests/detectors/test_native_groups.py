"""The engine with the compiled grouping kernels (round 20, ``vigil_native`` behind
``detectors._sort``) raises the same alerts and learns the same arrays, bit for bit, as with
numpy's paths: the kernels are a speed-up only."""

from __future__ import annotations

import numpy as np
import pytest

import detectors._sort as sort_module
from detectors.engine import Engine
from schemas.alert import encode_alert
from schemas.event import Event
from tests.detectors.streams import scenario_events
from tests.detectors.test_exact_state import arrays_of


def _run(
    events: list[Event], native: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[bytes], dict[str, bytes]]:
    monkeypatch.setattr(sort_module, "NATIVE", native)
    engine = Engine()
    alerts: list[bytes] = []
    for start in range(0, len(events), 1500):
        alerts.extend(map(encode_alert, engine.process(events[start : start + 1500])))
    state = {
        f"{detector.name}.{name}": array.dtype.str.encode() + array.tobytes()
        for detector in engine.detectors
        for name, array in arrays_of(detector).items()
    }
    return alerts, state


@pytest.mark.skipif(not sort_module.NATIVE, reason="vigil_native is not installed")
def test_same_alerts_and_state_with_and_without_the_kernels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = sort_module._native_unique

    def counted(keys: np.ndarray) -> object:
        calls.append(len(keys))
        return real(keys)

    monkeypatch.setattr(sort_module, "_native_unique", counted)
    events = scenario_events()  # (once: each generation draws fresh event ids)
    native_alerts, native_state = _run(events, True, monkeypatch)
    assert calls  # (the kernels were used)
    numpy_alerts, numpy_state = _run(events, False, monkeypatch)
    assert native_alerts and native_alerts == numpy_alerts
    assert native_state.keys() == numpy_state.keys()
    assert [k for k in native_state if native_state[k] != numpy_state[k]] == []
