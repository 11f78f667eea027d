"""Per-user activity that every rarity detector of an engine learns alike, held once.

:class:`~detectors.privileged_action.RarityDetector` keeps, per user id, the first event time,
the event count and the tenant, over *every* event with a user: what the rows a subclass
watches do not change. ``privileged_action``, ``group_change``, ``account_lifecycle`` and
``kerberoasting`` each held a copy of the same three columns (~14 B/user each at
``benchmarks.state_size --days 28 --users 200``). In an engine they now share one
:class:`UserActivity` (``RarityDetector.share_state``).

When it learns: each detector reads the columns only in its batch view, computed by ``score``
(or at the start of ``learn``) from the state before the batch. The last of the sharing
detectors in the engine's order learns the batch into the shared columns, after every other
one has computed its view, so each reads exactly what its own copy held. That detector also
saves the columns under its name; the others save none (their older snapshots' copies are the
same numbers, and whichever loads last is kept).

>>> import numpy as np
>>> activity = UserActivity()
>>> activity.learn(np.array([2, 0, 2]), np.array([5.0, 7.0, 3.0]), np.array([1, 1, 1]))
>>> activity.first_.tolist(), activity.count_.tolist(), activity.tenant_.tolist()
([7.0, nan, 3.0], [1, 0, 2], [1, -1, 1])
"""

from __future__ import annotations

import numpy as np

from detectors._grow import grow
from detectors.base import StateDict, narrow_counts
from detectors.batch import FloatArray, IntArray


class UserActivity:
    """First event time (NaN = never), event count (whole, kept narrow) and tenant id (-1
    unknown) per user id."""

    def __init__(self) -> None:
        self.first_: FloatArray = np.empty(0, dtype=np.float64)
        self.count_: np.ndarray = narrow_counts([])
        self.tenant_: np.ndarray = np.empty(0, dtype=np.int32)

    def learn(self, ids: IntArray, times: FloatArray, tenants: IntArray) -> None:
        """Fold in events of users ``ids`` (all >= 0) at ``times`` of ``tenants``."""
        if not len(ids):
            return
        size = int(ids.max()) + 1
        self.first_ = grow(self.first_, size, np.nan)
        user_count = grow(self.count_, size, 0).astype(np.int64)
        first = np.full(len(self.first_), np.inf)
        np.minimum.at(first, ids, times)
        touched = np.isfinite(first)
        self.first_[touched] = np.fmin(self.first_[touched], first[touched])
        self.count_ = narrow_counts(user_count + np.bincount(ids, minlength=len(user_count)))
        self.tenant_ = grow(self.tenant_, size, -1)
        self.tenant_[ids] = tenants

    def state(self) -> StateDict:
        return {"user_first": self.first_, "user_count": self.count_, "user_tenant": self.tenant_}

    def load_state(self, state: StateDict) -> None:
        self.first_ = np.asarray(state["user_first"], dtype=np.float64)
        # (older snapshots hold counts and tenant ids as float64: the same whole numbers)
        self.count_ = narrow_counts(state["user_count"])
        self.tenant_ = np.asarray(state["user_tenant"]).astype(np.int32)
