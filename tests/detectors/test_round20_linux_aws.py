"""Round 20 (``--attacks novel20c``, Linux and AWS): what the new kinds showed was missing.

``pkexec`` (polkit) runs a command as root as sudo does, and CVE-2021-4034 (PwnKit) leaves its
own pkexec line; the syslog parser skipped every pkexec line, so a first root shell through it
was unseen. The parser now reads them as privilege use, and ``privileged_action`` names them
like a first sudo to root.

A bucket policy opened to another AWS account (or a KMS key, secret or Lambda function) was an
ordinary policy change, as round 19's trust policies were: the CloudTrail parser now marks a
resource policy that lets an outside account (or anyone, unconditioned) in as a grant, and
``group_change`` names it. A trail told to record read events only (``PutEventSelectors``)
keeps "logging" while every write goes unrecorded: it is now read as an audit log cleared. A
Lambda function (or stack, job ...) created with a watch-listed role (``iam:PassRole``) hands
admin power to code the caller controls: it is now a privileged use, first-time for most.
Every test here fails on main (e039f71).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.group_change import GroupChange
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser
from schemas.parsers.syslog import SyslogParser

START = datetime(2024, 5, 6, 8, tzinfo=UTC)


def _syslog(line: str) -> list[Event]:
    ctx = ParseContext(
        tenant="t", source="auth.log", position=1, reference_time=START + timedelta(days=30)
    )
    return SyslogParser().parse(line, ctx)


def _history() -> list[Event]:
    """Three weeks of ssh logons for four engineers, and an admin's daily sudo to root."""
    events = []
    for day in range(21):
        for k, user in enumerate(("alice", "bob", "carol", "dave")):
            events.append(Event(time=START + timedelta(days=day, minutes=k), tenant="t",
                                source_format="syslog", action=Action.LOGON, user=user,
                                dst_host="lnx-app01", app="sshd", logon_type="ssh"))  # fmt: skip
        events.append(Event(time=START + timedelta(days=day, minutes=9), tenant="t",
                            source_format="syslog", action=Action.PRIVILEGE_USE, user="dave",
                            target_user="root", app="sudo", privileged=True))  # fmt: skip
    return events


def test_a_first_pkexec_to_root_is_a_first_root_shell() -> None:
    (pwnkit,) = _syslog(
        "May 28 10:15:02 lnx-app01 pkexec[40211]: bob: The value for the SHELL variable was not "
        "found the /etc/shells file [USER=root] [TTY=/dev/pts/1] [CWD=/tmp/.a1b2c3] "
        "[COMMAND=GCONV_PATH=./pwnkit.so:. PATH=GCONV_PATH=. CHARSET=PWNKIT SHELL=pwnkit]"
    )
    (polkit,) = _syslog(
        "May 28 11:15:02 lnx-app01 pkexec[40212]: carol: Executing command [USER=root] "
        "[TTY=/dev/pts/1] [CWD=/home/carol] [COMMAND=/usr/bin/bash]"
    )
    builder, detector = BatchBuilder(), PrivilegedAction(learning_days=7, min_events=10)
    batch = builder.build(_history())
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build([pwnkit, polkit]), builder)
    assert signals.rows.tolist() == [0, 1]
    assert all(points >= 20 for points in signals.points.tolist())
    assert signals.titles[0].startswith("bob did pkexec to root for the first time")
    assert signals.titles[1].startswith("carol did pkexec to root for the first time")


# --- AWS: resource policies opened to an outside account, trails narrowed --------------------

ACCOUNT = "432463399536"
OUTSIDE = "998877665544"


def _cloudtrail(name: str, source: str, params: dict[str, object], *, minute: int = 0) -> Event:
    record = {
        "eventVersion": "1.09",
        "eventTime": f"2024-05-28T19:{46 + minute:02d}:15Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "103.251.10.37",
        "userAgent": "aws-cli/2.15.30",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Engineer/jking",
            "accountId": ACCOUNT,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
        },
        "requestParameters": params,
        "responseElements": None,
        "eventID": f"e{minute}",
        "recipientAccountId": ACCOUNT,
    }
    ctx = ParseContext(tenant="t", source="trail.json", position=1)
    (event,) = CloudTrailParser().parse(record, ctx)
    return event


