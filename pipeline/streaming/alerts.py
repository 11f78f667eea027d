"""``vigil alerts``: print ``vigil.alerts`` as JSON lines (the shape ``vigil detect`` writes).

Reads every partition without a consumer group (a reader, not a worker), so several analysts
can tail the topic at once without moving anyone's offsets.
"""

from __future__ import annotations

import time
from typing import IO

from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.streaming.topics import Topics, client_config, ensure_topics, partitions_of


async def tail_alerts(
    *,
    broker: str,
    topics: Topics,
    out: IO[bytes],
    from_beginning: bool,
    idle_timeout_s: float | None,
) -> int:
    """Write alerts to ``out`` until idle for ``idle_timeout_s`` (forever when None)."""
    import asyncio

    await asyncio.to_thread(ensure_topics, broker, topics.prefix)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker, enable_auto_commit=False, **client_config()
    )
    await consumer.start()
    count = 0
    try:
        partitions = await partitions_of(consumer, topics.alerts)
        tps = [TopicPartition(topics.alerts, p) for p in partitions]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        last_message = time.monotonic()
        while idle_timeout_s is None or time.monotonic() - last_message < idle_timeout_s:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in batches.values():
                for record in records:
                    out.write(record.value + b"\n")
                    count += 1
            if batches:
                out.flush()
                last_message = time.monotonic()
    finally:
        await consumer.stop()
        out.flush()
    return count
