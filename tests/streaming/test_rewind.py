"""The worker's rewind path against the real broker: what a failed delivery triggers (the detect
engines go back to their last checkpoint, parse re-reads its batch), driven directly because a
broker that refuses writes on cue is not something a test can arrange without mocks."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka import TopicPartition

from benchmarks.streaming_bench import generate_auth_log, recent_end
from pipeline.streaming.topics import Topics
from pipeline.streaming.worker import Worker, WorkerSettings
from tests.streaming.helpers import (
    drained,
    embedded_alerts,
    incidents,
    read_alerts,
    run_cli,
    unique_prefix,
)

pytestmark = pytest.mark.kafka


def test_rewind_mid_stream_replays_from_the_checkpoint(kafka_broker: str, tmp_path: Path) -> None:
    prefix = unique_prefix()
    lines = list(
        generate_auth_log(users=40, days=20, logons_per_day=6, attackers=10, end=recent_end())
    )
    half = len(lines) // 2
    first, second = tmp_path / "1.log", tmp_path / "2.log"
    first.write_text("\n".join(lines[:half]) + "\n")
    second.write_text("\n".join(lines[half:]) + "\n")

    def ingest(path: Path) -> None:
        run_cli(
            [
                "ingest",
                "--broker",
                kafka_broker,
                "--topic-prefix",
                prefix,
                "--tenant",
                "acme",
                str(path),
            ]
        )

    async def main() -> dict[int, tuple[int, int]]:
        stop = asyncio.Event()
        # No time-based checkpoint during the test: the engines run ahead of their checkpoints.
        settings = WorkerSettings(
            broker=kafka_broker,
            data_dir=tmp_path / "w",
            topics=Topics(prefix),
            session_timeout_ms=6000,
            checkpoint_s=600.0,
        )
        worker = Worker(settings)
        task = asyncio.create_task(worker.run(stop))
        try:
            deadline = time.monotonic() + 60
            while len(worker.partitions) < 4:
                assert time.monotonic() < deadline and not task.done(), "no partitions"
                await asyncio.sleep(0.2)
            await asyncio.to_thread(ingest, first)
            # Events folded (a vigil.events record may hold several: offsets count records).
            while (
                worker.metrics.registry.get_sample_value("vigil_stream_events_total") or 0
            ) < half:
                assert time.monotonic() < deadline and not task.done(), "first half not processed"
                await asyncio.sleep(0.2)
            async with worker.detect_lock:  # as after a failed alert delivery
                ahead = {
                    p: (s.next_offset, s.checkpointed_offset) for p, s in worker.partitions.items()
                }
                await worker._rewind_detect(sorted(worker.partitions))
            async with worker.parse_lock:  # as after a failed delivery of a parse batch
                raw = [TopicPartition(f"{prefix}vigil.raw", p) for p in range(4)]
                await worker._rewind(
                    "parse", {tp: worker.committed[tp] for tp in raw if tp in worker.committed}
                )
            settings.checkpoint_s = 1.0  # detect commits only with checkpoints: let it drain
            await asyncio.to_thread(ingest, second)
            while not await asyncio.to_thread(drained, kafka_broker, prefix):
                assert time.monotonic() < deadline + 120 and not task.done(), "not drained"
                await asyncio.sleep(0.5)
        finally:
            stop.set()
            await task
        return ahead

    ahead = asyncio.run(main())
    assert all(
        next_offset > checkpointed for next_offset, checkpointed in ahead.values() if next_offset
    )
    streamed = read_alerts(kafka_broker, prefix)
    assert incidents(streamed) == incidents(embedded_alerts([first, second], "acme"))
