"""Servers that attack the crawler: decompression bombs and redirects into the private network.

All servers are real, on 127.0.0.1. To make one of them play an outside host (``tin.example``), the
client gets a resolver that answers 127.0.0.1 for that name and treats that server's address and port,
and only those, as public (``public_exceptions``): every other loopback server stays private, as the
office network or the monitor's own API would be.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from crawlers.rss import RssSource, RssSourceSpec
from crawlers.social.youtube import YouTubeSource, YouTubeSourceSpec
from monitor.config.settings import CrawlSettings
from monitor.context import Monitor
from monitor.errors import FetchError
from monitor.ingestion.sources import CollectContext, Collected
from monitor.outbound.get import fetch_page, read_page
from monitor.outbound.transport import NonPublicAddressError, Resolver, crawl_client, outbound_client
from monitor.records import utc_now
from monitor.store.base import DocumentFilter
from tests.bombs import BOMBS, GIB, peak_memory
from tests.loopback import Loopback, Reply, Route, serve

NOW = datetime(2026, 11, 26, tzinfo=UTC)
LIMIT = 2 * 1024 * 1024
CRAWL = CrawlSettings(max_body_bytes=LIMIT, max_retries=0, timeout_seconds=5)
# What the crawler may hold while refusing a bomb: the body buffer (up to LIMIT, briefly twice while it
# grows) and its own working memory. Unpacking the bomb whole, as before, took over a GiB.
MEMORY_BOUND = 4 * LIMIT
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo Đồng Nai</title>'
    "<item><title>Đồng Nai ngập sâu sau mưa lớn</title><link>https://tin.example/1</link>"
    "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item></channel></rss>"
).encode()
INTERNAL_FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nội bộ</title>'
    "<item><title>Tài liệu nội bộ: mật khẩu máy chủ</title><link>http://intranet/1</link></item></channel></rss>"
).encode()
FEED_START = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</title>'
ROBOTS_START = b"User-agent: *\nDisallow: /rieng-tu/\n"
ClientFactory = Callable[[], httpx.AsyncClient]


class EveryPath(dict[str, Route]):
    """One answer for every path (the API source asks for paths with query strings)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__()
        self.reply = reply

    def get(self, key: str, default: Route | None = None) -> Route | None:  # type: ignore[override]
        return self.reply


def _collect(source: RssSource | YouTubeSource, http: ClientFactory | None = None) -> Collected:
    async def run() -> Collected:
        async with (http or (lambda: crawl_client(CRAWL)))() as client:
            context = CollectContext(http=client, crawl=CRAWL, config_dir=Path("."), now=NOW)
            return await source.collect(context)

    return asyncio.run(run())


def _rss(url: str, **options: bool) -> RssSource:
    return RssSource(RssSourceSpec.model_validate({"id": "tin", "url": url, **options}))


# -- decompression bombs ------------------------------------------------------------------------------


def _bomb_as_feed(server: Loopback) -> str:
    result = _collect(_rss(server.url("/feed"), allow_private_network=True, respect_robots_txt=False))
    assert result.fetch_failed
    return result.problems[0].message


def _bomb_as_api_answer(server: Loopback) -> str:
    spec = YouTubeSourceSpec(
        id="yt", api_base=server.url("/youtube/v3"), channel_id="UCdnTV3kq8PzLw5R2mXa9YbQ", allow_private_network=True
    )
    result = _collect(YouTubeSource(spec))
    assert result.fetch_failed
    return result.problems[0].message


def _bomb_as_discovered_page(server: Loopback) -> str:
    with pytest.raises(FetchError) as refused:
        asyncio.run(fetch_page(CRAWL, server.url("/feed"), allow_private_network=True))
    assert not refused.value.retryable
    return refused.value.message


PATHS = {"feed": _bomb_as_feed, "platform API": _bomb_as_api_answer, "sources --discover": _bomb_as_discovered_page}


