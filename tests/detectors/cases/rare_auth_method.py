"""Conformance case: a mature user who always signs in with Kerberos signs in with NTLM."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_auth_method"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case("auth_protocol", "ntlm", usual=lambda user: "kerberos")
