"""Per-host politeness shared by every source: at most N requests at once and a minimum gap per host.

Several sources often live on one host (a newspaper's sections, its sitemap and its article pages), so
the limits must be shared across sources, not kept per source; so is what we learn about a host (its
robots.txt rules), kept in a small memo with an expiry. The last-request times survive between
cycles; the semaphores belong to the running event loop and are recreated when the loop changes (each CLI
command runs its own loop).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit


class HostLimiter:
    def __init__(self, concurrency: int, min_interval_seconds: float) -> None:
        self.concurrency = concurrency
        self.min_interval = min_interval_seconds
        self._last_start: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._spacing: dict[str, asyncio.Lock] = {}
        self._memo: dict[str, tuple[float, Any]] = {}

    def _for_this_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._gates, self._spacing = loop, {}, {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, started at least ``min_interval`` after the previous one."""
        self._for_this_loop()
        host = (urlsplit(url).hostname or "").lower()
        gate = self._gates.setdefault(host, asyncio.Semaphore(self.concurrency))
        spacing = self._spacing.setdefault(host, asyncio.Lock())
        async with gate:
            async with spacing:  # requests to one host start in turn, min_interval apart
                wait = self._last_start.get(host, 0.0) + self.min_interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._last_start[host] = time.monotonic()
            yield

    def recall(self, key: str) -> Any | None:
        """What :meth:`remember` stored under ``key``, or None if nothing is stored or it expired."""
        found = self._memo.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def remember(self, key: str, value: Any, ttl_seconds: float) -> None:
        self._memo[key] = (time.monotonic() + ttl_seconds, value)
