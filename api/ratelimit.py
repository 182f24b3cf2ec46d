"""Per-key rate limiting: a token bucket for each API key, in memory.

Each key may send ``burst`` requests at once and then ``per_minute`` requests a minute on average.
Buckets live in this process only: one API process serves the office, and a restart merely forgives
everyone. A refused request gets 429 with ``Retry-After`` (whole seconds until a token is back).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Past this many buckets, the ones that have refilled completely (idle keys) are dropped.
MAX_IDLE_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by API key id; thread-safe (sync routes run in a thread pool)."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key_id: str) -> float:
        """Take one token for ``key_id``: 0.0 if the request may go, else the seconds until it may."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                if len(self._buckets) >= MAX_IDLE_BUCKETS:
                    self._drop_full(now)
                bucket = self._buckets[key_id] = _Bucket(tokens=float(self.burst), stamp=now)
            else:
                bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
                bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _drop_full(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key_id in [k for k, b in self._buckets.items() if now - b.stamp >= full_after]:
            del self._buckets[key_id]


def retry_after_header(wait_seconds: float) -> str:
    """``Retry-After`` takes whole seconds; round up so a client that obeys it is never refused again."""
    return str(max(1, math.ceil(wait_seconds)))
