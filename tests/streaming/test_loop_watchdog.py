"""The event-loop watchdog thread: fires once on a blocked loop, never on a turning one."""

from __future__ import annotations

import asyncio
import time

import pytest

from pipeline.streaming.loop_watchdog import LoopWatchdog


def _run(body_s: float, block_s: float, stall_s: float) -> list[float]:
    fired: list[float] = []

    async def main() -> None:
        dog = LoopWatchdog(asyncio.get_running_loop(), stall_s=stall_s, on_stall=fired.append)
        dog.start()
        try:
            for _ in range(round(body_s / 0.01)):
                await asyncio.sleep(0.01)  # a busy but healthy loop
            time.sleep(block_s)  # noqa: ASYNC251 - the point: a blocked loop
        finally:
            dog.stop()

    asyncio.run(main())
    return fired


def test_a_blocked_loop_fires_once_with_the_time_it_was_blocked() -> None:
    fired = _run(body_s=0.2, block_s=1.2, stall_s=0.4)
    assert len(fired) == 1
    assert 0.4 < fired[0] < 1.2


def test_a_turning_loop_never_fires() -> None:
    assert _run(body_s=1.5, block_s=0.0, stall_s=0.4) == []


def test_a_short_block_under_the_bar_does_not_fire() -> None:
    assert _run(body_s=0.2, block_s=0.2, stall_s=0.8) == []


def test_a_non_positive_stall_is_refused() -> None:
    with pytest.raises(ValueError, match="stall_s must be > 0"):
        LoopWatchdog(asyncio.new_event_loop(), stall_s=0)
