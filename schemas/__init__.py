"""Canonical Event and Alert types, JSON Schemas, parsers and format sniffing.

Nothing in here imports Kafka or Faust: the same parsers serve `vigil detect` and the workers.
"""

from schemas.alert import Alert, EntityRef, Evidence, Factor
from schemas.event import Action, Event, Outcome

__all__ = ["Action", "Alert", "EntityRef", "Event", "Evidence", "Factor", "Outcome"]
