"""RC4 service tickets for user-account services a user never asked for: Kerberoasting.

Kerberoasting (T1558.003) asks the DC for a service ticket for every account with a service
principal name, in RC4 (``TicketEncryptionType`` 0x17) because RC4 tickets crack offline far
faster than AES ones, then cracks the service accounts' passwords at leisure. Nothing about one
such request is unusual to Windows (any user may ask for any ticket); what is unusual is a user
who never asked for these services' tickets suddenly asking for several, in RC4.

Each (user, service) pair is a kind of the shared rarity core (:class:`RarityDetector`): the
first RC4 ticket a user requests for a user-account service (not a computer account ``HOST$``,
not ``krbtgt``) is scored by how much history the user has and how few of their peers request
that service in RC4 at all. Legacy services that still get RC4 tickets from many users are
therefore barely surprising; a burst over several services adds up in the risk layer (one
detector's findings minutes apart count 1, 0.7, 0.49 ...), so two or more services alert and a
sweep over all of them pages.

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> start = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> def ev(day, user, minute=0, **kw):
...     return Event(time=start + timedelta(days=day, minutes=len(user) + minute), tenant="t",
...                  source_format="helk", action=Action.AUTH_TICKET, user=user, **kw)
>>> aes = dict(auth_protocol="kerberos", object="FS01$")
>>> history = [ev(d, u, **aes) for d in range(20) for u in ("alice", "bob", "carol", "dave")]
>>> builder, detector = BatchBuilder(), Kerberoasting(learning_days=7, min_events=10)
>>> batch = builder.build(history)
>>> detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
>>> roast = [ev(21, "bob", k, auth_protocol="kerberos_rc4", object=s)
...          for k, s in enumerate(("svc_sql", "svc_backup", "FS01$"))]
>>> signals = detector.score(builder.build(roast), builder)
>>> [round(float(p)) for p in signals.points]
[16, 15]
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'bob requested an RC4 service ticket for svc_sql for the first time (bob: 20 events, 0 such
 services in 21 days; 0 of 4 users do it)'
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors.batch import ACTION_CODE, BatchBuilder, EventBatch, FloatArray, Int64Array, IntArray
from detectors.privileged_action import (
    DAY,
    Features,
    RarityDetector,
    baseline_text,
    kind_code,
    rarity_weight,
)
from detectors.registry import register
from schemas.event import Action, Event, Outcome

RC4 = "kerberos_rc4"


@register
class Kerberoasting(RarityDetector):
    """First RC4 service ticket of a user for a user-account service, weighed by peers.

    Points: ``per_nat * sqrt(user_surprise * peer_surprise) * rarity * m`` as in
    ``privileged_action`` (user surprise ``ln((events + 2) / (services + 1))``, peer surprise
    ``-ln((users + 1) / (population + 2))``), ``m`` 1 past the user's learning period and
    ``immature_weight`` before it (a new account can roast too).
    """

    name: ClassVar[str] = "kerberoasting"
    mitre: ClassVar[tuple[str, ...]] = ("T1558.003",)

    def __init__(
        self,
        *,
        per_nat: float = 7.0,
        max_points: float = 45.0,
        immature_weight: float = 0.5,
        **kwargs: float,
    ) -> None:
        super().__init__(max_points=max_points, hold_points=min(20.0, max_points), **kwargs)  # type: ignore[arg-type]
        if per_nat <= 0 or not 0 <= immature_weight <= 1:
            raise ValueError("kerberoasting: per_nat > 0 and immature_weight in [0, 1]")
        self.per_nat = per_nat
        self.immature_weight = immature_weight

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        mask = batch.action == ACTION_CODE[Action.AUTH_TICKET]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        mask &= batch.column("object") >= 0
        # RC4 rows by their auth_protocol id (one string lookup per distinct id, not per row).
        protocol = batch.column("auth_protocol")
        ids, first = np.unique(protocol[mask], return_index=True)
        candidates = np.flatnonzero(mask)
        rc4 = [
            i
            for i, row in zip(ids.tolist(), candidates[first].tolist(), strict=True)
            if batch.events[row].auth_protocol == RC4
        ]
        mask &= np.isin(protocol, rc4)
        for row in np.flatnonzero(mask).tolist():
            event = batch.events[row]
            service = event.object.lower()
            # User-account services only: computer accounts (HOST$) and the TGT service are
            # what every logon asks for.
            mask[row] = not service.endswith("$") and not service.startswith("krbtgt")
        rows = np.flatnonzero(mask).astype(np.int64)
        action = batch.action[rows]
        kind = kind_code(action, np.zeros(len(rows), dtype=np.bool_), batch.column("object")[rows])
        return rows, batch.column("user")[rows], kind

    def _points(self, count: FloatArray, feats: Features) -> FloatArray:
        user_surprise = np.log((feats["count_before"] + 2.0) / (feats["kinds_before"] + 1.0))
        peer_surprise = -np.log((feats["users_of_kind"] + 1.0) / (feats["population"] + 2.0))
        base = self.per_nat * np.sqrt(np.maximum(user_surprise, 0) * np.maximum(peer_surprise, 0))
        maturity = np.where(feats["mature"], 1.0, self.immature_weight)
        points: FloatArray = base * maturity * rarity_weight(count)
        return points

    def _describe(
        self, batch: EventBatch, builder: BatchBuilder, row: int, who: str, feats: Features, i: int
    ) -> tuple[str, str, str]:
        service = batch.events[row].object
        days = (float(feats["time"][i]) - float(feats["first_seen"][i])) / DAY
        count = float(feats["count"][i])
        when = "for the first time" if count < 0.05 else f"(rare for them: ~{count:.1f} recently)"
        title = (
            f"{who} requested an RC4 service ticket for {service} {when} ({who}: "
            f"{int(feats['count_before'][i])} events, {int(feats['kinds_before'][i])} such "
            f"services in {days:.0f} days; {int(feats['users_of_kind'][i])} of "
            f"{int(feats['population'][i])} users do it)"
        )
        what = f"RC4 service tickets for {service}"
        return title, f"{what} requested by {who}", baseline_text(who, feats, i, what)

    def _techniques(self, event: Event, feats: Features, i: int) -> tuple[str, ...]:
        return ("T1558.003",)


__all__ = ["Kerberoasting"]
