"""How settled an address's machine is: on how many distinct days (UTC) an address has named the
machine it names now, without naming another in between.

``login_chain`` maps addresses to the machines logons name from them (WorkstationName +
IpAddress). An office desk's address names its one machine day after day; a VPN or DHCP pool
address names whoever leased it last, seldom the same machine on several days. A logon naming
machine B from an address that has named machine A on many days, and nothing else, is B's name
claimed from A's desk: an NTLM relay (``ntlmrelayx`` keeps the victim's WorkstationName) or a
spoofed name.

>>> import numpy as np
>>> ip = np.array([0, 0, 1, 0]); host = np.array([5, 5, 7, 6])
>>> day = np.array([10, 11, 11, 12])
>>> run_days(ip, host, day, stored_host=np.array([5, -1]), stored_days=np.array([3, 0]),
...          stored_day=np.array([9, 0]))
(array([0, 1]), array([6, 7]), array([1, 1]), array([12, 11]))
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from detectors._sort import unique1d
from detectors.base import pair_keys

IntArray = npt.NDArray[np.int64]


def run_days(
    ip: IntArray,
    host: IntArray,
    day: IntArray,
    *,
    stored_host: IntArray,
    stored_days: IntArray,
    stored_day: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per address of the (time-ordered) named rows: (address, its last machine, distinct days
    it has named that machine since it last named another, the last such day).

    ``stored_*`` are the state's values for each row's address, row-aligned with ``ip``'s
    unique values (indexed by position in ``np.unique(ip)``): the machine, the day count and
    the last day counted.
    """
    order = np.argsort(ip, kind="stable")  # rows are in time order: keep it per address
    ips, hosts, days = ip[order], host[order], day[order]
    unique, start = np.unique(ips, return_index=True)
    end = np.r_[start[1:], len(ips)]
    last_host = hosts[end - 1]
    # The run of each address's last machine: the rows after the last one naming another.
    group = np.repeat(np.arange(len(unique)), end - start)
    other = hosts != last_host[group]
    last_other = np.full(len(unique), -1, dtype=np.int64)
    np.maximum.at(last_other, group[other], np.flatnonzero(other))
    in_run = np.arange(len(ips)) > last_other[group]
    # Distinct days in each run; with the stored count when the whole batch continues it.
    continues = (last_other < 0) & (stored_host == last_host)
    fresh_day = in_run & ~(continues[group] & (days <= stored_day[group]))
    pairs = unique1d(pair_keys(group[fresh_day], days[fresh_day]))
    counted = np.bincount((pairs >> 32).astype(np.int64), minlength=len(unique))
    total = np.where(continues, stored_days + counted, counted)
    last_day = np.where(continues & (counted == 0), stored_day, days[end - 1])
    return unique, last_host, total.astype(np.int64), last_day.astype(np.int64)


__all__ = ["run_days"]
