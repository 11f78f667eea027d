"""Round 12's gaps (``--attacks fresh``): overpass-the-hash, a privileged cloud role taken on by
someone who never holds it, and an ssh key planted for another account with sudo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np

from detectors.account_lifecycle import AccountLifecycle, key_plant_target
from detectors.batch import BatchBuilder
from detectors.failed_logons import CredentialStuffing
from detectors.kerberoasting import Kerberoasting
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event, Outcome
from schemas.parsers.base import ParseContext
from schemas.parsers.cloudtrail import CloudTrailParser
from tests.detectors.cases.privileged_action import admin_stream
from tests.detectors.test_asrep_roasting import ADDRESSES, roast, ticket
from tests.detectors.test_asrep_roasting import trained as trained_tickets
from tests.detectors.test_privilege import event, scored, trained

START = datetime(2024, 3, 4, 8, tzinfo=UTC)

# --------------------------------------------------------------------------------------------
# overpass-the-hash (kerberoasting)


def overpass(day: float, account: str, ip: str) -> list[Event]:
    """Rubeus asktgt /rc4: the account's TGT in RC4 at ``ip``, then its service tickets."""
    return [
        *roast(day, ip, (account,)),
        ticket(day + 60 / 86_400, account, ip, service="APP01$"),
        ticket(day + 120 / 86_400, account, ip, service="FS01$"),
    ]


def overpass_rows(detector: Kerberoasting, builder: BatchBuilder, events: list[Event]) -> list:
    signals = detector.score(builder.build(events), builder)
    return [
        (builder.vocab["user"].value(int(signals.entity[i])), round(float(signals.points[i]), 3))
        for i in range(len(signals))
        if "overpass" in signals.titles[i]
    ]


def test_an_rc4_tgt_used_from_another_users_address_is_overpass_the_hash() -> None:
    detector, builder = trained_tickets()
    signals = detector.score(builder.build(overpass(22, "alice", ADDRESSES["bob"])), builder)
    found = [i for i in range(len(signals)) if "overpass" in signals.titles[i]]
    assert len(found) == 1  # the first ticket used from there, once
    i = found[0]
    assert builder.vocab["user"].value(int(signals.entity[i])) == "alice"
    assert float(signals.points[i]) >= 65  # a page on its own
    assert signals.techniques(i) == ("T1550.002", "T1558")
    assert "bob's address" in signals.titles[i]


def test_overpass_is_found_when_the_source_gives_the_pre_auth_type() -> None:
    # Rubeus asktgt /rc4 pre-authenticates (PreAuthType 2) with the account's RC4 key: the
    # pre-auth type, kept for AS-REP roasting, must not hide the RC4 TGT from this check.
    detector, builder = trained_tickets()
    events = [
        *roast(22, ADDRESSES["bob"], ("alice",), pre_auth="2"),
        ticket(22 + 60 / 86_400, "alice", ADDRESSES["bob"], service="APP01$"),
    ]
    found = overpass_rows(detector, builder, events)
    assert [user for user, _ in found] == ["alice"] and found[0][1] >= 65
    # The same TGT in AES (a normal client) is nothing.
    events[0] = roast(22, ADDRESSES["bob"], ("alice",), protocol="kerberos", pre_auth="2")[0]
    assert overpass_rows(detector, builder, events) == []


def test_roasting_alone_and_an_own_rc4_tgt_are_not_overpass() -> None:
    detector, builder = trained_tickets()
    # The roasted account's ticket is never used from the roasting address.
    assert overpass_rows(detector, builder, roast(22, ADDRESSES["bob"], ("carol",))) == []
    # A legacy client of alice's own: her RC4 TGT and tickets at her own address.
    assert overpass_rows(detector, builder, overpass(22, "alice", ADDRESSES["alice"])) == []
    # A machine nobody got tickets from yet (a new PC with a legacy client): not this.
    assert overpass_rows(detector, builder, overpass(22, "alice", "10.10.1.99")) == []
    # Used from elsewhere than where the TGT went: not this.
    events = [*roast(22, ADDRESSES["bob"], ("alice",))]
    events.append(ticket(22.01, "alice", ADDRESSES["alice"], service="APP01$"))
    assert overpass_rows(detector, builder, events) == []


def test_overpass_across_batches_and_a_snapshot_equals_one_batch() -> None:
    detector, builder = trained_tickets()
    events = overpass(22, "alice", ADDRESSES["bob"])
    whole = overpass_rows(detector, builder, events)
    first = builder.build(events[:1])
    detector.score(first, builder)
    detector.learn(first, held_back=np.zeros(1, dtype=bool))
    restored = Kerberoasting(learning_days=7, min_events=10)
    restored.load_state(detector.state())
    rest = [overpass_rows(restored, builder, [e]) for e in events[1:]]
    assert rest[0] == whole and rest[1] == whole  # scored, not learned: still pending
    second = builder.build(events[1:2])
    restored.learn(second, held_back=np.zeros(1, dtype=bool))
    assert overpass_rows(restored, builder, events[2:]) == []  # reported once


