"""Does the engine's cost per event stay flat as its state grows? The streaming benchmark's
input (sshd logons from ever new internet addresses, so every batch brings new entities) run
through one ``Engine`` in batches of a worker's size, timing each tenth of the stream:

    python -m benchmarks.engine_scaling [--events 1000000] [--batch 2000,16384]

A detector that does work in proportion to everything it has seen (copies of per-entity
arrays, full-size scratch arrays, re-sorting stored tables) on every batch makes the last
tenth much slower than the first, although both have the same number of events; per-batch
work bounded by the batch keeps them close. CPU time of this process (parsing excluded).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from benchmarks.streaming_bench import generate_auth_log
from detectors.engine import Engine
from schemas.event import Event
from schemas.parsers import ParseContext
from schemas.parsers.syslog import SyslogParser

#: A fixed end, so that every run (and every revision compared) sees the same events.
END = datetime(2026, 11, 20, tzinfo=UTC)


def stream(events: int) -> list[Event]:
    """The streaming benchmark's input for ``events`` events (users = events / 100, 20 days)."""
    users = max(100, events // 100)
    lines = generate_auth_log(
        users=users, days=20, logons_per_day=max(1, events // (users * 20)), attackers=50, end=END
    )
    context = ParseContext(tenant="bench", source="auth.log", reference_time=END)
    parser = SyslogParser()
    parsed: list[Event] = []
    for position, line in enumerate(lines):
        context.position = position
        parsed.extend(parser.parse(line, context))
    return parsed


def tenths(events: list[Event], batch_size: int) -> tuple[float, list[float]]:
    """CPU seconds of ``Engine.process`` in all, and in each tenth of the stream's batches (a
    remainder of batches past ten equal tenths counts in the total only)."""
    engine = Engine()
    spent: list[float] = []
    for start in range(0, len(events), batch_size):
        began = time.process_time()
        engine.process(events[start : start + batch_size])
        spent.append(time.process_time() - began)
    tenth = max(1, len(spent) // 10)
    return sum(spent), [sum(spent[i : i + tenth]) for i in range(0, tenth * 10, tenth)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", default="2000,16384", help="batch sizes, comma-separated")
    args = parser.parse_args()
    events = stream(args.events)
    print(f"{len(events):,} events (the streaming benchmark's input); CPU seconds per tenth")
    for size in (int(b) for b in args.batch.split(",")):
        total, parts = tenths(events, size)
        print(
            f"batch {size:>6,}: total {total:6.2f} s = {len(events) / total:>9,.0f} events/s; "
            f"first tenth {parts[0]:.2f} s, last tenth {parts[-1]:.2f} s "
            f"(x{parts[-1] / max(parts[0], 1e-9):.2f})"
        )


if __name__ == "__main__":
    main()
