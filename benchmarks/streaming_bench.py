"""Streaming benchmark: Vigil on the real Kafka broker, ingest -> worker(s) -> alerts.

Measures (prints a table): sustained events/s end to end for 1 and 2 workers, event -> alert
latency p50/p99 at a fixed offered load, and recovery time after a worker is SIGKILLed.

    bash deploy/kafka/kafka.sh up
    .venv/bin/python -m benchmarks.streaming_bench [--events 200000] [--rate 5000]

Input is generated RFC 3164 sshd syslog (``generate_auth_log``), which the rare-source-network
detector learns from; the integration tests use the same generator.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def syslog_line(when: datetime, host: str, user: str, ip: str, pid: int) -> str:
    stamp = f"{MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S}"
    port = 40000 + pid % 20000
    return f"{stamp} {host} sshd[{pid}]: Accepted password for {user} from {ip} port {port} ssh2"


def generate_auth_log(
    *,
    users: int,
    days: int,
    logons_per_day: int,
    attackers: int,
    end: datetime,
    seed: int = 7,
) -> Iterator[str]:
    """Time-ordered sshd lines ending at ``end``: every user logs on from their home /24
    ``logons_per_day`` times a day, in office hours (08:00-18:00 UTC); on the last day
    ``attackers`` users (user0, user1, ...) log on late in the evening (20:00-23:00) from a never-seen
    network: a new network plus an unusual hour, which together make an alert (a new network
    alone stays under the alert bar)."""
    rng = random.Random(seed)
    start = end - timedelta(days=days)
    seconds = days * 86_400
    total = users * days * logons_per_day
    # Evenly spread offsets with jitter, sorted once: the stream is in event-time order.
    rows = []
    for i in range(total):
        user = i % users
        spread = (i + rng.random()) * seconds / total
        day, within = divmod(spread, 86_400)
        offset = int(day * 86_400 + 28_800 + within * 36_000 / 86_400)
        rows.append((offset, user, f"10.{user // 250}.{user % 250}.{rng.randrange(2, 250)}"))
    last_day = seconds - 86_400
    for user in range(attackers):
        offset = last_day + rng.randrange(72_000, 82_800)
        rows.append((offset, user, f"203.0.{user % 250}.{rng.randrange(2, 250)}"))
    rows.sort()
    for n, (offset, user, ip) in enumerate(rows):
        when = start + timedelta(seconds=offset)
        yield syslog_line(when, f"srv{user % 7}", f"user{user}", ip, 1000 + n % 50_000)


def recent_end() -> datetime:
    """A day boundary safely before now, so year-less syslog stamps resolve to this year."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


# --- the benchmark ------------------------------------------------------------------------------

import argparse  # noqa: E402
import asyncio  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer  # noqa: E402
from kafka import TopicPartition as SyncTP  # noqa: E402

from pipeline.streaming.alerts import tail_alerts  # noqa: E402
from pipeline.streaming.topics import Topics  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORKER_ARGS: tuple[str, ...] = ()  # extra `vigil worker` arguments for every run (main sets it)


