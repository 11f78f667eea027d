"""Metrics: names by the Prometheus guide, bounded labels, and a real /metrics endpoint."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from pipeline.metrics import (
    METRIC_NAMES,
    NOTIFY_OUTCOMES,
    Metrics,
    MetricsServer,
    start_metrics_server,
)
from schemas.alert import Alert, EntityRef

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "vigil-dashboard.json"
ALLOWED_LABELS = {"tenant", "detector", "severity", "reason", "sink", "outcome", "le"}
INFO_LABELS = {"version", "mode"}  # vigil_build_info only
T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


def alert(detector: str = "rare_source_network", severity: str = "high") -> Alert:
    return Alert(
        id="a-1",
        incident_key="k-1",
        tenant="acme",
        time=T0,
        last_seen=T0 + timedelta(minutes=10),
        detector=detector,
        severity=severity,  # type: ignore[arg-type]
        score=75.0,
        entity=EntityRef("user", "alice.secret"),
        related=[EntityRef("ip", "203.0.113.77")],
        title="alice.secret logged on from 203.0.113.77",
    )


def exercise(m: Metrics) -> None:
    """Touch every metric, with a user id and an IP in the inputs that must not leak."""
    m.observe_batch(
        tenant="acme",
        events=1000,
        alerts=[alert(), alert(severity="critical")],
        duration_s=0.02,
        now=T0 + timedelta(minutes=11),
    )
    m.observe_dead_letter("acme", "parser windows failed: KeyError: 'x' at 203.0.113.77")
    m.observe_suppressed(alert(), "allow-list: owner=soc")
    m.observe_notification("pagerduty", "delivered", duration_s=0.05)
    m.observe_notification("pagerduty", "retry", duration_s=2.0)
    m.set_outbox_pending("pagerduty", 1)
    m.set_state("acme", tracked_entities=42, state_bytes=4096)
    m.set_consumer_lag(17)


@pytest.fixture
def served() -> Iterator[tuple[Metrics, MetricsServer]]:
    metrics = Metrics(registry=CollectorRegistry())
    server = start_metrics_server(0, registry=metrics.registry)
    try:
        yield metrics, server
    finally:
        server.close()


def scrape(server: MetricsServer) -> str:
    with urllib.request.urlopen(server.url, timeout=5) as response:  # noqa: S310 - local
        assert response.status == 200
        return str(response.read().decode())


def test_metrics_endpoint_serves_what_the_pipeline_observed(
    served: tuple[Metrics, MetricsServer],
) -> None:
    metrics, server = served
    assert server.host == "127.0.0.1" and server.port > 0
    exercise(metrics)
    text = scrape(server)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }

    assert samples[("vigil_events_total", (("tenant", "acme"),))] == 1000
    key = ("tenant", "acme"), ("detector", "rare_source_network"), ("severity", "critical")
    assert samples[("vigil_alerts_total", tuple(sorted(key)))] == 1
    dl = (("reason", "parser windows failed"), ("tenant", "acme"))
    assert samples[("vigil_dead_letters_total", dl)] == 1
    assert (
        samples[("vigil_notifications_total", (("outcome", "retry"), ("sink", "pagerduty")))] == 1
    )
    assert samples[("vigil_consumer_lag_messages", ())] == 17
    assert samples[("vigil_state_bytes", (("tenant", "acme"),))] == 4096
    latency = (("detector", "rare_source_network"), ("le", "60.0"))
    assert samples[("vigil_event_to_alert_latency_seconds_bucket", latency)] == 2
    assert samples[("vigil_batch_duration_seconds_count", ())] == 1
    assert families["vigil_events"].type == "counter"
    assert families["vigil_batch_duration_seconds"].type == "histogram"


def test_names_units_and_labels_follow_the_guide(served: tuple[Metrics, MetricsServer]) -> None:
    metrics, server = served
    exercise(metrics)
    text = scrape(server)
    seen: set[str] = set()
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("vigil_"), family.name
        assert not re.search(r"_(ms|milliseconds|kb|mb|percent)(_|$)", family.name)
        for sample in family.samples:
            seen.add(sample.name)
            if family.type == "counter" and not sample.name.endswith("_created"):
                assert sample.name.endswith("_total"), sample.name
            allowed = ALLOWED_LABELS | (
                INFO_LABELS if family.name.startswith("vigil_build") else set()
            )
            assert set(sample.labels) <= allowed, (sample.name, sample.labels)
    # METRIC_NAMES (what deploy/ may use) is exactly what the module exposes:
    exposed = {re.sub(r"_(bucket|sum|count)$", "", n) for n in seen if not n.endswith("_created")}
    assert exposed == METRIC_NAMES


def test_no_user_ids_or_ips_reach_the_metrics(served: tuple[Metrics, MetricsServer]) -> None:
    metrics, server = served
    exercise(metrics)
    text = scrape(server)
    assert "alice" not in text
    assert "203.0.113" not in text


def test_label_values_are_capped() -> None:
    metrics = Metrics(registry=CollectorRegistry(), max_label_values=3)
    for n in range(10):
        metrics.observe_dead_letter("acme", f"reason-{chr(97 + n)}: detail")
    reasons = {
        s.labels["reason"]
        for f in metrics.registry.collect()
        if f.name == "vigil_dead_letters"
        for s in f.samples
    }
    assert reasons == {"reason-a", "reason-b", "reason-c", "other"}


def test_unknown_notification_outcome_is_refused() -> None:
    metrics = Metrics(registry=CollectorRegistry())
    with pytest.raises(ValueError, match="unknown notification outcome"):
        metrics.observe_notification("slack", "exploded")
    for outcome in NOTIFY_OUTCOMES:
        metrics.observe_notification("slack", outcome)


def test_fresh_registries_do_not_collide() -> None:
    first, second = Metrics(registry=CollectorRegistry()), Metrics(registry=CollectorRegistry())
    first.observe_events("acme", 5)
    assert second.registry.get_sample_value("vigil_events_total", {"tenant": "acme"}) is None


def test_port_is_validated() -> None:
    with pytest.raises(ValueError, match=r"0\.\.65535"):
        start_metrics_server(70000, registry=CollectorRegistry())


def defined_series_names() -> set[str]:
    names = set(METRIC_NAMES)
    for name in METRIC_NAMES:
        names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def test_dashboard_uses_only_metrics_the_code_defines() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs: list[str] = []

    def walk(panels: list[dict[str, object]]) -> None:
        for panel in panels:
            for target in panel.get("targets", []):  # type: ignore[attr-defined]
                exprs.append(target["expr"])
            walk(panel.get("panels", []))  # type: ignore[arg-type]

    walk(dashboard["panels"])
    exprs.append(dashboard["templating"]["list"][1]["query"]["query"])
    used = {m for e in exprs for m in re.findall(r"\b[a-z_]+_[a-z_]+(?=[{\[\s)]|$)", e)}
    used = {m for m in used if m.startswith("vigil_")}
    assert used, "the dashboard queries no vigil metrics"
    assert used <= defined_series_names(), used - defined_series_names()
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for subject in ("severity", "detector", "tenant", "throughput", "lag", "dead letters"):
        assert subject in titles, subject
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
