"""The ``vigil`` command line: ``detect`` (embedded), ``feedback``, and the streaming commands
``ingest``, ``worker`` and ``alerts`` (see ``pipeline/streaming``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import msgspec
import orjson
from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from pipeline.config import ConfigError, load_config
from pipeline.embedded import dumps, run_detect, summary_line
from pipeline.feedback import (
    FeedbackError,
    IndicatorStore,
    Suppression,
    SuppressionList,
    confirmation_record,
    feedback_record,
    parse_duration,
)
from pipeline.metrics import Metrics, start_metrics_server
from pipeline.notify.notifier import Notifier
from pipeline.notify.sinks import SinkConfigError
from schemas.alert import Alert
from schemas.parsers import load_all as load_parsers
from schemas.readers import InputError, expand

EXIT_USAGE = 2
EXIT_STOPPED = 1  # the run stopped before the end of its input


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
        "--shared-state",
        metavar="DIR",
        default=os.environ.get("VIGIL_SHARED_STATE"),
        help="state shared by all tenants (cross-tenant indicators)",
    )
    detect.add_argument("--alerts", metavar="PATH|-", default="-", help="alert output (stdout)")
    detect.add_argument(
        "--dead-letter", metavar="PATH", help="dead-letter JSON lines (default: stderr)"
    )
    detect.add_argument("--format", choices=formats, default="auto", help="force one input format")
    detect.add_argument("--stats", metavar="PATH", help="write a JSON run summary to PATH")
    detect.add_argument("--config", metavar="FILE", help="TOML configuration (see README)")
    detect.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="KIND=URL",
        help="webhook|pagerduty|slack[:NAME]=URL, repeatable; secrets from the environment",
    )
    detect.add_argument("--notify-timeout", type=float, default=30.0, metavar="SECONDS")
    detect.add_argument("--metrics-port", type=int, metavar="PORT", help="serve /metrics")
    detect.add_argument("--metrics-addr", default="127.0.0.1", metavar="ADDR")
    detect.set_defaults(func=_detect)

    feedback = commands.add_parser(
        "feedback",
        help="mark an alert false positive (suppress) or true positive (share its indicators)",
    )
    feedback.add_argument(
        "--state", metavar="DIR", help="the tenant's state dir (embedded; needs it or --broker)"
    )
    feedback.add_argument(
        "--shared-state", metavar="DIR", default=os.environ.get("VIGIL_SHARED_STATE")
    )
    feedback.add_argument("--alerts", required=True, metavar="PATH", help="alerts JSON lines")
    feedback.add_argument("--alert", required=True, metavar="ID|INCIDENT_KEY")
    feedback.add_argument("--verdict", required=True, choices=["false-positive", "true-positive"])
    feedback.add_argument("--owner", required=True)
    feedback.add_argument("--reason", required=True)
    feedback.add_argument("--expires", default="30d", help="suppression lifetime: 12h, 30d, 2w")
    feedback.add_argument(
        "--attribute",
        default="",
        help="suppress only alerts whose factors mention this (e.g. a network); default: any",
    )
    feedback.add_argument(
        "--broker",
        metavar="HOST:PORT",
        help="also publish the feedback to the vigil.feedback topic, for running workers",
    )
    feedback.add_argument(
        "--topic-prefix",
        default=os.environ.get("VIGIL_TOPIC_PREFIX", ""),
        metavar="P",
        help="topic name prefix, as for the workers",
    )
    feedback.set_defaults(func=_feedback)
    try:
        from pipeline.streaming.cli import add_commands
    except ImportError:  # pragma: no cover - the streaming package ships with Vigil
        pass
    else:
        add_commands(commands)
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
    code: int = args.func(args)
    return code


def _quiet_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush to a closed pipe cannot raise."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


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
    metrics = Metrics(registry=CollectorRegistry()) if args.metrics_port is not None else None
    notifier: Notifier | None = None
    server = None
    try:
        if args.notify or config.notify:
            spool = Path(args.state) / "outbox" if args.state else None
            if spool is None:
                print(
                    "vigil: no --state: undelivered alerts will not be retried next run",
                    file=sys.stderr,
                )
            notifier = Notifier.from_specs(
                [*config.notify, *args.notify], spool_dir=spool, metrics=metrics
            )
        if metrics is not None:
            server = start_metrics_server(
                args.metrics_port, addr=args.metrics_addr, registry=metrics.registry
            )
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
                shared_dir=args.shared_state,
                notifier=notifier,
                metrics=metrics,
                notify_timeout_s=args.notify_timeout,
            )
    except (SinkConfigError, ValueError) as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `vigil detect ... | head`: whoever read the alerts went away. Not a usage error, but
        # the run did not finish, so say what was not done.
        _quiet_stdout()
        print(
            "vigil: the alerts output was closed (broken pipe): stopped before the end of "
            "the input; state was not saved",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    except (InputError, OSError) as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if notifier is not None:
            notifier.close()
        if server is not None:
            server.close()
    print(summary_line(summary), file=sys.stderr)
    if summary.delivery is not None:
        print(summary.delivery.summary_line(), file=sys.stderr)
        for item in summary.delivery.undelivered:
            print(
                f"vigil: not delivered to {item.sink}: {item.alert_id} ({item.severity}): "
                f"{item.reason}",
                file=sys.stderr,
            )
    if args.stats:
        with open(args.stats, "wb") as stream:
            stream.write(dumps(summary.as_dict()) + b"\n")
    return 0


def _find_alert(path: str, wanted: str) -> Alert | None:
    found: Alert | None = None
    with open(path, "rb") as stream:
        for line in stream:
            if not line.strip():
                continue
            alert = msgspec.json.decode(line, type=Alert)
            if wanted in (alert.id, alert.incident_key) and (
                found is None or alert.version > found.version
            ):
                found = alert
    return found


def _publish_feedback(args: argparse.Namespace, key: bytes, value: bytes) -> None:
    """Send one record to ``vigil.feedback`` and wait for the broker's acknowledgement."""
    from kafka import KafkaProducer

    from pipeline.streaming.topics import Topics, client_config, ensure_topics

    topics = Topics(args.topic_prefix)
    ensure_topics(args.broker, topics.prefix)
    producer = KafkaProducer(
        bootstrap_servers=args.broker, acks="all", retries=5, **client_config()
    )
    try:
        producer.send(topics.feedback, key=key, value=value).get(timeout=30)
    finally:
        producer.close(timeout=10)


