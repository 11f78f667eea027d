"""Every Prometheus metric Vigil exposes, in one place.

Named by the Prometheus guide: ``vigil_`` prefix, base units (``_seconds``, ``_bytes``),
``_total`` on counters. Labels are bounded: ``tenant``, ``detector``, ``severity``, ``reason``,
``sink``, ``outcome`` only, each capped at :data:`MAX_LABEL_VALUES` distinct values (the rest
become ``other``). A user id, host name or IP address is never a label value.

Tests pass a fresh ``CollectorRegistry``:

>>> from prometheus_client import CollectorRegistry
>>> m = Metrics(registry=CollectorRegistry())
>>> m.observe_events("acme", 3)
>>> m.registry.get_sample_value("vigil_events_total", {"tenant": "acme"})
3.0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    start_http_server,
)

if TYPE_CHECKING:
    from schemas.alert import Alert

__all__ = [
    "DEFAULT_METRICS_ADDR",
    "MAX_LABEL_VALUES",
    "METRIC_NAMES",
    "NOTIFY_OUTCOMES",
    "Metrics",
    "MetricsServer",
    "start_metrics_server",
]

DEFAULT_METRICS_ADDR: Final = "127.0.0.1"
MAX_LABEL_VALUES: Final = 64
OTHER: Final = "other"

#: The outcomes a notification can have (``vigil_notifications_total{outcome=...}``).
NOTIFY_OUTCOMES: Final = (
    "delivered",  # the receiver accepted it (2xx)
    "retry",  # a transient failure (timeout, connection error, 408/429/5xx); will be retried
    "failed",  # given up: permanent 4xx, or too many attempts; kept in outbox/<sink>/failed/
    "deduplicated",  # already delivered, stale version, or an update the sink does not want
    "filtered",  # below the sink's minimum severity
)

# Event-to-alert latency spans seconds (streaming) to days (a backfill or slow-and-low attack).
LATENCY_BUCKETS: Final = (
    1.0,
    5.0,
    15.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    24 * 3600.0,
    7 * 24 * 3600.0,
)
BATCH_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
HTTP_BUCKETS: Final = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _BoundedValues:
    """Lets the first ``limit`` distinct values of one label through; later ones become ``other``.

    >>> b = _BoundedValues(2)
    >>> [b("a"), b("b"), b("c"), b("a")]
    ['a', 'b', 'other', 'a']
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, value: str) -> str:
        value = (value or OTHER)[:80]
        if value in self.seen:
            return value
        with self.lock:
            if len(self.seen) >= self.limit:
                return OTHER
            self.seen.add(value)
        return value


def reason_label(reason: str) -> str:
    """A bounded label for a dead-letter reason: up to its first colon, without digits.

    >>> reason_label("parser windows failed: KeyError: 'EventID' at 10.0.0.1")
    'parser windows failed'
    """
    head = reason.split(":", 1)[0]
    return "".join(c for c in head if not c.isdigit()).strip()[:60] or OTHER


