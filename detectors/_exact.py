"""Snapshot arrays in fewer bytes, every value given back bit for bit.

A detector keeps its arrays in the types it computes with (``float64`` counts and sums,
``int64`` ids); what it *saves* (``state()``, which is also what ``Engine.state_bytes`` and
``benchmarks.state_size`` add up) may be narrower when every value fits a smaller type exactly.
The saved type then follows from the values alone (never from how the stream was batched), and
``load_state`` widens the array back to the type it computes with, so the restored detector
holds exactly what it held.

>>> exact_narrow(np.array([0.0, 3.0, 200.0])).dtype.name
'uint8'
>>> exact_narrow(np.array([0.5, 3.0])).dtype.name  # (0.5 is exact in float32)
'float32'
>>> exact_narrow(np.array([0.1, np.nan])).dtype.name  # (0.1 is not)
'float64'
>>> exact_narrow(np.array([7, 300], dtype=np.int32), smallest=2).dtype.name
'uint16'
"""

from __future__ import annotations

import numpy as np

#: The candidate types, narrowest first (float16 left out: its ~3 digits never hold a time or
#: a sum, and a whole count that fits it fits uint8/uint16 already).
_NARROWER = (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.float32)


def exact_narrow(array: np.ndarray, smallest: int = 1) -> np.ndarray:
    """``array`` in the narrowest type (of at least ``smallest`` bytes) from which casting back
    gives every value bit for bit (NaN, -0.0 and infinities included); itself when none does.

    ``smallest=2`` for ids: they grow with the deployment (a few hundred users here, thousands
    elsewhere), and 16 bits keeps the saving from being an artefact of a small scenario.
    """
    values = np.asarray(array)
    if values.dtype.kind not in "fiu":
        return values
    for dtype in _NARROWER:
        size = np.dtype(dtype).itemsize
        if size >= values.dtype.itemsize:
            break
        if size < smallest or (values.dtype.kind != "f" and np.dtype(dtype).kind == "f"):
            continue  # (ids stay integers)
        with np.errstate(invalid="ignore", over="ignore"):
            narrow = values.astype(dtype)
            back = narrow.astype(values.dtype)
        if values.dtype.kind == "f":  # bits, so NaN == NaN and -0.0 != 0.0
            same = np.array_equal(back.view(np.uint8), values.view(np.uint8))
        else:
            same = np.array_equal(back, values)
        if same:
            return narrow
    return values


#: "None" in a ``uint32`` id column (every bit set).
NO_ID = int(np.iinfo(np.uint32).max)


def narrow_ids(ids: np.ndarray) -> np.ndarray:
    """A ``uint32`` id column with :data:`NO_ID` for "none", saved as ``uint16`` (none as
    2**16 - 1) while every id is < 2**16 - 1; else as it is. The saved type says which.

    >>> stored = narrow_ids(np.array([5, NO_ID, 0], dtype=np.uint32))
    >>> stored.dtype.name, stored.tolist(), wide_ids(stored).tolist()
    ('uint16', [5, 65535, 0], [5, 4294967295, 0])
    """
    values = np.asarray(ids, dtype=np.uint32)
    real = values[values != NO_ID]
    if real.size and int(real.max()) >= _NO_ID16:
        return values
    return np.where(values == NO_ID, _NO_ID16, values).astype(np.uint16)


def wide_ids(stored: np.ndarray) -> np.ndarray:
    """What :func:`narrow_ids` saved, as the ``uint32`` column it was."""
    values = np.asarray(stored)
    wide = values.astype(np.uint32)
    if values.dtype == np.uint16:
        wide[values == _NO_ID16] = NO_ID
    return wide


#: "None" in a column :func:`narrow_ids` saved in 16 bits.
_NO_ID16 = int(np.iinfo(np.uint16).max)


