"""Windows event logs in several shapes, mapped to :class:`~schemas.event.Event` by ONE function.

* ``helk`` — flat JSON lines as exported by HELK / Security-Datasets (nxlog field names:
  ``EventID``, ``Channel``, ``Hostname``, ``RecordNumber``, ``@timestamp`` ...). Sentinel
  ``SecurityEvent`` rows (``Computer``, ``EventSourceName``, ``TimeGenerated``) are the same shape
  and are read too; an ``EventData`` object (NXLog/Logstash nesting, Sentinel ``WindowsEvent``)
  holds the event's fields.
* ``winlogbeat`` — Winlogbeat 7/8 ECS documents (``winlog.event_id``, ``winlog.event_data.*``)
  and Winlogbeat 5/6 ones (the same fields at the top level, a few renamed).
* ``evtx`` — the dict decoded from an ``evtx`` (pyevtx-rs) record's ``data`` JSON
  (``{"Event": {"System": {...}, "EventData": {...}}}``), also as ``evtx_dump`` JSON lines;
  ``schemas/parsers/winxml.py`` turns XML events into this dict.

Each parser only flattens its shape into ``(fields, WinMeta)``; :func:`windows_events` does the
event-id → Event mapping, so every shape gets the same semantics.

Relevance is decided *before* the time is parsed: most of a Windows feed (98.6 % of the
Security-Datasets records) is Sysmon image loads, registry, handle and PowerShell events no
detector consumes, and they are skipped after one dict lookup on (provider family, event id).

>>> from schemas.parsers.base import ParseContext
>>> rec = {"EventID": 4624, "Channel": "security", "Hostname": "WKS6.corp.local",
...        "@timestamp": "2020-09-20T16:16:58.212Z", "RecordNumber": 717708,
...        "SourceName": "Microsoft-Windows-Security-Auditing", "TargetUserName": "pgustavo",
...        "LogonType": "3", "IpAddress": "::ffff:172.18.39.5", "AuthenticationPackageName": "NTLM"}
>>> [e] = HelkParser().parse(rec, ParseContext(tenant="t"))
>>> e.action, e.user, e.dst_host, e.src_ip, e.logon_type, e.auth_protocol, e.record_id
(<Action.LOGON: 'logon'>, 'pgustavo', 'wks6', '172.18.39.5', '3', 'ntlm', 'wks6:717708')
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

import orjson

from schemas import normalise
from schemas.event import Action, Event, Outcome
from schemas.parsers.base import BadRecord, ParseContext, Record, parse_time, register, text
from schemas.sensitive import PRIVILEGED_USERS, is_sensitive_group

Fields = Mapping[str, Any]
# A handler turns the flat field dict (+ the normalised reporting host) into Event keyword
# arguments; the shared code adds time, tenant, ids and dst_host. None: the record is read but
# carries nothing a detector uses (a 4663 read or write, a registry key's ACL), like an id
# without a handler; its time is still parsed first, so a bad one is dead-lettered the same.
Handler = Callable[[Fields, str], dict[str, Any] | None]


class WinMeta(NamedTuple):
    """What every shape must provide besides the event's own fields."""

    event_id: int
    family: str  # "security" | "sysmon" | "system" | "eventlog" | "other" (see _family)
    computer: str  # reporting computer as written (FQDN or short)
    record_number: str  # EventRecordID / RecordNumber / record_id, "" when absent
    time: Any  # raw time value, parsed only when the event is relevant
    time_field: str  # its name, for the dead-letter reason
    prefer_sysmon_utc: bool  # use Sysmon UtcTime over ``time`` (flat exports with bad clocks)


# Host, IP and account names repeat endlessly (a few hundred distinct values per site) while the
# normalisers are comparatively costly (``ipaddress`` parsing is tried on every host name), so
# the pure functions are memoised: this doubles throughput on mapped events.
normalise_host = lru_cache(maxsize=16384)(normalise.normalise_host)
normalise_ip = lru_cache(maxsize=16384)(normalise.normalise_ip)
normalise_user = lru_cache(maxsize=16384)(normalise.normalise_user)

# --------------------------------------------------------------------------------------------
# Small field helpers. Values go through ``text`` so a container where a scalar belongs raises
# BadRecord instead of producing "{'a': 1}" garbage.


def _s(fields: Fields, key: str) -> str:
    return text(fields.get(key)).strip()


def _clean(value: str) -> str:
    """Windows writes ``-`` for "no value" in most string fields (Sysmon: ``?`` for images)."""
    return "" if value in ("-", "?") else value


def _account(raw: str) -> tuple[str, str]:
    """(user, machine_host): a computer account (``WKS6$``, ``WKS6$@REALM``) is a host."""
    user = normalise_user(raw)
    if len(user) > 1 and user.endswith("$"):
        return "", normalise_host(user)
    return user, ""


# Well-known SIDs seen as group members when the member has no name (MemberName "-").
_WELL_KNOWN_SIDS = {
    "S-1-5-18": "system",
    "S-1-5-19": "local service",
    "S-1-5-20": "network service",
    "S-1-5-7": "anonymous logon",
    "S-1-1-0": "everyone",
    "S-1-5-11": "authenticated users",
}


def _sid(value: str) -> str:
    return _WELL_KNOWN_SIDS.get(value.upper(), normalise_user(value))


def _dn_name(dn: str) -> str:
    """``CN=Bob\\, Jr,OU=Users,DC=corp`` → ``Bob, Jr``; anything not a CN= DN is returned as is."""
    if dn[:3].lower() != "cn=":
        return dn
    out: list[str] = []
    value = dn[3:]
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):  # escaped comma/plus/quote in an RDN
            out.append(value[index + 1])
            index += 2
            continue
        if char == ",":
            break
        out.append(char)
        index += 1
    return "".join(out)


def _looks_privileged(user: str) -> bool:
    # Deliberately simple: the built-in names plus anything called *admin*.
    return user in PRIVILEGED_USERS or "admin" in user


def _status(fields: Fields, *keys: str) -> str:
    """First non-empty status code, lower-cased (``0xC000006A`` and ``0xc000006a`` are one)."""
    for key in keys:
        value = _clean(_s(fields, key)).lower()
        if value:
            return value
    return ""


