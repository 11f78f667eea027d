"""``vigil worker``: one member of the Vigil consumer groups on Kafka.

Two stages run in one asyncio loop, each a consumer in its own group so workers split both:

- **parse** (group ``vigil-parse``): ``vigil.raw`` envelopes -> canonical events on
  ``vigil.events`` (key ``tenant|user``) and ``vigil.events.by-host`` (key ``tenant|dst_host``);
  bad records -> ``vigil.dlq`` with the reason. Offsets are committed after the batch's output
  is acknowledged (at-least-once).
- **detect** (group ``vigil-detect``): one :class:`Engine` per assigned ``vigil.events``
  partition. A batch per partition is sorted by event time and given to ``engine.process``;
  alerts go to ``vigil.alerts`` keyed by ``incident_key``. Every K events or T seconds the
  engine is checkpointed to ``vigil.state`` together with the next offset (see
  :mod:`pipeline.streaming.checkpoint`), and only then is the offset committed. On assignment
  a worker loads the checkpoint and seeks to its offset: events after it are replayed, and the
  alerts they raise again carry the same deterministic ids (recognisable redeliveries).

Why plain aiokafka and not Faust agents: the recovery design needs, per partition, "load the
checkpoint, then seek to *its* offset" inside the rebalance callback, and offsets committed only
together with a checkpoint. Faust owns offset tracking and commits acked offsets itself; a
backwards seek under it is not supported API. Kafka's own group protocol does the scale-out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, KafkaError

from detectors import registry
from detectors.engine import Engine
from pipeline.config import VigilConfig
from pipeline.streaming import checkpoint
from pipeline.streaming.ingest import make_producer
from pipeline.streaming.metrics import WorkerMetrics
from pipeline.streaming.parsing import DeadLetter, EnvelopeParser, event_key
from pipeline.streaming.topics import Topics, client_config, ensure_topics
from schemas.alert import encode_alert
from schemas.event import Event, encode_event, event_time_seconds

log = logging.getLogger("vigil.worker")
_decode_event = msgspec.json.Decoder(Event).decode


@dataclass
class WorkerSettings:
    broker: str
    data_dir: Path
    topics: Topics = field(default_factory=Topics)
    config: VigilConfig = field(default_factory=VigilConfig)
    lateness_s: float = 3600.0  # events further behind the partition's max event time: counted
    checkpoint_events: int = 50_000
    checkpoint_s: float = 5.0
    max_records: int = 10_000  # per poll; bounds batch latency and memory
    poll_ms: int = 100
    session_timeout_ms: int = 10_000
    metrics_port: int | None = None


class Worker:
    def __init__(self, settings: WorkerSettings, metrics: WorkerMetrics | None = None) -> None:
        self.s = settings
        self.metrics = metrics or WorkerMetrics()
        self.partitions: dict[int, checkpoint.PartitionState] = {}
        self.parser = EnvelopeParser()
        # Rebalance callbacks take these, so a batch is never half-done when partitions move.
        self.detect_lock = asyncio.Lock()
        self.parse_lock = asyncio.Lock()
        self.scratch = settings.data_dir / "scratch"

    # -- lifecycle ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(ensure_topics, self.s.broker, self.s.topics.prefix)
        if self.s.metrics_port:
            self.metrics.serve(self.s.metrics_port)
        t = self.s.topics
        self.producer = make_producer(
            self.s.broker, linger_ms=5, max_request_size=checkpoint.MAX_CHECKPOINT_BYTES
        )
        self.parse_consumer = self._consumer(t.parse_group)
        self.detect_consumer = self._consumer(t.detect_group, isolation_level="read_committed")
        await self.producer.start()
        await self.parse_consumer.start()
        await self.detect_consumer.start()
        self.parse_consumer.subscribe([t.raw], listener=_ParseListener(self))
        self.detect_consumer.subscribe([t.events], listener=_DetectListener(self))
        log.info("worker up: broker %s, topics prefix %r", self.s.broker, t.prefix)
        tasks = [
            asyncio.create_task(self._loop(self._parse_once, stop), name="parse"),
            asyncio.create_task(self._loop(self._detect_once, stop), name="detect"),
        ]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Graceful stop: checkpoint what we hold so the next owner replays nothing.
            async with self.detect_lock:
                await self._checkpoint([*self.partitions.values()], commit=True)
            await self.parse_consumer.stop()
            await self.detect_consumer.stop()
            await self.producer.stop()
            log.info("worker stopped")

    def _consumer(self, group: str, **extra: Any) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.s.broker,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.s.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.s.session_timeout_ms // 5),
            max_poll_interval_ms=120_000,
            max_partition_fetch_bytes=4 << 20,
            **client_config(),
            **extra,
        )

    async def _loop(self, step: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                # Broker restarts and rebalances surface here; the clients reconnect by themselves.
                log.warning("%s: %s; retrying", step.__name__, exc)
                await asyncio.sleep(1.0)
            except Exception:
                # Anything else is a bug: stop the whole worker (its partitions move to the
                # others) rather than leave a stage silently dead while the group thinks it lives.
                log.exception("%s failed; stopping the worker", step.__name__)
                stop.set()
                raise

    # -- parse stage -------------------------------------------------------------------------

    async def _parse_once(self) -> None:
        batches = await self.parse_consumer.getmany(
            timeout_ms=self.s.poll_ms, max_records=self.s.max_records
        )
        if not batches:
            return
        async with self.parse_lock:
            t = self.s.topics
            values = [(r.key, r.value) for records in batches.values() for r in records]
            result = self.parser.parse(values)
            futures = []
            for event in result.events:
                value = encode_event(event)
                futures.append(
                    await self.producer.send(t.events, value=value, key=event_key(event))
                )
                if event.dst_host:
                    host_key = f"{event.tenant}|{event.dst_host}".encode()
                    futures.append(
                        await self.producer.send(t.events_by_host, value=value, key=host_key)
                    )
            for rejected in result.rejected:
                futures.append(
                    await self.producer.send(t.dlq, value=rejected.letter, key=rejected.key)
                )
            if not await _delivered(futures):
                # Not all output is on the broker: re-read the batch rather than commit past it.
                for tp, records in batches.items():
                    self.parse_consumer.seek(tp, records[0].offset)
                return
            self.metrics.raw_records.inc(len(values))
            self.metrics.dead_letters.labels("parse").inc(len(result.rejected))
            offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
            await _commit(self.parse_consumer, offsets)

    # -- detect stage ------------------------------------------------------------------------

    async def _detect_once(self) -> None:
        batches = await self.detect_consumer.getmany(
            timeout_ms=self.s.poll_ms, max_records=self.s.max_records
        )
        async with self.detect_lock:
            sent: dict[int, list[asyncio.Future[Any]]] = {}
            for tp, records in batches.items():
                state = self.partitions.get(tp.partition)
                if state is None or not records:
                    continue  # revoked while the batch was in flight
                sent[tp.partition] = await self._detect_batch(state, records)
            for partition, futures in sent.items():
                if not await _delivered(futures):
                    # The engine has moved past events whose alerts were lost: go back to the
                    # last checkpoint and replay (alert ids repeat, so nothing is doubled).
                    log.warning("alert delivery failed on partition %d: rewinding", partition)
                    del self.partitions[partition]
                    await self.assign_detect({TopicPartition(self.s.topics.events, partition)})
            now = time.monotonic()
            due = [
                p
                for p in self.partitions.values()
                if p.since_checkpoint >= self.s.checkpoint_events
                or (p.since_checkpoint and now - p.checkpoint_at >= self.s.checkpoint_s)
            ]
            await self._checkpoint(due, commit=True)

    async def _detect_batch(
        self, state: checkpoint.PartitionState, records: list[Any]
    ) -> list[asyncio.Future[Any]]:
        """Fold one partition's batch into its engine; returns the alert deliveries."""
        t = self.s.topics
        futures: list[asyncio.Future[Any]] = []
        records = [r for r in records if r.offset >= state.next_offset]  # replay guard
        if not records:
            return futures
        events: list[Event] = []
        for record in records:
            try:
                events.append(_decode_event(record.value))
            except (msgspec.DecodeError, TypeError) as exc:
                letter = DeadLetter(
                    source=f"{t.events}/{state.partition}",
                    position=record.offset,
                    reason=f"undecodable event: {exc}"[:200],
                    raw=(record.value or b"")[:2048].decode("utf-8", "replace"),
                )
                await self.producer.send(t.dlq, value=letter.to_json(), key=record.key)
                self.metrics.dead_letters.labels("detect").inc()
        state.next_offset = records[-1].offset + 1
        state.since_checkpoint += len(records)
        if not events:
            return futures
        times = np.fromiter((event_time_seconds(e) for e in events), np.float64, len(events))
        # An event is late when it is more than `lateness` behind the max event time seen before
        # it (arrival order), as if events came one by one.
        prior_max = np.maximum.accumulate(np.concatenate(([state.watermark], times)))[:-1]
        mask_late = times < prior_max - self.s.lateness_s
        state.watermark = float(max(state.watermark, float(times.max())))
        if mask_late.any():
            await self._send_late(state, events, times, prior_max, mask_late)
        order = np.argsort(times, kind="stable")
        on_time = [events[i] for i in order if not mask_late[i]]
        alerts = state.engine.process(on_time)
        self.metrics.events.inc(len(on_time))
        for alert in alerts:
            futures.append(
                await self.producer.send(
                    t.alerts, value=encode_alert(alert), key=alert.incident_key.encode()
                )
            )
            self.metrics.alerts.labels(alert.severity).inc()
        return futures

    async def _send_late(
        self,
        state: checkpoint.PartitionState,
        events: list[Event],
        times: np.ndarray,
        prior_max: np.ndarray,
        mask_late: np.ndarray,
    ) -> None:
        late_rows = np.flatnonzero(mask_late)
        state.late += len(late_rows)
        self.metrics.late_events.inc(len(late_rows))
        for row in late_rows.tolist():
            event = events[row]
            behind = prior_max[row] - times[row]
            letter = DeadLetter(
                source=f"{self.s.topics.events}/{state.partition}",
                position=0,
                reason=f"late event: {behind:.0f} s behind the partition's event time "
                f"(lateness {self.s.lateness_s:.0f} s)",
                raw=encode_event(event).decode(),
            )
            await self.producer.send(
                self.s.topics.dlq, value=letter.to_json(), key=event_key(event)
            )
        self.metrics.dead_letters.labels("late").inc(len(late_rows))

    async def _checkpoint(self, states: list[checkpoint.PartitionState], *, commit: bool) -> None:
        """Alerts first, then the checkpoint, then the offset: a crash between any two steps
        replays from an older checkpoint, which only re-sends alerts with the same ids."""
        states = [s for s in states if s.next_offset != s.checkpointed_offset]
        if not states:
            return
        await self.producer.flush()
        offsets = {}
        for state in states:
            value = await asyncio.to_thread(checkpoint.pack, state, self.scratch)
            await self.producer.send_and_wait(
                self.s.topics.state, value=value, key=checkpoint.state_key(state.partition)
            )
            state.since_checkpoint = 0
            state.checkpoint_at = time.monotonic()
            state.checkpointed_offset = state.next_offset
            self.metrics.checkpoints.inc()
            self.metrics.checkpoint_bytes.set(len(value))
            offsets[TopicPartition(self.s.topics.events, state.partition)] = state.next_offset
        if commit:
            await _commit(self.detect_consumer, offsets)

    # -- rebalancing -------------------------------------------------------------------------

    def new_engine(self) -> Engine:
        cfg = self.s.config
        return Engine(detectors=registry.build(cfg.detectors, cfg.detector_params), risk=cfg.risk)

    async def assign_detect(self, assigned: set[TopicPartition]) -> None:
        mine = sorted(tp.partition for tp in assigned if tp.topic == self.s.topics.events)
        if not mine:
            return
        latest = await checkpoint.read_latest(self.s.broker, self.s.topics.state)
        for partition in mine:
            if partition in self.partitions:
                continue
            state = checkpoint.PartitionState(partition=partition, engine=self.new_engine())
            value = latest.get(checkpoint.state_key(partition))
            tp = TopicPartition(self.s.topics.events, partition)
            if value is not None:
                meta = await asyncio.to_thread(checkpoint.unpack, value, state.engine, self.scratch)
                state.next_offset = int(meta["next_offset"])
                state.checkpointed_offset = state.next_offset
                state.watermark = (
                    float(meta["watermark"]) if meta.get("watermark") else float("-inf")
                )
                state.late = int(meta.get("late", 0))
                self.detect_consumer.seek(tp, state.next_offset)
            else:
                await self.detect_consumer.seek_to_beginning(tp)
            self.partitions[partition] = state
            log.info("partition %d assigned: resuming at offset %d", partition, state.next_offset)
        self.metrics.partitions.set(len(self.partitions))

    async def revoke_detect(self, revoked: set[TopicPartition]) -> None:
        gone = [
            self.partitions[tp.partition]
            for tp in revoked
            if tp.topic == self.s.topics.events and tp.partition in self.partitions
        ]
        try:
            await self._checkpoint(gone, commit=True)
        finally:
            for state in gone:
                del self.partitions[state.partition]
                log.info("partition %d revoked at offset %d", state.partition, state.next_offset)
            self.metrics.partitions.set(len(self.partitions))


class _DetectListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.worker.detect_lock:
            await self.worker.revoke_detect(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        async with self.worker.detect_lock:
            await self.worker.assign_detect(assigned)


class _ParseListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.worker.parse_lock:  # waits for the batch in flight to be committed
            pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


async def _delivered(futures: list[asyncio.Future[Any]]) -> bool:
    """True when the broker acknowledged every send (the producer retries transient errors)."""
    results = await asyncio.gather(*futures, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        log.warning("%d of %d sends failed: %s", len(failures), len(futures), failures[0])
    return not failures


async def _commit(consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
    if not offsets:
        return
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, KafkaError) as exc:
        # The group moved on (rebalance, broker restart). For detect the checkpoint is the
        # truth; for parse the batch is re-parsed by the next owner (at-least-once).
        log.warning("offset commit failed: %s", exc)
