"""Remote-execution artefacts: what PsExec, SMBExec, WMI and WinRM leave behind on the target.

An artefact is scored when it follows a network logon to the same host by the same user within
``window_minutes`` (admin-share access carries its own remote source and needs no logon):

=============== ====================================================== ======== ============
kind            evidence                                               points   ATT&CK
=============== ====================================================== ======== ============
service         7045/4697 service installed                            45       T1569.002
task            4698 scheduled task registered                         40       T1053.005
wmi             process started by ``WmiPrvSE.exe``                     35 (45)  T1047
winrm           process started by ``wsmprovhost.exe``                  35 (45)  T1021.006
exe_drop        executable written through an admin share (``C$``)      25 (35)  T1570
admin_share     ``ADMIN$`` / ``C$`` (drive) share opened remotely        20       T1021.002
svcctl          ``IPC$\\svcctl`` / ``atsvc`` pipe opened remotely         15       T1569.002
cloud_exec      a command or shell on an instance through the cloud    35       T1651
                API (``ssm:SendCommand``/``StartSession``, EC2
                Instance Connect), no logon needed
dcom            a DCOM application object started for a network        45       T1021.003
                logon (``mmc.exe``/Office ``-Embedding`` under the
                DCOM launcher), or a process it starts (35, shell 45)
cred_copy       a copy of a credential store read through an admin     45       T1003.003
                share: the AD database (``ntds.dit``) or a saved
                SAM / SECURITY / SYSTEM hive (round 20)
=============== ====================================================== ======== ============

A credential store read through ``C$``/``ADMIN$`` is the last step of every offline dump of a
domain's or a host's secrets (``ntdsutil ifm``, ``vssadmin`` + ``copy`` from the shadow copy,
``reg save HKLM\\SAM``): the file is made on the target and fetched over SMB. Nobody's work
reads the AD database or a hive off another machine: it weighs what a service install does.

A command run on an instance through the cloud control plane (the parser makes ``SendCommand``,
``StartSession``, ``SendSSHPublicKey`` remote executions on the instance) names who and where
by itself, as a share access does: it needs no logon to anchor it. It is judged like every
other artefact, by the principal's own habit and by peers who run the same document (a team
that manages its fleet through Session Manager); an attacker's fan-out over instances with a
stolen role scores on every instance, since flagged rows are not learned. DCOM lateral movement
(``MMC20.Application``'s ``ExecuteShellCommand``, Excel's ``RegisterXLL``/``DDEInitiate``,
Outlook's ``CreateObject``) activates an application object on the target for the remote
account: the application itself starting with ``-Embedding``/``/automation`` under the DCOM
launcher within seconds of that account's network logon is code execution by design (no admin
starts Excel or MMC on another machine to do their work), and so is a process it starts.

A command interpreter started through WMI or WinRM (``cmd.exe``, ``powershell.exe``, script hosts,
``rundll32``/``regsvr32``/``mshta``) weighs 45, as a service install does: it is a shell on
another machine (wmiexec, Invoke-WmiMethod, Enter-PSSession), while other children (an agent's
own binary started by its management tool) stay at 35. A process that Sysmon reports before the
logon it follows (clock skew between the collectors: "no network logon seen", half weight) and
4688 reports again after it is one process: the first report does not count as the user's habit,
so the second, anchored, is judged in full (the risk layer adds what it exceeds the first by).

An executable written to a *drive* share (``C$``, ``D$``) weighs 35: it is the tool itself being
placed on another machine's disk (T1570), strong whatever runs it next (WMI, a task, a service
pointed at it, a user's double click). One written to ``ADMIN$`` (PsExec's service binary) stays
at 25: the service install that runs it carries that action's weight.

A user who does this routinely (an admin's PsExec, a deployment account) is discounted by their
own decayed count of the same kind: points / (1 + count). Peers too: an artefact whose name
(service, dropped file, share) other users already left behind is the team's tool, and each
such user divides the points again (PSEXESVC used by four admins is not news for a fifth; a
random service name is). The machine the anchoring logon came from is a prior too: an artefact
from a host at least ``origin_accounts`` *other* accounts routinely run remote execution from
(the admins' management host, a deployment server) is divided by 1 + their decayed count /
``origin_scale`` - admins' WinRM and WMI from MGMT01 is how Windows is run, while the same
from a workstation nobody administers from is not; one account's own runs never vouch for its
source (an attacker on a foothold, or one admin's laptop taken over by another account).
Where the logon came from also decides whose habit counts. A WMI/WinRM child after a logon
from someone else's machine - other accounts log on from it over the network (at least
``resident_logons`` decayed logons, more than this account's), and none of them runs remote
execution from it (not an admin or deployment host) - is not excused by the account's WMI habit
from its management host, nor by other admins' shells: an admin's password used with
``wmiexec`` from an office user's workstation is a shell from a desk no admin works at. Only the
account's own earlier runs from that machine count, at ``foreign_habit_weight`` each.
Artefacts are learned even when they scored (the discount is what lets admins' routine work
fade), except rows the risk layer holds back; an attacker repeating an artefact still scores
on every new host.

A host being brought into service (round 23): an artefact on a host the feed first saw less
than ``fresh_host_hours`` before, and at least ``window_minutes`` before it (someone or
something else was on it first: its user's console logon, an inventory scan), in a tenant the
feed has watched for a day already, weighs ``fresh_host_weight``. A deployment server's
installer and service on a workstation the morning it joined the domain is how a machine is
provisioned (the SCCM client push, a management agent, the configuration run on a new
server); an intruder goes where the data and the sessions already are, on hosts watched for
days. A host whose first event is the artefact's own session is not fresh (a machine the
feed never saw is not a machine just built), and neither a credential-store copy, DCOM nor a
cloud command is ever part of a build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from detectors._exact import narrow_ids, wide_ids
from detectors._pair_columns import KeyedColumns, SharesUserHosts
from detectors._seconds import NEVER, SECONDS
from detectors._sort import unique1d
from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    Signals,
    StateDict,
    batch_view,
    changes_state,
    first_times,
    flagged_signals,
    fold_extreme,
    fold_first_times,
    gather_times,
    group_cumsum_before,
    group_order,
    grow,
    narrow_counts,
    pair_keys,
)
from detectors.batch import BatchBuilder, BoolArray, EventBatch, FloatArray, Int64Array
from detectors.lateral import (
    DAY,
    MINUTE,
    NOT_USERS,
    DecayedTable,
    decayed_sum_before,
    group_last_before,
    remote_access,
    source_key,
    value_codes,
    value_mask,
)
from detectors.registry import register
from schemas.event import Action, Outcome

KINDS: tuple[str, ...] = (
    "service",
    "task",
    "wmi",
    "winrm",
    "exe_drop",
    "admin_share",
    "svcctl",
    "cloud_exec",
    "dcom",
    "cred_copy",
)
BASE_POINTS = np.array([45.0, 40.0, 35.0, 35.0, 25.0, 20.0, 15.0, 35.0, 35.0, 45.0])
#: An executable dropped on a drive share (not ``ADMIN$``): see the module docstring.
DRIVE_DROP_POINTS = 35.0
KIND_MITRE = {
    "service": "T1569.002",
    "task": "T1053.005",
    "wmi": "T1047",
    "winrm": "T1021.006",
    "exe_drop": "T1570",
    "admin_share": "T1021.002",
    "svcctl": "T1569.002",
    "cloud_exec": "T1651",
    "dcom": "T1021.003",
    "cred_copy": "T1003.003",
}
DESCRIPTION = {
    "service": "installed service {obj} on {host}",
    "task": "registered scheduled task {obj} on {host}",
    "wmi": "started {obj} through WMI on {host}",
    "winrm": "started {obj} through WinRM on {host}",
    "exe_drop": "wrote {obj} to an admin share of {host}",
    "admin_share": "opened admin share {obj} on {host}",
    "svcctl": "opened the service-control pipe {obj} on {host}",
    "cloud_exec": "ran {obj} on instance {host} through the cloud API",
    "dcom": "started {obj} through DCOM on {host}",
    "cred_copy": "read the credential store {obj} through an admin share of {host}",
}
NONE = -1
NO_SOURCE = np.uint32(0xFFFFFFFF)
#: "No source" in the source column while it is held in 16 bits (as :func:`narrow_ids` saves).
_NO_SOURCE16 = int(np.iinfo(np.uint16).max)
#: Kinds whose artefact name is the tool's own (a service, a task, a dropped file).
OWN_NAME_KINDS = ("service", "task", "exe_drop")
#: Kinds a machine's provisioning leaves on it (an agent pushed, its configuration run).
FRESH_HOST_KINDS = ("service", "task", "wmi", "winrm", "exe_drop", "admin_share", "svcctl")
HOUR = 3600.0
_EXECUTABLE = (".exe", ".dll", ".ps1", ".bat", ".cmd", ".vbs", ".js", ".hta", ".scr", ".sys")
_PIPES = ("svcctl", "atsvc", "winreg")
#: Registry hives holding secrets (local account hashes, LSA secrets, the boot key that
#: decrypts both and ``ntds.dit``), as ``reg save`` and ``ntdsutil ifm`` write them.
_HIVES = frozenset({"sam", "security", "system"})
_HIVE_SUFFIXES = frozenset({"", ".hiv", ".hive", ".save", ".sav", ".bak", ".reg"})
#: Folders a bare hive name is a hive in: ``config`` (a shadow copy's System32\config) and
#: ``registry`` (what ``ntdsutil ifm`` writes).
_HIVE_FOLDERS = frozenset({"config", "registry"})
#: Interpreters and proxies a remote shell runs through (their children are the commands).
_SHELLS = frozenset(
    {
        "cmd.exe",
        "powershell.exe",
        "pwsh.exe",
        "wscript.exe",
        "cscript.exe",
        "mshta.exe",
        "rundll32.exe",
        "regsvr32.exe",
    }
)
SHELL_CHILD_POINTS = 45.0
#: Application objects with a documented code-execution method that DCOM lateral movement
#: activates on the target (MMC20.Application; Excel, Word, Outlook, PowerPoint, Visio ...).
_DCOM_APPS = frozenset(
    {
        "mmc.exe",
        "excel.exe",
        "winword.exe",
        "outlook.exe",
        "powerpnt.exe",
        "visio.exe",
        "msaccess.exe",
        "mspub.exe",
    }
)
#: The DCOM launcher (``svchost.exe -k DcomLaunch``) is the parent of an activated object.
_DCOM_LAUNCHER = "svchost.exe"
#: A DCOM application object activated for a network logon: code execution by design.
DCOM_ACTIVATION_POINTS = 45.0
#: Control-plane endpoints whose remote executions are commands on instances.
_CLOUD_ENDPOINTS = (".amazonaws.com", ".googleapis.com", ".azure.com")


def is_shell(image: str) -> bool:
    r"""Whether a process image is a command interpreter or script proxy.

    >>> is_shell("C:\\Windows\\System32\\cmd.exe"), is_shell("C:\\Windows\\System32\\net.exe")
    (True, False)
    """
    return image.replace("/", "\\").rsplit("\\", 1)[-1].lower() in _SHELLS


def share_kind(path: str) -> int:
    """Kind index of a share path as the parser writes it (``\\\\*\\C$\\dir\\file``), or -1.

    >>> [share_kind(p) for p in ("//*/ADMIN$", "//*/C$/x/a.exe", "//*/IPC$/svcctl",
    ...                           "//*/IPC$", "//*/SYSVOL/x", "//*/C$/Temp/ifm/ntds.dit")]
    [5, 4, 6, -1, -1, 9]
    """
    parts = [p for p in path.replace("/", "\\").split("\\") if p and p != "*"]
    if not parts:
        return NONE
    share = parts[0].upper()
    rest = "\\".join(parts[1:]).lower()
    if share == "IPC$":
        return KINDS.index("svcctl") if rest in _PIPES else NONE
    admin = share == "ADMIN$" or (len(share) == 2 and share[0].isalpha() and share[1] == "$")
    if not admin:
        return NONE
    if is_credential_store(rest):
        return KINDS.index("cred_copy")
    if rest.endswith(_EXECUTABLE):
        return KINDS.index("exe_drop")
    return KINDS.index("admin_share")


def is_credential_store(path: str) -> bool:
    """Whether a file path names a copy of a credential store: the AD database or a saved
    SAM / SECURITY / SYSTEM hive (a bare hive name only in a ``config`` or ``registry`` folder,
    where a hive is what it is).

    >>> [is_credential_store(p) for p in ("windows/temp/ifm/active directory/ntds.dit",
    ...     "temp/sam.hiv", "windows/temp/x/registry/SYSTEM", "perflogs/system.save",
    ...     "windows/system", "users/bob/security.docx")]
    [True, True, True, True, False, False]
    """
    parts = path.replace("/", "\\").lower().rstrip("\\").split("\\")
    name = parts[-1]
    if name == "ntds.dit":
        return True
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if dot else (name, "")
    if stem not in _HIVES or suffix not in _HIVE_SUFFIXES:
        return False
    return bool(suffix) or (len(parts) > 1 and parts[-2] in _HIVE_FOLDERS)


def on_drive_share(path: str) -> bool:
    """Whether a share path is on a drive share (``C$``), not ``ADMIN$`` or ``IPC$``.

    >>> on_drive_share("//*/C$/ProgramData/a.exe"), on_drive_share("//*/ADMIN$/PSEXESVC.exe")
    (True, False)
    """
    parts = [p for p in path.replace("/", "\\").split("\\") if p and p != "*"]
    share = parts[0].upper() if parts else ""
    return len(share) == 2 and share[0].isalpha() and share[1] == "$"


def exec_kind(name: str) -> int:
    """Service (7045/4697) or scheduled task (4698, names start with a backslash)."""
    return KINDS.index("task") if name.startswith("\\") else KINDS.index("service")


def _base(image: str) -> str:
    return image.replace("/", "\\").rsplit("\\", 1)[-1].lower()


def parent_kind(image: str) -> int:
    r"""WMI / WinRM host processes and DCOM application objects as parents of a user process.

    >>> [KINDS[parent_kind(p)] for p in ("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
    ...                                  "C:\\Windows\\System32\\mmc.exe")]
    ['wmi', 'dcom']
    """
    base = _base(image)
    if base == "wmiprvse.exe":
        return KINDS.index("wmi")
    if base == "wsmprovhost.exe":
        return KINDS.index("winrm")
    if base in _DCOM_APPS:
        return KINDS.index("dcom")
    return NONE


def is_dcom_app(image: str) -> bool:
    r"""Whether a process image is an application object DCOM lateral movement activates.

    >>> is_dcom_app("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE")
    True
    """
    return _base(image) in _DCOM_APPS


def is_cloud_endpoint(app: str) -> bool:
    """Whether a remote execution came through a cloud control plane (its API endpoint).

    >>> is_cloud_endpoint("ssm.amazonaws.com"), is_cloud_endpoint("")
    (True, False)
    """
    return app.lower().endswith(_CLOUD_ENDPOINTS)


def kind_in(kind: Int64Array, names: tuple[str, ...]) -> BoolArray:
    """``np.isin(kind, [KINDS.index(n) for n in names])`` of kind indices (NONE included) as
    one read of a table (round 26: ``np.isin`` took ~38 us on 600 kinds, this ~4 us; four
    calls a batch).

    >>> kind_in(np.array([NONE, 0, 5, 9]), ("service", "admin_share")).tolist()
    [False, True, True, False]
    """
    table = np.zeros(len(KINDS) + 1, dtype=np.bool_)  # (the last slot: NONE, -1, is none)
    table[[KINDS.index(name) for name in names]] = True
    found: BoolArray = table[kind]
    return found


def _kinds(
    batch: EventBatch, rows: Int64Array, column: str, classify: Callable[[str], int]
) -> Int64Array:
    # (one call of ``classify`` per distinct value, not one mask per kind: round 26, the same
    # kinds; a value outside the kinds is none of them)
    out = value_codes(batch, column, rows, classify)
    out[(out < 0) | (out >= len(KINDS))] = NONE
    return out


@register
class RemoteExecution(SharesUserHosts):
    """Flags remote-execution artefacts on a host right after a network logon by the same user.

    >>> from datetime import UTC, datetime, timedelta
    >>> from detectors.batch import BatchBuilder
    >>> from schemas.event import Event
    >>> t = datetime(2024, 1, 1, 9, tzinfo=UTC)
    >>> logon = Event(time=t, tenant="t", source_format="x", action=Action.LOGON, user="eve",
    ...               src_ip="10.0.0.5", dst_host="ws6", logon_type="3")
    >>> service = Event(time=t + timedelta(seconds=1), tenant="t", source_format="x",
    ...                 action=Action.REMOTE_EXEC, user="eve", dst_host="ws6", object="Updater")
    >>> builder, detector = BatchBuilder(), RemoteExecution()
    >>> signals = detector.score(builder.build([logon, service]), builder)
    >>> len(signals), float(signals.points[0])
    (1, 45.0)
    >>> print(signals.titles[0])  # doctest: +NORMALIZE_WHITESPACE
    eve installed service Updater on ws6 1 s after a network logon from 10.0.0.5 (eve did
    this 0.0 times in the last 30 days)
    """

    name: ClassVar[str] = "remote_exec"
    mitre: ClassVar[tuple[str, ...]] = (
        "T1021",
        "T1021.002",
        "T1569.002",
        "T1047",
        "T1021.006",
        "T1053.005",
        "T1570",
    )
    entity_kind: ClassVar[str] = "user"

    def __init__(
        self,
        *,
        window_minutes: float = 10.0,
        habit_half_life_days: float = 30.0,
        min_points: float = 4.0,
        points_scale: float = 1.0,
        unanchored_weight: float = 0.5,
        origin_scale: float = 2.0,
        origin_accounts: int = 2,
        resident_logons: float = 3.0,
        foreign_habit_weight: float = 0.25,
        fleet_scale: float = 10.0,
        fresh_host_hours: float = 24.0,
        fresh_host_weight: float = 0.25,
    ) -> None:
        if window_minutes <= 0 or habit_half_life_days <= 0 or points_scale <= 0:
            raise ValueError(f"{self.name}: window, half-life and scale must be > 0")
        if origin_scale <= 0 or fleet_scale <= 0:
            raise ValueError(f"{self.name}: origin_scale and fleet_scale must be > 0")
        if fresh_host_hours < 0 or not 0 < fresh_host_weight <= 1:
            raise ValueError(f"{self.name}: fresh_host_hours >= 0, fresh_host_weight in (0, 1]")
        self.window = window_minutes * MINUTE
        self.habit_half_life = habit_half_life_days * DAY
        self.min_points = min_points
        self.points_scale = points_scale
        # WMI/WinRM children without a visible logon (clock skew puts Sysmon's process start
        # before the collector's 4624) still count, at this weight.
        self.unanchored_weight = unanchored_weight
        # A machine other accounts routinely run remote execution from (the admins' management
        # host, a deployment server) divides the points by 1 + (their decayed count) / this.
        self.origin_scale = origin_scale
        self.origin_accounts = origin_accounts
        # A WMI/WinRM child after a logon from a machine other accounts mostly log on from (at
        # least this many decayed network logons, more than the account's own) from which no
        # other account runs remote execution (not an admin or deployment host): the account's
        # habit from elsewhere does not excuse it.
        self.resident_logons = resident_logons
        # ... only its own earlier runs from there do, at this weight each (a colleague's
        # workstation is not a place to learn remote administration from).
        self.foreign_habit_weight = foreign_habit_weight
        self.foreign_others_runs = 0.5  # others' decayed remote-execution artefacts from there
        # A command on an instance through the cloud API is judged by the principal's own runs
        # on that instance, and by their runs anywhere divided by this (a fleet's operators
        # reach new instances every day; one who never ran a command reaches none).
        self.fleet_scale = fleet_scale
        # A host first seen this recently (and before the artefact's session) in a tenant
        # watched for a day is being brought into service: its artefacts weigh this much.
        self.fresh_host = fresh_host_hours * HOUR
        self.fresh_host_weight = fresh_host_weight
        self.host_first_ = np.empty(0, dtype=SECONDS)  # host -> first event naming it (NEVER)
        self.tenant_first_ = np.empty(0, dtype=np.float64)  # tenant -> its first event (NaN)
        # (user, host) -> last network logon (NaN: none) and its source key. The keys may be
        # shared with the other detectors of the same remote logons
        # (:mod:`detectors._pair_columns`). (last: whole seconds, rounded down:
        # detectors._seconds.) The source keys are held as :func:`narrow_ids` saves them:
        # ``uint16`` (none as 2**16 - 1) while every key is below that, then ``uint32`` with
        # NO_SOURCE for good (:meth:`_widen_sources`); read through :func:`wide_ids`.
        self.logons_ = KeyedColumns(last=(SECONDS, np.nan), src=(np.uint16, _NO_SOURCE16))
        self.origin_ = DecayedTable(self.habit_half_life)  # source -> decayed artefacts from it
        self.origin_user_ = DecayedTable(self.habit_half_life)  # (user, source) -> the same
        # source -> accounts (keys in 32 bits while they fit, as saved: ``narrow_keys``)
        self.origin_accounts_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.habits_ = DecayedTable(self.habit_half_life)  # (user, kind) -> decayed count
        self.src_logons_ = DecayedTable(self.habit_half_life)  # source -> network logons from it
        self.src_user_logons_ = DecayedTable(self.habit_half_life)  # (user, source) -> the same
        # (user, artefact name) seen (keys in 32 bits while they fit)
        self.named_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.cloud_ = DecayedTable(self.habit_half_life)  # (user, instance) -> cloud commands
        self.name_users_ = narrow_counts([])  # distinct users per artefact name (kept narrow)

    @batch_view
    def _view(self, batch: EventBatch) -> dict[str, np.ndarray]:
        n = len(batch)
        user = batch.column("user")
        dst = batch.column("dst_host")
        has = (user >= 0) & (dst >= 0)
        logon_mask, explicit = remote_access(batch)
        logon_mask &= ~explicit
        logon_mask |= self._sourceless_network_logons(batch)
        kind = np.full(n, NONE, dtype=np.int64)
        success = ~batch.outcome_is(Outcome.FAILURE)
        shares = np.flatnonzero(batch.action_mask(frozenset({Action.SHARE_ACCESS})) & has & success)
        if len(shares):
            remote = batch.column("src_ip")[shares] >= 0
            remote &= ~batch.src_loopback[shares]
            kind[shares[remote]] = _kinds(batch, shares[remote], "object", share_kind)
        execs = np.flatnonzero(batch.action_mask(frozenset({Action.REMOTE_EXEC})) & has)
        if len(execs):
            kind[execs] = _kinds(batch, execs, "object", exec_kind)
            cloud = value_mask(batch, "app", execs, is_cloud_endpoint)
            kind[execs[cloud]] = KINDS.index("cloud_exec")
        procs = np.flatnonzero(batch.action_mask(frozenset({Action.PROCESS_START})) & has)
        # A DCOM application object activated on the host (its own start under the launcher).
        activation = np.zeros(n, dtype=np.bool_)
        if len(procs):
            kind[procs] = _kinds(batch, procs, "app", parent_kind)
            # Of what a DCOM application starts, only shells: Office and MMC start helpers
            # (printing, browsers) for the person at the keyboard all day.
            children = procs[kind[procs] == KINDS.index("dcom")]
            if len(children):
                kind[children[~value_mask(batch, "object", children, is_shell)]] = NONE
            launched = procs[value_mask(batch, "app", procs, lambda v: _base(v) == _DCOM_LAUNCHER)]
            if len(launched):
                dcom = launched[value_mask(batch, "object", launched, is_dcom_app)]
                kind[dcom] = KINDS.index("dcom")
                activation[dcom] = True
        artefact = kind >= 0
        if artefact.any():
            artefact[artefact] = ~value_mask(
                batch, "user", np.flatnonzero(artefact), NOT_USERS.__contains__
            )
        relevant = np.flatnonzero(logon_mask | artefact)
        r_user = user[relevant].astype(np.int64)
        r_dst = dst[relevant].astype(np.int64)
        time = batch.time[relevant]
        r_kind = kind[relevant]
        is_logon = logon_mask[relevant]
        is_artefact = r_kind >= 0
        keys = pair_keys(r_user, r_dst)
        # Last network logon by this user to this host: earlier rows of the batch, else state.
        previous = group_last_before(keys, is_logon)
        state_last = self.logons_.get("last", keys)
        logon_time = np.where(previous >= 0, time[np.maximum(previous, 0)], state_last)
        source = np.where(
            previous >= 0, relevant[np.maximum(previous, 0)], -1
        )  # batch row of the logon, for the explanation
        gap = time - logon_time
        anchored = ~np.isnan(logon_time) & (gap >= 0) & (gap <= self.window)
        # Where the anchoring logon came from (a share row names its own source).
        sources = source_key(batch)[relevant]
        stored_src = self.logon_sources(keys).astype(np.int64)
        stored_src[stored_src == NO_SOURCE] = -1
        logon_src = np.where(
            previous >= 0,
            sources[np.maximum(previous, 0)],
            np.where(np.isnan(logon_time), -1, stored_src),
        ).astype(np.int64)
        is_share = kind_in(r_kind, ("exe_drop", "admin_share", "svcctl", "cred_copy"))
        # DCOM is only DCOM with the remote account's network logon to anchor it (a local
        # program automating Excel for the person at the keyboard is not): unanchored rows of
        # the kind are no artefact at all, neither scored nor anyone's habit or peer.
        stray = (r_kind == KINDS.index("dcom")) & ~anchored
        r_kind = np.where(stray, NONE, r_kind)
        is_artefact &= ~stray
        is_process = kind_in(r_kind, ("wmi", "winrm", "dcom"))
        is_process &= ~activation[relevant]
        is_cloud = r_kind == KINDS.index("cloud_exec")
        scored = is_artefact & (anchored | is_share | is_process | is_cloud)
        # A process seen before its logon is reported again after it (Sysmon 1, then 4688):
        # the early report is not a habit of its own.
        habitual = is_artefact & ~(is_process & ~anchored)
        habit_keys = (r_user << 8) | np.maximum(r_kind, 0)
        habit = self.habits_.at(habit_keys, time)
        weights = habitual.astype(np.float64)
        habit = habit + decayed_sum_before(habit_keys, time, weights, self.habit_half_life)
        # Peers: other users already seen leaving an artefact of the same name.
        name = batch.column("object")[relevant].astype(np.int64)
        named = is_artefact & (name >= 0)
        name_keys = np.where(named, pair_keys(r_user, np.maximum(name, 0)), -1)
        seen, _ = self.named_.lookup(name_keys)
        prior_same, first_same = group_order(name_keys)
        first_sighting = named & (seen == 0) & (prior_same == 0)
        users_before = grow(self.name_users_, max(int(name.max()) + 1 if len(name) else 0, 1), 0)[
            np.maximum(name, 0)
        ] + group_cumsum_before(np.maximum(name, 0), first_sighting.astype(np.float64))
        peers = np.where(named, users_before - ((seen > 0) | (prior_same > 0)), 0.0)
        # The account's own earlier artefacts of the same name (a deployment tool's service
        # installed host after host, its installer copied each time): one more is its routine.
        # Not for shares and pipes (every ADMIN$ is called that) nor WMI/WinRM children (a
        # shell is a shell): there the kind's habit is all there is.
        own_named = named & kind_in(r_kind, OWN_NAME_KINDS)
        repeats = np.where(own_named, seen + prior_same, 0.0)
        # Source prior: other accounts' artefacts from the same machine (a management host,
        # a deployment server). One account's own repetitions are its habit, not the source's:
        # an attacker on a foothold machine does not teach it.
        origin = np.where(anchored, logon_src, np.where(is_share, sources, -1))
        has_origin = is_artefact & (origin >= 0)
        origin_w = (habitual & has_origin).astype(np.float64)
        src_keys = np.maximum(origin, 0)
        src_user_keys = pair_keys(r_user, src_keys)
        from_src = self.origin_.at(src_keys, time) + decayed_sum_before(
            src_keys, time, origin_w, self.habit_half_life
        )
        own_src = self.origin_user_.at(src_user_keys, time) + decayed_sum_before(
            src_user_keys, time, origin_w, self.habit_half_life
        )
        # ... and only from a machine at least ``origin_accounts`` other accounts run it from:
        # one admin's own laptop is not a management host for the next account on it.
        _, pair_last = self.origin_user_.table.lookup(src_user_keys)
        grouped = np.where(origin_w > 0, src_user_keys, -1 - np.arange(len(relevant)))
        prior_pair, _ = group_order(grouped)
        new_pair = (origin_w > 0) & np.isnan(pair_last) & (prior_pair == 0)
        accounts, _ = self.origin_accounts_.lookup(src_keys)
        accounts = accounts + group_cumsum_before(src_keys, new_pair.astype(np.float64))
        other_accounts = accounts - (own_src > 0)
        managed = has_origin & (other_accounts >= self.origin_accounts)
        others_src = np.where(managed, np.maximum(from_src - own_src, 0.0), 0.0)
        # Whose machine the source is: decayed network logons from it, all accounts' and the
        # account's own (a logon row is keyed by its source, an artefact by its origin).
        logon_w = (is_logon & (sources >= 0)).astype(np.float64)
        where = np.where(is_logon, sources, origin)
        where_keys = np.maximum(where, 0)
        where_user_keys = pair_keys(r_user, where_keys)
        src_total = self.src_logons_.at(where_keys, time) + decayed_sum_before(
            where_keys, time, logon_w, self.habit_half_life
        )
        src_own = self.src_user_logons_.at(where_user_keys, time) + decayed_sum_before(
            where_user_keys, time, logon_w, self.habit_half_life
        )
        src_others = np.maximum(src_total - src_own, 0.0)
        # A WMI/WinRM child after a logon from someone else's machine (other accounts log on
        # from it, more than this one) that is no management host: the account's WMI habit
        # from its own admin hosts does not excuse a shell run from an office workstation, and
        # other admins' cmd.exe is no peer of it. Only its own runs from there count.
        # Where other accounts run remote execution too (an admin host, a deployment server,
        # even one other admin's) it is not someone's desk.
        foreign = (
            is_process
            & anchored
            & (origin >= 0)
            & ~managed
            & (from_src - own_src < self.foreign_others_runs)
            & (src_others >= self.resident_logons)
            & (src_others > src_own)
        )
        kind_habit = habit
        habit = np.where(foreign, np.minimum(habit, own_src * self.foreign_habit_weight), habit)
        # Cloud commands: the principal's own runs on this instance, and their runs anywhere
        # over ``fleet_scale`` (an attacker's sweep over instances scores on each of them).
        cloud_w = is_cloud.astype(np.float64)
        on_instance = self.cloud_.at(keys, time) + decayed_sum_before(
            keys, time, cloud_w, self.habit_half_life
        )
        habit = np.where(is_cloud, on_instance + kind_habit / self.fleet_scale, habit)
        peers = np.where(foreign, 0.0, peers)
        host_first, tenant_first = self._first_seen(batch, relevant)
        fresh = (
            kind_in(r_kind, FRESH_HOST_KINDS)
            & (host_first <= time - self.window)
            & (time - host_first <= self.fresh_host)
            & (host_first - tenant_first >= DAY)
        )
        base = BASE_POINTS[np.maximum(r_kind, 0)]
        drops = np.flatnonzero(r_kind == KINDS.index("exe_drop"))
        if len(drops):
            on_drive = value_mask(batch, "object", relevant[drops], on_drive_share)
            base[drops[on_drive]] = DRIVE_DROP_POINTS
        children = np.flatnonzero(is_process)
        if len(children):
            base[children[value_mask(batch, "object", relevant[children], is_shell)]] = (
                SHELL_CHILD_POINTS
            )
        base[activation[relevant]] = DCOM_ACTIVATION_POINTS
        points = np.where(
            scored,
            base
            * self.points_scale
            * np.where(anchored | is_share | is_cloud, 1.0, self.unanchored_weight)
            / (1.0 + habit)
            / (1.0 + repeats)
            / (1.0 + np.maximum(peers, 0.0))
            / (1.0 + others_src / self.origin_scale)
            * np.where(fresh, self.fresh_host_weight, 1.0),
            0.0,
        )
        del first_same
        flagged = scored & (points >= self.min_points)
        return {
            "rows": relevant,
            "user": r_user,
            "dst": r_dst,
            "kind": r_kind,
            "keys": keys,
            "habit_keys": habit_keys,
            "time": time,
            "gap": gap,
            "anchored": anchored,
            "logon_row": source,
            "is_logon": is_logon,
            "is_artefact": is_artefact,
            "habitual": habitual,
            "habit": habit,
            "kind_habit": kind_habit,
            "peers": peers,
            "repeats": repeats,
            "others_src": others_src,
            "origin": origin,
            "has_origin": has_origin,
            "foreign": foreign,
            "is_cloud": is_cloud,
            "on_instance": on_instance,
            "src_others": src_others,
            "src_own": src_own,
            "where": where,
            "new_pair": new_pair,
            "sources": sources,
            "name": name,
            "name_keys": name_keys,
            "first_sighting": first_sighting,
            "fresh": fresh,
            "host_first": host_first,
            "points": points,
            "flagged": flagged,
        }

    def _first_seen(self, batch: EventBatch, relevant: Int64Array) -> tuple[FloatArray, FloatArray]:
        """When the feed first saw each relevant row's host (any event naming it as the
        destination: its user's console logon counts as much as a network one) and its tenant
        (NaN: never; earlier rows of the batch count, rows in time order)."""
        n = len(batch)
        every = np.flatnonzero(batch.column("dst_host") >= 0)
        host_first = np.full(n, np.nan)
        if len(every):
            hosts = batch.column("dst_host")[every].astype(np.int64)
            size = int(hosts.max()) + 1
            stored = gather_times(self.host_first_, size, hosts)
            _, first_row = group_order(hosts)
            host_first[every] = np.where(np.isnan(stored), batch.time[every][first_row], stored)
        tenant = batch.tenant.astype(np.int64)
        tenant_first = first_times(self.tenant_first_, np.nan, tenant, batch.time)
        return host_first[relevant], tenant_first[relevant]

    @staticmethod
    def _sourceless_network_logons(batch: EventBatch) -> BoolArray:
        """Successful network logons (type 3) by a user that name no source at all.

        PowerShell remoting's Kerberos logon on the target often carries neither an address nor
        a workstation name (Security-Datasets' two PSRemoting captures); it is still the
        account arriving over the network, and what ``wsmprovhost.exe`` starts seconds later
        runs in it. Only an anchor here: the lateral detectors need a source to judge a path.
        """
        mask: BoolArray = batch.action_mask(frozenset({Action.LOGON}))
        mask &= batch.outcome_is(Outcome.SUCCESS)
        mask &= (batch.column("user") >= 0) & (batch.column("dst_host") >= 0)
        mask &= (batch.column("src_host") < 0) & (batch.column("src_ip") < 0)
        rows = np.flatnonzero(mask)
        if not len(rows):
            return mask
        keep = value_mask(batch, "logon_type", rows, lambda v: v.lower() in ("3", "network"))
        keep &= ~value_mask(batch, "user", rows, NOT_USERS.__contains__)
        out = np.zeros(len(batch), dtype=np.bool_)
        out[rows[keep]] = True
        return out

    def score(self, batch: EventBatch, builder: BatchBuilder) -> Signals:
        view = self._view(batch)
        flagged = view["flagged"]
        signals = flagged_signals(self, view, "user")
        if not len(signals):
            return signals
        rows = signals.rows
        users, hosts = builder.vocab["user"], builder.vocab["host"]
        for index, row in enumerate(rows.tolist()):
            event = batch.events[row]
            kind = KINDS[int(view["kind"][flagged][index])]
            who = users.value(int(view["user"][flagged][index]))
            host = hosts.value(int(view["dst"][flagged][index]))
            obj = event.object
            if kind in ("wmi", "winrm", "dcom"):
                obj = event.object.replace("/", "\\").rsplit("\\", 1)[-1] or "a process"
            what = DESCRIPTION[kind].format(obj=obj, host=host)
            habit = float(view["habit"][flagged][index])
            if bool(view["anchored"][flagged][index]):
                logon_row = int(view["logon_row"][flagged][index])
                origin = ""
                if logon_row >= 0:
                    logon = batch.events[logon_row]
                    source = logon.src_host or logon.src_ip
                    origin = f" from {source}" if source else ""
                when = f" {float(view['gap'][flagged][index]):.0f} s after a network logon{origin}"
            elif event.src_host or event.src_ip:
                when = f" from {event.src_host or event.src_ip}"
            else:
                when = " with no network logon seen"
            baseline = (
                f"{habit:.1f} earlier {kind} artefacts by {who} (decayed, 30-day half-life); "
                f"{KIND_MITRE[kind]}"
            )
            if kind == "cloud_exec":
                baseline = (
                    f"{float(view['on_instance'][flagged][index]):.1f} earlier commands by {who} "
                    f"on {host}, {float(view['kind_habit'][flagged][index]):.1f} on any instance "
                    f"(decayed, 30-day half-life; those count 1/{self.fleet_scale:g} each); "
                    f"{KIND_MITRE[kind]}"
                )
            if bool(view["foreign"][flagged][index]):
                others = float(view["src_others"][flagged][index])
                own = float(view["src_own"][flagged][index])
                elsewhere = float(view["kind_habit"][flagged][index])
                what += (
                    f", from a machine other accounts log on from ({others:.1f} decayed network "
                    f"logons, {who}'s {own:.1f})"
                )
                baseline = (
                    f"{habit:.1f} earlier remote-execution artefacts by {who} from this source; "
                    f"its {elsewhere:.1f} {kind} runs from elsewhere (decayed, 30-day half-life) "
                    f"do not excuse it; {KIND_MITRE[kind]}"
                )
            if bool(view["fresh"][flagged][index]):
                age = (
                    float(view["time"][flagged][index]) - float(view["host_first"][flagged][index])
                ) / HOUR
                when += (
                    f", {age:.1f} h after {host} was first seen (a host being brought into "
                    f"service: x{self.fresh_host_weight:g})"
                )
            signals.titles.append(
                f"{who} {what}{when} ({who} did this {habit:.1f} times in the last 30 days)"
            )
            signals.observed.append(f"{kind} on {host}: {event.object}")
            signals.row_mitre.append((KIND_MITRE[kind],))
            signals.baseline.append(baseline)
        return signals

    @changes_state
    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        view = self._view(batch)
        self._learn_first_seen(batch)
        rows = view["rows"]
        if len(rows) == 0:
            return
        time = view["time"]
        first = view["first_sighting"]
        if first.any():
            names = view["name"][first]
            users = grow(self.name_users_, int(names.max()) + 1, 0).astype(np.int64)
            self.name_users_ = narrow_counts(users + np.bincount(names, minlength=len(users)))
        named = view["name_keys"] >= 0
        self.named_.add(view["name_keys"][named], time[named])
        logons = view["is_logon"]
        self.logons_.latest_at("last", view["keys"][logons], time[logons])
        self._remember_sources(view["keys"][logons], view["sources"][logons])
        from_src = logons & (view["sources"] >= 0)
        src = view["sources"][from_src]
        self.src_logons_.accumulate(src, time[from_src])
        self.src_user_logons_.accumulate(pair_keys(view["user"][from_src], src), time[from_src])
        keep = view["habitual"] & ~held_back[rows]
        self.habits_.accumulate(view["habit_keys"][keep], time[keep])
        cloud = view["is_cloud"] & ~held_back[rows]
        self.cloud_.accumulate(view["keys"][cloud], time[cloud])
        keep &= view["has_origin"]
        origin = view["origin"][keep]
        new_pair = view["new_pair"] & ~held_back[rows]
        self.origin_accounts_.add(view["origin"][new_pair], time[new_pair])
        self.origin_.accumulate(origin, time[keep])
        self.origin_user_.accumulate(pair_keys(view["user"][keep], origin), time[keep])

    def _learn_first_seen(self, batch: EventBatch) -> None:
        """Every host's and tenant's first event (a fact, not a habit: held-back rows count)."""
        if not len(batch):
            return
        every = np.flatnonzero(batch.column("dst_host") >= 0)
        if len(every):
            hosts = batch.column("dst_host")[every].astype(np.int64)
            self.host_first_ = grow(self.host_first_, int(hosts.max()) + 1, NEVER)
            fold_first_times(self.host_first_, hosts, batch.time[every])
        tenant = batch.tenant.astype(np.int64)
        self.tenant_first_ = grow(self.tenant_first_, int(tenant.max()) + 1, np.nan)
        fold_extreme(self.tenant_first_, tenant, batch.time)

    def _remember_sources(self, keys: Int64Array, sources: Int64Array) -> None:
        """The source of each (user, host)'s last network logon (rows in time order; the keys
        are in ``logons_`` already)."""
        if len(keys) == 0:
            return
        last = len(keys) - 1 - unique1d(keys[::-1], return_index=True)[1]
        values = np.where(sources[last] >= 0, sources[last], NO_SOURCE).astype(np.uint32)
        self._store_sources(keys[last], values)

    def _store_sources(self, keys: Int64Array, values: npt.NDArray[np.uint32]) -> None:
        """Set the source keys (``uint32``, NO_SOURCE: none) of ``keys`` (present)."""
        narrow = narrow_ids(values)
        if narrow.dtype != np.uint16:
            self._widen_sources()
        column = self.logons_["src"]
        self.logons_.set_at("src", keys, narrow if column.dtype == np.uint16 else values)

    def _widen_sources(self) -> None:
        """The source column in ``uint32`` from now on (a key >= 2**16 - 1 arrived)."""
        table = self.logons_
        if table["src"].dtype == np.uint32:
            return
        table.retype("src", wide_ids(table["src"]), int(NO_SOURCE))

    def logon_sources(self, keys: Int64Array) -> npt.NDArray[np.uint32]:
        """Source key (NO_SOURCE: none, or no logon known) of each (user, host) ``keys``' last
        network logon."""
        return wide_ids(self.logons_.get("src", keys))

    @property
    def logon_src_(self) -> np.ndarray:
        """Source key (``uint32``, NO_SOURCE: none) of each (user, host)'s last network logon,
        aligned with the keys."""
        return wide_ids(self.logons_["src"])

    @property
    def user_host_pairs(self) -> KeyedColumns:
        """Its (user, destination) pairs: keys shared with the detectors that watch the same
        remote logons (:func:`detectors._pair_columns.share_user_hosts`)."""
        return self.logons_

    def state(self) -> StateDict:
        return {
            **self.logons_.keys_state("logons_keys"),
            "logons_last": self.logons_["last"],
            **self.habits_.state("habits_"),
            **self.named_.state("named_"),
            "name_users": self.name_users_,
            "logon_src": narrow_ids(self.logon_src_),  # (16 bits while the ids fit)
            **self.origin_.state("origin_"),
            **self.origin_user_.state("origin_user_"),
            **self.origin_accounts_.state("origin_accounts_"),
            **self.src_logons_.state_beside("src_logons_", self.src_user_logons_),
            **self.src_user_logons_.state("src_user_logons_"),
            **self.cloud_.state("cloud_"),
            "host_first": self.host_first_,
            "tenant_first": self.tenant_first_,
        }

    @changes_state
    def load_state(self, state: StateDict) -> None:
        last = np.asarray(state["logons_last"])  # (float64 before whole seconds: rounded down)
        src = narrow_ids(wide_ids(state.get("logon_src", np.full(len(last), NO_SOURCE))))
        if src.dtype != np.uint16:
            self._widen_sources()
        elif self.logons_["src"].dtype != np.uint16:
            src = wide_ids(src)
        self.logons_.load_state(state, "logons_keys", {"last": last, "src": src})
        self.habits_.load_state(state, "habits_")
        self.named_.load_state(state, "named_")
        self.name_users_ = narrow_counts(state["name_users"])  # (float64 in older snapshots)
        if "logon_src" in state:  # (snapshots from before the source prior have none)
            self.origin_.load_state(state, "origin_")
            self.origin_user_.load_state(state, "origin_user_")
            self.origin_accounts_.load_state(state, "origin_accounts_")
        else:
            self.origin_ = DecayedTable(self.habit_half_life)
            self.origin_user_ = DecayedTable(self.habit_half_life)
            self.origin_accounts_ = PairTable(WHOLE_COUNTS, times=False, narrow_keys=True)
        self.src_logons_ = DecayedTable(self.habit_half_life)
        self.src_user_logons_ = DecayedTable(self.habit_half_life)
        if "src_logons_counts" in state:  # (snapshots from before round 12 have none)
            self.src_logons_.load_state_beside(state, "src_logons_", "src_user_logons_")
            self.src_user_logons_.load_state(state, "src_user_logons_")
        self.cloud_ = DecayedTable(self.habit_half_life)
        if "cloud_keys" in state:  # (snapshots from before round 13 have none)
            self.cloud_.load_state(state, "cloud_")
        # (snapshots from before round 23 have none: every host is then as old as the restart)
        self.host_first_ = np.asarray(state.get("host_first", np.empty(0)), dtype=SECONDS)
        self.tenant_first_ = np.asarray(state.get("tenant_first", np.empty(0)), dtype=np.float64)


__all__ = ["KINDS", "FloatArray", "RemoteExecution", "exec_kind", "parent_kind", "share_kind"]
