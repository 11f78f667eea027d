"""Broker-free checks of the streaming transport helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def _at(user: str, seconds: float, n: int) -> Event:
    from datetime import timedelta

    when = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return Event(
        time=when,
        tenant="acme",
        source_format="x",
        action=Action.LOGON,
        user=user,
        dst_host=f"h{n % 3}",
        record_id=str(n),
    )


def test_decode_events_accepts_single_events_and_arrays_in_one_batch() -> None:
    from pipeline.streaming.worker import decode_record

    a, b, c, d = (_at(u, n, n) for n, u in enumerate("abcd"))
    values = [
        encode_event(a),
        b"[" + encode_event(b) + b"," + encode_event(c) + b"]",
        b"[]",
        encode_event(d),
    ]
    assert [e.record_id for e in decode_events(values) or []] == ["0", "1", "2", "3"]
    assert [e.record_id for e in decode_record(values[1])] == ["1", "2"]
    assert decode_record(values[0]) == [a]
    assert decode_events([*values, b"[1, 2]"]) is None  # an array of non-events: one by one


def _late(arrivals: list[Event], lateness: float) -> set[str]:
    """record_ids the detect stage calls late: arrival order, per partition, one by one."""
    from schemas.event import event_time_seconds

    late, watermark = set(), {}
    for e in arrivals:
        partition = partition_for(f"{e.tenant}|{e.user}".encode())
        t = event_time_seconds(e)
        prior = watermark.get(partition, float("-inf"))
        if t < prior - lateness:
            late.add(e.record_id)
        watermark[partition] = max(prior, t)
    return late


def test_grouping_events_per_key_never_changes_which_events_are_late() -> None:
    import random

    from pipeline.streaming.worker import decode_record, group_events

    rng = random.Random(5)
    for lateness in (0.0, 60.0, 3600.0, 86_400.0):
        for _ in range(20):
            clock, stream = 0.0, []
            for n in range(300):
                clock += rng.expovariate(1 / 120)
                jitter = -rng.expovariate(1 / 900) if rng.random() < 0.1 else 0.0  # stragglers
                stream.append(_at(f"u{rng.randrange(12)}", clock + jitter, n))
            by_user = group_events(stream, lateness)
            regrouped = [e for _, value in by_user for e in decode_record(value)]
            assert sorted(int(e.record_id) for e in regrouped) == list(range(len(stream)))
            assert _late(regrouped, lateness) == _late(stream, lateness)
            for key, value in by_user:  # each key's events in their order, under their key
                ids = [int(e.record_id) for e in decode_record(value)]
                assert ids == sorted(ids)
                assert {f"acme|{e.user}".encode() for e in decode_record(value)} == {key}
            if lateness >= 3600:
                assert len(by_user) < len(stream) / 2  # and records do carry several events


def test_batch_envelopes_parse_like_single_ones_and_dead_letter_per_record() -> None:
    import orjson

    from pipeline.streaming.parsing import EnvelopePacker, EnvelopeParser

    line = (
        "May  1 09:0{n}:00 srv1 sshd[10{n}]: Accepted password for u{n} from 10.0.0.{n} port 5 ssh2"
    )
    singles = [
        {"tenant": "acme", "source": "a.log", "format": "syslog", "pos": n, "ref": 1.7e9}
        | {"record": line.format(n=n) if n != 3 else "not a syslog line"}
        for n in range(1, 7)
    ]
    one_by_one = EnvelopeParser().parse([(b"acme|a.log", orjson.dumps(e)) for e in singles])
    packer = EnvelopePacker(max_records=4)
    for envelope in singles:
        packer.add(b"acme|a.log", envelope)
    packed = packer.flush()
    assert [len(orjson.loads(v)["records"]) for _, v in packed] == [4, 2]
    batched = EnvelopeParser().parse(packed)
    assert batched.events == one_by_one.events and len(batched.events) == 5
    assert batched.records == one_by_one.records == 6

    def letters(rejected: list[Any]) -> list[dict[str, Any]]:
        return [(d := orjson.loads(r.letter)) | {"raw": orjson.loads(d["raw"])} for r in rejected]

    assert letters(batched.rejected) == letters(one_by_one.rejected)
    (letter,) = [orjson.loads(r.letter) for r in batched.rejected]
    assert letter["position"] == 3 and letter["reason"]
    assert orjson.loads(letter["raw"]) == singles[2]  # the record's own envelope, resendable
    # An envelope-level fault dead-letters every record of a batch, each on its own.
    bad = orjson.loads(packed[1][1]) | {"tenant": ""}
    result = EnvelopeParser().parse([(b"acme|a.log", orjson.dumps(bad))])
    assert [orjson.loads(r.letter)["position"] for r in result.rejected] == [5, 6]
    assert not result.events


def test_a_key_with_many_events_is_split_into_bounded_records_in_order() -> None:
    from pipeline.streaming.worker import GROUP_BYTES, GROUP_EVENTS, decode_record, group_events

    stream = [_at("busy" if n % 10 else "quiet", n / 100, n) for n in range(3 * GROUP_EVENTS)]
    by_user = group_events(stream, 3600.0)
    assert all(len(value) < 2 * GROUP_BYTES for _, value in by_user)
    assert all(len(decode_record(value)) <= GROUP_EVENTS for _, value in by_user)
    busy = [int(e.record_id) for key, v in by_user if key == b"acme|busy" for e in decode_record(v)]
    assert busy == [n for n in range(3 * GROUP_EVENTS) if n % 10]
    assert len([key for key, _ in by_user if key == b"acme|busy"]) >= 3


def test_canonical_ipv4_fast_path_gives_what_the_full_normalisation_gives() -> None:
    """``normalise_ip`` returns a canonical dotted quad as it is without the full path; the full
    path (taken for ``" " + value``: the fast check refuses a leading space, and the full path
    strips it) must agree on every value, canonical or nearly so."""
    import random

    from schemas.normalise import is_canonical_ipv4, normalise_ip
    from schemas.parsers import syslog

    rng = random.Random(5)
    pieces = ["0", "00", "7", "07", "10", "99", "100", "199", "200", "249", "250", "255", "256"]
    pieces += ["299", "300", "999", "1000", "٣", "１", "", " ", "a", "-1"]
    values = [".".join(rng.choice(pieces) for _ in range(rng.choice((3, 4, 4, 4, 5))))]
    for _ in range(20_000):
        values.append(".".join(rng.choice(pieces) for _ in range(rng.choice((3, 4, 4, 4, 5)))))
    values += ["1.2.3.4\n", "::ffff:1.2.3.4", "[1.2.3.4]", "::1", "fe80::1%eth0", "-", "host"]
    fast = 0
    for value in values:
        assert normalise_ip(value) == normalise_ip(" " + value), value
        if " " not in value and "\n" not in value:  # what the syslog peer regex captures
            assert syslog._peer(value) == syslog._peer_name(value), value
        fast += is_canonical_ipv4(value)
    assert fast > 200  # the fast path was exercised


def test_event_times_are_event_time_seconds() -> None:
    import random
    from datetime import timedelta

    import pytest

    from pipeline.streaming.worker import event_times
    from schemas.event import event_time_seconds

    rng = random.Random(3)
    base = datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    events = [
        Event(
            time=base + timedelta(microseconds=rng.randrange(0, 10**17)),
            tenant="acme",
            source_format="x",
            action=Action.LOGON,
        )
        for _ in range(2000)
    ]
    events.append(Event(time=base, tenant="acme", source_format="x", action=Action.LOGON))
    times = event_times(events)
    assert times.tolist() == [event_time_seconds(e) for e in events]  # bit for bit
    naive = Event(
        time=datetime(2024, 1, 1),  # noqa: DTZ001 - the point: a naive time
        tenant="a",
        source_format="x",
        action=Action.LOGON,
    )
    with pytest.raises(TypeError):  # as event_time_seconds: never a silent local-time reading
        event_times([naive])
