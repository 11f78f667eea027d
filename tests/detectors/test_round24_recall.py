"""Round 24 (recall24): an EC2 instance's role credentials used from outside the instance.

An SSRF reads the instance profile's credentials from the metadata service and the operator
uses them from a hosting provider (``aws_instance_credentials_outside``): the role session is
named after the instance, has no history anywhere, and ``rare_api_call`` judges no principal
in its first week, so nothing fired (8 misses of 8 in s361y and s371y). ``instance_credentials``
flags an instance session asking who it is and what it may do from a public address.

The first test fails on main (ee89746: no detector sees it, no alert), the third and fourth on
main for want of the module; the VPC guard holds on both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.engine import Engine
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser

START = datetime(2024, 5, 6, 8, tzinfo=UTC)
ACCOUNT = "111122223333"
INSTANCE = "i-0e28ffa813db5c2b8"


def _history() -> list[Event]:
    """Three weeks of three engineers' daily API calls from the office's public address."""
    return [
        Event(
            time=START + timedelta(days=day, minutes=k),
            tenant="acme",
            source_format="cloudtrail",
            action=Action.API_CALL,
            user=user,
            object=api,
            app="ec2.amazonaws.com",
            src_ip="198.51.100.20",
        )
        for day in range(21)
        for k, (user, api) in enumerate(
            (u, a)
            for u in ("kwilson", "alice", "bob")
            for a in ("DescribeInstances", "GetCallerIdentity")
        )
    ]


def _instance_call(
    minutes: float, name: str, ip: str, source: str = "iam.amazonaws.com", day: int = 21
) -> Event:
    when = START + timedelta(days=day, minutes=minutes)
    record = {
        "eventVersion": "1.09",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "Boto3/1.34.69 md/Botocore#1.34.69",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLEEXAMPLE01:{INSTANCE}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AppInstanceRole/{INSTANCE}",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
        },
        "requestParameters": {"roleName": "AppInstanceRole"} if "Role" in name else None,
        "responseElements": None,
        "eventID": f"e-{minutes}",
        "readOnly": True,
        "recipientAccountId": ACCOUNT,
    }
    [event] = CloudTrailParser().parse(record, ParseContext(tenant="acme"))
    return event


def _session(ip: str, day: int = 21) -> list[Event]:
    return [
        _instance_call(0, "GetCallerIdentity", ip, "sts.amazonaws.com", day),
        _instance_call(0.3, "ListAttachedRolePolicies", ip, day=day),
        _instance_call(0.6, "ListBuckets", ip, "s3.amazonaws.com", day),
    ]


def _run(ip: str) -> list[str]:
    engine = Engine()
    engine.process(_history())
    calls = _session(ip)
    assert calls[0].user == INSTANCE
    return [alert.entity.id for alert in engine.process(calls)]


def test_instance_credentials_mapping_their_permissions_from_a_public_address_alert() -> None:
    assert INSTANCE in _run("45.83.152.7")


def test_the_same_calls_from_inside_the_vpc_are_not_judged() -> None:
    assert INSTANCE not in _run("10.0.3.17")


def test_an_application_whose_instances_map_their_role_is_discounted_by_its_history() -> None:
    from detectors.instance_credentials import InstanceCredentials  # (absent on main)

    # A tool on the fleet reads the role's policies at start, from the NAT gateway's address,
    # every day for a week: the tenant's instances' habit.
    builder, detector = BatchBuilder(), InstanceCredentials()
    for day in range(7, 14):
        batch = builder.build(_session("3.91.20.7", day))
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = detector.score(builder.build(_session("3.91.20.7")), builder)
    assert len(signals) == 2 and float(signals.points.max()) < 5
    fresh = InstanceCredentials().score(builder.build(_session("3.91.20.7")), builder)
    assert float(fresh.points.sum()) == 60


def _points_one_by_one(events: list[Event]) -> list[float]:
    from detectors.instance_credentials import InstanceCredentials  # (absent on main)

    builder, detector, points = BatchBuilder(), InstanceCredentials(), []
    for event in events:
        batch = builder.build([event])
        points += detector.score(batch, builder).points.tolist()
        detector.learn(batch, np.zeros(1, dtype=np.bool_))
    return points


def test_intrusions_from_elsewhere_or_weeks_apart_are_news_batch_as_one_by_one() -> None:
    from detectors.instance_credentials import InstanceCredentials  # (absent on main)

    events = (
        _session("45.83.152.7", 1)
        + _session("45.83.152.7", 3)
        + _session("91.219.236.190", 3)
        + _session("45.83.152.7", 22)
    )
    one_by_one = _points_one_by_one(events)
    # day 1: full; day 3: the second day from that network (halved), from another network
    # news; day 22: the habit lapsed.
    assert one_by_one == [30.0, 30.0, 15.0, 15.0, 30.0, 30.0, 30.0, 30.0]
    builder, detector = BatchBuilder(), InstanceCredentials()
    assert detector.score(builder.build(events), builder).points.tolist() == one_by_one
    # and a snapshot taken mid-stream scores the rest as the live detector does
    first = builder.build(events[:4])
    detector.learn(first, np.zeros(len(first), dtype=np.bool_))
    restored = InstanceCredentials()
    restored.load_state(detector.state())
    rest = builder.build(events[4:])
    assert restored.score(rest, builder).points.tolist() == one_by_one[3:]
