"""Being a careful client: robots.txt, no private addresses, retries that respect the server.

* Source URLs are operator input, so a URL that resolves to a private, loopback, link-local or reserved
  address is refused unless the source sets ``allow_private_network`` (tests serve fixtures on 127.0.0.1).
* robots.txt is read once a day per host (RFC 9309: a 4xx means no rules; a 5xx means "crawl nothing for
  now"), and a disallowed URL is reported, not fetched.
* 429 and 5xx responses and network errors are retried with exponential back-off, honouring
  ``Retry-After`` (seconds or an HTTP date) up to a cap, so a busy server is not hammered and one slow
  source cannot hold a cycle for long.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from monitor.errors import FetchError
from monitor.hosts import HostLimiter

ROBOTS_TTL_SECONDS = 24 * 3600
ROBOTS_MAX_BYTES = 512 * 1024
BACKOFF_BASE_SECONDS = 1.0


async def refuse_private_address(url: str) -> None:
    """Raise a permanent FetchError if ``url``'s host resolves to a non-public address."""
    host = urlsplit(url).hostname
    if not host:
        raise FetchError(f"{url} has no host", retryable=False)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot fetch {url}: cannot resolve {host}: {exc.strerror}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(
                f"refusing {url}: {host} resolves to the non-public address {address} "
                "(set allow_private_network: true on the source if this is intended)",
                retryable=False,
            )


def retry_delay(response: httpx.Response | None, attempt: int, cap: float) -> float | None:
    """Seconds to wait before retry ``attempt`` (1-based), or None when the server asks for longer than ``cap``."""
    delay = BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
    header = response.headers.get("retry-after") if response is not None else None
    if header:
        if header.strip().isdigit():
            delay = float(header.strip())
        else:
            try:
                when = parsedate_to_datetime(header)
                delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                pass  # an unreadable header: keep the back-off
    return None if delay > cap else delay


@dataclass
class RobotsRules:
    """robots.txt rules per host, kept for a day in the host memo every source shares."""

    user_agent: str
    memo: HostLimiter

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
            response = await http.get(url)
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc or 'no detail'}") from exc
        if response.status_code >= 500:
            return None, f"{url} answered HTTP {response.status_code}; crawling nothing there until it is readable"
        if response.status_code >= 400 or len(response.content) > ROBOTS_MAX_BYTES:
            return None, None  # no usable rules: everything is allowed
        parser = RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser, None


async def read_limited(response: httpx.Response, limit: int, shown_url: str) -> bytes:
    """The response body, refusing (permanently) one declared or found to be over ``limit`` bytes."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"{shown_url} is {declared} bytes, over the {limit}-byte limit", retryable=False)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            raise FetchError(f"{shown_url} exceeds the {limit}-byte limit", retryable=False)
    return bytes(body)
