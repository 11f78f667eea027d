"""Conformance case: a mature principal calls a sensitive API nobody in the tenant calls."""

from __future__ import annotations

import msgspec

from schemas.event import Action, Event
from tests.detectors.streams import after, normal_stream

DETECTOR = "rare_api_call"
PARAMS = {"learning_days": 3.0, "min_events": 5}
#: Every principal's everyday calls: a few shared by all, one of their own.
_COMMON = ("DescribeInstances", "ListBuckets", "DescribeVpcs")


def history(seed: int = 1, days: int = 14) -> list[Event]:
    return [
        msgspec.structs.replace(
            e,
            action=Action.API_CALL,
            app="ec2.amazonaws.com",
            object=(*_COMMON, f"DescribeStack{e.user[-1]}")[index % 4],
        )
        for index, e in enumerate(normal_stream(seed=seed, days=days))
    ]


def anomaly(events: list[Event]) -> Event:
    return Event(
        time=after(events),
        tenant="acme",
        source_format="test",
        action=Action.API_CALL,
        user="user1",
        src_ip="10.0.1.23",
        app="secretsmanager.amazonaws.com",
        object="GetSecretValue",
        record_id="anomaly",
    )
