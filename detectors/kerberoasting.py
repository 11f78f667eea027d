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

Overpass-the-hash (T1550.002): an account's NT hash is its RC4 Kerberos key, so Rubeus
``asktgt /rc4`` or mimikatz ``sekurlsa::pth`` get a TGT in RC4 for the account from the machine
the hash was taken to. The 4768 then names the account and an address where another account
gets its tickets (as AS-REP roasting's do), and the account's service tickets follow from that
address: the first such ticket within ``overpass_hours`` is a finding on the account
(``overpass_points``, divided by 1 + the earlier RC4-TGT bursts from the address). A roasted
account's ticket is never used from the roasting address, so roasting alone is not this.

Pass-the-ticket (T1550.003): a TGT taken from one machine's memory (Rubeus ``dump``, mimikatz
``sekurlsa::tickets``) and imported on another (``ptt``) buys service tickets there without a
TGT ever being issued to that machine for the account: Kerberos issues an account's TGT where
it signs in, and its service tickets follow from the same address. So the first ticket of an
account from an address is a *service* ticket (no 4768 for the account there, ever), and the
address is where another account signs in (the last TGT issued there was that account's): a
finding on the account, ``ptt_points`` (65, high alone, as overpass-the-hash: the same
evidence that the account's key material moved) divided by 1 + the times the address changed hands
(its TGT holder switched: a VPN or DHCP pool address, where a session outliving its address
looks alike). An address nobody gets TGTs from (a jump host whose logons the DC does not see,
a server) is not judged. Nor is an address its holder has not kept across sign-ins at least
``ptt_tenure_hours`` apart (12: two working days' sign-ins): TGTs carry no address, so a laptop
that changes address mid-day (a DHCP lease on Wi-Fi, the VPN pool) keeps asking service tickets
with its morning TGT from an address whose last TGT was a stranger's, and pool addresses are
held for one session each (round 18). A stolen ticket imported on someone's own workstation
meets a holder who has signed in there day after day; one used over the VPN pool is missed.

A second desk (T1078, round 22): a password (or hash) typed at a colleague's workstation gets
the account a TGT from that workstation's address, a place it never got a ticket, while the
account is signed in somewhere else. The holder table reads it both ways: the address is
another account's own (its holder kept it across sign-ins, ``ptt_tenure_hours``), and the
account got a TGT at another address it still holds within ``desk_hours`` (10: a TGT's
lifetime; its own desk, or the VPN pool it works over that day). ``desk_points`` (65, as
pass-the-ticket), divided by 1 + the times the address changed hands, on the account. Not
judged: a first sign-in of the day at a colleague's desk (no TGT of the account elsewhere in the
last ``desk_hours``), a pool lease (not kept), a desk the account got tickets from before.
Judged alike, and worth a question: someone who leaves their own desk signed in and logs on at
a colleague's later that day, or RDPs with NLA onto a colleague's workstation (the target asks
the TGT); the interactive 4624 on the colleague's machine would tell those apart, not read
here. An account that got TGTs at other accounts' kept desks before (a help-desk technician's
RDP rounds, a floor walker) has the habit: the points are divided again by 1 + the number of
such desks, so its first visit is a question and its rounds are not pages.

A computer account used from its creator's machine (T1136.002, round 22): any domain user may
create ten computer accounts (ms-DS-MachineAccountQuota); Powermad / ``addcomputer.py`` create
one with a password of the user's choosing and authenticate as it from the user's own
workstation, the first step of RBCD and noPac. A machine joined to the domain (by IT or by its
user) gets its TGTs from its own address; here the new account's TGT (4768 for ``NAME$``: no
user, the machine in ``src_host``) comes from an address its creator keeps as its own. Within
``join_hours`` (168) of the creation (4741), ``desk_points`` divided by 1 + the address's
hand-overs, on the creator (the account's own logons are no user's). IT re-imaging a desk under a
new name is an admin's creation at the user's address: not judged.

A silver ticket (T1558.002, round 25): a service ticket forged with the service's own key (a
server's machine account hash, a service account's password: mimikatz ``kerberos::golden
/service:cifs``) needs no DC at all, so the server logs a Kerberos network logon (4624 type 3)
from the forging machine while no DC ever issued the account a ticket at that address. An
account's first such logon from an address where it never got any ticket (stored pairs, then the
batch's earlier ticket rows), when another account keeps the address as its own desk (the
pass-the-ticket holder test: tickets are seen from there, and not a pool lease), is a finding on
the account, ``silver_points`` (65, as pass-the-ticket) divided by 1 + the address's hand-overs.
No new state: it reads the ticket pairs and holders the rules above keep, and logons are not
learned (each later forged logon from there is judged again). Not seen by it: a feed that
collects one DC of two (the other DC's tickets are missing: its accounts' logons look ticketless;
the holder test only asks that some tickets are seen from the address), constrained delegation
from a user's desk (rare: delegation runs on servers), a forged ticket used from the account's
own desk.

AS-REP roasting (T1558.004) is the TGT-side twin: for accounts with Kerberos pre-authentication
off, anyone may ask the DC for a TGT (4768) and crack the reply offline, usually in RC4. The
exact evidence is a 4768 with ``PreAuthType`` 0 (no pre-authentication; the parser keeps it in
``logon_type``); a source that does not give the pre-auth type falls back to RC4 TGTs (which a
legacy RC4 client gets too). The 4768 names the roasted account, not who asked, so those rows
are read per source address: such TGTs for accounts other than the address's own user (the
account that usually gets tickets from it) are a finding on that user, 30 points for the first
such account and 18 for each further one in the batch (three accounts at once are high: a
roasting tool, not a legacy client), divided by 1 + the number of earlier
such batches from the address (a legacy client that always gets RC4 TGTs stops being news).

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

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from detectors._exact import exact_narrow
from detectors._kerberos import is_tgt_service
from detectors._sort import unique1d
from detectors.account_lifecycle import computer_creations
from detectors.base import (
    Signals,
    StateDict,
    as_stored_pair_keys,
    changes_state,
    find_pair_keys,
    find_sorted,
    group_order,
    latest_earlier,
    merge_signals,
    narrow_counts,
    upsert_sorted,
    wide_pair_keys,
)
from detectors.batch import (
    ACTION_CODE,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
    IntArray,
)
from detectors.lateral import value_mask
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


