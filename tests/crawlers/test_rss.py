from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from crawlers.rss import RssSource, RssSourceSpec, parse_feed
from crawlers.urls import canonical_url
from monitor.config.settings import CrawlSettings
from monitor.ingestion.hosts import HostLimiter
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from monitor.records import RawItem
from tests.loopback import Reply, serve

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _raw(name: str) -> RawItem:
    return RawItem(source_id="t", url=f"file:{name}", fetched_at=NOW, body=(FEEDS / name).read_bytes())


def _collect(
    source: RssSource,
    crawl: CrawlSettings | None = None,
    config_dir: Path = FEEDS,
    hosts: HostLimiter | None = None,
) -> Collected:
    async def run() -> Collected:
        async with outbound_client(timeout=5) as http:
            context = CollectContext(
                http=http,
                crawl=crawl or CrawlSettings(),
                config_dir=config_dir,
                now=NOW,
                hosts=hosts or HostLimiter(2, 0.0),
            )
            return await source.collect(context)

    return asyncio.run(run())


def test_recorded_vnexpress_feed_parses_every_item() -> None:
    parsed = parse_feed(_raw("vnexpress_tin-moi-nhat_2017-02-18.xml"), "vnexpress")
    assert len(parsed.documents) == 25
    assert not parsed.problems
    first = parsed.documents[0]
    assert first.title == "Giang Kim Đạt bị đề nghị tử hình"
    assert first.url == "http://vnexpress.net/tin-tuc/phap-luat/giang-kim-dat-bi-de-nghi-tu-hinh-3543450.html"
    assert first.published_at == datetime(2017, 2, 18, 8, 16, 55, tzinfo=UTC)
    assert "Tham ô 260 tỷ đồng" in first.text
    assert "<img" not in first.text
    assert len({d.doc_id for d in parsed.documents}) == 25


def test_bad_items_are_reported_and_good_ones_kept() -> None:
    parsed = parse_feed(_raw("broken-items.xml"), "t")
    titles = [d.title for d in parsed.documents]
    assert titles == [
        "Đồng Nai khánh thành cầu mới qua sông Đồng Nai",
        "Bài không có ngày đăng",
        "Bài có ngày sai định dạng",
    ]
    good = parsed.documents[0]
    assert good.url == "https://tin.example/cau-moi.html?id=7"  # tracking parameters removed
    assert good.text == "Sáng nay, cây cầu mới nối Biên Hòa với TP.HCM được thông xe.\nNgười dân phấn khởi."
    assert parsed.documents[1].published_at == NOW
    messages = [(p.severity, p.message) for p in parsed.problems]
    assert (Severity.WARNING, "no date; using the fetch time") in messages
    assert any(s is Severity.WARNING and "invalid date 'ngày 32 tháng 13'" in m for s, m in messages)
    assert (Severity.ERROR, "item has no title and no text") in messages
    assert (Severity.ERROR, "item has no link") in messages


def test_malformed_feed_is_one_clear_error() -> None:
    parsed = parse_feed(_raw("malformed.xml"), "t")
    assert parsed.unreadable
    assert parsed.documents == []
    assert parsed.problems[0].message.startswith("malformed feed")
    assert "502 Bad Gateway" in parsed.problems[0].raw


def test_atom_feed_from_a_forum() -> None:
    parsed = parse_feed(_raw("forum-atom.xml"), "forum")
    [doc] = parsed.documents
    assert doc.author == "thanhvien_bienhoa"
    assert doc.text == "Sáng nào cũng kẹt cứng, mất 45 phút mới qua được."


def test_canonical_url_drops_tracking_and_fragment_only() -> None:
    assert canonical_url("HTTPS://Báo.example/a?utm_medium=x&b=2&fbclid=z#top") == "https://báo.example/a?b=2"


def test_http_feed_with_conditional_get_and_failures() -> None:
    body = (FEEDS / "vnexpress_tin-moi-nhat_2017-02-18.xml").read_bytes()

    def feed(handler: object) -> Reply:
        headers = getattr(handler, "headers", {})
        if headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"v1"'})

    routes = {"/rss": feed, "/down": Reply(503, b"maintenance"), "/big": Reply(200, b"x" * 5000)}
    with serve(routes) as server:
        source = RssSource(RssSourceSpec(id="vne", url=server.url("/rss"), allow_private_network=True))
        first = _collect(source)
        assert len(first.documents) == 25
        assert not first.fetch_failed
        second = _collect(source)
        assert second.not_modified
        assert not second.documents
        assert server.requests[-1][1].get("If-None-Match") == '"v1"'

        down = _collect(
            RssSource(RssSourceSpec(id="down", url=server.url("/down"), allow_private_network=True)),
            crawl=CrawlSettings(max_retries=0),
        )
        assert down.fetch_failed
        assert down.problems[0].message == f"HTTP 503 from {server.url('/down')}"

        big = _collect(
            RssSource(RssSourceSpec(id="big", url=server.url("/big"), allow_private_network=True)),
            crawl=CrawlSettings(max_body_bytes=1024),
        )
        assert big.fetch_failed
        assert "over the 1024-byte limit" in big.problems[0].message


def test_unreachable_host_is_a_source_failure_not_a_crash() -> None:
    with serve({}) as server:
        closed = server.url("/rss")
    result = _collect(
        RssSource(RssSourceSpec(id="gone", url=closed, allow_private_network=True)), crawl=CrawlSettings(max_retries=0)
    )
    assert result.fetch_failed
    assert "cannot fetch" in result.problems[0].message


