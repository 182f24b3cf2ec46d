"""Being a careful client: robots.txt, no private addresses, retries that respect the server.

* Source URLs are operator input, so a URL that resolves to a private, loopback, link-local or reserved
  address is refused unless the source sets ``allow_private_network`` (tests serve fixtures on 127.0.0.1).
  The check is made by the HTTP client on every connection, redirects included (:mod:`monitor.outbound`).
* robots.txt is read once a day per host (RFC 9309: a 4xx means no rules; a 5xx means "crawl nothing for
  now"; only its first 512 KiB are read, unpacked), and a disallowed URL is reported, not fetched.
* 429 and 5xx responses and network errors are retried with exponential back-off, honouring
  ``Retry-After`` (seconds or an HTTP date) up to a cap, so a busy server is not hammered and one slow
  source cannot hold a cycle for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from monitor.errors import FetchError
from monitor.ingestion.hosts import HostLimiter
from monitor.outbound.bodies import read_bounded
from monitor.outbound.get import open_url
from monitor.outbound.retry_after import parse_retry_after

ROBOTS_TTL_SECONDS = 24 * 3600
ROBOTS_MAX_BYTES = 512 * 1024
BACKOFF_BASE_SECONDS = 1.0


def retry_delay(response: httpx.Response | None, attempt: int, cap: float) -> float | None:
    """Seconds to wait before retry ``attempt`` (1-based), or None when the server asks for longer than ``cap``."""
    asked = parse_retry_after(response.headers.get("retry-after")) if response is not None else None
    delay = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1) if asked is None else asked
    return None if delay > cap else delay


@dataclass
class RobotsRules:
    """robots.txt rules per host, kept for a day in the host memo every source shares."""

    user_agent: str
    memo: HostLimiter
    allow_private_network: bool = False

    async def check(self, url: str, http: httpx.AsyncClient) -> None:
        """Raise a FetchError if robots.txt forbids ``url`` (or cannot be read because of a server error)."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        key = f"robots.txt {self.user_agent} {host}"
        cached: tuple[RobotFileParser | None, str | None] | None = self.memo.recall(key)
        if cached is None:
            cached = await self._load(host, http)
            self.memo.remember(key, cached, ROBOTS_TTL_SECONDS)
        parser, blocked = cached
        if blocked is not None:
            raise FetchError(f"not fetching {url}: {blocked}")
        if parser is not None and not parser.can_fetch(self.user_agent, url):
            raise FetchError(f"{url} is disallowed by {host}/robots.txt for our user agent", retryable=False)

    async def _load(self, host: str, http: httpx.AsyncClient) -> tuple[RobotFileParser | None, str | None]:
        url = f"{host}/robots.txt"
        try:
            async with open_url(http, url, allow_private_network=self.allow_private_network) as response:
                status = response.status_code
                if status >= 500:
                    return None, f"{url} answered HTTP {status}; crawling nothing there until it is readable"
                if status >= 400:
                    return None, None  # no rules: everything is allowed
                # RFC 9309 §2.5: rules past the first 500 KiB may be ignored; the rest is never unpacked.
                body = await read_bounded(response, ROBOTS_MAX_BYTES, url, truncate=True)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc or 'no detail'}") from exc
        parser = RobotFileParser()
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser, None
