"""Conformance case: a mature user signs in with an ASN never seen for them."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_asn"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case("asn", "AS9009", usual=lambda user: f"6450{user[-1]}")
