"""A network-only account's first desktop session: a service account's password used by a person.

Service, batch and scheduled-job accounts (a backup agent, an application pool, a scanner, a
deployment account) log on over the network (4624 type 3), as a service (5) or as a batch job
(4), from their own hosts, every night or every hour. They never sit at a machine and never open
a remote-desktop session: that is what a person does. When such an account opens one (type 10,
or a console / cached logon, type 2/11, or an unlock, 7), someone has its password (a script, a
Group Policy Preferences file, a Kerberoasted ticket cracked offline) and is using it
interactively - privilege misuse of a non-human account (T1078.002), usually a step of lateral
movement over remote desktop (T1021.001). A service account that reaches every server each
night is never surprised by a host, so :class:`~detectors.lateral.LateralNewHost` cannot see it;
the logon type can.

``service_interactive`` flags the first desktop session of an account that

* was first seen at least ``learning_days`` (UTC days) before and logged on at least
  ``min_network`` times before - or first seen at least a day before with proportionally more
  logons (``min_network * learning_days / days``: a weekly scanner that swept the estate once
  is as plainly network-only after six days as a nightly job after seven) -, every one of them
  over the network / as a service or a batch job
  (any other learned logon - a desktop session, ssh, a cloud sign-in - makes it a person's for
  good; logons with no type say nothing), and
* belongs to a tenant whose feed shows people at machines: at least ``min_people_share`` of
  the tenant's accounts have had a logon of another kind (a feed of servers and domain
  controllers only, where people's workstations are not collected, makes every office user look
  network-only; there the rule stays quiet).

Machine accounts (``HOST$``) and null sessions are not judged. A flagged session is not learned
(flagged behaviour does not become normal by itself); once the account's flagged desktop
sessions have come on ``release_days`` distinct UTC days it is taken for a person's account (an
operator who decided to use it interactively) and learned. Per account: its first day, its
network logons (saturating at 65,535) and three flag bits, 5 bytes; per tenant two counts; the
accounts with flagged sessions in a small table of their own.

Batch scoring equals one-by-one scoring: each row reads the state plus the earlier rows of its
batch, and which rows are learned (the flags) is settled by a fixed-point iteration.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._decay import settle
from detectors._flagged_days import add_flagged_days, day_keys
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
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch
from detectors.lateral import (
    DAY,
    LOCAL_LOGON_TYPES,
    RDP_LOGON_TYPES,
    not_a_person,
    value_mask,
)
from detectors.registry import register
from schemas.event import Action, Outcome

#: Logon types of an account that works without a person: over the network, as a service, as
#: a batch job (and the cleartext network logon of IIS basic authentication).
NETWORK_LOGON_TYPES = frozenset(
    {"3", "4", "5", "8", "network", "batch", "service", "networkcleartext"}
)
#: A person's session on the machine: remote desktop, console, cached, unlock.
DESKTOP_LOGON_TYPES = RDP_LOGON_TYPES | LOCAL_LOGON_TYPES

#: Per-account flag bits of ``kind_``.
SEEN = 1  # the account had a successful logon (counted among the tenant's accounts)
PEOPLE = 2  # it had a logon that is not network-like, flagged or not (the tenant's people)
INTERACTIVE = 4  # such a logon was learned: a person's account, never judged again

_COUNT_CAP = 65_535


@register
class ServiceInteractive:
    """The first desktop session of an account that only ever logged on over the network.

    >>> from datetime import UTC, datetime, timedelta
    >>> from schemas.event import Event
    >>> start = datetime(2024, 1, 1, 1, tzinfo=UTC)
    >>> def logon(day, user, kind, src="bkp01", host="app01"):
    ...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
    ...                  action=Action.LOGON, user=user, src_host=src, dst_host=host,
    ...                  logon_type=kind)
    >>> history = [logon(d, "svc_backup", "3") for d in range(20)]
    >>> history += [logon(d + 0.3, f"user{u}", "2", src="", host=f"ws{u}")
    ...             for d in range(20) for u in range(3)]
    >>> builder, detector = BatchBuilder(), ServiceInteractive(min_network=10)
    >>> batch = builder.build(sorted(history, key=lambda e: e.time))
    >>> detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    >>> signals = detector.score(builder.build([logon(21, "svc_backup", "10", "ws1")]), builder)
    >>> len(signals), float(signals.points[0])
    (1, 65.0)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    svc_backup opened a desktop session (logon type 10) on app01 from ws1: in 21 days it logged
    on 20 times, all over the network, as a service or a batch job, never at a desktop (3 of
    the tenant's 4 accounts have had desktop or other interactive logons)
    """

    name: ClassVar[str] = "service_interactive"
    mitre: ClassVar[tuple[str, ...]] = ("T1078.002", "T1021.001")
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_network: int = 20,
        points: float = 65.0,
        min_people_share: float = 0.5,
        release_days: int = 3,
    ) -> None:
        if learning_days < 0 or min_network < 1 or not 0 < points <= 100:
            raise ValueError(
                f"{self.name}: learning_days >= 0, min_network >= 1, 0 < points <= 100"
            )
        if not 0.0 <= min_people_share <= 1.0 or release_days < 1:
            raise ValueError(f"{self.name}: min_people_share in [0, 1], release_days >= 1")
        self.learning_days = learning_days
        self.min_network = min_network
        self.points = points
        self.min_people_share = min_people_share
        self.release_days = release_days
        # Per account (user id): the UTC day of its first logon, its network logons (saturating)
        # and the flag bits above.
        self.first_day_ = np.empty(0, dtype=np.uint16)
        self.network_ = np.empty(0, dtype=np.uint16)
        self.kind_ = np.empty(0, dtype=np.uint8)
        # Per tenant: accounts seen, and those of them with a logon of another kind.
        self.tenant_accounts_ = np.empty(0, dtype=np.float64)
        self.tenant_people_ = np.empty(0, dtype=np.float64)
        # Accounts with flagged desktop sessions: distinct UTC days of them, the last one's time.
        self.flagged_days_ = PairTable(WHOLE_COUNTS)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        user_all = batch.column("user")
        logon = batch.action_mask(frozenset({Action.LOGON})) & batch.outcome_is(Outcome.SUCCESS)
        rows = np.flatnonzero(logon & (user_all >= 0) & (batch.column("logon_type") >= 0))
        rows = rows[~value_mask(batch, "user", rows, not_a_person)]
        n = len(rows)
        user = user_all[rows].astype(np.int64)
        time = batch.time[rows]
        day = np.floor(time / DAY)
        kinds = value_mask(batch, "logon_type", rows, lambda v: bool(v.strip()))
        rows, user, time, day = rows[kinds], user[kinds], time[kinds], day[kinds]
        n = len(rows)
        network = value_mask(batch, "logon_type", rows, lambda v: v.lower() in NETWORK_LOGON_TYPES)
        desktop = value_mask(batch, "logon_type", rows, lambda v: v.lower() in DESKTOP_LOGON_TYPES)
        other = ~network
        size_u = int(user.max()) + 1 if n else 0
        kind_state = gather(self.kind_, size_u, 0, user).astype(np.int64)
        prior_user, first_row = group_order(user)
        # First day: the stored one, else the account's first row in this batch.
        seen_state = (kind_state & SEEN) > 0
        first_day = np.where(
            seen_state, gather(self.first_day_, size_u, 0, user).astype(np.float64), day[first_row]
        )
        network_before = gather(self.network_, size_u, 0, user).astype(np.float64)
        network_before += group_cumsum_before(user, network.astype(np.float64))
        # Evidence is days times logons: a week of 20, or fewer days of proportionally more (a
        # weekly scanner's one night over the whole estate says "network only" as plainly as a
        # week of nightly backups does), never less than one whole day.
        age = day - first_day
        evidence = network_before * np.minimum(age, self.learning_days)
        mature = (age >= min(1.0, self.learning_days)) & (network_before >= self.min_network)
        mature &= evidence >= self.min_network * self.learning_days
        # The tenant's people: accounts with a logon that is not network-like (flagged or not).
        tenant = batch.tenant[rows].astype(np.int64)
        size_t = int(tenant.max()) + 1 if n else 0
        new_account = ~seen_state & (prior_user == 0)
        people_state = (kind_state & PEOPLE) > 0
        # (an account's first other-kind row: each account counts once)
        first_other = other & ~people_state
        first_other &= group_cumsum_before(user, other.astype(np.float64)) == 0
        accounts = gather(self.tenant_accounts_, size_t, 0.0, tenant)
        accounts += group_cumsum_before(tenant, new_account.astype(np.float64))
        people = gather(self.tenant_people_, size_t, 0.0, tenant)
        people += group_cumsum_before(tenant, first_other.astype(np.float64))
        shows_people = people >= self.min_people_share * np.maximum(accounts, 1.0)
        # Flagged days so far (state), and the day of the last one.
        stored_days, stored_last = self.flagged_days_.lookup(user)
        stored_last_day = np.floor(np.nan_to_num(stored_last, nan=-1.0) / DAY)
        learned_state = (kind_state & INTERACTIVE) > 0

        key = day_keys(user, day)
        stored_today = (stored_days > 0) & (stored_last_day == day)

        def flags_of(flags: BoolArray) -> BoolArray:
            learned_other = group_cumsum_before(user, (other & ~flags).astype(np.float64)) > 0
            # Distinct UTC days of flagged rows *before* each row's day (per account): every
            # session of the third day is still a finding, the fourth day's are the habit's.
            _, first_of_day = group_order(np.where(flags, key, -1 - np.arange(n)))
            new_day = flags & (first_of_day == np.arange(n)) & (day != stored_last_day)
            marked_today = group_cumsum_before(key, new_day.astype(np.float64))
            days = stored_days - stored_today + group_cumsum_before(user, new_day.astype(float))
            days -= marked_today
            eligible = ~learned_state & ~learned_other & (days < self.release_days)
            result: BoolArray = desktop & eligible & mature & shows_people
            return result

        flagged = settle(flags_of, n)
        return {
            "rows": rows,
            "user": user,
            "time": time,
            "day": day,
            "network": network,
            "other": other,
            "flagged": flagged,
            "points": np.full(n, self.points),
            "first_day": first_day,
            "network_before": network_before,
            "accounts": accounts,
            "people": people,
            "tenant": tenant,
            "new_account": new_account,
            "first_other": first_other,
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
            host = event.dst_host or "an unnamed host"
            source = event.src_host or event.src_ip or "an unnamed source"
            days = float(view["day"][flagged][index] - view["first_day"][flagged][index])
            count = int(view["network_before"][flagged][index])
            many = f"at least {count:,}" if count >= _COUNT_CAP else f"{count:,}"
            people = int(view["people"][flagged][index])
            accounts = int(view["accounts"][flagged][index])
            signals.titles.append(
                f"{who} opened a desktop session (logon type {event.logon_type}) on {host} "
                f"from {source}: in {days:.0f} days it logged on {many} times, all over the "
                f"network, as a service or a batch job, never at a desktop ({people} of the "
                f"tenant's {accounts} accounts have had desktop or other interactive logons)"
            )
            signals.observed.append(f"desktop session by network-only account {who} on {host}")
            signals.baseline.append(
                f"{many} logons in {days:.0f} days, all network/service/batch (type 3/4/5)"
            )
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        user, day, flagged = view["user"], view["day"], view["flagged"]
        size_u = int(user.max()) + 1
        self.kind_ = grow(self.kind_, size_u, 0)
        self.first_day_ = grow(self.first_day_, size_u, 0)
        self.network_ = grow(self.network_, size_u, 0)
        new = view["new_account"]
        self.first_day_[user[new]] = np.clip(day[new], 0, _COUNT_CAP).astype(np.uint16)
        added = np.bincount(user[view["network"]], minlength=len(self.network_))
        total = self.network_.astype(np.int64) + added
        self.network_ = np.minimum(total, _COUNT_CAP).astype(np.uint16)
        self.kind_[user] |= SEEN
        self.kind_[user[view["other"]]] |= PEOPLE
        learned = view["other"] & ~flagged & ~held_back[rows]
        self.kind_[user[learned]] |= INTERACTIVE
        tenant = view["tenant"]
        size_t = int(tenant.max()) + 1
        self.tenant_accounts_ = grow(self.tenant_accounts_, size_t, 0.0)
        self.tenant_people_ = grow(self.tenant_people_, size_t, 0.0)
        np.add.at(self.tenant_accounts_, tenant[new], 1.0)
        np.add.at(self.tenant_people_, tenant[view["first_other"]], 1.0)
        if flagged.any():
            add_flagged_days(self.flagged_days_, user[flagged], view["time"][flagged])

    def state(self) -> StateDict:
        return {
            "first_day": self.first_day_,
            "network": self.network_,
            "kind": self.kind_,
            "tenant_accounts": self.tenant_accounts_,
            "tenant_people": self.tenant_people_,
            **self.flagged_days_.state("flagged_days_"),
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        self.first_day_ = np.asarray(state["first_day"], dtype=np.uint16)
        self.network_ = np.asarray(state["network"], dtype=np.uint16)
        self.kind_ = np.asarray(state["kind"], dtype=np.uint8)
        self.tenant_accounts_ = np.asarray(state["tenant_accounts"], dtype=np.float64)
        self.tenant_people_ = np.asarray(state["tenant_people"], dtype=np.float64)
        self.flagged_days_.load_state(state, "flagged_days_")


__all__ = ["DESKTOP_LOGON_TYPES", "NETWORK_LOGON_TYPES", "ServiceInteractive"]