def _feedback(args: argparse.Namespace) -> int:
    if not args.state and not args.broker:
        print("vigil: feedback needs --state DIR, --broker HOST:PORT or both", file=sys.stderr)
        return EXIT_USAGE
    try:
        alert = _find_alert(args.alerts, args.alert)
        if alert is None:
            print(f"vigil: no alert {args.alert} in {args.alerts}", file=sys.stderr)
            return EXIT_USAGE
        if args.verdict == "false-positive":
            expires = datetime.now(UTC) + parse_duration(args.expires)
            entry = Suppression(
                tenant=alert.tenant,
                entity_type=alert.entity.type,
                entity_id=alert.entity.id,
                detector=alert.detector,
                observed=args.attribute,
                owner=args.owner,
                reason=args.reason,
                expires=expires.isoformat(),
            )
            if args.state:
                SuppressionList.load(args.state).add(entry)
            if args.broker:
                _publish_feedback(args, *feedback_record(entry))
            print(
                f"vigil: suppressed {alert.detector} alerts for {alert.entity.type} "
                f"{alert.entity.id} in {alert.tenant} until {expires:%Y-%m-%d %H:%M} UTC",
                file=sys.stderr,
            )
            return 0
        if not args.shared_state and not args.broker:
            print(
                "vigil: true-positive feedback needs --shared-state DIR or --broker",
                file=sys.stderr,
            )
            return EXIT_USAGE
        added = 0
        if args.shared_state:
            store = IndicatorStore(Path(args.shared_state) / "indicators.json")
            added = store.add_from_alert(alert)
            store.save()
        if args.broker:
            record = confirmation_record(alert, args.owner, args.reason)
            if record is not None:
                _publish_feedback(args, *record)
                added = max(added, len(orjson.loads(record[1])["indicators"]))
        print(f"vigil: confirmed; {added} indicator(s) shared with every tenant", file=sys.stderr)
        return 0
    except KafkaError as exc:
        print(f"vigil: cannot publish feedback to {args.broker}: {exc}", file=sys.stderr)
        return 1
    except (FeedbackError, OSError, msgspec.DecodeError) as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
