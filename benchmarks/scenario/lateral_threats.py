"""Round 13 (issue 3): lateral-movement kinds nobody on the team had written yet.

Opt-in by name or ``--attacks lateral13``: no other group holds them, and each attack draws from
its own random stream, so every existing seed set generates byte-identical scenarios. Each is
written in the raw formats the parsers read (HELK Windows JSON, CloudTrail) the way an operator
does it with ordinary tools: PowerShell remoting (``Invoke-Command``/``Enter-PSSession``), DCOM
(``MMC20.Application``'s ``ExecuteShellCommand``), ``sc.exe \\\\host create`` without a copied
binary, and AWS Systems Manager (``StartSession``, ``SendCommand``). Their benign look-alikes live
in normal life: admins' WinRM and WMI from MGMT01 and the configuration server, deployment-client
service installs, engineers' everyday AWS reads (``ssm:DescribeInstanceInformation`` among them).
"""

from __future__ import annotations

from typing import Any

from benchmarks.scenario.context import (
    LATERAL_MOVEMENT,
    AttackKind,
    Context,
    Injected,
    random_hex,
    random_name,
)
from benchmarks.scenario.formats import ADMIN_PRIVILEGES
from benchmarks.scenario.generator import (
    ADMIN,
    ENGINEER,
    HOUR,
    MINUTE,
    OFFICE,
    Host,
    Person,
    assume_role,
    aws_source,
    public_ip,
)

_SYSTEM32 = "C:\\Windows\\System32\\"
_CMD = _SYSTEM32 + "cmd.exe"
_POWERSHELL = _SYSTEM32 + "WindowsPowerShell\\v1.0\\powershell.exe"
_WINRM = _SYSTEM32 + "wsmprovhost.exe"
_SVCHOST = _SYSTEM32 + "svchost.exe"
_MMC = _SYSTEM32 + "mmc.exe"
_SERVICES = _SYSTEM32 + "services.exe"
_SERVER_KINDS = ("app", "sql", "file", "mgmt", "web")
_RECON = (
    "whoami /all",
    "ipconfig /all",
    'net group "Domain Admins" /domain',
    "quser",
    "tasklist /v",
    "net localgroup administrators",
)


def _servers(ctx: Context, day: int) -> list[Host]:
    return sorted(
        (h for h in ctx.org.hosts.values() if h.kind in _SERVER_KINDS and h.since_day <= day),
        key=lambda h: h.name,
    )


def _encoded(ctx: Context) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(ctx.rng.choice(alphabet) for _ in range(ctx.rng.randrange(120, 220)))


def _next_weekday(ctx: Context, day: int) -> int:
    while day < ctx.world.days and ctx.world.clock.weekday(day) >= 5:
        day += 1
    return day


def _owner(ctx: Context) -> Person:
    org = ctx.org
    return ctx.pick([p for p in org.humans if p.role in (OFFICE, ENGINEER) and p.first_day == 0])


# --------------------------------------------------------------------------------------------
# Windows


def winrm_slow(ctx: Context) -> Injected:
    """PowerShell remoting with an admin's password from an office user's workstation, one
    server a working day for 3-4 days: ``Invoke-Command -ComputerName SRV -Credential`` (4648 on
    the workstation, ``powershell.exe``), a Kerberos network logon on the server, then
    ``wsmprovhost.exe`` and the commands it starts (recon, an encoded download cradle)."""
    world, rng, org, win = ctx.world, ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday(6)
    targets = rng.sample(_servers(ctx, day), min(len(_servers(ctx, day)), rng.randrange(3, 5)))
    dc = org.dc_for(admin)
    done: list[str] = []
    ip = ""
    foothold = None
    for target in targets:
        day = _next_weekday(ctx, day)
        if day >= world.days:
            break
        foothold, ip = ctx.ws_ip(owner, day)
        t = ctx.office_hours(day, owner)
        win.explicit_credentials(
            t - 2000, foothold, owner, win.new_logon_id(), admin, target.fqdn,
            process=_POWERSHELL, target_info=f"HTTP/{target.fqdn}",
        )  # fmt: skip
        win.tgs(t - 400, dc, admin, ip, target)
        session = win.logon(t, target, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.process(
            t + 1200, target, admin, session, _WINRM, _WINRM + " -Embedding", parent=_SVCHOST,
            elevated=True,
        )  # fmt: skip
        for k, command in enumerate(rng.sample(_RECON, 2)):
            image = _SYSTEM32 + command.split()[0] + ".exe"
            win.process(
                t + 5000 + k * 7000, target, admin, session, image, command, parent=_WINRM,
                elevated=True,
            )  # fmt: skip
        if rng.random() < 0.5:
            win.process(
                t + 21_000, target, admin, session, _POWERSHELL,
                f"powershell.exe -NoP -NonI -W Hidden -Enc {_encoded(ctx)}", parent=_WINRM,
                elevated=True,
            )  # fmt: skip
        win.logoff(t + rng.randrange(1, 5) * MINUTE, target, admin, session, 3)
        done.append(target.name)
        day += rng.randrange(1, 3)
    if foothold is None:
        raise ValueError("no day left for winrm_slow")
    return Injected(
        f"PowerShell remoting with {admin.sam}'s password from {foothold.name} ({owner.sam}'s "
        f"workstation), one server a day: {', '.join(done)}",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, *(org.hosts[n].short for n in done)],
        ips=[ip],
        primary=("user", admin.actor),
    )


