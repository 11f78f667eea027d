"""Where the engine's CPU goes on the streaming benchmark's input, by phase and detector:

    python -m benchmarks.engine_phases [--batch 22000]

Runs the streaming benchmark's input (1M sshd events, 10,000 users, ~825k addresses) through
one ``Engine`` the way ``Engine.process`` does (build the batch, every detector scores, then
learns, then risk), timing each phase and each detector (score + learn) in CPU seconds of this
process. Parsing is excluded.
"""

from __future__ import annotations

import argparse
import collections
import time
from datetime import UTC, datetime

import numpy as np

from benchmarks.streaming_bench import generate_auth_log, recent_end
from detectors.engine import Engine
from schemas.event import Event
from schemas.parsers import ParseContext
from schemas.parsers.syslog import SyslogParser


def events() -> list[Event]:
    lines = generate_auth_log(
        users=10000, days=20, logons_per_day=5, attackers=100, end=recent_end()
    )
    context = ParseContext(tenant="bench", source="x", reference_time=datetime.now(UTC))
    parser = SyslogParser()
    parsed: list[Event] = []
    for position, line in enumerate(lines):
        context.position = position
        parsed.extend(parser.parse(line, context))
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=22000, help="events per batch")
    parser.add_argument("--top", type=int, default=8, help="detectors to list")
    args = parser.parse_args()
    stream = events()
    engine = Engine()
    phases: collections.Counter[str] = collections.Counter()
    detectors: collections.Counter[str] = collections.Counter()
    clock = time.process_time
    for start in range(0, len(stream), args.batch):
        began = clock()
        batch = engine.builder.build(stream[start : start + args.batch])
        phases["build"] += clock() - began
        signals = []
        for detector in engine.detectors:
            began = clock()
            signals.append(detector.score(batch, engine.builder))
            spent = clock() - began
            phases["score"] += spent
            detectors[detector.name] += spent
        held_back = np.zeros(len(batch), dtype=np.bool_)
        for detector in engine.detectors:
            began = clock()
            detector.learn(batch, held_back)
            spent = clock() - began
            phases["learn"] += spent
            detectors[detector.name] += spent
        began = clock()
        engine.risk.update(signals, batch, engine.builder)
        phases["risk"] += clock() - began
    rounded = {name: round(seconds, 2) for name, seconds in phases.items()}
    print(f"{len(stream):,} events, {args.batch:,}-event batches, CPU s: {rounded}")
    print(f"total {sum(phases.values()):.2f} s")
    for name, seconds in detectors.most_common(args.top):
        print(f"  {name:24} {seconds:.2f}")


if __name__ == "__main__":
    main()