class Workers:
    def __init__(
        self, broker: str, prefix: str, scratch: Path, extra: tuple[str, ...] = ()
    ) -> None:
        self.broker, self.prefix, self.scratch = broker, prefix, scratch
        self.extra = extra or WORKER_ARGS  # e.g. ("--partition-by", "user")
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.scratch / f"{name}.log").open("ab")
        args = [
            sys.executable,
            "-m",
            "pipeline.streaming.cli",
            "worker",
            "--broker",
            self.broker,
            "--topic-prefix",
            self.prefix,
            "--data-dir",
            str(self.scratch / name),
            "--session-timeout",
            "6",
            "--checkpoint-seconds",
            "2",
            *self.extra,
        ]
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log)
        self.procs.append(proc)
        return proc

    def wait_assigned(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            logs = [p.read_text() for p in self.scratch.glob("*.log")]
            if sum("assigned: resuming" in text for text in logs) >= count:
                time.sleep(1.0)  # let the last rebalance settle
                return
            if time.monotonic() > deadline:
                raise TimeoutError("workers got no partitions")
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def drop_topics(broker: str, prefix: str) -> None:
    """Delete a run's topics: a million-event run leaves about 1 GB on the broker (raw
    envelopes, events, checkpoints), and repeated runs filled this machine's disk."""
    admin = KafkaAdminClient(bootstrap_servers=broker)
    try:
        mine = [topic for topic in admin.list_topics() if topic.startswith(prefix)]
        if mine:
            admin.delete_topics(mine, timeout_ms=30_000)
    except Exception as exc:  # cleanup must not hide the figures
        print(f"streaming_bench: could not delete topics {prefix}*: {exc}", file=sys.stderr)
    finally:
        admin.close()


def lag(broker: str, prefix: str, targets: dict[str, dict[int, int]] | None = None) -> int:
    """Messages of vigil.raw + vigil.events not yet committed by the workers' group (against
    ``targets`` if given)."""
    admin = KafkaAdminClient(bootstrap_servers=broker)
    consumer = KafkaConsumer(bootstrap_servers=broker)
    try:
        behind = 0
        group = f"{prefix}vigil-worker"
        for topic in (f"{prefix}vigil.raw", f"{prefix}vigil.events"):
            tps = [SyncTP(topic, p) for p in range(4)]
            ends = (
                targets[topic]
                if targets
                else {tp.partition: o for tp, o in consumer.end_offsets(tps).items()}
            )
            committed = admin.list_group_offsets(group).get(group, {})
            for tp in tps:
                have = committed.get(tp)
                behind += max(0, ends[tp.partition] - (have.offset if have else 0))
        return behind
    finally:
        consumer.close()
        admin.close()


def end_offsets(broker: str, prefix: str) -> dict[str, dict[int, int]]:
    consumer = KafkaConsumer(bootstrap_servers=broker)
    try:
        out = {}
        for topic in (f"{prefix}vigil.raw", f"{prefix}vigil.events"):
            tps = [SyncTP(topic, p) for p in range(4)]
            out[topic] = {tp.partition: o for tp, o in consumer.end_offsets(tps).items()}
        return out
    finally:
        consumer.close()


def wait_lag_zero(broker: str, prefix: str, timeout: float, targets: dict | None = None) -> float:
    started = time.monotonic()
    while lag(broker, prefix, targets) > 0:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"lag not zero after {timeout}s")
        time.sleep(0.25)
    return time.monotonic() - started


