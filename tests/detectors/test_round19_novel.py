"""Round 19 (``--attacks novel19``): what the new kinds showed was missing.

A role trust policy rewritten (``iam:UpdateAssumeRolePolicy``) to let another AWS account assume
the role was read as an ordinary policy change, which only teaches ``group_change``'s baseline:
the backdoor went unseen until the outside account used it, as an identity nobody had a
baseline for. The CloudTrail parser now marks a trust opened to an outside account (or to any
principal) as a privileged grant, and ``group_change`` scores and names it like an admin policy
attached. Every test here fails on main (a4e2af6).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.group_change import GroupChange
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser

START = datetime(2024, 5, 6, 8, tzinfo=UTC)
ACCOUNT = "432463399536"


def _trust(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": p}, "Action": "sts:AssumeRole"}
                for p in principals
            ],
        }
    )


def _update_trust(document: str, *, error: str = "") -> Event:
    record = {
        "eventVersion": "1.09",
        "eventTime": "2024-05-28T19:46:15Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "UpdateAssumeRolePolicy",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "103.251.10.37",
        "userAgent": "aws-cli/2.15.30",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Engineer/jking",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
        },
        "requestParameters": {"roleName": "Admin", "policyDocument": document},
        "responseElements": None,
        "eventID": "e1",
        "recipientAccountId": ACCOUNT,
    }
    if error:
        record["errorCode"] = error
    [event] = CloudTrailParser().parse(record, ParseContext(tenant="acme"))
    return event


def test_trust_opened_to_an_outside_account_is_a_privileged_grant() -> None:
    own = f"arn:aws:iam::{ACCOUNT}:root"
    outside = _update_trust(_trust(own, "arn:aws:iam::999988887777:root"))
    assert outside.action is Action.POLICY_CHANGE and outside.privileged
    assert outside.reason == "outside account 999988887777"
    anyone = _update_trust(_trust("*"))
    assert anyone.privileged and anyone.reason == "any AWS principal"
    # Trusting the own account, or a denied attempt, grants nothing.
    assert not _update_trust(_trust(own, f"arn:aws:iam::{ACCOUNT}:role/Deploy")).privileged
    assert not _update_trust(
        _trust("arn:aws:iam::999988887777:root"), error="AccessDenied"
    ).privileged


def _logon(day: int, user: str, minute: int) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="acme",
        source_format="cloudtrail",
        action=Action.API_CALL,
        user=user,
        src_ip="203.0.113.7",
        object="DescribeInstances",
        event_id="DescribeInstances",
    )


def test_group_change_pages_a_trust_backdoor_and_names_the_outside_account() -> None:
    users = ("jking", "alice", "bob", "carol", "dave", "erin")
    history = [_logon(d, u, m) for d in range(21) for m, u in enumerate(users) for _ in range(3)]
    builder, detector = BatchBuilder(), GroupChange()
    batch = builder.build(sorted(history, key=lambda e: e.time))
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    change = _update_trust(_trust("arn:aws:iam::999988887777:root"))
    change = Event(**{**{f: getattr(change, f) for f in change.__struct_fields__},
                      "time": START + timedelta(days=22)})  # fmt: skip
    signals = detector.score(builder.build([change]), builder)
    assert len(signals) == 1
    assert float(signals.points[0]) >= 60.0
    title = signals.titles[0]
    assert "opened role Admin's trust policy to outside account 999988887777" in title
    assert "has made no group change" in title