def test_local_file_is_skipped_when_unchanged_and_missing_file_reported(tmp_path: Path) -> None:
    (tmp_path / "f.xml").write_bytes((FEEDS / "forum-atom.xml").read_bytes())
    source = RssSource(RssSourceSpec(id="f", path="f.xml"))
    assert len(_collect(source, config_dir=tmp_path).documents) == 1
    assert _collect(source, config_dir=tmp_path).not_modified
    missing = _collect(RssSource(RssSourceSpec(id="m", path="nope.xml")), config_dir=tmp_path)
    assert missing.fetch_failed
    assert "file not found" in missing.problems[0].message


def _feed_reply() -> Reply:
    return Reply(200, (FEEDS / "forum-atom.xml").read_bytes(), {"Content-Type": "application/atom+xml"})


def test_retries_honour_retry_after_then_succeed() -> None:
    answers = [Reply(429, b"slow down", {"Retry-After": "1"}), Reply(503, b"busy"), _feed_reply()]
    with serve({"/feed": lambda handler: answers.pop(0)}) as server:
        source = RssSource(RssSourceSpec(id="busy", url=server.url("/feed"), allow_private_network=True))
        result = _collect(source, crawl=CrawlSettings(max_retries=2))
        assert len(result.documents) == 1
        assert [path for path, _ in server.requests] == ["/robots.txt", "/feed", "/feed", "/feed"]


def test_gives_up_after_retries_or_when_asked_to_wait_too_long() -> None:
    routes = {"/down": Reply(503, b"busy"), "/later": Reply(429, b"", {"Retry-After": "3600"})}
    with serve(routes) as server:
        down = _collect(
            RssSource(RssSourceSpec(id="d", url=server.url("/down"), allow_private_network=True)),
            crawl=CrawlSettings(max_retries=1),
        )
        assert down.problems[0].message == f"HTTP 503 from {server.url('/down')}"
        assert [p for p, _ in server.requests].count("/down") == 2
        later = _collect(
            RssSource(RssSourceSpec(id="l", url=server.url("/later"), allow_private_network=True)),
            crawl=CrawlSettings(max_retries=3, max_retry_wait_seconds=30),
        )
        assert later.fetch_failed
        assert [p for p, _ in server.requests].count("/later") == 1  # not retried: the server asked for an hour


def test_robots_txt_is_respected_and_read_once() -> None:
    robots = b"User-agent: *\nDisallow: /private/\n"
    routes = {"/robots.txt": Reply(200, robots), "/private/feed": _feed_reply(), "/public/feed": _feed_reply()}
    hosts = HostLimiter(2, 0.0)  # the service's one per-host state, shared by every source
    with serve(routes) as server:
        blocked = _collect(
            RssSource(RssSourceSpec(id="p", url=server.url("/private/feed"), allow_private_network=True)), hosts=hosts
        )
        assert blocked.fetch_failed
        assert "disallowed by" in blocked.problems[0].message
        source = RssSource(RssSourceSpec(id="o", url=server.url("/public/feed"), allow_private_network=True))
        assert len(_collect(source, hosts=hosts).documents) == 1
        _collect(source, hosts=hosts)
        paths = [p for p, _ in server.requests]
        assert "/private/feed" not in paths
        assert paths.count("/robots.txt") == 1  # read once for the host, whichever source asked first
        ignoring = RssSource(
            RssSourceSpec(id="i", url=server.url("/private/feed"), allow_private_network=True, respect_robots_txt=False)
        )
        assert len(_collect(ignoring).documents) == 1


def test_robots_server_error_means_crawl_nothing_for_now() -> None:
    with serve({"/robots.txt": Reply(503, b""), "/feed": _feed_reply()}) as server:
        result = _collect(RssSource(RssSourceSpec(id="r", url=server.url("/feed"), allow_private_network=True)))
        assert result.fetch_failed
        assert "robots.txt answered HTTP 503" in result.problems[0].message


def test_private_addresses_are_refused_by_default() -> None:
    with serve({"/feed": _feed_reply()}) as server:
        result = _collect(RssSource(RssSourceSpec(id="x", url=server.url("/feed"))))
        assert result.fetch_failed
        assert "non-public address 127.0.0.1" in result.problems[0].message
        assert server.requests == []  # nothing was sent


def test_compressed_responses_are_decoded() -> None:
    import gzip

    import brotli

    body = (FEEDS / "vnexpress_tin-moi-nhat_2017-02-18.xml").read_bytes()
    routes = {
        "/br": Reply(200, brotli.compress(body), {"Content-Encoding": "br", "Content-Type": "application/rss+xml"}),
        "/gz": Reply(200, gzip.compress(body), {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}),
    }
    with serve(routes) as server:
        for path in ("/br", "/gz"):
            source = RssSource(RssSourceSpec(id=path[1:], url=server.url(path), allow_private_network=True))
            assert len(_collect(source).documents) == 25
        assert "br" in server.requests[-1][1].get("Accept-Encoding", "")


def test_feed_in_a_legacy_vietnamese_encoding() -> None:
    import unicodedata

    title = "Hồ Trị An mùa nước nổi"
    tones = "\u0300\u0301\u0303\u0309\u0323"
    encoded = bytearray()
    for ch in title:  # Windows-1258 keeps tone marks as separate combining characters
        try:
            encoded += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            encoded += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    body = (
        b'<?xml version="1.0" encoding="windows-1258"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>" + bytes(encoded) + b"</title><link>https://tin.example/a</link>"
        b"<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item></channel></rss>"
    )
    raw = RawItem(source_id="t", url="file:legacy", fetched_at=NOW, body=body)
    [doc] = parse_feed(raw, "t").documents
    assert unicodedata.normalize("NFC", doc.title) == title


def test_forum_feeds_are_forum_documents() -> None:
    from monitor.records import Platform

    parsed = parse_feed(_raw("forum-atom.xml"), "voz", Platform.FORUM)
    assert [doc.platform for doc in parsed.documents] == [Platform.FORUM]
