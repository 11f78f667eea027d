"""The embedded runner behind ``vigil detect``: files in, alerts out, no broker."""

from __future__ import annotations

import functools
import itertools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from detectors import registry
from detectors.engine import Engine
from detectors.shared_indicators import SharedIndicators
from pipeline.config import VigilConfig
from pipeline.feedback import IndicatorStore, SuppressionList, high_confidence
from pipeline.metrics import Metrics
from pipeline.notify.notifier import DeliveryReport, Notifier
from schemas.alert import Alert, encode_alert
from schemas.event import Event
from schemas.readers import (
    DeadLetter,
    InputReader,
    ReadStats,
    parse_worker_count,
    read_paths_parallel,
)


@dataclass
class RunSummary:
    stats: ReadStats
    alerts: int = 0
    suppressed: int = 0
    indicators_shared: int = 0
    elapsed_s: float = 0.0
    by_severity: dict[str, int] = field(default_factory=dict)
    delivery: DeliveryReport | None = None

    def as_dict(self) -> dict[str, Any]:
        events_per_s = self.stats.events / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return {
            "records_read": self.stats.records_read,
            "events": self.stats.events,
            "skipped": self.stats.skipped,
            "dead_letter": self.stats.dead_letter,
            "alerts": self.alerts,
            "suppressed": self.suppressed,
            "indicators_shared": self.indicators_shared,
            "by_format": dict(sorted(self.stats.by_format.items())),
            "dead_letter_reasons": dict(self.stats.dead_letter_reasons.most_common()),
            "alerts_by_severity": dict(sorted(self.by_severity.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "events_per_s": round(events_per_s, 1),
            **({"notify": self.delivery.as_dict()} if self.delivery is not None else {}),
        }


class DeadLetterFile:
    """Dead letters as JSON lines: ``{"source", "position", "reason", "raw"}``, counted."""

    def __init__(self, stream: IO[bytes], tenant: str = "", metrics: Metrics | None = None) -> None:
        self.stream = stream
        self.tenant = tenant
        self.metrics = metrics

    def __call__(self, letter: DeadLetter) -> None:
        self.stream.write(letter.to_json() + b"\n")
        if self.metrics is not None:
            self.metrics.observe_dead_letter(self.tenant, letter.reason)


class AlertRouter:
    """Where an engine's alerts go: suppression, output, on-call, metrics, shared indicators.

    The embedded runner and the streaming worker both use it, so both treat alerts alike.
    """

    def __init__(
        self,
        *,
        out: IO[bytes] | None = None,
        summary: RunSummary | None = None,
        emit: Callable[[Alert], None] | None = None,
        suppressions: SuppressionList | None = None,
        indicators: IndicatorStore | None = None,
        notifier: Notifier | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        if (out is None) == (emit is None):
            raise ValueError("AlertRouter needs exactly one of out (a stream) or emit")
        # emit: where a routed alert goes (the embedded runner writes JSON lines; a streaming
        # worker queues it for vigil.alerts, whose notify stage then hands it to on-call).
        self.emit: Callable[[Alert], None] = (
            emit if emit is not None else functools.partial(write_alert, out)  # type: ignore[arg-type]
        )
        self.summary = summary if summary is not None else RunSummary(stats=ReadStats())
        self.suppressions = suppressions or SuppressionList()
        self.indicators = indicators
        self.notifier = notifier
        self.metrics = metrics

    def route(self, alert: Alert) -> bool:
        """Deliver one alert; False when a suppression held it back (it is still counted)."""
        held = self.suppressions.check(alert)
        if held is not None:
            self.summary.suppressed += 1
            if self.metrics is not None:
                self.metrics.observe_suppressed(alert, "feedback")
            return False
        self.emit(alert)
        self.summary.alerts += 1
        self.summary.by_severity[alert.severity] = (
            self.summary.by_severity.get(alert.severity, 0) + 1
        )
        if self.metrics is not None:
            self.metrics.observe_alert(alert)
        if self.notifier is not None:
            self.notifier.submit(alert)
        if self.indicators is not None and high_confidence(alert):
            self.summary.indicators_shared += self.indicators.add_from_alert(alert)
        return True


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, stats: ReadStats, stream: IO[str] = sys.stderr) -> None:
        self.stats = stats
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def tick(self, alerts: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.25:
            return
        self.last = now
        rate = self.stats.events / max(now - self.started, 1e-9)
        self.stream.write(
            f"\r{self.stats.records_read:,} records  {self.stats.events:,} events  "
            f"{self.stats.dead_letter:,} dead-lettered  {alerts:,} alerts  {rate:,.0f} ev/s "
        )
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")


def batched(events: Iterator[Event], size: int) -> Iterator[list[Event]]:
    while chunk := list(itertools.islice(events, size)):
        yield chunk


def run_detect(
    paths: Sequence[str],
    *,
    tenant: str,
    config: VigilConfig,
    alerts_out: IO[bytes],
    dead_letters: IO[bytes],
    state_dir: str | None = None,
    forced_format: str | None = None,
    shared_dir: str | None = None,
    notifier: Notifier | None = None,
    metrics: Metrics | None = None,
    notify_timeout_s: float = 30.0,
) -> RunSummary:
    """Read ``paths``, run the engine, route alerts; returns counts for the summary."""
    started = time.monotonic()
    engine = Engine(
        detectors=registry.build(config.detectors, config.detector_params), risk=config.risk
    )
    if state_dir is not None:
        engine.load(state_dir)
    stats = ReadStats()
    reader = InputReader(
        tenant=tenant,
        sink=DeadLetterFile(dead_letters, tenant, metrics),
        stats=stats,
        forced_format=forced_format,
        columnar=True,  # bulk decoding: the same events and dead letters as record by record
    )
    summary = RunSummary(stats=stats)
    indicators = IndicatorStore(Path(shared_dir) / "indicators.json" if shared_dir else None)
    shared = [d for d in engine.detectors if isinstance(d, SharedIndicators)]
    for detector in shared:
        detector.set_indicators(indicators.snapshot())
    router = AlertRouter(
        out=alerts_out,
        summary=summary,
        suppressions=SuppressionList.load(state_dir, config.allow),
        indicators=indicators if shared_dir else None,
        notifier=notifier,
        metrics=metrics,
    )
    progress = Progress(stats)
    # Parsing runs in worker processes while this one detects (same events, same order).
    workers = parse_worker_count(paths, config.parse_workers)
    events = read_paths_parallel(reader, paths, workers)
    for chunk in batched(events, config.batch_size):
        batch_started = time.monotonic()
        alerts = engine.process(chunk)
        for alert in alerts:
            router.route(alert)
        if metrics is not None:
            metrics.observe_events(tenant, len(chunk))
            metrics.batch_duration.observe(time.monotonic() - batch_started)
        if indicators.changed:
            for detector in shared:
                detector.set_indicators(indicators.snapshot())
        progress.tick(summary.alerts)
    progress.done()
    if state_dir is not None:
        engine.save(state_dir)
    indicators.save()
    if metrics is not None:
        vocab = engine.builder.vocab
        metrics.set_state(
            tenant,
            state_bytes=engine.state_bytes(),
            tracked_entities=len(vocab["user"]) + len(vocab["host"]),
        )
    alerts_out.flush()
    dead_letters.flush()
    if notifier is not None:
        summary.delivery = notifier.flush(notify_timeout_s)
    summary.elapsed_s = time.monotonic() - started
    return summary


def write_alert(stream: IO[bytes], alert: Alert) -> None:
    stream.write(encode_alert(alert) + b"\n")


def summary_line(summary: RunSummary) -> str:
    d = summary.as_dict()
    severities = ", ".join(f"{k} {v}" for k, v in d["alerts_by_severity"].items()) or "none"
    return (
        f"vigil: {d['records_read']:,} records read, {d['events']:,} events, "
        f"{d['skipped']:,} skipped, {d['dead_letter']:,} dead-lettered, "
        f"{d['alerts']:,} alerts ({severities}), {d['suppressed']:,} suppressed "
        f"in {d['elapsed_s']:.2f} s "
        f"({d['events_per_s']:,.0f} events/s)"
    )


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
