"""Round 22 (``--life life22``): a service account's first reach of a host nobody had ever
reached, a host that came after the tenant's first day, is the host coming into service (a
Kubernetes node pool rotated by the CI account), not lateral movement (``lateral_new_host``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.lateral import LateralNewHost
from schemas.event import Action, Event

START = datetime(2024, 3, 4, 9, tzinfo=UTC)
OFFICE = [f"user{k:02d}" for k in range(10)]


def logon(hours: float, user: str, host: str, logon_type: str = "3", src: str = "") -> Event:
    return Event(
        time=START + timedelta(hours=hours),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip="10.20.1.99" if user == "deploy" else "10.20.0.5",
        src_host=src,
        dst_host=host,
        logon_type=logon_type,
    )


def three_weeks() -> list[Event]:
    """``deploy`` (CI) reaches app01 a few times a day; office staff sit at their desks and use
    the file server; one of them also uses db01, there from the start."""
    events: list[Event] = []
    for day in range(21):
        base = day * 24.0
        events.extend(logon(base + 1 + k, "deploy", "app01") for k in range(3))
        for j, user in enumerate(OFFICE):
            events.append(logon(base + 5 + 0.1 * j, user, f"ws-{user}", "2"))  # desks
            events.append(logon(base + 6 + 0.1 * j, user, "files01", src=f"ws-{user}"))
        events.append(logon(base + 7, OFFICE[0], "db01"))
    return events


def learned() -> tuple[BatchBuilder, LateralNewHost]:
    builder, detector = BatchBuilder(), LateralNewHost()
    history = builder.build(three_weeks())
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    return builder, detector


LATER = 21 * 24 + 10


def test_the_ci_account_on_new_nodes_nobody_reached_is_no_news() -> None:
    # (fails on main 3225c5b: each node is new to deploy and reached by nobody else)
    builder, detector = learned()
    nodes = [logon(LATER + 0.1 * k, "deploy", f"node-b0{k + 1}") for k in range(3)]
    batch = builder.build(nodes)
    assert len(detector.score(batch, builder)) == 0
    # one by one gives the same answer as the batch
    builder, detector = learned()
    for event in nodes:
        assert len(detector.score(builder.build([event]), builder)) == 0


def test_hosts_others_already_reach_are_still_news_for_the_service_account() -> None:
    builder, detector = learned()
    # db01 was there from the start and one person works on it: a stolen CI credential there
    signals = detector.score(builder.build([logon(LATER, "deploy", "db01")]), builder)
    assert len(signals) == 1
    assert "deploy reached host db01 for the first time" in signals.titles[0]
    # a host the whole office uses is not excused for a service account either (as before)
    files = detector.score(builder.build([logon(LATER, "deploy", "files01")]), builder)
    assert len(files) == 1


def test_a_person_on_a_brand_new_host_is_judged_as_before() -> None:
    builder, detector = learned()
    signals = detector.score(builder.build([logon(LATER, OFFICE[3], "node-b01")]), builder)
    assert len(signals) == 1


def test_the_nodes_it_built_leave_the_ci_account_a_one_server_account() -> None:
    # After the rotation the CI account's key used elsewhere is still news: a host everyone
    # reaches is no excuse for a one-server service account, and the three nodes it built do
    # not make it a four-host one (counted, they would: files01's popularity would excuse it).
    builder, detector = learned()
    nodes = builder.build([logon(LATER + 0.1 * k, "deploy", f"node-b0{k + 1}") for k in range(3)])
    assert len(detector.score(nodes, builder)) == 0
    detector.learn(nodes, held_back=np.zeros(len(nodes), dtype=bool))
    later = builder.build(
        [logon(LATER + 24 + 0.1 * k, "deploy", f"node-b0{k + 1}") for k in range(3)]
    )
    assert len(detector.score(later, builder)) == 0  # the nodes are its own now
    detector.learn(later, held_back=np.zeros(len(later), dtype=bool))
    files = detector.score(builder.build([logon(LATER + 30, "deploy", "files01")]), builder)
    assert len(files) == 1


def test_the_provisioned_hosts_survive_a_snapshot() -> None:
    builder, detector = learned()
    nodes = builder.build([logon(LATER + 0.1 * k, "deploy", f"node-b0{k + 1}") for k in range(3)])
    detector.score(nodes, builder)
    detector.learn(nodes, held_back=np.zeros(len(nodes), dtype=bool))
    restored = LateralNewHost()
    restored.load_state(detector.state())
    event = logon(LATER + 30, "deploy", "files01")
    assert len(restored.score(builder.build([event]), builder)) == 1
    assert len(detector.score(builder.build([event]), builder)) == 1
