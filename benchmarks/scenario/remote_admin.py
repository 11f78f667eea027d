"""Benign remote administration: what IT does to other machines every day (issue 3).

Every artefact the engine reads as lateral-movement evidence has an ordinary, legitimate
counterpart in a Windows estate; a scenario without them flatters the detectors. This module
adds them to every scenario's normal life, in the same raw formats as everything else:

- ``winrm_config``: a configuration-management server (``CFG01``, ansible-for-Windows-like; its
  own logs are not collected) runs its playbook over WinRM on every Windows server each night as
  ``svc_winmgmt``: a network logon, ``wsmprovhost.exe`` and a ``powershell.exe`` it starts.
- ``client_push``: the software-deployment server (``SCCM01``, not collected) installs its
  client on every new workstation the day it appears (``ADMIN$`` copy of ``ccmsetup.exe``, the
  ``ccmsetup`` service) and repairs a few existing ones now and then, as ``svc_sccm``.
- ``admin_remoting``: admins on ``MGMT01`` run commands on servers with PowerShell remoting
  (``Invoke-Command``/``Enter-PSSession``: ``wsmprovhost.exe`` and its children, a shell now and
  then) or WMI (``Invoke-WmiMethod``/``wmic /node``: children of ``WmiPrvSE.exe``), mostly on
  the servers they manage, sometimes on another (a DC, the backup server, the second web server).
- ``helpdesk_remote``: the helpdesk admins (the password resetters) take over users'
  workstations with DameWare Mini Remote Control from their own workstation: the first visit
  to a workstation copies ``DWRCS.EXE`` through ``ADMIN$`` and installs the ``DWMRCS`` service.
- ``inventory_scan``: an inventory account (``svc_inventory`` from ``INV01``, not collected)
  opens ``ADMIN$`` and ``C$`` on every workstation and server each weekday night.

Every draw comes from its own random stream (``world.rng("remote-admin", ...)``), so the rest of
a scenario (every event that was there before) stays as it was.
"""

from __future__ import annotations

import base64
import random
from zoneinfo import ZoneInfo

from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    EXECUTIVE,
    MINUTE,
    OFFICE,
    SERVICE,
    BenignTruth,
    Host,
    Person,
    World,
    _sid,
)

_SYSTEM32 = "C:\\Windows\\System32\\"
_WMI = _SYSTEM32 + "wbem\\WmiPrvSE.exe"
_WINRM = _SYSTEM32 + "wsmprovhost.exe"
_POWERSHELL = _SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe"
_CMD = _SYSTEM32 + "cmd.exe"
#: What admins run on a server through remoting: (image, command line); a shell now and then.
_REMOTE_COMMANDS = (
    (_SYSTEM32 + "gpupdate.exe", "gpupdate.exe /force"),
    (_SYSTEM32 + "ipconfig.exe", "ipconfig.exe /flushdns"),
    (_SYSTEM32 + "net.exe", "net.exe stop Spooler"),
    (_SYSTEM32 + "sc.exe", "sc.exe query wuauserv"),
    (_SYSTEM32 + "wbem\\WMIC.exe", "wmic.exe qfe list brief"),
    (_SYSTEM32 + "w32tm.exe", "w32tm.exe /resync"),
    (_SYSTEM32 + "msiexec.exe", "msiexec.exe /i \\\\FS01\\Software\\agent.msi /qn"),
    (_CMD, 'cmd.exe /c "dir D:\\Logs"'),
    (_POWERSHELL, "powershell.exe -NoProfile -Command Restart-Service W3SVC"),
)
_WMI_COMMANDS = (
    (_SYSTEM32 + "gpupdate.exe", "gpupdate.exe /target:computer /force"),
    (_CMD, "cmd.exe /c ipconfig /registerdns"),
    (_SYSTEM32 + "msiexec.exe", "msiexec.exe /i C:\\Temp\\agent.msi /qn"),
)
CFG_HOST_IP = "10.20.0.40"
SCCM_HOST_IP = "10.20.0.41"
INV_HOST_IP = "10.20.0.42"


