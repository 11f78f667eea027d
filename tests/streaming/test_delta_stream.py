"""Incremental checkpoints on the real broker: a worker SIGKILLed after a full checkpoint and
deltas is replaced by a fresh worker that restores the chain and raises what ``vigil detect``
raises; the old chain's deltas are tombstoned once the new worker's full checkpoint is written."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path

import pytest

from benchmarks.streaming_bench import generate_auth_log, recent_end
from pipeline.streaming import checkpoint
from pipeline.streaming.topics import Topics
from tests.streaming.helpers import (
    WorkerProcess,
    embedded_alerts,
    incidents,
    read_alerts,
    run_cli,
    unique_prefix,
    wait_drained,
)

pytestmark = pytest.mark.kafka
TENANT = "acme"


def ingest(broker: str, prefix: str, path: Path) -> None:
    run_cli(["ingest", "--broker", broker, "--topic-prefix", prefix, "--tenant", TENANT, str(path)])


def test_a_fresh_worker_restores_full_plus_deltas(kafka_broker: str, tmp_path: Path) -> None:
    lines = list(
        generate_auth_log(users=40, days=20, logons_per_day=6, attackers=10, end=recent_end())
    )
    n = len(lines)
    # History, two small increments (each drained: a checkpoint after each, deltas on the first
    # full one), then the last day with the attacks, which need the history to alert.
    cuts = [0, int(n * 0.9), int(n * 0.92), int(n * 0.94), n]
    paths = []
    for part, (start, end) in enumerate(itertools.pairwise(cuts)):
        paths.append(tmp_path / f"{part}.log")
        paths[-1].write_text("\n".join(lines[start:end]) + "\n")
    prefix = unique_prefix()
    first = WorkerProcess(kafka_broker, prefix, tmp_path / "a", "a").start()
    second = WorkerProcess(kafka_broker, prefix, tmp_path / "b", "b")
    try:
        first.wait_assigned()
        for path in paths[:3]:
            ingest(kafka_broker, prefix, path)
            wait_drained(kafka_broker, prefix, [first], timeout=180)
        first.kill()  # no final checkpoint: the chain on the topic is all there is
        second.start()  # another data dir: nothing parked, nothing local
        second.wait_assigned()
        ingest(kafka_broker, prefix, paths[3])
        wait_drained(kafka_broker, prefix, [second], timeout=180)
    finally:
        first.stop()
        second.stop()
    restored = [int(m) for m in re.findall(r"full checkpoint \+ (\d+) deltas", second.log())]
    assert restored and max(restored) >= 2, second.log()[-3000:]  # both increments: deltas
    streamed = read_alerts(kafka_broker, prefix)
    expected = embedded_alerts(paths, TENANT)
    assert expected, "the reference run raised no alert: the test data is wrong"
    assert incidents(streamed) == incidents(expected)
    assert {a["incident_key"] for a in streamed} == {a["incident_key"] for a in expected}
    # The new worker's full checkpoint superseded the old chain: its deltas are tombstoned.
    latest = asyncio.run(checkpoint.read_latest(kafka_broker, Topics(prefix).state))
    for partition in range(4):
        values = checkpoint.chain(latest, partition)
        assert len(checkpoint.delta_seqs(latest, partition)) == len(values[1:])
