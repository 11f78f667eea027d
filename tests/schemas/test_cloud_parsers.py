"""Cloud and identity parsers: CloudTrail, Okta, Entra ID, OCSF, ECS, Sentinel / Log Analytics.

Sample records: CloudTrail ones marked *Stratus* are copied from DataDog/stratus-red-team
``docs/detonation-logs`` (Apache-2.0), *Security-Datasets* ones from OTRF/Security-Datasets
(MIT), with long tokens elided. Okta, Entra, ECS and OCSF records are hand-written from the
vendors' documented shapes (no real data of those formats is available). The real-file tests
read ``shared/data`` (``VIGIL_SHARED_DATA`` overrides) and skip when it is absent.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import json
import os
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.event import Action, Event, Outcome
from schemas.parsers.base import PARSERS, BadRecord, ParseContext
from schemas.parsers.cloudtrail import ACTIONS, action_for, base_event_name, grants_admin
from schemas.parsers.generic import SentinelParser
from schemas.parsers.identity import decode_json_field

# The Windows parsers define what "EventID"/"winlog"/"Event.System" records belong to; load
# them when present so the exclusivity checks cover them too.
with contextlib.suppress(ImportError):
    import schemas.parsers.windows  # noqa: F401

MINE = ("cloudtrail", "okta", "entra", "ocsf", "ecs", "sentinel")
assert isinstance(PARSERS["sentinel"], SentinelParser)  # importing generic registered all six
CTX = ParseContext(tenant="acme", source="test.json", position=7)


def _data_dir() -> Path:
    override = os.environ.get("VIGIL_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


DATA = _data_dir()
STRATUS = DATA / "stratus-red-team" / "detonation-logs"
SD_AWS = (
    DATA / "security-datasets" / "atomic" / "aws" / "collection" / "ec2_proxy_s3_exfiltration.zip"
)
GOLDEN = DATA / "security-datasets" / "compound" / "GoldenSAMLADFSMailAccess"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def parse(name: str, record: Any, ctx: ParseContext = CTX) -> list[Event]:
    return PARSERS[name].parse(record, ctx)


def t(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


def sniffers(record: Any) -> list[str]:
    return [p.name for p in PARSERS.values() if p.kind == "json" and p.sniff(record)]


# ============================================================================================
# CloudTrail samples

# Stratus aws.persistence.iam-create-admin-user.json (tlsDetails dropped)
CT_ATTACH_ADMIN = {
    "awsRegion": "ap-isob-central-3r",
    "eventCategory": "Management",
    "eventID": "083dc4ad-e264-46bc-a407-d0dd31b58bdc",
    "eventName": "AttachUserPolicy",
    "eventSource": "iam.amazonaws.com",
    "eventTime": "2024-08-01T13:33:28Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.09",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "229654561268",
    "requestID": "710f2703-6e8a-46d5-9924-b12a3a681755",
    "requestParameters": {
        "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "userName": "malicious-iam-user",
    },
    "responseElements": None,
    "sourceIPAddress": "075.050.255.67",
    "userAgent": "stratus-red-team_6bf00313-712c-4fd2-9bdd-88f48a4b1282",
    "userIdentity": {
        "accessKeyId": "AKIAOZUDECYXYM4ONAN4",
        "accountId": "229654561268",
        "arn": "arn:aws:iam::229654561268:user/christophe",
        "principalId": "AIDAZ49AHUAJ9OEK73O5",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Stratus aws.persistence.iam-create-admin-user.json
CT_CREATE_USER = {
    **CT_ATTACH_ADMIN,
    "eventID": "3346344c-5a3e-429e-8405-420f98f75d6e",
    "eventName": "CreateUser",
    "requestID": "64ef9c47-6b64-4c0e-8c32-eb9ffaf8a658",
    "requestParameters": {
        "tags": [{"key": "StratusRedTeam", "value": "true"}],
        "userName": "malicious-iam-user",
    },
    "responseElements": {
        "user": {
            "arn": "arn:aws:iam::229654561268:user/malicious-iam-user",
            "createDate": "Aug 1, 2024 1:33:28 PM",
            "path": "/",
            "userId": "AIDAL1XMLVWIUOK8KAF0",
            "userName": "malicious-iam-user",
        }
    },
}
# Stratus aws.initial-access.console-login-without-mfa.json
CT_CONSOLE_LOGIN = {
    "additionalEventData": {
        "LoginTo": "https://console.aws.amazon.com/console/home",
        "MFAUsed": "No",
        "MobileVersion": "No",
    },
    "awsRegion": "eu-west-2r",
    "eventCategory": "Management",
    "eventID": "865d9377-9c6b-4fd7-8aad-725e95f6a140",
    "eventName": "ConsoleLogin",
    "eventSource": "signin.amazonaws.com",
    "eventTime": "2024-08-02T08:53:24Z",
    "eventType": "AwsConsoleSignIn",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "562283505220",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "sourceIPAddress": "225.01.00.16",
    "userAgent": "stratus-red-team_fccf7123-0651-41f5-b06c-460da5ee1c94",
    "userIdentity": {
        "accountId": "562283505220",
        "arn": "arn:aws:iam::562283505220:user/stratus-red-team-nmfalu-jfzdtsvchl",
        "principalId": "AIDA1ERT0661IN5R239V",
        "type": "IAMUser",
        "userName": "stratus-red-team-nmfalu-jfzdtsvchl",
    },
}
# Stratus aws.defense-evasion.cloudtrail-stop.json
CT_STOP_LOGGING = {
    "awsRegion": "apiso-centralnorth-2r",
    "eventCategory": "Management",
    "eventID": "10163ed2-2253-469d-a5ee-cbc6651f8934",
    "eventName": "StopLogging",
    "eventSource": "cloudtrail.amazonaws.com",
    "eventTime": "2024-07-31T13:06:24Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.10",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "143434273843",
    "requestID": "14c891b6-11b5-4787-ae97-64a974977078",
    "requestParameters": {"name": "stratus-red-team-ct-stop-trail-buykxbqejv"},
    "responseElements": None,
    "sourceIPAddress": "86.245.153.234",
    "userAgent": "stratus-red-team_c97089f1-1ae3-4ecc-b006-f5e8fd0f2571",
    "userIdentity": {
        "accessKeyId": "AKIAGGWFBBHBE7D3M9WI",
        "accountId": "143434273843",
        "arn": "arn:aws:iam::143434273843:user/christophe",
        "principalId": "AIDAOC1SYDVN0AF0FMMR",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Stratus aws.credential-access.ec2-get-password-data.json (errorMessage shortened)
CT_DENIED_ASSUMED_ROLE = {
    "awsRegion": "apiso-northsouth-3r",
    "errorCode": "Client.UnauthorizedOperation",
    "errorMessage": "You are not authorized to perform this operation. ...",
    "eventCategory": "Management",
    "eventID": "450230d4-b39e-4a18-a6a0-d07a6e2105cb",
    "eventName": "GetPasswordData",
    "eventSource": "ec2.amazonaws.com",
    "eventTime": "2024-07-30T21:31:21Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.09",
    "managementEvent": True,
    "readOnly": True,
    "recipientAccountId": "457448411975",
    "requestID": "b20c2df5-71d5-441e-84c8-b424f1c78ffb",
    "requestParameters": {"instanceId": "i-i2jnm5swa59p4fxg"},
    "responseElements": None,
    "sourceIPAddress": "200.249.253.51",
    "userAgent": "stratus-red-team_5c59eb79-6dac-405c-a4c4-e19aec03c666",
    "userIdentity": {
        "accessKeyId": "ASIANQQHHS551LWULIWD",
        "accountId": "457448411975",
        "arn": "arn:aws:sts::457448411975:assumed-role/"
        "stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000",
        "principalId": "AROAMLQ9F6KHQ07JKA0WY:aws-go-sdk-1722375070115152000",
        "sessionContext": {
            "attributes": {"creationDate": "2024-07-30T21:31:15Z", "mfaAuthenticated": "false"},
            "sessionIssuer": {
                "accountId": "457448411975",
                "arn": "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role",
                "principalId": "AROAMLQ9F6KHQ07JKA0WY",
                "type": "Role",
                "userName": "stratus-red-team-ec2-get-password-data-role",
            },
        },
        "type": "AssumedRole",
    },
}
# Stratus aws.persistence.sts-federation-token.json (session token elided)
CT_FEDERATION_TOKEN = {
    "awsRegion": "ap-isob-east-1r",
    "eventCategory": "Management",
    "eventID": "6e882b9d-2af8-4c67-b91f-aeac6a0e5e70",
    "eventName": "GetFederationToken",
    "eventSource": "sts.amazonaws.com",
    "eventTime": "2024-11-30T08:43:17Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "742491224508",
    "requestID": "e2de7fd1-2a86-4837-b15a-96fff1388061",
    "requestParameters": {
        "name": "stratus_red_team",
        "policy": '{\n\t\t"Version": "2012-10-17",\n\t\t"Statement": [\n\t\t\t{\n\t\t\t\t'
        '"Effect": "Allow",\n\t\t\t\t"Action": "*",\n\t\t\t\t"Resource": "*"\n\t\t\t}\n\t\t]\n\t}',
    },
    "responseElements": {
        "credentials": {
            "accessKeyId": "ASIASTJKC5GCM7ZE6LUP",
            "expiration": "Nov 30, 2024, 8:43:17 PM",
            "sessionToken": "(elided)",
        },
        "federatedUser": {
            "arn": "arn:aws:sts::742491224508:federated-user/stratus_red_team",
            "federatedUserId": "742491224508:stratus_red_team",
        },
        "packedPolicySize": 4,
    },
    "sourceIPAddress": "255.090.254.5",
    "userAgent": "aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 "
    "exec-env/grimoire_095724e3-1fa0-4e3e-b68a-e8581d194380 api/sts#1.26.2",
    "userIdentity": {
        "accessKeyId": "AKIA6V1GNZTT65XQH36M",
        "accountId": "742491224508",
        "arn": "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user",
        "principalId": "AIDAN7SEM6PEVTNQR8M4",
        "type": "IAMUser",
        "userName": "stratus-red-team-user-federation-user",
    },
}
# Stratus aws.persistence.sts-federation-token.json: the federated session's own call
CT_FEDERATED_USER = {
    "awsRegion": "ap-isob-east-1r",
    "eventCategory": "Management",
    "eventID": "91529247-c4c4-4793-afc8-d70bbcfe9d19",
    "eventName": "GetCallerIdentity",
    "eventSource": "sts.amazonaws.com",
    "eventTime": "2024-11-30T08:43:18Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": True,
    "recipientAccountId": "742491224508",
    "requestID": "037be419-9e9f-42e0-a38f-2a5d2ae1ce65",
    "requestParameters": None,
    "responseElements": None,
    "sourceIPAddress": "255.090.254.5",
    "userAgent": "aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1",
    "userIdentity": {
        "accessKeyId": "ASIASTJKC5GCM7ZE6LUP",
        "accountId": "742491224508",
        "arn": "arn:aws:sts::742491224508:federated-user/stratus_red_team",
        "principalId": "742491224508:stratus_red_team",
        "sessionContext": {
            "attributes": {"creationDate": "2024-11-30T08:43:17Z", "mfaAuthenticated": "false"},
            "sessionIssuer": {
                "accountId": "742491224508",
                "arn": "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user",
                "principalId": "AIDAN7SEM6PEVTNQR8M4",
                "type": "IAMUser",
                "userName": "stratus-red-team-user-federation-user",
            },
            "webIdFederationData": {},
        },
        "type": "FederatedUser",
    },
}
# Stratus aws.execution.ssm-send-command.json (responseElements trimmed)
CT_SEND_COMMAND = {
    "awsRegion": "sagov-westsouth-1r",
    "eventCategory": "Management",
    "eventID": "5288bfb8-e3fa-4c41-be02-6853521afe8b",
    "eventName": "SendCommand",
    "eventSource": "ssm.amazonaws.com",
    "eventTime": "2024-08-02T09:08:56Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "056392974792",
    "requestID": "1479b5e1-9751-4bf1-b548-cdd8108e85a6",
    "requestParameters": {
        "documentName": "AWS-RunShellScript",
        "instanceIds": ["i-00456A8D163f546Ff", "i-cfE23b1a7ceba6f86", "i-9D40CCFc0aE91CFa5"],
        "interactive": False,
        "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
    },
    "responseElements": {"command": {"commandId": "4e973221-443e-4a56-a0b4-1cb3c7923fc3"}},
    "sourceIPAddress": "253.252.51.07",
    "userAgent": "stratus-red-team_ea782787-a65d-4fc4-9fca-1c97869a9a25",
    "userIdentity": {
        "accessKeyId": "AKIAW9X2Q2U25SK79UCX",
        "accountId": "056392974792",
        "arn": "arn:aws:iam::056392974792:user/christophe",
        "principalId": "AIDA10CZIPPG73T21TDI",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Stratus aws.lateral-movement.ec2-instance-connect.json
CT_SSH_KEY = {
    "awsRegion": "eu-south-1r",
    "eventCategory": "Management",
    "eventID": "0968cbec-f8df-43f3-94ba-b451aad083ed",
    "eventName": "SendSSHPublicKey",
    "eventSource": "ec2-instance-connect.amazonaws.com",
    "eventTime": "2024-08-01T13:24:47Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "572910899909",
    "requestID": "1f1786bd-e04c-4fd9-af8c-6a5d69376c41",
    "requestParameters": {
        "instanceId": "i-fDb357cB7e99ad973",
        "instanceOSUser": "ec2-user",
        "sSHPublicKey": "ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOtAlK45MAEWZ7MUY2QEmi3M6W+peGL3VCrc0qH54xRu",
    },
    "responseElements": {"requestId": "1f1786bd-e04c-4fd9-af8c-6a5d69376c41", "success": True},
    "sourceIPAddress": "246.227.146.251",
    "userAgent": "stratus-red-team_84a22508-bcc6-424d-9973-3f841ebf8875",
    "userIdentity": {
        "accessKeyId": "AKIAGM9ZC9KUL0AYEVUM",
        "accountId": "572910899909",
        "arn": "arn:aws:iam::572910899909:user/christophe",
        "principalId": "AIDAHG2QGAX7XGTRYBZ5",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Stratus aws.persistence.iam-create-user-login-profile.json
CT_DELETE_LOGIN_PROFILE_FAILED = {
    "awsRegion": "ap-central-2r",
    "errorCode": "EntityTemporarilyUnmodifiableException",
    "errorMessage": "Login Profile for User stratus-red-team-login-profile-user cannot be "
    "modified while login profile is being created.",
    "eventCategory": "Management",
    "eventID": "64fb98c9-cb40-4f9a-b800-6c15e82e9be6",
    "eventName": "DeleteLoginProfile",
    "eventSource": "iam.amazonaws.com",
    "eventTime": "2024-08-01T13:42:22Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.09",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "070411556318",
    "requestID": "a0953f02-9f5f-408a-8188-427026ef914b",
    "requestParameters": {"userName": "stratus-red-team-login-profile-user"},
    "responseElements": None,
    "sourceIPAddress": "253.234.5.234",
    "userAgent": "stratus-red-team_99dfa7e5-00d3-40b7-8cfd-b2573ada0eac",
    "userIdentity": {
        "accessKeyId": "AKIAE18PGYHCY2CYMTFK",
        "accountId": "070411556318",
        "arn": "arn:aws:iam::070411556318:user/christophe",
        "principalId": "AIDAWVCXQ27A1H7FID62",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Stratus aws.persistence.lambda-backdoor-function.json
CT_LAMBDA_ADD_PERMISSION = {
    "awsRegion": "ca-centralnorth-1r",
    "eventCategory": "Management",
    "eventID": "b67a9bba-d9da-4980-bf74-baed881b117d",
    "eventName": "AddPermission20150331v2",
    "eventSource": "lambda.amazonaws.com",
    "eventTime": "2024-08-01T13:47:16Z",
    "eventType": "AwsApiCall",
    "eventVersion": "1.08",
    "managementEvent": True,
    "readOnly": False,
    "recipientAccountId": "880896431042",
    "requestID": "c84f1436-60be-4ad8-a6f7-f3c44d47df3a",
    "requestParameters": {
        "action": "lambda:InvokeFunction",
        "functionName": "stratus-red-team-backdoor-f-func",
        "principal": "*",
        "statementId": "backdoor",
    },
    "responseElements": None,
    "sourceIPAddress": "151.236.251.251",
    "userAgent": "stratus-red-team_a5b48423-fe4e-446d-a058-0f2b624cdfb1",
    "userIdentity": {
        "accessKeyId": "AKIAYALJGCQ7J893JO5I",
        "accountId": "880896431042",
        "arn": "arn:aws:iam::880896431042:user/christophe",
        "principalId": "AIDAC4Q0BJF2SN7BSHFO",
        "type": "IAMUser",
        "userName": "christophe",
    },
}
# Security-Datasets ec2_proxy_s3_exfiltration: EC2 fetching instance-profile credentials
CT_AWS_SERVICE = {
    "requestParameters": {
        "roleSessionName": "i-044b1baf4c96e1b62",
        "roleArn": "arn:aws:iam::123456789123:role/"
        "MordorLogCollectorStack-LogCollectorRole-1JJTG88NNY4KN",
    },
    "userAgent": "ec2.amazonaws.com",
    "awsRegion": "us-east-1",
    "eventType": "AwsApiCall",
    "@version": "1",
    "userIdentity": {"invokedBy": "ec2.amazonaws.com", "type": "AWSService"},
    "recipientAccountId": "123456789123",
    "responseElements": {
        "credentials": {
            "sessionToken": "(elided)",
            "expiration": "Sep 14, 2020, 7:01:26 AM",
            "accessKeyId": "ASIA5FLZVX4OLY6BJN4L",
        }
    },
    "sharedEventID": "f47b2d52-f5ef-4a87-87ed-8d0456842506",
    "eventName": "AssumeRole",
    "sourceIPAddress": "ec2.amazonaws.com",
    "eventSource": "sts.amazonaws.com",
    "requestID": "b3949fc5-636b-46f0-a546-32b0aaf0eeb2",
    "@timestamp": "2020-09-14T00:50:17.000Z",
    "eventID": "0f902c35-794c-4864-b2e0-3c4564b857b0",
    "eventVersion": "1.05",
}
# Security-Datasets ec2_proxy_s3_exfiltration: the stolen role credentials used from outside
CT_STOLEN_ROLE_S3 = {
    "requestParameters": {"Host": "s3.amazonaws.com"},
    "userAgent": "[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]",
    "awsRegion": "us-east-1",
    "eventType": "AwsApiCall",
    "@version": "1",
    "userIdentity": {
        "arn": "arn:aws:sts::123456789123:assumed-role/"
        "MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40",
        "type": "AssumedRole",
        "accountId": "123456789123",
        "principalId": "AROA5FLZVX4OAMSW6BCRH:i-0317f6c6b66ae9c40",
        "accessKeyId": "ASIA5FLZVX4OPVKKVBMX",
    },
    "recipientAccountId": "123456789123",
    "responseElements": None,
    "eventName": "ListBuckets",
    "sourceIPAddress": "1.2.3.4",
    "eventSource": "s3.amazonaws.com",
    "requestID": "1225044172D8D65D",
    "@timestamp": "2020-09-14T01:01:50.000Z",
    "readOnly": True,
    "eventID": "19d32cc1-edab-4b96-9a11-2cd7794b2527",
    "eventVersion": "1.05",
}
# Hand-written from the AWS CloudTrail documentation.
CT_CONSOLE_LOGIN_FAILED = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDACKCEVSQ6C2EXAMPLE",
        "accountId": "111122223333",
        "accessKeyId": "",
        "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
    },
    "eventTime": "2024-02-02T10:15:00Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.23",
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
    "errorMessage": "Failed authentication",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Failure"},
    "additionalEventData": {"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"},
    "eventID": "d38ce1b3-4575-4cb8-a632-611b8243bfc3",
    "eventType": "AwsConsoleSignIn",
}
CT_ROOT_LOGIN_MFA = {
    **CT_CONSOLE_LOGIN_FAILED,
    "userIdentity": {
        "type": "Root",
        "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root",
    },
    "errorMessage": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {"MFAUsed": "Yes"},
    "eventID": "e8d2a0c1-1234-4cb8-a632-611b8243bfc3",
}
CT_ADD_TO_ADMINS = {
    "eventVersion": "1.09",
    "userIdentity": {
        "type": "IAMUser",
        "userName": "alice",
        "arn": "arn:aws:iam::111122223333:user/alice",
    },
    "eventTime": "2024-03-04T11:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "AddUserToGroup",
    "sourceIPAddress": "203.0.113.5",
    "userAgent": "aws-cli/2.15.0",
    "requestParameters": {"groupName": "Administrators", "userName": "bob"},
    "responseElements": None,
    "eventID": "5f0c3a59-0000-4000-8000-000000000001",
}
CT_PUT_ADMIN_INLINE = {
    **CT_ADD_TO_ADMINS,
    "eventName": "PutRolePolicy",
    "requestParameters": {
        "roleName": "ci-deployer",
        "policyName": "everything",
        "policyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Action":["*:*"],"Resource":"*"}]}',
    },
    "eventID": "5f0c3a59-0000-4000-8000-000000000002",
}
CT_DELETE_BUCKET = {
    **CT_ADD_TO_ADMINS,
    "eventSource": "s3.amazonaws.com",
    "eventName": "DeleteBucket",
    "requestParameters": {"bucketName": "audit-archive", "Host": "audit-archive.s3.amazonaws.com"},
    "eventID": "5f0c3a59-0000-4000-8000-000000000003",
}
CT_SELF_ACCESS_KEY = {
    **CT_ADD_TO_ADMINS,
    "eventName": "CreateAccessKey",
    "requestParameters": None,
    "eventID": "5f0c3a59-0000-4000-8000-000000000004",
}
CT_VIA_SERVICE = {
    **CT_ADD_TO_ADMINS,
    "eventName": "CreateRole",
    "sourceIPAddress": "cloudformation.amazonaws.com",
    "userAgent": "cloudformation.amazonaws.com",
    "requestParameters": {"roleName": "stack-role"},
    "eventID": "5f0c3a59-0000-4000-8000-000000000005",
}

CLOUDTRAIL_CASES = [
    pytest.param(
        CT_ATTACH_ADMIN,
        {
            "time": t("2024-08-01T13:33:28Z"),
            "tenant": "acme",
            "source_format": "cloudtrail",
            "action": Action.POLICY_CHANGE,
            "outcome": Outcome.SUCCESS,
            "user": "christophe",
            "target_user": "malicious-iam-user",
            "src_ip": "75.50.255.67",  # leading-zero octets read as decimal
            "app": "iam.amazonaws.com",
            "object": "AttachUserPolicy:AdministratorAccess",
            "privileged": True,
            "event_id": "AttachUserPolicy",
            "record_id": "083dc4ad-e264-46bc-a407-d0dd31b58bdc",
            "user_agent": "stratus-red-team_6bf00313-712c-4fd2-9bdd-88f48a4b1282",
            "country": "",
            "reason": "",
        },
        id="attach-admin-policy",
    ),
    pytest.param(
        CT_CREATE_USER,
        {"action": Action.ACCOUNT_CHANGE, "object": "created", "target_user": "malicious-iam-user"},
        id="create-user",
    ),
    pytest.param(
        CT_CONSOLE_LOGIN,
        {
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "stratus-red-team-nmfalu-jfzdtsvchl",
            "src_ip": "225.1.0.16",
            "logon_type": "console",
            "auth_protocol": "password",
            "app": "signin.amazonaws.com",
            "event_id": "ConsoleLogin",
        },
        id="console-login-no-mfa",
    ),
    pytest.param(
        CT_STOP_LOGGING,
        {
            "action": Action.LOG_CLEARED,
            "object": "StopLogging:stratus-red-team-ct-stop-trail-buykxbqejv",
        },
        id="stop-logging",
    ),
    pytest.param(
        CT_DENIED_ASSUMED_ROLE,
        {
            "action": Action.API_CALL,
            "outcome": Outcome.FAILURE,
            "reason": "Client.UnauthorizedOperation",
            "user": "aws-go-sdk-1722375070115152000",  # the role session name
            "object": "GetPasswordData",
        },
        id="assumed-role-denied",
    ),
    pytest.param(
        CT_FEDERATION_TOKEN,
        {
            "action": Action.AUTH_TICKET,
            "user": "stratus-red-team-user-federation-user",
            "target_user": "stratus_red_team",
            "object": "GetFederationToken:stratus_red_team",
            "src_ip": "255.90.254.5",
        },
        id="federation-token",
    ),
    pytest.param(
        CT_FEDERATED_USER,
        {"action": Action.API_CALL, "user": "stratus_red_team", "object": "GetCallerIdentity"},
        id="federated-user",
    ),
    pytest.param(
        CT_LAMBDA_ADD_PERMISSION,
        {
            "action": Action.POLICY_CHANGE,
            "object": "AddPermission:stratus-red-team-backdoor-f-func",
            "event_id": "AddPermission20150331v2",
            # Stratus "Backdoor Lambda Function Through Resource-Based Policy": principal "*"
            # may invoke it (round 20: a resource opened to anyone is a grant).
            "privileged": True,
            "reason": "any AWS principal",
        },
        id="lambda-add-permission",
    ),
    pytest.param(
        CT_SSH_KEY,
        {
            "action": Action.REMOTE_EXEC,
            "dst_host": "i-fdb357cb7e99ad973",
            "target_user": "ec2-user",
            "app": "ec2-instance-connect.amazonaws.com",
        },
        id="send-ssh-public-key",
    ),
    pytest.param(
        CT_DELETE_LOGIN_PROFILE_FAILED,
        {
            "action": Action.ACCOUNT_CHANGE,
            "object": "password_removed",
            "outcome": Outcome.FAILURE,
            "reason": "EntityTemporarilyUnmodifiableException",
            "target_user": "stratus-red-team-login-profile-user",
        },
        id="delete-login-profile-failed",
    ),
    pytest.param(
        CT_AWS_SERVICE,
        {
            "time": t("2020-09-14T00:50:17Z"),  # only "@timestamp" in Security-Datasets
            "action": Action.AUTH_TICKET,
            "user": "",
            "src_ip": "",
            "app": "ec2.amazonaws.com",
            "target_user": "mordorlogcollectorstack-logcollectorrole-1jjtg88nny4kn",
        },
        id="aws-service-assume-role",
    ),
    pytest.param(
        CT_STOLEN_ROLE_S3,
        {
            "action": Action.API_CALL,
            "user": "i-0317f6c6b66ae9c40",
            "src_ip": "1.2.3.4",
            "app": "s3.amazonaws.com",
            "object": "ListBuckets",
            "user_agent": "[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]",
        },
        id="stolen-role-s3",
    ),
    pytest.param(
        CT_CONSOLE_LOGIN_FAILED,
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "user": "",  # AWS hides unknown user names
            "reason": "Failed authentication",
            "src_ip": "198.51.100.23",
        },
        id="console-login-failed",
    ),
    pytest.param(
        CT_ROOT_LOGIN_MFA,
        {"action": Action.LOGON, "user": "root", "auth_protocol": "mfa"},
        id="root-login-mfa",
    ),
    pytest.param(
        CT_ADD_TO_ADMINS,
        {
            "action": Action.GROUP_CHANGE,
            "object": "Administrators",
            "target_user": "bob",
            "privileged": True,
        },
        id="add-user-to-admins",
    ),
    pytest.param(
        CT_PUT_ADMIN_INLINE,
        {
            "action": Action.POLICY_CHANGE,
            "privileged": True,
            "target_user": "ci-deployer",
            "object": "PutRolePolicy:everything",
        },
        id="inline-admin-policy",
    ),
    pytest.param(
        CT_DELETE_BUCKET,
        {"action": Action.DELETE, "object": "DeleteBucket:audit-archive"},
        id="delete-bucket",
    ),
    pytest.param(
        CT_SELF_ACCESS_KEY,
        {"action": Action.ACCOUNT_CHANGE, "object": "access_key_created", "target_user": "alice"},
        id="own-access-key",
    ),
    pytest.param(
        CT_VIA_SERVICE,
        {
            "action": Action.ACCOUNT_CHANGE,
            "object": "role_created",
            "user": "alice",
            "src_ip": "",
            "app": "cloudformation.amazonaws.com",
        },
        id="called-via-service",
    ),
]


@pytest.mark.parametrize(("record", "expected"), CLOUDTRAIL_CASES)
def test_cloudtrail_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("cloudtrail", record)
    assert {name: getattr(event, name) for name in expected} == expected


def test_cloudtrail_send_command_fans_out_per_instance() -> None:
    events = parse("cloudtrail", CT_SEND_COMMAND)
    assert [e.dst_host for e in events] == [
        "i-00456a8d163f546ff",
        "i-cfe23b1a7ceba6f86",
        "i-9d40ccfc0ae91cfa5",
    ]
    assert {(e.action, e.object, e.src_ip, e.record_id) for e in events} == {
        (
            Action.REMOTE_EXEC,
            "SendCommand:AWS-RunShellScript",
            "253.252.51.7",
            CT_SEND_COMMAND["eventID"],
        )
    }


def test_cloudtrail_record_id_falls_back_to_position() -> None:
    record = {k: v for k, v in CT_STOP_LOGGING.items() if k != "eventID"}
    [event] = parse(
        "cloudtrail", record, ParseContext(tenant="t", source="trail.json", position=12)
    )
    assert event.record_id == "trail.json:12"


def test_cloudtrail_table() -> None:
    # Explicit entries beat the Delete*/Terminate* prefix rule.
    assert action_for("DeleteUser").action is Action.ACCOUNT_CHANGE
    assert action_for("DeleteTrail").action is Action.LOG_CLEARED
    assert action_for("DeleteRolePolicy").action is Action.POLICY_CHANGE
    assert action_for("TerminateInstances").action is Action.DELETE
    assert action_for("TerminateSession").action is Action.API_CALL
    assert action_for("GetObject").action is Action.API_CALL
    assert base_event_name("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"
    # Every account change names what happened, nothing else carries a verb.
    for name, rule in ACTIONS.items():
        assert bool(rule.verb) == (rule.action is Action.ACCOUNT_CHANGE), name


@pytest.mark.parametrize(
    ("document", "admin"),
    [
        ({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, True),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": ["*"]}]},
            True,
        ),
        ({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}, False),
        (
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]},
            False,
        ),
        ({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, False),
        ('{"Statement": {"Effect": "Allow", "Action": "*:*", "Resource": "*"}}', True),
        ("{not json", False),
        (None, False),
        ("[" * 5000, False),
    ],
)
def test_grants_admin(document: Any, admin: bool) -> None:
    assert grants_admin(document) is admin


CLOUDTRAIL_BAD = [
    pytest.param({**CT_STOP_LOGGING, "eventTime": None}, "missing eventTime", id="no-time"),
    pytest.param({**CT_STOP_LOGGING, "eventTime": "1601-01-01T00:00:00Z"}, "absurd", id="1601"),
    pytest.param({**CT_STOP_LOGGING, "eventTime": "yesterday"}, "unparseable", id="bad-time"),
    pytest.param(
        {**CT_STOP_LOGGING, "userIdentity": None}, "missing userIdentity", id="no-identity"
    ),
    pytest.param(
        {**CT_STOP_LOGGING, "userIdentity": {"type": "IAMUser"}}, "no user", id="empty-identity"
    ),
    pytest.param({**CT_STOP_LOGGING, "eventName": {"x": 1}}, "expected a scalar", id="name-object"),
    pytest.param(
        {**CT_STOP_LOGGING, "sourceIPAddress": ["1.2.3.4"]}, "expected a scalar", id="ip-list"
    ),
    pytest.param(
        {**CT_CONSOLE_LOGIN_FAILED, "responseElements": {"ConsoleLogin": "Success"}},
        "ConsoleLogin without a user",
        id="login-success-hidden-user",
    ),
    pytest.param("not an object", "not a JSON object", id="text"),
]


@pytest.mark.parametrize(("record", "reason"), CLOUDTRAIL_BAD)
def test_cloudtrail_bad_records(record: Any, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("cloudtrail", record)


# ============================================================================================
# Okta (hand-written from the System Log API LogEvent documentation)


def okta(event_type: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "uuid": f"uuid-{event_type}",
        "published": "2024-03-01T09:15:02.123Z",
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "legacyEventType": "core.user_auth.login_success",
        "displayMessage": "User login to Okta",
        "actor": {
            "id": "00u1a2b3c4d5e6f7g8h9",
            "type": "User",
            "alternateId": "Alice.Smith@example.com",
            "displayName": "Alice Smith",
            "detailEntry": None,
        },
        "client": {
            "userAgent": {
                "rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) Chrome/121.0",
                "os": "Mac OS X",
                "browser": "CHROME",
            },
            "zone": "null",
            "device": "Computer",
            "id": None,
            "ipAddress": "198.51.100.7",
            "geographicalContext": {
                "city": "Amsterdam",
                "state": "North Holland",
                "country": "Netherlands",
                "postalCode": "1012",
                "geolocation": {"lat": 52.37, "lon": 4.89},
            },
        },
        "device": None,
        "authenticationContext": {
            "authenticationProvider": "OKTA_AUTHENTICATION_PROVIDER",
            "credentialProvider": "OKTA_CREDENTIAL_PROVIDER",
            "credentialType": "PASSWORD",
            "issuer": None,
            "interface": None,
            "authenticationStep": 0,
            "externalSessionId": "102abcDEF",
        },
        "outcome": {"result": "SUCCESS", "reason": None},
        "securityContext": {
            "asNumber": 1136,
            "asOrg": "kpn",
            "isp": "kpn b.v.",
            "domain": "kpn.com",
            "isProxy": False,
        },
        "debugContext": {"debugData": {"requestId": "Zf1abc", "requestUri": "/api/v1/authn"}},
        "transaction": {"type": "WEB", "id": "Zf1abc", "detail": {}},
        "request": {"ipChain": [{"ip": "198.51.100.7", "version": "V4", "source": None}]},
        "target": None,
    }
    record.update(overrides)
    return record


OKTA_USER_TARGET = {
    "id": "00u9z8y7x6w5v4u3t2s1",
    "type": "User",
    "alternateId": "bob.jones@example.com",
    "displayName": "Bob Jones",
    "detailEntry": None,
}
OKTA_SYSTEM_ACTOR = {
    "id": "0oa1okta",
    "type": "SystemPrincipal",
    "alternateId": "system@okta.com",
    "displayName": "Okta System",
}

OKTA_CASES = [
    pytest.param(
        okta("user.session.start"),
        {
            "time": t("2024-03-01T09:15:02.123Z"),
            "source_format": "okta",
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "alice.smith",
            "src_ip": "198.51.100.7",
            "country": "Netherlands",
            "asn": "1136",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) Chrome/121.0",
            "device": "Computer",
            "auth_protocol": "password",
            "app": "okta",
            "event_id": "user.session.start",
            "record_id": "uuid-user.session.start",
        },
        id="session-start",
    ),
    pytest.param(
        okta("user.session.start", outcome={"result": "FAILURE", "reason": "INVALID_CREDENTIALS"}),
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "reason": "INVALID_CREDENTIALS",
        },
        id="session-start-failed",
    ),
    pytest.param(
        okta(
            "user.authentication.auth_via_mfa",
            authenticationContext={"credentialType": "OTP", "authenticationStep": 0},
        ),
        {"action": Action.AUTH_TICKET, "auth_protocol": "mfa"},
        id="auth-via-mfa",
    ),
    pytest.param(
        okta(
            "user.authentication.sso",
            target=[
                {
                    "id": "0oa1",
                    "type": "AppInstance",
                    "alternateId": "Salesforce",
                    "displayName": "Salesforce.com",
                },
                {"id": "0ua1", "type": "AppUser", "alternateId": "alice", "displayName": "Alice"},
            ],
        ),
        {"action": Action.AUTH_TICKET, "app": "Salesforce.com"},
        id="sso",
    ),
    pytest.param(
        okta("user.authentication.sso", outcome={"result": "DENY", "reason": "Policy"}),
        {"action": Action.LOGON_FAILED, "outcome": Outcome.FAILURE, "reason": "Policy"},
        id="sso-denied",
    ),
    pytest.param(
        okta(
            "group.user_membership.add",
            target=[
                OKTA_USER_TARGET,
                {
                    "id": "00g1",
                    "type": "UserGroup",
                    "alternateId": "unknown",
                    "displayName": "Administrators",
                },
            ],
        ),
        {
            "action": Action.GROUP_CHANGE,
            "object": "Administrators",
            "target_user": "bob.jones",
            "privileged": True,
        },
        id="group-add-admins",
    ),
    pytest.param(
        okta(
            "group.user_membership.add",
            target=[
                OKTA_USER_TARGET,
                {"id": "00g2", "type": "UserGroup", "displayName": "Marketing"},
            ],
        ),
        {"action": Action.GROUP_CHANGE, "object": "Marketing", "privileged": False},
        id="group-add-plain",
    ),
    pytest.param(
        okta(
            "user.account.privilege.grant",
            target=[OKTA_USER_TARGET],
            debugContext={"debugData": {"privilegeGranted": "Super administrator"}},
        ),
        {
            "action": Action.PRIVILEGE_USE,
            "privileged": True,
            "object": "Super administrator",
            "target_user": "bob.jones",
        },
        id="privilege-grant",
    ),
    pytest.param(
        okta("user.lifecycle.create", target=[OKTA_USER_TARGET]),
        {"action": Action.ACCOUNT_CHANGE, "object": "created", "target_user": "bob.jones"},
        id="lifecycle-create",
    ),
    pytest.param(
        okta("user.lifecycle.deactivate", actor=OKTA_SYSTEM_ACTOR, target=[OKTA_USER_TARGET]),
        {
            "action": Action.ACCOUNT_CHANGE,
            "object": "deactivated",
            "user": "",
            "app": "Okta System",
        },
        id="deactivate-by-system",
    ),
    pytest.param(
        okta("user.account.reset_password", target=[OKTA_USER_TARGET]),
        {"action": Action.ACCOUNT_CHANGE, "object": "password_reset"},
        id="reset-password",
    ),
    pytest.param(
        okta("user.mfa.factor.reset_all", target=[OKTA_USER_TARGET]),
        {"action": Action.ACCOUNT_CHANGE, "object": "mfa_reset", "target_user": "bob.jones"},
        id="mfa-reset",
    ),
    pytest.param(
        okta("user.account.lock", outcome={"result": "SUCCESS", "reason": None}),
        {"action": Action.ACCOUNT_LOCKOUT},
        id="lockout",
    ),
    pytest.param(
        okta(
            "policy.lifecycle.update",
            target=[{"id": "00p1", "type": "PolicyEntity", "displayName": "Default Policy"}],
        ),
        {"action": Action.POLICY_CHANGE, "object": "Default Policy"},
        id="policy-update",
    ),
    pytest.param(
        okta("app.oauth2.as.token.grant.access_token", client={"ipAddress": None}),
        {
            "action": Action.API_CALL,
            "object": "app.oauth2.as.token.grant.access_token",
            "src_ip": "198.51.100.7",
        },
        id="other-event-ip-from-chain",
    ),
    pytest.param(
        okta("user.session.access_admin_app"),
        {"action": Action.PRIVILEGE_USE, "privileged": True},
        id="admin-console",
    ),
    pytest.param(
        okta(
            "user.session.start",
            authenticationContext={"credentialType": "ASSERTION"},
            device={"id": "guo1dev", "name": "ALICE-MBP"},
        ),
        {"auth_protocol": "saml", "device": "ALICE-MBP"},
        id="saml-device",
    ),
]


@pytest.mark.parametrize(("record", "expected"), OKTA_CASES)
def test_okta_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("okta", record)
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            okta("policy.evaluate_sign_on", outcome={"result": "ALLOW"}), id="policy-evaluation"
        ),
        pytest.param(
            okta("system.org.rate_limit.warning", actor=OKTA_SYSTEM_ACTOR), id="system-noise"
        ),
    ],
)
def test_okta_skipped(record: dict[str, Any]) -> None:
    assert parse("okta", record) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(
            okta("user.session.start", published="2024-13-01T00:00:00Z"),
            "unparseable",
            id="month-13",
        ),
        pytest.param(okta("user.session.start", published=None), "missing published", id="no-time"),
        pytest.param(
            okta("user.session.start", actor={"type": "User"}), "alternateId", id="anonymous"
        ),
        pytest.param(okta("user.session.start", actor="alice"), "missing actor", id="actor-text"),
        pytest.param(
            okta("user.session.start", eventType=["x"]), "expected a scalar", id="type-list"
        ),
    ],
)
def test_okta_bad_records(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("okta", record)


# ============================================================================================
# Entra ID (hand-written from the Graph signIn / directoryAudit and diagnostic-settings docs)

ENTRA_GRAPH_OK = {
    "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
    "createdDateTime": "2024-03-01T08:00:12Z",
    "userDisplayName": "Alice Smith",
    "userPrincipalName": "Alice.Smith@contoso.com",
    "userId": "d7a1f5f4-0000-4000-8000-000000000001",
    "appId": "00000002-0000-0ff1-ce00-000000000000",
    "appDisplayName": "Office 365 Exchange Online",
    "ipAddress": "203.0.113.9",
    "clientAppUsed": "Browser",
    "correlationId": "c0ffee00-0000-4000-8000-000000000001",
    "conditionalAccessStatus": "success",
    "isInteractive": True,
    "riskDetail": "none",
    "riskLevelAggregated": "none",
    "riskLevelDuringSignIn": "none",
    "riskState": "none",
    "riskEventTypes_v2": [],
    "resourceDisplayName": "Office 365 Exchange Online",
    "resourceId": "00000002-0000-0ff1-ce00-000000000000",
    "authenticationRequirement": "multiFactorAuthentication",
    "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": None},
    "deviceDetail": {
        "deviceId": "",
        "displayName": "ALICE-LAPTOP",
        "operatingSystem": "Windows 10",
        "browser": "Edge 121.0.0",
        "isCompliant": True,
        "isManaged": True,
        "trustType": "Azure AD joined",
    },
    "location": {
        "city": "Redmond",
        "state": "Washington",
        "countryOrRegion": "US",
        "geoCoordinates": {"altitude": None, "latitude": 47.67, "longitude": -122.12},
    },
    "appliedConditionalAccessPolicies": [],
}
ENTRA_GRAPH_FAIL = {
    **ENTRA_GRAPH_OK,
    "id": "66ea54eb-6301-4ee5-be62-ff5a759b0200",
    "clientAppUsed": "IMAP4",
    "authenticationRequirement": "singleFactorAuthentication",
    "isInteractive": False,
    "status": {
        "errorCode": 50126,
        "failureReason": "Error validating credentials due to invalid username or password.",
    },
    "location": {"city": "Lagos", "countryOrRegion": "NG"},
    "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "", "browser": ""},
}
ENTRA_DIAGNOSTIC = {
    "time": "2024-03-01T08:05:00.1234567Z",
    "resourceId": "/tenants/7d3f0000-0000-4000-8000-000000000000/providers/Microsoft.aadiam",
    "operationName": "Sign-in activity",
    "operationVersion": "1.0",
    "category": "SignInLogs",
    "tenantId": "7d3f0000-0000-4000-8000-000000000000",
    "resultType": "0",
    "resultSignature": "None",
    "durationMs": 0,
    "callerIpAddress": "192.0.2.44",
    "correlationId": "c0ffee00-0000-4000-8000-000000000002",
    "identity": "Bob Jones",
    "Level": 4,
    "location": "DE",
    "properties": {
        "id": "a1b2c3d4-0000-4000-8000-000000000003",
        "createdDateTime": "2024-03-01T08:04:58.0000000+00:00",
        "userDisplayName": "Bob Jones",
        "userPrincipalName": "bob.jones@contoso.com",
        "appDisplayName": "Azure Portal",
        "clientAppUsed": "Browser",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/121.0",
        "status": {"errorCode": 0},
        "deviceDetail": {
            "deviceId": "0d3e1c2b-0000-4000-8000-000000000004",
            "operatingSystem": "Windows10",
        },
        "location": {"city": "Berlin", "countryOrRegion": "DE"},
        "autonomousSystemNumber": 3320,
        "isInteractive": True,
    },
}
ENTRA_DIAGNOSTIC_AUDIT = {
    "time": "2024-03-02T10:00:00Z",
    "resourceId": "/tenants/7d3f0000-0000-4000-8000-000000000000/providers/Microsoft.aadiam",
    "operationName": "Add member to role",
    "category": "AuditLogs",
    "resultType": "",
    "properties": {
        "id": "Directory_0f0f0000-0000-4000-8000-000000000005",
        "category": "RoleManagement",
        "activityDisplayName": "Add member to role",
        "activityDateTime": "2024-03-02T09:59:58.5Z",
        "loggedByService": "Core Directory",
        "operationType": "Assign",
        "result": "success",
        "resultReason": "",
        "initiatedBy": {
            "user": {
                "id": "d7a1f5f4-0000-4000-8000-000000000001",
                "userPrincipalName": "alice.smith@contoso.com",
                "ipAddress": "203.0.113.9",
            }
        },
        "targetResources": [
            {
                "id": "e2f1c0d9-0000-4000-8000-000000000006",
                "displayName": None,
                "type": "User",
                "userPrincipalName": "mallory@contoso.com",
                "modifiedProperties": [
                    {
                        "displayName": "Role.DisplayName",
                        "oldValue": None,
                        "newValue": '"Global Administrator"',
                    },
                    {
                        "displayName": "Role.TemplateId",
                        "oldValue": None,
                        "newValue": '"62e90394-69f5-4237-9190-012177145e10"',
                    },
                ],
            }
        ],
        "additionalDetails": [{"key": "User-Agent", "value": "Mozilla/5.0 PowerShell"}],
    },
}
ENTRA_GRAPH_AUDIT = {
    "id": "Directory_0f0f0000-0000-4000-8000-000000000007",
    "category": "ApplicationManagement",
    "correlationId": "c0ffee00-0000-4000-8000-000000000007",
    "result": "success",
    "resultReason": "",
    "activityDisplayName": "Add service principal credentials",
    "activityDateTime": "2024-03-02T11:00:00Z",
    "loggedByService": "Core Directory",
    "operationType": "Update",
    "initiatedBy": {
        "app": {"appId": "1f2e", "displayName": "Automation-App", "servicePrincipalId": "9a8b"}
    },
    "targetResources": [
        {
            "id": "5c6d",
            "displayName": "Payroll-Connector",
            "type": "ServicePrincipal",
            "modifiedProperties": [],
        }
    ],
    "additionalDetails": [],
}

ENTRA_CASES = [
    pytest.param(
        ENTRA_GRAPH_OK,
        {
            "time": t("2024-03-01T08:00:12Z"),
            "source_format": "entra",
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "alice.smith",
            "src_ip": "203.0.113.9",
            "app": "Office 365 Exchange Online",
            "country": "US",
            "device": "ALICE-LAPTOP",
            "auth_protocol": "mfa",
            "logon_type": "browser",
            "user_agent": "Edge 121.0.0 / Windows 10",
            "event_id": "SignInLogs",
            "record_id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
            "reason": "",
        },
        id="graph-success",
    ),
    pytest.param(
        ENTRA_GRAPH_FAIL,
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "reason": "50126 Error validating credentials due to invalid username or password.",
            "auth_protocol": "legacy",
            "country": "NG",
            "event_id": "NonInteractiveUserSignInLogs",
            "device": "",
        },
        id="graph-failure",
    ),
    pytest.param(
        ENTRA_DIAGNOSTIC,
        {
            "time": t("2024-03-01T08:04:58Z"),
            "action": Action.LOGON,
            "user": "bob.jones",
            "src_ip": "192.0.2.44",  # properties has no ipAddress: callerIpAddress
            "asn": "3320",
            "device": "0d3e1c2b-0000-4000-8000-000000000004",
            "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/121.0",
            "event_id": "SignInLogs",
            "app": "Azure Portal",
        },
        id="diagnostic-signin",
    ),
    pytest.param(
        ENTRA_DIAGNOSTIC_AUDIT,
        {
            "time": t("2024-03-02T09:59:58.5Z"),
            "action": Action.GROUP_CHANGE,
            "user": "alice.smith",
            "target_user": "mallory",
            "object": "Global Administrator",
            "privileged": True,
            "src_ip": "203.0.113.9",
            "app": "Core Directory",
            "user_agent": "Mozilla/5.0 PowerShell",
            "event_id": "Add member to role",
        },
        id="diagnostic-audit-role",
    ),
    pytest.param(
        ENTRA_GRAPH_AUDIT,
        {
            "action": Action.ACCOUNT_CHANGE,
            "user": "automation-app",
            "target_user": "payroll-connector",
            "object": "credential_added",
        },
        id="graph-audit-sp-credentials",
    ),
]


@pytest.mark.parametrize(("record", "expected"), ENTRA_CASES)
def test_entra_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("entra", record)
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(
            {**ENTRA_GRAPH_OK, "userPrincipalName": "", "userId": None},
            "userPrincipalName",
            id="no-upn",
        ),
        pytest.param(
            {**ENTRA_GRAPH_OK, "status": {"failureReason": "x"}}, "errorCode", id="no-code"
        ),
        pytest.param(
            {**ENTRA_GRAPH_OK, "status": {"errorCode": "abc"}}, "not a number", id="code-text"
        ),
        pytest.param(
            {**ENTRA_GRAPH_OK, "createdDateTime": "9999-01-01T00:00:00Z"}, "absurd", id="year-9999"
        ),
        pytest.param(
            {**ENTRA_GRAPH_AUDIT, "initiatedBy": "nobody"}, "InitiatedBy", id="audit-no-initiator"
        ),
    ],
)
def test_entra_bad_records(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("entra", record)


# ============================================================================================
# OCSF (hand-written from the OCSF 1.1 schema)


def ocsf(class_uid: int, activity_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "class_uid": class_uid,
        "category_uid": class_uid // 1000,
        "activity_id": activity_id,
        "type_uid": class_uid * 100 + activity_id,
        "time": 1714555800123,
        "severity_id": 1,
        "status_id": 1,
        "metadata": {
            "uid": f"ocsf-{class_uid}-{activity_id}",
            "version": "1.1.0",
            "product": {"name": "x"},
        },
        **fields,
    }


OCSF_CASES = [
    pytest.param(
        ocsf(
            3002,
            1,
            user={"name": "CORP\\Alice", "uid": "S-1-5-21-1"},
            src_endpoint={"ip": "10.0.0.5", "hostname": "WKS-5.corp.example"},
            dst_endpoint={"hostname": "DC01.corp.example", "ip": "10.0.0.1"},
            logon_type_id=10,
            auth_protocol="Kerberos",
            auth_protocol_id=2,
        ),
        {
            "time": t("2024-05-01T09:30:00.123Z"),
            "source_format": "ocsf",
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "alice",
            "src_ip": "10.0.0.5",
            "src_host": "wks-5",
            "dst_host": "dc01",
            "logon_type": "10",
            "auth_protocol": "kerberos",
            "event_id": "300201",
            "record_id": "ocsf-3002-1",
        },
        id="auth-logon",
    ),
    pytest.param(
        ocsf(3002, 1, status_id=2, status_detail="Bad password", user={"name": "bob"}, is_mfa=True),
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "reason": "Bad password",
            "auth_protocol": "mfa",
        },
        id="auth-failure",
    ),
    pytest.param(
        ocsf(3002, 1, status_id=None, status="Failure", user={"name": "bob"}),
        {"action": Action.LOGON_FAILED, "outcome": Outcome.FAILURE},
        id="auth-failure-by-caption",
    ),
    pytest.param(ocsf(3002, 2, user={"name": "bob"}), {"action": Action.LOGOFF}, id="auth-logoff"),
    pytest.param(
        ocsf(3002, 4, user={"name": "bob"}, service={"name": "cifs/fs01"}),
        {"action": Action.AUTH_TICKET, "object": "cifs/fs01", "app": "cifs/fs01"},
        id="auth-service-ticket",
    ),
    pytest.param(
        ocsf(3001, 1, actor={"user": {"name": "admin1"}}, user={"name": "newhire"}),
        {
            "action": Action.ACCOUNT_CHANGE,
            "user": "admin1",
            "target_user": "newhire",
            "object": "created",
        },
        id="account-create",
    ),
    pytest.param(
        ocsf(
            3001,
            7,
            actor={"user": {"name": "admin1"}},
            user={"name": "bob"},
            policy={
                "name": "AdministratorAccess",
                "uid": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
        {"action": Action.POLICY_CHANGE, "object": "AdministratorAccess", "privileged": True},
        id="account-attach-policy",
    ),
    pytest.param(
        ocsf(3001, 9, user={"name": "bob"}),
        {"action": Action.ACCOUNT_LOCKOUT, "user": "bob", "target_user": "bob"},
        id="account-lock",
    ),
    pytest.param(
        ocsf(
            3006,
            3,
            actor={"user": {"name": "admin1"}},
            user={"name": "bob"},
            group={"name": "Domain Admins"},
        ),
        {
            "action": Action.GROUP_CHANGE,
            "user": "admin1",
            "target_user": "bob",
            "object": "Domain Admins",
            "privileged": True,
        },
        id="group-add",
    ),
    pytest.param(
        ocsf(
            3003,
            1,
            user={"name": "alice"},
            privileges=["SeDebugPrivilege", "SeBackupPrivilege"],
            device={"hostname": "srv2.corp.example"},
        ),
        {
            "action": Action.PRIVILEGE_USE,
            "privileged": True,
            "object": "SeDebugPrivilege,SeBackupPrivilege",
            "dst_host": "srv2",
        },
        id="authorize-session",
    ),
    pytest.param(
        ocsf(
            1007,
            1,
            actor={"user": {"name": "alice"}},
            device={"hostname": "wks-5"},
            process={"name": "psexec.exe", "file": {"path": "C:\\Tools\\psexec.exe"}, "pid": 42},
        ),
        {"action": Action.PROCESS_START, "object": "C:\\Tools\\psexec.exe", "dst_host": "wks-5"},
        id="process-launch",
    ),
    pytest.param(
        ocsf(
            6003,
            1,
            actor={"user": {"name": "ci-bot", "uid": "AIDA1"}},
            api={"operation": "CreateAccessKey", "service": {"name": "iam.amazonaws.com"}},
            src_endpoint={"ip": "075.050.255.67"},
            http_request={"user_agent": "aws-cli/2"},
        ),
        {
            "action": Action.ACCOUNT_CHANGE,
            "object": "access_key_created",
            "app": "iam.amazonaws.com",
            "event_id": "CreateAccessKey",
            "src_ip": "75.50.255.67",
            "user_agent": "aws-cli/2",
        },
        id="api-aws",
    ),
    pytest.param(
        ocsf(
            6003,
            4,
            actor={"user": {"name": "svc"}},
            api={"operation": "files.delete", "service": {"name": "drive"}},
            src_endpoint={
                "ip": "192.0.2.1",
                "location": {"country": "FR"},
                "autonomous_system": {"number": 12322},
            },
        ),
        {"action": Action.DELETE, "object": "files.delete", "country": "FR", "asn": "12322"},
        id="api-delete",
    ),
    pytest.param(
        ocsf(
            6003,
            2,
            actor={
                "user": {"type": "AssumedRole", "uid": "AROA5FLZVX4OAMSW6BCRH:i-0317f6c6b66ae9c40"}
            },
            api={"operation": "ListBuckets", "service": {"name": "s3.amazonaws.com"}},
            src_endpoint={"ip": "1.2.3.4"},
        ),
        {"action": Action.API_CALL, "user": "i-0317f6c6b66ae9c40", "object": "ListBuckets"},
        id="api-assumed-role-uid",
    ),
    pytest.param(
        ocsf(
            4001, 1, src_endpoint={"ip": "10.0.0.5"}, dst_endpoint={"ip": "10.0.0.9", "port": 445}
        ),
        {"action": Action.NETWORK_CONNECT, "dst_host": "10.0.0.9", "object": "445", "user": ""},
        id="network-open",
    ),
    pytest.param(
        {**ocsf(3002, 1, user={"name": "bob"}), "time": "2024-05-01T09:30:00Z"},
        {"time": t("2024-05-01T09:30:00Z")},
        id="iso-time",
    ),
]


@pytest.mark.parametrize(("record", "expected"), OCSF_CASES)
def test_ocsf_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("ocsf", record)
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(ocsf(1007, 2, actor={"user": {"name": "a"}}), id="process-terminate"),
        pytest.param(ocsf(2004, 1, finding_info={"title": "x"}), id="detection-finding"),
        pytest.param(ocsf(4001, 2, src_endpoint={"ip": "10.0.0.5"}), id="network-close"),
    ],
)
def test_ocsf_skipped(record: dict[str, Any]) -> None:
    assert parse("ocsf", record) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(
            {**ocsf(3002, 1, user={"name": "a"}), "time": None}, "missing time", id="no-time"
        ),
        pytest.param(
            {**ocsf(3002, 1, user={"name": "a"}), "time": 99999999999999999},
            "out of range|absurd",
            id="huge",
        ),
        pytest.param({**ocsf(3002, 1, user={"name": "a"}), "time": 86400000}, "absurd", id="1970"),
        pytest.param(ocsf(3002, 1), "without a user", id="no-user"),
        pytest.param({**ocsf(3002, 1), "class_uid": "auth"}, "class_uid", id="class-text"),
        pytest.param(
            ocsf(6003, 1, actor={"user": {"name": "a"}}, api={}), "api.operation", id="no-operation"
        ),
        pytest.param(ocsf(3002, 1, user={"name": ["a"]}), "expected a scalar", id="name-list"),
    ],
)
def test_ocsf_bad_records(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("ocsf", record)


# ============================================================================================
# ECS (hand-written in the shape Elastic Agent / Beats produce)


def ecs(
    category: Any, types: Any, action: str, outcome: str = "success", **fields: Any
) -> dict[str, Any]:
    return {
        "@timestamp": "2024-04-02T07:45:10.250Z",
        "ecs": {"version": "8.11.0"},
        "event": {
            "kind": "event",
            "category": category,
            "type": types,
            "action": action,
            "outcome": outcome,
            "id": f"ecs-{action}",
            "provider": "sshd",
        },
        "host": {"name": "web-01.corp.example", "hostname": "web-01"},
        **fields,
    }


ECS_CASES = [
    pytest.param(
        ecs(
            ["authentication"],
            ["start"],
            "ssh_login",
            user={"name": "deploy"},
            source={
                "ip": "203.0.113.77",
                "address": "203.0.113.77",
                "geo": {"country_iso_code": "BR"},
                "as": {"number": 28573, "organization": {"name": "Claro"}},
            },
            user_agent={"original": "OpenSSH_9.6"},
        ),
        {
            "time": t("2024-04-02T07:45:10.250Z"),
            "source_format": "ecs",
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "deploy",
            "src_ip": "203.0.113.77",
            "dst_host": "web-01",
            "country": "BR",
            "asn": "28573",
            "user_agent": "OpenSSH_9.6",
            "app": "sshd",
            "event_id": "ssh_login",
            "record_id": "ecs-ssh_login",
        },
        id="auth-success",
    ),
    pytest.param(
        ecs(
            "authentication",
            "info",
            "ssh_login",
            "failure",
            user={"name": "root"},
            source={"address": "scanner.example.net"},
            event_reason="x",
        ),
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "src_ip": "",
            "src_host": "scanner",
        },
        id="auth-failure-hostname-source",
    ),
    pytest.param(
        ecs(
            ["iam"],
            ["group", "change"],
            "added-member-to-group",
            user={"name": "admin1", "target": {"name": "bob"}},
            group={"name": "sudo"},
        ),
        {"action": Action.GROUP_CHANGE, "target_user": "bob", "object": "sudo", "privileged": True},
        id="iam-group",
    ),
    pytest.param(
        ecs(
            ["iam"],
            ["user", "creation"],
            "user-created",
            user={"name": "admin1", "target": {"name": "eve"}},
        ),
        {"action": Action.ACCOUNT_CHANGE, "object": "created", "target_user": "eve"},
        id="iam-user-create",
    ),
    pytest.param(
        ecs(
            ["process"],
            ["start"],
            "exec",
            user={"name": "www-data"},
            process={"executable": "/usr/bin/curl", "name": "curl", "pid": 7},
        ),
        {"action": Action.PROCESS_START, "object": "/usr/bin/curl", "dst_host": "web-01"},
        id="process-start",
    ),
    pytest.param(
        ecs(
            ["network"],
            ["connection", "start"],
            "flow",
            source={"ip": "10.0.0.5"},
            destination={"address": "10.0.0.9", "port": 3389},
        ),
        {"action": Action.NETWORK_CONNECT, "dst_host": "10.0.0.9", "object": "3389"},
        id="network",
    ),
    pytest.param(
        ecs(["session"], ["end"], "logged-out", user={"name": "deploy"}),
        {"action": Action.LOGOFF},
        id="session-end",
    ),
    pytest.param(
        {
            **ecs(["iam"], ["user", "creation"], "CreateUser", user={"name": "alice"}),
            "event": {
                "action": "CreateUser",
                "provider": "iam.amazonaws.com",
                "category": ["iam"],
                "type": ["user", "creation"],
                "outcome": "success",
            },
        },
        {"action": Action.ACCOUNT_CHANGE, "object": "created", "app": "iam.amazonaws.com"},
        id="aws-provider",
    ),
]


@pytest.mark.parametrize(("record", "expected"), ECS_CASES)
def test_ecs_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("ecs", record)
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(ecs(["web"], ["access"], "get"), id="web"),
        pytest.param(ecs(["process"], ["end"], "exit", user={"name": "a"}), id="process-end"),
    ],
)
def test_ecs_skipped(record: dict[str, Any]) -> None:
    assert parse("ecs", record) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(
            ecs(["authentication"], ["start"], "login"), "without user.name", id="auth-no-user"
        ),
        pytest.param(
            {**ecs(["authentication"], ["start"], "login"), "@timestamp": "not a time"},
            "unparseable",
            id="bad-time",
        ),
        pytest.param(
            {**ecs(["iam"], ["user"], "x", user={"name": "a"}), "@timestamp": 0},
            "absurd",
            id="epoch-zero",
        ),
        pytest.param(
            ecs(["authentication"], ["start"], "login", user={"name": {"first": "a"}}),
            "expected a scalar",
            id="user-object",
        ),
    ],
)
def test_ecs_bad_records(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("ecs", record)


# ============================================================================================
# Sentinel / Log Analytics

PS_UA = "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.1971"
# Security-Datasets GoldenSAMLADFSMailAccess/AADAuditEvents (verbatim but for the long fields)
SENTINEL_AUDIT_CREDS = {
    "TenantId": "00000000-0000-0000-0000-000000000000",
    "SourceSystem": "Azure AD",
    "TimeGenerated": "2021-08-02T13:29:25.983Z",
    "OperationName": "Update application \u2013 Certificates and secrets management ",
    "Category": "ApplicationManagement",
    "AdditionalDetails": '[{"key":"User-Agent","value":"Mozilla/5.0 (Windows NT; '
    'Windows NT 10.0; en-US) WindowsPowerShell/5.1.17763.1971"}]',
    "Id": "Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832",
    "InitiatedBy": '{"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,'
    '"userPrincipalName":"pgustavo@simulandlabs.com","ipAddress":null,"roles":[]}}',
    "LoggedByService": "Core Directory",
    "Result": "success",
    "TargetResources": '[{"id":"11b49e19-2326-4be6-93cb-7f37439bbd81","displayName":"SimuLandApp",'
    '"type":"Application","modifiedProperties":[{"displayName":"KeyDescription","oldValue":"[]",'
    '"newValue":"[\\"[KeyIdentifier=59eaeebc-8a6b-44a6-9f24-7d55e64420c9,KeyType=Password,'
    'KeyUsage=Verify,DisplayName=SimuLandCreds]\\"]"}],"administrativeUnits":[]}]',
    "ActivityDisplayName": "Update application \u2013 Certificates and secrets management ",
    "ActivityDateTime": "2021-08-02T13:29:25.983Z",
    "AADOperationType": "Update",
    "Type": "AuditLogs",
    "UserAgent": PS_UA,
}
# Same file: a query result whose Type column was overwritten ("ServicePrincipal")
SENTINEL_AUDIT_GRANT = {
    "TenantId": "00000000-0000-0000-0000-000000000000",
    "SourceSystem": "Azure AD",
    "TimeGenerated": "2021-08-02T13:27:20.017Z",
    "OperationName": "Add delegated permission grant",
    "Category": "ApplicationManagement",
    "Id": "Directory_630d7f0c-acc4-4596-85ab-7e5d839b4291_9VRQI_37762000",
    "InitiatedBy": '{"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,'
    '"userPrincipalName":"pgustavo@simulandlabs.com","ipAddress":null,"roles":[]}}',
    "LoggedByService": "Core Directory",
    "Result": "success",
    "TargetResources": '[{"id":"401dd906-ea4f-4d41-b762-7e936d222368",'
    '"displayName":"Microsoft Graph",'
    '"type":"ServicePrincipal","modifiedProperties":[{"displayName":"DelegatedPermissionGrant.Scope",'
    '"oldValue":"\\"User.Read\\"","newValue":"\\"User.Read Mail.ReadWrite\\""},{"displayName":'
    '"DelegatedPermissionGrant.ConsentType","oldValue":"\\"AllPrincipals\\"","newValue":'
    '"\\"AllPrincipals\\""}],"administrativeUnits":[]}]',
    "ActivityDisplayName": "Add delegated permission grant",
    "Type": "ServicePrincipal",
    "UserAgent": PS_UA,
    "Permissions": "User.Read Mail.ReadWrite",
}
# Security-Datasets GoldenSAMLADFSMailAccess/OfficeActivityEvents (Folders elided)
SENTINEL_OFFICE = {
    "TenantId": "00000000-0000-0000-0000-000000000000",
    "RecordType": "50",
    "TimeGenerated": "2021-08-02T13:32:07Z",
    "Operation": "MailItemsAccessed",
    "UserType": "Regular",
    "OfficeWorkload": "Exchange",
    "ResultStatus": "Succeeded",
    "UserId": "pgustavo@simulandlabs.com",
    "Logon_Type": "Owner",
    "MailboxOwnerUPN": "pgustavo@simulandlabs.com",
    "ClientInfoString": "Client=REST;;",
    "Client_IPAddress": "1.2.3.4",
    "Folders": "[]",
    "SourceSystem": "OfficeActivityManager",
    "OfficeId": "699e0b10-1c53-403e-976f-ce0847a92b44",
    "ClientAppId": "5a95e683-08ad-424e-a441-1d1aec52c02c",
    "Type": "OfficeActivity",
}
# Security-Datasets GoldenSAMLADFSMailAccess/Microsoft365DefenderEvents (empty columns dropped)
SENTINEL_MDI_REPLICATION = {
    "Timestamp": "2021-08-02T13:13:02.057Z",
    "ActionType": "Directory Services replication",
    "Application": "Active Directory",
    "AccountObjectId": "aead923d-498b-4f64-a66c-2af91447a8b6",
    "AccountDisplayName": "Gustavo Pedro",
    "IPAddress": "192.168.2.5",
    "ISP": "INTERNAL_NETWORK",
    "ReportId": "3ab932f1-c0d9-4c09-bb4d-dfc0852bbdf7_106830890_1627909982057_20940",
    "AdditionalFields": {
        "ACTOR.ACCOUNT": "Gustavo Pedro",
        "TO.DEVICE": "DC01",
        "FROM.DEVICE": "ADFS01",
    },
    "DestinationDeviceName": "dc01.simulandlabs.com",
    "DestinationIPAddress": "192.168.2.4",
    "DestinationPort": 49668,
    "Protocol": "Drsr",
    "AccountName": "pgustavo",
    "AccountDomain": "simulandlabs.com",
    "AccountUpn": "pgustavo@simulandlabs.com",
    "DeviceName": "adfs01.simulandlabs.com",
    "Port": 53163,
    "InitiatingProcessFileName": "",  # union export: other tables' columns present but empty
    "ActivityType": "",
}
SENTINEL_LDAP = {
    "Timestamp": "2021-08-02T13:15:30.513652Z",
    "DeviceName": "adfs01.simulandlabs.com",
    "ActionType": "LdapSearch",
    "InitiatingProcessFileName": "powershell.exe",
    "InitiatingProcessAccountName": "wardog",
    "InitiatingProcessAccountUpn": "wardog@simulandlabs.com",
    "ReportId_long": 113771,
    "AdditionalFields_string": '{"AttributeList":[""],"DistinguishedName":"DC=simulandlabs,DC=com",'
    '"ScopeOfSearch":"SubTree","SearchFilter":"(&(objectCategory=user)(memberOf=CN=Domain Admins,'
    'CN=Users,DC=simulandlabs,DC=com))"}',
    "DestinationDeviceName": "",
}
# Hand-written SigninLogs rows (dynamic columns as JSON text, as Log Analytics exports them)
SENTINEL_SIGNIN_FAIL = {
    "TenantId": "7d3f0000-0000-4000-8000-000000000000",
    "SourceSystem": "Azure AD",
    "TimeGenerated": "2024-03-05T02:11:09.5Z",
    "ResultType": "50126",
    "ResultDescription": "Invalid username or password or Invalid on-premise username or password.",
    "UserPrincipalName": "carol@contoso.com",
    "AppDisplayName": "Microsoft Office",
    "ClientAppUsed": "Authenticated SMTP",
    "IPAddress": "185.220.101.4",
    "Location": "DE",
    "LocationDetails": '{"city":"Frankfurt","state":"Hessen","countryOrRegion":"DE"}',
    "Status": '{"errorCode":50126,"failureReason":"Invalid username or password."}',
    "DeviceDetail": '{"deviceId":"","operatingSystem":"","browser":""}',
    "Id": "1b2c3d4e-0000-4000-8000-00000000000a",
    "AutonomousSystemNumber": 208294,
    "Type": "SigninLogs",
}
SENTINEL_SIGNIN_OK = {
    **SENTINEL_SIGNIN_FAIL,
    "ResultType": "0",
    "Status": '{"errorCode":0}',
    "LocationDetails": "",
    "Location": "NL",
    "ClientAppUsed": "Browser",
    "Type": "AADNonInteractiveUserSignInLogs",
}

SENTINEL_CASES = [
    pytest.param(
        SENTINEL_AUDIT_CREDS,
        {
            "time": t("2021-08-02T13:29:25.983Z"),
            "source_format": "sentinel",
            "action": Action.ACCOUNT_CHANGE,
            "user": "pgustavo",
            "target_user": "simulandapp",
            "object": "credentials_changed",
            "app": "Core Directory",
            "event_id": "Update application \u2013 Certificates and secrets management",
            "record_id": "Directory_10065ffb-8199-48bc-8ff5-912cb5b8295a_AUMVX_13992832",
            "user_agent": PS_UA,
        },
        id="audit-app-credentials",
    ),
    pytest.param(
        SENTINEL_AUDIT_GRANT,
        {
            "action": Action.POLICY_CHANGE,
            "object": "Add delegated permission grant:Microsoft Graph",
            "privileged": True,  # tenant-wide Mail.ReadWrite
        },
        id="audit-permission-grant-type-overwritten",
    ),
    pytest.param(
        SENTINEL_OFFICE,
        {
            "action": Action.API_CALL,
            "user": "pgustavo",
            "target_user": "pgustavo",
            "src_ip": "1.2.3.4",
            "app": "Exchange",
            "object": "MailItemsAccessed",
            "logon_type": "owner",
            "user_agent": "Client=REST;;",
            "record_id": "699e0b10-1c53-403e-976f-ce0847a92b44",
        },
        id="office-mail-access",
    ),
    pytest.param(
        SENTINEL_MDI_REPLICATION,
        {
            "time": t("2021-08-02T13:13:02.057Z"),
            "action": Action.PRIVILEGE_USE,
            "privileged": True,
            "user": "pgustavo",
            "src_ip": "192.168.2.5",
            "src_host": "adfs01",
            "dst_host": "dc01",
            "auth_protocol": "drsr",
        },
        id="mdi-replication",
    ),
    pytest.param(
        SENTINEL_LDAP,
        {
            "action": Action.API_CALL,
            "user": "wardog",
            "dst_host": "adfs01",
            "app": "powershell.exe",
            "object": "DC=simulandlabs,DC=com",
            "record_id": "113771",
        },
        id="ldap-search",
    ),
    pytest.param(
        SENTINEL_SIGNIN_FAIL,
        {
            "action": Action.LOGON_FAILED,
            "user": "carol",
            "src_ip": "185.220.101.4",
            "country": "DE",
            "asn": "208294",
            "auth_protocol": "legacy",
            "reason": "50126 Invalid username or password.",
            "source_format": "sentinel",
            "event_id": "SigninLogs",
        },
        id="signin-failure",
    ),
    pytest.param(
        SENTINEL_SIGNIN_OK,
        {"action": Action.LOGON, "country": "NL", "event_id": "AADNonInteractiveUserSignInLogs"},
        id="signin-noninteractive-location-column",
    ),
    pytest.param(
        {
            **SENTINEL_OFFICE,
            "Operation": "UserLoginFailed",
            "ResultStatus": "Failed",
            "Client_IPAddress": None,
            "ClientIP": "203.0.113.50:51234",
        },
        {"action": Action.LOGON_FAILED, "outcome": Outcome.FAILURE, "src_ip": "203.0.113.50"},
        id="office-login-failed-ip-port",
    ),
]


@pytest.mark.parametrize(("record", "expected"), SENTINEL_CASES)
def test_sentinel_fields(record: dict[str, Any], expected: dict[str, Any]) -> None:
    [event] = parse("sentinel", record)
    assert {name: getattr(event, name) for name in expected} == expected


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(
            {"TimeGenerated": "2024-01-01T00:00:00Z", "Type": "Heartbeat", "Computer": "x"},
            id="heartbeat",
        ),
        pytest.param(
            {**SENTINEL_LDAP, "ActionType": "AntivirusScanCompleted"}, id="device-event-unmapped"
        ),
    ],
)
def test_sentinel_skipped(record: dict[str, Any]) -> None:
    assert parse("sentinel", record) == []


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        pytest.param(
            {**SENTINEL_AUDIT_CREDS, "InitiatedBy": '{"user": '}, "InitiatedBy", id="truncated-json"
        ),
        pytest.param(
            {**SENTINEL_AUDIT_CREDS, "InitiatedBy": "{}" + " " * 300_000},
            "InitiatedBy",
            id="oversized-json",
        ),
        pytest.param(
            {**SENTINEL_AUDIT_CREDS, "TimeGenerated": "2021-02-30T00:00:00Z"},
            "unparseable",
            id="feb-30",
        ),
        pytest.param({**SENTINEL_OFFICE, "UserId": ""}, "UserId", id="office-no-user"),
        pytest.param(
            {**SENTINEL_SIGNIN_FAIL, "Status": "", "ResultType": ""},
            "errorCode",
            id="signin-no-status",
        ),
    ],
)
def test_sentinel_bad_records(record: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse("sentinel", record)


def test_decode_json_field_bounds() -> None:
    assert decode_json_field('{"a": 1}') == {"a": 1}
    assert decode_json_field("[" * 100_000) is None  # orjson's depth limit, not a crash
    assert decode_json_field('"x"' + " " * 10, limit=5) is None
    assert decode_json_field(7) is None


# ============================================================================================
# Sniffing

SAMPLES: dict[str, list[Any]] = {
    "cloudtrail": [p.values[0] for p in CLOUDTRAIL_CASES] + [CT_SEND_COMMAND],
    "okta": [p.values[0] for p in OKTA_CASES],
    "entra": [p.values[0] for p in ENTRA_CASES],
    "ocsf": [p.values[0] for p in OCSF_CASES],
    "ecs": [p.values[0] for p in ECS_CASES],
    "sentinel": [p.values[0] for p in SENTINEL_CASES],
}
# Records that belong to the Windows parsers (HELK flat, Winlogbeat ECS, EVTX JSON, Sentinel
# SecurityEvent): none of the cloud parsers may claim them.
WINDOWS_SHAPES = [
    {
        "@timestamp": "2020-09-21T19:28:21.912Z",
        "EventID": 4624,
        "Hostname": "WORKSTATION6",
        "Channel": "Security",
        "TargetUserName": "pgustavo",
        "LogonType": "3",
    },
    {
        "@timestamp": "2024-01-01T00:00:00Z",
        "event": {"code": "4624", "category": ["authentication"]},
        "winlog": {"event_id": 4624, "event_data": {"TargetUserName": "a"}},
    },
    {
        "Event": {
            "System": {
                "EventID": 4624,
                "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00Z"}},
            }
        }
    },
    {
        "TimeGenerated": "2021-08-02T13:06:38.33Z",
        "Computer": "DC01.simulandlabs.com",
        "EventID": 4624,
        "Type": "SecurityEvent",
        "TenantId": "0",
        "TargetUserName": "wardog",
    },
]


@pytest.mark.parametrize(
    ("owner", "record"),
    [
        pytest.param(owner, record, id=f"{owner}-{i}")
        for owner, records in SAMPLES.items()
        for i, record in enumerate(records)
    ],
)
def test_sniff_is_exclusive(owner: str, record: Any) -> None:
    assert sniffers(record) == [owner]


@pytest.mark.parametrize("record", WINDOWS_SHAPES)
def test_cloud_parsers_leave_windows_records_alone(record: Any) -> None:
    assert not [name for name in sniffers(record) if name in MINE]


@pytest.mark.parametrize("value", [None, "text", 42, [1, 2], {}])
def test_sniff_rejects_non_records(value: Any) -> None:
    assert not [name for name in MINE if PARSERS[name].sniff(value)]


# ============================================================================================
# Robustness: mutated samples raise BadRecord or parse, nothing else

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_ALL_SAMPLES = [
    (name, record)
    for name, records in SAMPLES.items()
    for record in records
    if isinstance(record, dict)
]


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_records_never_crash(data: st.DataObject) -> None:
    name, sample = data.draw(st.sampled_from(_ALL_SAMPLES))
    record = copy.deepcopy(sample)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(record)) or [("x",)]))
        node: Any = record
        for key in path[:-1]:
            node = node[key]
        if data.draw(st.booleans()):
            node[path[-1]] = data.draw(_json)
        else:
            node.pop(path[-1], None)
    try:
        events = PARSERS[name].parse(record, CTX)
    except BadRecord:
        return
    assert all(isinstance(e, Event) and e.tenant == "acme" for e in events)
    for event in events:
        for field in Event.__struct_fields__:
            value = getattr(event, field)
            assert not isinstance(value, dict | list), field


# ============================================================================================
# Real files


def _real(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not found (set VIGIL_SHARED_DATA)")
    return path


def _labels(name: str) -> dict[str, Any]:
    labels: dict[str, Any] = json.loads((DATA / name / "LABELS.json").read_text())
    return labels


def _zip_lines(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        [member] = archive.namelist()
        lines = archive.read(member).decode("utf-8-sig").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _parse_all(
    records: list[dict[str, Any]], name: str, source: str
) -> tuple[list[Event], list[str]]:
    """Parse every record with ``name``; returns the events and the dead-letter reasons."""
    events: list[Event] = []
    dead: list[str] = []
    for position, record in enumerate(records):
        ctx = ParseContext(tenant="acme", source=source, position=position)
        try:
            events.extend(PARSERS[name].parse(record, ctx))
        except BadRecord as exc:
            dead.append(str(exc))
    return events, dead


STRATUS_FILES = sorted(STRATUS.glob("*.json")) if STRATUS.is_dir() else []


@needs_data
def test_stratus_files_present() -> None:
    assert len(STRATUS_FILES) == 35


@needs_data
@pytest.mark.parametrize("path", STRATUS_FILES, ids=lambda p: p.stem)
def test_stratus_file(path: Path) -> None:
    records = json.loads(path.read_text())
    label = next(
        d for d in _labels("stratus-red-team")["datasets"] if d["file"].endswith(path.name)
    )
    assert len(records) == label["records"]
    assert all(sniffers(r) == ["cloudtrail"] for r in records)
    events, dead = _parse_all(records, "cloudtrail", path.name)
    assert len(dead) <= 0.01 * len(records), Counter(dead)
    assert {e.record_id for e in events} == {r["eventID"] for r in records}
    assert min(e.time for e in events) == t(label["time_first"])
    assert max(e.time for e in events) == t(label["time_last"])
    for event in events:
        assert event.user, (
            event
        )  # every Stratus caller is an IAM user, role session or federated user
        ipaddress.ip_address(event.src_ip)  # anonymised IPs with leading zeros still read
        assert event.app.endswith("amazonaws.com")
        # The reason is a failure's, except who a role's trust or a resource policy was opened
        # to (rounds 19 and 20) and what a narrowed trail stopped recording (round 20).
        trust = event.reason.startswith(("outside account ", "any AWS principal")) and (
            event.privileged
        )
        trust |= event.reason.startswith("no longer records")
        assert (event.outcome is Outcome.FAILURE) == bool(event.reason) or trust


@needs_data
def test_stratus_specific_facts() -> None:
    def events_of(stem: str) -> list[Event]:
        records = json.loads(_real(STRATUS / f"{stem}.json").read_text())
        return _parse_all(records, "cloudtrail", stem)[0]

    admin = events_of("aws.persistence.iam-create-admin-user")
    assert {
        (e.action, e.object, e.target_user) for e in admin if e.action is Action.ACCOUNT_CHANGE
    } == {
        (Action.ACCOUNT_CHANGE, "created", "malicious-iam-user"),
        (Action.ACCOUNT_CHANGE, "access_key_created", "malicious-iam-user"),
    }
    [policy] = [e for e in admin if e.action is Action.POLICY_CHANGE]
    assert policy.privileged and "AdministratorAccess" in policy.object
    assert {e.src_ip for e in admin} == {"75.50.255.67"}  # raw "075.050.255.67"

    [stop] = events_of("aws.defense-evasion.cloudtrail-stop")
    assert stop.action is Action.LOG_CLEARED and stop.user == "christophe"
    for stem in ("cloudtrail-delete", "dns-delete-logs", "vpc-remove-flow-logs"):
        assert [e.action for e in events_of(f"aws.defense-evasion.{stem}")] == [Action.LOG_CLEARED]

    [login] = events_of("aws.initial-access.console-login-without-mfa")
    assert (login.action, login.auth_protocol, login.logon_type) == (
        Action.LOGON,
        "password",
        "console",
    )

    [role_policy] = [
        e
        for e in events_of("aws.persistence.iam-create-backdoor-role")
        if e.action is Action.POLICY_CHANGE
    ]
    assert (
        role_policy.privileged and role_policy.target_user == "stratus-red-team-malicious-iam-role"
    )

    # Stratus "Backdoor an IAM Role": the trust policy now also trusts an outside account.
    [trust] = [
        e
        for e in events_of("aws.persistence.iam-backdoor-role")
        if e.event_id == "UpdateAssumeRolePolicy"
    ]
    assert trust.privileged and trust.reason == "outside account 193672423079"

    denied = [
        e
        for e in events_of("aws.credential-access.ec2-get-password-data")
        if e.object == "GetPasswordData"
    ]
    assert len(denied) == 30
    assert {(e.outcome, e.reason, e.user) for e in denied} == {
        (Outcome.FAILURE, "Client.UnauthorizedOperation", "aws-go-sdk-1722375070115152000")
    }

    exec_events = events_of("aws.execution.ssm-send-command")
    remote = [e for e in exec_events if e.action is Action.REMOTE_EXEC]
    assert remote and all(e.dst_host.startswith("i-") for e in remote)

    # Stratus "Disable CloudTrail Logging Through Event Selectors" (management events excluded,
    # ReadOnly): the trail still runs but records no management write any more (round 20).
    [narrowed] = events_of("aws.defense-evasion.cloudtrail-event-selectors")
    assert narrowed.action is Action.LOG_CLEARED
    assert narrowed.reason == "no longer records management write events"
    assert [
        e.object for e in events_of("aws.privilege-escalation.iam-update-user-login-profile")
    ] == ["password_reset"]

    all_records = [r for p in STRATUS_FILES for r in json.loads(p.read_text())]
    leading_zero = [
        r
        for r in all_records
        if any(o.startswith("0") and len(o) > 1 for o in r["sourceIPAddress"].split("."))
    ]
    assert len(leading_zero) == 107  # README: 107 of 310
    events = _parse_all(leading_zero, "cloudtrail", "lz")[0]
    assert all(ipaddress.ip_address(e.src_ip) for e in events)


@needs_data
def test_security_datasets_aws() -> None:
    records = _zip_lines(_real(SD_AWS))
    label = next(
        d for d in _labels("security-datasets")["datasets"] if d["file"].endswith(SD_AWS.name)
    )
    assert len(records) == label["records"] == 103
    assert all(sniffers(r) == ["cloudtrail"] for r in records)
    events, dead = _parse_all(records, "cloudtrail", SD_AWS.name)
    assert dead == []
    assert len(events) == 103
    assert min(e.time for e in events) == t(label["time_first"])
    # The labelled attack: 11 S3 calls with the stolen BankingWAFRole instance credentials.
    s3 = [e for e in events if e.app == "s3.amazonaws.com"]
    [indicator] = label["indicators"]
    assert len(s3) == indicator["count"] == 11
    assert {e.user for e in s3} == {"i-0317f6c6b66ae9c40"}  # the instance's role session
    start, end = (t(x) for x in label["attack_window"])
    assert all(start <= e.time <= end for e in s3)
    # Benign background: the console user made every other call but EC2's own five.
    assert Counter(e.user for e in events)["pedro"] == 103 - 11 - 5
    # EC2 itself fetching role credentials: no user, the service as app.
    service = [e for e in events if e.app == "ec2.amazonaws.com" and e.action is Action.AUTH_TICKET]
    assert len(service) == 5 and all(e.user == "" and e.src_ip == "" for e in service)


GOLDEN_FILES = sorted(GOLDEN.glob("*.Zip")) if GOLDEN.is_dir() else []


@needs_data
@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_golden_saml_file(path: Path) -> None:
    records = _zip_lines(path)
    compound = next(d for d in _labels("security-datasets")["datasets"] if "compound" in d)
    label = next(f for f in compound["files"] if f["file"].endswith(path.name))
    assert len(records) == label["records"]
    if path.stem == "WindowsEvents":
        # SecurityEvent / Event rows carry EventID: the Windows parser's, never ours.
        assert all("EventID" in r for r in records)
        assert not [r for r in records if set(sniffers(r)) & set(MINE)]
        return
    assert all(sniffers(r) == ["sentinel"] for r in records)
    events, dead = _parse_all(records, "sentinel", path.name)
    assert len(dead) <= 0.01 * len(records), dead
    assert len(events) == len(records)  # every row of these tables is mapped
    assert all(t(label["time_first"]) <= e.time <= t(label["time_last"]) for e in events)
    assert all(e.user for e in events)


@needs_data
def test_golden_saml_facts() -> None:
    audit = _parse_all(_zip_lines(_real(GOLDEN / "AADAuditEvents.Zip")), "sentinel", "aad")[0]
    assert Counter((e.action, e.object) for e in audit) == {
        (Action.ACCOUNT_CHANGE, "credentials_changed"): 2,
        (Action.POLICY_CHANGE, "Update application:SimuLandApp"): 1,
        (Action.POLICY_CHANGE, "Add delegated permission grant:Microsoft Graph"): 1,
    }
    assert {e.user for e in audit} == {"pgustavo"}
    assert [e.privileged for e in audit if "delegated" in e.object] == [True]

    defender = _parse_all(
        _zip_lines(_real(GOLDEN / "Microsoft365DefenderEvents.Zip")), "sentinel", "m365"
    )[0]
    assert Counter(e.event_id for e in defender) == {
        "LdapSearch": 5,
        "Directory Services replication": 2,
        "MailItemsAccessed": 1,
        "Add delegated permission grant": 1,
    }
    replication = [e for e in defender if e.action is Action.PRIVILEGE_USE]
    assert {(e.user, e.src_host, e.dst_host, e.privileged) for e in replication} == {
        ("pgustavo", "adfs01", "dc01", True)
    }

    [office] = _parse_all(
        _zip_lines(_real(GOLDEN / "OfficeActivityEvents.Zip")), "sentinel", "office"
    )[0]
    assert (office.action, office.user, office.object, office.src_ip) == (
        Action.API_CALL,
        "pgustavo",
        "MailItemsAccessed",
        "1.2.3.4",
    )


WINDOWS_ZIPS = (
    sorted((DATA / "security-datasets" / "atomic" / "windows").rglob("*.zip"))
    if DATA.is_dir()
    else []
)


@needs_data
def test_real_windows_records_are_not_claimed() -> None:
    """HELK Windows exports (same archive as the AWS capture) belong to the Windows parser."""
    assert WINDOWS_ZIPS
    checked = 0
    for path in WINDOWS_ZIPS:
        with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as member:
            for number, line in enumerate(member):
                if number >= 300:
                    break
                if line.strip():
                    record = json.loads(line)
                    assert not set(sniffers(record)) & set(MINE), (path.name, number)
                    checked += 1
    assert checked > 5000


@needs_data
def test_stratus_credential_kind() -> None:
    """API calls carry the kind of key that signed them (``userIdentity.accessKeyId``): the
    detonations run both from an IAM user's long-term key and from role sessions."""
    kinds: Counter[str] = Counter()
    for path in STRATUS_FILES:
        for record in json.loads(path.read_text()):
            key = str(record["userIdentity"].get("accessKeyId", ""))
            expected = {"AKIA": "access_key", "ASIA": "session_key"}.get(key[:4], "")
            with contextlib.suppress(BadRecord):
                for event in parse("cloudtrail", record):
                    if event.action in (Action.LOGON, Action.LOGON_FAILED):
                        continue
                    if event.auth_protocol not in ("saml", "oidc"):
                        assert event.auth_protocol == expected, (path.name, record["eventID"])
                    kinds[event.auth_protocol] += 1
    assert kinds["access_key"] > 100 and kinds["session_key"] > 10, kinds


def test_cloudtrail_call_carries_its_key_kind() -> None:
    """The same call signed by a long-term key (AKIA) and by session credentials (ASIA)."""
    record = copy.deepcopy(CT_STOP_LOGGING)
    record["userIdentity"]["accessKeyId"] = "AKIAIOSFODNN7EXAMPLE"
    [event] = parse("cloudtrail", record)
    assert event.auth_protocol == "access_key"
    record["userIdentity"]["accessKeyId"] = "ASIAY34FZKBOKMUTVV7A"
    [event] = parse("cloudtrail", record)
    assert event.auth_protocol == "session_key"
