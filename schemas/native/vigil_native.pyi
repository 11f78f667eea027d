"""Vigil's compiled syslog fast path (schemas/native): RFC 3164 sshd lines."""

from datetime import datetime

def sshd_line(
    line: str, year_month: tuple[int, int] | None = None, /
) -> (
    tuple[int, datetime | None, int, int, int, int, int, str, int, str, str, str, str, str, int]
    | None
): ...
