"""Incremental engine checkpoints: only what changed since the previous checkpoint.

An engine's saved state (:meth:`detectors.engine.Engine.save`) is every detector's named arrays
(``state.npz``), the vocabularies (append-only lists of interned strings, ``vocab.json``), the
risk layer's document (``risk.json``) and a few counters (``meta.json``). Saving and compressing
all of it at every checkpoint costs in proportion to the whole state (about 0.6 s of CPU for an
engine that has seen a million addresses), however little changed since the last one.

A :class:`Tracker` keeps a private copy of the arrays as of the last checkpoint (a mirror with
spare capacity, so appended rows are copied once) and the vocabulary lengths. :meth:`Tracker.diff`
compares the live arrays with the mirror, bit for bit and row by row, and returns a
:class:`Delta`: the indices and values of the changed rows of the common prefix, the rows
appended after it, whole arrays whose dtype or row shape changed, the vocabulary keys added,
and the (small) risk and counter documents in full. :func:`apply` replays a delta onto the
files of the previous state, so base + deltas restores exactly the state :meth:`Engine.save`
would have written at the last delta (``tests/streaming/test_delta.py`` checks it bit for bit).

The comparison reads every array once per checkpoint (memory speed); the mirror doubles the
memory the detectors' arrays take. No detector code changes: the engine's public ``detectors``,
``builder.vocab`` and ``risk`` are read the way :meth:`Engine.save` reads them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors.engine import STATE_FORMAT, Engine


def engine_arrays(engine: Engine) -> dict[str, np.ndarray]:
    """The engine's arrays by the names :meth:`Engine.save` gives them in ``state.npz``."""
    return {
        f"{detector.name}/{name}": np.asarray(array)
        for detector in engine.detectors
        for name, array in detector.state().items()
    }


def engine_meta(engine: Engine) -> dict[str, Any]:
    """``meta.json`` as :meth:`Engine.save` writes it."""
    return {
        "format": STATE_FORMAT,
        "detectors": [d.name for d in engine.detectors],
        "events_processed": engine.events_processed,
        "signals_raised": engine.signals_raised,
    }


def _rows(array: np.ndarray) -> np.ndarray:
    """``array`` (at least one row) as a 2-D unsigned-integer view, one row per first-axis
    entry: equal rows are bitwise equal (NaN == NaN, -0.0 != 0.0), as a saved file would be."""
    array = np.ascontiguousarray(array)
    count = array.shape[0]
    width = array.dtype.itemsize * int(np.prod(array.shape[1:], dtype=np.int64))
    raw = array.reshape(count, -1).view(np.uint8).reshape(count, width)
    for size, dtype in ((8, np.uint64), (4, np.uint32), (2, np.uint16)):
        if width % size == 0:
            return raw.view(dtype)
    return raw


