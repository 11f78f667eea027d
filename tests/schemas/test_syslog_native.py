"""The compiled sshd reader (schemas/native, ``vigil_native``) against the pure-Python parser.

Every test parses the same lines twice, each pass with its own context as one input: once as
``SyslogParser`` does by default (compiled reader first) and once with the reader switched off.
The outcomes must be the same: the same Events (compared by ``repr``, which shows every field
and the time's zone) in the same order, or the same BadRecord message.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.parsers import syslog
from schemas.parsers.base import BadRecord, ParseContext
from schemas.parsers.syslog import SyslogParser
from tests.shared_data import SHARED_DATA

PARSER = SyslogParser()
REFERENCE = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
NATIVE_READER = syslog._native_sshd_line


def test_native_reader_in_use_when_required() -> None:
    """CI (``make test``) sets VIGIL_REQUIRE_NATIVE=1: the compiled reader must be built,
    imported and used then, never silently replaced by the pure-Python path."""
    if os.environ.get("VIGIL_REQUIRE_NATIVE") != "1":
        pytest.skip("VIGIL_REQUIRE_NATIVE is not set")
    assert syslog.NATIVE, (
        "vigil_native is not importable: run `make` (pip install ./schemas/native)"
    )
    line = "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 1.2.3.4 port 22 ssh2"
    assert NATIVE_READER is not None and NATIVE_READER(line) is not None


needs_native = pytest.mark.skipif(NATIVE_READER is None, reason="vigil_native is not installed")


@contextmanager
def reader(on: bool) -> Iterator[None]:
    saved = syslog._native_sshd_line
    syslog._native_sshd_line = saved if on else None
    try:
        yield
    finally:
        syslog._native_sshd_line = saved


def outcomes(lines: Iterable[str], native: bool, reference: datetime = REFERENCE) -> list[str]:
    ctx = ParseContext(tenant="acme", source="auth.log", reference_time=reference)
    out = []
    with reader(native):
        for n, line in enumerate(lines):
            ctx.position = n
            try:
                out.append(repr(PARSER.parse(line, ctx)))
            except BadRecord as exc:
                out.append(f"BadRecord({exc})")
    return out


def native_share(lines: list[str]) -> float:
    """The share of ``lines`` the compiled reader takes (the rest are Python's)."""
    assert NATIVE_READER is not None
    return sum(NATIVE_READER(line) is not None for line in lines) / max(len(lines), 1)


def assert_same(lines: list[str], reference: datetime = REFERENCE) -> None:
    native = outcomes(lines, True, reference)
    python = outcomes(lines, False, reference)
    for n, (a, b) in enumerate(zip(native, python, strict=True)):
        assert a == b, f"line {n}: {lines[n]!r}\nnative: {a}\npython: {b}"


# --- real and generated logs --------------------------------------------------------------------


def shared_syslog_lines() -> list[tuple[str, list[str]]]:
    """Every syslog text line in ../shared/data (read there, not copied): the loghub logs,
    and any other text file or zip member in which a line sniffs as syslog."""
    if not SHARED_DATA.is_dir():
        return []
    found = []
    for path in sorted(SHARED_DATA.rglob("*")):
        if not path.is_file() or path.suffix in (".evtx", ".gz", ".csv", ".sha256"):
            continue
        texts: list[tuple[str, bytes]] = []
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                texts = [(f"{path}:{n}", archive.read(n)) for n in archive.namelist()]
        else:
            texts = [(str(path), path.read_bytes())]
        for name, data in texts:
            lines = data.decode("utf-8", errors="replace").splitlines(keepends=True)
            if any(PARSER.sniff(line) for line in lines[:50]):
                found.append((name, lines))
    return found


@needs_native
def test_shared_data_syslog_lines() -> None:
    files = shared_syslog_lines()
    if not files:
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    names = {Path(name).name for name, _ in files}
    assert {"OpenSSH_2k.log", "Linux_2k.log"} <= names
    for _name, lines in files:
        assert_same(lines)
        # and with the other reference year (Feb 29 and rollover paths differ per year)
        assert_same(lines, datetime(2023, 3, 1, tzinfo=UTC))
    openssh = dict(files)[str(SHARED_DATA / "loghub/OpenSSH/OpenSSH_2k.log")]
    assert native_share(openssh) > 0.9  # the compiled reader takes nearly all of them


@needs_native
def test_generate_auth_log_lines() -> None:
    from benchmarks.streaming_bench import generate_auth_log

    end = datetime(2024, 1, 10, tzinfo=UTC)  # crosses a year: Dec -> Jan rollover
    lines = list(generate_auth_log(users=50, days=20, logons_per_day=5, attackers=5, end=end))
    assert native_share(lines) == 1.0
    assert_same(lines, end)


@pytest.fixture(scope="module")
def scenario_lines(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    from benchmarks.scenario import generate

    out = tmp_path_factory.mktemp("scenario")
    generate(out, seed=11, days=10, users=14, learning_days=5)
    files = sorted((out / "logs").rglob("auth-*.log"))
    assert files
    return [path.read_text().splitlines(keepends=True) for path in files]


@needs_native
def test_scenario_syslog_lines(scenario_lines: list[list[str]]) -> None:
    every = [line for lines in scenario_lines for line in lines]
    assert native_share(every) > 0.2  # sshd lines among sudo, su, cron ...
    for lines in scenario_lines:
        assert_same(lines, datetime(2024, 6, 1, tzinfo=UTC))


# --- hand-picked and generated odd lines --------------------------------------------------------

ODD = [
    "Feb 29 10:00:00 h sshd[1]: Accepted publickey for a from 10.0.0.1 port 22 ssh2",
    "Feb 30 10:00:00 h sshd[1]: Accepted publickey for a from 10.0.0.1 port 22 ssh2",
    "Dec 31 23:59:59 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2",
    "Jan  1 00:00:01 h sshd[1]: Failed password for invalid user from 10.0.0.1 port 22 ssh2",
    "Jan 01 25:00:00 h sshd[1]: Invalid user x from 10.0.0.1",
    "Jan 00 10:00:00 h sshd[1]: Invalid user x from 10.0.0.1 port 22  ",
    "Jan  2 10:00:00.123456 h sshd[1]: Invalid user  from 10.0.0.1 port 22",
    "Jan  2 10:00:00.1234567890 h sshd[1]: Invalid user x from 10.0.0.1 port 22",
    "<38>Jan  2 10:00:00 h /usr/sbin/sshd[1]: Accepted password for a from ::ffff:10.0.0.1 port 2",
    "<1234>Jan  2 10:00:00 h sshd[1]: Accepted password for a from 10.0.0.1 port 2",
    "Jan  2 10:00:00   H.Example.COM   sshd-session[1]:   Accepted password for a from b port 2",
    "Jan  2 10:00:00 h sshd]: Accepted keyboard-interactive/pam for A from 010.0.0.1 port 2",
    "Jan  2 10:00:00 h sshd[123456789012345678901]: Accepted password for a from 1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd(pam_unix)[1]: session opened for user a by (uid=0)",
    "Jan  2 10:00:00 h sshd[1]: pam_unix(sshd:auth): authentication failure; user=a rhost=1.2.3.4",
    "Jan  2 10:00:00 h sshd[1]: pam_unix(su:session): session opened for user root by a(uid=1)",
    "Jan  2 10:00:00 h sshd[1]: message repeated 3 times: [ Failed password for a from 1.2.3.4 port 2 ssh2]",
    "Jan  2 10:00:00 h sshd[1]: message repeated 0 times: [ Failed password for a from 1.2.3.4 port 2]",
    "Jan  2 10:00:00 h sshd[1]: message repeated 5000 times: [ Failed none for a from 1.2.3.4 port 2] ",
    "Jan  2 10:00:00 h sshd[1]: message repeated 2 times: [ message repeated 2 times: [ Failed password for a from 1.2.3.4 port 2]]",
    "Jan  2 10:00:00 h sshd[1]: message repeated 2 times: [ Failed password for a from 1.2.3.4 port 2] x",
    "Jan  2 10:00:00 h sshd[1]: User root from 1.2.3.4 not allowed because not listed in AllowUsers",
    "Jan  2 10:00:00 h sshd[1]: Failed publickey for a from 1.2.3.4 port 22 ssh2: RSA SHA256:x",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user a 1.2.3.4 port 22 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user a 1.2.3.4 port 22 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user a b 1.2.3.4 port 7 [preauth]  ",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user  1.2.3.4 port 7 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user a 1.2.3.4 port 7 [preauth] x",
    "Jan  2 10:00:00 h sshd[1]: Connection reset by authenticating user a 1.2.3.4 port 7 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Disconnected from authenticating user a 1.2.3.4 port 7 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Disconnected from user a 1.2.3.4 port 7",
    "Jan  2 10:00:00 h sshd[1]: message repeated 0 times: [ Failed password for a from 1.2.3.4 port 7]",
    "Jan  2 10:00:00 h sshd[1]: Connection closed by authenticating user a 1.2.3.4 port 7 [preauth]",
    "Jan  2 10:00:00 h sshd[1]: Failed password for invalid user a from b from 1.2.3.4 port 2 ssh2",
    "Jan  2 10:00:00 h sshd[1]: Failed password for a from  1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for arn:aws:iam::1:user/x/Bob from 1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for DOM\\Bob@realm from 5.36.59.76.dyn.net port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for - from 999.1.1.1 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for née from 1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 2001:DB8::1 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4%eth0 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from [1.2.3.4] port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4 port 2\r\n",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a\rb from 1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4 port 2\x00",
    "Jan  2 10:00:00 h\\x$ sshd[1]: Accepted password for a from 1.2.3.4 port 2",
    "Jan  2 10:00:00 - sshd[1]: Accepted password for a from 1.2.3.4 port 2",
    "Jan  2 10:00:00 10.1.2.3 sshd[1]: Accepted password for a from 1.2.3.4 port 2",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4 port",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for a from 1.2.3.4",
    "Jan  2 10:00:00 h sshd[1]: Accepted",
    "Jan  2 10:00:00 h sshd[1]:",
    "Jan  2 10:00:00 h sshd[1]:x",
    "Jan  2 10:00:00 h sshd",
    "Jan  2 10:00:00 h",
    "Jan  2 10:00:00 ",
    "Jan  2 10:00",
    "Jan  2 10:00:00 h CRON[9]: pam_unix(cron:session): session opened for user root by (uid=0)",
    "Feb 30 10:00:00 h CRON[9]: pam_unix(cron:session): session opened for user root by (uid=0)",
    "Jan  2 10:00:00 h kernel: [ 1.0] x",
    "Jan  2 10:00:00 h - x",
    "Jan  2 10:00:00 h -: x",
    "Jan  2 10:00:00 h prog[1]:x",
    "Jan  2 10:00:00 h prog[1 2]: x",
    "Jan  2 10:00:00 h [1]: x",
    "Jan  2 10:00:00 h su(pam_unix)[1]: session opened for user root by a(uid=1)",
    "Jan  2 10:00:00 h /bin/login[1]: pam_unix(login:auth): authentication failure; user=a",
    "Jan  2 10:00:00 h sudo:     a : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
    "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4",
    "Jan  2 10:00:00 h sshd[1]: Accepted password for " + "x" * 70_000 + " from 1.2.3.4 port 2",
]


@needs_native
def test_odd_lines() -> None:
    assert_same(ODD)
    for line in ODD:
        assert_same([line])
        assert_same([line], datetime(2024, 3, 1, tzinfo=UTC))  # Feb 29 in a leap year


@needs_native
def test_year_rollover_and_backstep() -> None:
    lines = [
        "Dec 31 23:59:58 h sshd[1]: Accepted password for a from 10.0.0.1 port 22 ssh2",
        "Dec 31 23:59:58 h sshd[1]: Failed password for a from 10.0.0.1 port 22 ssh2",
        "Jan  1 00:00:01 h sshd[1]: Failed password for a from 10.0.0.1 port 22 ssh2",
        "Jan  1 00:00:01 h su[1]: (to root) a on pts/0",
        "Dec 31 23:59:59 h sshd[1]: Invalid user b from 10.0.0.2",
        "Feb 29 00:00:00 h sshd[1]: Invalid user b from 10.0.0.2",
        "Mar  1 00:00:00 h sshd[1]: Invalid user b from 10.0.0.2",
        "Feb 29 00:00:00 h sshd[1]: Invalid user b from 10.0.0.2",
        "Aug  1 00:00:00 h sshd[1]: Invalid user b from 10.0.0.2",
        "Jan  1 00:00:00 h sshd[1]: Invalid user b from 10.0.0.2",
    ]
    for reference in (
        REFERENCE,
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 28, tzinfo=UTC),
    ):
        assert_same(lines, reference)


@needs_native
def test_same_month_times() -> None:
    """The compiled reader gives the time of a line in the month of the line before: leap
    years, impossible dates and clocks there are Python's answers too."""
    lines = [
        f"Feb {day} {clock} h sshd[1]: Invalid user b from 10.0.0.2"
        for day in ("28", "29", "30", "31", " 1", "00")
        for clock in ("10:00:00", "23:59:59", "24:00:00", "10:60:00", "10:00:60")
    ]
    lines.insert(0, "Feb 27 10:00:00 h sshd[1]: Invalid user b from 10.0.0.2")
    for year in (2023, 2024, 2025, 2100, 1990):
        assert_same(lines, datetime(year, 3, 1, tzinfo=UTC))
        assert_same(lines[::-1], datetime(year, 3, 1, tzinfo=UTC))


MONTHS = st.sampled_from(["Jan", "Feb", "Mar", "Jun", "Dec", "dec", "Foo"])
DAYS = st.sampled_from([" 1", "01", " 9", "28", "29", "30", "31", "00", "99", "1"])
CLOCK = st.sampled_from(["00:00:00", "23:59:59", "09:32:20.5", "24:00:00", "12:60:00", "1:2:3"])
HOSTS = st.sampled_from(
    ["LabSZ", "h.example.com", "10.0.0.1", "-", "x$", "a\\b", "ÿhost", "2001:db8::1"]
)
TAGS = st.sampled_from(
    ["sshd[1]", "sshd", "/usr/sbin/sshd[2]", "sshd-session[3]", "sshd-auth", "sshd]", "sshd[]",
     "sshd[1 2]", "sshd(pam_unix)[4]", "su[5]", "cron[6]", "sshdx[7]", "CRON[8]", "-", "kernel",
     "systemd-logind[9]", "login[10]", "(pam_unix)[11]", "gdm-password]", "SSHD[12]", "sudo"]
)  # fmt: skip
USERS = st.one_of(
    st.sampled_from(
        ["root", "Admin", "invalid user x", "", " ", "a b", "-", "NULL", "arn:aws:sts::1:assumed-role/R/s",
         "D\\u", "u@r", "é", "x" * 300, "a from b", "user\tx", "ß"]
    ),
    st.text(min_size=0, max_size=12),
)  # fmt: skip
PEERS = st.one_of(
    st.sampled_from(
        ["1.2.3.4", "010.001.002.003", "256.1.1.1", "1.2.3", "::1", "::ffff:10.0.0.1", "[::1]",
         "fe80::1%eth0", "2001:DB8:0:0:0:0:0:1", "host.example.com", "5.36.59.76.dsl.net", "123",
         "HOST$", "-", "unknown", "1.2.3.4.", "١.٢.٣.٤"]
    ),
    st.text(alphabet=st.characters(blacklist_characters=" "), min_size=1, max_size=16),
)  # fmt: skip
METHODS = st.sampled_from(
    [
        "password",
        "publickey",
        "keyboard-interactive/pam",
        "Keyboard-Interactive",
        "none",
        "hostbased",
    ]
)
PORTS = st.sampled_from(["22", "022", "40022", "2"])
TAILS = st.sampled_from(
    ["", " ssh2", " port 22 ssh2", " port 22", " port x", " port 22  ", "\r\n", "\n"]
)


# Lines the compiled reader takes (printable ASCII, a valid header): most of the comparisons.
ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
PLAIN_USERS = st.one_of(USERS, st.text(alphabet=ASCII, max_size=12))
PLAIN_PEERS = st.one_of(
    PEERS,
    st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,4}){2,4}\Z"),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16
    ),
)
PLAIN_HEAD = st.builds(
    "{} {} {} {} {}:".format,
    st.sampled_from(["Jan", "Feb", "Dec"]),
    st.sampled_from([" 1", "09", "28", "29", "31"]),
    st.sampled_from(["00:00:00", "23:59:59", "09:32:20.123"]),
    st.one_of(
        HOSTS,
        st.text(
            alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10
        ),
    ),
    st.sampled_from(["sshd[1]", "sshd", "/usr/sbin/sshd[2]", "sshd-session[3]", "sshd]"]),
)


