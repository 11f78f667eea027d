"""Time-respecting login chains: A -> B, then B -> C within a window (Hopper-style hops).

The second hop is the one scored: someone reached host B, and shortly afterwards B itself opened
a remote logon to a third host C. A chain is worth ``chain_points``; when the account changes at
the hop (credentials harvested on B, or 4648 explicit credentials), ``switch_points`` more. Hosts
that relay chains routinely (jump boxes, admin workstations) are discounted by their decayed
count of earlier, unflagged chains. Source IPs are resolved to host names with the IP -> host
pairs that logons carry (WorkstationName + IpAddress); an address that has named two different
machines is a pool's (VPN, DHCP), and its last pair is trusted for ``pool_hours`` only - else
a VPN address last seen on a colleague's laptop last week makes anyone's session from it a hop
out of that laptop.

Cold start: nothing is judged until the tenant's own learning period (``tenant_learning_days``,
3 by default) is over. After it, a chain whose relay host or accounts are still in their own
learning period (a new server, a new hire, an admin first seen a few days ago) is judged with
``cold_weight`` of its points rather than not at all - their habits and relay history are too
short to discount it fully. An account switch at a
cold hop counts only when the account switched to has been seen using privileges (4672, sudo to
root, admin groups), and then in full (``switch_points``): borrowing an administrator's credentials
at a hop is strong whatever the age of the accounts, while a switch to an ordinary new account is
what setting up a new hire's workstation looks like. A cold chain, flagged or not, counts in
its relay host's history (as every chain did before young entities were judged).

The second hop must itself be out of habit: a user who has logged on from B at least
``habit_count`` times before (B is their own workstation) is not continuing someone else's
chain when a helpdesk engineer happened to connect to B an hour earlier; nor is a user who sits
at B (console or unlock logons there: their own workstation), whose remote logons may carry only
an address that does not resolve to B often enough to make a habit.

A credential switch needs no inbound hop when it is typed: a 4648 on B by user U naming server C
and account A (runas, ``schtasks /s /u``), then A's own logon on C from B within the window, is
the hop B -> C with the switch U -> A, scored like a chain with a switch (same points, same
relay discount for B) on A, where the remote action that follows lands too. It is not a hop when
A logs on from B habitually or sits at B (an admin's own second account on their own
workstation is learned after its first use), nor when U is A. For these typed switches the
habit is counted in days (UTC) with a logon of A from B, not in logons, and the day of the
4648 does not count (it is itself a hop from B): a burst from B on one night (a compromised
server fanning out with the cached credentials of A) is one occasion, not the routine of
someone who works from B. Per (account, source) pair the days (uint8) and the last (uint32
seconds) are kept. The last explicit use of each
account (when, where typed, the server named, by whom) is kept per account. That logon is
scored as the typed hop even when someone else reached B since U did (on a busy server the last
inbound hop is rarely the typist's).

A sweeper's logon is no inbound hop: an account that has reached ``sweep_hosts`` (30) hosts or
more, every one of them from one machine, and never logged on from anywhere else (a credentialed
compliance scanner, an inventory or backup agent) touches hosts and leaves; a user logging on
from a workstation the scanner just swept is not moving on from the scanner's foothold. Only the
hop from that same machine is excused (its credentials from elsewhere are a hop like any other);
per account, the one source (int32) and the distinct hosts reached (uint16) are kept.

The 4648 itself is a hop B -> C of A too, and it names its typist: a 4648 can only be typed in a
session on B, so when U reaches B over the network and never sat at it, U's session there is the
inbound hop, however long ago it began and whoever reached B since (a web server's users reach
it every few minutes): the chain is U's, with the switch U -> A.

A logon naming machine B from an address that has named machine A, and nothing else, on at least
``static_days`` distinct days (an office desk's address, never a pool's) is B's name claimed from
A's desk: an NTLM relay (``ntlmrelayx`` keeps the victim's WorkstationName but the connection is
the relaying machine's) or a spoofed workstation name. It is a finding without any chain:
``conflict_points`` for an account seen using privileges (a relayed admin is admin on every
server the relay reaches), ``conflict_plain_points`` for another. Per address, the distinct days
it named its machine (uint8) and the last one counted (uint16) are kept
(:mod:`detectors._address_days`).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._address_days import run_days
from detectors._decay import settle
from detectors._flagged_days import day_keys
from detectors._pair_columns import (
    KeyedColumns,
    SharesUserHosts,
)
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
    sorted_unique,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray
from detectors.lateral import (
    DAY,
    MINUTE,
    acting_user,
    decayed_sum_before,
    group_last_before,
    local_interactive,
    remote_access,
)
from detectors.registry import register

#: Columns that hold ids (-1: unknown) or a 0/1 flag, kept narrow; the rest are float64 times
#: and decayed values.
_NARROW: dict[str, type[np.generic]] = {
    "ip_host": np.int32,
    "last_in_user": np.int32,
    "last_in_src": np.int32,
    "user_privileged": np.uint8,
    "typed_src": np.int32,
    "typed_dst": np.int32,
    "typed_by": np.int32,
    "sweep_src": np.int32,
    "sweep_hosts": np.uint16,
    "ip_days": np.uint8,
    "ip_day": np.uint16,
}


@register
class LoginChain(SharesUserHosts):
    """Flags B -> C logons shortly after someone logged on to B, stronger with an account switch.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event
    >>> t = datetime(2024, 1, 20, 9, tzinfo=UTC)
    >>> def hop(minutes, user, src, dst):
    ...     return Event(time=t + timedelta(minutes=minutes), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user=user, src_host=src, dst_host=dst, logon_type="3")
    >>> builder, detector = BatchBuilder(), LoginChain(learning_days=0)
    >>> chain = [hop(0, "alice", "wks1", "web1"), hop(12, "svc_sql", "web1", "db1")]
    >>> signals = detector.score(builder.build(chain), builder)
    >>> len(signals), float(signals.points[0])
    (1, 45.0)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    svc_sql logged on to db1 from web1 12 min after alice reached web1 from wks1 (account
    switch alice -> svc_sql; web1 relayed 0.0 chains before)
    """

    name: ClassVar[str] = "login_chain"
    mitre: ClassVar[tuple[str, ...]] = ("T1021", "T1078", "T1550.002")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        window_minutes: float = 120.0,
        learning_days: float = 7.0,
        chain_points: float = 15.0,
        switch_points: float = 30.0,
        relay_half_life_days: float = 30.0,
        min_points: float = 5.0,
        habit_count: int = 2,
        tenant_learning_days: float | None = None,
        cold_weight: float = 0.5,
        pool_hours: float = 8.0,
        sweep_hosts: int = 30,
        static_days: int = 3,
        conflict_points: float = 70.0,
        conflict_plain_points: float = 45.0,
    ) -> None:
        if window_minutes <= 0 or learning_days < 0 or relay_half_life_days <= 0:
            raise ValueError(f"{self.name}: window > 0, learning >= 0, half-life > 0 required")
        if chain_points < 0 or switch_points < 0 or not 0.0 <= cold_weight <= 1.0:
            raise ValueError(f"{self.name}: points must be >= 0, cold_weight in [0, 1]")
        self.window = window_minutes * MINUTE
        self.learning_days = learning_days
        self.chain_points = chain_points
        self.switch_points = switch_points
        self.relay_half_life = relay_half_life_days * DAY
        self.min_points = min_points
        self.habit_count = habit_count
        # The tenant's own learning period: 3 days by default (as the novelty detectors' young
        # reports), never longer than the per-entity one.
        self.tenant_learning_days = (
            min(3.0, learning_days) if tenant_learning_days is None else tenant_learning_days
        )
        self.cold_weight = cold_weight
        self.pool_window = pool_hours * 3600.0
        self.sweep_hosts = sweep_hosts
        if static_days < 1 or min(conflict_points, conflict_plain_points) < 0:
            raise ValueError(f"{self.name}: static_days >= 1 and conflict points >= 0 required")
        self.static_days = static_days
        self.conflict_points = conflict_points
        self.conflict_plain_points = conflict_plain_points
        # (user, source host) hops seen, flagged or not
        self.habits_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        # the same pairs: distinct UTC days with a hop, and the last one
        self.habit_days_ = PairTable(WHOLE_COUNTS, narrow_keys=True)
        # (user, destination host) hops seen: the hosts a user reaches (keys shared with the
        # other detectors of the same remote logons: :mod:`detectors._pair_columns`)
        self.reached_ = KeyedColumns(counts=(np.uint8, 0))
        # (user, host) local interactive logons seen: the machines a user sits at
        self.console_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        # Ids are < 2**31 (pair_keys): the id columns are int32, exactly the ids float64 held.
        self.ip_host_ = np.empty(0, dtype=np.int32)  # ip id -> host id (-1 unknown)
        # pool addresses (named two machines) -> when last named one (sparse: pools only)
        self.pools_ = PairTable(WHOLE_COUNTS, tally=False, narrow_keys=True)
        self.host_first_ = np.empty(0, dtype=np.float64)  # first time reached (NaN never)
        self.user_first_ = np.empty(0, dtype=np.float64)
        self.last_in_time_ = np.empty(0, dtype=np.float64)  # per host: latest inbound hop
        self.last_in_user_ = np.empty(0, dtype=np.int32)
        self.last_in_src_ = np.empty(0, dtype=np.int32)  # its source host id (-1 unknown)
        self.relay_ = np.empty(0, dtype=np.float64)  # decayed unflagged chains via host
        self.relay_t_ = np.empty(0, dtype=np.float64)
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # per tenant: first event seen
        self.user_privileged_ = np.empty(0, dtype=np.uint8)  # 1 once seen using privileges
        # Per account: its credentials' last explicit use (4648): when, on which machine, the
        # server it named, and who typed them (-1 / NaN never).
        self.typed_time_ = np.empty(0, dtype=np.float64)
        self.typed_src_ = np.empty(0, dtype=np.int32)
        self.typed_dst_ = np.empty(0, dtype=np.int32)
        self.typed_by_ = np.empty(0, dtype=np.int32)
        # Per account: the one machine all its sourced hops came from (-1 none yet, -2 more than
        # one) and how many distinct hosts it reached (saturating): a sweeper (scanner,
        # inventory, backup) reaches many hosts from one machine and never starts onward.
        self.sweep_src_ = np.empty(0, dtype=np.int32)
        self.sweep_hosts_ = np.empty(0, dtype=np.uint16)
        # Per address: distinct days (UTC) it has named its machine since it last named another
        # (saturating), and the last day counted (days since 1970).
        self.ip_days_ = np.empty(0, dtype=np.uint8)
        self.ip_day_ = np.empty(0, dtype=np.uint16)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        mask, explicit = remote_access(batch)
        # IP -> host pairs from every row that carries both (earlier rows of the batch first).
        src_ip_all = batch.column("src_ip").astype(np.int64)
        src_host_all = batch.column("src_host").astype(np.int64)
        named = (src_ip_all >= 0) & (src_host_all >= 0)
        earlier = group_last_before(src_ip_all, named)
        size_ip = max(int(src_ip_all.max()) + 1 if len(batch) else 0, 1)
        safe_ip = np.maximum(src_ip_all, 0)
        state_map = gather(self.ip_host_, size_ip, -1.0, safe_ip)
        mapped = np.where(earlier >= 0, src_host_all[np.maximum(earlier, 0)], state_map)
        # A pool address (VPN, DHCP) names one machine, then another: once it has, a mapping is
        # trusted for ``pool_hours`` only (a static office address keeps its machine for good).
        moved_here = named & (mapped >= 0) & (mapped != src_host_all)
        pool_seen, pool_last = self.pools_.lookup(safe_ip)
        moved = ((pool_seen > 0) & (src_ip_all >= 0)) | (
            group_cumsum_before(src_ip_all, moved_here.astype(np.float64)) > 0
        )
        map_time = np.where(earlier >= 0, batch.time[np.maximum(earlier, 0)], pool_last)
        fresh = batch.time - map_time <= self.pool_window
        usable = (src_ip_all >= 0) & (mapped >= 0) & (~moved | fresh)
        # A settled address (one machine on many days, never moved) naming another machine now.
        # (its days so far: the state's, then days new to it among earlier rows of the batch,
        # which name the same machine: a move would make the address ``moved``)
        day = np.floor(batch.time / DAY).astype(np.int64)
        stored_day = gather(self.ip_day_, size_ip, 0.0, safe_ip)
        same_day_before, _ = group_order(np.where(named, pair_keys(safe_ip, day), -1))
        new_day = (named & (same_day_before == 0) & (day > stored_day)).astype(np.float64)
        settled = gather(self.ip_days_, size_ip, 0.0, safe_ip)
        settled = settled + group_cumsum_before(src_ip_all, new_day)
        claimed = moved_here & ~moved & (settled >= self.static_days)
        resolved = np.where(src_host_all >= 0, src_host_all, np.where(usable, mapped, -1)).astype(
            np.int64
        )
        rows = np.flatnonzero(mask)
        n = len(rows)
        time = batch.time[rows]
        user = acting_user(batch, explicit)[rows].astype(np.int64)
        src = resolved[rows]
        dst = batch.column("dst_host")[rows].astype(np.int64)
        size_h = int(max(dst.max(), src.max())) + 1 if n else 0
        size_u = int(user.max()) + 1 if n else 0
        # Latest earlier inbound hop to this row's source host: queries sort before inbounds.
        keys = np.r_[src, dst]
        sequence = np.r_[2 * np.arange(n), 2 * np.arange(n) + 1]
        order = np.argsort(sequence, kind="stable")
        inbound = np.r_[np.zeros(n, np.bool_), np.ones(n, np.bool_)][order]
        found = group_last_before(keys[order], inbound)
        position = np.empty(2 * n, dtype=np.int64)
        position[order] = np.arange(2 * n)
        hit = found[position[:n]]  # index into the ordered array (an inbound entry)
        prev_row = np.where(hit >= 0, order[np.maximum(hit, 0)] - n, -1)
        safe_src = np.maximum(src, 0)
        in_time = np.where(
            prev_row >= 0,
            time[np.maximum(prev_row, 0)],
            gather(self.last_in_time_, size_h, np.nan, safe_src),
        )
        in_user = np.where(
            prev_row >= 0,
            user[np.maximum(prev_row, 0)],
            gather(self.last_in_user_, size_h, -1.0, safe_src),
        ).astype(np.int64)
        in_src = np.where(
            prev_row >= 0,
            src[np.maximum(prev_row, 0)],
            gather(self.last_in_src_, size_h, -1.0, safe_src),
        ).astype(np.int64)
        gap = time - in_time
        chain = (src >= 0) & ~np.isnan(in_time) & (gap >= 0) & (gap <= self.window)
        chain &= (in_src != dst) & (in_user >= 0)
        # A sweeper's network logon to B is no foothold: an account that has reached
        # ``sweep_hosts`` hosts or more, every one from the machine it came from now, and never
        # logged on from anywhere else (a credentialed scanner, an inventory or backup agent)
        # does not move on from the hosts it touches (state only: an established habit).
        chain &= ~self._sweeper(in_user, in_src)
        habit_keys = pair_keys(user, np.maximum(src, 0))
        # (earlier rows of the batch from the same named source: a row whose source is unknown
        # is no hop from host 0)
        habit_prior = group_cumsum_before(habit_keys, (src >= 0).astype(np.float64))
        habit_state, _ = self.habits_.lookup(habit_keys)
        chain &= habit_state + habit_prior < self.habit_count
        # A switch the typist's 4648 proves is excused by the account's habit of logging on
        # from B only when that habit spans days: a burst of logons from B on one night (a
        # fan-out from a compromised server with the account's cached credentials) is one
        # occasion, not a routine in which someone typing the account's password fits.
        earlier_days, today_seen, habit_new = self._habit_days(user, src, time)
        # Nor is anyone who sits at B (console or unlock logons there): the owner going on from
        # their own workstation after the helpdesk or a scanner connected to it.
        chain &= ~self._sits_at(batch, rows, user, src)
        # A typed switch: the account's credentials were typed on this row's source for this
        # row's destination by someone else, shortly before (module docstring).
        typed, typed_by, typed_time = self._typed_hop(
            batch, rows, explicit[rows], time, user, src, dst
        )
        # (the 4648 itself is a hop of the account from B: the only one it may have made). A
        # typed hop explains the row better than whoever last reached B: it names the typist.
        # (the day it is typed does not count: the 4648 is itself a hop from B that day)
        typed &= (src >= 0) & (earlier_days < self.habit_count)
        typed &= ~self._sits_at(batch, rows, user, src)
        chain |= typed
        in_user = np.where(typed, typed_by, in_user)
        in_src = np.where(typed, -1, in_src)
        gap = np.where(typed, time - typed_time, gap)
        # The 4648 itself proves its typist has a session on B. When the typist reaches B over
        # the network (and never sat at it), that session is the inbound hop, however long ago
        # it began and whoever reached B since: the chain is the typist's, switching to the
        # account typed (not when the account itself hops from B habitually or sits at B).
        typist = batch.column("user")[rows].astype(np.int64)
        own = explicit[rows] & (typist >= 0) & (typist != user) & (src >= 0)
        own &= earlier_days + today_seen < self.habit_count
        own &= self._reached_before(user, src, dst, asked=typist) > 0
        own &= ~self._sits_at(batch, rows, typist, src) & ~self._sits_at(batch, rows, user, src)
        other_inbound = own & (in_user != typist)
        chain |= own
        in_user = np.where(own, typist, in_user)
        in_src = np.where(other_inbound, -1, in_src)
        gap = np.where(other_inbound, np.nan, gap)
        switch = chain & (in_user != user)
        # An inferred switch (another user's inbound hop, no 4648 on the row) by an account that
        # itself reaches B habitually (a jump host several admins use) is likely that account's
        # own session on B: the chain counts, the switch does not.
        reached = self._reached_before(user, src, dst)
        doubted = switch & ~explicit[rows] & ~typed & (reached >= self.habit_count)
        switch &= ~doubted
        # Learning periods: the relay host and both accounts must be known long enough.
        _, first_dst_row = group_order(dst)
        host_first = grow(self.host_first_, size_h, np.nan)
        relay_first = np.where(src >= 0, host_first[safe_src], np.nan)
        user_state = grow(self.user_first_, size_u, np.nan)
        _, first_user_row = group_order(user)
        user_first = np.where(np.isnan(user_state[user]), time[first_user_row], user_state[user])
        in_user_first = np.where(in_user >= 0, user_state[np.maximum(in_user, 0)], np.nan)
        learning = self.learning_days * DAY
        # A relay or user first seen earlier in this batch: take that time.
        first_any = np.full(size_h, np.inf)
        np.minimum.at(first_any, dst, time)
        relay_first = np.fmin(relay_first, np.where(src >= 0, first_any[safe_src], np.nan))
        size_u = max(size_u, int(in_user.max()) + 1 if n else 0)
        user_state = grow(self.user_first_, size_u, np.nan)
        in_user_first = np.where(in_user >= 0, user_state[np.maximum(in_user, 0)], np.nan)
        first_user_any = np.full(size_u, np.inf)
        np.minimum.at(first_user_any, user, time)
        in_user_first = np.fmin(
            in_user_first, np.where(in_user >= 0, first_user_any[np.maximum(in_user, 0)], np.nan)
        )
        mature = (time - relay_first >= learning) & (time - user_first >= learning)
        mature &= time - in_user_first >= learning
        # Cold start: past the tenant's learning period, young entities are judged with reduced
        # points (see the module docstring).
        tenant = batch.tenant[rows].astype(np.int64)
        in_batch = self._first_in_batch(batch.tenant, batch.time)
        tenant_state = grow(self.tenant_first_, len(in_batch), np.nan)
        tenant_first = np.fmin(tenant_state, grow(in_batch, len(tenant_state), np.nan))
        tenant_mature = time - tenant_first[tenant] >= self.tenant_learning_days * DAY
        cold = ~mature & tenant_mature
        privileged_before = self._privileged_by(batch, rows, user)
        relay_state = gather(self.relay_, size_h, 0.0, safe_src)
        relay_t = gather(self.relay_t_, size_h, np.nan, safe_src)
        relay_decayed = np.where(
            np.isnan(relay_t),
            0.0,
            relay_state * np.exp2(-(time - np.nan_to_num(relay_t)) / self.relay_half_life),
        )
        weight = np.where(cold, self.cold_weight, 1.0)
        # Cold: only a switch to a privileged account counts (an IT engineer setting up a new
        # hire's workstation, then the new hire's first logon from it, is a switch too).
        switch_weight = np.where(privileged_before, 1.0, np.where(cold, 0.0, 1.0))
        base = np.where(
            chain,
            weight * self.chain_points + np.where(switch, switch_weight * self.switch_points, 0.0),
            0.0,
        )

        conflict = claimed[rows] & tenant_mature
        conflict_points = np.where(
            conflict,
            np.where(privileged_before, self.conflict_points, self.conflict_plain_points),
            0.0,
        )

        def points_for(flags: BoolArray) -> tuple[FloatArray, FloatArray]:
            # A cold chain is relay history even when flagged: it tells what the young host
            # does (as it did while nothing young was judged), not what its users usually do.
            # (A doubted switch - possibly the same hop as an explicit one a second later - is not.)
            learned = (chain & (~flags | (cold & ~doubted))).astype(np.float64)
            relay = relay_decayed + decayed_sum_before(src, time, learned, self.relay_half_life)
            return base / (1.0 + relay) + conflict_points, relay

        def flags_of(flags: BoolArray) -> BoolArray:
            points, _ = points_for(flags)
            judged: BoolArray = ((chain & (mature | cold)) | conflict) & (points >= self.min_points)
            return judged

        flagged = settle(flags_of, n)
        points, relay = points_for(flagged)
        del first_dst_row
        return {
            "rows": rows,
            "time": time,
            "user": user,
            "src": src,
            "dst": dst,
            "in_user": in_user,
            "in_src": in_src,
            "gap": gap,
            "chain": chain,
            "switch": switch,
            "relay": relay,
            "points": points,
            "flagged": flagged,
            "resolved": resolved,
            "named": named,
            "moved_here": moved_here,
            "cold": cold,
            "doubted": doubted,
            "typed": typed,
            "explicit": explicit[rows],
            "conflict": conflict,
            "claimed_from": mapped[rows].astype(np.int64),
            "settled": settled[rows],
            "habit_new": habit_new,
        }

    def _habit_days(
        self, user: np.ndarray, src: np.ndarray, time: FloatArray
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Per remote-access row: on how many UTC days before the row's day its user logged on
        from its source, whether they already did earlier on the row's day (1.0 / 0.0), and
        whether the row is its pair's first on a day not yet counted (state + earlier rows of
        the batch; a row whose source is unknown is no hop from host 0)."""
        keys = pair_keys(user, np.maximum(src, 0))
        sourced = src >= 0
        stored, last = self.habit_days_.lookup(keys)
        day = np.floor(time / DAY)
        stored_today = np.floor(last / DAY) == day  # (NaN: never)
        same_day_before, _ = group_order(np.where(sourced, day_keys(keys, day), -1))
        new_day: BoolArray = sourced & (same_day_before == 0) & ~stored_today
        days = stored + group_cumsum_before(keys, new_day.astype(np.float64))
        today = (stored_today | (same_day_before > 0)) & sourced
        earlier = days - np.where(today, 1.0, 0.0)
        return earlier, today.astype(np.float64), new_day

    def _typed_hop(
        self,
        batch: EventBatch,
        rows: np.ndarray,
        explicit: BoolArray,
        time: FloatArray,
        user: np.ndarray,
        src: np.ndarray,
        dst: np.ndarray,
    ) -> tuple[BoolArray, np.ndarray, FloatArray]:
        """Per remote-access row: whether it is a logon that follows its account's last explicit
        use (4648) typed by someone else on the row's source, naming the row's destination,
        within the window; with who typed it and when (state + earlier rows of the batch)."""
        n = len(rows)
        by = batch.column("user")[rows].astype(np.int64)
        last = group_last_before(user, explicit)
        prior = np.maximum(last, 0)
        size_u = int(user.max()) + 1 if n else 0
        safe = np.maximum(user, 0)
        t_time = np.where(last >= 0, time[prior], gather(self.typed_time_, size_u, np.nan, safe))
        t_src = np.where(last >= 0, src[prior], gather(self.typed_src_, size_u, -1.0, safe))
        t_dst = np.where(last >= 0, dst[prior], gather(self.typed_dst_, size_u, -1.0, safe))
        t_by = np.where(last >= 0, by[prior], gather(self.typed_by_, size_u, -1.0, safe))
        t_by = t_by.astype(np.int64)
        gap = time - t_time
        hop = ~explicit & ~np.isnan(t_time) & (gap >= 0) & (gap <= self.window)
        hop &= (t_src == src) & (t_dst == dst) & (t_by >= 0) & (t_by != user)
        return hop, t_by, t_time

    def _sweeper(self, in_user: np.ndarray, in_src: np.ndarray) -> BoolArray:
        """Whether each inbound hop is a sweeper's (see ``_view``): its account reached at least
        ``sweep_hosts`` hosts, all from ``in_src``, before this batch."""
        size = int(in_user.max(initial=0)) + 1  # (every inbound account may be unknown: -1)
        safe = np.maximum(in_user, 0)
        hosts = gather(self.sweep_hosts_, size, 0.0, safe)
        only = gather(self.sweep_src_, size, -1.0, safe).astype(np.int64)
        sweeper: BoolArray = (in_user >= 0) & (in_src >= 0) & (only == in_src)
        sweeper &= hosts >= self.sweep_hosts
        return sweeper

    def _learn_sweeps(self, user: np.ndarray, src: np.ndarray, reached: np.ndarray) -> None:
        """Fold the batch's hops into each account's single source and distinct host count
        (``reached``: the rows' (user, destination) keys, before their counts are added)."""
        size_u = int(user.max()) + 1
        self.sweep_src_ = grow(self.sweep_src_, size_u, -1.0)
        self.sweep_hosts_ = grow(self.sweep_hosts_, size_u, 0.0)
        size_u = len(self.sweep_hosts_)  # (state may know more accounts than this batch)
        pairs = sorted_unique(reached)
        new = pairs[self.reached_.get("counts", pairs) == 0]
        added = np.bincount((new >> 32).astype(np.int64), minlength=size_u)[:size_u]
        total = self.sweep_hosts_.astype(np.int64) + added
        self.sweep_hosts_[:] = np.minimum(total, np.iinfo(np.uint16).max)
        sourced = src >= 0
        if not sourced.any():
            return
        hops = sorted_unique(pair_keys(user[sourced], src[sourced]))
        who = (hops >> 32).astype(np.int64)
        where = (hops & 0xFFFFFFFF).astype(np.int64)
        sources = np.bincount(who, minlength=size_u)[:size_u]
        only = np.full(size_u, -1, dtype=np.int64)
        only[who] = where  # (the value matters only where a user has one source)
        stored = self.sweep_src_.astype(np.int64)
        seen = sources > 0
        single = (sources == 1) & ((stored == -1) | (stored == only))
        self.sweep_src_[seen] = np.where(single[seen], only[seen], -2).astype(np.int32)

    def _reached_before(
        self,
        user: np.ndarray,
        src: np.ndarray,
        dst: np.ndarray,
        asked: np.ndarray | None = None,
    ) -> FloatArray:
        """How often each row's user (or the ``asked`` account of the row) reached the row's
        source host before (state + earlier rows)."""
        n = len(user)
        query = pair_keys(user if asked is None else asked, np.maximum(src, 0))
        stored: FloatArray = self.reached_.get("counts", query).astype(np.float64)
        if n == 0:
            return stored
        # Queries sort before the inbound entry of the same row: a row never counts itself.
        keys = np.r_[query, pair_keys(user, dst)]
        sequence = np.r_[2 * np.arange(n), 2 * np.arange(n) + 1]
        order = np.argsort(sequence, kind="stable")
        inbound = np.r_[np.zeros(n), np.ones(n)][order]
        before = np.empty(2 * n)
        before[order] = group_cumsum_before(keys[order], inbound)
        reached: FloatArray = stored + before[:n]
        return reached

    def _sits_at(
        self, batch: EventBatch, rows: np.ndarray, user: np.ndarray, src: np.ndarray
    ) -> BoolArray:
        """Whether each row's user had a local interactive logon on the row's source host
        before the row (state + earlier rows of the batch)."""
        n = len(rows)
        query = pair_keys(user, np.maximum(src, 0))
        stored, _ = self.console_.lookup(query)
        local = local_interactive(batch)
        if n == 0 or len(local) == 0:
            return (stored > 0) & (src >= 0)
        seen = pair_keys(batch.column("user")[local], batch.column("dst_host")[local])
        # A local logon at batch position p sorts before a query at position r when p < r.
        keys = np.r_[query, seen]
        sequence = np.r_[2 * rows.astype(np.int64), 2 * local + 1]
        order = np.argsort(sequence, kind="stable")
        is_local = np.r_[np.zeros(n), np.ones(len(local))][order]
        before = np.empty(len(keys))
        before[order] = group_cumsum_before(keys[order], is_local)
        sits: BoolArray = ((stored + before[:n]) > 0) & (src >= 0)
        return sits

    @staticmethod
    def _describe_conflict(
        signals: Signals, owner: str, item: dict[str, np.ndarray], user: str, named: str, dst: str
    ) -> None:
        """Title of a logon naming one machine from another machine's settled address."""
        days = int(item["settled"])
        signals.titles.append(
            f"{user} logged on to {dst} naming {named} from an address that has named only "
            f"{owner} (on {days} days): {named}'s name from {owner}'s address, a relayed "
            "sign-in (NTLM relay) or a spoofed workstation name"
        )
        signals.observed.append(f"{named} claimed from {owner}'s address")
        signals.baseline.append(f"the address named {owner} on {days} days, never another machine")

    @property
    def user_host_pairs(self) -> KeyedColumns:
        """Its (acting user, destination) pairs: keys shared with the detectors that watch the
        same remote logons (:func:`detectors._pair_columns.share_user_hosts`)."""
        return self.reached_

    @staticmethod
    def _first_in_batch(keys: np.ndarray, time: FloatArray) -> FloatArray:
        """Per key id: the earliest time among this batch's rows (NaN when absent)."""
        first = np.full(int(keys.max()) + 1 if len(keys) else 0, np.inf)
        np.minimum.at(first, keys.astype(np.int64), time)
        return np.where(np.isfinite(first), first, np.nan)

    def _privileged_by(self, batch: EventBatch, rows: np.ndarray, user: np.ndarray) -> BoolArray:
        """Whether each row's acting user was seen using privileges before or at the row."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.bool_)
        actor = batch.column("user").astype(np.int64)
        marked = batch.privileged & (actor >= 0)
        size = int(max(user.max(), actor.max())) + 1
        state = gather(self.user_privileged_, size, 0.0, user) > 0
        first_row = np.full(size, len(batch), dtype=np.int64)
        np.minimum.at(first_row, actor[marked], np.flatnonzero(marked))
        privileged: BoolArray = state | (first_row[user] <= rows)
        return privileged

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "user")
        if not len(signals):
            return signals
        rows = signals.rows
        users, hosts = builder.vocab["user"], builder.vocab["host"]
        for index in range(len(rows)):
            item = {
                key: value[flagged][index]
                for key, value in view.items()
                if key not in ("resolved", "named", "moved_here")
            }
            u2, u1 = users.value(int(item["user"])), users.value(int(item["in_user"]))
            b, c = hosts.value(int(item["src"])), hosts.value(int(item["dst"]))
            if bool(item["conflict"]) and not bool(item["chain"]):
                self._describe_conflict(signals, hosts.value(int(item["claimed_from"])), item,
                                        u2, b, c)  # fmt: skip
                continue
            a = hosts.value(int(item["in_src"])) or (
                f"{u1}'s session" if np.isnan(float(item["gap"])) else "an unnamed source"
            )
            minutes = float(item["gap"]) / MINUTE
            after = (
                f"{minutes:.0f} min after {u1} reached {b} from {a}"
                if not np.isnan(minutes)
                else f"while {u1} had a remote session on {b} ({u1} typed the credentials there)"
            )
            relay = float(item["relay"])
            switch = f"account switch {u1} -> {u2}; " if bool(item["switch"]) else ""
            young = "; accounts or relay still new, judged on a short history"
            cold = young if bool(item["cold"]) else ""
            if bool(item["typed"]):
                signals.titles.append(
                    f"{u2} logged on to {c} from {b} {minutes:.0f} min after {u1} typed "
                    f"{u2}'s credentials on {b} naming {c} (explicit credentials, 4648; "
                    f"{switch}{b} relayed {relay:.1f} chains before{cold})"
                )
                signals.observed.append(f"typed hop {b} -> {c} with {u1} -> {u2}")
                signals.baseline.append(
                    f"{u2} never logged on from {b}; {b} relayed {relay:.1f} chains "
                    "(decayed, 30-day half-life)"
                )
                continue
            signals.titles.append(
                f"{u2} logged on to {c} from {b} {after} ({switch}{b} relayed {relay:.1f} "
                f"chains before{cold})"
            )
            # A switch is its own finding: the same hop seen first without one (a plain logon
            # whose switch is doubted) must not make the explicit switch a repeat.
            as_switch = f" with {u1} -> {u2}" if bool(item["switch"]) else ""
            signals.observed.append(f"chain {a} -> {b} -> {c}{as_switch}")
            signals.baseline.append(f"{b} relayed {relay:.1f} chains (decayed, 30-day half-life)")
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        if len(batch):
            first_t = self._first_in_batch(batch.tenant, batch.time)
            stored = grow(self.tenant_first_, len(first_t), np.nan)
            self.tenant_first_ = np.fmin(stored, grow(first_t, len(stored), np.nan))
            actor = batch.column("user")
            marked = batch.privileged & (actor >= 0)
            if marked.any():
                self.user_privileged_ = grow(self.user_privileged_, int(actor.max()) + 1, 0.0)
                self.user_privileged_[actor[marked]] = 1.0
        named = view["named"]
        src_ip = batch.column("src_ip")
        if named.any():
            size_ip = int(src_ip[named].max()) + 1
            self.ip_host_ = grow(self.ip_host_, size_ip, -1.0)
            # (before the map moves on: the day counts are kept for the machines it held)
            self._learn_settled(src_ip[named].astype(np.int64),
                                batch.column("src_host")[named].astype(np.int64),
                                batch.time[named])  # fmt: skip
            # Rows are in time order: the last write per IP wins, as it would one by one.
            self.ip_host_[src_ip[named]] = batch.column("src_host")[named]
            # Pool addresses (state, or moved in this batch): when each last named a machine.
            ips = src_ip[named].astype(np.int64)
            pool, _ = self.pools_.lookup(ips)
            pool_ips = sorted_unique(src_ip[view["moved_here"]].astype(np.int64))
            keep = (pool > 0) | np.isin(ips, pool_ips)
            self.pools_.add(ips[keep], batch.time[named][keep])
        rows = view["rows"]
        if len(rows) == 0:
            return
        time, user, src, dst = view["time"], view["user"], view["src"], view["dst"]
        sourced = src >= 0
        self.habits_.add(pair_keys(user[sourced], src[sourced]), time[sourced])
        # (one count per pair and day: the days the user logged on from the source)
        new_day = view["habit_new"]
        self.habit_days_.add(pair_keys(user[new_day], src[new_day]), time[new_day])
        reached = pair_keys(user, dst)
        self._learn_sweeps(user, src, reached)
        self.reached_.pairs.insert(reached)
        self.reached_.add_counts("counts", reached)
        local = local_interactive(batch)
        if len(local):
            self.console_.add(
                pair_keys(batch.column("user")[local], batch.column("dst_host")[local]),
                batch.time[local],
            )
        size_h = int(max(dst.max(), src.max())) + 1
        size_u = int(user.max()) + 1
        for name in ("host_first_", "last_in_time_", "relay_t_"):
            setattr(self, name, grow(getattr(self, name), size_h, np.nan))
        self.last_in_user_ = grow(self.last_in_user_, size_h, -1.0)
        self.last_in_src_ = grow(self.last_in_src_, size_h, -1.0)
        self.relay_ = grow(self.relay_, size_h, 0.0)
        self.user_first_ = grow(self.user_first_, size_u, np.nan)
        first = np.full(size_h, np.inf)
        np.minimum.at(first, dst, time)
        hit = np.isfinite(first)
        self.host_first_[:size_h][hit] = np.fmin(self.host_first_[:size_h][hit], first[hit])
        first_u = np.full(size_u, np.inf)
        np.minimum.at(first_u, user, time)
        hit_u = np.isfinite(first_u)
        self.user_first_[:size_u][hit_u] = np.fmin(self.user_first_[:size_u][hit_u], first_u[hit_u])
        # Each account's last explicit use (rows in time order: the last one wins).
        typed_rows = view["explicit"]
        if typed_rows.any():
            account = user[typed_rows]
            size_a = int(account.max()) + 1
            self.typed_time_ = grow(self.typed_time_, size_a, np.nan)
            for name in ("typed_src_", "typed_dst_", "typed_by_"):
                setattr(self, name, grow(getattr(self, name), size_a, -1))
            self.typed_time_[account] = time[typed_rows]
            self.typed_src_[account] = src[typed_rows]
            self.typed_dst_[account] = dst[typed_rows]
            self.typed_by_[account] = batch.column("user")[rows][typed_rows]
        # Latest inbound hop per host (rows in time order: the last one wins).
        self.last_in_time_[dst] = time
        self.last_in_user_[dst] = user
        self.last_in_src_[dst] = src
        relay_cold = view["cold"] & ~view["doubted"]
        learned = view["chain"] & (~view["flagged"] | relay_cold) & ~held_back[rows] & (src >= 0)
        if learned.any():
            relay_hosts = src[learned]
            latest = np.full(size_h, -np.inf)
            np.maximum.at(latest, relay_hosts, time[learned])
            hosts = np.flatnonzero(np.isfinite(latest))
            old_t = self.relay_t_[hosts]
            decayed = np.where(
                np.isnan(old_t),
                0.0,
                self.relay_[hosts]
                * np.exp2(-(latest[hosts] - np.nan_to_num(old_t)) / self.relay_half_life),
            )
            added = np.zeros(size_h)
            np.add.at(
                added,
                relay_hosts,
                np.exp2(-(latest[relay_hosts] - time[learned]) / self.relay_half_life),
            )
            self.relay_[hosts] = decayed + added[hosts]
            self.relay_t_[hosts] = latest[hosts]

    def _learn_settled(self, ips: np.ndarray, hosts: np.ndarray, time: FloatArray) -> None:
        """Fold named rows (time order) into each address's settled-day count."""
        size = len(self.ip_host_)
        self.ip_days_ = grow(self.ip_days_, size, 0.0)
        self.ip_day_ = grow(self.ip_day_, size, 0.0)
        unique = np.unique(ips)
        counted = self.ip_days_[unique].astype(np.int64)
        _, _, days, day = run_days(
            ips,
            hosts,
            np.floor(time / DAY).astype(np.int64),
            stored_host=np.where(counted > 0, self.ip_host_[unique], -1).astype(np.int64),
            stored_days=counted,
            stored_day=self.ip_day_[unique].astype(np.int64),
        )
        self.ip_days_[unique] = np.minimum(days, np.iinfo(np.uint8).max)
        self.ip_day_[unique] = np.minimum(day, np.iinfo(np.uint16).max)

    def state(self) -> StateDict:
        return {
            **self.habits_.state("habits_"),
            **self.habit_days_.state("habit_days_"),
            **self.reached_.keys_state("reached_keys"),
            "reached_counts": self.reached_["counts"],
            **self.console_.state("console_"),
            **self.pools_.state("pools_"),
            "ip_host": self.ip_host_,
            "host_first": self.host_first_,
            "user_first": self.user_first_,
            "last_in_time": self.last_in_time_,
            "last_in_user": self.last_in_user_,
            "last_in_src": self.last_in_src_,
            "relay": self.relay_,
            "relay_t": self.relay_t_,
            "tenant_first": self.tenant_first_,
            "user_privileged": self.user_privileged_,
            "typed_time": self.typed_time_,
            "typed_src": self.typed_src_,
            "typed_dst": self.typed_dst_,
            "typed_by": self.typed_by_,
            "sweep_src": self.sweep_src_,
            "sweep_hosts": self.sweep_hosts_,
            "ip_days": self.ip_days_,
            "ip_day": self.ip_day_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.habits_.load_state(state, "habits_")
        if "habit_days_keys" in state:
            self.habit_days_.load_state(state, "habit_days_")
        else:
            # Saved before days were counted: each hop is taken for a day (an over-count only
            # ever excuses more), on no day in particular.
            keys = state["habits_keys"]
            hops = {"habit_days_keys": keys, "habit_days_counts": state["habits_counts"]}
            hops["habit_days_last"] = np.full(len(keys), np.nan)
            self.habit_days_.load_state(hops, "habit_days_")
        if "reached_counts" in state:
            counts = narrow_counts(state["reached_counts"])
            self.reached_.load_state(state, "reached_keys", {"counts": counts})
        elif self.reached_.owns_keys:  # state saved before reached hosts were tracked
            self.reached_.pairs.clear()
        if "console_keys" in state:
            self.console_.load_state(state, "console_")
        else:  # state saved before the machines users sit at were tracked
            self.console_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        if "pools_keys" in state:
            self.pools_.load_state(state, "pools_")
        else:  # state saved before pool addresses were told apart
            self.pools_ = PairTable(WHOLE_COUNTS, tally=False, narrow_keys=True)
        for name in self.state():
            if not name.startswith(("habit", "reached_", "console_", "pools_")):
                # State saved before the cold-start arrays existed has none: start them empty.
                # (Older snapshots hold the id and flag columns as float64: the same values.)
                value = state.get(name, np.empty(0))
                kind = _NARROW.get(name, np.float64)
                setattr(self, f"{name}_", np.asarray(value, dtype=np.float64).astype(kind))


__all__ = ["LoginChain"]
