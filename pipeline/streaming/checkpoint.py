"""Engine checkpoints on the compacted ``vigil.state`` topic, tied to consumer offsets.

One message per ``vigil.events`` partition, key ``events-partition-N``; value is a gzip'd tar
of the files ``Engine.save`` writes (``.npz`` + JSON, never pickle) plus ``checkpoint.json``
with the next offset to read. Compaction keeps the latest per partition. A worker that gets a
partition loads its checkpoint; the partition's committed offset is never past it (offsets are
committed only after a checkpoint), and records below the checkpoint's offset are skipped, so
the engine state and the position in the stream always belong together.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from detectors.engine import Engine
from pipeline.streaming.topics import client_config, partitions_of

META = "checkpoint.json"
ENGINE_FILES = frozenset({"state.npz", "meta.json", "vocab.json", "risk.json"})
MAX_CHECKPOINT_BYTES = 64 << 20  # matches max.message.bytes of vigil.state in topics.toml


def state_key(partition: int) -> bytes:
    return f"events-partition-{partition}".encode()


@dataclass
class PartitionState:
    """What a worker holds for one ``vigil.events`` partition."""

    partition: int
    engine: Engine
    next_offset: int = 0  # first offset not yet folded into ``engine``
    watermark: float = float("-inf")  # max event time seen (epoch seconds)
    late: int = 0  # events behind the watermark by more than the lateness (not processed)
    since_checkpoint: int = 0
    checkpoint_at: float = field(default_factory=time.monotonic)
    folded_at: float = field(default_factory=time.monotonic)  # last batch folded (monotonic)
    checkpointed_offset: int = -1
    partition_by: str | None = None  # how the events it holds were keyed (the worker's mode)


@dataclass(frozen=True)
class Snapshot:
    """An engine saved to a scratch directory with its metadata: the consistent part of a
    checkpoint, taken while the engine does not move; :func:`archive` makes the message later
    (the detect agent may fold the next records meanwhile)."""

    partition: int
    next_offset: int
    meta: dict[str, Any]
    directory: Path


def snapshot(state: PartitionState, scratch_root: Path) -> Snapshot:
    """Save ``state``'s engine (and its offsets) to a new directory under ``scratch_root``."""
    meta = {
        "partition": state.partition,
        "next_offset": state.next_offset,
        "watermark": state.watermark if state.watermark != float("-inf") else None,
        "late": state.late,
        "partition_by": state.partition_by,
    }
    directory = Path(tempfile.mkdtemp(dir=scratch_root))
    try:
        state.engine.save(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Snapshot(state.partition, state.next_offset, meta, directory)


def archive(snap: Snapshot) -> bytes:
    """The checkpoint message of a snapshot (its directory is removed)."""
    buffer = io.BytesIO()
    try:
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
            data = json.dumps(snap.meta).encode()
            info = tarfile.TarInfo(META)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for path in sorted(snap.directory.iterdir()):
                if path.name in ENGINE_FILES:
                    tar.add(path, arcname=path.name, recursive=False)
    finally:
        shutil.rmtree(snap.directory, ignore_errors=True)
    value = buffer.getvalue()
    if len(value) > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"checkpoint of partition {snap.partition} is {len(value)} bytes")
    return value


def pack(state: PartitionState, scratch_root: Path) -> bytes:
    """The checkpoint message for ``state``."""
    return archive(snapshot(state, scratch_root))


def unpack(value: bytes, engine: Engine, scratch_root: Path) -> dict[str, Any]:
    """Load a checkpoint into ``engine``; returns its metadata (``next_offset`` ...)."""
    meta: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        with tarfile.open(fileobj=io.BytesIO(value), mode="r:gz") as archive:
            for member in archive.getmembers():
                # Only known plain file names: nothing from the archive chooses a path.
                if not member.isfile() or member.name not in ENGINE_FILES | {META}:
                    continue
                extracted = archive.extractfile(member)
                if extracted is None:
                    continue
                data = extracted.read()
                if member.name == META:
                    meta = json.loads(data)
                else:
                    (Path(scratch) / member.name).write_bytes(data)
        if meta is None:
            raise ValueError("checkpoint has no checkpoint.json")
        engine.load(scratch)
    return meta


def read_meta(value: bytes) -> dict[str, Any]:
    """Only the metadata (``next_offset`` ...) of a checkpoint, without loading an engine."""
    with tarfile.open(fileobj=io.BytesIO(value), mode="r:gz") as archive:
        for member in archive:  # lazily: pack() writes the metadata first
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
