"""Syslog text lines (RFC 3164 BSD, rsyslog ISO/RFC 3339 and RFC 5424) -> authentication events.

One compiled regex reads the header (optional ``<PRI>``, timestamp, host, ``prog[pid]:``); the
program name picks a small handler (sshd, sudo, su, shadow-utils, PAM) that reads the message.
A well-formed syslog line nobody maps (kernel, cron, ftpd ...) gives ``[]`` (skipped); a line
that is not syslog at all raises :class:`BadRecord`.

Time: RFC 3164 stamps have neither year nor zone. They are read as **UTC** (``RFC3164_TZ``) and
the year comes from ``ctx.reference_time`` (the file's mtime): its year, or the year before when
the stamp would lie more than a day after it. Later lines follow the previous line's year, plus
one when the month falls back by six or more (Dec -> Jan), minus one when it jumps forward by
seven or more (a late December line after January ones); ``ctx.state`` keeps the last
``(year, month)``. ISO and RFC 5424 stamps carry their own year and offset.

Duplicates: one sshd password attempt is logged by PAM and by sshd (``sshd.failed``); the modern
``pam_unix(sshd:auth)`` twin is skipped so attempts are counted once (the old ``sshd(pam_unix)``
form, which has no twin, is kept). A connection of an existing account that ends before
authentication (``Connection closed by authenticating user U ADDR port P [preauth]``, OpenSSH
>= 7.5) is a failed logon ``sshd.closed_preauth`` only when no ``Failed`` line of the same
connection (host, peer, source port) came first: at LogLevel INFO sshd logs a refused key only
once the connection has MaxAuthTries / 2 (3) failures behind it, so that line is all a short
key spray leaves; after a logged failure it is the same attempt's second line (``ctx.state``
keeps the open failed connections, at most ``MAX_OPEN_FAILED_CONNECTIONS``). Kept and told
apart by ``event_id``: a connection for an unknown account adds ``sshd.invalid_user``; one
``su`` may log ``su.to``/``su.success`` and ``su.session``; ``usermod -aG`` logs
``usermod.group_add`` and ``usermod.shadow_group_add``. Count attempts on one event id per
source when counts matter.

>>> from datetime import UTC, datetime
>>> ctx = ParseContext(tenant="t", source="auth.log", position=7,
...                    reference_time=datetime(2024, 12, 11, tzinfo=UTC))
>>> [event] = SyslogParser().parse(
...     "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 "
...     "port 49116 ssh2", ctx)
>>> event.action, event.user, event.src_ip, event.dst_host, event.time.isoformat()
(<Action.LOGON: 'logon'>, 'fztu', '119.137.62.142', 'labsz', '2024-12-10T09:32:20+00:00')
>>> event.event_id, event.auth_protocol, event.record_id
('sshd.accepted', 'password', 'auth.log:7')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import ClassVar

from schemas.event import Action, Event, Outcome
from schemas.normalise import is_canonical_ipv4, normalise_host, normalise_ip, normalise_user
from schemas.parsers.base import (
    MAX_TIME,
    MIN_TIME,
    ONE_DAY,
    BadRecord,
    ParseContext,
    Record,
    parse_time,
    register,
)
from schemas.sensitive import PRIVILEGED_USERS, is_sensitive_group

#: What the compiled reader returns for a line it reads (see ``_native_events``).
_NativeHit = tuple[
    int, datetime | None, int, int, int, int, int, str, int, str, str, str, str, str, int, str
]


def _load_native() -> Callable[[str, tuple[int, int] | None], _NativeHit | None] | None:
    """The compiled reader of RFC 3164 sshd and sudo lines (schemas/native, built by ``make``);
    without it every line takes the pure-Python path below, with the same events."""
    try:
        from vigil_native import sshd_line
    except ImportError:  # pragma: no cover - other machines
        return None
    return sshd_line


_native_sshd_line = _load_native()

#: True when lines go through the compiled reader first (tests/schemas/test_syslog_native.py).
NATIVE = _native_sshd_line is not None

__all__ = ["MAX_LINE_CHARS", "MAX_REPEAT", "RFC3164_TZ", "JournaldParser", "SyslogParser"]

#: Zone assumed for RFC 3164 stamps, which carry none (made configurable later).
RFC3164_TZ: tzinfo = UTC
#: Longer lines are not syslog (RFC 3164 allows 1 KiB; rsyslog's default maximum is 8 KiB).
MAX_LINE_CHARS = 64 * 1024
#: ``message repeated N times`` yields N events, at most this many.
MAX_REPEAT = 1000

_SOURCE_FORMAT = "syslog"
_STATE_YEAR_MONTH = "syslog.year_month"
#: The key in ``ctx.state`` that says this input's years were inferred (RFC 3164 stamps).
YEAR_INFERRED_STATE = _STATE_YEAR_MONTH
_STATE_LAST_STAMP = "syslog.last_stamp"
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}

# RFC 3164 / rsyslog traditional and RFC 3339 ("ISO") forms, with an optional <PRI>. The tag is
# optional (RFC 3164 allows lines without one); such lines are syslog but nobody maps them.
# GNOME writes the tag "gdm-password]:" (a stray bracket, no pid); it is accepted.
_HEADER = re.compile(
    r"(?:<\d{1,3}>)?"
    r"(?:(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(?P<day>[ \d]\d) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)(?:\.\d{1,9})?"
    r"|(?P<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:?\d\d)?)"
    # journalctl -o short-full ("Mon 2024-05-06 00:17:00 UTC") and -o short-unix (epoch seconds)
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<full>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)"
    r" (?P<zone>[A-Za-z][\w+-]{0,9})"
    r"|(?P<unix>\d{9,10}(?:\.\d{1,9})?))"
    r" +(?P<host>\S+)"
    r"(?: +(?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>[^\]\s]{1,20})\]|\])?:(?= |$))?"
    r" ?(?P<msg>.*)",
    re.DOTALL,
)
# RFC 5424: <PRI>1 TIMESTAMP HOST APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
_RFC5424 = re.compile(
    r"<\d{1,3}>1 (?P<iso>\S+) (?P<host>\S+) (?P<prog>\S+) (?P<pid>\S+) \S+ "
    r'(?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)'
    r"(?: (?:\ufeff)?(?P<msg>.*))?",
    re.DOTALL,
)

# --- sshd -------------------------------------------------------------------------------------
_SSH_ACCEPTED = re.compile(r"Accepted (\S+) for (.*?) from (\S+) port \d+")
_SSH_FAILED = re.compile(r"Failed (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)")
# OpenSSH >= 7.5 names the account when a connection ends before authentication succeeded.
_SSH_CLOSED = re.compile(
    r"(?:Connection closed by|Connection reset by|Disconnected from) authenticating user "
    r"(.*?) (\S+) port (\d+) \[preauth\]\s*$"
)
_SSH_INVALID = re.compile(r"Invalid user (.*?) from (\S+)(?: port \d+)?\s*$")
_SSH_NOT_ALLOWED = re.compile(r"User (\S+) from (\S+) not allowed because")
_REPEATED = re.compile(r"message repeated (\d{1,9}) times: \[ ?(.*)\]\s*$", re.DOTALL)
# --- PAM --------------------------------------------------------------------------------------
_PAM_PREFIX = re.compile(r"pam_unix\(([\w.-]+):(\w+)\): ")
_PAM_KV = re.compile(r"(\w+)=(\S*)")
_PAM_SESSION_OPENED = re.compile(r"session opened for user (\S+?)(?:\(uid=\d+\))? by (\S*)")
_PAM_ACTOR = re.compile(r"(.*?)\(uid=(\d+)\)")
_PAM_PASSWORD_CHANGED = re.compile(r"password changed for (\S+)")
# --- sudo / su --------------------------------------------------------------------------------
_SUDO = re.compile(r"\s*(\S+) : (.*)", re.DOTALL)
_SU_TO = re.compile(r"(FAILED SU )?\(to (\S+)\) (\S+) on ")
_SU_FOR = re.compile(r"(Successful|FAILED) su for (\S+) by (\S+)")
# pkexec: "alice: Executing command [USER=root] [TTY=/dev/pts/1] [CWD=/home/alice] [COMMAND=..]"
_PKEXEC = re.compile(r"(\S+): (.*?) \[USER=([^\]]*)\](?: \[TTY=[^\]]*\])?(?: \[CWD=[^\]]*\])?"
                     r"(?: \[COMMAND=(.*)\])?\s*$", re.DOTALL)  # fmt: skip
# --- shadow-utils -----------------------------------------------------------------------------
_NEW_USER = re.compile(r"new user: name=([^,\s]+), UID=(\d+)")
_NEW_GROUP = re.compile(r"new group: name=([^,\s]+)")
_DELETE_USER = re.compile(r"delete user '([^']+)'")
_GROUP_MEMBER = re.compile(r"(add|delete) '([^']+)' (?:to|from) (shadow )?group '([^']+)'")
_GPASSWD = re.compile(r"user (\S+) (added|removed) by (\S+) (?:to|from) group (\S+)")
_GROUP_DELETED = re.compile(r"group '([^']+)' removed\s*$")
_LOCK = re.compile(r"(lock|unlock) user '([^']+)' password")
_UID_CHANGE = re.compile(r"change user '([^']+)' UID from '(\d+)' to '(\d+)'")
_PASSWD_CHANGED_BY = re.compile(r"password for '([^']+)' changed by '([^']+)'")

_SUDO_REASONS = (
    ("incorrect password", "bad_password"),
    ("NOT in sudoers", "not_in_sudoers"),
    ("NOT allowed to run sudo", "not_allowed_on_host"),
    ("command not allowed", "command_not_allowed"),
    ("password is required", "password_required"),
)
# PAM services whose sessions and failures are interactive logons at the machine itself.
_CONSOLE_SERVICES = frozenset({"login", "gdm", "gdm-password", "lightdm", "xdm", "kdm", "sddm"})
# Display managers open a session for their own greeter account before anyone logs on.
_GREETER_ACCOUNTS = frozenset({"gdm", "lightdm", "sddm", "xdm"})
_SU_SERVICES = frozenset({"su", "su-l"})
_PASSWORD_SERVICES = frozenset({"passwd", "chpasswd", "chage", "newusers"})
_SSHD_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth"})


class _Line:
    """What every handler needs from the header (a plain class: faster than a dataclass)."""

    __slots__ = ("app", "ctx", "dst_host", "pam", "record_id", "time")

    def __init__(
        self, ctx: ParseContext, time: datetime, dst_host: str, app: str, pam: bool
    ) -> None:
        self.ctx = ctx
        self.time = time
        self.dst_host = dst_host
        self.app = app
        self.pam = pam  # old Linux-PAM tag form "sshd(pam_unix)[pid]"
        self.record_id = f"{ctx.source}:{ctx.position}"

    def event(self, action: Action, event_id: str, **fields: str | bool | Outcome) -> Event:
        return Event(
            time=self.time,
            tenant=self.ctx.tenant,
            source_format=_SOURCE_FORMAT,
            action=action,
            dst_host=self.dst_host,
            app=self.app,
            event_id=event_id,
            record_id=self.record_id,
            **fields,  # type: ignore[arg-type]
        )


Handler = Callable[[_Line, str], list[Event]]


@lru_cache(maxsize=4096)
def _host(value: str) -> str:
    return normalise_host(value)


@lru_cache(maxsize=65536)
def _user(value: str) -> str:
    """``normalise_user`` for sshd's hot lines (accounts repeat, addresses do not)."""
    return normalise_user(value)


