"""A computer account's ticket asked from another machine's desk: its password used elsewhere
(T1078.002, T1550).

Every domain computer asks the DC for its own TGT (4768 for ``NAME$``; the parser keeps the
machine in ``src_host`` and no user) when it boots, from its own address: an office desk's
address names its one machine day after day. A computer account whose TGT comes from an address
that has named only another machine on at least ``static_days`` distinct days (UTC) is that
account's password (or hash) in someone else's hands on that machine: a pre-Windows 2000
computer account whose password is still its own name, a server's machine account taken from a
dump, a computer account made with the machine account quota and used from a desk. A pool
address (VPN, DHCP) names whoever leased it last, so its run of days restarts at every hand-over
and it is never settled. Nothing is judged until the tenant's first ``learning_days`` are over.

The finding (``points``: an alert, not a page alone) is on the computer account (a host entity).
Flagged tickets move the address like any other: a machine renamed or re-imaged under a new name
that keeps its address is asked about once (the address's run is the new name's from then on),
and a desk whose owner's machine and a borrowed account alternate is a pool after the first
question (each later use is asked again only once the owner's run is settled anew). State per
address that ever
carried a computer account's TGT: its machine (int32), the distinct days of its run (uint8) and
the last one counted (uint16); per tenant its first event.

>>> from datetime import UTC, datetime, timedelta
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> def tgt(day, machine):
...     return Event(time=datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(days=day), tenant="t",
...                  source_format="x", action=Action.AUTH_TICKET, src_host=machine,
...                  src_ip="10.0.0.5", object="krbtgt", dst_host="dc01")
>>> builder, detector = BatchBuilder(), MachineDesk()
>>> history = builder.build([tgt(d, "wks5") for d in range(5)])
>>> detector.learn(history, np.zeros(len(history), dtype=bool))
>>> signals = detector.score(builder.build([tgt(5, "kiosk07")]), builder)
>>> round(float(signals.points[0])), signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
(50, "computer account kiosk07 got a Kerberos ticket (TGT) from 10.0.0.5, wks5's address
 (normal: the address named only wks5, on 5 days): kiosk07's password used on another machine")
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors._address_days import run_days
from detectors._kerberos import is_tgt_service
from detectors.base import (
    Signals,
    StateDict,
    batch_view,
    changes_state,
    first_times,
    flagged_signals,
    fold_extreme,
    gather,
    group_cumsum_before,
    group_order,
    grow,
    pair_keys,
)
from detectors.batch import ACTION_CODE, BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import DAY, group_last_before, value_mask
from detectors.registry import register
from schemas.event import Action, Outcome


@register
class MachineDesk:
    """Computer accounts' TGTs from another machine's settled address."""

    name: ClassVar[str] = "machine_desk"
    entity_kind: ClassVar[str] = "host"
    mitre: ClassVar[tuple[str, ...]] = ("T1078.002", "T1550")

    def __init__(
        self, *, static_days: int = 3, points: float = 50.0, learning_days: float = 3.0
    ) -> None:
        if static_days < 1 or not 0 < points <= 100 or learning_days < 0:
            raise ValueError("machine_desk: static_days >= 1, points in (0, 100], learning >= 0")
        self.static_days = static_days
        self.points = points
        self.learning_days = learning_days
        self.ip_host_ = np.empty(0, dtype=np.int32)  # address id -> its machine (-1 none)
        self.ip_days_ = np.empty(0, dtype=np.uint8)  # distinct days of the machine's run
        self.ip_day_ = np.empty(0, dtype=np.uint16)  # the last day counted (days since 1970)
        self.tenant_first_ = np.empty(0, dtype=np.float64)

    def _tickets(self, batch: EventBatch) -> Int64Array:
        """Rows of computer accounts' TGTs (no user, the machine in ``src_host``) with an
        address."""
        mask = batch.action == ACTION_CODE[Action.AUTH_TICKET]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") < 0)
        mask &= (batch.column("src_ip") >= 0) & (batch.column("src_host") >= 0)
        rows = np.flatnonzero(mask).astype(np.int64)
        return rows[value_mask(batch, "object", rows, is_tgt_service)]

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        rows = self._tickets(batch)
        n = len(rows)
        ip = batch.column("src_ip")[rows].astype(np.int64)
        host = batch.column("src_host")[rows].astype(np.int64)
        time = batch.time[rows]
        day = np.floor(time / DAY).astype(np.int64)
        size = int(ip.max()) + 1 if n else 0
        stored_host = gather(self.ip_host_, size, -1.0, ip).astype(np.int64)
        stored_days = gather(self.ip_days_, size, 0.0, ip).astype(np.int64)
        stored_day = gather(self.ip_day_, size, 0.0, ip).astype(np.int64)
        tenant = batch.tenant[rows].astype(np.int64)
        first = first_times(self.tenant_first_, np.nan, tenant, time)
        mature = time - first >= self.learning_days * DAY
        own = np.arange(n, dtype=np.int64)
        # The address's machine before each row: its previous row's, else the state's.
        prev = group_last_before(ip, np.ones(n, dtype=np.bool_))
        mapped = np.where(prev >= 0, host[np.maximum(prev, 0)], stored_host)
        change = host != mapped
        # Runs: each row belongs to the run begun by its latest change (itself when
        # it is one); before any change in the batch, to the state's run (key n + address).
        began = group_last_before(ip, change)
        run = np.where(change, own, np.where(began >= 0, began, n + ip))
        state_run = run >= n
        first_of_day = group_order(pair_keys(run, day))[0] == 0
        new_day = first_of_day & (~state_run | (day > stored_day))
        counted = group_cumsum_before(run, new_day.astype(np.float64)) + new_day
        # The run of the machine each row finds: the run of the address's previous row.
        found = np.where(prev >= 0, run[np.maximum(prev, 0)], n + ip)
        base = np.where(found >= n, np.where(stored_host >= 0, stored_days, 0), 0)
        settled = base + np.where(prev >= 0, counted[np.maximum(prev, 0)], 0).astype(np.int64)
        claimed = change & (mapped >= 0) & (settled >= self.static_days) & mature
        return {
            "rows": rows, "host": host, "ip": ip, "time": time, "mapped": mapped,
            "settled": settled, "flagged": claimed, "points": np.full(n, self.points),
        }  # fmt: skip

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        signals = flagged_signals(self, view, "host")
        if not len(signals):
            return signals
        hosts, ips = builder.vocab["host"], builder.vocab["ip"]
        flagged = view["flagged"]
        for machine, address, owner, days in zip(
            view["host"][flagged].tolist(),
            view["ip"][flagged].tolist(),
            view["mapped"][flagged].tolist(),
            view["settled"][flagged].tolist(),
            strict=True,
        ):
            name, other, ip = hosts.value(machine), hosts.value(owner), ips.value(address)
            signals.titles.append(
                f"computer account {name} got a Kerberos ticket (TGT) from {ip}, {other}'s "
                f"address (normal: the address named only {other}, on {days} days): {name}'s "
                "password used on another machine"
            )
            signals.observed.append(f"{name}'s TGT from {other}'s address {ip}")
            signals.baseline.append(f"{ip} named only {other} on {days} days")
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)  # (the one ``score`` saw: before the tenant's first time moves)
        if len(batch):
            tenant = batch.tenant.astype(np.int64)
            self.tenant_first_ = grow(self.tenant_first_, int(tenant.max()) + 1, np.nan)
            fold_extreme(self.tenant_first_, tenant, batch.time)
        keep = ~held_back[view["rows"]]
        if not keep.any():
            return
        ip, host, time = view["ip"][keep], view["host"][keep], view["time"][keep]
        size = int(ip.max()) + 1
        self.ip_host_ = grow(self.ip_host_, size, -1.0)
        self.ip_days_ = grow(self.ip_days_, size, 0.0)
        self.ip_day_ = grow(self.ip_day_, size, 0.0)
        unique = np.unique(ip)
        counted = self.ip_days_[unique].astype(np.int64)
        _, last_host, days, day = run_days(
            ip,
            host,
            np.floor(time / DAY).astype(np.int64),
            stored_host=np.where(counted > 0, self.ip_host_[unique], -1).astype(np.int64),
            stored_days=counted,
            stored_day=self.ip_day_[unique].astype(np.int64),
        )
        self.ip_host_[unique] = last_host
        self.ip_days_[unique] = np.minimum(days, np.iinfo(np.uint8).max)
        self.ip_day_[unique] = np.minimum(day, np.iinfo(np.uint16).max)

    def state(self) -> StateDict:
        return {
            "ip_host": self.ip_host_,
            "ip_days": self.ip_days_,
            "ip_day": self.ip_day_,
            "tenant_first": self.tenant_first_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        if "ip_host" not in state:  # (a snapshot from before this detector has none)
            return
        self.ip_host_ = np.asarray(state["ip_host"], dtype=np.int32)
        self.ip_days_ = np.asarray(state["ip_days"], dtype=np.uint8)
        self.ip_day_ = np.asarray(state["ip_day"], dtype=np.uint16)
        self.tenant_first_ = np.asarray(state["tenant_first"], dtype=np.float64)
