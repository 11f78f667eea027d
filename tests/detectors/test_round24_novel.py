"""Round 24 (novel24): a logon naming one machine from another machine's settled address (an NTLM
relay keeps the victim's WorkstationName, the connection is the relaying machine's) is a
``login_chain`` finding, but not from a pool address (VPN, DHCP) nor from an address seen on too
few days, and the day counts survive a snapshot. An EC2 instance's user data rewritten is remote
execution on that instance."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser

START = datetime(2024, 5, 6, 9, tzinfo=UTC)


def _logon(
    day: float, user: str, src: str, ip: str, dst: str, *, privileged: bool = False
) -> Event:
    return Event(
        time=START + timedelta(days=day),
        tenant="acme",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_host=src,
        src_ip=ip,
        dst_host=dst,
        logon_type="3",
        auth_protocol="ntlm",
        record_id=f"{user}{day}{dst}",
        privileged=privileged,
    )


def _desk_days(days: range, ip: str = "10.10.1.30", machine: str = "lon-ws021") -> list[Event]:
    """The desk's owner signs in to the file server from their machine on these days; the
    admin uses privileges from their own machine."""
    events = []
    for day in days:
        events.append(_logon(day, "carol", machine, ip, "fs01"))
        events.append(
            _logon(day + 0.01, "erin", "nyc-ws002", "10.10.2.11", "app01", privileged=True)
        )
    return events


def _relay(day: float) -> list[Event]:
    return [
        _logon(day, "erin", "nyc-ws002", "10.10.1.30", "app02"),
        _logon(day + 0.001, "erin", "nyc-ws002", "10.10.1.30", "sql02"),
    ]


def _run(history: list[Event], later: list[Event]) -> tuple[LoginChain, BatchBuilder, list[str]]:
    builder, detector = BatchBuilder(), LoginChain(learning_days=3)
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build(later), builder)
    return (
        detector,
        builder,
        [f"{p:.0f} {t}" for p, t in zip(signals.points, signals.titles, strict=True)],
    )


def test_a_relayed_admin_logon_from_a_settled_desk_address_is_a_page() -> None:
    _, _, found = _run(_desk_days(range(6)), _relay(6.3))
    assert len(found) == 1  # the first logon: the address then names the relayed machine
    assert found[0].startswith(
        "70 erin logged on to app02 naming nyc-ws002 from an address that has named only "
        "lon-ws021 (on 6 days)"
    )


def test_an_ordinary_account_gets_fewer_points_and_one_batch_equals_two() -> None:
    events = [e for e in _desk_days(range(6)) if e.user == "carol"]
    relayed = [_logon(6.3, "dave", "nyc-ws007", "10.10.1.30", "fs01")]
    _, _, found = _run(events, relayed)
    assert [f[:2] for f in found] == ["45"]
    builder, detector = BatchBuilder(), LoginChain(learning_days=3)
    together = detector.score(builder.build(events + relayed), builder)
    assert together.points.tolist() == [45.0]  # the desk's days counted inside the batch too


def test_pool_addresses_and_addresses_of_few_days_are_not_judged() -> None:
    # Seen on two days only: a VPN address that one laptop happened to lease twice.
    _, _, found = _run(_desk_days(range(2)), _relay(2.3))
    assert found == []
    # A pool: the address named another machine once already.
    moved = [*_desk_days(range(6)), _logon(4.5, "frank", "ber-ws003", "10.10.1.30", "fs01")]
    _, _, found = _run(moved, _relay(6.3))
    assert found == []


def test_day_counts_survive_a_snapshot() -> None:
    detector, builder, _ = _run(_desk_days(range(6)), [])
    restored = LoginChain(learning_days=3)
    restored.load_state(detector.state())
    assert restored.ip_days_.dtype == np.uint8 and restored.ip_day_.dtype == np.uint16
    signals = restored.score(builder.build(_relay(6.3)), builder)
    assert signals.points.tolist() == [70.0]


def _modify(params: dict[str, object]) -> list[Event]:
    record = {
        "eventVersion": "1.09",
        "eventTime": "2024-05-20T01:10:00Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "ModifyInstanceAttribute",
        "eventID": "e1",
        "sourceIPAddress": "89.248.1.2",
        "userAgent": "aws-cli/2.15",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/Engineer/alice",
            "accountId": "111122223333",
        },
        "requestParameters": params,
    }
    return CloudTrailParser().parse(record, ParseContext(tenant="t", source="x", position=1))


def test_user_data_rewritten_is_remote_execution_on_the_instance() -> None:
    [event] = _modify({"instanceId": "i-0abc", "userData": "<sensitiveDataRemoved>"})
    assert event.action is Action.REMOTE_EXEC and event.dst_host == "i-0abc"
    assert event.object == "ModifyInstanceAttribute:userData"
    [event] = _modify({"instanceId": "i-0abc", "attribute": "userData", "value": "x"})
    assert event.action is Action.REMOTE_EXEC
    [event] = _modify({"instanceId": "i-0abc", "instanceType": {"value": "t3.large"}})
    assert event.action is Action.API_CALL


# (the shared data next to the repository, or where VIGIL_SHARED_DATA says, as the parser tests)
DATA = Path(
    os.environ.get("VIGIL_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
)
STRATUS = DATA / "stratus-red-team"


def test_stratus_user_data_capture_is_remote_execution() -> None:
    """The real capture (Stratus Red Team ``aws.execution.ec2-user-data``): the same record."""
    path = STRATUS / "detonation-logs" / "aws.execution.ec2-user-data.json"
    if not path.exists():
        pytest.skip(f"{path} not found")
    context = ParseContext(tenant="t", source="x", position=1)
    events = [
        event
        for record in json.loads(path.read_text())
        if record["eventName"] == "ModifyInstanceAttribute"
        for event in CloudTrailParser().parse(record, context)
    ]
    assert events and all(e.action is Action.REMOTE_EXEC for e in events)
    assert all(e.dst_host.startswith("i-") and not e.reason for e in events)