def _peer(value: str) -> tuple[str, str]:
    """``(src_ip, src_host)`` for a peer written as an address or a host name."""
    # Canonical IPv4 first, outside the cache: internet-facing logs carry more distinct
    # addresses than it holds, and a miss (lookup, insert, eviction) costs more than the check.
    if is_canonical_ipv4(value):
        return value, ""
    return _peer_name(value)


@lru_cache(maxsize=65536)
def _peer_name(value: str) -> tuple[str, str]:
    ip = normalise_ip(value)
    if ip:
        return ip, ""
    host = normalise_host(value)
    if host.isdigit():
        # Reverse DNS such as "5.36.59.76.dynamic-dsl-ip.omantel.net.om": the short name "5"
        # would merge unrelated peers, so such a name is kept whole.
        host = value.strip().rstrip(".").lower()
    return "", host


def _privileged_target(user: str) -> bool:
    return user in PRIVILEGED_USERS


# --- sshd ---------------------------------------------------------------------------------------


def _ssh_logon(
    line: _Line, event_id: str, user: str, peer: str, auth_protocol: str = "", reason: str = ""
) -> list[Event]:
    """An sshd logon (``sshd.accepted``) or failed logon (every other id) from ``peer``. The
    Event is built here, not with ``line.event``'s keywords: this is the hottest line kind of
    an internet-facing host, and packing keywords cost ~8 % of parsing it."""
    ip, host = _peer(peer)
    accepted = event_id == "sshd.accepted"
    return [
        Event(
            time=line.time,
            tenant=line.ctx.tenant,
            source_format=_SOURCE_FORMAT,
            action=Action.LOGON if accepted else Action.LOGON_FAILED,
            outcome=Outcome.SUCCESS if accepted else Outcome.FAILURE,
            user=_user(user),
            src_ip=ip,
            src_host=host,
            dst_host=line.dst_host,
            logon_type="ssh",
            auth_protocol=auth_protocol,
            app=line.app,
            event_id=event_id,
            record_id=line.record_id,
            reason=reason,
        )
    ]


