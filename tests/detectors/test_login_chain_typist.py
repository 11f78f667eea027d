"""``login_chain`` and the typist of a 4648 (round 12, issue 3: ``slow_chain_switch``).

A victim RDPs to a server they use; later, from that session, they type an admin's credentials
and RDP on to a second server. On a busy server somebody else reaches it between the victim's
logon and the 4648 (a web application's users), so "whoever reached B last" named the wrong
person, and the typed hop lost to that weaker chain. And an account's earlier logons from an
unresolved address counted as hops from host id 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np

from detectors.batch import BatchBuilder
from detectors.login_chain import LoginChain
from schemas.event import Event
from tests.detectors.streams import explicit_credential as explicit
from tests.detectors.streams import network_logon as logon

MONDAY = datetime(2024, 3, 4, tzinfo=UTC)


def rdp(when: datetime, user: str, src: str, dst: str, **fields: object) -> Event:
    return msgspec.structs.replace(logon(when, user, src, dst, **fields), logon_type="10")


def estate(days: int = 10) -> list[Event]:
    """web01 (host id 0: the first host seen) is a web server office users reach over the network;
    user1 also opens desktop sessions on it; the admin adm manages web01 and web02 from mgmt01."""
    events = [logon(MONDAY, "web01$", "web01", "dc1")]  # (the machine account names it first)
    for day in range(days):
        date = MONDAY + timedelta(days=day, hours=9)
        for u in range(3):
            events.append(logon(date + timedelta(minutes=u), f"user{u}", f"ws{u}", "web01"))
        events.append(rdp(date + timedelta(minutes=30), "user1", "ws1", "web01"))
        for server in ("web01", "web02"):
            events.append(
                logon(date + timedelta(hours=1), "adm", "mgmt01", server, privileged=True)
            )
    return events


def signals_for(tail: list[Event]) -> tuple[list[float], list[str], BatchBuilder, list[str]]:
    builder, detector = BatchBuilder(), LoginChain()
    past = builder.build(estate())
    detector.learn(past, held_back=np.zeros(len(past), dtype=np.bool_))
    signals = detector.score(builder.build(tail), builder)
    return [float(p) for p in signals.points], signals.titles, builder, signals.observed


def typed_on_web01(when: datetime) -> list[Event]:
    return [
        explicit(when, "user1", "adm", "web01", "web02"),
        rdp(when + timedelta(seconds=1), "adm", "web01", "web02", privileged=True),
    ]


def test_the_typist_is_the_chain_even_when_someone_else_reached_b_since() -> None:
    start = MONDAY + timedelta(days=11, hours=9)
    tail = [
        rdp(start, "user1", "ws1", "web01"),
        logon(start + timedelta(hours=2, minutes=50), "user2", "ws2", "web01"),
        *typed_on_web01(start + timedelta(hours=3)),
    ]
    points, titles, _, observed = signals_for(tail)
    chain = LoginChain()
    # The 4648 (user1's session began 3 h before: outside the window, but the 4648 proves it is
    # there), then adm's logon as the typed hop: both a chain with the switch user1 -> adm.
    assert points == [chain.chain_points + chain.switch_points] * 2
    assert "while user1 had a remote session on web01" in titles[0]
    assert observed[0] == "chain user1's session -> web01 -> web02 with user1 -> adm"
    assert "account switch user1 -> adm" in titles[0]
    assert "user1 typed adm's credentials on web01" in titles[1]
    assert all("user2" not in title for title in titles)


def test_an_unresolved_source_is_no_hop_from_the_first_host() -> None:
    when = MONDAY + timedelta(days=11, hours=14)
    # adm logs on twice from an address no logon ever named (source unknown) in the same batch,
    # then user1 (on web01, host id 0) types adm's credentials there.
    unknown = [
        logon(when - timedelta(minutes=m), "adm", "", "dc1", ip="10.66.0.9") for m in (20, 10)
    ]
    points, titles, builder, _ = signals_for([*unknown, *typed_on_web01(when)])
    assert builder.vocab["host"].value(0) == "web01"
    assert len(points) == 2 and "user1" in titles[0]


def test_a_typist_at_their_own_desk_is_no_remote_session() -> None:
    # user0 never reached ws0 remotely (it is where they work): no session to chain from.
    when = MONDAY + timedelta(days=11, hours=14)
    tail = [explicit(when, "user0", "adm", "ws0", "web02")]
    assert signals_for(tail)[0] == []
