"""``ipv4_octets`` (the detectors' hot path for addresses) agrees with a plain reading of a
dotted quad on every string: four parts, each what ``int()`` reads, each 0..255."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from schemas.normalise import ipv4_octets


def reference(ip: str) -> tuple[int, ...] | None:
    parts = ip.split(".")
    if len(parts) != 4:
        return None
    try:
        octets = tuple(int(part) for part in parts)
    except ValueError:
        return None
    return octets if all(0 <= octet <= 255 for octet in octets) else None


PART = st.one_of(
    st.integers(-300, 300).map(str),
    st.sampled_from(["", " 7", "+1", "1_0", "0x1", "00", "256", "a", "١٢"]),
    st.text(max_size=3),
)


@given(st.lists(PART, min_size=1, max_size=6).map(".".join))
def test_agrees_with_a_plain_reading(ip: str) -> None:
    assert ipv4_octets(ip) == reference(ip)


def test_examples() -> None:
    assert ipv4_octets("10.1.2.3") == (10, 1, 2, 3)
    assert ipv4_octets("255.255.255.255") == (255, 255, 255, 255)
    assert ipv4_octets("1.2.3.256") is None
    assert ipv4_octets("-1.2.3.4") is None
    assert ipv4_octets("::1") is None
    assert ipv4_octets("1.2.3") is None
