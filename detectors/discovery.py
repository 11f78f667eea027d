"""Discovery tools an account never ran: who am I, who is logged on, where are the DCs.

After a foothold, an intruder asks the machine and the domain where they are: ``whoami
/groups`` (what does this account hold), ``quser`` / ``qwinsta`` (who else is logged on here),
``nltest /dclist:`` / ``/domain_trusts`` (where are the domain controllers and trusts),
``dsquery`` / ``AdFind`` (the directory), ``systeminfo`` (T1033, T1482, T1087.002, T1082). Each
is also an administrator's tool and a script's, so no single run proves anything; what matters
is who runs it. An office user or a service account that never started any of them and now
starts one in a session on a server is what an analyst would want next to the logon that
opened that session.

``discovery`` flags the first run of one of these tools (the image name, from 4688 or Sysmon 1)
by an account, once the tenant has been watched for ``learning_days``: ``points`` (25, under the
alert bar alone: it is corroboration for the reach detectors, which see the same walk through
another aspect), divided by ``1 + peers / peer_scale`` (the accounts of the tenant that already
ran that tool: a helpdesk team or an inventory script makes it ordinary) and by ``1 + the
account's own tools`` (an admin who runs ``whoami`` and ``quser`` every week trying ``nltest``
is less news than an account that never ran any). ``net.exe`` is not among them: the image
alone cannot tell ``net group "Domain Admins" /domain`` from the ``net use`` of every logon
script and the ``net stop`` of every service restart (the event carries no command line).

Every run is learned (the first is the news; the next ones are its repeats, which the risk layer
counts once anyway), so batch scoring equals one-by-one scoring with no fixed point. Machine
accounts (``HOST$``) and null sessions are not judged. State: the (account, tool) pairs seen,
the accounts per (tenant, tool), each account's count of tools, each tenant's first process.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import ClassVar

import numpy as np

from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    Signals,
    StateDict,
    batch_view,
    bump_counts,
    changes_state,
    flagged_signals,
    fold_extreme,
    gather,
    group_cumsum_before,
    group_order,
    grow,
    narrow_counts,
    pair_keys,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch
from detectors.lateral import DAY, NOT_USERS, value_mask
from detectors.registry import register
from schemas.event import Action, Outcome

#: Tool (image name without ``.exe``) -> its id and ATT&CK technique.
TOOLS: dict[str, tuple[int, str]] = {
    "whoami": (1, "T1033"),  # the account's groups and privileges
    "quser": (2, "T1033"),  # who else is logged on
    "qwinsta": (3, "T1033"),
    "nltest": (4, "T1482"),  # domain controllers, trusts
    "dsquery": (5, "T1087.002"),  # directory queries
    "adfind": (6, "T1087.002"),
    "systeminfo": (7, "T1082"),
}
_NAMES = {tool_id: name for name, (tool_id, _) in TOOLS.items()}
_TECHNIQUE = {tool_id: technique for _, (tool_id, technique) in TOOLS.items()}


def tool_of(image: str) -> int:
    """The discovery tool an image path starts (0: none).

    >>> tool_of("C:\\\\Windows\\\\System32\\\\whoami.exe"), tool_of("/usr/bin/NLTEST")
    (1, 4)
    >>> tool_of("C:\\\\Windows\\\\System32\\\\net.exe")
    0
    """
    name = PureWindowsPath(image.replace("/", "\\")).name.lower()
    name = name.removesuffix(".exe")
    return TOOLS.get(name, (0, ""))[0]


@register
class Discovery:
    """The first run of a discovery tool by an account, weighed by who else runs it.

    >>> from datetime import UTC, datetime, timedelta
    >>> from schemas.event import Event
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def run(day, user, image):
    ...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
    ...                  action=Action.PROCESS_START, user=user, dst_host="app01",
    ...                  object=f"C:\\\\Windows\\\\System32\\\\{image}")
    >>> history = [run(d, "alice", "notepad.exe") for d in range(10)]
    >>> history += [run(d, "admin1", "whoami.exe") for d in range(10)]
    >>> builder, detector = BatchBuilder(), Discovery()
    >>> detector.learn(builder.build(history), held_back=np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([run(11, "alice", "nltest.exe"),
    ...                                         run(11, "alice", "whoami.exe")]), builder)
    >>> [round(float(p), 1) for p in signals.points]
    [25.0, 10.0]
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    alice ran nltest on app01, a discovery tool it never ran (nor did any other account of the
    tenant in 11 days)
    """

    name: ClassVar[str] = "discovery"
    mitre: ClassVar[tuple[str, ...]] = ("T1033", "T1082", "T1087.002", "T1482")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        points: float = 25.0,
        peer_scale: float = 4.0,
        min_points: float = 3.0,
    ) -> None:
        if learning_days < 0 or not 0 < points <= 100 or peer_scale <= 0 or min_points < 0:
            raise ValueError(
                f"{self.name}: learning_days >= 0, 0 < points <= 100, peer_scale > 0, "
                "min_points >= 0"
            )
        self.learning_days = learning_days
        self.points = points
        self.peer_scale = peer_scale
        self.min_points = min_points
        self.pairs_ = PairTable(WHOLE_COUNTS, times=False)  # (account, tool) seen
        self.peers_ = PairTable(WHOLE_COUNTS, times=False)  # (tenant, tool) -> accounts
        self.tools_ = narrow_counts([])  # per account: distinct tools run
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # per tenant: first process seen

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        user_all = batch.column("user")
        process = batch.action_mask(frozenset({Action.PROCESS_START}))
        process &= ~batch.outcome_is(Outcome.FAILURE) & (user_all >= 0)
        every = np.flatnonzero(process & (batch.column("object") >= 0))
        n_every = len(every)
        tenant_every = batch.tenant[every].astype(np.int64)
        # The tenant's clock runs on every process start, not only the tools'.
        size_t = int(tenant_every.max()) + 1 if n_every else 0
        tenant_first = gather(self.tenant_first_, size_t, np.nan, tenant_every)
        _, first_tenant_row = group_order(tenant_every)
        tenant_first = np.where(
            np.isnan(tenant_first), batch.time[every][first_tenant_row], tenant_first
        )
        tool = np.zeros(n_every, dtype=np.int64)
        if n_every:
            ids = batch.column("object")[every]
            unique, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
            verdict = np.fromiter(
                (tool_of(batch.events[int(every[f])].object) for f in first.tolist()),
                dtype=np.int64,
                count=len(unique),
            )
            tool = verdict[inverse.reshape(-1)]
        keep = tool > 0
        if keep.any():
            keep[keep] = ~value_mask(
                batch,
                "user",
                every[keep],
                lambda v: v.endswith("$") or v.lower() in NOT_USERS,
            )
        rows = every[keep]
        tool, tenant, tenant_first = tool[keep], tenant_every[keep], tenant_first[keep]
        n = len(rows)
        user = user_all[rows].astype(np.int64)
        time = batch.time[rows]
        keys = pair_keys(user, tool)
        seen_state = self.pairs_.lookup(keys)[0] > 0
        _, first_pair_row = group_order(keys)
        new_pair = ~seen_state & (first_pair_row == np.arange(n))
        peer_keys = pair_keys(tenant, tool)
        peers = self.peers_.lookup(peer_keys)[0] + group_cumsum_before(
            peer_keys, new_pair.astype(np.float64)
        )
        size_u = int(user.max()) + 1 if n else 0
        own = gather(self.tools_, size_u, 0, user).astype(np.float64)
        own += group_cumsum_before(user, new_pair.astype(np.float64))
        points = self.points / (1.0 + peers / self.peer_scale) / (1.0 + own)
        mature = time - tenant_first >= self.learning_days * DAY
        flagged = new_pair & mature & (points >= self.min_points)
        return {
            "rows": rows,
            "user": user,
            "tool": tool,
            "time": time,
            "keys": keys,
            "peer_keys": peer_keys,
            "new_pair": new_pair,
            "peers": peers,
            "own": own,
            "tenant_first": tenant_first,
            "flagged": flagged,
            "points": points,
            "every_tenant": tenant_every,
            "every_time": batch.time[every],
        }

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "user")
        if not len(signals):
            return signals
        for index, row in enumerate(signals.rows.tolist()):
            event = batch.events[row]
            who = builder.vocab["user"].value(int(view["user"][flagged][index]))
            tool = int(view["tool"][flagged][index])
            name = _NAMES[tool]
            peers = int(view["peers"][flagged][index])
            own = int(view["own"][flagged][index])
            since = float(view["tenant_first"][flagged][index])
            days = (float(view["time"][flagged][index]) - since) / DAY
            where = event.dst_host or "an unnamed host"
            others = (
                f"{peers} other account(s) of the tenant ran it"
                if peers
                else "nor did any other account of the tenant"
            )
            habit = f"; it ran {own} other discovery tool(s) before" if own else ""
            signals.titles.append(
                f"{who} ran {name} on {where}, a discovery tool it never ran ({others} in "
                f"{days:.0f} days{habit})"
            )
            signals.observed.append(f"discovery tool {name} run by {who}")
            signals.baseline.append(
                f"{own} discovery tool(s) run by {who}; {peers} account(s) run {name}"
            )
            signals.row_mitre.append((_TECHNIQUE[tool],))
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        every_tenant = view["every_tenant"]
        if len(every_tenant):
            self.tenant_first_ = grow(self.tenant_first_, int(every_tenant.max()) + 1, np.nan)
            fold_extreme(self.tenant_first_, every_tenant, view["every_time"])
        rows = view["rows"]
        if len(rows) == 0:
            return
        learned = view["new_pair"] & ~held_back[rows]
        if not learned.any():
            return
        user = view["user"][learned]
        self.pairs_.add(view["keys"][learned], view["time"][learned])
        self.peers_.add(view["peer_keys"][learned], view["time"][learned])
        self.tools_ = bump_counts(self.tools_, int(user.max()) + 1, user)

    def state(self) -> StateDict:
        return {
            **self.pairs_.state("pairs_"),
            **self.peers_.state("peers_"),
            "tools": self.tools_,
            "tenant_first": self.tenant_first_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.pairs_.load_state(state, "pairs_")
        self.peers_.load_state(state, "peers_")
        self.tools_ = narrow_counts(state["tools"])
        self.tenant_first_ = np.asarray(state["tenant_first"], dtype=np.float64)


__all__ = ["TOOLS", "Discovery", "tool_of"]
