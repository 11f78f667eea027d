"""The scorer files a false alert under the benign episode whose evidence it cites."""

from datetime import UTC, datetime
from pathlib import Path

from benchmarks.evaluate import Incident, normal_life_category

WHEN = datetime(2024, 3, 4, 10, tzinfo=UTC)
EPISODE = {
    "kind": "server_renumbering",
    "entities": {"users": ["someone_else"]},
    "start": "2024-03-01T00:00:00+00:00",
    "end": "2024-03-01T01:00:00+00:00",
    "evidence": ["linux/auth-2024-03-04.log:17", "dc01:4242"],
}


def _incident(evidence: str) -> Incident:
    return Incident(
        key="k",
        entity=("user", "jdoe"),  # neither the episode's entity nor inside its time span
        related=set(),
        first=WHEN,
        last=WHEN,
        raised=WHEN,
        severity=2,
        detector="lateral_new_path",
        title="t",
        evidence={evidence},
    )


def test_a_syslog_line_named_by_its_absolute_path_meets_the_truths_relative_name(
    tmp_path: Path,
) -> None:
    line = f"{tmp_path}/seed-1/logs/linux/auth-2024-03-04.log:17"
    assert normal_life_category(_incident(line), [EPISODE]) == "server_renumbering"


def test_another_line_of_the_same_file_is_not_that_episodes_evidence(tmp_path: Path) -> None:
    line = f"{tmp_path}/seed-1/logs/linux/auth-2024-03-04.log:18"
    assert normal_life_category(_incident(line), [EPISODE]) == "untagged"


def test_windows_record_ids_still_match_as_they_are() -> None:
    assert normal_life_category(_incident("dc01:4242"), [EPISODE]) == "server_renumbering"
    assert normal_life_category(_incident("dc02:4242"), [EPISODE]) == "untagged"
