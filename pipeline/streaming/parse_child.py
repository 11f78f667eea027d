"""The parse stage's CPU work in a child process (``vigil worker --parse-processes``).

In one process a worker's parse work (JSON envelopes -> syslog/JSON parsers -> events ->
grouped, encoded ``vigil.events`` records) and its detect work (decode -> engine) share one
core: together they bound a worker near 50,000-55,000 events per CPU second before any Kafka
work. :class:`ParseProcess` moves the parse work to a persistent child process so the detect
agent keeps the main process's core while a chunk is being parsed.

The child does the whole parse stage for a chunk of ``vigil.raw`` records but the offset commit:
parse, group and encode, then produce the ``vigil.events`` records and dead letters with its own
producer (same settings, same partitioner as the parent's :class:`Outbox`) and wait for the
broker's acknowledgement. Only then does it answer, and only then does the parent commit the
chunk's offsets (or rewind them when the child reports a failed delivery): at-least-once as in
process, output in input order (one chunk at a time, idempotent producer). Each record carries
its events' raw positions in a header, so the detect stage drops what is sent twice
(:mod:`pipeline.streaming.dedup`). Producing in the
child also keeps the output's bytes (as large as the input, JSON) away from the parent: they do
not cross the process boundary and the parent's producer does not send them.

What crosses the process boundary is only what our own code builds: the chunk's raw ``(key,
value)`` bytes going in; ints, a flag and an error text coming back (:class:`SentChunk`). The
child keeps its own :class:`EnvelopeParser`, so per-input parser state (syslog year rollover)
carries across chunks as it does in process. Offsets and Prometheus stay in the parent: the
child returns counts and the parent increments the counters.

A child that dies (killed, out of memory, a crash in native code) is replaced and the chunk is
parsed and sent again by the new one (its offsets were not committed; records the dead child
had already delivered are sent twice, as after any failed delivery, and the detect stage drops
the copies by their sources);
:data:`MAX_DEATHS` deaths in a row without a chunk parsed in between (a poison record that
kills every child) raise :class:`ParseProcessDied`, which fails the worker with status 1. A
child that gives no answer within ``answer_timeout_s`` (the worker passes half of
``--stall-seconds``) is killed and counts as a death. A child whose parent dies (SIGKILL) exits
by itself: it watches the parent's sentinel.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, NamedTuple

log = logging.getLogger("vigil.worker")

MAX_DEATHS = 3  # child deaths in a row (no chunk parsed in between) before the worker fails


class ParsedChunk(NamedTuple):
    """A parsed chunk: the records to produce and the counts."""

    events: list[tuple[bytes, bytes]]  # vigil.events records, in order
    dead: list[tuple[bytes | None, bytes]]  # vigil.dlq records (key, dead letter JSON)
    raw_records: int  # raw records seen (each record of a batch envelope counts)
    pid: int  # the process that parsed it (tests, logs)
    # Per vigil.events record, its headers: the sources of its events (dedup.SOURCE_HEADER)
    # when the chunk's raw positions were given, else none.
    headers: tuple[list[tuple[str, bytes]], ...] = ()

    def records(self) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
        """``(key, value, headers)`` of every ``vigil.events`` record, in order."""
        headers = self.headers or tuple([] for _ in self.events)
        return [(key, value, h) for (key, value), h in zip(self.events, headers, strict=True)]


class SentChunk(NamedTuple):
    """What the child answers for a chunk it parsed and produced."""

    raw_records: int  # raw records seen (each record of a batch envelope counts)
    records: int  # vigil.events records produced
    dead_letters: int  # vigil.dlq records produced
    delivered: bool  # every record acknowledged by the broker
    error: str  # why not, when not
    pid: int  # the process that did it (tests, logs)


@dataclass(frozen=True)
class ChildSettings:
    """What the child needs to know (plain values: passed to the spawned interpreter)."""

    lateness_s: float
    partition_by: str
    broker: str
    events_topic: str
    dlq_topic: str
    linger_ms: int
    max_request_size: int


class ParseProcessDied(RuntimeError):
    """The parse child died :data:`MAX_DEATHS` times in a row: the worker fails."""


class ChunkParser:
    """Parse + group + encode one chunk; runs in the child (or in process with
    ``--parse-processes 0``)."""

    def __init__(self, lateness_s: float, partition_by: str) -> None:
        from pipeline.streaming.parsing import EnvelopeParser

        self.parser = EnvelopeParser()
        self.lateness_s = lateness_s
        self.partition_by = partition_by

    def __call__(
        self,
        values: list[tuple[bytes | None, bytes]],
        sources: list[tuple[int, int]] | None = None,
    ) -> ParsedChunk:
        """``sources``: the ``(vigil.raw partition, offset)`` of each value; the records then
        carry their events' sources (:mod:`pipeline.streaming.dedup`)."""
        from pipeline.streaming.dedup import SOURCE_HEADER, encode_sources, event_sources
        from pipeline.streaming.grouping import group_events

        result = self.parser.parse(values)
        dead = [(r.key, r.letter) for r in result.rejected]
        if sources is None or len(sources) != len(values):
            records = group_events(result.events, self.lateness_s, self.partition_by)
            return ParsedChunk(records, dead, result.records, os.getpid())
        rows: list[list[int]] = []
        records = group_events(result.events, self.lateness_s, self.partition_by, rows)
        parts, positions = event_sources(result.counts, sources)
        headers = [[(SOURCE_HEADER, encode_sources(parts[r], positions[r]))] for r in rows]
        return ParsedChunk(records, dead, result.records, os.getpid(), tuple(headers))


