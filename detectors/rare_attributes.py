"""Rare sources for a user beyond the network: user agent, country, ASN, device/workstation.

Each is a :class:`~detectors.novelty.NoveltyDetector` on another column, judged per user after
that user's own learning period. They are companions of ``rare_source_network``: an attacker
replaying stolen credentials usually changes several of them at once, a traveller or a new
laptop changes one. Points are therefore modest (a new country alone is low, not a page) and
add up with the network, time-of-week and spray signals in the risk layer.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def logon(day, country):
...     return Event(time=start + timedelta(days=day), tenant="t", source_format="okta",
...                  action=Action.LOGON, user="alice", src_ip="192.0.2.7", country=country)
>>> builder, detector = BatchBuilder(), RareCountry(learning_days=7, min_events=5)
>>> history = builder.build([logon(day, "NL") for day in range(20)])
>>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
>>> signals = detector.score(builder.build([logon(21, "BR")]), builder)
>>> round(float(signals.points[0])), signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
(12, 'alice signed in from country BR never seen for them
 (normal: 20 events from 1 country(s) in 21 days)')
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from detectors._kerberos import is_tgt_service
from detectors.base import Signals, StateDict, changes_state, grow
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import value_mask
from detectors.novelty import NoveltyDetector
from detectors.registry import register
from schemas.event import Action
from schemas.normalise import normalise_ip

#: What a user does that carries the attributes of their client.
CLIENT_ACTIONS: frozenset[Action] = frozenset(
    {Action.LOGON, Action.AUTH_TICKET, Action.API_CALL, Action.EXPLICIT_CREDENTIAL}
)


class _RareAttribute(NoveltyDetector):
    """Novelty of one client attribute per user, with its own default calibration."""

    default_points_per_nat: ClassVar[float] = 5.0
    default_max_points: ClassVar[float] = 25.0
    default_popular_entities: ClassVar[int] = 3

    def __init__(
        self,
        *,
        learning_days: float = 7.0,
        min_events: int = 10,
        points_per_nat: float | None = None,
        max_points: float | None = None,
        popular_entities: int | None = None,
        after_reset_hours: float = 24.0,
        after_reset_factor: float = 2.0,
    ) -> None:
        super().__init__(
            learning_days=learning_days,
            min_events=min_events,
            points_per_nat=points_per_nat or self.default_points_per_nat,
            max_points=max_points or self.default_max_points,
            popular_entities=popular_entities or self.default_popular_entities,
            after_reset_hours=after_reset_hours,
            after_reset_factor=after_reset_factor,
        )


@register
class RareUserAgent(_RareAttribute):
    """A user agent (browser, CLI, SDK) never seen for the user (T1078, T1550)."""

    name: ClassVar[str] = "rare_user_agent"
    mitre: ClassVar[tuple[str, ...]] = ("T1078", "T1550")
    attribute_column: ClassVar[str] = "user_agent"
    attribute_label: ClassVar[str] = "user agent"
    actions: ClassVar[frozenset[Action]] = CLIENT_ACTIONS
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 20.0


@register
class RareCountry(_RareAttribute):
    """A country never seen for the user (T1078): low alone, a companion of rare network."""

    name: ClassVar[str] = "rare_country"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    attribute_column: ClassVar[str] = "country"
    attribute_label: ClassVar[str] = "country"
    actions: ClassVar[frozenset[Action]] = CLIENT_ACTIONS
    default_points_per_nat: ClassVar[float] = 5.0
    default_max_points: ClassVar[float] = 25.0


@register
class RareAsn(_RareAttribute):
    """An autonomous system (ISP, hosting provider) never seen for the user (T1078)."""

    name: ClassVar[str] = "rare_asn"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    attribute_column: ClassVar[str] = "asn"
    attribute_label: ClassVar[str] = "ASN"
    actions: ClassVar[frozenset[Action]] = CLIENT_ACTIONS
    default_points_per_nat: ClassVar[float] = 3.0
    default_max_points: ClassVar[float] = 15.0


@register
class RareDevice(_RareAttribute):
    """A device (IdP device id/name) never seen for the user (T1078)."""

    name: ClassVar[str] = "rare_device"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    attribute_column: ClassVar[str] = "device"
    attribute_label: ClassVar[str] = "device"
    actions: ClassVar[frozenset[Action]] = CLIENT_ACTIONS
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 20.0


@register
class RareWorkstation(_RareAttribute):
    """A source workstation (4624/4625 ``WorkstationName``, ssh peer name) never seen for the
    user signing in from it (T1078).

    The tenant is a prior too. A machine of the estate shows up as a host before anyone signs
    in from it: its own logs (the user's console logon on a new laptop), a logon to it, its
    machine account (``NAME$``) authenticating when it boots. A name that was never any event's
    host, never a machine account and never anybody else's source is a device from outside
    the domain (an attacker's own laptop replaying a password over the VPN), which is stronger
    evidence than a device new to this user only: its points are multiplied by
    ``stranger_factor``. IP addresses (an ssh peer without a name) are not names and keep the
    plain judgement.
    """

    name: ClassVar[str] = "rare_workstation"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    attribute_column: ClassVar[str] = "src_host"
    attribute_label: ClassVar[str] = "workstation"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.LOGON, Action.EXPLICIT_CREDENTIAL})
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 20.0
    after_reset: ClassVar[bool] = True

    def __init__(
        self, *, stranger_factor: float = 3.0, takeover_points: float = 65.0, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if stranger_factor < 1 or takeover_points < 0:
            raise ValueError(f"{self.name}: stranger_factor >= 1 and takeover_points >= 0")
        self.stranger_factor = stranger_factor
        # A machine from outside the domain signing in as an account within
        # ``after_reset_hours`` of another account resetting its password is the help-desk
        # takeover (a caller talked the reset out of the desk, then uses it from their own
        # laptop): worth at least this many points (65: high, a page) however sparse the
        # user's history, whose surprise alone left it at 52-64 (round 18). 0 = off.
        self.takeover_points = takeover_points
        # Per host id (host ids are per tenant): 1 once the tenant saw it as a machine of its
        # own (an event's host, or a machine account's source). ``None``: state from before
        # this was kept, where every name is judged as before (nothing is known to be foreign).
        self.host_known_: np.ndarray | None = np.zeros(0, dtype=np.uint8)

    @staticmethod
    def _machine_sightings(batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        """(row, host id) of every sighting of a host as the tenant's own machine, by row."""
        dst = batch.column("dst_host")
        src = batch.column("src_host")
        machine = (src >= 0) & (batch.column("user") < 0)  # a machine account's logon
        rows = np.concatenate([np.flatnonzero(dst >= 0), np.flatnonzero(machine)])
        hosts = np.concatenate([dst[dst >= 0], src[machine]]).astype(np.int64)
        return rows.astype(np.int64), hosts

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = super().score(batch, builder)
        if not len(signals.rows) or self.host_known_ is None or self.stranger_factor == 1:
            return signals
        rows = signals.rows
        host = batch.column("src_host")[rows].astype(np.int64)
        known = host < len(self.host_known_)
        known[known] = self.host_known_[host[known]] > 0
        seen_rows, seen_hosts = self._machine_sightings(batch)
        if len(seen_hosts):
            # The first row of the batch that shows each host as a machine; a flagged row is
            # judged on what came before it (its own row included: a 4648's host is its source).
            order = np.lexsort((seen_rows, seen_hosts))
            first = np.ones(len(order), dtype=np.bool_)
            first[1:] = seen_hosts[order][1:] != seen_hosts[order][:-1]
            ids, first_row = seen_hosts[order][first], seen_rows[order][first]
            at = np.searchsorted(ids, host)
            hit = at < len(ids)
            hit[hit] = ids[at[hit]] == host[hit]
            known[hit] |= first_row[at[hit]] <= rows[hit]
        vocab = builder.vocab["host"]
        view = self._view(batch)
        others = view["others"][view["reported"]]
        strangers = [
            index
            for index in np.flatnonzero(~known & (others == 0)).tolist()
            if not normalise_ip(vocab.value(int(host[index])))
        ]
        if not strangers:
            return signals
        at = np.asarray(strangers, dtype=np.int64)
        signals.points[at] = signals.points[at] * self.stranger_factor
        for index in strangers:
            signals.baseline[index] += "; no machine of that name seen in the tenant"
        if self.takeover_points > 0:
            since = batch.time[rows[at]] - self._last_reset(
                batch, rows[at], signals.entity[at].astype(np.int64)
            )
            taken = at[since <= self.after_reset_seconds]  # NaN (never reset): False
            signals.points[taken] = np.maximum(signals.points[taken], self.takeover_points)
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        super().learn(batch, held_back)
        if self.host_known_ is None:
            return
        _, hosts = self._machine_sightings(batch)
        if len(hosts):
            self.host_known_ = grow(self.host_known_, int(hosts.max()) + 1, 0)
            self.host_known_[hosts] = 1

    def state(self) -> StateDict:
        state = super().state()
        if self.host_known_ is not None:
            state["host_known"] = self.host_known_
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        super().load_state(state)
        known = state.get("host_known")
        self.host_known_ = None if known is None else np.asarray(known, dtype=np.uint8)


@register
class RareAuthMethod(_RareAttribute):
    """An authentication method never seen for the user signing in with it (T1078, T1550.002):
    a password where they always use an ssh key, NTLM where they always use Kerberos (pass the
    hash), no MFA where they always use it.

    There are only a handful of methods and everybody uses most of them, so the popularity
    prior does not apply: what matters is the user's own habit (``popular_entities`` is set
    beyond any tenant's size).
    """

    name: ClassVar[str] = "rare_auth_method"
    mitre: ClassVar[tuple[str, ...]] = ("T1078", "T1550.002")
    attribute_column: ClassVar[str] = "auth_protocol"
    attribute_label: ClassVar[str] = "sign-in method"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.LOGON})
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 20.0
    default_popular_entities: ClassVar[int] = 1_000_000_000

    def title(
        self, who: str, value: str, action: Action, n: int, d: int, days: float, event: object
    ) -> str:
        return (
            f"{who} signed in with {value}, a sign-in method never seen for them "
            f"(normal: {n} sign-ins with {d} method(s) in {days:.0f} days)"
        )


