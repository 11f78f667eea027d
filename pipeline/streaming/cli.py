"""``vigil ingest | worker | alerts``: the streaming commands.

``add_commands(subparsers)`` adds them to the ``vigil`` parser; each sets ``func`` so the main
program calls ``args.func(args) -> int``. ``python -m pipeline.streaming.cli`` runs them alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.streaming.topics import Topics, default_broker, default_prefix

EXIT_USAGE = 2


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--broker", default=default_broker(), metavar="HOST:PORT", help="Kafka bootstrap server"
    )
    common.add_argument(
        "--topic-prefix",
        default=default_prefix(),
        metavar="P",
        help="prefix for topic and group names (tests, side-by-side deployments)",
    )

    ingest = subparsers.add_parser(
        "ingest",
        parents=[common],
        help="send log files (or - for stdin) to the vigil.raw topic",
        description="Same framing and format sniffing as `vigil detect`; workers parse.",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or - (stdin)")
    ingest.add_argument("--tenant", default=os.environ.get("VIGIL_TENANT", "default"))
    ingest.add_argument("--format", default="auto", help="force one input format")
    ingest.add_argument(
        "--chunk-records",
        type=int,
        default=0,
        metavar="N",
        help="key every N records of an input apart (tenant|source|chunk) so several raw "
        "partitions, hence workers, parse one big input; each chunk stays in order, chunks "
        "interleave by up to the parse lag (default 0: the whole input in one partition, in order)",
    )
    ingest.set_defaults(func=_ingest)

    worker = subparsers.add_parser(
        "worker",
        parents=[common],
        help="run one streaming worker (several form one consumer group)",
    )
    worker.add_argument("--data-dir", required=True, metavar="DIR", help="local scratch space")
    worker.add_argument("--metrics-port", type=int, metavar="P", help="Prometheus on 127.0.0.1:P")
    worker.add_argument("--config", metavar="FILE", help="TOML configuration (as for detect)")
    worker.add_argument(
        "--lateness",
        type=float,
        default=3600.0,
        metavar="S",
        help="process events up to S seconds behind a partition's event time (default 3600)",
    )
    worker.add_argument(
        "--partition-by",
        choices=("tenant", "user"),
        default="tenant",
        help="how the parse stage keys vigil.events (the same on every worker of a group): "
        "tenant (default) gives every detector all of a tenant's events, as vigil detect does; "
        "user spreads one tenant over the partitions, but detectors keyed by source IP, host "
        "or tenant then see only a partition's slice (deploy/kafka/README.md)",
    )
    worker.add_argument(
        "--parse-processes",
        type=int,
        choices=(0, 1),
        default=None,
        metavar="N",
        help="child processes for the parse stage (parsing, grouping and encoding, and "
        "producing the vigil.events records and dead letters), so detection keeps the worker "
        "process's core: 1 (default when the machine has 2 CPUs or more) or 0 (parse in the "
        "worker process); a child that dies is replaced, 3 deaths in a row exit 1",
    )
    worker.add_argument("--checkpoint-events", type=int, default=50_000, metavar="N")
    worker.add_argument("--checkpoint-seconds", type=float, default=5.0, metavar="S")
    worker.add_argument(
        "--checkpoint-idle-seconds",
        type=float,
        default=0.5,
        metavar="S",
        help="also checkpoint a partition read to its end and quiet this long (0: off)",
    )
    worker.add_argument(
        "--session-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="consumer-group session timeout: how fast a dead worker's partitions move",
    )
    worker.add_argument(
        "--stall-seconds",
        type=float,
        default=120.0,
        metavar="S",
        help="watchdog: exit 1 when a stage or a lagging partition makes no progress for S",
    )
    worker.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="KIND=URL",
        help="webhook|pagerduty|slack[:NAME]=URL, repeatable (as for detect): runs the notify "
        "agent (on vigil.alerts, in the workers' group), spool in DATA_DIR/outbox",
    )
    worker.add_argument(
        "--notify-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="at stop, wait at most S seconds for pending deliveries (the rest stay spooled)",
    )
    worker.set_defaults(func=_worker)

    alerts = subparsers.add_parser(
        "alerts", parents=[common], help="print alerts from the vigil.alerts topic as JSON lines"
    )
    alerts.add_argument("--from-beginning", action="store_true")
    mode = alerts.add_mutually_exclusive_group()
    mode.add_argument("--follow", action="store_true", help="keep printing until interrupted")
    mode.add_argument(
        "--idle-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="stop after S seconds without a new alert (default 5)",
    )
    alerts.set_defaults(func=_alerts)


def _ingest(args: argparse.Namespace) -> int:
    from pipeline.streaming.ingest import ingest
    from pipeline.streaming.parsing import InputError, expand

    if not args.tenant or "|" in args.tenant:
        print("vigil: --tenant must be a non-empty name without '|'", file=sys.stderr)
        return EXIT_USAGE
    try:
        list(expand(p for p in args.paths if p != "-"))  # fail fast on missing inputs
        counts = asyncio.run(
            ingest(
                args.paths,
                broker=args.broker,
                tenant=args.tenant,
                topics=Topics(args.topic_prefix),
                forced_format=None if args.format == "auto" else args.format,
                chunk_records=args.chunk_records,
            )
        )
    except (InputError, ValueError) as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    rate = counts.records / counts.elapsed_s if counts.elapsed_s else 0.0
    print(
        f"vigil ingest: {counts.records:,} records sent to {Topics(args.topic_prefix).raw}, "
        f"{counts.dead_letters:,} dead-lettered, in {counts.elapsed_s:.2f} s ({rate:,.0f}/s)",
        file=sys.stderr,
    )
    return 0


def _logging() -> None:
    logging.basicConfig(
        level=os.environ.get("VIGIL_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    # Faust and mode narrate every service start and stop at INFO.
    logging.getLogger("faust").setLevel(logging.WARNING)
    logging.getLogger("mode").setLevel(logging.WARNING)


def _worker(args: argparse.Namespace) -> int:
    _logging()
    from pipeline.config import ConfigError, load_config
    from pipeline.notify.notifier import Notifier
    from pipeline.notify.sinks import SinkConfigError
    from pipeline.streaming.metrics import WorkerMetrics
    from pipeline.streaming.worker import (
        Worker,
        WorkerFailed,
        WorkerSettings,
        default_parse_processes,
        tune_gc,
    )

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    metrics = WorkerMetrics()
    notifier = None
    if args.notify or config.notify:
        try:
            notifier = Notifier.from_specs(
                [*config.notify, *args.notify],
                spool_dir=Path(args.data_dir) / "outbox",
                metrics=metrics.common,
            )
        except (SinkConfigError, ValueError) as exc:
            print(f"vigil: {exc}", file=sys.stderr)
            return EXIT_USAGE
    settings = WorkerSettings(
        broker=args.broker,
        data_dir=Path(args.data_dir),
        topics=Topics(args.topic_prefix),
        config=config,
        lateness_s=args.lateness,
        partition_by=args.partition_by,
        checkpoint_events=args.checkpoint_events,
        checkpoint_s=args.checkpoint_seconds,
        checkpoint_idle_s=args.checkpoint_idle_seconds,
        session_timeout_ms=int(args.session_timeout * 1000),
        metrics_port=args.metrics_port,
        stall_s=args.stall_seconds,
        notify_flush_s=args.notify_timeout,
        parse_processes=(
            default_parse_processes() if args.parse_processes is None else args.parse_processes
        ),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Worker(settings, metrics, notifier).run(stop)

    tune_gc()
    try:
        asyncio.run(main())
    except WorkerFailed as exc:
        print(f"vigil worker: failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if notifier is not None:
            notifier.close()
    return 0


def _alerts(args: argparse.Namespace) -> int:
    from pipeline.streaming.alerts import tail_alerts

    try:
        asyncio.run(
            tail_alerts(
                broker=args.broker,
                topics=Topics(args.topic_prefix),
                out=sys.stdout.buffer,
                from_beginning=args.from_beginning,
                idle_timeout_s=None if args.follow else args.idle_timeout,
            )
        )
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point until ``vigil`` itself wires :func:`add_commands` in."""
    parser = argparse.ArgumentParser(prog="vigil", description=__doc__)
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
