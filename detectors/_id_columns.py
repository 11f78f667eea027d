"""Per-id columns held at the ids that were used only, as :func:`detectors._exact.used_slots`
saves them.

A dense per-id array keeps a slot for every id below the largest seen. ``lateral_new_edge``'s
per-source columns are indexed by host id, and half the hosts never were a source (~20 B/user
of unused slots at ``benchmarks.state_size --days 28 --users 200``). Here the used ids are kept
sorted (16 bits while every id fits, as interned ids are elsewhere) with their columns aligned;
an id never used reads as its column's fill, exactly what its dense slot held.

>>> columns = IdColumns({"count": 0})
>>> columns.dense_size = 0
>>> at = columns.positions(np.array([9, 2, 9]))
>>> columns["count"] = np.bincount(at, minlength=len(columns)).astype(np.uint8)
>>> columns.ids.tolist(), columns.gather("count", np.array([2, 5, 9])).tolist()
([2, 9], [1, 0, 2])
>>> columns.dense("count").tolist()
[0, 0, 1, 0, 0, 0, 0, 0, 0, 2]
"""

from __future__ import annotations

import numpy as np

from detectors.base import find_sorted
from detectors.batch import BoolArray, Int64Array

_NARROW_TOP = int(np.iinfo(np.uint16).max)


def _stored_ids(ids: np.ndarray) -> np.ndarray:
    """Sorted ids in 16 bits while the largest fits, else 32."""
    wide = len(ids) and int(ids[-1]) > _NARROW_TOP
    return np.asarray(ids, dtype=np.uint32 if wide else np.uint16)


class IdColumns:
    """Columns (named, each with its fill) at sorted ids; ``dense_size`` is the length of the
    dense arrays they stand for (the largest id seen plus one, or a loaded array's length)."""

    def __init__(self, fills: dict[str, float]) -> None:
        self.fills = fills
        self.ids: np.ndarray = np.empty(0, dtype=np.uint16)
        self.columns: dict[str, np.ndarray] = {}
        self.dense_size = 0

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, column: np.ndarray) -> None:
        self.columns[name] = column

    def gather(self, name: str, ids: Int64Array) -> np.ndarray:
        """The column at ``ids`` (the fill where an id has no slot), in the column's type."""
        column = self.columns[name]
        position, found = find_sorted(self.ids.astype(np.int64), ids)
        result: np.ndarray = np.full(len(ids), self.fills[name], dtype=column.dtype)
        result[found] = column[position[found]]
        return result

    def positions(self, ids: Int64Array) -> Int64Array:
        """Where ``ids`` are, a slot (every column at its fill) inserted for those without one."""
        if len(ids):
            self.dense_size = max(self.dense_size, int(ids.max()) + 1)
        _, found = find_sorted(self.ids.astype(np.int64), ids)
        if not found.all():
            merged = np.union1d(self.ids.astype(np.int64), ids)
            kept = np.searchsorted(merged, self.ids.astype(np.int64))
            for name, column in self.columns.items():
                grown = np.full(len(merged), self.fills[name], dtype=column.dtype)
                grown[kept] = column
                self.columns[name] = grown
            self.ids = _stored_ids(merged)
        at: Int64Array = np.searchsorted(self.ids.astype(np.int64), ids).astype(np.int64)
        return at

    def dense(self, name: str) -> np.ndarray:
        """The column as the dense per-id array it stands for."""
        column = self.columns[name]
        full = np.full(self.dense_size, self.fills[name], dtype=column.dtype)
        full[self.ids.astype(np.int64)] = column
        return full

    def load_dense(self, columns: dict[str, np.ndarray], used: BoolArray) -> None:
        """From dense arrays (all of one length): the ``used`` slots, and any slot of a column
        that is not its fill (none in snapshots this code saved; kept rather than dropped)."""
        size = len(used)
        used = np.asarray(used, dtype=np.bool_).copy()
        for name, column in columns.items():
            fill = np.full(size, self.fills[name], dtype=column.dtype)
            used |= _differs(np.asarray(column), fill)
        self.ids = _stored_ids(np.flatnonzero(used))
        self.columns = {name: np.asarray(column)[used] for name, column in columns.items()}
        self.dense_size = size


def _differs(column: np.ndarray, fill: np.ndarray) -> BoolArray:
    """Slots whose bits differ from the fill's (a NaN fill is NaN, -0.0 is not 0.0)."""
    width = column.dtype.itemsize
    a = np.ascontiguousarray(column).view(np.uint8).reshape(-1, width)
    b = np.ascontiguousarray(fill).view(np.uint8).reshape(-1, width)
    differs: BoolArray = (a != b).any(axis=1)
    return differs
