"""``vigil worker``: one Faust worker, a member of the ``vigil-worker`` consumer group.

The stages are Faust agents (:mod:`pipeline.streaming.app`) consuming in batches
(``stream.noack_take``); Kafka's group protocol splits the partitions of every topic between
the workers:

- **parse** (``vigil.raw``): envelopes (one raw record, or a batch envelope of many) ->
  canonical events on ``vigil.events``, keyed by the tenant (``--partition-by tenant``, the
  default) or ``tenant|user`` (``--partition-by user``), one record per key and time slice of
  the batch whose value is the JSON array of that key's events (:func:`group_events`); bad raw
  records -> ``vigil.dlq`` one by one with the reason. The offset is committed once the
  batch's output is on the broker (at-least-once). With ``parse_processes`` 1 the parsing,
  grouping, encoding and producing run in a child process (:mod:`pipeline.streaming.parse_child`)
  while the detect agent keeps this process. Keyed by tenant, one engine sees every
  event of its tenants, so detectors whose state is keyed by source IP, host pair, pivot host
  or the whole tenant give what ``vigil detect`` gives; keyed by user they see a slice.
- **detect** (``vigil.events``): one :class:`Engine` per assigned partition. A record is one
  event object or a JSON array of events (both decoded with one msgspec call per batch); a
  batch per partition is sorted by event time and given to ``engine.process`` (copies of events
  already folded, which the parse stage sent again, are dropped first: :mod:`.dedup`); alerts go to
  ``vigil.alerts`` keyed by ``incident_key``. Every K events or T seconds (and as soon as a
  partition read to its end has been quiet for ``checkpoint_idle_s``) the engine is
  checkpointed to ``vigil.state`` together with the next offset (see
  :mod:`pipeline.streaming.checkpoint`), and only then is the offset committed, so the
  committed offset is never ahead of a checkpoint. Only the engine's snapshot holds the
  detect lock; archiving, writing and committing finish in a task (one at a time) while the
  agent folds the next records. On assignment (or first sight of a
  partition) the worker loads its checkpoint; records below the checkpoint's offset are
  already in the state and are skipped. Replayed records raise the same alerts again with the
  same deterministic ids (recognisable redeliveries). Alerts pass through
  :class:`pipeline.embedded.AlertRouter` first, as in ``vigil detect``: a suppressed alert is
  counted (``vigil_alerts_suppressed_total``) but not produced, and a critical alert shares its
  public indicators on ``vigil.indicators``.
- **notify** (``vigil.alerts``, only with ``--notify`` or ``[[notify]]``): alerts ->
  :class:`pipeline.notify.Notifier`. The offset is committed only after every alert of the
  batch was handed to each sink's durable spool (``DATA_DIR/outbox``).
- **tables** (a task, no group): ``vigil.feedback`` and ``vigil.indicators`` read whole and
  followed (:mod:`pipeline.streaming.tables`).

Rebalancing: on revocation the batch in flight of every stage finishes (and commits) first,
then each revoked ``vigil.events`` partition is checkpointed and committed, and its engine is
parked: when the same partition comes back and its checkpoint is still ours, the engine is
reused instead of unpacked. Events a stage still holds from before a rebalance are dropped
(generation check); Faust re-reads from the committed offsets.

Liveness: the table and checkpoint loops stamp a heartbeat every turn; a watchdog fails the
worker (exit status 1) when one of them has not turned for ``stall_s``, when an assigned
partition is behind its end offset and its position does not move for ``stall_s``, or when the
Faust app crashed. Any exception in an agent is logged and stops the worker with status 1. A
thread (:class:`LoopWatchdog`) exits with status 1, after dumping every thread's stack, when the
event loop itself runs nothing for ``stall_s`` (the asyncio watchdog cannot see that).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import operator
import os
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faust
import msgspec
import numpy as np
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from detectors import registry
from detectors.engine import Engine
from detectors.shared_indicators import SharedIndicators
from pipeline.config import VigilConfig
from pipeline.embedded import AlertRouter
from pipeline.feedback import IndicatorStore, SuppressionList, indicator_record
from pipeline.notify.notifier import Notifier
from pipeline.streaming import checkpoint
from pipeline.streaming.app import build_app, commit, drop_monitor, rewind, topic
from pipeline.streaming.dedup import decode_sources, source_header
from pipeline.streaming.grouping import (  # noqa: F401 - re-exported (tests, benchmarks, cli)
    GC_THRESHOLDS,
    GROUP_BYTES,
    GROUP_EVENTS,
    group_events,
    tune_gc,
)
from pipeline.streaming.ingest import make_producer
from pipeline.streaming.loop_watchdog import LoopWatchdog
from pipeline.streaming.metrics import WorkerMetrics
from pipeline.streaming.parse_child import ChildSettings, ChunkParser, ParseProcess
from pipeline.streaming.parsing import (
    DEFAULT_PARTITION_BY,
    DeadLetter,
    event_key,
)
from pipeline.streaming.positions import PositionGuard
from pipeline.streaming.produce import Outbox
from pipeline.streaming.tables import ReplicatedTables
from pipeline.streaming.topics import Topics, ensure_topics
from schemas.alert import Alert, encode_alert
from schemas.event import Event, encode_event

log = logging.getLogger("vigil.worker")
_decode_item = msgspec.json.Decoder(Event | list[Event]).decode
_decode_alert = msgspec.json.Decoder(Alert).decode


class WorkerFailed(RuntimeError):
    """The worker stopped because of an error (already logged); exit non-zero."""


def default_parse_processes() -> int:
    """1 when the machine has two CPUs or more (parse and detect then overlap), else 0."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