def _host(world: World, name: str, ip: str) -> Host:
    """A Windows server whose own logs are not collected (the source of a push)."""
    org = world.org
    lon = org.sites[0]
    return Host(
        name=name,
        fqdn=f"{name}.{org.dns_domain}",
        ip=ip,
        kind="mgmt",
        tz=lon.tz,
        lag_ms=900,
        sid=_sid(org.domain_sid, 9100 + int(ip.rsplit(".", 1)[1])),
        dn=f"CN={name},OU=Servers,OU={lon.city},{org.base_dn}",
    )


def _account(world: World, sam: str, display: str, rid: int) -> Person:
    org = world.org
    lon = org.sites[0]
    return Person(
        sam=sam,
        display=display,
        role=SERVICE,
        dept="IT",
        site=lon,
        sid=_sid(org.domain_sid, rid),
        dn=f"CN={display},OU=Service Accounts,OU={lon.city},{org.base_dn}",
    )


def _encoded(rng: random.Random) -> str:
    """A PowerShell ``-EncodedCommand`` argument as ansible's module wrapper sends it."""
    body = f"$ErrorActionPreference='Stop'; & {{ exec_wrapper {rng.getrandbits(48):x} }}"
    return base64.b64encode(body.encode("utf-16-le")).decode()


class RemoteAdmin:
    """Plans and writes the benign remote administration of one scenario, day by day."""

    def __init__(self, world: World, tags: dict[str, str]) -> None:
        self.world = world
        self.tags = tags
        self.cfg = _host(world, "CFG01", CFG_HOST_IP)
        self.sccm = _host(world, "SCCM01", SCCM_HOST_IP)
        self.inv = _host(world, "INV01", INV_HOST_IP)
        self.winmgmt = _account(world, "svc_winmgmt", "Config Management", 9001)
        self.svc_sccm = _account(world, "svc_sccm", "Software Deployment", 9002)
        self.inventory = _account(world, "svc_inventory", "Inventory Scanner", 9003)
        self.dameware: set[str] = set()  # workstations that have the DameWare service

    def day(self, day: int) -> None:
        org = self.world.org
        self._config_push(day)
        self._client_push(day)
        for person in org.role(ADMIN):
            with self.world.tagged(self.tags["admin_remoting"]):
                self._admin_remoting(person, day)
            if person.resetter:
                self._helpdesk(person, day)
        self._inventory(day)

    # -- scheduled pushes from management servers -----------------------------------------------

    def _config_push(self, day: int) -> None:
        world, win = self.world, self.world.win
        org = world.org
        rng = world.rng("remote-admin", "cfg", day)
        dc = org.hosts["DC01"]
        with world.tagged(self.tags["winrm_config"]):
            t = world.clock.at(day, org.sites[0].tz, rng.uniform(170, 190))
            for host in sorted(org.servers(), key=lambda h: h.name):
                if host.since_day > day:
                    continue
                t += rng.randrange(20, 90) * 1000
                win.tgs(t - 300, dc, self.winmgmt, self.cfg.ip, host)
                session = win.logon(
                    t, host, self.winmgmt, 3, src=self.cfg, privileges=ADMIN_PRIVILEGES
                )
                win.process(
                    t + 800, host, self.winmgmt, session, _WINRM,
                    _WINRM + " -Embedding", parent=_SYSTEM32 + "svchost.exe", elevated=True,
                )  # fmt: skip
                for k in range(rng.randrange(1, 4)):
                    win.process(
                        t + 2000 + k * 6000, host, self.winmgmt, session, _POWERSHELL,
                        "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Unrestricted"
                        f" -EncodedCommand {_encoded(rng)}",
                        parent=_WINRM, elevated=True,
                    )  # fmt: skip
                win.logoff(t + rng.randrange(20, 60) * 1000, host, self.winmgmt, session, 3)

    def _client_push(self, day: int) -> None:
        """The deployment client on each new workstation, and a few repairs of old ones."""
        world = self.world
        org = world.org
        rng = world.rng("remote-admin", "sccm", day)
        stations = [h for h in org.workstations() if h.since_day <= day]
        targets = [h for h in stations if h.since_day == day and day > 0]
        if world.clock.weekday(day) < 5 and rng.random() < 0.35:
            targets += rng.sample(stations, min(len(stations), rng.randrange(1, 4)))
        with world.tagged(self.tags["client_push"]):
            t = world.clock.at(day, org.sites[0].tz, rng.uniform(600, 960))
            for host in sorted(set(targets), key=lambda h: h.name):
                t += rng.randrange(1, 20) * MINUTE
                self._service_push(
                    host, self.svc_sccm, self.sccm, t, rng, "ccmsetup",
                    "ccmsetup\\ccmsetup.exe", "C:\\Windows\\ccmsetup\\ccmsetup.exe /config:mobileclient.tcf",
                    auto=True,
                )  # fmt: skip

    def _service_push(
        self,
        host: Host,
        who: Person,
        source: Host,
        t: int,
        rng: random.Random,
        service: str,
        relative: str,
        image: str,
        *,
        auto: bool,
        src_ip: str = "",
    ) -> None:
        """ADMIN$ copy, the service-control pipe and a service install (the tool's own agent)."""
        win, org = self.world.win, self.world.org
        ip = src_ip or source.ip
        win.tgs(t - 400, org.dc_for(who), who, ip, host)
        session = win.logon(t, host, who, 3, src=source, src_ip=ip, privileges=ADMIN_PRIVILEGES)
        win.share(t + 300, host, who, session, ip, "ADMIN$", local_path="\\??\\C:\\Windows")
        win.share(
            t + 600, host, who, session, ip, "ADMIN$", local_path="\\??\\C:\\Windows",
            relative=relative, access_mask="0x2",
        )  # fmt: skip
        win.share(t + 900, host, who, session, ip, "IPC$")
        win.share(t + 1000, host, who, session, ip, "IPC$", relative="svcctl", access_mask="0x3")
        win.service_installed(
            t + 1600, host, who, session, service, image,
            start_type="auto start" if auto else "demand start",
        )  # fmt: skip
        win.logoff(t + rng.randrange(10, 90) * 1000, host, who, session, 3)

    def _inventory(self, day: int) -> None:
        world, win = self.world, self.world.win
        org = world.org
        if world.clock.weekday(day) >= 5:
            return
        rng = world.rng("remote-admin", "inventory", day)
        hosts = [h for h in org.hosts.values() if h.since_day <= day and h.kind != "dc"]
        with world.tagged(self.tags["inventory_scan"]):
            t = world.clock.at(day, org.sites[0].tz, rng.uniform(230, 250))
            for host in sorted(hosts, key=lambda h: h.ip):
                if rng.random() < 0.15:  # switched off for the night
                    continue
                t += rng.randrange(3, 15) * 1000
                session = win.logon(
                    t, host, self.inventory, 3, src=self.inv, privileges=ADMIN_PRIVILEGES
                )
                win.share(t + 200, host, self.inventory, session, self.inv.ip, "ADMIN$",
                          local_path="\\??\\C:\\Windows")  # fmt: skip
                win.share(t + 700, host, self.inventory, session, self.inv.ip, "C$",
                          local_path="\\??\\C:\\")  # fmt: skip
                win.share(
                    t + 900, host, self.inventory, session, self.inv.ip, "C$",
                    local_path="\\??\\C:\\", relative="Program Files",
                )  # fmt: skip
                win.logoff(t + rng.randrange(5, 40) * 1000, host, self.inventory, session, 3)

    # -- people ------------------------------------------------------------------------------------

    def _admin_remoting(self, p: Person, day: int) -> None:
        """PowerShell remoting or WMI from MGMT01, mostly to the admin's own servers."""
        world, win = self.world, self.world.win
        org = world.org
        rng = world.rng("remote-admin", "admin", p.sam, day)
        if world.clock.weekday(day) >= 5 or day in p.absent or rng.random() > 0.3:
            return
        mgmt = org.hosts["MGMT01"]
        own = [
            org.hosts[s] for s in sorted(p.servers)
            if org.hosts[s].kind in ("sql", "app", "web", "file") and org.hosts[s].since_day <= day
        ]  # fmt: skip
        other = [org.hosts[s] for s in ("DC01", "DC02", "BKP01", "WEB02")]
        tz: ZoneInfo = p.tz_on(day)
        t = world.clock.at(day, tz, p.start_min + rng.uniform(60, p.length_min - 60))
        for _ in range(rng.choice((1, 1, 2, 3))):
            host = rng.choice(other if rng.random() < 0.15 or not own else own)
            wmi = rng.random() < 0.3
            t += rng.randrange(2, 40) * MINUTE
            win.tgs(t - 500, org.dc_for(p), p, mgmt.ip, host)
            session = win.logon(t, host, p, 3, src=mgmt, privileges=ADMIN_PRIVILEGES)
            if wmi:
                image, command = rng.choice(_WMI_COMMANDS)
                win.process(t + 1500, host, p, session, image, command, parent=_WMI,
                            elevated=True)  # fmt: skip
            else:
                win.process(
                    t + 800, host, p, session, _WINRM, _WINRM + " -Embedding",
                    parent=_SYSTEM32 + "svchost.exe", elevated=True,
                )  # fmt: skip
                for k in range(rng.randrange(0, 3)):
                    image, command = rng.choice(_REMOTE_COMMANDS)
                    win.process(t + 5000 + k * 20_000, host, p, session, image, command,
                                parent=_WINRM, elevated=True)  # fmt: skip
            win.logoff(t + rng.randrange(1, 20) * MINUTE, host, p, session, 3)

    def _helpdesk(self, p: Person, day: int) -> None:
        """DameWare sessions on users' workstations from the helpdesk admin's own workstation."""
        world = self.world
        org = world.org
        rng = world.rng("remote-admin", "helpdesk", p.sam, day)
        ws = p.workstation_on(day)
        if ws is None or world.clock.weekday(day) >= 5 or day in p.absent:
            return
        stations = [
            station for m in org.humans
            if m.role in (OFFICE, ENGINEER, EXECUTIVE) and (station := m.workstation_on(day)) is not None
        ]  # fmt: skip
        tz = p.tz_on(day)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            target = rng.choice(stations)
            t = world.clock.at(day, tz, p.start_min + rng.uniform(30, p.length_min - 30))
            with world.tagged(self.tags["helpdesk_remote"]):
                if target.name not in self.dameware:
                    self.dameware.add(target.name)
                    self._service_push(
                        target, p, ws, t, rng, "DWMRCS", "dwrcs\\DWRCS.EXE",
                        "C:\\Windows\\dwrcs\\DWRCS.EXE", auto=True,
                    )  # fmt: skip
                    continue
                win = world.win
                win.tgs(t - 400, org.dc_for(p), p, ws.ip, target)
                session = win.logon(t, target, p, 3, src=ws, privileges=ADMIN_PRIVILEGES)
                win.logoff(t + rng.randrange(5, 40) * MINUTE, target, p, session, 3)


