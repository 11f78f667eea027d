"""The Faust app of a ``vigil worker``: settings, topics, and offset control.

One :class:`faust.App` per worker process; its id is the consumer group (``vigil-worker``
under the topic prefix), so every worker is one member and Kafka's group protocol splits the
partitions of every topic the agents consume.

Offsets: the agents' topics are declared with ``acks=False`` and the worker commits offsets
itself (:func:`commit`), each only once the work it covers is safe: parse after its events and
dead letters are on the broker, detect together with the partition's checkpoint, notify after
the alerts are spooled. Faust's own ack-based commits are not used because in faust-streaming
0.15.3 they can pass records no agent has processed: a message the stream skips during a
rebalance (flow suspended, or fetched under the previous generation) is *acked* on the way
out (``streams.pyx`` ``after(..., do_ack or value is skipped_value)``), and the head-gap check
in ``Consumer._new_offset`` (``min(acked) - committed > 1``) lets a commit jump a one-record gap.
With our own commits the committed offset is never ahead of the work, which the checkpoint
design needs (committed <= checkpoint offset, always).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faust
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from pipeline.streaming.consumer import LeanConsumer
from pipeline.streaming.topics import Topics, faust_credentials

log = logging.getLogger("vigil.worker")


def build_app(
    *,
    broker: str,
    topics: Topics,
    data_dir: Path,
    session_timeout_s: float,
    max_records: int,
    lean: bool = True,
) -> faust.App:
    """The worker's Faust app. No tables, no leader topic, no web server (metrics are served by
    :mod:`pipeline.streaming.metrics` on 127.0.0.1); topics come from ``topics.toml``."""
    app = faust.App(
        topics.group,
        broker=f"kafka://{broker}",
        broker_credentials=faust_credentials(),
        datadir=str(data_dir / "faust"),
        store="memory://",
        autodiscover=False,
        # A short session timeout makes a dead worker's partitions move fast (tests use 6 s);
        # the heartbeat must be well inside it.
        broker_session_timeout=session_timeout_s,
        broker_heartbeat_interval=max(0.5, session_timeout_s / 5),
        broker_max_poll_records=max_records,
        consumer_max_fetch_size=8 << 20,
        consumer_auto_offset_reset="earliest",
        stream_buffer_maxsize=max_records,
        # Nothing to recover (no changelog tables): resume streams right after a rebalance.
        stream_recovery_delay=0.0,
        topic_disable_leader=True,  # no <app>-__assignor-__leader topic
        topic_allow_declare=False,  # topics are ours (deploy/kafka/topics.toml)
        # The web server is off (checked: a worker listens on nothing but its metrics port);
        # bound to loopback anyway should a Faust component open it.
        web_enabled=False,
        web_bind="127.0.0.1",
    )
    if lean:
        app.transport.Consumer = LeanConsumer  # before anything creates app.consumer
    return app


class RawSchema(faust.Schema):  # type: ignore[misc]
    """Keys and values as the bytes on the wire. Faust's ``raw`` codec gives the same bytes
    but through its serializer registry and settings lookups, twice per record (profiled:
    about a tenth of a worker's time)."""

    def loads_key(self, app: Any, message: Any, **_: Any) -> Any:
        return message.key

    def loads_value(self, app: Any, message: Any, **_: Any) -> Any:
        return message.value


def topic(app: faust.App, name: str, maxsize: int | None = None) -> Any:
    """A raw-bytes topic whose offsets the worker commits itself (see the module docstring);
    ``maxsize``: records buffered for its agent (default: the app's ``stream_buffer_maxsize``)."""
    return app.topic(name, schema=RawSchema(), acks=False, maxsize=maxsize)


def drop_monitor(app: faust.App) -> None:
    """Take Faust's in-memory statistics sensor (``app.monitor``, only read by Faust's web
    views, which are off) out of the per-record sensor calls; the worker's metrics are its
    own (:mod:`pipeline.streaming.metrics`). Call after ``app.start()``, which adds it."""
    if app.monitor in set(app.sensors):
        app.sensors.remove(app.monitor)


def tp_of(event: Any) -> TopicPartition:
    message = event.message
    return TopicPartition(message.topic, message.partition)


async def commit(app: faust.App, offsets: dict[TopicPartition, int]) -> bool:
    """Commit ``offsets`` (next offset to read) for the partitions still assigned; False when
    the group moved on or the broker is away (the next owner, or the next commit, redoes it).

    Faust's ``Consumer.commit`` only commits acked offsets, and its ``_commit`` crashes the
    app on any error; this runs aiokafka's commit in Faust's consumer thread and reports."""
    if not offsets:
        return True
    thread = app.consumer._thread  # type: ignore[attr-defined]

    async def run() -> bool:
        consumer = thread._ensure_consumer()
        assigned = consumer.assignment()
        todo = {
            TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(offset, "")
            for tp, offset in offsets.items()
            if TopicPartition(tp.topic, tp.partition) in assigned
        }
        if not todo:
            return False
        try:
            await consumer.commit(todo)
        except (CommitFailedError, KafkaError) as exc:
            log.warning("offset commit failed: %s", exc)
            return False
        return True

    result: bool = await thread.call_thread(run)
    return result


async def rewind(app: faust.App, positions: dict[TopicPartition, int]) -> None:
    """Move partitions back to ``positions`` the way Faust moves them in a rebalance: stop the
    flow, drop what is buffered, seek, resume. Agents must then discard events they still hold
    for these partitions until the record at the position arrives (see ``PositionGuard``)."""
    if not positions:
        return
    consumer = app.consumer
    consumer.stop_flow()
    app.flow_control.suspend()
    try:
        app.flow_control.clear()
        await consumer.wait_for_stopped_flow()
        await consumer.seek_wait(positions)  # type: ignore[arg-type]
    finally:
        consumer.resume_flow()
        app.flow_control.resume()