@register
class RareConsoleAuth(RareAuthMethod):
    """A console sign-in (CloudTrail ``ConsoleLogin``, logon type ``console``) with a method
    never seen on the console for that user (T1078.004): no MFA where every console sign-in of
    theirs used it, a phished password without the second factor.

    ``rare_auth_method`` pools every channel: a user whose ssh or SSO sign-ins use a password
    has "password" in their habit, so the console without MFA adds a few points there. Per
    channel the habit is one method for weeks, and dropping it is what a SOC pages on
    (round 18). Only the console channel: other channels' methods vary by client.
    """

    name: ClassVar[str] = "rare_console_auth"
    mitre: ClassVar[tuple[str, ...]] = ("T1078.004",)
    attribute_label: ClassVar[str] = "console sign-in method"
    # One method per user on the console for weeks: dropping it after 14 MFA sign-ins (-ln of
    # 2/16) is 21 points, beside a new network an incident; another user who signs in to the
    # console without MFA (a break-glass account) says nothing about this one's habit.
    default_points_per_nat: ClassVar[float] = 10.0
    default_max_points: ClassVar[float] = 25.0
    peer_discount: ClassVar[bool] = False

    def _relevant(self, batch: EventBatch) -> BoolArray:
        mask = super()._relevant(batch)
        rows = np.flatnonzero(mask)
        mask[rows] = value_mask(batch, "logon_type", rows, lambda v: v.lower() == "console")
        return mask

    def title(
        self, who: str, value: str, action: Action, n: int, d: int, days: float, event: object
    ) -> str:
        return (
            f"{who} signed in to the console with {value}, never seen on the console for them "
            f"(normal: {n} console sign-ins with {d} method(s) in {days:.0f} days)"
        )


