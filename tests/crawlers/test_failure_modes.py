"""The remaining ways a fetch goes wrong, each against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from crawlers.rss import RssSource, RssSourceSpec
from monitor.config.settings import CrawlSettings
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.loopback import Reply, serve

NOW = datetime(2026, 11, 26, tzinfo=UTC)
VIETNAMESE_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</title>'
    "<item><title>Đồng Nai ngập sâu</title><link>https://a.example/1</link>"
    "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item></channel></rss>"
).encode()


def _collect(url: str, **crawl: object) -> Collected:
    source = RssSource(RssSourceSpec(id="t", url=url, allow_private_network=True, respect_robots_txt=False))

    async def run() -> Collected:
        async with outbound_client(timeout=CrawlSettings.model_validate(crawl).timeout_seconds) as http:
            context = CollectContext(
                http=http, crawl=CrawlSettings.model_validate(crawl), config_dir=Path("."), now=NOW
            )
            return await source.collect(context)

    return asyncio.run(run())


def test_a_server_that_never_answers_times_out() -> None:
    def stall(handler: object) -> Reply:
        time.sleep(2)
        return Reply(200, VIETNAMESE_FEED)

    with serve({"/slow": stall}) as server:
        result = _collect(server.url("/slow"), timeout_seconds=0.3, max_retries=0)
    assert result.fetch_failed
    assert "ReadTimeout" in result.problems[0].message


def test_redirect_loop_is_cut() -> None:
    with serve({"/a": Reply(302, b"", {"Location": "/b"}), "/b": Reply(302, b"", {"Location": "/a"})}) as server:
        result = _collect(server.url("/a"), max_retries=0)
        hops = len(server.requests)
    assert result.fetch_failed
    assert "TooManyRedirects" in result.problems[0].message
    assert hops <= 6


def test_a_50_mb_page_is_refused_without_reading_it() -> None:
    huge = b"<rss>" + b"x" * (50 * 1024 * 1024)
    with serve({"/huge": Reply(200, huge, {"Content-Type": "application/rss+xml"})}) as server:
        result = _collect(server.url("/huge"))
    assert result.fetch_failed
    assert "over the 20000000-byte limit" in result.problems[0].message


def test_wrong_or_missing_charset_still_reads_vietnamese() -> None:
    routes = {
        "/latin1": Reply(200, VIETNAMESE_FEED, {"Content-Type": "application/rss+xml; charset=iso-8859-1"}),
        "/none": Reply(200, VIETNAMESE_FEED, {"Content-Type": "text/xml"}),
        "/html": Reply(200, VIETNAMESE_FEED, {"Content-Type": "text/html; charset=windows-1252"}),
    }
    with serve(routes) as server:
        for path in routes:
            result = _collect(server.url(path))
            assert [doc.title for doc in result.documents] == ["Đồng Nai ngập sâu"], path
            assert all(p.severity is Severity.WARNING for p in result.problems)


def test_the_same_item_in_two_feeds_is_stored_once(tmp_path: Path) -> None:
    config = make_config_dir(tmp_path / "configs")
    (config / "sources" / "samples.yaml").unlink()
    routes = {
        "/a.rss": Reply(200, VIETNAMESE_FEED),
        "/b.rss": Reply(
            200, VIETNAMESE_FEED.replace(b"https://a.example/1", b"https://a.example/1?utm_source=b&amp;fbclid=x")
        ),
    }
    with serve(routes) as server:
        (config / "sources" / "two.yaml").write_text(
            "sources:\n"
            f"  - {{type: rss, id: a, url: '{server.url('/a.rss')}', allow_private_network: true}}\n"
            f"  - {{type: rss, id: b, url: '{server.url('/b.rss')}', allow_private_network: true}}\n",
            encoding="utf-8",
        )
        monitor = open_monitor(config)
        try:
            report = crawl(monitor)
            assert sum(o.counts.documents for o in report.outcomes) == 2
            assert report.inserted == 1  # one canonical URL, one doc_id, one stored document
            from monitor.store.base import DocumentFilter

            assert monitor.store.count(DocumentFilter()) == 1
        finally:
            monitor.close()
