"""A new remote-logon path (account, internal source address) -> host, judged by the host.

Lateral movement between Linux servers shows in the target's sshd log as "Accepted ... for U from
<internal IP>": no source host name, and usually the same /24 as the bastion everybody comes
through, so neither ``rare_source_network`` (a /24) nor ``lateral_new_edge`` (a source machine
past its learning period) nor ``login_chain`` (a named relay) sees it. What the target does
know is who comes in from where: a database server reached from the bastion, the backup server
and the ansible controller for weeks is surprised by an admin arriving from the app server.

``lateral_new_path`` scores the first ssh logon of an account from an internal address (no host
name, not a public address: those are ``rare_source_network``'s) to a destination past its
learning period, by how concentrated the destination's doors are: ``points_per_nat`` per nat of
``-ln(p)``. A source the destination never saw: ``p = (max(sources seen once, sources) + 1) /
(logons + 2)`` (Good-Turing, never below the share of distinct sources: a VPN pool's addresses
come back, yet a new one is as ordinary as the last). A new source for an account that reaches
the host already: ``p = (paths seen once + 1) / (logons + 2)``. A first visit through the usual
door is ``lateral_new_host``'s, unless the account's own paths are few and steady (a service
account that knows one host from one place): then the larger of the destination's and the
account's chance of a new path - except that a steady account on a host it never reached is
never judged above its own chance (round 22: a deploy key on a server with loose doors).
An account that arrived anywhere within ``onward_minutes`` is
judged at ``onward_weight``: an admin going on from the app server with a forwarded key (not an
account with at most ``steady_paths`` paths in ``steady_events`` logons or more: a service
account's key does not travel on with its session). A
bastion reached from a new VPN address every session stays quiet; a server reached through four
doors for weeks does not. A path is learned when seen (its first sighting is the finding),
unless the risk layer held it back.

An address pool at the host (round 20): an address in a network (/24 or /64) from which the host
was already reached through ``pool_addresses`` (8) different addresses or more is one more lease
of a VPN or Wi-Fi pool (or one more desk of an office floor), not a door: a new path through it
is not flagged. Someone who works from the VPN a day a week gets a pool address, new or someone
else's yesterday; at a bastion reached mostly from office desks, that path looked as rare as a
pivot. A pivot from a server stays a new door: a host is reached from a handful of servers'
addresses in their network, not eight. Per (network, host) the count of distinct addresses is
kept (``pools_``, one small row per network a host is reached from).

A young door many accounts take at once (round 25): when the bastion is renumbered or rebuilt,
every admin's hop reaches the hosts from one address nobody used, within hours. A door (source,
host) first seen after the host's learning period that ``young_door_accounts`` (2) accounts
already came through within ``young_door_hours`` (24) of its first sighting is such a change: a
further account's new path through it is not flagged (its first accounts are, as before). A
pivot's door is one stolen account's; the doors admins hop through from the app server date from
the learning period (their birth unknown: never young). Per young door one row (``young_``:
accounts in its first day, its first-seen time).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._sort import unique1d
from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    Signals,
    StateDict,
    batch_view,
    changes_state,
    flagged_signals,
    gather,
    group_cumsum_before,
    group_order,
    grow,
    narrow_counts,
    pair_keys,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array
from detectors.lateral import DAY, acting_user, group_last_before, remote_access, value_mask
from detectors.registry import register

_SSH = frozenset({"ssh"})
_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xBF58476D1CE4E5B9)


def path_keys(user: Int64Array, src: Int64Array, dst: Int64Array) -> Int64Array:
    """One ``int64`` per (user, source, destination): a 64-bit mix (collisions ~n^2 / 2^64)."""
    left = pair_keys(user, dst).view(np.uint64)
    with np.errstate(over="ignore"):
        mixed = left * _MIX_A + (src.astype(np.uint64) + np.uint64(1)) * _MIX_B
        mixed ^= mixed >> np.uint64(29)
    keys: Int64Array = mixed.view(np.int64)
    return keys


def _singleton_delta(count_before: FloatArray) -> FloatArray:
    """How a sighting changes its destination's number of things seen once (+1 new, -1 second)."""
    delta: FloatArray = (count_before == 0).astype(np.float64) - (count_before == 1)
    return delta


def _first_time(keys: Int64Array, time: FloatArray, size: int) -> FloatArray:
    first = np.full(size, np.inf)
    np.minimum.at(first, keys, time)
    return first


