"""`vigil detect` per the contract in DESIGN.md, run as a user runs it."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import jsonschema
import orjson
import pytest

from pipeline.cli import main
from tests.shared_data import REPO, real_log_files

ALERT_SCHEMA = orjson.loads((REPO / "schemas" / "alert.schema.json").read_bytes())
SSH = (
    "Dec {day:2d} {hour:02d}:{minute:02d}:01 bastion sshd[{pid}]: "
    "Accepted password for {user} from {ip} port 50{pid} ssh2"
)


def ssh_history(days: int = 20) -> str:
    """Three users signing in five times a day from the office, then alice from a new network."""
    lines = []
    for day in range(1, days + 1):
        for hour in range(9, 14):
            for index, user in enumerate(("alice", "bob", "carol")):
                lines.append(
                    SSH.format(
                        day=day,
                        hour=hour,
                        minute=index,
                        pid=100 + index,
                        user=user,
                        ip=f"10.1.1.{10 + index}",
                    )
                )
    lines.append(
        SSH.format(day=days + 1, hour=3, minute=7, pid=999, user="alice", ip="203.0.113.66")
    )
    return "\n".join(lines) + "\n"


def run_cli(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    vigil = Path(sys.executable).with_name("vigil")
    return subprocess.run(
        [str(vigil), *args], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_detect_from_stdin_prints_alerts_and_summary(tmp_path: Path) -> None:
    result = run_cli(["detect", "--tenant", "acme", "-"], stdin=ssh_history().encode())
    assert result.returncode == 0, result.stderr
    alerts = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert alerts, result.stderr
    for alert in alerts:
        jsonschema.validate(alert, ALERT_SCHEMA)
    assert alerts[0]["entity"] == {"type": "user", "id": "alice"}
    assert alerts[0]["tenant"] == "acme"
    assert "203.0.113.0/24" in alerts[0]["title"]
    assert b"records read" in result.stderr and b"alerts" in result.stderr


def test_stats_state_and_gzip(tmp_path: Path) -> None:
    log = tmp_path / "auth.log.gz"
    log.write_bytes(gzip.compress(ssh_history().encode()))
    state, stats, alerts = tmp_path / "state", tmp_path / "stats.json", tmp_path / "alerts.jsonl"
    code = main(
        ["detect", "--state", str(state), "--stats", str(stats), "--alerts", str(alerts), str(log)]
    )
    assert code == 0
    summary = orjson.loads(stats.read_bytes())
    assert set(summary) >= {
        "records_read",
        "events",
        "skipped",
        "dead_letter",
        "alerts",
        "by_format",
        "elapsed_s",
        "events_per_s",
    }
    assert summary["records_read"] == 301 and summary["events"] == 301
    assert summary["by_format"] == {"syslog": 301}
    assert summary["alerts"] == len(alerts.read_bytes().splitlines()) >= 1
    assert (state / "state.npz").exists()


def test_state_continues_across_daily_runs(tmp_path: Path) -> None:
    lines = ssh_history().splitlines(keepends=True)
    day1, day2 = tmp_path / "day1.log", tmp_path / "day2.log"
    day1.write_text("".join(lines[:-1]))
    day2.write_text(lines[-1])
    state = tmp_path / "state"
    first, second = tmp_path / "a1.jsonl", tmp_path / "a2.jsonl"
    assert main(["detect", "--state", str(state), "--alerts", str(first), str(day1)]) == 0
    assert first.read_bytes() == b""
    assert main(["detect", "--state", str(state), "--alerts", str(second), str(day2)]) == 0
    assert b'"alice"' in second.read_bytes()
    # Without the state the lone line is just a new user in its learning period.
    fresh = tmp_path / "a3.jsonl"
    assert main(["detect", "--alerts", str(fresh), str(day2)]) == 0
    assert fresh.read_bytes() == b""


def test_inputs_are_merged_in_event_time_order(tmp_path: Path) -> None:
    lines = ssh_history().splitlines(keepends=True)
    (tmp_path / "odd.log").write_text("".join(lines[0::2]))
    (tmp_path / "even.log").write_text("".join(lines[1::2]))
    out = tmp_path / "alerts.jsonl"
    assert (
        main(
            ["detect", "--alerts", str(out), str(tmp_path / "odd.log"), str(tmp_path / "even.log")]
        )
        == 0
    )
    merged = [orjson.loads(line)["entity"]["id"] for line in out.read_bytes().splitlines()]
    single = tmp_path / "all.log"
    single.write_text("".join(lines))
    out2 = tmp_path / "alerts2.jsonl"
    assert main(["detect", "--alerts", str(out2), str(single)]) == 0
    assert (
        merged
        == [orjson.loads(line)["entity"]["id"] for line in out2.read_bytes().splitlines()]
        == ["alice"]
    )


def test_bad_records_go_to_dead_letter_file_and_run_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_text(ssh_history().replace("Dec  5", "Dxx  5", 1))
    dead = tmp_path / "dead.jsonl"
    stats = tmp_path / "stats.json"
    assert (
        main(
            [
                "detect",
                "--dead-letter",
                str(dead),
                "--stats",
                str(stats),
                "--alerts",
                str(tmp_path / "a"),
                str(log),
            ]
        )
        == 0
    )
    letters = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert len(letters) == 1 and letters[0]["reason"] and letters[0]["source"] == str(log)
    assert orjson.loads(stats.read_bytes())["dead_letter"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["detect", "/nonexistent/file.log"],
        ["detect", "--format", "nosuchformat", "x"],
        ["detect"],
    ],
)
def test_unusable_arguments_exit_non_zero(args: list[str]) -> None:
    result = run_cli(args)
    assert result.returncode == 2
    assert result.stderr


def test_invalid_config_fails_fast_with_a_fix(tmp_path: Path) -> None:
    config = tmp_path / "vigil.toml"
    config.write_text("[risk]\nalert_bar = 500\n")
    result = run_cli(["detect", "--config", str(config), "-"], stdin=b"")
    assert result.returncode == 2
    assert b"alert_bar" in result.stderr
    config.write_text("[detectors.no_such_detector]\nx = 1\n")
    result = run_cli(["detect", "--config", str(config), "-"], stdin=b"")
    assert result.returncode == 2 and b"unknown detector" in result.stderr


@pytest.mark.parametrize("path", real_log_files(), ids=lambda p: p.name)
def test_real_file_parses_with_at_most_one_percent_dead_lettered(
    path: Path, tmp_path: Path
) -> None:
    stats = tmp_path / "stats.json"
    code = main(
        [
            "detect",
            "--stats",
            str(stats),
            "--dead-letter",
            str(tmp_path / "dl"),
            "--alerts",
            str(tmp_path / "a"),
            str(path),
        ]
    )
    assert code == 0
    summary = orjson.loads(stats.read_bytes())
    assert summary["records_read"] > 0
    assert summary["events"] + summary["skipped"] > 0
    assert summary["dead_letter"] <= 0.01 * summary["records_read"], summary["dead_letter_reasons"]


def test_show_renders_incidents_and_stops_quietly_when_the_reader_goes(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts.jsonl"
    main(["detect", "--tenant", "acme", "--alerts", str(alerts), str(_history_file(tmp_path))])
    shown = subprocess.run(
        [sys.executable, "-m", "pipeline.show", str(alerts)],
        capture_output=True,
        cwd=REPO,
        check=True,
    )
    assert b"incident(s):" in shown.stdout
    assert b"user=alice" in shown.stdout and b"normal:" in shown.stdout
    # `show | head -1`: the pipe closes after one line; no traceback, exit status 0.
    reader = subprocess.Popen(
        [sys.executable, "-m", "pipeline.show", str(alerts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()
    errors = reader.stderr.read()
    assert reader.wait(timeout=60) == 0, errors
    assert b"Traceback" not in errors


def _history_file(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text(ssh_history())
    return path


def test_detect_into_a_closed_pipe_says_it_stopped_early(tmp_path: Path) -> None:
    """`vigil detect ... | head -c 100`: status 1 and one line saying what was not done
    (not a usage error, not a traceback)."""
    vigil = Path(sys.executable).with_name("vigil")
    run = subprocess.Popen(
        [str(vigil), "detect", "--tenant", "acme", str(REPO / "benchmarks/samples/demo/logs")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stdout is not None and run.stderr is not None
    assert run.stdout.read(100)
    run.stdout.close()
    errors = run.stderr.read()
    assert run.wait(timeout=120) == 1, errors
    assert b"broken pipe" in errors and b"state was not saved" in errors
    assert b"Traceback" not in errors
