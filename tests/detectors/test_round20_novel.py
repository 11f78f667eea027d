"""Round 20 (``--attacks novel20w``): what the new Windows / AD kinds showed was missing.

- ``rare_pre_auth``: a TGT by certificate (PKINIT, 4768 PreAuthType 16) for an account whose
  TGTs were all issued on a password (AD CS ESC1, shadow credentials) was not judged at all.
- ``remote_exec`` ``cred_copy``: ``ntds.dit`` or a saved SAM/SECURITY/SYSTEM hive fetched
  through an admin share (the end of every offline secrets dump) was an ordinary ``C$`` open.
- 4662 with Read Property only (an audited read of a confidential attribute, a LAPS password)
  was explained as "a permission change".

Every test here fails on main (e039f71).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.privileged_action import PrivilegedAction
from detectors.rare_attributes import RarePreAuth
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.windows import DS_PROPERTY_READ, HelkParser

T = datetime(2024, 3, 4, 9, tzinfo=UTC)
CTX = ParseContext(tenant="acme")


def _ticket(hours: float, user: str, pre_auth: str, service: str = "krbtgt") -> Event:
    return Event(
        time=T + timedelta(hours=hours),
        tenant="t",
        source_format="test",
        action=Action.AUTH_TICKET,
        user=user,
        src_ip="10.10.1.32",
        dst_host="dc01",
        object=service,
        logon_type=pre_auth if service == "krbtgt" else "",
    )


def _pre_auth_points(history: list[Event], new: list[Event]) -> list[float]:
    builder, detector = BatchBuilder(), RarePreAuth()
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build(new), builder)
    return [round(float(p), 1) for p in signals.points]


def test_certificate_tgt_for_a_password_account_reaches_the_alert_bar() -> None:
    # An admin's three weeks: one password TGT a working day.
    history = [_ticket(24 * day, "admin1", "2") for day in range(20)]
    history += [_ticket(24 * day + 1, "hello1", "16") for day in range(20)]  # Hello user
    (points,) = _pre_auth_points(history, [_ticket(24 * 21, "admin1", "16")])
    assert points >= 40.0
    # The Hello user's certificate is their habit; service tickets carry no pre-auth type.
    assert _pre_auth_points(history, [_ticket(24 * 21, "hello1", "16")]) == []
    assert _pre_auth_points(history, [_ticket(24 * 21, "admin1", "", service="cifs/app01")]) == []


def _share(seconds: float, path: str) -> Event:
    return Event(
        time=T + timedelta(seconds=seconds),
        tenant="t",
        source_format="test",
        action=Action.SHARE_ACCESS,
        user="eve",
        src_ip="10.10.1.29",
        dst_host="dc01",
        object=path,
    )


def _remote_points(events: list[Event]) -> list[tuple[str, float]]:
    builder, detector = BatchBuilder(), RemoteExecution()
    signals = detector.score(builder.build(events), builder)
    return [(t.split(" ", 2)[1], round(float(p), 1)) for t, p in zip(signals.titles,
            signals.points, strict=True)]  # fmt: skip


def test_credential_store_read_through_an_admin_share() -> None:
    logon = Event(time=T, tenant="t", source_format="test", action=Action.LOGON, user="eve",
                  src_ip="10.10.1.29", dst_host="dc01", logon_type="3")  # fmt: skip
    found = _remote_points([logon, _share(5, "\\\\*\\C$\\Windows\\Temp\\ifm\\Active "
                                             "Directory\\ntds.dit")])  # fmt: skip
    assert found == [("read", 45.0)]
    hive = _remote_points([logon, _share(5, "\\\\*\\C$\\Temp\\sam.hiv")])
    assert hive == [("read", 45.0)]
    # An ordinary file on the same share stays an admin-share open (20).
    assert _remote_points([logon, _share(5, "\\\\*\\C$\\Temp\\report.docx")]) == [("opened", 20.0)]


LAPS_READ = {
    "EventID": 4662,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "Hostname": "DC01.acme.local",
    "@timestamp": "2024-05-31T19:33:57.603Z",
    "RecordNumber": 7001,
    "SubjectUserName": "swalker",
    "SubjectDomainName": "ACME",
    "ObjectServer": "DS",
    "ObjectType": "%{bf967a86-0de6-11d0-a285-00aa003049e2}",
    "ObjectName": "%{54a5baeb-d2e5-aaf4-fa65-c9100641b8da}",
    "OperationType": "Object Access",
    "AccessMask": "0x10",
    "Properties": "%%7684\r\n\t\t{2b0a4f7e-1c1d-4c6e-9d4f-5e0c3f1a7b21}\r\n\t"
    "{bf967a86-0de6-11d0-a285-00aa003049e2}\r\n",
}


def test_audited_property_read_is_a_read_not_a_permission_change() -> None:
    [event] = HelkParser().parse(LAPS_READ, CTX)
    assert event.action is Action.POLICY_CHANGE and not event.privileged
    assert event.reason == DS_PROPERTY_READ
    assert event.object == "computer %{54a5baeb-d2e5-aaf4-fa65-c9100641b8da}"
    # WRITE_DAC on an object is still a privileged permission change.
    [dacl] = HelkParser().parse(dict(LAPS_READ, AccessMask="0x40000"), CTX)
    assert dacl.privileged and dacl.reason == ""
    # privileged_action names the read as a read.
    history = [
        Event(time=T + timedelta(hours=6 * k), tenant="acme", source_format="test",
              action=Action.LOGON, user=u, dst_host="app01", logon_type="3")
        for k in range(40) for u in ("swalker", "bob", "carol")
    ]  # fmt: skip
    builder, detector = BatchBuilder(), PrivilegedAction(learning_days=3, min_events=10)
    batch = builder.build(history)
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    read = event.__class__(**{**{f: getattr(event, f) for f in event.__struct_fields__},
                              "time": T + timedelta(days=11)})  # fmt: skip
    signals = detector.score(builder.build([read]), builder)
    assert len(signals) == 1
    assert "a read of audited directory properties (computer %{54a5baeb" in signals.titles[0]
    assert "permission change" not in signals.titles[0]


GPO_EDIT = {
    "EventID": 5136,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Channel": "Security",
    "Hostname": "DC01.acme.local",
    "@timestamp": "2024-05-21T19:02:11.120Z",
    "RecordNumber": 8120,
    "SubjectUserName": "rgreen",
    "SubjectDomainName": "ACME",
    "ObjectDN": "CN={6AC1786C-016F-11D2-945F-00C04FB984F9},CN=Policies,CN=System,DC=acme,DC=local",
    "ObjectClass": "groupPolicyContainer",
    "AttributeLDAPDisplayName": "gPCMachineExtensionNames",
    "AttributeValue": "[{00000000-0000-0000-0000-000000000000}{CAB54552-DEEA-4691-817E-ED4A4D1AFC72}]"
    "[{AADCED64-746C-4633-A97C-D61349046527}{CAB54552-DEEA-4691-817E-ED4A4D1AFC72}]",
    "OperationType": "%%14674",
}


def test_gpo_client_side_extensions_changed_is_privileged() -> None:
    [event] = HelkParser().parse(GPO_EDIT, CTX)
    assert event.action is Action.POLICY_CHANGE and event.privileged
    assert event.object == "gPCMachineExtensionNames" and event.reason == "value added"
    # A GPO's version bump (every edit) stays an ordinary change.
    [version] = HelkParser().parse(
        dict(GPO_EDIT, AttributeLDAPDisplayName="versionNumber", AttributeValue="65538"), CTX
    )
    assert not version.privileged


def test_tgt_without_pre_authentication_is_not_the_accounts_sign_in() -> None:
    # AS-REP roasting asks for TGTs of accounts without pre-authentication: kerberoasting judges
    # the asking source; the roasted accounts did not sign in differently.
    history = [_ticket(24 * day, "svc_sql", "2") for day in range(20)]
    assert _pre_auth_points(history, [_ticket(24 * 21, "svc_sql", "0")]) == []
