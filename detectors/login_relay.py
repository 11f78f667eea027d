"""Someone else's hop: an account that always hops through a machine with a session of its own
there signs in from that machine's address without one.

Sign-ins between Linux servers carry the source's address, never its name (sshd writes "from
10.0.2.5"), and nothing in the feed ties a server's address to the host name its own logs carry:
``login_chain`` cannot tell that an admin hopping from the app server to the database holds a
session on the app server. What can be learned without names:

* a *relay address*: of the sign-ins from it, at least ``min_relay`` and ``relay_share`` came
  from accounts holding an ssh session of their own that they opened from another address
  within ``window_hours`` (the admin who came in through the bastion, then went on from it): a
  machine people hop through;
* a *chaining account*: of its sign-ins from relay addresses (at least ``min_hops``), more than
  ``chain_share`` came with such a session of its own: it hops with a session of its own, as
  people do.

A chaining account signing in from a relay address with no session of its own opened from
another address in the last ``window_hours`` is flagged: its credentials were used on a machine
it is not on (an admin's password found in a config file on the app server, a deploy engineer's
foothold there). The finding is worth ``points``, by default the risk layer's alert bar: alone
an alert of low severity, paged only with other evidence (a forgotten tmux session older than
the window, or a relay address handed to another machine by DHCP, look the same).

Sessions are ssh sign-ins with a source address (an account's Windows sessions are no place its
ssh sign-ins come from); what is judged are ssh sign-ins from an internal address that names no
machine (a named source is ``login_chain``'s). Nothing is judged
until the tenant's first ``learning_days`` are over. Flagged sign-ins are kept out of the address
and account tallies (a foothold used every night must not make its address a relay, nor its
victim's hops "unchained"); sessions are facts and always kept.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._decay import settle
from detectors._seconds import NEVER, SECONDS, decode, encode, floor_seconds, stored_times
from detectors.base import (
    Signals,
    StateDict,
    batch_view,
    changes_state,
    flagged_signals,
    fold_extreme,
    gather,
    group_cumsum_before,
    grow,
    narrow_counts,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import DAY, acting_user, group_last_before, remote_access, value_mask
from detectors.registry import register

#: Sessions that count, and what is judged: sign-ins whose source the log gives only as an
#: address (sshd). A Windows session of the account (an admin's RDP to a server from their own
#: workstation) is no place their ssh sign-ins come from: counted, the admin's Windows sessions
#: made the stolen password of unseen seed 403 "chained" (README, round 17).
_SSH = frozenset({"ssh"})


def run_before(keys: Int64Array, values: Int64Array, rows: Int64Array) -> Int64Array:
    """Per position of ``rows`` (positions in time order): the position of the latest earlier
    row with the same key whose value differs from the value of the row at that position's
    run (a run: consecutive rows of one key sharing a value); -1 when none.

    >>> run_before(np.array([1, 1, 1, 2, 1]), np.array([5, 6, 6, 5, 6]), np.arange(5)).tolist()
    [-1, 0, 0, -1, 0]
    """
    n = len(rows)
    result = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return result
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    start = np.r_[True, (k[1:] != k[:-1]) | (v[1:] != v[:-1])]
    run_start = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    before = run_start - 1
    same_key = (before >= 0) & (k[np.maximum(before, 0)] == k)
    result[order] = np.where(same_key, rows[order][np.maximum(before, 0)], -1)
    return result


@register
class LoginRelay:
    """Flags a hopping account signing in from a hop machine's address with no session there.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Action, Event
    >>> t = datetime(2024, 3, 4, 9, tzinfo=UTC)
    >>> def ssh(hours, user, ip, host):
    ...     return Event(time=t + timedelta(hours=hours), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user=user, src_ip=ip, dst_host=host,
    ...                  logon_type="ssh")
    >>> days = [d * 24 for d in range(10)]
    >>> history = [e for h in days for e in (ssh(h, "ann", "10.1.0.9", "app1"),
    ...            ssh(h + 0.5, "ann", "10.2.0.5", "db1"))]
    >>> builder, detector = BatchBuilder(), LoginRelay(learning_days=3, min_hops=5)
    >>> detector.learn(builder.build(history), np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([ssh(250, "ann", "10.2.0.5", "db1")]), builder)
    >>> len(signals), float(signals.points[0])
    (1, 40.0)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    ann signed in to db1 from 10.2.0.5, a machine people hop through (10 of 10 sign-ins from
    it came with a session opened elsewhere), with no session of their own opened elsewhere in
    the last 3 h; 7 of their 7 hops from such machines came with one
    """

    name: ClassVar[str] = "login_relay"
    mitre: ClassVar[tuple[str, ...]] = ("T1021.004", "T1078")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        window_hours: float = 3.0,
        learning_days: float = 7.0,
        min_relay: int = 3,
        relay_share: float = 0.5,
        min_hops: int = 5,
        chain_share: float = 0.8,
        points: float = 40.0,
    ) -> None:
        if window_hours <= 0 or learning_days < 0 or min_relay < 1 or min_hops < 1:
            raise ValueError(f"{self.name}: window > 0, learning >= 0, minimum counts >= 1")
        if not (0.0 <= relay_share <= 1.0 and 0.0 <= chain_share < 1.0 and 0 <= points <= 100):
            raise ValueError(f"{self.name}: shares in [0, 1), points in [0, 100]")
        self.window = window_hours * 3600.0
        self.learning_days = learning_days
        self.min_relay = min_relay
        self.relay_share = relay_share
        self.min_hops = min_hops
        self.chain_share = chain_share
        self.points = points
        # Per account: its latest session (when, from which address) and the latest one opened
        # from any other address (whole seconds, NEVER: none).
        self.last_time_ = encode(np.empty(0))
        self.last_src_ = np.empty(0, dtype=np.int32)
        self.other_time_ = encode(np.empty(0))
        # Per account: sign-ins from relay addresses, and how many came with a session.
        self.hops_ = narrow_counts([])
        self.chained_ = narrow_counts([])
        # Per address: sign-ins from it, and how many came with a session opened elsewhere.
        self.ip_hops_ = narrow_counts([])
        self.ip_chained_ = narrow_counts([])
        self.tenant_first_ = np.empty(0, dtype=np.float64)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        mask, explicit = remote_access(batch)
        actor = acting_user(batch, explicit).astype(np.int64)
        src_all = batch.column("src_ip").astype(np.int64)
        candidates = np.flatnonzero(mask & (src_all >= 0) & ~explicit)
        # Every ssh sign-in is a session; those from an internal address naming no machine are
        # judged. (Windows logons naming no workstation, judged too, added 5 false alerts on the
        # 4 seeds of s101n: admins' routine remote administration from one server.)
        seen = candidates[value_mask(batch, "logon_type", candidates, _SSH.__contains__)]
        judged = (batch.column("src_host")[seen] < 0) & batch.src_internal[seen]
        user, src = actor[seen], src_all[seen]
        time = floor_seconds(batch.time[seen])
        # The latest session of the account opened from another address than this row's: the
        # latest earlier session if its address differs, else the one before that session's run
        # of same-address sessions; from the state when the batch holds none.
        last = group_last_before(user, np.ones(len(seen), dtype=np.bool_))
        before_run = run_before(user, src, np.arange(len(seen)))
        prior = np.maximum(last, 0)
        other = np.where(src[prior] != src, prior, before_run[prior])
        other = np.where(last >= 0, other, -1)
        size_u = max(int(user.max()) + 1 if len(seen) else 0, len(self.last_time_))
        state_last = decode(gather(self.last_time_, size_u, NEVER, user))
        state_src = gather(self.last_src_, size_u, -1, user).astype(np.int64)
        state_other = decode(gather(self.other_time_, size_u, NEVER, user))
        from_state = np.where(state_src != src, state_last, state_other)
        elsewhere = np.where(other >= 0, time[np.maximum(other, 0)], from_state)
        chained = time - elsewhere <= self.window  # NaN (none) compares False
        # What is judged, and what the address and account tallies hold.
        rows = seen[judged]
        j_user, j_src, j_chained = user[judged], src[judged], chained[judged]
        n = len(rows)
        size_ip = max(int(j_src.max()) + 1 if n else 0, len(self.ip_hops_))
        ip_hops = gather(self.ip_hops_, size_ip, 0, j_src).astype(np.float64)
        ip_chained = gather(self.ip_chained_, size_ip, 0, j_src).astype(np.float64)
        hops = gather(self.hops_, size_u, 0, j_user).astype(np.float64)
        hops_chained = gather(self.chained_, size_u, 0, j_user).astype(np.float64)
        every_tenant = batch.tenant.astype(np.int64)
        size_t = int(every_tenant.max()) + 1 if len(batch) else 0
        tenant_first = grow(self.tenant_first_, size_t, np.nan).copy()  # (learn keeps it)
        fold_extreme(tenant_first, every_tenant, batch.time)
        mature = batch.time[rows] - tenant_first[every_tenant[rows]] >= self.learning_days * DAY

        def tallies(held: BoolArray) -> dict[str, np.ndarray]:
            kept = (~held).astype(np.float64)
            at_ip = ip_hops + group_cumsum_before(j_src, kept)
            at_ip_chained = ip_chained + group_cumsum_before(j_src, kept * j_chained)
            relay = (at_ip_chained >= self.min_relay) & (at_ip_chained >= self.relay_share * at_ip)
            mine = hops + group_cumsum_before(j_user, kept * relay)
            mine_chained = hops_chained + group_cumsum_before(j_user, kept * relay * j_chained)
            chaining = (mine >= self.min_hops) & (mine_chained > self.chain_share * mine)
            return {
                "ip_hops": at_ip,
                "ip_chained": at_ip_chained,
                "relay": relay,
                "hops": mine,
                "hops_chained": mine_chained,
                "flagged": relay & chaining & ~j_chained & mature,
            }

        flagged = settle(lambda held: tallies(held)["flagged"], n)
        return {
            **tallies(flagged),
            "rows": rows,
            "user": j_user,
            "src": j_src,
            "dst": batch.column("dst_host")[rows].astype(np.int64),
            "chained": j_chained,
            "points": np.full(n, self.points),
            "session_rows": seen,
            "session_user": user,
            "session_src": src,
            "session_time": time,
            "session_other": elsewhere,
            "tenant_first": tenant_first,
        }

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "user")
        window = self.window / 3600.0
        for index in np.flatnonzero(flagged):
            who = builder.vocab["user"].value(int(view["user"][index]))
            ip = builder.vocab["ip"].value(int(view["src"][index]))
            host = builder.vocab["host"].value(int(view["dst"][index]))
            relayed = f"{view['ip_chained'][index]:.0f} of {view['ip_hops'][index]:.0f}"
            own = f"{view['hops_chained'][index]:.0f} of their {view['hops'][index]:.0f}"
            signals.titles.append(
                f"{who} signed in to {host} from {ip}, a machine people hop through ({relayed} "
                "sign-ins from it came with a session opened elsewhere), with no session of "
                f"their own opened elsewhere in the last {window:.0f} h; {own} hops from such "
                "machines came with one"
            )
            signals.observed.append(f"{who} from {ip} with no session of their own")
            signals.baseline.append(f"{own} sign-ins from hop machines came with a session")
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        self.tenant_first_ = view["tenant_first"]
        sessions = view["session_rows"]
        if len(sessions):
            # Rows in time order: the account's last session wins; its "other" time is the
            # latest session from another address than that last one's.
            user, src = view["session_user"], view["session_src"]
            time, other = view["session_time"], view["session_other"]
            size_u = max(int(user.max()) + 1, len(self.last_time_))
            last_time = grow(self.last_time_, size_u, NEVER)
            last_src = grow(self.last_src_, size_u, -1)
            other_time = grow(self.other_time_, size_u, NEVER)
            final = np.zeros(size_u, dtype=np.int64) - 1
            final[user] = np.arange(len(user))  # the last write per account wins
            accounts = np.flatnonzero(final >= 0)
            at = final[accounts]
            last_time[accounts] = encode(time[at])
            last_src[accounts] = src[at]
            other_time[accounts] = encode(other[at])
            self.last_time_, self.last_src_, self.other_time_ = last_time, last_src, other_time
        rows = view["rows"]
        if len(rows) == 0:
            return
        keep = ~(view["flagged"] | held_back[rows])
        src, user = view["src"], view["user"]
        chained, relay = view["chained"], view["relay"]
        size_ip = max(int(src.max()) + 1, len(self.ip_hops_))
        ip_hops = grow(self.ip_hops_, size_ip, 0).astype(np.int64)
        ip_chained = grow(self.ip_chained_, size_ip, 0).astype(np.int64)
        ip_hops += np.bincount(src[keep], minlength=size_ip)
        ip_chained += np.bincount(src[keep & chained], minlength=size_ip)
        self.ip_hops_, self.ip_chained_ = narrow_counts(ip_hops), narrow_counts(ip_chained)
        size_u = max(int(user.max()) + 1, len(self.hops_))
        hops = grow(self.hops_, size_u, 0).astype(np.int64)
        hops_chained = grow(self.chained_, size_u, 0).astype(np.int64)
        hops += np.bincount(user[keep & relay], minlength=size_u)
        hops_chained += np.bincount(user[keep & relay & chained], minlength=size_u)
        self.hops_, self.chained_ = narrow_counts(hops), narrow_counts(hops_chained)

    def state(self) -> StateDict:
        return {
            "last_time": self.last_time_,
            "last_src": self.last_src_,
            "other_time": self.other_time_,
            "hops": self.hops_,
            "chained": self.chained_,
            "ip_hops": self.ip_hops_,
            "ip_chained": self.ip_chained_,
            "tenant_first": self.tenant_first_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        for name in ("last_time", "other_time"):
            setattr(self, f"{name}_", stored_times(state.get(name, np.empty(0, dtype=SECONDS))))
        self.last_src_ = np.asarray(state.get("last_src", np.empty(0)), dtype=np.int32)
        for name in ("hops", "chained", "ip_hops", "ip_chained"):
            setattr(self, f"{name}_", narrow_counts(state.get(name, np.empty(0, dtype=np.uint8))))
        self.tenant_first_ = np.asarray(state.get("tenant_first", np.empty(0)), dtype=np.float64)


__all__ = ["LoginRelay", "run_before"]
