"""rare_api_call: a principal's first call of an API few of the tenant's principals make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.base import Signals
from detectors.batch import BatchBuilder
from detectors.rare_api_call import RareApiCall, sensitivity
from schemas.event import Action, Event, Outcome
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser

START = datetime(2024, 1, 1, 9, tzinfo=UTC)
USERS = ("ann", "bob", "cat", "dan", "eve")


def call(day: float, user: str, api: str, minute: int = 0) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="t",
        source_format="cloudtrail",
        action=Action.API_CALL,
        user=user,
        object=api,
        app="ec2.amazonaws.com",
        record_id=f"{user}-{api}-{day}-{minute}",
    )


def trained(**params: float) -> tuple[RareApiCall, BatchBuilder]:
    events = [
        call(day, user, api, minute)
        for day in range(14)
        for minute, user in enumerate(USERS)
        for api in ("DescribeInstances", "DescribeVpcs", "ListBuckets")
    ]
    builder = BatchBuilder()
    detector = RareApiCall(learning_days=7, min_events=10, **params)  # type: ignore[arg-type]
    batch = builder.build(events)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    return detector, builder


def score_and_learn(detector: RareApiCall, builder: BatchBuilder, events: list[Event]) -> Signals:
    batch = builder.build(events)
    signals = detector.score(batch, builder)
    held_back = np.zeros(len(batch), dtype=bool)
    held_back[signals.rows] = True
    detector.learn(batch, held_back)
    return signals


def test_sensitive_call_weighs_more_than_an_ordinary_one() -> None:
    detector, builder = trained()
    signals = detector.score(
        builder.build([call(14, "ann", "GetSecretValue"), call(14, "bob", "DescribeImages", 1)]),
        builder,
    )
    assert signals.rows.tolist() == [0, 1]
    secret, ordinary = signals.points.tolist()
    assert secret == 1.5 * ordinary
    assert "reads credentials or data" in signals.titles[0]
    assert "normal for ann: 42 calls to 3 APIs in 14 days" in signals.titles[0]


def test_a_call_many_principals_make_is_learned_at_once() -> None:
    detector, builder = trained(min_points=0.0)
    # cat, dan and eve adopt a service; ann is the fourth: three others already call it.
    first = score_and_learn(
        detector, builder, [call(14, u, "ListTables", i) for i, u in enumerate(USERS[2:])]
    )
    assert first.rows.tolist() == [0, 1, 2]
    assert first.points[1] < first.points[0] and first.points[2] < first.points[1]
    later = detector.score(builder.build([call(15, "ann", "ListTables")]), builder)
    assert len(later) == 0


def test_weak_findings_are_not_reported() -> None:
    detector, builder = trained()
    # The second and third adopters of an ordinary call score 1/2 and 1/3 of the first.
    signals = detector.score(
        builder.build([call(14, u, "ListTables", i) for i, u in enumerate(USERS[2:])]), builder
    )
    assert signals.rows.tolist() == [0]


def test_a_principal_in_its_learning_period_is_not_judged() -> None:
    detector, builder = trained()
    newcomer = [call(14 + d / 10, "fay", "GetSecretValue", d) for d in range(20)]
    assert len(detector.score(builder.build(newcomer), builder)) == 0


def test_a_flagged_call_is_held_back_and_flagged_again() -> None:
    detector, builder = trained()
    first = score_and_learn(detector, builder, [call(14, "ann", "ListSecrets")])
    again = score_and_learn(detector, builder, [call(14.01, "ann", "ListSecrets")])
    assert len(first) == 1 and len(again) == 1
    # Rarely rather than never: the second time counts half.
    assert float(again.points[0]) == float(first.points[0]) / 2
    assert "called only 1 time(s) before" in again.titles[0]


def test_denied_calls_count() -> None:
    detector, builder = trained()
    denied = Event(
        time=START + timedelta(days=14),
        tenant="t",
        source_format="cloudtrail",
        action=Action.API_CALL,
        outcome=Outcome.FAILURE,
        user="ann",
        object="ListUsers",
    )
    signals = detector.score(builder.build([denied]), builder)
    assert len(signals) == 1 and "maps identities and permissions" in signals.titles[0]


def test_sensitivity_ignores_service_prefix_and_case() -> None:
    assert sensitivity("iam:GetAccountAuthorizationDetails") == "maps identities and permissions"
    assert sensitivity("guardduty.UpdateDetector") == "weakens defences"
    assert sensitivity("listbuckets") == ""


def test_cloudtrail_puts_the_api_name_in_object() -> None:
    [event] = CloudTrailParser().parse(
        {
            "eventVersion": "1.09",
            "eventTime": "2024-08-01T13:33:28Z",
            "eventSource": "secretsmanager.amazonaws.com",
            "eventName": "GetSecretValue",
            "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "IAMUser", "userName": "ann"},
            "requestParameters": {"secretId": "prod/db"},
        },
        ParseContext(tenant="t", source="trail.json", position=1),
    )
    assert (event.action, event.object, event.user) == (Action.API_CALL, "GetSecretValue", "ann")
