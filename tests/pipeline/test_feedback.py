"""Analyst feedback end to end: false positives are suppressed (and expire), true positives
share their indicators with every other tenant, and nothing of one tenant leaks into another's
alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from pipeline.cli import main
from pipeline.feedback import Suppression, SuppressionList

SSH = "Dec {day:2d} {hour:02d}:{minute:02d}:01 {host} sshd[{pid}]: Accepted password for {user} from {ip} port 5{pid} ssh2"
ATTACKER_IP = "45.83.64.17"  # a public address: private ones are never shared


def history(host: str, users: tuple[str, ...], office: str, days: int = 20) -> list[str]:
    return [
        SSH.format(
            day=day, hour=hour, minute=i, host=host, pid=100 + i, user=user, ip=f"{office}.{10 + i}"
        )
        for day in range(1, days + 1)
        for hour in range(9, 14)
        for i, user in enumerate(users)
    ]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def detect(*args: str) -> dict[str, object]:
    stats = Path(args[args.index("--alerts") + 1]).with_suffix(".stats.json")
    assert main(["detect", "--stats", str(stats), *args]) == 0
    return orjson.loads(stats.read_bytes())


def alerts_of(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_false_positive_is_suppressed_then_expires(tmp_path: Path) -> None:
    state = tmp_path / "state"
    day1 = write(tmp_path / "d1.log", history("bastion", ("alice", "bob"), "10.1.1"))
    detect(
        "--tenant", "acme", "--state", str(state), "--alerts", str(tmp_path / "a1.jsonl"), str(day1)
    )
    # alice works from home one night: a new network at 3 a.m., flagged once.
    day2 = write(
        tmp_path / "d2.log",
        [SSH.format(day=21, hour=3, minute=0, host="bastion", pid=7, user="alice", ip="10.9.9.9")],
    )
    detect(
        "--tenant", "acme", "--state", str(state), "--alerts", str(tmp_path / "a2.jsonl"), str(day2)
    )
    [alert] = alerts_of(tmp_path / "a2.jsonl")
    assert alert["entity"] == {"type": "user", "id": "alice"}
    code = main(
        [
            "feedback",
            "--state",
            str(state),
            "--alerts",
            str(tmp_path / "a2.jsonl"),
            "--alert",
            str(alert["id"]),
            "--verdict",
            "false-positive",
            "--owner",
            "analyst@acme",
            "--reason",
            "home office",
            "--expires",
            "30d",
        ]
    )
    assert code == 0
    [entry] = SuppressionList.load(str(state)).entries
    assert (entry.owner, entry.reason, entry.entity_id) == ("analyst@acme", "home office", "alice")
    # Two days later (incident closed), alice again from another new network: suppressed, counted.
    day4 = write(
        tmp_path / "d4.log",
        [SSH.format(day=25, hour=3, minute=0, host="bastion", pid=8, user="alice", ip="10.8.8.8")],
    )
    stats = detect(
        "--tenant", "acme", "--state", str(state), "--alerts", str(tmp_path / "a4.jsonl"), str(day4)
    )
    assert alerts_of(tmp_path / "a4.jsonl") == []
    assert stats["suppressed"] == 1
    # The baseline did not learn the suppressed network: feedback is not retraining.
    # Expired suppressions no longer hold anything back.
    expired = Suppression(
        tenant="acme",
        entity_type="user",
        entity_id="alice",
        detector="rare_source_network",
        owner="a",
        reason="r",
        expires=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
    )
    (state / "feedback.json").unlink()
    SuppressionList.load(str(state)).add(expired)
    day9 = write(
        tmp_path / "d9.log",
        [SSH.format(day=30, hour=3, minute=0, host="bastion", pid=9, user="alice", ip="10.7.7.7")],
    )
    stats = detect(
        "--tenant", "acme", "--state", str(state), "--alerts", str(tmp_path / "a9.jsonl"), str(day9)
    )
    assert stats["suppressed"] == 0
    assert [a["entity"]["id"] for a in alerts_of(tmp_path / "a9.jsonl")] == ["alice"]


def test_confirmed_indicator_protects_other_tenants_without_leaking(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    a_state, b_state = tmp_path / "acme", tmp_path / "globex"
    # Tenant acme: alice's credentials used from the attacker's address.
    acme = [
        *history("acme-bastion", ("alice", "amir"), "10.1.1"),
        SSH.format(
            day=21, hour=3, minute=0, host="acme-bastion", pid=66, user="alice", ip=ATTACKER_IP
        ),
    ]
    a_alerts = tmp_path / "acme.jsonl"
    detect(
        "--tenant",
        "acme",
        "--state",
        str(a_state),
        "--shared-state",
        str(shared),
        "--alerts",
        str(a_alerts),
        str(write(tmp_path / "acme.log", acme)),
    )
    [alert] = alerts_of(a_alerts)
    assert (
        main(
            [
                "feedback",
                "--state",
                str(a_state),
                "--shared-state",
                str(shared),
                "--alerts",
                str(a_alerts),
                "--alert",
                str(alert["incident_key"]),
                "--verdict",
                "true-positive",
                "--owner",
                "soc",
                "--reason",
                "confirmed",
            ]
        )
        == 0
    )
    stored = (shared / "indicators.json").read_text()
    assert ATTACKER_IP in stored and "acme" not in stored and "alice" not in stored
    # Tenant globex: a user with a short history signs in once from the same address.
    globex = [
        *history("gx-web", ("gina",), "10.2.2", days=2),
        SSH.format(day=3, hour=4, minute=0, host="gx-web", pid=77, user="gina", ip=ATTACKER_IP),
    ]
    b_alerts = tmp_path / "globex.jsonl"
    detect(
        "--tenant",
        "globex",
        "--state",
        str(b_state),
        "--shared-state",
        str(shared),
        "--alerts",
        str(b_alerts),
        str(write(tmp_path / "globex.log", globex)),
    )
    b = alerts_of(b_alerts)
    assert [x["entity"]["id"] for x in b] == ["gina"]
    assert "another managed environment" in b[0]["title"]
    text = b_alerts.read_text().lower()
    for secret in ("acme", "alice", "amir", "acme-bastion"):
        assert secret not in text
    # The origin tenant is not warned about its own indicator.
    again = tmp_path / "acme2.jsonl"
    stats = detect(
        "--tenant",
        "acme",
        "--state",
        str(a_state),
        "--shared-state",
        str(shared),
        "--alerts",
        str(again),
        str(
            write(
                tmp_path / "acme2.log",
                [
                    SSH.format(
                        day=22,
                        hour=3,
                        minute=0,
                        host="acme-bastion",
                        pid=67,
                        user="amir",
                        ip=ATTACKER_IP,
                    )
                ],
            )
        ),
    )
    assert all("another managed environment" not in a["title"] for a in alerts_of(again))
    assert stats["dead_letter"] == 0