def _bucket_policy(principal: object, condition: dict[str, object] | None = None) -> Event:
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::acme-data-prod", "arn:aws:s3:::acme-data-prod/*"],
    }
    if condition:
        statement["Condition"] = condition
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}  # fmt: skip
    policy = {"Version": "2012-10-17", "Statement": [deny, statement]}
    return _cloudtrail("PutBucketPolicy", "s3.amazonaws.com",
                       {"bucketName": "acme-data-prod", "bucketPolicy": policy})  # fmt: skip


def test_a_bucket_policy_opened_to_an_outside_account_is_a_grant() -> None:
    event = _bucket_policy({"AWS": f"arn:aws:iam::{OUTSIDE}:root"})
    assert event.action is Action.POLICY_CHANGE and event.privileged
    assert event.reason == f"outside account {OUTSIDE}"
    assert _bucket_policy("*").reason == "any AWS principal"
    # Shared inside the company (own account, or anyone through the VPC endpoint): no grant.
    assert not _bucket_policy({"AWS": f"arn:aws:iam::{ACCOUNT}:role/Analytics"}).privileged
    vpce = {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    assert not _bucket_policy("*", vpce).privileged
    key = _cloudtrail("PutKeyPolicy", "kms.amazonaws.com", {"keyId": "k-1", "policyName": "default",
                      "policy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {
                          "AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": "kms:Decrypt"}]})})  # fmt: skip
    assert key.privileged and key.reason == f"outside account {OUTSIDE}"
    function = _cloudtrail("AddPermission20150331v2", "lambda.amazonaws.com",
                           {"functionName": "f", "principal": OUTSIDE, "action": "lambda:*"})  # fmt: skip
    assert function.privileged


def test_group_change_names_the_resource_opened_to_an_outside_account() -> None:
    history = [
        Event(time=START + timedelta(days=d, minutes=k), tenant="t", source_format="cloudtrail",
              action=Action.API_CALL, user=user, app="s3.amazonaws.com", object="ListBuckets")
        for d in range(21) for k, user in enumerate(("jking", "amy", "raj", "li"))
    ]  # fmt: skip
    builder, detector = BatchBuilder(), GroupChange(learning_days=7, min_events=10)
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build([_bucket_policy({"AWS": OUTSIDE})]), builder)
    assert signals.rows.tolist() == [0] and float(signals.points[0]) >= 50
    assert signals.titles[0].startswith(
        f"jking opened acme-data-prod's resource policy to outside account {OUTSIDE} "
        "(PutBucketPolicy)"
    )


def test_a_trail_told_to_record_reads_only_is_an_audit_log_cleared() -> None:
    selectors = [{"readWriteType": "ReadOnly", "includeManagementEvents": True}]
    event = _cloudtrail("PutEventSelectors", "cloudtrail.amazonaws.com",
                        {"trailName": "org-trail", "eventSelectors": selectors})  # fmt: skip
    assert event.action is Action.LOG_CLEARED
    assert event.reason == "no longer records management write events"
    assert event.object == "PutEventSelectors:org-trail"
    every = [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": []}]
    kept = _cloudtrail("PutEventSelectors", "cloudtrail.amazonaws.com",
                       {"trailName": "org-trail", "eventSelectors": every})  # fmt: skip
    assert kept.action is Action.POLICY_CHANGE and not kept.reason


def test_a_lambda_given_the_admin_role_is_a_first_privilege_use() -> None:
    create = _cloudtrail("CreateFunction20150331", "lambda.amazonaws.com",
                         {"functionName": "tag-sync", "runtime": "python3.12",
                          "role": f"arn:aws:iam::{ACCOUNT}:role/Admin"})  # fmt: skip
    assert create.action is Action.PRIVILEGE_USE and create.privileged
    assert create.object == "CreateFunction:Admin"
    plain = _cloudtrail("CreateFunction20150331", "lambda.amazonaws.com",
                        {"functionName": "tag-sync", "role": f"arn:aws:iam::{ACCOUNT}:role/LambdaExec"})  # fmt: skip
    assert plain.action is Action.API_CALL and not plain.privileged
    history = [
        Event(time=START + timedelta(days=d, minutes=k), tenant="t", source_format="cloudtrail",
              action=Action.API_CALL, user=user, app="s3.amazonaws.com", object="ListBuckets")
        for d in range(21) for k, user in enumerate(("jking", "amy", "raj", "li"))
    ]  # fmt: skip
    builder, detector = BatchBuilder(), PrivilegedAction(learning_days=7, min_events=10)
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build([create]), builder)
    assert signals.rows.tolist() == [0] and float(signals.points[0]) >= 20
    assert signals.titles[0].startswith(
        "jking did a hand-over of the privileged role Admin to lambda (iam:PassRole) for the "
        "first time"
    )
