"""Fetching one URL or local file into a :class:`RawItem`, with the limits every source shares.

Remote fetches use conditional GET (ETag / Last-Modified) so an unchanged feed costs one small
response; local files are skipped when their size and modification time are unchanged.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from crawlers.politeness import RobotsRules, retry_delay
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext
from monitor.outbound.bodies import read_bounded
from monitor.outbound.deadline import fetch_deadline
from monitor.outbound.get import open_url
from monitor.records import RawItem


class _RetryableError(Exception):
    """A failure worth trying again (429, 5xx, network), carrying the error to raise if we give up."""

    def __init__(self, error: FetchError, response: httpx.Response | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.response = response


@dataclass
class Validators:
    """What we remember about the last successful fetch of one URL or file."""

    etag: str | None = None
    last_modified: str | None = None
    file_stamp: tuple[int, int] | None = None


@dataclass
class Fetcher:
    """Remembers validators, so one instance belongs to one source (robots.txt rules are per host)."""

    source_id: str
    allow_private_network: bool = False
    respect_robots_txt: bool = True
    validators: dict[str, Validators] = field(default_factory=dict)
    robots: RobotsRules | None = None

    async def fetch_url(self, url: str, context: CollectContext) -> RawItem | None:
        """GET ``url`` politely; None when the server says it is unchanged (304). Raises FetchError.

        Every connection, redirects included, goes to a public address unless the source allows private ones
        (the client's transport checks them); the body is unpacked within ``crawl.max_body_bytes``.
        """
        if self.respect_robots_txt:
            if self.robots is None:
                self.robots = RobotsRules(context.crawl.user_agent, context.hosts, self.allow_private_network)
            async with fetch_deadline(f"robots.txt of {url}", context.crawl):
                await self.robots.check(url, context.http)
        attempt = 0
        while True:
            attempt += 1
            try:
                # The deadline starts once the host slot is ours: waiting for a turn is not the server's fault.
                # An overrun is not retried here: a trickling server would only hold the slot as long again.
                async with context.hosts.slot(url), fetch_deadline(url, context.crawl):
                    return await self._get(url, context)
            except _RetryableError as retry:
                delay = retry_delay(retry.response, attempt, context.crawl.max_retry_wait_seconds)
                if attempt > context.crawl.max_retries or delay is None:
                    raise retry.error from None
                await asyncio.sleep(delay)

    async def _get(self, url: str, context: CollectContext) -> RawItem | None:
        known = self.validators.get(url, Validators())
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        limit = context.crawl.max_body_bytes
        try:
            async with open_url(
                context.http, url, headers=headers, allow_private_network=self.allow_private_network
            ) as response:
                if response.status_code == 304:
                    return None
                if response.status_code >= 400:
                    error = FetchError(f"HTTP {response.status_code} from {url}", retryable=True)
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _RetryableError(error, response)
                    error.retryable = False
                    raise error
                body = await read_bounded(response, limit, url)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            error = FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc or 'no detail'}")
            raise _RetryableError(error, None) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc or 'no detail'}") from exc
        self.validators[url] = Validators(
            etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified")
        )
        return RawItem(
            source_id=self.source_id,
            url=str(response.url),
            fetched_at=context.now,
            status=response.status_code,
            headers=dict(response.headers),
            body=body,
        )

    def read_file(self, path: Path, context: CollectContext) -> RawItem | None:
        """Read a local file; None when its size and mtime match the last read. Raises FetchError."""
        key = str(path)
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self.validators.get(key, Validators()).file_stamp == stamp:
                return None
            if stat.st_size > context.crawl.max_body_bytes:
                raise FetchError(
                    f"{path} is {stat.st_size} bytes, over the {context.crawl.max_body_bytes}-byte limit",
                    retryable=False,
                )
            body = path.read_bytes()
        except FileNotFoundError as exc:
            raise FetchError(f"file not found: {path}", retryable=False) from exc
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {os.strerror(exc.errno or 0)}") from exc
        self.validators[key] = Validators(file_stamp=stamp)
        return RawItem(source_id=self.source_id, url=path.resolve().as_uri(), fetched_at=context.now, body=body)
