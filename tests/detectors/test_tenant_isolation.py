"""One tenant's baselines never shape another tenant's alerts: tenant B's alerts are the same
whether or not tenant A's (different) organisation is processed in the same engine."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from benchmarks.scenario import generate
from detectors.engine import Engine
from schemas.event import Event
from schemas.readers import InputReader


def events_of(root: Path, tenant: str) -> list[Event]:
    reader = InputReader(tenant=tenant, sink=lambda letter: None)
    return list(reader.read_paths([str(root / "logs")]))


def run(events: list[Event]) -> dict[str, bytes]:
    """The final version of every incident (batch boundaries decide which intermediate
    versions are emitted, so only the final ones are comparable across runs)."""
    engine = Engine()
    final: dict[str, tuple[int, bytes]] = {}
    for start in range(0, len(events), 4096):
        for alert in engine.process(events[start : start + 4096]):
            if alert.incident_key not in final or alert.version > final[alert.incident_key][0]:
                final[alert.incident_key] = (alert.version, msgspec.json.encode(alert))
    return {key: encoded for key, (_, encoded) in final.items()}


@pytest.fixture(scope="module")
def two_orgs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Event], list[Event]]:
    root = tmp_path_factory.mktemp("orgs")
    generate(root / "a", seed=3, days=12, users=20, tenant="acme", learning_days=5)
    generate(root / "b", seed=4, days=12, users=20, tenant="globex", learning_days=5)
    return events_of(root / "a", "acme"), events_of(root / "b", "globex")


def test_tenant_b_alerts_do_not_depend_on_tenant_a(
    two_orgs: tuple[list[Event], list[Event]],
) -> None:
    acme, globex = two_orgs
    alone = run(globex)
    together = run(sorted(acme + globex, key=lambda e: e.time))
    globex_together = {k: a for k, a in together.items() if b'"tenant":"globex"' in a}
    assert alone, "the scenario raised no alert for globex"
    assert len(globex_together) < len(together), "acme raised no alert: the test proves little"
    assert globex_together == alone
    assert all(b"acme" not in a for a in globex_together.values())
