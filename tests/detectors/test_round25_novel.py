"""Round 25 (novel25): a silver ticket. A Kerberos network logon (4624 type 3) on a server from
an address where the DC never issued the account any ticket, while another account keeps that
address as its own desk, is a service ticket the DC never issued (forged with the service's own
key: mimikatz ``kerberos::golden /service:cifs``). Not judged: a logon whose ticket was asked
from that address (earlier in the batch or ever), a pool address, an NTLM logon, a feed with no
tickets. The first and the last test fail on main (1a57d78: no such rule, no ``silver_points``);
the two in between guard what is not judged and pass on both."""

from __future__ import annotations

from datetime import timedelta

from detectors.kerberoasting import Kerberoasting
from schemas.event import Action, Event
from tests.detectors.test_round17_novel import START, _learn, _ticket_history, ticket


def _logon(
    day: int, user: str, ip: str, host: str, minute: int = 0, auth: str = "kerberos"
) -> Event:
    return Event(
        time=START + timedelta(days=day, minutes=minute),
        tenant="acme",
        source_format="helk",
        action=Action.LOGON,
        user=user,
        src_ip=ip,
        dst_host=host,
        logon_type="3",
        auth_protocol=auth,
    )


def _silver(
    detector: Kerberoasting, builder: object, events: list[Event]
) -> list[tuple[float, str]]:
    signals = detector.score(builder.build(events), builder)  # type: ignore[attr-defined]
    return [
        (float(p), t)
        for p, t in zip(signals.points, signals.titles, strict=True)
        if "silver ticket" in t
    ]


def test_a_kerberos_logon_without_any_ticket_from_another_accounts_desk_is_a_silver_ticket() -> (
    None
):
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    found = _silver(detector, builder, [_logon(15, "admin1", "10.0.0.5", "sql01", 600)])
    assert len(found) == 1
    points, title = found[0]
    assert points == 65.0  # high on its own: the DC never issued that ticket
    assert title.startswith(
        "admin1 logged on to sql01 with Kerberos from 10.0.0.5, alice's address, where no ticket "
        "was ever issued to admin1"
    )


def test_a_logon_with_its_ticket_is_not_a_silver_ticket() -> None:
    detector = Kerberoasting()
    builder = _learn(detector, _ticket_history())
    # alice's own logons from her desk: her tickets come from there
    assert _silver(detector, builder, [_logon(15, "alice", "10.0.0.5", "fs01", 600)]) == []
    # admin1 signs in at alice's desk: the ticket is asked from there just before the logon
    asked = [
        ticket(15, "admin1", "10.0.0.5", "SQL01$", 599),
        _logon(15, "admin1", "10.0.0.5", "sql01", 600),
    ]
    assert _silver(detector, builder, asked) == []
    # NTLM logons carry no Kerberos ticket at all
    ntlm = [_logon(15, "admin1", "10.0.0.5", "sql01", 600, auth="ntlm")]
    assert _silver(detector, builder, ntlm) == []


def test_a_pool_address_or_an_address_without_tickets_is_not_judged() -> None:
    detector = Kerberoasting()
    history = [*_ticket_history(), ticket(14, "bob", "10.30.0.7", "krbtgt", 300)]
    builder = _learn(detector, history)
    # bob held 10.30.0.7 for one sign-in only (a lease); 10.0.0.77 never got a ticket
    assert _silver(detector, builder, [_logon(15, "admin1", "10.30.0.7", "sql01", 600)]) == []
    assert _silver(detector, builder, [_logon(15, "admin1", "10.0.0.77", "sql01", 600)]) == []


def test_silver_points_zero_turns_the_rule_off() -> None:
    detector = Kerberoasting(silver_points=0.0)
    builder = _learn(detector, _ticket_history())
    assert _silver(detector, builder, [_logon(15, "admin1", "10.0.0.5", "sql01", 600)]) == []
