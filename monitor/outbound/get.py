"""GET with redirects followed one checked hop at a time, and reading one page (``sources --discover``).

httpx's own redirect handling reads every intermediate body whole, unpacked, before the next hop; here
each hop is a new request through the client's transport (so its host is resolved and checked, see
:mod:`monitor.outbound.transport`) and an intermediate body is never read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from monitor.config.settings import CrawlSettings
from monitor.errors import FetchError
from monitor.outbound.bodies import body_text, read_bounded
from monitor.outbound.deadline import fetch_deadline
from monitor.outbound.transport import NonPublicAddressError, crawl_client, outbound_extensions

MAX_REDIRECTS = 5
SOURCE_REMEDY = "set allow_private_network: true on the source if this is intended"


@asynccontextmanager
async def open_url(
    http: httpx.AsyncClient,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    allow_private_network: bool = False,
    max_redirects: int = MAX_REDIRECTS,
    shown_url: str | None = None,
    remedy: str = SOURCE_REMEDY,
) -> AsyncIterator[httpx.Response]:
    """GET ``url`` and yield the final response, its body not read yet (read it with ``read_bounded``).

    Args:
        http: A client from :func:`monitor.outbound.transport.outbound_client`.
        url: The URL to get.
        headers: Extra request headers (kept on redirects to the same origin, as httpx does).
        allow_private_network: Skip the address check (for every hop).
        max_redirects: How many redirects to follow; 0 yields a redirect response as it is.
        shown_url: ``url`` as it may be shown (without credentials); ``url`` by default.
        remedy: What the operator can do about a refused address, appended to the message.

    Raises:
        FetchError: Permanent, when a hop's host is or resolves to a non-public address.
        httpx.TooManyRedirects: More than ``max_redirects`` redirects.
        httpx.HTTPError: The request failed.
    """
    shown = shown_url or url
    request = http.build_request(
        "GET", url, headers=dict(headers or {}), extensions=outbound_extensions(allow_private_network)
    )
    redirects = 0
    while True:
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except NonPublicAddressError as exc:
            hop = "" if redirects == 0 else f" (redirected to {request.url})"
            raise FetchError(f"refusing {shown}{hop}: {exc.message}; {remedy}", retryable=False) from None
        if response.next_request is None or max_redirects == 0:
            break
        await response.aclose()  # the redirect's own body is never read
        redirects += 1
        if redirects > max_redirects:
            raise httpx.TooManyRedirects(
                f"more than {max_redirects} redirects, the last to {response.next_request.url}", request=request
            )
        request = response.next_request
    try:
        yield response
    finally:
        await response.aclose()


@dataclass(frozen=True)
class Page:
    """A fetched page: where it ended up (after redirects), its body and the charset it declared."""

    url: str
    body: bytes
    charset: str | None = None

    @property
    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8, with undecodable bytes replaced."""
        return body_text(self.body, self.charset)


async def read_page(
    http: httpx.AsyncClient,
    url: str,
    *,
    limit: int,
    allow_private_network: bool = False,
    remedy: str = SOURCE_REMEDY,
) -> Page:
    """GET ``url`` following checked redirects, and read its body within ``limit`` bytes.

    Raises:
        FetchError: The page is unreachable, refused, over the limit or answered an HTTP error.
    """
    try:
        async with open_url(http, url, allow_private_network=allow_private_network, remedy=remedy) as response:
            status = response.status_code
            if status >= 400:
                raise FetchError(f"HTTP {status} from {url}", retryable=status == 429 or status >= 500)
            body = await read_bounded(response, limit, url)
            return Page(url=str(response.url), body=body, charset=response.charset_encoding)
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc or 'no detail'}") from exc


async def fetch_page(crawl: CrawlSettings, url: str, *, allow_private_network: bool = False) -> Page:
    """:func:`read_page` with a client of its own, set up from the crawl settings (for one-off commands)."""
    async with crawl_client(crawl) as http, fetch_deadline(url, crawl):
        return await read_page(
            http,
            url,
            limit=crawl.max_body_bytes,
            allow_private_network=allow_private_network,
            remedy="pass --allow-private-network if this is intended",
        )