def test_a_tgt_long_before_its_use_is_not_overpass() -> None:
    detector, builder = trained_tickets()
    tgt = builder.build(roast(22, ADDRESSES["bob"], ("alice",)))
    detector.learn(tgt, held_back=np.zeros(len(tgt), dtype=bool))
    later = [ticket(23, "alice", ADDRESSES["bob"], service="APP01$")]  # a day later
    assert overpass_rows(detector, builder, later) == []


# --------------------------------------------------------------------------------------------
# a privileged cloud role (parser + privileged_action)


def assume_role(role: str, session_user: str = "eve") -> Event:
    record = {
        "eventVersion": "1.09",
        "eventTime": "2024-05-28T18:30:01Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "eventID": "e1",
        "sourceIPAddress": "89.248.1.2",
        "userAgent": "aws-cli/2.15.0",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::111122223333:assumed-role/Engineer/{session_user}",
            "accessKeyId": "ASIAEXAMPLEEXAMPLE12",
        },
        "requestParameters": {
            "roleArn": f"arn:aws:iam::111122223333:role/{role}",
            "roleSessionName": "x",
        },
    }
    ctx = ParseContext(tenant="acme", source="trail.json", position=1)
    [parsed] = CloudTrailParser().parse(record, ctx)
    return parsed


def test_assuming_a_watch_listed_role_is_privileged() -> None:
    admin = assume_role("Admin")
    assert admin.action is Action.AUTH_TICKET and admin.privileged
    assert admin.user == "eve" and admin.target_user == "admin"
    assert not assume_role("Engineer").privileged
    assert not assume_role("ReadOnly").privileged


def role_event(history: list[Event], user: str) -> Event:
    return event(
        history,
        user,
        Action.AUTH_TICKET,
        target_user="admin",
        app="sts.amazonaws.com",
        object="AssumeRole:Admin",
        privileged=True,
    )


def test_a_first_privileged_role_alerts_and_the_holders_routine_does_not() -> None:
    detector = PrivilegedAction()
    history = admin_stream(days=21)
    # user0 (an admin of the stream) takes on the Admin role in a third of their sessions.
    routine = [
        msgspec.structs.replace(
            e,
            time=e.time + timedelta(seconds=45),
            action=Action.AUTH_TICKET,
            target_user="admin",
            app="sts.amazonaws.com",
            object="AssumeRole:Admin",
            privileged=True,
            record_id=f"{e.record_id}-role",
        )
        for e in history[::3]
        if e.user == "user0" and e.action is Action.LOGON
    ]
    assert len(routine) > 10
    history = sorted(history + routine, key=lambda e: e.time)
    builder = BatchBuilder()
    batch = builder.build(history)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = scored(
        detector, builder, [role_event(history, "user4"), role_event(history, "user0")]
    )
    assert signals.rows.tolist() == [0]
    assert signals.points[0] >= 40
    assert "privileged role admin" in signals.titles[0]
    assert signals.techniques(0) == ("T1078.004",)
    # user1 works as root every day: their first Admin role is an admin starting on the cloud.
    first = scored(detector, builder, [role_event(history, "user1")])
    assert len(first) == 0 or float(first.points[0]) < 20


# --------------------------------------------------------------------------------------------
# an ssh key planted for another account (account_lifecycle)


def sudo(history: list[Event], user: str, command: str) -> Event:
    return event(
        history,
        user,
        Action.PRIVILEGE_USE,
        target_user="root",
        app="sudo",
        object=command,
        privileged=True,
    )


def test_a_key_planted_for_root_with_sudo_alerts_and_reading_keys_does_not() -> None:
    detector = AccountLifecycle()
    builder, history = trained(detector)
    planted = sudo(history, "user0", "/usr/bin/tee -a /root/.ssh/authorized_keys")
    read = sudo(history, "user1", "/usr/bin/cat /root/.ssh/authorized_keys")
    routine = sudo(history, "user1", "/usr/bin/systemctl restart nginx")
    signals = scored(detector, builder, [planted, read, routine])
    assert signals.rows.tolist() == [0]
    assert signals.points[0] >= 65  # a password-less way in as root: high alone
    assert "added an ssh key for root with sudo" in signals.titles[0]
    assert signals.techniques(0) == ("T1098.004",)
    # Done again by the same admin: held back from the baseline, but peers now include them.
    batch = builder.build([planted])
    detector.learn(batch, np.zeros(1, dtype=np.bool_))
    again = scored(
        detector, builder, [sudo(history, "user0", "/usr/bin/tee -a /root/.ssh/authorized_keys")]
    )
    assert len(again) == 0 or float(again.points[0]) <= float(signals.points[0]) / 2


