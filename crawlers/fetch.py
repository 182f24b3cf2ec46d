"""Fetching one URL or local file into a :class:`RawItem`, with the limits every source shares.

Remote fetches use conditional GET (ETag / Last-Modified) so an unchanged feed costs one small
response; local files are skipped when their size and modification time are unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from monitor.errors import FetchError
from monitor.records import RawItem
from monitor.sources import CollectContext


@dataclass
class Validators:
    """What we remember about the last successful fetch of one URL or file."""

    etag: str | None = None
    last_modified: str | None = None
    file_stamp: tuple[int, int] | None = None


@dataclass
class Fetcher:
    """Remembers validators per location, so one instance belongs to one source."""

    source_id: str
    validators: dict[str, Validators] = field(default_factory=dict)

    async def fetch_url(self, url: str, context: CollectContext) -> RawItem | None:
        """GET ``url``; None when the server says it is unchanged (304). Raises FetchError."""
        known = self.validators.get(url, Validators())
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        limit = context.crawl.max_body_bytes
        try:
            async with context.http.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return None
                if response.status_code >= 400:
                    retryable = response.status_code == 429 or response.status_code >= 500
                    raise FetchError(f"HTTP {response.status_code} from {url}", retryable=retryable)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise FetchError(f"{url} is {declared} bytes, over the {limit}-byte limit", retryable=False)
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise FetchError(f"{url} exceeds the {limit}-byte limit", retryable=False)
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
            body=bytes(body),
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
