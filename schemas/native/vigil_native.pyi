"""Vigil's compiled syslog fast path (schemas/native): RFC 3164 sshd and sudo lines.

``sshd_line(line, year_month)``: None, or ``(stamp_key, time, month, day, hour, minute, second,
dst_host, kind, user, a, b, auth_protocol, reason, count)``; ``a, b`` are src_ip, src_host for
sshd (kinds 1-4) and target_user, object for a sudo command (kind 5); kind 0 has no event.
"""

from datetime import datetime

def sshd_line(
    line: str, year_month: tuple[int, int] | None = None, /
) -> (
    tuple[int, datetime | None, int, int, int, int, int, str, int, str, str, str, str, str, int]
    | None
): ...
