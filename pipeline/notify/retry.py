"""Backoff with full jitter, ``Retry-After`` parsing and a per-sink token bucket."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Statuses worth another try: the receiver is overloaded, slow, or briefly broken.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**(attempt-1)))``.

    >>> b = Backoff(base_s=1.0, cap_s=8.0)
    >>> all(0 <= b.delay(n, random.Random(n)) <= 8.0 for n in range(1, 40))
    True
    >>> b.ceiling(1), b.ceiling(3), b.ceiling(30)
    (1.0, 4.0, 8.0)
    """

    base_s: float = 0.5
    cap_s: float = 60.0

    def ceiling(self, attempt: int) -> float:
        exponent = min(max(attempt - 1, 0), 62)
        return float(min(self.cap_s, self.base_s * (2**exponent)))

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, self.ceiling(attempt))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date).

    >>> parse_retry_after("7"), parse_retry_after("junk"), parse_retry_after(None)
    (7.0, None, None)
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    10.0
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now if now is not None else datetime.now(UTC)
    return max((when - moment).total_seconds(), 0.0)


class TokenBucket:
    """``rate_per_minute`` tokens a minute, at most ``burst`` saved up; thread-safe.

    >>> clock = [0.0]
    >>> bucket = TokenBucket(60, 2, clock=lambda: clock[0])
    >>> bucket.try_acquire(), bucket.try_acquire(), bucket.try_acquire()
    (0.0, 0.0, 1.0)
    >>> clock[0] = 1.0
    >>> bucket.try_acquire()
    0.0
    """

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError("rate limit needs rate_per_minute > 0 and burst >= 1")
        self.rate_per_s = rate_per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.tokens = float(burst)
        self.stamp = clock()
        self.lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a token and return 0.0, or return the seconds until one is available."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate_per_s)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return 0.0
            return (1.0 - self.tokens) / self.rate_per_s
