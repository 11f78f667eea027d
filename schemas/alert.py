"""The Alert every tool downstream relies on (OCSF Detection Finding-shaped).

Contract (DESIGN.md): ``id``, ``tenant``, ``time`` (ISO 8601 event time of the first evidence),
``detector``, ``severity``, ``score`` 0-100, ``entity``, ``related``, ``title``, ``explanation``,
``evidence``, ``mitre``. ``incident_key`` stays the same while later evidence is folded into one
incident, so receivers can deduplicate; ``id`` changes with each update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Severity = Literal["info", "low", "medium", "high", "critical"]
EntityType = Literal["user", "host", "ip"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")


class EntityRef(msgspec.Struct, frozen=True):
    type: EntityType
    id: str


class Factor(msgspec.Struct, frozen=True, kw_only=True):
    """One reason the alert was raised: what was seen, what is normal, how much it counted."""

    detector: str
    observed: str
    baseline: str
    contribution: float


class Evidence(msgspec.Struct, frozen=True):
    id: str
    time: datetime


class Alert(msgspec.Struct, kw_only=True):
    id: Annotated[str, msgspec.Meta(min_length=1)]
    incident_key: str
    tenant: str
    time: datetime
    last_seen: datetime
    detector: str
    severity: Severity
    score: Annotated[float, msgspec.Meta(ge=0, le=100)]
    entity: EntityRef
    title: str
    related: list[EntityRef] = msgspec.field(default_factory=list)
    explanation: list[Factor] = msgspec.field(default_factory=list)
    evidence: list[Evidence] = msgspec.field(default_factory=list)
    mitre: list[str] = msgspec.field(default_factory=list)
    version: Annotated[int, msgspec.Meta(ge=1)] = (
        1  # 1 for a new incident, +1 for each update with new evidence
    )


def severity_for_score(score: float) -> Severity:
    """Map a 0-100 risk score to a severity band.

    >>> severity_for_score(95), severity_for_score(50), severity_for_score(10)
    ('critical', 'medium', 'info')
    """
    if score >= 90:
        return "critical"
    if score >= 65:
        return "high"
    if score >= 45:
        return "medium"
    if score >= 25:
        return "low"
    return "info"


def encode_alert(alert: Alert) -> bytes:
    return msgspec.json.encode(alert)


def alert_json_schema() -> dict[str, object]:
    """The JSON Schema of :class:`Alert` (checked in as ``schemas/alert.schema.json``)."""
    schema = msgspec.json.schema(Alert)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Vigil alert"
    return schema
