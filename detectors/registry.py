"""Detectors by name: adding one is a module with a ``@register``-ed class, plus its name in
``DETECTOR_MODULES`` so it is imported."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from detectors.base import Detector

DETECTORS: dict[str, type[Detector]] = {}
DETECTOR_MODULES: tuple[str, ...] = ("rare_source",)


def register(cls: type[Detector]) -> type[Detector]:
    if cls.name in DETECTORS:
        raise ValueError(f"detector {cls.name!r} registered twice")
    DETECTORS[cls.name] = cls
    return cls


def load_all() -> dict[str, type[Detector]]:
    for module in DETECTOR_MODULES:
        importlib.import_module(f"detectors.{module}")
    return DETECTORS


def build(names: list[str] | None = None, params: Mapping[str, Mapping[str, Any]] | None = None) -> list[Detector]:
    """Instantiate detectors by name (all registered ones by default) with per-name parameters."""
    registry = load_all()
    chosen = sorted(registry) if names is None else names
    unknown = [name for name in chosen if name not in registry]
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(registry)}")
    params = params or {}
    return [registry[name](**dict(params.get(name, {}))) for name in chosen]
