"""A watchdog for the event loop itself, in its own thread.

The worker's stall watchdog (``Worker._watchdog``) is an asyncio task: it sees loops that stop
turning and partitions that stop moving, but not an event loop that is blocked (a synchronous
call that never returns, a lock held by a killed process). Then nothing runs on the loop at all,
the watchdog included, and the worker would hang with its partitions assigned. This thread
checks that the loop still runs a tiny callback every ``period_s``; when it has not for
``stall_s`` it dumps every thread's stack (the blocked call shows there) and calls ``on_stall``,
by default ``os._exit(1)``: a clean shutdown needs the blocked loop, and exit status 1 is what
the orchestrator restarts on.

>>> import asyncio, time
>>> fired = []
>>> async def main() -> None:
...     dog = LoopWatchdog(asyncio.get_running_loop(), stall_s=0.3, on_stall=fired.append)
...     dog.start()
...     await asyncio.sleep(0.5)  # the loop turns: no stall
...     time.sleep(0.8)  # blocks the loop
...     dog.stop()
>>> asyncio.run(main())
>>> len(fired) == 1 and fired[0] >= 0.3
True
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("vigil.worker")


def _exit_now(blocked_s: float) -> None:
    os._exit(1)


class LoopWatchdog:
    """Calls ``on_stall(seconds blocked)`` once when ``loop`` runs nothing for ``stall_s``."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        stall_s: float,
        on_stall: Callable[[float], None] = _exit_now,
    ) -> None:
        if stall_s <= 0:
            raise ValueError(f"stall_s must be > 0, got {stall_s}")
        self.loop = loop
        self.stall_s = stall_s
        self.period_s = min(1.0, stall_s / 4)
        self.on_stall = on_stall
        self._beat = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)

    def start(self) -> None:
        self._beat = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _stamp(self) -> None:
        self._beat = time.monotonic()

    def _watch(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                # Runs on the loop as soon as it gets a turn: the beat is the loop's liveness.
                self.loop.call_soon_threadsafe(self._stamp)
            except RuntimeError:
                return  # the loop is closed: nothing left to watch
            blocked = time.monotonic() - self._beat
            if blocked > self.stall_s and not self._stop.is_set():
                log.error("event loop blocked for %.0f s; stacks follow on stderr", blocked)
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
                self.on_stall(blocked)
                return