@register
class RareCredentialKind(_RareAttribute):
    """API calls signed by a kind of credential never seen for the principal (T1078.004,
    T1552.001): an IAM user's long-term access key (``access_key``) signing calls directly
    where all their calls came through assumed-role or console sessions (``session_key``), as
    the CloudTrail parser reads ``userIdentity.accessKeyId``.

    People who reach AWS through SSO, AssumeRole or the console never sign calls with their
    long-term key; a key copied off a laptop or out of a repository does (a "how it signed in"
    aspect, independent of where from and which client). CI users and scripts that always sign
    with their key have it in their own habit. Its own detector, not ``rare_auth_method``:
    that one pools every sign-in method of a user (ssh keys, Kerberos, MFA ...), whose variety
    makes any new value there weak, while a principal's API calls show one kind for weeks.
    """

    name: ClassVar[str] = "rare_credential_kind"
    mitre: ClassVar[tuple[str, ...]] = ("T1078.004", "T1552.001")
    attribute_column: ClassVar[str] = "auth_protocol"
    attribute_label: ClassVar[str] = "credential kind"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.API_CALL})
    default_points_per_nat: ClassVar[float] = 4.0
    # Enough to count as an aspect (>= 5) beside a new network and client; at 20 an engineer's
    # first script with their own key plus one ordinary finding reached the alert bar (round
    # 11: 10 more false alerts on the 27 sets at 20, 2 at 12, the same pages).
    default_max_points: ClassVar[float] = 12.0
    # Two kinds exist and most principals use one: the user's own habit decides, not peers
    # (a CI user signing with its key says nothing about an engineer's key signing calls).
    default_popular_entities: ClassVar[int] = 1_000_000_000
    peer_discount: ClassVar[bool] = False

    def title(
        self, who: str, value: str, action: Action, n: int, d: int, days: float, event: object
    ) -> str:
        return (
            f"{who} made API calls signed with {value.replace('_', ' ')}, a credential kind "
            f"never seen for them (normal: {n} calls with {d} kind(s) in {days:.0f} days)"
        )