_OK_STATUS = frozenset({"", "0x0", "0", "0x00000000"})


# --------------------------------------------------------------------------------------------
# Handlers, one per event family. Each returns Event kwargs except the common ones.


def _logon(fields: Fields, host: str) -> dict[str, Any]:
    user, machine = _account(_s(fields, "TargetUserName"))
    src_host = normalise_host(_s(fields, "WorkstationName")) or machine
    # Logon type 9 (runas /netonly, sekurlsa::pth): the identity used on the network.
    outbound, _ = _account(_s(fields, "TargetOutboundUserName"))
    return {
        "action": Action.LOGON,
        "user": user,
        "target_user": outbound,
        "src_ip": normalise_ip(_s(fields, "IpAddress")),
        "src_host": src_host,
        "logon_type": _s(fields, "LogonType"),
        "auth_protocol": _logon_method(fields),
        "privileged": False,
    }


#: ``RestrictedAdminMode`` "Yes" as HELK/nxlog (the message id) and rendered exports write it.
_YES = frozenset({"%%1842", "yes"})


def _logon_method(fields: Fields) -> str:
    """The authentication package, and whether the desktop session is in restricted-admin mode.

    ``mstsc /restrictedadmin`` sends no credentials to the server: the NT hash or a ticket is
    enough, which is what makes pass-the-hash over RDP possible (T1550.002). It is a sign-in
    method of its own (``negotiate+restricted_admin``), as NTLM where one always uses Kerberos
    is.
    """
    package = _auth_package(_s(fields, "AuthenticationPackageName"))
    if _clean(_s(fields, "RestrictedAdminMode")).lower() in _YES:
        return f"{package}+restricted_admin" if package else "restricted_admin"
    return package


def _logon_failed(fields: Fields, host: str) -> dict[str, Any]:
    kwargs = _logon(fields, host)
    status = _status(fields, "Status")
    sub = _status(fields, "SubStatus")
    # Status is often the generic 0xc000006d; SubStatus says which (bad password, no such user).
    reason = f"{status}/{sub}" if sub not in _OK_STATUS and sub != status else status
    kwargs.update(action=Action.LOGON_FAILED, outcome=Outcome.FAILURE, reason=reason)
    return kwargs


def _logoff(fields: Fields, host: str) -> dict[str, Any]:
    user, machine = _account(_s(fields, "TargetUserName"))
    return {
        "action": Action.LOGOFF,
        "user": user,
        "src_host": machine,
        "logon_type": _s(fields, "LogonType"),
    }


def _auth_package(value: str) -> str:
    package = _clean(value).lower()
    # MSV1_0 is the NTLM package (Advapi/LogonUser logons name it instead of "NTLM").
    return "ntlm" if package == "microsoft_authentication_package_v1_0" else package


_LOCAL_NAMES = frozenset({"", "localhost", "127.0.0.1", "::1"})


