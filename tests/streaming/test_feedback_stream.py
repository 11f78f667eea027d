"""Issue 5 on the workers, against the real broker: feedback over ``vigil.feedback`` (suppression
and expiry, counted in metrics scraped over HTTP), cross-tenant indicators over the replicated
``vigil.indicators`` table (no leak between tenants), and on-call delivery from the notify stage
to a real local HTTP receiver (a failure, then exactly once after acceptance)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from detectors.shared_indicators import tenant_token
from pipeline.feedback import Suppression, feedback_record
from tests.streaming.helpers import (
    ROOT,
    WorkerProcess,
    read_alerts,
    run_cli,
    unique_prefix,
    wait_drained,
)

pytestmark = pytest.mark.kafka

SSH = (
    "Dec {day:2d} {hour:02d}:{minute:02d}:01 {host} sshd[{pid}]: "
    "Accepted password for {user} from {ip} port 5{pid} ssh2"
)
ATTACKER_IP = "45.83.64.17"  # public: private addresses are never shared
SECRET = "test-webhook-secret"  # noqa: S105 - the test receiver's key


def history(host: str, users: tuple[str, ...], office: str, days: int = 20) -> list[str]:
    return [
        SSH.format(
            day=day, hour=hour, minute=i, host=host, pid=100 + i, user=user, ip=f"{office}.{10 + i}"
        )
        for day in range(1, days + 1)
        for hour in range(9, 14)
        for i, user in enumerate(users)
    ]


def night_login(day: int, user: str, ip: str, host: str = "bastion", pid: int = 7) -> str:
    return SSH.format(day=day, hour=3, minute=0, host=host, pid=pid, user=user, ip=ip)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ingest(broker: str, prefix: str, tenant: str, path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")
    run_cli(["ingest", "--broker", broker, "--topic-prefix", prefix, "--tenant", tenant, str(path)])


def until(what: str, probe: Callable[[], Any], timeout: float, workers: list[WorkerProcess]) -> Any:
    """Poll ``probe`` (bounded) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        for w in workers:
            assert w.proc is not None and w.proc.poll() is None, w.log()[-3000:]
        value = probe()
        if value:
            return value
        logs = "\n".join(w.log()[-1500:] for w in workers)
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{logs}"
        time.sleep(0.3)


