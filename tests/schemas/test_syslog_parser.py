"""Syslog parser: field mapping tables, year inference, dead letters and the real loghub files.

Lines marked "loghub" are quoted from logpai/loghub (research use, see shared/data/loghub/LICENSE);
the others were written for these tests.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.event import Action, Event, Outcome
from schemas.parsers import PARSERS, syslog
from schemas.parsers.base import BadRecord, ParseContext
from schemas.parsers.syslog import MAX_REPEAT, SyslogParser

PARSER = SyslogParser()
REFERENCE = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)


def shared_data() -> Path:
    override = os.environ.get("VIGIL_SHARED_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def context(reference: datetime = REFERENCE, source: str = "auth.log") -> ParseContext:
    return ParseContext(tenant="acme", source=source, position=42, reference_time=reference)


def parse(line: str, reference: datetime = REFERENCE) -> list[Event]:
    return PARSER.parse(line, context(reference))


def parse_one(line: str) -> Event:
    events = parse(line)
    assert len(events) == 1, events
    return events[0]


def test_registered_as_text_parser() -> None:
    assert isinstance(PARSERS["syslog"], SyslogParser)
    assert SyslogParser.name == "syslog"
    assert SyslogParser.kind == "text"


# --- field tables ---------------------------------------------------------------------------

SSHD_CASES: list[tuple[str, dict[str, Any]]] = [
    (  # loghub
        "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 "
        "port 49116 ssh2",
        {
            "action": Action.LOGON,
            "outcome": Outcome.SUCCESS,
            "user": "fztu",
            "src_ip": "119.137.62.142",
            "dst_host": "labsz",
            "logon_type": "ssh",
            "auth_protocol": "password",
            "app": "sshd",
            "event_id": "sshd.accepted",
            "time": datetime(2024, 12, 10, 9, 32, 20, tzinfo=UTC),
        },
    ),
    (  # loghub
        "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from "
        "173.234.31.186 port 38926 ssh2",
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "user": "webmaster",
            "src_ip": "173.234.31.186",
            "auth_protocol": "password",
            "reason": "invalid_user",
            "event_id": "sshd.failed",
        },
    ),
    (  # loghub
        "Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 "
        "port 42393 ssh2",
        {"action": Action.LOGON_FAILED, "user": "root", "reason": "bad_password"},
    ),
    (  # loghub: sshd logs the user with a leading space
        "Dec 10 08:24:35 LabSZ sshd[24361]: Failed password for invalid user  0101 from "
        "5.188.10.180 port 36279 ssh2",
        {"user": "0101", "src_ip": "5.188.10.180", "reason": "invalid_user"},
    ),
    (  # loghub
        "Dec 10 08:24:40 LabSZ sshd[24363]: Failed none for invalid user 0 from 5.188.10.180 "
        "port 49811 ssh2",
        {"action": Action.LOGON_FAILED, "user": "0", "auth_protocol": "none"},
    ),
    (  # loghub
        "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "user": "webmaster",
            "src_ip": "173.234.31.186",
            "reason": "invalid_user",
            "event_id": "sshd.invalid_user",
        },
    ),
    (  # loghub (trailing space kept)
        "Dec 10 06:55:46 LabSZ sshd(pam_unix)[24200]: authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ",
        {
            "action": Action.LOGON_FAILED,
            "user": "",
            "src_ip": "173.234.31.186",
            "src_host": "",
            "reason": "invalid_user",
            "event_id": "sshd.pam_auth_failure",
        },
    ),
    (  # loghub: rhost is a name -> src_host
        "Dec 10 07:07:38 LabSZ sshd(pam_unix)[24206]: authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= "
        "rhost=ec2-52-80-34-196.cn-north-1.compute.amazonaws.com.cn ",
        {"src_ip": "", "src_host": "ec2-52-80-34-196"},
    ),
    (  # loghub: a name whose first label is a number is kept whole
        "Dec 10 07:13:31 LabSZ sshd(pam_unix)[24227]: authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  "
        "user=root",
        {
            "user": "root",
            "src_host": "5.36.59.76.dynamic-dsl-ip.omantel.net.om",
            "reason": "bad_password",
        },
    ),
    (
        "2024-05-01T09:30:00.123456+02:00 web-01.example.com sshd[811]: Accepted publickey for "
        "Alice from 10.0.0.7 port 50022 ssh2: RSA SHA256:Zm9vYmFy",
        {
            "action": Action.LOGON,
            "user": "alice",
            "src_ip": "10.0.0.7",
            "dst_host": "web-01",
            "auth_protocol": "publickey",
            "time": datetime(2024, 5, 1, 7, 30, 0, 123456, tzinfo=UTC),
        },
    ),
    (
        "<38>May  1 09:30:00 bastion sshd[9]: Accepted keyboard-interactive/pam for bob from "
        "::ffff:192.0.2.10 port 2222 ssh2",
        {"user": "bob", "src_ip": "192.0.2.10", "auth_protocol": "keyboard-interactive"},
    ),
    (
        "May  1 09:30:00 bastion sshd[9]: Accepted gssapi-with-mic for carol from 2001:db8::7 "
        "port 2222 ssh2",
        {"user": "carol", "src_ip": "2001:db8::7", "auth_protocol": "gssapi-with-mic"},
    ),
    (  # OpenSSH >= 9.8 logs per-session lines as sshd-session
        "2025-01-02T03:04:05Z bastion sshd-session[77]: Invalid user oracle from 198.51.100.9 "
        "port 40404",
        {"user": "oracle", "src_ip": "198.51.100.9", "app": "sshd", "reason": "invalid_user"},
    ),
    (
        "May  1 09:30:00 bastion /usr/sbin/sshd[9]: Failed publickey for dave from 10.1.1.1 "
        "port 22 ssh2: ED25519 SHA256:abc",
        {"action": Action.LOGON_FAILED, "user": "dave", "reason": "bad_key", "app": "sshd"},
    ),
    (
        "May  1 09:30:00 bastion sshd[9]: User root from 203.0.113.5 not allowed because not "
        "listed in AllowUsers",
        {"action": Action.LOGON_FAILED, "user": "root", "reason": "not_allowed"},
    ),
    (  # RFC 5424 with structured data
        '<86>1 2024-05-01T09:30:00Z bastion.corp sshd 811 - [meta sequenceId="7" x="a\\]b"] '
        "Failed password for erin from 10.0.0.8 port 50022 ssh2",
        {
            "action": Action.LOGON_FAILED,
            "user": "erin",
            "dst_host": "bastion",
            "time": datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        },
    ),
]

LINUX_CASES: list[tuple[str, dict[str, Any]]] = [
    (  # loghub
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 "
        "euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        {
            "action": Action.LOGON_FAILED,
            "outcome": Outcome.FAILURE,
            "user": "",
            "src_ip": "218.188.2.4",
            "dst_host": "combo",
            "app": "sshd",
            "logon_type": "ssh",
            "event_id": "sshd.pam_auth_failure",
            "time": datetime(2024, 6, 14, 15, 16, 1, tzinfo=UTC),
        },
    ),
    (  # loghub
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 "
        "euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
        {"user": "root", "src_host": "220-135-151-1", "reason": "bad_password"},
    ),
    (  # loghub
        "Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.SUCCESS,
            "user": "root",
            "target_user": "cyrus",
            "privileged": False,
            "app": "su",
            "event_id": "su.session",
        },
    ),
    (  # loghub: single-digit day padded with a space
        "Jul  7 08:06:15 combo login(pam_unix)[2421]: session opened for user root by LOGIN(uid=0)",
        {
            "action": Action.LOGON,
            "user": "root",
            "logon_type": "console",
            "app": "login",
            "time": datetime(2024, 7, 7, 8, 6, 15, tzinfo=UTC),
        },
    ),
    (  # loghub
        "Jul 11 11:33:13 combo gdm(pam_unix)[2803]: authentication failure; logname= uid=0 "
        "euid=0 tty=:0 ruser= rhost= ",
        {"action": Action.LOGON_FAILED, "logon_type": "console", "src_ip": "", "app": "gdm"},
    ),
    (  # GNOME's tag really is "gdm-password]:"
        "May  1 09:30:00 web1 gdm-password]: pam_unix(gdm-password:session): session opened for "
        "user alice(uid=1000) by (uid=0)",
        {"action": Action.LOGON, "user": "alice", "logon_type": "console", "app": "gdm-password"},
    ),
    (  # loghub shape (user "test", uid 509): the only trace of these ssh logons in this file
        "Jun 18 02:08:10 combo sshd(pam_unix)[31194]: session opened for user test by (uid=509)",
        {
            "action": Action.LOGON,
            "user": "test",
            "logon_type": "ssh",
            "event_id": "sshd.session_opened",
        },
    ),
]

PRIVILEGE_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "May  1 09:30:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/bin/bash",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.SUCCESS,
            "user": "alice",
            "target_user": "root",
            "object": "/bin/bash",
            "privileged": True,
            "app": "sudo",
            "event_id": "sudo.command",
            "reason": "",
        },
    ),
    (
        "May  1 09:30:00 web1 sudo[4242]:      bob : TTY=pts/1 ; PWD=/srv ; USER=postgres ; "
        "ENV=PGDATA=/x ; COMMAND=/usr/bin/psql -c select 1 ; drop",
        {
            "user": "bob",
            "target_user": "postgres",
            "privileged": False,
            "object": "/usr/bin/psql -c select 1 ; drop",
        },
    ),
    (
        "May  1 09:30:00 web1 sudo: mallory : 3 incorrect password attempts ; TTY=pts/2 ; "
        "PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.FAILURE,
            "user": "mallory",
            "target_user": "root",
            "reason": "bad_password",
            "privileged": True,
        },
    ),
    (
        "May  1 09:30:00 web1 sudo: mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; "
        "USER=root ; COMMAND=/bin/sh",
        {"outcome": Outcome.FAILURE, "reason": "not_in_sudoers", "object": "/bin/sh"},
    ),
    (
        "May  1 09:30:00 web1 su: pam_unix(su:session): session opened for user root by "
        "alice(uid=1000)",
        {
            "action": Action.PRIVILEGE_USE,
            "user": "alice",
            "target_user": "root",
            "privileged": True,
            "event_id": "su.session",
        },
    ),
    (
        "May  1 09:30:00 web1 su: pam_unix(su-l:session): session opened for user postgres by "
        "alice(uid=1000)",
        {"user": "alice", "target_user": "postgres", "privileged": False},
    ),
    (
        "May  1 09:30:00 web1 su[123]: (to root) alice on pts/0",
        {"user": "alice", "target_user": "root", "privileged": True, "event_id": "su.to"},
    ),
    (
        "May  1 09:30:00 web1 su[123]: Successful su for root by alice",
        {"outcome": Outcome.SUCCESS, "user": "alice", "event_id": "su.success"},
    ),
    (
        "May  1 09:30:00 web1 su[124]: FAILED su for root by alice",
        {
            "outcome": Outcome.FAILURE,
            "user": "alice",
            "target_user": "root",
            "event_id": "su.failed",
        },
    ),
    (
        "May  1 09:30:00 web1 su[125]: FAILED SU (to root) alice on pts/1",
        {"outcome": Outcome.FAILURE, "user": "alice", "target_user": "root"},
    ),
    (
        "May  1 09:30:00 web1 su[126]: pam_unix(su:auth): authentication failure; logname=alice "
        "uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.FAILURE,
            "user": "alice",
            "target_user": "root",
            "event_id": "su.pam_auth_failure",
        },
    ),
]

ACCOUNT_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "May  1 09:30:00 web1 useradd[1001]: new user: name=bob, UID=1001, GID=1001, "
        "home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
        {
            "action": Action.ACCOUNT_CHANGE,
            "user": "",
            "target_user": "bob",
            "object": "created",
            "privileged": False,
            "app": "useradd",
            "event_id": "useradd.new_user",
        },
    ),
    (
        "May  1 09:30:00 web1 useradd[1002]: new user: name=toor, UID=0, GID=0, home=/root, "
        "shell=/bin/sh",
        {"target_user": "toor", "object": "created", "privileged": True},
    ),
    (
        "May  1 09:30:00 web1 userdel[1200]: delete user 'bob'",
        {"action": Action.ACCOUNT_CHANGE, "target_user": "bob", "object": "deleted"},
    ),
    (
        "May  1 09:30:00 web1 usermod[1300]: add 'bob' to group 'sudo'",
        {
            "action": Action.GROUP_CHANGE,
            "outcome": Outcome.SUCCESS,
            "user": "",
            "target_user": "bob",
            "object": "sudo",
            "privileged": True,
            "reason": "added",
            "event_id": "usermod.group_add",
        },
    ),
    (
        "May  1 09:30:00 web1 usermod[1300]: add 'bob' to shadow group 'sudo'",
        {"target_user": "bob", "object": "sudo", "event_id": "usermod.shadow_group_add"},
    ),
    (
        "May  1 09:30:00 web1 usermod[1301]: add 'bob' to group 'Developers'",
        {"object": "developers", "privileged": False, "reason": "added"},
    ),
    (
        "May  1 09:30:00 web1 usermod[1302]: delete 'bob' from group 'docker'",
        {
            "action": Action.GROUP_CHANGE,
            "object": "docker",
            "privileged": True,
            "reason": "removed",
        },
    ),
    (
        "May  1 09:30:00 web1 useradd[1003]: add 'carol' to group 'wheel'",
        {"target_user": "carol", "object": "wheel", "event_id": "useradd.group_add"},
    ),
    (
        "May  1 09:30:00 web1 usermod[1303]: lock user 'bob' password",
        {"action": Action.ACCOUNT_CHANGE, "target_user": "bob", "object": "disabled"},
    ),
    (
        "May  1 09:30:00 web1 usermod[1304]: change user 'bob' UID from '1001' to '0'",
        {"object": "uid_changed", "target_user": "bob", "privileged": True},
    ),
    (
        "May  1 09:30:00 web1 groupadd[1400]: new group: name=ops, GID=1002",
        {"action": Action.ACCOUNT_CHANGE, "target_user": "ops", "object": "group_created"},
    ),
    (
        "May  1 09:30:00 web1 groupdel[1401]: group 'ops' removed",
        {"action": Action.ACCOUNT_CHANGE, "target_user": "ops", "object": "group_deleted"},
    ),
    (
        "May  1 09:30:00 web1 gpasswd[1500]: user bob added by root to group wheel",
        {
            "action": Action.GROUP_CHANGE,
            "user": "root",
            "target_user": "bob",
            "object": "wheel",
            "privileged": True,
        },
    ),
    (
        "May  1 09:30:00 web1 passwd[1600]: pam_unix(passwd:chauthtok): password changed for bob",
        {
            "action": Action.ACCOUNT_CHANGE,
            "user": "",
            "target_user": "bob",
            "object": "password_reset",
            "event_id": "passwd.password_changed",
        },
    ),
    (
        "May  1 09:30:00 web1 chpasswd[1601]: pam_unix(chpasswd:chauthtok): password changed "
        "for carol",
        {"target_user": "carol", "object": "password_reset", "app": "chpasswd"},
    ),
    (
        "May  1 09:30:00 web1 passwd[1602]: password for 'bob' changed by 'root'",
        {"user": "root", "target_user": "bob", "object": "password_reset"},
    ),
]


@pytest.mark.parametrize(
    ("line", "expected"),
    SSHD_CASES + LINUX_CASES + PRIVILEGE_CASES + ACCOUNT_CASES,
    ids=lambda value: value[:60] if isinstance(value, str) else "",
)
def test_line_maps_to_fields(line: str, expected: dict[str, Any]) -> None:
    event = parse_one(line)
    actual = {name: getattr(event, name) for name in expected}
    assert actual == expected
    assert event.tenant == "acme"
    assert event.source_format == "syslog"
    assert event.record_id == "auth.log:42"
    assert event.time.tzinfo is not None


def test_message_repeated_gives_one_event_per_repeat() -> None:
    # loghub
    line = (
        "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for "
        "root from 5.36.59.76 port 42393 ssh2]"
    )
    events = parse(line)
    assert len(events) == 5
    assert {(e.action, e.user, e.src_ip, e.event_id) for e in events} == {
        (Action.LOGON_FAILED, "root", "5.36.59.76", "sshd.failed")
    }


def test_message_repeated_is_capped() -> None:
    line = (
        "Dec 10 07:13:56 LabSZ sshd[1]: message repeated 99999999 times: [ Failed password for "
        "root from 5.36.59.76 port 42393 ssh2]"
    )
    assert len(parse(line)) == MAX_REPEAT


SKIPPED = [
    # loghub OpenSSH
    "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for "
    "ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    "Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]",
    "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown",
    # twin of sshd's own "Failed password" line: counted once, from that line
    "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; "
    "logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ",
    "Dec 10 06:55:48 LabSZ sshd[24200]: Connection closed by 173.234.31.186 [preauth]",
    "Dec 10 07:07:45 LabSZ sshd[24206]: Received disconnect from 52.80.34.196: 11: Bye Bye "
    "[preauth]",
    "Dec 10 07:13:56 LabSZ sshd[24227]: PAM 5 more authentication failures; logname= uid=0 "
    "euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
    "Dec 10 07:13:56 LabSZ sshd[24227]: Disconnecting: Too many authentication failures for "
    "root [preauth]",
    "Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by "
    "(uid=0)",
    # loghub Linux
    "Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus",
    "Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]",
    "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
    "Jul 27 14:41:57 combo kernel:  BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)",
    "Jun 17 07:07:00 combo ftpd[29504]: connection from 24.54.76.216 "
    "(24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005 ",
    "Jun 30 20:53:04 combo klogind[19272]: Kerberos authentication failed ",
    # own
    "May  1 09:30:00 web1 CRON[2001]: (root) CMD (run-parts /etc/cron.hourly)",
    "May  1 09:30:00 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by "
    "alice(uid=1000)",
    "May  1 09:30:00 web1 sudo: alice : unable to resolve host web1",
    "May  1 09:30:00 web1 useradd[1001]: new group: name=bob, GID=1001",
    "May  1 09:30:00 web1 groupadd[1400]: group added to /etc/group: name=ops, GID=1002",
    # the display manager's own greeter session
    "May  1 09:30:00 web1 gdm-password]: pam_unix(gdm-password:session): session opened for "
    "user gdm by (uid=0)",
    "2024-05-01T09:30:00Z web1 systemd[1]: Started Session 4 of user alice.",
    "<13>1 2024-05-01T09:30:00Z web1 - - - - no app name",
    "May  1 09:30:00 web1",
]


@pytest.mark.parametrize("line", SKIPPED, ids=lambda line: line[:60])
def test_wellformed_unmapped_line_is_skipped(line: str) -> None:
    assert PARSER.sniff(line)
    assert parse(line) == []


# --- dead letters -----------------------------------------------------------------------------

MALFORMED = [
    ("", "not a syslog line"),
    (
        "Dec 10 06:55 LabSZ sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
        "not a syslog",
    ),
    (
        "Feb 30 10:00:00 host sshd[1]: Accepted password for a from 1.2.3.4 port 1 ssh2",
        "absurd date",
    ),
    ("Dec 10 25:61:00 host sshd[1]: Invalid user a from 1.2.3.4", "absurd date"),
    ("Dec  0 10:00:00 host sshd[1]: Invalid user a from 1.2.3.4", "absurd date"),
    ("Dec 10 06:55:46 LabSZ sshd[1]: Invalid user a\x00b from 1.2.3.4", "NUL byte"),
    ("Dec 10 06:55:46 LabSZ sshd[1]: " + "A" * 70_000, "longer than 64 KiB"),
    ("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL byte"),
    ("\ufffd\ufffd\x07\x1b[2J\ufffd garbage", "not a syslog line"),
    ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack", "not a syslog"),
    ('{"time": "2024-05-01T09:30:00Z", "msg": "x"}', "not a syslog line"),
    ("2024-13-45T09:30:00Z host sshd[1]: Invalid user a from 1.2.3.4", "unparseable time"),
    ("1970-01-01T00:00:00Z host sshd[1]: Invalid user a from 1.2.3.4", "absurd time"),
    ("<13>1 - host app - - - no timestamp", "missing time"),
]


@pytest.mark.parametrize(("line", "reason"), MALFORMED, ids=lambda value: repr(value)[:40])
def test_malformed_line_is_a_bad_record(line: str, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        parse(line)


def test_non_text_record_is_a_bad_record() -> None:
    with pytest.raises(BadRecord, match="not a text line"):
        PARSER.parse({"message": "Dec 10 06:55:46 h sshd[1]: x"}, context())


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", True),
        ("Jul  1 09:00:00 combo su(pam_unix)[1]: session closed for user news\r", True),
        ("2024-05-01T09:30:00.123456+02:00 host prog[1]: msg", True),
        ("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", True),
        ("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - message", True),
        ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack", False),
        ('{"EventID": 4624}', False),
        ("", False),
        ("Dec 10 06:55:46 LabSZ sshd[1]: a\x00b", False),
        ({"EventID": 4624}, False),
    ],
)
def test_sniff(record: Any, expected: bool) -> None:
    assert PARSER.sniff(record) is expected


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["", "Dec 10 06:55:46 LabSZ ", "<13>1 2024-05-01T09:30:00Z h ", "<"]),
    body=st.text(max_size=200),
)
def test_only_bad_record_ever_escapes(prefix: str, body: str) -> None:
    ctx = context()
    try:
        events = PARSER.parse(prefix + body, ctx)
    except BadRecord as exc:
        assert str(exc)
    else:
        assert all(isinstance(event, Event) for event in events)


# --- year inference ---------------------------------------------------------------------------


def times(lines: list[str], reference: datetime) -> list[datetime]:
    ctx = context(reference)
    result = []
    for line in lines:
        [event] = PARSER.parse(f"{line} h sshd[1]: Invalid user x from 10.0.0.1", ctx)
        result.append(event.time)
    return result


@pytest.mark.parametrize(
    ("stamp", "reference", "expected"),
    [
        ("Dec 31 23:59:59", datetime(2024, 1, 3, tzinfo=UTC), (2023, 12, 31, 23, 59, 59)),
        ("Jan  3 10:00:00", datetime(2024, 1, 3, tzinfo=UTC), (2024, 1, 3, 10, 0, 0)),
        # up to one day after the reference (clock skew, mtime in another zone) stays this year
        ("Jan  4 00:00:00", datetime(2024, 1, 3, tzinfo=UTC), (2024, 1, 4, 0, 0, 0)),
        ("Jan  4 00:00:01", datetime(2024, 1, 3, tzinfo=UTC), (2023, 1, 4, 0, 0, 1)),
        ("Feb 29 12:00:00", datetime(2025, 3, 1, tzinfo=UTC), (2024, 2, 29, 12, 0, 0)),
        # a naive reference time is read as UTC
        ("Dec 10 06:55:46", datetime(2017, 1, 5), (2016, 12, 10, 6, 55, 46)),  # noqa: DTZ001
    ],
)
def test_year_from_reference_time(
    stamp: str, reference: datetime, expected: tuple[int, int, int, int, int, int]
) -> None:
    assert times([stamp], reference) == [datetime(*expected, tzinfo=UTC)]


def test_year_rolls_over_inside_one_file() -> None:
    stamps = ["Dec 30 23:00:00", "Dec 31 23:59:59", "Jan  1 00:00:01", "Jan  2 08:00:00"]
    assert [t.year for t in times(stamps, datetime(2024, 1, 3, tzinfo=UTC))] == [
        2023,
        2023,
        2024,
        2024,
    ]


def test_late_december_line_after_january_goes_back_a_year() -> None:
    stamps = ["Jan  1 00:00:05", "Dec 31 23:59:58", "Jan  1 00:00:06"]
    assert [t.year for t in times(stamps, datetime(2024, 1, 1, 12, tzinfo=UTC))] == [
        2024,
        2023,
        2024,
    ]


def test_year_state_is_per_input() -> None:
    first = times(["Dec 31 23:59:59", "Jan  1 00:00:01"], datetime(2024, 1, 3, tzinfo=UTC))
    second = times(["Jan  1 00:00:01"], datetime(2024, 1, 3, tzinfo=UTC))
    assert first[1] == second[0] == datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC)


def test_repeated_stamp_reuses_time_without_losing_rollover() -> None:
    stamps = ["Dec 31 23:59:59", "Dec 31 23:59:59", "Jan  1 00:00:00", "Jan  1 00:00:00"]
    assert [t.year for t in times(stamps, datetime(2024, 1, 3, tzinfo=UTC))] == [
        2023,
        2023,
        2024,
        2024,
    ]


# --- the real loghub files --------------------------------------------------------------------


def run_file(path: Path, reference: datetime) -> tuple[list[Event], Counter[str], int]:
    """Parse like the pipeline would; lines keep their CR (the files have CRLF endings)."""
    if not path.is_file():
        pytest.skip(f"shared data not found: {path} (set VIGIL_SHARED_DATA)")
    ctx = ParseContext(tenant="acme", source=path.name, reference_time=reference)
    events: list[Event] = []
    bad: Counter[str] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line.rstrip("\n") for line in handle]
    for number, line in enumerate(lines, 1):
        ctx.position = number
        try:
            events.extend(PARSER.parse(line, ctx))
        except BadRecord as exc:
            bad[str(exc)] += 1
    assert sum(bad.values()) <= len(lines) // 100, bad
    return events, bad, len(lines)


def test_openssh_2k() -> None:
    path = shared_data() / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
    events, bad, lines = run_file(path, datetime(2017, 1, 5, tzinfo=UTC))
    assert lines == 2000
    assert not bad
    by_id = Counter((e.action, e.event_id) for e in events)
    # grep -c "Failed password for" = 520, two of them "message repeated 5 times" -> 518 + 10,
    # plus 4 "Failed none": 532.  grep -c "Invalid user" = 113.
    # The 494 "pam_unix(sshd:auth): authentication failure" lines twin a "Failed" line and
    # are skipped so that each attempt counts once.
    assert by_id == {
        (Action.LOGON_FAILED, "sshd.failed"): 532,
        (Action.LOGON_FAILED, "sshd.invalid_user"): 113,
        (Action.LOGON, "sshd.accepted"): 1,
    }
    failed = [e for e in events if e.action is Action.LOGON_FAILED]
    assert len(failed) == 645
    assert all(e.outcome is Outcome.FAILURE and e.logon_type == "ssh" for e in failed)
    assert sum(e.reason == "invalid_user" for e in failed if e.event_id == "sshd.failed") == 139
    [accepted] = [e for e in events if e.action is Action.LOGON]
    assert (accepted.user, accepted.src_ip, accepted.auth_protocol) == (
        "fztu",
        "119.137.62.142",
        "password",
    )
    assert accepted.time == datetime(2016, 12, 10, 9, 32, 20, tzinfo=UTC)
    assert accepted.record_id == "OpenSSH_2k.log:956"
    assert {e.dst_host for e in events} == {"labsz"}
    assert {e.app for e in events} == {"sshd"}
    first = datetime(2016, 12, 10, 6, 55, tzinfo=UTC)
    last = datetime(2016, 12, 10, 11, 5, tzinfo=UTC)
    assert all(first <= e.time < last for e in events)
    # every event names where the attempt came from
    assert all(e.src_ip or e.src_host for e in events)
    # grep -cE "(Failed .*|Invalid user .*) from 183.62.140.253" = 295 (its 287 PAM twins
    # are skipped)
    top_source = Counter(e.src_ip for e in failed if e.src_ip).most_common(1)[0]
    assert top_source == ("183.62.140.253", 295)


def test_linux_2k() -> None:
    path = shared_data() / "loghub" / "Linux" / "Linux_2k.log"
    events, bad, lines = run_file(path, datetime(2005, 7, 28, tzinfo=UTC))
    assert lines == 2000
    assert not bad
    by_id = Counter((e.action, e.event_id) for e in events)
    # grep -F "sshd(pam_unix)" | grep -c "authentication failure" = 489
    # grep -F "su(pam_unix)" | grep -c "session opened" = 86 (43 cyrus + 43 news, by uid 0)
    # grep -F "sshd(pam_unix)" | grep -c "session opened" = 36 (user test)
    assert by_id == {
        (Action.LOGON_FAILED, "sshd.pam_auth_failure"): 489,
        (Action.LOGON_FAILED, "gdm.pam_auth_failure"): 1,
        (Action.PRIVILEGE_USE, "su.session"): 86,
        (Action.LOGON, "sshd.session_opened"): 36,
        (Action.LOGON, "login.session"): 1,
    }
    su = Counter((e.user, e.target_user, e.privileged) for e in events if e.app == "su")
    assert su == {("root", "cyrus", False): 43, ("root", "news", False): 43}
    assert {e.user for e in events if e.event_id == "sshd.session_opened"} == {"test"}
    assert {e.dst_host for e in events} == {"combo"}
    assert min(e.time for e in events).date() >= datetime(2005, 6, 14).date()  # noqa: DTZ001
    assert max(e.time for e in events).date() <= datetime(2005, 7, 27).date()  # noqa: DTZ001
    assert all(e.time.year == 2005 for e in events)


def test_windows_cbs_text_is_not_syslog() -> None:
    path = shared_data() / "loghub" / "Windows" / "Windows_2k.log"
    if not path.is_file():
        pytest.skip(f"shared data not found: {path} (set VIGIL_SHARED_DATA)")
    lines = path.read_text(encoding="utf-8").splitlines()[:200]
    assert not any(PARSER.sniff(line) for line in lines)
    for line in lines[:20]:
        with pytest.raises(BadRecord, match="not a syslog line"):
            PARSER.parse(line, context())


# Round 20: pkexec (polkit) runs a command as root like sudo; these lines were skipped before.
PKEXEC_CASES = [
    (
        "May  1 09:30:00 web1 pkexec[2212]: alice: Executing command [USER=root] "
        "[TTY=/dev/pts/1] [CWD=/home/alice] [COMMAND=/usr/bin/bash]",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.SUCCESS,
            "user": "alice",
            "target_user": "root",
            "object": "/usr/bin/bash",
            "privileged": True,
            "event_id": "pkexec.command",
            "reason": "",
        },
    ),
    (  # CVE-2021-4034 (PwnKit): the message pkexec logs while the exploit's module runs as root
        "May  1 09:30:00 web1 pkexec[2213]: bob: The value for the SHELL variable was not found "
        "the /etc/shells file [USER=root] [TTY=/dev/pts/0] [CWD=/tmp/.x1] "
        "[COMMAND=GCONV_PATH=./pwnkit.so:. PATH=GCONV_PATH=. CHARSET=PWNKIT SHELL=pwnkit]",
        {
            "action": Action.PRIVILEGE_USE,
            "outcome": Outcome.SUCCESS,
            "user": "bob",
            "target_user": "root",
            "privileged": True,
            "reason": "bad_environment",
        },
    ),
    (
        "May  1 09:30:00 web1 pkexec[2214]: carol: Error executing command as another user: "
        "Not authorized [USER=postgres] [TTY=/dev/pts/2] [CWD=/home/carol] "
        "[COMMAND=/usr/bin/psql]",
        {
            "outcome": Outcome.FAILURE,
            "user": "carol",
            "target_user": "postgres",
            "privileged": False,
            "reason": "not_authorized",
        },
    ),
]


@pytest.mark.parametrize(("line", "expected"), PKEXEC_CASES, ids=lambda v: str(v)[:60])
def test_pkexec_line_maps_to_fields(line: str, expected: dict[str, Any]) -> None:
    for events in (parse(line), PARSER._parse(line, context())):  # compiled reader, and not
        (event,) = events
        assert {name: getattr(event, name) for name in expected} == expected
        assert event.app == "pkexec"


def test_pkexec_pam_session_repeats_the_command_line_and_is_skipped() -> None:
    line = (
        "May  1 09:30:00 web1 pkexec[2212]: pam_unix(polkit-1:session): session opened for "
        "user root(uid=0) by alice(uid=1000)"
    )
    assert parse(line) == []


# --- connections closed before authentication (OpenSSH >= 7.5) --------------------------------

# sshd at LogLevel INFO logs every failed password, but a refused key only once the connection has
# MaxAuthTries / 2 failures behind it: a client that offered a key or two leaves only its close.
CLOSED_PREAUTH = [
    "May  1 09:30:00 db1 sshd[700]: Connection closed by authenticating user alice 10.0.0.9 "
    "port 40022 [preauth]",
    "May  1 09:30:00 db1 sshd[701]: Connection reset by authenticating user alice 10.0.0.9 "
    "port 40023 [preauth]",
    "May  1 09:30:00 db1 sshd[702]: Disconnected from authenticating user alice 10.0.0.9 "
    "port 40024 [preauth]",
]


@pytest.mark.parametrize("line", CLOSED_PREAUTH, ids=lambda line: line[30:60])
def test_connection_closed_before_authentication_is_a_failed_logon(line: str) -> None:
    event = parse_one(line)
    assert (event.action, event.outcome, event.event_id) == (
        Action.LOGON_FAILED,
        Outcome.FAILURE,
        "sshd.closed_preauth",
    )
    assert (event.user, event.src_ip, event.dst_host, event.logon_type, event.reason) == (
        "alice",
        "10.0.0.9",
        "db1",
        "ssh",
        "closed_preauth",
    )
    assert event.auth_protocol == ""  # the line does not say which method was refused


def test_close_after_a_logged_failure_of_the_same_connection_counts_once() -> None:
    ctx = context()
    failed = (
        "May  1 09:30:00 db1 sshd[700]: Failed password for alice from 10.0.0.9 port 40022 ssh2"
    )
    closed = CLOSED_PREAUTH[0]
    other_port = closed.replace("port 40022", "port 40099")
    other_host = closed.replace(" db1 ", " db2 ")
    events = [PARSER.parse(line, ctx) for line in (failed, closed, other_port, other_host, closed)]
    assert [[e.event_id for e in found] for found in events] == [
        ["sshd.failed"],
        [],  # the failure's own close line
        ["sshd.closed_preauth"],  # another connection
        ["sshd.closed_preauth"],  # the same port on another server
        ["sshd.closed_preauth"],  # the failure was matched once and forgotten
    ]


def test_closed_by_invalid_user_stays_skipped() -> None:
    # its "Invalid user" line already counted the attempt
    line = (
        "May  1 09:30:00 db1 sshd[700]: Connection closed by invalid user bob 10.0.0.9 port 1 "
        "[preauth]"
    )
    assert parse(line) == []


def test_open_failed_connections_are_bounded() -> None:
    ctx = context()
    limit = syslog.MAX_OPEN_FAILED_CONNECTIONS
    for port in range(limit + 10):
        PARSER.parse(
            f"May  1 09:30:00 db1 sshd[1]: Failed password for a from 10.0.0.9 port {port} ssh2",
            ctx,
        )
    assert len(ctx.state["sshd.failed_connections"]) == limit