def _sshd(line: _Line, msg: str) -> list[Event]:
    if msg.startswith("Failed "):
        m = _SSH_FAILED.match(msg)
        if m is None:
            return []
        method, invalid, user, peer, port = m.groups()
        if not invalid:
            _note_failed_connection(line.ctx, line.dst_host, _peer(peer), port)
        if invalid:
            reason = "invalid_user"
        elif method in ("password", "keyboard-interactive/pam", "keyboard-interactive"):
            reason = "bad_password"
        elif method == "publickey":
            reason = "bad_key"
        else:
            reason = "auth_failed"
        return _ssh_logon(
            line, "sshd.failed", user, peer, auth_protocol=_method(method), reason=reason
        )
    if msg.startswith("Invalid user "):
        m = _SSH_INVALID.match(msg)
        if m is None:
            return []
        return _ssh_logon(line, "sshd.invalid_user", m.group(1), m.group(2), reason="invalid_user")
    if msg.startswith("pam_unix(") or line.pam:
        return _pam(line, msg, "sshd")
    if msg.startswith("Accepted "):
        m = _SSH_ACCEPTED.match(msg)
        if m is None:
            return []
        return _ssh_logon(
            line, "sshd.accepted", m.group(2), m.group(3), auth_protocol=_method(m.group(1))
        )
    if msg.startswith("message repeated "):
        return _repeated(line, msg, _sshd)
    if msg.startswith("User "):
        m = _SSH_NOT_ALLOWED.match(msg)
        if m is None:
            return []
        return _ssh_logon(line, "sshd.not_allowed", m.group(1), m.group(2), reason="not_allowed")
    if msg.startswith(_CLOSED_PREFIXES):
        m = _SSH_CLOSED.match(msg)
        if m is None:
            return []
        user, peer, port = m.groups()
        ip, host = _peer(peer)
        if _had_failure(line.ctx, line.dst_host, (ip, host), port):
            return []
        return _ssh_logon(line, "sshd.closed_preauth", user, peer, reason="closed_preauth")
    # Connection closed by invalid user (its "Invalid user" line counted it) / Received
    # disconnect / reverse mapping / POSSIBLE BREAK-IN ATTEMPT / input_userauth_request /
    # PAM n more failures (summaries of lines already counted) ...
    return []


_CLOSED_PREFIXES = ("Connection closed by ", "Connection reset by ", "Disconnected from ")
_STATE_FAILED_CONNECTIONS = "sshd.failed_connections"
#: Connections whose failure sshd logged and whose preauth close has not been read yet, at most
#: this many per input (the oldest are forgotten: a connection that succeeded never closes so).
MAX_OPEN_FAILED_CONNECTIONS = 4096