def scrape(port: int) -> dict[str, float]:
    """``/metrics`` of a worker over HTTP: sample line (name{labels}) -> value."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def metric(samples: dict[str, float], name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            total += value
    return total


def feedback(broker: str, prefix: str, alerts_file: Path, alert_id: str, verdict: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "feedback",
            "--broker",
            broker,
            "--topic-prefix",
            prefix,
            "--alerts",
            str(alerts_file),
            "--alert",
            alert_id,
            "--verdict",
            verdict,
            "--owner",
            "analyst@soc",
            "--reason",
            "test",
            "--expires",
            "30d",
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def write_alerts(path: Path, alerts: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in alerts))
    return path


def read_table(broker: str, topic: str) -> dict[str, Any]:
    """A compacted topic as a table: key -> latest JSON value (read to its current end)."""
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        table: dict[str, Any] = {}
        deadline = time.monotonic() + 15
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            assert time.monotonic() < deadline, f"reading {topic} timed out"
            for records in consumer.poll(timeout_ms=300).values():
                for r in records:
                    table[r.key.decode()] = None if r.value is None else orjson.loads(r.value)
        return table
    finally:
        consumer.close()


def test_false_positive_feedback_suppresses_in_a_running_worker(
    kafka_broker: str, tmp_path: Path
) -> None:
    prefix = unique_prefix()
    port = free_port()
    worker = WorkerProcess(
        kafka_broker, prefix, tmp_path / "w", "w", extra=["--metrics-port", str(port)]
    ).start()
    try:
        worker.wait_assigned()
        ingest(
            kafka_broker,
            prefix,
            "acme",
            tmp_path / "1.log",
            history("bastion", ("alice", "bob"), "10.1.1"),
        )
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        assert read_alerts(kafka_broker, prefix) == []  # a quiet baseline
        ingest(
            kafka_broker, prefix, "acme", tmp_path / "2.log", [night_login(21, "alice", "10.9.9.9")]
        )
        wait_drained(kafka_broker, prefix, [worker], timeout=120)
        [alert] = read_alerts(kafka_broker, prefix)
        assert alert["entity"] == {"type": "user", "id": "alice"}
        feedback(
            kafka_broker,
            prefix,
            write_alerts(tmp_path / "alerts.jsonl", [alert]),
            alert["id"],
            "false-positive",
        )
        # An already expired suppression for bob, straight onto the topic: it holds nothing back.
        expired = Suppression(
            tenant="acme",
            entity_type="user",
            entity_id="bob",
            detector=alert["detector"],
            owner="a",
            reason="r",
            expires=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        )
        producer = KafkaProducer(bootstrap_servers=kafka_broker)
        try:
            key, value = feedback_record(expired)
            producer.send(f"{prefix}vigil.feedback", key=key, value=value).get(timeout=20)
        finally:
            producer.close()
        until(
            "the worker to hold both suppressions",
            lambda: metric(scrape(port), "vigil_stream_suppressions") >= 2,
            20,
            [worker],
        )
        # Days later (incident closed) alice and bob each sign in from another new network.
        ingest(
            kafka_broker,
            prefix,
            "acme",
            tmp_path / "3.log",
            [night_login(25, "alice", "10.8.8.8"), night_login(25, "bob", "10.7.7.7", pid=8)],
        )
        wait_drained(kafka_broker, prefix, [worker], timeout=120)
        samples = scrape(port)
    finally:
        worker.stop()
    alerts = read_alerts(kafka_broker, prefix)
    entities = [a["entity"]["id"] for a in alerts]
    assert entities.count("alice") == 1, alerts  # only the alert before the feedback
    assert "bob" in entities  # expired suppression: not held back
    assert (
        metric(samples, "vigil_alerts_suppressed_total", tenant="acme", detector=alert["detector"])
        == 1
    )
    assert metric(samples, "vigil_events_total", tenant="acme") == 200 + 1 + 2
    assert metric(samples, "vigil_alerts_total", tenant="acme") == len(alerts)


def test_confirmed_indicator_protects_other_tenant_without_leaking(
    kafka_broker: str, tmp_path: Path
) -> None:
    prefix = unique_prefix()
    a = WorkerProcess(kafka_broker, prefix, tmp_path / "a", "a").start()
    b = WorkerProcess(kafka_broker, prefix, tmp_path / "b", "b").start()
    try:
        a.wait_assigned()
        b.wait_assigned()
        acme = [
            *history("acme-bastion", ("alice", "amir"), "10.1.1"),
            night_login(21, "alice", ATTACKER_IP, host="acme-bastion", pid=66),
        ]
        ingest(kafka_broker, prefix, "acme", tmp_path / "acme.log", acme)
        wait_drained(kafka_broker, prefix, [a, b], timeout=180)
        acme_alerts = read_alerts(kafka_broker, prefix)
        [alert] = [x for x in acme_alerts if x["entity"]["id"] == "alice"]
        feedback(
            kafka_broker,
            prefix,
            write_alerts(tmp_path / "acme.jsonl", acme_alerts),
            alert["incident_key"],
            "true-positive",
        )

        def shared() -> Any:
            return read_table(kafka_broker, f"{prefix}vigil.indicators").get(f"ip|{ATTACKER_IP}")

        assert until("the indicator on vigil.indicators", shared, 20, [a, b]) == [
            tenant_token("acme")
        ]
        time.sleep(1.0)  # both workers follow the table (poll 0.5 s)
        globex = [
            *history("gx-web", ("gina",), "10.2.2", days=2),
            night_login(3, "gina", ATTACKER_IP, host="gx-web", pid=77),
        ]
        ingest(kafka_broker, prefix, "globex", tmp_path / "globex.log", globex)
        wait_drained(kafka_broker, prefix, [a, b], timeout=120)
    finally:
        a.stop()
        b.stop()
    table_text = json.dumps(read_table(kafka_broker, f"{prefix}vigil.indicators")).lower()
    theirs = [x for x in read_alerts(kafka_broker, prefix) if x["tenant"] == "globex"]
    assert [x["entity"]["id"] for x in theirs] == ["gina"]
    detectors = {theirs[0]["detector"], *(f["detector"] for f in theirs[0]["explanation"])}
    assert "shared_indicator" in detectors
    assert "another managed environment" in orjson.dumps(theirs).decode()
    text = orjson.dumps(theirs).decode().lower()
    for secret in ("acme", "alice", "amir", "acme-bastion", tenant_token("acme")):
        assert secret not in text
        assert secret == tenant_token("acme") or secret not in table_text


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Iterator[tuple[HTTPServer, list[tuple[int, bytes, str]]]]:
    """A webhook receiver that fails its first request (500) and accepts the rest."""
    seen: list[tuple[int, bytes, str]] = []
    lock = threading.Lock()

    def handle(request: Request) -> Response:
        with lock:
            status = 500 if not seen else 200
            seen.append((status, request.get_data(), request.headers.get("X-Vigil-Signature", "")))
        return Response("no" if status == 500 else "ok", status=status)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handle)
    yield httpserver, seen


def test_worker_delivers_to_webhook_once_after_acceptance(
    kafka_broker: str,
    tmp_path: Path,
    receiver: tuple[HTTPServer, list[tuple[int, bytes, str]]],
) -> None:
    server, seen = receiver
    prefix = unique_prefix()
    config = tmp_path / "vigil.toml"
    config.write_text(
        "[[notify]]\n"
        'kind = "webhook"\n'
        f'url = "{server.url_for("/hook")}"\n'
        'min_severity = "low"\n'
        "backoff_base_s = 0.2\n"
        "backoff_cap_s = 1.0\n"
    )
    args = ["--config", str(config), "--notify-timeout", "3"]
    env = {"VIGIL_WEBHOOK_SECRET": SECRET}

    def accepted() -> list[dict[str, Any]]:
        return [orjson.loads(body) for status, body, _ in list(seen) if status == 200]

    worker = WorkerProcess(kafka_broker, prefix, tmp_path / "w", "w", args, env).start()
    try:
        worker.wait_assigned()
        ingest(
            kafka_broker,
            prefix,
            "acme",
            tmp_path / "1.log",
            [
                *history("bastion", ("alice", "bob"), "10.1.1"),
                night_login(21, "alice", "10.9.9.9"),
                night_login(21, "bob", "10.6.6.6", pid=8),
            ],
        )
        wait_drained(kafka_broker, prefix, [worker], timeout=180)
        produced = read_alerts(kafka_broker, prefix)
        assert {x["entity"]["id"] for x in produced} == {"alice", "bob"}
        until(
            "every incident accepted by the receiver",
            lambda: (
                {x["incident_key"] for x in accepted()} == {x["incident_key"] for x in produced}
            ),
            30,
            [worker],
        )
        worker.stop()  # a restart re-reads nothing: the offsets were committed after spooling
        worker.start()
        worker.wait_assigned()
        time.sleep(2.0)
    finally:
        worker.stop()
    statuses = [status for status, _, _ in seen]
    assert statuses[0] == 500 and statuses.count(200) == len(produced) == len(accepted())
    ids = [x["id"] for x in accepted()]
    assert len(ids) == len(set(ids)), "an accepted alert was delivered twice"
    first_failed = orjson.loads(seen[0][1])["id"]
    assert first_failed in ids  # the failed delivery was retried and accepted
    for _, body, signature in seen:
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert signature == f"sha256={digest}"
