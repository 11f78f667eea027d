"""Labelled synthetic scenarios in real raw log formats, for end-to-end detection benchmarks.

>>> from benchmarks.scenario import ATTACKS
>>> sorted({kind.family for kind in ATTACKS.values()})
['credential_misuse', 'lateral_movement', 'privilege_abuse']

Usage::

    from benchmarks.scenario import generate
    truth = generate(Path("out"), seed=7, days=21, users=60)   # out/logs/..., out/truth.json

or ``python -m benchmarks.scenario OUT_DIR [--seed N] [--days N] [--users N] [--attacks a,b]``.
"""

from benchmarks.scenario.attacks import ATTACKS, CATALOGUE, THREATS, AttackKind
from benchmarks.scenario.generator import AttackTruth, BenignTruth, ScenarioTruth, generate

__all__ = [
    "ATTACKS",
    "CATALOGUE",
    "THREATS",
    "AttackKind",
    "AttackTruth",
    "BenignTruth",
    "ScenarioTruth",
    "generate",
]
