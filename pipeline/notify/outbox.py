"""The durable outbox of one sink (embedded mode): ``<state>/outbox/<sink>/``.

- ``<sha256(incident_key)[:32]>.json``: one file per pending delivery, written atomically
  (temp file, fsync, rename) before the first attempt and removed after the receiver
  accepted it (2xx). A newer version of the same incident replaces the pending file, so a
  receiver that was down gets the latest state of an incident once, not every version.
- ``delivered.jsonl``: the ledger of accepted alerts (id, incident key, version, severity),
  the last ``ledger_size`` kept. An alert id in the ledger is never sent again to this sink,
  even if its pending file survived a crash; the incident entries let a restarted notifier
  tell an update from a new incident.
- ``failed/<alert id>.json``: deliveries given up on (permanent 4xx, too many attempts,
  unreadable spool file), with the reason; an operator can move them back to retry.

The ledger is written before the pending file is removed; the only window for a duplicate
is a crash between the receiver's 2xx and the ledger write (at-least-once there, and the
stable incident key / ``dedup_key`` lets the receiver fold it).

Without a directory the outbox lives in memory only (streaming mode uses the alerts topic).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from schemas.alert import Alert

log = logging.getLogger("vigil.notify")

SPOOL_FORMAT = 1
LEDGER_NAME = "delivered.jsonl"
FAILED_DIR = "failed"


class _SpoolRecord(msgspec.Struct):
    format: int
    enqueued_ns: int
    alert: Alert


class _LedgerLine(msgspec.Struct):
    id: str
    incident_key: str
    version: int
    severity: str


@dataclass
class Pending:
    alert: Alert
    enqueued_ns: int
    attempts: int = 0
    last_error: str = ""
    rate_limited: bool = False


@dataclass(frozen=True)
class Delivered:
    version: int
    severity: str


def _file_key(incident_key: str) -> str:
    return hashlib.sha256(incident_key.encode()).hexdigest()[:32]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Outbox:
    """Pending deliveries (FIFO by first enqueue, one per incident) and the delivered ledger.

    Not thread-safe by itself: the sink worker calls it under its own lock.
    """

    def __init__(self, directory: str | os.PathLike[str] | None, *, ledger_size: int = 10_000):
        self.directory = Path(directory) if directory is not None else None
        self.ledger_size = ledger_size
        self.pending: OrderedDict[str, Pending] = OrderedDict()
        self._ids: OrderedDict[str, _LedgerLine] = OrderedDict()
        self._incidents: OrderedDict[str, Delivered] = OrderedDict()
        self._ledger_lines = 0
        self.failed: list[tuple[Alert, str]] = []
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._load_ledger()
            self._load_pending()

    # -- ledger -----------------------------------------------------------------------------

    def is_delivered(self, alert_id: str) -> bool:
        return alert_id in self._ids

    def last_delivered(self, incident_key: str) -> Delivered | None:
        return self._incidents.get(incident_key)

    def _remember(self, line: _LedgerLine) -> None:
        self._ids[line.id] = line
        self._ids.move_to_end(line.id)
        while len(self._ids) > self.ledger_size:
            self._ids.popitem(last=False)
        self._incidents[line.incident_key] = Delivered(line.version, line.severity)
        self._incidents.move_to_end(line.incident_key)
        while len(self._incidents) > self.ledger_size:
            self._incidents.popitem(last=False)

    def _load_ledger(self) -> None:
        assert self.directory is not None  # noqa: S101 - guarded by the caller
        path = self.directory / LEDGER_NAME
        if not path.exists():
            return
        decoder = msgspec.json.Decoder(_LedgerLine)
        for raw in path.read_bytes().splitlines():
            self._ledger_lines += 1
            try:
                self._remember(decoder.decode(raw))
            except msgspec.DecodeError:
                continue  # a torn last line after a crash: the pending file is still there

    def mark_delivered(self, alert: Alert) -> None:
        line = _LedgerLine(alert.id, alert.incident_key, alert.version, alert.severity)
        self._remember(line)
        if self.directory is None:
            return
        path = self.directory / LEDGER_NAME
        with open(path, "ab") as stream:
            stream.write(msgspec.json.encode(line) + b"\n")
            stream.flush()
            os.fsync(stream.fileno())
        self._ledger_lines += 1
        if self._ledger_lines > 2 * self.ledger_size:
            self._compact_ledger()

    def _compact_ledger(self) -> None:
        assert self.directory is not None  # noqa: S101 - guarded by the caller
        data = b"".join(msgspec.json.encode(line) + b"\n" for line in self._ids.values())
        _atomic_write(self.directory / LEDGER_NAME, data)
        self._ledger_lines = len(self._ids)

    # -- pending ----------------------------------------------------------------------------

    def _load_pending(self) -> None:
        assert self.directory is not None  # noqa: S101 - guarded by the caller
        decoder = msgspec.json.Decoder(_SpoolRecord)
        loaded: list[Pending] = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                record = decoder.decode(path.read_bytes())
            except (OSError, msgspec.DecodeError) as exc:
                self._quarantine(path, f"unreadable spool file: {type(exc).__name__}")
                continue
            if self.is_delivered(record.alert.id):
                path.unlink(missing_ok=True)  # accepted before a crash: never send again
                continue
            loaded.append(Pending(alert=record.alert, enqueued_ns=record.enqueued_ns))
        for item in sorted(loaded, key=lambda p: p.enqueued_ns):
            self.pending[item.alert.incident_key] = item

    def put(self, alert: Alert) -> Pending:
        """Spool ``alert`` (replacing a pending older version of its incident) and return it."""
        previous = self.pending.get(alert.incident_key)
        enqueued = previous.enqueued_ns if previous is not None else time.time_ns()
        if self.directory is not None:
            record = _SpoolRecord(format=SPOOL_FORMAT, enqueued_ns=enqueued, alert=alert)
            _atomic_write(self._path(alert.incident_key), msgspec.json.encode(record))
        item = Pending(alert=alert, enqueued_ns=enqueued)
        self.pending[alert.incident_key] = item  # keeps the queue position of the incident
        return item

    def remove(self, alert: Alert) -> None:
        """Drop ``alert`` from the queue, unless a newer version of its incident replaced it."""
        current = self.pending.get(alert.incident_key)
        if current is None or current.alert.id != alert.id:
            return
        del self.pending[alert.incident_key]
        if self.directory is not None:
            self._path(alert.incident_key).unlink(missing_ok=True)

    def fail(self, alert: Alert, reason: str) -> None:
        """Give up on ``alert``: out of the queue, into ``failed/`` with the reason."""
        self.failed.append((alert, reason))
        current = self.pending.get(alert.incident_key)
        if current is not None and current.alert.id == alert.id:
            del self.pending[alert.incident_key]
            if self.directory is not None:
                self._quarantine(self._path(alert.incident_key), reason, alert=alert)

    def _quarantine(self, path: Path, reason: str, *, alert: Alert | None = None) -> None:
        assert self.directory is not None  # noqa: S101 - guarded by the caller
        failed = self.directory / FAILED_DIR
        failed.mkdir(exist_ok=True)
        name = f"{alert.id if alert is not None else path.stem}.json"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        document: dict[str, Any] = {"reason": reason, "spool_file": path.name}
        if alert is not None:
            document["alert"] = msgspec.to_builtins(alert)
        else:
            with contextlib.suppress(OSError):
                document["raw"] = path.read_bytes()[:100_000].decode("utf-8", "replace")
        _atomic_write(failed / safe, msgspec.json.encode(document))
        path.unlink(missing_ok=True)
        log.warning("notify: gave up on a delivery (%s); kept in %s", reason, failed / safe)

    def _path(self, incident_key: str) -> Path:
        assert self.directory is not None  # noqa: S101 - guarded by the caller
        return self.directory / f"{_file_key(incident_key)}.json"