def test_key_plant_target_reads_paths_and_ignores_own_keys() -> None:
    assert (
        key_plant_target("/usr/bin/cp /tmp/k /home/deploy/.ssh/authorized_keys", "root") == "deploy"
    )
    assert key_plant_target("/usr/bin/vi .ssh/authorized_keys", "deploy") == "deploy"
    assert key_plant_target("/usr/bin/chmod 600 /root/.ssh/authorized_keys", "root") == ""
    assert key_plant_target("/usr/bin/tail /var/log/syslog", "root") == ""
    detector = AccountLifecycle()
    builder, history = trained(detector)
    own = sudo(history, "user4", "/usr/bin/tee -a /home/user4/.ssh/authorized_keys")
    assert len(scored(detector, builder, [own])) == 0  # one's own keys are not another's


def test_a_remote_sign_in_as_root_alerts_a_person_or_a_local_one_does_not() -> None:
    detector = AccountLifecycle()
    builder, history = trained(detector)

    def logon(user: str, ip: str) -> Event:
        return event(history, user, Action.LOGON, src_ip=ip, logon_type="ssh", dst_host="b1")

    signals = scored(
        detector,
        builder,
        [
            logon("root", "103.251.39.200"),
            logon("user3", "103.251.39.200"),
            logon("root", "127.0.0.1"),
        ],
    )
    assert signals.rows.tolist() == [0]
    assert signals.points[0] >= 40  # even for an account never seen signing in
    assert "signed in as the built-in account root" in signals.titles[0]
    assert signals.techniques(0) == ("T1078.003",)


# --------------------------------------------------------------------------------------------
# credential stuffing (failed_logons)


def attempt(hour: float, user: str, ip: str, *, ok: bool = False, reason: str = "") -> Event:
    return Event(
        time=START + timedelta(hours=hour),
        tenant="t",
        source_format="syslog",
        action=Action.LOGON if ok else Action.LOGON_FAILED,
        outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
        user=user,
        src_ip=ip,
        dst_host="bastion01",
        reason="" if ok else (reason or "bad_password"),
        record_id=f"{user}-{ip}-{hour}",
    )


def stuffing_history() -> list[Event]:
    """Two weeks: alice and bob sign in daily from two addresses each, bob mistypes at home,
    at the office and on a new VPN address every evening; internet scanners guess root from a
    new address every hour."""
    events = []
    for day in range(14):
        for user, ips in (("alice", ("10.0.0.5", "86.12.1.2")), ("bob", ("10.0.0.6", "73.42.1.1"))):
            for k, ip in enumerate(ips):
                events.append(attempt(day * 24 + 9 + k * 4, user, ip, ok=True))
        events.append(attempt(day * 24 + 12.5, "bob", ("10.0.0.6", "73.42.1.1")[day % 2]))
        events.append(attempt(day * 24 + 20.5, "bob", f"10.30.0.{10 + day}"))  # VPN pool
        for hour in range(24):
            ip = f"61.177.{day}.{hour}"
            events.append(attempt(day * 24 + hour + 0.5, "root", ip))
    return sorted(events, key=lambda e: e.time)


def test_credential_stuffing_flags_many_failing_sources_then_their_success() -> None:
    detector, builder = CredentialStuffing(), BatchBuilder()
    history = stuffing_history()
    batch = builder.build(history)
    assert len(detector.score(batch, builder)) == 0  # scanners on root, bob's typos: quiet
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    base = 14 * 24
    campaign = [attempt(base + 1.5 * k, "alice", f"185.220.{k}.9") for k in range(16)]
    campaign.append(attempt(base + 26, "alice", "10.0.0.5", ok=True))  # her own sign-in
    campaign.append(attempt(base + 27, "alice", "185.220.3.9", ok=True))  # the list worked
    signals = detector.score(builder.build(campaign), builder)
    names = [builder.vocab["user"].value(int(e)) for e in signals.entity]
    assert set(names) == {"alice"}
    assert [signals.action(i) for i in range(len(signals))] == ["guessing", "guessing", "success"]
    assert float(signals.points[-1]) >= 40 and "185.220.3.9" in signals.titles[-1]
    assert signals.techniques(len(signals) - 1) == ("T1110.004", "T1078")
