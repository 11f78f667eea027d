"""Vigil's compiled syslog fast path (schemas/native): RFC 3164 sshd lines."""

def sshd_line(
    line: str, /
) -> tuple[int, int, int, int, int, int, str, int, str, str, str, str, str, int] | None: ...