def plan(world: World, episodes: list[BenignTruth]) -> RemoteAdmin:
    """Add the remote-administration routines to the normal-life list; returns their writer."""
    org = world.org
    tags: dict[str, str] = {}

    def add(kind: str, description: str, users: list[str]) -> None:
        tag = f"N{len(episodes) + 1:02d}-{kind}"
        episodes.append(BenignTruth(tag, kind, description, {"users": users} if users else {}))
        tags[kind] = tag

    helpdesk = [p.actor for p in org.role(ADMIN) if p.resetter]
    add("winrm_config", "svc_winmgmt runs its playbook over WinRM (PowerShell) on every "
        "Windows server from CFG01 each night", ["svc_winmgmt"])  # fmt: skip
    add("client_push", "svc_sccm installs the deployment client (ccmsetup service over ADMIN$) "
        "on new workstations and repairs a few others", ["svc_sccm"])  # fmt: skip
    add("admin_remoting", "admins run commands on servers from MGMT01 with PowerShell "
        "remoting (wsmprovhost) or WMI", [p.actor for p in org.role(ADMIN)])  # fmt: skip
    add("helpdesk_remote", "helpdesk admins take over users' workstations with DameWare "
        "(DWMRCS service installed over ADMIN$ on the first visit)", helpdesk)  # fmt: skip
    add("inventory_scan", "svc_inventory opens ADMIN$ and C$ on every host from INV01 each "
        "weekday night", ["svc_inventory"])  # fmt: skip
    return RemoteAdmin(world, tags)
