"""Generate a labelled scenario: ``python -m benchmarks.scenario OUT_DIR [options]``.

Options: ``--seed N --days N --users N --learning-days N --tenant NAME --attacks a,b --gzip``.

Writes ``OUT_DIR/logs/{windows,linux,cloudtrail}/...`` and ``OUT_DIR/truth.json`` and prints a
one-line summary. Point Vigil at ``OUT_DIR/logs`` (truth.json is not a log).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.scenario.attacks import ATTACKS, THREATS
from benchmarks.scenario.generator import generate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scenario", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--learning-days", type=int, default=7)
    parser.add_argument("--tenant", default="acme")
    parser.add_argument(
        "--attacks",
        default=None,
        help="comma-separated attack names (name:N for N instances, 'none' for none); default "
        "'all', the first catalogue: "
        + ", ".join(ATTACKS)
        + "; 'new', the threat-list kinds (opt-in): "
        + ", ".join(THREATS)
        + "; 'every' for both",
    )
    parser.add_argument("--gzip", action="store_true", help="write .gz files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    attacks: list[str] | None = None
    if args.attacks is not None:
        attacks = [] if args.attacks.strip() in ("", "none") else args.attacks.split(",")
    started = time.perf_counter()
    try:
        truth = generate(
            args.out_dir,
            seed=args.seed,
            days=args.days,
            users=args.users,
            attacks=attacks,
            tenant=args.tenant,
            learning_days=args.learning_days,
            gzip=args.gzip,
        )
    except ValueError as exc:
        print(f"scenario: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    per_format = ", ".join(f"{name} {count}" for name, count in truth.events.items())
    names = ",".join(a.name for a in truth.attacks) or "none"
    print(
        f"scenario seed={truth.seed}: {len(truth.files)} files in {args.out_dir / 'logs'} "
        f"({per_format} events; {sum(truth.events.values())} total), "
        f"{len(truth.attacks)} attacks [{names}], {len(truth.normal_life)} normal-life episodes, "
        f"{truth.user_days} user-days, {elapsed:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