def dcom_mmc20(ctx: Context) -> Injected:
    """DCOM lateral movement (``MMC20.Application``'s ``Document.ActiveView.ExecuteShellCommand``)
    with an engineer's or admin's own account from their workstation, to 1-3 workstations or
    servers they never reached: a network logon, ``mmc.exe -Embedding`` under the DCOM launcher
    (``svchost.exe``), and the shell ``mmc.exe`` starts (``cmd.exe /c``, a PowerShell cradle)."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    victim = ctx.pick([p for p in org.humans if p.role in (ADMIN, ENGINEER) and p.first_day == 0])
    day = ctx.weekday()
    ws, ip = ctx.ws_ip(victim, day)
    outside = ctx.hosts_outside(victim, day, kinds=("workstation", "sql", "file", "app", "web"))
    outside = [h for h in outside if h.name != ws.name]
    targets = rng.sample(outside, min(len(outside), rng.randrange(1, 4)))
    dc = org.dc_for(victim)
    t = ctx.office_hours(day, victim) if rng.random() < 0.6 else ctx.evening(day, victim)
    for target in targets:
        t += rng.randrange(2, 20) * MINUTE
        win.tgs(t - 400, dc, victim, ip, target)
        session = win.logon(t, target, victim, 3, src=ws, privileges=ADMIN_PRIVILEGES)
        win.process(
            t + 900, target, victim, session, _MMC, _MMC + " -Embedding",
            parent=_SVCHOST, elevated=True,
        )  # fmt: skip
        command = rng.choice(
            (
                f"{_CMD} /c {rng.choice(_RECON)} > C:\\Users\\Public\\{random_name(rng, 6)}.txt",
                f"powershell.exe -nop -w hidden -enc {_encoded(ctx)}",
            )
        )
        image = _CMD if command.startswith(_CMD) else _POWERSHELL
        win.process(t + 2500, target, victim, session, image, command, parent=_MMC, elevated=True)
        win.logoff(t + rng.randrange(1, 4) * MINUTE, target, victim, session, 3)
    return Injected(
        f"DCOM (MMC20.Application) from {ws.name} as {victim.sam} to hosts never reached: "
        f"{', '.join(h.name for h in targets)}",
        users=[victim.actor],
        hosts=[ws.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", victim.actor),
    )


def sc_remote_service(ctx: Context) -> Injected:
    """``sc.exe \\\\SRV create NAME binPath= "cmd.exe /c ..."`` then ``sc \\\\SRV start`` and
    ``delete`` with an admin's account from an office user's workstation (``runas /netonly``,
    4624 type 9), 1-3 servers: no binary copied to ``ADMIN$`` (PsExec's share copy), only
    ``IPC$``/``svcctl``, a service whose image is a shell command line, run by ``services.exe``."""
    rng, org, win = ctx.rng, ctx.org, ctx.world.win
    admin = ctx.pick(org.role(ADMIN))
    owner = _owner(ctx)
    day = ctx.weekday()
    foothold, ip = ctx.ws_ip(owner, day)
    servers = _servers(ctx, day)
    targets = rng.sample(servers, min(len(servers), rng.randrange(1, 4)))
    dc = org.dc_for(admin)
    t = ctx.office_hours(day, owner) if rng.random() < 0.5 else ctx.evening(day, owner)
    local = win.new_credentials_logon(t, foothold, owner, admin, org.netbios)
    for target in targets:
        t += rng.randrange(2, 12) * MINUTE
        name = random_name(rng, rng.randrange(6, 10))
        payload = rng.choice(
            (
                f"cmd.exe /c powershell -nop -w hidden -enc {_encoded(ctx)}",
                f"%COMSPEC% /Q /c echo {rng.choice(_RECON)} ^> \\\\127.0.0.1\\C$\\"
                f"{random_name(rng, 6)} 2^>^&1 > %TEMP%\\execute.bat & %COMSPEC% /Q /c "
                "%TEMP%\\execute.bat & del %TEMP%\\execute.bat",
            )
        )
        win.process(
            t - 1500, foothold, owner, local, _SYSTEM32 + "sc.exe",
            f'sc.exe \\\\{target.name} create {name} binPath= "{payload}" start= demand',
            parent=_CMD,
        )  # fmt: skip
        win.tgs(t - 400, dc, admin, ip, target)
        session = win.logon(t, target, admin, 3, src=foothold, privileges=ADMIN_PRIVILEGES)
        win.share(t + 200, target, admin, session, ip, "IPC$")
        win.share(t + 300, target, admin, session, ip, "IPC$", relative="svcctl", access_mask="0x3")
        win.service_installed(t + 800, target, admin, session, name, payload)
        win.process(
            t + 9000, foothold, owner, local, _SYSTEM32 + "sc.exe",
            f"sc.exe \\\\{target.name} start {name}", parent=_CMD,
        )  # fmt: skip
        image = _CMD if payload.startswith("cmd") else _SYSTEM32 + "cmd.exe"
        system = _System(target)
        win.process(
            t + 9500, target, system, "0x3e7", image, payload.replace("%COMSPEC%", _CMD),
            parent=_SERVICES, elevated=True,
        )  # fmt: skip
        win.process(
            t + 30_000, foothold, owner, local, _SYSTEM32 + "sc.exe",
            f"sc.exe \\\\{target.name} delete {name}", parent=_CMD,
        )  # fmt: skip
        win.logoff(t + rng.randrange(1, 3) * MINUTE, target, admin, session, 3)
    return Injected(
        f"sc.exe remote services with {admin.sam}'s password (runas /netonly on {foothold.name}, "
        f"{owner.sam}'s workstation) on {', '.join(h.name for h in targets)}",
        users=[admin.actor, owner.actor],
        hosts=[foothold.short, *(h.short for h in targets)],
        ips=[ip],
        primary=("user", admin.actor),
    )


class _System:
    """The target's SYSTEM account as a process owner (``services.exe`` children)."""

    def __init__(self, host: Host) -> None:
        self.sid = "S-1-5-18"
        self.sam = host.sam
        self.display = host.name
        self.dn = host.dn
        self.actor = ""


# --------------------------------------------------------------------------------------------
# AWS Systems Manager


def _instances(ctx: Context, count: int) -> list[str]:
    digits = "0123456789abcdef"
    return ["i-0" + "".join(ctx.rng.choice(digits) for _ in range(16)) for _ in range(count)]


def _ssm_session(ctx: Context, t: int, identity: dict[str, Any], instance: str, *, ip: str,
                 ua: str, actor: str) -> None:  # fmt: skip
    session = f"{str(identity.get('principalId', '')).split(':')[-1]}-{random_hex(ctx, 17)}"
    ctx.world.trail.call(
        t, identity, "ssm.amazonaws.com", "StartSession", ip=ip, user_agent=ua,
        params={"target": instance}, read_only=False, actor=actor,
        response={
            "sessionId": session,
            "tokenValue": "Value hidden due to security reasons.",
            "streamUrl": f"wss://ssmmessages.{ctx.world.trail.region}.amazonaws.com/v1/"
            f"data-channel/{session}?role=publish_subscribe",
        },
        resources=[{"accountId": ctx.org.aws_account, "type": "AWS::EC2::Instance",
                    "ARN": f"arn:aws:ec2:{ctx.world.trail.region}:{ctx.org.aws_account}:"
                    f"instance/{instance}"}],
    )  # fmt: skip


def ssm_session_fanout(ctx: Context) -> Injected:
    """Cloud fan-out: an engineer's role session (stolen from their machine: their address and
    CLI, or replayed from a hosting address) lists the managed instances and opens Session
    Manager shells (``ssm:StartSession``) on 6-14 of them within an hour; the engineer never
    started a session in normal life."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and p.role == ENGINEER])
    day = ctx.day()
    own_place = rng.random() < 0.5
    t = ctx.office_hours(day, victim) if own_place else ctx.night(day, victim)
    ip = aws_source(world, victim, day, rng.random() < 0.4, rng) if own_place else (
        public_ip(rng, "hosting"))  # fmt: skip
    ua = victim.cli_ua
    identity = assume_role(world, victim, t, ip, ua, rng)
    start = t
    t += rng.randrange(20, 120) * 1000
    trail.call(t, identity, "ssm.amazonaws.com", "DescribeInstanceInformation", ip=ip,
               user_agent=ua, actor=victim.actor)  # fmt: skip
    instances = _instances(ctx, rng.randrange(6, 15))
    for instance in instances:
        t += rng.randrange(60, 420) * 1000
        _ssm_session(ctx, t, identity, instance, ip=ip, ua=ua, actor=victim.actor)
        t += rng.randrange(30, 240) * 1000
        trail.call(
            t, identity, "ssm.amazonaws.com", "TerminateSession", ip=ip, user_agent=ua,
            params={"sessionId": f"{victim.sam}-{random_hex(ctx, 17)}"}, read_only=False,
            actor=victim.actor,
        )  # fmt: skip
    return Injected(
        f"{victim.sam}'s role session opens Session Manager shells on {len(instances)} "
        f"instances in {max(1, round((t - start) / HOUR))} hour(s) from {ip}",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


def ssm_command_slow(ctx: Context) -> Injected:
    """``ssm:SendCommand`` with ``AWS-RunShellScript`` by an admin's or engineer's long-term
    access key (no role, the key used directly, as a stolen key is), one or two instances a day
    over 3-5 days at working hours, from the owner's own address; the owner never ran a command
    through SSM in normal life."""
    world, rng, org, trail = ctx.world, ctx.rng, ctx.org, ctx.world.trail
    victim = ctx.pick([p for p in org.humans if p.aws and p.role in (ENGINEER, ADMIN)])
    day = ctx.weekday(7)
    user = trail.iam_user(victim.sam, victim.aws_principal, victim.aws_keys[0])
    ua = victim.cli_ua
    sent = 0
    days = 0
    ip = ""
    for _ in range(rng.randrange(3, 6)):
        day = _next_weekday(ctx, day)
        if day >= world.days:
            break
        ip = aws_source(world, victim, day, rng.random() < 0.3, rng)
        t = ctx.office_hours(day, victim)
        trail.call(t, user, "ec2.amazonaws.com", "DescribeInstances", ip=ip, user_agent=ua,
                   actor=victim.actor)  # fmt: skip
        for instance in _instances(ctx, rng.randrange(1, 3)):
            t += rng.randrange(30, 300) * 1000
            command_id = f"{random_hex(ctx, 8)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}-{random_hex(ctx, 4)}-{random_hex(ctx, 12)}"
            trail.call(
                t, user, "ssm.amazonaws.com", "SendCommand", ip=ip, user_agent=ua,
                params={"instanceIds": [instance], "documentName": "AWS-RunShellScript",
                        "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS", "interactive": False},
                response={"command": {"commandId": command_id, "documentName":
                                      "AWS-RunShellScript", "status": "Pending",
                                      "instanceIds": [instance]}},
                read_only=False, actor=victim.actor,
            )  # fmt: skip
            t += rng.randrange(10, 60) * 1000
            trail.call(
                t, user, "ssm.amazonaws.com", "GetCommandInvocation", ip=ip, user_agent=ua,
                params={"commandId": command_id, "instanceId": instance}, actor=victim.actor,
            )  # fmt: skip
            sent += 1
        days += 1
        day += rng.randrange(1, 3)
    if not sent:
        raise ValueError("no day left for ssm_command_slow")
    return Injected(
        f"{victim.sam}'s long-term access key runs shell commands on instances through "
        f"ssm:SendCommand ({sent} commands over {days} days)",
        users=[victim.actor],
        ips=[ip],
        primary=("user", victim.actor),
    )


LATERAL13: dict[str, AttackKind] = {
    kind.name: kind
    for kind in (
        AttackKind(
            "winrm_slow",
            LATERAL_MOVEMENT,
            "Remote Services: Windows Remote Management, one server a day (slow)",
            ("T1021.006", "T1059.001"),
            winrm_slow,
        ),
        AttackKind(
            "dcom_mmc20",
            LATERAL_MOVEMENT,
            "Remote Services: Distributed Component Object Model (MMC20.Application)",
            ("T1021.003",),
            dcom_mmc20,
        ),
        AttackKind(
            "sc_remote_service",
            LATERAL_MOVEMENT,
            "System Services: Service Execution over the network (sc.exe, no file copied)",
            ("T1569.002", "T1021.002"),
            sc_remote_service,
        ),
        AttackKind(
            "ssm_session_fanout",
            LATERAL_MOVEMENT,
            "Remote Services: Cloud Services, Session Manager shells on many instances",
            ("T1021.007", "T1651"),
            ssm_session_fanout,
        ),
        AttackKind(
            "ssm_command_slow",
            LATERAL_MOVEMENT,
            "Cloud Administration Command (ssm:SendCommand) with a long-term key, over days",
            ("T1651", "T1078.004"),
            ssm_command_slow,
        ),
    )
}
