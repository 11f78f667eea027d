"""Compare risk-layer settings on the same detector output: run the detectors once per seed,
then replay their signals through one fresh risk layer per variant and score each.

    python -m benchmarks.risk_sweep --seeds 47,48 --users 150 --days 35 \
        --variant base: --variant burst=burst_weight=0.5

A variant is ``NAME=key=value,key=value`` (RiskConfig fields); ``NAME:`` is the default
configuration. Only what the risk layer decides can differ between variants (detectors see the
same events either way), so this is how scoring changes are compared without re-running the
detectors: about one detector run per seed instead of one per seed and variant.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.evaluate import Score, report, score_run
from detectors.base import Signals
from detectors.batch import BatchBuilder, EventBatch
from detectors.risk import RiskConfig, RiskLayer
from pipeline.config import load_config
from pipeline.embedded import run_detect
from schemas.alert import Alert


def parse_variant(text: str, base: RiskConfig) -> tuple[str, RiskConfig]:
    name, _, body = text.partition("=") if "=" in text.split(":")[0] else text.partition(":")
    changes: dict[str, Any] = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition("=")
        current = getattr(base, key)
        changes[key] = type(current)(value) if not isinstance(current, bool) else value == "true"
    return name, dataclasses.replace(base, **changes)


def capture(
    seed: int, args: argparse.Namespace, scratch: Path
) -> tuple[dict[str, Any], list[tuple[list[Signals], EventBatch]], BatchBuilder]:
    from benchmarks.scenario import generate

    root = scratch / f"seed-{seed}"
    truth = generate(
        root,
        seed=seed,
        days=args.days,
        users=args.users,
        attacks=args.attacks.split(",") if args.attacks else None,
        learning_days=args.learning_days,
    )
    recorded: list[tuple[list[Signals], EventBatch]] = []
    builders: list[BatchBuilder] = []
    original = RiskLayer.update

    def record(
        self: RiskLayer, all_signals: list[Signals], batch: EventBatch, builder: BatchBuilder
    ) -> list[Alert]:
        recorded.append((all_signals, batch))
        builders[:] = [builder]
        return original(self, all_signals, batch, builder)

    RiskLayer.update = record  # type: ignore[method-assign]
    try:
        run_detect(
            [str(root / "logs")],
            tenant=truth.tenant,
            config=load_config(args.config),
            alerts_out=io.BytesIO(),
            dead_letters=io.BytesIO(),
        )
    finally:
        RiskLayer.update = original  # type: ignore[method-assign]
    document = msgspec.json.decode((root / "truth.json").read_bytes())
    return document, recorded, builders[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="7,8,9")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--learning-days", type=int, default=7)
    parser.add_argument("--attacks")
    parser.add_argument("--config")
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    base = load_config(args.config).risk or RiskConfig()
    variants = [parse_variant(v, base) for v in (args.variant or ["base:"])]
    scores = {name: Score() for name, _ in variants}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in (int(s) for s in args.seeds.split(",")):
            truth, recorded, builder = capture(seed, args, Path(scratch))
            for name, config in variants:
                layer = RiskLayer(config)
                emitted: list[Alert] = []
                for all_signals, batch in recorded:
                    emitted.extend(layer.update(all_signals, batch, builder))
                score_run(truth, emitted, scores[name])
    for name, _ in variants:
        print(f"=== {name}")
        report(scores[name], args.verbose)
        if args.breakdown:
            from benchmarks.evaluate import breakdown

            breakdown(scores[name])


if __name__ == "__main__":
    main()