def _tickets(batch: EventBatch) -> BoolArray:
    """Successful Kerberos/NTLM ticket rows that name a user."""
    mask: BoolArray = batch.action == ACTION_CODE[Action.AUTH_TICKET]
    mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
    return mask


def _is_rc4(protocol: str) -> bool:
    return protocol == RC4


def _no_pre_auth(pre_auth: str) -> bool:
    """A TGT issued without Kerberos pre-authentication (``PreAuthType`` 0)."""
    return pre_auth == "0"


def _rc4(batch: EventBatch, rows: Int64Array) -> BoolArray:
    """Which of ``rows`` were tickets in RC4 (by their auth_protocol id)."""
    return value_mask(batch, "auth_protocol", rows, _is_rc4)


@register
class Kerberoasting(RarityDetector):
    """First RC4 service ticket of a user for a user-account service, weighed by peers.

    Points: ``per_nat * sqrt(user_surprise * peer_surprise) * rarity * m`` as in
    ``privileged_action`` (user surprise ``ln((events + 2) / (services + 1))``, peer surprise
    ``-ln((users + 1) / (population + 2))``), ``m`` 1 past the user's learning period and
    ``immature_weight`` before it (a new account can roast too).
    """

    name: ClassVar[str] = "kerberoasting"
    mitre: ClassVar[tuple[str, ...]] = (
        "T1558.003", "T1558.004", "T1550.002", "T1558", "T1550.003", "T1558.002",
    )  # fmt: skip

    def __init__(
        self,
        *,
        per_nat: float = 7.0,
        max_points: float = 45.0,
        immature_weight: float = 0.5,
        asrep_points: float = 30.0,
        asrep_more: float = 18.0,
        asrep_max: float = 75.0,
        overpass_points: float = 65.0,
        overpass_hours: float = 10.0,
        ptt_points: float = 65.0,
        ptt_tenure_hours: float = 12.0,
        desk_points: float = 65.0,
        desk_hours: float = 10.0,
        join_hours: float = 168.0,
        silver_points: float = 65.0,
        **kwargs: float,
    ) -> None:
        super().__init__(max_points=max_points, hold_points=min(20.0, max_points), **kwargs)  # type: ignore[arg-type]
        if per_nat <= 0 or not 0 <= immature_weight <= 1:
            raise ValueError("kerberoasting: per_nat > 0 and immature_weight in [0, 1]")
        self.per_nat = per_nat
        self.immature_weight = immature_weight
        self.asrep_points = asrep_points
        self.asrep_more = asrep_more
        self.asrep_max = asrep_max
        if overpass_points < 0 or overpass_hours <= 0:
            raise ValueError("kerberoasting: overpass_points >= 0 and overpass_hours > 0")
        self.overpass_points = overpass_points
        self.overpass_seconds = overpass_hours * 3600.0
        if ptt_points < 0 or ptt_tenure_hours < 0:
            raise ValueError("kerberoasting: ptt_points >= 0 and ptt_tenure_hours >= 0")
        self.ptt_points = ptt_points
        self.ptt_tenure_seconds = ptt_tenure_hours * 3600.0
        if desk_points < 0 or desk_hours <= 0:
            raise ValueError("kerberoasting: desk_points >= 0 and desk_hours > 0")
        self.desk_points = desk_points
        self.desk_seconds = desk_hours * 3600.0
        if join_hours <= 0:
            raise ValueError("kerberoasting: join_hours > 0")
        self.join_seconds = join_hours * 3600.0
        if silver_points < 0:
            raise ValueError("kerberoasting: silver_points >= 0")
        self.silver_points = silver_points
        # Computer accounts created (4741) in the last ``join_hours``: the created account
        # (device id), its creator (user id) and when, in creation order. A handful: IT's joins
        # and new servers of one week.
        self.joined_device_ = np.empty(0, dtype=np.int32)
        self.joined_by_ = np.empty(0, dtype=np.int32)
        self.joined_at_ = np.empty(0, dtype=np.float64)
        # Pass-the-ticket: sorted (address id << 32 | user id) pairs seen with any ticket; per
        # address (sorted ids) the account its last ordinary TGT was issued to, how many
        # times that account changed, and the span of that account's TGTs there (first, last
        # since it took the address over: its tenure).
        # In memory as narrow as they are exact: the pairs in 32 bits while both ids are
        # < 2**16 (``narrow_pair_keys``, the same order; ``int64`` for good after a larger one),
        # ids in 16 bits while they fit (else ``int32``: per-tenant interned ids), hand-over
        # counts in the narrowest unsigned type of the largest (``narrow_counts``). Each type
        # follows from the values alone, never from how the stream was batched.
        self.ticket_pairs_ = np.empty(0, dtype=np.uint32)
        self.holder_address_ = _narrow_ids(np.empty(0, dtype=np.int32))
        self.holder_user_ = _narrow_ids(np.empty(0, dtype=np.int32))
        self.holder_switches_ = narrow_counts([])
        self.holder_first_ = np.empty(0, dtype=np.float64)
        self.holder_last_ = np.empty(0, dtype=np.float64)
        # source address id -> the account that usually gets tickets from it; and how many
        # batches of RC4 TGTs for other accounts came from it (ids are per tenant already).
        self.address_user_: dict[int, int] = {}
        self.address_bursts_: dict[int, int] = {}
        # (address id << 32 | user id) -> (time, earlier bursts from the address) of an RC4 TGT
        # for that user issued to another account's address, not yet followed by a ticket of
        # the user from there (overpass-the-hash pending).
        self.foreign_tgt_: dict[int, tuple[float, int]] = {}

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        mask = _tickets(batch) & (batch.column("object") >= 0)
        mask[mask] = _rc4(batch, np.flatnonzero(mask))
        for row in np.flatnonzero(mask).tolist():
            event = batch.events[row]
            service = event.object.lower()
            # User-account services only: computer accounts (HOST$) and the TGT service are
            # what every logon asks for.
            mask[row] = not service.endswith("$") and not is_tgt_service(service)
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

    # -- AS-REP roasting: roastable TGTs for other accounts, per source address -----------------

    def _tgt_rows(self, batch: EventBatch) -> tuple[Int64Array, BoolArray, BoolArray]:
        """Successful Kerberos ticket rows with a user and a source address, which of them are
        roastable TGTs (``krbtgt``): issued without pre-authentication (4768 PreAuthType 0, in
        ``logon_type``) where the source says, else (no pre-auth type given) in RC4; and which
        are RC4 TGTs whatever the pre-authentication (the overpass-the-hash evidence: a TGT
        bought with the account's RC4 key)."""
        rows = np.flatnonzero(_tickets(batch) & (batch.column("src_ip") >= 0)).astype(np.int64)
        rc4_tgt = _rc4(batch, rows)
        given = batch.column("logon_type")[rows] >= 0
        roastable = rc4_tgt & ~given
        roastable[given] = value_mask(batch, "logon_type", rows[given], _no_pre_auth)
        # The service test is the costly one (many distinct names): asked only of candidates.
        candidates = rc4_tgt | roastable
        tgt = np.zeros(len(rows), dtype=np.bool_)
        tgt[candidates] = value_mask(batch, "object", rows[candidates], is_tgt_service)
        rc4_tgt &= tgt
        roastable &= tgt
        return rows, roastable, rc4_tgt

    def _asrep_bursts(self, batch: EventBatch, rc4: Int64Array) -> list[tuple[int, int, list[int]]]:
        """(first row, address id, roasted user ids) per address with RC4 TGTs (rows ``rc4``)
        for accounts other than the address's own user."""
        users, addresses = batch.column("user"), batch.column("src_ip")
        found: dict[int, tuple[int, list[int]]] = {}
        for row in rc4.tolist():
            address, user = int(addresses[row]), int(users[row])
            if self.address_user_.get(address) == user:
                continue
            roasted = found.setdefault(address, (row, []))[1]
            if user not in roasted:
                roasted.append(user)
        return [(first, address, roasted) for address, (first, roasted) in found.items()]

    def _asrep_signals(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows: list[int] = []
        entities: list[int] = []
        points: list[float] = []
        names = builder.vocab[self.entity_kind]
        tickets, roastable, _ = self._tgt_rows(batch)
        for row, address, roasted in self._asrep_bursts(batch, tickets[roastable]):
            resident = self.address_user_.get(address, -1)
            who = resident if resident >= 0 else roasted[0]
            earlier = self.address_bursts_.get(address, 0)
            value = (self.asrep_points + self.asrep_more * (len(roasted) - 1)) / (1 + earlier)
            value = min(value, self.asrep_max)
            if value < self.min_points:
                continue
            ip = batch.events[row].src_ip
            what = "TGTs without pre-authentication" if batch.events[row].logon_type else "RC4 TGTs"
            accounts = ", ".join(names.value(u) for u in roasted[:5])
            user = names.value(who)
            rows.append(row)
            entities.append(who)
            points.append(value)
            signals.titles.append(
                f"{user}'s address {ip} got {what} for {len(roasted)} other account(s) "
                f"({accounts}): AS-REP roasting ({ip} had {earlier} such request(s) before)"
            )
            signals.observed.append(f"{what} for other accounts from {ip}")
            signals.baseline.append(
                f"{ip} is where {user} gets their tickets; {earlier} earlier batches of {what} "
                "for other accounts from it"
            )
            signals.row_mitre.append(("T1558.004",))
        return _filled(signals, rows, entities, points)

    # -- overpass-the-hash: an RC4 TGT for an account at another's address, then used there ---

    def _overpass(
        self, batch: EventBatch, rows: Int64Array, rc4: BoolArray
    ) -> tuple[list[tuple[int, int, float]], dict[int, tuple[float, int]]]:
        """``(row, address id, earlier bursts)`` of the first ordinary ticket of an account from
        an address that got the account's TGT in RC4 while it was another account's address
        (within ``overpass_hours``), and the pending TGTs left after the batch.

        Only the few rows whose (address, account) pair has such a TGT are walked in order."""
        users = batch.column("user").astype(np.int64)
        addresses = batch.column("src_ip").astype(np.int64)
        pairs = (addresses << 32) | users
        tgt = rows[rc4]
        foreign = tgt[
            np.fromiter(
                (  # an address known to be another account's (a new one may be a new PC)
                    self.address_user_.get(int(a), int(u)) != int(u)
                    for a, u in zip(addresses[tgt].tolist(), users[tgt].tolist(), strict=True)
                ),
                dtype=np.bool_,
                count=len(tgt),
            )
        ]
        pending = dict(self.foreign_tgt_)
        if not len(foreign) and not pending:
            return [], pending
        watched = np.asarray([*pending, *pairs[foreign].tolist()], dtype=np.int64)
        plain = rows[~rc4]
        plain = plain[np.isin(pairs[plain], watched)]
        order = np.concatenate([foreign, plain])
        is_tgt = np.concatenate([np.ones(len(foreign), np.bool_), np.zeros(len(plain), np.bool_)])
        sort = np.argsort(order, kind="stable")
        found: list[tuple[int, int, float]] = []
        for row, tgt_row in zip(order[sort].tolist(), is_tgt[sort].tolist(), strict=True):
            key, address, time = int(pairs[row]), int(addresses[row]), float(batch.time[row])
            if tgt_row:
                pending[key] = (time, self.address_bursts_.get(address, 0))
                continue
            issued = pending.pop(key, None)
            if issued is not None and time - issued[0] <= self.overpass_seconds:
                found.append((row, address, float(issued[1])))
        if len(batch):
            horizon = float(batch.time.max()) - self.overpass_seconds
            pending = {k: v for k, v in pending.items() if v[0] >= horizon}
        return found, pending

    def _overpass_signals(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        tickets, _, rc4_tgt = self._tgt_rows(batch)
        found, _ = self._overpass(batch, tickets, rc4_tgt)
        rows: list[int] = []
        entities: list[int] = []
        points: list[float] = []
        names = builder.vocab[self.entity_kind]
        for row, address, earlier in found:
            value = self.overpass_points / (1.0 + earlier)
            if value < self.min_points:
                continue
            event = batch.events[row]
            user = int(batch.column("user")[row])
            resident = self.address_user_.get(address, -1)
            owner = f"{names.value(resident)}'s address" if resident >= 0 else "an address"
            rows.append(row)
            entities.append(user)
            points.append(value)
            signals.titles.append(
                f"{event.user}'s TGT was issued in RC4 to {event.src_ip} ({owner}), and "
                f"{event.user} then got tickets from there: overpass-the-hash (the account's "
                f"key, not its password, obtained the ticket; {int(earlier)} earlier RC4 TGT "
                "burst(s) for other accounts from that address)"
            )
            signals.observed.append(f"RC4 TGT for {event.user} at {event.src_ip}, then its tickets")
            holder = names.value(resident) if resident >= 0 else "another account"
            signals.baseline.append(
                f"{event.src_ip} is where {holder} gets tickets; an RC4 TGT for {event.user} "
                "there is none of theirs"
            )
            signals.row_mitre.append(("T1550.002", "T1558"))
        return _filled(signals, rows, entities, points)

    # -- pass-the-ticket: an account's first ticket from an address is a service ticket -------

    def _ticket_view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        """Named Kerberos ticket rows with an address: their (address, user) pair keys, which
        are TGTs, and which TGTs name the address's holder (ordinary ones: not in RC4, not
        without pre-authentication, the overpass and roasting evidence)."""
        rows, roastable, rc4_tgt = self._tgt_rows(batch)
        named = batch.column("object")[rows] >= 0
        rows, roastable, rc4_tgt = rows[named], roastable[named], rc4_tgt[named]
        tgt = np.zeros(len(rows), dtype=np.bool_)
        if len(rows):
            tgt = value_mask(batch, "object", rows, is_tgt_service)
        users = batch.column("user")[rows].astype(np.int64)
        addresses = batch.column("src_ip")[rows].astype(np.int64)
        return {
            "rows": rows,
            "users": users,
            "addresses": addresses,
            "pairs": (addresses << 32) | users,
            "tgt": tgt,
            "holder": tgt & ~roastable & ~rc4_tgt,
        }

    def _stored_holders(
        self, addresses: Int64Array
    ) -> tuple[Int64Array, Int64Array, FloatArray, FloatArray]:
        """Stored holder (-1: none), holder switches and the holder's tenure (first, last TGT
        time) of each address."""
        holder = np.full(len(addresses), -1, dtype=np.int64)
        switches = np.zeros(len(addresses), dtype=np.int64)
        first = np.zeros(len(addresses), dtype=np.float64)
        last = np.zeros(len(addresses), dtype=np.float64)
        if len(self.holder_address_) and len(addresses):
            at, found = find_sorted(self.holder_address_, addresses)
            holder[found] = self.holder_user_[at[found]]
            switches[found] = self.holder_switches_[at[found]]
            first[found] = self.holder_first_[at[found]]
            last[found] = self.holder_last_[at[found]]
        return holder, switches, first, last

    def _holder_walk(
        self, batch: EventBatch, view: dict[str, np.ndarray], keep: BoolArray
    ) -> dict[str, np.ndarray]:
        """The batch's holder TGT rows (``keep`` of them) in (address, row) order, each with
        its address's switches up to and including it (stored + the batch's) and when its
        holder's tenure began (its first TGT there since the address last changed hands)."""
        picked = np.flatnonzero(view["holder"] & keep)
        order = picked[np.lexsort((view["rows"][picked], view["addresses"][picked]))]
        rows, users, addresses = view["rows"][order], view["users"][order], view["addresses"][order]
        stored_holder, stored_switches, stored_first, _ = self._stored_holders(addresses)
        same = np.zeros(len(order), dtype=np.bool_)
        same[1:] = addresses[1:] == addresses[:-1]
        previous = np.where(same, np.roll(users, 1), stored_holder)
        switched = ((previous >= 0) & (previous != users)).astype(np.int64)
        # A tenure starts at a switch, or at an address's first TGT ever; the first row of an
        # address that keeps its stored holder carries the stored tenure on.
        times = batch.time[rows].astype(np.float64)
        starts = (switched > 0) | (previous < 0)
        carried = ~same & ~starts
        begin = np.where(starts, times, np.where(carried, stored_first, 0.0))
        run = np.maximum.accumulate(np.where(starts | carried, np.arange(len(order)), 0))
        start = np.flatnonzero(~same)
        cumulative = np.cumsum(switched)
        base = np.zeros(len(order), dtype=np.int64)
        if len(start):
            group = np.cumsum(~same) - 1
            before_group = cumulative[start] - switched[start]
            base = before_group[group]
        return {
            "rows": rows,
            "users": users,
            "addresses": addresses,
            "switches": stored_switches + cumulative - base,
            "first": begin[run] if len(order) else begin,
            "last": times,
        }

    def _pass_the_ticket(
        self, batch: EventBatch, view: dict[str, np.ndarray]
    ) -> list[tuple[int, int, int]]:
        """``(row, holder id, holder switches)`` of each account's first ticket from an
        address where it never had one, when that ticket is a service ticket and another
        account holds the address (module docstring)."""
        pairs = view["pairs"]
        if not len(pairs):
            return []
        prior, _ = group_order(pairs)
        seen = np.zeros(len(pairs), dtype=np.bool_)
        if len(self.ticket_pairs_):
            seen = find_pair_keys(self.ticket_pairs_, pairs)[1]
        candidate = np.flatnonzero(~view["tgt"] & ~seen & (prior == 0))
        if not len(candidate):
            return []
        rows, users = view["rows"][candidate], view["users"][candidate]
        return self._at_others_desks(batch, view, rows, users, view["addresses"][candidate])

    def _at_others_desks(
        self,
        batch: EventBatch,
        view: dict[str, np.ndarray],
        rows: Int64Array,
        users: Int64Array,
        addresses: Int64Array,
    ) -> list[tuple[int, int, int]]:
        """(row, holder, switches) of the rows whose address another account holds as its own.

        Only an address its holder kept across sign-ins (its own machine), not a pool lease: a
        pool address whose lessee changes keeps no ticket history worth trusting.
        """
        holder, switches, first, last = self._holders_before(batch, view, addresses, rows)
        kept = last - first >= self.ptt_tenure_seconds
        judged = (holder >= 0) & (holder != users) & kept
        return [
            (int(r), int(h), int(n))
            for r, h, n in zip(
                rows[judged].tolist(), holder[judged].tolist(), switches[judged].tolist(),
                strict=True,
            )
        ]  # fmt: skip

    def _holders_before(
        self,
        batch: EventBatch,
        view: dict[str, np.ndarray],
        addresses: Int64Array,
        rows: Int64Array,
    ) -> tuple[Int64Array, Int64Array, FloatArray, FloatArray]:
        """Holder (-1: none), switches and tenure (first, last TGT time) of each address as of
        the batch row just before each query row: the stored table, then the batch's own
        holder TGTs at earlier rows."""
        holder, switches, first, last = self._stored_holders(addresses)
        walk = self._batch_walk(batch, view)
        at = latest_earlier(walk["addresses"], walk["rows"], addresses, rows)
        hit = at >= 0
        holder[hit] = walk["users"][at[hit]]
        switches[hit] = walk["switches"][at[hit]]
        first[hit] = walk["first"][at[hit]]
        last[hit] = walk["last"][at[hit]]
        return holder, switches, first, last

    def _batch_walk(self, batch: EventBatch, view: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """:meth:`_holder_walk` of every holder TGT of the batch, walked once per view and kept
        in it: the holder rules ask it per candidate, and the stored holders it reads do not
        change while a batch is scored."""
        if "walk_rows" not in view:
            walk = self._holder_walk(batch, view, np.ones(len(view["pairs"]), dtype=np.bool_))
            view.update({f"walk_{key}": value for key, value in walk.items()})
        return {key[5:]: value for key, value in view.items() if key.startswith("walk_")}

    def _own_desk(
        self, batch: EventBatch, view: dict[str, np.ndarray], user: int, row: int, away: int
    ) -> tuple[int, float]:
        """(address, hours since the account's TGT there) of the address other than ``away``
        where ``user`` signed in (is the holder: its TGT the last one issued there) most
        recently within ``desk_hours`` before ``row``; (-1, 0) when there is none. Its own
        desk, or a pool address (the VPN) it works over that day: either way it is signed in
        somewhere else."""
        stored = np.flatnonzero(self.holder_user_.astype(np.int64) == user)
        earlier = (view["users"] == user) & (view["rows"] < row) & view["holder"]
        addresses = np.union1d(
            self.holder_address_[stored].astype(np.int64), view["addresses"][earlier]
        )
        addresses = addresses[addresses != away]
        if not len(addresses):
            return -1, 0.0
        rows = np.full(len(addresses), row, dtype=np.int64)
        holder, _, _, last = self._holders_before(batch, view, addresses, rows)
        since = float(batch.time[row]) - last
        own = (holder == user) & (since <= self.desk_seconds)
        if not own.any():
            return -1, 0.0
        best = int(np.argmin(np.where(own, since, np.inf)))
        return int(addresses[best]), float(since[best]) / 3600.0

    def _desks_visited(
        self, batch: EventBatch, view: dict[str, np.ndarray], user: int, row: int, away: int
    ) -> int:
        """How many addresses other than ``away``, each kept by another account as of ``row``,
        ``user`` got tickets from before ``row`` (stored pairs, then the batch's earlier rows):
        the account's habit of signing in at other people's desks."""
        pairs = self.ticket_pairs_
        stored: Int64Array = (
            wide_pair_keys(pairs) if pairs.dtype == np.uint32 else pairs.astype(np.int64)
        )
        mine = stored[(stored & 0xFFFFFFFF) == user] >> 32
        earlier = (view["users"] == user) & (view["rows"] < row)
        addresses = np.union1d(mine, view["addresses"][earlier])
        addresses = addresses[addresses != away]
        if not len(addresses):
            return 0
        rows = np.full(len(addresses), row, dtype=np.int64)
        holder, _, first, last = self._holders_before(batch, view, addresses, rows)
        others = (holder >= 0) & (holder != user) & (last - first >= self.ptt_tenure_seconds)
        return int(np.count_nonzero(others))

    def _second_desk(
        self, batch: EventBatch, view: dict[str, np.ndarray]
    ) -> list[tuple[int, int, int, int, float, float, int]]:
        """``(row, holder id, holder switches, own address id, hours since the account's TGT
        there, days the holder has kept the address, other people's desks it got tickets at
        before)`` of each account's first TGT from an
        address that another account keeps as its own, while the account is signed in at
        another address (module docstring: a password used from a second desk)."""
        pairs = view["pairs"]
        if not len(pairs) or self.desk_points <= 0:
            return []
        prior, _ = group_order(pairs)
        seen = np.zeros(len(pairs), dtype=np.bool_)
        if len(self.ticket_pairs_):
            seen = find_pair_keys(self.ticket_pairs_, pairs)[1]
        candidate = np.flatnonzero(view["holder"] & ~seen & (prior == 0))
        if not len(candidate):
            return []
        rows, users = view["rows"][candidate], view["users"][candidate]
        addresses = view["addresses"][candidate]
        holder, switches, first, last = self._holders_before(batch, view, addresses, rows)
        kept = last - first >= self.ptt_tenure_seconds
        judged = np.flatnonzero((holder >= 0) & (holder != users) & kept)
        found: list[tuple[int, int, int, int, float, float, int]] = []
        for i in judged.tolist():  # (first TGTs at another's desk: a handful a batch)
            own, hours = self._own_desk(batch, view, int(users[i]), int(rows[i]), int(addresses[i]))
            if own < 0:
                continue
            visited = self._desks_visited(
                batch, view, int(users[i]), int(rows[i]), int(addresses[i])
            )
            tenure = float(last[i] - first[i]) / DAY
            found.append(
                (int(rows[i]), int(holder[i]), int(switches[i]), own, hours, tenure, visited)
            )
        return found

    def _desk_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows: list[int] = []
        entities: list[int] = []
        points: list[float] = []
        names, ips = builder.vocab[self.entity_kind], builder.vocab["ip"]
        for row, holder, switches, own, hours, tenure, visited in self._second_desk(batch, view):
            value = self.desk_points / (1.0 + switches) / (1.0 + visited)
            if value < self.min_points:
                continue
            event = batch.events[row]
            owner, own_ip = names.value(holder), ips.value(own)
            rows.append(row)
            entities.append(int(batch.column("user")[row]))
            points.append(value)
            signals.titles.append(
                f"{event.user} got a TGT from {event.src_ip}, {owner}'s machine, while signed "
                f"in at {own_ip} (a TGT {hours:.1f} h earlier): the account in use "
                f"at two machines at once (a password or hash used from a second machine)"
            )
            signals.observed.append(f"first TGT for {event.user} from {event.src_ip}")
            signals.baseline.append(
                f"{event.src_ip} is {owner}'s (their TGTs for {tenure:.1f} days, handed over "
                f"{switches} time(s)); {event.user} signs in at {own_ip}, never got a "
                f"ticket from {event.src_ip} and got tickets at {visited} other people's "
                f"desk(s) before"
            )
            signals.row_mitre.append(("T1078", "T1550.002"))
        return _filled(signals, rows, entities, points)

    def _joins(self, batch: EventBatch) -> Int64Array:
        """Rows where a named account created a computer account (4741) that has a name."""
        rows = computer_creations(batch)
        return rows[batch.column("device")[rows] >= 0]

    def _borrowed_desk(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> list[tuple[int, int, int, float, float]]:
        """``(row, creator id, holder switches, minutes since the creation, days the creator
        has kept the address)`` of each TGT of a computer account created in the last
        ``join_hours`` from an address its creator keeps as its own (module docstring)."""
        joins = self._joins(batch)
        if not len(joins) and not len(self.joined_device_):
            return []
        # A computer account's TGT: no user (the parser keeps the machine in ``src_host``).
        mask = batch.action == ACTION_CODE[Action.AUTH_TICKET]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") < 0)
        mask &= (batch.column("src_ip") >= 0) & (batch.column("src_host") >= 0)
        rows = np.flatnonzero(mask).astype(np.int64)
        if not len(rows):
            return []
        rows = rows[value_mask(batch, "object", rows, is_tgt_service)]
        # The machine's name (host vocabulary) as a device id (the 4741's vocabulary).
        hosts, inverse = unique1d(batch.column("src_host")[rows], return_inverse=True)
        names, devices = builder.vocab["host"], builder.vocab["device"].by_tenant
        as_device = np.asarray(
            [devices.get(names.tenant_of(h), {}).get(names.value(h), -1) for h in hosts.tolist()],
            dtype=np.int64,
        )[inverse]
        # Creations: the stored ones, then the batch's at earlier rows.
        device = np.concatenate(
            [self.joined_device_.astype(np.int64), batch.column("device")[joins].astype(np.int64)]
        )
        creator = np.concatenate(
            [self.joined_by_.astype(np.int64), batch.column("user")[joins].astype(np.int64)]
        )
        created = np.concatenate([self.joined_at_, batch.time[joins].astype(np.float64)])
        position = np.concatenate([np.full(len(self.joined_device_), -1, dtype=np.int64), joins])
        found: list[tuple[int, int, int, float, float]] = []
        for i in np.flatnonzero(as_device >= 0).tolist():  # (machine TGTs of a known name)
            row = int(rows[i])
            match = np.flatnonzero((device == as_device[i]) & (position < row))
            if not len(match):
                continue
            j = int(match[-1])
            since = float(batch.time[row]) - float(created[j])
            if since > self.join_seconds:
                continue
            address = batch.column("src_ip")[row : row + 1].astype(np.int64)
            holder, switches, first, last = self._holders_before(
                batch, view, address, np.array([row], dtype=np.int64)
            )
            kept = float(last[0] - first[0]) >= self.ptt_tenure_seconds
            if int(holder[0]) == int(creator[j]) and kept:
                tenure = float(last[0] - first[0]) / DAY
                found.append((row, int(creator[j]), int(switches[0]), since / 60.0, tenure))
        return found

    def _borrowed_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows: list[int] = []
        entities: list[int] = []
        points: list[float] = []
        users = builder.vocab[self.entity_kind]
        for row, creator, switches, minutes, tenure in self._borrowed_desk(batch, builder, view):
            value = self.desk_points / (1.0 + switches)
            if value < self.min_points:
                continue
            event, who = batch.events[row], users.value(creator)
            rows.append(row)
            entities.append(creator)
            points.append(value)
            signals.titles.append(
                f"{event.src_host}$, a computer account {who} created {minutes:.0f} min "
                f"earlier, got a TGT from {event.src_ip}, {who}'s own address: a machine "
                f"identity used from its creator's machine, not from one of its own "
                f"(MachineAccountQuota abuse: RBCD, noPac)"
            )
            signals.observed.append(f"TGT for {event.src_host}$ from {event.src_ip}")
            signals.baseline.append(
                f"{event.src_ip} is {who}'s (their TGTs there for {tenure:.1f} days, handed "
                f"over {switches} time(s)); a joined computer signs in from its own address"
            )
            signals.row_mitre.append(("T1136.002", "T1078.002"))
        return _filled(signals, rows, entities, points)

    def _learn_joins(self, batch: EventBatch) -> None:
        joins = self._joins(batch)
        if not len(joins) and not len(self.joined_device_):
            return
        device = np.concatenate([self.joined_device_, batch.column("device")[joins]])
        creator = np.concatenate([self.joined_by_, batch.column("user")[joins]])
        created = np.concatenate([self.joined_at_, batch.time[joins].astype(np.float64)])
        end = float(batch.time[-1]) if len(batch) else 0.0
        live = end - created <= self.join_seconds
        self.joined_device_ = device[live].astype(np.int32)
        self.joined_by_ = creator[live].astype(np.int32)
        self.joined_at_ = created[live]

    def _ptt_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        found = self._pass_the_ticket(batch, view)
        return self._held_address_signals(
            batch, builder, found, self.ptt_points, "T1550.003", _pass_the_ticket_words
        )

    def _held_address_signals(
        self,
        batch: EventBatch,
        builder: BatchBuilder,
        found: list[tuple[int, int, int]],
        base_points: float,
        technique: str,
        words: Callable[[Event, str, int], tuple[str, str, str]],
    ) -> Signals:
        """Signals of ``(row, holder, switches)`` findings at another account's kept address:
        ``base_points`` / (1 + the times the address changed hands); ``words`` gives a row's
        title, observed and baseline from its event, the holder's name and the switches."""
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows: list[int] = []
        entities: list[int] = []
        points: list[float] = []
        names = builder.vocab[self.entity_kind]
        for row, holder, switches in found:
            value = base_points / (1.0 + switches)
            if value < self.min_points:
                continue
            title, observed, baseline = words(batch.events[row], names.value(holder), switches)
            rows.append(row)
            entities.append(int(batch.column("user")[row]))
            points.append(value)
            signals.titles.append(title)
            signals.observed.append(observed)
            signals.baseline.append(baseline)
            signals.row_mitre.append((technique,))
        return _filled(signals, rows, entities, points)

    def _silver_tickets(
        self, batch: EventBatch, view: dict[str, np.ndarray]
    ) -> list[tuple[int, int, int]]:
        """``(row, holder id, holder switches)`` of each account's first Kerberos network logon
        (4624 type 3) from an address where it never got a ticket, ever (stored pairs, then the
        batch's earlier ticket rows), when another account keeps that address as its own
        (module docstring: a silver ticket)."""
        if self.silver_points <= 0:
            return []
        mask = batch.action == ACTION_CODE[Action.LOGON]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        mask &= batch.column("src_ip") >= 0
        rows = np.flatnonzero(mask).astype(np.int64)
        rows = rows[value_mask(batch, "logon_type", rows, _network_logon)]
        rows = rows[value_mask(batch, "auth_protocol", rows, _kerberos)]
        if not len(rows):
            return []
        users = batch.column("user")[rows].astype(np.int64)
        addresses = batch.column("src_ip")[rows].astype(np.int64)
        pairs = (addresses << 32) | users
        prior, _ = group_order(pairs)
        seen = np.zeros(len(rows), dtype=np.bool_)
        if len(self.ticket_pairs_):
            seen = find_pair_keys(self.ticket_pairs_, pairs)[1]
        if len(view["pairs"]):
            seen |= latest_earlier(view["pairs"], view["rows"], pairs, rows) >= 0
        candidate = np.flatnonzero(~seen & (prior == 0))
        if not len(candidate):
            return []
        return self._at_others_desks(
            batch, view, rows[candidate], users[candidate], addresses[candidate]
        )

    def _silver_signals(
        self, batch: EventBatch, builder: BatchBuilder, view: dict[str, np.ndarray]
    ) -> Signals:
        found = self._silver_tickets(batch, view)
        return self._held_address_signals(
            batch, builder, found, self.silver_points, "T1558.002", _silver_ticket_words
        )

    def _learn_tickets(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._ticket_view(batch)
        if not len(view["pairs"]):
            return
        self.ticket_pairs_ = _union_pairs(self.ticket_pairs_, view["pairs"])
        walk = self._holder_walk(batch, view, ~held_back[view["rows"]])
        if not len(walk["rows"]):
            return
        addresses = walk["addresses"]
        last = np.ones(len(addresses), dtype=np.bool_)
        last[:-1] = addresses[1:] != addresses[:-1]
        new_address, new_user = addresses[last], walk["users"][last]
        new_switches = walk["switches"][last]
        new_first, new_last = walk["first"][last], walk["last"][last]
        self.holder_address_, columns = upsert_sorted(
            self.holder_address_,
            new_address,
            [
                (self.holder_user_, new_user),
                (self.holder_switches_, new_switches),
                (self.holder_first_, new_first),
                (self.holder_last_, new_last),
            ],
        )
        self.holder_address_ = _narrow_ids(self.holder_address_)
        self.holder_user_ = _narrow_ids(columns[0])
        self.holder_switches_ = narrow_counts(np.minimum(columns[1], _SWITCHES_MAX))
        self.holder_first_, self.holder_last_ = columns[2], columns[3]

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        result = super().score(batch, builder)
        view = self._ticket_view(batch)  # (one for the three holder rules: it reads the batch)
        extras = (
            self._asrep_signals(batch, builder),
            self._overpass_signals(batch, builder),
            self._ptt_signals(batch, builder, view),
            self._desk_signals(batch, builder, view),
            self._borrowed_signals(batch, builder, view),
            self._silver_signals(batch, builder, view),
        )
        for extra in extras:
            if not len(extra):
                continue
            result = extra if not len(result) else merge_signals(result, extra, self.mitre)
        return result

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        rows, roastable, rc4_tgt = self._tgt_rows(batch)
        bursts = self._asrep_bursts(batch, rows[roastable])
        _, self.foreign_tgt_ = self._overpass(batch, rows, rc4_tgt)
        self._learn_tickets(batch, held_back)
        self._learn_joins(batch)
        super().learn(batch, held_back)
        for _, address, _ in bursts:
            self.address_bursts_[address] = self.address_bursts_.get(address, 0) + 1
        # The address's own user: the last account that got an ordinary ticket (neither an RC4
        # TGT nor one issued without pre-authentication).
        users, addresses = batch.column("user"), batch.column("src_ip")
        plain = rows[~(roastable | rc4_tgt)]
        plain = plain[~held_back[plain]]
        for address, user in zip(addresses[plain].tolist(), users[plain].tolist(), strict=True):
            self.address_user_[int(address)] = int(user)

    def state(self) -> StateDict:
        state = super().state()
        keys = sorted(self.address_user_)
        # (ids saved in 16 bits while they fit: :func:`detectors._exact.exact_narrow`)
        state["address_keys"] = exact_narrow(np.asarray(keys, dtype=np.int32), smallest=2)
        users = np.asarray([self.address_user_[k] for k in keys], dtype=np.int32)
        state["address_user"] = exact_narrow(users, smallest=2)
        bursts = sorted(self.address_bursts_)
        state["burst_keys"] = np.asarray(bursts, dtype=np.int32)
        state["burst_count"] = np.asarray([self.address_bursts_[k] for k in bursts], dtype=np.int32)
        pending = sorted(self.foreign_tgt_)
        state["overpass_keys"] = np.asarray(pending, dtype=np.int64)
        state["overpass_time"] = np.asarray(
            [self.foreign_tgt_[k][0] for k in pending], dtype=np.float64
        )
        state["overpass_earlier"] = np.asarray(
            [self.foreign_tgt_[k][1] for k in pending], dtype=np.int32
        )
        # (address, user) pairs in 32 bits while both ids are < 2**16, as the shared pair
        # tables keep theirs: half the bytes of the table that grows with address churn.
        state["ticket_pairs"] = self.ticket_pairs_  # (already in 32 bits while they fit)
        # Address and user ids are per-tenant interned int32s; hand-overs are small counts.
        state["holder_address"] = exact_narrow(self.holder_address_.astype(np.int32), smallest=2)
        state["holder_user"] = exact_narrow(self.holder_user_.astype(np.int32), smallest=2)
        state["holder_switches"] = exact_narrow(self.holder_switches_.astype(np.int32))
        # Tenures as hours since the epoch: a float32 keeps them to a few minutes (ample for a
        # 12 h test) in half the bytes.
        state["holder_first"] = (self.holder_first_ / 3600.0).astype(np.float32)
        state["holder_last"] = (self.holder_last_ / 3600.0).astype(np.float32)
        state["joined_device"] = self.joined_device_
        state["joined_by"] = self.joined_by_
        state["joined_at"] = self.joined_at_
        return state

    @changes_state
    def load_state(self, state: StateDict) -> None:
        super().load_state(state)
        # Snapshots from before AS-REP roasting hold no addresses: learned again from tickets.
        empty = np.empty(0, dtype=np.int32)
        keys = np.asarray(state.get("address_keys", empty)).astype(np.int64).tolist()
        users = np.asarray(state.get("address_user", empty)).astype(np.int64).tolist()
        self.address_user_ = dict(zip(keys, users, strict=True))
        keys = np.asarray(state.get("burst_keys", empty)).astype(np.int64).tolist()
        counts = np.asarray(state.get("burst_count", empty)).astype(np.int64).tolist()
        self.address_bursts_ = dict(zip(keys, counts, strict=True))
        # Snapshots from before overpass-the-hash hold no pending TGTs.
        keys = np.asarray(state.get("overpass_keys", empty)).astype(np.int64).tolist()
        times = np.asarray(state.get("overpass_time", np.empty(0))).astype(np.float64).tolist()
        earlier = np.asarray(state.get("overpass_earlier", empty)).astype(np.int64).tolist()
        self.foreign_tgt_ = {k: (t, e) for k, t, e in zip(keys, times, earlier, strict=True)}
        # Snapshots from before pass-the-ticket hold no ticket pairs or holders.
        none = np.empty(0, dtype=np.int64)
        saved = wide_pair_keys(np.asarray(state.get("ticket_pairs", none)))
        self.ticket_pairs_ = _union_pairs(np.empty(0, dtype=np.uint32), saved)
        self.holder_address_ = _narrow_ids(np.asarray(state.get("holder_address", none)))
        self.holder_user_ = _narrow_ids(np.asarray(state.get("holder_user", none)))
        switches = np.asarray(state.get("holder_switches", none), dtype=np.int64)
        self.holder_switches_ = narrow_counts(np.minimum(switches, _SWITCHES_MAX))
        # Snapshots from before round 18 hold no tenures: zeros, judged as in round 17.
        count = len(self.holder_address_)
        hours = np.asarray(state.get("holder_first", np.zeros(count)), dtype=np.float64)
        self.holder_first_ = hours * 3600.0
        hours = np.asarray(state.get("holder_last", np.zeros(count)), dtype=np.float64)
        self.holder_last_ = hours * 3600.0
        # Snapshots from before round 22 hold no recent computer-account creations.
        self.joined_device_ = np.asarray(state.get("joined_device", empty), dtype=np.int32)
        self.joined_by_ = np.asarray(state.get("joined_by", empty), dtype=np.int32)
        self.joined_at_ = np.asarray(state.get("joined_at", np.empty(0)), dtype=np.float64)


#: Hand-overs of one address counted up to here (they are saved as ``int32``; a finding's
#: points are ``ptt_points / (1 + switches)``, ~0 long before).
_SWITCHES_MAX = int(np.iinfo(np.int32).max)


def _network_logon(kind: str) -> bool:
    return kind == "3"


def _kerberos(protocol: str) -> bool:
    """A Kerberos logon (4624 ``AuthenticationPackageName`` Kerberos, any cipher)."""
    return protocol.startswith("kerberos")


def _narrow_ids(ids: np.ndarray) -> np.ndarray:
    """Interned ids (``int32``) in 16 bits while every one fits, as the snapshot saves them
    (:func:`detectors._exact.exact_narrow`): the type follows from the values alone, and
    lookups (``find_sorted``) compare them as the same numbers."""
    return exact_narrow(np.asarray(ids).astype(np.int32), smallest=2)


def _union_pairs(stored: np.ndarray, pairs: Int64Array) -> np.ndarray:
    """The sorted distinct union, in 32 bits while every pair fits, else ``int64`` for good."""
    stored, pairs = as_stored_pair_keys(stored, pairs)
    union: np.ndarray = np.union1d(stored, pairs).astype(stored.dtype)
    return union


def _pass_the_ticket_words(event: Event, owner: str, switches: int) -> tuple[str, str, str]:
    title = (
        f"{event.user} got a service ticket for {event.object} from {event.src_ip}, "
        f"{owner}'s address, where no TGT was ever issued to {event.user}: "
        f"pass-the-ticket (a ticket brought from another machine; the address "
        f"changed hands {switches} time(s))"
    )
    observed = f"service ticket for {event.user} from {event.src_ip}"
    baseline = (
        f"{event.src_ip} is where {owner} signs in (their TGTs are issued there); "
        f"{event.user} never got a TGT or any ticket from it"
    )
    return title, observed, baseline


def _silver_ticket_words(event: Event, owner: str, switches: int) -> tuple[str, str, str]:
    host = event.dst_host or event.src_host
    title = (
        f"{event.user} logged on to {host} with Kerberos from {event.src_ip}, "
        f"{owner}'s address, where no ticket was ever issued to {event.user}: a service "
        f"ticket the DC never issued (a forged silver ticket; the address changed "
        f"hands {switches} time(s))"
    )
    observed = f"Kerberos logon of {event.user} on {host} without a ticket"
    baseline = (
        f"{event.src_ip} is where {owner} signs in (their TGTs are issued there); "
        f"{event.user} never got a TGT or a service ticket from it"
    )
    return title, observed, baseline


def _filled(signals: Signals, rows: list[int], entities: list[int], points: list[float]) -> Signals:
    """``signals`` with the columns its per-row rules collected (their titles already added)."""
    signals.rows = np.asarray(rows, dtype=np.int64)
    signals.entity = np.asarray(entities, dtype=np.int32)
    signals.points = np.asarray(points, dtype=np.float64)
    return signals


__all__ = ["Kerberoasting"]
