"""Shared fixtures. ``kafka_broker``: the real broker ``make test`` starts (deploy/kafka)."""

from __future__ import annotations

import os
import socket

import pytest


@pytest.fixture(scope="session")
def kafka_broker() -> str:
    """The broker address; fails (never skips) when nothing answers, since make test starts it."""
    address = os.environ.get("VIGIL_KAFKA", "127.0.0.1:9092").split("://", 1)[-1].split(",")[0]
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=3).close()
    except OSError as exc:
        pytest.fail(
            f"no Kafka broker at {address} ({exc}); start it with `bash deploy/kafka/kafka.sh up`"
            " (make test does) or point VIGIL_KAFKA at one",
            pytrace=False,
        )
    return address
