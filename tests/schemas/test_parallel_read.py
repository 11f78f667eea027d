"""Parsing in worker processes gives what parsing in one process gives: the same events in the
same order, the same dead letters and the same counters."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import orjson
import pytest

from benchmarks.scenario import generate
from pipeline.config import VigilConfig
from pipeline.embedded import run_detect
from schemas.event import Event
from schemas.readers import (
    DeadLetter,
    InputError,
    InputReader,
    ReadStats,
    parse_worker_count,
    read_paths_parallel,
)

SSH = "Jan {day:2d} 0{hour}:00:0{second} bastion sshd[1]: Accepted password for {user} from 10.0.0.{host} port 2 ssh2\n"


def read(paths: list[str], workers: int) -> tuple[list[Event], list[DeadLetter], ReadStats]:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    reader = InputReader(tenant="t", sink=letters.append, stats=stats)
    return list(read_paths_parallel(reader, paths, workers)), letters, stats


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    """Interleaved syslog files (ties in time across inputs), a gzipped one, bad records and
    an unrecognised input."""
    for index in range(5):
        lines = [
            SSH.format(day=1 + d, hour=h, second=index % 3, user=f"u{index}", host=index)
            for d in range(4)
            for h in range(0, 10, 3)
        ]
        lines.insert(3, "\x00 not a log line\n")
        body = "".join(lines).encode()
        if index == 2:
            (tmp_path / f"auth{index}.log.gz").write_bytes(gzip.compress(body, mtime=1_700_000_000))
        else:
            (tmp_path / f"auth{index}.log").write_bytes(body)
    (tmp_path / "unknown.json").write_bytes(orjson.dumps({"what": "ever"}) + b"\n")
    (tmp_path / "broken.json").write_bytes(b'{"EventID": 4624, "Hostname": "h"\n')
    return [str(tmp_path)]


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_workers_read_what_one_process_reads(inputs: list[str], workers: int) -> None:
    events, letters, stats = read(inputs, 0)
    parallel_events, parallel_letters, parallel_stats = read(inputs, workers)
    assert parallel_events == events
    assert sorted(parallel_letters, key=repr) == sorted(letters, key=repr)
    assert parallel_stats == stats
    assert letters and stats.dead_letter == len(letters)


def test_a_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read([str(tmp_path / "nope.log")], 2)


def test_small_inputs_stay_in_process(inputs: list[str]) -> None:
    assert parse_worker_count(inputs) == 0
    assert parse_worker_count(inputs, 3) == 3
    assert parse_worker_count(inputs, 64) == 7  # never more workers than inputs


def test_detect_alerts_do_not_depend_on_parse_workers(tmp_path: Path) -> None:
    generate(tmp_path / "org", seed=5, days=10, users=15, learning_days=4)
    outputs = []
    for workers in (0, 1, 2):
        out, dead = io.BytesIO(), io.BytesIO()
        summary = run_detect(
            [str(tmp_path / "org" / "logs")],
            tenant="acme",
            config=VigilConfig(parse_workers=workers),
            alerts_out=out,
            dead_letters=dead,
        )
        outputs.append((out.getvalue(), sorted(dead.getvalue().splitlines()), summary.stats))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][0], "the scenario raised no alert"


def test_spawned_workers_when_threads_are_running(
    inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With other threads alive (metrics server, notifier) workers are spawned, not forked."""
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 3)
    events, letters, stats = read(inputs, 2)
    assert (events, stats) == read(inputs, 0)[::2]
    assert sorted(letters, key=repr) == sorted(read(inputs, 0)[1], key=repr)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ('parse_workers = "auto"', None),
        ("parse_workers = 0", 0),
        ("parse_workers = 3", 3),
    ],
)
def test_parse_workers_setting(tmp_path: Path, text: str, expected: int | None) -> None:
    from pipeline.config import load_config

    path = tmp_path / "vigil.toml"
    path.write_text(text + "\n")
    assert load_config(str(path)).parse_workers == expected


@pytest.mark.parametrize(
    "text", ["parse_workers = -1", "parse_workers = true", 'parse_workers = "2"']
)
def test_bad_parse_workers_setting_is_refused(tmp_path: Path, text: str) -> None:
    from pipeline.config import ConfigError, load_config

    path = tmp_path / "vigil.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match="parse_workers"):
        load_config(str(path))
