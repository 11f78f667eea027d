"""Vigil streaming on the real Kafka broker (``make test`` starts it): ingest -> workers -> alerts.

Tolerance against ``vigil detect``: the same set of incidents, compared as (detector, entity)
and as ``incident_key`` (derived from the first evidence, so independent of batching). Alert
``id``s are not compared one to one: the risk layer emits only the latest version of an
incident per batch, so batch boundaries decide which intermediate versions appear.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from benchmarks.streaming_bench import generate_auth_log, recent_end
from schemas.event import encode_event
from tests.streaming.helpers import (
    WorkerProcess,
    embedded_alerts,
    incidents,
    kafka_sh,
    listening_sockets,
    partition_for,
    read_alerts,
    read_topic,
    run_cli,
    unique_prefix,
    wait_drained,
)

pytestmark = pytest.mark.kafka
TENANT = "acme"
ATTACKERS = 10


@pytest.fixture(scope="module")
def auth_lines() -> list[str]:
    return list(
        generate_auth_log(
            users=40, days=20, logons_per_day=6, attackers=ATTACKERS, end=recent_end()
        )
    )


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def ingest(broker: str, prefix: str, path: Path) -> None:
    run_cli(["ingest", "--broker", broker, "--topic-prefix", prefix, "--tenant", TENANT, str(path)])


def assert_same_incidents(streamed: list[dict], expected: list[dict]) -> None:
    assert expected, "the reference run raised no alert: the test data is wrong"
    assert incidents(streamed) == incidents(expected)
    assert {a["incident_key"] for a in streamed} == {a["incident_key"] for a in expected}


def assert_duplicates_are_redeliveries(streamed: list[dict]) -> int:
    by_id: dict[str, list[bytes]] = defaultdict(list)
    for alert in streamed:
        by_id[alert["id"]].append(orjson.dumps(alert, option=orjson.OPT_SORT_KEYS))
    for copies in by_id.values():
        assert len(set(copies)) == 1, "two alerts share an id but differ"
    return len(streamed) - len(by_id)


def test_same_incidents_as_embedded(
    kafka_broker: str, tmp_path: Path, auth_lines: list[str]
) -> None:
    prefix = unique_prefix()
    path = write(tmp_path / "auth.log", auth_lines)
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w1", "w1").start()
    try:
        ingest(kafka_broker, prefix, path)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
    finally:
        worker.stop()
    streamed = read_alerts(kafka_broker, prefix)
    assert_same_incidents(streamed, embedded_alerts([path], TENANT))
    assert assert_duplicates_are_redeliveries(streamed) == 0


def _held(log: str) -> set[int]:
    held: set[int] = set()
    for match in re.finditer(r"partition (\d+) (assigned|revoked)", log):
        number, verb = int(match.group(1)), match.group(2)
        (held.add if verb == "assigned" else held.discard)(number)
    return held


def test_sigkill_one_of_two_workers(
    kafka_broker: str, tmp_path: Path, auth_lines: list[str]
) -> None:
    prefix = unique_prefix()
    n = len(auth_lines)
    history, before, after = (
        auth_lines[: int(n * 0.9)],
        auth_lines[int(n * 0.9) : int(n * 0.975)],
        auth_lines[int(n * 0.975) :],
    )
    a = WorkerProcess(kafka_broker, prefix, tmp_path / "a", "a").start()
    b = WorkerProcess(kafka_broker, prefix, tmp_path / "b", "b").start()
    try:
        a.wait_assigned()
        b.wait_assigned()
        ingest(kafka_broker, prefix, write(tmp_path / "1.log", history))
        wait_drained(kafka_broker, prefix, [a, b], timeout=180)
        held_by_a = _held(a.log())
        assert held_by_a and len(held_by_a) < 4, "the two workers did not split the partitions"
        ingest(kafka_broker, prefix, write(tmp_path / "2.log", before))
        a.kill()  # mid-stream: A's last events are not checkpointed yet
        ingest(kafka_broker, prefix, write(tmp_path / "3.log", after))
        a.start()  # restart with the same data dir
        wait_drained(kafka_broker, prefix, [a, b], timeout=180)
    finally:
        a.stop()
        b.stop()
    # The reference: the same three inputs through vigil detect.
    streamed = read_alerts(kafka_broker, prefix)
    inputs = [tmp_path / name for name in ("1.log", "2.log", "3.log")]
    assert_same_incidents(streamed, embedded_alerts(inputs, TENANT))
    assert_duplicates_are_redeliveries(streamed)  # same-id copies only (replays)
    # A history-dependent alert fired after the crash on a partition the killed worker held.
    late_attackers = {
        m.group(1) for line in after if (m := re.search(r"for (user\d+) from 203\.", line))
    }
    recovered = {u for u in late_attackers if partition_for(f"{TENANT}|{u}".encode()) in held_by_a}
    assert recovered, "test data put no post-crash attack on the killed worker's partitions"
    alerted = {a["entity"]["id"] for a in streamed}
    assert recovered <= alerted


def test_garbage_goes_to_dlq(kafka_broker: str, tmp_path: Path, auth_lines: list[str]) -> None:
    prefix = unique_prefix()
    raw_topic = f"{prefix}vigil.raw"
    path = write(tmp_path / "auth.log", auth_lines)
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w").start()
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    try:
        worker.wait_assigned()
        garbage = [
            b"\x00\xffnot json at all",
            b'{"tenant": "acme", "source": "x"}',
            b'{"tenant": "acme", "source": "x", "format": "nope", "record": "hi"}',
            b'{"tenant": "acme", "source": "x", "record": "definitely not a syslog line"}',
            b'{"tenant": "acme", "source": "x", "format": "syslog", "record": {"a": 1}}',
        ]
        for value in garbage:
            producer.send(raw_topic, value=value, key=b"acme|x")
        producer.flush(10)
        ingest(kafka_broker, prefix, path)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
    finally:
        producer.close()
        worker.stop()
    dead = read_topic(kafka_broker, f"{prefix}vigil.dlq")
    assert len(dead) == len(garbage)
    assert all(d["reason"] for d in dead)
    assert_same_incidents(read_alerts(kafka_broker, prefix), embedded_alerts([path], TENANT))


def test_broker_restart_mid_stream(
    kafka_broker: str, tmp_path: Path, auth_lines: list[str]
) -> None:
    prefix = unique_prefix()
    n = len(auth_lines)
    a = WorkerProcess(kafka_broker, prefix, tmp_path / "a", "a").start()
    b = WorkerProcess(kafka_broker, prefix, tmp_path / "b", "b").start()
    try:
        a.wait_assigned()
        b.wait_assigned()
        ingest(kafka_broker, prefix, write(tmp_path / "1.log", auth_lines[: n // 2]))
        kafka_sh("down")  # same data dir: topics, offsets and checkpoints survive
        kafka_sh("up")
        ingest(kafka_broker, prefix, write(tmp_path / "2.log", auth_lines[n // 2 :]))
        wait_drained(kafka_broker, prefix, [a, b], timeout=240)
    finally:
        a.stop()
        b.stop()
    streamed = read_alerts(kafka_broker, prefix)
    inputs = [tmp_path / "1.log", tmp_path / "2.log"]
    assert_same_incidents(streamed, embedded_alerts(inputs, TENANT))
    assert_duplicates_are_redeliveries(streamed)  # same-id copies only (replays)


def test_worker_listens_only_on_its_loopback_metrics_port(
    kafka_broker: str, tmp_path: Path
) -> None:
    """Faust's web server is off and nothing else of Faust opens a listener (0.15.3 was seen
    listening on 0.0.0.0:6066 with the web server disabled): only the metrics port, loopback."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = WorkerProcess(
        kafka_broker, unique_prefix(), tmp_path / "w", "w", extra=["--metrics-port", str(port)]
    ).start()
    try:
        worker.wait_assigned()
        assert worker.proc is not None
        assert listening_sockets(worker.proc.pid) == {("127.0.0.1", port)}
    finally:
        worker.stop()


