"""Events per UTC hour of day for some entities, held as they are saved: the non-zero cells only.

A novelty detector counts each entity's events per hour of the day (24 cells a row). Half the
cells are 0 (nobody signs in at every hour), and a dense row of ``uint16`` counts was ~40 B/user
of memory for each of ``rare_source_network``, ``rare_auth_method`` and ``rare_workstation``
(``benchmarks.state_size --days 28 --users 200``). Here a row is a 24-bit mask of its non-zero
hours (``uint32``) and the counts of those cells, row after row in hour order: the numbers of
the dense table, in the type :func:`~detectors.base.narrow_counts` gives its largest, and the
saved form (:func:`detectors._exact.sparse_rows` of the dense table) falls out bit for bit.

Adding to cells that already count something is in place; a cell's first event inserts it
(a copy of the counts: after the first weeks, few batches bring an entity a new hour).

>>> profiles = HourProfiles()
>>> slot = profiles.slots(np.array([7, 3, 7]))
>>> profiles.add(slot, np.array([9, 23, 9]))
>>> profiles.ids.tolist(), int(profiles.rows(np.array([1]))[0, 9]), profiles.values.tolist()
([3, 7], 2, [1, 2])
"""

from __future__ import annotations

import numpy as np

from detectors._sort import unique1d
from detectors.base import find_sorted, narrow_counts, sorted_unique
from detectors.batch import Int64Array

HOURS = 24
_HOUR_BITS = np.left_shift(np.uint32(1), np.arange(HOURS, dtype=np.uint32))


def _present(masks: np.ndarray) -> np.ndarray:
    """``(len(masks), 24)``: which hours of each row count something."""
    present: np.ndarray = (masks[:, None] & _HOUR_BITS) != 0
    return present


class HourProfiles:
    """Rows of 24 whole counts for sorted entity ids ``ids``, non-zero cells only."""

    def __init__(self) -> None:
        self.ids: np.ndarray = np.empty(0, dtype=np.uint32)  # sorted entity ids, a row each
        self.masks: np.ndarray = np.empty(0, dtype=np.uint32)  # bit h: hour h counts something
        self.values: np.ndarray = narrow_counts([])  # the non-zero cells, row by row, by hour

    def __len__(self) -> int:
        return len(self.ids)

    # -- reading ---------------------------------------------------------------------------

    def _starts(self) -> Int64Array:
        """Where each row's cells start in ``values``."""
        sizes = np.bitwise_count(self.masks).astype(np.int64)
        starts: Int64Array = np.zeros(len(sizes), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        return starts

    def rows(self, slots: Int64Array) -> Int64Array:
        """The dense rows at ``slots`` (row positions), as ``int64``."""
        present = _present(self.masks[slots])
        # each present cell's place: its row's start plus the present cells before it
        place = self._starts()[slots][:, None] + np.cumsum(present, axis=1) - 1
        table: Int64Array = np.zeros((len(slots), HOURS), dtype=np.int64)
        table[present] = self.values[place[present]]
        return table

    def dense(self) -> np.ndarray:
        """Every row as the dense table (in the counts' type)."""
        present = _present(self.masks)
        table = np.zeros((len(self.ids), HOURS), dtype=self.values.dtype)
        table[present] = self.values
        return table

    def saved(self) -> tuple[np.ndarray, np.ndarray]:
        """(bitmap of the non-zero cells, their values): ``sparse_rows(self.dense())``."""
        present = _present(self.masks)
        return np.packbits(present.reshape(-1)), self.values.copy()

    def find(self, entity: Int64Array) -> tuple[Int64Array, np.ndarray]:
        """Each entity's row (clipped) and whether it has one."""
        return find_sorted(self.ids.astype(np.int64), entity)

    # -- writing ---------------------------------------------------------------------------

    def slots(self, entity: Int64Array) -> Int64Array:
        """Each entity's row, an empty row inserted for those without one (in id order, so the
        table depends on the entities seen, not on the batching)."""
        present = sorted_unique(entity)
        _, found = self.find(present)
        if not found.all():
            ids = np.union1d(self.ids, present).astype(np.uint32)
            masks = np.zeros(len(ids), dtype=np.uint32)
            masks[np.searchsorted(ids, self.ids)] = self.masks
            self.ids, self.masks = ids, masks
        slot: Int64Array = np.searchsorted(self.ids, entity).astype(np.int64)
        return slot

    def add(self, slots: Int64Array, hours: Int64Array) -> None:
        """One event per (row ``slots``, hour ``hours``) pair, rows made by :meth:`slots`."""
        if not len(slots):
            return
        cells, hits = unique1d(slots * HOURS + hours, return_counts=True)
        row, hour = cells // HOURS, cells % HOURS
        bit = _HOUR_BITS[hour]
        new = (self.masks[row] & bit) == 0
        if new.any():
            # The counts of the cells counting something, each as the table's flat cell number,
            # merged with the new cells (distinct from them) in cell order.
            old_cells = self._cells()
            merged = np.concatenate([old_cells, cells[new]])
            order = np.argsort(merged, kind="stable")
            values = np.concatenate(
                [self.values.astype(np.int64), np.zeros(int(new.sum()), dtype=np.int64)]
            )[order]
            np.bitwise_or.at(self.masks, row[new], bit[new])
            self.values = narrow_counts(values) if len(values) else self.values
        self._bump(row, hour, hits)

    def _cells(self) -> Int64Array:
        present = _present(self.masks)
        cells: Int64Array = np.flatnonzero(present.reshape(-1)).astype(np.int64)
        return cells

    def _bump(self, row: Int64Array, hour: Int64Array, hits: Int64Array) -> None:
        """Add ``hits`` to cells that count something already (distinct cells)."""
        below = self.masks[row] & (_HOUR_BITS[hour] - np.uint32(1))
        place = self._starts()[row] + np.bitwise_count(below).astype(np.int64)
        totals = self.values[place].astype(np.int64) + hits
        wide = narrow_counts(np.array([int(totals.max())])).dtype
        if np.iinfo(wide).max > np.iinfo(self.values.dtype).max:
            self.values = self.values.astype(wide)
        self.values[place] = totals

    # -- snapshots -------------------------------------------------------------------------

    @classmethod
    def from_dense(cls, ids: np.ndarray, table: np.ndarray) -> HourProfiles:
        """Rows ``table`` (whole counts, ``(len(ids), 24)``) of sorted ``ids``."""
        profiles = cls()
        hours = narrow_counts(np.asarray(table).reshape(-1, HOURS))
        present = hours != 0
        profiles.ids = np.asarray(ids, dtype=np.uint32)
        profiles.masks = (present * _HOUR_BITS).sum(axis=1, dtype=np.uint32).astype(np.uint32)
        profiles.values = hours[present]
        return profiles