def ingest_file(broker: str, prefix: str, path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.streaming.cli",
            "ingest",
            "--broker",
            broker,
            "--topic-prefix",
            prefix,
            "--tenant",
            "bench",
            str(path),
        ],
        cwd=ROOT,
        check=True,
        timeout=600,
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (a worker's parse child and multiprocessing's helper), from
    Linux ``/proc`` (empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of ``pid`` itself, of its live descendants) so far."""
    return cpu_seconds(pid), sum(cpu_seconds(child) for child in descendants(pid))


def throughput(
    broker: str, lines: list[str], workers: int, scratch: Path
) -> tuple[float, float, float, float]:
    """(events/s end to end, seconds, worker CPU seconds, of which in their child processes)
    for ingest -> drained with ``workers`` workers. CPU seconds are the workers' (all threads,
    and their parse children) over the same window: on a shared machine events per CPU second
    compare better than wall time."""
    prefix = f"b{uuid.uuid4().hex[:8]}."
    path = scratch / f"tp{workers}.log"
    path.write_text("\n".join(lines) + "\n")
    pool = Workers(broker, prefix, scratch / prefix)
    (scratch / prefix).mkdir()
    try:
        for n in range(workers):
            pool.start(f"w{n}")
        pool.wait_assigned(workers)
        before = [tree_cpu_seconds(p.pid) for p in pool.procs]
        started = time.monotonic()
        ingest_file(broker, prefix, path)
        wait_lag_zero(broker, prefix, timeout=600)
        elapsed = time.monotonic() - started
        after = [tree_cpu_seconds(p.pid) for p in pool.procs]
        own = sum(a[0] - b[0] for a, b in zip(after, before, strict=True))
        children = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
    finally:
        pool.stop()
        drop_topics(broker, prefix)
    return len(lines) / elapsed, elapsed, own + children, children


async def offered_load(
    broker: str,
    prefix: str,
    live: list[tuple[str, str | None]],
    rate: float,
    kill_at: float | None = None,
    victim: subprocess.Popen[bytes] | None = None,
    missing: dict[str, str] | None = None,
) -> tuple[list[float], float | None]:
    """Send ``live`` (line, attacked user or None) at ``rate``/s; returns the event->alert
    latencies of the attack lines (and the SIGKILL time if one was asked for). An attack counts
    when a new incident (version 1) of the attacked user arrives after the attack was sent;
    ``missing`` (if given) gets, for every attack that did not count, why."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, linger_ms=2)
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    sent: dict[str, float] = {}
    attacked_at: dict[str, float] = {}
    alerts_of: dict[str, list[tuple[float, int]]] = {}  # user -> (arrival, version)
    latencies: list[float] = []
    killed_at: float | None = None
    try:
        tps = [TopicPartition(f"{prefix}vigil.alerts", p) for p in range(4)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)

        async def collect() -> None:
            while True:
                for records in (await consumer.getmany(timeout_ms=50)).values():
                    now = time.monotonic()
                    for record in records:
                        alert = orjson.loads(record.value)
                        user = alert["entity"]["id"]
                        alerts_of.setdefault(user, []).append((now, alert["version"]))
                        if user in sent and alert["version"] == 1:
                            latencies.append(now - sent.pop(user))

        collector = asyncio.create_task(collect())
        ref = time.time()
        started = time.monotonic()
        for n, (line, attacked) in enumerate(live):
            due = started + n / rate
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            if kill_at is not None and killed_at is None and time.monotonic() - started >= kill_at:
                if victim is None:
                    raise ValueError("kill_at needs a victim")
                victim.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
            envelope = {
                "tenant": "bench",
                "source": "live.log",
                "format": "syslog",
                "pos": n,
                "ref": ref,
                "record": line,
            }
            await producer.send(f"{prefix}vigil.raw", orjson.dumps(envelope), key=b"bench|live")
            if attacked:
                sent[attacked] = attacked_at[attacked] = time.monotonic()
        await producer.flush()
        deadline = time.monotonic() + 30
        while sent and time.monotonic() < deadline:  # noqa: ASYNC110 - the collector pops
            await asyncio.sleep(0.2)
        collector.cancel()
        for user in sent if missing is not None else ():
            at = attacked_at[user]
            before = [v for t, v in alerts_of.get(user, []) if t < at]
            after = [v for t, v in alerts_of.get(user, []) if t >= at]
            if before:
                why = "incident already opened by the user's normal logons before the attack"
            elif after:
                why = "attack folded into an open incident (update only)"
            else:
                why = "no alert for the user after the attack"
            missing[user] = why
    finally:
        await consumer.stop()
        await producer.stop()
    return latencies, killed_at


