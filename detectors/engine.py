"""The engine: events -> columnar batch -> every detector scores, then learns -> risk -> alerts.

The same object runs inside ``vigil detect`` and inside each streaming worker; only the
transport around it differs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from detectors import registry
from detectors.base import Detector, Signals
from detectors.batch import BatchBuilder, Vocabulary
from detectors.risk import RiskConfig, RiskLayer
from schemas.alert import Alert
from schemas.event import Event

STATE_FORMAT = 1


class Engine:
    """Score-then-learn over batches, with state that can be saved and restored without pickle.

    >>> from datetime import UTC, datetime
    >>> from schemas.event import Action, Event
    >>> engine = Engine()
    >>> e = Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="t", source_format="x",
    ...           action=Action.LOGON, user="alice", src_ip="10.0.0.1")
    >>> engine.process([e])
    []
    >>> engine.events_processed
    1
    """

    def __init__(
        self,
        detectors: Sequence[Detector] | None = None,
        risk: RiskConfig | None = None,
        detector_params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.detectors: list[Detector] = (
            list(detectors) if detectors is not None else registry.build(params=detector_params)
        )
        # Detectors that can read another's identical state instead of keeping a copy (the
        # spray pair) are introduced to each other here, before anything is learned or loaded.
        for detector in self.detectors:
            share = getattr(detector, "share_state", None)
            if share is not None:
                share(self.detectors)
        self.builder = BatchBuilder()
        self.risk = RiskLayer(risk)
        self.events_processed = 0
        self.signals_raised = 0

    def process(self, events: Sequence[Event]) -> list[Alert]:
        """Score a batch with every detector, learn from it, and return new/updated alerts."""
        if not events:
            return []
        batch = self.builder.build(events)
        all_signals: list[Signals] = [d.score(batch, self.builder) for d in self.detectors]
        no_extra_hold = np.zeros(len(batch), dtype=np.bool_)
        for detector in self.detectors:
            detector.learn(batch, no_extra_hold)
        self.events_processed += len(batch)
        self.signals_raised += sum(len(s) for s in all_signals)
        return self.risk.update(all_signals, batch, self.builder)

    # -- state ------------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write state atomically: arrays to ``state.npz``, the rest to JSON."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for detector in self.detectors:
            for name, array in detector.state().items():
                arrays[f"{detector.name}/{name}"] = np.asarray(array)
        meta = {
            "format": STATE_FORMAT,
            "detectors": [d.name for d in self.detectors],
            "events_processed": self.events_processed,
            "signals_raised": self.signals_raised,
        }
        documents = {
            "meta.json": meta,
            "vocab.json": {kind: v.keys for kind, v in self.builder.vocab.items()},
            "risk.json": self.risk.state(),
        }
        with tempfile.TemporaryDirectory(dir=target) as scratch:
            np.savez(Path(scratch) / "state.npz", **arrays)  # type: ignore[arg-type]
            for name, document in documents.items():
                (Path(scratch) / name).write_bytes(
                    _strings_json(document)
                    if name == "vocab.json"
                    else json.dumps(document).encode()
                )
            for name in ("state.npz", *documents):
                os.replace(Path(scratch) / name, target / name)

    def load(self, directory: str | os.PathLike[str]) -> bool:
        """Restore state saved by :meth:`save`; False when the directory holds none yet."""
        source = Path(directory)
        meta_path = source / "meta.json"
        if not meta_path.exists():
            return False
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != STATE_FORMAT:
            raise ValueError(
                f"state in {source} has format {meta.get('format')}, expected {STATE_FORMAT}"
            )
        raw = (source / "vocab.json").read_bytes()
        try:
            vocab = orjson.loads(raw)
        except orjson.JSONDecodeError:  # json's escapes of a lone surrogate (see _strings_json)
            vocab = json.loads(raw)
        self.builder = BatchBuilder({kind: Vocabulary(keys) for kind, keys in vocab.items()})
        with np.load(source / "state.npz", allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        for detector in self.detectors:  # state some detectors share, before each one's own
            restore = getattr(detector, "restore_shared", None)
            if restore is not None:
                restore(arrays)
        for detector in self.detectors:
            prefix = f"{detector.name}/"
            own = {name[len(prefix) :]: a for name, a in arrays.items() if name.startswith(prefix)}
            if own:
                detector.load_state(own)
        self.risk.load_state(json.loads((source / "risk.json").read_text()))
        self.events_processed = int(meta.get("events_processed", 0))
        self.signals_raised = int(meta.get("signals_raised", 0))
        return True

    def state_bytes(self) -> int:
        """Bytes held in detector arrays (the bulk of learned state)."""
        return sum(int(np.asarray(a).nbytes) for d in self.detectors for a in d.state().values())


def _strings_json(document: Any) -> bytes:
    """JSON of the vocabularies (lists of strings). orjson: they hold every address and user
    seen (hundreds of thousands of strings on a busy stream), which ``json.dumps`` took ~60 ms
    per 165k to encode at every checkpoint. ``json`` when orjson refuses a string (a lone
    surrogate from a badly encoded log): the file reads the same either way."""
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        return json.dumps(document).encode()