@st.composite
def sshd_lines(draw: st.DrawFn, plain: bool = False) -> str:
    if plain:
        head = draw(PLAIN_HEAD)
        user, peer = draw(PLAIN_USERS), draw(PLAIN_PEERS)
    else:
        head = f"{draw(MONTHS)} {draw(DAYS)} {draw(CLOCK)} {draw(HOSTS)} {draw(TAGS)}:"
        user, peer = draw(USERS), draw(PEERS)
    message = draw(
        st.sampled_from(
            [
                f"Accepted {draw(METHODS)} for {user} from {peer}",
                f"Failed {draw(METHODS)} for {user} from {peer}",
                f"Failed {draw(METHODS)} for invalid user {user} from {peer}",
                f"Invalid user {user} from {peer}",
                f"User {user} from {peer} not allowed because not listed in AllowUsers",
                f"message repeated {draw(st.integers(0, 3000))} times: [ Failed password for {user} from {peer} port 2]",
                f"pam_unix(sshd:auth): authentication failure; user={user} rhost={peer}",
                "Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]",
                # per-connection pairs: a port from a small set so failures and closes meet
                f"Failed {draw(METHODS)} for {user} from {peer} port {draw(PORTS)} ssh2",
                f"Connection closed by authenticating user {user} {peer} port {draw(PORTS)} [preauth]",
                f"Connection reset by authenticating user {user} {peer} port {draw(PORTS)} [preauth]",
                f"Disconnected from authenticating user {user} {peer} port {draw(PORTS)} [preauth]",
                f"Connection closed by invalid user {user} {peer} port {draw(PORTS)} [preauth]",
                f"Connection closed by authenticating user {user} {peer} port [preauth]",
            ]
        )
    )
    spaces = draw(st.sampled_from([" ", "  ", ""]))
    line = f"<{draw(st.integers(0, 999))}>" * draw(st.booleans()) + head + spaces + message
    return line + draw(TAILS)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A generated line cut short, or with a character replaced or inserted anywhere."""
    line = draw(st.one_of(sshd_lines(plain=True), sudo_lines()))
    at = draw(st.integers(0, len(line)))
    what = draw(st.sampled_from(["cut", "replace", "insert"]))
    char = draw(st.sampled_from([" ", "\t", "\r", "\n", "\x00", ":", "[", "]", "é", "9", "\udcff"]))
    if what == "cut":
        return line[:at]
    if what == "replace":
        return line[:at] + char + line[at + 1 :]
    return line[:at] + char + line[at:]


SUDO_HEADS = st.sampled_from(
    ["TTY=pts/0 ; PWD=/home/a ; USER=root ; ", "USER=postgres ; ", "",
     "3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; ",
     "user NOT in sudoers ; TTY=pts/0 ; PWD=/ ; USER=root ; ", "a=b ; ", " ; ; USER=ADMIN@x ; USER=bob ; ",
     "host NOT allowed to run sudo on h ; USER=root ; ", "command not allowed ; USER=Administrator ; ",
     "Some Odd Problem That Is Longer Than Sixty Four Characters For Sure Yes Indeed ; USER=x ; ",
     ";; odd ;; ; USER= ; ", "a password is required ; USER=system ; ", "USER=root;COMMAND=x ; "]
)  # fmt: skip


SUDO_HEAD = st.builds(
    "{} {} {} {} {}".format,
    st.sampled_from(["Jan", "Feb", "Dec"]),
    st.sampled_from([" 1", "09", "29", "31"]),
    st.sampled_from(["00:00:00", "23:59:59"]),
    st.sampled_from(["h", "H.example.com", "10.0.0.1", "-"]),
    st.sampled_from(["sudo:", "/usr/bin/sudo[7]:", "sudo]:", "sudo[1]:", "sudo(pam_unix)[2]:"]),
)


@st.composite
def sudo_lines(draw: st.DrawFn) -> str:
    head = draw(SUDO_HEAD)
    user = draw(
        st.one_of(
            st.from_regex(r"\A[!-~]{1,12}\Z"),
            st.sampled_from(["root", "Admin", "D\\u", "u@r", "-", "é", ""]),
        )
    )
    command = draw(
        st.one_of(st.text(alphabet=ASCII, max_size=20), st.just(" /bin/sh  "), st.just("x" * 600))
    )
    message = draw(
        st.sampled_from(
            [
                f"{' ' * draw(st.integers(0, 5))}{user} : {draw(SUDO_HEADS)}COMMAND={command}",
                f"{user} : {draw(SUDO_HEADS)}COMMAND={command}",
                f"{' ' * draw(st.integers(0, 5))}{user} : {draw(SUDO_HEADS)}COMMAND={command}",
                f"{user} : {draw(SUDO_HEADS)}",
                f"{user}  : {draw(SUDO_HEADS)}COMMAND={command}",
                "pam_unix(sudo:session): session opened for user root(uid=0) by a(uid=1000)",
                f"{user} : unable to resolve host x",
            ]
        )
    )
    return head + " " + message + draw(TAILS)


REFERENCES = st.sampled_from(
    [REFERENCE, datetime(2024, 2, 28, tzinfo=UTC), datetime(2025, 1, 1, 0, 30, tzinfo=UTC)]
)


@needs_native
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sshd_lines(), min_size=1, max_size=6), REFERENCES)
def test_generated_sshd_lines(lines: list[str], reference: datetime) -> None:
    assert_same(lines, reference)


@needs_native
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sshd_lines(plain=True), min_size=1, max_size=6), REFERENCES)
def test_generated_plain_sshd_lines(lines: list[str], reference: datetime) -> None:
    assert_same(lines, reference)


@needs_native
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(sudo_lines(), sshd_lines(plain=True)), min_size=1, max_size=6), REFERENCES
)
def test_generated_sudo_lines(lines: list[str], reference: datetime) -> None:
    assert_same(lines, reference)


@needs_native
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=4), REFERENCES)
def test_mutated_sshd_lines(lines: list[str], reference: datetime) -> None:
    assert_same(lines, reference)


@needs_native
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text(text: str) -> None:
    assert_same(["Jan  2 10:00:00 h sshd[1]: " + text, text])
