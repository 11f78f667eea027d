"""State kept once for two detectors: success_after_spray reads password_spray's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from detectors.base import Detector
from detectors.engine import Engine
from detectors.failed_logons import PasswordSpray, SuccessAfterSpray
from schemas.event import Action, Event, Outcome

START = datetime(2024, 3, 4, 8, tzinfo=UTC)


def attempt(minutes: float, user: str, ip: str, ok: bool) -> Event:
    return Event(
        time=START + timedelta(minutes=minutes),
        tenant="t",
        source_format="x",
        action=Action.LOGON if ok else Action.LOGON_FAILED,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        user=user,
        src_ip=ip,
        reason="" if ok else "bad_password",
        record_id=f"{minutes}-{user}-{ip}",
    )


def spray_stream() -> list[Event]:
    """Office sign-ins, then two sprays over days that each end in a success."""
    events = [
        attempt(60 * h + u, f"user{u}", f"10.0.0.{u}", True)
        for h in range(0, 96, 3)
        for u in range(6)
    ]
    for i in range(30):
        events.append(attempt(1_000 + 45 * i, f"user{i % 12}", "203.0.113.50", False))
    events.append(attempt(2_400, "user3", "203.0.113.50", True))
    for i in range(12):
        events.append(attempt(4_000 + 30 * i, f"user{i}", "198.51.100.9", False))
    events.append(attempt(4_500, "user7", "198.51.100.9", True))
    events.sort(key=lambda e: e.time)
    return events


def chunks(events: list[Event], size: int = 37) -> list[list[Event]]:
    return [events[i : i + size] for i in range(0, len(events), size)]


def spray_signals(engine: Engine, events: list[Event]) -> list[tuple[str, float]]:
    """(record id, points) of success_after_spray, run the way the engine runs its detectors."""
    reader = next(d for d in engine.detectors if isinstance(d, SuccessAfterSpray))
    found = []
    for part in chunks(events):
        batch = engine.builder.build(part)
        signals = {d.name: d.score(batch, engine.builder) for d in engine.detectors}
        for detector in engine.detectors:
            detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
        own = signals[reader.name]
        found += [
            (part[int(r)].record_id, float(p)) for r, p in zip(own.rows, own.points, strict=True)
        ]
    return found


def test_engine_keeps_the_spray_counts_once() -> None:
    engine = Engine()
    owner = next(d for d in engine.detectors if isinstance(d, PasswordSpray))
    reader = next(d for d in engine.detectors if isinstance(d, SuccessAfterSpray))
    engine.process(spray_stream())
    assert reader.counts_owner_ is owner
    assert reader.state() == {}
    assert reader.sums_.size == reader.pair_keys_.size == 0  # no hidden second copy either
    assert len(owner.state()["pair_keys"]) > 0


def test_shared_counts_flag_what_own_counts_flag() -> None:
    events = spray_stream()
    alone = spray_signals(Engine(detectors=[SuccessAfterSpray()]), events)
    shared = spray_signals(Engine(detectors=[SuccessAfterSpray(), PasswordSpray()]), events)
    assert len(alone) == 2
    assert shared == alone


def test_other_window_keeps_its_own_counts() -> None:
    engine = Engine(detectors=[PasswordSpray(), SuccessAfterSpray(window_days=5.0)])
    reader = engine.detectors[1]
    assert isinstance(reader, SuccessAfterSpray)
    assert reader.counts_owner_ is None
    engine.process(spray_stream())
    assert len(reader.state()["pair_keys"]) > 0


def old_layout(directory: Path) -> None:
    """Rewrite a snapshot as saved before sharing: success_after_spray with its own copy of the
    counts and the peaks it never read."""
    with np.load(directory / "state.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    for table in ("success_sums", "fail_ips", "fail_sums", "stamp", "pair_keys", "pair_last"):
        arrays[f"success_after_spray/{table}"] = arrays[f"password_spray/{table}"]
    arrays["success_after_spray/peaks"] = np.full_like(arrays["password_spray/peaks"], 0.5)
    np.savez(directory / "state.npz", **arrays)  # type: ignore[arg-type]


def make(kind: str) -> list[Detector]:
    if kind == "both":
        return [PasswordSpray(), SuccessAfterSpray()]
    return [SuccessAfterSpray()]


def test_snapshot_from_before_sharing_still_loads(tmp_path: Path) -> None:
    events = spray_stream()
    split = len(events) // 2 + 5
    whole = Engine().process(events)
    first = Engine()
    part = first.process(events[:split])
    first.save(tmp_path)
    old_layout(tmp_path)
    second = Engine()
    assert second.load(tmp_path)
    part += second.process(events[split:])
    assert [(a.id, a.version) for a in part] == [(a.id, a.version) for a in whole]
    assert any(a.entity.id == "user3" for a in whole)


def test_old_snapshot_restores_a_lone_success_after_spray(tmp_path: Path) -> None:
    events = spray_stream()
    split = len(events) // 2 + 5
    continuous = spray_signals(Engine(detectors=make("alone")), events)
    first = Engine(detectors=make("both"))
    spray_signals(first, events[:split])
    first.save(tmp_path)
    old_layout(tmp_path)
    with np.load(tmp_path / "state.npz", allow_pickle=False) as data:
        kept = {n: data[n] for n in data.files if not n.startswith("password_spray/")}
    np.savez(tmp_path / "state.npz", **kept)  # type: ignore[arg-type]
    second = Engine(detectors=make("alone"))
    assert second.load(tmp_path)
    second.builder = first.builder
    resumed = spray_signals(second, events[split:])
    assert resumed == [s for s in continuous if s[0] in {e.record_id for e in events[split:]}]
    assert resumed
