"""Years for RFC 3164 syslog inputs, anchored on the other inputs of the same run.

RFC 3164 stamps (``May 20 14:10:03``) carry no year: a reader takes it from the file's
modification time (``schemas/parsers/syslog.py``). That is the time of the file's last line only
where the log was written: a copy, a ``git checkout``, an archive unpacked without times or a
generator writing last year's logs today all give today's date, and the syslog events then land
months or years away from the Windows and CloudTrail events of the same run, which carry their
own years. Every baseline and incident that spans both is then wrong (a generated scenario with
its Linux files touched: 13 -> 11 attacks detected, 0 -> 25 false alerts).

So when a run has inputs whose dates are complete, a year-less input whose first line the mtime
puts more than :data:`ANCHOR_SLACK` outside their span gets the year that puts it nearest to
them. Inputs that agree with the mtime, and runs without a dated input, are read as before.

>>> from datetime import UTC, datetime
>>> dated = [("win.json", datetime(2024, 5, 6, 9, tzinfo=UTC), False)]
>>> touched = ("auth.log", datetime(2026, 5, 7, 8, tzinfo=UTC), True)  # mtime: Nov 2026
>>> anchor_references([*dated, touched])
{'auth.log': datetime.datetime(2024, 5, 7, 8, 0, tzinfo=datetime.timezone.utc)}
>>> anchor_references([*dated, ("auth.log", datetime(2024, 5, 9, tzinfo=UTC), True)])
{}
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

#: How far outside the dated inputs' span a year-less input may start before its year is
#: re-anchored: logs of one run may well cover different weeks, not different years.
ANCHOR_SLACK = timedelta(days=60)

#: An input's first event time, and whether its year was inferred (RFC 3164) rather than read.
Probe = tuple[str, datetime | None, bool]


def anchor_references(probes: Sequence[Probe]) -> dict[str, datetime]:
    """Per year-less input to re-anchor: the reference time that makes the syslog parser read
    its first line in the chosen year (the line's own stamp in that year)."""
    dated = [first for _, first, inferred in probes if first is not None and not inferred]
    if not dated:
        return {}
    low, high = min(dated), max(dated)
    overrides: dict[str, datetime] = {}
    for name, first, inferred in probes:
        if first is None or not inferred or _distance(first, low, high) <= ANCHOR_SLACK:
            continue
        candidates = []
        for year in range(low.year - 1, high.year + 2):
            try:
                candidates.append(first.replace(year=year))
            except ValueError:  # Feb 29 in a year without one
                continue
        best = min(candidates, key=lambda when: _distance(when, low, high), default=None)
        if best is not None and _distance(best, low, high) < _distance(first, low, high):
            overrides[name] = best
    return overrides


def _distance(when: datetime, low: datetime, high: datetime) -> timedelta:
    if when < low:
        return low - when
    if when > high:
        return when - high
    return timedelta(0)
