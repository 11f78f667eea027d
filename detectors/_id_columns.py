"""Per-id columns held at the ids that were used only, as :func:`detectors._exact.used_slots`
saves them.

A dense per-id array keeps a slot for every id below the largest seen. ``lateral_new_edge``'s
per-source columns are indexed by host id, and half the hosts never were a source (~20 B/user
of unused slots at ``benchmarks.state_size --days 28 --users 200``). Here the columns hold the
used ids only, in id order, found through a bitmap of the used ids; an id never used reads as
its column's fill, exactly what its dense slot held.

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

from detectors._grow import grow
from detectors._sort import unique1d
from detectors.batch import BoolArray, Int64Array

_BITS = 64
_ONE = np.uint64(1)


class IdColumns:
    """Columns (named, each with its fill) at the used ids; ``dense_size`` is the length of the
    dense arrays they stand for (the largest id seen plus one, or a loaded array's length).

    Which ids are used is a bitmap over the ids (a bit each), with the number of used ids
    before each 64-bit word: an id's slot is that count plus the used ids below it in its word
    (a few vectorised operations a lookup, and an eighth of a byte an id instead of the 2-4 of a
    sorted id list).
    """

    def __init__(self, fills: dict[str, float]) -> None:
        self.fills = fills
        self.words: np.ndarray = np.empty(0, dtype=np.uint64)  # bit i of word w: id 64 w + i
        self.ranks: np.ndarray = np.empty(0, dtype=np.uint32)  # used ids before each word
        self.columns: dict[str, np.ndarray] = {}
        self.dense_size = 0

    def __len__(self) -> int:
        return int(self.ranks[-1]) + int(np.bitwise_count(self.words[-1])) if len(self.words) else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, column: np.ndarray) -> None:
        self.columns[name] = column

    @property
    def ids(self) -> Int64Array:
        """The used ids, ascending."""
        bits = (self.words[:, None] >> np.arange(_BITS, dtype=np.uint64)) & _ONE
        ids: Int64Array = np.flatnonzero(bits.reshape(-1)).astype(np.int64)
        return ids

    def find(self, ids: Int64Array) -> tuple[Int64Array, BoolArray]:
        """Each id's slot (0 where it has none) and whether it has one."""
        ids = np.asarray(ids, dtype=np.int64)
        word_at = ids >> 6
        inside = word_at < len(self.words)
        if not len(self.words):
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=np.bool_)
        word_at = np.where(inside, word_at, 0)
        word = self.words[word_at]
        offset = (ids & (_BITS - 1)).astype(np.uint64)
        found: BoolArray = inside & (((word >> offset) & _ONE) == _ONE)
        below = np.bitwise_count(word & ((_ONE << offset) - _ONE)).astype(np.int64)
        slot: Int64Array = np.where(found, self.ranks[word_at].astype(np.int64) + below, 0)
        return slot, found

    def gather(self, name: str, ids: Int64Array) -> np.ndarray:
        """The column at ``ids`` (the fill where an id has no slot), in the column's type."""
        return self.take(name, *self.find(ids))

    def take(self, name: str, slot: Int64Array, found: BoolArray) -> np.ndarray:
        """The column at what :meth:`find` answered (the fill where not found)."""
        column = self.columns[name]
        result: np.ndarray = np.full(len(slot), self.fills[name], dtype=column.dtype)
        result[found] = column[slot[found]]
        return result

    def positions(self, ids: Int64Array) -> Int64Array:
        """Where ``ids`` are, a slot (every column at its fill) inserted for those without one."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids):
            self.dense_size = max(self.dense_size, int(ids.max()) + 1)
        slot, found = self.find(ids)
        if found.all():
            return slot
        self._insert(unique1d(ids[~found]))
        return self.find(ids)[0]

    def _insert(self, new: Int64Array) -> None:
        """Slots for the ids ``new`` (sorted, distinct, none used yet), every column at its
        fill there: the bitmap gains their bits and the columns their rows, in place of
        rebuilding both from every used id (a pass of 64 bits per id word and a ufunc.at of
        every used id each batch that brings a new source: ~5 ms a batch at 300k sshd
        events). New arrays throughout: a snapshot may be reading the old ones."""
        old_words, old_count = self.words, len(self)
        word_at = new >> 6
        offset = (new & (_BITS - 1)).astype(np.uint64)
        # Each new id's row in the old columns: the used ids below it.
        inside = word_at < len(old_words)
        at = np.full(len(new), old_count, dtype=np.int64)
        word = old_words[word_at[inside]]
        at[inside] = self.ranks[word_at[inside]].astype(np.int64) + np.bitwise_count(
            word & ((_ONE << offset[inside]) - _ONE)
        ).astype(np.int64)
        words = np.zeros(max(-(-self.dense_size // _BITS), len(old_words)), dtype=np.uint64)
        words[: len(old_words)] = old_words
        np.bitwise_or.at(words, word_at, _ONE << offset)
        ranks = np.zeros(len(words), dtype=np.uint32)
        np.cumsum(np.bitwise_count(words[:-1]).astype(np.uint32), out=ranks[1:])
        self.words, self.ranks = words, ranks
        for name, column in self.columns.items():
            fill = np.full(1, self.fills[name], dtype=column.dtype)
            self.columns[name] = np.insert(column, at, fill[0])

    def _set_ids(self, ids: Int64Array) -> None:
        """The bitmap and ranks of ``ids`` (distinct, any order)."""
        words = np.zeros(-(-self.dense_size // _BITS), dtype=np.uint64)
        np.bitwise_or.at(words, ids >> 6, _ONE << (ids & (_BITS - 1)).astype(np.uint64))
        counts = np.bitwise_count(words).astype(np.uint32)
        self.ranks = np.zeros(len(words), dtype=np.uint32)
        np.cumsum(counts[:-1], out=self.ranks[1:])
        self.words = words

    def dense(self, name: str) -> np.ndarray:
        """The column as the dense per-id array it stands for."""
        column = self.columns[name]
        full = np.full(self.dense_size, self.fills[name], dtype=column.dtype)
        full[self.ids] = column
        return full

    def load_dense(self, columns: dict[str, np.ndarray], used: BoolArray) -> None:
        """From dense arrays: the ``used`` slots, and any slot of a column that is not its fill
        (none in snapshots this code saved; kept rather than dropped). A shorter array reads
        as its fill beyond its end, as :func:`~detectors.base.gather` reads it."""
        size = max([len(used), *(len(column) for column in columns.values())])
        columns = {name: grow(np.asarray(c), size, self.fills[name]) for name, c in columns.items()}
        used = grow(np.asarray(used, dtype=np.bool_), size, False).copy()
        for name, column in columns.items():
            fill = np.full(size, self.fills[name], dtype=column.dtype)
            used |= _differs(column, fill)
        self.dense_size = size
        self._set_ids(np.flatnonzero(used).astype(np.int64))
        self.columns = {name: np.asarray(column)[used] for name, column in columns.items()}


def _differs(column: np.ndarray, fill: np.ndarray) -> BoolArray:
    """Slots whose bits differ from the fill's (a NaN fill is NaN, -0.0 is not 0.0)."""
    width = column.dtype.itemsize
    a = np.ascontiguousarray(column).view(np.uint8).reshape(-1, width)
    b = np.ascontiguousarray(fill).view(np.uint8).reshape(-1, width)
    differs: BoolArray = (a != b).any(axis=1)
    return differs
