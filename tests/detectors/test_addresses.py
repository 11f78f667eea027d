"""The batch builder's bulk address facts give what the one-by-one functions give."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.addresses import (
    INTERNAL_NETWORKS,
    address_facts,
    is_internal,
    is_loopback,
    wide_network,
)
from schemas.normalise import network_of


def one_by_one(values: list[str]) -> tuple[list[str], list[bool], list[int], list[bool]]:
    return (
        [network_of(value) for value in values],
        [is_loopback(value) for value in values],
        [wide_network(value) for value in values],
        [is_internal(value) for value in values],
    )


def in_bulk(values: list[str]) -> tuple[list[str], list[bool], list[int], list[bool]]:
    nets, loopback, wide, internal = address_facts(values)
    return nets, loopback.tolist(), wide.tolist(), internal.tolist()


def edges_of_special_networks() -> list[str]:
    """Every first and last address of the networks ``is_global`` treats apart, and their
    neighbours: where a range test is off by one, these differ."""
    constants = ipaddress.IPv4Address._constants  # type: ignore[attr-defined]
    networks = [constants._public_network, *constants._private_networks]
    networks += [n for n in INTERNAL_NETWORKS if n.version == 4]
    values = []
    for network in networks:
        for edge in (int(network.network_address), int(network.broadcast_address)):
            for address in (edge - 1, edge, edge + 1):
                if 0 <= address < 1 << 32:
                    values.append(str(ipaddress.IPv4Address(address)))
    return values


def test_special_network_edges_match() -> None:
    values = edges_of_special_networks()
    assert len(values) > 60
    assert in_bulk(values) == one_by_one(values)
    # Both kinds occur among them, so the comparison can tell a flipped range test.
    wide, internal = in_bulk(values)[2], in_bulk(values)[3]
    assert any(w == -1 for w in wide) and any(w != -1 for w in wide)
    assert any(internal) and not all(internal)


def test_odd_spellings_take_the_careful_path() -> None:
    values = [
        "010.1.2.3",  # leading zero: int() reads it, inet_pton refuses it
        "1.2.3.400",
        "1.2.3",
        "::1",
        "::ffff:8.8.8.8",
        "2001:4860::8888",
        "fe80::1%eth0",
        "not-an-address",
        " 8.8.8.8",
        "127.0.0.1",
        "8.8.8.8",
    ]
    assert in_bulk(values) == one_by_one(values)
    assert in_bulk(values)[1][-2:] == [True, False]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=(1 << 32) - 1), min_size=1, max_size=50))
def test_random_ipv4_match(addresses: list[int]) -> None:
    values = [str(ipaddress.IPv4Address(address)) for address in addresses]
    assert in_bulk(values) == one_by_one(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.ip_addresses().map(str) | st.text(max_size=20), min_size=1, max_size=30))
def test_any_text_matches(values: list[str]) -> None:
    assert in_bulk(values) == one_by_one(values)
