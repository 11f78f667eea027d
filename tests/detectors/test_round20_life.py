"""Round 20: normal life nobody had written (benchmarks/scenario/life20.py) and s281b's pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.lateral_path import LateralNewPath
from schemas.event import Action, Event

START = datetime(2024, 3, 4, 9, tzinfo=UTC)
BASTION, APP, OPS, CI = "10.20.1.10", "10.20.1.20", "10.20.1.30", "10.20.1.40"


def ssh(hours: float, user: str, ip: str, host: str) -> Event:
    return Event(
        time=START + timedelta(hours=hours),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=host,
        logon_type="ssh",
        auth_protocol="publickey",
    )


def office_bastion() -> list[Event]:
    """Three weeks of a bastion reached mostly from office desks (one address each, every day);
    now and then someone works from the VPN and gets a pool address (10.30.0.0/24) others held
    before. db01 is reached from the bastion by admins, from the app server by bob, and from
    the ops host by ansible (three addresses of 10.20.1.0/24)."""
    events: list[Event] = []
    for day in range(21):
        for k, user in enumerate(("ann", "bob", "cyd", "dee", "eve", "fay", "gus")):
            desk = f"10.10.1.{20 + k}"
            remote = (day + k) % 5 == 0
            vpn = f"10.30.0.{(day * 3 + k) % 12 + 20}"  # a pool of twelve leases
            events.append(ssh(day * 24 + k * 0.2, user, vpn if remote else desk, "bastion01"))
        events.append(ssh(day * 24 + 3, "bob", BASTION, "db01"))
        if day % 5 == 2:
            events.append(ssh(day * 24 + 3.2, "bob", APP, "db01"))
        events.append(ssh(day * 24 + 17, "ansible", OPS, "db01"))
    return events


def learned() -> tuple[BatchBuilder, LateralNewPath]:
    builder, detector = BatchBuilder(), LateralNewPath()
    history = builder.build(office_bastion())
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    return builder, detector


LEASE = "10.30.0.31"  # held by others before, never by dee


def test_a_vpn_lease_someone_else_held_before_is_no_new_door() -> None:
    # (fails on e039f71: at a bastion reached mostly from desks, dee's path through a pool
    # address others used before was as rare as a pivot)
    builder, detector = learned()
    lease = [ssh(21 * 24 + 2, "dee", LEASE, "bastion01")]
    assert len(detector.score(builder.build(lease), builder)) == 0


def test_a_new_lease_of_the_pool_is_no_new_door_either() -> None:
    builder, detector = learned()
    lease = [ssh(21 * 24 + 2, "dee", "10.30.0.200", "bastion01")]  # never seen at the bastion
    assert len(detector.score(builder.build(lease), builder)) == 0


def test_a_known_server_door_and_a_new_server_address_are_still_news() -> None:
    builder, detector = learned()
    # db01 is reached from three addresses of 10.20.1.0/24: no pool. The ops host's address is
    # ansible's door; bob coming through it is a pivot, as is a server that never came in.
    pivot = detector.score(builder.build([ssh(21 * 24 + 4, "bob", OPS, "db01")]), builder)
    assert len(pivot) == 1
    fresh = detector.score(builder.build([ssh(21 * 24 + 4, "bob", CI, "db01")]), builder)
    assert len(fresh) == 1


def test_the_pool_count_survives_a_snapshot() -> None:
    builder, detector = learned()
    restored = LateralNewPath()
    restored.load_state(detector.state())
    lease = [ssh(21 * 24 + 2, "dee", LEASE, "bastion01")]
    assert len(restored.score(builder.build(lease), builder)) == 0
    old = {k: v for k, v in detector.state().items() if not k.startswith("pools_")}
    before_round_20 = LateralNewPath()
    before_round_20.load_state(old)  # a snapshot from before: no pools known yet
    assert len(before_round_20.score(builder.build(lease), builder)) == 1
