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

from typing import ClassVar

from detectors.novelty import NoveltyDetector
from detectors.registry import register
from schemas.event import Action

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
    ) -> None:
        super().__init__(
            learning_days=learning_days,
            min_events=min_events,
            points_per_nat=points_per_nat or self.default_points_per_nat,
            max_points=max_points or self.default_max_points,
            popular_entities=popular_entities or self.default_popular_entities,
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
    user signing in from it (T1078)."""

    name: ClassVar[str] = "rare_workstation"
    mitre: ClassVar[tuple[str, ...]] = ("T1078",)
    attribute_column: ClassVar[str] = "src_host"
    attribute_label: ClassVar[str] = "workstation"
    actions: ClassVar[frozenset[Action]] = frozenset({Action.LOGON, Action.EXPLICIT_CREDENTIAL})
    default_points_per_nat: ClassVar[float] = 4.0
    default_max_points: ClassVar[float] = 20.0


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
