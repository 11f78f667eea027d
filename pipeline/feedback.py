"""Analyst feedback: suppressions (false positives, allow-lists) and shared indicators (true
positives and high-confidence alerts) that protect every other tenant.

Feedback never touches a detector's learned baseline: a false positive is *suppressed* (the
alert is still counted in metrics and the summary), it is not learned as normal, so marking one
alert "fine" cannot teach the model that an attack is normal.

Files:
- ``<state>/feedback.json``: this tenant's suppressions, each with owner, reason and expiry;
- ``<shared>/indicators.json``: indicator values (public source IPs, user agents) with hashed
  origin tenants only — never a tenant name, user, host or event.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from detectors.shared_indicators import KIND_COLUMNS, tenant_token
from schemas.alert import SEVERITIES, Alert

_DURATION = re.compile(r"^(\d+)\s*([hdw])$")


class FeedbackError(ValueError):
    """Unusable feedback or allow-list entry; the message says what to fix."""


def parse_duration(text: str) -> timedelta:
    """``"12h"``, ``"30d"``, ``"2w"`` -> timedelta.

    >>> parse_duration("30d")
    datetime.timedelta(days=30)
    """
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise FeedbackError(f"expiry {text!r} must look like 12h, 30d or 2w")
    value, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=value), "d": timedelta(days=value), "w": timedelta(weeks=value)}[
        unit
    ]


@dataclass(frozen=True)
class Suppression:
    """Alerts of ``tenant`` about ``entity`` from ``detector`` (and, when given, whose factors
    mention ``observed``, e.g. one source network) are suppressed until ``expires``."""

    tenant: str
    entity_type: str
    entity_id: str
    detector: str
    owner: str
    reason: str
    expires: str  # ISO 8601 UTC
    observed: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def __post_init__(self) -> None:
        for name in ("tenant", "entity_type", "entity_id", "detector", "owner", "reason"):
            if not getattr(self, name):
                raise FeedbackError(f"suppression needs a non-empty {name}")
        if self.entity_type not in ("user", "host", "ip"):
            raise FeedbackError("suppression entity_type must be user, host or ip")
        try:
            expires = datetime.fromisoformat(self.expires)
        except ValueError as exc:
            raise FeedbackError(f"suppression expires {self.expires!r} is not ISO 8601") from exc
        if expires.tzinfo is None:
            raise FeedbackError("suppression expires must carry a timezone (use Z or +00:00)")

    @property
    def key(self) -> str:
        """What a newer suppression for the same scope replaces (the feedback topic's key)."""
        return "|".join(
            (
                "suppress",
                self.tenant,
                self.entity_type,
                self.entity_id,
                self.detector,
                self.observed,
            )
        )

    def active(self, now: datetime) -> bool:
        return datetime.fromisoformat(self.expires) > now

    def matches(self, alert: Alert) -> bool:
        if (alert.tenant, alert.entity.type, alert.entity.id) != (
            self.tenant,
            self.entity_type,
            self.entity_id,
        ):
            return False
        detectors = {alert.detector, *(f.detector for f in alert.explanation)}
        if self.detector not in detectors and self.detector != "*":
            return False
        if self.observed:
            return any(self.observed in f.observed for f in alert.explanation)
        return True


class SuppressionList:
    """Suppressions from feedback plus allow-list entries from configuration."""

    def __init__(self, entries: Iterable[Suppression] = (), path: Path | None = None) -> None:
        self.entries = list(entries)
        self.path = path

    @classmethod
    def load(
        cls, state_dir: str | None, allow: Iterable[Mapping[str, Any]] = ()
    ) -> SuppressionList:
        entries = [_suppression(item, "allow-list") for item in allow]
        path = Path(state_dir) / "feedback.json" if state_dir else None
        if path is not None and path.exists():
            document = json.loads(path.read_text())
            entries += [_suppression(item, str(path)) for item in document.get("suppressions", [])]
        return cls(entries, path)

    def check(self, alert: Alert, now: datetime | None = None) -> Suppression | None:
        moment = now or datetime.now(UTC)
        for entry in self.entries:
            if entry.active(moment) and entry.matches(alert):
                return entry
        return None

    def put(self, entry: Suppression) -> None:
        """Add ``entry`` in memory, replacing an entry of the same scope (streaming feedback)."""
        self.entries = [e for e in self.entries if e.key != entry.key]
        self.entries.append(entry)

    def discard(self, key: str) -> None:
        """Drop the entry with this scope key (a tombstone on the feedback topic)."""
        self.entries = [e for e in self.entries if e.key != key]

    def add(self, entry: Suppression) -> None:
        if self.path is None:
            raise FeedbackError("feedback needs --state DIR to store the suppression")
        self.entries.append(entry)
        stored = []
        if self.path.exists():
            stored = json.loads(self.path.read_text()).get("suppressions", [])
        stored.append(asdict(entry))
        _write_json(self.path, {"suppressions": stored})


def _suppression(item: Mapping[str, Any], where: str) -> Suppression:
    try:
        return Suppression(**dict(item))
    except TypeError as exc:
        raise FeedbackError(f"{where}: bad suppression entry {dict(item)}: {exc}") from exc


class IndicatorStore:
    """Indicators shared by every tenant of one Vigil (embedded: a shared state directory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.indicators: dict[str, dict[str, set[str]]] = {kind: {} for kind in KIND_COLUMNS}
        self.changed = False
        self.dirty: set[tuple[str, str]] = set()  # (kind, value) changed since take_dirty()
        if path is not None and path.exists():
            document = json.loads(path.read_text())
            for kind, table in document.items():
                if kind in self.indicators and isinstance(table, dict):
                    self.indicators[kind] = {str(v): set(map(str, o)) for v, o in table.items()}

    def add(self, kind: str, value: str, tenant: str) -> bool:
        return self.add_token(kind, value, tenant_token(tenant))

    def add_token(self, kind: str, value: str, token: str) -> bool:
        """Like :meth:`add` with the tenant's one-way token already computed."""
        if kind not in self.indicators or not value or not token:
            return False
        origins = self.indicators[kind].setdefault(value, set())
        if token in origins:
            return False
        origins.add(token)
        self.changed = True
        self.dirty.add((kind, value))
        return True

    def merge(self, kind: str, value: str, tokens: Iterable[str]) -> bool:
        """Fold in a replicated record (origin tokens, never names). True when this store
        knows tokens the record lacks: the record is stale and should be republished (the
        table is a grow-only set per indicator, so republishing the union converges)."""
        if kind not in self.indicators or not value:
            return False
        known = set(tokens)
        origins = self.indicators[kind].setdefault(value, set())
        if not known <= origins:
            origins |= known
            self.changed = True
        return bool(origins - known)

    def take_dirty(self) -> list[tuple[str, str, list[str]]]:
        """``(kind, value, sorted origin tokens)`` added locally since the last call."""
        dirty, self.dirty = sorted(self.dirty), set()
        return [(k, v, sorted(self.indicators[k][v])) for k, v in dirty]

    def add_from_alert(self, alert: Alert) -> int:
        """Public source IPs of an alert (never private addresses: they mean nothing, and say
        something, outside their own network)."""
        added = 0
        for ref in alert.related:
            if ref.type == "ip" and _is_public(ref.id):
                added += self.add("ip", ref.id, alert.tenant)
        if alert.entity.type == "ip" and _is_public(alert.entity.id):
            added += self.add("ip", alert.entity.id, alert.tenant)
        return added

    def snapshot(self) -> dict[str, dict[str, list[str]]]:
        return {k: {v: sorted(o) for v, o in t.items()} for k, t in self.indicators.items()}

    def save(self) -> None:
        if self.path is not None and self.changed:
            _write_json(self.path, self.snapshot())
            self.changed = False


# -- records on the feedback and indicators topics (streaming) ---------------------------------


def feedback_record(entry: Suppression) -> tuple[bytes, bytes]:
    """A false positive on ``vigil.feedback``: key = the suppression's scope (latest wins)."""
    return entry.key.encode(), json.dumps({"type": "suppression", **asdict(entry)}).encode()


def confirmation_record(alert: Alert, owner: str, reason: str) -> tuple[bytes, bytes] | None:
    """A true positive on ``vigil.feedback``: the alert's public indicators and a one-way
    tenant token (the feedback topic names no user or host of the confirming tenant beyond
    the alert id). None when the alert has no shareable indicator."""
    store = IndicatorStore(None)
    store.add_from_alert(alert)
    indicators = [[kind, value] for kind, value, _ in store.take_dirty()]
    if not indicators:
        return None
    document = {
        "type": "confirmation",
        "origin": tenant_token(alert.tenant),
        "alert": alert.id,
        "indicators": indicators,
        "owner": owner,
        "reason": reason,
        "created": datetime.now(UTC).isoformat(),
    }
    return f"confirm|{alert.id}".encode(), json.dumps(document).encode()


def indicator_record(kind: str, value: str, tokens: Iterable[str]) -> tuple[bytes, bytes]:
    """One row of the replicated ``vigil.indicators`` table: ``kind|value`` -> sorted tokens."""
    return f"{kind}|{value}".encode(), json.dumps(sorted(set(tokens))).encode()


def parse_indicator_record(key: bytes | None, value: bytes | None) -> tuple[str, str, list[str]]:
    """``(kind, value, tokens)``; raises :class:`FeedbackError` on a malformed record."""
    try:
        kind, _, indicator = (key or b"").decode().partition("|")
        tokens = json.loads(value) if value is not None else []
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedbackError(f"bad indicator record: {exc}") from exc
    if kind not in KIND_COLUMNS or not indicator or not isinstance(tokens, list):
        raise FeedbackError(f"bad indicator record key {key!r}")
    return kind, indicator, [str(t) for t in tokens]


def high_confidence(alert: Alert, bar: str = "critical") -> bool:
    return SEVERITIES.index(alert.severity) >= SEVERITIES.index(bar)  # type: ignore[arg-type]


def _is_public(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).is_global
    except ValueError:
        return False


def _write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
    os.replace(handle.name, path)
