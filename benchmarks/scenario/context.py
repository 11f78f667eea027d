"""What every attack function shares: its view of the world, what it reports, its catalogue entry.

Split from :mod:`benchmarks.scenario.attacks` so the catalogue can span several modules.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.scenario.formats import DAY_MS
from benchmarks.scenario.generator import HOUR, MINUTE, Host, Person, World

CREDENTIAL_MISUSE, PRIVILEGE_ABUSE, LATERAL_MOVEMENT = (
    "credential_misuse",
    "privilege_abuse",
    "lateral_movement",
)
ATTACKER_BROWSERS = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/109.0.0.0 Safari/537.36",
)
ATTACKER_CLI = "python-requests/2.31.0"


@dataclass
class Injected:
    """What an attack function reports about itself (the window comes from the writer)."""

    description: str
    users: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    primary: tuple[str, str] = ("user", "")

    def entities(self) -> dict[str, list[str]]:
        found = {"users": self.users, "hosts": self.hosts, "ips": self.ips}
        return {key: list(dict.fromkeys(values)) for key, values in found.items() if values}


class Context:
    """One attack's view of the world: its random stream, victim picking and timing."""

    def __init__(self, world: World, rng: random.Random, used: set[str]) -> None:
        self.world = world
        self.org = world.org
        self.rng = rng
        self.used = used  # accounts already victims of another attack

    def pick(self, candidates: Sequence[Person]) -> Person:
        """A victim: unused by other attacks and free of benign episodes when possible."""
        if not candidates:
            raise ValueError("no account fits this attack (too few users?)")
        org = self.org
        plain = [
            p for p in candidates if not p.special and p.sam not in (org.new_hire, org.dormant)
        ]
        for pool in ([p for p in plain if p.sam not in self.used], plain, list(candidates)):
            if pool:
                person = self.rng.choice(pool)
                self.used.add(person.sam)
                return person
        raise AssertionError("unreachable")

    def day(self, span: int = 1) -> int:
        """A start day in the detection period leaving ``span`` days for the attack."""
        first = self.world.learning_days
        last = max(first, self.world.days - span)
        return self.rng.randrange(first, last + 1) if last > first else first

    def weekday(self, span: int = 1) -> int:
        """Like :meth:`day` but a working day when there is one (blending in with work)."""
        for _ in range(20):
            day = self.day(span)
            if self.world.clock.weekday(day) < 5:
                return day
        return self.day(span)

    def place(self, day: int, person: Person, minutes: float) -> int:
        """Local wall time for ``person`` on ``day``, kept inside the detection period."""
        t = self.world.clock.at(day, person.tz_on(day), minutes)
        while t < self.world.learning_end_ms + MINUTE:
            t += DAY_MS
        while t > self.world.end_ms - 3 * HOUR:
            t -= DAY_MS
        return max(t, self.world.learning_end_ms + MINUTE)

    def night(self, day: int, person: Person) -> int:
        return self.place(day, person, self.rng.uniform(0.5, 4.5) * 60)

    def evening(self, day: int, person: Person) -> int:
        return self.place(day, person, self.rng.uniform(19.0, 22.5) * 60)

    def office_hours(self, day: int, person: Person) -> int:
        return self.place(
            day, person, person.start_min + self.rng.uniform(60, person.length_min - 90)
        )

    def hosts_outside(self, person: Person, day: int, *, kinds: tuple[str, ...] = ()) -> list[Host]:
        """Windows hosts ``person`` never reaches in normal life (and that exist on ``day``)."""
        baseline = set(person.servers) | {h.name for _, h in person.laptops}
        # Everyone logs on to their own DC daily (group policy), and nobody "uses" the backup
        # and scanner hosts; the rollout server is everybody's new normal.
        baseline |= {self.org.dc_for(person).name, "SCAN01", "BKP01", self.org.rollout_server}
        hosts = [
            h
            for h in self.org.hosts.values()
            if h.name not in baseline and h.since_day <= day and (not kinds or h.kind in kinds)
        ]
        return sorted(hosts, key=lambda h: h.name)

    def ws_ip(self, person: Person, day: int) -> tuple[Host, str]:
        ws = person.workstation_on(day)
        if ws is None:
            raise ValueError(f"{person.sam} has no workstation")
        return ws, ws.ip


AWS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # base32, as AWS access key ids are


def random_hex(ctx: Context, length: int, *, upper: bool = False) -> str:
    """``length`` hex digits from the attack's own stream (upper case as Windows prints ids)."""
    digits = "0123456789ABCDEF" if upper else "0123456789abcdef"
    return "".join(ctx.rng.choice(digits) for _ in range(length))


def access_key_id(ctx: Context, prefix: str) -> str:
    """An access key id: ``AKIA`` (user key), ``ASIA`` (session), ``APKA``... and 16 characters."""
    return prefix + "".join(ctx.rng.choice(AWS_KEY_ALPHABET) for _ in range(16))


def aws_person(ctx: Context, *roles: str) -> Person:
    """Someone of these roles with AWS access from the first day."""
    return ctx.pick([p for p in ctx.org.humans if p.role in roles and p.aws and p.first_day == 0])


def random_name(rng: random.Random, length: int = 8) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(length))


@dataclass(frozen=True)
class AttackKind:
    name: str
    family: str
    technique: str
    mitre: tuple[str, ...]
    run: Callable[[Context], Injected]
