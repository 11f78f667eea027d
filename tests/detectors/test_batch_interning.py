"""The batch builder's bulk paths against the one-value-at-a-time formulas they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.addresses import address_facts
from detectors.batch import SEPARATOR, BatchBuilder, Vocabulary

VALUES = st.sampled_from(["", "a", "b", "c", "10.0.0.1", "8.8.8.8", "::1", "x\x1fy", "é"])
TENANTS = st.sampled_from(["acme", "globex", "t\x1fu", ""])


@settings(max_examples=300, deadline=None)
@given(batches=st.lists(st.tuples(TENANTS, st.lists(VALUES, max_size=30)), max_size=8))
def test_intern_many_is_intern_one_by_one(batches: list[tuple[str, list[str]]]) -> None:
    bulk, single = Vocabulary(), Vocabulary()
    for tenant, values in batches:
        got = bulk.intern_many(tenant, values)
        expected = [single.intern(tenant, value) for value in values]
        assert got.dtype == np.int32
        assert got.tolist() == expected
        assert bulk.keys == single.keys
        # (intern_many makes a tenant's index even for a batch of nothing but "")
        assert {t: ids for t, ids in bulk.by_tenant.items() if len(ids) > 1} == {
            t: ids for t, ids in single.by_tenant.items() if len(ids) > 1
        }


ADDRESSES = st.sampled_from(
    ["", "10.0.0.1", "10.0.0.2", "8.8.8.8", "8.8.4.4", "127.0.0.1", "::1", "fe80::1", "bad"]
)


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(st.tuples(TENANTS, st.lists(ADDRESSES, max_size=20)), max_size=6),
    restore=st.booleans(),
)
def test_address_tables_are_the_facts_of_each_address(
    batches: list[tuple[str, list[str]]], restore: bool
) -> None:
    builder = BatchBuilder()
    for tenant, addresses in batches:
        vocab = builder.vocab["ip"]
        vocab.intern_many(tenant, addresses)
        if restore:  # a restored vocabulary indexes its keys in bulk
            builder = BatchBuilder({**builder.vocab, "ip": Vocabulary(vocab.keys)})
        builder._learn_addresses()
    ips, nets = builder.vocab["ip"], builder.vocab["net"]
    parts = [key.partition(SEPARATOR) for key in ips.keys]
    strings, loopback, wide, internal = address_facts([part[2] for part in parts])
    expected_nets = [
        nets.by_tenant.get(part[0], {}).get(net, -1) if net else -1
        for part, net in zip(parts, strings, strict=True)
    ]
    total = len(ips)
    assert builder._ip_nets[:total].tolist() == expected_nets
    assert builder._ip_loopback[:total].tolist() == loopback.tolist()
    assert builder._ip_wide16[:total].tolist() == wide.tolist()
    assert builder._ip_internal[:total].tolist() == internal.tolist()
    assert builder._ip_nets[total] == -1 and builder._ip_wide16[total] == -1