def test_mixed_single_and_multi_event_records_on_vigil_events(
    kafka_broker: str, tmp_path: Path
) -> None:
    """``vigil.events`` takes a record per event (other producers) as well as a JSON array of a
    key's events (the parse stage): a stream mixing both, sent straight to the topic, gives
    the incidents of ``vigil detect``. Dense input (12 users, 40 logons a day) so that one
    hour of event time holds several events per user."""
    from pipeline.streaming.parsing import InputReader, expand
    from pipeline.streaming.worker import decode_record, group_events

    prefix = unique_prefix()
    lines = list(
        generate_auth_log(users=12, days=14, logons_per_day=40, attackers=6, end=recent_end())
    )
    path = write(tmp_path / "dense.log", lines)
    reader = InputReader(tenant=TENANT, sink=lambda letter: None)
    events = [e for name, opener in expand([str(path)]) for e in reader.read_input(name, opener)]
    grouped = group_events(events, 3600.0)  # the worker's default lateness
    records: list[tuple[bytes, bytes]] = []
    for n, (key, value) in enumerate(grouped):
        if value.startswith(b"[") and n % 2:  # every other array goes out one event a record
            records.extend((key, encode_event(e)) for e in decode_record(value))
        elif not value.startswith(b"[") and n % 3 == 0:
            records.append((key, b"[" + value + b"]"))  # an array of one
        else:
            records.append((key, value))
    arrays = sum(v.startswith(b"[") for _, v in records)
    assert 0 < arrays < len(records) and len(records) < len(events)
    assert sum(len(decode_record(v)) for _, v in records) == len(events)
    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w").start()
    producer = KafkaProducer(bootstrap_servers=kafka_broker, linger_ms=5)
    try:
        worker.wait_assigned()  # the worker has created the topics
        for key, value in records:
            producer.send(f"{prefix}vigil.events", key=key, value=value)
        producer.flush(30)
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
    finally:
        producer.close()
        worker.stop()
    streamed = read_alerts(kafka_broker, prefix)
    assert_same_incidents(streamed, embedded_alerts([path], TENANT))
    assert assert_duplicates_are_redeliveries(streamed) == 0
    assert read_topic(kafka_broker, f"{prefix}vigil.dlq") == []  # nothing late, nothing bad


def test_a_partition_gone_quiet_is_checkpointed_before_the_period(
    kafka_broker: str, tmp_path: Path, auth_lines: list[str]
) -> None:
    """Periodic checkpoints every 600 s / 10M events: the events are committed (drained) within
    a minute only because a partition read to its end and quiet for --checkpoint-idle-seconds
    is checkpointed at once (and committed with it: never ahead of its checkpoint)."""
    prefix = unique_prefix()
    path = write(tmp_path / "auth.log", auth_lines)
    slow = ["--checkpoint-seconds", "600", "--checkpoint-events", "10000000"]
    worker = WorkerProcess(
        kafka_broker,
        prefix,
        tmp_path / "w1",
        "w1",
        extra=[*slow, "--checkpoint-idle-seconds", "0.5"],
    ).start()
    try:
        ingest(kafka_broker, prefix, path)
        wait_drained(kafka_broker, prefix, [worker], timeout=60)
    finally:
        worker.stop()
    assert_same_incidents(read_alerts(kafka_broker, prefix), embedded_alerts([path], TENANT))