@register
class LateralNewPath:
    """An account reaches a host from an internal address it never used to reach it.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def ssh(hours, user, ip):
    ...     return Event(time=start + timedelta(hours=hours), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user=user, src_ip=ip, dst_host="db1",
    ...                  logon_type="ssh")
    >>> builder, detector = BatchBuilder(), LateralNewPath(learning_days=7, min_events=10)
    >>> history = builder.build([ssh(h, "alice", "10.0.1.10") for h in range(0, 480, 8)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([ssh(500, "alice", "10.0.1.20")]), builder)
    >>> len(signals), round(float(signals.points[0]))
    (1, 34)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    alice logged on to db1 from 10.0.1.20, an internal address that never logged on to db1
    before (db1: 60 remote logons from 1 source(s), 1 account/source path(s) in 21 days)
    """

    name: ClassVar[str] = "lateral_new_path"
    mitre: ClassVar[tuple[str, ...]] = ("T1021", "T1021.004", "T1078")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 20,
        points_per_nat: float = 10.0,
        max_points: float = 45.0,
        min_points: float = 15.0,
        onward_minutes: float = 30.0,
        onward_weight: float = 0.25,
        steady_paths: int = 2,
        steady_events: int = 20,
        pool_addresses: int = 8,
        young_door_hours: float = 24.0,
        young_door_accounts: int = 2,
    ) -> None:
        if learning_days < 0 or min_events < 0 or points_per_nat <= 0 or max_points <= 0:
            raise ValueError(f"{self.name}: learning_days/min_events >= 0, points > 0 required")
        self.learning_days = learning_days
        self.min_events = min_events
        self.points_per_nat = points_per_nat
        self.max_points = max_points
        self.min_points = min_points
        self.onward_window = onward_minutes * 60.0
        self.onward_weight = onward_weight
        self.steady_paths = steady_paths
        self.steady_events = steady_events
        if pool_addresses < 0:
            raise ValueError(f"{self.name}: pool_addresses >= 0 (0: off)")
        self.pool_addresses = pool_addresses
        if young_door_hours < 0 or young_door_accounts < 0:
            raise ValueError(f"{self.name}: young_door_hours/accounts >= 0 (0 accounts: off)")
        self.young_door_window = young_door_hours * 3600.0
        self.young_door_accounts = young_door_accounts
        # path_keys -> logons; (source, destination) -> logons; (user, destination) reached;
        # (network, destination) -> distinct addresses of that network that reached it.
        # Keys in 32 bits while they fit (``narrow_keys``: as saved; the same lookups).
        self.paths_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.edges_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.reach_ = PairTable(WHOLE_COUNTS, times=False, tally=False, narrow_keys=True)
        self.pools_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        # (source, destination) doors first seen after the destination's learning period ->
        # accounts that came through in the door's first ``young_door_hours``; time = its birth.
        self.young_ = PairTable(WHOLE_COUNTS, narrow_keys=True)
        self.dst_first_ = np.empty(0, dtype=np.float64)
        self.dst_events_ = narrow_counts([])
        self.dst_sources_ = narrow_counts([])
        self.dst_paths_ = narrow_counts([])
        self.dst_once_sources_ = narrow_counts([])  # sources seen exactly once
        self.dst_once_paths_ = narrow_counts([])
        self.user_first_ = np.empty(0, dtype=np.float64)
        self.user_events_ = narrow_counts([])
        self.user_paths_ = narrow_counts([])
        self.arrival_time_ = np.empty(0, dtype=np.float64)  # per user: latest remote logon

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        mask, explicit = remote_access(batch)
        arrivals = self._arrivals(batch, mask, explicit)
        src_all = batch.column("src_ip").astype(np.int64)
        mask &= (batch.column("src_host") < 0) & (src_all >= 0) & (batch.src_wide16 < 0)
        rows = np.flatnonzero(mask)
        rows = rows[batch.src_internal[rows]]
        # ssh only: Windows logons that name no workstation are mostly the VPN pool reaching the
        # file servers (their sources are named when they are machines of the domain).
        rows = rows[value_mask(batch, "logon_type", rows, _SSH.__contains__)]
        n = len(rows)
        time = batch.time[rows]
        user = acting_user(batch, explicit)[rows].astype(np.int64)
        src = src_all[rows]
        dst = batch.column("dst_host")[rows].astype(np.int64)
        size_h = max(int(dst.max()) + 1 if n else 0, len(self.dst_first_))
        size_u = max(int(user.max()) + 1 if n else 0, len(self.user_first_))
        edge_keys = pair_keys(src, dst)
        keys = path_keys(user, src, dst)
        pool_keys = pair_keys(batch.column("src_net")[rows].astype(np.int64), dst)
        # Good-Turing: the chance of something new is about the share of logons whose source
        # (or path) was seen exactly once so far - a VPN pool keeps it high, a server reached
        # through the same few doors keeps it near zero.
        edge_prior, edge_first_row = group_order(edge_keys)
        edge_count = self.edges_.lookup(edge_keys)[0] + edge_prior
        path_count = self.paths_.lookup(keys)[0] + group_order(keys)[0]
        new_edge = edge_count == 0
        new_path = path_count == 0
        dst_prior, _ = group_order(dst)
        events = gather(self.dst_events_, size_h, 0, dst).astype(np.float64) + dst_prior
        sources = gather(self.dst_sources_, size_h, 0, dst).astype(np.float64)
        sources += group_cumsum_before(dst, new_edge.astype(np.float64))
        paths = gather(self.dst_paths_, size_h, 0, dst).astype(np.float64)
        paths += group_cumsum_before(dst, new_path.astype(np.float64))
        once_edges = gather(self.dst_once_sources_, size_h, 0, dst).astype(np.float64)
        once_edges += group_cumsum_before(dst, _singleton_delta(edge_count))
        once_paths = gather(self.dst_once_paths_, size_h, 0, dst).astype(np.float64)
        once_paths += group_cumsum_before(dst, _singleton_delta(path_count))
        dst_first = np.fmin(grow(self.dst_first_, size_h, np.nan), _first_time(dst, time, size_h))[
            dst
        ]
        user_first = np.fmin(
            grow(self.user_first_, size_u, np.nan), _first_time(user, time, size_u)
        )[user]
        learning = self.learning_days * DAY
        host_mature = (time - dst_first >= learning) & (events >= self.min_events)
        mature = host_mature & (time - user_first >= learning)
        # A first visit through the usual door is lateral_new_host's (with its popularity
        # prior). Here: a new door; an account that reaches the host already, coming in another
        # way; or an account whose own paths are few and steady (a service account that knows
        # one host from one place), judged by the larger of the two chances.
        reach_keys = pair_keys(user, dst)
        reached = self.reach_.lookup(reach_keys)[0] + group_order(reach_keys)[0] > 0
        user_events = gather(self.user_events_, size_u, 0, user).astype(np.float64)
        user_events += group_order(user)[0]
        user_paths = gather(self.user_paths_, size_u, 0, user).astype(np.float64)
        user_paths += group_cumsum_before(user, new_path.astype(np.float64))
        # Good-Turing; for a new source never below the share of distinct sources: a VPN pool's
        # addresses come back (few of them seen once), yet a new one is as ordinary as the last.
        seen_once = np.where(new_edge, np.maximum(once_edges, sources), once_paths)
        p_dst = (seen_once + 1.0) / (events + 2.0)
        p_user = (user_paths + 1.0) / (user_events + 2.0)
        p_new = np.where(new_edge | reached, p_dst, np.maximum(p_dst, p_user))
        # A service account (its own paths few and steady: CI's deploy key on the app server)
        # on a host it never reached: the key does one job from one place, so its own chance of
        # a new path is the measure - a destination whose doors are many does not make it usual.
        steady = (user_paths <= self.steady_paths) & (user_events >= self.steady_events)
        p_new = np.where(steady & ~reached, np.minimum(p_new, p_user), p_new)
        points = np.minimum(self.max_points, -np.log(p_new) * self.points_per_nat)
        # The account's own onward hop: it arrived somewhere minutes ago (an admin on the app
        # server going on to the database with a forwarded key). The door is new, the account's
        # session is not; a stolen key used from a foothold while its owner is away has no such
        # arrival. (Its owner at work in the same hours hides it: the price of this discount.)
        onward = time - arrivals["last_time"][rows] <= self.onward_window
        # A service account (its own paths few and steady: CI's deploy key on the app server)
        # does not go on from its server with a forwarded key: no discount for it.
        onward &= ~steady
        points = np.where(onward, points * self.onward_weight, points)
        # An address pool at the host: an address in a network the host was reached from
        # through ``pool_addresses`` different addresses (stored, and earlier in the batch).
        pool_before = self.pools_.lookup(pool_keys)[0] + group_cumsum_before(
            pool_keys, new_edge.astype(np.float64)
        )
        pooled = (pool_before >= self.pool_addresses) & (self.pool_addresses > 0)
        # A young door many accounts take at once (round 25): a door (source, host) born after
        # the host's learning period that ``young_door_accounts`` accounts came through within
        # ``young_door_hours`` of its first sighting is a change everyone goes through (the
        # bastion renumbered or rebuilt, the jump host replaced), not one account's pivot: a
        # later account's new path through it is not flagged. Doors of the learning period
        # (the app server admins hop on from) never qualify: their age is unknown; a foothold's
        # door taken by one stolen account stays as rare as before.
        young_accounts, door_birth = self.young_.lookup(edge_keys)
        born_here = (new_edge & host_mature)[edge_first_row]
        door_birth = np.where(np.isnan(door_birth) & born_here, time[edge_first_row], door_birth)
        young_path = new_path & (time - door_birth <= self.young_door_window)
        young_accounts = young_accounts + group_cumsum_before(
            edge_keys, young_path.astype(np.float64)
        )
        common_door = (young_accounts >= self.young_door_accounts) & (self.young_door_accounts > 0)
        flagged = new_path & mature & (points >= self.min_points) & ~pooled & ~common_door
        return {
            "rows": rows,
            "user": user,
            "src": src,
            "dst": dst,
            "time": time,
            "edge_keys": edge_keys,
            "keys": keys,
            "pool_keys": pool_keys,
            "reach_keys": reach_keys,
            "new_edge": new_edge,
            "events": events,
            "sources": sources,
            "paths": paths,
            "edge_count": edge_count,
            "path_count": path_count,
            "dst_first": dst_first,
            "onward": onward,
            "young_path": young_path,
            "door_birth": door_birth,
            "arrival_rows": arrivals["rows"],
            "arrival_user": arrivals["user"],
            "points": points,
            "flagged": flagged,
        }

    def _arrivals(
        self, batch: EventBatch, mask: BoolArray, explicit: BoolArray
    ) -> dict[str, np.ndarray]:
        """Per batch row: the time of the acting user's latest earlier arrival (any remote
        logon), from earlier rows of the batch, else from the state (NaN: none)."""
        rows = np.flatnonzero(mask)
        user = acting_user(batch, explicit)[rows].astype(np.int64)
        previous = group_last_before(user, np.ones(len(rows), dtype=np.bool_))
        size = max(int(user.max()) + 1 if len(rows) else 0, len(self.arrival_time_))
        state_time = gather(self.arrival_time_, size, np.nan, user)
        earlier = np.maximum(previous, 0)
        last_time = np.full(len(batch), np.nan)
        last_time[rows] = np.where(previous >= 0, batch.time[rows][earlier], state_time)
        return {
            "rows": rows,
            "user": user,
            "last_time": last_time,
        }

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "user")
        if not len(signals):
            return signals
        vocab = builder.vocab
        for index in range(len(signals.rows)):
            item = {
                key: value[flagged][index]
                for key, value in view.items()
                if not key.startswith("arrival_")
            }
            who = vocab["user"].value(int(item["user"]))
            ip = vocab["ip"].value(int(item["src"]))
            host = vocab["host"].value(int(item["dst"]))
            days = (float(item["time"]) - float(item["dst_first"])) / DAY
            counts = (
                f"{host}: {int(item['events'])} remote logons from {int(item['sources'])} "
                f"source(s), {int(item['paths'])} account/source path(s) in {days:.0f} days"
            )
            what = (
                f"an internal address that never logged on to {host} before"
                if bool(item["new_edge"])
                else f"an internal address {who} never used to reach {host}"
            )
            signals.titles.append(f"{who} logged on to {host} from {ip}, {what} ({counts})")
            signals.observed.append(f"{who} from {ip} -> {host}")
            signals.baseline.append(counts)
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        arrived = view["arrival_rows"]
        if len(arrived):  # rows in time order: the last arrival per user wins
            who = view["arrival_user"]
            size = max(int(who.max()) + 1, len(self.arrival_time_))
            self.arrival_time_ = grow(self.arrival_time_, size, np.nan)
            self.arrival_time_[who] = batch.time[arrived]
        rows = view["rows"]
        if len(rows) == 0:
            return
        user, dst, time = view["user"], view["dst"], view["time"]
        size_h = max(int(dst.max()) + 1, len(self.dst_first_), len(self.dst_events_))
        size_u = max(int(user.max()) + 1, len(self.user_first_), len(self.user_events_))
        self.dst_first_ = np.fmin(
            grow(self.dst_first_, size_h, np.nan), _first_time(dst, time, size_h)
        )
        self.dst_first_[np.isinf(self.dst_first_)] = np.nan
        self.user_first_ = np.fmin(
            grow(self.user_first_, size_u, np.nan), _first_time(user, time, size_u)
        )
        self.user_first_[np.isinf(self.user_first_)] = np.nan
        events = grow(self.dst_events_, size_h, 0).astype(np.int64)
        self.dst_events_ = narrow_counts(events + np.bincount(dst, minlength=size_h))
        user_events = grow(self.user_events_, size_u, 0).astype(np.int64)
        self.user_events_ = narrow_counts(user_events + np.bincount(user, minlength=size_u))
        # A held-back row's path stays news (the risk layer is still weighing it).
        keep = ~held_back[rows]
        for table, keys, name in (
            (self.edges_, view["edge_keys"], "sources"),
            (self.paths_, view["keys"], "paths"),
        ):
            unique, first, seen = unique1d(keys[keep], return_index=True, return_counts=True)
            before, _ = table.lookup(unique)
            owner = dst[keep][first]
            after = before + seen
            distinct = grow(getattr(self, f"dst_{name}_"), size_h, 0).astype(np.int64)
            distinct += np.bincount(owner[before == 0], minlength=size_h)
            once = grow(getattr(self, f"dst_once_{name}_"), size_h, 0).astype(np.int64)
            once += np.bincount(owner[after == 1], minlength=size_h)
            once -= np.bincount(owner[before == 1], minlength=size_h)
            setattr(self, f"dst_{name}_", narrow_counts(distinct))
            setattr(self, f"dst_once_{name}_", narrow_counts(once))
            if name == "sources":  # each new address counts once for its (network, host)
                fresh = view["pool_keys"][keep][first][before == 0]
                self.pools_.add(fresh, np.zeros(len(fresh)))
            if name == "paths":
                owners = user[keep][first][before == 0]
                mine = grow(self.user_paths_, size_u, 0).astype(np.int64)
                self.user_paths_ = narrow_counts(mine + np.bincount(owners, minlength=size_u))
            table.add(keys[keep], np.zeros(int(keep.sum())))
        self.reach_.add(view["reach_keys"][keep], np.zeros(int(keep.sum())))
        young = keep & view["young_path"]
        self.young_.add(view["edge_keys"][young], view["door_birth"][young])

    def state(self) -> StateDict:
        return {
            **self.paths_.state("paths_"),
            **self.edges_.state("edges_"),
            **self.reach_.state("reach_"),
            **self.pools_.state("pools_"),
            **self.young_.state("young_"),
            "dst_first": self.dst_first_,
            "dst_events": self.dst_events_,
            "dst_sources": self.dst_sources_,
            "dst_paths": self.dst_paths_,
            "dst_once_sources": self.dst_once_sources_,
            "dst_once_paths": self.dst_once_paths_,
            "user_first": self.user_first_,
            "user_events": self.user_events_,
            "user_paths": self.user_paths_,
            "arrival_time": self.arrival_time_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.paths_.load_state(state, "paths_")
        self.edges_.load_state(state, "edges_")
        self.reach_.load_state(state, "reach_")
        if "pools_keys" in state:
            self.pools_.load_state(state, "pools_")
        else:  # (snapshots from before round 20: no pools known yet)
            self.pools_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.young_ = PairTable(WHOLE_COUNTS, narrow_keys=True)
        if "young_keys" in state:  # (snapshots from before round 25: no young doors)
            self.young_.load_state(state, "young_")
        self.dst_first_ = np.asarray(state["dst_first"], dtype=np.float64)
        self.user_first_ = np.asarray(state["user_first"], dtype=np.float64)
        self.arrival_time_ = np.asarray(state["arrival_time"], dtype=np.float64)
        for name in (
            "dst_events",
            "dst_sources",
            "dst_paths",
            "dst_once_sources",
            "dst_once_paths",
            "user_events",
            "user_paths",
        ):
            setattr(self, f"{name}_", narrow_counts(state[name]))


__all__ = ["LateralNewPath", "path_keys"]
