"""News sitemaps and feed discovery against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.discovery import discover_feeds
from crawlers.sitemap import SitemapSource, SitemapSourceSpec, parse_sitemap
from monitor.cli import main
from monitor.config.settings import CrawlSettings
from monitor.ingestion.sources import CollectContext, Collected
from monitor.outbound.transport import outbound_client
from monitor.records import RawItem
from tests.loopback import Reply, serve

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
NOW = datetime(2026, 11, 26, tzinfo=UTC)
XML = {"Content-Type": "application/xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _urlset(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{base}/cau-moi?utm_medium=sitemap</loc>
    <news:news><news:publication><news:name>Báo mẫu</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2026-10-12T08:00:00+07:00</news:publication_date>
      <news:title>Đồng Nai thông xe cầu mới qua sông Đồng Nai</news:title></news:news></url>
  <url><loc>{base}/dang-nhap</loc><lastmod>2026-10-12</lastmod></url>
  <url><loc>not a url</loc></url>
</urlset>""".encode()


def _collect(source: SitemapSource) -> Collected:
    async def run() -> Collected:
        async with outbound_client(timeout=5) as http:
            context = CollectContext(http=http, crawl=CrawlSettings(max_retries=0), config_dir=PAGES, now=NOW)
            return await source.collect(context)

    return asyncio.run(run())


def test_sitemap_index_to_articles() -> None:
    routes: dict[str, object] = {
        "/cau-moi": Reply(200, (PAGES / "cau-moi.html").read_bytes(), HTML),
        "/dang-nhap": Reply(200, (PAGES / "khong-co-bai.html").read_bytes(), HTML),
    }
    with serve(routes) as server:  # type: ignore[arg-type]
        routes["/sitemap.xml"] = Reply(
            200,
            f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{server.url("/news-sitemap.xml")}</loc></sitemap>
</sitemapindex>""".encode(),
            XML,
        )
        routes["/news-sitemap.xml"] = Reply(200, _urlset(server.base_url), XML)
        source = SitemapSource(SitemapSourceSpec(id="sm", url=server.url("/sitemap.xml"), allow_private_network=True))
        result = _collect(source)
    [article] = [doc for doc in result.documents if doc.text]
    assert article.title == "Đồng Nai thông xe cầu mới qua sông Đồng Nai"
    assert article.text.startswith("Sáng 12/10, UBND tỉnh Đồng Nai")
    assert article.url == server.url("/cau-moi")
    assert article.published_at == datetime(2026, 10, 12, 1, 0, tzinfo=UTC)
    assert article.channel == "Báo mẫu"
    messages = [p.message for p in result.problems]
    assert any("no usable <loc>" in m for m in messages)
    assert any("no article found in the page" in m for m in messages)
    assert len(result.raw_items) == 4  # index, sitemap, two pages: all archived


def test_malformed_and_hostile_sitemaps() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol2;</loc></url></urlset>"""
    for body, expected in (
        (b"<urlset><url>", "malformed sitemap"),
        (bomb, "malformed sitemap"),
        (b"<html><body>404</body></html>", "not a sitemap"),
    ):
        raw = RawItem(source_id="sm", url="https://x.example/sitemap.xml", fetched_at=NOW, body=body)
        documents, children, problems = parse_sitemap(raw, "sm")
        assert (documents, children) == ([], [])
        assert expected in problems[0].message


HOME = """<html><head>
<link rel="alternate" type="application/rss+xml" title="Thời sự" href="/rss/thoi-su.rss">
<link rel="alternate" type="application/atom+xml" title="Kinh tế" href="https://tin.example/atom/kinh-te.xml">
<link rel="stylesheet" href="/style.css">
</head><body><a href="/rss/the-thao.rss">RSS Thể thao</a><a href="/gioi-thieu">Giới thiệu</a></body></html>"""


def test_feed_discovery_from_a_home_page() -> None:
    assert discover_feeds(HOME, "https://tin.example/") == [
        ("https://tin.example/rss/thoi-su.rss", "Thời sự"),
        ("https://tin.example/atom/kinh-te.xml", "Kinh tế"),
        ("https://tin.example/rss/the-thao.rss", ""),
    ]


def test_discover_command_prints_ready_to_paste_sources(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve({"/": Reply(200, HOME.encode(), HTML)}) as server:
        command = ["--config-dir", str(config_dir), "sources", "--discover", server.url("/")]
        assert main(command) == 1
        assert "non-public address 127.0.0.1 (loopback); pass --allow-private-network" in capsys.readouterr().err
        assert server.requests == []
        assert main([*command, "--allow-private-network"]) == 0
    out = capsys.readouterr().out
    assert 'sources:\n  - type: rss\n    id: 127.0.0.1-1\n    name: "Thời sự"' in out
    assert f"url: {server.url('/rss/thoi-su.rss')}" in out
