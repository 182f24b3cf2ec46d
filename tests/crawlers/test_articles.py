"""Feed items enriched with their article pages, served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from crawlers.articles import extract_article
from crawlers.rss import RssSource, RssSourceSpec
from monitor.config.settings import CrawlSettings
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from tests.loopback import Reply, serve

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
NOW = datetime(2026, 11, 26, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _feed(base: str, slugs: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Tin {slug}</title><link>{base}/{slug}?utm_source=rss</link>"
        f"<description>Tóm tắt {slug}.</description><pubDate>Mon, 12 Oct 2026 08:0{i}:00 +0700</pubDate></item>"
        for i, slug in enumerate(slugs)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{items}</channel></rss>".encode()


def _collect(source: RssSource) -> Collected:
    async def run() -> Collected:
        async with outbound_client(timeout=5) as http:
            context = CollectContext(http=http, crawl=CrawlSettings(max_retries=0), config_dir=PAGES, now=NOW)
            return await source.collect(context)

    return asyncio.run(run())


def test_article_extraction_drops_boilerplate() -> None:
    article = extract_article((PAGES / "cau-moi.html").read_bytes(), "https://tin.example/x?utm_source=fb")
    assert article.title == "Đồng Nai thông xe cầu mới qua sông Đồng Nai"
    assert article.text.startswith("Sáng 12/10, UBND tỉnh Đồng Nai")
    assert "Quảng cáo" not in article.text
    assert "Giấy phép" not in article.text
    assert article.author == "Trần Minh Khoa"
    assert article.url == "https://tin.example/thoi-su/cau-moi-qua-song-dong-nai.html"  # rel=canonical
    assert article.published_at == datetime(2026, 10, 12, 1, 0, tzinfo=UTC)


def test_page_in_a_legacy_encoding_is_decoded() -> None:
    article = extract_article((PAGES / "ho-tri-an-cp1258.html").read_bytes(), "https://tin.example/ho-tri-an")
    assert unicodedata.normalize("NFC", article.title) == "Hồ Trị An vào mùa nước nổi"
    assert "du khách tìm đến huyện Vĩnh Cửu" in unicodedata.normalize("NFC", article.text)


def test_feed_items_get_their_articles_within_a_budget() -> None:
    routes: dict[str, object] = {
        "/cau-moi": Reply(200, (PAGES / "cau-moi.html").read_bytes(), HTML),
        "/dang-nhap": Reply(200, (PAGES / "khong-co-bai.html").read_bytes(), HTML),
        "/ho-tri-an": Reply(200, (PAGES / "ho-tri-an-cp1258.html").read_bytes(), {"Content-Type": "text/html"}),
    }
    with serve(routes) as server:  # type: ignore[arg-type]
        feed = _feed(server.base_url, ["cau-moi", "mat-tich", "dang-nhap", "ho-tri-an"])

        def conditional_feed(handler: object) -> Reply:
            if getattr(handler, "headers", {}).get("If-None-Match") == '"f1"':
                return Reply(304)
            return Reply(200, feed, {"Content-Type": "application/rss+xml", "ETag": '"f1"'})

        routes["/feed"] = conditional_feed
        routes["/mat-tich"] = Reply(404, b"not found")
        source = RssSource(
            RssSourceSpec(
                id="tin",
                url=server.url("/feed"),
                allow_private_network=True,
                fetch_articles=True,
                max_articles_per_cycle=3,
            )
        )
        first = _collect(source)
        by_title = {doc.title: doc for doc in first.documents}
        assert sorted(by_title) == ["Tin cau-moi", "Tin dang-nhap", "Tin mat-tich"]  # the 4th waits
        assert by_title["Tin cau-moi"].text.startswith("Sáng 12/10, UBND tỉnh Đồng Nai")
        assert by_title["Tin cau-moi"].author == "Trần Minh Khoa"
        assert by_title["Tin cau-moi"].url == server.url("/cau-moi")  # tracking parameter removed
        assert by_title["Tin mat-tich"].text == "Tóm tắt mat-tich."  # page missing: the feed's text is kept
        warnings = [p.message for p in first.problems if p.severity is Severity.WARNING]
        assert any("HTTP 404" in w for w in warnings)
        assert any("no article found" in w for w in warnings)
        assert len(first.raw_items) == 3  # the feed and two pages are archived (the 404 has no body to keep)

        second = _collect(source)  # the feed answers 304, the waiting item is fetched now
        assert second.not_modified is False
        [late] = second.documents
        assert late.title == "Tin ho-tri-an"
        assert "Vĩnh Cửu" in unicodedata.normalize("NFC", late.text)

        # Replaying an archived page gives the same article text.
        page = next(raw for raw in first.raw_items if raw.url.endswith("/cau-moi"))
        [replayed] = source.parse(page).documents
        assert replayed.doc_id == by_title["Tin cau-moi"].doc_id
        assert replayed.text == by_title["Tin cau-moi"].text