def live_stream(
    users: int, seconds: float, rate: float, attacks: int, start: datetime
) -> list[tuple[str, str | None]]:
    """Normal logons of ``users`` with ``attacks`` new-network logons spread evenly."""
    rng = random.Random(11)
    total = int(seconds * rate)
    every = max(1, total // (attacks + 1))
    out: list[tuple[str, str | None]] = []
    for n in range(total):
        when = start + timedelta(seconds=n * 0.01)
        user = rng.randrange(users)
        if n % every == every - 1 and n // every < attacks:
            attacked = f"user{n // every}"
            out.append(
                (syslog_line(when, "srv1", attacked, f"198.51.{n // every % 250}.9", n), attacked)
            )
        else:
            out.append(
                (
                    syslog_line(when, "srv1", f"user{user}", f"10.{user // 250}.{user % 250}.7", n),
                    None,
                )
            )
    return out


def rss_bytes(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in bytes, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def tree_rss_bytes(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process plus its live descendants (a worker and its parse child)."""
    pairs = [rss_bytes(p) for p in (pid, *descendants(pid))]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def memory_per_entity(broker: str, users: int, scratch: Path) -> tuple[int, int, int, float]:
    """One worker, ``users`` distinct users (3 logons each, from their own /24) flowing
    through: (RSS before, RSS after, peak RSS, bytes per tracked user), of the worker process
    and its parse child together."""
    prefix = f"b{uuid.uuid4().hex[:8]}."
    lines = list(
        generate_auth_log(users=users, days=3, logons_per_day=1, attackers=0, end=recent_end())
    )
    path = scratch / "memory.log"
    path.write_text("\n".join(lines) + "\n")
    (scratch / prefix).mkdir()
    pool = Workers(broker, prefix, scratch / prefix)
    try:
        proc = pool.start("w0")
        pool.wait_assigned(1)
        time.sleep(2.0)
        before, _ = tree_rss_bytes(proc.pid)
        ingest_file(broker, prefix, path)
        wait_lag_zero(broker, prefix, timeout=600)
        time.sleep(3.0)  # a checkpoint or two after the last batch
        after, peak = tree_rss_bytes(proc.pid)
    finally:
        pool.stop()
        drop_topics(broker, prefix)
    return before, after, peak, (after - before) / users


def scenario_parity(
    broker: str, seed: int, days: int, users: int, workers: int, partition_by: str, scratch: Path
) -> list[tuple[str, str]]:
    """A generated scenario (every attack family) through ``vigil detect`` and through
    ``workers`` workers on Kafka (events keyed as the parse stage keys them under
    ``partition_by``): incidents compared as (detector, entity) and incident keys, and both
    alert sets scored like ``benchmarks.evaluate`` (attacks detected and paged, false alerts).

    The canonical events are produced straight to ``vigil.events`` in the merged event-time
    order ``vigil detect`` reads the scenario's 84 per-day files in: ``vigil ingest`` keeps
    each file in order but not files among themselves, so several days of one format would be
    late behind another's. The grouping and keys are the parse stage's own
    (:func:`pipeline.streaming.worker.group_events`)."""
    import msgspec
    from kafka import KafkaProducer

    from benchmarks.evaluate import Score, score_run
    from benchmarks.scenario import generate
    from pipeline.config import VigilConfig
    from pipeline.embedded import run_detect
    from pipeline.streaming.worker import group_events
    from schemas.alert import Alert
    from schemas.readers import InputReader

    root = scratch / f"seed-{seed}"
    truth = generate(root, seed=seed, days=days, users=users)
    logs = str(root / "logs")
    out = io.BytesIO()
    run_detect(
        [logs], tenant=truth.tenant, config=VigilConfig(), alerts_out=out, dead_letters=io.BytesIO()
    )
    expected = [orjson.loads(line) for line in out.getvalue().splitlines()]
    reader = InputReader(tenant=truth.tenant, sink=lambda letter: None)
    events = list(reader.read_paths([logs]))
    records = group_events(events, 3600.0, partition_by)
    prefix = f"p{uuid.uuid4().hex[:8]}."
    (scratch / prefix).mkdir()
    pool = Workers(broker, prefix, scratch / prefix, ("--partition-by", partition_by))
    try:
        for n in range(workers):
            pool.start(f"w{n}")
        pool.wait_assigned(workers)
        producer = KafkaProducer(bootstrap_servers=broker, linger_ms=20, max_request_size=4 << 20)
        try:
            for key, value in records:
                producer.send(f"{prefix}vigil.events", key=key, value=value)
            producer.flush(120)
        finally:
            producer.close()
        wait_lag_zero(broker, prefix, timeout=1200)
    finally:
        pool.stop()
    alerts_out = io.BytesIO()
    asyncio.run(
        tail_alerts(
            broker=broker,
            topics=Topics(prefix),
            out=alerts_out,
            from_beginning=True,
            idle_timeout_s=3.0,
        )
    )
    drop_topics(broker, prefix)
    streamed = [orjson.loads(line) for line in alerts_out.getvalue().splitlines()]
    document = msgspec.json.decode((root / "truth.json").read_bytes())

    def scored(alerts: list[dict]) -> Score:
        score = Score()
        score_run(document, [msgspec.convert(a, Alert) for a in alerts], score)
        return score

    def pairs(alerts: list[dict]) -> set[tuple[str, str, str]]:
        return {(a["detector"], a["entity"]["type"], a["entity"]["id"]) for a in alerts}

    ref, got = scored(expected), scored(streamed)
    keys_ref = {a["incident_key"] for a in expected}
    keys_got = {a["incident_key"] for a in streamed}
    missing, extra = pairs(expected) - pairs(streamed), pairs(streamed) - pairs(expected)
    partitions = len({partition_for(key) for key, _ in records})
    label = f"seed {seed}, {days} days, {users} users, {workers} worker(s), by {partition_by}"
    rows = [
        (
            f"{label}: events / vigil.events records / partitions used",
            f"{len(events):,} / {len(records):,} / {partitions}",
        ),
        (
            f"{label}: incidents detect vs kafka (same keys)",
            f"{len(keys_ref)} vs {len(keys_got)} ({len(keys_ref & keys_got)})",
        ),
        (
            f"{label}: (detector, entity) pairs only in detect / only in kafka",
            f"{len(missing)} / {len(extra)}",
        ),
        (
            f"{label}: attacks detected detect vs kafka",
            f"{ref.detected}/{ref.attacks} vs {got.detected}/{got.attacks}",
        ),
        (
            f"{label}: attacks paged detect vs kafka",
            f"{ref.paged}/{ref.attacks} vs {got.paged}/{got.attacks}",
        ),
        (f"{label}: false alerts detect vs kafka", f"{ref.false_alerts} vs {got.false_alerts}"),
        (
            f"{label}: missed by kafka only",
            ", ".join(sorted(set(got.missed) - set(ref.missed))) or "-",
        ),
    ]
    for detector, kind, entity in sorted(missing):
        rows.append((f"{label}:   only in detect", f"{detector} {kind} {entity}"))
    for detector, kind, entity in sorted(extra):
        rows.append((f"{label}:   only in kafka", f"{detector} {kind} {entity}"))
    return rows


def partition_for(key: bytes, partitions: int = 4) -> int:
    from kafka.partitioner.default import murmur2

    return (murmur2(key) & 0x7FFFFFFF) % partitions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--broker", default=os.environ.get("VIGIL_KAFKA", "127.0.0.1:9092"))
    parser.add_argument(
        "--events", type=int, default=200_000, help="events for the throughput runs"
    )
    parser.add_argument(
        "--rate", type=float, default=5000.0, help="offered load for latency (events/s)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the latency run")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--memory-users",
        type=int,
        default=0,
        metavar="N",
        help="also measure worker RSS with N distinct users flowing through (e.g. 100000)",
    )
    parser.add_argument(
        "--workers", default="1,2", help="worker counts for the throughput runs (comma list)"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=20,
        help="event time the throughput input spans (default 20: a compressed backfill, about "
        "400 events per hour of event time, so one hour of lateness holds about one event per "
        "user; fewer days make a denser, live-like stream)",
    )
    parser.add_argument(
        "--scratch", default=None, help="keep worker logs here (default: a temp dir)"
    )
    parser.add_argument(
        "--partition-by",
        choices=("tenant", "user"),
        default=None,
        help="the workers' --partition-by (default: theirs)",
    )
    parser.add_argument(
        "--parse-processes",
        type=int,
        choices=(0, 1),
        default=None,
        help="the workers' --parse-processes (default: theirs; 0 parses in the worker process)",
    )
    parser.add_argument(
        "--scenario-parity",
        default=None,
        metavar="SEEDS",
        help="instead: generated scenarios (comma list of seeds; --scenario-days, "
        "--scenario-users) through vigil detect and through the workers (--workers, "
        "--partition-by), incidents and attack recall compared",
    )
    parser.add_argument("--scenario-days", type=int, default=28)
    parser.add_argument("--scenario-users", type=int, default=60)
    args = parser.parse_args()
    global WORKER_ARGS
    if args.partition_by:
        WORKER_ARGS = ("--partition-by", args.partition_by)
    if args.parse_processes is not None:
        WORKER_ARGS = (*WORKER_ARGS, "--parse-processes", str(args.parse_processes))
    if args.scenario_parity:
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(args.scratch or tmp)
            scratch.mkdir(parents=True, exist_ok=True)
            rows = []
            for seed in (int(n) for n in args.scenario_parity.split(",")):
                for workers in (int(n) for n in args.workers.split(",") if n):
                    found = scenario_parity(
                        args.broker,
                        seed,
                        args.scenario_days,
                        args.scenario_users,
                        workers,
                        args.partition_by or "tenant",
                        scratch,
                    )
                    for row in found:
                        print(row, flush=True)
                    rows.extend(found)
            _table(rows)
        return 0
    users = max(100, args.events // 100)
    days = max(1, args.days)
    lines = list(
        generate_auth_log(
            users=users,
            days=days,
            logons_per_day=max(1, args.events // (users * days)),
            attackers=50,
            end=recent_end(),
        )
    )
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(args.scratch or tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        counts = [int(n) for n in args.workers.split(",") if n]
        for workers in () if args.skip_throughput else counts:
            rate, elapsed, cpu, child = throughput(args.broker, lines, workers, scratch)
            per_cpu = f"{len(lines) / cpu:,.0f} events per worker CPU s" if cpu else "CPU n/a"
            rows.append(
                (
                    f"end to end, {workers} worker(s), {len(lines):,} events over {days} days",
                    f"{rate:,.0f} events/s ({elapsed:.1f} s; workers' CPU {cpu:.1f} s, "
                    f"{child:.1f} s of it in parse children: {per_cpu})",
                )
            )
            print(rows[-1], flush=True)
        if args.memory_users:
            before, after, peak, per = memory_per_entity(args.broker, args.memory_users, scratch)
            rows.append(
                (
                    f"worker RSS (with its parse child), {args.memory_users:,} distinct users "
                    "(3 logons each)",
                    f"{before / 2**20:,.0f} MiB -> {after / 2**20:,.0f} MiB "
                    f"(peak {peak / 2**20:,.0f} MiB): {per:,.0f} bytes per user",
                )
            )
            print(rows[-1], flush=True)
        if args.skip_latency:
            _table(rows)
            return 0
        # Latency and recovery: history first, then a live stream at the offered load.
        prefix = f"b{uuid.uuid4().hex[:8]}."
        hist_users = 500
        history = list(
            generate_auth_log(
                users=hist_users, days=20, logons_per_day=6, attackers=0, end=recent_end()
            )
        )
        path = scratch / "history.log"
        path.write_text("\n".join(history) + "\n")
        (scratch / prefix).mkdir()
        pool = Workers(args.broker, prefix, scratch / prefix)
        try:
            first = pool.start("w0")
            pool.start("w1")
            pool.wait_assigned(2)
            ingest_file(args.broker, prefix, path)
            wait_lag_zero(args.broker, prefix, timeout=300)
            start = recent_end() + timedelta(hours=20)  # evening: attacks = new network + odd hour
            live = live_stream(hist_users, args.seconds, args.rate, attacks=100, start=start)
            missing: dict[str, str] = {}
            latencies, _ = asyncio.run(
                offered_load(args.broker, prefix, live, args.rate, missing=missing)
            )
            for why, count in Counter(missing.values()).most_common():
                rows.append((f"  attacks without a new alert: {why}", f"{count}"))
                print(rows[-1], flush=True)
            if latencies:
                p50, p99 = np.percentile(latencies, [50, 99])
                rows.append(
                    (
                        f"event -> alert latency at {args.rate:,.0f} events/s, 2 workers",
                        f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms "
                        f"({len(latencies)} alerts)",
                    )
                )
            else:
                rows.append(("event -> alert latency", "no alerts observed"))
            print(rows[-1], flush=True)
            # Recovery: SIGKILL one worker under load; time until everything sent before the kill
            # is processed and committed by the survivor (includes the 6 s session timeout).
            start2 = start + timedelta(hours=2)
            live2 = [(line, None) for line, _ in live_stream(hist_users, 10, args.rate, 0, start2)]
            _, killed_at = asyncio.run(
                offered_load(args.broker, prefix, live2, args.rate, kill_at=3.0, victim=first)
            )
            targets = end_offsets(args.broker, prefix)
            if killed_at is None:
                raise RuntimeError("the worker was not killed")
            recovered = wait_lag_zero(args.broker, prefix, timeout=120, targets=targets)
            total = time.monotonic() - killed_at
            rows.append(
                (
                    "recovery after SIGKILL of 1 of 2 workers (session timeout 6 s)",
                    f"{total:.1f} s until all events sent were processed "
                    f"({recovered:.1f} s after the load stopped)",
                )
            )
            print(rows[-1], flush=True)
        finally:
            pool.stop()
            drop_topics(args.broker, prefix)
    _table(rows)
    return 0


def _table(rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    width = max(len(r[0]) for r in rows)
    print("\n" + "measure".ljust(width) + " | result")
    print("-" * width + "-+-" + "-" * 40)
    for name, value in rows:
        print(name.ljust(width) + " | " + value)


if __name__ == "__main__":
    sys.exit(main())