def _note_failed_connection(
    ctx: ParseContext, dst_host: str, peer: tuple[str, str], port: str
) -> None:
    """Remember that sshd logged a failure on this connection (host, peer, source port)."""
    open_failed: dict[tuple[str, str, str, str], None] | None = ctx.state.get(
        _STATE_FAILED_CONNECTIONS
    )
    if open_failed is None:
        open_failed = ctx.state[_STATE_FAILED_CONNECTIONS] = {}
    open_failed[(dst_host, peer[0], peer[1], port)] = None
    if len(open_failed) > MAX_OPEN_FAILED_CONNECTIONS:
        del open_failed[next(iter(open_failed))]


def _had_failure(ctx: ParseContext, dst_host: str, peer: tuple[str, str], port: str) -> bool:
    """Whether a failure of this connection was logged before its preauth close (and forget it).

    sshd at its default level (INFO) logs every failed password, but a refused public key (or
    other non-password method) only once the connection has MaxAuthTries / 2 (3) failures
    behind it (OpenSSH ``auth_log``): a connection that offered a key or two and gave up leaves
    nothing but its close line. The close line
    of a connection whose failure was logged is that failure's second line and counts nothing.
    """
    open_failed = ctx.state.get(_STATE_FAILED_CONNECTIONS)
    if not open_failed:
        return False
    return open_failed.pop((dst_host, peer[0], peer[1], port), False) is None


def _method(method: str) -> str:
    """``keyboard-interactive/pam`` -> ``keyboard-interactive``; other method names as given."""
    return method.split("/", 1)[0].lower()


def _repeated(line: _Line, msg: str, handler: Handler) -> list[Event]:
    m = _REPEATED.match(msg)
    if m is None:
        return []
    events = handler(line, m.group(2))
    return events * min(int(m.group(1)), MAX_REPEAT)


# --- PAM ----------------------------------------------------------------------------------------


def _pam(line: _Line, msg: str, service: str) -> list[Event]:
    """``pam_unix(SERVICE:TYPE): ...`` inside any program, or the old ``prog(pam_unix)`` tag."""
    if msg.startswith("pam_unix("):
        m = _PAM_PREFIX.match(msg)
        if m is None:
            return []
        service = m.group(1)
        msg = msg[m.end() :]
        modern = True
    else:
        modern = False
    if msg.startswith("authentication failure;"):
        if modern and service == "sshd":
            # sshd logs its own "Failed password" line for the same attempt; counting both
            # would double every failure. The old ``sshd(pam_unix)`` tag has no such twin.
            return []
        return _pam_auth_failure(line, msg, service)
    if msg.startswith("session opened "):
        return _pam_session(line, msg, service, modern)
    if msg.startswith("password changed ") and service in _PASSWORD_SERVICES:
        m = _PAM_PASSWORD_CHANGED.match(msg)
        if m is None:
            return []
        return [
            line.event(
                Action.ACCOUNT_CHANGE,
                f"{service}.password_changed",
                target_user=normalise_user(m.group(1)),
                object="password_reset",
            )
        ]
    return []  # check pass; user unknown / session closed / other modules


def _pam_fields(msg: str) -> dict[str, str]:
    return dict(_PAM_KV.findall(msg))


def _pam_auth_failure(line: _Line, msg: str, service: str) -> list[Event]:
    fields = _pam_fields(msg)
    user = normalise_user(fields.get("user"))
    if service == "sshd":
        ip, host = _peer(fields.get("rhost", ""))
        return [
            line.event(
                Action.LOGON_FAILED,
                "sshd.pam_auth_failure",
                outcome=Outcome.FAILURE,
                user=user,
                src_ip=ip,
                src_host=host,
                logon_type="ssh",
                auth_protocol="password",
                # pam_unix leaves user= out when the account does not exist
                reason="bad_password" if user else "invalid_user",
            )
        ]
    if service in _CONSOLE_SERVICES:
        return [
            line.event(
                Action.LOGON_FAILED,
                f"{service}.pam_auth_failure",
                outcome=Outcome.FAILURE,
                user=user,
                logon_type="console",
                auth_protocol="password",
                reason="bad_password" if user else "invalid_user",
            )
        ]
    if service in _SU_SERVICES:
        actor = normalise_user(fields.get("ruser") or fields.get("logname"))
        return [
            line.event(
                Action.PRIVILEGE_USE,
                "su.pam_auth_failure",
                outcome=Outcome.FAILURE,
                user=actor,
                target_user=user,
                privileged=_privileged_target(user),
                reason="bad_password",
            )
        ]
    return []  # sudo logs its own "incorrect password attempts" line; other services unused


def _pam_session(line: _Line, msg: str, service: str, modern: bool) -> list[Event]:
    m = _PAM_SESSION_OPENED.match(msg)
    if m is None:
        return []
    target = normalise_user(m.group(1))
    actor = _pam_actor(m.group(2))
    if service in _SU_SERVICES:
        return [
            line.event(
                Action.PRIVILEGE_USE,
                "su.session",
                user=actor,
                target_user=target,
                privileged=_privileged_target(target),
            )
        ]
    if service in _CONSOLE_SERVICES and target not in _GREETER_ACCOUNTS:
        return [line.event(Action.LOGON, f"{service}.session", user=target, logon_type="console")]
    if service == "sshd" and not modern:
        # Old "sshd(pam_unix)" tag (RHEL messages file): sshd's own "Accepted" line went to
        # another file, so the session is the only record of the logon. In a modern auth.log
        # the "Accepted" line is there and "pam_unix(sshd:session)" would double it.
        return [line.event(Action.LOGON, "sshd.session_opened", user=target, logon_type="ssh")]
    return []


