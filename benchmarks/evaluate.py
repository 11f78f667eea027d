"""Detection quality on generated scenarios: recall per threat family, page recall, false alerts
and false pages per 1000 user-days after the learning period, median time to detect.

    python -m benchmarks.evaluate [--seeds 7,8,9] [--days 28] [--users 60] [--verbose]
        [--learning-days 7] [--attacks a,b:N] [--breakdown] [--keep DIR] [--variant NAME,...]
        [--life extra]

Each seed is a different organisation and attack placement (``benchmarks.scenario``). An
incident (all versions of one ``incident_key``) *detects* an attack when its entity is one of
the attack's entities and its span overlaps the attack window (plus 24 h); an incident after the
learning period that detects nothing is a *false alert*; a false alert that reached severity
high or critical is a *false page*.

``--breakdown`` counts false alerts and false pages by detector (every detector that contributed
a factor), entity kind and normal-life category (the generator's benign episode whose evidence,
or else whose entities and span, the incident shares; ``untagged`` when none), and pages missed
by attack kind. ``--keep DIR`` leaves each seed's scenario and ``alerts.jsonl`` there.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from pipeline.config import VigilConfig, load_config
from pipeline.embedded import run_detect
from schemas.alert import SEVERITIES, Alert

SLACK = timedelta(hours=24)
PAGE = SEVERITIES.index("high")
KIND_KEYS = {"user": "users", "host": "hosts", "ip": "ips"}


@dataclass
class Incident:
    key: str
    entity: tuple[str, str]
    related: set[tuple[str, str]]
    first: datetime
    last: datetime
    raised: datetime  # event time of the evidence that opened it
    severity: int
    detector: str
    title: str
    detectors: set[str] = field(default_factory=set)
    evidence: set[str] = field(default_factory=set)


@dataclass
class Score:
    attacks: int = 0
    detected: int = 0
    paged: int = 0
    by_family: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    by_family_pages: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    ttd_hours: list[float] = field(default_factory=list)
    false_alerts: int = 0
    false_pages: int = 0
    user_days: float = 0.0
    missed: list[str] = field(default_factory=list)
    false_titles: list[str] = field(default_factory=list)
    # (detector, entity kind, normal-life category, paged) of every false alert
    false_rows: list[tuple[frozenset[str], str, str, bool]] = field(default_factory=list)
    # attack kind -> [detected, paged]
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))


def incidents(alerts: list[Alert]) -> list[Incident]:
    grouped: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        grouped[alert.incident_key].append(alert)
    result = []
    for key, versions in grouped.items():
        versions.sort(key=lambda a: a.version)
        latest = versions[-1]
        result.append(
            Incident(
                key=key,
                entity=(latest.entity.type, latest.entity.id),
                related={(r.type, r.id) for v in versions for r in v.related},
                first=latest.time,
                last=latest.last_seen,
                raised=versions[0].last_seen,
                severity=max(SEVERITIES.index(v.severity) for v in versions),
                detector=latest.detector,
                title=latest.title,
                detectors={f.detector for v in versions for f in v.explanation} | {latest.detector},
                evidence={e.id for v in versions for e in v.evidence},
            )
        )
    return result


def path_suffixes(evidence_id: str) -> list[str]:
    """A file evidence id (``PATH:LINE``) under every trailing part of its path.

    The reader names a syslog line by the path it was given (absolute in a run), the generator's
    truth by the path under its output directory: the two meet on a suffix.

    >>> path_suffixes("/tmp/run/seed-1/logs/linux/auth-2024-01-02.log:17")[-2:]
    ['linux/auth-2024-01-02.log:17', 'auth-2024-01-02.log:17']
    >>> path_suffixes("dc01:4242")
    ['dc01:4242']
    """
    path, colon, line = evidence_id.rpartition(":")
    if not colon or "/" not in path:
        return [evidence_id]
    parts = path.split("/")
    return [evidence_id] + [
        "/".join(parts[i:]) + ":" + line for i in range(1, len(parts)) if parts[i]
    ]


def normal_life_category(incident: Incident, episodes: list[dict[str, Any]]) -> str:
    """The benign episode an incident shares evidence with, else entity and time; or untagged."""
    evidence = {s for ident in incident.evidence for s in path_suffixes(ident)}
    for episode in episodes:
        if evidence & set(episode.get("evidence", [])):
            return str(episode["kind"])
    kind, ident = incident.entity
    for episode in episodes:
        if ident not in episode["entities"].get(KIND_KEYS[kind], []):
            continue
        if not episode.get("start"):
            return str(episode["kind"])  # routine without tagged events (admin_routine)
        start = datetime.fromisoformat(episode["start"]) - SLACK
        end = datetime.fromisoformat(episode["end"]) + SLACK
        if incident.first <= end and incident.last >= start:
            return str(episode["kind"])
    return "untagged"


def matches(incident: Incident, attack: dict[str, Any]) -> bool:
    start = datetime.fromisoformat(attack["start"])
    end = datetime.fromisoformat(attack["end"]) + SLACK
    if incident.last < start - timedelta(hours=1) or incident.first > end:
        return False
    entities = attack["entities"]
    kind, ident = incident.entity
    return ident in entities.get(KIND_KEYS[kind], [])


def score_run(truth: dict[str, Any], alerts: list[Alert], score: Score) -> None:
    found = incidents(alerts)
    learning_end = datetime.fromisoformat(truth["learning_end"])
    matched: set[str] = set()
    for attack in truth["attacks"]:
        hits = [i for i in found if matches(i, attack)]
        matched.update(i.key for i in hits)
        detected = bool(hits)
        paged = any(i.severity >= PAGE for i in hits)
        family = attack["family"]
        score.attacks += 1
        score.detected += detected
        score.paged += paged
        score.by_family[family].append(detected)
        score.by_family_pages[family].append(paged)
        counts = score.by_kind[attack["name"]]
        counts[0] += 1
        counts[1] += detected
        counts[2] += paged
        if detected:
            start = datetime.fromisoformat(attack["start"])
            raised = min(i.raised for i in hits)
            score.ttd_hours.append(max(0.0, (raised - start).total_seconds() / 3600))
        else:
            score.missed.append(f"{truth['seed']}:{attack['id']}")
    for incident in found:
        if incident.key in matched or incident.last < learning_end:
            continue
        score.false_alerts += 1
        score.false_pages += incident.severity >= PAGE
        score.false_titles.append(
            f"{truth['seed']} {SEVERITIES[incident.severity]:8} {incident.detector}: {incident.title}"
        )
        score.false_rows.append(
            (
                frozenset(incident.detectors),
                incident.entity[0],
                normal_life_category(incident, truth.get("normal_life", [])),
                incident.severity >= PAGE,
            )
        )
    days = truth["active_users"]
    score.user_days += sum(
        len(users)
        for day, users in days.items()
        if datetime.fromisoformat(day).date() >= learning_end.date()
    )


def run_seed(
    seed: int,
    days: int,
    users: int,
    config: VigilConfig,
    scratch: Path,
    *,
    attacks: list[str] | None = None,
    learning_days: int = 7,
    variant: list[str] | None = None,
    life: list[str] | None = None,
) -> tuple[dict[str, Any], list[Alert]]:
    from benchmarks.scenario import generate
    from benchmarks.scenario.variants import apply

    root = scratch / f"seed-{seed}"
    truth = generate(
        root,
        seed=seed,
        days=days,
        users=users,
        attacks=attacks,
        learning_days=learning_days,
        life=life or (),
    )
    if variant:
        apply(root / "logs", variant)  # the same events in other export shapes
    out = io.BytesIO()
    run_detect(
        [str(root / "logs")],
        tenant=truth.tenant,
        config=config,
        alerts_out=out,
        dead_letters=io.BytesIO(),
    )
    (root / "alerts.jsonl").write_bytes(out.getvalue())
    alerts = [msgspec.json.decode(line, type=Alert) for line in out.getvalue().splitlines()]
    document = msgspec.json.decode((root / "truth.json").read_bytes())
    return document, alerts


def load_seed(root: Path) -> tuple[dict[str, Any], list[Alert]]:
    """A kept seed's truth and alerts (``--keep DIR --rescore``)."""
    lines = (root / "alerts.jsonl").read_bytes().splitlines()
    alerts = [msgspec.json.decode(line, type=Alert) for line in lines]
    return msgspec.json.decode((root / "truth.json").read_bytes()), alerts


