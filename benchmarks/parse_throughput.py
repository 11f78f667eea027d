"""Parse throughput per input format, on the real files in ../shared/data (and a generated
syslog/CloudTrail volume where the real ones are too small to time).

    python -m benchmarks.parse_throughput [--data ../shared/data] [--repeat 5]

Each row reads the files through ``InputReader`` (decompression, framing, sniffing, parsing,
dead letters), best CPU time of ``--repeat`` runs, both ways, alternated: record by record (the
per-record parsers, as the per-event baselines and streaming ingest read) and columnar (as
``vigil detect`` reads: block reads of plain files, per-distinct-value parsing of HELK; the
same events).

Syslog and HELK rows run twice, alternated: with the compiled readers (``vigil_native``,
schemas/native: the sshd reader, and the HELK line reader of the columnar path) and with them
switched off (pure Python, HELK lines decoded by ``orjson``); both must count the same.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schemas.parsers import bulk, syslog
from schemas.readers import InputReader, ReadStats

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def read_all(paths: list[str], columnar: bool = False) -> tuple[ReadStats, float]:
    stats = ReadStats()
    reader = InputReader(tenant="bench", sink=lambda letter: None, stats=stats, columnar=columnar)
    start = time.process_time()  # CPU time: the machine is shared, wall time moves 2x
    for _ in reader.read_paths(paths):
        pass
    return stats, time.process_time() - start


@contextmanager
def native_reader(on: bool | None) -> Iterator[None]:
    """The compiled sshd and HELK readers on (True), off (False) or as installed (None)."""
    saved = syslog._native_sshd_line, bulk._NativeReader, bulk._native_time
    if on is False:
        syslog._native_sshd_line = None
        bulk._NativeReader, bulk._native_time = None, None
    try:
        yield
    finally:
        syslog._native_sshd_line, bulk._NativeReader, bulk._native_time = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = args.data
    with tempfile.TemporaryDirectory() as scratch:
        from benchmarks.scenario import generate

        generate(Path(scratch), seed=5, days=14, users=60)
        logs = Path(scratch) / "logs"
        from benchmarks.streaming_bench import generate_auth_log, recent_end

        # The streaming benchmark's input (RFC 3164 sshd "Accepted" lines), 200,000 of them.
        sshd_log = Path(scratch) / "sshd.log"
        lines = generate_auth_log(
            users=2000, days=20, logons_per_day=5, attackers=100, end=recent_end()
        )
        sshd_log.write_text("".join(line + "\n" for line in lines))
        rows = [
            (
                "helk (Security-Datasets zips)",
                sorted(map(str, (data / "security-datasets/atomic/windows").rglob("*.zip"))),
            ),
            (
                "evtx (EVTX-ATTACK-SAMPLES)",
                sorted(map(str, (data / "evtx-attack-samples").rglob("*.evtx"))),
            ),
            (
                "cloudtrail (Stratus + Security-Datasets)",
                sorted(map(str, (data / "stratus-red-team").rglob("*.json")))
                + sorted(map(str, (data / "security-datasets/atomic/aws").rglob("*.zip"))),
            ),
            (
                "syslog (loghub OpenSSH + Linux)",
                [
                    str(data / "loghub/OpenSSH/OpenSSH_2k.log"),
                    str(data / "loghub/Linux/Linux_2k.log"),
                ],
            ),
            ("helk (generated, plain JSON lines)", [str(logs / "windows")]),
            ("syslog (generated, RFC 3164)", [str(logs / "linux")]),
            ("cloudtrail (generated, Records files)", [str(logs / "cloudtrail")]),
            ("syslog (streaming_bench sshd lines)", [str(sshd_log)]),
        ]
        print(
            f"{'input':44} {'records':>9} {'events':>8} {'dead':>5} "
            f"{'per-record/s':>13} {'columnar/s':>11} {'x':>5}"
        )
        for label, paths in rows:
            paths = [p for p in paths if not p.endswith("LABELS.json")]
            if not paths:
                continue
            variants: tuple[bool | None, ...] = (None,)
            if (label.startswith("syslog") and syslog.NATIVE) or (
                label.startswith("helk") and bulk.NATIVE
            ):
                variants = (True, False)
            best: dict[tuple[bool | None, bool], tuple[ReadStats, float]] = {}
            for _ in range(args.repeat):  # alternated, so all see the same machine load
                for native in variants:
                    with native_reader(native):
                        for columnar in (False, True):
                            stats, seconds = read_all(paths, columnar)
                            key = (native, columnar)
                            if key not in best or seconds < best[key][1]:
                                best[key] = (stats, seconds)
            for native in variants:
                (stats, elapsed), (fast_stats, fast_elapsed) = (
                    best[native, False],
                    best[native, True],
                )
                if fast_stats != stats or stats != best[variants[0], False][0]:
                    raise SystemExit(f"{label}: the paths counted differently")
                name = label + {None: "", True: " [native]", False: " [python]"}[native]
                print(
                    f"{name:44} {stats.records_read:>9,} {stats.events:>8,} {stats.dead_letter:>5} "
                    f"{stats.records_read / elapsed:>13,.0f} {stats.records_read / fast_elapsed:>11,.0f} "
                    f"{elapsed / fast_elapsed:>5.2f}"
                )


if __name__ == "__main__":
    main()
