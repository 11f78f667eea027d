"""Delivery to on-call against real local HTTP receivers (pytest-httpserver on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from prometheus_client import CollectorRegistry
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.metrics import Metrics
from pipeline.notify import (
    PAGERDUTY_KEY_ENV,
    SIGNATURE_HEADER,
    WEBHOOK_SECRET_ENV,
    Notifier,
    SinkConfigError,
    SinkSpec,
)
from pipeline.notify.retry import TokenBucket
from schemas.alert import Alert, EntityRef, Evidence, Factor

T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
FAST: dict[str, Any] = {
    "timeout_s": 2.0,
    "backoff_base_s": 0.01,
    "backoff_cap_s": 0.05,
    "rate_per_minute": 6000,
    "burst": 100,
}
ROUTING_KEY = "R0UTINGKEY-test-0123456789abcdef"
SECRET = "s3cret-for-hmac"  # noqa: S105 - a test value


def make_alert(
    incident: str = "inc-1",
    version: int = 1,
    severity: str = "high",
    title: str = "alice logged on from network 203.0.113.0/24, never seen for her, at 03:00",
) -> Alert:
    return Alert(
        id=f"{incident}-v{version}",
        incident_key=incident,
        tenant="acme",
        time=T0,
        last_seen=T0 + timedelta(minutes=version),
        detector="rare_source_network",
        severity=severity,  # type: ignore[arg-type]
        score=80.0,
        entity=EntityRef("user", "alice"),
        related=[EntityRef("ip", "203.0.113.9")],
        title=title,
        explanation=[
            Factor(
                detector="rare_source_network",
                observed="source network 203.0.113.0/24 <new>",
                baseline="10.1.0.0/16 on 112 of 112 days",
                contribution=0.8,
            )
        ],
        evidence=[Evidence("evt-1", T0)],
        mitre=["T1078"],
        version=version,
    )


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(registry=CollectorRegistry())


NotifierFactory = Callable[..., Notifier]


@pytest.fixture
def make_notifier(tmp_path: Path, metrics: Metrics) -> Iterator[NotifierFactory]:
    made: list[Notifier] = []

    def factory(
        *specs: SinkSpec, env: dict[str, str] | None = None, spool: Path | None = None
    ) -> Notifier:
        notifier = Notifier.from_specs(
            specs,
            spool_dir=spool if spool is not None else tmp_path / "outbox",
            env=env or {},
            metrics=metrics,
        )
        made.append(notifier)
        return notifier

    yield factory
    for notifier in made:
        notifier.close()


def spec(kind: str, url: str, **options: Any) -> SinkSpec:
    return SinkSpec(kind=kind, url=url, options={**FAST, **options})


def bodies(server: HTTPServer) -> list[dict[str, Any]]:
    return [json.loads(request.get_data()) for request, _ in server.log]


def outcome(metrics: Metrics, sink: str, name: str) -> float:
    value = metrics.registry.get_sample_value(
        "vigil_notifications_total", {"sink": sink, "outcome": name}
    )
    return value or 0.0


# -- payloads ---------------------------------------------------------------------------------


def test_webhook_sends_the_alert_json_signed_with_hmac(
    httpserver: HTTPServer, make_notifier: NotifierFactory, metrics: Metrics
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    notifier = make_notifier(
        spec("webhook", httpserver.url_for("/hook")), env={WEBHOOK_SECRET_ENV: SECRET}
    )
    alert = make_alert(severity="medium")
    notifier.submit(alert)
    notifier.submit(make_alert("inc-low", severity="low"))  # below medium: not sent
    report = notifier.flush(5)

    assert report.ok and report.sinks["webhook"].delivered == [alert.id]
    [(request, _)] = httpserver.log
    body = request.get_data()
    assert msgspec.json.decode(body, type=Alert) == alert
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Vigil-Incident-Key"] == "inc-1"
    assert report.sinks["webhook"].filtered == 1
    assert outcome(metrics, "webhook", "failed") == 0  # every outcome series exists from start
    assert (
        metrics.registry.get_sample_value(
            "vigil_notifications_total", {"sink": "webhook", "outcome": "failed"}
        )
        == 0.0
    )
    assert outcome(metrics, "webhook", "delivered") == 1
    assert outcome(metrics, "webhook", "filtered") == 1


def test_webhook_is_unsigned_without_a_secret(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    notifier.submit(make_alert())
    assert notifier.flush(5).ok
    [(request, _)] = httpserver.log
    assert SIGNATURE_HEADER not in request.headers


def test_pagerduty_trigger_payload(httpserver: HTTPServer, make_notifier: NotifierFactory) -> None:
    httpserver.expect_request("/v2/enqueue", method="POST").respond_with_json(
        {"status": "success", "dedup_key": "inc-1"}, status=202
    )
    notifier = make_notifier(
        spec("pagerduty", httpserver.url_for("/v2/enqueue")),
        env={PAGERDUTY_KEY_ENV: ROUTING_KEY},
    )
    long_title = "x" * 2000
    notifier.submit(make_alert("inc-1", severity="critical", title=long_title))
    notifier.submit(make_alert("inc-2", severity="high"))
    notifier.submit(make_alert("inc-3", severity="medium"))  # does not page by default
    report = notifier.flush(5)

    assert report.ok and len(report.sinks["pagerduty"].delivered) == 2
    first, second = bodies(httpserver)
    assert first["routing_key"] == ROUTING_KEY
    assert first["event_action"] == "trigger"
    assert first["dedup_key"] == "inc-1"
    payload = first["payload"]
    assert len(payload["summary"]) == 1024
    assert payload["severity"] == "critical"
    assert payload["source"] == "user:alice"
    assert payload["group"] == "acme"
    assert payload["class"] == "rare_source_network"
    assert payload["component"] == "user"
    details = payload["custom_details"]
    assert details["explanation"][0]["baseline"] == "10.1.0.0/16 on 112 of 112 days"
    assert details["incident_key"] == "inc-1" and details["mitre"] == ["T1078"]
    assert second["payload"]["severity"] == "error"
    assert second["dedup_key"] == "inc-2"


def test_pagerduty_needs_its_routing_key_from_env(tmp_path: Path) -> None:
    with pytest.raises(SinkConfigError, match=PAGERDUTY_KEY_ENV):
        Notifier.from_specs(["pagerduty=http://127.0.0.1:9/v2/enqueue"], env={})


def test_slack_message_has_text_and_factor_blocks(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    httpserver.expect_request("/slack").respond_with_data("ok")
    notifier = make_notifier(spec("slack", httpserver.url_for("/slack")))
    notifier.submit(make_alert("inc-m", severity="medium"))
    notifier.submit(make_alert("inc-l", severity="low"))
    assert notifier.flush(5).ok
    [message] = bodies(httpserver)
    assert message["text"].startswith("[MEDIUM] alice logged on from network 203.0.113.0/24")
    blocks = json.dumps(message["blocks"])
    assert "10.1.0.0/16 on 112 of 112 days" in blocks
    assert "&lt;new&gt;" in blocks  # Slack mrkdwn escaping
    assert message["blocks"][0]["type"] == "section"


# -- retries ------------------------------------------------------------------------------------


def test_receiver_that_fails_then_recovers_gets_the_alert_once(
    httpserver: HTTPServer, make_notifier: NotifierFactory, metrics: Metrics, tmp_path: Path
) -> None:
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=502)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    alert = make_alert()
    notifier.submit(alert)
    report = notifier.flush(5)
    assert report.ok and report.sinks["webhook"].delivered == [alert.id]
    assert [r.status_code for _, r in httpserver.log] == [500, 502, 200]
    assert outcome(metrics, "webhook", "retry") == 2
    assert outcome(metrics, "webhook", "delivered") == 1
    assert not list((tmp_path / "outbox" / "webhook").glob("*.json"))  # spool emptied


def test_receiver_that_times_out_is_retried(make_notifier: NotifierFactory) -> None:
    calls: list[float] = []

    def slow_then_fast(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(1.0)
        return Response("ok", status=200)

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request("/hook").respond_with_handler(slow_then_fast)
    server.start()
    try:
        notifier = make_notifier(spec("webhook", server.url_for("/hook"), timeout_s=0.3))
        alert = make_alert()
        notifier.submit(alert)
        report = notifier.flush(5)
        assert report.ok and report.sinks["webhook"].delivered == [alert.id]
        assert len(calls) == 2
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def test_429_retry_after_is_honoured(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    seen: list[float] = []

    def limited(request: Request) -> Response:
        seen.append(time.monotonic())
        if len(seen) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response("ok", status=200)

    httpserver.expect_request("/hook").respond_with_handler(limited)
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    notifier.submit(make_alert())
    assert notifier.flush(5).ok
    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.95  # backoff alone would be <= 0.05 s


def test_permanent_rejection_is_not_retried_and_is_reported(
    httpserver: HTTPServer, make_notifier: NotifierFactory, tmp_path: Path, metrics: Metrics
) -> None:
    httpserver.expect_request("/hook").respond_with_data("bad", status=400)
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    alert = make_alert()
    notifier.submit(alert)
    report = notifier.flush(5)
    assert not report.ok and not report.timed_out
    [failure] = report.undelivered
    assert failure.alert_id == alert.id and "HTTP 400" in failure.reason
    assert len(httpserver.log) == 1
    assert (tmp_path / "outbox" / "webhook" / "failed" / f"{alert.id}.json").exists()
    assert outcome(metrics, "webhook", "failed") == 1


def test_gives_up_only_when_too_old(httpserver: HTTPServer, make_notifier: NotifierFactory) -> None:
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook"), max_age_s=0.3))
    notifier.submit(make_alert())
    report = notifier.flush(5)
    assert len(httpserver.log) > 2  # retried until the item was older than max_age_s
    [failure] = report.sinks["webhook"].failed
    assert "gave up after" in failure.reason and "HTTP 503" in failure.reason


def test_flush_is_bounded_and_reports_what_is_pending(
    httpserver: HTTPServer, make_notifier: NotifierFactory, tmp_path: Path
) -> None:
    httpserver.expect_request("/hook").respond_with_data(
        "busy", status=503, headers={"Retry-After": "30"}
    )
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    notifier.submit(make_alert())
    started = time.monotonic()
    report = notifier.flush(0.5)
    assert time.monotonic() - started < 1.5
    assert report.timed_out and not report.ok
    [pending] = report.sinks["webhook"].pending
    assert pending.reason == "HTTP 503"
    assert "1 pending (kept in outbox)" in report.summary_line()
    assert len(list((tmp_path / "outbox" / "webhook").glob("*.json"))) == 1


# -- exactly once, dedup, rate limit ----------------------------------------------------------


def test_exactly_once_after_acceptance_across_restarts(
    httpserver: HTTPServer, make_notifier: NotifierFactory, tmp_path: Path
) -> None:
    spool = tmp_path / "outbox"
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    httpserver.expect_request("/hook").respond_with_data(
        "down", status=503, headers={"Retry-After": "30"}
    )
    first = make_notifier(spec("webhook", httpserver.url_for("/hook")), spool=spool)
    accepted, pending = make_alert("inc-a"), make_alert("inc-b")
    first.submit(accepted)
    first.submit(pending)
    report = first.flush(0.5)
    first.close()
    assert report.sinks["webhook"].delivered == [accepted.id]
    assert [p.alert_id for p in report.sinks["webhook"].pending] == [pending.id]

    # A crash between the receiver's 2xx and removing the spool file leaves it behind:
    sink_dir = spool / "webhook"
    [left] = list(sink_dir.glob("*.json"))
    record = json.loads(left.read_bytes())
    record["alert"] = msgspec.to_builtins(accepted)
    (sink_dir / "0000crash.json").write_text(json.dumps(record))

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok", status=200)
    second = make_notifier(spec("webhook", httpserver.url_for("/hook")), spool=spool)
    second.submit(accepted)  # resubmitted by a replay: already accepted, not sent
    report = second.flush(5)
    sent = [b["id"] for b in bodies(httpserver)]
    assert sent == [pending.id]
    assert report.ok and report.sinks["webhook"].delivered == [pending.id]
    assert not list(sink_dir.glob("*.json"))


def test_one_page_per_incident_updates_use_the_same_dedup_key(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    httpserver.expect_request("/v2/enqueue").respond_with_json({"status": "success"}, 202)
    notifier = make_notifier(
        spec("pagerduty", httpserver.url_for("/v2/enqueue")),
        env={PAGERDUTY_KEY_ENV: ROUTING_KEY},
    )
    v1, v2 = make_alert(version=1), make_alert(version=2)
    notifier.submit(v1)
    assert notifier.flush(5).ok
    notifier.submit(v2)
    notifier.submit(v1)  # an older version arriving late is not sent again
    report = notifier.flush(5)
    sent = bodies(httpserver)
    assert [b["dedup_key"] for b in sent] == ["inc-1", "inc-1"]
    assert [b["payload"]["custom_details"]["version"] for b in sent] == [1, 2]
    assert {b["event_action"] for b in sent} == {"trigger"}
    assert report.sinks["pagerduty"].deduplicated == 1


def test_slack_posts_an_incident_once_and_again_only_on_escalation(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    httpserver.expect_request("/slack").respond_with_data("ok")
    notifier = make_notifier(spec("slack", httpserver.url_for("/slack")))
    for version, severity in [(1, "high"), (2, "high"), (3, "critical")]:
        notifier.submit(make_alert(version=version, severity=severity))
        notifier.flush(5)
    texts = [b["text"] for b in bodies(httpserver)]
    assert len(texts) == 2
    assert texts[0].startswith("[HIGH]") and texts[1].startswith("Escalated: [CRITICAL]")


def test_a_newer_version_replaces_the_pending_one(
    httpserver: HTTPServer, make_notifier: NotifierFactory
) -> None:
    httpserver.expect_ordered_request("/hook").respond_with_data(
        "busy", status=503, headers={"Retry-After": "1"}
    )
    httpserver.expect_request("/hook").respond_with_data("ok")
    notifier = make_notifier(spec("webhook", httpserver.url_for("/hook")))
    notifier.submit(make_alert(version=1))
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.01)
    notifier.submit(make_alert(version=2))
    report = notifier.flush(5)
    assert [b["version"] for b in bodies(httpserver)] == [1, 2]
    assert report.ok and report.sinks["webhook"].delivered == ["inc-1-v2"]


def test_rate_limit_holds(
    httpserver: HTTPServer, make_notifier: NotifierFactory, tmp_path: Path
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    notifier = make_notifier(
        spec("webhook", httpserver.url_for("/hook"), rate_per_minute=6, burst=3)
    )
    for n in range(8):
        notifier.submit(make_alert(f"inc-{n}"))
    report = notifier.flush(0.7)
    assert len(httpserver.log) == 3
    assert len(report.sinks["webhook"].delivered) == 3
    pending = report.sinks["webhook"].pending
    assert len(pending) == 5
    assert "rate limit" in pending[0].reason
    assert len(list((tmp_path / "outbox" / "webhook").glob("*.json"))) == 5


def test_token_bucket_refills_at_its_rate() -> None:
    clock = [0.0]
    bucket = TokenBucket(60, 1, clock=lambda: clock[0])
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(1.0)
    clock[0] = 0.5
    assert bucket.try_acquire() == pytest.approx(0.5)
    clock[0] = 1.0
    assert bucket.try_acquire() == 0.0


# -- configuration and secrets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email=mailto:x@example.org", "unknown notification kind"),
        ("webhook=", "needs a URL"),
        ("webhook=ftp://127.0.0.1/x", "http:// or https://"),
        ("slack=hooks.example/T/B", "http:// or https://"),
    ],
)
def test_bad_specs_fail_with_a_fix(text: str, message: str) -> None:
    with pytest.raises(SinkConfigError, match=message):
        Notifier.from_specs([text], env={})


def test_sink_names_are_unique_and_config_tables_work(tmp_path: Path) -> None:
    notifier = Notifier.from_specs(
        [
            "webhook=http://127.0.0.1:9/a",
            "webhook=http://127.0.0.1:9/b",
            {"kind": "slack", "url": "http://127.0.0.1:9/s", "name": "soc", "min_severity": "high"},
        ],
        env={},
    )
    try:
        assert [s.name for s in notifier.sinks] == ["webhook", "webhook-2", "soc"]
        assert notifier.sinks[2].settings.min_severity == "high"
    finally:
        notifier.close()
    from_env = Notifier.from_specs(
        [{"kind": "slack", "url_env": "SLACK_URL"}], env={"SLACK_URL": "http://127.0.0.1:9/s"}
    )
    from_env.close()
    assert from_env.sinks[0].url == "http://127.0.0.1:9/s"
    with pytest.raises(SinkConfigError, match="SLACK_URL is not set"):
        Notifier.from_specs([{"kind": "slack", "url_env": "SLACK_URL"}], env={})
    with pytest.raises(SinkConfigError, match="unknown key"):
        Notifier.from_specs([{"kind": "slack", "url": "http://x/", "colour": "red"}], env={})


def test_secrets_never_reach_disk_logs_or_repr(
    httpserver: HTTPServer,
    make_notifier: NotifierFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="vigil.notify")
    httpserver.expect_request("/v2/enqueue").respond_with_data("bad", status=400)
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    notifier = make_notifier(
        spec("pagerduty", httpserver.url_for("/v2/enqueue")),
        spec("webhook", httpserver.url_for("/hook"), max_age_s=0.2),
        env={PAGERDUTY_KEY_ENV: ROUTING_KEY, WEBHOOK_SECRET_ENV: SECRET},
    )
    notifier.submit(make_alert())
    report = notifier.flush(5)
    assert len(report.undelivered) == 2
    on_disk = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("vigil"))
    assert "gave up" in ours
    visible = (ours + repr(notifier.sinks) + repr(report)).encode() + on_disk
    assert ROUTING_KEY.encode() not in visible
    assert SECRET.encode() not in visible
    assert "/v2/enqueue" not in ours and "/hook" not in ours  # URLs are not logged either
