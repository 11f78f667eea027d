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

A flagged run is not learned (flagged behaviour does not become normal by itself: the account
is not one of the tool's runners, nor does the tool count among its own); once an account's
flagged runs of a tool came on ``release_days`` (3) distinct UTC days it is taken for the
account's habit and learned. Machine accounts (``HOST$``) and null sessions are not judged.
State: the (account, tool) pairs learned, the accounts per (tenant, tool), each account's count
of tools, each tenant's first process start, and the flagged pairs' days.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import ClassVar

import numpy as np

from detectors._decay import settle
from detectors._flagged_days import add_flagged_days, day_keys
from detectors._sort import unique1d
from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    Signals,
    StateDict,
    batch_view,
    bump_counts,
    changes_state,
    first_times,
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
from detectors.lateral import DAY, not_a_person, value_mask
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
    [25.0, 20.0]
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
        release_days: int = 3,
    ) -> None:
        if learning_days < 0 or not 0 < points <= 100 or peer_scale <= 0 or min_points < 0:
            raise ValueError(
                f"{self.name}: learning_days >= 0, 0 < points <= 100, peer_scale > 0, "
                "min_points >= 0"
            )
        if release_days < 1:
            raise ValueError(f"{self.name}: release_days >= 1")
        self.release_days = release_days
        self.learning_days = learning_days
        self.points = points
        self.peer_scale = peer_scale
        self.min_points = min_points
        self.pairs_ = PairTable(WHOLE_COUNTS, times=False)  # (account, tool) seen
        self.peers_ = PairTable(WHOLE_COUNTS, times=False)  # (tenant, tool) -> accounts
        self.tools_ = narrow_counts([])  # per account: distinct tools run
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # per tenant: first process seen
        # Pairs with flagged runs: distinct UTC days of them, the last one's time.
        self.flagged_days_ = PairTable(WHOLE_COUNTS)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        user_all = batch.column("user")
        process = batch.action_mask(frozenset({Action.PROCESS_START}))
        process &= ~batch.outcome_is(Outcome.FAILURE) & (user_all >= 0)
        every = np.flatnonzero(process & (batch.column("object") >= 0))
        n_every = len(every)
        tenant_every = batch.tenant[every].astype(np.int64)
        # The tenant's clock runs on every process start, not only the tools'.
        tenant_first = first_times(self.tenant_first_, np.nan, tenant_every, batch.time[every])
        tool = np.zeros(n_every, dtype=np.int64)
        if n_every:
            ids = batch.column("object")[every]
            unique, first, inverse = unique1d(ids, return_index=True, return_inverse=True)
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
                not_a_person,
            )
        rows = every[keep]
        tool, tenant, tenant_first = tool[keep], tenant_every[keep], tenant_first[keep]
        n = len(rows)
        user = user_all[rows].astype(np.int64)
        time = batch.time[rows]
        day = np.floor(time / DAY)
        keys = pair_keys(user, tool)
        known_state = self.pairs_.lookup(keys)[0] > 0
        peer_keys = pair_keys(tenant, tool)
        peers_state = self.peers_.lookup(peer_keys)[0]
        size_u = int(user.max()) + 1 if n else 0
        own_state = gather(self.tools_, size_u, 0, user).astype(np.float64)
        mature = time - tenant_first >= self.learning_days * DAY
        # Distinct UTC days with flagged runs of the pair so far (state), the last one's day.
        stored_days, stored_last = self.flagged_days_.lookup(keys)
        stored_last_day = np.floor(np.nan_to_num(stored_last, nan=-1.0) / DAY)
        stored_today = (stored_days > 0) & (stored_last_day == day)
        day_key = day_keys(keys, day)

        def judge(flags: BoolArray) -> dict[str, np.ndarray]:
            learned = ~flags
            known = known_state | (group_cumsum_before(keys, learned.astype(np.float64)) > 0)
            # The first learned run of a pair makes the account one of the tool's runners and
            # adds to its own tools; flagged runs do neither until they are released.
            _, first_learned = group_order(np.where(learned, keys, -1 - np.arange(n)))
            new_learned = learned & ~known_state & (first_learned == np.arange(n))
            peers = peers_state + group_cumsum_before(peer_keys, new_learned.astype(np.float64))
            own = own_state + group_cumsum_before(user, new_learned.astype(np.float64))
            points = self.points / (1.0 + peers / self.peer_scale) / (1.0 + own)
            # Flagged days before each row's day: every run of the third day is still a
            # finding, the fourth day's are the account's habit (released, learned).
            _, first_of_day = group_order(np.where(flags, day_key, -1 - np.arange(n)))
            new_day = flags & (first_of_day == np.arange(n)) & (day != stored_last_day)
            marked_today = group_cumsum_before(day_key, new_day.astype(np.float64))
            days = stored_days - stored_today + group_cumsum_before(keys, new_day.astype(float))
            days -= marked_today
            flagged = ~known & mature & (points >= self.min_points) & (days < self.release_days)
            return {"flagged": flagged, "peers": peers, "own": own, "points": points}

        flagged = settle(lambda flags: judge(flags)["flagged"], n)
        judged = judge(flagged)
        return {
            "rows": rows,
            "user": user,
            "tool": tool,
            "time": time,
            "day": day,
            "keys": keys,
            "peer_keys": peer_keys,
            "known_state": known_state,
            "peers": judged["peers"],
            "own": judged["own"],
            "tenant_first": tenant_first,
            "flagged": flagged,
            "points": judged["points"],
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
        flagged = view["flagged"]
        if flagged.any():
            add_flagged_days(self.flagged_days_, view["keys"][flagged], view["time"][flagged])
        learned = ~flagged & ~held_back[rows]
        keys = view["keys"]
        # each pair once: its first learned run, when the pair was not learned before
        _, first = unique1d(np.where(learned, keys, -1 - np.arange(len(keys))), return_index=True)
        new = np.zeros(len(keys), dtype=np.bool_)
        new[first] = True
        new &= learned & ~view["known_state"]
        if not new.any():
            return
        user = view["user"][new]
        self.pairs_.add(keys[new], view["time"][new])
        self.peers_.add(view["peer_keys"][new], view["time"][new])
        self.tools_ = bump_counts(self.tools_, int(user.max()) + 1, user)

    def state(self) -> StateDict:
        return {
            **self.pairs_.state("pairs_"),
            **self.peers_.state("peers_"),
            "tools": self.tools_,
            "tenant_first": self.tenant_first_,
            **self.flagged_days_.state("flagged_days_"),
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.pairs_.load_state(state, "pairs_")
        self.peers_.load_state(state, "peers_")
        self.tools_ = narrow_counts(state["tools"])
        self.tenant_first_ = np.asarray(state["tenant_first"], dtype=np.float64)
        self.flagged_days_.load_state(state, "flagged_days_")


__all__ = ["TOOLS", "Discovery", "tool_of"]
