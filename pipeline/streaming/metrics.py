"""The worker's Prometheus metrics (names per the Prometheus guide; bounded labels only)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from pipeline.metrics import Metrics


class WorkerMetrics:
    """The worker's own ``vigil_stream_*`` series plus the shared :class:`Metrics` (``common``:
    events, alerts, suppressed alerts, notifications, lag ... as in ``vigil detect``), so the
    rules and dashboard in ``deploy/`` work on workers unchanged."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.common = Metrics(registry=r, mode="streaming")
        self.raw_records = Counter(
            "vigil_stream_raw_records_total",
            "Raw records parsed from vigil.raw (each record of a batch envelope counts)",
            registry=r,
        )
        self.events = Counter(
            "vigil_stream_events_total", "Events folded into a partition engine", registry=r
        )
        self.late_events = Counter(
            "vigil_stream_late_events_total",
            "Events later than the allowed lateness (sent to vigil.dlq, not processed)",
            registry=r,
        )
        self.duplicates = Counter(
            "vigil_stream_duplicate_events_total",
            "Copies of events already processed, sent again by the parse stage (at least once: "
            "after a parse child died or a delivery failed), dropped",
            ["stage"],
            registry=r,
        )
        self.duplicates.labels("detect")  # exported as 0 before the first copy
        self.dead_letters = Counter(
            "vigil_stream_dead_letters_total", "Records sent to vigil.dlq", ["stage"], registry=r
        )
        self.alerts = Counter(
            "vigil_stream_alerts_total", "Alerts produced", ["severity"], registry=r
        )
        self.checkpoints = Counter(
            "vigil_stream_checkpoints_total", "Engine checkpoints written", registry=r
        )
        self.checkpoint_bytes = Gauge(
            "vigil_stream_checkpoint_bytes", "Size of the last checkpoint", registry=r
        )
        self.parse_restarts = Counter(
            "vigil_stream_parse_child_restarts_total",
            "Parse child processes that died and were replaced (the chunk is parsed again)",
            registry=r,
        )
        self.partitions = Gauge(
            "vigil_stream_assigned_partitions", "vigil.events partitions held", registry=r
        )

        # vigil_last_batch_timestamp_seconds: liveness, alert when old while lag > 0.
        self.last_batch = self.common.last_batch
        self.heartbeat = Gauge(
            "vigil_stream_stage_heartbeat_timestamp_seconds",
            "Unix time of the last completed loop turn of a stage (parse, detect, notify, tables)",
            ["stage"],
            registry=r,
        )
        self.indicators = Gauge(
            "vigil_stream_shared_indicators",
            "Cross-tenant indicators in the replicated vigil.indicators table",
            registry=r,
        )
        self.feedback_entries = Gauge(
            "vigil_stream_suppressions",
            "Suppressions in force (allow-list plus vigil.feedback), expired ones included",
            registry=r,
        )
        self.lag = Gauge(
            "vigil_stream_lag_messages",
            "Messages between a stage's position and the end of its assigned partitions",
            ["stage"],
            registry=r,
        )

    def serve(self, port: int) -> None:
        # Loopback only: metrics are scraped by a local agent or through a proxy.
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
