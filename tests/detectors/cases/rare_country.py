"""Conformance case: a mature user signs in with a country never seen for them."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_country"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case("country", "KP", usual=lambda user: f"C{user[-1]}")