def narrow_days(days: np.ndarray, never: int) -> np.ndarray:
    """An ``int32`` day-number column (``never`` for "never") saved as ``int16`` while every
    day is within +-32767 (until 2059-09-18; ``never`` as -32768); else as it is.

    >>> never = -2**31
    >>> stored = narrow_days(np.array([19_876, never], dtype=np.int32), never)
    >>> stored.dtype.name, wide_days(stored, never).tolist()
    ('int16', [19876, -2147483648])
    """
    values = np.asarray(days, dtype=np.int32)
    real = values[values != never]
    if real.size and (int(real.min()) < -32767 or int(real.max()) > 32767):
        return values
    return np.where(values == never, -32768, values).astype(np.int16)


def wide_days(stored: np.ndarray, never: int) -> np.ndarray:
    """What :func:`narrow_days` saved, as the ``int32`` column it was."""
    values = np.asarray(stored)
    if values.dtype != np.int16:
        return values.astype(np.int32)
    wide = values.astype(np.int32)
    wide[values == -32768] = never
    return wide


def sparse_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A mostly-zero 2-D count table as (a bitmap of its non-zero cells, their values).

    Half the cells of a user's 24 hour-of-day counts are 0 (nobody signs in at every hour): a
    bit each instead of 1-2 bytes. :func:`dense_rows` gives the table back.

    >>> mask, values = sparse_rows(np.array([[0, 3, 0], [2, 0, 0]], dtype=np.uint16))
    >>> values.tolist(), dense_rows(mask, values, (2, 3)).tolist()
    ([3, 2], [[0, 3, 0], [2, 0, 0]])
    """
    table = np.asarray(rows)
    present = table.reshape(-1) != 0
    return np.packbits(present), table.reshape(-1)[present]


def dense_rows(mask: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The ``shape`` table :func:`sparse_rows` saved (the bitmap is padded to whole bytes)."""
    cells = shape[0] * shape[1]
    present = np.unpackbits(np.asarray(mask, dtype=np.uint8), count=cells).astype(np.bool_)
    table = np.zeros(cells, dtype=np.asarray(values).dtype)
    table[present] = values
    return table.reshape(shape)


def used_slots(
    columns: dict[str, np.ndarray], used: np.ndarray, fills: dict[str, float], prefix: str
) -> dict[str, np.ndarray]:
    """Per-id columns saved at the ``used`` slots only (a bitmap of them and their length),
    when every other slot of each column holds its ``fills`` value; else as they are.

    Dense per-id arrays keep a slot for every id below the largest seen: a host id that never
    was a source still has one in a per-source array (half of them on the 28-day scenario).
    :func:`all_slots` gives the columns back.

    >>> used = np.array([0, 1, 0, 1], dtype=bool)
    >>> saved = used_slots({"n": np.array([0, 4, 0, 2])}, used, {"n": 0}, "x_")
    >>> saved["n"].tolist(), all_slots(saved, {"n": 0}, "x_")["n"].tolist()
    ([4, 2], [0, 4, 0, 2])
    """
    used = np.asarray(used, dtype=np.bool_)
    for name, column in columns.items():
        if len(column) != len(used):
            return dict(columns)
        rest = column[~used]  # (bits: a NaN fill is NaN, -0.0 is not 0.0)
        if rest.tobytes() != np.full(len(rest), fills[name], dtype=column.dtype).tobytes():
            return dict(columns)
    saved = {name: column[used] for name, column in columns.items()}
    saved[f"{prefix}slots"] = np.packbits(used)
    saved[f"{prefix}size"] = np.array([len(used)], dtype=np.int64)
    return saved


def all_slots(
    state: dict[str, np.ndarray], fills: dict[str, float], prefix: str
) -> dict[str, np.ndarray]:
    """The columns :func:`used_slots` saved, every slot back (as saved when in full)."""
    if f"{prefix}slots" not in state:
        return {name: np.asarray(state[name]) for name in fills if name in state}
    size = int(np.asarray(state[f"{prefix}size"])[0])
    used = np.unpackbits(np.asarray(state[f"{prefix}slots"]), count=size).astype(np.bool_)
    columns = {}
    for name, fill in fills.items():
        values = np.asarray(state[name])
        column = np.full(size, fill, dtype=values.dtype)
        column[used] = values
        columns[name] = column
    return columns