def _pam_actor(text: str) -> str:
    """``alice(uid=1000)`` -> alice; ``(uid=0)`` -> root; ``LOGIN(uid=0)`` (login(1)) -> root."""
    m = _PAM_ACTOR.match(text)
    if m is None:
        return normalise_user(text)
    name, uid = m.groups()
    if name and name != "LOGIN":
        return normalise_user(name)
    return "root" if uid == "0" else ""


# --- sudo / su ----------------------------------------------------------------------------------


def _sudo(line: _Line, msg: str) -> list[Event]:
    if msg.startswith("pam_unix("):
        return []  # sudo's session/auth PAM lines repeat its own command line
    m = _SUDO.match(msg)
    if m is None:
        return []
    user, rest = m.groups()
    head, sep, command = rest.partition("COMMAND=")
    if not sep:
        return []  # "unable to resolve host", "sorry, you must have a tty" ...
    target = ""
    parts = head.split(" ; ")
    problem = parts[0].strip(" ;") if "=" not in parts[0] else ""  # the problem comes first
    for part in parts:
        part = part.strip(" ;")
        if part.startswith("USER="):
            target = part[5:]
    target_user = normalise_user(target) or "root"  # sudo's default runas user
    reason = ""
    if problem:
        reason = next(
            (code for needle, code in _SUDO_REASONS if needle in problem),
            problem.lower().replace(" ", "_")[:64],
        )
    return [
        line.event(
            Action.PRIVILEGE_USE,
            "sudo.command",
            outcome=Outcome.FAILURE if problem else Outcome.SUCCESS,
            user=normalise_user(user),
            target_user=target_user,
            object=command.strip()[:512],
            privileged=_privileged_target(target_user),
            reason=reason,
        )
    ]


def _su(line: _Line, msg: str) -> list[Event]:
    if msg.startswith("pam_unix(") or line.pam:
        return _pam(line, msg, "su")
    m = _SU_TO.match(msg)
    if m is not None:
        failed, target, actor = m.groups()
        event_id = "su.failed" if failed else "su.to"
    else:
        m = _SU_FOR.match(msg)
        if m is None:
            return []
        verdict, target, actor = m.groups()
        failed = verdict if verdict == "FAILED" else None
        event_id = "su.failed" if failed else "su.success"
    target_user = normalise_user(target)
    return [
        line.event(
            Action.PRIVILEGE_USE,
            event_id,
            outcome=Outcome.FAILURE if failed else Outcome.SUCCESS,
            user=normalise_user(actor),
            target_user=target_user,
            privileged=_privileged_target(target_user),
            reason="bad_password" if failed else "",
        )
    ]


def _pkexec(line: _Line, msg: str) -> list[Event]:
    """pkexec (polkit): a command run as another user, root unless ``--user``. Its PAM session
    lines repeat the command line and are skipped, as sudo's are.

    ``Executing command`` is an elevation that polkit allowed; ``Error executing command as
    another user: Not authorized`` is one it refused. ``The value for the SHELL variable was
    not found the /etc/shells file`` is where pkexec stops on a bad environment, and also the
    message CVE-2021-4034 (PwnKit) makes pkexec log: its ``g_printerr`` loads the exploit's
    GCONV_PATH module, which runs as root. It is read as an elevation that happened (reason
    ``bad_environment``): a user's ordinary pkexec never writes it."""
    if msg.startswith("pam_unix("):
        return []
    m = _PKEXEC.match(msg)
    if m is None:
        return []
    user, what, target, command = m.groups()
    target_user = normalise_user(target) or "root"
    if what.startswith("Executing command"):
        outcome, reason = Outcome.SUCCESS, ""
    elif "SHELL variable was not found" in what:
        outcome, reason = Outcome.SUCCESS, "bad_environment"
    elif what.startswith("Error executing command"):
        outcome, reason = Outcome.FAILURE, "not_authorized"
    else:
        return []
    return [
        line.event(
            Action.PRIVILEGE_USE,
            "pkexec.command",
            outcome=outcome,
            user=normalise_user(user),
            target_user=target_user,
            object=(command or "").strip()[:512],
            privileged=_privileged_target(target_user),
            reason=reason,
        )
    ]


# --- shadow-utils -------------------------------------------------------------------------------


def _account(line: _Line, event_id: str, target: str, what: str, **extra: str | bool) -> Event:
    return line.event(
        Action.ACCOUNT_CHANGE, event_id, target_user=normalise_user(target), object=what, **extra
    )


def _group_member(line: _Line, msg: str) -> list[Event]:
    m = _GROUP_MEMBER.match(msg)
    if m is None:
        return []
    verb, member, shadow, group = m.groups()
    kind = "shadow_group" if shadow else "group"
    return [_group_change(line, f"{line.app}.{kind}_{verb}", "", member, group, verb == "add")]


def _group_change(
    line: _Line, event_id: str, actor: str, member: str, group: str, added: bool
) -> Event:
    group_name = group.strip().lower()
    return line.event(
        Action.GROUP_CHANGE,
        event_id,
        user=normalise_user(actor),
        target_user=normalise_user(member),
        object=group_name,
        privileged=is_sensitive_group(group_name),
        reason="added" if added else "removed",
    )