class _Mirror:
    """A copy of one array as of the last checkpoint, with room to append rows in place."""

    def __init__(self, array: np.ndarray) -> None:
        self.buffer = np.array(array, copy=True)
        self.length = len(array) if array.ndim else 0  # 0-d: never compatible, kept whole

    @property
    def view(self) -> np.ndarray:
        return self.buffer[: self.length]

    def compatible(self, array: np.ndarray) -> bool:
        return (
            array.ndim > 0
            and array.dtype == self.buffer.dtype
            and array.shape[1:] == self.buffer.shape[1:]
        )

    def update(self, rows: np.ndarray, values: np.ndarray, tail: np.ndarray, length: int) -> None:
        self.buffer[rows] = values
        self.length = min(self.length, length)
        if len(tail):
            need = self.length + len(tail)
            if need > len(self.buffer):  # grow by half again at least: appends stay amortised
                grown = np.empty(
                    (max(need, len(self.buffer) * 3 // 2), *self.buffer.shape[1:]),
                    self.buffer.dtype,
                )
                grown[: self.length] = self.buffer[: self.length]
                self.buffer = grown
            self.buffer[self.length : need] = tail
            self.length = need


@dataclass
class Delta:
    """What changed in an engine since the previous checkpoint (all arrays are copies)."""

    arrays: dict[str, np.ndarray]  # "rows:NAME", "vals:NAME", "tail:NAME", "whole:NAME"
    lengths: dict[str, int]  # NAME -> rows after the delta (patched arrays)
    dropped: list[str]  # arrays gone since the previous checkpoint
    vocab_from: dict[str, int]  # kind -> keys before the delta
    vocab: dict[str, list[str]]  # kind -> keys added
    risk_json: str  # risk.json after the delta, serialised while the engine stood still
    meta: dict[str, Any]  # meta.json of the state after the delta

    @property
    def nbytes(self) -> int:
        """Raw bytes it carries (arrays and vocabulary keys; the documents are small)."""
        keys = sum(_key_bytes(keys) for keys in self.vocab.values())
        return sum(int(a.nbytes) for a in self.arrays.values()) + keys

    def documents(self) -> dict[str, Any]:
        """The JSON part of the delta (everything but the arrays)."""
        return {
            "lengths": self.lengths,
            "dropped": self.dropped,
            "vocab_from": self.vocab_from,
            "vocab": self.vocab,
            "meta": self.meta,
        }

    @classmethod
    def from_parts(
        cls, arrays: dict[str, np.ndarray], documents: dict[str, Any], risk_json: str
    ) -> Delta:
        return cls(
            arrays=arrays,
            lengths={str(k): int(v) for k, v in documents["lengths"].items()},
            dropped=[str(name) for name in documents["dropped"]],
            vocab_from={str(k): int(v) for k, v in documents["vocab_from"].items()},
            vocab={str(k): [str(key) for key in v] for k, v in documents["vocab"].items()},
            risk_json=risk_json,
            meta=dict(documents["meta"]),
        )


@dataclass
class Tracker:
    """The state of an engine as of its last checkpoint, to diff the next one against."""

    mirrors: dict[str, _Mirror] = field(default_factory=dict)
    vocab_lengths: dict[str, int] = field(default_factory=dict)
    state_bytes: int = 0  # raw bytes of the state at the last checkpoint (arrays + keys)
    key_bytes: int = 0  # of which vocabulary keys (counted as they come: not walked each time)

    @classmethod
    def of(cls, engine: Engine) -> Tracker:
        """A tracker whose last checkpoint is ``engine`` as it is now (after a full one)."""
        current = engine_arrays(engine)
        keys = sum(_key_bytes(v.keys) for v in engine.builder.vocab.values())
        return cls(
            mirrors={name: _Mirror(array) for name, array in current.items()},
            vocab_lengths={kind: len(v.keys) for kind, v in engine.builder.vocab.items()},
            state_bytes=sum(int(a.nbytes) for a in current.values()) + keys,
            key_bytes=keys,
        )

    def diff(self, engine: Engine) -> Delta:
        """What changed since the last checkpoint (or :meth:`of`); the tracker moves to now.
        The engine must not move meanwhile (the caller holds the detect lock)."""
        arrays: dict[str, np.ndarray] = {}
        lengths: dict[str, int] = {}
        current = engine_arrays(engine)
        for name, array in current.items():
            mirror = self.mirrors.get(name)
            if mirror is None or not mirror.compatible(array):
                arrays[f"whole:{name}"] = np.array(array, copy=True)
                self.mirrors[name] = _Mirror(array)
                continue
            common = min(mirror.length, len(array))
            if common:
                now, then = _rows(array[:common]), _rows(mirror.view[:common])
                if now.shape[1] == 1:  # most arrays: one word a row, no reduction pass
                    rows = np.flatnonzero(now[:, 0] != then[:, 0])
                else:
                    rows = np.flatnonzero((now != then).any(axis=1))
            else:
                rows = np.zeros(0, np.int64)
            if not len(rows) and len(array) == mirror.length:
                continue  # unchanged
            row_bytes = array.itemsize * int(np.prod(array.shape[1:], dtype=np.int64))
            if len(rows) * (row_bytes + 4) >= common * row_bytes:  # most rows moved (inserts)
                arrays[f"whole:{name}"] = np.array(array, copy=True)
                self.mirrors[name] = _Mirror(array)
                continue
            values = array[rows]  # fancy indexing: a copy
            tail = np.array(array[common:], copy=True)
            arrays[f"rows:{name}"] = rows.astype(np.int32 if len(array) < 2**31 else np.int64)
            arrays[f"vals:{name}"] = values
            arrays[f"tail:{name}"] = tail
            lengths[name] = len(array)
            mirror.update(rows, values, tail, len(array))
        dropped = sorted(self.mirrors.keys() - current.keys())
        for name in dropped:
            del self.mirrors[name]
        vocab_from: dict[str, int] = {}
        vocab: dict[str, list[str]] = {}
        for kind, vocabulary in engine.builder.vocab.items():
            before = self.vocab_lengths.get(kind, 0)
            if len(vocabulary.keys) < before:  # vocabularies only grow; a reload is a new tracker
                raise ValueError(f"vocabulary {kind!r} shrank since the last checkpoint")
            if len(vocabulary.keys) > before:
                vocab_from[kind] = before
                vocab[kind] = vocabulary.keys[before:]
                self.vocab_lengths[kind] = len(vocabulary.keys)
                self.key_bytes += _key_bytes(vocab[kind])
        self.state_bytes = sum(int(a.nbytes) for a in current.values()) + self.key_bytes
        return Delta(
            arrays=arrays,
            lengths=lengths,
            dropped=dropped,
            vocab_from=vocab_from,
            vocab=vocab,
            risk_json=json.dumps(engine.risk.state()),  # as Engine.save; live dicts: now
            meta=engine_meta(engine),
        )


def _key_bytes(keys: list[str]) -> int:
    """Roughly what ``keys`` take in vocab.json: their characters plus quotes and a comma."""
    return sum(map(len, keys)) + 4 * len(keys)


def apply(
    delta: Delta, arrays: dict[str, np.ndarray], vocab: dict[str, list[str]]
) -> tuple[str, dict[str, Any]]:
    """Patch the previous state's ``arrays`` (``state.npz``) and ``vocab`` (``vocab.json``) in
    place with ``delta``; returns the new ``risk.json`` text and ``meta.json`` document."""
    for name in delta.dropped:
        arrays.pop(name, None)
    for key, value in delta.arrays.items():
        kind, name = key.split(":", 1)
        if kind == "whole":
            arrays[name] = value
    for name, length in delta.lengths.items():
        previous = arrays[name]
        rows = delta.arrays[f"rows:{name}"]
        tail = delta.arrays[f"tail:{name}"]
        patched = np.array(previous[: min(len(previous), length)], copy=True)
        patched[rows] = delta.arrays[f"vals:{name}"]
        if len(tail):
            patched = np.concatenate([patched, tail.astype(patched.dtype, copy=False)])
        if len(patched) != length:
            raise ValueError(f"delta of {name} gives {len(patched)} rows, expected {length}")
        arrays[name] = patched
    for kind, start in delta.vocab_from.items():
        keys = vocab.setdefault(kind, [])
        if len(keys) != start:
            raise ValueError(f"vocabulary {kind!r}: {len(keys)} keys, the delta starts at {start}")
        keys.extend(delta.vocab[kind])
    return delta.risk_json, delta.meta
