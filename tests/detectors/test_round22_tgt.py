"""Round 22: one TGT test for every detector (``detectors._kerberos.is_tgt_service``).

A read-only domain controller issues TGTs for its own ``krbtgt_NNNNN`` account. On main
(3225c5b) ``kerberoasting`` counted them as TGTs (``startswith("krbtgt")``) and ``rare_pre_auth``
did not (``split("/")[0] == "krbtgt"``): a certificate TGT from a branch office's RODC was never
judged. ``test_an_rodc_tgt_is_judged_by_rare_pre_auth`` fails on main.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors._kerberos import is_tgt_service
from detectors.batch import BatchBuilder
from detectors.rare_attributes import RarePreAuth
from schemas.event import Action, Event

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def _tgt(day: float, pre_auth: str, service: str) -> Event:
    return Event(time=START + timedelta(days=day), tenant="t", source_format="x",
                 action=Action.AUTH_TICKET, user="admin1", src_ip="10.0.0.5",
                 object=service, logon_type=pre_auth)  # fmt: skip


@pytest.mark.parametrize("service", ["krbtgt", "krbtgt/ACME.LOCAL", "krbtgt_24781"])
def test_an_rodc_tgt_is_judged_by_rare_pre_auth(service: str) -> None:
    builder, detector = BatchBuilder(), RarePreAuth()
    history = builder.build([_tgt(day / 2, "2", service) for day in range(40)])
    detector.learn(history, held_back=np.zeros(len(history), dtype=bool))
    signals = detector.score(builder.build([_tgt(21, "16", service)]), builder)
    assert signals.rows.tolist() == [0]


@pytest.mark.parametrize(
    ("service", "tgt"),
    [("krbtgt", True), ("KRBTGT@ACME.LOCAL", True), ("krbtgt_1", True),
     ("krbtgt_backup", False), ("krbtgtsvc", False), ("FS01$", False), ("svc_sql", False)],
)  # fmt: skip
def test_is_tgt_service(service: str, tgt: bool) -> None:
    assert is_tgt_service(service) is tgt
