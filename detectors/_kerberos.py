"""Which Kerberos ticket rows are TGTs, one test for every detector that asks.

A TGT is a ticket for the KDC's own service: ``krbtgt``, written ``krbtgt/REALM`` or
``krbtgt@REALM`` by some exports. A read-only domain controller signs the TGTs it issues with
its own ``krbtgt_NNNNN`` account (the number is the RODC's key version), so those are TGTs too.
Round 21 left two tests that disagreed on them (``startswith("krbtgt")`` in ``kerberoasting``,
``== "krbtgt"`` in ``rare_attributes``): a branch office's TGT counted as a TGT in one and as
a service ticket in the other.

>>> [is_tgt_service(s) for s in ("krbtgt", "KRBTGT/ACME.LOCAL", "krbtgt_24781", "krbtgt@acme")]
[True, True, True, True]
>>> [is_tgt_service(s) for s in ("krbtgtsvc", "krbtgt_backup", "FS01$", "svc_sql", "")]
[False, False, False, False, False]
"""

from __future__ import annotations

_RODC_PREFIX = "krbtgt_"


def is_tgt_service(service: str) -> bool:
    """Whether a ticket's service name is the KDC's (a TGT), an RODC's ``krbtgt_NNNNN`` too."""
    name = service.lower().split("/", 1)[0].split("@", 1)[0]
    if name == "krbtgt":
        return True
    number = name[len(_RODC_PREFIX) :]
    return name.startswith(_RODC_PREFIX) and number.isdigit()


__all__ = ["is_tgt_service"]
