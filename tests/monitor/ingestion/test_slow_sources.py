"""One slow source never stalls the others: deadlines per source, and each source on its own schedule.

The slow servers trickle their answers one byte at a time (within any per-read timeout), on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from monitor.config.settings import load_settings
from monitor.context import Monitor
from monitor.errors import ConfigError
from monitor.ingestion.crawl import crawl_cycle
from monitor.service import crawl_forever
from monitor.store.base import DocumentFilter
from tests.conftest import make_config_dir, open_monitor
from tests.loopback import Reply
from tests.slow_server import Trickle, endless, serve_slow

SAFETY_NET_SECONDS = 60  # never reached by working code; the code before this fix waited forever

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Báo Đồng Nai</title>'
    "<item><title>Đồng Nai khởi công cầu mới</title><link>https://baodongnai.example/cau-moi</link>"
    "<description>Cây cầu nối Biên Hòa với TP.HCM.</description>"
    "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item>"
    "<item><title>Mưa lớn gây ngập sâu ở Biên Hòa</title><link>https://baodongnai.example/ngap</link>"
    "<description>Nhiều tuyến đường ngập sâu sau cơn mưa chiều qua.</description>"
    "<pubDate>Mon, 12 Oct 2026 09:00:00 +0700</pubDate></item>"
    "</channel></rss>"
).encode()


def _config(tmp_path: Path, crawl: dict[str, float], sources: str) -> Path:
    """A configuration folder with only ``sources``, and the crawl settings ``crawl`` changed."""
    config = make_config_dir(tmp_path / "configs")
    (config / "sources" / "samples.yaml").unlink()
    settings = config / "settings.yaml"
    lines = [
        line for line in settings.read_text(encoding="utf-8").splitlines() if line.strip().split(":")[0] not in crawl
    ]
    at = lines.index("crawl:") + 1
    lines[at:at] = [f"  {key}: {value}" for key, value in crawl.items()]
    settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (config / "sources" / "test.yaml").write_text(sources, encoding="utf-8")
    return config


def _stored(monitor: Monitor, source_id: str) -> int:
    return monitor.store.count(DocumentFilter(sources=(source_id,)))


def _urlset(base_url: str, number: int) -> bytes:
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{base_url}/tin-{number}</loc><news:news><news:title>Tin Đồng Nai số {number}</news:title>"
        "<news:publication_date>2026-10-12T08:00:00+07:00</news:publication_date></news:news></url></urlset>"
    ).encode()


def test_a_source_over_its_deadline_fails_alone_and_is_read_again_in_full(tmp_path: Path) -> None:
    slow = True
    children = [f"/con-{n}.xml" for n in range(1, 7)]

    def index(handler: BaseHTTPRequestHandler) -> Reply:
        # A conditional GET: the second collection gets 304 unless the source forgot the index's validators.
        if handler.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        base = f"http://{handler.headers['Host']}"
        listed = "".join(f"<sitemap><loc>{base}{child}</loc></sitemap>" for child in children)
        body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{listed}</sitemapindex>'
        return Reply(200, body.encode(), {"ETag": '"v1"', "Content-Type": "application/xml"})

    def child(number: int) -> Callable[[BaseHTTPRequestHandler], Reply | Trickle]:
        def answer(handler: BaseHTTPRequestHandler) -> Reply | Trickle:
            if slow:  # each child takes a whole fetch deadline: six of them outlast the source's deadline
                return Trickle(endless(b"<?xml version='1.0'?>"))
            return Reply(200, _urlset(f"http://{handler.headers['Host']}", number))

        return answer

    routes = {"/sitemap.xml": index, "/rss": Reply(200, FEED, {"Content-Type": "application/rss+xml"})} | {
        path: child(n + 1) for n, path in enumerate(children)
    }
    with serve_slow(routes) as server:  # type: ignore[arg-type]
        config = _config(
            tmp_path,
            {"fetch_deadline_seconds": 0.5, "source_deadline_seconds": 1.5, "per_host_interval_seconds": 0},
            "sources:\n"
            f"  - {{type: sitemap, id: cham, url: '{server.url('/sitemap.xml')}', allow_private_network: true,"
            " respect_robots_txt: false, max_child_sitemaps: 10}\n"
            f"  - {{type: rss, id: nhanh, url: '{server.url('/rss')}', allow_private_network: true,"
            " respect_robots_txt: false}\n",
        )
        monitor = open_monitor(config)
        try:
            first = asyncio.run(asyncio.wait_for(crawl_cycle(monitor), SAFETY_NET_SECONDS))
            outcomes = {o.source_id: o for o in first.outcomes}
            assert outcomes["nhanh"].error is None
            assert _stored(monitor, "nhanh") == 2  # the fast source in the same cycle is fetched and stored
            error = outcomes["cham"].error or ""
            assert "collecting cham took longer than the 1.5-second deadline (crawl.source_deadline_seconds)" in error
            assert _stored(monitor, "cham") == 0  # nothing half-stored
            health = monitor.health.get("cham")
            assert health.consecutive_failures == 1
            assert health.last_error == error

            slow = False
            second = asyncio.run(asyncio.wait_for(crawl_cycle(monitor, monitor.sources[:1]), SAFETY_NET_SECONDS))
            assert second.outcomes[0].error is None
            assert _stored(monitor, "cham") == 6  # read again in full: the index was not answered 304
            assert monitor.health.get("cham").consecutive_failures == 0
        finally:
            monitor.close()


def test_article_pages_stop_before_the_deadline_and_wait_for_the_next_collection(tmp_path: Path) -> None:
    slow = True
    pages = ["/bai-1", "/bai-2", "/bai-3"]

    def page(handler: BaseHTTPRequestHandler) -> Reply | Trickle:
        return Trickle(b"<html>" + b" " * 10_000) if slow else Reply(404, b"khong co")

    routes: dict[str, object] = dict.fromkeys(pages, page)
    with serve_slow(routes) as server:  # type: ignore[arg-type]
        items = "".join(
            f"<item><title>Tin Biên Hòa {n}</title><link>{server.url(path)}</link>"
            f"<description>Tóm tắt tin số {n}.</description></item>"
            for n, path in enumerate(pages, start=1)
        )
        routes["/rss"] = Reply(200, f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode())
        config = _config(
            tmp_path,
            {"fetch_deadline_seconds": 1, "source_deadline_seconds": 2.5, "per_host_interval_seconds": 0},
            f"sources:\n  - {{type: rss, id: bai, url: '{server.url('/rss')}', allow_private_network: true,"
            " respect_robots_txt: false, fetch_articles: true}\n",
        )
        monitor = open_monitor(config)
        try:
            # Each page takes a whole fetch deadline; the third would end after the source's deadline.
            first = asyncio.run(asyncio.wait_for(crawl_cycle(monitor), SAFETY_NET_SECONDS)).outcomes[0]
            assert first.error is None
            assert first.counts.inserted == 2  # kept with the listing's text, as for any page not fetched
            assert "1 article pages left for the next collection: its deadline is near" in " ".join(
                first.counts.problems
            )
            assert [path for path, _ in server.requests].count("/bai-3") == 0

            slow = False
            second = asyncio.run(asyncio.wait_for(crawl_cycle(monitor), SAFETY_NET_SECONDS)).outcomes[0]
            assert second.error is None
            assert _stored(monitor, "bai") == 3  # the page that waited is read now
        finally:
            monitor.close()


def test_the_service_keeps_crawling_other_sources_while_one_is_stuck(tmp_path: Path) -> None:
    with serve_slow(
        {"/cham": Trickle(endless()), "/nhanh": Reply(200, FEED, {"Content-Type": "application/rss+xml"})}
    ) as server:
        config = _config(
            tmp_path,
            # Deadlines far longer than the test: the slow source stays stuck for all of it.
            {"fetch_deadline_seconds": 600, "source_deadline_seconds": 1200, "per_host_interval_seconds": 0},
            "sources:\n"
            f"  - {{type: rss, id: cham, url: '{server.url('/cham')}', allow_private_network: true,"
            " respect_robots_txt: false, interval_seconds: 5}\n"
            f"  - {{type: rss, id: nhanh, url: '{server.url('/nhanh')}', allow_private_network: true,"
            " respect_robots_txt: false, interval_seconds: 5}\n",
        )
        monitor = open_monitor(config)
        # A window left to evaluate (as a crash between storing and evaluating would leave it): the service
        # evaluates pending windows after sources finish, which a stuck source must not hold back either.
        monitor.alerts.mark_windows_pending([("negative-spike", datetime(2026, 10, 12, tzinfo=UTC))])
        lines: list[str] = []

        def fetched(path: str) -> int:
            return [request for request, _ in server.requests].count(path)

        async def run() -> None:
            crawler = asyncio.create_task(crawl_forever(monitor, lines.append))
            give_up = time.monotonic() + SAFETY_NET_SECONDS
            # The fast source (interval 5 s, polled faster while busy) comes round again on its own cadence.
            while fetched("/nhanh") < 2 and time.monotonic() < give_up and not crawler.done():
                await asyncio.sleep(0.1)
            while len([line for line in lines if line.startswith("nhanh:")]) < 2 and time.monotonic() < give_up:
                await asyncio.sleep(0.1)
            while monitor.alerts.pending_windows() and time.monotonic() < give_up:
                await asyncio.sleep(0.1)
            crawler.cancel()
            await asyncio.gather(crawler, return_exceptions=True)

        try:
            asyncio.run(run())
            assert fetched("/nhanh") >= 2
            assert fetched("/cham") == 1  # still running: never started a second time
            first, second = [line for line in lines if line.startswith("nhanh:")][:2]
            assert first.startswith("nhanh: 2 items, 2 new, 0 updated, 0 unchanged")
            assert second.startswith("nhanh: 2 items, 0 new, 0 updated, 2 unchanged")
            assert not [line for line in lines if line.startswith("cham:")]
            assert _stored(monitor, "nhanh") == 2
            assert monitor.alerts.pending_windows() == []
            assert monitor.health.get("nhanh").last_success_at is not None
        finally:
            monitor.close()


def test_deadlines_are_checked_against_each_other(tmp_path: Path) -> None:
    config = _config(tmp_path, {"fetch_deadline_seconds": 60, "source_deadline_seconds": 90}, "sources: []\n")
    with pytest.raises(ConfigError, match=r"'source_deadline_seconds' \(90\) must be at least twice"):
        load_settings(config)
    short = "sources:\n  - {type: rss, id: ngan, url: 'https://baodongnai.example/rss', deadline_seconds: 100}\n"
    config = _config(tmp_path / "nguon", {"fetch_deadline_seconds": 60}, short)
    with pytest.raises(ConfigError, match=r"source 'ngan': deadline_seconds \(100\) must be at least twice"):
        open_monitor(config)
