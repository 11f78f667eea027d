"""``vigil ingest``: files, directories or stdin -> ``vigil.raw`` envelopes, batched.

Consecutive records of one input (one key) are packed into batch envelopes of up to
:data:`~pipeline.streaming.parsing.PACK_RECORDS` records (:class:`EnvelopePacker`), so a worker
pays Kafka's and Faust's per-record cost once per few thousand lines.

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

from aiokafka import AIOKafkaProducer

from pipeline.streaming.parsing import (
    DeadLetter,
    EnvelopePacker,
    RecordCapture,
    expand,
)
from pipeline.streaming.produce import Outbox
from pipeline.streaming.topics import Topics, client_config, ensure_topics

SEND_CHUNK = 20_000  # records buffered between batch submissions: bounds memory


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
    chunk_records: int = 0,
) -> IngestCounts:
    """Send every record of ``paths`` to ``topics.raw``; returns the counts.

    Keys are ``tenant|source``: one input stays in one partition, in order; consecutive
    records of a key travel together in batch envelopes. With
    ``chunk_records`` N > 0 the key is ``tenant|source|chunk`` (chunk = record number // N), so
    one big input spreads over the raw partitions and several workers parse it. Order then
    holds within a chunk only; events of different chunks meet on ``vigil.events`` in the order
    the parse stages produce them, and an event more than the worker's lateness behind its
    partition's event time is dead-lettered as late. Use it for live feeds, whose chunks
    cover seconds, not for backfilling a file that spans days."""
    await asyncio.to_thread(ensure_topics, broker, topics.prefix)
    counts = IngestCounts()
    started = time.monotonic()
    producer = make_producer(broker)
    out = Outbox(producer)
    packer = EnvelopePacker()

    keys: dict[tuple[tuple[str, Any], ...], bytes] = {}

    def emit(head: tuple[tuple[str, Any], ...], pos: int, record: Any) -> None:
        key = keys.get(head)
        if key is None:
            fields = dict(head)
            key = keys[head] = f"{fields['tenant']}|{fields['source']}".encode()
        if chunk_records > 0:
            key = b"%b|%d" % (key, counts.records // chunk_records)
        packer.add_record(key, head, pos, record)
        counts.records += 1

    async def submit() -> list[asyncio.Future[Any]]:
        for key, value in packer.flush():
            out.add(topics.raw, key, value)
        return await out.send()

    def dead(letter: DeadLetter) -> None:
        out.add(topics.dlq, f"{tenant}|{letter.source}".encode(), letter.to_json())
        counts.dead_letters += 1

    reader = RecordCapture(tenant=tenant, sink=dead, forced_format=forced_format, emit=emit)
    ticker = _Progress(counts, progress)
    await producer.start()
    inflight: list[asyncio.Future[Any]] = []
    inputs = list(expand(paths))
    # Year-less syslog files read like `vigil detect` reads them: anchored on the run's dated
    # inputs when their mtimes were lost (schemas/year_anchor.py); the envelopes carry it.
    reader.anchor_years(inputs)
    try:
        for name, opener in inputs:
            buffered = 0
            for _ in reader.read_input(name, opener):
                buffered += 1
                if buffered >= SEND_CHUNK:
                    buffered = 0
                    await _settle(inflight)  # one chunk in flight while the next is read
                    inflight = await submit()
                    ticker.tick()
            await _settle(inflight)
            inflight = await submit()
        await _settle(inflight)
    finally:
        await producer.stop()
    ticker.done()
    counts.elapsed_s = time.monotonic() - started
    return counts


async def _settle(futures: list[asyncio.Future[Any]]) -> None:
    """Wait for a submitted chunk; a failed delivery fails the ingest (non-zero exit)."""
    if futures:
        await asyncio.gather(*futures)
