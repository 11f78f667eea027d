"""Engine checkpoints on the compacted ``vigil.state`` topic, tied to consumer offsets.

A *full* checkpoint of a ``vigil.events`` partition is key ``events-partition-N``; its value is
a zstd-compressed tar of the files ``Engine.save`` writes (``.npz`` + JSON, never pickle) plus
``checkpoint.json`` with the next offset to read and a random ``checkpoint_id``. Between two
full ones a worker writes *deltas* (:mod:`pipeline.streaming.delta`: the rows and keys changed
since the previous checkpoint), key ``events-partition-N.delta-J`` for J = 1, 2, ..., each
naming its base (``base``: the full one's id) and its place (``seq``). Compaction keeps the
latest value per key. The partition's state is the full checkpoint plus its deltas 1..J while
each names that full one and its J (:func:`chain`): deltas of an older base left on the topic
(a crash before their tombstones) are ignored. A new full checkpoint is written when there is
no base (a worker's first checkpoint of a partition, after any failed write), when the chain
reaches :data:`MAX_CHAIN` deltas, or when the chain's bytes pass :data:`CHAIN_RATIO` times the
state's; once it is acknowledged, the keys of the old chain are tombstoned.

A worker that gets a partition loads its checkpoint chain; the partition's committed offset is
never past it (offsets are committed only after a checkpoint, full or delta, is acknowledged,
and a delta is only written on a base that was), and records below the checkpoint's offset are
skipped, so the engine state and the position in the stream always belong together.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zstandard
from aiokafka import AIOKafkaConsumer, TopicPartition

from detectors.engine import Engine
from pipeline.streaming import delta as deltas
from pipeline.streaming.dedup import SeenRecords
from pipeline.streaming.topics import client_config, partitions_of

META = "checkpoint.json"
ENGINE_FILES = frozenset({"state.npz", "meta.json", "vocab.json", "risk.json"})
DELTA_ARRAYS, DELTA_DOCUMENT, DELTA_RISK = "delta.npz", "delta.json", "risk.json"
MAX_CHECKPOINT_BYTES = 64 << 20  # matches max.message.bytes of vigil.state in topics.toml
# A full checkpoint after this many deltas, or once the chain's raw bytes pass this share of
# the state's: restoring reads at most about (1 + CHAIN_RATIO) states' worth, and the chain
# stays short enough to replay quickly (every delta re-copies the arrays it appends to).
MAX_CHAIN = 16
CHAIN_RATIO = 1.0
# zstd level 1, not gzip: on a worker's own state (29 MB of arrays and vocabulary JSON) zlib at
# level 1 compressed at ~200 MB/s to 6.7 MB, zstd at ~830 MB/s to 5.7 MB; gzip was the largest
# single cost of a checkpointing worker (2.3 of ~16 CPU s per million events in a profile).
ZSTD_LEVEL = 1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"


def state_key(partition: int) -> bytes:
    return f"events-partition-{partition}".encode()


def delta_key(partition: int, seq: int) -> bytes:
    return f"events-partition-{partition}.delta-{seq}".encode()


def delta_seqs(keys: Any, partition: int) -> set[int]:
    """The J of every ``events-partition-N.delta-J`` among ``keys`` (any base)."""
    prefix = f"events-partition-{partition}.delta-".encode()
    found = (key[len(prefix) :] for key in keys if key.startswith(prefix))
    return {int(seq) for seq in found if seq.isdigit()}


@dataclass
class PartitionState:
    """What a worker holds for one ``vigil.events`` partition."""

    partition: int
    engine: Engine
    next_offset: int = 0  # first offset not yet folded into ``engine``
    watermark: float = float("-inf")  # max event time seen (epoch seconds)
    late: int = 0  # events behind the watermark by more than the lateness (not processed)
    # Sources folded so far, per raw partition and key: copies re-sent by the parse stage are
    # dropped (dedup.py); saved in the checkpoint's metadata with the engine.
    seen: SeenRecords = field(default_factory=SeenRecords)
    duplicates: int = 0  # copies dropped since the current burst of them began (0: none)
    since_checkpoint: int = 0
    checkpoint_at: float = field(default_factory=time.monotonic)
    folded_at: float = field(default_factory=time.monotonic)  # last batch folded (monotonic)
    checkpointed_offset: int = -1
    partition_by: str | None = None  # how the events it holds were keyed (the worker's mode)
    # Incremental checkpoints: the state as of the last checkpoint (None: the next one is
    # full), the full one's id, and the chain of deltas written on it since.
    tracker: deltas.Tracker | None = None
    base_id: str | None = None
    chain: int = 0
    chain_bytes: int = 0
    delta_keys: set[int] = field(default_factory=set)  # delta seqs possibly on the topic


@dataclass(frozen=True)
class Snapshot:
    """An engine saved to a scratch directory with its metadata: the consistent part of a
    checkpoint, taken while the engine does not move; :func:`archive` makes the message later
    (the detect agent may fold the next records meanwhile)."""

    partition: int
    next_offset: int
    meta: dict[str, Any]
    directory: Path | None  # a full checkpoint: the files Engine.save wrote
    delta: deltas.Delta | None = None  # an incremental one
    obsolete: tuple[int, ...] = ()  # a full one: delta seqs to tombstone once it is written

    @property
    def key(self) -> bytes:
        if self.delta is None:
            return state_key(self.partition)
        return delta_key(self.partition, int(self.meta["seq"]))


def snapshot(state: PartitionState, scratch_root: Path, incremental: bool = True) -> Snapshot:
    """Take ``state``'s checkpoint (with its offsets): a delta against the previous one when
    there is a base and the chain is short (``incremental``), else the whole engine saved to a
    new directory under ``scratch_root``. The engine must not move meanwhile."""
    meta: dict[str, Any] = {
        "partition": state.partition,
        "next_offset": state.next_offset,
        "watermark": state.watermark if state.watermark != float("-inf") else None,
        "late": state.late,
        "partition_by": state.partition_by,
        "seen": state.seen.to_json(),
    }
    tracker = state.tracker
    if (
        incremental
        and tracker is not None
        and state.base_id is not None
        and state.chain < MAX_CHAIN
        and state.chain_bytes <= CHAIN_RATIO * tracker.state_bytes
    ):
        change = tracker.diff(state.engine)
        state.chain += 1
        state.chain_bytes += change.nbytes
        state.delta_keys.add(state.chain)
        meta.update(kind="delta", base=state.base_id, seq=state.chain)
        return Snapshot(state.partition, state.next_offset, meta, None, change)
    directory = Path(tempfile.mkdtemp(dir=scratch_root))
    try:
        state.engine.save(directory)
        state.tracker = deltas.Tracker.of(state.engine) if incremental else None
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    state.base_id = uuid.uuid4().hex
    state.chain = state.chain_bytes = 0
    obsolete, state.delta_keys = tuple(sorted(state.delta_keys)), set()
    meta["checkpoint_id"] = state.base_id
    return Snapshot(state.partition, state.next_offset, meta, directory, obsolete=obsolete)


def restore_meta(state: PartitionState, meta: dict[str, Any]) -> None:
    """Set ``state``'s offsets, watermark, late count and seen sources from a checkpoint's
    metadata (:func:`unpack`'s result; a checkpoint from before dedup has no ``seen``)."""
    state.next_offset = int(meta["next_offset"])
    state.checkpointed_offset = state.next_offset
    state.watermark = float(meta["watermark"]) if meta.get("watermark") else float("-inf")
    state.late = int(meta.get("late", 0))
    state.seen = SeenRecords.from_json(meta.get("seen"))


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def archive(snap: Snapshot) -> bytes:
    """The checkpoint message of a snapshot (its directory, if any, is removed)."""
    buffer = io.BytesIO()
    try:
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            _add(tar, META, json.dumps(snap.meta).encode())  # first: read_meta stops here
            if snap.delta is not None:
                arrays = io.BytesIO()
                np.savez(arrays, **snap.delta.arrays)  # type: ignore[arg-type]
                _add(tar, DELTA_ARRAYS, arrays.getvalue())
                _add(tar, DELTA_DOCUMENT, json.dumps(snap.delta.documents()).encode())
                _add(tar, DELTA_RISK, snap.delta.risk_json.encode())
            if snap.directory is not None:
                for path in sorted(snap.directory.iterdir()):
                    if path.name in ENGINE_FILES:
                        tar.add(path, arcname=path.name, recursive=False)
    finally:
        if snap.directory is not None:
            shutil.rmtree(snap.directory, ignore_errors=True)
    value = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(buffer.getbuffer())
    if len(value) > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"checkpoint of partition {snap.partition} is {len(value)} bytes")
    return value


