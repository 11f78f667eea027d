"""What each detector costs per batch (score + learn), on prepared batches:

    python -m benchmarks.detector_costs [--batch 8192] [--repeat 3] [--stream 300000]

Two inputs: ``benchmarks.throughput``'s generated scenario (``--days 21 --users 60``: few users,
small learned tables) and the first ``--stream`` events of ``benchmarks.engine_phases``' input
(sshd logons from ever new addresses: large, growing tables). Batches are built once and
untimed; every detector then scores and learns each batch in turn, as ``Engine.process`` does
(risk excluded). A table per input: ms per batch (score, learn), the share of the whole and
the events/s of the scoring core, the fastest of ``--repeat`` fresh runs (CPU time of this
process). ``--only throughput`` or ``--only stream`` runs one input.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from detectors import registry
from detectors.batch import BatchBuilder, EventBatch
from schemas.event import Event


def detector_costs(
    events: list[Event], batch_size: int, repeats: int
) -> tuple[int, float, dict[str, tuple[float, float]]]:
    """(batches, fastest CPU s of the whole set, per detector (score s, learn s) of that run)."""
    builder = BatchBuilder()
    batches: list[EventBatch] = [
        builder.build(events[i : i + batch_size]) for i in range(0, len(events), batch_size)
    ]
    clock = time.process_time
    best = float("inf")
    best_split: dict[str, tuple[float, float]] = {}
    for _ in range(repeats):
        detectors = registry.build()
        score = dict.fromkeys((d.name for d in detectors), 0.0)
        learn = dict(score)
        for batch in batches:
            batch.derived.clear()  # the shared per-batch work is part of what is timed
        began = clock()
        for batch in batches:
            hold = np.zeros(len(batch), dtype=np.bool_)
            for detector in detectors:
                t0 = clock()
                detector.score(batch, builder)
                score[detector.name] += clock() - t0
            for detector in detectors:
                t0 = clock()
                detector.learn(batch, hold)
                learn[detector.name] += clock() - t0
        elapsed = clock() - began
        if elapsed < best:
            best = elapsed
            best_split = {name: (score[name], learn[name]) for name in score}
    return len(batches), best, best_split


def print_table(
    title: str, events: int, batches: int, total: float, split: dict[str, tuple[float, float]]
) -> None:
    print(f"\n{title}: {events:,} events, {batches} batches, {total:.3f} CPU s in all, ", end="")
    print(f"{events / total:,.0f} events/s ({1e3 * total / batches:.2f} ms per batch)")
    print("| detector | score ms/batch | learn ms/batch | share |\n| --- | ---: | ---: | ---: |")
    for name, (scored, learned) in sorted(split.items(), key=lambda kv: -sum(kv[1])):
        share = 100 * (scored + learned) / total
        print(
            f"| `{name}` | {1e3 * scored / batches:.2f} | {1e3 * learned / batches:.2f} "
            f"| {share:.1f} % |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=8_192, help="events per batch")
    parser.add_argument("--repeat", type=int, default=3, help="fresh runs; the fastest kept")
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--stream", type=int, default=300_000, help="engine_phases' events")
    parser.add_argument("--only", choices=("throughput", "stream"))
    args = parser.parse_args()
    if args.only != "stream":
        from benchmarks.scenario import generate
        from benchmarks.throughput import parsed_events

        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch) / "scenario"
            generate(root, days=args.days, users=args.users)
            events = parsed_events([str(root)])
        batches, total, split = detector_costs(events, args.batch, args.repeat)
        print_table("throughput scenario", len(events), batches, total, split)
    if args.only != "throughput":
        from benchmarks.engine_scaling import stream

        events = stream(args.stream)
        batches, total, split = detector_costs(events, args.batch, args.repeat)
        print_table("engine_phases stream", len(events), batches, total, split)


if __name__ == "__main__":
    main()
