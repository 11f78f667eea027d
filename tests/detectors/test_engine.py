"""Engine behaviour: alerts from signals, one incident per entity, state that survives a split."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jsonschema
import orjson
import pytest

from detectors.engine import Engine
from detectors.risk import RiskConfig
from schemas.alert import alert_json_schema, encode_alert
from schemas.event import Action, Event
from tests.detectors.streams import normal_stream


def attacker_logons(history: list[Event], user: str = "user1", count: int = 3) -> list[Event]:
    # At 3 a.m. the next day, from a network the user never used: two findings on each logon.
    start = (history[-1].time + timedelta(days=1)).replace(hour=3, minute=0)
    return [
        Event(
            time=start + timedelta(minutes=10 * i),
            tenant="acme",
            source_format="test",
            action=Action.LOGON,
            user=user,
            src_ip=f"198.51.100.{20 + i}",
            dst_host="srv1",
            record_id=f"attack-{i}",
        )
        for i in range(count)
    ]


def stream() -> list[Event]:
    history = normal_stream(days=21, users=6)
    return history + attacker_logons(history)


def alert_keys(alerts: list) -> list[tuple[str, str, int, str]]:
    return [(a.id, a.incident_key, a.version, a.entity.id) for a in alerts]


def test_new_network_for_a_mature_user_raises_one_incident() -> None:
    engine = Engine()
    alerts = []
    for start in range(0, len(stream()), 100):
        alerts += engine.process(stream()[start : start + 100])
    assert alerts, "no alert for a user signing in from a never-seen network"
    assert {a.entity.id for a in alerts} == {"user1"}
    assert len({a.incident_key for a in alerts}) == 1
    first = alerts[0]
    assert first.detector == "rare_source_network"
    assert "198.51.100.0/24" in first.title and "user1" in first.title
    assert first.explanation and first.explanation[0].baseline
    assert first.evidence[0].id == "attack-0"
    assert "T1078" in first.mitre


def test_alerts_validate_against_the_checked_in_schema() -> None:
    schema = orjson.loads(
        (Path(__file__).parents[2] / "schemas" / "alert.schema.json").read_bytes()
    )
    assert schema == orjson.loads(orjson.dumps(alert_json_schema()))
    engine = Engine()
    alerts = engine.process(stream())
    assert alerts
    for alert in alerts:
        jsonschema.validate(orjson.loads(encode_alert(alert)), schema)


@pytest.mark.parametrize("split", [50, 400, 1001])
def test_split_run_with_state_equals_one_run(split: int, tmp_path: Path) -> None:
    events = stream()
    whole = Engine().process(events)
    first = Engine()
    part = first.process(events[:split])
    first.save(tmp_path)
    second = Engine()
    assert second.load(tmp_path)
    part += second.process(events[split:])
    assert alert_keys(part) == alert_keys(whole)


def test_batch_size_does_not_change_alerts() -> None:
    events = stream()
    whole = Engine().process(events)
    engine = Engine()
    small = [a for i in range(0, len(events), 7) for a in engine.process(events[i : i + 7])]
    assert whole

    def final(alerts: list) -> dict[str, bytes]:
        # Which intermediate versions are emitted depends on the batching (one per incident
        # per batch); the final version of every incident must not.
        latest: dict[str, object] = {}
        for alert in alerts:
            if (
                alert.incident_key not in latest
                or alert.version > latest[alert.incident_key].version
            ):  # type: ignore[attr-defined]
                latest[alert.incident_key] = alert
        return {key: encode_alert(alert) for key, alert in latest.items()}  # type: ignore[arg-type]

    assert final(small) == final(whole)


def test_below_the_bar_no_alert() -> None:
    engine = Engine(risk=RiskConfig(alert_bar=100, slow_bar=100))
    assert engine.process(stream()) == []
    assert engine.signals_raised > 0


def test_tenants_do_not_share_baselines() -> None:
    history = normal_stream(days=21, users=6)
    other = [
        Event(**{**{f: getattr(e, f) for f in e.__struct_fields__}, "tenant": "globex"})
        for e in attacker_logons(history)
    ]
    engine = Engine()
    engine.process(history)
    alerts = engine.process(other)
    # globex has no history: user1 there is a brand-new entity in its learning period.
    assert alerts == []


def test_state_is_numpy_and_json_only(tmp_path: Path) -> None:
    engine = Engine()
    engine.process(stream())
    engine.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "meta.json",
        "risk.json",
        "state.npz",
        "vocab.json",
    ]
    assert engine.state_bytes() > 0


def test_vocabularies_survive_a_restore_with_two_tenants_and_odd_strings(tmp_path: Path) -> None:
    """Saved vocabularies give the same ids after a load: per tenant (the same name in two
    tenants is two entities) and for strings JSON encoders differ on (non-ASCII, a lone
    surrogate from a badly decoded log line)."""
    history = normal_stream(days=3, users=3)
    odd = [
        event.__class__(**{**{f: getattr(event, f) for f in event.__struct_fields__}, **change})
        for event, change in zip(
            history[:3],
            [{"tenant": "globex"}, {"user": "jos\u00e9"}, {"user": "bad\udcff"}],
            strict=True,
        )
    ]
    engine = Engine()
    engine.process(history + odd)
    engine.save(tmp_path)
    restored = Engine()
    assert restored.load(tmp_path)
    for kind, vocab in engine.builder.vocab.items():
        again = restored.builder.vocab[kind]
        assert again.keys == vocab.keys, kind
        for tenant, ids in vocab.by_tenant.items():
            for value, index in ids.items():
                assert again.intern(tenant, value) == index, (kind, tenant, value)
    users = restored.builder.vocab["user"]
    assert users.intern("globex", history[0].user) != users.intern("acme", history[0].user)
    assert users.intern("acme", "bad\udcff") >= 0
    assert len(users) == len(engine.builder.vocab["user"])  # nothing was new
