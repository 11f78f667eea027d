"""The canonical Event every parser produces and every detector consumes.

Field names follow OCSF/ECS where a clear equivalent exists (``src_ip`` ~ ``source.ip``,
``dst_host`` ~ ``destination.host``/``host.name``, ``user`` ~ ``user.name``). Entity fields are
already normalised (see :mod:`schemas.normalise`): user ids lower case without domain, host ids
short lower-case names, IPs without ``::ffff:``. An empty string means "not given by the source".

Encoded as JSON (``vigil.events`` records), a field that holds its default (``""``, ``false``,
``"success"``) is left out, and decoding fills it back in: an sshd logon is 258 bytes instead of
402, and a million of them cost the broker, the parse stage's encoder and the worker's decoder
that much less (the JSON Schema already marks those fields optional).

Events are not tracked by Python's cyclic garbage collector (``gc=False``): they hold only
strings, a datetime, enum members and a bool, so they can never be part of a reference cycle,
and a parse batch of tens of thousands of them no longer makes every collection walk them
(columnar reading of the throughput scenario +5-8 %, syslog lines kept in 20k-line chunks +11 %).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import msgspec


class Action(StrEnum):
    """What happened, as a small closed set detectors can rely on."""

    LOGON = "logon"
    LOGON_FAILED = "logon_failed"
    LOGOFF = "logoff"
    EXPLICIT_CREDENTIAL = "explicit_credential"  # 4648, runas
    PRIVILEGE_USE = "privilege_use"  # 4672, sudo, su
    GROUP_CHANGE = "group_change"  # member added/removed
    ACCOUNT_CHANGE = "account_change"  # create/enable/disable/reset/delete
    ACCOUNT_LOCKOUT = "account_lockout"
    AUTH_TICKET = "auth_ticket"  # Kerberos TGT/TGS, NTLM validation
    REMOTE_EXEC = "remote_exec"  # service install, remote WMI/WinRM
    SHARE_ACCESS = "share_access"
    PROCESS_START = "process_start"
    NETWORK_CONNECT = "network_connect"
    API_CALL = "api_call"
    POLICY_CHANGE = "policy_change"  # IAM policy/permission, audit policy
    DELETE = "delete"
    LOG_CLEARED = "log_cleared"
    OTHER = "other"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class Event(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True, gc=False):
    """One normalised security event.

    >>> from datetime import UTC, datetime
    >>> e = Event(time=datetime(2024, 5, 1, 9, 30, tzinfo=UTC), tenant="acme",
    ...           source_format="syslog", action=Action.LOGON, user="alice", src_ip="10.0.0.7")
    >>> e.outcome, e.dst_host
    (<Outcome.SUCCESS: 'success'>, '')
    """

    time: datetime
    tenant: str
    source_format: str
    action: Action
    outcome: Outcome = Outcome.SUCCESS
    user: str = ""  # the acting account
    target_user: str = ""  # the account acted upon (group member added, account reset, runas)
    src_ip: str = ""
    src_host: str = ""
    dst_host: str = ""  # the host where it happened / the host reached
    logon_type: str = ""  # Windows logon type number, "ssh", "console", ...
    auth_protocol: str = ""  # kerberos, ntlm, password, publickey, saml, ...
    app: str = ""  # service/application (sshd, AWS service, Okta app)
    country: str = ""
    asn: str = ""
    user_agent: str = ""
    device: str = ""  # workstation name or device id reported by the source
    object: str = ""  # group, share, process image, API name, service name
    privileged: bool = (
        False  # the source marks this as privileged (4672, sudo to root, admin group)
    )
    event_id: str = ""  # the source's own event type id: "4624", "ConsoleLogin", "sshd.accepted"
    record_id: str = ""  # unique id of the raw record, used as alert evidence
    reason: str = ""  # failure reason / status code when given


EVENT_FIELDS: tuple[str, ...] = tuple(Event.__struct_fields__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_time_seconds(event: Event) -> float:
    """Event time as float seconds since the Unix epoch."""
    return (event.time - _EPOCH).total_seconds()


def encode_event(event: Event) -> bytes:
    return msgspec.json.encode(event)


def decode_event(data: bytes | str) -> Event:
    return msgspec.json.decode(data, type=Event)


def event_json_schema() -> dict[str, object]:
    """The JSON Schema of :class:`Event` (checked in as ``schemas/event.schema.json``)."""
    schema = msgspec.json.schema(Event)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Vigil canonical event"
    return schema
