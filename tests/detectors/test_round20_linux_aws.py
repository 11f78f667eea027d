"""Round 20 (``--attacks novel20c``, Linux and AWS): what the new kinds showed was missing.

``pkexec`` (polkit) runs a command as root as sudo does, and CVE-2021-4034 (PwnKit) leaves its
own pkexec line; the syslog parser skipped every pkexec line, so a first root shell through it
was unseen. The parser now reads them as privilege use, and ``privileged_action`` names them
like a first sudo to root. Every test here fails on main (e039f71).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.privileged_action import PrivilegedAction
from schemas.event import Action, Event
from schemas.parsers.base import ParseContext
from schemas.parsers.syslog import SyslogParser

START = datetime(2024, 5, 6, 8, tzinfo=UTC)


def _syslog(line: str) -> list[Event]:
    ctx = ParseContext(tenant="t", source="auth.log", position=1, reference_time=START + timedelta(days=30))
    return SyslogParser().parse(line, ctx)


def _history() -> list[Event]:
    """Three weeks of ssh logons for four engineers, and an admin's daily sudo to root."""
    events = []
    for day in range(21):
        for k, user in enumerate(("alice", "bob", "carol", "dave")):
            events.append(Event(time=START + timedelta(days=day, minutes=k), tenant="t",
                                source_format="syslog", action=Action.LOGON, user=user,
                                dst_host="lnx-app01", app="sshd", logon_type="ssh"))  # fmt: skip
        events.append(Event(time=START + timedelta(days=day, minutes=9), tenant="t",
                            source_format="syslog", action=Action.PRIVILEGE_USE, user="dave",
                            target_user="root", app="sudo", privileged=True))  # fmt: skip
    return events


def test_a_first_pkexec_to_root_is_a_first_root_shell() -> None:
    (pwnkit,) = _syslog(
        "May 28 10:15:02 lnx-app01 pkexec[40211]: bob: The value for the SHELL variable was not "
        "found the /etc/shells file [USER=root] [TTY=/dev/pts/1] [CWD=/tmp/.a1b2c3] "
        "[COMMAND=GCONV_PATH=./pwnkit.so:. PATH=GCONV_PATH=. CHARSET=PWNKIT SHELL=pwnkit]"
    )
    (polkit,) = _syslog(
        "May 28 11:15:02 lnx-app01 pkexec[40212]: carol: Executing command [USER=root] "
        "[TTY=/dev/pts/1] [CWD=/home/carol] [COMMAND=/usr/bin/bash]"
    )
    builder, detector = BatchBuilder(), PrivilegedAction(learning_days=7, min_events=10)
    batch = builder.build(_history())
    detector.learn(batch, held_back=np.zeros(len(batch), dtype=bool))
    signals = detector.score(builder.build([pwnkit, polkit]), builder)
    assert signals.rows.tolist() == [0, 1]
    assert all(points >= 20 for points in signals.points.tolist())
    assert signals.titles[0].startswith("bob did pkexec to root for the first time")
    assert signals.titles[1].startswith("carol did pkexec to root for the first time")
