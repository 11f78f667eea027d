"""Conformance case: a mature user signs in from a workstation never seen for them."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_workstation"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case("src_host", "kali")
