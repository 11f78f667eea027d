"""Which records a stage takes: never one below what it already did, and after a rewind
nothing until the record it rewound to.

Faust delivers a partition's records in offset order within one consumer generation, but a
stage may still see records twice: after a rebalance Faust re-reads from the committed offset,
and after :func:`pipeline.streaming.app.rewind` records fetched before the seek may still be
in the stage's batch. The guard keeps, per partition, the next offset the stage expects.

>>> guard = PositionGuard()
>>> [guard.admit(("t", 0), o) for o in (5, 6, 6, 7)]
[True, True, False, True]
>>> guard.rewind(("t", 0), 6)
>>> [guard.admit(("t", 0), o) for o in (8, 5, 6, 7)]
[False, False, True, True]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class PositionGuard:
    def __init__(self) -> None:
        self.next: dict[Hashable, int] = {}
        self.strict: set[Hashable] = set()  # rewound: wait for exactly ``next``

    def admit(self, tp: Hashable, offset: int) -> bool:
        """True when the record at ``offset`` is new to the stage (and records it as seen)."""
        want = self.next.get(tp)
        if tp in self.strict:
            if offset != want:
                return False
            self.strict.discard(tp)
        elif want is not None and offset < want:
            return False
        self.next[tp] = offset + 1
        return True

    def expect(self, tp: Hashable, offset: int) -> None:
        """Records below ``offset`` are done (a loaded checkpoint)."""
        if tp not in self.strict:
            self.next[tp] = max(offset, self.next.get(tp, offset))

    def rewind(self, tp: Hashable, offset: int) -> None:
        """The partition is read again from ``offset``: drop everything until it arrives."""
        self.next[tp] = offset
        self.strict.add(tp)

    def forget(self, tps: Iterable[Hashable]) -> None:
        for tp in tps:
            self.next.pop(tp, None)
            self.strict.discard(tp)

    def keep(self, tps: Iterable[Hashable]) -> None:
        """Forget every partition not in ``tps`` (the new assignment)."""
        held = set(tps)
        self.forget([tp for tp in self.next if tp not in held])