def breakdown(score: Score) -> None:
    """False alerts / pages per detector, entity kind and normal-life category; pages per kind."""

    def table(title: str, keyed: list[tuple[str, bool]]) -> None:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, paged in keyed:
            counts[key][0] += 1
            counts[key][1] += paged
        print(f"{title:34} false alerts  false pages")
        for key, (alerts, pages) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0])):
            print(f"  {key:32} {alerts:12d}  {pages:11d}")

    rows = score.false_rows
    table("by detector (contributing)", [(d, p) for ds, _, _, p in rows for d in sorted(ds)])
    table("by entity kind", [(k, p) for _, k, _, p in rows])
    table("by normal-life category", [(c, p) for _, _, c, p in rows])
    print(f"{'attack kind':34} attacks  detected  paged")
    for kind, (total, detected, paged) in sorted(score.by_kind.items()):
        print(f"  {kind:32} {total:7d}  {detected:8d}  {paged:5d}")


def report(score: Score, verbose: bool) -> None:
    def pct(values: list[bool]) -> str:
        return (
            f"{100 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})"
            if values
            else "n/a"
        )

    per_k = 1000 / score.user_days if score.user_days else 0.0
    print(f"{'metric':34} value")
    print(
        f"{'recall, all attacks':34} {pct([True] * score.detected + [False] * (score.attacks - score.detected))}"
    )
    for family in sorted(score.by_family):
        print(f"{'  recall, ' + family:34} {pct(score.by_family[family])}")
    print(
        f"{'page recall (severity >= high)':34} {pct([True] * score.paged + [False] * (score.attacks - score.paged))}"
    )
    print(
        f"{'false alerts / 1000 user-days':34} {score.false_alerts * per_k:6.1f} ({score.false_alerts} in {score.user_days:.0f} user-days)"
    )
    print(
        f"{'false pages / 1000 user-days':34} {score.false_pages * per_k:6.1f} ({score.false_pages})"
    )
    if score.ttd_hours:
        print(f"{'median time to detect':34} {statistics.median(score.ttd_hours):6.2f} h")
    if score.missed:
        print("missed: " + ", ".join(score.missed))
    if verbose:
        for title in score.false_titles:
            print("  FA " + title[:220])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="7,8,9")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--config", help="TOML configuration to evaluate")
    parser.add_argument("--learning-days", type=int, default=7)
    parser.add_argument(
        "--attacks", help="comma-separated attack names (name:N for N instances); default all"
    )
    parser.add_argument("--verbose", action="store_true", help="list the false alerts")
    parser.add_argument(
        "--breakdown", action="store_true", help="false alerts by detector/kind/category"
    )
    parser.add_argument(
        "--variant",
        help="re-render the logs in other export shapes first (benchmarks/scenario/variants.py),"
        " e.g. winlogbeat,journald,eventbridge",
    )
    parser.add_argument(
        "--life",
        help="add normal life the default never shows (benchmarks/scenario/more_life.py): "
        "extra (every behaviour), life19 (round 19, benchmarks/scenario/life19.py), life20 "
        "(round 20, benchmarks/scenario/life20.py), life22 (round 22, benchmarks/scenario/life22.py), "
        "life23 (round 23, benchmarks/scenario/life23.py), life24 (round 24, "
        "benchmarks/scenario/life24.py), life25 (round 25, benchmarks/scenario/life25.py), life26 "
        "(round 26, benchmarks/scenario/life26.py)"
        " or behaviour names, comma-separated",
    )
    parser.add_argument("--keep", help="keep scenarios and alerts.jsonl under this directory")
    parser.add_argument(
        "--rescore", action="store_true", help="score what --keep DIR holds, without running"
    )
    args = parser.parse_args()
    if args.rescore and not args.keep:
        parser.error("--rescore needs --keep DIR")
    if args.variant:
        from benchmarks.scenario.variants import FILE_CHANGES, VARIANTS

        unknown = [
            n for n in args.variant.split(",") if n not in VARIANTS and n not in FILE_CHANGES
        ]
        if unknown:
            parser.error(
                f"unknown --variant {','.join(unknown)}; known: {', '.join(VARIANTS)}, "
                f"{', '.join(FILE_CHANGES)}"
            )
    if args.life:
        from benchmarks.scenario.more_life import expand

        try:
            expand(args.life.split(","))
        except ValueError as error:
            parser.error(str(error))
    config = load_config(args.config)
    attacks = args.attacks.split(",") if args.attacks else None
    score = Score()
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(args.keep) if args.keep else Path(scratch)
        for seed in (int(s) for s in args.seeds.split(",")):
            if args.rescore:
                truth, alerts = load_seed(where / f"seed-{seed}")
                score_run(truth, alerts, score)
                continue
            truth, alerts = run_seed(
                seed,
                args.days,
                args.users,
                config,
                where,
                attacks=attacks,
                learning_days=args.learning_days,
                variant=args.variant.split(",") if args.variant else None,
                life=args.life.split(",") if args.life else None,
            )
            score_run(truth, alerts, score)
    report(score, args.verbose)
    if args.breakdown:
        breakdown(score)


if __name__ == "__main__":
    main()
