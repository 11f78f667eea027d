"""Incremental checkpoints (no broker): a full checkpoint plus its deltas restores exactly the
state ``Engine.save`` writes, and the chain read from the state topic ignores what does not
belong to it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import numpy as np
import pytest

from benchmarks.scenario import generate
from detectors.engine import Engine
from pipeline.streaming import checkpoint, delta
from schemas.event import Event
from schemas.readers import InputReader


def saved(engine: Engine, directory: Path) -> dict[str, Any]:
    """Everything ``Engine.save`` writes, arrays as (dtype, shape, bytes): bit for bit."""
    engine.save(directory)
    with np.load(directory / "state.npz", allow_pickle=False) as data:
        arrays = {n: (str(data[n].dtype), data[n].shape, data[n].tobytes()) for n in data.files}
    documents = {n: json.loads((directory / n).read_text()) for n in ENGINE_DOCUMENTS}
    return {"arrays": arrays, **documents}


ENGINE_DOCUMENTS = ("meta.json", "vocab.json", "risk.json")


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    root = tmp_path_factory.mktemp("scenario")
    generate(root, seed=7, days=10, users=25, tenant="acme", learning_days=4)
    reader = InputReader(tenant="acme", sink=lambda letter: None)
    return sorted(reader.read_paths([str(root / "logs")]), key=lambda e: e.time)


def test_full_plus_deltas_restores_what_engine_save_writes(
    events: list[Event], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "CHAIN_RATIO", 1000.0)  # a long chain: only MAX_CHAIN ends it
    engine = Engine()
    state = checkpoint.PartitionState(partition=3, engine=engine, partition_by="tenant")
    size = len(events) // 20 + 1
    batches = [events[i : i + size] for i in range(0, len(events), size)]
    half = len(batches) // 2
    written: dict[bytes, bytes] = {}
    kinds = []
    for n, batch in enumerate(batches[:half]):
        engine.process(batch)
        state.next_offset = n + 1
        snap = checkpoint.snapshot(state, tmp_path)
        kinds.append(snap.meta.get("kind", "full"))
        written[snap.key] = checkpoint.archive(snap)
    assert kinds[0] == "full" and set(kinds[1:]) == {"delta"}, kinds
    values = checkpoint.chain(written, 3)
    assert len(values) == half  # the full one and every delta
    restored = Engine()
    meta = checkpoint.unpack(values, restored, tmp_path)
    assert meta["next_offset"] == half and meta["seq"] == half - 1
    assert saved(restored, tmp_path / "a") == saved(engine, tmp_path / "b")
    # The restored engine goes on exactly as the original: the same alerts, the same state.
    for batch in batches[half:]:
        ours = [msgspec.json.encode(a) for a in engine.process(batch)]
        theirs = [msgspec.json.encode(a) for a in restored.process(batch)]
        assert ours == theirs
    assert saved(restored, tmp_path / "c") == saved(engine, tmp_path / "d")


def test_a_delta_holds_what_changed_not_the_state(events: list[Event], tmp_path: Path) -> None:
    engine = Engine()
    state = checkpoint.PartitionState(partition=0, engine=engine)
    engine.process(events[: len(events) // 2])
    full = checkpoint.archive(checkpoint.snapshot(state, tmp_path))
    engine.process(events[len(events) // 2 : len(events) // 2 + 200])
    small = checkpoint.snapshot(state, tmp_path)
    assert small.delta is not None and small.delta.nbytes < state.tracker.state_bytes / 2  # type: ignore[union-attr]
    # The risk layer's document goes whole in every delta (here most of a small state).
    assert len(checkpoint.archive(small)) < len(full)
    nothing = checkpoint.snapshot(state, tmp_path)  # no event since: only the documents
    assert nothing.delta is not None and nothing.delta.arrays == {} and nothing.delta.vocab == {}


def test_the_chain_ignores_deltas_of_another_base_and_stops_at_a_gap(tmp_path: Path) -> None:
    engine = Engine()
    state = checkpoint.PartitionState(partition=1, engine=engine)
    old = {}
    for n in range(4):  # an older base with three deltas
        state.next_offset = n
        snap = checkpoint.snapshot(state, tmp_path)
        old[snap.key] = checkpoint.archive(snap)
    state.tracker = None  # e.g. after a failed write: the next one is full
    snap = checkpoint.snapshot(state, tmp_path)
    assert snap.delta is None and snap.obsolete == (1, 2, 3)
    latest = {**old, snap.key: checkpoint.archive(snap)}
    assert checkpoint.chain(latest, 1) == [latest[checkpoint.state_key(1)]]  # old deltas: no
    one = checkpoint.snapshot(state, tmp_path)
    latest[one.key] = checkpoint.archive(one)
    assert len(checkpoint.chain(latest, 1)) == 2  # delta-1 of the new base replaced the old one
    assert checkpoint.delta_seqs(latest, 1) == {1, 2, 3}
    del latest[checkpoint.delta_key(1, 1)]
    assert len(checkpoint.chain(latest, 1)) == 1  # a gap: nothing after it counts
    assert checkpoint.chain(latest, 2) == []
    # A full checkpoint from before deltas existed (no checkpoint_id) stands alone.
    plain = checkpoint.pack(checkpoint.PartitionState(partition=5, engine=Engine()), tmp_path)
    assert checkpoint.read_meta(plain).get("checkpoint_id") is not None
    legacy = {checkpoint.state_key(5): _without_id(plain), checkpoint.delta_key(5, 1): b"junk"}
    assert checkpoint.chain(legacy, 5) == [legacy[checkpoint.state_key(5)]]


def _without_id(value: bytes) -> bytes:
    def drop_id(meta: dict[str, Any]) -> None:
        del meta["checkpoint_id"]

    return _as_gzip(value, drop_id)


def _as_gzip(value: bytes, edit_meta: Any = None) -> bytes:
    """``value`` rewritten as a gzip'd tar, the format workers wrote before zstd."""
    import tarfile

    out = io.BytesIO()
    with checkpoint._open(value) as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == checkpoint.META and edit_meta is not None:
                meta = json.loads(data)
                edit_meta(meta)
                data = json.dumps(meta).encode()
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return out.getvalue()


