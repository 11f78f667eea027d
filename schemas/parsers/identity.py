"""Identity-provider logs: Okta System Log and Microsoft Entra ID (Azure AD) -> events.

**Okta** (``name = "okta"``): one System Log ``LogEvent`` (``uuid``, ``published``, ``eventType``,
``actor``, ``client``, ``outcome``, ``target[]`` ...). ``eventType`` picks the action from
:data:`OKTA_ACTIONS` (exact names), then :data:`OKTA_PREFIXES`. Event types not listed become
``api_call`` when a person acted (rare-activity detectors use them) and are skipped (``[]``) when
the actor is Okta itself or an API client; ``policy.evaluate_sign_on`` (a policy *evaluation* on
every sign-in, not a change) is always skipped. A failed ``user.session.start`` or
``user.authentication.*`` is ``logon_failed``.

**Entra ID** (``name = "entra"``): sign-in logs in the Graph API shape (``createdDateTime``,
``userPrincipalName``, ``status{errorCode}`` ...) and the diagnostic-settings / Event Hub shape
(``time``, ``category: "SignInLogs"``, ``properties{...}``); audit logs (Graph
``directoryAudit`` and diagnostic ``category: "AuditLogs"``) too. ``status.errorCode`` 0 is a
``logon``; anything else is ``logon_failed`` with ``reason`` = code and failure reason. Note that
some non-zero codes are *interrupts* rather than wrong passwords (50074/50076: MFA required,
i.e. the password was right) - the code is kept in ``reason`` so detectors can tell them apart.

:func:`entra_signin_events` and :func:`entra_audit_events` are shared with the Sentinel /
Log Analytics parser (:mod:`schemas.parsers.generic`), which feeds them the same fields read
from ``SigninLogs`` / ``AuditLogs`` columns.

>>> ctx = ParseContext(tenant="t")
>>> [e] = EntraParser().parse({"id": "1", "createdDateTime": "2024-03-01T08:00:00Z",
...     "userPrincipalName": "Alice@contoso.com", "ipAddress": "203.0.113.9",
...     "appDisplayName": "Office 365 Exchange Online", "clientAppUsed": "IMAP4",
...     "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
...     "location": {"countryOrRegion": "NL"}}, ctx)
>>> e.action, e.outcome, e.user, e.country
(<Action.LOGON_FAILED: 'logon_failed'>, <Outcome.FAILURE: 'failure'>, 'alice', 'NL')
>>> e.auth_protocol, e.logon_type, e.reason
('legacy', 'imap4', '50126 Invalid username or password.')
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

import orjson

from schemas.event import Action, Event, Outcome
from schemas.normalise import is_empty, normalise_ip, normalise_user
from schemas.parsers.base import (
    BadRecord,
    ParseContext,
    Record,
    first,
    guarded,
    parse_time,
    register,
    text,
)
from schemas.sensitive import is_sensitive_group

__all__ = [
    "ENTRA_AUDIT_ACTIONS",
    "HIGH_IMPACT_SCOPES",
    "OKTA_ACTIONS",
    "OKTA_PREFIXES",
    "EntraParser",
    "OktaParser",
    "audit_key",
    "decode_json_field",
    "entra_audit_events",
    "entra_signin_events",
]

#: JSON-in-string fields longer than this are not decoded (Log Analytics caps a column at 32 KiB
#: for most tables; ``TargetResources`` of bulk operations can be larger but not by orders).
MAX_JSON_FIELD_CHARS = 256 * 1024
#: At most this many ``target[]`` / ``TargetResources`` entries are examined.
_MAX_TARGETS = 50


class Rule(NamedTuple):
    """An action and, for account changes, the short verb that becomes ``object``."""

    action: Action
    verb: str = ""
    privileged: bool = False


# --------------------------------------------------------------------------------------------
# shared helpers


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value[:_MAX_TARGETS] if isinstance(value, list) else []


def decode_json_field(value: Any, *, limit: int = MAX_JSON_FIELD_CHARS) -> Any:
    """A field that may hold JSON text (Log Analytics exports ``dynamic`` columns as strings).

    Objects and lists pass through; a string is decoded when it is at most ``limit`` characters
    and valid JSON; anything else gives ``None`` (callers treat that as "not given").

    >>> decode_json_field('{"user": {"userPrincipalName": "a@b.c"}}')["user"]["userPrincipalName"]
    'a@b.c'
    >>> decode_json_field("not json"), decode_json_field([1]), decode_json_field("x" * 10, limit=5)
    (None, [1], None)
    """
    if isinstance(value, Mapping | list):
        return value
    if not isinstance(value, str) or not value or len(value) > limit:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None


def _outcome_from_result(value: str) -> Outcome:
    lowered = value.strip().lower()
    if lowered in ("success", "succeeded", "allow", "true"):
        return Outcome.SUCCESS
    if lowered in ("failure", "failed", "deny", "false"):
        return Outcome.FAILURE
    return Outcome.UNKNOWN


def _record_id(value: Any, ctx: ParseContext) -> str:
    return text(value, limit=128) or f"{ctx.source}:{ctx.position}"


# --------------------------------------------------------------------------------------------
# Okta

_OKTA_FORMAT = "okta"


def _okta_rules(action: Action, *names: str, privileged: bool = False) -> dict[str, Rule]:
    return {name: Rule(action, privileged=privileged) for name in names}


#: Okta ``eventType`` -> rule (exact names; see the Okta Event Types catalogue).
OKTA_ACTIONS: dict[str, Rule] = {
    "user.session.start": Rule(Action.LOGON),
    "user.session.end": Rule(Action.LOGOFF),
    "user.account.lock": Rule(Action.ACCOUNT_LOCKOUT),
    "user.account.lock.limit": Rule(Action.ACCOUNT_LOCKOUT),
    "user.account.unlock": Rule(Action.ACCOUNT_CHANGE, "unlocked"),
    "user.account.unlock_by_admin": Rule(Action.ACCOUNT_CHANGE, "unlocked"),
    "user.account.reset_password": Rule(Action.ACCOUNT_CHANGE, "password_reset"),
    "user.account.update_password": Rule(Action.ACCOUNT_CHANGE, "password_changed"),
    "user.lifecycle.create": Rule(Action.ACCOUNT_CHANGE, "created"),
    "user.lifecycle.activate": Rule(Action.ACCOUNT_CHANGE, "activated"),
    "user.lifecycle.reactivate": Rule(Action.ACCOUNT_CHANGE, "reactivated"),
    "user.lifecycle.deactivate": Rule(Action.ACCOUNT_CHANGE, "deactivated"),
    "user.lifecycle.suspend": Rule(Action.ACCOUNT_CHANGE, "suspended"),
    "user.lifecycle.unsuspend": Rule(Action.ACCOUNT_CHANGE, "unsuspended"),
    "user.lifecycle.delete.initiated": Rule(Action.ACCOUNT_CHANGE, "deleted"),
    # MFA factor resets are the classic help-desk account-takeover step.
    "user.mfa.factor.activate": Rule(Action.ACCOUNT_CHANGE, "mfa_enrolled"),
    "user.mfa.factor.deactivate": Rule(Action.ACCOUNT_CHANGE, "mfa_removed"),
    "user.mfa.factor.reset_all": Rule(Action.ACCOUNT_CHANGE, "mfa_reset"),
    # An API token is a standing credential, like an AWS access key.
    "system.api_token.create": Rule(Action.ACCOUNT_CHANGE, "api_token_created"),
    "system.api_token.revoke": Rule(Action.ACCOUNT_CHANGE, "api_token_revoked"),
    "user.account.privilege.revoke": Rule(Action.ACCOUNT_CHANGE, "privilege_revoked"),
    "group.privilege.revoke": Rule(Action.ACCOUNT_CHANGE, "privilege_revoked"),
    **_okta_rules(Action.GROUP_CHANGE, "group.user_membership.add", "group.user_membership.remove"),
    # Admin role granted to a user/group, and a person opening the Okta admin console.
    **_okta_rules(
        Action.PRIVILEGE_USE,
        "user.account.privilege.grant",
        "group.privilege.grant",
        "user.session.access_admin_app",
        privileged=True,
    ),
}

#: ``eventType`` prefixes, tried in order after :data:`OKTA_ACTIONS`. ``None`` skips the event.
OKTA_PREFIXES: tuple[tuple[str, Rule | None], ...] = (
    ("user.authentication.", Rule(Action.AUTH_TICKET)),
    # Evaluations happen on every sign-in; they change nothing.
    ("policy.evaluate_sign_on", None),
    ("policy.lifecycle.", Rule(Action.POLICY_CHANGE)),
    ("policy.rule.", Rule(Action.POLICY_CHANGE)),
    ("application.policy.", Rule(Action.POLICY_CHANGE)),
    ("zone.", Rule(Action.POLICY_CHANGE)),  # network zones feed sign-on policies
)

# Okta credential types -> the auth_protocol vocabulary used by the other parsers.
_OKTA_CREDENTIALS = {"ASSERTION": "saml", "PASSWORD": "password", "IWA": "kerberos"}


def _okta_rule(event_type: str) -> Rule | None:
    rule = OKTA_ACTIONS.get(event_type)
    if rule is not None:
        return rule
    for prefix, prefix_rule in OKTA_PREFIXES:
        if event_type.startswith(prefix):
            return prefix_rule
    return Rule(Action.API_CALL)


def _okta_targets(targets: list[Any]) -> dict[str, Mapping[str, Any]]:
    """The first target of each type (User, UserGroup, AppInstance, PolicyEntity ...)."""
    found: dict[str, Mapping[str, Any]] = {}
    for target in targets:
        if isinstance(target, Mapping):
            found.setdefault(text(target.get("type"), limit=64), target)
    return found


@register
class OktaParser:
    """Okta System Log events (``/api/v1/logs`` or a SIEM export of them)."""

    name: ClassVar[str] = "okta"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        return (
            isinstance(record, Mapping)
            and "uuid" in record
            and "published" in record
            and "eventType" in record
            and isinstance(record.get("actor"), Mapping)
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("okta", _parse_okta, record, ctx)


def _parse_okta(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    time = parse_time(record.get("published"), field_name="published")
    event_type = text(record.get("eventType"), limit=128)
    if not event_type:
        raise BadRecord("missing eventType")
    actor = record.get("actor")
    if not isinstance(actor, Mapping):
        raise BadRecord("missing actor")
    rule = _okta_rule(event_type)
    if rule is None:
        return []
    person = text(actor.get("type")) == "User"
    user = normalise_user(text(first(actor, "alternateId", "displayName"), limit=256))
    if not person:
        if rule.action is Action.API_CALL:
            return []  # nobody's behaviour: Okta's own jobs, API clients
        user = ""
    elif not user:
        raise BadRecord("actor without alternateId")

    client = _obj(record.get("client"))
    geo = _obj(client.get("geographicalContext"))
    security = _obj(record.get("securityContext"))
    outcome_obj = _obj(record.get("outcome"))
    auth_context = _obj(record.get("authenticationContext"))
    debug = _obj(_obj(record.get("debugContext")).get("debugData"))
    targets = _okta_targets(_list(record.get("target")))

    outcome = _outcome_from_result(text(outcome_obj.get("result")))
    reason = text(outcome_obj.get("reason"), limit=256)
    action = rule.action
    if action in (Action.LOGON, Action.AUTH_TICKET) and outcome is Outcome.FAILURE:
        action = Action.LOGON_FAILED

    src_ip = normalise_ip(text(client.get("ipAddress"), limit=64))
    if not src_ip:  # events from the API carry the chain instead
        chain = _list(_obj(record.get("request")).get("ipChain"))
        if chain and isinstance(chain[0], Mapping):
            src_ip = normalise_ip(text(chain[0].get("ip"), limit=64))

    target_user = normalise_user(text(_obj(targets.get("User")).get("alternateId"), limit=256))
    group = text(_obj(targets.get("UserGroup")).get("displayName"), limit=256)
    app_target = text(_obj(targets.get("AppInstance")).get("displayName"), limit=256)
    app = app_target or ("okta" if person else text(actor.get("displayName"), limit=128))

    privileged = rule.privileged
    obj = ""
    if action is Action.GROUP_CHANGE:
        obj = group
        privileged = bool(group) and is_sensitive_group(group)
    elif action is Action.ACCOUNT_CHANGE:
        obj = rule.verb
        target_user = target_user or user
    elif action is Action.PRIVILEGE_USE:
        granted = text(debug.get("privilegeGranted"), limit=256)
        obj = granted or group or text(_obj(targets.get("ROLE")).get("displayName"), limit=256)
    elif action is Action.POLICY_CHANGE:
        policy = next(
            (
                text(target.get("displayName"), limit=256)
                for kind, target in targets.items()
                if kind.startswith("Policy") or kind == "NetworkZone"
            ),
            "",
        )
        obj = policy or event_type
    elif action is Action.API_CALL:
        obj = event_type

    credential = text(auth_context.get("credentialType"), limit=64).upper()
    auth_protocol = _OKTA_CREDENTIALS.get(credential, credential.lower())
    if event_type == "user.authentication.auth_via_mfa":
        auth_protocol = "mfa"

    device = text(first(_obj(record.get("device")), "name", "id"), limit=256)
    if not device:
        device = text(client.get("device"), limit=64)
    user_agent = text(_obj(client.get("userAgent")).get("rawUserAgent"))
    country = text(geo.get("country"), limit=64)
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=_OKTA_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            target_user=target_user,
            src_ip=src_ip,
            auth_protocol=auth_protocol,
            app=app,
            country="" if is_empty(country) else country,
            asn=text(security.get("asNumber"), limit=16),
            user_agent="" if is_empty(user_agent) else user_agent,
            device="" if is_empty(device) else device,
            object=obj,
            privileged=privileged,
            event_id=event_type,
            record_id=_record_id(record.get("uuid"), ctx),
            reason=reason,
        )
    ]


# --------------------------------------------------------------------------------------------
# Entra ID sign-ins

_ENTRA_FORMAT = "entra"
_SIGNIN_CATEGORIES = frozenset(
    {
        "SignInLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
    }
)
_AUDIT_CATEGORY = "AuditLogs"
# clientAppUsed values that mean basic (legacy) authentication: the password-spray surface.
_LEGACY_CLIENTS = frozenset(
    {
        "exchange activesync",
        "imap4",
        "pop3",
        "smtp",
        "authenticated smtp",
        "exchange web services",
        "mapi over http",
        "offline address book",
        "autodiscover",
        "exchange online powershell",
        "other clients",
        "outlook anywhere (rpc over http)",
        "reporting web services",
        "universal outlook",
    }
)


def entra_signin_events(
    props: Mapping[str, Any],
    ctx: ParseContext,
    *,
    event_id: str,
    source_format: str = _ENTRA_FORMAT,
    fallback_ip: str = "",
    fallback_time: Any = None,
) -> list[Event]:
    """One Entra sign-in (Graph ``signIn`` field names) -> a logon / logon_failed event.

    ``props`` uses the Graph names (``createdDateTime``, ``userPrincipalName``, ``status`` ...);
    ``status``, ``location`` and ``deviceDetail`` may be objects or JSON text.
    """
    time = parse_time(
        first(props, "createdDateTime") or fallback_time, field_name="createdDateTime"
    )
    user = normalise_user(
        text(first(props, "userPrincipalName", "servicePrincipalName", "userId"), limit=256)
    )
    if not user:
        raise BadRecord("sign-in without userPrincipalName")
    status = _obj(decode_json_field(props.get("status")))
    code_value = status.get("errorCode")
    if code_value is None or code_value == "":
        raise BadRecord("sign-in without status.errorCode")
    code = text(code_value, limit=16).strip()
    if not code.lstrip("-").isdigit():
        raise BadRecord(f"status.errorCode is not a number: {code[:16]!r}")
    failed = int(code) != 0
    failure_reason = text(first(status, "failureReason"), limit=240)

    location = _obj(decode_json_field(props.get("location")))
    device = _obj(decode_json_field(props.get("deviceDetail")))
    client_app = text(props.get("clientAppUsed"), limit=64)
    if text(props.get("authenticationRequirement")) == "multiFactorAuthentication":
        auth_protocol = "mfa"
    elif client_app.lower() in _LEGACY_CLIENTS:
        auth_protocol = "legacy"
    else:
        auth_protocol = ""
    user_agent = text(props.get("userAgent"))
    if not user_agent:
        # Graph v1.0 has no user agent; browser + OS is the closest stable client fingerprint.
        user_agent = " / ".join(
            part
            for part in (
                text(device.get("browser"), limit=128),
                text(device.get("operatingSystem"), limit=128),
            )
            if part
        )
    country = text(location.get("countryOrRegion"), limit=64)
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=source_format,
            action=Action.LOGON_FAILED if failed else Action.LOGON,
            outcome=Outcome.FAILURE if failed else Outcome.SUCCESS,
            user=user,
            src_ip=normalise_ip(text(props.get("ipAddress"), limit=64)) or fallback_ip,
            logon_type=client_app.lower(),
            auth_protocol=auth_protocol,
            app=text(first(props, "appDisplayName", "appId"), limit=128),
            country="" if is_empty(country) else country,
            asn=text(props.get("autonomousSystemNumber"), limit=16),
            user_agent=user_agent,
            device=text(first(device, "displayName", "deviceId"), limit=256),
            object=text(props.get("resourceDisplayName"), limit=128),
            event_id=event_id,
            record_id=_record_id(props.get("id"), ctx),
            reason=f"{code} {failure_reason}".strip() if failed else "",
        )
    ]


# --------------------------------------------------------------------------------------------
# Entra ID audit logs

#: Audit ``activityDisplayName`` / ``OperationName`` (lower case, dashes normalised) -> rule.
ENTRA_AUDIT_ACTIONS: dict[str, Rule] = {
    "add member to role": Rule(Action.GROUP_CHANGE),
    "add eligible member to role": Rule(Action.GROUP_CHANGE),
    "add member to role in pim completed (permanent)": Rule(Action.GROUP_CHANGE),
    "add member to role in pim completed (timebound)": Rule(Action.GROUP_CHANGE),
    "remove member from role": Rule(Action.GROUP_CHANGE),
    "remove eligible member from role": Rule(Action.GROUP_CHANGE),
    "add member to group": Rule(Action.GROUP_CHANGE),
    "remove member from group": Rule(Action.GROUP_CHANGE),
    "add user": Rule(Action.ACCOUNT_CHANGE, "created"),
    "delete user": Rule(Action.ACCOUNT_CHANGE, "deleted"),
    "hard delete user": Rule(Action.ACCOUNT_CHANGE, "deleted"),
    "restore user": Rule(Action.ACCOUNT_CHANGE, "restored"),
    "update user": Rule(Action.ACCOUNT_CHANGE, "updated"),
    "disable account": Rule(Action.ACCOUNT_CHANGE, "disabled"),
    "enable account": Rule(Action.ACCOUNT_CHANGE, "enabled"),
    "reset user password": Rule(Action.ACCOUNT_CHANGE, "password_reset"),
    "reset password (by admin)": Rule(Action.ACCOUNT_CHANGE, "password_reset"),
    "change user password": Rule(Action.ACCOUNT_CHANGE, "password_changed"),
    "change password (self-service)": Rule(Action.ACCOUNT_CHANGE, "password_changed"),
    "user registered security info": Rule(Action.ACCOUNT_CHANGE, "mfa_enrolled"),
    "user deleted security info": Rule(Action.ACCOUNT_CHANGE, "mfa_removed"),
    "admin registered security info": Rule(Action.ACCOUNT_CHANGE, "mfa_enrolled"),
    "admin deleted security info": Rule(Action.ACCOUNT_CHANGE, "mfa_removed"),
    # Credentials on an application / service principal: the cloud "backdoor key" (T1098.001).
    "add service principal credentials": Rule(Action.ACCOUNT_CHANGE, "credential_added"),
    "remove service principal credentials": Rule(Action.ACCOUNT_CHANGE, "credential_removed"),
    "update application - certificates and secrets management": Rule(
        Action.ACCOUNT_CHANGE, "credentials_changed"
    ),
    "add service principal": Rule(Action.ACCOUNT_CHANGE, "service_principal_created"),
    "add application": Rule(Action.ACCOUNT_CHANGE, "application_created"),
    "delete application": Rule(Action.ACCOUNT_CHANGE, "application_deleted"),
    # Permissions, consent, access policies and federation trust.
    "add delegated permission grant": Rule(Action.POLICY_CHANGE),
    "remove delegated permission grant": Rule(Action.POLICY_CHANGE),
    "add app role assignment to service principal": Rule(Action.POLICY_CHANGE),
    "add app role assignment grant to user": Rule(Action.POLICY_CHANGE),
    "consent to application": Rule(Action.POLICY_CHANGE),
    "update application": Rule(Action.POLICY_CHANGE),
    "add conditional access policy": Rule(Action.POLICY_CHANGE),
    "update conditional access policy": Rule(Action.POLICY_CHANGE),
    "delete conditional access policy": Rule(Action.POLICY_CHANGE),
    "add policy": Rule(Action.POLICY_CHANGE),
    "update policy": Rule(Action.POLICY_CHANGE),
    "delete policy": Rule(Action.POLICY_CHANGE),
    "update authorization policy": Rule(Action.POLICY_CHANGE),
    # A new or changed federation trust lets its owner mint tokens for anyone (Golden SAML).
    "set federation settings on domain": Rule(Action.POLICY_CHANGE, privileged=True),
    "set domain authentication": Rule(Action.POLICY_CHANGE, privileged=True),
}

# Graph permissions that amount to tenant-wide data access or privilege escalation; granting
# one is marked privileged (consent phishing and the GoldenSAML mail-access scenario use them).
HIGH_IMPACT_SCOPES = frozenset(
    {
        "mail.read",
        "mail.readwrite",
        "mail.send",
        "mailboxsettings.readwrite",
        "full_access_as_app",
        "files.readwrite.all",
        "sites.fullcontrol.all",
        "directory.readwrite.all",
        "rolemanagement.readwrite.directory",
        "approleassignment.readwrite.all",
        "application.readwrite.all",
        "user.readwrite.all",
        "group.readwrite.all",
        "domain.readwrite.all",
    }
)


def audit_key(operation: str) -> str:
    """``"Update application – Certificates and secrets management "`` ->
    ``"update application - certificates and secrets management"``."""
    cleaned = operation.replace("\u2013", "-").replace("\u2014", "-").strip().rstrip(".")
    return " ".join(cleaned.lower().split())


def _json_text(value: Any) -> str:
    """modifiedProperties values are JSON-encoded (``"\\"Global Administrator\\""``)."""
    raw = text(value, limit=4096)
    decoded = decode_json_field(raw) if raw.startswith(('"', "[")) else None
    if isinstance(decoded, str):
        return decoded
    if isinstance(decoded, list):
        return " ".join(item for item in decoded if isinstance(item, str))
    return raw


def _modified(targets: list[Any], *names: str) -> str:
    """The new value of the first modified property called one of ``names``."""
    wanted = {name.lower() for name in names}
    for target in targets:
        for prop in _list(_obj(target).get("modifiedProperties")):
            prop = _obj(prop)
            if text(prop.get("displayName"), limit=256).lower() in wanted:
                value = _json_text(prop.get("newValue"))
                if value:
                    return value
    return ""


def entra_audit_events(
    *,
    time: datetime,
    operation: str,
    initiated_by: Any,
    targets: Any,
    result: str,
    reason: str,
    user_agent: str,
    record_id: str,
    service: str,
    ctx: ParseContext,
    source_format: str = _ENTRA_FORMAT,
) -> list[Event]:
    """One Entra audit record -> an event. ``initiated_by`` / ``targets`` may be JSON text."""
    operation = operation.strip()
    if not operation:
        raise BadRecord("audit record without an operation name")
    initiator = decode_json_field(initiated_by)
    if not isinstance(initiator, Mapping):
        raise BadRecord("audit record without a readable InitiatedBy")
    actor_user = _obj(initiator.get("user"))
    actor_app = _obj(initiator.get("app"))
    user = normalise_user(text(actor_user.get("userPrincipalName"), limit=256))
    if not user:
        user = normalise_user(
            text(first(actor_app, "displayName", "servicePrincipalName"), limit=256)
        )
    if not user:
        raise BadRecord("audit record without an initiating user or app")
    target_list = [t for t in _list(decode_json_field(targets)) if isinstance(t, Mapping)]

    rule = ENTRA_AUDIT_ACTIONS.get(audit_key(operation), Rule(Action.API_CALL))
    first_target = target_list[0] if target_list else {}
    target_name = text(
        first(first_target, "displayName", "userPrincipalName", "id") if first_target else "",
        limit=256,
    )
    user_target = next((t for t in target_list if text(t.get("type")) == "User"), {})
    target_user = normalise_user(text(user_target.get("userPrincipalName"), limit=256))
    privileged = rule.privileged
    if rule.action is Action.GROUP_CHANGE:
        container = _modified(
            target_list, "Role.DisplayName", "Group.DisplayName", "Role.WellKnownObjectName"
        ) or next(
            (
                text(t.get("displayName"), limit=256)
                for t in target_list
                if text(t.get("type")) in ("Role", "Group")
            ),
            "",
        )
        obj = container
        privileged = bool(container) and is_sensitive_group(container)
    elif rule.action is Action.ACCOUNT_CHANGE:
        obj = rule.verb
        target_user = target_user or normalise_user(target_name)
    elif rule.action is Action.POLICY_CHANGE:
        obj = f"{operation}:{target_name}" if target_name else operation
        scopes = _modified(target_list, "DelegatedPermissionGrant.Scope", "AppRole.Value").lower()
        privileged = privileged or bool(set(scopes.split()) & HIGH_IMPACT_SCOPES)
    else:
        obj = operation
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=source_format,
            action=rule.action,
            outcome=_outcome_from_result(result),
            user=user,
            target_user=target_user,
            src_ip=normalise_ip(text(actor_user.get("ipAddress"), limit=64)),
            app=service,
            user_agent=user_agent,
            object=obj[:256],
            privileged=privileged,
            event_id=operation[:128],
            record_id=record_id,
            reason=reason,
        )
    ]


def _additional_detail(details: Any, key: str) -> str:
    for item in _list(decode_json_field(details)):
        item = _obj(item)
        if text(item.get("key"), limit=64) == key:
            return text(item.get("value"))
    return ""


@register
class EntraParser:
    """Entra ID sign-in and audit logs: Graph API shape and diagnostic-settings export."""

    name: ClassVar[str] = "entra"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        if "createdDateTime" in record and "userPrincipalName" in record:
            return isinstance(record.get("status"), Mapping)
        if "activityDateTime" in record and "activityDisplayName" in record:
            return "initiatedBy" in record
        return (
            "time" in record
            and isinstance(record.get("properties"), Mapping)
            and (
                record.get("category") in _SIGNIN_CATEGORIES
                or record.get("category") == _AUDIT_CATEGORY
            )
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("entra", _parse_entra, record, ctx)


def _parse_entra(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    category = record.get("category")
    props: Mapping[str, Any] = record
    if isinstance(record.get("properties"), Mapping) and category in (
        *_SIGNIN_CATEGORIES,
        _AUDIT_CATEGORY,
    ):
        props = record["properties"]
    else:
        category = None
    if category == _AUDIT_CATEGORY or "activityDisplayName" in props:
        time = parse_time(
            first(props, "activityDateTime") or record.get("time"), field_name="activityDateTime"
        )
        return entra_audit_events(
            time=time,
            operation=text(first(props, "activityDisplayName", "operationName"), limit=256)
            or text(record.get("operationName"), limit=256),
            initiated_by=props.get("initiatedBy"),
            targets=props.get("targetResources"),
            result=text(first(props, "result") or record.get("resultType"), limit=32),
            reason=text(props.get("resultReason"), limit=256),
            user_agent=_additional_detail(props.get("additionalDetails"), "User-Agent"),
            record_id=_record_id(props.get("id"), ctx),
            service=text(props.get("loggedByService"), limit=128),
            ctx=ctx,
        )
    if category is None:
        interactive = props.get("isInteractive")
        event_id = "NonInteractiveUserSignInLogs" if interactive is False else "SignInLogs"
    else:
        event_id = str(category)
    return entra_signin_events(
        props,
        ctx,
        event_id=event_id,
        fallback_ip=normalise_ip(text(record.get("callerIpAddress"), limit=64)),
        fallback_time=record.get("time"),
    )
