"""File-server life with audited deletes and ACL changes, and the attacks hiding in it (issue 3,
round 11; opt-in: ``--attacks files``, so every other set's inputs stay byte-identical).

Normal life on FS01 when the ``files`` kinds are asked for (its own random streams):

* about 40 % of the office workers and engineers delete 1-4 files on some working days, over SMB
  from their workstation (5145, 4663 with DELETE, 4660 per file);
* ``svc_backup`` rotates old backup sets every night on FS01 itself: 150-400 deletes;
* one engineer moves a project folder once after the learning period: 250-500 deletes in
  10-20 minutes, all in one project's tree;
* admins fix folder permissions now and then (4670 on 1-6 folders on ~10 % of working days);
* one admin re-permissions one project's folder tree once after the learning period
  (``icacls /T``: 150-400 4670s in minutes, all below one folder; round 12).

Attacks (``FILES``): a wipe (2,000-4,000 deletes across the shares in ~12 minutes by a user
who deletes a few files a day, from their workstation), a slow wipe (about 250 an hour over a
night), and a mass permission change (4670 on 300-600 folders in minutes by an office user);
round 12's variants: one department's share emptied (600-1,200 files in minutes, all in one
share) and the backup account, whose nightly rotation deletes hundreds, wiping the shares in the
afternoon (2,000-3,000 files).
"""

from __future__ import annotations

import random

from benchmarks.scenario.context import PRIVILEGE_ABUSE, AttackKind, Context, Injected
from benchmarks.scenario.generator import ADMIN, ENGINEER, MINUTE, OFFICE, Host, Person, World

_ROOT = "D:\\Shares"
_SUBFOLDERS = ("Reports", "Archive", "Contracts", "Projects", "Templates", "Minutes", "Data")
_EXTENSIONS = ("docx", "xlsx", "pdf", "pptx", "csv", "txt")
_OLD_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;DU)"
_NEW_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;DU)"
_OPEN_SD = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;WD)"


def _file(rng: random.Random, share: str, depth: int = 2) -> str:
    parts = [share, rng.choice(_SUBFOLDERS)]
    parts += [f"{rng.choice(_SUBFOLDERS)}{rng.randrange(1, 40)}" for _ in range(depth - 1)]
    name = f"doc{rng.randrange(1, 99999)}.{rng.choice(_EXTENSIONS)}"
    return "\\".join([*parts, name])


