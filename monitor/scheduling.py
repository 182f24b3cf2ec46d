"""Adaptive polling: how long to wait before collecting from a source again.

A source that keeps publishing is polled faster (down to a quarter of its configured interval), a quiet
one slower (up to four times), and a failing one backs off exponentially (capped at six hours) so a broken
or blocking site is not hammered — and recovers its normal pace at the first success.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.health import CycleCounts

FASTEST = 0.25
SLOWEST = 4.0
QUIET_STEP = 1.5
BUSY_STEP = 0.5
FAILURE_CAP_SECONDS = 6 * 3600


@dataclass
class Cadence:
    """The polling pace of one source; ``base`` is its configured interval in seconds."""

    base: float
    factor: float = 1.0

    def next_interval(self, counts: CycleCounts, consecutive_failures: int) -> float:
        """Seconds until the next collection, after a cycle with ``counts``."""
        if consecutive_failures:
            return float(min(FAILURE_CAP_SECONDS, self.base * 2**consecutive_failures))
        if counts.inserted or counts.updated:
            self.factor = max(FASTEST, self.factor * BUSY_STEP)
        else:
            self.factor = min(SLOWEST, self.factor * QUIET_STEP)
        return self.base * self.factor
