"""``python -m pipeline.show ALERTS.jsonl``: alerts as a short readable list (for the demo)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import msgspec

from schemas.alert import Alert

_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def latest_versions(lines: list[bytes]) -> list[Alert]:
    """The newest version of every incident, most severe first."""
    newest: dict[str, Alert] = {}
    for line in lines:
        if not line.strip():
            continue
        alert = msgspec.json.decode(line, type=Alert)
        current = newest.get(alert.incident_key)
        if current is None or alert.version > current.version:
            newest[alert.incident_key] = alert
    return sorted(newest.values(), key=lambda a: (_ORDER[a.severity], -a.score, a.time))


def render(alert: Alert) -> str:
    lines = [
        f"[{alert.severity.upper():8}] {alert.score:5.1f}  {alert.time:%Y-%m-%d %H:%M}  "
        f"{alert.entity.type}={alert.entity.id}  ({alert.detector}, {', '.join(alert.mitre)})",
        f"           {alert.title}",
    ]
    lines.extend(
        f"           - {f.observed}; normal: {f.baseline} (+{f.contribution:.0f})"
        for f in alert.explanation[:3]
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pipeline.show ALERTS.jsonl", file=sys.stderr)
        return 2
    alerts = latest_versions(Path(argv[0]).read_bytes().splitlines())
    print(f"\n{len(alerts)} incident(s):\n")
    for alert in alerts:
        print(render(alert) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        # Piped into `head` or a pager that quit: not an error. Point stdout at devnull so
        # the interpreter's final flush does not raise again (Python docs, "SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
