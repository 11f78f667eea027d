"""A command shell started by a network-facing server process: a web shell, an exploited
service or a plugin DLL loaded into one (T1505.003, T1190, T1574.002).

Web servers (IIS's ``w3wp.exe``, Apache, nginx, Tomcat, PHP's CGI host), database servers
(``sqlservr.exe``, ``xp_cmdshell``), the DNS server (``dns.exe``, whose ``ServerLevelPluginDll``
a DnsAdmins member can point at any DLL), the print spooler (``spoolsv.exe``) and Exchange's
workers answer requests from the network. None of them starts ``cmd.exe``, PowerShell or a
script host in its work; when one does, whoever sent the request runs commands with the
service's identity (often SYSTEM, on a domain controller for ``dns.exe``). The process start
(4688 or Sysmon 1, the parent in ``app``) is flagged on the host where it happened.

Points are ``points / (1 + n)`` with ``n`` the shells this parent process has started on this
host before (learned, flagged rows excluded): a site whose application really shells out
(an old CGI script) is discounted by its own history, not by other hosts'. State: one count per
(host, parent) pair that ever started a shell, none in a tenant where it never happens.

>>> from datetime import UTC, datetime
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> shell = Event(time=datetime(2024, 1, 1, tzinfo=UTC), tenant="t", source_format="x",
...               action=Action.PROCESS_START, dst_host="dc01",
...               object="C:\\\\Windows\\\\System32\\\\cmd.exe",
...               app="C:\\\\Windows\\\\System32\\\\dns.exe")
>>> builder, detector = BatchBuilder(), ServerShell()
>>> signals = detector.score(builder.build([shell]), builder)
>>> round(float(signals.points[0])), signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
(70, 'dns.exe (a network-facing service) started cmd.exe on dc01 (normal: dns.exe started
 0 shell(s) on dc01 before)')
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detectors.base import CountTable, Signals, StateDict, group_order, pair_keys
from detectors.batch import BatchBuilder, BoolArray, EventBatch, Int64Array
from detectors.lateral import value_mask
from detectors.registry import register
from detectors.remote_exec import is_shell
from schemas.event import Action

#: Processes that serve network requests and have no business starting a shell (web, database,
#: DNS, print and mail servers; the parent image's file name, lower case).
SERVER_PROCESSES = frozenset(
    {
        "w3wp.exe",
        "httpd.exe",
        "nginx.exe",
        "php-cgi.exe",
        "tomcat.exe",
        "tomcat8.exe",
        "tomcat9.exe",
        "sqlservr.exe",
        "dns.exe",
        "spoolsv.exe",
        "umworkerprocess.exe",
        "edgetransport.exe",
    }
)
_PROCESS = frozenset({Action.PROCESS_START})


def _base(image: str) -> str:
    return image.replace("/", "\\").rsplit("\\", 1)[-1].lower()


def is_server_process(image: str) -> bool:
    r"""Whether a parent image is a network-facing server process.

    >>> is_server_process("C:\\Windows\\System32\\inetsrv\\w3wp.exe"), is_server_process("x.exe")
    (True, False)
    """
    return _base(image) in SERVER_PROCESSES


@register
class ServerShell:
    """Shells started by network-facing server processes, discounted by the pair's history."""

    name: ClassVar[str] = "server_shell"
    entity_kind: ClassVar[str] = "host"
    mitre: ClassVar[tuple[str, ...]] = ("T1505.003", "T1190", "T1574.002")

    def __init__(self, *, points: float = 70.0) -> None:
        if not 0 < points <= 100:
            raise ValueError("server_shell: points must be in (0, 100]")
        self.points = points
        self.shells_ = CountTable(counts=("shells",))  # by pair_keys(host, parent image)

    def _shells(self, batch: EventBatch) -> Int64Array:
        """Rows of shells started by a server process on a known host."""
        rows = np.flatnonzero(
            batch.action_mask(_PROCESS)
            & (batch.column("dst_host") >= 0)
            & (batch.column("app") >= 0)
            & (batch.column("object") >= 0)
        )
        rows = rows[value_mask(batch, "app", rows, is_server_process)]
        return rows[value_mask(batch, "object", rows, is_shell)]

    def _before(self, keys: Int64Array) -> Int64Array:
        """Each key's learned count plus its earlier rows in the batch (batch = one by one)."""
        learned = self.shells_.lookup(keys)["shells"].astype(np.int64)
        return learned + group_order(keys)[0]

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        signals = Signals.empty(self.name, self.entity_kind, self.mitre)
        rows = self._shells(batch)
        if not len(rows):
            return signals
        hosts = batch.column("dst_host")[rows]
        keys = pair_keys(hosts, batch.column("app")[rows])
        before = self._before(keys)
        signals.rows = rows.astype(np.int64)
        signals.entity = hosts.astype(np.int32)
        signals.points = (self.points / (1.0 + before)).astype(np.float64)
        for row, count in zip(rows.tolist(), before.tolist(), strict=True):
            event = batch.events[row]
            parent, child, host = _base(event.app), _base(event.object), event.dst_host
            who = f" as {event.user}" if event.user else ""
            signals.titles.append(
                f"{parent} (a network-facing service) started {child}{who} on {host} "
                f"(normal: {parent} started {count} shell(s) on {host} before)"
            )
            signals.observed.append(f"{parent} -> {child} on {host}")
            signals.baseline.append(f"{count} earlier shell(s) from {parent} on {host}")
        return signals

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        rows = self._shells(batch)
        rows = rows[~held_back[rows]]
        if len(rows):
            self.shells_.add(
                "shells", pair_keys(batch.column("dst_host")[rows], batch.column("app")[rows])
            )

    def state(self) -> StateDict:
        return self.shells_.state("shells_")

    def load_state(self, state: StateDict) -> None:
        self.shells_ = CountTable(counts=("shells",))
        if "shells_keys" in state:  # (a snapshot from before this detector has none)
            self.shells_.load_state(state, "shells_")
