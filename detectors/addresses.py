"""Facts about a source address that several detectors ask of every row: is it loopback, and
which wide network (/16 of a public IPv4, /32 of a public IPv6) it is in.

The batch builder computes them once per distinct address id and hands them to every batch as
row-aligned columns (``EventBatch.src_loopback``, ``src_wide16``), so a stream of fresh
addresses pays the string work once per address, not once per detector and batch.
"""

from __future__ import annotations

import functools
import ipaddress

from schemas.normalise import ipv4_octets


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