@dataclass
class WorkerSettings:
    broker: str
    data_dir: Path
    topics: Topics = field(default_factory=Topics)
    config: VigilConfig = field(default_factory=VigilConfig)
    lateness_s: float = 3600.0  # events further behind the partition's max event time: counted
    checkpoint_events: int = 50_000
    checkpoint_s: float = 5.0
    # A partition read to its end with no record folded for this long is checkpointed (and
    # committed) at once instead of up to checkpoint_s later: after a burst the state and the
    # committed offset catch up. 0: only every checkpoint_s / checkpoint_events.
    checkpoint_idle_s: float = 0.5
    max_records: int = 20_000  # per agent batch; bounds batch latency and memory
    poll_ms: int = 100  # how long an agent waits to fill a batch
    session_timeout_ms: int = 10_000
    metrics_port: int | None = None
    stall_s: float = 120.0  # watchdog: a loop or a lagging partition stuck this long fails us
    linger_ms: int = 5
    notify_flush_s: float = 5.0  # at stop: how long the notifier may drain its spool
    # How the parse stage keys vigil.events (parsing.PARTITION_MODES): every worker of a group
    # must use the same, or one entity's events would be split over partitions.
    partition_by: str = DEFAULT_PARTITION_BY
    # Parse-stage child processes (parse_child): 1 moves parsing, grouping and encoding off the
    # detect agent's core; 0 parses in this process (as before).
    parse_processes: int = field(default_factory=default_parse_processes)


def decode_events(
    values: list[bytes | None], counts: list[int] | None = None
) -> list[Event] | None:
    """Decode a batch of ``vigil.events`` values (each one event object or a JSON array of
    events) into the events in order; None when any record is bad (then decode one by one to
    dead-letter exactly the bad ones). Record by record: a record is hundreds of events, so
    the calls cost nothing next to joining the batch into one document (three copies).
    ``counts`` (a list) gets the number of events of each value."""
    if not values:
        return None
    events: list[Event] = []
    for value in values:
        if value is None:
            return None
        try:
            item = _decode_item(value)
        except (msgspec.DecodeError, TypeError):
            return None  # also two objects smuggled into one record: trailing characters
        if type(item) is list:
            events += item
            if counts is not None:
                counts.append(len(item))
        else:
            events.append(item)  # type: ignore[arg-type]
            if counts is not None:
                counts.append(1)
    return events


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_time_of = operator.attrgetter("time")
_tenant_of = operator.attrgetter("tenant")


def event_times(events: list[Event]) -> np.ndarray:
    """``event_time_seconds`` of every event, with the same arithmetic (``time - epoch``, then
    ``total_seconds``; a naive time raises as there) but iterated in C: about 4x faster than a
    generator calling it per event."""
    offsets = map(operator.sub, map(_time_of, events), itertools.repeat(_EPOCH))
    return np.fromiter(map(timedelta.total_seconds, offsets), np.float64, len(events))


def decode_record(value: bytes | None) -> list[Event]:
    """One ``vigil.events`` value: an event object or a JSON array of events."""
    item = _decode_item(value)  # type: ignore[arg-type]
    return item if isinstance(item, list) else [item]


RAW_BATCH_RECORDS = 1024  # vigil.raw records per parse batch (and buffered): 1024 x 64 KiB
PARSE_CHUNK_BYTES = 4 << 20  # a parse batch is parsed, sent and committed in chunks of this


def _chunks(events: list[Any], limit: int) -> list[list[Any]]:
    """``events`` (Faust events of raw records) in runs of at most ``limit`` bytes of values
    (at least one record each)."""
    chunks: list[list[Any]] = []
    size = limit
    for event in events:
        length = len(event.message.value or b"")
        if size + length > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += length
    return chunks


