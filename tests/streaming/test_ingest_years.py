"""`vigil ingest` anchors RFC 3164 years on the run's dated inputs as `vigil detect` does
(schemas/year_anchor.py): the reference time travels in the vigil.raw envelopes, read back from
the real broker here."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.schemas.test_year_anchor import TODAY, write_run
from tests.streaming.helpers import read_topic, run_cli, unique_prefix

pytestmark = pytest.mark.kafka


def syslog_reference_years(broker: str, prefix: str) -> set[int]:
    envelopes = read_topic(broker, f"{prefix}vigil.raw")
    return {
        datetime.fromtimestamp(envelope["ref"], UTC).year
        for envelope in envelopes
        if envelope.get("format") == "syslog"
    }


@pytest.mark.parametrize("dated", [True, False])
def test_ingest_anchors_a_touched_syslog_file_on_the_dated_inputs(
    kafka_broker: str, tmp_path: Path, dated: bool
) -> None:
    root = write_run(tmp_path, syslog_mtime=TODAY)
    if not dated:  # no dated input: the mtime decides, as before
        (root / "windows.json").unlink()
        second = root / "auth.log.1"
        second.write_text((root / "auth.log").read_text())
        os.utime(second, (TODAY.timestamp(),) * 2)
    prefix = unique_prefix()
    args = ["ingest", "--broker", kafka_broker, "--topic-prefix", prefix, "--tenant", "acme"]
    run_cli([*args, str(root)])
    assert syslog_reference_years(kafka_broker, prefix) == ({2024} if dated else {2026})
