"""Facts about a source address that several detectors ask of every row: is it loopback, and
which wide network (/16 of a public IPv4, /32 of a public IPv6) it is in.

The batch builder computes them once per distinct address id and hands them to every batch as
row-aligned columns (``EventBatch.src_loopback``, ``src_wide16``), so a stream of fresh
addresses pays the string work once per address, not once per detector and batch.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import operator
import socket
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from schemas.normalise import ipv4_octets, network_of

BoolArray = npt.NDArray[np.bool_]
Int64Array = npt.NDArray[np.int64]


@functools.lru_cache(maxsize=1 << 18)
def is_loopback(value: str) -> bool:
    if not value:
        return False
    if ipv4_octets(value) is not None:
        return value.startswith("127.")  # IPv4 loopback is exactly 127.0.0.0/8
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=1 << 16)
def _global_v4_24(a: int, b: int, c: int) -> bool:
    return ipaddress.ip_address(f"{a}.{b}.{c}.1").is_global


def _special_v4_24(a: int, b: int, c: int) -> bool:
    """/24s holding addresses whose global status differs from the rest of the /24."""
    return (a, b, c) in {(192, 0, 0), (255, 255, 255)} or a == 0


def wide_network(ip: str) -> int:
    """The /16 of a public IPv4 address or the /32 of a public IPv6 one as a small integer
    (IPv6 above ``1 << 32``); -1 for private, special and unparsable addresses."""
    octets = ipv4_octets(ip)
    if octets is not None and not _special_v4_24(octets[0], octets[1], octets[2]):
        # Whether an IPv4 address is global depends only on its /24 here (the few special
        # /32s live in /24s that _special_v4_24 sends to the exact check below).
        if not _global_v4_24(octets[0], octets[1], octets[2]):
            return -1
        return (octets[0] << 24) | (octets[1] << 16)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return -1
    if not address.is_global:
        return -1
    if address.version == 4:
        return int(address) & 0xFFFF0000
    return (1 << 32) + (int(address) >> 96)


#: The organisation's own networks: RFC 1918, carrier-grade NAT (VPN pools often live there)
#: and IPv6 unique-local. Documentation and other special ranges are not.
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


@functools.lru_cache(maxsize=1 << 16)
def is_internal(ip: str) -> bool:
    """An address of the organisation's own networks (:data:`INTERNAL_NETWORKS`).

    >>> [is_internal(a) for a in ("10.20.1.20", "172.31.0.4", "203.0.113.9", "fd00::1")]
    [True, True, False, True]
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(
        address in network for network in INTERNAL_NETWORKS if network.version == address.version
    )


def _v4_ranges(networks: Sequence[ipaddress.IPv4Network]) -> npt.NDArray[np.uint32]:
    """(first, last) address of each network as rows of integers."""
    return np.array(
        [(int(net.network_address), int(net.broadcast_address)) for net in networks],
        dtype=np.uint32,
    ).reshape(-1, 2)


# ``IPv4Address.is_global`` is "not in the shared address space and not private", and private
# is "in one of these networks (and in none of the exceptions, on Pythons that have them)".
# The networks are read from ``ipaddress`` itself, so the vectorised test below follows the
# running Python; tests/detectors/test_addresses.py checks it against ``is_global``.
_CONSTANTS = ipaddress.IPv4Address._constants  # type: ignore[attr-defined]
_SHARED = _v4_ranges([_CONSTANTS._public_network])
_PRIVATE = _v4_ranges(_CONSTANTS._private_networks)
_PRIVATE_EXCEPTIONS = _v4_ranges(getattr(_CONSTANTS, "_private_networks_exceptions", []))
_INTERNAL_V4 = _v4_ranges([n for n in INTERNAL_NETWORKS if isinstance(n, ipaddress.IPv4Network)])


