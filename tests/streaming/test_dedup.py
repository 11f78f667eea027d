"""Broker-free checks of the detect stage's dedup (:mod:`pipeline.streaming.dedup`): records the
parse stage sends again after a partial delivery are dropped and counted, not dead-lettered as
late; a late *new* event still is; the marks are bounded and survive a checkpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from benchmarks.streaming_bench import generate_auth_log
from pipeline.streaming import checkpoint
from pipeline.streaming.dedup import (
    SOURCE_HEADER,
    SeenRecords,
    decode_sources,
    encode_sources,
    event_sources,
)
from pipeline.streaming.metrics import WorkerMetrics
from pipeline.streaming.parse_child import ChunkParser
from pipeline.streaming.produce import Outbox
from pipeline.streaming.worker import Worker, WorkerSettings

END = datetime(2024, 5, 20, tzinfo=UTC)
RAW_PARTITION = 2


@dataclass
class Record:
    """What the detect stage reads of a ``vigil.events`` Kafka record."""

    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def _line(when: datetime, user: str, ip: str) -> str:
    stamp = f"{when:%b} {when.day:2d} {when:%H:%M:%S}"
    return f"{stamp} srv1 sshd[42]: Accepted password for {user} from {ip} port 4000 ssh2"


def _envelope(lines: list[str], first_pos: int) -> bytes:
    return orjson.dumps(
        {
            "tenant": "acme",
            "source": "auth.log",
            "format": "syslog",
            "ref": END.timestamp(),
            "pos": list(range(first_pos, first_pos + len(lines))),
            "records": lines,
        }
    )


def _chunk() -> tuple[list[tuple[bytes | None, bytes]], list[tuple[int, int]], int]:
    """Ten days of sshd logons in batch envelopes of 200 lines (raw offsets 10, 11, ...), the
    last day with logons from new networks at odd hours (they alert); returns values, sources
    and the line count."""
    lines = list(generate_auth_log(users=20, days=10, logons_per_day=4, attackers=3, end=END))
    values: list[tuple[bytes | None, bytes]] = [
        (b"acme|auth.log", _envelope(lines[n : n + 200], n + 1)) for n in range(0, len(lines), 200)
    ]
    return values, [(RAW_PARTITION, 10 + n) for n in range(len(values))], len(lines)


def _records(
    values: list[tuple[bytes | None, bytes]], sources: list[tuple[int, int]] | None
) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    return ChunkParser(3600.0, "tenant")(values, sources).records()


def _worker(tmp_path: Path) -> Worker:
    worker = Worker(WorkerSettings(broker="127.0.0.1:1", data_dir=tmp_path), WorkerMetrics())
    worker.outbox = Outbox(producer=None)  # type: ignore[arg-type] # add() only queues
    return worker


def _state(worker: Worker) -> checkpoint.PartitionState:
    return checkpoint.PartitionState(partition=0, engine=worker.new_engine(), partition_by="tenant")


def _fold(
    worker: Worker,
    state: checkpoint.PartitionState,
    records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]],
) -> None:
    """Append ``records`` to the partition (next offsets) and fold them."""
    first = state.next_offset
    batch = [Record(first + n, *record) for n, record in enumerate(records)]
    worker._fold(state, batch)


def _sample(worker: Worker, name: str, labels: dict[str, str] | None = None) -> float:
    value = worker.metrics.registry.get_sample_value(name, labels or {})
    return float(value or 0.0)


def _letters(worker: Worker) -> list[dict[str, Any]]:
    return [orjson.loads(v) for _, v, _ in worker.outbox.pending.get("vigil.dlq", [])]


def _alert_ids(worker: Worker) -> list[str]:
    return sorted(
        orjson.loads(v)["id"] for _, v, _ in worker.outbox.pending.get("vigil.alerts", [])
    )


def _events_in(records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> int:
    return sum(
        len(v) if isinstance(v := orjson.loads(value), list) else 1 for _, value, _ in records
    )


def test_sources_are_exact_and_survive_the_header() -> None:
    parts, positions = event_sources([2, 0, 3], [(1, 7), (1, 8), (4, 9)])
    assert parts.tolist() == [1, 1, 4, 4, 4]
    assert positions.tolist() == [7 << 20, (7 << 20) + 1, 9 << 20, (9 << 20) + 1, (9 << 20) + 2]
    for sel in (slice(0, 2), slice(0, 5)):  # one raw partition, then several
        decoded = decode_sources(encode_sources(parts[sel], positions[sel]), len(parts[sel]))
        assert decoded is not None
        assert decoded[0].tolist() == parts[sel].tolist()
        assert decoded[1].tolist() == positions[sel].tolist()
    assert decode_sources(encode_sources(parts, positions), 4) is None  # count mismatch: unused
    assert decode_sources(b"\x09junk", 1) is None


def test_the_same_chunk_parsed_again_carries_the_same_sources() -> None:
    """What makes the copies recognisable: a replacement child parses the chunk to the same
    records with the same headers, one header per record, matching its event count."""
    values, sources, lines = _chunk()
    first, again = _records(values, sources), _records(values, sources)
    assert first == again
    assert _events_in(first) == lines
    for _, value, headers in first:
        [(name, header)] = headers
        events = orjson.loads(value)
        assert name == SOURCE_HEADER
        assert decode_sources(header, len(events) if isinstance(events, list) else 1) is not None
    assert all(headers == [] for *_, headers in _records(values, None))


def test_seen_records_are_bounded_and_a_forgotten_copy_is_folded_not_dropped() -> None:
    seen = SeenRecords(max_marks=2)
    one = np.array([0], np.int32)
    for n, key in enumerate([b"a", b"b", b"c"]):
        assert not seen.copies(key, one, np.array([n], np.int64)).any()
    assert len(seen.marks) == 2 and (0, b"a") not in seen.marks  # least recently moved went
    assert not seen.copies(b"a", one, np.array([0], np.int64)).any()  # forgotten: not a copy
    assert seen.copies(b"c", one, np.array([2], np.int64)).all()
    # Another raw partition or key is another sequence; a source of -1 is never a copy.
    assert not seen.copies(b"c", np.array([1], np.int32), np.array([2], np.int64)).any()
    assert not seen.copies(b"c", one, np.array([-1], np.int64)).any()
    restored = SeenRecords.from_json(orjson.loads(orjson.dumps(seen.to_json())), max_marks=1)
    assert list(restored.marks) == [(1, b"c")]  # the most recent kept within the bound
    assert SeenRecords.from_json(None).marks == {}  # a checkpoint from before dedup


def test_copies_after_a_partial_delivery_are_dropped_not_dead_lettered(tmp_path: Path) -> None:
    """The parse child died after delivering the first records of its chunk; the new one sent
    the whole chunk again. The copies are dropped and counted; the engine sees every event
    once and raises what one delivery raises."""
    values, sources, lines = _chunk()
    records = _records(values, sources)
    delivered = records[: len(records) // 2]
    assert len(delivered) >= 2

    reference = _worker(tmp_path / "ref")
    _fold(reference, _state(reference), records)
    expected = _alert_ids(reference)
    assert expected  # the new network at the end alerts

    worker = _worker(tmp_path / "w")
    state = _state(worker)
    _fold(worker, state, delivered)
    _fold(worker, state, records)  # the whole chunk again
    assert _letters(worker) == []
    assert state.late == 0
    copies = _events_in(delivered)
    assert _sample(worker, "vigil_stream_duplicate_events_total", {"stage": "detect"}) == copies
    assert _sample(worker, "vigil_stream_events_total") == lines
    assert _alert_ids(worker) == expected
    assert len(state.seen.marks) == 1  # one raw partition, one key (the tenant)

    # Without the sources (an older parse stage) the same copies are dead-lettered as late:
    # what this guards against.
    bare = _records(values, None)
    old = _worker(tmp_path / "old")
    old_state = _state(old)
    _fold(old, old_state, bare[: len(delivered)])
    _fold(old, old_state, bare)
    assert _letters(old) and all(d["reason"].startswith("late event") for d in _letters(old))


def test_a_late_new_event_is_still_dead_lettered_and_its_copy_is_not(tmp_path: Path) -> None:
    values, sources, lines = _chunk()
    worker = _worker(tmp_path)
    state = _state(worker)
    _fold(worker, state, _records(values, sources))
    # A new raw record (the next offset) whose event is two hours behind the partition's time.
    behind = datetime.fromtimestamp(state.watermark, UTC) - timedelta(hours=2)
    late_value = [(b"acme|auth.log", _envelope([_line(behind, "user3", "10.0.0.3")], lines + 1))]
    late = _records(late_value, [(RAW_PARTITION, 10 + len(values))])
    _fold(worker, state, late)
    [letter] = _letters(worker)
    assert letter["reason"].startswith("late event: 7200 s behind")
    assert state.late == 1
    assert _sample(worker, "vigil_stream_duplicate_events_total", {"stage": "detect"}) == 0
    _fold(worker, state, late)  # sent again: a copy, not a second dead letter
    assert len(_letters(worker)) == 1 and state.late == 1
    assert _sample(worker, "vigil_stream_duplicate_events_total", {"stage": "detect"}) == 1
    assert _sample(worker, "vigil_stream_events_total") == lines


@pytest.mark.parametrize("incremental", [False, True])
def test_a_restored_partition_drops_copies_and_folds_new_records(
    tmp_path: Path, incremental: bool
) -> None:
    """Checkpoint after the delivered part; the worker dies; the next owner restores the
    checkpoint and reads on from its offset (the whole chunk again): the copies of what the
    checkpoint holds are dropped, every other event is folded once, the alerts are one
    delivery's."""
    values, sources, lines = _chunk()
    records = _records(values, sources)
    delivered = records[: len(records) // 3]
    reference = _worker(tmp_path / "ref")
    _fold(reference, _state(reference), records)

    first = _worker(tmp_path / "first")
    state = _state(first)
    _fold(first, state, delivered)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    values_ = [checkpoint.archive(checkpoint.snapshot(state, scratch))]  # a full one
    if incremental:  # a full checkpoint, one more record, a delta: the chain restores
        _fold(first, state, records[len(delivered) : len(delivered) + 1])
        snap = checkpoint.snapshot(state, scratch)
        assert snap.delta is not None
        values_.append(checkpoint.archive(snap))
        delivered = records[: len(delivered) + 1]
    before = set(_alert_ids(first))  # delivered before the checkpoint
    _fold(first, state, records)  # folded after the checkpoint, then the worker died

    second = _worker(tmp_path / "second")
    restored = _state(second)
    meta = checkpoint.unpack(values_ if incremental else values_[0], restored.engine, scratch)
    checkpoint.restore_meta(restored, meta)
    assert restored.next_offset == len(delivered)
    assert restored.seen.marks == {
        (RAW_PARTITION, b"acme"): max(
            decode_sources(h[0][1], n)[1].max()  # type: ignore[index]
            for (_, v, h), n in ((r, _events_in([r])) for r in delivered)
        )
    }
    # Replayed from the checkpoint's offset: the resent chunk (offsets after it).
    batch = [Record(len(delivered) + n, *r) for n, r in enumerate(records)]
    second._fold(restored, batch)
    assert _letters(second) == []
    duplicates = _sample(second, "vigil_stream_duplicate_events_total", {"stage": "detect"})
    assert duplicates == _events_in(delivered)
    assert _sample(second, "vigil_stream_events_total") == lines - _events_in(delivered)
    reference_ids = set(_alert_ids(reference))
    assert before | set(_alert_ids(second)) == reference_ids


def test_old_checkpoints_without_seen_sources_restore(tmp_path: Path) -> None:
    worker = _worker(tmp_path)
    state = _state(worker)
    checkpoint.restore_meta(state, {"next_offset": 7, "watermark": 5.0, "late": 2})
    assert (state.next_offset, state.watermark, state.late) == (7, 5.0, 2)
    assert state.seen.marks == {}
