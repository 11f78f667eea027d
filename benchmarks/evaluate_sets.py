"""Every scenario set of README "Detection quality", one ``benchmarks.evaluate`` run each.

``python -m benchmarks.evaluate_sets OUT_DIR`` runs the sets one after another (10-20 min on this
project's 2-core machine), keeps each run's full output in ``OUT_DIR/NAME.txt`` (false alerts,
breakdowns) and prints one line per set and the totals. ``--only s07,s151m`` runs some of them;
``--core`` runs the 27 sets of "Current figures" only; ``--report-only`` re-reads the files already there; ``--compare BASE_DIR`` prints BASE_DIR's
figures beside each set and marks the sets that changed: the before/after of a detection change.

The two 101-104 runs share their normal life, so the totals count those user-days twice, as the
README does.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: (name, options): the 27 sets of README "Current figures", then the attack variants of rounds 8 (m), 11 (o) and 12 (r).
SETS: tuple[tuple[str, str], ...] = (
    ("s07", "--seeds 7,8,9,10"),
    ("s11", "--seeds 11,12,13,14,15,16"),
    ("s31", "--seeds 31,32,33"),
    ("s21", "--seeds 21,22,23 --days 42 --users 80"),
    ("s41", "--seeds 41,42,43,44,45,46"),
    ("s47", "--seeds 47,48 --days 35 --users 150"),
    ("s51", "--seeds 51,52,53 --days 56"),
    ("s54", "--seeds 54,55,56 --attacks all,all"),
    ("s57", "--seeds 57,58 --days 35 --learning-days 14"),
    ("s61", "--seeds 61,62,63,64"),
    ("s65", "--seeds 65,66 --days 21 --users 250"),
    ("s71", "--seeds 71,72,73,74"),
    ("s75", "--seeds 75,76 --days 42 --users 120 --learning-days 10"),
    ("s81", "--seeds 81,82,83,84 --users 25 --days 21"),
    ("s85", "--seeds 85,86 --users 100 --days 28 --learning-days 5"),
    ("s87", "--seeds 87,88 --users 40 --days 35 --learning-days 4"),
    (
        "s89",
        "--seeds 89,90 --learning-days 3 --attacks login_chain:3,lateral_psexec:2,slow_spread,"
        "fanout_burst,stolen_credentials_night:2,stolen_credentials_slow:2",
    ),
    ("s91", "--seeds 91,92,93 --users 15 --days 21"),
    ("s94", "--seeds 94,95 --learning-days 3"),
    ("s96", "--seeds 96,97 --days 70 --users 60"),
    (
        "s98",
        "--seeds 98,99 --attacks login_chain:3,slow_spread:2,lateral_psexec:2,fanout_burst:2,"
        "dormant_account,first_sudo_root",
    ),
    ("s101n", "--seeds 101,102,103,104 --attacks new"),
    ("s101e", "--seeds 101,102,103,104 --attacks every"),
    ("s111", "--seeds 111,112,113,114 --attacks every"),
    ("s121", "--seeds 121,122,123,124 --users 25 --days 21 --attacks new"),
    ("s131", "--seeds 131,132,133 --attacks every --users 40 --days 28"),
    ("s141", "--seeds 141,142 --attacks every,every --users 120 --days 35"),
    ("s151m", "--seeds 151,152,153,154 --attacks more"),
    ("s161m", "--seeds 161,162 --attacks more,more --users 120 --days 35"),
    # round 11: the file server's audited deletes and ACL changes with its attacks (opt-in)
    ("s171f", "--seeds 171,172,173,174 --attacks files"),
    # round 11: the same threats done differently again (opt-in)
    ("s181o", "--seeds 181,182,183,184 --attacks other"),
    ("s191o", "--seeds 191,192 --attacks other,other --users 120 --days 35"),
    # round 12: more kinds nobody had written (opt-in)
    ("s201r", "--seeds 201,202,203,204 --attacks fresh"),
    ("s211r", "--seeds 211,212 --attacks fresh,fresh --users 120 --days 35"),
    ("s241l", "--seeds 241,242,243,244 --attacks lateral13"),  # round 13 (lateral)
    ("s251l", "--seeds 251,252 --attacks lateral13,lateral13 --users 120 --days 35"),
    # round 17: the normal life the default never shows (benchmarks/scenario/more_life.py, opt-in)
    ("s281b", "--seeds 281,282,283,284 --attacks every --life extra"),
    ("s291b", "--seeds 291,292 --attacks every,more --life extra --users 120 --days 35"),
    ("s261v", "--seeds 261,262,263,264 --attacks novel17"),  # round 17 (novel17)
    ("s271v", "--seeds 271,272 --attacks novel17,novel17 --users 120 --days 35"),
    ("s301w", "--seeds 301,302,303,304 --attacks novel19"),  # round 19 (novel19)
    ("s311w", "--seeds 311,312 --attacks novel19,novel19 --users 120 --days 35"),
    # round 19: more normal life nobody had written (benchmarks/scenario/life19.py, opt-in)
    ("s321q", "--seeds 321,322,323,324 --attacks every --life life19"),
    ("s331q", "--seeds 331,332 --attacks every,more --life life19 --users 120 --days 35"),
    ("s341x", "--seeds 341,342,343,344 --attacks novel20w"),  # round 20 (novel20w)
    ("s351x", "--seeds 351,352 --attacks novel20w,novel20w --users 120 --days 35"),
    # round 20: Linux and AWS kinds nobody had written (benchmarks/scenario/novel20c_threats.py)
    ("s361y", "--seeds 361,362,363,364 --attacks novel20c"),
    ("s371y", "--seeds 371,372 --attacks novel20c,novel20c --users 120 --days 35"),
    # round 20: normal life nobody had written yet (benchmarks/scenario/life20.py, opt-in)
    ("s381z", "--seeds 381,382,383,384 --attacks every --life life20"),
    ("s391z", "--seeds 391,392 --attacks every,more --life life20 --users 120 --days 35"),
    # round 21: kinds nobody had written (benchmarks/scenario/novel21_threats.py, opt-in)
    ("s421u", "--seeds 421,422,423,424 --attacks novel21"),
    ("s431u", "--seeds 431,432 --attacks novel21,novel21 --users 120 --days 35"),
    # round 22: kinds nobody had written (benchmarks/scenario/novel22_threats.py, opt-in)
    ("s441t", "--seeds 441,442,443,444 --attacks novel22"),
    ("s451t", "--seeds 451,452 --attacks novel22,novel22 --users 120 --days 35"),
    # round 22: normal life nobody had written yet (benchmarks/scenario/life22.py, opt-in)
    ("s461k", "--seeds 461,462,463,464 --attacks every --life life22"),
    ("s471k", "--seeds 471,472 --attacks every,more --life life22 --users 120 --days 35"),
    # round 23: kinds nobody had written (benchmarks/scenario/novel23_threats.py, opt-in)
    ("s481r", "--seeds 481,482,483,484 --attacks novel23"),
    ("s491r", "--seeds 491,492 --attacks novel23,novel23 --users 120 --days 35"),
    # round 23: normal life nobody had written yet (benchmarks/scenario/life23.py, opt-in)
    ("s511m", "--seeds 511,512,513,514 --attacks every --life life23"),
    ("s561m", "--seeds 561,562 --attacks every,more --life life23 --users 120 --days 35"),
    # round 24: kinds nobody had written (benchmarks/scenario/novel24_threats.py, opt-in)
    ("s631r", "--seeds 631,632,633,634 --attacks novel24"),
    ("s641r", "--seeds 641,642 --attacks novel24,novel24 --users 120 --days 35"),
    # round 24: normal life nobody had written yet (benchmarks/scenario/life24.py, opt-in)
    ("s661m", "--seeds 661,662,663,664 --attacks every --life life24"),
    ("s671m", "--seeds 671,672 --attacks every,more --life life24 --users 120 --days 35"),
    # round 25: kinds nobody had written (benchmarks/scenario/novel25_threats.py, opt-in)
    ("s691r", "--seeds 691,692,693,694 --attacks novel25"),
    ("s701r", "--seeds 701,702 --attacks novel25,novel25 --users 120 --days 35"),
    # round 25: normal life nobody had written yet (benchmarks/scenario/life25.py, opt-in)
    ("s721m", "--seeds 721,722,723,724 --attacks every --life life25"),
    ("s731m", "--seeds 731,732 --attacks every,more --life life25 --users 120 --days 35"),
    # round 26: kinds nobody had written (benchmarks/scenario/novel26_threats.py, opt-in)
    ("s751r", "--seeds 751,752,753,754 --attacks novel26"),
    ("s761r", "--seeds 761,762 --attacks novel26,novel26 --users 120 --days 35"),
    # round 26: normal life nobody had written yet (benchmarks/scenario/life26.py, opt-in)
    ("s781m", "--seeds 781,782,783,784 --attacks every --life life26"),
    ("s791m", "--seeds 791,792 --attacks every,more --life life26 --users 120 --days 35"),
)

CORE_SETS = 27  # the first 27: README "Current figures"; then round 8's `--attacks more` sets

_RECALL = re.compile(r"recall, all attacks\s+[\d.]+% \((\d+)/(\d+)\)")
_PAGES = re.compile(r"page recall \(severity >= high\)\s+[\d.]+% \((\d+)/(\d+)\)")
_FALSE_ALERTS = re.compile(r"false alerts / 1000 user-days\s+[\d.]+ \((\d+) in (\d+) user-days\)")
_FALSE_PAGES = re.compile(r"false pages / 1000 user-days\s+[\d.]+ \((\d+)\)")
_FAMILY = re.compile(r"^  recall, (\w+)\s+[\d.]+% \((\d+)/(\d+)\)", re.MULTILINE)


@dataclass(frozen=True)
class SetFigures:
    detected: int
    attacks: int
    paged: int
    false_alerts: int
    false_pages: int
    user_days: int
    lowest_family: str  # "" when every family is complete

    def line(self) -> str:
        per_k = 1000 / max(self.user_days, 1)
        return (
            f"{self.detected}/{self.attacks} p{self.paged} "
            f"FA {self.false_alerts * per_k:.1f} ({self.false_alerts}) "
            f"FP {self.false_pages * per_k:.1f} ({self.false_pages}) {self.lowest_family}"
        ).rstrip()


def read_figures(text: str) -> SetFigures | None:
    """The figures ``benchmarks.evaluate`` printed, or None for a run that did not finish."""
    recall, pages = _RECALL.search(text), _PAGES.search(text)
    false_alerts, false_pages = _FALSE_ALERTS.search(text), _FALSE_PAGES.search(text)
    if not (recall and pages and false_alerts and false_pages):
        return None
    families = [(int(d) / int(n), f"{f} {d}/{n}") for f, d, n in _FAMILY.findall(text)]
    lowest = min(families, default=(1.0, ""))
    return SetFigures(
        detected=int(recall[1]),
        attacks=int(recall[2]),
        paged=int(pages[1]),
        false_alerts=int(false_alerts[1]),
        false_pages=int(false_pages[1]),
        user_days=int(false_alerts[2]),
        lowest_family=lowest[1] if lowest[0] < 1 else "",
    )


def run_set(name: str, options: str, out: Path) -> None:
    command = [sys.executable, "-m", "benchmarks.evaluate", *options.split()]
    with (out / f"{name}.txt").open("w") as sink:
        subprocess.run(
            [*command, "--breakdown", "--verbose"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )


def _figures(directory: Path, name: str) -> SetFigures | None:
    path = directory / f"{name}.txt"
    return read_figures(path.read_text()) if path.exists() else None


def report(out: Path, names: list[str], base: Path | None) -> None:
    totals = [0, 0, 0, 0, 0, 0]
    for name in names:
        figures = _figures(out, name)
        cells = [figures.line() if figures else "(no result)"]
        if base is not None:
            before = _figures(base, name)
            cells.insert(0, before.line() if before else "(no result)")
            if before != figures:
                cells.append("<-- changed")
        print(f"{name:6} " + "  |  ".join(cells))
        if figures:
            for i, value in enumerate(
                (
                    figures.detected,
                    figures.attacks,
                    figures.paged,
                    figures.false_alerts,
                    figures.false_pages,
                    figures.user_days,
                )
            ):
                totals[i] += value
    detected, attacks, paged, false_alerts, false_pages, user_days = totals
    if attacks:
        per_k = 1000 / max(user_days, 1)
        print(
            f"TOTAL {detected}/{attacks} detected, {paged} paged ({100 * paged / attacks:.1f} %), "
            f"false alerts {false_alerts * per_k:.2f} ({false_alerts}), "
            f"false pages {false_pages * per_k:.2f} ({false_pages}) per 1000 user-days "
            f"in {user_days} user-days"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for one NAME.txt per set")
    parser.add_argument("--only", default="", help="comma-separated set names (default: all)")
    parser.add_argument(
        "--core", action="store_true", help="only the 27 sets of README 'Current figures'"
    )
    parser.add_argument("--report-only", action="store_true", help="read OUT's files, run nothing")
    parser.add_argument("--compare", type=Path, help="a directory of an earlier run to compare")
    args = parser.parse_args(argv)
    known = dict(SETS)
    names = [n for n in args.only.split(",") if n] or list(known)[
        : CORE_SETS if args.core else None
    ]
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(known)}")
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        for name in names:
            print(f"running {name}: {known[name]}", file=sys.stderr, flush=True)
            run_set(name, known[name], args.out)
    report(args.out, names, args.compare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
