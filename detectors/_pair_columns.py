"""Sorted pair keys that several detectors' tables share, each table keeping its own columns.

``lateral_new_host``, ``lateral_fanout_user``, ``login_chain`` (hosts reached) and
``remote_exec`` (last network logons) each kept a sorted ``int64`` array of the same (user, host)
pairs: the rows they watch are the same remote logons (``remote_exec`` a subset). In an engine
that runs them together, one :class:`PairKeys` holds the keys once and every table
(:class:`KeyedColumns`) keeps only its columns, aligned with them; a table alone keeps keys of
its own. A table never takes a shared key for one of its own: a pair that only another detector
has seen reads as the column's fill value, which each table chooses so that it means "absent"
(NaN "never", 0 counts, -inf "not seen"), exactly what a key missing from its own table meant.

Time columns (dtype :data:`SECONDS` with fill NaN or -inf) keep ``uint32`` whole seconds rounded
down (:mod:`detectors._seconds`); they are read and written as ``float64`` through
:meth:`KeyedColumns.get`, :meth:`~KeyedColumns.times`, :meth:`~KeyedColumns.fold_latest` and
:meth:`~KeyedColumns.latest_at`, and a snapshot's ``float64`` column (from before) is rounded
down on load.

Snapshots: the keys are saved once, by the table that owns them (the first of the detectors
in the engine's order); the others save their columns only. Before restoring detectors one by
one the engine calls ``restore_shared``: the shared keys start afresh with every such key array
in the snapshot, whichever detector saved it (one this engine no longer runs included). A
snapshot with keys of a table's own (from before the keys were shared, or from an engine that
ran the detector alone) is merged in: its keys join the shared ones and its columns are
scattered into place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from detectors._seconds import SECONDS, decode, encode, stored_times
from detectors._sort import unique1d
from detectors.base import (
    StateDict,
    as_stored_pair_keys,
    find_pair_keys,
    narrow_counts,
    pair_key_positions,
    places_after_insert,
    sorted_unique,
    wide_pair_keys,
)
from detectors.batch import BoolArray, FloatArray, Int64Array

#: Counts saturate here instead of wrapping around (as ``PairTable``'s whole counts do).
_WHOLE_MAX = int(np.iinfo(np.uint32).max)
#: (Re-exported: the lateral detectors and tests import it from here.)
wide_keys = wide_pair_keys


class PairKeys:
    """Sorted pair keys and the tables whose columns are aligned with them.

    While both ids of every pair are < 2**16 the keys are kept in 32 bits (``left << 16 |
    right``: the same order as ``pair_keys``' ``left << 32 | right``); the first pair with a
    larger id makes them ``int64`` for good. Which one follows from the keys alone (never from
    how the stream was batched), as whole counts' types do (``narrow_counts``).
    """

    def __init__(self) -> None:
        self.stored: np.ndarray = np.empty(0, dtype=np.uint32)
        self.tables: list[KeyedColumns] = []

    @property
    def keys(self) -> Int64Array:
        """The keys as ``pair_keys`` makes them (a copy while they are kept narrow)."""
        return wide_keys(self.stored)

    def __len__(self) -> int:
        return len(self.stored)

    def find(self, keys: Int64Array) -> tuple[Int64Array, BoolArray]:
        """Where each key is (clipped to the end), and whether it is there."""
        return find_pair_keys(self.stored, keys)

    def positions(self, keys: Int64Array) -> Int64Array:
        """Where ``keys`` (all present) are."""
        return pair_key_positions(self.stored, keys)

    def lefts(self) -> Int64Array:
        """The left id of every key."""
        shift = 32 if self.stored.dtype == np.int64 else 16
        lefts: Int64Array = self.stored.astype(np.int64) >> shift
        return lefts

    def insert(self, keys: Int64Array) -> Int64Array:
        """Add the keys not there yet; every attached table gets its fill values for them.
        Returns where the distinct ``keys`` (ascending) are now: what :meth:`positions` of
        ``sorted_unique(keys)`` answers, from the one search that placed them."""
        if len(keys) == 0:
            return np.empty(0, dtype=np.int64)
        unique = sorted_unique(keys)
        # (a larger id: every key in 64 bits from now)
        self.stored, query = as_stored_pair_keys(self.stored, unique)
        position = np.searchsorted(self.stored, query)
        found = position < len(self.stored)
        found[found] = self.stored[position[found]] == query[found]
        new = ~found
        after = places_after_insert(position, new)
        if found.all():
            return after
        at = position[new]
        self.stored = np.insert(self.stored, at, query[new])
        for table in self.tables:
            table.make_room(at)
        return after

    def clear(self) -> None:
        self.stored = np.empty(0, dtype=np.uint32)
        for table in self.tables:
            table.make_room(np.empty(0, dtype=np.int64), clear=True)


class KeyedColumns:
    """Columns aligned with a :class:`PairKeys`: its own, or one shared with other tables.

    ``columns`` maps each column's name to its dtype and the fill value that means "absent"; a
    column of dtype :data:`SECONDS` with fill NaN or -inf holds times (whole seconds).

    >>> shared = KeyedColumns(last=(SECONDS, np.nan))
    >>> other = KeyedColumns(seen=(np.uint8, 0))
    >>> other.share(shared.pairs)
    >>> other.pairs.insert(np.array([7], dtype=np.int64)).tolist()
    [0]
    >>> other.set_at("seen", np.array([7], dtype=np.int64), np.array([1]))
    >>> shared.pairs.insert(np.array([3, 7], dtype=np.int64)).tolist()
    [0, 1]
    >>> shared.keys.tolist(), shared.times("last").tolist(), other["seen"].tolist()
    ([3, 7], [nan, nan], [0, 1])
    >>> shared.latest_at("last", np.array([7], dtype=np.int64), np.array([12.9]))
    >>> shared["last"].dtype.name, shared.get("last", np.array([3, 7, 9])).tolist()
    ('uint32', [nan, 12.0, nan])
    """

    def __init__(self, **columns: tuple[type[np.generic], float | int]) -> None:
        self.fills = {name: fill for name, (_, fill) in columns.items()}
        self.dtypes = {name: dtype for name, (dtype, _) in columns.items()}
        #: Columns of times: stored as ``_seconds`` codes, read as ``float64``.
        self.time_columns = frozenset(
            name
            for name, (dtype, fill) in columns.items()
            if dtype is SECONDS and isinstance(fill, float) and not np.isfinite(fill)
        )
        #: What an inserted row holds, in each column's stored type.
        self._stored_fills = {
            name: encode([fill])[0] if name in self.time_columns else fill
            for name, fill in self.fills.items()
        }
        self.columns: dict[str, np.ndarray] = {
            name: np.empty(0, dtype=dtype) for name, (dtype, _) in columns.items()
        }
        self.pairs = PairKeys()
        self.pairs.tables.append(self)

    @property
    def keys(self) -> Int64Array:
        return self.pairs.keys

    @property
    def owns_keys(self) -> bool:
        """Whether this table's snapshot holds the keys (its own, or it owns the shared ones)."""
        return self.pairs.tables[0] is self

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.columns[name] = value

    def share(self, pairs: PairKeys) -> None:
        """Keep columns aligned with ``pairs`` (other tables' keys) instead of keys of its own.
        Before anything is learned or loaded."""
        if pairs is self.pairs:
            return
        if len(self.pairs):
            raise ValueError("keys can be shared only before anything is learned")
        self.pairs = pairs
        pairs.tables.append(self)
        self.make_room(np.zeros(len(pairs), dtype=np.int64))

    def make_room(self, at: Int64Array, *, clear: bool = False) -> None:
        """Fill values inserted at ``at`` (positions of ``np.insert``) in every column."""
        for name, column in self.columns.items():
            fill = np.asarray(self._stored_fills[name]).astype(column.dtype)
            if clear:  # (a count column starts narrow again)
                self.columns[name] = np.empty(0, dtype=self.dtypes[name])
            elif len(at):
                self.columns[name] = np.insert(column, at, fill)

    def positions(self, keys: Int64Array) -> Int64Array:
        """Where ``keys`` (all present) are."""
        return self.pairs.positions(keys)

    def lefts(self) -> Int64Array:
        """The left id of every key."""
        return self.pairs.lefts()

    def get(self, name: str, keys: Int64Array) -> np.ndarray:
        """Column ``name`` at ``keys``, the fill value where a key is absent (a time column's
        as ``float64``)."""
        position, found = self.pairs.find(keys)
        column = self.columns[name]
        if name in self.time_columns:
            if len(column) == 0:
                return np.full(len(keys), self.fills[name])
            times: FloatArray = np.where(found, decode(column[position]), self.fills[name])
            return times
        if len(column) == 0:
            return np.full(len(keys), self.fills[name], dtype=column.dtype)
        result: np.ndarray = np.where(found, column[position], self.fills[name])
        return result.astype(column.dtype, copy=False)

    def retype(self, name: str, values: np.ndarray, fill: int) -> None:
        """Column ``name`` becomes ``values`` (aligned with the keys), and its type and "absent"
        fill value theirs from now on (a narrow id column widening for good)."""
        self.columns[name] = values
        self.dtypes[name] = values.dtype.type
        self.fills[name] = self._stored_fills[name] = fill

    def set_at(self, name: str, keys: Int64Array, values: np.ndarray) -> None:
        self.columns[name][self.positions(keys)] = values

    def times(self, name: str) -> FloatArray:
        """Time column ``name`` as ``float64`` (a copy: write with :meth:`fold_latest`)."""
        return decode(self.columns[name])

    def add_counts(self, name: str, keys: Int64Array) -> None:
        """Count each occurrence of ``keys`` (present) in whole-count column ``name``, kept in
        the narrowest unsigned type of its largest count (saturating at 2**32 - 1)."""
        if len(keys) == 0:
            return
        unique, hits = unique1d(keys, return_counts=True)
        position = self.positions(unique)
        column = self.columns[name]
        total = np.minimum(column[position].astype(np.int64) + hits, _WHOLE_MAX)
        wide = narrow_counts(np.array([int(total.max())])).dtype
        if np.iinfo(wide).max > np.iinfo(column.dtype).max:
            column = self.columns[name] = column.astype(wide)
        column[position] = total

    def latest_at(self, name: str, keys: Int64Array, times: FloatArray) -> None:
        """Insert ``keys`` and keep in time column ``name`` the latest of each key's ``times``
        (a key's fill NaN: never)."""
        if len(keys) == 0:
            return
        self.pairs.insert(keys)
        self.fold_latest(name, self.positions(keys), times)

    def fold_latest(self, name: str, position: Int64Array, times: FloatArray) -> None:
        """Keep at each of ``position`` (repeats allowed) of column ``name`` the latest of its
        value and its ``times`` (a time column's rounded down to the second)."""
        touched, inverse = unique1d(position, return_inverse=True)
        latest = np.full(len(touched), -np.inf)
        np.maximum.at(latest, inverse.reshape(-1), times)
        column = self.columns[name]
        if name in self.time_columns:
            column[touched] = encode(np.fmax(decode(column[touched]), latest))
        else:
            column[touched] = np.fmax(column[touched], latest)

    # -- snapshots ------------------------------------------------------------------------------

    def keys_state(self, name: str) -> StateDict:
        """``{name: keys}`` when this table's snapshot holds them, else nothing."""
        return {name: self.pairs.stored} if self.owns_keys else {}

    def load_state(self, state: StateDict, keys_name: str, columns: dict[str, np.ndarray]) -> None:
        """Restore the ``columns`` (name -> values) saved with keys ``state[keys_name]``, or
        aligned with the shared keys when the snapshot has none of this table's own."""
        if len(self.pairs.tables) == 1:  # keys of its own: restored from here on
            self.pairs.clear()
        columns = {  # (float64 times in snapshots from before: rounded down as if learned)
            name: stored_times(values) if name in self.time_columns else values
            for name, values in columns.items()
        }
        if keys_name not in state:
            for name, values in columns.items():
                if len(values) != len(self.pairs):
                    raise ValueError(f"a snapshot's {name} does not match the shared keys")
                self.columns[name] = values
            return
        keys = wide_keys(np.asarray(state[keys_name]))  # (narrow or not, as saved)
        self.pairs.insert(keys)
        position = self.positions(keys)
        for name, values in columns.items():
            column = self.columns[name]
            if values.dtype != column.dtype:  # (wider whole counts: the column widens)
                column = self.columns[name] = column.astype(np.result_type(column, values))
            column[position] = values


#: Where each detector that can keep the shared (user, host) keys saves them.
USER_HOST_KEYS = {
    "lateral_fanout_user": "pairs_keys",
    "lateral_new_host": "edges_keys",
    "lateral_rdp_fanout": "pairs_keys",
    "login_chain": "reached_keys",
    "remote_exec": "logons_keys",
}


def restore_user_hosts(table: KeyedColumns, arrays: Mapping[str, np.ndarray]) -> None:
    """Before the engine restores its detectors one by one (``restore_shared``): the first
    table of the shared (user, host) keys starts them afresh with every such key array in the
    snapshot, whichever detector saved it. So a snapshot whose keys were saved by a detector
    this engine does not run (one ``enabled`` list to the next) still restores the others'
    columns, which only hold values aligned with those keys."""
    if not table.owns_keys or len(table.pairs.tables) == 1:
        return  # (keys of its own are restored with its columns)
    table.pairs.clear()
    for name, keys_name in USER_HOST_KEYS.items():
        saved = arrays.get(f"{name}/{keys_name}")
        if saved is not None:
            table.pairs.insert(wide_keys(np.asarray(saved)))


def share_user_hosts(table: KeyedColumns, detectors: Sequence[object]) -> None:
    """Align ``table`` with the (user, host) keys of the first of ``detectors`` that keeps a
    ``user_host_pairs`` table. The engine introduces its detectors in its own order, which is
    also the order it restores them in: the first keeps (and restores) the keys, the later ones
    join it."""
    for detector in detectors:
        other = getattr(detector, "user_host_pairs", None)
        if isinstance(other, KeyedColumns):
            table.share(other.pairs)
            return


class SharesUserHosts:
    """For a detector whose ``user_host_pairs`` table holds (acting user, destination) pairs of
    remote logons: the engine's hooks that put its keys in the one shared array
    (:func:`share_user_hosts`) and restore that array from a snapshot first
    (:func:`restore_user_hosts`)."""

    @property
    def user_host_pairs(self) -> KeyedColumns:
        raise NotImplementedError

    def share_state(self, detectors: Sequence[object]) -> None:
        """Called by the engine with all its detectors: share the (user, host) keys."""
        share_user_hosts(self.user_host_pairs, detectors)

    def restore_shared(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Called by the engine with a snapshot's arrays before it restores each detector."""
        restore_user_hosts(self.user_host_pairs, arrays)
