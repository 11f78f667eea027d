"""Conformance case: a mature user signs in with a user agent never seen for them."""

from __future__ import annotations

from tests.detectors.streams import new_attribute_case

DETECTOR = "rare_user_agent"
PARAMS = {"learning_days": 3.0, "min_events": 5}

history, anomaly = new_attribute_case(
    "user_agent", "python-requests/2.31", usual=lambda user: f"Mozilla/5.0 corp-browser {user[-1]}"
)