def _useradd(line: _Line, msg: str) -> list[Event]:
    if msg.startswith("new user:"):
        m = _NEW_USER.match(msg)
        if m is None:
            return []
        return [
            _account(line, "useradd.new_user", m.group(1), "created", privileged=m.group(2) == "0")
        ]
    # "new group" here is the new user's private group: the user creation already says it all
    return _group_member(line, msg)


def _userdel(line: _Line, msg: str) -> list[Event]:
    m = _DELETE_USER.match(msg)
    if m is not None:
        return [_account(line, "userdel.delete_user", m.group(1), "deleted")]
    return _group_member(line, msg)


def _usermod(line: _Line, msg: str) -> list[Event]:
    if msg.startswith(("add ", "delete ")):
        return _group_member(line, msg)
    m = _LOCK.match(msg)
    if m is not None:
        verb, user = m.groups()
        return [
            _account(line, f"usermod.{verb}", user, "disabled" if verb == "lock" else "enabled")
        ]
    m = _UID_CHANGE.match(msg)
    if m is not None:
        user, _old, new = m.groups()
        return [_account(line, "usermod.uid_change", user, "uid_changed", privileged=new == "0")]
    return []


def _groupadd(line: _Line, msg: str) -> list[Event]:
    m = _NEW_GROUP.match(msg)
    if m is None:
        return []  # "group added to /etc/group: ..." repeats "new group"
    return [_account(line, "groupadd.new_group", m.group(1), "group_created")]


def _groupdel(line: _Line, msg: str) -> list[Event]:
    m = _GROUP_DELETED.match(msg)
    if m is None:
        return []
    return [_account(line, "groupdel.delete_group", m.group(1), "group_deleted")]


def _gpasswd(line: _Line, msg: str) -> list[Event]:
    m = _GPASSWD.match(msg)
    if m is None:
        return []
    member, verb, actor, group = m.groups()
    added = verb == "added"
    event_id = "gpasswd.group_add" if added else "gpasswd.group_delete"
    return [_group_change(line, event_id, actor, member, group, added)]


def _passwd(line: _Line, msg: str) -> list[Event]:
    m = _PASSWD_CHANGED_BY.match(msg)
    if m is not None:
        target, actor = m.groups()
        return [
            line.event(
                Action.ACCOUNT_CHANGE,
                f"{line.app}.password_changed",
                user=normalise_user(actor),
                target_user=normalise_user(target),
                object="password_reset",
            )
        ]
    return _pam(line, msg, line.app)


def _generic(line: _Line, msg: str) -> list[Event]:
    """Programs without their own handler: only their PAM lines may matter (login, gdm ...)."""
    if line.pam or msg.startswith("pam_unix("):
        return _pam(line, msg, line.app)
    return []


_HANDLERS: dict[str, Handler] = {
    "sshd": _sshd,
    "sudo": _sudo,
    "su": _su,
    "pkexec": _pkexec,
    "useradd": _useradd,
    "userdel": _userdel,
    "usermod": _usermod,
    "groupadd": _groupadd,
    "groupdel": _groupdel,
    "gpasswd": _gpasswd,
    "passwd": _passwd,
    "chpasswd": _passwd,
}


@lru_cache(maxsize=1024)
def _program(tag: str) -> tuple[str, bool, Handler | None]:
    """``(app, old-pam-tag?, handler)`` for a tag such as ``/usr/sbin/sshd`` or ``su(pam_unix)``."""
    name = tag.rsplit("/", 1)[-1]
    pam = False
    if name.endswith("(pam_unix)"):
        name = name[: -len("(pam_unix)")]
        pam = True
    app = "sshd" if name in _SSHD_PROGRAMS else name
    handler = _HANDLERS.get(app)
    if handler is None and (pam or app in _CONSOLE_SERVICES):
        handler = _generic
    return app, pam, handler


# --- time ---------------------------------------------------------------------------------------


def _rfc3164_time(
    month: int, day: int, hour: int, minute: int, second: int, ctx: ParseContext
) -> datetime:
    last: tuple[int, int] | None = ctx.state.get(_STATE_YEAR_MONTH)
    if last is not None and last[1] == month:
        # The month of the line before: its year, no search (the usual case). Anything odd
        # (an impossible date, out of range) takes the full path below for its reason.
        try:
            when = datetime(last[0], month, day, hour, minute, second, tzinfo=RFC3164_TZ)
        except ValueError:
            pass
        else:
            when = when.astimezone(UTC)
            if MIN_TIME <= when < MAX_TIME:
                return when
    if last is None:
        reference = ctx.reference_time
        if reference.tzinfo is None:
            reference = reference.replace(tzinfo=UTC)
        # The reference year unless that lies in the future; Feb 29 walks back to a leap year.
        years = range(reference.year, reference.year - 5, -1)
        limit: datetime | None = reference + ONE_DAY
    else:
        year, last_month = last
        step = month - last_month
        if step <= -6:
            year += 1  # Dec -> Jan
        elif step >= 7:
            year -= 1  # a late December line after January ones
        years = range(year, year - 1, -1)
        limit = None
    for year in years:
        try:
            when = datetime(year, month, day, hour, minute, second, tzinfo=RFC3164_TZ)
        except ValueError:
            continue
        if limit is None or when <= limit:
            break
    else:
        raise BadRecord(f"absurd date: {_MONTH_NAMES[month - 1]} {day} {hour}:{minute}:{second}")
    when = when.astimezone(UTC)
    if not MIN_TIME <= when < MAX_TIME:
        raise BadRecord(f"absurd time: {when.isoformat()}")
    ctx.state[_STATE_YEAR_MONTH] = (year, month)
    return when