class _Writer:
    """Delete and ACL-change events as Windows Server writes them for one file server."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.fs: Host = world.org.hosts["FS01"]

    def _handle(self) -> str:
        return hex(self.rng.randrange(0x100, 0xFFFF))

    def delete(
        self, t: int, who: Person, session: str, ip: str, relative: str, *, smb: bool = True
    ) -> None:
        """One file deleted: over SMB 5145 (the share's check) + 4663 (DELETE) + 4660."""
        win, fs = self.world.win, self.fs
        share = relative.split("\\", 1)[0]
        if smb:
            win.share(
                t,
                fs,
                who,
                session,
                ip,
                share,
                local_path=f"\\??\\{_ROOT}\\{share}",
                relative=relative.split("\\", 1)[1],
                access_mask="0x10080",
            )
        handle = self._handle()
        fields = win._subject(who, session)
        fields.update(
            ObjectServer="Security",
            ObjectType="File",
            ObjectName=f"{_ROOT}\\{relative}",
            HandleId=handle,
            AccessList="%%1537\r\n\t\t\t\t",
            AccessMask="0x10000",
            ProcessId="0x4" if smb else hex(self.rng.randrange(0x400, 0x4000)),
            ProcessName=""
            if smb
            else "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            ResourceAttributes="S:AI",
        )
        win.sink.win(t + 20, fs, 4663, fields, actor=who.actor)
        gone = win._subject(who, session)
        gone.update(ObjectServer="Security", HandleId=handle, ProcessId=fields["ProcessId"])
        gone["ProcessName"] = fields["ProcessName"]
        win.sink.win(t + 25, fs, 4660, gone, actor=who.actor)

    def acl(self, t: int, who: Person, session: str, folder: str, new_sd: str = _NEW_SD) -> None:
        """4670: a folder's permissions changed (icacls / Explorer's security tab over SMB)."""
        win = self.world.win
        fields = win._subject(who, session)
        fields.update(
            ObjectServer="Security",
            ObjectType="File",
            ObjectName=f"{_ROOT}\\{folder}",
            HandleId=self._handle(),
            OldSd=_OLD_SD,
            NewSd=new_sd,
            ProcessId="0x4",
            ProcessName="",
        )
        win.sink.win(t, self.fs, 4670, fields, actor=who.actor)

    def session(self, t: int, who: Person, ip: str) -> str:
        return self.world.win.logon(t, self.fs, who, 3, src_ip=ip)


def _at_work(person: Person, day: int) -> bool:
    return person.first_day <= day <= person.last_day and day not in person.absent


def _deleters(world: World) -> list[Person]:
    rng = world.rng("files", "people")
    people = [p for p in world.org.humans if p.role in (OFFICE, ENGINEER)]
    return [p for p in people if rng.random() < 0.4]


def _mover(world: World) -> tuple[Person, int] | None:
    engineers = [p for p in _deleters(world) if p.role == ENGINEER and p.first_day == 0]
    if not engineers or world.days <= world.learning_days + 1:
        return None
    rng = world.rng("files", "mover")
    return rng.choice(engineers), rng.randrange(world.learning_days + 1, world.days)


def _retree(world: World) -> tuple[Person, int] | None:
    """An admin who re-permissions one project's folder tree (``icacls /T``: a 4670 per
    folder, hundreds in minutes, all below one folder) once after the learning period."""
    admins = [p for p in world.org.humans if p.role == ADMIN and p.first_day == 0]
    if not admins or world.days <= world.learning_days + 1:
        return None
    rng = world.rng("files", "retree")
    return rng.choice(admins), rng.randrange(world.learning_days + 1, world.days)


def file_server_day(world: World, day: int) -> None:
    """FS01's normal deletes and permission fixes on ``day`` (module docstring)."""
    org, clock = world.org, world.clock
    rng = world.rng("files", day)
    out = _Writer(world, rng)
    weekday = clock.weekday(day) < 5
    for person in _deleters(world):
        ws = person.workstation_on(day)
        if not weekday or not _at_work(person, day) or ws is None or rng.random() > 0.5:
            continue
        t = clock.at(day, person.tz_on(day), person.start_min + rng.uniform(30, 400))
        session = out.session(t, person, ws.ip)
        for k in range(rng.randrange(1, 5)):
            out.delete(
                t + 2000 + k * rng.randrange(5, 90) * 1000,
                person,
                session,
                ws.ip,
                _file(rng, person.dept),
            )
    backup = org.person("svc_backup")
    t = clock.at(day, org.sites[0].tz, 90 + rng.uniform(0, 20))
    session = out.session(t, backup, org.hosts["BKP01"].ip)
    stamp = f"{day:03d}"
    for k in range(rng.randrange(150, 401)):
        name = f"Backups\\Rotation\\set{stamp}\\vol{k:04d}.vhdx"
        out.delete(t + 1000 + k * 700, backup, session, "", name, smb=False)
    moved = _mover(world)
    if moved is not None and moved[1] == day:
        person, _ = moved
        ws = person.workstation_on(day)
        if ws is not None:
            t = clock.at(day, person.tz_on(day), person.start_min + rng.uniform(60, 300))
            session = out.session(t, person, ws.ip)
            project = f"Engineering\\Projects\\{rng.choice(('Atlas', 'Borealis', 'Cygnus'))}"
            count = rng.randrange(250, 501)
            span = rng.uniform(10, 20) * MINUTE
            for k in range(count):
                sub = f"{project}\\{rng.choice(_SUBFOLDERS)}"
                out.delete(
                    t + int(k * span / count),
                    person,
                    session,
                    ws.ip,
                    f"{sub}\\f{k:04d}.{rng.choice(_EXTENSIONS)}",
                )
    retree = _retree(world)
    if retree is not None and retree[1] == day:
        admin, _ = retree
        ws = admin.workstation_on(day)
        if ws is not None:
            tree_rng = world.rng("files", "retree", day)
            t = clock.at(day, admin.tz_on(day), admin.start_min + tree_rng.uniform(60, 300))
            session = out.session(t, admin, ws.ip)
            root = f"Engineering\\Projects\\{tree_rng.choice(('Atlas', 'Borealis', 'Cygnus'))}"
            for k in range(tree_rng.randrange(150, 401)):
                sub = f"{tree_rng.choice(_SUBFOLDERS)}\\{tree_rng.choice(_SUBFOLDERS)}{k % 12}"
                out.acl(
                    t + 2000 + k * tree_rng.randrange(200, 900), admin, session, f"{root}\\{sub}"
                )
    for admin in (p for p in org.humans if p.role == ADMIN):
        ws = admin.workstation_on(day)
        if not weekday or not _at_work(admin, day) or ws is None or rng.random() > 0.1:
            continue
        t = clock.at(day, admin.tz_on(day), admin.start_min + rng.uniform(60, 400))
        session = out.session(t, admin, ws.ip)
        dept = rng.choice(("Finance", "Sales", "HR", "Engineering", "Shared"))
        for k in range(rng.randrange(1, 7)):
            out.acl(t + 5000 + k * 20_000, admin, session, f"{dept}\\{rng.choice(_SUBFOLDERS)}")


# --------------------------------------------------------------------------------------------
# Attacks


def _victim(ctx: Context) -> Person:
    known = set(p.sam for p in _deleters(ctx.world))
    return ctx.pick([p for p in ctx.org.humans if p.sam in known and p.first_day == 0])


def files_mass_delete(ctx: Context) -> Injected:
    """A user who deletes a few files a day wipes the shares from their workstation."""
    rng = ctx.rng
    victim = _victim(ctx)
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    t = ctx.office_hours(day, victim)
    out = _Writer(ctx.world, rng)
    session = out.session(t, victim, ip)
    count = rng.randrange(2000, 4001)
    span = rng.uniform(10, 14) * MINUTE
    shares = ("Finance", "Sales", "HR", "Engineering", "Shared", victim.dept)
    for k in range(count):
        out.delete(
            t + 1000 + int(k * span / count),
            victim,
            session,
            ip,
            _file(rng, rng.choice(shares), depth=3),
        )
    return Injected(
        f"{victim.sam} deletes {count} files across FS01's shares in {span / MINUTE:.0f} "
        f"minutes from {ws.name} (data destruction with a stolen or insider account)",
        users=[victim.actor],
        hosts=["fs01", ws.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def files_slow_delete(ctx: Context) -> Injected:
    """The same wipe spread over a night: about 250 files an hour for 5-7 hours."""
    rng = ctx.rng
    victim = _victim(ctx)
    day = ctx.day(2)
    ws, ip = ctx.ws_ip(victim, day)
    t = ctx.place(day, victim, 22 * 60 + rng.uniform(0, 60))
    out = _Writer(ctx.world, rng)
    session = out.session(t, victim, ip)
    hours = rng.randrange(5, 8)
    count = hours * rng.randrange(200, 301)
    for k in range(count):
        out.delete(
            t + 1000 + int(k * hours * 60 * MINUTE / count),
            victim,
            session,
            ip,
            _file(rng, rng.choice(("Finance", "Sales", "HR", "Shared")), depth=3),
        )
    return Injected(
        f"{victim.sam} deletes {count} files on FS01 over {hours} night hours from {ws.name}",
        users=[victim.actor],
        hosts=["fs01", ws.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def files_mass_acl(ctx: Context) -> Injected:
    """An office account opens hundreds of folders to Everyone within minutes (4670)."""
    rng = ctx.rng
    victim = ctx.pick([p for p in ctx.org.humans if p.role == OFFICE and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    t = ctx.office_hours(day, victim)
    out = _Writer(ctx.world, rng)
    session = out.session(t, victim, ip)
    count = rng.randrange(300, 601)
    for k in range(count):
        folder = "\\".join(_file(rng, rng.choice(("Finance", "HR", "Shared")), 3).split("\\")[:-1])
        out.acl(t + 1000 + k * rng.randrange(300, 1500), victim, session, folder, _OPEN_SD)
    return Injected(
        f"{victim.sam} changes the permissions of {count} folders on FS01 within minutes "
        f"from {ws.name}",
        users=[victim.actor],
        hosts=["fs01", ws.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def files_share_wipe(ctx: Context) -> Injected:
    """One department's share emptied: 600-1,200 files in 10-14 minutes, all in one share."""
    rng = ctx.rng
    victim = _victim(ctx)
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    t = ctx.office_hours(day, victim)
    out = _Writer(ctx.world, rng)
    session = out.session(t, victim, ip)
    share = rng.choice(("Finance", "Sales", "HR", "Legal"))
    count = rng.randrange(600, 1201)
    span = rng.uniform(10, 14) * MINUTE
    for k in range(count):
        out.delete(
            t + 1000 + int(k * span / count), victim, session, ip, _file(rng, share, depth=3)
        )
    return Injected(
        f"{victim.sam} deletes {count} files of the {share} share on FS01 in "
        f"{span / MINUTE:.0f} minutes from {ws.name}",
        users=[victim.actor],
        hosts=["fs01", ws.short],
        ips=[ip],
        primary=("user", victim.actor),
    )


def files_backup_account_wipe(ctx: Context) -> Injected:
    """The backup account, which deletes hundreds of files every night, wipes the shares in the
    afternoon from the backup server (its password or host taken over)."""
    rng = ctx.rng
    backup = ctx.org.person("svc_backup")
    day = ctx.weekday()
    t = ctx.place(day, backup, rng.uniform(13, 16) * 60)
    out = _Writer(ctx.world, rng)
    session = out.session(t, backup, ctx.org.hosts["BKP01"].ip)
    count = rng.randrange(2000, 3001)
    span = rng.uniform(10, 14) * MINUTE
    shares = ("Finance", "Sales", "HR", "Engineering", "Shared")
    for k in range(count):
        out.delete(
            t + 1000 + int(k * span / count),
            backup,
            session,
            "",
            _file(rng, rng.choice(shares), depth=3),
            smb=False,
        )
    return Injected(
        f"svc_backup deletes {count} files across FS01's shares in {span / MINUTE:.0f} minutes "
        "in the afternoon (its nightly rotation is a few hundred at 01:30)",
        users=[backup.actor],
        hosts=["fs01", "bkp01"],
        primary=("user", backup.actor),
    )


FILES: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "files_mass_delete",
            PRIVILEGE_ABUSE,
            "Data Destruction (file server)",
            ("T1485",),
            files_mass_delete,
        ),
        AttackKind(
            "files_slow_delete",
            PRIVILEGE_ABUSE,
            "Data Destruction (slow, overnight)",
            ("T1485",),
            files_slow_delete,
        ),
        AttackKind(
            "files_mass_acl",
            PRIVILEGE_ABUSE,
            "File and Directory Permissions Modification",
            ("T1222.001",),
            files_mass_acl,
        ),
        AttackKind(
            "files_share_wipe",
            PRIVILEGE_ABUSE,
            "Data Destruction (one share)",
            ("T1485",),
            files_share_wipe,
        ),
        AttackKind(
            "files_backup_account_wipe",
            PRIVILEGE_ABUSE,
            "Data Destruction (scheduled-job account, another hour)",
            ("T1485",),
            files_backup_account_wipe,
        ),
    )
}
