"""A self-rotation of an access key (new key for oneself, old one retired minutes later from the
same address) is no new credential; a key added without retiring one, or for someone else, is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from detectors._rotation import key_rotations
from detectors.account_lifecycle import AccountLifecycle
from detectors.base import Detector
from detectors.batch import BatchBuilder
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event
from tests.detectors.test_privilege import scored, trained

_HOME = "10.0.0.5"


def _calls(
    history: list[Event],
    steps: list[tuple[float, str, str]],
    ip: str = _HOME,
) -> list[Event]:
    """``(seconds after the start, verb, target)`` calls by user4 through IAM."""
    start = history[-1].time + timedelta(hours=1)
    return [
        Event(
            time=start + timedelta(seconds=seconds),
            tenant="acme",
            source_format="cloudtrail",
            action=Action.ACCOUNT_CHANGE,
            user="user4",
            target_user=target,
            src_ip=_HOME if verb == "access_key_created" else ip,
            app="iam.amazonaws.com",
            auth_protocol="access_key",
            object=verb,
        )
        for seconds, verb, target in steps
    ]


_ROTATION = [
    (0.0, "access_key_created", "user4"),
    (40.0, "access_key_deactivated", "user4"),
    (80.0, "access_key_deleted", "user4"),
]


@pytest.mark.parametrize("make", [PrivilegedAction, AccountLifecycle])
def test_completed_self_rotation_is_quiet(make: type[Detector]) -> None:
    detector = make()
    builder, history = trained(detector)
    signals = scored(detector, builder, _calls(history, _ROTATION))
    assert float(signals.points.sum()) < 1.0, signals.titles


def test_key_added_without_retiring_one_still_scores() -> None:
    detector = PrivilegedAction()
    builder, history = trained(detector)
    alone = _calls(history, _ROTATION[:1])
    assert float(scored(detector, builder, alone).points.sum()) >= 10


@pytest.mark.parametrize(
    ("steps", "ip"),
    [
        # A key for someone else, then the caller retires one of their own: no rotation.
        (
            [(0.0, "access_key_created", "user9"), (40.0, "access_key_deleted", "user4")],
            _HOME,
        ),
        # The old key retired from another address.
        (_ROTATION, "203.0.113.9"),
        # The old key retired hours later: not the same sitting.
        ([(0.0, "access_key_created", "user4"), (7200.0, "access_key_deleted", "user4")], _HOME),
        # Only a key deactivated before the new one was made.
        ([(0.0, "access_key_deactivated", "user4"), (40.0, "access_key_created", "user4")], _HOME),
    ],
)
def test_not_a_rotation(steps: list[tuple[float, str, str]], ip: str) -> None:
    history = trained(PrivilegedAction())[1]
    batch = BatchBuilder().build(_calls(history, steps, ip))
    created = [e.object == "access_key_created" for e in batch.events]
    assert not key_rotations(batch)[created].any()
    detector = PrivilegedAction()
    builder, history = trained(detector)
    assert float(scored(detector, builder, _calls(history, steps, ip)).points.sum()) >= 10