#: Kerberos pre-authentication types (4768 ``PreAuthType``) by number, for the explanation.
PRE_AUTH_NAMES = {
    "2": "a password (encrypted timestamp)",
    "15": "a certificate (PKINIT)",
    "16": "a certificate (PKINIT)",
    "17": "a certificate (PKINIT)",
    "138": "FAST armoring",
}


@register
class RarePreAuth(_RareAttribute):
    """A Kerberos TGT issued with a pre-authentication type never seen for the account (T1649,
    T1556, T1558): a certificate (PKINIT, 4768 ``PreAuthType`` 16) for an account that always
    typed a password - a certificate enrolled in its name by someone else (AD CS templates that
    let the requester name any account, ESC1), a key written into its
    ``msDS-KeyCredentialLink`` (shadow credentials), a stolen certificate. A TGT issued with no
    pre-authentication (type 0, AS-REP roasting) is not judged: it proves nothing about the
    account's own sign-ins.

    An account's pre-authentication type is one habit for weeks: passwords, or a smart card /
    Windows Hello for Business. Only the account's own habit counts (another user's smart card
    says nothing about this admin's), so neither the popularity prior nor the peer discount
    applies. A certificate sign-in is how these attacks end and a new one is never routine
    (a Hello rollout enrols each user once), so the finding alone, for an account with weeks
    of TGTs, reaches the alert bar (a medium alert): up to ``max_points`` 45.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Event
    >>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> def tgt(day, pre_auth):
    ...     return Event(time=start + timedelta(days=day), tenant="t", source_format="x",
    ...                  action=Action.AUTH_TICKET, user="admin1", src_ip="10.0.0.5",
    ...                  object="krbtgt", logon_type=pre_auth)
    >>> builder, detector = BatchBuilder(), RarePreAuth()
    >>> history = builder.build([tgt(day / 2, "2") for day in range(40)])
    >>> detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    >>> signals = detector.score(builder.build([tgt(21, "16"), tgt(21, "2")]), builder)
    >>> signals.rows.tolist(), round(float(signals.points[0]))
    ([0], 45)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    admin1 got a Kerberos TGT with a certificate (PKINIT), a pre-authentication type never seen
    for them (normal: 40 TGTs with 1 type(s) in 21 days)
    """

    name: ClassVar[str] = "rare_pre_auth"
    mitre: ClassVar[tuple[str, ...]] = ("T1649", "T1556", "T1558")
    attribute_column: ClassVar[str] = "logon_type"  # where the parser keeps 4768's PreAuthType
    attribute_label: ClassVar[str] = "pre-authentication type"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.AUTH_TICKET})
    # 18 points a nat: the alert bar (40) after ~18 TGTs of the account's one type (an
    # admin's three weeks in the scenarios), capped at 45 (medium); 22 points after 5.
    default_points_per_nat: ClassVar[float] = 18.0
    default_max_points: ClassVar[float] = 45.0
    default_popular_entities: ClassVar[int] = 1_000_000_000
    peer_discount: ClassVar[bool] = False

    def _relevant(self, batch: EventBatch) -> BoolArray:
        mask = super()._relevant(batch)
        rows = np.flatnonzero(mask)
        mask[rows] = value_mask(batch, "object", rows, is_tgt_service)
        # A TGT without pre-authentication (type 0) goes to whoever asks for it: it proves no
        # credential and says nothing about how the account signs in. It is AS-REP roasting's
        # evidence, judged by the asking source in ``kerberoasting`` (round 20: judged here it
        # made each roasted account a false alert, 9 on s181o/s191o).
        rows = np.flatnonzero(mask)
        mask[rows] = value_mask(batch, "logon_type", rows, lambda v: v != "0")
        return mask

    def title(
        self, who: str, value: str, action: Action, n: int, d: int, days: float, event: object
    ) -> str:
        how = PRE_AUTH_NAMES.get(value, f"pre-authentication type {value}")
        return (
            f"{who} got a Kerberos TGT with {how}, a pre-authentication type never seen for "
            f"them (normal: {n} TGTs with {d} type(s) in {days:.0f} days)"
        )
