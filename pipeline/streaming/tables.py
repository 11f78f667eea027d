"""Replicated tables: ``vigil.feedback`` and ``vigil.indicators``, read whole by every worker.

Both topics are compacted. Every worker reads every partition of both from the beginning with
no consumer group (so each holds the whole table, like a Kafka Streams global table) and then
follows them:

- ``vigil.feedback``: a false positive (key ``suppress|tenant|type|entity|detector|attribute``,
  latest wins, a tombstone lifts it) becomes a suppression for the alerts this worker routes;
  a true positive (key ``confirm|alert_id``) adds its indicators, under the confirming tenant's
  one-way token, to the shared indicator store. Feedback never reaches an engine's baseline.
- ``vigil.indicators``: key ``kind|value``, value the sorted JSON list of tenant tokens. Each
  indicator is a grow-only set, so a worker that knows more tokens than a record carries (two
  workers published at once) publishes the union again: the table converges.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.feedback import (
    FeedbackError,
    IndicatorStore,
    Suppression,
    SuppressionList,
    parse_indicator_record,
)
from pipeline.streaming.topics import Topics, client_config, partitions_of

log = logging.getLogger("vigil.tables")


class ReplicatedTables:
    def __init__(
        self,
        broker: str,
        topics: Topics,
        *,
        suppressions: SuppressionList,
        indicators: IndicatorStore,
    ) -> None:
        self.broker = broker
        self.topics = topics
        self.suppressions = suppressions
        self.indicators = indicators
        self.consumer: AIOKafkaConsumer | None = None
        self.bad_records = 0

    async def start(self, catch_up_s: float = 30.0) -> None:
        """Assign every partition of both topics, read them to their current end (bounded)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.broker,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **client_config(),
        )
        await consumer.start()
        self.consumer = consumer
        tps: list[TopicPartition] = []
        for topic in (self.topics.feedback, self.topics.indicators):
            # A topic created a moment ago may not be in the metadata yet: ask again (bounded).
            deadline = time.monotonic() + 20.0
            partitions = await partitions_of(consumer, topic)
            while not partitions and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                partitions = await partitions_of(consumer, topic)
            if not partitions:
                raise RuntimeError(f"topic {topic} has no partitions in the broker's metadata")
            tps += [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + catch_up_s
        while True:
            positions = {tp: await consumer.position(tp) for tp in tps}
            if all(positions[tp] >= ends[tp] for tp in tps):
                break
            if time.monotonic() > deadline:
                log.warning("replicated tables not caught up in %.0f s; following", catch_up_s)
                break
            await self.poll(200)
        log.info(
            "replicated tables loaded: %d suppression(s), %d indicator(s)",
            len(self.suppressions.entries),
            sum(len(t) for t in self.indicators.indicators.values()),
        )

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()

    async def poll(self, timeout_ms: int) -> int:
        """Apply what arrived; returns the number of records applied."""
        assert self.consumer is not None  # noqa: S101 - start() first
        batches = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        applied = 0
        for tp, records in batches.items():
            for record in records:
                try:
                    if tp.topic == self.topics.feedback:
                        self.apply_feedback(record.key, record.value)
                    else:
                        self.apply_indicator(record.key, record.value)
                    applied += 1
                except FeedbackError as exc:
                    self.bad_records += 1
                    log.warning("%s offset %d ignored: %s", tp, record.offset, exc)
        return applied

    def apply_feedback(self, key: bytes | None, value: bytes | None) -> None:
        name = (key or b"").decode(errors="replace")
        if value is None:  # tombstone: the suppression is lifted
            self.suppressions.discard(name)
            return
        try:
            document: dict[str, Any] = json.loads(value)
        except ValueError as exc:
            raise FeedbackError(f"feedback record is not JSON: {exc}") from exc
        kind = document.pop("type", None) if isinstance(document, dict) else None
        if kind == "suppression":
            try:
                entry = Suppression(**document)
            except TypeError as exc:
                raise FeedbackError(f"bad suppression record: {exc}") from exc
            self.suppressions.put(entry)
        elif kind == "confirmation":
            origin = document.get("origin")
            pairs = document.get("indicators")
            if not isinstance(origin, str) or not isinstance(pairs, list):
                raise FeedbackError("confirmation needs origin and indicators")
            for pair in pairs:
                if isinstance(pair, list) and len(pair) == 2:
                    self.indicators.add_token(str(pair[0]), str(pair[1]), origin)
        else:
            raise FeedbackError(f"unknown feedback type {kind!r}")

    def apply_indicator(self, key: bytes | None, value: bytes | None) -> None:
        kind, indicator, tokens = parse_indicator_record(key, value)
        if self.indicators.merge(kind, indicator, tokens):
            self.indicators.dirty.add((kind, indicator))  # the record is stale: republish
