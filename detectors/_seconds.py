"""Stored event times as ``uint32`` whole seconds since the Unix epoch (4 bytes, not 8).

Detectors compute with ``float64`` epoch seconds; only what a table *keeps* narrows. A time is
stored rounded **down** (floor): a detector asks of a stored time "was this seen before the
event now?", "how long ago?", "is it older than the window?", and a stored time must never read
later than the real one (a pair seen at 12.7 s must not read as seen after an event at 12.9 s).
Read back, a time is at most 1 s earlier than it was; a decay over days or a window of hours
moves by that second at most.

Two codes at the top of the range are reserved:

* :data:`NEVER` (``2**32 - 1``) stores NaN, "never" (a pair seen but never learned, no mark);
* :data:`NOT_SEEN` (``2**32 - 2``) stores -inf, "not seen" (a shared key this table never saw).

Every other code is a time, up to :data:`LATEST` (2106-02-07 06:28:13 UTC); a later time is
stored as :data:`LATEST` (still not later than the real one), and +inf likewise. A time before
the epoch is stored as 0: log events from before 1970 are not real events, and nothing else
is representable.

>>> stored = encode(np.array([1_700_000_000.9, np.nan, -np.inf, 0.0]))
>>> stored.dtype.name, stored.tolist()
('uint32', [1700000000, 4294967295, 4294967294, 0])
>>> decode(stored).tolist()
[1700000000.0, nan, -inf, 0.0]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from detectors.batch import FloatArray

#: The stored type.
SECONDS = np.uint32
#: NaN ("never").
NEVER = int(np.iinfo(np.uint32).max)
#: -inf ("not seen").
NOT_SEEN = NEVER - 1
#: The latest storable time, 2106-02-07 06:28:13 UTC.
LATEST = NOT_SEEN - 1


def encode(times: npt.ArrayLike) -> np.ndarray:
    """``float64`` epoch seconds (NaN, -inf allowed) as stored ``uint32`` codes, floored."""
    values = np.asarray(times, dtype=np.float64)
    # NaN and -inf (and anything below 0) to 0, +inf to LATEST: what ``nan_to_num`` then
    # ``clip`` gave, in two ufunc calls instead of ~10 passes and their Python checks (~33 ->
    # ~8 us on 2,000 times; the detectors encode ~60 time columns a batch). ``fmax`` ignores
    # a NaN operand.
    whole = np.floor(np.minimum(np.fmax(values, 0.0), float(LATEST)))
    stored = whole.astype(SECONDS)
    stored[np.isnan(values)] = NEVER
    stored[values == -np.inf] = NOT_SEEN
    return stored


def decode(stored: np.ndarray) -> FloatArray:
    """Stored codes back as ``float64`` epoch seconds (NaN "never", -inf "not seen")."""
    codes = np.asarray(stored)
    values: FloatArray = codes.astype(np.float64)
    values[codes == NEVER] = np.nan
    values[codes == NOT_SEEN] = -np.inf
    return values


def stored_times(values: npt.ArrayLike) -> np.ndarray:
    """A snapshot's time column as stored: ``uint32`` as saved, or ``float64`` (snapshots from
    before times were narrow) encoded as if learned."""
    array = np.asarray(values)
    if array.dtype == SECONDS:
        return array.copy()
    return encode(array)


def floor_seconds(times: FloatArray) -> FloatArray:
    """``decode(encode(times))``: the time a table reads back after storing ``times``."""
    return decode(encode(times))