def pack(state: PartitionState, scratch_root: Path, incremental: bool = False) -> bytes:
    """The checkpoint message for ``state`` (a full one unless ``incremental``)."""
    return archive(snapshot(state, scratch_root, incremental))


def _open(value: bytes) -> tarfile.TarFile:
    """A checkpoint's tar, read as a stream: zstd, or gzip as written before (a worker of this
    version restores what an older one checkpointed)."""
    if value.startswith(_ZSTD_MAGIC):
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(value))
        return tarfile.open(fileobj=reader, mode="r|")
    if value.startswith(_GZIP_MAGIC):
        return tarfile.open(fileobj=io.BytesIO(value), mode="r|gz")
    raise ValueError("checkpoint is neither zstd nor gzip")


def _members(value: bytes, names: frozenset[str]) -> dict[str, bytes]:
    """The plain files of a checkpoint archive among ``names`` (nothing from the archive
    chooses a path)."""
    found: dict[str, bytes] = {}
    with _open(value) as archive:
        for member in archive:  # a stream: each member's data is read before the next
            if not member.isfile() or member.name not in names:
                continue
            extracted = archive.extractfile(member)
            if extracted is not None:
                found[member.name] = extracted.read()
    if META not in found:
        raise ValueError("checkpoint has no checkpoint.json")
    return found


