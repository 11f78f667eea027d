"""Cross-tenant protection: an indicator confirmed in one managed environment raises the score of
the same indicator in every other environment at once.

Indicators are values only (a public source IP, a user agent), with the set of *hashed* origin
tenants so that an environment is not warned about its own incident. Nothing about the origin
environment (its name, users, hosts or events) is stored here or can reach an alert.

>>> from datetime import UTC, datetime
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> detector = SharedIndicators(indicators={"ip": {"203.0.113.9": ["origin-hash"]}})
>>> builder = BatchBuilder()
>>> event = Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="globex", source_format="x",
...               action=Action.LOGON_FAILED, user="bob", src_ip="203.0.113.9")
>>> signals = detector.score(builder.build([event]), builder)
>>> len(signals), signals.titles[0]
(1, 'bob: source IP 203.0.113.9 was confirmed malicious in another managed environment')
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import ClassVar

import numpy as np

from detectors.base import Signals, StateDict
from detectors.batch import BatchBuilder, BoolArray, EventBatch, IntArray
from detectors.registry import register

#: Indicator kinds and the event column each is matched against.
KIND_COLUMNS: dict[str, str] = {"ip": "src_ip", "user_agent": "user_agent"}


def tenant_token(tenant: str) -> str:
    """A one-way token for a tenant name: lets an environment skip its own indicators without
    the shared store naming any environment."""
    return hashlib.sha256(b"vigil-tenant\x1f" + tenant.encode()).hexdigest()[:16]


@register
class SharedIndicators:
    name: ClassVar[str] = "shared_indicator"
    mitre: ClassVar[tuple[str, ...]] = ("T1078", "T1110")

    def __init__(
        self,
        *,
        indicators: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
        points: float = 45.0,
    ) -> None:
        if not 0 < points <= 100:
            raise ValueError("shared_indicator: points must be in (0, 100]")
        unknown = set(indicators or {}) - set(KIND_COLUMNS)
        if unknown:
            raise ValueError(f"shared_indicator: unknown indicator kind(s) {sorted(unknown)}")
        self.points = points
        # kind -> value -> origin tenant tokens
        self.indicators: dict[str, dict[str, frozenset[str]]] = {
            kind: {value: frozenset(origins) for value, origins in table.items()}
            for kind, table in (indicators or {}).items()
        }

    def set_indicators(self, indicators: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        """Replace the indicator set (the pipeline calls this when the shared store changes)."""
        self.indicators = {
            kind: {value: frozenset(origins) for value, origins in table.items()}
            for kind, table in indicators.items()
            if kind in KIND_COLUMNS
        }

    def _matches(self, batch: EventBatch, builder: BatchBuilder, kind: str) -> BoolArray:
        table = self.indicators.get(kind)
        column: IntArray = batch.column(KIND_COLUMNS[kind])
        if not table or len(batch) == 0:
            return np.zeros(len(batch), dtype=np.bool_)
        vocab = builder.vocab["ip" if kind == "ip" else "ua"]
        tenants = builder.vocab["tenant"]
        # Only the batch's distinct (value id, tenant id) pairs are looked up in Python.
        pairs = np.unique(np.stack([column, batch.tenant]), axis=1)
        hits: list[int] = []
        for value_id, tenant_id in pairs.T.tolist():
            if value_id < 0:
                continue
            origins = table.get(vocab.value(value_id))
            if origins is not None and tenant_token(tenants.value(tenant_id)) not in origins:
                hits.append(value_id)
        return np.isin(column, np.asarray(hits, dtype=np.int32)) & (column >= 0)

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, "user", self.mitre)
        flagged_rows: list[int] = []
        labels: list[tuple[str, str]] = []
        for kind in KIND_COLUMNS:
            rows = np.flatnonzero(self._matches(batch, builder, kind))
            flagged_rows.extend(rows.tolist())
            labels.extend((kind, "") for _ in rows)
        if not flagged_rows:
            return signals
        order = np.argsort(np.asarray(flagged_rows), kind="stable")
        rows_arr = np.asarray(flagged_rows, dtype=np.int64)[order]
        kinds = [labels[i][0] for i in order.tolist()]
        user = batch.column("user")[rows_arr]
        # Events without a user count against the source IP entity instead.
        keep = user >= 0
        rows_arr, kinds, user = (
            rows_arr[keep],
            [k for k, m in zip(kinds, keep, strict=True) if m],
            user[keep],
        )
        signals.rows = rows_arr
        signals.entity = user.astype(np.int32)
        signals.points = np.full(len(rows_arr), self.points)
        for row, kind in zip(rows_arr.tolist(), kinds, strict=True):
            event = batch.events[row]
            value = event.src_ip if kind == "ip" else event.user_agent
            label = "source IP" if kind == "ip" else "user agent"
            signals.titles.append(
                f"{event.user}: {label} {value} was confirmed malicious "
                "in another managed environment"
            )
            signals.observed.append(f"{label} {value}")
            signals.baseline.append("indicator confirmed in another managed environment")
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        """Nothing to learn: indicators come from analysts and high-confidence alerts."""

    def state(self) -> StateDict:
        return {}

    def load_state(self, state: StateDict) -> None:
        """Stateless: the indicator set is configuration held by the pipeline."""
