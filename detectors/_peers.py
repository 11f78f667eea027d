"""Peer share of a destination: how many of a user's peers already reach a host new to the user.

A user's *peers* are the users who already reach at least ``overlap`` of the user's own hosts
(the rest of the team doing the same job: the other admins for an admin, the department for an
office worker). A host that most of them reach is part of the team's work, and the first visit
of one more member is the team's routine, not a stranger's path; a host none of them reaches is
as new as before. Computed from the learned (user, host) pairs only, at the few rows that would
otherwise be judged new, so it needs no state of its own. ``lateral_new_host`` asks it only of
an administrator's desktop sessions on servers (:meth:`LateralNewHost._team_floor`).
"""

from __future__ import annotations

import numpy as np

from detectors.batch import BoolArray, FloatArray, Int64Array

_LOW = np.int64(0xFFFFFFFF)


def peer_share(
    pairs: Int64Array,
    left: Int64Array,
    right: Int64Array,
    candidate: BoolArray,
    *,
    overlap: float,
    min_peers: int,
    min_hosts: int,
) -> tuple[FloatArray, FloatArray]:
    """Per row: the share of the user's peers that reach the row's host, and the peer count.

    ``pairs`` are the sorted, distinct pair keys (``left << 32 | right``) of the users'
    baselines. Rows that are not ``candidate``, users with fewer than ``min_hosts`` hosts
    (too few to say whom they resemble) and users with fewer than ``min_peers`` peers (one
    colleague is no team) get 0.

    >>> keys = np.array([(u << 32) | h for u, h in
    ...                  [(1, 10), (1, 11), (1, 12), (2, 10), (2, 11), (2, 13),
    ...                   (3, 10), (3, 11), (3, 13), (4, 20)]], dtype=np.int64)
    >>> share, peers = peer_share(keys, np.array([1, 1]),
    ...                           np.array([13, 20]), np.array([True, True]),
    ...                           overlap=0.5, min_peers=2, min_hosts=3)
    >>> share.tolist(), peers.tolist()
    ([1.0, 0.0], [2.0, 2.0])
    """
    n = len(left)
    share = np.zeros(n)
    count = np.zeros(n)
    if not candidate.any() or not len(pairs):
        return share, count
    pair_left = pairs >> 32
    pair_right = pairs & _LOW
    rows = np.flatnonzero(candidate)
    # (one pass over the pairs per user judged: only rows that would otherwise be new get here)
    for user in np.unique(left[rows]).tolist():
        start, stop = np.searchsorted(pair_left, [user, user + 1])
        own = pair_right[start:stop]
        if len(own) < min_hosts:
            continue
        # each other user's hosts in common with this one
        in_common = np.isin(pair_right, own) & (pair_left != user)
        users, common = np.unique(pair_left[in_common], return_counts=True)
        peers = users[common >= overlap * len(own)]
        if len(peers) < min_peers:
            continue
        mine = rows[left[rows] == user]
        of_peers = np.isin(pair_left, peers)
        reached = pair_right[of_peers]
        hosts, reach_count = np.unique(reached, return_counts=True)
        where = np.searchsorted(hosts, right[mine])
        where = np.minimum(where, max(len(hosts) - 1, 0))
        found = hosts[where] == right[mine]
        share[mine] = np.where(found, reach_count[where] / len(peers), 0.0)
        count[mine] = len(peers)
    return share, count
