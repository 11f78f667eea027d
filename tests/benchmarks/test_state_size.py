"""``benchmarks.state_size.held_bytes``: the in-memory figure counts every array once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmarks.state_size import held_bytes


@dataclass
class _Table:
    keys: np.ndarray
    extra: dict[str, object] = field(default_factory=dict)


class _Slotted:
    __slots__ = ("counts",)

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts


def test_arrays_reached_twice_or_through_views_count_once() -> None:
    keys = np.zeros(100, dtype=np.int64)  # 800 B
    shared = _Table(keys, {"view": keys[:10], "again": [keys, (keys,)]})
    slotted = _Slotted(np.ones(50, dtype=np.float32))  # 200 B
    assert held_bytes([shared, shared, {"s": slotted}]) == 800 + 200


def test_growth_room_counts_and_nothing_else_does() -> None:
    grown = np.empty(1024, dtype=np.float64)  # capacity, not only the used rows
    assert held_bytes(_Table(grown[:3], {"name": "x", "n": 7})) == 8192
    assert held_bytes({"name": "no arrays", "n": [1, 2, 3]}) == 0


def test_an_array_over_a_foreign_buffer_counts_its_bytes() -> None:
    assert held_bytes([np.frombuffer(bytes(64), dtype=np.uint8)]) == 64
