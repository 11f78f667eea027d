"""deploy/prometheus: promtool checks, rule unit tests, and a real Prometheus on 127.0.0.1
scraping a real Vigil /metrics endpoint and evaluating a rule.

Needs the Debian package ``prometheus`` (``promtool`` and ``prometheus`` on PATH). Missing
binaries fail the test; set ``VIGIL_ALLOW_MISSING_PROMETHEUS=1`` to skip instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pipeline.metrics import METRIC_NAMES, Metrics, start_metrics_server

ROOT = Path(__file__).resolve().parents[2]
PROM_DIR = ROOT / "deploy" / "prometheus"
RULES = PROM_DIR / "rules.yml"
CONFIG = PROM_DIR / "prometheus.yml"
RULES_TEST = PROM_DIR / "rules_test.yml"
INSTALL = "apt-get update && apt-get install -y --no-install-recommends prometheus"
WAIT_S = 30.0


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"`{name}` not found on PATH; install the Debian package: {INSTALL}"
    if os.environ.get("VIGIL_ALLOW_MISSING_PROMETHEUS") == "1":
        pytest.skip(message + " (skipped: VIGIL_ALLOW_MISSING_PROMETHEUS=1)")
    pytest.fail(message, pytrace=False)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=PROM_DIR,
    )


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_passes_promtool_check() -> None:
    result = promtool("check", "config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULES_TEST))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_cover_pipeline_health_with_defined_metrics_only() -> None:
    text = RULES.read_text()
    alerts = set(re.findall(r"^\s*- alert: (\w+)", text, flags=re.MULTILINE))
    assert {
        "VigilWorkerDown",
        "VigilConsumerLagGrowing",
        "VigilDeadLetterRateHigh",
        "VigilNotificationFailures",
    } <= alerts
    defined = set(METRIC_NAMES)
    for name in METRIC_NAMES:
        defined |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    used = set(re.findall(r"\bvigil_[a-z_]+", text))
    assert used and used <= defined, used - defined


# -- a real Prometheus --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def api(base: str, path: str, **params: str) -> Any:
    url = f"{base}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local server
        document = json.loads(response.read())
    assert document["status"] == "success", document
    return document["data"]


def query(base: str, expression: str) -> list[Any]:
    """An instant query; the list of ``{metric, value}`` results."""
    return list(api(base, "/api/v1/query", query=expression)["result"])


def wait_for(what: str, probe: Any, deadline: float) -> Any:
    """Call ``probe`` until it returns something truthy; fail at ``deadline``."""
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, ValueError, KeyError) as exc:
            last_error, value = exc, None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what} (last error: {last_error})", pytrace=False)


@pytest.fixture
def vigil_metrics() -> Iterator[tuple[Metrics, int]]:
    metrics = Metrics(registry=CollectorRegistry())
    server = start_metrics_server(0, registry=metrics.registry)
    try:
        yield metrics, server.port
    finally:
        server.close()


@pytest.fixture
def prometheus(tmp_path: Path, vigil_metrics: tuple[Metrics, int]) -> Iterator[str]:
    _, target_port = vigil_metrics
    with run_prometheus(tmp_path, target_port) as base:
        yield base


@contextlib.contextmanager
def run_prometheus(tmp_path: Path, target_port: int) -> Iterator[str]:
    """A real Prometheus on 127.0.0.1 (temp storage) scraping ``127.0.0.1:target_port`` every
    second with deploy/prometheus/rules.yml loaded; yields its base URL."""
    executable = binary("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "rule_files:\n"
        f"  - {json.dumps(str(RULES))}\n"
        "scrape_configs:\n"
        "  - job_name: vigil\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{target_port}']\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            executable,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    "prometheus exited: " + (tmp_path / "prometheus.log").read_text()[-2000:],
                    pytrace=False,
                )
            with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as r:  # noqa: S310
                return bool(r.status == 200)

        wait_for("Prometheus to be ready", ready, deadline)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@pytest.mark.slow
def test_real_prometheus_scrapes_vigil_and_fires_a_rule(
    prometheus: str, vigil_metrics: tuple[Metrics, int]
) -> None:
    metrics, _ = vigil_metrics
    metrics.observe_events("acme", 100)
    failed = metrics.notifications.labels(sink="pagerduty", outcome="failed")  # starts at 0
    deadline = time.monotonic() + WAIT_S

    def scraped() -> list[Any]:
        return query(prometheus, 'vigil_events_total{tenant="acme"}')

    [sample] = wait_for("the first scrape of /metrics", scraped, deadline)
    assert sample["metric"]["job"] == "vigil" and float(sample["value"][1]) == 100

    # Rules are loaded from deploy/prometheus/rules.yml; take the expression Prometheus parsed:
    groups = api(prometheus, "/api/v1/rules")["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert {"VigilWorkerDown", "VigilNotificationFailures"} <= set(rules)
    assert all(r["health"] in ("ok", "unknown") for r in rules.values()), rules
    expression = rules["VigilNotificationFailures"]["query"]

    failed.inc()  # a delivery given up on

    def evaluated() -> list[Any]:
        return query(prometheus, expression)

    [result] = wait_for("the rule expression to return a value", evaluated, deadline)
    assert result["metric"] == {"sink": "pagerduty"} and float(result["value"][1]) > 0

    def firing() -> list[Any]:
        return [
            a
            for a in api(prometheus, "/api/v1/alerts")["alerts"]
            if a["labels"]["alertname"] == "VigilNotificationFailures" and a["state"] == "firing"
        ]

    [alert] = wait_for("VigilNotificationFailures to fire", firing, deadline)
    assert alert["labels"]["sink"] == "pagerduty"
    assert alert["labels"]["severity"] == "critical"


@pytest.mark.kafka
@pytest.mark.slow
def test_real_prometheus_scrapes_a_running_worker(kafka_broker: str, tmp_path: Path) -> None:
    """A real ``vigil worker`` on the real broker: Prometheus scrapes its /metrics, the
    worker-stalled rule stays quiet while it works, and worker-down fires once it is killed."""
    from tests.streaming.helpers import WorkerProcess, run_cli, unique_prefix

    started = time.monotonic()
    prefix = unique_prefix()
    metrics_port = free_port()
    worker = WorkerProcess(
        kafka_broker, prefix, tmp_path / "w", "w", extra=["--metrics-port", str(metrics_port)]
    ).start()
    try:
        with run_prometheus(tmp_path, metrics_port) as base:
            deadline = time.monotonic() + 45
            worker.wait_assigned()
            log = tmp_path / "auth.log"
            log.write_text(
                "".join(
                    f"Dec  1 09:{i:02d}:01 bastion sshd[{100 + i}]: Accepted password for "
                    f"user{i % 5} from 10.1.1.{i % 5} port 5{i} ssh2\n"
                    for i in range(50)
                )
            )
            ingest = ["ingest", "--broker", kafka_broker, "--topic-prefix", prefix]
            run_cli([*ingest, "--tenant", "acme", str(log)])

            def counted() -> list[Any]:
                return query(base, 'vigil_events_total{job="vigil",tenant="acme"} == 50')

            wait_for("the worker's 50 events in Prometheus", counted, deadline)
            groups = api(base, "/api/v1/rules")["groups"]
            rules = {r["name"]: r for g in groups for r in g["rules"]}
            # The worker exports what the stalled rule needs, and it evaluates to nothing.
            assert query(base, "vigil_last_batch_timestamp_seconds") and query(
                base, "vigil_consumer_lag_messages"
            )
            assert query(base, rules["VigilWorkerStalled"]["query"]) == []
            worker.kill()
            down = rules["VigilWorkerDown"]["query"]

            def evaluated() -> list[Any]:
                return query(base, down)

            [result] = wait_for("VigilWorkerDown's expression to match", evaluated, deadline)
            assert result["metric"]["instance"] == f"127.0.0.1:{metrics_port}"

            def pending() -> list[Any]:  # `for: 2m`: pending first, then firing
                return [
                    a
                    for a in api(base, "/api/v1/alerts")["alerts"]
                    if a["labels"]["alertname"] == "VigilWorkerDown"
                ]

            [alert] = wait_for("VigilWorkerDown to become pending", pending, deadline)
            assert alert["state"] in ("pending", "firing")
    finally:
        worker.stop()
    assert time.monotonic() - started < 60
