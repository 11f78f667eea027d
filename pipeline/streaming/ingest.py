"""``vigil ingest``: files, directories or stdin -> ``vigil.raw`` envelopes, batched.

Records are read and format-sniffed exactly as ``vigil detect`` reads them (see
:class:`~pipeline.streaming.parsing.RecordCapture`); parsing happens in the workers. Records
that cannot even be framed (invalid JSON, unknown format) go straight to ``vigil.dlq``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import orjson
from aiokafka import AIOKafkaProducer

from pipeline.streaming.parsing import DeadLetter, Envelope, RecordCapture, expand
from pipeline.streaming.topics import Topics, client_config, ensure_topics

SEND_CHUNK = 2000  # records buffered between awaits: bounds memory, keeps the producer busy


@dataclass
class IngestCounts:
    records: int = 0
    dead_letters: int = 0
    elapsed_s: float = 0.0


def make_producer(broker: str, **overrides: Any) -> AIOKafkaProducer:
    settings: dict[str, Any] = {
        "bootstrap_servers": broker,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 20,  # fill batches: throughput over a few ms of latency
        "max_batch_size": 512 * 1024,
        "request_timeout_ms": 30_000,
        **client_config(),
    }
    settings.update(overrides)
    return AIOKafkaProducer(**settings)


class _Progress:
    def __init__(self, counts: IngestCounts, stream: IO[str]) -> None:
        self.counts, self.stream = counts, stream
        self.tty = stream.isatty()
        self.started = self.last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last < (0.25 if self.tty else 5.0):
            return
        self.last = now
        rate = self.counts.records / max(now - self.started, 1e-9)
        line = (
            f"{self.counts.records:,} records sent, "
            f"{self.counts.dead_letters:,} dead-lettered, {rate:,.0f}/s"
        )
        self.stream.write(f"\r{line} " if self.tty else f"vigil ingest: {line}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 80 + "\r")


async def ingest(
    paths: Sequence[str],
    *,
    broker: str,
    tenant: str,
    topics: Topics,
    forced_format: str | None = None,
    progress: IO[str] = sys.stderr,
) -> IngestCounts:
    """Send every record of ``paths`` to ``topics.raw``; returns the counts."""
    await asyncio.to_thread(ensure_topics, broker, topics.prefix)
    counts = IngestCounts()
    started = time.monotonic()
    pending: list[tuple[str, bytes, bytes]] = []  # (topic, key, value)

    def emit(envelope: Envelope) -> None:
        key = f"{envelope['tenant']}|{envelope['source']}".encode()
        pending.append((topics.raw, key, orjson.dumps(envelope)))
        counts.records += 1

    def dead(letter: DeadLetter) -> None:
        pending.append((topics.dlq, f"{tenant}|{letter.source}".encode(), letter.to_json()))
        counts.dead_letters += 1

    reader = RecordCapture(tenant=tenant, sink=dead, forced_format=forced_format, emit=emit)
    ticker = _Progress(counts, progress)
    producer = make_producer(broker)
    await producer.start()
    try:
        for name, opener in expand(paths):
            for _ in reader.read_input(name, opener):
                if len(pending) >= SEND_CHUNK:
                    await _send(producer, pending)
                    ticker.tick()
            await _send(producer, pending)
        await producer.flush()
    finally:
        await producer.stop()
    ticker.done()
    counts.elapsed_s = time.monotonic() - started
    return counts


async def _send(producer: AIOKafkaProducer, pending: list[tuple[str, bytes, bytes]]) -> None:
    # send() only enqueues into the producer's batches; the futures are awaited at flush().
    for topic, key, value in pending:
        await producer.send(topic, value=value, key=key)
    pending.clear()
