"""A total deadline for one request: httpx's timeout applies to each read, so a trickling body never times out.

A server that sends one byte every few seconds satisfies every per-read timeout and would hold a fetch
(and the source's collection) forever. Every request the crawlers make runs under this deadline, from
connecting to the last byte of the body; an overrun is a retryable :class:`FetchError` naming the URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from monitor.config.settings import CrawlSettings
from monitor.errors import FetchError


@asynccontextmanager
async def fetch_deadline(url: str, crawl: CrawlSettings) -> AsyncIterator[None]:
    """Raise a retryable FetchError if the block (one request to ``url``) outlasts ``crawl.fetch_deadline_seconds``."""
    seconds = crawl.fetch_deadline_seconds
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            yield
    except TimeoutError:
        if not scope.expired():  # a TimeoutError from inside the block, not our deadline
            raise
        raise FetchError(
            f"cannot fetch {url}: no complete answer within the {seconds:g}-second fetch deadline "
            "(crawl.fetch_deadline_seconds); the server is too slow or trickling its answer",
            retryable=True,
        ) from None