class Worker:
    def __init__(
        self,
        settings: WorkerSettings,
        metrics: WorkerMetrics | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.s = settings
        self.metrics = metrics or WorkerMetrics()
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
        # Engines of revoked partitions, checkpointed at revocation: reused if the partition
        # comes back in the next assignment and its checkpoint is still the one we wrote
        # (dropped when the next assignment gives it to another worker).
        self.parked: dict[int, checkpoint.PartitionState] = {}
        # The parse stage's work: in a child process (--parse-processes 1) or in this one.
        self.chunk_parser = ChunkParser(settings.lateness_s, settings.partition_by)
        self.parse_process: ParseProcess | None = None
        # A stage holds its lock for a whole batch; rebalance callbacks take them, so a batch
        # is never half-done (or half-committed) when partitions move.
        self.parse_lock = asyncio.Lock()
        self.detect_lock = asyncio.Lock()
        self.notify_lock = asyncio.Lock()
        self.guards = {
            "parse": PositionGuard(),
            "detect": PositionGuard(),
            "notify": PositionGuard(),
        }
        self.committed: dict[TopicPartition, int] = {}  # what this worker committed last
        self.rebalancing = False  # between revocation and assignment
        self.revoked_generation = -1  # records fetched under it (or before) are dropped
        self.stopping = False
        self.scratch = settings.data_dir / "scratch"
        self.failure: str | None = None
        self.heartbeat: dict[str, float] = {}
        self._stop: asyncio.Event | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._checkpoint_task: asyncio.Task[None] | None = None  # a checkpoint being written

    # -- lifecycle ---------------------------------------------------------------------------

    def fail(self, reason: str) -> None:
        """Stop the worker with exit status 1 (its partitions move to the other workers)."""
        if self.failure is None:
            self.failure = reason
            log.error("worker failing: %s", reason)
        self.stopping = True
        if self._stop is not None:
            self._stop.set()

    async def run(self, stop: asyncio.Event) -> None:
        # The asyncio watchdog below cannot see a blocked event loop; this thread can.
        loop_watchdog = LoopWatchdog(asyncio.get_running_loop(), self.s.stall_s)
        loop_watchdog.start()
        try:
            await self._run(stop)
        finally:
            loop_watchdog.stop()

    async def _run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self.scratch.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(ensure_topics, self.s.broker, self.s.topics.prefix)
        if self.s.metrics_port:
            self.metrics.serve(self.s.metrics_port)
        if self.s.parse_processes > 0:
            child = ChildSettings(
                lateness_s=self.s.lateness_s,
                partition_by=self.s.partition_by,
                broker=self.s.broker,
                events_topic=self.s.topics.events,
                dlq_topic=self.s.topics.dlq,
                linger_ms=self.s.linger_ms,
                max_request_size=checkpoint.MAX_CHECKPOINT_BYTES,  # as the worker's producer
            )
            self.parse_process = ParseProcess(
                child,
                on_restart=self.metrics.parse_restarts.inc,
                # half the watchdog's: a hung child is replaced before the whole worker fails
                answer_timeout_s=self.s.stall_s / 2,
            )
            try:
                await self.parse_process.start()  # bounded by the answer timeout
            except TimeoutError:
                raise WorkerFailed(
                    f"parse child gave no answer in {self.parse_process.answer_timeout_s:.0f} s"
                ) from None
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
        await self.producer.start()
        self.app = build_app(
            broker=self.s.broker,
            topics=t,
            data_dir=self.s.data_dir,
            session_timeout_s=self.s.session_timeout_ms / 1000,
            max_records=self.s.max_records,
            lean=os.environ.get("VIGIL_FAUST_LEAN", "1") != "0",
        )
        stages = self._agents()
        self.app.on_partitions_revoked.connect(self._on_revoked)
        self.app.on_partitions_assigned.connect(self._on_assigned)
        await self.app.start()
        drop_monitor(self.app)
        log.info(
            "worker up: broker %s, topics prefix %r, group %s, agents %s",
            self.s.broker,
            t.prefix,
            t.group,
            ", ".join(stages),
        )
        loops: dict[str, Callable[[], Awaitable[None]]] = {
            "tables": self._tables_once,
            "checkpoint": self._checkpoint_once,
        }
        now = time.monotonic()
        self.heartbeat = dict.fromkeys(loops, now)
        self._tasks = {
            stage: asyncio.create_task(self._loop(stage, step, stop), name=stage)
            for stage, step in loops.items()
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
                try:
                    await self._checkpoint([*self.partitions.values()])
                except KafkaError as exc:
                    log.warning("final checkpoint failed (%s); the next owner replays", exc)
        async with self.detect_lock:
            await self._checkpoint_settled()  # one written in the background: done or failed
        self.stopping = True
        await self.app.stop()
        await self.tables.stop()
        if self.notifier is not None:
            # Bounded: what is not delivered stays in DATA_DIR/outbox for the next start.
            report = await asyncio.to_thread(self.notifier.flush, self.s.notify_flush_s)
            log.info("%s", report.summary_line())
            self.notifier.close()
        await self.producer.stop()
        if self.parse_process is not None:
            await asyncio.to_thread(self.parse_process.close)

    def _agents(self) -> list[str]:
        """Register the agents on the app; returns their stage names."""
        app, t = self.app, self.s.topics
        within = self.s.poll_ms / 1000
        stages: list[tuple[str, str, Callable[[Sequence[Any]], Awaitable[None]]]] = [
            ("parse", t.raw, self._parse_batch),
            ("detect", t.events, self._detect_batch),
        ]
        if self.notifier is not None:
            stages.append(("notify", t.alerts, self._notify_batch))
        for stage, name, handle in stages:
            # A vigil.raw record may be a batch envelope of thousands of lines: fewer records
            # per batch and in the buffer bound the memory they take (parse works in chunks).
            size = min(self.s.max_records, RAW_BATCH_RECORDS) if stage == "parse" else None

            async def agent(
                stream: faust.StreamT[Any],
                stage: str = stage,
                handle: Callable[[Sequence[Any]], Awaitable[None]] = handle,
                size: int = size or self.s.max_records,
            ) -> None:
                async for batch in stream.noack_take(size, within=within):
                    await self._guarded(stage, handle, batch)

            app.agent(topic(app, name, maxsize=size), name=f"vigil.{stage}")(agent)
        return [stage for stage, _, _ in stages]

    async def _guarded(
        self, stage: str, handle: Callable[[Sequence[Any]], Awaitable[None]], batch: Any
    ) -> None:
        if self.stopping:
            return
        try:
            await handle(batch)
            self.metrics.heartbeat.labels(stage).set_to_current_time()
        except asyncio.CancelledError:
            raise
        except KafkaError as exc:
            # Broker restarts surface here; the handler has rewound what it could not finish.
            log.warning("%s: %s; the batch will be read again", stage, exc)
        except Exception:
            # Anything else is a bug: stop the whole worker (its partitions move to the
            # others) rather than leave an agent silently dead while the group thinks it lives.
            log.exception("%s agent failed; stopping the worker", stage)
            self.fail(f"{stage} agent raised")

    async def _loop(
        self, stage: str, step: Callable[[], Awaitable[None]], stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            try:
                await step()
                self.heartbeat[stage] = time.monotonic()
                self.metrics.heartbeat.labels(stage).set_to_current_time()
            except asyncio.CancelledError:
                raise
            except (KafkaError, TimeoutError) as exc:
                log.warning("%s: %s; retrying", stage, exc)
                self.heartbeat[stage] = time.monotonic()
                await asyncio.sleep(1.0)
            except Exception:
                log.exception("%s loop failed; stopping the worker", stage)
                self.fail(f"{stage} loop raised")
                return

    async def _watchdog(self, stop: asyncio.Event) -> None:
        """Fail loudly instead of stalling silently: a loop that stopped turning, a held
        partition behind its end offset whose position does not move, a crashed app."""
        period = min(5.0, self.s.stall_s / 4)
        progress: dict[TopicPartition, tuple[int, float]] = {}
        while not stop.is_set():
            await asyncio.sleep(period)
            now = time.monotonic()
            if self.app.crashed:
                self.fail(f"faust app crashed: {self.app.crash_reason!r}")
                return
            for stage, beat in self.heartbeat.items():
                if now - beat > self.s.stall_s:
                    task = self._tasks.get(stage)
                    chain = _await_chain(task.get_coro()) if task is not None else []
                    log.error(
                        "%s loop made no turn for %.0f s; awaiting:\n  %s",
                        stage,
                        now - beat,
                        "\n  ".join(chain),
                    )
                    self.fail(f"{stage} loop stalled")
                    return
            if self.rebalancing or self.app.rebalancing:
                progress.clear()  # positions legitimately stand still meanwhile
                continue
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
        t = self.s.topics
        stage_of = {t.raw: "parse", t.events: "detect", t.alerts: "notify"}
        tps = [
            TopicPartition(tp.topic, tp.partition)
            for tp in self.app.consumer.assignment()
            if tp.topic in stage_of
        ]
        behind: Counter[str] = Counter({"parse": 0, "detect": 0, "notify": 0})
        ends = await self.app.consumer.highwaters(*tps) if tps else {}
        for tp in tps:
            stage = stage_of[tp.topic]
            if stage == "detect":
                state = self.partitions.get(tp.partition)
                position = state.next_offset if state else -1
            else:
                position = self.committed.get(tp, -1)
            end = ends.get(tp)  # type: ignore[call-overload]
            if end is None:
                continue
            gap = max(0, end - max(position, 0))
            behind[stage] += gap
            seen = progress.get(tp)
            if gap == 0 or seen is None or seen[0] != position:
                progress[tp] = (position, now)
            elif now - seen[1] > self.s.stall_s:
                return stage, tp, now - seen[1]
        for stage, count in behind.items():
            self.metrics.lag.labels(stage).set(count)
        self.metrics.common.set_consumer_lag(sum(behind.values()))
        return None

    def _admit(self, stage: str, batch: Sequence[Any]) -> list[Any]:
        """The events of ``batch`` this stage may process now: none fetched under a generation
        whose partitions were revoked or that is not the current one (Faust re-reads those from
        the committed offsets after the assignment), none the position guard has seen."""
        if self.stopping:
            return []
        generation = self.app.consumer_generation_id
        if generation <= self.revoked_generation:
            kept: list[Any] = []
        else:
            admit = self.guards[stage].admit
            kept = [
                e
                for e in batch
                if e.message.generation_id == generation and admit(e.message.tp, e.message.offset)
            ]
        if len(kept) < len(batch):
            log.debug("%s: %d of %d records dropped", stage, len(batch) - len(kept), len(batch))
        return kept

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if await commit(self.app, offsets):
            self.committed.update(offsets)

    async def _rewind(self, stage: str, positions: dict[TopicPartition, int]) -> None:
        """Read partitions again from ``positions`` (work that could not be finished)."""
        guard = self.guards[stage]
        for tp, offset in positions.items():
            guard.rewind(tp, offset)
        await rewind(self.app, positions)

    # -- parse stage -------------------------------------------------------------------------

    async def _parse_batch(self, batch: Sequence[Any]) -> None:
        async with self.parse_lock:
            events = self._admit("parse", batch)
            for chunk in _chunks(events, PARSE_CHUNK_BYTES):
                if not await self._parse_chunk(chunk):
                    return  # rewound: the rest of the batch is read again too

    async def _parse_chunk(self, events: list[Any]) -> bool:
        """Parse, send and commit one chunk of a batch; False when its output could not be
        delivered (then the chunk's partitions are rewound to its first records)."""
        first: dict[TopicPartition, int] = {}
        last: dict[TopicPartition, int] = {}
        for e in events:
            tp = TopicPartition(e.message.topic, e.message.partition)
            first.setdefault(tp, e.message.offset)
            last[tp] = e.message.offset + 1
        values = [(e.message.key, e.message.value) for e in events]
        # Where each value is on vigil.raw: the events' sources, so the detect stage can tell a
        # record sent again from a new one (dedup.py).
        sources = [(e.message.partition, e.message.offset) for e in events]
        if self.parse_process is not None:
            # The child parses and produces (and waits for the broker); the detect agent keeps
            # this process's core meanwhile.
            sent = await self.parse_process.parse(values, sources)
            delivered = sent.delivered
            if not delivered:
                log.warning("parse: a chunk's output was not delivered: %s", sent.error)
            raw_records, dead_letters = sent.raw_records, sent.dead_letters
        else:
            parsed = self.chunk_parser(values, sources)
            t, out = self.s.topics, self.outbox
            for key, value, headers in parsed.records():
                out.add(t.events, key, value, headers)
            for dead_key, letter in parsed.dead:
                out.add(t.dlq, dead_key, letter)
            delivered = await _delivered(await out.send())
            raw_records, dead_letters = parsed.raw_records, len(parsed.dead)
        if not delivered:
            # Not all output is on the broker: read the batch again rather than commit it.
            await self._rewind("parse", first)
            return False
        self.metrics.raw_records.inc(raw_records)
        self.metrics.dead_letters.labels("parse").inc(dead_letters)
        await self._commit(last)
        return True

    # -- detect stage ------------------------------------------------------------------------

    async def _detect_batch(self, batch: Sequence[Any]) -> None:
        async with self.detect_lock:
            events = self._admit("detect", batch)
            if not events:
                return
            by_partition: dict[int, list[Any]] = {}
            for e in events:
                by_partition.setdefault(e.message.partition, []).append(e.message)
            missing = [p for p in by_partition if p not in self.partitions]
            if missing:
                log.info("partitions %s seen before their checkpoints: loading", sorted(missing))
                try:
                    await self._load(missing)
                except (KafkaError, TimeoutError):
                    await self._rewind_detect(missing)
                    raise
            touched: list[int] = []
            shared: list[tuple[str, str]] = []
            try:
                for partition, messages in by_partition.items():
                    self._fold(self.partitions[partition], messages)
                    touched.append(partition)
                shared = self._publish_indicators()  # from critical alerts, before the commit
                delivered = await _delivered(await self.outbox.send())
            except KafkaError:
                self.indicators.dirty.update(shared)  # the replay finds them known: resend
                await self._rewind_detect(touched)
                raise
            if not delivered:
                self.indicators.dirty.update(shared)
                # The engines moved past events whose alerts were lost: go back to the last
                # checkpoint and replay (alert ids repeat, so nothing is doubled).
                log.warning("alert delivery failed on partitions %s: rewinding", touched)
                await self._rewind_detect(touched)
                return
            self.metrics.last_batch.set_to_current_time()
            due = [
                p
                for p in self.partitions.values()
                if p.since_checkpoint >= self.s.checkpoint_events
            ]
            await self._checkpoint(due, wait=False)

    async def _checkpoint_once(self) -> None:
        """Time-based checkpoints (an agent runs only when records arrive): every
        ``checkpoint_s``, and ``checkpoint_idle_s`` after a partition went quiet at its end."""
        idle = self.s.checkpoint_idle_s
        await asyncio.sleep(min(0.5, self.s.checkpoint_s / 2, *((idle / 2,) if idle > 0 else ())))
        now = time.monotonic()
        if not any(self._checkpoint_due(p, now) for p in self.partitions.values()):
            return
        async with self.detect_lock:
            if self.rebalancing or self.stopping:
                return
            now = time.monotonic()
            await self._checkpoint(
                [p for p in self.partitions.values() if self._checkpoint_due(p, now)],
                wait=False,
            )

    def _checkpoint_due(self, state: checkpoint.PartitionState, now: float) -> bool:
        if not state.since_checkpoint:
            return False
        if now - state.checkpoint_at >= self.s.checkpoint_s:
            return True
        idle = self.s.checkpoint_idle_s
        if idle <= 0 or now - state.folded_at < idle or now - state.checkpoint_at < idle:
            return False
        # Quiet because there is nothing more to read, not because the worker is busy with other
        # partitions (then the periodic checkpoint is enough): position at the end offset.
        try:
            end = self.app.consumer.highwater(TopicPartition(self.s.topics.events, state.partition))
        except Exception:  # not assigned (any more), no fetch yet: the periodic one only
            return False
        return isinstance(end, int) and state.next_offset >= end

    async def _rewind_detect(self, partitions: list[int]) -> None:
        """Drop the engines and read from their last checkpoint again."""
        positions = {}
        for partition in partitions:
            state = self.partitions.pop(partition, None)
            self.parked.pop(partition, None)
            if state is not None:
                positions[TopicPartition(self.s.topics.events, partition)] = max(
                    state.checkpointed_offset, 0
                )
        await self._rewind("detect", positions)

    def _fold(self, state: checkpoint.PartitionState, records: list[Any]) -> None:
        """Fold one partition's batch into its engine; alerts and dead letters go to the outbox."""
        t = self.s.topics
        out = self.outbox
        records = [r for r in records if r.offset >= state.next_offset]  # replay guard
        if not records:
            return
        counts: list[int] = []  # events of each record
        events = decode_events([r.value for r in records], counts)
        if events is None:
            events, counts = [], []
            for record in records:
                try:
                    decoded = decode_record(record.value)
                    events.extend(decoded)
                    counts.append(len(decoded))
                except (msgspec.DecodeError, TypeError) as exc:
                    counts.append(0)
                    letter = DeadLetter(
                        source=f"{t.events}/{state.partition}",
                        position=record.offset,
                        reason=f"undecodable event: {exc}"[:200],
                        raw=(record.value or b"")[:2048].decode("utf-8", "replace"),
                    )
                    out.add(t.dlq, record.key, letter.to_json())
                    self.metrics.dead_letters.labels("detect").inc()
        state.next_offset = records[-1].offset + 1
        state.folded_at = time.monotonic()
        # Events since the checkpoint (a record may hold many); at least one per record, so a
        # partition that only got bad records is checkpointed past them too.
        state.since_checkpoint += max(len(events), len(records))
        events = self._drop_copies(state, records, counts, events)
        if not events:
            return
        times = event_times(events)
        # An event is late when it is more than `lateness` behind the max event time seen before
        # it (arrival order: records in offset order, a record's events in their order), as if
        # events came one by one.
        prior_max = np.maximum.accumulate(np.concatenate(([state.watermark], times)))[:-1]
        mask_late = times < prior_max - self.s.lateness_s
        state.watermark = float(max(state.watermark, float(times.max())))
        started = time.monotonic()
        if mask_late.any():
            self._send_late(state, events, times, prior_max, mask_late)
            order = np.argsort(times, kind="stable")
            order = order[~mask_late[order]]
            kept = [events[i] for i in order.tolist()]
        elif len(times) > 1 and not (times[1:] >= times[:-1]).all():
            kept = [events[i] for i in np.argsort(times, kind="stable").tolist()]
        else:
            kept = events  # already in event-time order (the usual case): no reordering
        alerts = state.engine.process(kept)
        self.metrics.events.inc(len(kept))
        for tenant, count in Counter(map(_tenant_of, kept)).items():
            self.metrics.common.observe_events(tenant, count)
        for alert in alerts:
            self.router.route(alert)  # suppression, vigil.alerts, metrics, shared indicators
        self.metrics.common.batch_duration.observe(time.monotonic() - started)

    def _drop_copies(
        self,
        state: checkpoint.PartitionState,
        records: list[Any],
        counts: list[int],
        events: list[Event],
    ) -> list[Event]:
        """``events`` without the copies of events already folded (records the parse stage
        sent again, at least once: :mod:`pipeline.streaming.dedup`). Counted; logged once when
        a burst of copies begins and once when it ends."""
        headers = [source_header(r.headers) for r in records]
        mask_copy: np.ndarray | None = None
        if any(h is not None for h in headers):
            mask_copy = np.zeros(len(events), dtype=bool)
            start = 0
            for record, header, count in zip(records, headers, counts, strict=True):
                if header is not None and count:
                    sources = decode_sources(header, count)
                    if sources is not None:
                        copies = state.seen.copies(record.key or b"", *sources)
                        mask_copy[start : start + count] = copies
                start += count
        copies_count = int(mask_copy.sum()) if mask_copy is not None else 0
        if not copies_count:
            if state.duplicates:
                log.info(
                    "partition %d: %d copies of events already processed were dropped "
                    "(re-sent by the parse stage; nothing was lost)",
                    state.partition,
                    state.duplicates,
                )
                state.duplicates = 0
            return events
        if not state.duplicates:
            log.warning(
                "partition %d: dropping copies of events already processed (the parse stage "
                "sent records again after a parse child died or a delivery failed); counted "
                "in vigil_stream_duplicate_events_total",
                state.partition,
            )
        state.duplicates += copies_count
        self.metrics.duplicates.labels("detect").inc(copies_count)
        assert mask_copy is not None  # noqa: S101 - copies_count > 0
        return list(itertools.compress(events, (~mask_copy).tolist()))

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

    async def _checkpoint(self, states: list[checkpoint.PartitionState], wait: bool = True) -> None:
        """Alerts first, then the checkpoint, then the offset: a crash between any two steps
        replays from an older checkpoint, which only re-sends alerts with the same ids.

        The caller holds the detect lock. Only the engine's snapshot needs it (the engine must
        not move meanwhile); with ``wait=False`` the archive (tar + zstd), its write to
        ``vigil.state`` and the offset commit finish in a task while the detect agent folds
        the next records. One checkpoint is in flight at a time, so commits stay in order."""
        if not any(s.next_offset != s.checkpointed_offset for s in states):
            return
        await self._checkpoint_settled()
        states = [s for s in states if s.next_offset != s.checkpointed_offset]
        if not states:
            return
        # Anything still queued (alerts, dead letters) is on the broker before the checkpoint.
        if not await _delivered(await self.outbox.send()):
            raise KafkaError("delivery before checkpoint failed")
        snapshots = await asyncio.to_thread(
            lambda: [checkpoint.snapshot(state, self.scratch) for state in states]
        )
        for state in states:  # not due again while this one is written (see _write_checkpoints)
            state.since_checkpoint = 0
            state.checkpoint_at = time.monotonic()
        write = self._write_checkpoints(states, snapshots)
        if wait:
            await write
        else:
            self._checkpoint_task = asyncio.create_task(
                self._background(write), name="checkpoint-write"
            )

    async def _write_checkpoints(
        self, states: list[checkpoint.PartitionState], snapshots: list[checkpoint.Snapshot]
    ) -> None:
        try:
            await self._write_snapshots(states, snapshots)
        except BaseException:
            for state, snap in zip(states, snapshots, strict=True):
                _unsure(state, snap)
            raise

    async def _write_snapshots(
        self, states: list[checkpoint.PartitionState], snapshots: list[checkpoint.Snapshot]
    ) -> None:
        try:
            values = await asyncio.to_thread(lambda: [checkpoint.archive(s) for s in snapshots])
        finally:
            for snap in snapshots:  # archive removes them; an exception may have left some
                if snap.directory is not None:
                    shutil.rmtree(snap.directory, ignore_errors=True)
        futures = [
            await self.producer.send(self.s.topics.state, value=value, key=snap.key)
            for snap, value in zip(snapshots, values, strict=True)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        offsets = {}
        obsolete: list[bytes] = []
        for state, snap, value, result in zip(states, snapshots, values, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("checkpoint of partition %d failed: %s", state.partition, result)
                state.since_checkpoint = max(state.since_checkpoint, 1)
                state.checkpoint_at = 0.0  # due again at the next turn
                _unsure(state, snap)
                continue
            state.checkpointed_offset = max(state.checkpointed_offset, snap.next_offset)
            self.metrics.checkpoints.inc()
            self.metrics.checkpoint_bytes.set(len(value))
            offsets[TopicPartition(self.s.topics.events, snap.partition)] = snap.next_offset
            obsolete += [checkpoint.delta_key(snap.partition, seq) for seq in snap.obsolete]
        await self._commit(offsets)
        if obsolete:
            # The deltas of the previous base: the new full checkpoint is written, so they are
            # ignored on restore; tombstones let compaction drop them. Acknowledged before the
            # next checkpoint (which may reuse their keys) is taken.
            tombstones = [
                await self.producer.send(self.s.topics.state, value=None, key=key)
                for key in obsolete
            ]
            if not await _delivered(tombstones):
                log.warning("tombstones of %d old checkpoint deltas failed", len(obsolete))

    async def _background(self, write: Awaitable[None]) -> None:
        """A checkpoint written while detection goes on: a broker error is logged (the
        partitions stay due and the next turn tries again), anything else fails the worker."""
        try:
            await write
        except asyncio.CancelledError:
            raise
        except (KafkaError, TimeoutError) as exc:
            log.warning("checkpoint: %s; retrying at the next turn", exc)
            for state in self.partitions.values():
                if state.checkpointed_offset != state.next_offset:
                    state.since_checkpoint = max(state.since_checkpoint, 1)
                    state.checkpoint_at = 0.0
        except Exception:
            log.exception("checkpoint write failed; stopping the worker")
            self.fail("checkpoint write raised")

    async def _checkpoint_settled(self) -> None:
        """Wait for the checkpoint in flight (if any): written and committed, or failed."""
        task, self._checkpoint_task = self._checkpoint_task, None
        if task is not None:
            await asyncio.wait([task])

    # -- notify stage ------------------------------------------------------------------------

    async def _notify_batch(self, batch: Sequence[Any]) -> None:
        notifier = self.notifier
        assert notifier is not None  # noqa: S101 - the agent exists only with a notifier
        async with self.notify_lock:
            events = self._admit("notify", batch)
            if not events:
                return
            alerts: list[Alert] = []
            last: dict[TopicPartition, int] = {}
            for e in events:
                message = e.message
                last[TopicPartition(message.topic, message.partition)] = message.offset + 1
                try:
                    alerts.append(_decode_alert(message.value))
                except (msgspec.DecodeError, TypeError) as exc:
                    log.warning(
                        "notify: %s offset %d is no alert: %s", message.tp, message.offset, exc
                    )

            def hand_over() -> None:
                for alert in alerts:
                    notifier.submit(alert)  # spooled (fsync) for every sink that wants it

            await asyncio.to_thread(hand_over)
            # Only now is the alert safe outside Kafka: commit past it.
            await self._commit(last)

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
        for state in [*self.partitions.values(), *self.parked.values()]:
            _set_indicators(state.engine, snapshot)

    # -- rebalancing -------------------------------------------------------------------------

    def new_engine(self) -> Engine:
        cfg = self.s.config
        engine = Engine(detectors=registry.build(cfg.detectors, cfg.detector_params), risk=cfg.risk)
        _set_indicators(engine, self.indicators.snapshot())
        return engine

    async def _load(self, partitions: list[int]) -> None:
        """Load the checkpoints of ``partitions`` (a parked engine whose checkpoint is still the
        latest is taken as it is)."""
        latest = await checkpoint.read_latest(self.s.broker, self.s.topics.state)
        topic_name = self.s.topics.events
        for partition in sorted(partitions):
            values = checkpoint.chain(latest, partition)  # the full checkpoint and its deltas
            meta: dict[str, Any] | None = None
            if values:
                meta = checkpoint.read_meta(values[-1])
                # Checkpoints from before --partition-by existed were written keyed by user.
                keyed = meta.get("partition_by") or "user"
                if keyed != self.s.partition_by:
                    # The state holds another key's slices of the events: folding this mode's
                    # records into it would split entities. A mode is changed on new topics
                    # (--topic-prefix) or after deleting vigil.state and the events.
                    self.fail(
                        f"partition {partition}'s checkpoint was written with --partition-by "
                        f"{keyed}, this worker uses {self.s.partition_by}: every worker of a "
                        "group must use the same mode"
                    )
                    raise WorkerFailed("partition mode mismatch")
            parked = self.parked.pop(partition, None)
            if (
                parked is not None
                and meta is not None
                and parked.checkpointed_offset == int(meta["next_offset"])
            ):
                state = parked
                if state.base_id != checkpoint.read_meta(values[0]).get("checkpoint_id"):
                    state.tracker = None  # not the base we wrote: the next one is full
            else:
                state = checkpoint.PartitionState(
                    partition=partition, engine=self.new_engine(), partition_by=self.s.partition_by
                )
                if values:
                    meta = await asyncio.to_thread(
                        checkpoint.unpack, values, state.engine, self.scratch
                    )
                    checkpoint.restore_meta(state, meta)
            # Deltas on the topic (this chain's and any older one's): tombstoned once this
            # worker's first full checkpoint of the partition is written.
            state.delta_keys.update(checkpoint.delta_seqs(latest, partition))
            state.since_checkpoint = 0
            state.checkpoint_at = time.monotonic()
            self.partitions[partition] = state
            self.guards["detect"].expect(TopicPartition(topic_name, partition), state.next_offset)
            log.info(
                "partition %d assigned: resuming at offset %d (%s)",
                partition,
                state.next_offset,
                "engine kept"
                if state is parked
                else f"full checkpoint + {len(values) - 1} deltas"
                if values
                else "no checkpoint",
            )
        self.metrics.partitions.set(len(self.partitions))

    async def _on_revoked(self, app: Any, revoked: set[Any], **_: Any) -> None:
        """Faust's revocation signal (after it stopped the flow): finish and commit every
        stage's batch in flight, checkpoint and commit the revoked detect partitions."""
        self.rebalancing = True
        # From now on records of this generation are not processed: the partitions may be
        # someone else's, and the new generation re-reads from the committed offsets.
        self.revoked_generation = self.app.consumer_generation_id
        try:
            async with self.parse_lock, self.notify_lock, self.detect_lock:
                events = self.s.topics.events
                gone = [
                    self.partitions[tp.partition]
                    for tp in revoked
                    if tp.topic == events and tp.partition in self.partitions
                ]
                try:
                    await self._checkpoint_settled()  # its commit is for partitions we hold
                    await self._checkpoint(gone)
                    checkpointed = True
                except KafkaError as exc:
                    # The next owner replays from the previous checkpoint.
                    log.warning("checkpoint on revoke failed (%s); the next owner replays", exc)
                    checkpointed = False
                for state in gone:
                    del self.partitions[state.partition]
                    if checkpointed and state.checkpointed_offset == state.next_offset:
                        self.parked[state.partition] = state
                    log.info(
                        "partition %d revoked at offset %d", state.partition, state.next_offset
                    )
                for guard in self.guards.values():
                    guard.forget(revoked)
                self.metrics.partitions.set(len(self.partitions))
        except Exception:
            log.exception("revocation failed")
            self.fail("revoke callback raised")

    async def _on_assigned(self, app: Any, assigned: set[Any], **_: Any) -> None:
        """Faust's assignment signal: load the checkpoints of the ``vigil.events`` partitions
        we now hold. Faust may already have resumed the flow (the detect agent then loads a
        partition it sees first, under the same lock)."""
        try:
            async with self.detect_lock:
                events = self.s.topics.events
                mine = {tp.partition for tp in assigned if tp.topic == events}
                for stale in self.partitions.keys() - mine:  # not ours any more
                    log.warning("dropping state of partition %d: not assigned", stale)
                    del self.partitions[stale]
                for gone in self.parked.keys() - mine:  # moved to another worker: free it
                    del self.parked[gone]
                for guard in self.guards.values():
                    guard.keep(assigned)
                try:
                    await self._load(sorted(mine - self.partitions.keys()))
                except (KafkaError, TimeoutError) as exc:
                    # The detect agent loads partitions it holds without state: retried there.
                    log.warning("loading checkpoints on assignment failed (%s); retrying", exc)
                self.metrics.partitions.set(len(self.partitions))
        except Exception:
            log.exception("assignment failed")
            self.fail("assign callback raised")
        finally:
            self.rebalancing = False


def _unsure(state: checkpoint.PartitionState, snap: checkpoint.Snapshot) -> None:
    """A checkpoint write failed (it may or may not be on the topic): the next checkpoint of
    the partition is a full one, and the deltas it was to tombstone are still to be."""
    state.tracker = None
    state.delta_keys.update(snap.obsolete)


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
