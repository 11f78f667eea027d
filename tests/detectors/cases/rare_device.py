"""Conformance case: a mature user signs in with a device never seen for them."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_device"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case(
    "device", "DESKTOP-EVIL", usual=lambda user: f"laptop-{user[-1]}"
)
