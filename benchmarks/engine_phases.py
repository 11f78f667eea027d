"""Where the engine's CPU goes on the streaming benchmark's input, by phase and detector:

    python -m benchmarks.engine_phases [--events 1000000] [--batch 22000]

Runs the streaming benchmark's input (1M sshd events, 10,000 users, ~825k addresses; built by
``benchmarks.engine_scaling.stream``, the same events as that benchmark) through one
``Engine`` the way ``Engine.process`` does (build the batch, every detector scores, then
learns, then risk), timing each phase and each detector (score + learn) in CPU seconds of this
process. Parsing is excluded.
"""

from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from benchmarks.engine_scaling import stream
from detectors.engine import Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=22000, help="events per batch")
    parser.add_argument("--top", type=int, default=8, help="detectors to list")
    args = parser.parse_args()
    events = stream(args.events)
    engine = Engine()
    phases: collections.Counter[str] = collections.Counter()
    detectors: collections.Counter[str] = collections.Counter()
    clock = time.process_time
    for start in range(0, len(events), args.batch):
        began = clock()
        batch = engine.builder.build(events[start : start + args.batch])
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
    print(f"{len(events):,} events, {args.batch:,}-event batches, CPU s: {rounded}")
    print(f"total {sum(phases.values()):.2f} s")
    for name, seconds in detectors.most_common(args.top):
        print(f"  {name:24} {seconds:.2f}")


if __name__ == "__main__":
    main()
