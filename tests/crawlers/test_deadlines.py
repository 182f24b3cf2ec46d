"""Every request has a total deadline: a server trickling its answer cannot hold a fetch.

httpx's timeout applies to each read; these servers send one byte well within it, again and again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crawlers.rss import RssSource, RssSourceSpec
from crawlers.social.api import api_get
from monitor.config.settings import CrawlSettings
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.get import fetch_page
from tests.loopback import Reply
from tests.slow_server import Trickle, endless, serve_slow

NOW = datetime(2026, 11, 26, tzinfo=UTC)
# Short deadlines keep the tests fast; the per-read timeout is far longer than the gap between bytes.
CRAWL = CrawlSettings(
    timeout_seconds=5, fetch_deadline_seconds=0.5, source_deadline_seconds=30, per_host_interval_seconds=0
)
FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</title>'
    "<item><title>Đồng Nai ngập sâu sau mưa lớn</title><link>{link}</link>"
    "<description>Nước ngập sâu trên quốc lộ 51.</description>"
    "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item></channel></rss>"
)
SAFETY_NET_SECONDS = 60  # only for the code before the deadlines, which would wait forever


async def _with_context(run: object) -> object:
    async with httpx.AsyncClient(timeout=CRAWL.timeout_seconds, follow_redirects=True) as http:
        context = CollectContext(http=http, crawl=CRAWL, config_dir=Path("."), now=NOW)
        return await asyncio.wait_for(run(context), SAFETY_NET_SECONDS)  # type: ignore[operator]


def _collect(spec: RssSourceSpec) -> Collected:
    result = asyncio.run(_with_context(RssSource(spec).collect))
    assert isinstance(result, Collected)
    return result


def test_a_trickling_feed_fails_at_the_fetch_deadline() -> None:
    with serve_slow({"/rss": Trickle(endless())}) as server:
        result = _collect(
            RssSourceSpec(id="cham", url=server.url("/rss"), allow_private_network=True, respect_robots_txt=False)
        )
        requests = len(server.requests)
    assert result.fetch_failed
    message = result.problems[0].message
    assert server.url("/rss") in message
    assert "0.5-second fetch deadline (crawl.fetch_deadline_seconds)" in message
    assert requests == 1  # an overrun is not retried at once: the server would only trickle again


def test_a_trickling_robots_txt_is_bounded_too() -> None:
    routes = {
        "/robots.txt": Trickle(b"User-agent: *\n" + b"#" * 10_000),
        "/rss": Reply(200, FEED.format(link="https://baodongnai.example/1").encode()),
    }
    with serve_slow(routes) as server:
        result = _collect(RssSourceSpec(id="cham", url=server.url("/rss"), allow_private_network=True))
        fetched = [path for path, _ in server.requests]
    assert result.fetch_failed
    assert f"robots.txt of {server.url('/rss')}" in result.problems[0].message
    assert "fetch deadline" in result.problems[0].message
    assert fetched == ["/robots.txt"]


def test_a_trickling_article_page_keeps_the_listing() -> None:
    routes: dict[str, object] = {"/article": Trickle(b"<html><body>" + b" " * 10_000)}
    with serve_slow(routes) as server:  # type: ignore[arg-type]
        routes["/rss"] = Reply(200, FEED.format(link=server.url("/article")).encode())
        spec = RssSourceSpec(
            id="cham", url=server.url("/rss"), allow_private_network=True, respect_robots_txt=False, fetch_articles=True
        )
        result = _collect(spec)
    assert not result.fetch_failed
    assert [doc.title for doc in result.documents] == ["Đồng Nai ngập sâu sau mưa lớn"]
    assert result.documents[0].text == "Nước ngập sâu trên quốc lộ 51."
    warning = next(p for p in result.problems if p.location == server.url("/article"))
    assert warning.severity is Severity.WARNING
    assert "fetch deadline" in warning.message


def test_a_trickling_platform_api_is_bounded() -> None:
    with serve_slow({"/v1/posts": Trickle(b'{"data": [' + b" " * 10_000)}) as server:

        async def get(context: CollectContext) -> object:
            try:
                await api_get(
                    server.url("/v1/posts"),
                    context,
                    source_id="trang",
                    headers={},
                    secret="khong-phai-bi-mat",
                    allow_private_network=True,
                )
            except FetchError as exc:
                return exc
            return None

        error = asyncio.run(_with_context(get))
    assert isinstance(error, FetchError)
    assert error.retryable
    assert "fetch deadline" in error.message


def test_items_taken_by_a_stopped_collection_wait_for_the_next_one() -> None:
    """A collection stopped at its deadline keeps nothing, so the item whose page it was reading waits again."""
    slow = True

    def article(handler: object) -> Reply | Trickle:
        return Trickle(b"<html>" + b" " * 10_000) if slow else Reply(404, b"khong co")

    routes: dict[str, object] = {"/article": article}
    with serve_slow(routes) as server:  # type: ignore[arg-type]
        routes["/rss"] = Reply(200, FEED.format(link=server.url("/article")).encode())
        spec = RssSourceSpec(
            id="cham", url=server.url("/rss"), allow_private_network=True, respect_robots_txt=False, fetch_articles=True
        )
        source = RssSource(spec)

        async def stopped(context: CollectContext) -> object:
            collecting = asyncio.create_task(source.collect(context))
            while not any(path == "/article" for path, _ in server.requests):
                await asyncio.sleep(0.02)
            collecting.cancel()  # as the source's deadline does
            return await asyncio.gather(collecting, return_exceptions=True)

        asyncio.run(_with_context(stopped))
        slow = False
        # The item has left the feed meanwhile: only the queue still knows it.
        routes["/rss"] = Reply(200, FEED.format(link="https://baodongnai.example/khac").encode())
        again = asyncio.run(_with_context(source.collect))
    assert isinstance(again, Collected)
    assert {doc.url for doc in again.documents} == {"https://baodongnai.example/khac", server.url("/article")}


def test_a_trickling_page_for_discover_is_bounded() -> None:
    with serve_slow({"/": Trickle(b"<html><head>" + b" " * 10_000)}) as server, pytest.raises(FetchError) as refused:
        asyncio.run(
            asyncio.wait_for(fetch_page(CRAWL, server.url("/"), allow_private_network=True), SAFETY_NET_SECONDS)
        )
    assert "0.5-second fetch deadline (crawl.fetch_deadline_seconds)" in str(refused.value)
    assert server.url("/") in str(refused.value)
