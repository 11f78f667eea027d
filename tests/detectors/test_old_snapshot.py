"""A snapshot saved by main before the compact state layout (commit 1e424ca) still loads.

``data/snapshot_main_1e424ca`` is what main's engine saved after the first half of a generated
scenario (seed 7, 10 days, 15 users, every attack once; 4,096-event batches). Loaded here, it
must be exactly the state this code learns from the same half (every array, dtype and value:
the older float64 counts, the spray copy, the separate seen/learned/marks/sightings tables all
map onto the compact layout), and the second half must then give the same alerts. If the
scenario generator changes, regenerate the fixture with main's code (see the commit message).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.scenario import generate
from detectors.engine import Engine
from schemas.alert import Alert
from schemas.event import Event
from schemas.readers import InputReader

FIXTURE = Path(__file__).parent / "data" / "snapshot_main_1e424ca"


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    root = tmp_path_factory.mktemp("scenario") / "s"
    generate(root, seed=7, days=10, users=15)
    reader = InputReader(tenant="acme", sink=lambda letter: None)
    return list(reader.read_paths([str(root)]))


def run(engine: Engine, events: list[Event]) -> list[Alert]:
    alerts: list[Alert] = []
    for i in range(0, len(events), 4096):
        alerts += engine.process(events[i : i + 4096])
    return alerts


def test_main_snapshot_loads_as_the_state_this_code_learns(events: list[Event]) -> None:
    split = len(events) // 2
    own = Engine()
    run(own, events[:split])
    old = Engine()
    assert old.load(FIXTURE)
    assert old.events_processed == split
    for mine, loaded in zip(own.detectors, old.detectors, strict=True):
        expected, got = mine.state(), loaded.state()
        assert expected.keys() == got.keys(), mine.name
        for key, value in expected.items():
            assert value.dtype == got[key].dtype, f"{mine.name}/{key}"
            np.testing.assert_array_equal(value, got[key], err_msg=f"{mine.name}/{key}")
    with np.load(FIXTURE / "state.npz", allow_pickle=False) as saved_by_main:
        main_bytes = sum(int(saved_by_main[name].nbytes) for name in saved_by_main.files)
    assert own.state_bytes() < main_bytes / 1.5


def test_run_resumed_from_main_snapshot_alerts_alike(events: list[Event]) -> None:
    split = len(events) // 2
    whole = Engine()
    run(whole, events[:split])
    expected = run(whole, events[split:])
    resumed = Engine()
    assert resumed.load(FIXTURE)
    got = run(resumed, events[split:])
    assert expected
    assert [(a.id, a.version, a.score) for a in got] == [
        (a.id, a.version, a.score) for a in expected
    ]
