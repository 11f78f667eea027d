"""Round 23 (novel23): a shell started by a network-facing server process is flagged on its
host (a DnsAdmins member's plugin DLL in dns.exe, a web shell under w3wp.exe), discounted by
that process's own history on that host, and the state survives a snapshot. An ``AssumeRole``
into a role of another AWS account is a privileged role use naming that account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.registry import build
from detectors.server_shell import ServerShell
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser

START = datetime(2024, 5, 6, 9, tzinfo=UTC)
CMD = "C:\\Windows\\System32\\cmd.exe"


def _process(minutes: int, parent: str, image: str = CMD, host: str = "dc01") -> Event:
    return Event(
        time=START + timedelta(minutes=minutes),
        tenant="acme",
        source_format="test",
        action=Action.PROCESS_START,
        user="",
        dst_host=host,
        object=image,
        app=parent,
        record_id=f"p{minutes}",
    )


def test_server_shell_is_registered() -> None:
    assert [d.name for d in build(["server_shell"])] == ["server_shell"]


def test_shell_under_a_server_process_is_a_page_and_other_parents_are_not() -> None:
    builder, detector = BatchBuilder(), ServerShell()
    events = [
        _process(0, "C:\\Windows\\System32\\dns.exe"),
        _process(1, "C:\\Windows\\System32\\inetsrv\\w3wp.exe", host="web01"),
        _process(2, "C:\\Windows\\explorer.exe"),  # a person's shell
        _process(3, "C:\\Windows\\System32\\inetsrv\\w3wp.exe", "C:\\x\\plink.exe", "web01"),
    ]
    signals = detector.score(builder.build(events), builder)
    assert signals.rows.tolist() == [0, 1]
    assert signals.points.tolist() == [70.0, 70.0]  # a page on its own (high >= 65)
    assert signals.entity_kind == "host"
    assert "dns.exe (a network-facing service) started cmd.exe on dc01" in signals.titles[0]


def test_routine_shells_of_one_pair_are_discounted_and_flagged_rows_not_learned() -> None:
    builder, detector = BatchBuilder(), ServerShell()
    parent = "C:\\Program Files\\Apache\\bin\\httpd.exe"
    batch = builder.build([_process(m, parent, host="web02") for m in range(3)])
    signals = detector.score(batch, builder)
    assert signals.points.tolist() == [70.0, 35.0, 70.0 / 3]  # batch = one by one
    detector.learn(batch, held_back=np.array([True, False, False]))
    later = builder.build([_process(10, parent, host="web02"), _process(11, parent, host="web03")])
    assert detector.score(later, builder).points.tolist() == [70.0 / 3, 70.0]
    restored = ServerShell()
    restored.load_state(detector.state())
    assert restored.score(later, builder).points.tolist() == [70.0 / 3, 70.0]


def _assume_role(role_arn: str) -> Event:
    record = {
        "eventVersion": "1.09",
        "eventTime": "2024-05-20T01:10:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "eventID": "e1",
        "sourceIPAddress": "45.83.1.2",
        "userAgent": "aws-cli/2.15",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/Engineer/alice",
            "accountId": "111122223333",
        },
        "requestParameters": {"roleArn": role_arn, "roleSessionName": "alice"},
    }
    [event] = CloudTrailParser().parse(record, ParseContext(tenant="t", source="x", position=1))
    return event


def test_assume_role_into_another_account_is_privileged_with_its_account() -> None:
    crossed = _assume_role("arn:aws:iam::222233334444:role/OrganizationAccountAccessRole")
    assert crossed.action is Action.AUTH_TICKET
    assert crossed.privileged and crossed.reason == "role in account 222233334444"
    own = _assume_role("arn:aws:iam::111122223333:role/Deploy")
    assert not own.privileged and own.reason == ""
