"""The catch-all learner and peer-group benchmarks count what they claim to count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from benchmarks.evaluate import incidents
from benchmarks.learners import FEATURES, learner_alerts, user_hours
from benchmarks.peer_groups import first_contacts
from schemas.event import Action, Event

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)


def logon(hours: float, user: str, ip: str = "10.0.0.5", host: str = "srv1") -> Event:
    return Event(
        time=T0 + timedelta(hours=hours),
        tenant="t",
        source_format="x",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=host,
    )


def test_user_hour_novelty_is_against_the_users_own_earlier_hours() -> None:
    events = [
        logon(0, "alice"),
        logon(0.5, "alice"),
        logon(1, "alice"),  # same network, next hour: not new
        logon(2, "alice", ip="192.0.2.7"),  # a new network
        logon(2, "bob"),  # alice's network is new to bob
    ]
    data = user_hours(events)
    new = FEATURES.index("new_networks")
    rows = {
        (u, h - data.hours[0]): r for u, h, r in zip(data.users, data.hours, data.rows, strict=True)
    }
    assert rows[("alice", 0)][new] == 1.0
    assert rows[("alice", 1)][new] == 0.0
    assert rows[("alice", 2)][new] == 1.0
    assert rows[("bob", 2)][new] == 1.0
    assert rows[("alice", 0)][FEATURES.index("events")] == pytest.approx(np.log(3))


def test_flagged_hours_of_one_user_within_a_day_are_one_incident() -> None:
    events = [logon(h, "alice") for h in (0, 5, 40)] + [logon(h, "bob") for h in range(0, 48, 4)]
    data = user_hours(events)
    scores = np.array([1.0 if u == "alice" else 0.1 for u in data.users])
    alerts = learner_alerts(data, scores, data.hours[0], rate=0.2, tenant="t")
    found = incidents(alerts)
    assert sorted((i.entity[1], i.first - T0) for i in found) == [
        ("alice", timedelta(0)),
        ("alice", timedelta(hours=40)),
    ]
    assert all(i.last - i.first <= timedelta(hours=6) for i in found)


def test_first_contacts_count_tenant_and_cluster_peers_before_the_contact() -> None:
    events = [logon(h, u, host="srv1") for h, u in ((0, "a"), (1, "b"), (2, "c"))]
    events += [logon(30, "d", host="srv1"), logon(31, "d", host="srv2")]
    truth = {
        "learning_end": (T0 + timedelta(hours=24)).isoformat(),
        "attacks": [
            {
                "id": "A1",
                "entities": {"users": ["d"]},
                "start": (T0 + timedelta(hours=31)).isoformat(),
                "end": (T0 + timedelta(hours=32)).isoformat(),
            }
        ],
    }
    found = {(c.user, c.host): c for c in first_contacts(events, truth, users_per_cluster=8)}
    assert set(found) == {("d", "srv1"), ("d", "srv2")}
    assert found[("d", "srv1")].tenant_peers == 3
    assert found[("d", "srv2")].tenant_peers == 0
    assert found[("d", "srv2")].attack == "A1"
    assert found[("d", "srv1")].attack == "A1"  # 1 h before the window still counts
