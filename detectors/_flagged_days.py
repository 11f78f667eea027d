"""Days of flagged behaviour: keys for "this account (or pair) on this UTC day", and their count.

``service_interactive`` and ``discovery`` hold flagged behaviour back from the baseline until it
came on a few distinct days (then it is the account's habit). Both group a batch's rows by
(key, day) and count each key's new days in a :class:`~detectors.base.PairTable`.
"""

from __future__ import annotations

import numpy as np

from detectors._sort import unique1d
from detectors.base import PairTable
from detectors.batch import BoolArray, FloatArray, Int64Array

DAY = 86_400.0


def day_keys(keys: Int64Array, day: FloatArray) -> Int64Array:
    """One id per distinct (key, day) of the batch, dense from 0.

    (Both detectors used ``key * 100_000 + day``, which needs an argument about id ranges to
    stay unique: it wraps around int64 for pair keys, ``left << 32 | right``, of accounts past
    ~21,000, and two pairs could then share an id, if only for ids far beyond any estate. Ids
    from sorting the two columns need no such argument.)

    >>> day_keys(np.array([5, 5, 2, 5]), np.array([19_000.0, 19_001.0, 19_000.0, 19_000.0]))
    array([1, 2, 0, 1])
    """
    n = len(keys)
    order = np.lexsort((day, keys))
    sorted_keys, sorted_days = keys[order], day[order]
    starts = np.ones(n, dtype=np.bool_)
    if n:
        starts[1:] = (sorted_keys[1:] != sorted_keys[:-1]) | (sorted_days[1:] != sorted_days[:-1])
    ids = np.empty(n, dtype=np.int64)
    ids[order] = np.cumsum(starts) - 1
    return ids


def add_flagged_days(table: PairTable, keys: Int64Array, time: FloatArray) -> None:
    """Count each key's new UTC days of flagged rows: one ``add`` per key and new day, so the
    table's count is the key's days and its last time one of the last day's."""
    day = np.floor(time / DAY)
    _, stored_last = table.lookup(keys)
    stored_day = np.floor(np.nan_to_num(stored_last, nan=-1.0) / DAY)
    _, first = unique1d(day_keys(keys, day), return_index=True)
    first_of_day: BoolArray = np.zeros(len(keys), dtype=np.bool_)
    first_of_day[first] = True
    new_day = first_of_day & (day != stored_day)
    table.add(keys[new_day], time[new_day])
