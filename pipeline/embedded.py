"""The embedded runner behind ``vigil detect``: files in, alerts out, no broker."""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from detectors import registry
from detectors.engine import Engine
from pipeline.config import VigilConfig
from schemas.alert import Alert, encode_alert
from schemas.event import Event
from schemas.readers import DeadLetter, InputReader, ReadStats


@dataclass
class RunSummary:
    stats: ReadStats
    alerts: int = 0
    elapsed_s: float = 0.0
    by_severity: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        events_per_s = self.stats.events / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return {
            "records_read": self.stats.records_read,
            "events": self.stats.events,
            "skipped": self.stats.skipped,
            "dead_letter": self.stats.dead_letter,
            "alerts": self.alerts,
            "by_format": dict(sorted(self.stats.by_format.items())),
            "dead_letter_reasons": dict(self.stats.dead_letter_reasons.most_common()),
            "alerts_by_severity": dict(sorted(self.by_severity.items())),
            "elapsed_s": round(self.elapsed_s, 3),
            "events_per_s": round(events_per_s, 1),
        }


class DeadLetterFile:
    """Dead letters as JSON lines: ``{"source", "position", "reason", "raw"}``."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def __call__(self, letter: DeadLetter) -> None:
        self.stream.write(letter.to_json() + b"\n")


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
) -> RunSummary:
    """Read ``paths``, run the engine, write alerts; returns counts for the summary."""
    started = time.monotonic()
    engine = Engine(
        detectors=registry.build(config.detectors, config.detector_params), risk=config.risk
    )
    if state_dir is not None:
        engine.load(state_dir)
    stats = ReadStats()
    reader = InputReader(
        tenant=tenant, sink=DeadLetterFile(dead_letters), stats=stats, forced_format=forced_format
    )
    summary = RunSummary(stats=stats)
    progress = Progress(stats)
    events = reader.read_paths(paths)
    for chunk in batched(events, config.batch_size):
        for alert in engine.process(chunk):
            write_alert(alerts_out, alert)
            summary.alerts += 1
            summary.by_severity[alert.severity] = summary.by_severity.get(alert.severity, 0) + 1
        progress.tick(summary.alerts)
    progress.done()
    if state_dir is not None:
        engine.save(state_dir)
    alerts_out.flush()
    dead_letters.flush()
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
        f"{d['alerts']:,} alerts ({severities}) in {d['elapsed_s']:.2f} s "
        f"({d['events_per_s']:,.0f} events/s)"
    )


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
