"""The notifier: one worker thread per sink, each draining its own durable outbox.

``submit(alert)`` decides per sink (severity filter, incident dedup) and spools the alert;
the worker sends it with a timeout, retries transient failures with capped, fully jittered
exponential backoff (``Retry-After`` honoured on 429/503), holds to the sink's rate limit,
and gives up (into ``failed/``) only on a permanent 4xx or once an item is older than
``max_age_s`` (default a day): a receiver that is down for an hour loses nothing, and what a
run could not deliver stays in the outbox for the next start.
``flush(timeout)`` waits at most ``timeout`` seconds and returns a :class:`DeliveryReport`;
anything still pending stays in the outbox for the next start.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.metrics import Metrics
from pipeline.notify.http import Response, TransportError, post
from pipeline.notify.outbox import Outbox, Pending
from pipeline.notify.retry import RETRYABLE_STATUSES, Backoff, TokenBucket, parse_retry_after
from pipeline.notify.sinks import Sink, SinkConfigError, SinkSpec, build_sink, severity_rank
from schemas.alert import Alert

log = logging.getLogger("vigil.notify")

SINK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
IDLE_WAIT_S = 0.5  # the longest a worker sleeps before it looks at its queue again


@dataclass(frozen=True)
class Undelivered:
    sink: str
    alert_id: str
    incident_key: str
    severity: str
    reason: str


@dataclass
class SinkReport:
    sink: str
    delivered: list[str] = field(default_factory=list)  # alert ids accepted in this process
    deduplicated: int = 0
    filtered: int = 0
    pending: list[Undelivered] = field(default_factory=list)  # still in the outbox
    failed: list[Undelivered] = field(default_factory=list)  # given up on, in failed/


@dataclass
class DeliveryReport:
    sinks: dict[str, SinkReport]
    timed_out: bool = False

    @property
    def undelivered(self) -> list[Undelivered]:
        return [u for r in self.sinks.values() for u in (*r.failed, *r.pending)]

    @property
    def ok(self) -> bool:
        return not self.undelivered

    def summary_line(self) -> str:
        """One line for stderr, e.g. ``vigil notify: pagerduty 3 delivered, 1 pending``."""
        if not self.sinks:
            return "vigil notify: no sinks"
        parts = []
        for name, r in self.sinks.items():
            text = f"{name} {len(r.delivered)} delivered"
            if r.deduplicated:
                text += f", {r.deduplicated} deduplicated"
            if r.pending:
                text += f", {len(r.pending)} pending (kept in outbox)"
            if r.failed:
                text += f", {len(r.failed)} failed"
            parts.append(text)
        return "vigil notify: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "timed_out": self.timed_out,
            "sinks": {
                name: {
                    "delivered": len(r.delivered),
                    "deduplicated": r.deduplicated,
                    "filtered": r.filtered,
                    "pending": [u.__dict__ for u in r.pending],
                    "failed": [u.__dict__ for u in r.failed],
                }
                for name, r in self.sinks.items()
            },
        }


class SinkWorker:
    """Delivers one sink's outbox from a daemon thread."""

    def __init__(
        self,
        sink: Sink,
        outbox: Outbox,
        *,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.sink = sink
        self.outbox = outbox
        self.metrics = metrics
        self.rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter only
        settings = sink.settings
        self.backoff = Backoff(settings.backoff_base_s, settings.backoff_cap_s)
        self.bucket = TokenBucket(settings.rate_per_minute, settings.burst)
        self.cond = threading.Condition()
        self.not_before = 0.0  # monotonic time before which nothing is sent (backoff, 429)
        self.inflight: Pending | None = None
        self.stopping = False
        self.report = SinkReport(sink=sink.name)
        self.thread = threading.Thread(target=self._run, name=f"vigil-notify-{sink.name}")
        self.thread.daemon = True
        if metrics is not None:
            metrics.init_sink(sink.name)
        self._gauge()

    # -- decisions (under self.cond) ---------------------------------------------------------

    def _skip_reason(self, alert: Alert) -> str | None:
        if self.outbox.is_delivered(alert.id):
            return "already delivered"
        last = self.outbox.last_delivered(alert.incident_key)
        if last is not None:
            if alert.version <= last.version:
                return "stale version"
            if self.sink.settings.updates == "escalation" and severity_rank(
                alert.severity
            ) <= severity_rank(last.severity):
                return "update without escalation"
        queued = self.outbox.pending.get(alert.incident_key)
        if queued is not None and queued.alert.id != alert.id:
            if queued.alert.version > alert.version:
                return "stale version"
        return None

    def _count(self, outcome: str, duration_s: float | None = None) -> None:
        if self.metrics is not None:
            self.metrics.observe_notification(self.sink.name, outcome, duration_s=duration_s)

    def _gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.set_outbox_pending(self.sink.name, len(self.outbox.pending))

    def submit(self, alert: Alert) -> None:
        with self.cond:
            if not self.sink.wants(alert):
                self.report.filtered += 1
                self._count("filtered")
                return
            reason = self._skip_reason(alert)
            if reason is not None:
                log.debug("notify %s: %s not sent (%s)", self.sink.name, alert.id, reason)
                self.report.deduplicated += 1
                self._count("deduplicated")
                return
            self.outbox.put(alert)
            self._gauge()
            self.cond.notify_all()

    # -- the loop ----------------------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def _next(self) -> Pending | None:
        """Wait (bounded) for the next item that may be sent now; None when stopping."""
        with self.cond:
            while not self.stopping:
                now = time.monotonic()
                head = next(iter(self.outbox.pending.values()), None)
                if head is not None and (reason := self._skip_reason(head.alert)) is not None:
                    log.debug("notify %s: %s dropped (%s)", self.sink.name, head.alert.id, reason)
                    self.outbox.remove(head.alert)
                    self.report.deduplicated += 1
                    self._count("deduplicated")
                    self._gauge()
                    continue
                if head is not None and now >= self.not_before:
                    wait = self.bucket.try_acquire()
                    if wait == 0.0:
                        self.inflight = head
                        return head
                    head.last_error = "held by the sink's rate limit"
                    self.not_before = now + wait
                wait_s = IDLE_WAIT_S if head is None else self.not_before - now
                self.cond.wait(timeout=min(max(wait_s, 0.001), IDLE_WAIT_S))
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            try:
                self._deliver(item)
            except Exception as exc:  # a bug must not kill the worker silently
                log.exception("notify %s: unexpected error", self.sink.name)
                with self.cond:
                    self.outbox.fail(item.alert, f"internal error: {type(exc).__name__}")
                    self._record_failed(item)
            finally:
                with self.cond:
                    self.inflight = None
                    self._gauge()
                    self.cond.notify_all()

    def _deliver(self, item: Pending) -> None:
        alert = item.alert
        with self.cond:
            last = self.outbox.last_delivered(alert.incident_key)
        rendered = self.sink.render(alert, update_of=last.version if last else None)
        started = time.monotonic()
        response: Response | None = None
        error = ""
        try:
            response = post(
                self.sink.url,
                rendered.body,
                rendered.headers,
                timeout_s=self.sink.settings.timeout_s,
            )
        except TransportError as exc:
            error = str(exc)
        duration = time.monotonic() - started
        with self.cond:
            if response is not None and 200 <= response.status < 300:
                self.outbox.mark_delivered(alert)
                self.outbox.remove(alert)
                self.report.delivered.append(alert.id)
                self._count("delivered", duration)
                log.debug("notify %s: delivered %s", self.sink.name, alert.id)
                return
            if response is not None and response.status not in RETRYABLE_STATUSES:
                reason = f"HTTP {response.status} (not retryable)"
                self.outbox.fail(alert, reason)
                item.last_error = reason
                self._record_failed(item)
                self._count("failed", duration)
                log.warning("notify %s: %s rejected: %s", self.sink.name, alert.id, reason)
                return
            item.attempts += 1
            retry_after = None
            if response is not None:
                error = f"HTTP {response.status}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            item.last_error = error
            age_s = (time.time_ns() - item.enqueued_ns) / 1e9
            if age_s > self.sink.settings.max_age_s:
                reason = f"gave up after {item.attempts} attempts over {age_s:.0f} s: {error}"
                self.outbox.fail(alert, reason)
                item.last_error = reason
                self._record_failed(item)
                self._count("failed", duration)
                log.warning("notify %s: %s %s", self.sink.name, alert.id, reason)
                return
            if retry_after is not None:
                delay = min(retry_after, self.sink.settings.max_retry_after_s)
            else:
                delay = self.backoff.delay(item.attempts, self.rng)
            self.not_before = max(self.not_before, time.monotonic() + delay)
            self._count("retry", duration)
            log.info(
                "notify %s: %s attempt %d failed (%s); retrying in %.1f s",
                self.sink.name,
                alert.id,
                item.attempts,
                error,
                delay,
            )

    def _record_failed(self, item: Pending) -> None:
        a = item.alert
        self.report.failed.append(
            Undelivered(self.sink.name, a.id, a.incident_key, a.severity, item.last_error)
        )

    # -- waiting and stopping ----------------------------------------------------------------

    def idle(self) -> bool:
        return not self.outbox.pending and self.inflight is None

    def wait_idle(self, deadline: float) -> bool:
        with self.cond:
            while not self.idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.cond.wait(timeout=min(remaining, IDLE_WAIT_S))
            return True

    def snapshot(self) -> SinkReport:
        with self.cond:
            pending = [
                Undelivered(
                    self.sink.name,
                    p.alert.id,
                    p.alert.incident_key,
                    p.alert.severity,
                    p.last_error or "not yet attempted",
                )
                for p in self.outbox.pending.values()
            ]
            r = self.report
            return SinkReport(
                sink=r.sink,
                delivered=list(r.delivered),
                deduplicated=r.deduplicated,
                filtered=r.filtered,
                pending=pending,
                failed=list(r.failed),
            )

    def stop(self, timeout_s: float) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        if self.thread.is_alive():
            self.thread.join(timeout=timeout_s)


class Notifier:
    """Fan alerts out to every configured sink.

    >>> n = Notifier([])
    >>> n.flush(0.1).summary_line()
    'vigil notify: no sinks'
    """

    def __init__(
        self,
        workers: Iterable[SinkWorker],
        *,
        start: bool = True,
    ) -> None:
        self.workers = list(workers)
        self._closed = False
        if start:
            for worker in self.workers:
                worker.start()

    @classmethod
    def from_specs(
        cls,
        specs: Iterable[str | SinkSpec | Mapping[str, Any]],
        *,
        spool_dir: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> Notifier:
        """Build sinks from ``--notify KIND[:NAME]=URL`` strings, :class:`SinkSpec` or config
        tables, each with its outbox in ``spool_dir/<sink name>/`` (memory only when None).

        ``env`` (default ``os.environ``) supplies ``VIGIL_PAGERDUTY_ROUTING_KEY`` and
        ``VIGIL_WEBHOOK_SECRET``. Raises :class:`SinkConfigError` with a fix on bad input.
        """
        environment = os.environ if env is None else env
        parsed: list[SinkSpec] = []
        for spec in specs:
            if isinstance(spec, SinkSpec):
                parsed.append(spec)
            elif isinstance(spec, str):
                parsed.append(SinkSpec.parse(spec))
            else:
                parsed.append(SinkSpec.from_dict(spec))
        workers: list[SinkWorker] = []
        used: set[str] = set()
        for spec in parsed:
            name = spec.name or spec.kind
            if spec.name is None:
                n = 2
                while name in used:
                    name, n = f"{spec.kind}-{n}", n + 1
            if not SINK_NAME.match(name) or name in used:
                raise SinkConfigError(
                    f"notify sink name {name!r} must be unique, lower case letters, digits, - or _"
                )
            used.add(name)
            sink = build_sink(spec, name, environment)
            outbox = Outbox(Path(spool_dir) / name if spool_dir is not None else None)
            workers.append(SinkWorker(sink, outbox, metrics=metrics, rng=rng))
        return cls(workers)

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sinks(self) -> list[Sink]:
        return [w.sink for w in self.workers]

    def submit(self, alert: Alert) -> None:
        """Queue ``alert`` for every sink that wants it (spooled to disk before returning)."""
        for worker in self.workers:
            worker.submit(alert)

    def flush(self, timeout: float) -> DeliveryReport:
        """Wait at most ``timeout`` seconds for every outbox to drain; report what is left."""
        deadline = time.monotonic() + max(timeout, 0.0)
        drained = all([w.wait_idle(deadline) for w in self.workers])
        return DeliveryReport(
            sinks={w.sink.name: w.snapshot() for w in self.workers}, timed_out=not drained
        )

    def close(self, timeout: float = 2.0) -> None:
        """Stop the workers (an in-flight request is bounded by the sink's timeout)."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.stop(max(deadline - time.monotonic(), 0.0))


__all__ = [
    "DeliveryReport",
    "Notifier",
    "SinkConfigError",
    "SinkReport",
    "SinkWorker",
    "Undelivered",
]