#: Zone names journalctl's short-full may print that are unambiguous; others (CET, EST, IST
#: ...) are refused, not guessed: export with ``-o short-iso`` or ``-o json`` instead.
_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UT"})


def _other_time(m: re.Match[str]) -> datetime:
    """The time of a header that is not RFC 3164: ISO 8601, journalctl short-full or unix."""
    iso = m.group("iso")
    if iso is not None:
        return parse_time(iso)
    full = m.group("full")
    if full is not None:
        zone = m.group("zone")
        if zone.upper() not in _UTC_NAMES:
            raise BadRecord(f"time zone name {zone[:10]!r} is ambiguous (use an offset)")
        return parse_time(full)
    seconds, _, fraction = m.group("unix").partition(".")
    # Exact to the microsecond (a float of 16 digits is not).
    when = _EPOCH + timedelta(seconds=int(seconds), microseconds=int(fraction[:6].ljust(6, "0")))
    if not MIN_TIME <= when < MAX_TIME:
        raise BadRecord(f"absurd time: {when.isoformat()}")
    return when


@register
class SyslogParser:
    """Syslog lines from sshd, sudo, su, shadow-utils and PAM as logon/privilege/account events."""

    name: ClassVar[str] = "syslog"
    kind: ClassVar[str] = "text"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, str) or len(record) > MAX_LINE_CHARS or "\x00" in record:
            return False
        line = record.rstrip("\r\n")
        return bool(_HEADER.fullmatch(line) or _RFC5424.fullmatch(line))

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        try:
            if _native_sshd_line is not None and type(record) is str:
                # The compiled reader first (an sshd or sudo line, or one of a program without
                # a handler, that it reads exactly as _parse; else None). The last line's
                # (year, month) lets it give the time of a line in the same month
                # (_rfc3164_time's first branch); only for UTC stamps.
                year_month = ctx.state.get(_STATE_YEAR_MONTH) if RFC3164_TZ is UTC else None
                hit = _native_sshd_line(record, year_month)
                if hit is not None:
                    return _native_events(hit, ctx)
            return self._parse(record, ctx)
        except BadRecord:
            raise
        except Exception as exc:  # the contract: nothing but BadRecord escapes
            raise BadRecord(f"syslog parser error: {type(exc).__name__}") from exc

    def _parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if not isinstance(record, str):
            raise BadRecord("not a text line")
        if len(record) > MAX_LINE_CHARS:
            raise BadRecord("line longer than 64 KiB")
        if "\x00" in record:
            raise BadRecord("NUL byte in line")
        line = record.rstrip("\r\n")
        m = _HEADER.fullmatch(line)
        if m is not None:
            stamp = m.group("mon", "day", "hh", "mi", "ss")
            if stamp[0] is not None:
                # Bursts share a stamp: reuse the previous line's time (same stamp, same year).
                last = ctx.state.get(_STATE_LAST_STAMP)
                if last is not None and last[0] == stamp:
                    time = last[1]
                else:
                    mon, day, hh, mi, ss = stamp
                    time = _rfc3164_time(_MONTHS[mon], int(day), int(hh), int(mi), int(ss), ctx)
                    ctx.state[_STATE_LAST_STAMP] = (stamp, time)
            else:
                time = _other_time(m)
        else:
            m = _RFC5424.fullmatch(line)
            if m is None:
                raise BadRecord("not a syslog line")
            stamp_text = m.group("iso")
            if stamp_text == "-":
                raise BadRecord("missing time")  # RFC 5424 NILVALUE
            time = parse_time(stamp_text)
        host, tag, message = m.group("host", "prog", "msg")
        if not tag or tag == "-":
            return []
        app, pam, handler = _program(tag)
        if handler is None:
            return []
        return handler(_Line(ctx, time, _host(host), app, pam), message or "")


#: The compiled reader's kinds (vigil_native.sshd_line): event id, action, outcome.
_NATIVE_KINDS: tuple[tuple[str, Action, Outcome], ...] = (
    ("", Action.OTHER, Outcome.UNKNOWN),  # 0: a line without an event
    ("sshd.accepted", Action.LOGON, Outcome.SUCCESS),
    ("sshd.failed", Action.LOGON_FAILED, Outcome.FAILURE),
    ("sshd.invalid_user", Action.LOGON_FAILED, Outcome.FAILURE),
    ("sshd.not_allowed", Action.LOGON_FAILED, Outcome.FAILURE),
    ("", Action.OTHER, Outcome.UNKNOWN),  # 5: sudo, built on its own below
    ("sshd.closed_preauth", Action.LOGON_FAILED, Outcome.FAILURE),
)
_NATIVE_SUDO = 5  # a sudo command line (_sudo): built on its own below
_NATIVE_FAILED = 2
_NATIVE_CLOSED = 6


