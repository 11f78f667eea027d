"""benchmarks.evaluate_sets: the set list and the reading of ``benchmarks.evaluate``'s output."""

from __future__ import annotations

from pathlib import Path

from benchmarks.evaluate_sets import CORE_SETS, SETS, main, read_figures
from benchmarks.scenario.attacks import expand_names
from benchmarks.scenario.more_life import expand

OUTPUT = """\
metric                             value
recall, all attacks                 81.2% (26/32)
  recall, credential_misuse         75.0% (12/16)
  recall, lateral_movement          75.0% (6/8)
  recall, privilege_abuse          100.0% (8/8)
page recall (severity >= high)      46.9% (15/32)
false alerts / 1000 user-days         2.3 (9 in 3871 user-days)
false pages / 1000 user-days          0.5 (2)
"""


def test_the_figures_and_the_lowest_family_are_read() -> None:
    figures = read_figures(OUTPUT)
    assert figures is not None
    assert (figures.detected, figures.attacks, figures.paged) == (26, 32, 15)
    assert (figures.false_alerts, figures.false_pages, figures.user_days) == (9, 2, 3871)
    assert figures.lowest_family == "credential_misuse 12/16"
    assert figures.line() == "26/32 p15 FA 2.3 (9) FP 0.5 (2) credential_misuse 12/16"


def test_an_unfinished_run_reads_as_no_result() -> None:
    assert read_figures(OUTPUT.split("false pages")[0]) is None


def test_every_set_names_known_attacks_and_only_known_options() -> None:
    names = [name for name, _ in SETS]
    assert len(names) == len(set(names))
    assert CORE_SETS == 27
    known = {"--seeds", "--days", "--users", "--learning-days", "--attacks", "--life"}
    for _, options in SETS:
        words = options.split()
        assert set(words[0::2]) <= known, options
        attacks = dict(zip(words[0::2], words[1::2], strict=True)).get("--attacks")
        if attacks:
            assert expand_names(attacks.split(","))  # raises on an unknown attack name
        life = dict(zip(words[0::2], words[1::2], strict=True)).get("--life")
        if life:
            assert expand(life.split(","))  # raises on an unknown behaviour


def test_report_only_prints_the_totals(tmp_path: Path, capsys: object) -> None:
    (tmp_path / "s07.txt").write_text(OUTPUT)
    assert main([str(tmp_path), "--only", "s07", "--report-only"]) == 0
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "TOTAL 26/32 detected, 15 paged (46.9 %)" in printed
