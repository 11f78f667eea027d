"""``remote_exec``: a WMI/WinRM shell judged by where it comes from (round 12, wmiexec_slow).

An admin's routine WMI from the management host does not excuse the admin's account running a
shell through WMI from a machine other accounts log on from (an office user's workstation);
the admin's own machine and an address nobody else uses stay excused by the habit, and the
account's own runs from the foreign machine count at a quarter each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.batch import BatchBuilder
from detectors.remote_exec import RemoteExecution
from schemas.event import Action, Event

T0 = datetime(2024, 3, 4, 9, tzinfo=UTC)
WMI = "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
MGMT = "10.0.0.19"
OFFICE_WS = "10.1.0.24"  # mia's workstation: she reaches the file server from it all day
ANN_LAPTOP = "10.1.0.77"  # ann's own machine: only ann logs on from it


def logon(t: datetime, user: str, host: str, src: str) -> Event:
    return Event(
        time=t,
        tenant="t",
        source_format="test",
        action=Action.LOGON,
        user=user,
        src_ip=src,
        dst_host=host,
        logon_type="3",
    )


def shell(t: datetime, user: str, host: str, src: str) -> list[Event]:
    """A network logon and ``cmd.exe`` under WmiPrvSE two seconds later."""
    child = Event(
        time=t + timedelta(seconds=2),
        tenant="t",
        source_format="test",
        action=Action.PROCESS_START,
        user=user,
        dst_host=host,
        app=WMI,
        object=CMD,
    )
    return [logon(t, user, host, src), child]


def history(days: int = 10) -> list[Event]:
    """ann runs cmd.exe through WMI from MGMT01 twice a day (alone there: no management host
    by others' use); mia works on the file server from her workstation; ann's laptop reaches
    the file server under ann's account only."""
    events: list[Event] = []
    for day in range(days):
        t = T0 + timedelta(days=day)
        events += shell(t, "ann", "srv1", MGMT)
        events += shell(t + timedelta(hours=2), "ann", "srv2", MGMT)
        events += [logon(t + timedelta(minutes=m), "mia", "files", OFFICE_WS) for m in (5, 65)]
        events.append(logon(t + timedelta(minutes=30), "ann", "files", ANN_LAPTOP))
    return events


def scores(events: list[Event], detector: RemoteExecution | None = None) -> list[float]:
    """Learn one batch a day; then the points of each later shell, each learned after scoring."""
    detector = detector or RemoteExecution()
    builder = BatchBuilder()
    days = sorted({e.time.date() for e in events if e.time < T0 + timedelta(days=10)})
    for day in days:
        batch = builder.build([e for e in events if e.time.date() == day])
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    out: list[float] = []
    later = [e for e in events if e.time >= T0 + timedelta(days=10)]
    for k in range(0, len(later), 2):
        batch = builder.build(later[k : k + 2])
        signals = detector.score(batch, builder)
        out.append(float(signals.points.max()) if len(signals) else 0.0)
        detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    return out


def at(day: int) -> datetime:
    return T0 + timedelta(days=day, hours=5)


def test_an_admins_wmi_shell_from_an_office_workstation_is_not_excused_by_the_habit() -> None:
    base = history()
    from_office = scores([*base, *shell(at(10), "ann", "srv3", OFFICE_WS)])
    from_mgmt = scores([*base, *shell(at(10), "ann", "srv3", MGMT)])
    assert from_office == [45.0]  # a shell, no habit from there, no peers
    assert from_mgmt[0] < 5.0  # 45 / (1 + ~17 decayed runs)


def test_the_accounts_own_machine_and_an_unused_address_stay_excused() -> None:
    base = history()
    own = scores([*base, *shell(at(10), "ann", "srv3", ANN_LAPTOP)])
    fresh = scores([*base, *shell(at(10), "ann", "srv3", "10.9.9.9")])
    assert own[0] < 5.0  # only ann logs on from her laptop: not someone else's machine
    assert fresh[0] < 5.0  # nobody logs on from there: no resident, the habit holds


def test_own_runs_from_the_foreign_machine_count_a_quarter_each() -> None:
    later = [e for day in (10, 11, 12) for e in shell(at(day), "ann", f"srv{day}", OFFICE_WS)]
    points = scores([*history(), *later])
    assert points[0] == 45.0
    assert 25.0 < points[1] < 45.0  # 45 / (1 + ~1 decayed run / 4)
    assert points[2] < points[1]
    weighted = scores([*history(), *later], RemoteExecution(foreign_habit_weight=1.0))
    assert weighted[1] < points[1]  # counted in full, the same run excuses more


def test_the_source_tables_survive_a_snapshot_and_older_snapshots_load() -> None:
    events = [*history(), *shell(at(10), "ann", "srv3", OFFICE_WS)]
    builder = BatchBuilder()
    first, last = events[:-2], events[-2:]
    detector = RemoteExecution()
    batch = builder.build(first)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    state = detector.state()
    assert len(detector.src_logons_.table.keys) == 3  # MGMT01, the office workstation, ann's laptop
    restored = RemoteExecution()
    restored.load_state(state)
    final = builder.build(last)
    assert float(restored.score(final, builder).points.max()) == 45.0
    # a snapshot from before these tables: every source reads as unknown, the habit holds
    old = {k: v for k, v in state.items() if not k.startswith(("src_logons_", "src_user_"))}
    older = RemoteExecution()
    older.load_state(old)
    signals = older.score(final, builder)
    assert not len(signals) or float(signals.points.max()) < 5.0


def test_the_explanation_says_whose_machine_and_what_the_habit_elsewhere_is() -> None:
    builder = BatchBuilder()
    detector = RemoteExecution()
    batch = builder.build(history())
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    signals = detector.score(builder.build(shell(at(10), "ann", "srv3", OFFICE_WS)), builder)
    assert "from a machine other accounts log on from (" in signals.titles[0]
    assert "ann's 1.0)" in signals.titles[0] and f"from {OFFICE_WS}" in signals.titles[0]
    assert "0.0 earlier remote-execution artefacts by ann from this source" in signals.baseline[0]
    assert "wmi runs from elsewhere" in signals.baseline[0]


def test_a_machine_another_account_runs_remote_execution_from_is_nobodys_desk() -> None:
    """MGMT01 where bob logs on more often than ann: with bob's own WMI runs from there it is
    an admin host (one other admin is not yet a "management host" for the source prior), and
    ann's habit holds; with bob only logging on from it, it reads as bob's machine."""
    bob_logons = [
        logon(T0 + timedelta(days=day, hours=3, minutes=m), "bob", "files", MGMT)
        for day in range(10)
        for m in range(0, 60, 10)
    ]
    bob_runs = [e for day in range(10) for e in shell(at(day), "bob", "srv5", MGMT)]
    probe = shell(at(10), "ann", "srv3", MGMT)
    admin_host = sorted([*history(), *bob_logons, *bob_runs], key=lambda e: e.time)
    desk = sorted([*history(), *bob_logons], key=lambda e: e.time)
    assert scores([*admin_host, *probe])[0] < 5.0
    assert scores([*desk, *probe])[0] > 3 * scores([*admin_host, *probe])[0]
