"""Do River and scikit-learn earn a place in the engine? Catch-all learners on the quality scenarios.

The issue suggests a catch-all: an anomaly model (River HalfSpaceTrees) on per-entity-hour
feature vectors. This benchmark builds those vectors from the same generated scenarios that
``benchmarks.evaluate`` scores, runs two learners on them, and scores their alerts the way
Vigil's incidents are scored (same truth, same matching, same learning period):

- River: ``MinMaxScaler | HalfSpaceTrees`` over every user-hour, online (score, then learn);
- scikit-learn: ``IsolationForest`` refitted every day on all earlier user-hours (batch).

A flagged user-hour is an alert on that user; flagged hours of one user less than 24 h apart
are one incident (as Vigil folds evidence into an open incident). Each learner is run at
several flag rates (the share of post-learning user-hours it flags), and the figures that
matter for the engine are printed beside Vigil's: recall, false alerts per 1000 user-days, and
what the learner would *add* to Vigil (attacks only it catches, its false alerts that Vigil
does not already raise on the same user and day).

    python -m benchmarks.learners [--seeds 7,8,9,10] [--days 28] [--users 60]
        [--learning-days 7] [--attacks a,b:N] [--rates 0.001,0.005,0.02]

Features of a user-hour: events, failures, successful logons, distinct source networks and how
many were new to the user, distinct hosts reached and how many were new, privileged events,
group/account/policy changes, remote executions, deletions, API calls and new API names, hour of
day (sine, cosine) and weekend. "New" is against the user's own history before that hour.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.evaluate import SLACK, Score, incidents, matches, report, run_seed, score_run
from pipeline.config import VigilConfig
from schemas.alert import Alert, EntityRef
from schemas.event import Action, Event, Outcome
from schemas.normalise import network_of
from schemas.readers import InputReader

HOUR = 3600
FEATURES = (
    "events",
    "failures",
    "logons",
    "networks",
    "new_networks",
    "hosts",
    "new_hosts",
    "privileged",
    "changes",
    "remote_exec",
    "deletes",
    "api_calls",
    "new_apis",
    "hour_sin",
    "hour_cos",
    "weekend",
)
CHANGES = {Action.GROUP_CHANGE, Action.ACCOUNT_CHANGE, Action.POLICY_CHANGE, Action.LOG_CLEARED}


@dataclass
class UserHours:
    """Per-(user, hour) feature rows in time order, with their users and hour starts."""

    users: list[str] = field(default_factory=list)
    hours: list[int] = field(default_factory=list)
    rows: list[list[float]] = field(default_factory=list)


def user_hours(events: Iterable[Event]) -> UserHours:
    """Feature vectors per user-hour; novelty is against the user's history before the hour."""
    buckets: dict[tuple[int, str], list[Event]] = defaultdict(list)
    for event in events:
        if event.user:
            buckets[(int(event.time.timestamp()) // HOUR, event.user)].append(event)
    seen_nets: dict[str, set[str]] = defaultdict(set)
    seen_hosts: dict[str, set[str]] = defaultdict(set)
    seen_apis: dict[str, set[str]] = defaultdict(set)
    out = UserHours()
    for hour, user in sorted(buckets):
        rows = buckets[(hour, user)]
        nets = {n for n in (network_of(e.src_ip) for e in rows) if n}
        hosts = {e.dst_host for e in rows if e.dst_host}
        apis = {e.object for e in rows if e.action is Action.API_CALL and e.object}
        at = datetime.fromtimestamp(hour * HOUR, UTC)
        angle = 2 * math.pi * at.hour / 24
        out.users.append(user)
        out.hours.append(hour)
        out.rows.append(
            [
                math.log1p(len(rows)),
                math.log1p(sum(e.outcome is Outcome.FAILURE for e in rows)),
                math.log1p(
                    sum(e.action is Action.LOGON and e.outcome is Outcome.SUCCESS for e in rows)
                ),
                float(len(nets)),
                float(len(nets - seen_nets[user])),
                math.log1p(len(hosts)),
                math.log1p(len(hosts - seen_hosts[user])),
                math.log1p(sum(e.privileged for e in rows)),
                math.log1p(sum(e.action in CHANGES for e in rows)),
                math.log1p(sum(e.action is Action.REMOTE_EXEC for e in rows)),
                math.log1p(sum(e.action is Action.DELETE for e in rows)),
                math.log1p(sum(e.action is Action.API_CALL for e in rows)),
                float(len(apis - seen_apis[user])),
                math.sin(angle),
                math.cos(angle),
                float(at.weekday() >= 5),
            ]
        )
        seen_nets[user] |= nets
        seen_hosts[user] |= hosts
        seen_apis[user] |= apis
    return out


def river_scores(data: UserHours) -> np.ndarray:
    """Online HalfSpaceTrees over every user-hour: each row is scored before it is learned."""
    from river import anomaly, compose, preprocessing

    model = compose.Pipeline(
        preprocessing.MinMaxScaler(),
        anomaly.HalfSpaceTrees(n_trees=25, height=12, window_size=250, seed=42),
    )
    scores = np.empty(len(data.rows))
    for index, row in enumerate(data.rows):
        x = dict(zip(FEATURES, row, strict=True))
        scores[index] = model.score_one(x)
        model.learn_one(x)
    return scores


def isolation_forest_scores(data: UserHours, learning_end: int) -> np.ndarray:
    """IsolationForest refitted each day on all earlier user-hours; scores the next day's rows."""
    from sklearn.ensemble import IsolationForest

    hours = np.asarray(data.hours)
    matrix = np.asarray(data.rows)
    scores = np.zeros(len(hours))
    days = hours // 24
    for day in np.unique(days[hours >= learning_end]):
        train = matrix[days < day]
        rows = days == day
        if len(train) < 100 or not rows.any():
            continue
        forest = IsolationForest(n_estimators=100, random_state=42).fit(train)
        scores[rows] = -forest.score_samples(matrix[rows])  # higher = more anomalous
    return scores


def learner_alerts(
    data: UserHours, scores: np.ndarray, learning_end: int, rate: float, tenant: str
) -> list[Alert]:
    """Alerts for the top ``rate`` share of post-learning user-hours, one incident per burst."""
    hours = np.asarray(data.hours)
    after = hours >= learning_end
    if not after.any():
        return []
    bar = float(np.quantile(scores[after], 1.0 - rate))
    flagged = np.flatnonzero(after & (scores >= bar) & (scores > 0))
    # user -> (incident key, first hour start, last hour end)
    open_incident: dict[str, tuple[str, datetime, datetime]] = {}
    alerts: list[Alert] = []
    for index in flagged:
        user, hour = data.users[index], int(hours[index])
        start = datetime.fromtimestamp(hour * HOUR, UTC)
        end = start + timedelta(hours=1)
        key, first, last = open_incident.get(user, ("", start, start - 2 * SLACK))
        if start - last > SLACK:
            key, first = f"{user}-{hour}", start
        open_incident[user] = (key, first, end)
        alerts.append(make_alert(tenant, user, key, first, start, end, float(scores[index])))
    return alerts


def make_alert(
    tenant: str, user: str, key: str, first: datetime, start: datetime, end: datetime, score: float
) -> Alert:
    """One version of a learner incident: ``first`` opened it, the hour ``start`` extends it."""
    return Alert(
        id=f"{key}-{int(start.timestamp())}",
        incident_key=key,
        tenant=tenant,
        time=first,
        last_seen=end,
        detector="catch_all",
        severity="medium",
        score=min(100.0, max(0.0, 100 * score)),
        entity=EntityRef(type="user", id=user),
        title=f"user-hour anomaly score {score:.3f}",
        version=int(start.timestamp()) // HOUR,
    )


def vigil_days(alerts: list[Alert]) -> set[tuple[str, str]]:
    """(user, day) pairs on which Vigil raised or updated an incident."""
    return {
        (a.entity.id, day.date().isoformat())
        for a in alerts
        if a.entity.type == "user"
        for day in (a.time, a.last_seen)
    }


def new_false_alerts(
    truth: dict[str, Any], flagged: list[Alert], known: set[tuple[str, str]]
) -> int:
    """Learner incidents after the learning period that match no attack and fall on user-days
    where Vigil raised nothing: the false alerts the learner would add to Vigil's."""
    learning_end = datetime.fromisoformat(truth["learning_end"])
    count = 0
    for incident in incidents(flagged):
        if incident.last < learning_end or any(matches(incident, a) for a in truth["attacks"]):
            continue
        user = incident.entity[1]
        days = {incident.first.date().isoformat(), incident.last.date().isoformat()}
        count += not any((user, day) in known for day in days)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="7,8,9,10")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--learning-days", type=int, default=7)
    parser.add_argument("--attacks", help="as benchmarks.evaluate --attacks")
    parser.add_argument("--rates", default="0.001,0.005,0.02")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]

    vigil = Score()
    learners: dict[str, Score] = defaultdict(Score)
    added: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # attacks only it catches, new FAs
    hours_flagged: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as scratch:
        for seed in seeds:
            truth, alerts = run_seed(
                seed,
                args.days,
                args.users,
                VigilConfig(),
                Path(scratch),
                attacks=args.attacks.split(",") if args.attacks else None,
                learning_days=args.learning_days,
            )
            before = len(vigil.missed)
            score_run(truth, alerts, vigil)
            missed_by_vigil = set(vigil.missed[before:])
            reader = InputReader(tenant=truth["tenant"], sink=lambda letter: None)
            events = reader.read_paths([str(Path(scratch) / f"seed-{seed}" / "logs")])
            data = user_hours(events)
            learning_end = int(datetime.fromisoformat(truth["learning_end"]).timestamp()) // HOUR
            known = vigil_days(alerts)
            for name, scores in (
                ("river HalfSpaceTrees", river_scores(data)),
                ("sklearn IsolationForest", isolation_forest_scores(data, learning_end)),
            ):
                for rate in rates:
                    label = f"{name} @ {rate:.1%} of user-hours"
                    flagged = learner_alerts(data, scores, learning_end, rate, truth["tenant"])
                    hours_flagged[label] += len(flagged)
                    before = len(learners[label].missed)
                    score_run(truth, flagged, learners[label])
                    own_missed = set(learners[label].missed[before:])
                    added[label][0] += len(missed_by_vigil - own_missed)
                    added[label][1] += new_false_alerts(truth, flagged, known)
    print(f"== Vigil ({len(seeds)} seeds: {args.seeds})")
    report(vigil, verbose=False)
    for label, score in learners.items():
        print(f"\n== {label}: {hours_flagged[label]} user-hours flagged")
        report(score, verbose=False)
    per_k = 1000 / vigil.user_days if vigil.user_days else 0.0
    print(
        f"\n{'summary':44} {'recall':>8} {'FA/1000':>8} {'adds: attacks':>14} {'adds: FA/1000':>14}"
    )
    print(
        f"{'Vigil':44} {vigil.detected:>4d}/{vigil.attacks:<3d} "
        f"{vigil.false_alerts * per_k:>8.1f} {'':>14} {'':>14}"
    )
    for label, score in learners.items():
        print(
            f"{label:44} {score.detected:>4d}/{score.attacks:<3d} "
            f"{score.false_alerts * per_k:>8.1f} {added[label][0]:>14d} "
            f"{added[label][1] * per_k:>14.1f}"
        )


if __name__ == "__main__":
    main()