def _native_events(hit: _NativeHit, ctx: ParseContext) -> list[Event]:
    """The events of a line the compiled reader read: what ``_parse`` with ``_sshd`` or
    ``_sudo`` gives for it. Its time is found here as there (the year, its rollover and
    ``ctx.state`` stay in Python, and the compiled reader gives the time only where
    _rfc3164_time's first branch would: the month of the line before, in its year). The
    stamp's cache key is an int here, a tuple there: a line of the other path misses the cache
    and recomputes the same time. The cache stays right when the reader gives the time without
    touching it: whatever changes the year and month in ``ctx.state`` also writes the cache."""
    key, time, mon, day, hh, mi, ss, host, kind, user, ip, peer, proto, reason, n, port = hit
    if time is None:
        state = ctx.state
        last = state.get(_STATE_LAST_STAMP)
        if last is not None and last[0] == key:
            time = last[1]
        else:
            time = _rfc3164_time(mon, day, hh, mi, ss, ctx)
            state[_STATE_LAST_STAMP] = (key, time)
    # The per-connection bookkeeping of _sshd, before the count (as there: "message repeated
    # 0 times" still reads its line).
    if kind == _NATIVE_FAILED and reason != "invalid_user":
        _note_failed_connection(ctx, host, (ip, peer), port)
    elif kind == _NATIVE_CLOSED and _had_failure(ctx, host, (ip, peer), port):
        return []
    if not kind or not n:
        return []
    if kind == _NATIVE_SUDO:
        # _sudo's event: ip and peer carry the target user and the command
        return [
            Event(
                time=time,
                tenant=ctx.tenant,
                source_format=_SOURCE_FORMAT,
                action=Action.PRIVILEGE_USE,
                outcome=Outcome.FAILURE if reason else Outcome.SUCCESS,
                user=user,
                target_user=ip,
                dst_host=host,
                app="sudo",
                object=peer,
                privileged=_privileged_target(ip),
                event_id="sudo.command",
                record_id=f"{ctx.source}:{ctx.position}",
                reason=reason,
            )
        ]
    event_id, action, outcome = _NATIVE_KINDS[kind]
    event = Event(
        time=time,
        tenant=ctx.tenant,
        source_format=_SOURCE_FORMAT,
        action=action,
        outcome=outcome,
        user=user,
        src_ip=ip,
        src_host=peer,
        dst_host=host,
        logon_type="ssh",
        auth_protocol=proto,
        app="sshd",
        event_id=event_id,
        record_id=f"{ctx.source}:{ctx.position}",
        reason=reason,
    )
    return [event] if n == 1 else [event] * n


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: journald's microseconds since the epoch: at most 17 digits for any year before 2100.
_MAX_REALTIME_DIGITS = 17


def _journal_text(value: object, field_name: str) -> str:
    """A journal field as text: a string, or the byte array journalctl writes for values that
    are not UTF-8 text (decoded with replacement); a field given several times keeps its first
    value (journalctl writes a list of the values)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list) and value:
        if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            if not all(0 <= item < 256 for item in value):
                raise BadRecord(f"{field_name} byte array out of range")
            return bytes(value).decode("utf-8", errors="replace")
        return _journal_text(value[0], field_name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRecord(f"{field_name} is not text: {type(value).__name__}")


def _journal_time(record: Mapping[str, object]) -> datetime:
    raw = record.get("__REALTIME_TIMESTAMP")
    if raw is None or raw == "":
        raw = record.get("_SOURCE_REALTIME_TIMESTAMP")
    digits = _journal_text(raw, "__REALTIME_TIMESTAMP").strip()
    if not digits:
        raise BadRecord("missing __REALTIME_TIMESTAMP")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_REALTIME_DIGITS:
        raise BadRecord(f"unparseable __REALTIME_TIMESTAMP: {digits[:40]!r}")
    when = _EPOCH + timedelta(microseconds=int(digits))
    if not MIN_TIME <= when < MAX_TIME:
        raise BadRecord(f"absurd time: {when.isoformat()}")
    return when


@register
class JournaldParser:
    """``journalctl -o json`` lines (systemd journal export): the same programs and messages as
    syslog text, so the same handlers and the same events (``source_format`` ``syslog``: the
    detectors treat a Linux log alike whichever way it was shipped).

    Time is ``__REALTIME_TIMESTAMP`` (when journald received the message, in microseconds,
    UTC); host ``_HOSTNAME``; program ``SYSLOG_IDENTIFIER`` (else ``_COMM``); ``MESSAGE``.
    """

    name: ClassVar[str] = "journald"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        return (
            isinstance(record, Mapping)
            and "MESSAGE" in record
            and ("__REALTIME_TIMESTAMP" in record or "_SOURCE_REALTIME_TIMESTAMP" in record)
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if not isinstance(record, Mapping):
            raise BadRecord("journald record is not a JSON object")
        try:
            return self._parse(record, ctx)
        except BadRecord:
            raise
        except Exception as exc:  # the contract: nothing but BadRecord escapes
            raise BadRecord(f"journald parser error: {type(exc).__name__}") from exc

    def _parse(self, record: Mapping[str, object], ctx: ParseContext) -> list[Event]:
        time = _journal_time(record)
        message = _journal_text(record.get("MESSAGE"), "MESSAGE")
        if len(message) > MAX_LINE_CHARS:
            raise BadRecord("MESSAGE longer than 64 KiB")
        tag = _journal_text(record.get("SYSLOG_IDENTIFIER"), "SYSLOG_IDENTIFIER")
        if not tag:
            tag = _journal_text(record.get("_COMM"), "_COMM")
        if not tag:
            return []
        app, pam, handler = _program(tag)
        if handler is None:
            return []
        host = _host(_journal_text(record.get("_HOSTNAME"), "_HOSTNAME"))
        return handler(_Line(ctx, time, host, app, pam), message)
