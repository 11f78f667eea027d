"""The parse stage in a child process (``vigil worker --parse-processes 1``) on the real broker:
dead letters and their counts, a child killed mid-stream (replaced, nothing lost), a child that
keeps dying (the worker exits 1), a SIGKILLed worker (its child does not outlive it)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from benchmarks.streaming_bench import generate_auth_log, recent_end
from tests.streaming.helpers import (
    WorkerProcess,
    embedded_alerts,
    incidents,
    read_alerts,
    read_records,
    read_topic,
    run_cli,
    unique_prefix,
    wait_drained,
)

pytestmark = pytest.mark.kafka
TENANT = "acme"
GARBAGE = [
    b"\x00\xffnot json at all",
    b'{"tenant": "acme", "source": "x"}',
    b'{"tenant": "acme", "source": "x", "format": "nope", "record": "hi"}',
    b'{"tenant": "acme", "source": "x", "record": "definitely not a syslog line"}',
    b'{"tenant": "acme", "source": "x", "format": "syslog", "record": {"a": 1}}',
]
CHILD = re.compile(r"parse child started \(pid (\d+)\)")


@pytest.fixture(scope="module")
def auth_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = generate_auth_log(users=40, days=20, logons_per_day=6, attackers=10, end=recent_end())
    path = tmp_path_factory.mktemp("parse-child") / "auth.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ingest(broker: str, prefix: str, path: Path) -> None:
    run_cli(["ingest", "--broker", broker, "--topic-prefix", prefix, "--tenant", TENANT, str(path)])


def child_pids(worker: WorkerProcess) -> list[int]:
    """Pids of the parse children the worker started, in order (from its log)."""
    return [int(pid) for pid in CHILD.findall(worker.log())]


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not reaped yet


def metric(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    assert found, f"{name} not in /metrics"
    return float(found.group(1))


@pytest.mark.parametrize("processes", ["1", "0"])
def test_dead_letters_and_counts_with_the_parse_child(
    kafka_broker: str, tmp_path: Path, auth_log: Path, processes: str
) -> None:
    """With the child (and, for comparison, in process: the same records, reasons and counts)."""
    prefix = unique_prefix()
    port = free_port()
    extra = ["--parse-processes", processes, "--metrics-port", str(port)]
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w", extra=extra).start()
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    try:
        worker.wait_assigned()
        children = child_pids(worker)
        assert len(children) == int(processes)
        assert all(c != worker.proc.pid and alive(c) for c in children)  # type: ignore[union-attr]
        for value in GARBAGE:
            producer.send(f"{prefix}vigil.raw", value=value, key=b"acme|x")
        producer.flush(10)
        ingest(kafka_broker, prefix, auth_log)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        lines = len(auth_log.read_text().splitlines())
        # Counted by the parent from what the child returned, scraped over HTTP.
        assert metric(port, 'vigil_stream_dead_letters_total{stage="parse"}') == len(GARBAGE)
        assert metric(port, "vigil_stream_raw_records_total") == lines + len(GARBAGE)
        assert metric(port, "vigil_stream_events_total") == lines
        assert metric(port, "vigil_stream_parse_child_restarts_total") == 0
        assert child_pids(worker) == children  # the same child parsed everything
    finally:
        producer.close()
        worker.stop()
    assert worker.proc is not None and worker.proc.returncode == 0, worker.log()[-3000:]
    assert not any(alive(c) for c in children), "the parse child outlived a stopped worker"
    dead = read_topic(kafka_broker, f"{prefix}vigil.dlq")
    assert len(dead) == len(GARBAGE)
    reasons = sorted(d["reason"] for d in dead)
    assert all(reasons)
    assert any("not a JSON envelope" in r for r in reasons)
    assert any("unrecognised format nope" in r for r in reasons)
    expected = embedded_alerts([auth_log], TENANT)
    assert expected
    assert incidents(read_alerts(kafka_broker, prefix)) == incidents(expected)


def test_a_killed_parse_child_is_replaced_and_nothing_is_lost(
    kafka_broker: str, tmp_path: Path, auth_log: Path
) -> None:
    """Design: a dead child is replaced and the chunk it held is parsed again by the new one
    (nothing of it was sent); the worker keeps running. Killed once while idle (the next
    submit fails) and once while the input streams in; a last small input then makes sure
    the second one is replaced even if it had already finished the stream when it died (a
    fast machine parses the second part within the 0.3 s)."""
    prefix = unique_prefix()
    port = free_port()
    extra = ["--parse-processes", "1", "--metrics-port", str(port)]
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w", extra=extra).start()
    try:
        worker.wait_assigned()
        (first,) = child_pids(worker)
        os.kill(first, signal.SIGKILL)
        lines = auth_log.read_text().splitlines()
        cut, tail = len(lines) // 2, len(lines) - 20
        part1, part2, part3 = tmp_path / "1.log", tmp_path / "2.log", tmp_path / "3.log"
        part1.write_text("\n".join(lines[:cut]) + "\n")
        part2.write_text("\n".join(lines[cut:tail]) + "\n")
        part3.write_text("\n".join(lines[tail:]) + "\n")
        ingest(kafka_broker, prefix, part1)
        deadline = time.monotonic() + 60
        while len(child_pids(worker)) < 2:
            assert time.monotonic() < deadline, worker.log()[-3000:]
            time.sleep(0.1)
        second = child_pids(worker)[1]
        assert second != first and alive(second)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        # Again, now with records arriving: killed right after the ingest starts sending.
        killer = threading.Timer(0.3, os.kill, (second, signal.SIGKILL))
        killer.start()
        ingest(kafka_broker, prefix, part2)
        killer.join()
        ingest(kafka_broker, prefix, part3)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        assert len(child_pids(worker)) == 3
        assert metric(port, "vigil_stream_parse_child_restarts_total") == 2
        assert metric(port, "vigil_stream_raw_records_total") == len(lines)
        # Events folded: every line once, whatever was sent twice (the copies were dropped).
        assert metric(port, "vigil_stream_events_total") == len(lines)
        duplicates = metric(port, 'vigil_stream_duplicate_events_total{stage="detect"}')
        assert worker.proc is not None and worker.proc.poll() is None  # still running
    finally:
        worker.stop()
    assert worker.proc.returncode == 0, worker.log()[-3000:]
    # The 0.3 s timer can land while the child's producer is sending its chunk of part 2: part
    # of it is delivered and the new child sends the whole chunk again (at least once). A CI
    # run on f2bc786 dead-lettered 1,607 such copies as late events; now the detect stage
    # recognises them by their raw source and drops them (counted): no dead letter at all.
    assert read_topic(kafka_broker, f"{prefix}vigil.dlq") == []
    sent = read_topic(kafka_broker, f"{prefix}vigil.events")
    copies_sent = sum(len(v) if isinstance(v, list) else 1 for v in sent) - len(lines)
    assert copies_sent >= 0
    assert duplicates == copies_sent  # every copy recognised, and nothing else dropped
    streamed = read_alerts(kafka_broker, prefix)
    assert incidents(streamed) == incidents(embedded_alerts([part1, part2, part3], TENANT))


def test_records_sent_again_are_dropped_as_copies(
    kafka_broker: str, tmp_path: Path, auth_log: Path
) -> None:
    """What a partial delivery followed by the whole chunk again looks like to the detect
    stage, made deterministic: after the first part is processed, every ``vigil.events``
    record the parse child produced is sent again (same key, partition and headers). The
    copies are dropped and counted, none is dead-lettered (most are days behind the
    partition's event time now), the rest of the input is processed as new, and the alerts
    are ``vigil detect``'s."""
    prefix = unique_prefix()
    port = free_port()
    extra = ["--parse-processes", "1", "--metrics-port", str(port)]
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w", extra=extra).start()
    lines = auth_log.read_text().splitlines()
    part1, part2 = tmp_path / "1.log", tmp_path / "2.log"
    part1.write_text("\n".join(lines[: len(lines) - 200]) + "\n")
    part2.write_text("\n".join(lines[len(lines) - 200 :]) + "\n")
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    try:
        worker.wait_assigned()
        ingest(kafka_broker, prefix, part1)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        sent = read_records(kafka_broker, f"{prefix}vigil.events")
        assert sent and all(r.headers for r in sent)  # the sources travel with the records
        copies = 0
        for r in sent:
            producer.send(
                r.topic, key=r.key, value=r.value, headers=r.headers, partition=r.partition
            )
            value = orjson.loads(r.value)
            copies += len(value) if isinstance(value, list) else 1
        producer.flush(10)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        assert metric(port, 'vigil_stream_duplicate_events_total{stage="detect"}') == copies
        ingest(kafka_broker, prefix, part2)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        assert metric(port, 'vigil_stream_duplicate_events_total{stage="detect"}') == copies
        assert metric(port, "vigil_stream_events_total") == len(lines)
        assert metric(port, "vigil_stream_late_events_total") == 0
    finally:
        producer.close()
        worker.stop()
    assert worker.proc is not None and worker.proc.returncode == 0, worker.log()[-3000:]
    assert "copies of events already processed were dropped" in worker.log()  # one line a burst
    assert worker.log().count("dropping copies of events already processed") == 1
    assert read_topic(kafka_broker, f"{prefix}vigil.dlq") == []
    streamed = read_alerts(kafka_broker, prefix)
    assert incidents(streamed) == incidents(embedded_alerts([part1, part2], TENANT))


def test_a_child_that_keeps_dying_fails_the_worker(
    kafka_broker: str, tmp_path: Path, auth_log: Path
) -> None:
    """Every new child is killed as soon as it appears: after three deaths in a row the worker
    exits with status 1 instead of restarting forever (or hanging). A child killed while it
    holds the pool's call-queue lock can leave CPython's ProcessPoolExecutor waiting forever
    with no BrokenProcessPool (about one run in seven here): a child that gives no answer for
    ``--stall-seconds`` counts as dead too."""
    prefix = unique_prefix()
    worker = WorkerProcess(
        kafka_broker,
        prefix,
        tmp_path / "w",
        "w",
        extra=["--parse-processes", "1", "--stall-seconds", "15"],
    ).start()
    stop = threading.Event()

    def kill_children() -> None:
        killed: set[int] = set()
        while not stop.is_set():
            for pid in child_pids(worker):
                if pid not in killed:
                    killed.add(pid)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.05)

    try:
        worker.wait_assigned()
        killer = threading.Thread(target=kill_children, daemon=True)
        killer.start()
        ingest(kafka_broker, prefix, auth_log)
        assert worker.proc is not None
        deadline = time.monotonic() + 120
        while worker.proc.poll() is None and time.monotonic() < deadline:
            try:
                worker.proc.wait(10)
            except subprocess.TimeoutExpired:
                # Under load a child can answer its chunks before the killer reads its pid from
                # the log, and then die idle: only new input shows the worker that it is dead.
                ingest(kafka_broker, prefix, auth_log)
    finally:
        stop.set()
        worker.stop()
    assert worker.proc.returncode == 1, worker.log()[-3000:]
    assert "parse child died 3 times in a row" in worker.log()


def test_a_sigkilled_worker_leaves_no_parse_child_behind(kafka_broker: str, tmp_path: Path) -> None:
    worker = WorkerProcess(
        kafka_broker, unique_prefix(), tmp_path / "w", "w", extra=["--parse-processes", "1"]
    ).start()
    try:
        worker.wait_assigned()
        (child,) = child_pids(worker)
        assert alive(child)
        worker.kill()
        deadline = time.monotonic() + 10
        while alive(child):
            assert time.monotonic() < deadline, "the parse child outlived its SIGKILLed worker"
            time.sleep(0.1)
    finally:
        worker.stop()
