"""A leaner per-message hand-off for Faust's aiokafka consumer.

faust-streaming 0.15.3 hands every fetched record to its topic channel with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: two tasks and an
``asyncio.wait`` per record, so that a rebalance can abandon a hand-off blocked on a full
stream buffer. Profiled on a worker that was about a fifth of its time, and two extra event-loop
turns per record (three in all), for every record of ``vigil.raw`` and of ``vigil.events``.

:class:`LeanConsumer` awaits the hand-off directly. What ``wait_first`` protected is kept with a
flow epoch, bumped whenever the flow stops (a rebalance or :func:`pipeline.streaming.app.rewind`):
a hand-off that was blocked across a flow stop does not move Faust's read offset (which the
seek after the stop has reset; moving it would make Faust drop the records read again), and
the drain loop returns to fetching. The delivered record carries the old generation id or
precedes the rewind position, so the agents drop it (``Worker._admit``, ``PositionGuard``).
Everything else is Faust's ``Consumer._drain_messages`` unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

from faust.transport.drivers import aiokafka as faust_aiokafka


class LeanConsumer(faust_aiokafka.Consumer):  # type: ignore[misc]
    flow_epoch = 0

    def stop_flow(self) -> None:
        self.flow_epoch += 1
        super().stop_flow()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - needs a broker
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        yield_every = 100
        since_yield = 0
        sleep = asyncio.sleep
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                ait = cast(AsyncIterator[Any], getmany(timeout=1.0))
                await self.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in ait:
                    since_yield += 1
                    if since_yield > yield_every:
                        await sleep(0)
                        since_yield = 0
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is not None and offset < r_offset:
                        continue  # below the read offset: already delivered (Faust drops it too)
                    gap = offset - (r_offset or 0)
                    if gap > 1 and r_offset and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    epoch = self.flow_epoch
                    if not self.flow_active:
                        break
                    await callback(message)
                    if epoch != self.flow_epoch:
                        break  # the flow stopped meanwhile: a seek owns the read offset now
                    set_read_offset(tp, offset)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
