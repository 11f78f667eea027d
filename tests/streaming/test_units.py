"""Broker-free checks of the streaming transport helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.streaming.produce import Outbox
from pipeline.streaming.worker import decode_events
from schemas.event import Action, Event, encode_event
from tests.streaming.helpers import partition_for


def test_outbox_partitions_like_kafkas_default_partitioner() -> None:
    out = Outbox(producer=None)  # type: ignore[arg-type]
    keys = [f"acme|user{n}".encode() for n in range(200)]
    assert [out.partition_for(k, 4) for k in keys] == [partition_for(k, 4) for k in keys]
    assert [out.partition_for(k, 4) for k in keys] == [partition_for(k, 4) for k in keys]  # memo
    assert {out.partition_for(None, 4) for _ in range(8)} == {0, 1, 2, 3}  # round robin


def _event(user: str) -> bytes:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    return encode_event(
        Event(time=when, tenant="acme", source_format="x", action=Action.LOGON, user=user)
    )


def test_decode_events_whole_batch_or_none() -> None:
    good = [_event("a"), _event("b")]
    assert [e.user for e in decode_events(good) or []] == ["a", "b"]
    assert decode_events([*good, b"not json"]) is None
    assert decode_events([*good, None]) is None
    # Two events smuggled into one record must not shift the batch: fall back to one by one.
    assert decode_events([good[0] + b"," + good[1]]) is None
    assert decode_events([]) is None


def test_await_chain_names_where_a_stage_waits() -> None:
    import asyncio

    from pipeline.streaming.worker import _await_chain

    async def inner(gate: asyncio.Future[None]) -> None:
        await gate

    async def outer(gate: asyncio.Future[None]) -> None:
        await inner(gate)

    async def main() -> list[str]:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(outer(gate))
        await asyncio.sleep(0)
        chain = _await_chain(task.get_coro())
        gate.set_result(None)
        await task
        return chain

    chain = asyncio.run(main())
    assert [line.rsplit(" ", 1)[-1] for line in chain[:2]] == ["outer", "inner"]
    assert "Future" in chain[-1]


def test_replicated_tables_apply_feedback_and_converge_indicators() -> None:
    from datetime import timedelta

    from detectors.shared_indicators import tenant_token
    from pipeline.feedback import (
        IndicatorStore,
        Suppression,
        SuppressionList,
        feedback_record,
        indicator_record,
    )
    from pipeline.streaming.tables import ReplicatedTables
    from pipeline.streaming.topics import Topics

    store, suppressions = IndicatorStore(None), SuppressionList()
    tables = ReplicatedTables("unused", Topics(), suppressions=suppressions, indicators=store)
    entry = Suppression(
        tenant="acme",
        entity_type="user",
        entity_id="alice",
        detector="rare_source_network",
        owner="o",
        reason="r",
        expires=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
    )
    key, value = feedback_record(entry)
    tables.apply_feedback(key, value)
    tables.apply_feedback(key, value)  # latest per key: replaced, not doubled
    assert suppressions.entries == [entry]
    tables.apply_feedback(key, None)  # tombstone lifts it
    assert suppressions.entries == []
    confirm = b'{"type": "confirmation", "origin": "tok-a", "indicators": [["ip", "45.83.64.17"]]}'
    tables.apply_feedback(b"confirm|x", confirm)
    assert store.take_dirty() == [("ip", "45.83.64.17", ["tok-a"])]
    # A record that lacks a token this worker knows is stale: it is published again (union).
    tables.apply_indicator(*indicator_record("ip", "45.83.64.17", ["tok-b"]))
    assert store.take_dirty() == [("ip", "45.83.64.17", ["tok-a", "tok-b"])]
    tables.apply_indicator(*indicator_record("ip", "45.83.64.17", ["tok-a", "tok-b"]))
    assert store.take_dirty() == []  # converged
    assert tenant_token("acme") not in store.snapshot()["ip"]["45.83.64.17"]


def test_position_guard_skips_seen_records_and_waits_after_a_rewind() -> None:
    from pipeline.streaming.positions import PositionGuard

    guard, tp, other = PositionGuard(), ("vigil.events", 0), ("vigil.events", 1)
    assert [guard.admit(tp, o) for o in (5, 6, 6, 4, 7)] == [True, True, False, False, True]
    assert guard.admit(tp, 10)  # a gap (compaction, transaction markers) is accepted
    guard.expect(other, 100)  # a checkpoint at 100: what the committed offset re-reads is done
    assert [guard.admit(other, o) for o in (98, 99, 100)] == [False, False, True]
    guard.rewind(tp, 6)  # read again from 6: records fetched before the seek are dropped
    assert [guard.admit(tp, o) for o in (11, 12, 5, 6, 7)] == [False, False, False, True, True]
    guard.keep([other])  # a new assignment without tp: nothing is remembered for it
    assert guard.admit(tp, 0)
