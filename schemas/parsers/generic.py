"""Schema-level formats: OCSF, Elastic Common Schema, and Microsoft Sentinel / Log Analytics.

**OCSF** (``name = "ocsf"``): records with ``class_uid`` and ``metadata``; ``time`` is epoch
*milliseconds* (read here, not by :func:`~schemas.parsers.base.parse_time`, whose millisecond
detection starts at 1e14 and so misses present-day millisecond stamps). Mapped classes:
3002 Authentication, 3001 Account Change, 3006 Group Management, 3003 Authorize Session,
1007 Process Activity (launch), 6003 API Activity (AWS operations through the CloudTrail
table), 4001 Network Activity (open); other classes and activities give ``[]``.

**ECS** (``name = "ecs"``): ``@timestamp`` plus an ``event`` object, not Winlogbeat (``winlog``
belongs to the Windows parser) and not CloudTrail. ``event.category`` picks the handler
(authentication, session, iam, process, network, file, configuration, api); records whose
``event.provider`` is an AWS service use the CloudTrail table on ``event.action``. Other
categories give ``[]``.

**Sentinel** (``name = "sentinel"``): Log Analytics rows (``TimeGenerated`` + ``Type``) and
Microsoft 365 Defender advanced-hunting rows (``Timestamp`` + ``ActionType`` + ``ReportId``), as
exported by the Security-Datasets GoldenSAML scenario. Dynamic columns arrive as JSON text and
are decoded (bounded) with :func:`~schemas.parsers.identity.decode_json_field`; export
artefacts such as ``ReportId_long`` / ``AdditionalFields_string`` are read too. Mapped tables:
``SigninLogs`` (and the AAD non-interactive / service-principal variants, like Entra),
``AuditLogs`` (like Entra audit), ``OfficeActivity``, ``CloudAppEvents``, ``DeviceEvents``
(``LdapSearch``) and ``IdentityDirectoryEvents`` (``Directory Services replication``). Query
results often overwrite ``Type`` (two GoldenSAML audit rows say ``Application`` and
``ServicePrincipal``), so an unknown ``Type`` falls back to recognising the table by its
columns. Rows with ``EventID`` (``SecurityEvent``, ``Event``) are the Windows parser's and are
not sniffed here; other tables give ``[]``.

>>> ctx = ParseContext(tenant="t")
>>> [e] = OcsfParser().parse({"class_uid": 3002, "activity_id": 1, "status_id": 2,
...     "time": 1714555800000, "metadata": {"uid": "m-1", "version": "1.1.0"},
...     "user": {"name": "ALICE@corp.example"}, "src_endpoint": {"ip": "10.1.2.3"},
...     "dst_endpoint": {"hostname": "srv1.corp.example"}, "logon_type_id": 3}, ctx)
>>> e.action, e.user, e.src_ip, e.dst_host, e.logon_type
(<Action.LOGON_FAILED: 'logon_failed'>, 'alice', '10.1.2.3', 'srv1', '3')
>>> e.time.isoformat(), e.record_id, e.event_id
('2024-05-01T09:30:00+00:00', 'm-1', '300201')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from schemas.event import Action, Event, Outcome
from schemas.normalise import is_empty, normalise_host, normalise_ip, normalise_user
from schemas.parsers.base import (
    PARSERS,
    BadRecord,
    ParseContext,
    Record,
    dig,
    first,
    guarded,
    parse_time,
    register,
    text,
)
from schemas.parsers.cloudtrail import action_for
from schemas.parsers.identity import (
    ENTRA_AUDIT_ACTIONS,
    HIGH_IMPACT_SCOPES,
    audit_key,
    decode_json_field,
    entra_audit_events,
    entra_signin_events,
)
from schemas.sensitive import is_sensitive_group

__all__ = ["EcsParser", "OcsfParser", "SentinelParser"]

_MAX_LIST = 50


# --------------------------------------------------------------------------------------------
# shared helpers


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value[:_MAX_LIST] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    """A string or list of strings (ECS ``event.category`` / ``event.type``), lower case."""
    items = value if isinstance(value, list) else [value]
    return [item.lower() for item in items[:_MAX_LIST] if isinstance(item, str)]


def _clean(value: str) -> str:
    return "" if is_empty(value) else value


def _ip_or_host(value: str) -> tuple[str, str]:
    """``(ip, host)`` from an address field that may hold either (ECS ``source.address``)."""
    ip = normalise_ip(value)
    return (ip, "") if ip else ("", normalise_host(value))


# --------------------------------------------------------------------------------------------
# OCSF

_OCSF_FORMAT = "ocsf"
_OCSF_SUCCESS, _OCSF_FAILURE = 1, 2

# Class 3001 Account Change activity_id -> (action, verb).
_OCSF_ACCOUNT: dict[int, tuple[Action, str]] = {
    1: (Action.ACCOUNT_CHANGE, "created"),
    2: (Action.ACCOUNT_CHANGE, "enabled"),
    3: (Action.ACCOUNT_CHANGE, "password_changed"),
    4: (Action.ACCOUNT_CHANGE, "password_reset"),
    5: (Action.ACCOUNT_CHANGE, "disabled"),
    6: (Action.ACCOUNT_CHANGE, "deleted"),
    7: (Action.POLICY_CHANGE, "policy_attached"),
    8: (Action.POLICY_CHANGE, "policy_detached"),
    9: (Action.ACCOUNT_LOCKOUT, "locked"),
    10: (Action.ACCOUNT_CHANGE, "mfa_enabled"),
    11: (Action.ACCOUNT_CHANGE, "mfa_disabled"),
    12: (Action.ACCOUNT_CHANGE, "unlocked"),
}
# Class 3006 Group Management activity_id -> action (1/2 change what a group may do).
_OCSF_GROUP: dict[int, Action] = {
    1: Action.POLICY_CHANGE,
    2: Action.POLICY_CHANGE,
    3: Action.GROUP_CHANGE,
    4: Action.GROUP_CHANGE,
    5: Action.GROUP_CHANGE,
    6: Action.GROUP_CHANGE,
}
_OCSF_CLASSES_NEEDING_USER = frozenset({3001, 3002, 3003, 3006})


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _ocsf_outcome(record: Mapping[str, Any]) -> Outcome:
    status_id = _int(record.get("status_id"))
    if status_id == _OCSF_SUCCESS:
        return Outcome.SUCCESS
    if status_id == _OCSF_FAILURE:
        return Outcome.FAILURE
    status = text(record.get("status"), limit=32).lower()
    if status == "success":
        return Outcome.SUCCESS
    if status == "failure":
        return Outcome.FAILURE
    return Outcome.UNKNOWN


def _ocsf_name(user: Any) -> str:
    user = _obj(user)
    name = text(first(user, "name", "email_addr"), limit=256)
    if not name:
        # Security Lake puts CloudTrail's principalId here ("AROA...:session"): keep the
        # session name, as the CloudTrail parser does for assumed roles.
        name = text(user.get("uid"), limit=256).rsplit(":", 1)[-1]
    return normalise_user(name)


@register
class OcsfParser:
    """OCSF 1.x events (any producer: AWS Security Lake, vendors' OCSF exports)."""

    name: ClassVar[str] = "ocsf"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        return (
            isinstance(record, Mapping)
            and "class_uid" in record
            and isinstance(record.get("metadata"), Mapping)
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("ocsf", _parse_ocsf, record, ctx)


def _parse_ocsf(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    class_uid = _int(record.get("class_uid"))
    if class_uid is None:
        raise BadRecord("class_uid is not a number")
    activity = _int(record.get("activity_id")) or 0
    time = parse_time(first(record, "time", "time_dt"), field_name="time")
    outcome = _ocsf_outcome(record)
    actor_user = _ocsf_name(dig(record, "actor.user"))
    subject = _ocsf_name(record.get("user"))
    src = _obj(record.get("src_endpoint"))
    dst = _obj(record.get("dst_endpoint"))
    device = _obj(record.get("device"))
    dst_host = normalise_host(
        text(first(dst, "hostname", "name", "ip") or first(device, "hostname", "name"), limit=256)
    )

    user = subject or actor_user
    target_user = ""
    action: Action
    obj = ""
    privileged = False
    logon_type = ""
    auth_protocol = ""
    app = text(first(record, "service.name", "app_name"), limit=128)
    event_id = text(first(record, "type_uid"), limit=16) or f"{class_uid}{activity:02d}"

    if class_uid == 3002:  # Authentication
        if activity == 2:
            action = Action.LOGOFF
        elif activity in (3, 4, 5, 6):  # TGT, service ticket request/renew, preauth
            action = Action.AUTH_TICKET
            obj = app
        else:
            action = Action.LOGON_FAILED if outcome is Outcome.FAILURE else Action.LOGON
        logon_id = _int(record.get("logon_type_id"))
        if logon_id is not None and logon_id not in (0, 99):
            logon_type = str(logon_id)  # OCSF reuses the Windows logon type numbers
        else:
            logon_type = text(record.get("logon_type"), limit=32).lower()
        auth_protocol = text(record.get("auth_protocol"), limit=32).lower()
        if not auth_protocol and record.get("is_mfa") is True:
            auth_protocol = "mfa"
    elif class_uid == 3001:  # Account Change: user = the account changed, actor = who did it
        if activity not in _OCSF_ACCOUNT:
            return []
        action, obj = _OCSF_ACCOUNT[activity]
        user, target_user = actor_user or subject, subject
        if action is Action.POLICY_CHANGE:
            policy = text(dig(record, "policy.name"), limit=256)
            obj = policy or obj
            privileged = bool(policy) and is_sensitive_group(policy)
    elif class_uid == 3006:  # Group Management
        if activity not in _OCSF_GROUP:
            return []
        action = _OCSF_GROUP[activity]
        group = text(dig(record, "group.name"), limit=256)
        user, target_user, obj = actor_user or subject, subject, group
        privileged = bool(group) and is_sensitive_group(group)
    elif class_uid == 3003:  # Authorize Session (Windows 4672 / 4964)
        action = Action.PRIVILEGE_USE
        privileges = [p for p in _list(record.get("privileges")) if isinstance(p, str)]
        groups = [
            text(g.get("name"), limit=128)
            for g in _list(record.get("groups"))
            if isinstance(g, Mapping)
        ]
        obj = ",".join(privileges or groups)[:256]
        privileged = bool(privileges) or any(g and is_sensitive_group(g) for g in groups)
    elif class_uid == 1007:  # Process Activity
        if activity != 1:  # launch only; terminate/open/inject are not mapped
            return []
        action = Action.PROCESS_START
        process = _obj(record.get("process"))
        obj = text(first(process, "file.path", "name", "file.name"), limit=256)
        user = actor_user or _ocsf_name(process.get("user"))
    elif class_uid == 6003:  # API Activity
        operation = text(dig(record, "api.operation"), limit=128)
        service = text(dig(record, "api.service.name"), limit=128).lower()
        if not operation:
            raise BadRecord("API activity without api.operation")
        user = actor_user or subject
        app, obj, event_id = service, operation, operation
        if service.endswith("amazonaws.com"):  # Security Lake CloudTrail: same table
            rule = action_for(operation)
            action, obj = rule.action, (rule.verb or operation)
        else:
            action = Action.DELETE if activity == 4 else Action.API_CALL
    elif class_uid == 4001:  # Network Activity
        if activity != 1:
            return []
        action = Action.NETWORK_CONNECT
        obj = text(dst.get("port"), limit=8)
        user = actor_user or subject
    else:
        return []

    src_ip = normalise_ip(text(src.get("ip"), limit=64))
    if class_uid in _OCSF_CLASSES_NEEDING_USER and not user:
        raise BadRecord(f"OCSF class {class_uid} without a user name")
    if not (user or src_ip or dst_host):
        raise BadRecord("no user, host or IP")
    country = text(dig(src, "location.country"), limit=64)
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=_OCSF_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            target_user=target_user,
            src_ip=src_ip,
            src_host=normalise_host(text(src.get("hostname"), limit=256)),
            dst_host=dst_host,
            logon_type=logon_type,
            auth_protocol=auth_protocol,
            app=app,
            country=_clean(country),
            asn=text(dig(src, "autonomous_system.number"), limit=16),
            user_agent=text(dig(record, "http_request.user_agent")),
            device=text(first(device, "uid", "name"), limit=128) if class_uid == 3002 else "",
            object=obj[:256],
            privileged=privileged,
            event_id=event_id,
            record_id=text(dig(record, "metadata.uid"), limit=128)
            or f"{ctx.source}:{ctx.position}",
            reason=text(first(record, "status_detail", "status_code"), limit=256),
        )
    ]


# --------------------------------------------------------------------------------------------
# ECS

_ECS_FORMAT = "ecs"
_ECS_VERBS = {"creation": "created", "deletion": "deleted", "change": "changed"}


@register
class EcsParser:
    """Generic Elastic Common Schema documents (Beats/Agent/Logstash output, ECS exports)."""

    name: ClassVar[str] = "ecs"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        return (
            isinstance(record, Mapping)
            and "@timestamp" in record
            and isinstance(record.get("event"), Mapping)
            and "winlog" not in record
            and "EventID" not in record
            and "eventVersion" not in record
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("ecs", _parse_ecs, record, ctx)


def _ecs_action(
    categories: list[str], types: list[str], verb: str, outcome: Outcome, provider: str
) -> tuple[Action, str] | None:
    """``(action, object override)`` for an ECS event, or None to skip it."""
    if provider.endswith("amazonaws.com") and verb:
        rule = action_for(verb)  # Filebeat aws.cloudtrail keeps eventName in event.action
        return rule.action, rule.verb
    lowered = verb.lower()
    if "authentication" in categories:
        if "end" in types or any(w in lowered for w in ("logoff", "logout", "logged-out")):
            return Action.LOGOFF, ""
        if "ticket" in lowered or "kerberos" in lowered:
            return Action.AUTH_TICKET, ""
        return (Action.LOGON_FAILED if outcome is Outcome.FAILURE else Action.LOGON), ""
    if "session" in categories:
        if "start" in types:
            return Action.LOGON, ""
        if "end" in types:
            return Action.LOGOFF, ""
        return None
    if "iam" in categories:
        if "group" in types:
            return Action.GROUP_CHANGE, ""
        if any(w in lowered for w in ("polic", "role", "permission", "privilege")):
            return Action.POLICY_CHANGE, ""
        if "user" in types:
            verb_type = next((t for t in types if t in _ECS_VERBS), "change")
            return Action.ACCOUNT_CHANGE, _ECS_VERBS[verb_type]
        return Action.API_CALL, ""
    if "process" in categories:
        return (Action.PROCESS_START, "") if "start" in types else None
    if "network" in categories:
        return (Action.NETWORK_CONNECT, "") if "end" not in types else None
    if "file" in categories:
        return (Action.DELETE, "") if "deletion" in types else None
    if "configuration" in categories:
        return (Action.POLICY_CHANGE, "") if "change" in types else None
    if "api" in categories:
        return Action.API_CALL, ""
    return None


def _parse_ecs(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    time = parse_time(record.get("@timestamp"), field_name="@timestamp")
    event = _obj(record.get("event"))
    categories = _strings(event.get("category"))
    types = _strings(event.get("type"))
    verb = text(event.get("action"), limit=128)
    provider = text(first(event, "provider", "module"), limit=128).lower()
    outcome_text = text(event.get("outcome"), limit=16).lower()
    outcome = {"success": Outcome.SUCCESS, "failure": Outcome.FAILURE}.get(
        outcome_text, Outcome.UNKNOWN if outcome_text else Outcome.SUCCESS
    )
    mapped = _ecs_action(categories, types, verb, outcome, provider)
    if mapped is None:
        return []
    action, verb_object = mapped

    user = normalise_user(text(first(record, "user.name", "user.email", "user.id"), limit=256))
    target_user = normalise_user(text(first(record, "user.target.name"), limit=256))
    src_ip, src_host = _ip_or_host(text(first(record, "source.ip", "source.address"), limit=256))
    src_host = normalise_host(text(dig(record, "source.domain"), limit=256)) or src_host
    if action is Action.NETWORK_CONNECT:
        dst = text(first(record, "destination.domain", "destination.address", "destination.ip"))
    else:
        dst = text(first(record, "host.name", "host.hostname", "destination.address"))
    dst_host = normalise_host(dst[:256])
    if action in (Action.LOGON, Action.LOGON_FAILED, Action.GROUP_CHANGE) and not user:
        raise BadRecord(f"ECS {action.value} without user.name")
    if not (user or src_ip or dst_host):
        raise BadRecord("no user, host or IP")

    privileged = "admin" in types
    obj = verb_object
    if action is Action.GROUP_CHANGE:
        group = text(dig(record, "group.name"), limit=256)
        obj = group
        privileged = privileged or (bool(group) and is_sensitive_group(group))
    elif action is Action.PROCESS_START:
        obj = text(first(record, "process.executable", "process.name"), limit=256)
    elif action is Action.NETWORK_CONNECT:
        obj = text(dig(record, "destination.port"), limit=8)
    elif action is Action.DELETE and "file" in categories:
        obj = text(first(record, "file.path", "file.name"), limit=256)
    elif not obj:
        obj = verb if action in (Action.API_CALL, Action.POLICY_CHANGE, Action.DELETE) else ""

    country = text(dig(record, "source.geo.country_iso_code"), limit=8)
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=_ECS_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            target_user=target_user,
            src_ip=src_ip,
            src_host=src_host,
            dst_host=dst_host,
            app=text(first(record, "event.provider", "service.name", "event.module"), limit=128),
            country=_clean(country),
            asn=text(dig(record, "source.as.number"), limit=16),
            user_agent=text(dig(record, "user_agent.original")),
            object=obj[:256],
            privileged=privileged,
            event_id=text(first(event, "code", "action"), limit=128),
            record_id=text(event.get("id"), limit=128) or f"{ctx.source}:{ctx.position}",
            reason=text(first(record, "event.reason", "error.message", "error.code"), limit=256),
        )
    ]


# --------------------------------------------------------------------------------------------
# Sentinel / Log Analytics / Microsoft 365 Defender advanced hunting

_SENTINEL_FORMAT = "sentinel"
# Suffixes Log Analytics / advanced-hunting exports add when a column's type is ambiguous.
_COLUMN_SUFFIXES = ("", "_string", "_dynamic", "_long", "_int", "_real", "_bool", "_datetime")
_SIGNIN_TABLES = frozenset(
    {
        "SigninLogs",
        "AADNonInteractiveUserSignInLogs",
        "AADServicePrincipalSignInLogs",
        "AADManagedIdentitySignInLogs",
    }
)

#: OfficeActivity ``Operation`` / CloudAppEvents ``ActionType`` -> action; others -> api_call.
OFFICE_ACTIONS: dict[str, Action] = {
    "UserLoggedIn": Action.LOGON,
    "UserLoginFailed": Action.LOGON_FAILED,
    # Who can read or where mail goes: mailbox permissions and inbox/transport rules.
    "Add-MailboxPermission": Action.POLICY_CHANGE,
    "Add-RecipientPermission": Action.POLICY_CHANGE,
    "Add-MailboxFolderPermission": Action.POLICY_CHANGE,
    "Set-MailboxFolderPermission": Action.POLICY_CHANGE,
    "New-InboxRule": Action.POLICY_CHANGE,
    "Set-InboxRule": Action.POLICY_CHANGE,
    "UpdateInboxRules": Action.POLICY_CHANGE,
    "New-TransportRule": Action.POLICY_CHANGE,
    "Set-TransportRule": Action.POLICY_CHANGE,
    "HardDelete": Action.DELETE,
    "SoftDelete": Action.DELETE,
    "FileDeleted": Action.DELETE,
}


def _col(record: Mapping[str, Any], name: str) -> Any:
    """Column ``name``, or its type-suffixed export variant (``ReportId_long``)."""
    for suffix in _COLUMN_SUFFIXES:
        value = record.get(name + suffix)
        if value is not None and value != "":
            return value
    return None


def _ctext(record: Mapping[str, Any], name: str, limit: int = 256) -> str:
    return text(_col(record, name), limit=limit)


def _dyn(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A dynamic column as an object (decoded from JSON text when needed)."""
    return _obj(decode_json_field(_col(record, name)))


def _client_ip(value: str) -> str:
    """OfficeActivity ``ClientIP`` may carry a port: ``1.2.3.4:5678`` or ``[2001:db8::1]:443``."""
    ip = normalise_ip(value)
    if ip or not value:
        return ip
    if value.count(":") == 1:
        return normalise_ip(value.split(":", 1)[0])
    return ""


def _has(record: Mapping[str, Any], name: str) -> bool:
    """A non-empty column. Union exports (one file for several tables) carry every column of
    every table in every row, empty where it does not apply, so presence alone says nothing."""
    value = _col(record, name)
    return value is not None and value not in ([], {})


def _sentinel_table(record: Mapping[str, Any]) -> str:
    kind = text(record.get("Type"), limit=64)
    if kind in _HANDLERS:
        return kind
    # Shape inference: query output may overwrite or drop Type.
    if _has(record, "OperationName") and _has(record, "InitiatedBy"):
        return "AuditLogs"
    if _has(record, "UserPrincipalName") and _has(record, "ResultType"):
        return "SigninLogs"
    if _has(record, "Operation") and _has(record, "OfficeWorkload"):
        return "OfficeActivity"
    if _has(record, "ActionType"):
        if _has(record, "InitiatingProcessFileName") or _has(
            record, "InitiatingProcessAccountName"
        ):
            return "DeviceEvents"
        if _has(record, "DestinationDeviceName") and _has(record, "Protocol"):
            return "IdentityDirectoryEvents"
        if _has(record, "ActivityType") or _has(record, "ActivityObjects"):
            return "CloudAppEvents"
    return kind


@register
class SentinelParser:
    """Microsoft Sentinel / Log Analytics exports and Microsoft 365 Defender hunting rows."""

    name: ClassVar[str] = "sentinel"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        if "EventID" in record or "winlog" in record or "Event" in record:
            return False  # SecurityEvent / Event rows: the Windows parsers' records
        if "TimeGenerated" in record:
            return "Type" in record or "TenantId" in record or "SourceSystem" in record
        return (
            "Timestamp" in record
            and "ActionType" in record
            and ("ReportId" in record or "ReportId_long" in record)
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("sentinel", _parse_sentinel, record, ctx)


def _parse_sentinel(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    handler = _HANDLERS.get(_sentinel_table(record))
    if handler is None:
        return []  # a table no detector uses
    return handler(record, ctx)


def _row_time(record: Mapping[str, Any]) -> datetime:
    return parse_time(
        first(record, "TimeGenerated", "Timestamp", "ActivityDateTime"),
        field_name="TimeGenerated",
    )


def _row_id(record: Mapping[str, Any], ctx: ParseContext, *names: str) -> str:
    for name in names:
        value = _ctext(record, name, limit=128)
        if value:
            return value
    return f"{ctx.source}:{ctx.position}"


def _signin(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    """SigninLogs columns -> the Graph field names Entra's mapping reads."""
    status: Any = _dyn(record, "Status")
    if status.get("errorCode") is None:
        status = {
            "errorCode": _col(record, "ResultType"),
            "failureReason": _col(record, "ResultDescription"),
        }
    location: Any = _dyn(record, "LocationDetails") or {"countryOrRegion": _col(record, "Location")}
    props = {
        "createdDateTime": first(record, "TimeGenerated", "CreatedDateTime"),
        "userPrincipalName": first(record, "UserPrincipalName", "ServicePrincipalName"),
        "ipAddress": _col(record, "IPAddress"),
        "appDisplayName": _col(record, "AppDisplayName"),
        "clientAppUsed": _col(record, "ClientAppUsed"),
        "status": status,
        "location": location,
        "deviceDetail": _dyn(record, "DeviceDetail"),
        "id": _col(record, "Id"),
        "userAgent": _col(record, "UserAgent"),
        "autonomousSystemNumber": _col(record, "AutonomousSystemNumber"),
        "authenticationRequirement": _col(record, "AuthenticationRequirement"),
        "resourceDisplayName": _col(record, "ResourceDisplayName"),
    }
    table = text(record.get("Type"), limit=64)
    return entra_signin_events(
        props,
        ctx,
        event_id=table if table in _SIGNIN_TABLES else "SigninLogs",
        source_format=_SENTINEL_FORMAT,
    )


def _audit(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    user_agent = _ctext(record, "UserAgent", limit=512)
    if not user_agent:
        for item in decode_json_field(_col(record, "AdditionalDetails")) or []:
            if isinstance(item, Mapping) and item.get("key") == "User-Agent":
                user_agent = text(item.get("value"))
                break
    return entra_audit_events(
        time=_row_time(record),
        operation=_ctext(record, "OperationName") or _ctext(record, "ActivityDisplayName"),
        initiated_by=_col(record, "InitiatedBy"),
        targets=_col(record, "TargetResources"),
        result=_ctext(record, "Result", limit=32),
        reason=_ctext(record, "ResultReason"),
        user_agent=user_agent,
        record_id=_row_id(record, ctx, "Id", "CorrelationId"),
        service=_ctext(record, "LoggedByService", limit=128),
        ctx=ctx,
        source_format=_SENTINEL_FORMAT,
    )


def _office(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    operation = _ctext(record, "Operation", limit=128)
    if not operation:
        raise BadRecord("OfficeActivity row without Operation")
    user = normalise_user(_ctext(record, "UserId"))
    if not user:
        raise BadRecord("OfficeActivity row without UserId")
    action = OFFICE_ACTIONS.get(operation, Action.API_CALL)
    result = _ctext(record, "ResultStatus", limit=32)
    outcome = Outcome.SUCCESS if not result else _result_outcome(result)
    owner = normalise_user(_ctext(record, "MailboxOwnerUPN"))
    return [
        Event(
            time=_row_time(record),
            tenant=ctx.tenant,
            source_format=_SENTINEL_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            target_user=owner,
            src_ip=_client_ip(_ctext(record, "ClientIP", 64) or _ctext(record, "Client_IPAddress")),
            logon_type=_ctext(record, "Logon_Type", limit=32).lower(),
            app=_ctext(record, "OfficeWorkload", limit=64),
            user_agent=_ctext(record, "UserAgent", 512) or _ctext(record, "ClientInfoString", 512),
            object=operation,
            event_id=operation,
            record_id=_row_id(record, ctx, "OfficeId", "SourceRecordId", "Id"),
            reason="" if outcome is Outcome.SUCCESS else result,
        )
    ]


def _result_outcome(result: str) -> Outcome:
    lowered = result.lower()
    if lowered in ("succeeded", "success", "true", "partiallysucceeded"):
        return Outcome.SUCCESS
    if lowered in ("failed", "failure", "false"):
        return Outcome.FAILURE
    return Outcome.UNKNOWN


def _cloud_app(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    """CloudAppEvents: Office 365 / Entra audit operations seen by Defender for Cloud Apps."""
    operation = _ctext(record, "ActionType", limit=128).strip().rstrip(".")
    if not operation:
        raise BadRecord("CloudAppEvents row without ActionType")
    raw = _dyn(record, "RawEventData")
    user = normalise_user(
        text(raw.get("UserId"), limit=256)
        or _ctext(record, "UserId")
        or _ctext(record, "AccountDisplayName")
    )
    if not user:
        raise BadRecord("CloudAppEvents row without a user")
    audit_rule = ENTRA_AUDIT_ACTIONS.get(audit_key(operation))
    action = audit_rule.action if audit_rule else OFFICE_ACTIONS.get(operation, Action.API_CALL)
    scopes = set(_ctext(record, "Permissions", 1024).lower().split())
    privileged = bool(audit_rule and audit_rule.privileged) or bool(scopes & HIGH_IMPACT_SCOPES)
    result = text(raw.get("ResultStatus"), limit=32)
    outcome = Outcome.SUCCESS if not result else _result_outcome(result)
    target = _ctext(record, "PermissionsAddedTo") or _ctext(record, "ObjectName")
    obj = f"{operation}:{target}" if action is Action.POLICY_CHANGE and target else operation
    return [
        Event(
            time=_row_time(record),
            tenant=ctx.tenant,
            source_format=_SENTINEL_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            src_ip=normalise_ip(_ctext(record, "IPAddress", 64)),
            app=_ctext(record, "Application", 128),
            country=_clean(_ctext(record, "CountryCode", 8)),
            user_agent=_ctext(record, "UserAgent", 512),
            object=obj[:256],
            privileged=privileged,
            event_id=operation,
            record_id=_row_id(record, ctx, "ReportId"),
            reason="" if outcome is Outcome.SUCCESS else result,
        )
    ]


def _device_event(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    """DeviceEvents: only LDAP searches are mapped (AD reconnaissance, AD FS DKM key reads)."""
    action_type = _ctext(record, "ActionType", limit=64)
    if action_type != "LdapSearch":
        return []
    user = normalise_user(
        _ctext(record, "InitiatingProcessAccountUpn")
        or _ctext(record, "InitiatingProcessAccountName")
    )
    host = normalise_host(_ctext(record, "DeviceName"))
    if not (user or host):
        raise BadRecord("DeviceEvents row without account or device")
    fields = _dyn(record, "AdditionalFields")
    return [
        Event(
            time=_row_time(record),
            tenant=ctx.tenant,
            source_format=_SENTINEL_FORMAT,
            action=Action.API_CALL,
            user=user,
            dst_host=host,
            app=_ctext(record, "InitiatingProcessFileName", 128).lower(),
            object=text(first(fields, "DistinguishedName", "SearchFilter"), limit=256),
            event_id=action_type,
            record_id=_row_id(record, ctx, "ReportId"),
        )
    ]


def _identity_directory(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    """IdentityDirectoryEvents (Defender for Identity): directory replication requests.

    Replication from a machine that is not a domain controller is how DCSync and AD FS DKM
    key theft read secrets; it needs the replicating-directory-changes rights, so it is mapped
    as a privileged privilege_use from the source device to the DC.
    """
    action_type = _ctext(record, "ActionType", limit=128)
    if action_type != "Directory Services replication":
        return []
    user = normalise_user(_ctext(record, "AccountUpn") or _ctext(record, "AccountName"))
    if not user:
        raise BadRecord("IdentityDirectoryEvents row without an account")
    return [
        Event(
            time=_row_time(record),
            tenant=ctx.tenant,
            source_format=_SENTINEL_FORMAT,
            action=Action.PRIVILEGE_USE,
            user=user,
            src_ip=normalise_ip(_ctext(record, "IPAddress", 64)),
            src_host=normalise_host(_ctext(record, "DeviceName")),
            dst_host=normalise_host(_ctext(record, "DestinationDeviceName")),
            auth_protocol=_ctext(record, "Protocol", 32).lower(),
            app=_ctext(record, "Application", 128),
            object=action_type,
            privileged=True,
            event_id=action_type,
            record_id=_row_id(record, ctx, "ReportId"),
        )
    ]


_HANDLERS: dict[str, Callable[[Mapping[str, Any], ParseContext], list[Event]]] = {
    **dict.fromkeys(_SIGNIN_TABLES, _signin),
    "AuditLogs": _audit,
    "OfficeActivity": _office,
    "CloudAppEvents": _cloud_app,
    "DeviceEvents": _device_event,
    "IdentityDirectoryEvents": _identity_directory,
}


#: Documents in one Elasticsearch search response (``size`` is capped at 10,000 by default).
_MAX_HITS = 10_000


@register
class ElasticParser:
    """Documents exported from Elasticsearch/OpenSearch: ``elasticdump`` lines
    (``{"_index", "_id", "_source": {...}}``) and search responses (``{"hits": {"hits": [...]}}``).
    HELK, Security Onion and Elastic SIEM keep their Windows, syslog and CloudTrail documents
    there; the ``_source`` is read by the parser its content is sniffed as (Winlogbeat, HELK,
    CloudTrail ...), so the events are those of that format.
    """

    name: ClassVar[str] = "elastic"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        if isinstance(record.get("_source"), Mapping):
            return "_index" in record or "_id" in record
        hits = record.get("hits")
        return isinstance(hits, Mapping) and isinstance(hits.get("hits"), list)

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if not isinstance(record, Mapping):
            raise BadRecord("elastic record is not a JSON object")
        source = record.get("_source")
        if isinstance(source, Mapping):
            return _parse_source(source, ctx)
        hits = record.get("hits")
        items = hits.get("hits") if isinstance(hits, Mapping) else None
        if not isinstance(items, list):
            raise BadRecord("no _source and no hits.hits")
        if len(items) > _MAX_HITS:
            raise BadRecord(f"more than {_MAX_HITS} hits")
        found: list[Event] = []
        for hit in items:
            inner = hit.get("_source") if isinstance(hit, Mapping) else None
            if not isinstance(inner, Mapping):
                raise BadRecord("a hit without _source")
            found.extend(_parse_source(inner, ctx))
        return found


def _parse_source(source: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    """The events of one ``_source`` document, by the parser it is sniffed as (kept per input:
    an index holds one kind of document)."""
    from schemas.readers import SNIFF_ORDER  # here: readers imports the parsers

    parser = ctx.state.get(_STATE_ELASTIC_PARSER)
    if parser is None or not parser.sniff(source):
        parser = None
        for name in SNIFF_ORDER:
            candidate = PARSERS.get(name)
            if candidate is None or candidate.kind != "json" or name == "elastic":
                continue
            try:
                if candidate.sniff(source):
                    parser = candidate
                    break
            except Exception:  # noqa: S112 - a sniffer that chokes on hostile input says no
                continue
        if parser is None:
            raise BadRecord("_source of no known format")
        ctx.state[_STATE_ELASTIC_PARSER] = parser
    return parser.parse(source, ctx)


_STATE_ELASTIC_PARSER = "elastic.parser"
