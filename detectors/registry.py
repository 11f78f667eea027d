"""Detectors by name. Adding one is a new module in ``detectors/`` with a ``@register``-ed class
(and its conformance case in ``tests/detectors/cases/``); modules are discovered on import."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from detectors.base import Detector

DETECTORS: dict[str, type[Detector]] = {}
#: Modules of the package that hold machinery, not detectors.
CORE_MODULES = frozenset({"base", "batch", "engine", "novelty", "registry", "risk", "state"})


def detector_modules() -> list[str]:
    package = Path(__file__).parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(package)])
        if info.name not in CORE_MODULES and not info.name.startswith("_")
    )


def register(cls: type[Detector]) -> type[Detector]:
    if cls.name in DETECTORS:
        raise ValueError(f"detector {cls.name!r} registered twice")
    DETECTORS[cls.name] = cls
    return cls


def load_all() -> dict[str, type[Detector]]:
    for module in detector_modules():
        importlib.import_module(f"detectors.{module}")
    return DETECTORS


def build(
    names: list[str] | None = None, params: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Detector]:
    """Instantiate detectors by name (all registered ones by default) with per-name parameters."""
    registry = load_all()
    chosen = sorted(registry) if names is None else names
    unknown = [name for name in chosen if name not in registry]
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(registry)}")
    params = params or {}
    return [registry[name](**dict(params.get(name, {}))) for name in chosen]