def _in_ranges(addresses: npt.NDArray[np.uint32], ranges: npt.NDArray[np.uint32]) -> BoolArray:
    inside = np.zeros(len(addresses), dtype=np.bool_)
    for first, last in ranges:
        inside |= (addresses >= first) & (addresses <= last)
    return inside


def _packed_v4(value: str) -> bytes | None:
    """The 4 bytes of a strict dotted quad (no leading zeros, nothing else), else None."""
    try:
        return socket.inet_pton(socket.AF_INET, value)
    except (OSError, ValueError):
        return None


def address_facts(
    values: Sequence[str],
) -> tuple[list[str], BoolArray, Int64Array, BoolArray]:
    """For each address: its network (``network_of``), whether it is loopback, its wide
    network (``wide_network``) and whether it is internal (``is_internal``), in bulk. A stream
    of fresh addresses makes these per-address facts the batch builder's largest cost; strict
    dotted quads (what logs carry) are done with numpy, anything else one by one with the
    functions above, which give the same answers (tests/detectors/test_addresses.py).

    >>> facts = address_facts(["8.8.4.4", "127.0.0.1", "::1", "010.0.0.1"])
    >>> nets, loopback, wide, internal = facts
    >>> nets
    ['8.8.4.0/24', '127.0.0.0/24', '::/64', '10.0.0.0/24']
    >>> loopback.tolist(), wide.tolist(), internal.tolist()
    ([False, True, True, False], [134742016, -1, -1, -1], [False, False, False, False])
    """
    every = _all_strict_quads(values)
    packed: list[bytes | None] = (
        list(map(_packed_v4, values)) if every is None else [b""] * len(values)
    )
    strict = (
        range(len(values))
        if every is not None
        else [index for index, bytes_ in enumerate(packed) if bytes_ is not None]
    )
    nets: list[str] = [""] * len(values)
    loopback = np.zeros(len(values), dtype=np.bool_)
    wide = np.full(len(values), -1, dtype=np.int64)
    internal = np.zeros(len(values), dtype=np.bool_)
    if strict:
        rows = np.array(strict, dtype=np.int64)
        quads = every if every is not None else b"".join(b for b in packed if b is not None)
        addresses = np.frombuffer(quads, dtype=">u4").astype(np.uint32)
        loopback[rows] = (addresses >> 24) == 127
        private = _in_ranges(addresses, _PRIVATE) & ~_in_ranges(addresses, _PRIVATE_EXCEPTIONS)
        public = ~_in_ranges(addresses, _SHARED) & ~private
        wide[rows] = np.where(public, addresses.astype(np.int64) & 0xFFFF0000, -1)
        internal[rows] = _in_ranges(addresses, _INTERNAL_V4)
        # A strict dotted quad is canonical: its /24 is its text up to the last dot.
        if every is not None:  # (all of them: C-level maps, no Python call per address)
            heads = map(_HEAD, map(str.rpartition, values, itertools.repeat(".")))
            nets = list(map(operator.add, heads, itertools.repeat(".0/24")))
        else:
            for index in strict:
                value = values[index]
                nets[index] = value[: value.rindex(".")] + ".0/24"
    if every is None:
        for index, bytes_ in enumerate(packed):
            if bytes_ is None:
                value = values[index]
                nets[index] = network_of(value)
                loopback[index] = is_loopback(value)
                wide[index] = wide_network(value)
                internal[index] = is_internal(value)
    return nets, loopback, wide, internal


_HEAD = operator.itemgetter(0)


def _all_strict_quads(values: Sequence[str]) -> bytes | None:
    """The 4 bytes of every value one after the other when all are strict dotted quads (one
    C-level ``map`` of ``inet_pton``: a stream of fresh addresses is nothing else), None as
    soon as one is not (then each value is tried on its own, as :func:`_packed_v4`)."""
    try:
        return b"".join(map(socket.inet_pton, itertools.repeat(socket.AF_INET), values))
    except (OSError, ValueError):
        return None
