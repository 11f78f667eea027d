"""Account lifecycle anomalies, audit-log clearing and service installs by unusual actors.

Rule-like signals with rarity: clearing an audit log (1102/104, CloudTrail StopLogging /
DeleteTrail / DeleteFlowLogs ...) is strong on its own; creating, enabling or resetting the
password of a privileged account (by its name, or because the tenant has seen it use special
privileges: 4672, sudo to root), creating access keys for someone else, disabling MFA and
installing a service (7045/4697) weigh by how unusual the action is for the actor. An admin who
does it every day decays to quiet; a user who never did it gets the full weight. Before the
actor's learning period ends (short captures, new accounts) the weight is partial, so
rule-strength findings such as a cleared log still stand out. One install reported twice (the
System log's 7045 and the Security log's 4697 of the same service on the same host, within
``same_install_seconds``) is one finding: the second report is learned as before but reports
nothing (round 25; it added ~0.7 of the first one's points in the risk layer).

>>> from datetime import UTC, datetime, timedelta
>>> import numpy as np
>>> from detectors.batch import BatchBuilder
>>> from schemas.event import Action, Event
>>> t = datetime(2024, 1, 1, 9, tzinfo=UTC)
>>> cleared = Event(time=t, tenant="t", source_format="test", action=Action.LOG_CLEARED,
...                 user="bob", dst_host="dc1", object="Security", event_id="1102")
>>> builder, detector = BatchBuilder(), AccountLifecycle()
>>> signals = detector.score(builder.build([cleared]), builder)
>>> round(float(signals.points[0]))
75
>>> signals.titles[0]  # doctest: +NORMALIZE_WHITESPACE
'bob cleared the Security audit log on dc1 (1102), first time for them
 (bob: 0 events in 0 days, still learning their baseline)'
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np

from detectors._exact import exact_narrow
from detectors._rotation import key_rotations
from detectors._sort import unique1d
from detectors.base import (
    WHOLE_COUNTS,
    PairTable,
    StateDict,
    bump_counts,
    gather,
    group_cumsum_before,
    grow,
    narrow_counts,
    pair_keys,
)
from detectors.batch import (
    ACTION_CODE,
    BatchBuilder,
    BoolArray,
    EventBatch,
    FloatArray,
    Int64Array,
    IntArray,
)
from detectors.lateral import group_last_before, value_mask
from detectors.privileged_action import (
    DAY,
    Features,
    RarityDetector,
    baseline_text,
    kind_code,
    rarity_weight,
)
from detectors.registry import register
from schemas.event import Action, Event, Outcome
from schemas.sensitive import PRIVILEGED_USERS

_WATCHED = frozenset({Action.ACCOUNT_CHANGE, Action.LOG_CLEARED, Action.REMOTE_EXEC})
_SERVICE_INSTALL_IDS = frozenset({"7045", "4697"})
#: ACCOUNT_CHANGE verb -> weight when the target is an ordinary account.
_VERB_WEIGHT: dict[str, float] = {
    "created": 20.0,
    "enabled": 20.0,
    "password_reset": 20.0,
    "password_set": 20.0,
    "access_key_created": 15.0,
    "access_key_activated": 15.0,
    "ssh_key_added": 15.0,
    "mfa_disabled": 25.0,
    "uid_changed": 20.0,
    "sid_history_added": 60.0,
    "dsrm_password_set": 60.0,
}
_DEFAULT_VERB_WEIGHT = 8.0
#: Re-enabling an account this tenant saw disabled: an offboarded or dormant account brought
#: back is how stolen or left-over credentials get a second life (T1078, T1098).
_REENABLED_WEIGHT = 45.0
#: A kind code outside the Action codes, for re-enabled accounts (see ``_select``).
_REENABLED_ACTION = 31
#: Formats whose "log cleared" is a cloud audit trail switched off (T1562.008), not an event log.
_CLOUD_FORMATS = frozenset({"cloudtrail", "okta", "entra", "ocsf"})
_DISABLE_VERBS = frozenset({"disabled", "deactivated", "suspended", "locked"})
_ENABLE_VERBS = frozenset({"enabled", "activated", "unsuspended", "unlocked", "reactivated"})
#: Verbs that, done to a privileged account (or to someone else's keys), weigh like this.
_PRIVILEGED_WEIGHT = 45.0
_OTHER_KEY_WEIGHT = 30.0
# Credentials created for someone else; a password reset of an ordinary account is helpdesk
# routine and keeps its verb weight.
_KEY_VERBS = frozenset({"access_key_created", "access_key_activated", "ssh_key_added"})
#: What follows the creation of an account as part of setting it up (4720 -> 4722 -> 4724).
_PROVISIONING_VERBS = frozenset({"enabled", "password_reset", "password_set", "unlocked"})
#: A kind code outside the Action codes, for ssh keys planted with sudo (see ``_key_plants``).
_KEY_PLANT_ACTION = 30
#: A key planted for root (or another built-in admin): a way in as root without a password
#: that survives every password change, as strong as a SID-history backdoor (high alone).
_ROOT_KEY_WEIGHT = 65.0
#: A kind code outside the Action codes, for remote sign-ins as a built-in admin account.
_BUILTIN_LOGON_ACTION = 29
#: Signing in from another machine *as* root / Administrator (ssh, RDP, the AWS root user)
#: rather than as oneself: no person behind it, what hardening guides forbid; medium alone,
#: even for an account the tenant never saw sign in before.
_BUILTIN_LOGON_WEIGHT = 55.0
#: Programs that only read or re-permission a file: a sudo command line that names an
#: ``authorized_keys`` file through one of them (without a redirection) adds no key.
_KEY_FILE_READERS = frozenset(
    {
        "cat", "less", "more", "head", "tail", "grep", "egrep", "fgrep", "ls", "stat", "wc",
        "diff", "md5sum", "sha256sum", "sha1sum", "file", "view", "ssh-keygen", "chmod",
        "chown", "getfacl", "lsattr",
    }
)  # fmt: skip
_HOME_KEYS = re.compile(r"/home/([^/\s]+)/\.ssh/authorized_keys")
#: A kind code outside the Action codes, for accounts given uid 0 with sudo (a second root).
_SECOND_ROOT_ACTION = 28
#: ``useradd -o -u 0 NAME`` / ``usermod -u 0 NAME``: another name for root, with its own
#: password, that survives root's password change and hides among daemon accounts (T1136.001,
#: T1078.003). No admin task needs it: as strong as a key planted for root.
_UID_ZERO = re.compile(
    r"(?:^|[\s/])(?:useradd|adduser|usermod|luseradd|lusermod)\b.*?"
    r"(?:\s-[a-zA-Z]*u\s*0(?:\s|$)|\s--uid[=\s]0(?:\s|$))"
)
#: Shadow-utils events (the syslog parser's ids) whose ``privileged`` flag means uid 0: a
#: user created with uid 0 or an account's uid changed to 0.
_UID_ZERO_EVENTS = frozenset({"useradd.new_user", "usermod.uid_change"})
#: A computer account created (4741) by an account the tenant never saw use special
#: privileges: any domain user may join ten machines (ms-DS-MachineAccountQuota), and a
#: computer account with a password the creator chose is the foothold of RBCD and noPac
#: (Powermad, ``addcomputer.py``; T1136.002). IT joins machines from admin sessions (4672).
_ORDINARY_JOIN_WEIGHT = 50.0
_JOIN_VERB = "computer_created"


def is_computer_creation(verb: str) -> bool:
    """An account change's verb (``object``) for a computer account created (4741)."""
    return verb == _JOIN_VERB