# -- the child's side ----------------------------------------------------------------------------


class ChildStage:
    """The child's parse stage: a :class:`ChunkParser` and a producer on its own event loop,
    run for one chunk at a time (between chunks the loop is idle)."""

    def __init__(self, settings: ChildSettings) -> None:
        self.s = settings
        self.parse = ChunkParser(settings.lateness_s, settings.partition_by)
        self.loop = asyncio.new_event_loop()
        self.producer: Any = None
        self.outbox: Any = None

    def __call__(
        self,
        values: list[tuple[bytes | None, bytes]],
        sources: list[tuple[int, int]] | None = None,
    ) -> SentChunk:
        parsed = self.parse(values, sources)
        delivered, error = self.loop.run_until_complete(self._send(parsed))
        return SentChunk(
            parsed.raw_records, len(parsed.events), len(parsed.dead), delivered, error, os.getpid()
        )

    async def _send(self, parsed: ParsedChunk) -> tuple[bool, str]:
        from aiokafka.errors import KafkaError

        from pipeline.streaming.ingest import make_producer
        from pipeline.streaming.produce import Outbox

        try:
            if self.producer is None:
                producer = make_producer(
                    self.s.broker,
                    linger_ms=self.s.linger_ms,
                    max_request_size=self.s.max_request_size,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self.producer, self.outbox = producer, Outbox(producer)
            for key, value, headers in parsed.records():
                self.outbox.add(self.s.events_topic, key, value, headers)
            for dead_key, letter in parsed.dead:
                self.outbox.add(self.s.dlq_topic, dead_key, letter)
            futures = await self.outbox.send()
            results = await asyncio.gather(*futures, return_exceptions=True)
        except (KafkaError, OSError, TimeoutError) as exc:
            return False, f"{type(exc).__name__}: {exc}"[:300]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            return False, f"{len(failures)} of {len(futures)} sends failed: {failures[0]}"[:300]
        return True, ""


_CHILD: ChildStage | None = None


def _child_init(settings: ChildSettings) -> None:
    """Initializer of the child: its stage, the worker's GC tuning, and a thread that ends the
    child when the parent is gone (a SIGKILLed worker must not leave an orphan behind: the
    executor's call queue never reports EOF to the child, it holds both ends)."""
    global _CHILD
    from pipeline.streaming.grouping import tune_gc

    _CHILD = ChildStage(settings)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def watch() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(0)

        threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    tune_gc()


def _child_parse(
    values: list[tuple[bytes | None, bytes]], sources: list[tuple[int, int]] | None = None
) -> SentChunk:
    if _CHILD is None:  # pragma: no cover - the initializer always ran
        raise RuntimeError("parse child not initialised")
    return _CHILD(values, sources)


def _child_pid() -> int:
    return os.getpid()


# -- the parent's side ---------------------------------------------------------------------------


def _pool_processes(pool: ProcessPoolExecutor) -> list[multiprocessing.Process]:
    """The pool's child processes (``_processes`` is private, hence the fallback to none)."""
    return list((getattr(pool, "_processes", None) or {}).values())


class ParseProcess:
    """One persistent child process that parses chunks; awaited from the event loop."""

    def __init__(
        self,
        settings: ChildSettings,
        on_restart: Callable[[], None] | None = None,
        answer_timeout_s: float = 120.0,
    ) -> None:
        self.settings = settings
        self.on_restart = on_restart
        # A child that gives no answer for this long counts as dead: CPython's
        # ProcessPoolExecutor can wait forever, with no BrokenProcessPool, when a child is
        # killed while it holds the pool's call-queue lock (seen in the "keeps dying" test).
        self.answer_timeout_s = answer_timeout_s
        self.deaths = 0  # in a row
        self.restarts = 0  # over the worker's life
        self._pool: ProcessPoolExecutor | None = None
        self.pid: int | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: a fresh interpreter, nothing of the parent's state (event loop, sockets,
        # threads of aiokafka and Faust) is inherited.
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=(self.settings,),
        )

    async def start(self) -> None:
        """Start the child and wait until it has imported the parsers (start-up errors surface
        here, not on the first chunk). A child that gives no answer within the answer timeout
        is killed and TimeoutError raised: in ``parse()`` that counts as a death, like a hung
        chunk, so neither the first start nor a restart can hang the worker."""
        self._pool = self._new_pool()
        loop = asyncio.get_running_loop()
        try:
            self.pid = await asyncio.wait_for(
                loop.run_in_executor(self._pool, _child_pid), self.answer_timeout_s
            )
        except TimeoutError:
            self._discard_pool(kill=True)
            raise
        log.info("parse child started (pid %d)", self.pid)

    def _discard_pool(self, kill: bool) -> None:
        """Drop the pool without waiting on it; ``kill`` its processes first when one may be
        hung (the executor's shutdown would wait on a hung child forever)."""
        if self._pool is None:
            return
        if kill:
            for process in _pool_processes(self._pool):
                process.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    async def parse(
        self,
        values: list[tuple[bytes | None, bytes]],
        sources: list[tuple[int, int]] | None = None,
    ) -> SentChunk:
        """Parse and produce a chunk in the child; a dead child is replaced and the chunk
        parsed and sent again (with ``sources``, the values' raw positions, the detect stage
        recognises the copies: :mod:`pipeline.streaming.dedup`)."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                if self._pool is None:
                    await self.start()
                assert self._pool is not None  # noqa: S101 - start() set it
                sent: SentChunk = await asyncio.wait_for(
                    loop.run_in_executor(self._pool, _child_parse, values, sources),
                    self.answer_timeout_s,
                )
            except (BrokenProcessPool, TimeoutError) as exc:
                # Raised by the submit when the child died while idle, by the future when it
                # died parsing (or starting): nothing of this chunk was sent yet. A child that
                # gave no answer in time is killed and counts the same (what it may have sent
                # of the chunk is sent again, as after any failed delivery).
                self.deaths += 1
                why = exc if isinstance(exc, BrokenProcessPool) else "no answer in time: killed"
                log.error("parse child (pid %s) died (%s); %d in a row", self.pid, why, self.deaths)
                self._discard_pool(kill=isinstance(exc, TimeoutError))
                if self.deaths >= MAX_DEATHS:
                    raise ParseProcessDied(
                        f"parse child died {self.deaths} times in a row"
                    ) from exc
                self.restarts += 1
                if self.on_restart is not None:
                    self.on_restart()
                continue
            self.deaths = 0
            self.pid = sent.pid
            return sent

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the child: it finishes the chunk in hand (if any) and exits; one that does not
        within ``timeout_s`` (hung) is killed, so a worker's stop never waits on it forever."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # The executor's own shutdown(wait=True) has no timeout: join its processes ourselves.
        processes = _pool_processes(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout_s)
            if process.is_alive():
                log.warning(
                    "parse child %s did not stop in %.0f s: killing it", process.pid, timeout_s
                )
                process.kill()
                process.join(5.0)
