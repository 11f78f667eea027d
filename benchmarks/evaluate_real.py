"""Detection on the real Security-Datasets captures: which labelled attacker users and target
hosts each capture alerts on (LABELS.json in ../shared/data/security-datasets).

    python -m benchmarks.evaluate_real [--data ../shared/data]

Each capture is a few minutes of a lab with one attack, so there is no history: per-entity
learning periods mean novelty detectors stay quiet here, and what fires are artefact and
rule-strength signals. Every capture runs in a fresh engine (no state shared between files).
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from pipeline.config import VigilConfig
from pipeline.embedded import run_detect
from schemas.alert import Alert
from schemas.normalise import normalise_host, normalise_user

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class CaptureResult:
    file: str
    family: str
    incidents: int
    attacker_hit: bool
    target_hit: bool
    other_entities: list[str]


def entities_of(alert: Alert) -> set[tuple[str, str]]:
    refs = {(alert.entity.type, alert.entity.id)}
    refs.update((r.type, r.id) for r in alert.related)
    return refs


def evaluate_capture(root: Path, entry: dict[str, object]) -> CaptureResult:
    if "file" in entry:
        paths = [str(root / str(entry["file"]))]
        name = Path(str(entry["file"])).name
    else:  # a compound scenario spread over several files, replayed together
        files = [f for f in _list(entry.get("files")) if isinstance(f, dict)]
        paths = [str(root / str(f["file"])) for f in files]
        name = str(entry.get("compound", entry.get("metadata_id", "compound")))
    out = io.BytesIO()
    run_detect(
        paths,
        tenant="lab",
        config=VigilConfig(),
        alerts_out=out,
        dead_letters=io.BytesIO(),
    )
    alerts = [msgspec.json.decode(line, type=Alert) for line in out.getvalue().splitlines()]
    latest: dict[str, Alert] = {}
    for alert in alerts:
        latest[alert.incident_key] = alert
    attackers = {
        normalise_user(str(u))
        for key in ("attacker_users", "attacker_principals")
        for u in _list(entry.get(key))
    }
    targets = {normalise_host(str(h)) for h in _list(entry.get("target_hosts"))}
    attacker_hit = target_hit = False
    others: set[str] = set()
    for alert in latest.values():
        refs = entities_of(alert)
        hit_user = any(kind == "user" and ident in attackers for kind, ident in refs)
        hit_host = any(kind == "host" and ident in targets for kind, ident in refs)
        attacker_hit |= hit_user
        target_hit |= hit_host
        if not (hit_user or hit_host):
            others.add(f"{alert.entity.type}:{alert.entity.id}")
    return CaptureResult(
        file=name,
        family=str(entry.get("family", "")),
        incidents=len(latest),
        attacker_hit=attacker_hit,
        target_hit=target_hit,
        other_entities=sorted(others),
    )


def _list(value: object) -> Iterable[object]:
    return value if isinstance(value, list) else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    labels = json.loads((args.data / "security-datasets" / "LABELS.json").read_text())
    results = [evaluate_capture(args.data, entry) for entry in labels["datasets"]]
    print(f"{'capture':58} {'family':18} {'inc':>4} {'attacker':>8} {'target':>6}  other")
    for r in results:
        print(
            f"{r.file[:58]:58} {r.family:18} {r.incidents:>4} {'yes' if r.attacker_hit else '-':>8}"
            f" {'yes' if r.target_hit else '-':>6}  {', '.join(r.other_entities)[:60]}"
        )
    detected = sum(r.attacker_hit or r.target_hit for r in results)
    print(f"\n{detected}/{len(results)} captures alert on a labelled attacker user or target host")
    by_family: dict[str, list[CaptureResult]] = {}
    for r in results:
        by_family.setdefault(r.family, []).append(r)
    for family, group in sorted(by_family.items()):
        hits = sum(r.attacker_hit or r.target_hit for r in group)
        print(f"  {family:20} {hits}/{len(group)}")


if __name__ == "__main__":
    main()