@pytest.mark.parametrize("encoding", sorted(BOMBS))
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_decompression_bomb_is_refused_within_the_limit(
    path: str, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_YOUTUBE_API_KEY", "AIzaSyDn9TestKeyForDongNaiMonitor0042xQ")
    bomb = BOMBS[encoding](FEED_START, GIB)
    assert len(bomb) < LIMIT  # small on the wire: only the unpacked size gives it away
    reply = Reply(200, bomb, {"Content-Encoding": encoding, "Content-Type": "application/json"})
    with serve(EveryPath(reply)) as server:
        message, peak = peak_memory(lambda: PATHS[path](server))
    assert peak < MEMORY_BOUND
    assert f"exceeds the {LIMIT}-byte limit once unpacked (Content-Encoding: {encoding})" in message
    assert message.startswith(server.base_url)  # names the URL


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_a_robots_txt_bomb_is_read_only_as_far_as_the_limit(encoding: str) -> None:
    robots = Reply(200, BOMBS[encoding](ROBOTS_START, GIB), {"Content-Encoding": encoding})
    routes: dict[str, Route] = {"/robots.txt": robots, "/feed": Reply(200, FEED), "/rieng-tu/feed": Reply(200, FEED)}
    with serve(routes) as server:
        allowed, peak = peak_memory(lambda: _collect(_rss(server.url("/feed"), allow_private_network=True)))
        blocked = _collect(_rss(server.url("/rieng-tu/feed"), allow_private_network=True))
        fetched = [path for path, _ in server.requests]
    assert peak < MEMORY_BOUND
    # RFC 9309: the first 500 KiB are read (the rules at the top apply), the rest is never unpacked.
    assert [doc.title for doc in allowed.documents] == ["Đồng Nai ngập sâu sau mưa lớn"]
    assert blocked.fetch_failed
    assert "disallowed by" in blocked.problems[0].message
    assert "/rieng-tu/feed" not in fetched


# -- redirects into the private network ---------------------------------------------------------------


def _resolver(answers: dict[str, list[str]], asked: list[str] | None = None) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[str]:
        if asked is not None:
            asked.append(host)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    return resolve


NAMES = {
    "tin.example": ["127.0.0.1"],  # the outside server, made to look public
    "intranet.example": ["127.0.0.1"],
    "metadata.example": ["64:ff9b::a9fe:a9fe"],  # 169.254.169.254 through NAT64
}


@contextmanager
def _outside_and_inside(outside: dict[str, Route]) -> Iterator[tuple[Loopback, Loopback, ClientFactory]]:
    """An outside server posing as ``tin.example`` and an inside one (any other loopback port is private)."""
    with serve({"/noi-bo": Reply(200, INTERNAL_FEED)}) as inside, serve(outside) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        yield (
            server,
            inside,
            lambda: crawl_client(CRAWL, resolver=_resolver(NAMES), public_exceptions={("127.0.0.1", port)}),
        )


@pytest.mark.parametrize(
    ("target", "refused_host", "refused_address", "reason"),
    [
        ("http://127.0.0.1:{port}/noi-bo", "127.0.0.1", "127.0.0.1", "loopback"),
        ("http://intranet.example:{port}/noi-bo", "intranet.example", "127.0.0.1", "loopback"),
        (
            "http://metadata.example/latest/meta-data/",
            "metadata.example",
            "64:ff9b::a9fe:a9fe",
            "NAT64 address of 169.254.169.254 (link-local)",
        ),
    ],
)
def test_a_redirect_into_the_private_network_is_refused_and_nothing_is_stored(
    monitor: Monitor, target: str, refused_host: str, refused_address: str, reason: str
) -> None:
    routes: dict[str, Route] = {}
    with _outside_and_inside(routes) as (server, inside, client):
        location = target.format(port=inside.base_url.rsplit(":", 1)[1])
        routes["/feed"] = Reply(302, b"", {"Location": location})
        url = server.url("/feed").replace("127.0.0.1", "tin.example")
        collected = _collect(_rss(url), client)
        monitor.pipeline.process("tin", collected, utc_now())
        assert inside.requests == []
    assert collected.fetch_failed
    assert collected.problems[0].message == (
        f"refusing {url} (redirected to {location}): {refused_host} resolves to the non-public address "
        f"{refused_address} ({reason}); set allow_private_network: true on the source if this is intended"
    )
    assert monitor.store.count(DocumentFilter()) == 0


def test_redirects_within_public_hosts_are_followed_and_stored(monitor: Monitor) -> None:
    routes: dict[str, Route] = {
        "/feed": Reply(301, b"", {"Location": "/tin-moi.rss"}),
        "/tin-moi.rss": Reply(200, FEED),
    }
    with _outside_and_inside(routes) as (server, _inside, client):
        url = server.url("/feed").replace("127.0.0.1", "tin.example")
        collected = _collect(_rss(url), client)
        monitor.pipeline.process("tin", collected, utc_now())
    assert not collected.fetch_failed
    assert collected.raw_items[0].url == url.replace("/feed", "/tin-moi.rss")
    assert monitor.store.count(DocumentFilter()) == 1


def test_allow_private_network_lets_every_hop_through() -> None:
    routes: dict[str, Route] = {}
    with _outside_and_inside(routes) as (server, inside, client):
        routes["/feed"] = Reply(302, b"", {"Location": inside.url("/noi-bo")})
        collected = _collect(_rss(server.url("/feed"), allow_private_network=True), client)
    assert [doc.title for doc in collected.documents] == ["Tài liệu nội bộ: mật khẩu máy chủ"]


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """DNS rebinding: the name answers a public address, then a private one. The checked answer is used."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return next(answers)

    with serve({"/feed": Reply(200, FEED)}) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        url = server.url("/feed").replace("127.0.0.1", "tin.example")

        def client() -> httpx.AsyncClient:
            return crawl_client(CRAWL, resolver=rebinding, public_exceptions={("127.0.0.1", port)})

        source = _rss(url, respect_robots_txt=False)
        first = _collect(source, client)
        # Resolved once, checked, and connected to that address: a second lookup (by us or by the HTTP
        # library) would have answered 10.0.0.1 or failed, since tin.example is in no real DNS.
        assert asked == ["tin.example"]
        assert [doc.title for doc in first.documents] == ["Đồng Nai ngập sâu sau mưa lớn"]
        source.rewind()
        second = _collect(source, client)  # a new connection: resolved and checked again
        assert len(server.requests) == 1
    assert asked == ["tin.example", "tin.example"]
    assert second.fetch_failed
    assert "tin.example resolves to the non-public address 10.0.0.1 (private)" in second.problems[0].message


def test_discover_refuses_a_redirect_into_the_private_network() -> None:
    routes: dict[str, Route] = {}
    with _outside_and_inside(routes) as (server, inside, client):
        routes["/"] = Reply(302, b"", {"Location": inside.url("/noi-bo")})
        url = server.url("/").replace("127.0.0.1", "tin.example")

        async def discover() -> None:
            async with client() as http:
                await read_page(http, url, limit=LIMIT)

        with pytest.raises(FetchError) as refused:
            asyncio.run(discover())
        assert inside.requests == []
    assert not refused.value.retryable
    assert f"refusing {url} (redirected to {inside.url('/noi-bo')})" in refused.value.message


def test_refused_connections_do_not_use_up_the_pool() -> None:
    with serve({"/feed": Reply(200, FEED)}) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        names = _resolver({"intranet.example": ["10.0.0.1"], "tin.example": ["127.0.0.1"]})

        async def run() -> list[int]:
            limits = httpx.Limits(max_connections=2)
            exceptions = {("127.0.0.1", port)}
            async with outbound_client(timeout=5, limits=limits, resolver=names, public_exceptions=exceptions) as http:
                for _ in range(10):
                    with pytest.raises(NonPublicAddressError):
                        await http.get(f"http://intranet.example:{port}/feed")
                answers = [await http.get(f"http://tin.example:{port}/feed") for _ in range(3)]
                return [answer.status_code for answer in answers]

        assert asyncio.run(run()) == [200, 200, 200]
        assert len(server.requests) == 3