def test_checkpoints_are_zstd_and_gzip_ones_from_older_workers_still_restore(
    events: list[Event], tmp_path: Path
) -> None:
    engine = Engine()
    state = checkpoint.PartitionState(partition=2, engine=engine, partition_by="tenant")
    half = len(events) // 2
    engine.process(events[:half])
    state.next_offset = 1
    full = checkpoint.archive(checkpoint.snapshot(state, tmp_path))
    engine.process(events[half:])
    state.next_offset = 2
    one = checkpoint.archive(checkpoint.snapshot(state, tmp_path))
    assert full.startswith(b"\x28\xb5\x2f\xfd") and one.startswith(b"\x28\xb5\x2f\xfd")
    expected = saved(engine, tmp_path / "live")
    for name, chain in (("zstd", [full, one]), ("gzip", [_as_gzip(full), _as_gzip(one)])):
        restored = Engine()
        meta = checkpoint.unpack(chain, restored, tmp_path)
        assert meta["next_offset"] == 2 and checkpoint.read_meta(chain[0])["next_offset"] == 1
        assert saved(restored, tmp_path / name) == expected
    with pytest.raises(ValueError, match="neither zstd nor gzip"):
        checkpoint.read_meta(b"PK\x03\x04 not a checkpoint")


def test_a_full_checkpoint_after_max_chain_deltas(tmp_path: Path) -> None:
    state = checkpoint.PartitionState(partition=0, engine=Engine())
    kinds = []
    for _ in range(checkpoint.MAX_CHAIN + 2):
        kinds.append(checkpoint.snapshot(state, tmp_path).meta.get("kind", "full"))
    assert kinds == ["full", *["delta"] * checkpoint.MAX_CHAIN, "full"]


