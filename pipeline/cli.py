"""The ``vigil`` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO

from pipeline.config import ConfigError, load_config
from pipeline.embedded import dumps, run_detect, summary_line
from schemas.parsers import load_all as load_parsers
from schemas.readers import InputError, expand

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    formats = ["auto", *sorted(load_parsers())]
    detect = commands.add_parser(
        "detect",
        help="read log files (or - for stdin) and print alerts as JSON lines",
        description="Embedded mode: no broker. Inputs are merged in event-time order.",
    )
    detect.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or - (stdin)")
    detect.add_argument("--tenant", default=os.environ.get("VIGIL_TENANT", "default"))
    detect.add_argument("--state", metavar="DIR", help="load learned state from DIR, save it back")
    detect.add_argument(
        "--alerts", metavar="PATH|-", default="-", help="alert output (default stdout)"
    )
    detect.add_argument(
        "--dead-letter",
        metavar="PATH",
        help="dead-letter JSON lines (default: stderr)",
    )
    detect.add_argument("--format", choices=formats, default="auto", help="force one input format")
    detect.add_argument("--stats", metavar="PATH", help="write a JSON run summary to PATH")
    detect.add_argument("--config", metavar="FILE", help="TOML configuration (see README)")
    return parser


@contextlib.contextmanager
def _output(path: str | None, default: IO[bytes], mode: str = "wb") -> Iterator[IO[bytes]]:
    if path is None or path == "-":
        yield default
        return
    with open(path, mode) as stream:
        yield stream


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "detect":
        return _detect(args)
    return EXIT_USAGE  # pragma: no cover - argparse enforces a known command


def _detect(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        list(expand(p for p in args.paths if p != "-"))  # fail fast on missing inputs
    except (ConfigError, InputError) as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.tenant or "|" in args.tenant or "\x1f" in args.tenant:
        print("vigil: --tenant must be a non-empty name without '|'", file=sys.stderr)
        return EXIT_USAGE
    forced = None if args.format == "auto" else args.format
    try:
        with (
            _output(args.alerts, sys.stdout.buffer) as alerts_out,
            _output(args.dead_letter, sys.stderr.buffer, "ab") as dead_out,
        ):
            summary = run_detect(
                args.paths,
                tenant=args.tenant,
                config=config,
                alerts_out=alerts_out,
                dead_letters=dead_out,
                state_dir=args.state,
                forced_format=forced,
            )
    except InputError as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary_line(summary), file=sys.stderr)
    if args.stats:
        with open(args.stats, "wb") as stream:
            stream.write(dumps(summary.as_dict()) + b"\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
