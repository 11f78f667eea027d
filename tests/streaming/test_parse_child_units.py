"""Broker-free checks of the parse child (a real spawned process; its producer points at a port
where nothing listens, so every chunk comes back parsed but not delivered)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket

import orjson

from pipeline.streaming.parse_child import (
    MAX_DEATHS,
    ChildSettings,
    ChunkParser,
    ParseProcess,
    ParseProcessDied,
)

LINE = "May  1 10:00:00 srv1 sshd[42]: Accepted password for alice from 10.0.0.7 port 4000 ssh2"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: connections are refused


def _settings() -> ChildSettings:
    return ChildSettings(
        lateness_s=3600.0,
        partition_by="tenant",
        broker=f"127.0.0.1:{_closed_port()}",
        events_topic="t.vigil.events",
        dlq_topic="t.vigil.dlq",
        linger_ms=5,
        max_request_size=1 << 20,
    )


def _chunk() -> list[tuple[bytes | None, bytes]]:
    batch = {"tenant": "acme", "source": "a.log", "format": "syslog", "ref": 1.7e9}
    return [
        (b"acme|a.log", orjson.dumps({**batch, "pos": [1, 2], "records": [LINE, "garbage"]})),
        (b"acme|x", b"not json"),
    ]


def test_chunk_parser_counts_events_and_dead_letters() -> None:
    parsed = ChunkParser(3600.0, "tenant")(_chunk())
    assert parsed.raw_records == 3
    assert [key for key, _ in parsed.events] == [b"acme"]
    assert len(parsed.dead) == 2
    assert all(orjson.loads(letter)["reason"] for _, letter in parsed.dead)


def test_child_reports_an_undelivered_chunk_and_is_replaced_when_killed() -> None:
    async def run() -> None:
        restarts: list[int] = []
        child = ParseProcess(_settings(), on_restart=lambda: restarts.append(1))
        await child.start()
        try:
            first = child.pid
            assert first is not None and first != os.getpid()
            sent = await child.parse(_chunk())
            # Parsed in the child (counts), but no broker: not delivered, with the reason.
            assert (sent.raw_records, sent.records, sent.dead_letters) == (3, 1, 2)
            assert not sent.delivered and sent.error
            assert sent.pid == first
            os.kill(first, signal.SIGKILL)
            await asyncio.sleep(0.5)
            again = await child.parse(_chunk())  # a new child parses the chunk
            assert again.pid != first and again.raw_records == 3
            assert restarts == [1] and child.deaths == 0
        finally:
            child.close()

    asyncio.run(run())


def test_a_child_that_does_not_answer_its_start_in_time_is_killed() -> None:
    """The start is bounded by the answer timeout (a restart inside ``parse()`` included): a
    spawned interpreter cannot import the parsers in 10 ms, so the start times out, the
    child's process is killed and no pool is kept."""

    async def run() -> None:
        child = ParseProcess(_settings(), answer_timeout_s=0.01)
        try:
            await child.start()
        except TimeoutError:
            pass
        else:
            raise AssertionError("start() answered within 10 ms")
        finally:
            child.close()
        assert child._pool is None

    asyncio.run(run())


def test_restarts_that_never_answer_fail_after_max_deaths() -> None:
    async def run() -> None:
        restarts: list[int] = []
        child = ParseProcess(
            _settings(), on_restart=lambda: restarts.append(1), answer_timeout_s=0.01
        )
        try:
            await child.parse(_chunk())
        except ParseProcessDied as exc:
            assert "died 3 times in a row" in str(exc)
        else:
            raise AssertionError("parse() succeeded with a 10 ms answer timeout")
        finally:
            child.close()
        assert child.deaths == MAX_DEATHS and len(restarts) == MAX_DEATHS - 1

    asyncio.run(run())