class Metrics:
    """The metrics of one process. ``registry`` defaults to a new, private registry.

    Pass ``prometheus_client.REGISTRY`` to also get the client's process/platform collectors.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        max_label_values: int = MAX_LABEL_VALUES,
        version: str = "0.1.0",
        mode: str = "embedded",
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._tenant = _BoundedValues(max_label_values)
        self._detector = _BoundedValues(max_label_values)
        self._reason = _BoundedValues(max_label_values)
        self._sink = _BoundedValues(max_label_values)

        self.build_info = Info("vigil_build", "Vigil version and run mode.", registry=r)
        self.build_info.info({"version": version, "mode": mode})
        self.events = Counter(
            "vigil_events_total", "Canonical events processed.", ["tenant"], registry=r
        )
        self.dead_letters = Counter(
            "vigil_dead_letters_total",
            "Records that could not be parsed, by reason class.",
            ["tenant", "reason"],
            registry=r,
        )
        self.alerts = Counter(
            "vigil_alerts_total",
            "Alerts emitted (new incidents and updates); suppressed ones are counted in "
            "vigil_alerts_suppressed_total instead.",
            ["tenant", "detector", "severity"],
            registry=r,
        )
        self.alerts_suppressed = Counter(
            "vigil_alerts_suppressed_total",
            "Alerts withheld by a suppression or allow-list entry.",
            ["tenant", "detector", "reason"],
            registry=r,
        )
        self.notifications = Counter(
            "vigil_notifications_total",
            "Notification attempts and decisions per sink, by outcome.",
            ["sink", "outcome"],
            registry=r,
        )
        self.notification_duration = Histogram(
            "vigil_notification_duration_seconds",
            "Time for one HTTP delivery attempt to a sink.",
            ["sink"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.outbox_pending = Gauge(
            "vigil_notification_outbox_pending",
            "Notifications waiting in the outbox of a sink.",
            ["sink"],
            registry=r,
        )
        self.alert_latency = Histogram(
            "vigil_event_to_alert_latency_seconds",
            "Wall-clock time from the last evidence's event time to the alert being raised.",
            ["detector"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_duration = Histogram(
            "vigil_batch_duration_seconds",
            "Time to score and learn one batch of events.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.last_batch = Gauge(
            "vigil_last_batch_timestamp_seconds",
            "Unix time at which the last batch finished.",
            registry=r,
        )
        self.tracked_entities = Gauge(
            "vigil_tracked_entities",
            "Entities (users, hosts, sources) with learned state.",
            ["tenant"],
            registry=r,
        )
        self.state_bytes = Gauge(
            "vigil_state_bytes", "Bytes of learned detector state.", ["tenant"], registry=r
        )
        self.consumer_lag = Gauge(
            "vigil_consumer_lag_messages",
            "Messages behind the end of the assigned partitions (streaming mode), summed.",
            registry=r,
        )

    # -- pipeline ---------------------------------------------------------------------------

    def observe_events(self, tenant: str, count: int) -> None:
        if count > 0:
            self.events.labels(tenant=self._tenant(tenant)).inc(count)

    def observe_dead_letter(self, tenant: str, reason: str, count: int = 1) -> None:
        label = self._reason(reason_label(reason))
        self.dead_letters.labels(tenant=self._tenant(tenant), reason=label).inc(count)

    def observe_alert(self, alert: Alert, *, now: datetime | None = None) -> None:
        """Count one alert and its event-to-alert latency (from ``alert.last_seen``)."""
        detector = self._detector(alert.detector)
        self.alerts.labels(
            tenant=self._tenant(alert.tenant), detector=detector, severity=alert.severity
        ).inc()
        moment = now if now is not None else datetime.now(UTC)
        latency = (moment - alert.last_seen).total_seconds()
        self.alert_latency.labels(detector=detector).observe(max(latency, 0.0))

    def observe_suppressed(self, alert: Alert, reason: str) -> None:
        self.alerts_suppressed.labels(
            tenant=self._tenant(alert.tenant),
            detector=self._detector(alert.detector),
            reason=self._reason(reason_label(reason)),
        ).inc()

    def observe_batch(
        self,
        *,
        tenant: str,
        events: int,
        alerts: Iterable[Alert] = (),
        duration_s: float,
        now: datetime | None = None,
    ) -> None:
        """One call per engine batch: events, the alerts it raised, and how long it took."""
        self.observe_events(tenant, events)
        for alert in alerts:
            self.observe_alert(alert, now=now)
        self.batch_duration.observe(max(duration_s, 0.0))
        self.last_batch.set(time.time())

    def set_state(self, tenant: str, *, tracked_entities: int, state_bytes: int) -> None:
        label = self._tenant(tenant)
        self.tracked_entities.labels(tenant=label).set(tracked_entities)
        self.state_bytes.labels(tenant=label).set(state_bytes)

    def set_consumer_lag(self, messages: int) -> None:
        self.consumer_lag.set(max(messages, 0))

    # -- notifications ----------------------------------------------------------------------

    def observe_notification(
        self, sink: str, outcome: str, *, duration_s: float | None = None
    ) -> None:
        if outcome not in NOTIFY_OUTCOMES:
            raise ValueError(f"unknown notification outcome {outcome!r}; known: {NOTIFY_OUTCOMES}")
        label = self._sink(sink)
        self.notifications.labels(sink=label, outcome=outcome).inc()
        if duration_s is not None:
            self.notification_duration.labels(sink=label).observe(max(duration_s, 0.0))

    def init_sink(self, sink: str) -> None:
        """Create every outcome series of ``sink`` at 0, so ``increase()`` sees the first one."""
        label = self._sink(sink)
        for outcome in NOTIFY_OUTCOMES:
            self.notifications.labels(sink=label, outcome=outcome)
        self.outbox_pending.labels(sink=label)

    def set_outbox_pending(self, sink: str, count: int) -> None:
        self.outbox_pending.labels(sink=self._sink(sink)).set(count)


#: Every sample-family name the module defines (what deploy/ may reference).
METRIC_NAMES: Final = frozenset(
    {
        "vigil_build_info",
        "vigil_events_total",
        "vigil_dead_letters_total",
        "vigil_alerts_total",
        "vigil_alerts_suppressed_total",
        "vigil_notifications_total",
        "vigil_notification_duration_seconds",
        "vigil_notification_outbox_pending",
        "vigil_event_to_alert_latency_seconds",
        "vigil_batch_duration_seconds",
        "vigil_last_batch_timestamp_seconds",
        "vigil_tracked_entities",
        "vigil_state_bytes",
        "vigil_consumer_lag_messages",
    }
)


@dataclass
class MetricsServer:
    """A running ``/metrics`` endpoint; ``close()`` stops it."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_metrics_server(
    port: int, *, addr: str = DEFAULT_METRICS_ADDR, registry: CollectorRegistry
) -> MetricsServer:
    """Serve ``registry`` on ``http://addr:port/metrics`` from a daemon thread.

    Binds to 127.0.0.1 unless ``addr`` says otherwise; ``port=0`` picks a free port.
    """
    if not 0 <= port <= 65535:
        raise ValueError(f"metrics port must be in 0..65535, got {port}")
    server, thread = start_http_server(port, addr=addr, registry=registry)
    return MetricsServer(server=server, thread=thread)
