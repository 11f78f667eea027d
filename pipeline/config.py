"""Configuration from a TOML file; anything unknown or out of range fails fast with a fix."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from detectors import registry
from detectors.risk import RiskConfig


class ConfigError(ValueError):
    """Invalid configuration; the message says what to change."""


@dataclass(frozen=True)
class VigilConfig:
    risk: RiskConfig = field(default_factory=RiskConfig)
    detectors: list[str] | None = None  # None = every registered detector
    detector_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    batch_size: int = 8192
    # Parse worker processes for `vigil detect`: None = automatic (one per CPU for inputs of
    # 4 MiB or more), 0 = parse in the detecting process.
    parse_workers: int | None = None
    allow: list[dict[str, Any]] = field(default_factory=list)  # allow-list suppressions
    notify: list[dict[str, Any]] = field(default_factory=list)  # on-call sinks


def load_config(path: str | None) -> VigilConfig:
    """Read ``path`` (TOML) or return the defaults.

    ```toml
    batch_size = 8192
    parse_workers = 2   # default "auto"; 0 = parse in the detecting process
    [risk]
    alert_bar = 40
    half_life_hours = 48
    [detectors]
    enabled = ["rare_source_network"]
    [detectors.rare_source_network]
    learning_days = 7
    [[allow]]   # suppress known-benign alerts (same fields as feedback suppressions)
    tenant = "acme"
    entity_type = "user"
    entity_id = "backup-svc"
    detector = "lateral_fan_out"
    owner = "soc@acme"
    reason = "nightly backup"
    expires = "2025-12-31T00:00:00+00:00"
    [[notify]]
    kind = "pagerduty"
    ```
    """
    if path is None:
        return VigilConfig()
    try:
        document = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
    unknown = set(document) - {
        "risk",
        "detectors",
        "batch_size",
        "parse_workers",
        "allow",
        "notify",
    }
    if unknown:
        raise ConfigError(
            f"config {path}: unknown section(s) {sorted(unknown)}; "
            "allowed: risk, detectors, batch_size, parse_workers, allow, notify"
        )
    risk_fields = {f.name for f in fields(RiskConfig)}
    risk_table = document.get("risk", {})
    bad = set(risk_table) - risk_fields
    if bad:
        raise ConfigError(
            f"config {path}: unknown [risk] key(s) {sorted(bad)}; allowed: {sorted(risk_fields)}"
        )
    try:
        risk = RiskConfig(**risk_table)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config {path}: [risk] {exc}") from exc
    detector_table = dict(document.get("detectors", {}))
    enabled = detector_table.pop("enabled", None)
    known = registry.load_all()
    names = list(enabled) if enabled is not None else None
    for name in [*(names or []), *detector_table]:
        if name not in known:
            raise ConfigError(f"config {path}: unknown detector {name!r}; known: {sorted(known)}")
    params = {name: dict(table) for name, table in detector_table.items()}
    try:
        registry.build(names, params)  # instantiate once so bad parameters fail now
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config {path}: [detectors] {exc}") from exc
    batch_size = document.get("batch_size", 8192)
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 1_000_000:
        raise ConfigError(f"config {path}: batch_size must be an integer in 1..1000000")
    parse_workers = document.get("parse_workers", "auto")
    if parse_workers == "auto":
        parse_workers = None
    elif (
        isinstance(parse_workers, bool)
        or not isinstance(parse_workers, int)
        or not 0 <= parse_workers <= 256
    ):
        raise ConfigError(f'config {path}: parse_workers must be "auto" or an integer in 0..256')
    allow = document.get("allow", [])
    notify = document.get("notify", [])
    if not isinstance(allow, list) or not isinstance(notify, list):
        raise ConfigError(f"config {path}: use [[allow]] and [[notify]] (arrays of tables)")
    from pipeline.feedback import FeedbackError, _suppression

    try:
        for item in allow:
            _suppression(item, "[[allow]]")
    except FeedbackError as exc:
        raise ConfigError(f"config {path}: {exc}") from exc
    return VigilConfig(
        risk=risk,
        detectors=names,
        detector_params=params,
        batch_size=batch_size,
        parse_workers=parse_workers,
        allow=list(allow),
        notify=list(notify),
    )
