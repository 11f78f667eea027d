"""``vigil worker``: one member of the Vigil consumer groups on Kafka.

Stages run in one asyncio loop, each a consumer in its own group so workers split them:

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
  Alerts pass through :class:`pipeline.embedded.AlertRouter` first, as in ``vigil detect``:
  a suppressed alert is counted (``vigil_alerts_suppressed_total``) but not produced, and a
  critical alert shares its public indicators on ``vigil.indicators``.
- **notify** (group ``vigil-notify``, only with ``--notify`` or ``[[notify]]``): ``vigil.alerts``
  -> :class:`pipeline.notify.Notifier`. The offset is committed only after every alert of the
  batch was handed to each sink's durable spool (``DATA_DIR/outbox``): the alerts topic is the
  outbox until then, the spool after, and each sink's ledger keeps an accepted alert from
  being sent twice.
- **tables** (no group): ``vigil.feedback`` and ``vigil.indicators`` read whole and followed
  (see :mod:`pipeline.streaming.tables`): suppressions for the router, and the indicator set of
  every engine's ``shared_indicator`` detector.

Liveness: each stage stamps a heartbeat after every loop turn and
``vigil_last_batch_timestamp_seconds`` after every detect batch; a watchdog fails the worker
(exit status 1, stack of the stuck stage logged) when a stage has not turned for
``stall_s`` or when an assigned partition makes no progress while behind its end offset. Any
exception in a stage or a rebalance callback is logged and stops the worker with status 1.

Why plain aiokafka and not Faust agents: the recovery design needs, per partition, "load the
checkpoint, then seek to *its* offset" inside the rebalance callback, and offsets committed only
together with a checkpoint. Faust owns offset tracking and commits acked offsets itself; a
backwards seek under it is not supported API. Kafka's own group protocol does the scale-out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
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
from detectors.shared_indicators import SharedIndicators
from pipeline.config import VigilConfig
from pipeline.embedded import AlertRouter
from pipeline.feedback import IndicatorStore, SuppressionList, indicator_record
from pipeline.notify.notifier import Notifier
from pipeline.streaming import checkpoint
from pipeline.streaming.ingest import make_producer
from pipeline.streaming.metrics import WorkerMetrics
from pipeline.streaming.parsing import DeadLetter, EnvelopeParser, event_key
from pipeline.streaming.produce import Outbox
from pipeline.streaming.tables import ReplicatedTables
from pipeline.streaming.topics import Topics, client_config, ensure_topics
from schemas.alert import Alert, encode_alert
from schemas.event import Event, encode_event, event_time_seconds

log = logging.getLogger("vigil.worker")
_decode_event = msgspec.json.Decoder(Event).decode
_decode_events = msgspec.json.Decoder(list[Event]).decode
_decode_alert = msgspec.json.Decoder(Alert).decode


class WorkerFailed(RuntimeError):
    """The worker stopped because of an error (already logged); exit non-zero."""


@dataclass
class WorkerSettings:
    broker: str
    data_dir: Path
    topics: Topics = field(default_factory=Topics)
    config: VigilConfig = field(default_factory=VigilConfig)
    lateness_s: float = 3600.0  # events further behind the partition's max event time: counted
    checkpoint_events: int = 50_000
    checkpoint_s: float = 5.0
    max_records: int = 20_000  # per poll; bounds batch latency and memory
    poll_ms: int = 100
    session_timeout_ms: int = 10_000
    metrics_port: int | None = None
    stall_s: float = 120.0  # watchdog: a stage or a lagging partition stuck this long fails us
    linger_ms: int = 5
    notify_flush_s: float = 5.0  # at stop: how long the notifier may drain its spool


def decode_events(values: list[bytes | None]) -> list[Event] | None:
    """Decode a whole batch of event JSON at once; None when any record is bad (then decode
    one by one to dead-letter exactly the bad ones)."""
    if not values or any(v is None for v in values):
        return None
    try:
        events = _decode_events(b"[" + b",".join(values) + b"]")  # type: ignore[arg-type]
    except (msgspec.DecodeError, TypeError):
        return None
    return events if len(events) == len(values) else None


class Worker:
    def __init__(
        self,
        settings: WorkerSettings,
        metrics: WorkerMetrics | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.s = settings
        self.metrics = metrics or WorkerMetrics()
        # The notifier's worker threads count into the same registry when built for us.
        self.notifier = notifier
        # Feedback: allow-list from the config plus suppressions from vigil.feedback; shared
        # indicators from vigil.indicators plus what this worker's critical alerts add.
        self.suppressions = SuppressionList.load(None, settings.config.allow)
        self.indicators = IndicatorStore(None)
        self.router = AlertRouter(
            emit=self._emit_alert,
            suppressions=self.suppressions,
            indicators=self.indicators,
            metrics=self.metrics.common,
        )
        self.partitions: dict[int, checkpoint.PartitionState] = {}
        self.parser = EnvelopeParser()
        # Rebalance callbacks take these, so a batch is never half-done when partitions move.
        self.detect_lock = asyncio.Lock()
        self.parse_lock = asyncio.Lock()
        # Bumped by every rebalance callback: a batch fetched before it is stale.
        self.detect_generation = 0
        self.detect_assigned: set[int] = set()  # what the group's last assignment gave us
        self.parse_generation = 0
        self.scratch = settings.data_dir / "scratch"
        self.failure: str | None = None
        self.heartbeat: dict[str, float] = {}
        self._stop: asyncio.Event | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def fail(self, reason: str) -> None:
        """Stop the worker with exit status 1 (its partitions move to the other workers)."""
        if self.failure is None:
            self.failure = reason
            log.error("worker failing: %s", reason)
        if self._stop is not None:
            self._stop.set()

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self.scratch.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(ensure_topics, self.s.broker, self.s.topics.prefix)
        if self.s.metrics_port:
            self.metrics.serve(self.s.metrics_port)
        t = self.s.topics
        # The tables first, so the first alerts routed already see every suppression.
        self.tables = ReplicatedTables(
            self.s.broker, t, suppressions=self.suppressions, indicators=self.indicators
        )
        await self.tables.start()
        self._indicators_changed()
        self.producer = make_producer(
            self.s.broker,
            linger_ms=self.s.linger_ms,
            max_request_size=checkpoint.MAX_CHECKPOINT_BYTES,
        )
        self.outbox = Outbox(self.producer)
        self.parse_consumer = self._consumer(t.parse_group)
        self.detect_consumer = self._consumer(t.detect_group, isolation_level="read_committed")
        self.notify_consumer = (
            self._consumer(t.notify_group, isolation_level="read_committed")
            if self.notifier is not None
            else None
        )
        await self.producer.start()
        await self.parse_consumer.start()
        await self.detect_consumer.start()
        self.parse_consumer.subscribe([t.raw], listener=_ParseListener(self))
        self.detect_consumer.subscribe([t.events], listener=_DetectListener(self))
        steps: dict[str, Any] = {
            "parse": self._parse_once,
            "detect": self._detect_once,
            "tables": self._tables_once,
        }
        if self.notify_consumer is not None:
            await self.notify_consumer.start()
            self.notify_consumer.subscribe([t.alerts])
            steps["notify"] = self._notify_once
        log.info(
            "worker up: broker %s, topics prefix %r, stages %s",
            self.s.broker,
            t.prefix,
            ", ".join(steps),
        )
        now = time.monotonic()
        self.heartbeat = dict.fromkeys(steps, now)
        self._tasks = {
            stage: asyncio.create_task(self._loop(stage, step, stop))
            for stage, step in steps.items()
        }
        watchdog = asyncio.create_task(self._watchdog(stop), name="watchdog")
        profile = _start_profile()
        try:
            await stop.wait()
        finally:
            _stop_profile(profile)
            for task in [*self._tasks.values(), watchdog]:
                task.cancel()
            await asyncio.wait([*self._tasks.values(), watchdog], timeout=30)
            try:
                await asyncio.wait_for(self._shutdown(), timeout=60)
            except Exception:
                log.exception("worker shutdown failed")
                self.failure = self.failure or "shutdown failed"
            log.info("worker stopped")
        if self.failure is not None:
            raise WorkerFailed(self.failure)

    async def _shutdown(self) -> None:
        if self.failure is None:
            # Graceful stop: checkpoint what we hold so the next owner replays nothing. After a
            # failure the engines may be ahead of their delivered alerts: the next owner
            # replays from the last checkpoint instead.
            async with self.detect_lock:
                await self._checkpoint([*self.partitions.values()], commit=True)
        await self.parse_consumer.stop()
        await self.detect_consumer.stop()
        if self.notify_consumer is not None:
            await self.notify_consumer.stop()
        await self.tables.stop()
        if self.notifier is not None:
            # Bounded: what is not delivered stays in DATA_DIR/outbox for the next start.
            report = await asyncio.to_thread(self.notifier.flush, self.s.notify_flush_s)
            log.info("%s", report.summary_line())
            self.notifier.close()
        await self.producer.stop()

    def _consumer(self, group: str, **extra: Any) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.s.broker,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.s.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.s.session_timeout_ms // 5),
            max_poll_interval_ms=120_000,
            max_partition_fetch_bytes=8 << 20,
            fetch_max_bytes=32 << 20,
            **client_config(),
            **extra,
        )

    async def _loop(self, stage: str, step: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await step()
                self.heartbeat[stage] = time.monotonic()
                self.metrics.heartbeat.labels(stage).set_to_current_time()
            except asyncio.CancelledError:
                raise
            except KafkaError as exc:
                # Broker restarts and rebalances surface here; the clients reconnect by themselves.
                log.warning("%s: %s; retrying", stage, exc)
                self.heartbeat[stage] = time.monotonic()
                await asyncio.sleep(1.0)
            except Exception:
                # Anything else is a bug: stop the whole worker (its partitions move to the
                # others) rather than leave a stage silently dead while the group thinks it lives.
                log.exception("%s stage failed; stopping the worker", stage)
                self.fail(f"{stage} stage raised")
                return

    async def _watchdog(self, stop: asyncio.Event) -> None:
        """Fail loudly instead of stalling silently: a stage that stopped turning, or a held
        partition behind its end offset whose position does not move."""
        period = min(5.0, self.s.stall_s / 4)
        progress: dict[TopicPartition, tuple[int, float]] = {}
        while not stop.is_set():
            await asyncio.sleep(period)
            now = time.monotonic()
            for stage, beat in self.heartbeat.items():
                if now - beat > self.s.stall_s:
                    task = self._tasks.get(stage)
                    chain = _await_chain(task.get_coro()) if task is not None else []
                    log.error(
                        "%s stage made no turn for %.0f s; awaiting:\n  %s",
                        stage,
                        now - beat,
                        "\n  ".join(chain),
                    )
                    self.fail(f"{stage} stage stalled")
                    return
            try:
                lag = await asyncio.wait_for(self._lag(now, progress), timeout=period * 2)
            except (KafkaError, TimeoutError) as exc:
                log.warning("watchdog: lag unknown (%s)", exc)
                continue
            if lag is not None:
                stage, tp, stuck = lag
                log.error(
                    "%s: partition %s behind its end but its position has not moved for %.0f s",
                    stage,
                    tp,
                    stuck,
                )
                self.fail(f"{stage} partition {tp.partition} stalled")
                return

    async def _lag(
        self, now: float, progress: dict[TopicPartition, tuple[int, float]]
    ) -> tuple[str, TopicPartition, float] | None:
        stages = [("parse", self.parse_consumer), ("detect", self.detect_consumer)]
        if self.notify_consumer is not None:
            stages.append(("notify", self.notify_consumer))
        total = 0
        for stage, consumer in stages:
            tps = list(consumer.assignment())
            if not tps:
                self.metrics.lag.labels(stage).set(0)
                continue
            ends = await consumer.end_offsets(tps)
            behind = 0
            for tp in tps:
                if stage == "detect":
                    state = self.partitions.get(tp.partition)
                    position = state.next_offset if state else -1
                else:
                    # Committed, not fetched: a batch fetched and then dropped must not count.
                    committed = await consumer.committed(tp)
                    position = committed if committed is not None else -1
                gap = max(0, ends[tp] - max(position, 0))
                behind += gap
                seen = progress.get(tp)
                if gap == 0 or seen is None or seen[0] != position:
                    progress[tp] = (position, now)
                elif now - seen[1] > self.s.stall_s:
                    return stage, tp, now - seen[1]
            self.metrics.lag.labels(stage).set(behind)
            total += behind
        self.metrics.common.set_consumer_lag(total)
        return None

    # -- parse stage -------------------------------------------------------------------------

    async def _parse_once(self) -> None:
        generation = self.parse_generation
        batches = await self.parse_consumer.getmany(
            timeout_ms=self.s.poll_ms, max_records=self.s.max_records
        )
        if not batches:
            return
        async with self.parse_lock:
            if generation != self.parse_generation:
                # A rebalance ran during the fetch: the batch may predate the new assignment or
                # come right after it. Either way re-read from the committed offsets (those
                # records are ours to parse again, or another worker's now).
                await self._parse_rewind(
                    [tp for tp in batches if tp in self.parse_consumer.assignment()]
                )
                return
            t = self.s.topics
            values = [(r.key, r.value) for records in batches.values() for r in records]
            result = self.parser.parse(values)
            out = self.outbox
            for event in result.events:
                value = encode_event(event)
                out.add(t.events, event_key(event), value)
                if event.dst_host:
                    out.add(t.events_by_host, f"{event.tenant}|{event.dst_host}".encode(), value)
            for rejected in result.rejected:
                out.add(t.dlq, rejected.key, rejected.letter)
            if not await _delivered(await out.send()):
                # Not all output is on the broker: re-read the batch rather than commit past it.
                for tp, records in batches.items():
                    self.parse_consumer.seek(tp, records[0].offset)
                return
            self.metrics.raw_records.inc(len(values))
            self.metrics.dead_letters.labels("parse").inc(len(result.rejected))
            offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
            await _commit(self.parse_consumer, offsets)

    async def _parse_rewind(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            committed = await self.parse_consumer.committed(tp)
            if committed is None:
                await self.parse_consumer.seek_to_beginning(tp)
            else:
                self.parse_consumer.seek(tp, committed)

    # -- detect stage ------------------------------------------------------------------------

    async def _detect_once(self) -> None:
        generation = self.detect_generation
        batches = await self.detect_consumer.getmany(
            timeout_ms=self.s.poll_ms, max_records=self.s.max_records
        )
        async with self.detect_lock:
            # Partitions the group gave us but without an engine (the assignment callback
            # failed, a rewind could not read its checkpoint): load them now, never skip them.
            missing = {
                TopicPartition(self.s.topics.events, p)
                for p in self.detect_assigned - self.partitions.keys()
            }
            if missing:
                log.warning("partitions %s held without state: loading", sorted(missing))
                await self.assign_detect(missing)
            if generation != self.detect_generation:
                # Rebalanced (or rewound) since the fetch: positions now come from checkpoints;
                # put every held partition back at its engine's offset and drop the batch.
                for tp in batches:
                    state = self.partitions.get(tp.partition)
                    if state is not None:
                        self.detect_consumer.seek(tp, state.next_offset)
                return
            touched: list[int] = []
            shared: list[tuple[str, str]] = []
            try:
                for tp, records in batches.items():
                    state = self.partitions.get(tp.partition)
                    if state is None or not records:
                        continue  # not ours (cannot happen after the check above)
                    touched.append(tp.partition)
                    self._detect_batch(state, records)
                shared = self._publish_indicators()  # from critical alerts, before the commit
                delivered = await _delivered(await self.outbox.send())
            except KafkaError:
                self.indicators.dirty.update(shared)  # the replay finds them known: resend
                await self._rewind(touched)
                raise
            if not delivered:
                self.indicators.dirty.update(shared)
                # The engines moved past events whose alerts were lost: go back to the last
                # checkpoint and replay (alert ids repeat, so nothing is doubled).
                log.warning("alert delivery failed on partitions %s: rewinding", touched)
                await self._rewind(touched)
                return
            if touched:
                self.metrics.last_batch.set_to_current_time()
            now = time.monotonic()
            due = [
                p
                for p in self.partitions.values()
                if p.since_checkpoint >= self.s.checkpoint_events
                or (p.since_checkpoint and now - p.checkpoint_at >= self.s.checkpoint_s)
            ]
            await self._checkpoint(due, commit=True)

    # -- replicated tables, shared indicators ------------------------------------------------

    async def _tables_once(self) -> None:
        await self.tables.poll(self.s.poll_ms * 5)
        self.metrics.feedback_entries.set(len(self.suppressions.entries))
        if self.indicators.dirty:  # confirmations, or a stale record to republish
            async with self.detect_lock:
                shared = self._publish_indicators()
                if not await _delivered(await self.outbox.send()):
                    self.indicators.dirty.update(shared)  # next turn tries again
        self._indicators_changed()

    def _publish_indicators(self) -> list[tuple[str, str]]:
        """Queue what the store learned locally for ``vigil.indicators`` (tokens only);
        returns the ``(kind, value)`` pairs queued."""
        queued = []
        for kind, value, tokens in self.indicators.take_dirty():
            key, record = indicator_record(kind, value, tokens)
            self.outbox.add(self.s.topics.indicators, key, record)
            queued.append((kind, value))
        self._indicators_changed()
        return queued

    def _indicators_changed(self) -> None:
        """Hand a changed indicator set to every engine's shared-indicator detector."""
        if not self.indicators.changed:
            return
        self.indicators.changed = False
        snapshot = self.indicators.snapshot()
        self.metrics.indicators.set(sum(len(v) for v in snapshot.values()))
        for state in self.partitions.values():
            _set_indicators(state.engine, snapshot)

    # -- notify stage ------------------------------------------------------------------------

    async def _notify_once(self) -> None:
        consumer, notifier = self.notify_consumer, self.notifier
        assert consumer is not None and notifier is not None  # noqa: S101 - stage runs only so
        batches = await consumer.getmany(timeout_ms=self.s.poll_ms, max_records=1000)
        if not batches:
            return
        alerts: list[Alert] = []
        for tp, records in batches.items():
            for record in records:
                try:
                    alerts.append(_decode_alert(record.value))
                except (msgspec.DecodeError, TypeError) as exc:
                    log.warning("notify: %s offset %d is no alert: %s", tp, record.offset, exc)

        def hand_over() -> None:
            for alert in alerts:
                notifier.submit(alert)  # spooled (fsync) for every sink that wants it

        await asyncio.to_thread(hand_over)
        # Only now is the alert safe outside Kafka: commit past it.
        await _commit(consumer, {tp: records[-1].offset + 1 for tp, records in batches.items()})

    async def _rewind(self, partitions: list[int]) -> None:
        for partition in partitions:
            self.partitions.pop(partition, None)
        t = self.s.topics
        await self.assign_detect({TopicPartition(t.events, p) for p in partitions})

    def _detect_batch(self, state: checkpoint.PartitionState, records: list[Any]) -> None:
        """Fold one partition's batch into its engine; alerts and dead letters go to the outbox."""
        t = self.s.topics
        out = self.outbox
        records = [r for r in records if r.offset >= state.next_offset]  # replay guard
        if not records:
            return
        events = decode_events([r.value for r in records])
        if events is None:
            events = []
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
                    out.add(t.dlq, record.key, letter.to_json())
                    self.metrics.dead_letters.labels("detect").inc()
        state.next_offset = records[-1].offset + 1
        state.since_checkpoint += len(records)
        if not events:
            return
        times = np.fromiter((event_time_seconds(e) for e in events), np.float64, len(events))
        # An event is late when it is more than `lateness` behind the max event time seen before
        # it (arrival order), as if events came one by one.
        prior_max = np.maximum.accumulate(np.concatenate(([state.watermark], times)))[:-1]
        mask_late = times < prior_max - self.s.lateness_s
        state.watermark = float(max(state.watermark, float(times.max())))
        order = np.argsort(times, kind="stable")
        if mask_late.any():
            self._send_late(state, events, times, prior_max, mask_late)
            order = order[~mask_late[order]]
        started = time.monotonic()
        kept = [events[i] for i in order.tolist()]
        alerts = state.engine.process(kept)
        self.metrics.events.inc(len(kept))
        for tenant, count in Counter(e.tenant for e in kept).items():
            self.metrics.common.observe_events(tenant, count)
        for alert in alerts:
            self.router.route(alert)  # suppression, vigil.alerts, metrics, shared indicators
        self.metrics.common.batch_duration.observe(time.monotonic() - started)

    def _emit_alert(self, alert: Alert) -> None:
        """Where the router puts an alert it lets through: ``vigil.alerts``, keyed by incident."""
        self.outbox.add(self.s.topics.alerts, alert.incident_key.encode(), encode_alert(alert))
        self.metrics.alerts.labels(alert.severity).inc()

    def _send_late(
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
            self.outbox.add(self.s.topics.dlq, event_key(event), letter.to_json())
        self.metrics.dead_letters.labels("late").inc(len(late_rows))

    async def _checkpoint(self, states: list[checkpoint.PartitionState], *, commit: bool) -> None:
        """Alerts first, then the checkpoint, then the offset: a crash between any two steps
        replays from an older checkpoint, which only re-sends alerts with the same ids."""
        states = [s for s in states if s.next_offset != s.checkpointed_offset]
        if not states:
            return
        # Anything still queued (alerts, dead letters) is on the broker before the checkpoint.
        if not await _delivered(await self.outbox.send()):
            raise KafkaError("delivery before checkpoint failed")
        values = await asyncio.to_thread(
            lambda: [checkpoint.pack(state, self.scratch) for state in states]
        )
        futures = [
            await self.producer.send(
                self.s.topics.state, value=value, key=checkpoint.state_key(state.partition)
            )
            for state, value in zip(states, values, strict=True)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        offsets = {}
        for state, value, result in zip(states, values, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("checkpoint of partition %d failed: %s", state.partition, result)
                continue
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
        engine = Engine(detectors=registry.build(cfg.detectors, cfg.detector_params), risk=cfg.risk)
        _set_indicators(engine, self.indicators.snapshot())
        return engine

    async def assign_detect(self, assigned: set[TopicPartition]) -> None:
        self.detect_generation += 1
        mine = sorted(tp.partition for tp in assigned if tp.topic == self.s.topics.events)
        if not mine:
            return
        latest = await checkpoint.read_latest(self.s.broker, self.s.topics.state)
        for partition in mine:
            tp = TopicPartition(self.s.topics.events, partition)
            held = self.partitions.get(partition)
            if held is not None:
                self.detect_consumer.seek(tp, held.next_offset)  # position = engine's offset
                continue
            state = checkpoint.PartitionState(partition=partition, engine=self.new_engine())
            value = latest.get(checkpoint.state_key(partition))
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
        self.detect_generation += 1
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
    """aiokafka logs and swallows listener exceptions; a failed assignment would leave
    partitions fetched but never processed. So a failure here fails the worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        try:
            async with self.worker.detect_lock:
                self.worker.detect_assigned.clear()
                await self.worker.revoke_detect(revoked)
        except KafkaError as exc:
            # The checkpoint could not be written: the next owner replays from the previous one.
            log.warning("checkpoint on revoke failed (%s); the next owner replays", exc)
        except Exception:
            log.exception("detect revoke failed")
            self.worker.fail("detect revoke callback raised")

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        try:
            async with self.worker.detect_lock:
                w = self.worker
                w.detect_assigned = {
                    tp.partition for tp in assigned if tp.topic == w.s.topics.events
                }
                for stale in w.partitions.keys() - w.detect_assigned:  # not ours any more
                    log.warning("dropping state of partition %d: not assigned", stale)
                    del w.partitions[stale]
                await w.assign_detect(assigned)
        except KafkaError as exc:
            # The detect loop loads partitions that are assigned without state, so retry there.
            log.warning("loading checkpoints on assignment failed (%s); retrying", exc)
        except Exception:
            log.exception("detect assignment failed")
            self.worker.fail("detect assign callback raised")


class _ParseListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.worker.parse_lock:  # waits for the batch in flight to be committed
            self.worker.parse_generation += 1

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.worker.parse_generation += 1


def _set_indicators(engine: Engine, snapshot: dict[str, dict[str, list[str]]]) -> None:
    for detector in engine.detectors:
        if isinstance(detector, SharedIndicators):
            detector.set_indicators(snapshot)


async def _delivered(futures: list[asyncio.Future[Any]]) -> bool:
    """True when the broker acknowledged every send (the producer retries transient errors)."""
    if not futures:
        return True
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


def _await_chain(coro: Any) -> list[str]:
    """Where a suspended coroutine waits: each awaited coroutine's file:line, outermost first
    (``Task.print_stack`` shows only the outermost frame)."""
    chain: list[str] = []
    for _ in range(64):  # bounded: await chains are short
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            chain.append(f"{code.co_filename}:{frame.f_lineno} {code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        if coro is None:
            break
        if not hasattr(coro, "cr_frame") and not hasattr(coro, "gi_frame"):
            chain.append(repr(coro)[:200])  # a future: what it is
            break
    return chain


def _start_profile() -> Any:
    """``VIGIL_WORKER_PROFILE=path``: cProfile the worker, stats written at stop."""
    if not os.environ.get("VIGIL_WORKER_PROFILE"):
        return None
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    return profile


def _stop_profile(profile: Any) -> None:
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.environ["VIGIL_WORKER_PROFILE"])