class FakeDetector:
    def __init__(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        self.name, self.arrays = name, arrays

    def state(self) -> dict[str, np.ndarray]:
        return self.arrays


def fake_engine(arrays: dict[str, np.ndarray], keys: list[str]) -> Any:
    return SimpleNamespace(
        detectors=[FakeDetector("d", arrays)],
        builder=SimpleNamespace(vocab={"user": SimpleNamespace(keys=keys)}),
        risk=SimpleNamespace(state=lambda: {"entities": {}, "incidents": {}}),
        events_processed=0,
        signals_raised=0,
    )


def test_tracker_diffs_every_kind_of_array_change() -> None:
    rng = np.random.default_rng(1)
    arrays = {  # big enough that a few changed rows travel as rows, not whole arrays
        "grow": np.arange(100, dtype=np.float64),
        "shrink": np.arange(100, dtype=np.int64),
        "rows2d": rng.integers(0, 255, (60, 24)).astype(np.uint8),
        "odd": np.zeros((40, 3), dtype=np.uint8),  # 3-byte rows
        "moved": np.arange(50, dtype=np.int64),  # a sorted insert moves most rows: whole
        "nan": np.array([np.nan, 1.0, np.nan] * 10),
        "widen": np.zeros(5, dtype=np.uint8),
        "scalar": np.array(3.0),
        "empty": np.zeros((0, 24), dtype=np.uint8),
        "gone": np.ones(3),
    }
    keys = ["t\x1fa", "t\x1fb"]
    engine = fake_engine(arrays, keys)
    tracker = delta.Tracker.of(engine)
    before = {name: np.array(a, copy=True) for name, a in delta.engine_arrays(engine).items()}
    arrays["grow"] = np.concatenate([arrays["grow"], [10.0, 11.0]])
    arrays["grow"][3] = -1.0
    arrays["shrink"] = arrays["shrink"][:70].copy()
    arrays["shrink"][0] = 99
    arrays["rows2d"][2, 5] ^= 1
    arrays["odd"][1, 2] = 7
    arrays["moved"] = np.insert(arrays["moved"], 1, -5)
    arrays["nan"] = np.array([np.nan, 1.0, np.nan] * 10)  # a new array, the same bits
    arrays["widen"] = np.zeros(5, dtype=np.uint16)
    arrays["scalar"] = np.array(4.0)
    arrays["empty"] = np.ones((2, 24), dtype=np.uint8)
    del arrays["gone"]
    arrays["new"] = np.arange(3)
    keys.append("t\x1fc")
    change = tracker.diff(engine)
    assert not any(key.endswith("d/nan") for key in change.arrays)
    assert change.arrays["rows:d/grow"].tolist() == [3] and len(change.arrays["tail:d/grow"]) == 2
    assert change.arrays["rows:d/rows2d"].tolist() == [2]
    assert change.arrays["rows:d/odd"].tolist() == [1]
    assert change.arrays["rows:d/shrink"].tolist() == [0] and change.lengths["d/shrink"] == 70
    assert "whole:d/moved" in change.arrays and "whole:d/widen" in change.arrays
    assert change.dropped == ["d/gone"] and change.vocab == {"user": ["t\x1fc"]}
    vocab = {"user": ["t\x1fa", "t\x1fb"]}
    delta.apply(change, before, vocab)
    after = delta.engine_arrays(engine)
    assert before.keys() == after.keys()
    for name, array in after.items():
        assert before[name].dtype == array.dtype and before[name].tobytes() == array.tobytes(), name
    assert vocab == {"user": keys}
    # Nothing changed since: an empty delta.
    again = tracker.diff(engine)
    assert set(again.arrays) == {"whole:d/scalar"} and again.vocab == {}


def test_a_failed_write_makes_the_next_checkpoint_full(tmp_path: Path) -> None:
    from pipeline.streaming.worker import _unsure

    state = checkpoint.PartitionState(partition=0, engine=Engine())
    assert checkpoint.snapshot(state, tmp_path).delta is None
    one = checkpoint.snapshot(state, tmp_path)
    assert one.delta is not None
    _unsure(state, one)  # maybe on the topic, maybe not: never a delta on an unsure base
    full = checkpoint.snapshot(state, tmp_path)
    assert full.delta is None and full.obsolete == (1,)
    _unsure(state, full)  # that full one failed too: its tombstones are still owed
    again = checkpoint.snapshot(state, tmp_path)
    assert again.delta is None and again.obsolete == (1,)
    assert checkpoint.snapshot(state, tmp_path).meta["seq"] == 1