def read_delta(value: bytes) -> tuple[dict[str, Any], deltas.Delta]:
    """A delta checkpoint's metadata and delta."""
    files = _members(value, frozenset({META, DELTA_ARRAYS, DELTA_DOCUMENT, DELTA_RISK}))
    meta: dict[str, Any] = json.loads(files[META])
    if meta.get("kind") != "delta" or len(files) != 4:
        raise ValueError("not a delta checkpoint")
    with np.load(io.BytesIO(files[DELTA_ARRAYS]), allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    document = json.loads(files[DELTA_DOCUMENT])
    return meta, deltas.Delta.from_parts(arrays, document, files[DELTA_RISK].decode())


def unpack(value: bytes | list[bytes], engine: Engine, scratch_root: Path) -> dict[str, Any]:
    """Load a checkpoint (a full one, or a :func:`chain`: the full one then its deltas in
    order) into ``engine``; returns the last one's metadata (``next_offset`` ...)."""
    values = [value] if isinstance(value, bytes) else value
    files = _members(values[0], ENGINE_FILES | {META})
    meta: dict[str, Any] = json.loads(files.pop(META))
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        for name, data in files.items():
            (Path(scratch) / name).write_bytes(data)
        if len(values) > 1:
            _replay(values[1:], meta, Path(scratch))
            meta = read_meta(values[-1])
        engine.load(scratch)
    return meta


def _replay(values: list[bytes], base: dict[str, Any], scratch: Path) -> None:
    """Apply deltas to the engine files of their base in ``scratch``."""
    with np.load(scratch / "state.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    vocab: dict[str, list[str]] = json.loads((scratch / "vocab.json").read_text())
    risk_json = engine_meta = None
    for seq, value in enumerate(values, start=1):
        meta, change = read_delta(value)
        if meta.get("base") != base.get("checkpoint_id") or meta.get("seq") != seq:
            raise ValueError(f"delta {meta.get('seq')} does not follow its chain at {seq}")
        risk_json, engine_meta = deltas.apply(change, arrays, vocab)
    np.savez(scratch / "state.npz", **arrays)
    (scratch / "vocab.json").write_text(json.dumps(vocab))
    (scratch / "risk.json").write_text(risk_json or "{}")
    (scratch / "meta.json").write_text(json.dumps(engine_meta))


def chain(latest: dict[bytes, bytes], partition: int) -> list[bytes]:
    """``partition``'s checkpoint in ``latest`` (:func:`read_latest`): its full checkpoint then
    the deltas 1, 2, ... that name it, up to the first missing one; empty when none."""
    full = latest.get(state_key(partition))
    if full is None:
        return []
    values = [full]
    base = read_meta(full).get("checkpoint_id")
    if base is None:  # written before deltas existed
        return values
    for seq in range(1, len(latest) + 1):
        value = latest.get(delta_key(partition, seq))
        if value is None:
            break
        meta = read_meta(value)
        if meta.get("base") != base or meta.get("seq") != seq:
            break  # left from an older base
        values.append(value)
    return values


def read_meta(value: bytes) -> dict[str, Any]:
    """Only the metadata (``next_offset`` ...) of a checkpoint, without loading an engine."""
    with _open(value) as archive:
        for member in archive:  # lazily: archive() writes the metadata first
            if member.isfile() and member.name == META:
                extracted = archive.extractfile(member)
                if extracted is not None:
                    meta: dict[str, Any] = json.loads(extracted.read())
                    return meta
    raise ValueError("checkpoint has no checkpoint.json")


async def read_latest(broker: str, topic: str, timeout_s: float = 30.0) -> dict[bytes, bytes]:
    """The latest value per key on the (compacted) state topic, read to its current end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker,
        enable_auto_commit=False,
        max_partition_fetch_bytes=MAX_CHECKPOINT_BYTES,
        fetch_max_bytes=MAX_CHECKPOINT_BYTES,
        **client_config(),
    )
    await consumer.start()
    latest: dict[bytes, bytes] = {}
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(consumer, topic)]
        if not tps:
            return latest
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout_s
        while await _behind(consumer, tps, ends):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} took more than {timeout_s} s")
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    if record.key is None:
                        continue
                    if record.value is None:  # tombstone: checkpoint deleted
                        latest.pop(record.key, None)
                    else:
                        latest[record.key] = record.value
    finally:
        await consumer.stop()
    return latest


async def _behind(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], ends: dict[TopicPartition, int]
) -> bool:
    for tp in tps:
        if await consumer.position(tp) < ends[tp]:
            return True
    return False