def _explicit_credential(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    target, _ = _account(_s(fields, "TargetUserName"))
    server = normalise_host(_s(fields, "TargetServerName"))
    return {
        "action": Action.EXPLICIT_CREDENTIAL,
        "user": user,
        "target_user": target,
        "dst_host": host if server in _LOCAL_NAMES else server,
        "src_host": host,  # 4648 is logged on the machine where the credentials were typed
        "src_ip": normalise_ip(_s(fields, "IpAddress")),
        "object": _clean(_s(fields, "ProcessName")),
    }


def _privilege_use(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    return {
        "action": Action.PRIVILEGE_USE,
        "user": user,
        "object": " ".join(_s(fields, "PrivilegeList").split()),
        "privileged": True,
    }


def _process_start(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    if not user:
        # Processes started by services.exe/WmiPrvSE run as the machine account in Subject;
        # the account the process runs as (Win10+) is in Target.
        user, _ = _account(_s(fields, "TargetUserName"))
    return {
        "action": Action.PROCESS_START,
        "user": user,
        "object": _clean(_s(fields, "NewProcessName")),
        "app": _clean(_s(fields, "ParentProcessName")),
    }


def _sysmon_process(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "User"))
    return {
        "action": Action.PROCESS_START,
        "user": user,
        "object": _clean(_s(fields, "Image")),
        "app": _clean(_s(fields, "ParentImage")),
    }


def _sysmon_network(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "User"))
    dst_ip = normalise_ip(_s(fields, "DestinationIp"))
    port = _s(fields, "DestinationPort")
    # Sysmon records the connection's real direction; Initiated=false means inbound, so the
    # reporting host is the destination.
    inbound = _s(fields, "Initiated").lower() == "false"
    dst_host = normalise_host(_clean(_s(fields, "DestinationHostname")))
    if not dst_host:
        dst_host = host if inbound else dst_ip
    src_host = normalise_host(_clean(_s(fields, "SourceHostname")))
    if not src_host and not inbound:
        src_host = host
    return {
        "action": Action.NETWORK_CONNECT,
        "user": user,
        "src_ip": normalise_ip(_s(fields, "SourceIp")),
        "src_host": src_host,
        "dst_host": dst_host,
        "object": f"[{dst_ip}]:{port}" if ":" in dst_ip else f"{dst_ip}:{port}",
        "app": _clean(_s(fields, "Image")),
    }


_ACCOUNT_VERBS = {
    4720: "created",
    4722: "enabled",
    4723: "password_change",
    4724: "password_reset",
    4725: "disabled",
    4726: "deleted",
    4738: "changed",
    4741: "computer_created",
    4742: "computer_changed",
    4743: "computer_deleted",
    4765: "sid_history_added",
    4767: "unlocked",
    4781: "renamed",
    4794: "dsrm_password_set",
}
_COMPUTER_EVENTS = frozenset({4741, 4742, 4743})
# SID history and the DSRM password are privileged by nature, whoever the target is.
_ALWAYS_PRIVILEGED = frozenset({4765, 4794})


#: 4738's ``UserAccountControl`` lists the flags the change turned on or off, as message ids
#: (HELK, nxlog) or as rendered text. Kept (comma-joined, in ``reason``): the ones turned *on*
#: that weaken how the account authenticates (an AS-REP roastable account, a blank or reversible
#: password, DES, delegation). "Password never expires" is routine for service accounts: not kept.
_UAC_WEAKENING = (
    ("password_not_required", ("%%2082", "'password not required' - enabled")),
    ("reversible_encryption", ("%%2091", "'encrypted text password allowed' - enabled")),
    ("trusted_for_delegation", ("%%2093", "'trusted for delegation' - enabled")),
    ("des_only", ("%%2095", "'use des key only' - enabled")),
    ("dont_require_preauth", ("%%2096", "'don't require preauth' - enabled")),
    (
        "trusted_to_auth_for_delegation",
        ("%%2098", "'trusted to authenticate for delegation' - enabled"),
    ),
)


def uac_weakened(value: str) -> str:
    """The weakening flags a 4738 turned on, comma-joined ("" when none).

    >>> uac_weakened("\\r\\n\\t\\t%%2096"), uac_weakened("'Don't Require Preauth' - Disabled")
    ('dont_require_preauth', '')
    """
    text = value.lower()
    return ",".join(name for name, keys in _UAC_WEAKENING if any(k in text for k in keys))


def _account_change(event_id: int) -> Handler:
    verb = _ACCOUNT_VERBS[event_id]
    computer_event = event_id in _COMPUTER_EVENTS

    def handle(fields: Fields, host: str) -> dict[str, Any]:
        user, _ = _account(_s(fields, "SubjectUserName"))
        reason = ""
        if event_id == 4781:
            # noPac renames a computer account to a DC name without "$": keep both names.
            name = _s(fields, "NewTargetUserName")
            reason = normalise_user(_s(fields, "OldTargetUserName"))
        else:
            name = _clean(_s(fields, "TargetUserName")) or _clean(_s(fields, "TargetSid"))
        if event_id == 4738:
            reason = uac_weakened(_s(fields, "UserAccountControl"))
        target, machine = _account(name)
        if computer_event and target:
            # 4741-4743 are about computer objects even when the name lacks "$" (noPac renames
            # a computer account to the DC's name without it).
            target, machine = "", normalise_host(target)
        return {
            "action": Action.ACCOUNT_CHANGE,
            "user": user,
            "target_user": target,
            "device": machine,  # computer accounts (4741/4742) are hosts, not users
            "src_host": normalise_host(_s(fields, "Workstation")),  # 4794 only
            "object": verb,
            "privileged": event_id in _ALWAYS_PRIVILEGED or _looks_privileged(target),
            "reason": reason,
        }

    return handle


def _lockout(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    target, _ = _account(_s(fields, "TargetUserName"))
    return {
        "action": Action.ACCOUNT_LOCKOUT,
        "user": user,
        "target_user": target,
        # 4740 puts the caller computer (where the bad passwords came from) in TargetDomainName.
        "src_host": normalise_host(_s(fields, "TargetDomainName")),
    }


_GROUP_ADDED = frozenset({4728, 4732, 4756})


def _group_change(event_id: int) -> Handler:
    reason = "added" if event_id in _GROUP_ADDED else "removed"

    def handle(fields: Fields, host: str) -> dict[str, Any]:
        user, _ = _account(_s(fields, "SubjectUserName"))
        member_name = _clean(_s(fields, "MemberName"))
        if member_name:
            target, machine = _account(_dn_name(member_name))
        else:
            target, machine = _sid(_clean(_s(fields, "MemberSid"))), ""
        group = _clean(_s(fields, "TargetUserName"))
        return {
            "action": Action.GROUP_CHANGE,
            "user": user,
            "target_user": target,
            "device": machine,
            "object": group,
            "privileged": is_sensitive_group(group),
            "reason": reason,
        }

    return handle


#: Kerberos ticket encryption types that are RC4-HMAC (0x17) or its export variant (0x18):
#: what Kerberoasting and overpass-the-hash tools ask for where AES (0x11, 0x12) is the norm.
_RC4_TICKETS = frozenset({"0x17", "0x18", "23", "24"})


def _pre_auth_type(fields: Fields) -> str:
    """4768's ``PreAuthType`` as a decimal number ("0": no pre-authentication, the account has
    "do not require Kerberos preauthentication" set, the AS-REP roasting case; "2": encrypted
    timestamp, the norm), "" when absent or not a number (``-`` on failed requests)."""
    value = _s(fields, "PreAuthType").lower()
    hexa = value.startswith("0x")
    digits = value[2:] if hexa else value
    if not digits or len(digits) > 8 or not digits.isascii() or not digits.isalnum():
        return ""
    try:
        return str(int(digits, 16 if hexa else 10))
    except ValueError:
        return ""


def _auth_ticket(event_id: int) -> Handler:
    ntlm = event_id == 4776
    tgt = event_id == 4768

    def handle(fields: Fields, host: str) -> dict[str, Any]:
        user, machine = _account(_s(fields, "TargetUserName"))
        status = _status(fields, "Status", "ErrorCode", "FailureCode")
        failed = status not in _OK_STATUS
        protocol = "ntlm" if ntlm else "kerberos"
        if not ntlm and _s(fields, "TicketEncryptionType").strip().lower() in _RC4_TICKETS:
            protocol = "kerberos_rc4"
        return {
            "action": Action.AUTH_TICKET,
            "outcome": Outcome.FAILURE if failed else Outcome.SUCCESS,
            "user": user,
            "src_ip": normalise_ip(_s(fields, "IpAddress")),
            "src_host": normalise_host(_s(fields, "Workstation")) or machine,
            "object": _clean(_s(fields, "ServiceName")),
            "auth_protocol": protocol,
            "reason": status if failed else "",
            # 4768 only: the Kerberos pre-authentication type, in the field that says how an
            # account authenticated (read only on logons by the logon detectors).
            "logon_type": _pre_auth_type(fields) if tgt else "",
        }

    return handle


def _share_access(fields: Fields, host: str) -> dict[str, Any]:
    user, machine = _account(_s(fields, "SubjectUserName"))
    share = _s(fields, "ShareName")
    relative = _clean(_s(fields, "RelativeTargetName"))
    return {
        "action": Action.SHARE_ACCESS,
        "user": user,
        "src_host": machine,
        "src_ip": normalise_ip(_s(fields, "IpAddress")),
        "object": f"{share}\\{relative}" if relative else share,
    }


def _message_value(fields: Fields, label: str) -> str:
    """The rest of the ``label`` line in the rendered Message (not truncated: it comes last)."""
    message = fields.get("Message")
    if not isinstance(message, str) or label not in message:
        return ""
    return message.rpartition(label)[2].split("\n", 1)[0].strip()


#: Field WinlogbeatParser adds to 7045's fields: ``winlog.user.name``, the installer.
INSTALLER_FIELD = "winlog.user.name"


def _service_install_system(fields: Fields, host: str) -> dict[str, Any]:
    account = _s(fields, "AccountName")
    installer = ""
    if "UserID" in fields and "AccountType" in fields:
        # nxlog (HELK) adds the event's System/Security user as AccountName/UserID/AccountType,
        # overwriting 7045's own AccountName: there it names who installed the service, and the
        # service account survives only in the Message text.
        installer, account = account, _message_value(fields, "Service Account:")
    else:
        # Winlogbeat resolves the System/Security UserID (the installer) to winlog.user.name;
        # EVTX and XML carry only the SID, so their 7045 has no installer.
        installer = _s(fields, INSTALLER_FIELD)
    user, _ = _account(installer)
    target, _ = _account(account)
    return {
        "action": Action.REMOTE_EXEC,
        "user": user,
        "target_user": target,  # the account the service runs as
        "object": _clean(_s(fields, "ServiceName")),
        "app": _clean(_s(fields, "ImagePath")),
    }


def _service_install_security(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    account, _ = _account(_s(fields, "ServiceAccount"))
    return {
        "action": Action.REMOTE_EXEC,
        "user": user,
        "target_user": account,
        "object": _clean(_s(fields, "ServiceName")),
        "app": _clean(_s(fields, "ServiceFileName")),
    }


def _task_created(fields: Fields, host: str) -> dict[str, Any]:
    # 4698: scheduled task registered (schtasks /create /S, atexec) — a remote-execution vector.
    user, _ = _account(_s(fields, "SubjectUserName"))
    return {"action": Action.REMOTE_EXEC, "user": user, "object": _clean(_s(fields, "TaskName"))}


def _log_cleared(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    return {"action": Action.LOG_CLEARED, "user": user, "object": _clean(_s(fields, "Channel"))}


def _security_log_cleared(fields: Fields, host: str) -> dict[str, Any]:
    kwargs = _log_cleared(fields, host)
    kwargs["object"] = "Security"
    return kwargs


# Rights whose use on the domain object is DCSync (4662 Properties holds their GUIDs).
_REPLICATION_RIGHTS = (
    ("1131f6ad-9c07-11d1-f79f-00c04fc2dcd2", "DS-Replication-Get-Changes-All"),
    ("89e95b76-444d-4c62-991a-0facbeda640c", "DS-Replication-Get-Changes-In-Filtered-Set"),
    ("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2", "DS-Replication-Get-Changes"),
)
_WRITE_DAC = 0x40000
_READ_PROPERTY = 0x10
#: ``reason`` of a 4662 that only read audited properties of a directory object.
DS_PROPERTY_READ = "property read"
#: Directory object classes by schemaIDGUID (4662 ``ObjectType``), for the explanation.
_DS_CLASSES = {
    "bf967a86-0de6-11d0-a285-00aa003049e2": "computer",
    "bf967aba-0de6-11d0-a285-00aa003049e2": "user",
    "bf967a9c-0de6-11d0-a285-00aa003049e2": "group",
    "19195a5b-6da0-11d0-afd3-00c04fd930c9": "domain",
    "f30e3bc2-9ff0-11d1-b603-0000f80367c1": "group policy",
    "7b8b558a-93a5-4af7-adca-e017e67f1057": "managed service account",
}


def _ds_access(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    properties = _s(fields, "Properties").lower()
    for guid, right in _REPLICATION_RIGHTS:
        if guid in properties:
            return {
                "action": Action.POLICY_CHANGE,
                "user": user,
                "object": right,
                "privileged": True,
            }
    try:
        mask = int(_s(fields, "AccessMask") or "0", 16)
    except ValueError:
        mask = 0
    name = _clean(_s(fields, "ObjectName"))
    if mask and not mask & ~_READ_PROPERTY:
        # Read Property alone is audited only where a SACL asks for it: on confidential
        # attributes (a LAPS password, BitLocker recovery keys, gMSA passwords). A read, not a
        # permission change: the explanation must say so.
        kind = _DS_CLASSES.get(_s(fields, "ObjectType").strip("%{} ").lower(), "object")
        return {
            "action": Action.POLICY_CHANGE,
            "user": user,
            "object": f"{kind} {name}" if name else kind,
            "reason": DS_PROPERTY_READ,
        }
    return {
        "action": Action.POLICY_CHANGE,
        "user": user,
        "object": name,
        "privileged": bool(mask & _WRITE_DAC),  # WRITE_DAC = someone rewriting permissions
    }


_AUDIT_CHANGES = {
    "%%8448": "success removed",
    "%%8449": "success added",
    "%%8450": "failure removed",
    "%%8451": "failure added",
}


def _audit_policy(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    changes = [
        _AUDIT_CHANGES.get(c.strip(), c.strip())
        for c in _s(fields, "AuditPolicyChanges").split(",")
    ]
    subcategory = _clean(_s(fields, "SubcategoryGuid")) or _clean(_s(fields, "SubcategoryId"))
    return {
        "action": Action.POLICY_CHANGE,
        "user": user,
        "object": subcategory,
        "reason": ", ".join(c for c in changes if c),
    }


# Directory attributes whose change grants rights (ACLs, RBCD, shadow credentials, SPNs, a
# GPO's file path: pointing a policy at another share runs that share's scripts on every
# computer it applies to, T1484.001; a GPO's client-side extensions: the policy starts doing
# a new kind of thing - immediate scheduled tasks, scripts, software installs, local group
# changes - on every computer it applies to, the SharpGPOAbuse edit; round 20).
_SENSITIVE_ATTRIBUTES = frozenset(
    {
        "ntsecuritydescriptor",
        "gpcfilesyspath",
        "gpcmachineextensionnames",
        "gpcuserextensionnames",
        "msds-allowedtoactonbehalfofotheridentity",
        "msds-keycredentiallink",
        "serviceprincipalname",
        "member",
    }
)
_DS_OPERATIONS = {"%%14674": "value added", "%%14675": "value deleted"}


def _ds_change(fields: Fields, host: str) -> dict[str, Any]:
    user, _ = _account(_s(fields, "SubjectUserName"))
    attribute = _clean(_s(fields, "AttributeLDAPDisplayName"))
    object_class = _s(fields, "ObjectClass").lower()
    target = machine = ""
    if object_class in ("user", "computer"):
        target, machine = _account(_dn_name(_s(fields, "ObjectDN")))
        if object_class == "computer" and target:
            target, machine = "", normalise_host(target)
    operation = _s(fields, "OperationType")
    return {
        "action": Action.POLICY_CHANGE,
        "user": user,
        "target_user": target,
        "device": machine,
        "object": attribute or _clean(_s(fields, "ObjectName")),
        "privileged": attribute.lower() in _SENSITIVE_ATTRIBUTES,
        "reason": _DS_OPERATIONS.get(operation, operation),
    }


# --------------------------------------------------------------------------------------------
# File-server deletes and permission changes (issue 3: mass deletion, mass ACL changes; read by
# ``volume``). Only file-system objects: a 4663/4670 on a registry key, token or process is
# the system's own housekeeping (services rewrite their token DACLs at every start).

#: 4663 AccessMask bit and AccessList code of the DELETE right ("%%1537" renders as DELETE).
_DELETE_RIGHT = 0x10000
_DELETE_CODE = "%%1537"


def _folder(path: str) -> str:
    """The folder of a file path (the object of a delete): a mass deletion is hundreds of files
    in a few folders, and one value per folder keeps the interned object table small."""
    head, sep, _ = path.rstrip("\\").rpartition("\\")
    return head if sep and head else path


def _is_file_object(fields: Fields) -> bool:
    # "File" covers folders too; a missing ObjectType (trimmed exports) is read as a file.
    return _clean(_s(fields, "ObjectType")).lower() in ("", "file")


def _object_delete(fields: Fields, host: str) -> dict[str, Any] | None:
    # 4663: an access attempt was made on an object. Only the DELETE right is read: reads and
    # writes (most of a file server's audited 4663s, and every registry read) are skipped, as
    # 4660 (object deleted) is: it follows the 4663 with DELETE for the same handle and names
    # no object, so reading both would count each deletion twice.
    if not _is_file_object(fields):
        return None
    try:
        mask = int(_s(fields, "AccessMask") or "0", 16)
    except ValueError:
        mask = 0
    if not (mask & _DELETE_RIGHT or _DELETE_CODE in _s(fields, "AccessList")):
        return None
    user, machine = _account(_s(fields, "SubjectUserName"))
    return {
        "action": Action.DELETE,
        "user": user,  # a machine account (SYSTEM's own work) is a host, as elsewhere
        "src_host": machine,
        "object": _folder(_clean(_s(fields, "ObjectName"))),
        "app": _clean(_s(fields, "ProcessName")),
    }


def _sd_part(sd: str, tag: str) -> str:
    """One part of an SDDL string (``O:``, ``G:``, ``D:``, ``S:``; tags outside the ACEs'
    parentheses), "" when absent.

    >>> _sd_part("O:BAG:SYD:(A;;FA;;;BA)S:AI", "D")
    'D:(A;;FA;;;BA)'
    """
    depth, start, found = 0, -1, ""
    for index, char in enumerate(sd):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char in "OGDS" and sd[index + 1 : index + 2] == ":":
            if start >= 0 and sd[start] == tag:
                return sd[start:index]
            start = index
    if start >= 0 and sd[start] == tag:
        found = sd[start:]
    return found


#: SDDL trustees that stand for (nearly) everyone, by alias and by SID: Everyone, Anonymous,
#: Authenticated Users, Builtin Users and Guests; Domain Users and Guests by their RID.
_BROAD_TRUSTEES = {
    "wd": "Everyone",
    "s-1-1-0": "Everyone",
    "an": "Anonymous",
    "s-1-5-7": "Anonymous",
    "au": "Authenticated Users",
    "s-1-5-11": "Authenticated Users",
    "bu": "Users",
    "s-1-5-32-545": "Users",
    "bg": "Guests",
    "s-1-5-32-546": "Guests",
    "du": "Domain Users",
    "dg": "Domain Guests",
}
_DOMAIN_RIDS = {"513": "Domain Users", "514": "Domain Guests"}

#: SDDL access-right codes as mask bits (files reuse the directory-service letters' bits).
_SDDL_RIGHTS = {
    "ga": 0x10000000, "gr": 0x80000000, "gw": 0x40000000, "gx": 0x20000000,
    "rc": 0x20000, "sd": 0x10000, "wd": 0x40000, "wo": 0x80000,
    "cc": 0x1, "dc": 0x2, "lc": 0x4, "sw": 0x8, "rp": 0x10, "wp": 0x20, "dt": 0x40,
    "lo": 0x80, "cr": 0x100,
    "fa": 0x1F01FF, "fr": 0x120089, "fw": 0x120116, "fx": 0x1200A0,
}  # fmt: skip

#: Rights that let the trustee change or destroy the object: write/append data, delete,
#: delete children, rewrite the DACL or owner, generic write/all.
_WRITE_RIGHTS = 0x2 | 0x4 | 0x40 | 0x10000 | 0x40000 | 0x80000 | 0x10000000 | 0x40000000


def _rights_mask(rights: str) -> int:
    """An ACE's rights (``0x1301bf`` or letter pairs such as ``FA``, ``GRGW``) as a mask."""
    rights = rights.strip().lower()
    if rights.startswith("0x"):
        try:
            return int(rights[2:17], 16)
        except ValueError:
            return 0
    if rights.isdigit():
        return int(rights[:10])
    return sum(_SDDL_RIGHTS.get(rights[i : i + 2], 0) for i in range(0, len(rights) - 1, 2))


def _broad_writers(dacl: str) -> set[str]:
    """Broad trustees (Everyone, Authenticated/Domain Users ...) an SDDL DACL allows to write.

    >>> sorted(_broad_writers("D:PAI(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;DU)(A;;FR;;;WD)"))
    ['Domain Users']
    """
    found: set[str] = set()
    for ace in dacl.split("(")[1:]:
        body, closed, _ = ace.partition(")")
        parts = body.split(";")
        if not closed or len(parts) < 6 or parts[0].strip().upper() not in ("A", "OA", "XA", "ZA"):
            continue  # deny ACEs, audit ACEs and malformed ones grant nothing
        trustee = parts[5].strip().lower()
        name = _BROAD_TRUSTEES.get(trustee)
        if name is None and trustee.startswith("s-1-5-21-"):
            name = _DOMAIN_RIDS.get(trustee.rpartition("-")[2])
        if name and _rights_mask(parts[2]) & _WRITE_RIGHTS:
            found.add(name)
    return found


def _permission_change(fields: Fields, host: str) -> dict[str, Any] | None:
    # 4670: permissions on an object were changed (OldSd -> NewSd, SDDL). A folder's ACL
    # rewritten is a permission change like a directory object's (4662 WRITE_DAC, 5136
    # nTSecurityDescriptor): POLICY_CHANGE, the class ``volume`` counts mass permission
    # changes in. One ACL fix is routine; hundreds in minutes are volume's. A change that
    # newly lets Everyone / Authenticated / Domain Users / Users write or take full control
    # (not in the old DACL) is privileged: the data is opened to the whole organisation.
    if not _is_file_object(fields):
        return None
    user, machine = _account(_s(fields, "SubjectUserName"))
    old, new = _s(fields, "OldSd"), _s(fields, "NewSd")
    changed = [
        name
        for tag, name in (("O", "owner"), ("D", "dacl"), ("S", "sacl"))
        if _sd_part(old, tag) != _sd_part(new, tag)
    ]
    reason = " ".join(changed) + " changed" if changed else ""
    opened: list[str] = []
    if "dacl" in changed:
        opened = sorted(_broad_writers(_sd_part(new, "D")) - _broad_writers(_sd_part(old, "D")))
    if opened:
        reason += f"; write access granted to {', '.join(opened)}"
    return {
        "action": Action.POLICY_CHANGE,
        "user": user,
        "src_host": machine,
        "object": _clean(_s(fields, "ObjectName")),
        "reason": reason,
        "privileged": bool(opened),
    }


#: Sysmon 23/26 deletes below these folders are software's own churn (browser and app caches,
#: temp files, updates): thousands a day under a user's account that the user never chose.
_CHURN_FOLDERS = (
    "\\appdata\\",
    "\\temp\\",
    "\\tmp\\",
    "\\windows\\",
    "\\programdata\\",
    "\\program files",
    "\\$recycle.bin\\",
)


def _sysmon_delete(fields: Fields, host: str) -> dict[str, Any] | None:
    # Sysmon 23 (FileDelete, archived) and 26 (FileDeleteDetected): a local delete by a process.
    path = _clean(_s(fields, "TargetFilename"))
    lowered = path.lower()
    if any(folder in lowered for folder in _CHURN_FOLDERS):
        return None
    user, machine = _account(_s(fields, "User"))
    return {
        "action": Action.DELETE,
        "user": user,
        "src_host": machine,
        "object": _folder(path),
        "app": _clean(_s(fields, "Image")),
    }


def _build_handlers() -> dict[tuple[str, int], Handler]:
    table: dict[tuple[str, int], Handler] = {
        ("security", 4624): _logon,
        ("security", 4625): _logon_failed,
        ("security", 4634): _logoff,
        ("security", 4647): _logoff,
        ("security", 4648): _explicit_credential,
        ("security", 4672): _privilege_use,
        ("security", 4688): _process_start,
        ("security", 4740): _lockout,
        ("security", 5140): _share_access,
        ("security", 5145): _share_access,
        ("security", 4697): _service_install_security,
        ("security", 4698): _task_created,
        ("security", 4662): _ds_access,
        ("security", 4719): _audit_policy,
        ("security", 4912): _audit_policy,
        ("security", 5136): _ds_change,
        ("security", 4663): _object_delete,
        ("security", 4670): _permission_change,
        # 1102 comes from the Eventlog provider; "security" covers exports without a provider.
        ("security", 1102): _security_log_cleared,
        ("eventlog", 1102): _security_log_cleared,
        ("eventlog", 104): _log_cleared,
        ("system", 104): _log_cleared,
        ("system", 7045): _service_install_system,
        ("sysmon", 1): _sysmon_process,
        ("sysmon", 3): _sysmon_network,
        ("sysmon", 23): _sysmon_delete,
        ("sysmon", 26): _sysmon_delete,
    }
    for event_id in _ACCOUNT_VERBS:
        table["security", event_id] = _account_change(event_id)
    for event_id in (4728, 4732, 4756, 4729, 4733, 4757):
        table["security", event_id] = _group_change(event_id)
    for event_id in (4768, 4769, 4771, 4776):
        table["security", event_id] = _auth_ticket(event_id)
    return table


HANDLERS: dict[tuple[str, int], Handler] = _build_handlers()

# The provider decides what an id means (System 10 is not Sysmon 10); the channel is the
# fallback for exports that drop the provider. A known-but-other provider (PowerShell, AD FS
# Auditing writing to Security) must not fall back to the channel.
_PROVIDER_FAMILY = {
    "microsoft-windows-security-auditing": "security",
    "microsoft-windows-sysmon": "sysmon",
    "service control manager": "system",
    "microsoft-windows-eventlog": "eventlog",
}
_CHANNEL_FAMILY = {
    "security": "security",
    "system": "system",
    "microsoft-windows-sysmon/operational": "sysmon",
}


def _family(provider: Any, channel: Any) -> str:
    if isinstance(provider, str) and provider:
        return _PROVIDER_FAMILY.get(provider.lower(), "other")
    if isinstance(channel, str):
        return _CHANNEL_FAMILY.get(channel.lower(), "other")
    return "other"


def _event_id(value: Any) -> int:
    """EventID as int from 4624, "4624" or evtx's ``{"#text": 4624, "#attributes": ...}``."""
    if isinstance(value, Mapping):
        value = value.get("#text")
    if value is None or value == "":
        raise BadRecord("missing EventID")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRecord(f"non-integer EventID: {type(value).__name__}")
    number: int
    if isinstance(value, str):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise BadRecord(f"non-integer EventID: {value[:20]!r}")
        number = int(digits)
    else:
        number = value
    if not 0 <= number <= 0xFFFF:
        raise BadRecord(f"EventID out of range: {number}")
    return number


def _record_hash(record: Mapping[str, Any]) -> str:
    """Stable id for exports without a record number (4 Security-Datasets files)."""
    try:
        data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, say
        data = repr(sorted(record.items(), key=lambda item: str(item[0]))).encode()
    return "x" + hashlib.blake2b(data, digest_size=8).hexdigest()


def windows_events(
    fields: Fields,
    meta: WinMeta,
    record: Mapping[str, Any],
    ctx: ParseContext,
    source_format: str,
) -> list[Event]:
    """The shared mapping: one Windows event (any shape) → ``[Event]`` or ``[]`` if irrelevant."""
    handler = HANDLERS.get((meta.family, meta.event_id))
    if handler is None:
        return []
    time = _time(fields, meta)
    host = normalise_host(meta.computer)
    kwargs = handler(fields, host)
    if kwargs is None:
        return []
    kwargs.setdefault("dst_host", host)
    number = meta.record_number or _record_hash(record)
    event_id = f"sysmon:{meta.event_id}" if meta.family == "sysmon" else str(meta.event_id)
    return [
        Event(
            time=time,
            tenant=ctx.tenant,
            source_format=source_format,
            event_id=event_id,
            record_id=f"{host}:{number}",
            **kwargs,
        )
    ]


def _time(fields: Fields, meta: WinMeta) -> datetime:
    if meta.prefer_sysmon_utc and meta.family == "sysmon":
        # Sysmon's UtcTime is the one trustworthy UTC clock in flat exports (Security-Datasets
        # stamps some files with host local time marked "Z").
        utc = fields.get("UtcTime")
        if utc:
            return parse_time(utc, field_name="UtcTime")
    return parse_time(meta.time, field_name=meta.time_field)


def _first_key(record: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[Any, str]:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value, key
    return None, keys[0]


def _scalar_text(value: Any) -> str:
    return text(value).strip()


class _WindowsParser:
    """The parse() boundary shared by the three shapes: nothing but BadRecord escapes."""

    name: ClassVar[str]
    kind: ClassVar[str] = "json"

    def split(self, record: Mapping[str, Any]) -> tuple[Fields, WinMeta]:
        raise NotImplementedError

    def events(self, record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
        fields, meta = self.split(record)
        return windows_events(fields, meta, record, ctx, self.name)

    def parse(self, record: Record, ctx: ParseContext) -> list[Event]:
        if not isinstance(record, Mapping):
            raise BadRecord("expected a JSON object")
        try:
            return self.events(record, ctx)
        except BadRecord:
            raise
        except Exception as exc:  # a shape we did not foresee must dead-letter, not crash
            raise BadRecord(
                f"malformed {self.name} record: {type(exc).__name__}: {exc}"[:200]
            ) from exc


_HELK_HINTS = ("Hostname", "Channel", "SourceName", "Computer")
_HELK_TIME_KEYS = ("@timestamp", "TimeCreated", "EventTime", "TimeGenerated")


@register
class HelkParser(_WindowsParser):
    """Flat HELK / Security-Datasets / nxlog JSON (also Sentinel ``SecurityEvent`` rows)."""

    name: ClassVar[str] = "helk"

    def sniff(self, record: Record) -> bool:
        return (
            isinstance(record, Mapping)
            and "EventID" in record
            and "winlog" not in record
            and any(key in record for key in _HELK_HINTS)
        )

    def split(self, record: Mapping[str, Any]) -> tuple[Fields, WinMeta]:
        event_id = _event_id(record.get("EventID"))
        fields: Fields = record
        nested = record.get("EventData")
        if nested is not None:
            # Exports that keep EventData as an object (NXLog with a nested record, Logstash
            # pipelines): its keys are the event's own fields and win over the envelope's (104
            # has a Channel field of its own). Read flat, they would be lost silently.
            if not isinstance(nested, Mapping):
                raise BadRecord("EventData is not an object")
            fields = {**record, **nested}
        provider = record.get("SourceName") or record.get("EventSourceName")
        time, time_field = _first_key(record, _HELK_TIME_KEYS)
        computer, _ = _first_key(record, ("Hostname", "Computer"))
        # EventOriginId: Sentinel's per-row GUID, better than a hash when there is no number.
        number, _ = _first_key(record, ("RecordNumber", "EventRecordID", "EventOriginId"))
        meta = WinMeta(
            event_id=event_id,
            family=_family(provider, record.get("Channel")),
            computer=_scalar_text(computer),
            record_number=_scalar_text(number),
            time=time,
            time_field=time_field,
            prefer_sysmon_utc=True,
        )
        return fields, meta


@register
class WinlogbeatParser(_WindowsParser):
    """Winlogbeat 7/8 (ECS) documents: ``winlog.*`` plus ``@timestamp``/``event``/``host``."""

    name: ClassVar[str] = "winlogbeat"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        winlog = record.get("winlog")
        if isinstance(winlog, Mapping):
            return "event_id" in winlog or "event_data" in winlog
        return _is_legacy_winlogbeat(record)

    def split(self, record: Mapping[str, Any]) -> tuple[Fields, WinMeta]:
        winlog = record.get("winlog")
        if winlog is None and _is_legacy_winlogbeat(record):
            # Winlogbeat 5/6 (before ECS): the same fields at the top level, a few renamed.
            winlog = _LegacyWinlog(record)
        if not isinstance(winlog, Mapping):
            raise BadRecord("winlog is not an object")
        event = record.get("event")
        event = event if isinstance(event, Mapping) else {}
        host = record.get("host")
        host = host if isinstance(host, Mapping) else {}
        raw_id = winlog.get("event_id")
        event_id = _event_id(raw_id if raw_id not in (None, "") else event.get("code"))
        fields: dict[str, Any] = {}
        # event_data holds EventData; user_data holds UserData (1102's LogFileCleared).
        for key in ("event_data", "user_data"):
            part = winlog.get(key)
            if part is None:
                continue
            if not isinstance(part, Mapping):
                raise BadRecord(f"winlog.{key} is not an object")
            for name, value in part.items():
                fields.setdefault(name, value)
        user = winlog.get("user")
        if event_id == 7045 and isinstance(user, Mapping) and user.get("name"):
            fields[INSTALLER_FIELD] = user.get("name")
        computer = winlog.get("computer_name") or host.get("name") or host.get("hostname")
        meta = WinMeta(
            event_id=event_id,
            family=_family(
                winlog.get("provider_name") or event.get("provider"), winlog.get("channel")
            ),
            computer=_scalar_text(computer),
            record_number=_scalar_text(winlog.get("record_id")),
            time=record.get("@timestamp"),
            time_field="@timestamp",
            prefer_sysmon_utc=True,
        )
        return fields, meta


def _is_legacy_winlogbeat(record: Mapping[str, Any]) -> bool:
    """Winlogbeat 5/6 documents: ``event_id``/``event_data`` with ``computer_name``/``log_name``
    at the top level (no ``winlog`` object, no ``EventID``)."""
    return ("event_id" in record or "event_data" in record) and (
        "computer_name" in record or "log_name" in record
    )


# Winlogbeat 7+ name -> Winlogbeat 5/6 name, for the keys WinlogbeatParser.split reads.
_LEGACY_WINLOG_KEYS = {
    "channel": "log_name",
    "provider_name": "source_name",
    "record_id": "record_number",
}


class _LegacyWinlog(Mapping[str, Any]):
    """A Winlogbeat 5/6 document seen as Winlogbeat 7's ``winlog`` object."""

    __slots__ = ("record",)

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = record

    def __getitem__(self, key: str) -> Any:
        return self.record[_LEGACY_WINLOG_KEYS.get(key, key)]

    def __iter__(self) -> Any:
        return (key for key in self.record)

    def __len__(self) -> int:
        return len(self.record)


_STATE_SIDS = "windows.sid_names"
#: Account SIDs remembered per input (then forgotten all at once): bounds memory.
MAX_SID_NAMES = 65_536
_SID_PAIRS = (("SubjectUserSid", "SubjectUserName"), ("TargetUserSid", "TargetUserName"))


def _system_user_sid(record: Mapping[str, Any]) -> str:
    """``Event/System/Security/@UserID`` of an EVTX-shaped record, "" when absent."""
    event = record.get("Event")
    system = event.get("System") if isinstance(event, Mapping) else None
    security = system.get("Security") if isinstance(system, Mapping) else None
    attributes = security.get("#attributes") if isinstance(security, Mapping) else None
    sid = attributes.get("UserID") if isinstance(attributes, Mapping) else None
    return sid.upper() if isinstance(sid, str) else ""


def _learn_sids(fields: Fields, names: dict[str, str]) -> None:
    """Remember the account names Security events give for SIDs (4624's TargetUserSid ...)."""
    for sid_key, name_key in _SID_PAIRS:
        sid = fields.get(sid_key)
        name = fields.get(name_key)
        if (
            isinstance(sid, str)
            and sid.startswith("S-1-5-21-")
            and isinstance(name, str)
            and name not in ("", "-")
        ):
            if len(names) >= MAX_SID_NAMES:
                names.clear()
            names[sid.upper()] = name


@register
class EvtxParser(_WindowsParser):
    """A record from ``evtx.PyEvtxParser(path).records_json()``, its ``data`` JSON decoded."""

    name: ClassVar[str] = "evtx"

    def sniff(self, record: Record) -> bool:
        if not isinstance(record, Mapping):
            return False
        event = record.get("Event")
        return isinstance(event, Mapping) and isinstance(event.get("System"), Mapping)

    def split(self, record: Mapping[str, Any]) -> tuple[Fields, WinMeta]:
        event = record.get("Event")
        if not isinstance(event, Mapping):
            raise BadRecord("missing Event object")
        system = event.get("System")
        if not isinstance(system, Mapping):
            raise BadRecord("missing Event.System")
        event_id = _event_id(system.get("EventID"))
        fields = event.get("EventData")
        if fields is None:
            # UserData has one child element named after the event (LogFileCleared for 1102).
            user_data = event.get("UserData")
            fields = (
                next(iter(user_data.values()), None) if isinstance(user_data, Mapping) else None
            )
        if fields is None:
            fields = {}
        if not isinstance(fields, Mapping):
            raise BadRecord("EventData is not an object")
        provider = system.get("Provider")
        provider_attrs = provider.get("#attributes") if isinstance(provider, Mapping) else None
        provider_name = provider_attrs.get("Name") if isinstance(provider_attrs, Mapping) else None
        created = system.get("TimeCreated")
        created_attrs = created.get("#attributes") if isinstance(created, Mapping) else None
        # Always System/TimeCreated/@SystemTime: the record-header time is shifted by one record
        # in many files and is 1601-01-01 for some.
        time = created_attrs.get("SystemTime") if isinstance(created_attrs, Mapping) else None
        meta = WinMeta(
            event_id=event_id,
            family=_family(provider_name, system.get("Channel")),
            computer=_scalar_text(system.get("Computer")),
            record_number=_scalar_text(system.get("EventRecordID")),
            time=time,
            time_field="TimeCreated/@SystemTime",
            prefer_sysmon_utc=False,
        )
        return fields, meta

    def events(self, record: Mapping[str, Any], ctx: ParseContext) -> list[Event]:
        """EVTX and XML name 7045's installer only by SID (System/Security/@UserID), where
        nxlog and Winlogbeat resolve it to a name on the host. The name comes from this input's
        earlier Security events with the same SID (the installer's logon precedes the
        install); a SID not seen before leaves the installer unknown ("")."""
        fields, meta = self.split(record)
        names: dict[str, str] | None = ctx.state.get(_STATE_SIDS)
        if names is None:
            names = ctx.state[_STATE_SIDS] = {}
        if meta.event_id == 7045 and meta.family == "system":
            name = names.get(_system_user_sid(record))
            if name:
                fields = {**fields, INSTALLER_FIELD: name}
        events = windows_events(fields, meta, record, ctx, self.name)
        if events and meta.family == "security":
            _learn_sids(fields, names)
        return events
