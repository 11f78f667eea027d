"""Helpers for the streaming integration tests: workers as subprocesses, bounded waits."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

from pipeline.streaming.alerts import tail_alerts
from pipeline.streaming.topics import Topics

ROOT = Path(__file__).resolve().parents[2]
PARTITIONS = 4


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


def partition_for(key: bytes, partitions: int = PARTITIONS) -> int:
    """The partition Kafka's default partitioner picks for ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class WorkerProcess:
    def __init__(
        self,
        broker: str,
        prefix: str,
        data_dir: Path,
        name: str,
        extra: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = data_dir.parent / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.args = [
            sys.executable,
            "-m",
            "pipeline.streaming.cli",
            "worker",
            "--broker",
            broker,
            "--topic-prefix",
            prefix,
            "--data-dir",
            str(data_dir),
            "--session-timeout",
            "6",
            "--checkpoint-seconds",
            "1",
            "--stall-seconds",
            "60",  # watchdog: a stuck worker exits (await chain in its log) before the test times out
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=log, stderr=log, env=self.env)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_assigned(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while "assigned: resuming" not in self.log():
            assert self.proc is not None and self.proc.poll() is None, self.log()[-3000:]
            assert time.monotonic() < deadline, (
                f"worker got no partition in {timeout}s:\n{self.log()[-3000:]}"
            )
            time.sleep(0.2)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def run_cli(args: Sequence[str], timeout: float = 60.0, stdin: bytes | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.streaming.cli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stderr.decode()


def drained(broker: str, prefix: str) -> bool:
    """The workers' group has committed up to the end of vigil.raw and vigil.events (detect
    commits only together with a checkpoint, so this means every event is in a checkpoint)."""
    topics = Topics(prefix)
    admin = KafkaAdminClient(bootstrap_servers=broker, request_timeout_ms=10_000)
    consumer = KafkaConsumer(bootstrap_servers=broker, request_timeout_ms=10_000)
    try:
        group = topics.group
        for topic in (topics.raw, topics.events):
            tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            ends = consumer.end_offsets(tps)
            committed = admin.list_group_offsets(group).get(group, {})
            for tp in tps:
                have = committed.get(tp)
                if ends[tp] > 0 and (have is None or have.offset < ends[tp]):
                    return False
        return True
    finally:
        consumer.close()
        admin.close()


def wait_drained(
    broker: str, prefix: str, workers: Sequence[WorkerProcess], timeout: float
) -> float:
    started = time.monotonic()
    while True:
        for worker in workers:
            assert worker.proc is not None and worker.proc.poll() is None, worker.log()[-3000:]
        try:
            if drained(broker, prefix):
                return time.monotonic() - started
        except Exception:  # noqa: S110 - broker restarting: try again until the deadline
            pass
        logs = "\n".join(w.log()[-2000:] for w in workers)
        assert time.monotonic() - started < timeout, f"not drained in {timeout}s:\n{logs}"
        time.sleep(0.5)


def read_topic(broker: str, topic: str, timeout: float = 20.0) -> list[Any]:
    """Every message of ``topic`` (decoded JSON), read to its current end."""
    return [orjson.loads(r.value) for r in read_records(broker, topic, timeout)]


def read_records(broker: str, topic: str, timeout: float = 20.0) -> list[Any]:
    """Every Kafka record of ``topic`` (key, value, headers, partition ...), read to its end."""
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, f"reading {topic} timed out"
            for records in consumer.poll(timeout_ms=500).values():
                out.extend(records)
        return out
    finally:
        consumer.close()


def read_alerts(broker: str, prefix: str) -> list[dict[str, Any]]:
    out = io.BytesIO()
    asyncio.run(
        tail_alerts(
            broker=broker, topics=Topics(prefix), out=out, from_beginning=True, idle_timeout_s=2.0
        )
    )
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def embedded_alerts(paths: Sequence[Path], tenant: str) -> list[dict[str, Any]]:
    """What ``vigil detect`` raises on ``paths`` (the reference for the streaming runs)."""
    import pipeline.streaming.parsing  # noqa: F401 - tolerate parser modules not landed yet
    from pipeline.config import VigilConfig
    from pipeline.embedded import run_detect

    out, dead = io.BytesIO(), io.BytesIO()
    run_detect(
        [str(p) for p in paths],
        tenant=tenant,
        config=VigilConfig(),
        alerts_out=out,
        dead_letters=dead,
    )
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def incidents(alerts: Sequence[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(a["detector"], a["entity"]["type"], a["entity"]["id"]) for a in alerts}


def kafka_sh(*args: str, timeout: float = 120.0) -> None:
    subprocess.run(
        ["bash", str(ROOT / "deploy/kafka/kafka.sh"), *args],
        check=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


def listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket ``pid`` listens on, from /proc (no ss needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found: set[tuple[str, int]] = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A: LISTEN
                continue
            address, port = local.split(":")
            raw = bytes.fromhex(address)
            if width == 8:
                host = ".".join(str(b) for b in raw[::-1])
            else:  # four little-endian 32-bit words
                words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                host = ":".join(b"".join(words).hex()[i : i + 4] for i in range(0, 32, 4))
            found.add((host, int(port, 16)))
    return found
