"""Learned state per user, broken down by detector and table (what ``Engine.state_bytes`` adds up).

    python -m benchmarks.state_size [--days 21] [--users 60] [--seed 7] [--input DIR] [--top 40]

Runs the engine over a generated scenario (or ``--input`` logs) in batches of 8,192 events, as
``benchmarks.throughput`` does, then prints every state array with its dtype, length and
bytes per user, largest first (the ``--top`` largest; 0: all), and per-detector totals. Bytes only count numpy arrays (the
vocabularies of names are shared by all detectors and are not in ``state_bytes``).
The second line is the in-memory counterpart: every numpy array the detectors hold, at the
width they compute with and with each table's growth room (``held_bytes``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from detectors.engine import Engine
from schemas.event import Event
from schemas.readers import InputReader


def learned_engine(paths: list[str], batch: int = 8192) -> Engine:
    reader = InputReader(tenant="bench", sink=lambda letter: None)
    events: list[Event] = list(reader.read_paths(paths))
    engine = Engine()
    for i in range(0, len(events), batch):
        engine.process(events[i : i + batch])
    return engine


def breakdown(engine: Engine) -> list[tuple[str, str, str, int, int]]:
    """(detector, table, dtype, entries, bytes) for every state array."""
    rows = []
    for detector in engine.detectors:
        for name, array in detector.state().items():
            a = np.asarray(array)
            rows.append((detector.name, name, str(a.dtype), int(a.size), int(a.nbytes)))
    return rows


def held_bytes(root: object) -> int:
    """Bytes of every numpy array reachable from ``root`` (attributes, dicts, lists, tuples),
    each array once: what a running engine holds, at the width it computes with, growth room of
    each table included (``state()`` saves some arrays narrower). Python ints, strings and dict
    overhead are not counted."""
    seen: set[int] = set()
    total = 0
    stack: list[object] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            # a view's bytes belong to its base array, counted once through it (an array over
            # a foreign buffer, e.g. np.frombuffer, owns its bytes as far as we can tell)
            if isinstance(item.base, np.ndarray):
                stack.append(item.base)
            else:
                total += item.nbytes
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__") or hasattr(item, "__slots__"):
            stack.extend(vars(item).values() if hasattr(item, "__dict__") else [])
            for slot in getattr(type(item), "__slots__", ()):
                if hasattr(item, slot):
                    stack.append(getattr(item, slot))
    return total


def report(engine: Engine, top: int) -> str:
    users = max(len(engine.builder.vocab["user"]), 1)
    rows = breakdown(engine)
    total = sum(r[4] for r in rows)
    lines = [f"learned state: {total:,} bytes for {users:,} users = {total / users:,.0f} B/user"]
    held = held_bytes(engine.detectors)  # one walk: tables detectors share count once
    lines.append(
        f"arrays the detectors hold in memory: {held:,} bytes = {held / users:,.0f} B/user "
        "(at the widths they compute with, growth room included; the line above is the saved form)"
    )
    per_detector: dict[str, int] = {}
    for name, _, _, _, nbytes in rows:
        per_detector[name] = per_detector.get(name, 0) + nbytes
    lines.append("per detector (B/user):")
    for name, nbytes in sorted(per_detector.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:28} {nbytes / users:8.1f}")
    lines.append(f"largest tables (of {len(rows)}):")
    lines.append(f"  {'detector':28} {'table':28} {'dtype':>8} {'entries':>9} {'B/user':>8}")
    # (--top 0: every table)
    for name, table, dtype, entries, nbytes in sorted(rows, key=lambda r: -r[4])[: top or None]:
        lines.append(f"  {name:28} {table:28} {dtype:>8} {entries:>9,} {nbytes / users:8.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", help="directory of logs (default: generate a scenario)")
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.input:
            root = Path(args.input)
        else:
            from benchmarks.scenario import generate

            root = Path(scratch) / "scenario"
            generate(root, seed=args.seed, days=args.days, users=args.users)
        print(report(learned_engine([str(root)]), args.top))


if __name__ == "__main__":
    main()