def computer_creations(batch: EventBatch) -> Int64Array:
    """Rows where a named account created a computer account (4741), ascending."""
    mask = batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE]
    mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
    rows = np.flatnonzero(mask).astype(np.int64)
    return rows[value_mask(batch, "object", rows, is_computer_creation)]


def key_plant_target(command: str, run_as: str) -> str:
    """The account whose ``authorized_keys`` a sudo command line writes, or "" when it only
    reads one (or names none). ``/root/...`` is root's, ``/home/NAME/...`` is NAME's, a
    relative or other path is the run-as account's (T1098.004: a key planted for another
    account lets its holder log on as that account, without a password, for good).

    >>> key_plant_target("/usr/bin/tee -a /root/.ssh/authorized_keys", "root")
    'root'
    >>> key_plant_target("/bin/sh -c echo AAAA >> /home/deploy/.ssh/authorized_keys", "root")
    'deploy'
    >>> key_plant_target("/usr/bin/cat /root/.ssh/authorized_keys", "root")
    ''
    """
    if "authorized_keys" not in command:
        return ""
    program = command.split(maxsplit=1)[0].rsplit("/", 1)[-1] if command.strip() else ""
    if program in _KEY_FILE_READERS and ">" not in command:
        return ""
    home = _HOME_KEYS.search(command)
    if home is not None:
        return home.group(1).lower()
    if "/root/" in command:
        return "root"
    return run_as


def second_root_command(command: str) -> bool:
    """True when a command line gives an account uid 0 (creates one, or changes one's uid).

    >>> second_root_command("/usr/sbin/useradd -o -u 0 -g 0 -M -d /root sysupdate")
    True
    >>> second_root_command("/usr/sbin/usermod --uid=0 backup")
    True
    >>> second_root_command("/usr/sbin/useradd -u 1005 -m alice")
    False
    """
    return _UID_ZERO.search(command) is not None


