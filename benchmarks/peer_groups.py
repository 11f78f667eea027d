"""Peer groups by clustering vs the tenant as the peer group, for "a user reaches a new host".

Vigil's prior for a new or sparse entity is the whole tenant: a host that ``popular_entities``
(3) other users of the tenant already reach is not news (``lateral_new_host``; the same rule
discounts networks, clients, API names). The issue suggests peer groups of users who behave
alike, learned periodically with scikit-learn clustering. This benchmark measures, on the
generated scenarios' first contacts after the learning period (the first time a user reaches a
host: a logon, share access or remote execution with a destination), what each prior lets
through:

- ``none``: every first contact is flagged;
- ``tenant >= N``: flagged unless N other users of the tenant reached the host before;
- ``cluster >= N``: flagged unless N users of the user's own cluster reached it before (KMeans
  on the users' host-access profiles, TF-IDF weighted, refitted every day on the history so
  far; k = users / 8);
- ``tenant or cluster``: discounted by either.

A first contact is an *attack contact* when its user is one of an attack's users and it falls in
the attack's window (1 h before to 24 h after); the others are benign. The table gives, per
rule, attack contacts flagged, attacks with at least one contact flagged, and benign contacts
flagged per 1000 user-days (what would become noise before the risk layer).

    python -m benchmarks.peer_groups [--seeds 7,8,9,10] [--days 28] [--users 60]
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from benchmarks.evaluate import SLACK
from schemas.event import Action, Event, Outcome
from schemas.readers import InputReader

REACH = {Action.LOGON, Action.SHARE_ACCESS, Action.REMOTE_EXEC}
DAY = 86_400


@dataclass(frozen=True)
class Contact:
    user: str
    host: str
    time: datetime
    tenant_peers: int  # other users who reached the host before
    cluster_peers: int  # users of the same cluster who reached it before
    attack: str  # attack id, or "" when benign


def first_contacts(
    events: list[Event], truth: dict[str, Any], users_per_cluster: int
) -> list[Contact]:
    """Every post-learning first (user, host) contact with its tenant and cluster peer counts."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfTransformer

    learning_end = datetime.fromisoformat(truth["learning_end"])
    attacks = [
        (
            set(a["entities"].get("users", [])),
            datetime.fromisoformat(a["start"]) - timedelta(hours=1),
            datetime.fromisoformat(a["end"]) + SLACK,
            str(a["id"]),
        )
        for a in truth["attacks"]
    ]
    reached: dict[str, set[str]] = defaultdict(set)  # host -> users who reached it
    profile: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cluster_of: dict[str, int] = {}
    fitted_day = -1
    contacts: list[Contact] = []
    reach = sorted(
        (e for e in events if e.action in REACH and e.outcome is Outcome.SUCCESS),
        key=lambda e: e.time,
    )
    for event in reach:
        user, host = event.user, event.dst_host
        if not user or not host:
            continue
        day = int(event.time.timestamp()) // DAY
        if event.time >= learning_end and day != fitted_day:
            cluster_of = fit_clusters(profile, users_per_cluster, KMeans, TfidfTransformer)
            fitted_day = day
        if event.time >= learning_end and user not in reached[host]:
            mine = cluster_of.get(user)
            contacts.append(
                Contact(
                    user=user,
                    host=host,
                    time=event.time,
                    tenant_peers=len(reached[host]),
                    cluster_peers=sum(
                        1
                        for other in reached[host]
                        if mine is not None and cluster_of.get(other) == mine
                    ),
                    attack=next(
                        (
                            aid
                            for users, start, end, aid in attacks
                            if user in users and start <= event.time <= end
                        ),
                        "",
                    ),
                )
            )
        reached[host].add(user)
        profile[user][host] += 1
    return contacts


def fit_clusters(
    profile: dict[str, dict[str, int]], users_per_cluster: int, kmeans: Any, tfidf: Any
) -> dict[str, int]:
    """KMeans over TF-IDF weighted user x host access counts (deterministic seed)."""
    users = sorted(profile)
    hosts = sorted({h for counts in profile.values() for h in counts})
    if len(users) < 4 or not hosts:
        return {}
    column = {h: i for i, h in enumerate(hosts)}
    matrix = np.zeros((len(users), len(hosts)))
    for row, user in enumerate(users):
        for host, count in profile[user].items():
            matrix[row, column[host]] = np.log1p(count)
    weighted = tfidf().fit_transform(matrix).toarray()
    k = max(2, min(len(users) - 1, len(users) // users_per_cluster))
    labels = kmeans(n_clusters=k, n_init=4, random_state=42).fit_predict(weighted)
    return {user: int(label) for user, label in zip(users, labels, strict=True)}


def user_days(truth: dict[str, Any]) -> float:
    learning_end = datetime.fromisoformat(truth["learning_end"]).date()
    return float(
        sum(
            len(u)
            for day, u in truth["active_users"].items()
            if datetime.fromisoformat(day).date() >= learning_end
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="7,8,9,10")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--users-per-cluster", type=int, default=8)
    args = parser.parse_args()
    from benchmarks.scenario import generate

    contacts: list[Contact] = []
    days = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for seed in (int(s) for s in args.seeds.split(",")):
            root = Path(scratch) / f"seed-{seed}"
            generate(root, seed=seed, days=args.days, users=args.users)
            truth = msgspec.json.decode((root / "truth.json").read_bytes())
            reader = InputReader(tenant=truth["tenant"], sink=lambda letter: None)
            found = first_contacts(
                list(reader.read_paths([str(root / "logs")])), truth, args.users_per_cluster
            )
            contacts += [replace(c, attack=f"{seed}:{c.attack}" if c.attack else "") for c in found]
            days += user_days(truth)
    rules: dict[str, Any] = {"none": lambda c: True}
    for n in (1, 2, 3, 5, 8):
        rules[f"tenant >= {n}"] = lambda c, n=n: c.tenant_peers < n
    for n in (1, 2, 3):
        rules[f"cluster >= {n}"] = lambda c, n=n: c.cluster_peers < n
    rules["tenant >= 3 or cluster >= 1"] = lambda c: c.tenant_peers < 3 and c.cluster_peers < 1
    rules["tenant >= 5 or cluster >= 2"] = lambda c: c.tenant_peers < 5 and c.cluster_peers < 2
    attack_contacts = [c for c in contacts if c.attack]
    attacks_with_reach = {c.attack for c in attack_contacts}
    benign = [c for c in contacts if not c.attack]
    print(
        f"{len(contacts)} first contacts after learning ({len(attack_contacts)} in attacks, "
        f"{len(attacks_with_reach)} attacks reach a host), {days:.0f} user-days"
    )
    print(
        f"{'rule (flag unless ...)':30} {'attack contacts':>16} {'attacks':>8} {'benign / 1000 user-days':>24}"
    )
    for name, flag in rules.items():
        hit = [c for c in attack_contacts if flag(c)]
        noise = sum(1 for c in benign if flag(c))
        print(
            f"{name:30} {len(hit):>7d} / {len(attack_contacts):<7d} "
            f"{len({c.attack for c in hit}):>4d}/{len(attacks_with_reach):<3d} "
            f"{1000 * noise / days:>15.1f} ({noise})"
        )


if __name__ == "__main__":
    main()
