"""AWS CloudTrail records -> events.

One CloudTrail record (the file reader already unwrapped ``{"Records": [...]}`` files, pretty
JSON arrays such as the Stratus Red Team captures, and JSON lines) becomes one event; SSM
``SendCommand`` on several instances becomes one ``remote_exec`` event per instance, so a
lateral-movement detector can count the hosts reached.

What the action is comes from a table keyed on ``eventName`` (:data:`ACTIONS`), then a prefix
rule (``Delete*``/``Terminate*`` -> ``delete``), then ``api_call``. The same table serves OCSF API
Activity records converted from CloudTrail (see :func:`action_for`).

Identity: ``IAMUser`` -> ``userName``; ``AssumedRole`` -> the role *session* name (the last ARN
segment, usually the human or instance behind the role); ``FederatedUser`` -> the federated
name; ``Root`` -> ``root``; ``AWSService`` -> no user, ``app`` is the service that acted (these
records are kept: ``AssumeRole`` by ``ec2.amazonaws.com`` shows which role credentials an
instance received). When ``sourceIPAddress`` is a service host name (``ec2.amazonaws.com``), the
call came from inside AWS on the caller's behalf: ``src_ip`` stays empty and ``app`` names that
service instead of ``eventSource``.

>>> ctx = ParseContext(tenant="t", source="trail.json", position=3)
>>> [e] = CloudTrailParser().parse({
...     "eventVersion": "1.09", "eventTime": "2024-08-01T13:33:28Z",
...     "eventSource": "iam.amazonaws.com", "eventName": "AttachUserPolicy",
...     "eventID": "083dc4ad", "sourceIPAddress": "075.050.255.67", "userAgent": "cli",
...     "userIdentity": {"type": "IAMUser", "userName": "christophe"},
...     "requestParameters": {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
...                           "userName": "malicious-iam-user"}}, ctx)
>>> e.action, e.user, e.target_user, e.src_ip, e.privileged
(<Action.POLICY_CHANGE: 'policy_change'>, 'christophe', 'malicious-iam-user', '75.50.255.67', True)
>>> e.object, e.event_id, e.app
('AttachUserPolicy:AdministratorAccess', 'AttachUserPolicy', 'iam.amazonaws.com')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, NamedTuple

import orjson

from schemas.event import Action, Event, Outcome
from schemas.normalise import is_empty, normalise_host, normalise_ip, normalise_user
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

__all__ = ["ACTIONS", "CloudTrailParser", "action_for", "base_event_name"]

_SOURCE_FORMAT = "cloudtrail"
#: Policy documents larger than this are not inspected for wildcards (IAM caps them at 10 KiB
#: for managed policies; anything far beyond is not a real policy).
_MAX_POLICY_CHARS = 128 * 1024
#: ``SendCommand`` may target up to 50 instances per call; more would be a malformed record.
_MAX_TARGETS = 100
#: AWS writes this instead of the user name for failed console logins of unknown users.
_HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
# Lambda API names carry the API version: AddPermission20150331v2, UpdateFunctionCode20150331v2.
_API_VERSION_SUFFIX = re.compile(r"\d{8}(?:v\d+)?$")


class Rule(NamedTuple):
    """How one ``eventName`` maps: the action and, for account changes, a short verb."""

    action: Action
    verb: str = ""


def _rules(action: Action, *names: str) -> dict[str, Rule]:
    return {name: Rule(action) for name in names}


#: eventName (without a Lambda API-version suffix) -> rule. Names not listed fall to the prefix
#: rule and then to ``api_call``. Grouped by action; a name appears once.
ACTIONS: dict[str, Rule] = {
    "ConsoleLogin": Rule(Action.LOGON),
    # Temporary credentials: the STS equivalent of a Kerberos ticket.
    **_rules(
        Action.AUTH_TICKET,
        "AssumeRole",
        "AssumeRoleWithSAML",
        "AssumeRoleWithWebIdentity",
        "AssumeRoot",
        "GetFederationToken",
        "GetSessionToken",
        "GetSigninToken",
        "SwitchRole",
    ),
    # Audit trails switched off or destroyed (T1562.008, T1070).
    **_rules(
        Action.LOG_CLEARED,
        "StopLogging",
        "DeleteTrail",
        "DeleteFlowLogs",
        "DeleteResolverQueryLogConfig",
        "DeleteLogGroup",
        "DeleteLogStream",
        "StopConfigurationRecorder",
        "DeleteConfigurationRecorder",
    ),
    # Who may do what: identity policies, resource policies, sharing, trust and audit settings.
    **_rules(
        Action.POLICY_CHANGE,
        "AttachUserPolicy",
        "AttachRolePolicy",
        "AttachGroupPolicy",
        "DetachUserPolicy",
        "DetachRolePolicy",
        "DetachGroupPolicy",
        "PutUserPolicy",
        "PutRolePolicy",
        "PutGroupPolicy",
        "DeleteUserPolicy",
        "DeleteRolePolicy",
        "DeleteGroupPolicy",
        "CreatePolicy",
        "CreatePolicyVersion",
        "SetDefaultPolicyVersion",
        "UpdateAssumeRolePolicy",
        "PutUserPermissionsBoundary",
        "PutRolePermissionsBoundary",
        "DeleteUserPermissionsBoundary",
        "DeleteRolePermissionsBoundary",
        "AddPermission",
        "RemovePermission",
        "AddLayerVersionPermission",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutKeyPolicy",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        "ModifyImageAttribute",
        "ModifySnapshotAttribute",
        "ModifyDBSnapshotAttribute",
        "ModifyDBClusterSnapshotAttribute",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "PutEventSelectors",
        "UpdateTrail",
        "CreateSAMLProvider",
        "UpdateSAMLProvider",
        "CreateOpenIDConnectProvider",
        "CreateTrustAnchor",
        "UpdateTrustAnchor",
    ),
    **_rules(Action.GROUP_CHANGE, "AddUserToGroup", "RemoveUserFromGroup"),
    # Identities and their credentials; the verb becomes ``object``.
    "CreateUser": Rule(Action.ACCOUNT_CHANGE, "created"),
    "DeleteUser": Rule(Action.ACCOUNT_CHANGE, "deleted"),
    "UpdateUser": Rule(Action.ACCOUNT_CHANGE, "updated"),
    "CreateAccessKey": Rule(Action.ACCOUNT_CHANGE, "access_key_created"),
    "UpdateAccessKey": Rule(Action.ACCOUNT_CHANGE, "access_key_updated"),
    "DeleteAccessKey": Rule(Action.ACCOUNT_CHANGE, "access_key_deleted"),
    "CreateLoginProfile": Rule(Action.ACCOUNT_CHANGE, "password_set"),
    "UpdateLoginProfile": Rule(Action.ACCOUNT_CHANGE, "password_reset"),
    "DeleteLoginProfile": Rule(Action.ACCOUNT_CHANGE, "password_removed"),
    "ChangePassword": Rule(Action.ACCOUNT_CHANGE, "password_changed"),
    "CreateRole": Rule(Action.ACCOUNT_CHANGE, "role_created"),
    "DeleteRole": Rule(Action.ACCOUNT_CHANGE, "role_deleted"),
    "EnableMFADevice": Rule(Action.ACCOUNT_CHANGE, "mfa_enabled"),
    "DeactivateMFADevice": Rule(Action.ACCOUNT_CHANGE, "mfa_disabled"),
    "UploadSSHPublicKey": Rule(Action.ACCOUNT_CHANGE, "ssh_key_added"),
    # Commands or shells on instances (lateral movement / execution); dst_host = instance id.
    **_rules(
        Action.REMOTE_EXEC,
        "SendCommand",
        "StartSession",
        "SendSSHPublicKey",
        "SendSerialConsoleSSHPublicKey",
    ),
    # Ending one's own SSM session destroys nothing; keep it out of the Terminate* prefix rule.
    "TerminateSession": Rule(Action.API_CALL),
}

_PREFIX_RULES: tuple[tuple[str, Rule], ...] = (
    ("Delete", Rule(Action.DELETE)),
    ("Terminate", Rule(Action.DELETE)),
)
_DEFAULT_RULE = Rule(Action.API_CALL)

# requestParameters keys naming the resource a change is about, best first, per action. The
# value's last ARN/path segment is appended to ``object`` ("AttachUserPolicy:AdministratorAccess").
_RESOURCE_KEYS: dict[Action, tuple[str, ...]] = {
    Action.POLICY_CHANGE: (
        "policyArn",
        "policyName",
        "roleName",
        "groupName",
        "userName",
        "functionName",
        "layerName",
        "trailName",
        "name",
        "bucketName",
        "keyId",
        "secretId",
        "resourceArn",
        "imageId",
        "snapshotId",
        "dBSnapshotIdentifier",
        "dBClusterSnapshotIdentifier",
        "groupId",
        "sAMLProviderArn",
        "trustAnchorId",
    ),
    Action.AUTH_TICKET: ("roleArn", "name"),
    Action.LOG_CLEARED: ("name", "trailName", "logGroupName", "resolverQueryLogConfigId"),
    Action.DELETE: ("name", "bucketName", "functionName", "instanceId", "userName", "roleName"),
    Action.REMOTE_EXEC: ("documentName",),
}
_ADMIN_ACTIONS = frozenset({"*", "*:*", "iam:*"})


def base_event_name(name: str) -> str:
    """``eventName`` without the Lambda API-version suffix.

    >>> base_event_name("AddPermission20150331v2"), base_event_name("CreateUser")
    ('AddPermission', 'CreateUser')
    """
    return _API_VERSION_SUFFIX.sub("", name) or name


def action_for(event_name: str) -> Rule:
    """The rule for a CloudTrail ``eventName`` (table, then prefix, then ``api_call``).

    >>> action_for("StopLogging").action, action_for("DeleteBucket").action
    (<Action.LOG_CLEARED: 'log_cleared'>, <Action.DELETE: 'delete'>)
    >>> action_for("CreateLoginProfile")
    Rule(action=<Action.ACCOUNT_CHANGE: 'account_change'>, verb='password_set')
    >>> action_for("ListBuckets").action, action_for("AddPermission20150331v2").action
    (<Action.API_CALL: 'api_call'>, <Action.POLICY_CHANGE: 'policy_change'>)
    """
    name = base_event_name(event_name)
    rule = ACTIONS.get(name)
    if rule is not None:
        return rule
    for prefix, prefix_rule in _PREFIX_RULES:
        if name.startswith(prefix):
            return prefix_rule
    return _DEFAULT_RULE


def _obj(value: Any) -> Mapping[str, Any]:
    """A nested object, or an empty one for null/absent/other types (requestParameters is often
    null, and a few services log it as a string)."""
    return value if isinstance(value, Mapping) else {}


def _last_segment(value: str) -> str:
    """Resource name from an ARN or path: ``arn:aws:iam::aws:policy/AdministratorAccess`` ->
    ``AdministratorAccess``."""
    return value.rsplit(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1]


def _resource(params: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = params.get(key)
        if isinstance(value, str) and value.strip() and value != _HIDDEN:
            return _last_segment(value.strip())[:200]
    return ""


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def grants_admin(document: Any) -> bool:
    """True when an IAM policy document allows ``*``/``*:*``/``iam:*`` on resource ``*``.

    Accepts the JSON string CloudTrail logs (bounded) or a decoded object; anything unreadable
    is simply not admin-like (the event is still emitted).

    >>> grants_admin('{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}')
    True
    >>> grants_admin({"Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}})
    False
    """
    loaded = _load_document(document)
    if loaded is None:
        return False
    for statement in _as_list(loaded.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = {a.lower() for a in _as_list(statement.get("Action")) if isinstance(a, str)}
        resources = {r for r in _as_list(statement.get("Resource")) if isinstance(r, str)}
        if actions & _ADMIN_ACTIONS and "*" in resources:
            return True
    return False


def _load_document(document: Any) -> Mapping[str, Any] | None:
    """A policy document from CloudTrail's JSON string (bounded) or a decoded object."""
    if isinstance(document, str):
        if len(document) > _MAX_POLICY_CHARS:
            return None
        try:
            document = orjson.loads(document)
        except orjson.JSONDecodeError:
            return None
    return document if isinstance(document, Mapping) else None


def arn_account(name: str) -> str:
    """The account id of an ARN (its fifth field), or ``name`` itself when it is no ARN.

    >>> arn_account("arn:aws:iam::999988887777:role/x"), arn_account("111122223333")
    ('999988887777', '111122223333')
    """
    return name.split(":")[4] if name.startswith("arn:") and name.count(":") >= 5 else name


def trusts_outside(document: Any, account: str) -> str:
    """Who outside ``account`` a role trust policy lets assume the role: the first other AWS
    account id an ``Allow`` statement names (``arn:aws:iam::ID:root``, a user or role ARN, a bare
    id), ``*`` for any AWS principal, "" when none (or when ``account`` is unknown and only
    accounts are named). A trust opened to an account outside the organisation's is a way back
    in that needs no credential of ours (T1098.003); services and the own account are not.

    >>> doc = ('{"Statement": [{"Effect": "Allow", "Principal": {"AWS": '
    ...        '["arn:aws:iam::111122223333:root", "arn:aws:iam::999988887777:role/x"]}}]}')
    >>> trusts_outside(doc, "111122223333"), trusts_outside(doc, "999988887777")
    ('999988887777', '111122223333')
    >>> service = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}
    >>> trusts_outside({"Statement": service}, "111122223333")
    ''
    >>> trusts_outside({"Statement": {"Effect": "Allow", "Principal": "*"}}, "")
    '*'
    """
    loaded = _load_document(document)
    if loaded is None:
        return ""
    for statement in _as_list(loaded.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        names = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else [principal]
        for name in names:
            if not isinstance(name, str):
                continue
            name = name.strip()
            if name == "*":
                return "*"
            owner = arn_account(name)
            if account and owner.isdigit() and owner != account:
                return owner
    return ""


#: How ``reason`` begins for a trust or resource policy opened outside the account: to a
#: named account (its id follows), or to any AWS principal.
OUTSIDE_REASONS = ("outside account ", "any AWS principal")


def role_in_other_account(
    params: Mapping[str, Any], identity: Mapping[str, Any], record: Mapping[str, Any]
) -> str:
    """The account id of an ``AssumeRole``'s role when it is not the caller's own account
    (``userIdentity.accountId``, else ``recipientAccountId``); "" otherwise or when unknown.

    >>> role_in_other_account(
    ...     {"roleArn": "arn:aws:iam::222233334444:role/OrganizationAccountAccessRole"},
    ...     {"accountId": "111122223333"}, {})
    '222233334444'
    >>> role_in_other_account({"roleArn": "arn:aws:iam::111122223333:role/Dev"},
    ...                       {"accountId": "111122223333"}, {})
    ''
    """
    arn = params.get("roleArn")
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return ""
    account = arn_account(arn)  # (the ARN itself when it is cut short: no digits)
    own = text(identity.get("accountId") or record.get("recipientAccountId"))
    return account if account.isdigit() and own and account != own else ""


def outside_reason(who: str) -> str:
    """The ``reason`` of a policy opened to ``who`` (an account id, or ``*``: anyone).

    >>> outside_reason("999988887777"), outside_reason("*")
    ('outside account 999988887777', 'any AWS principal')
    """
    return OUTSIDE_REASONS[1] if who == "*" else f"{OUTSIDE_REASONS[0]}{who}"


#: Resource policies (who else may use a bucket, key, secret, repository, log group): the
#: request parameter that holds the new document, per eventName.
_RESOURCE_POLICY_KEYS: dict[str, tuple[str, ...]] = {
    "PutBucketPolicy": ("bucketPolicy", "policy"),
    "PutKeyPolicy": ("policy",),
    "PutResourcePolicy": ("resourcePolicy", "policyInJson", "policyDocument", "policy"),
    "SetRepositoryPolicy": ("policyText",),
}


def opens_to_outside(params: Mapping[str, Any], event_name: str, account: str) -> str:
    """Who outside ``account`` a resource-policy change lets in (as :func:`trusts_outside`
    says it): a bucket, KMS key, secret or repository policy that now allows another AWS
    account or any principal, or a Lambda ``AddPermission`` for another account or ``*``; ""
    when none. An ``Allow`` to ``*`` narrowed by a ``Condition`` (a VPC endpoint, the
    organisation) is not counted: that is how buckets are shared inside a company. Such a
    grant lets an identity we do not manage read or use the resource (T1537, T1098).

    >>> outside = {"AWS": "arn:aws:iam::999988887777:root"}
    >>> doc = {"Statement": [{"Effect": "Allow", "Principal": outside, "Action": "s3:GetObject",
    ...                       "Resource": "*"}]}
    >>> opens_to_outside({"bucketPolicy": doc}, "PutBucketPolicy", "111122223333")
    '999988887777'
    >>> vpce = {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    ...                       "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b"}}}}
    >>> opens_to_outside({"bucketPolicy": vpce}, "PutBucketPolicy", "111122223333")
    ''
    >>> opens_to_outside({"principal": "*", "functionName": "f"}, "AddPermission", "1")
    '*'
    """
    if event_name == "AddPermission":
        principal = text(params.get("principal"), limit=256).strip()
        if principal == "*":
            return "*"
        owner = principal.split(":")[4] if principal.count(":") >= 5 else principal
        return owner if owner.isdigit() and account and owner != account else ""
    keys = _RESOURCE_POLICY_KEYS.get(event_name)
    if keys is None:
        return ""
    document = next((params[key] for key in keys if params.get(key)), None)
    loaded = _load_document(document)
    if loaded is None:
        return ""
    unconditioned = [
        statement
        for statement in _as_list(loaded.get("Statement"))
        if isinstance(statement, Mapping) and not statement.get("Condition")
    ]
    named = [
        statement
        for statement in _as_list(loaded.get("Statement"))
        if isinstance(statement, Mapping) and statement.get("Principal") != "*"
        and _as_list(_obj(statement.get("Principal")).get("AWS")) != ["*"]
    ]  # fmt: skip
    # Anyone: only without a condition; a named outside account: with or without one.
    return trusts_outside({"Statement": unconditioned}, account) or trusts_outside(
        {"Statement": named}, account
    )


def trail_narrowed(params: Mapping[str, Any]) -> str:
    """What a ``PutEventSelectors`` request stops the trail from recording: "management write
    events" when no selector records them any more (``ReadWriteType`` ReadOnly, management
    events excluded, or advanced selectors without a management selector or limited to
    ``readOnly`` true); "" when writes are still recorded. Defence evasion that leaves the
    trail "logging" (T1562.008): what the attacker does next is simply not recorded.

    >>> trail_narrowed({"eventSelectors": [{"readWriteType": "ReadOnly"}]})
    'management write events'
    >>> every = {"readWriteType": "All", "includeManagementEvents": True}
    >>> trail_narrowed({"eventSelectors": [every]})
    ''
    >>> management = {"field": "eventCategory", "equals": ["Management"]}
    >>> trail_narrowed({"advancedEventSelectors": [{"fieldSelectors": [management]}]})
    ''
    >>> reads = {"field": "readOnly", "equals": ["true"]}
    >>> trail_narrowed({"advancedEventSelectors": [{"fieldSelectors": [management, reads]}]})
    'management write events'
    """
    basic = _as_list(params.get("eventSelectors"))
    advanced = _as_list(params.get("advancedEventSelectors"))
    if not basic and not advanced:
        return ""
    for selector in basic:
        selector = _obj(selector)
        kind = text(selector.get("readWriteType")) or "All"
        if selector.get("includeManagementEvents", True) is not False and kind != "ReadOnly":
            return ""
    for selector in advanced:
        fields = [_obj(f) for f in _as_list(_obj(selector).get("fieldSelectors"))]
        category = [f for f in fields if f.get("field") == "eventCategory"]
        if not any("Management" in _as_list(f.get("equals")) for f in category):
            continue
        read_only = [f for f in fields if f.get("field") == "readOnly"]
        if not any(_as_list(f.get("equals")) == ["true"] for f in read_only):
            return ""
    return "management write events"


#: Calls that hand a role to a service's compute (iam:PassRole), and the request parameter
#: naming the role: the code then runs with that role's power.
_PASSED_ROLE_KEYS: dict[str, str] = {
    "CreateFunction": "role",
    "UpdateFunctionConfiguration": "role",
    "CreateStack": "roleARN",
    "UpdateStack": "roleARN",
    "CreateJob": "roleArn",
    "CreateTrainingJob": "roleArn",
    "CreateNotebookInstance": "roleArn",
    "CreateDevEndpoint": "roleArn",
    "CreateStateMachine": "roleArn",
    "CreateTaskSet": "roleArn",
}


def passed_admin_role(params: Mapping[str, Any], event_name: str) -> str:
    """The watch-listed role (Admin, AdministratorAccess ...) a call hands to a service's
    compute (a Lambda function, a stack, a job), or "": whoever controls that code acts with
    the role's power, an escalation through ``iam:PassRole`` (T1648, T1078.004).

    >>> passed_admin_role({"role": "arn:aws:iam::1:role/Admin"}, "CreateFunction")
    'Admin'
    >>> passed_admin_role({"role": "arn:aws:iam::1:role/LambdaExec"}, "CreateFunction")
    ''
    """
    key = _PASSED_ROLE_KEYS.get(event_name)
    if key is None:
        return ""
    role = _last_segment(text(params.get(key), limit=512).strip())
    return role if role and is_sensitive_group(role) else ""


def _identity(identity: Mapping[str, Any]) -> tuple[str, str]:
    """``(user, acting service)`` from ``userIdentity``; the service is set for AWSService."""
    kind = text(identity.get("type"))
    if kind == "Root":
        return "root", ""
    if kind == "AWSService":
        return "", text(first(identity, "invokedBy", "principalId")).lower()
    if kind in ("AssumedRole", "FederatedUser"):
        # The ARN ends in the session / federated name; normalise_user extracts it.
        raw = text(first(identity, "arn", "principalId"))
        if not raw.startswith("arn:") and ":" in raw:
            raw = raw.rsplit(":", 1)[-1]  # principalId is "AROA...:session"
        return normalise_user(raw), ""
    if kind == "AWSAccount":
        # Cross-account caller: principalId "AIDA...:name" or just the account id.
        raw = text(first(identity, "principalId", "accountId"))
        return normalise_user(raw.rsplit(":", 1)[-1]), ""
    raw = text(first(identity, "userName", "arn", "principalId"))
    if raw == _HIDDEN:
        return "", ""
    return normalise_user(raw), ""


def _key_kind(identity: Mapping[str, Any]) -> str:
    """The kind of credential that signed a call, from ``userIdentity.accessKeyId``: an IAM
    user's long-term key (``AKIA...``: ``access_key``) or temporary STS credentials
    (``ASIA...``: an assumed-role, federated or console session, ``session_key``); "" when
    the record carries no key (console sign-ins, AWS services, redacted identities).

    Most people reach AWS through SSO, AssumeRole or the console, so every call they make is
    signed by a session key; their long-term key signing calls directly is a change of
    credential kind (a key copied off a laptop or out of a repository), which
    ``rare_credential_kind`` reads like NTLM where a user always used Kerberos. CI users and old
    scripts that always sign with their long-term key keep doing what they did.

    >>> _key_kind({"type": "IAMUser", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"})
    'access_key'
    >>> _key_kind({"type": "AssumedRole", "accessKeyId": "ASIAY34FZKBOKMUTVV7A"})
    'session_key'
    >>> _key_kind({"type": "IAMUser", "userName": "alice"})
    ''
    """
    key = text(identity.get("accessKeyId"), limit=128)
    if key.startswith("AKIA"):
        return "access_key"
    if key.startswith("ASIA"):
        return "session_key"
    return ""


def boot_script_replaced(params: Mapping[str, Any], event_name: str) -> bool:
    """Whether a call rewrites an EC2 instance's user data (``ModifyInstanceAttribute`` with
    ``userData``, or ``attribute: userData``): its boot script, run as root at the next start.

    >>> boot_script_replaced({"instanceId": "i-1", "userData": "<sensitiveDataRemoved>"},
    ...                      "ModifyInstanceAttribute")
    True
    >>> boot_script_replaced({"instanceId": "i-1", "instanceType": {"value": "t3.large"}},
    ...                      "ModifyInstanceAttribute")
    False
    """
    if event_name != "ModifyInstanceAttribute":
        return False
    return "userData" in params or text(params.get("attribute")) == "userData"


def _instances(params: Mapping[str, Any]) -> list[str]:
    """Instance ids a remote-exec call targets (``instanceIds``, ``instanceId``, ``target``)."""
    found: list[str] = []
    for value in (params.get("instanceIds"), params.get("instanceId"), params.get("target")):
        for item in _as_list(value):
            if isinstance(item, str) and item.strip():
                found.append(normalise_host(item))
    return list(dict.fromkeys(found))[:_MAX_TARGETS]


@register
class CloudTrailParser:
    """CloudTrail management and data events (any ``eventVersion``)."""

    name: ClassVar[str] = "cloudtrail"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        if "detail-type" in record:
            record = record.get("detail")  # type: ignore[assignment]
            if not isinstance(record, Mapping):
                return False
        return "eventVersion" in record and "eventSource" in record and "eventName" in record

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if isinstance(record, Mapping) and "eventVersion" not in record:
            record = _eventbridge_detail(record)
        return guarded("cloudtrail", _parse, record, ctx)


def _eventbridge_detail(record: Mapping[str, Any]) -> Record:
    """The CloudTrail record inside an EventBridge event (``detail-type`` "AWS API Call via
    CloudTrail", "AWS Console Sign In via CloudTrail" ...), as EventBridge rules, Firehose and
    SQS/Lambda consumers deliver it; any other record is returned as it is."""
    detail = record.get("detail")
    if "detail-type" in record and isinstance(detail, Mapping) and "eventVersion" in detail:
        return detail
    return record


def _parse(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    # Security-Datasets (Logstash) captures carry only "@timestamp", not "eventTime".
    time = parse_time(first(record, "eventTime", "@timestamp"), field_name="eventTime")
    event_name = text(record.get("eventName"), limit=128)
    if not event_name:
        raise BadRecord("missing eventName")
    identity = record.get("userIdentity")
    if not isinstance(identity, Mapping):
        raise BadRecord("missing userIdentity")
    user, acting_service = _identity(identity)
    rule = action_for(event_name)
    action = rule.action
    base_name = base_event_name(event_name)
    if not user and not acting_service and action is not Action.LOGON:
        raise BadRecord(f"no user in userIdentity (type {text(identity.get('type'))[:40]!r})")

    source = text(record.get("sourceIPAddress"), limit=256).strip()
    src_ip = normalise_ip(source)
    app = text(record.get("eventSource"), limit=128).lower()
    if acting_service:
        app = acting_service
    elif not src_ip and source.lower().endswith((".amazonaws.com", ".amazon.com")):
        app = source.lower()  # an AWS service called on the user's behalf

    params = _obj(record.get("requestParameters"))
    response = _obj(record.get("responseElements"))
    error = text(record.get("errorCode"), limit=200)
    outcome = Outcome.FAILURE if error else Outcome.SUCCESS
    reason = error
    target_user = ""
    privileged = False
    logon_type = ""
    auth_protocol = ""
    obj = base_name
    targets: list[str] = [""]

    if action is Action.LOGON:
        logon_type = "console"
        mfa = text(_obj(record.get("additionalEventData")).get("MFAUsed"))
        auth_protocol = "mfa" if mfa == "Yes" else "password"
        result = text(response.get("ConsoleLogin"))
        if result == "Failure" or error:
            outcome = Outcome.FAILURE
            action = Action.LOGON_FAILED
            reason = error or text(record.get("errorMessage"), limit=200) or "Failure"
        elif not user:
            raise BadRecord("ConsoleLogin without a user")
    elif action is Action.ACCOUNT_CHANGE:
        obj = rule.verb
        if base_name == "UpdateAccessKey" and not error:
            # Which way the key went matters: Active puts a switched-off credential back in use.
            status = text(params.get("status")).lower()
            obj = {"active": "access_key_activated", "inactive": "access_key_deactivated"}.get(
                status, obj
            )
        # CreateAccessKey / ChangePassword without userName act on the caller.
        named = text(first(params, "userName", "roleName"), limit=256)
        target_user = normalise_user(named) if named else user
    elif action is Action.GROUP_CHANGE:
        group = text(params.get("groupName"), limit=256)
        obj = group or base_name
        target_user = normalise_user(text(params.get("userName"), limit=256))
        privileged = bool(group) and is_sensitive_group(group)
    elif action is Action.POLICY_CHANGE:
        resource = _resource(params, _RESOURCE_KEYS[action])
        obj = f"{base_name}:{resource}" if resource else base_name
        target_user = normalise_user(text(first(params, "userName", "roleName"), limit=256))
        policy = text(first(params, "policyArn", "policyName"), limit=512)
        privileged = (bool(policy) and is_sensitive_group(policy)) or grants_admin(
            params.get("policyDocument")
        )
        own = text(first(record, "recipientAccountId") or identity.get("accountId"))
        opened = "" if error else opens_to_outside(params, base_name, own)
        if opened:
            # A bucket, key, secret or function opened to another AWS account or to anyone:
            # data or use handed to an identity we do not manage (T1537), a grant.
            privileged = True
            reason = outside_reason(opened)
        if base_name == "PutEventSelectors" and not error:
            stopped = trail_narrowed(params)
            if stopped:
                # The trail keeps "logging" but no longer records what follows: audit evasion,
                # read like StopLogging (T1562.008).
                action = Action.LOG_CLEARED
                reason = f"no longer records {stopped}"
        if base_name == "UpdateAssumeRolePolicy" and not error:
            # A role's trust opened to another AWS account (or to anyone) grants that role's
            # power to an identity we do not manage: as much a grant as an admin policy.
            outside = trusts_outside(params.get("policyDocument"), own)
            if outside:
                privileged = True
                reason = outside_reason(outside)
    elif action is Action.AUTH_TICKET:
        resource = _resource(params, _RESOURCE_KEYS[action])
        obj = f"{base_name}:{resource}" if resource else base_name
        target_user = normalise_user(resource)
        # Taking on a watch-listed role (an "Admin" role, AdministratorAccess) is using admin
        # power, as a 4672 or a sudo to root is: routine for those who hold it, news for others.
        privileged = base_name.startswith("AssumeRole") and is_sensitive_group(resource)
        crossed = "" if error else role_in_other_account(params, identity, record)
        if crossed:
            # A role of another AWS account (an organisation's member-account admin role, a
            # partner's role): power over resources outside the caller's own account, lateral
            # movement across the account boundary (T1550.001). Routine for a deploy account
            # that does it daily (privileged_action learns it), news for a person.
            privileged = True
            reason = f"role in account {crossed}"
        if base_name == "AssumeRoleWithSAML":
            auth_protocol = "saml"
        elif base_name == "AssumeRoleWithWebIdentity":
            auth_protocol = "oidc"
    elif action is Action.REMOTE_EXEC:
        resource = _resource(params, _RESOURCE_KEYS[action])
        obj = f"{base_name}:{resource}" if resource else base_name
        target_user = normalise_user(text(params.get("instanceOSUser"), limit=256))
        targets = _instances(params) or [""]
    elif action in _RESOURCE_KEYS:  # LOG_CLEARED, DELETE
        resource = _resource(params, _RESOURCE_KEYS[action])
        obj = f"{base_name}:{resource}" if resource else base_name

    elif action is Action.API_CALL and not error:
        passed = passed_admin_role(params, base_name)
        if boot_script_replaced(params, base_name):
            # An instance's user data rewritten: the script runs as root at its next boot (the
            # caller stops and starts it), code run on the instance as SendCommand's is (T1059.009).
            action = Action.REMOTE_EXEC
            obj = f"{base_name}:userData"
            targets = _instances(params) or [""]
        elif passed:
            # Admin power handed to code the caller controls: privilege use, as taking on the
            # role (a privileged AssumeRole) is.
            action = Action.PRIVILEGE_USE
            obj = f"{base_name}:{passed}"
            target_user = normalise_user(passed)
            privileged = True
            reason = "privileged role passed to a service"

    if action is not Action.LOGON and action is not Action.LOGON_FAILED and not auth_protocol:
        auth_protocol = _key_kind(identity)

    record_id = text(record.get("eventID"), limit=128) or f"{ctx.source}:{ctx.position}"
    user_agent = text(record.get("userAgent"))
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=_SOURCE_FORMAT,
            action=action,
            outcome=outcome,
            user=user,
            target_user=target_user,
            src_ip=src_ip,
            dst_host=target,
            logon_type=logon_type,
            auth_protocol=auth_protocol,
            app=app,
            user_agent="" if is_empty(user_agent) else user_agent,
            object=obj,
            privileged=privileged,
            event_id=event_name,
            record_id=record_id,
            reason=reason,
        )
        for target in targets
    ]


#: logEvents in one CloudWatch Logs message: the subscription batches at most 10,000.
_MAX_LOG_EVENTS = 10_000


@register
class CloudWatchParser:
    """CloudTrail delivered through CloudWatch Logs: a subscription's ``DATA_MESSAGE``
    (``{"messageType", "logGroup", "logEvents": [{"id", "timestamp", "message"}]}``, what a
    Firehose or Lambda subscriber receives) or ``aws logs filter-log-events``/``get-log-events``
    output (``{"events": [...]}``). Every ``message`` is one CloudTrail record as JSON text.
    Messages that are not CloudTrail records (a log group holding other logs) give nothing; a
    message that is not JSON makes the whole batch a dead letter (nothing is dropped silently).
    """

    name: ClassVar[str] = "cloudwatch"
    kind: ClassVar[str] = "json"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        if "logEvents" in record:
            return "messageType" in record or "logGroup" in record
        events = record.get("events")
        return (
            isinstance(events, list)
            and bool(events)
            and isinstance(events[0], Mapping)
            and "message" in events[0]
            and ("logStreamName" in events[0] or "ingestionTime" in events[0])
        )

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        return guarded("cloudwatch", _parse_log_events, record, ctx)


def _parse_log_events(record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
    if record.get("messageType") == "CONTROL_MESSAGE":
        return []  # CloudWatch's reachability check: no log events
    items = record.get("logEvents", record.get("events"))
    if not isinstance(items, list):
        raise BadRecord("logEvents is not a list")
    if len(items) > _MAX_LOG_EVENTS:
        raise BadRecord(f"more than {_MAX_LOG_EVENTS} log events")
    found: list[Event] = []
    for index, item in enumerate(items):
        message = item.get("message") if isinstance(item, Mapping) else None
        if not isinstance(message, str):
            raise BadRecord(f"log event {index} has no message text")
        try:
            inner = orjson.loads(message)
        except orjson.JSONDecodeError as exc:
            raise BadRecord(f"log event {index} message is not JSON") from exc
        if isinstance(inner, Mapping) and "eventVersion" in inner and "eventName" in inner:
            found.extend(_parse(inner, ctx))
    return found