@register
class AccountLifecycle(RarityDetector):
    """Log clearing (strong), privileged account creation/enable/reset, service installs.

    Points: ``weight * (lead + (1 - lead) * m * (1 - p)) * max(r, floor)`` where ``weight`` is
    the action's rule weight, ``m`` 1 past the actor's learning period (``immature_weight``
    before), ``p`` the share of users who do this kind, ``r`` the rarity of the kind for the
    actor (1 never ... ~0 daily); ``floor`` keeps routine log clearing faintly visible.
    """

    name: ClassVar[str] = "account_lifecycle"
    mitre: ClassVar[tuple[str, ...]] = (
        "T1136",
        "T1098",
        "T1098.001",
        "T1070.001",
        "T1562.008",
        "T1543.003",
        "T1569.002",
        "T1098.004",
        "T1078.003",
        "T1136.001",
        "T1136.002",
    )

    def __init__(
        self,
        *,
        log_cleared_weight: float = 100.0,
        service_weight: float = 40.0,
        lead: float = 0.5,
        immature_weight: float = 0.5,
        log_floor: float = 0.1,
        provisioning_minutes: float = 60.0,
        provisioning_weight: float = 0.2,
        same_install_seconds: float = 60.0,
        **kwargs: float,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        if not 0 <= lead <= 1 or not 0 <= immature_weight <= 1 or not 0 <= log_floor <= 1:
            raise ValueError("account_lifecycle: lead, immature_weight, log_floor in [0, 1]")
        self.log_cleared_weight = log_cleared_weight
        self.service_weight = service_weight
        self.lead = lead
        self.immature_weight = immature_weight
        self.log_floor = log_floor
        self.provisioning_seconds = provisioning_minutes * 60.0
        self.provisioning_weight = provisioning_weight
        self.same_install_seconds = same_install_seconds
        # target account id -> times seen disabled
        self.disabled_ = PairTable(WHOLE_COUNTS, times=False)
        # user id -> privileged uses seen (4672 special privileges, sudo to root): accounts the
        # tenant has seen act as admins are privileged targets whatever their names
        self.privileged_uses_ = narrow_counts([])  # whole counts, kept narrow
        self.created_ = PairTable()  # target account id -> times created, last creation
        # (host, service name) -> last report of its install (keys in 32 bits while they fit)
        self.installs_ = PairTable(tally=False, narrow_keys=True)
        # user id -> 1 once the tenant saw the account given uid 0 (useradd/usermod): a
        # remote sign-in as it is one as root, whatever its name
        self.uid_zero_ = np.empty(0, dtype=np.uint8)

    def _select(self, batch: EventBatch) -> tuple[Int64Array, IntArray, Int64Array]:
        mask = batch.action_mask(_WATCHED) & batch.outcome_is(Outcome.SUCCESS)
        mask &= batch.column("user") >= 0
        grant = self._granted_after_creation(batch)
        mask |= grant
        plants = self._key_plants(batch)
        mask |= plants
        roots = self._second_roots(batch)
        mask |= roots
        builtin = self._builtin_logons(batch)
        mask |= builtin
        remote = batch.action == ACTION_CODE[Action.REMOTE_EXEC]
        mask &= ~remote | self._service_installs(batch)
        # A key created for oneself and the old one retired minutes later is a rotation
        # (detectors/_rotation.py): no new credential to judge.
        mask &= ~key_rotations(batch)
        rows = np.flatnonzero(mask).astype(np.int64)
        action = batch.action[rows]
        account = action == ACTION_CODE[Action.ACCOUNT_CHANGE]
        # Services are told apart by name: an admin tool many admins install (PSEXESVC) is
        # routine for the team, a random name is not.
        service = action == ACTION_CODE[Action.REMOTE_EXEC]
        sub = np.where(account | service, batch.column("object")[rows], -1)
        privileged = batch.privileged[rows] | self._privileged_target(batch)[rows]
        kind = kind_code(action, account & privileged, sub)
        # Setting the first password of (or enabling) an account created minutes before is
        # part of creating it, not the takeover path a reset of an admin's password is: its
        # actor (the identity admin provisioning a new administrator) must not become a peer
        # that halves the surprise of someone else resetting an existing admin's password.
        setup = self._provisioning(batch)[rows]
        kind = np.where(setup, kind_code(action, np.zeros(len(rows), np.bool_), sub), kind)
        # A sensitive-group grant to an account created minutes before completes the creation
        # of a privileged account (net user /add, then net localgroup administrators /add): its
        # own kind, whatever the new account is called.
        kind = np.where(grant[rows], kind_code(action, np.ones(len(rows), np.bool_), sub), kind)
        # A machine joined by an ordinary account is its own kind: the admins who join laptops
        # every week are no peers of it.
        joined = self._ordinary_joins(batch)[rows]
        kind = np.where(joined, kind_code(action, np.ones(len(rows), np.bool_), sub), kind)
        # Bringing back one disabled account is its own kind, per target: a helpdesk admin who
        # enables new accounts every week has never brought back *this* one.
        reenabled = self._reenabled(batch, rows)
        if reenabled.any():
            target = batch.column("target_user")[rows[reenabled]]
            kind[reenabled] = kind_code(
                np.full(len(target), _REENABLED_ACTION), np.ones(len(target), np.bool_), target
            )
        signed_in = builtin[rows]
        if signed_in.any():
            n = int(signed_in.sum())
            kind[signed_in] = kind_code(
                np.full(n, _BUILTIN_LOGON_ACTION), np.ones(n, np.bool_), np.full(n, -1)
            )
        # An ssh key planted for another account with sudo: one kind per actor.
        planted = plants[rows]
        if planted.any():
            n = int(planted.sum())
            kind[planted] = kind_code(
                np.full(n, _KEY_PLANT_ACTION), np.ones(n, np.bool_), np.full(n, -1)
            )
        second = roots[rows]
        if second.any():
            n = int(second.sum())
            kind[second] = kind_code(
                np.full(n, _SECOND_ROOT_ACTION), np.ones(n, np.bool_), np.full(n, -1)
            )
        return rows, batch.column("user")[rows], kind

    @staticmethod
    def _service_installs(batch: EventBatch) -> BoolArray:
        """Successful service installs (7045/4697) by a named actor (once a batch: score, its
        features and learn all ask; read-only)."""
        cached: BoolArray | None = batch.derived.get("service_installs")
        if cached is None:
            mask: BoolArray = batch.action == ACTION_CODE[Action.REMOTE_EXEC]
            mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
            for row in np.flatnonzero(mask).tolist():
                mask[row] = batch.events[row].event_id in _SERVICE_INSTALL_IDS
            mask.flags.writeable = False
            cached = batch.derived["service_installs"] = mask
        return cached

    def _install_keys(self, batch: EventBatch, rows: Int64Array) -> Int64Array:
        """(host, service name) keys of service-install rows (-1 where either is unknown)."""
        host = batch.column("dst_host")[rows]
        service = batch.column("object")[rows]
        known = (host >= 0) & (service >= 0)
        keys: Int64Array = np.where(known, pair_keys(host, service), -1)
        return keys

    def _second_reports(self, batch: EventBatch, installs: BoolArray) -> Int64Array:
        """Rows of ``installs`` (service installs) reporting an install of the same service
        on the same host already reported within ``same_install_seconds`` before them
        (earlier rows of the batch, else state): the System log's 7045 and the Security log's
        4697 of one install, or an agent's retry."""
        rows = np.flatnonzero(installs).astype(np.int64)
        keys = self._install_keys(batch, rows)
        rows, keys = rows[keys >= 0], keys[keys >= 0]
        if not len(rows):
            return rows
        time = batch.time[rows]
        previous = group_last_before(keys, np.ones(len(rows), dtype=np.bool_))
        _, stored_last = self.installs_.lookup(keys)
        last = np.where(previous >= 0, time[np.maximum(previous, 0)], stored_last)
        second: Int64Array = rows[time - last <= self.same_install_seconds]  # NaN: False
        return second

    def _builtin_logons(self, batch: EventBatch) -> BoolArray:
        """Successful sign-ins from another machine (a non-loopback source address) as a
        built-in admin account (root, Administrator, ...: asked once per distinct user) or as
        an account the tenant saw given uid 0 before the row (state or earlier rows)."""
        mask: BoolArray = batch.action == ACTION_CODE[Action.LOGON]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        mask &= (batch.column("src_ip") >= 0) & ~batch.src_loopback
        rows = np.flatnonzero(mask)
        if not len(rows):
            return mask
        users = batch.column("user")[rows]
        _, first, inverse = unique1d(users, return_index=True, return_inverse=True)
        builtin = [batch.events[row].user in PRIVILEGED_USERS for row in rows[first].tolist()]
        named = np.asarray(builtin, dtype=np.bool_)[inverse.reshape(-1)]
        zero_rows, zero_users = self._uid_zero_marks(batch)
        known = gather(self.uid_zero_, int(users.max()) + 1, 0, users.astype(np.int64)) > 0
        if len(zero_rows):
            # The first row of the batch that gives each account uid 0; a sign-in after it
            # is one as root.
            order = np.lexsort((zero_rows, zero_users))
            ids, at = unique1d(zero_users[order], return_index=True)
            first_row = zero_rows[order][at]
            where = np.searchsorted(ids, users)
            hit = where < len(ids)
            hit[hit] = ids[where[hit]] == users[hit]
            known[hit] |= first_row[where[hit]] < rows[hit]
        mask[rows] = named | known
        return mask

    @staticmethod
    def _uid_zero_marks(batch: EventBatch) -> tuple[Int64Array, Int64Array]:
        """(row, target user id) of shadow-utils events giving an account uid 0."""
        candidates = (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE]) & batch.privileged
        candidates &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("target_user") >= 0)
        rows = np.flatnonzero(candidates)
        keep = [batch.events[int(r)].event_id in _UID_ZERO_EVENTS for r in rows.tolist()]
        rows = rows[np.asarray(keep, dtype=np.bool_)] if len(rows) else rows
        return rows.astype(np.int64), batch.column("target_user")[rows].astype(np.int64)

    def _second_roots(self, batch: EventBatch) -> BoolArray:
        """Successful sudo command lines that give an account uid 0 (asked once per distinct
        command line)."""
        mask: BoolArray = batch.action == ACTION_CODE[Action.PRIVILEGE_USE]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        mask &= batch.column("object") >= 0
        rows = np.flatnonzero(mask)
        if not len(rows):
            return mask
        _, first, inverse = unique1d(
            batch.column("object")[rows], return_index=True, return_inverse=True
        )
        answers = [
            batch.events[row].app == "sudo" and second_root_command(batch.events[row].object)
            for row in rows[first].tolist()
        ]
        mask[rows] = np.asarray(answers, dtype=np.bool_)[inverse.reshape(-1)]
        return mask

    @staticmethod
    def _key_plants(batch: EventBatch) -> BoolArray:
        """Successful sudo command lines that write another account's ``authorized_keys``
        (asked once per distinct command line, not per row)."""
        mask: BoolArray = batch.action == ACTION_CODE[Action.PRIVILEGE_USE]
        mask &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        mask &= batch.column("object") >= 0
        rows = np.flatnonzero(mask)
        if not len(rows):
            return mask
        # (object, user) pairs as one key (both ids >= 0: the pairs' order, first rows and
        # inverse are np.unique(axis=0)'s, without its ~1.5 ms of structured-row sorting)
        keys = pair_keys(batch.column("object")[rows], batch.column("user")[rows])
        _, first, inverse = unique1d(keys, return_index=True, return_inverse=True)
        answers = []
        for row in rows[first].tolist():
            event = batch.events[row]
            target = key_plant_target(event.object, event.target_user)
            answers.append(event.app == "sudo" and target not in ("", event.user))
        mask[rows] = np.asarray(answers, dtype=np.bool_)[inverse.reshape(-1)]
        return mask

    def _extra(self, batch: EventBatch, rows: Int64Array) -> Features:
        action = batch.action[rows]
        weight = np.zeros(len(rows))
        weight[action == ACTION_CODE[Action.LOG_CLEARED]] = self.log_cleared_weight
        weight[action == ACTION_CODE[Action.REMOTE_EXEC]] = self.service_weight
        created_recently = self._created_recently(batch)[rows]
        known_admin = self._privileged_target(batch)[rows]
        for i in np.flatnonzero(action == ACTION_CODE[Action.ACCOUNT_CHANGE]).tolist():
            event = batch.events[int(rows[i])]
            verb_weight = _VERB_WEIGHT.get(event.object, _DEFAULT_VERB_WEIGHT)
            if (event.privileged or known_admin[i]) and verb_weight >= 15.0:
                verb_weight = max(verb_weight, _PRIVILEGED_WEIGHT)
            elif event.object in _KEY_VERBS and event.target_user not in ("", event.user):
                verb_weight = max(verb_weight, _OTHER_KEY_WEIGHT)
            # Enabling an account or setting its first password right after creating it is
            # part of creating it (one action, scored by the creation), not a second finding.
            if event.object in _PROVISIONING_VERBS and created_recently[i]:
                verb_weight *= self.provisioning_weight
            weight[i] = verb_weight
        reenabled = self._reenabled(batch, rows)
        weight = np.where(reenabled, np.maximum(weight, _REENABLED_WEIGHT), weight)
        builtin = self._builtin_logons(batch)[rows]
        weight = np.where(builtin, _BUILTIN_LOGON_WEIGHT, weight)
        planted = self._key_plants(batch)[rows]
        for i in np.flatnonzero(planted).tolist():
            event = batch.events[int(rows[i])]
            target = key_plant_target(event.object, event.target_user)
            weight[i] = _ROOT_KEY_WEIGHT if target in PRIVILEGED_USERS else _OTHER_KEY_WEIGHT
        grant = self._granted_after_creation(batch)[rows]
        weight = np.where(grant, _PRIVILEGED_WEIGHT, weight)
        second = self._second_roots(batch)[rows]
        weight = np.where(second, _ROOT_KEY_WEIGHT, weight)
        joined = self._ordinary_joins(batch)[rows]
        weight = np.where(joined, _ORDINARY_JOIN_WEIGHT, weight)
        log = action == ACTION_CODE[Action.LOG_CLEARED]
        repeated = np.zeros(len(batch), dtype=np.bool_)
        repeated[self._second_reports(batch, self._service_installs(batch))] = True
        return {
            "second_report": repeated[rows],
            "weight": weight,
            "log": log,
            "reenabled": reenabled,
            "admin": known_admin,
            "grant": grant,
            "planted": planted,
            "builtin": builtin,
            "second_root": second,
            "joined": joined,
        }

    def _granted_after_creation(self, batch: EventBatch) -> BoolArray:
        """Sensitive-group grants (by a named actor) to an account created within
        ``provisioning_minutes`` before them (state or earlier rows of the batch)."""
        flags = np.zeros(len(batch), dtype=np.bool_)
        grants = batch.action_mask(frozenset({Action.GROUP_CHANGE})) & batch.privileged
        grants &= batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        grants &= batch.column("target_user") >= 0
        grant_rows = np.flatnonzero(grants)
        if not len(grant_rows):
            return flags
        grant_rows = grant_rows[
            [batch.events[int(r)].reason != "removed" for r in grant_rows.tolist()]
        ]
        account, created = self._created_rows(batch)
        every = np.concatenate([account[created], grant_rows]).astype(np.int64)
        is_creation = np.concatenate(
            [np.ones(int(created.sum()), np.bool_), np.zeros(len(grant_rows), np.bool_)]
        )
        order = np.argsort(every, kind="stable")
        every, is_creation = every[order], is_creation[order]
        target = batch.column("target_user")[every].astype(np.int64)
        time = batch.time[every]
        previous = group_last_before(target, is_creation)
        _, stored_last = self.created_.lookup(target)
        created_at = np.where(previous >= 0, time[np.maximum(previous, 0)], stored_last)
        recent = ~is_creation & (time - created_at <= self.provisioning_seconds)  # NaN: False
        flags[every[recent]] = True
        return flags

    def _ordinary_joins(self, batch: EventBatch) -> BoolArray:
        """Computer accounts created (4741) by a named actor not seen using special privileges
        before the row (state or earlier rows of the batch)."""
        flags = np.zeros(len(batch), dtype=np.bool_)
        rows = computer_creations(batch)
        if not len(rows):
            return flags
        flags[rows] = self._uses_before(batch, rows, batch.column("user")[rows]) == 0
        return flags

    def _privileged_uses(self, batch: EventBatch) -> BoolArray:
        """Rows where an account uses special privileges (4672, sudo to root ...)."""
        mask = batch.action == ACTION_CODE[Action.PRIVILEGE_USE]
        mask &= batch.privileged & batch.outcome_is(Outcome.SUCCESS) & (batch.column("user") >= 0)
        result: BoolArray = mask
        return result

    def _privileged_target(self, batch: EventBatch) -> BoolArray:
        """Account changes whose target was seen using special privileges before the row
        (state or earlier rows of the batch): a password reset of an admin is a takeover
        path whether or not the name says "admin" (T1098 then T1078.002)."""
        flags = np.zeros(len(batch), dtype=np.bool_)
        account = np.flatnonzero(
            (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE])
            & (batch.column("target_user") >= 0)
        )
        if not len(account):
            return flags
        flags[account] = self._uses_before(batch, account, batch.column("target_user")[account]) > 0
        return flags

    def _uses_before(self, batch: EventBatch, rows: Int64Array, accounts: IntArray) -> FloatArray:
        """How often each row's account (``accounts``, one per row) used special privileges
        before the row: in state, and at earlier rows of the batch. ``rows`` are ascending and
        none of them a privileged use (account changes)."""
        uses = np.flatnonzero(self._privileged_uses(batch))
        every = np.concatenate([uses, rows])
        order = np.argsort(every, kind="stable")
        keys = np.concatenate([batch.column("user")[uses], accounts]).astype(np.int64)[order]
        is_use = np.concatenate([np.ones(len(uses)), np.zeros(len(rows))])[order]
        before = group_cumsum_before(keys, is_use)
        stored = gather(self.privileged_uses_, int(keys.max()) + 1, 0, keys).astype(np.float64)
        # (the rows come out of the sort in their own, ascending, order)
        counts: FloatArray = (stored + before)[is_use == 0]
        return counts

    def _disable_marks(self, batch: EventBatch) -> tuple[Int64Array, BoolArray, BoolArray]:
        """Target ids of account changes, and which rows disable / enable the target."""
        account = np.flatnonzero(
            (batch.action == ACTION_CODE[Action.ACCOUNT_CHANGE])
            & (batch.column("target_user") >= 0)
        )
        verbs = [batch.events[int(r)].object for r in account.tolist()]
        disables = np.fromiter((v in _DISABLE_VERBS for v in verbs), np.bool_, len(verbs))
        enables = np.fromiter((v in _ENABLE_VERBS for v in verbs), np.bool_, len(verbs))
        return account.astype(np.int64), disables, enables

    def _created_rows(self, batch: EventBatch) -> tuple[Int64Array, BoolArray]:
        """Account changes with a target, and which of them create the target."""
        account, _, _ = self._disable_marks(batch)
        verbs = [batch.events[int(r)].object for r in account.tolist()]
        created = np.fromiter((v == "created" for v in verbs), np.bool_, len(verbs))
        return account, created

    def _created_recently(self, batch: EventBatch) -> BoolArray:
        """Rows whose target account was created within ``provisioning_minutes`` before them
        (state or earlier rows; by anyone), over the whole batch."""
        account, created = self._created_rows(batch)
        flags = np.zeros(len(batch), dtype=np.bool_)
        if not len(account):
            return flags
        target = batch.column("target_user")[account].astype(np.int64)
        time = batch.time[account]
        previous = group_last_before(target, created)
        _, stored_last = self.created_.lookup(target)
        created_at = np.where(previous >= 0, time[np.maximum(previous, 0)], stored_last)
        flags[account[time - created_at <= self.provisioning_seconds]] = True  # NaN: False
        return flags

    def _provisioning(self, batch: EventBatch) -> BoolArray:
        """Enables and first passwords (``_PROVISIONING_VERBS``) of an account created within
        ``provisioning_minutes`` before them, over the whole batch."""
        flags = self._created_recently(batch)
        rows = np.flatnonzero(flags)
        verbs = [batch.events[int(r)].object in _PROVISIONING_VERBS for r in rows.tolist()]
        flags[rows] = np.asarray(verbs, dtype=np.bool_)
        return flags

    def _reenabled(self, batch: EventBatch, rows: Int64Array) -> BoolArray:
        """Rows that enable an account seen disabled before them (state or earlier rows)."""
        account, disables, enables = self._disable_marks(batch)
        flags = np.zeros(len(batch), dtype=np.bool_)
        if not enables.any():
            return flags[rows]
        target = batch.column("target_user")[account].astype(np.int64)
        before = group_cumsum_before(target, disables.astype(np.float64))
        stored, _ = self.disabled_.lookup(target)
        flags[account[enables & (stored + before > 0)]] = True
        return flags[rows]

    def learn(self, batch: EventBatch, held_back: BoolArray) -> None:
        super().learn(batch, held_back)
        users = batch.column("user")[self._privileged_uses(batch)]
        if len(users):
            size = int(users.max()) + 1
            self.privileged_uses_ = bump_counts(self.privileged_uses_, size, users)
        account, disables, _ = self._disable_marks(batch)
        target = batch.column("target_user")[account[disables]].astype(np.int64)
        self.disabled_.add(target, batch.time[account[disables]])
        account, created = self._created_rows(batch)
        target = batch.column("target_user")[account[created]].astype(np.int64)
        self.created_.add(target, batch.time[account[created]])
        installs = np.flatnonzero(self._service_installs(batch))
        if len(installs):
            keys = self._install_keys(batch, installs.astype(np.int64))
            self.installs_.add(keys[keys >= 0], batch.time[installs[keys >= 0]])
        _, zero = self._uid_zero_marks(batch)
        if len(zero):
            self.uid_zero_ = grow(self.uid_zero_, int(zero.max()) + 1, 0)
            self.uid_zero_[zero] = 1

    def state(self) -> StateDict:
        return {
            **super().state(),
            **self.disabled_.state("disabled_"),
            **self.created_.state("created_"),
            **self.installs_.state("installs_"),
            "privileged_uses": exact_narrow(self.privileged_uses_),  # (whole counts: narrow)
            "uid_zero": self.uid_zero_,
        }

    def load_state(self, state: StateDict) -> None:
        super().load_state(state)
        self.disabled_.load_state(state, "disabled_")
        self.created_ = PairTable()  # state saved before creations were tracked has none
        if "created_keys" in state:
            self.created_.load_state(state, "created_")
        self.installs_ = PairTable(tally=False, narrow_keys=True)  # (none in older state)
        if "installs_keys" in state:
            self.installs_.load_state(state, "installs_")
        # State saved before privileged uses were counted: none known yet.
        self.privileged_uses_ = narrow_counts(state.get("privileged_uses", np.empty(0)))
        # State saved before uid-0 accounts were tracked: none known yet.
        self.uid_zero_ = np.asarray(state.get("uid_zero", np.empty(0)), dtype=np.uint8)

    def _points(self, count: FloatArray, feats: Features) -> FloatArray:
        maturity = np.where(feats["mature"], 1.0, self.immature_weight)
        # Peers: each other user who already does this kind halves, thirds... the surprise.
        # (Bringing back a disabled account is judged by its target, not by who usually does it;
        # giving an account uid 0 is no team's habit: another user who did it before is not a
        # peer that excuses it, but a second incident; nor is another ordinary account that
        # joined a machine: each one spent the quota on an identity of its own.)
        alone = feats["reenabled"] | feats["second_root"] | feats["joined"]
        peers = np.where(alone, 1.0, 1.0 / (1.0 + feats["users_of_kind"]))
        unusual = self.lead * peers + (1.0 - self.lead) * maturity * peers
        rarity = rarity_weight(count)
        rarity = np.where(feats["log"], np.maximum(rarity, self.log_floor), rarity)
        points: FloatArray = feats["weight"] * unusual * rarity
        return points

    def _reported(self, view: Features) -> FloatArray:
        """One install reported twice (7045 in System, 4697 in Security) is one finding: the
        second report reports nothing. It is learned (or held back) as before: the pair's
        count is the baseline's, and only the double counting in the risk layer goes."""
        reported: FloatArray = np.where(view["second_report"], 0.0, view["points"])
        return reported

    def _describe(
        self, batch: EventBatch, builder: BatchBuilder, row: int, who: str, feats: Features, i: int
    ) -> tuple[str, str, str]:
        event = batch.events[row]
        where = f" on {event.dst_host}" if event.dst_host else ""
        source = f" ({event.event_id})" if event.event_id else ""
        if bool(feats["reenabled"][i]):
            target = event.target_user or "an account"
            what = f"re-enabled {target}, an account seen disabled before{where}"
        elif bool(feats["grant"][i]):
            what = (
                f"created privileged account {event.target_user}{where}: added to "
                f"{event.object or 'a sensitive group'} minutes after its creation"
            )
        elif bool(feats["builtin"][i]):
            how = f" with {event.auth_protocol}" if event.auth_protocol else ""
            account = (
                f"the built-in account {event.user}"
                if event.user in PRIVILEGED_USERS
                else f"{event.user}, an account given uid 0 (a second root)"
            )
            what = f"signed in as {account}{where} from {event.src_ip}{how}, not as a person"
        elif bool(feats["joined"][i]):
            what = (
                f"created computer account {event.device or '?'}{where} ({event.event_id}), "
                "an account never seen using admin privileges (MachineAccountQuota: a machine "
                "identity with a password they chose)"
            )
        elif bool(feats["second_root"][i]):
            what = (
                f"gave an account uid 0 with sudo{where} ({event.object[:120]}): a second "
                "root with its own password"
            )
        elif bool(feats["planted"][i]):
            target = key_plant_target(event.object, event.target_user)
            what = (
                f"added an ssh key for {target} with sudo{where} ({event.object[:120]}): "
                f"whoever holds it logs on as {target} without a password"
            )
        elif event.action is Action.LOG_CLEARED:
            what = f"cleared the {event.object or 'audit'} audit log{where}{source}"
            if event.reason.startswith("no longer records"):
                # The trail still runs, narrowed (PutEventSelectors): say what it stopped seeing.
                what = f"narrowed audit trail {event.object} ({event.reason}){where}{source}"
        elif event.action is Action.REMOTE_EXEC:
            what = f"installed service {event.object or '?'}{where}{source}"
        else:
            target = event.target_user or event.device or "an account"
            kind = "privileged account " if event.privileged or feats["admin"][i] else "account "
            what = f"{event.object.replace('_', ' ') or 'changed'} for {kind}{target}{where}"
        count = float(feats["count"][i])
        when = "first time for them" if count < 0.05 else f"done ~{count:.1f} times recently"
        days = (float(feats["time"][i]) - float(feats["first_seen"][i])) / DAY
        learning = "" if feats["mature"][i] else ", still learning their baseline"
        title = (
            f"{who} {what}, {when} ({who}: {int(feats['count_before'][i])} events in "
            f"{days:.0f} days{learning})"
        )
        return title, what, baseline_text(who, feats, i, "this")

    def _techniques(self, event: Event, feats: Features, i: int) -> tuple[str, ...]:
        if bool(feats["reenabled"][i]):
            return ("T1098",)
        if bool(feats["grant"][i]):
            return ("T1136", "T1098", "T1078.003")
        if bool(feats["planted"][i]):
            return ("T1098.004",)
        if bool(feats["builtin"][i]):
            return ("T1078.003",)
        if bool(feats["second_root"][i]):
            return ("T1136.001", "T1078.003")
        if bool(feats["joined"][i]):
            return ("T1136.002", "T1078.002")
        if event.action is Action.LOG_CLEARED:
            return ("T1562.008",) if event.source_format in _CLOUD_FORMATS else ("T1070.001",)
        if event.action is Action.REMOTE_EXEC:
            return ("T1543.003", "T1569.002")
        if event.object == "created":
            return ("T1136",)
        if event.object in {"access_key_created", "ssh_key_added"}:
            return ("T1098.001",)
        return ("T1098",)


__all__ = ["AccountLifecycle"]
