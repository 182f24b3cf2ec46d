"""The Telegram channel source against real HTTP on 127.0.0.1 serving hand-written t.me/s preview pages.

The fixtures in ``tests/fixtures/telegram/`` copy the markup of Telegram's public preview (class names,
nesting, emoji images, the ``tme_messages_more`` links) for a fictional Đồng Nai news channel:
``page1.html`` is its newest page (messages 11-22, linking to ``?before=11``) and ``page2-before-11.html``
the page before it, which starts with "Channel created" and so links no further back.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from crawlers.social.telegram import (
    TelegramChannelSource,
    TelegramChannelSourceSpec,
    parse_channel_page,
)
from monitor.config.settings import CrawlSettings
from monitor.ingestion.sources import CollectContext, Collected, Severity
from monitor.outbound.transport import outbound_client
from monitor.records import Document, Platform, RawItem, doc_id_for_post
from tests.loopback import Loopback, Reply, Route, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
NOW = datetime(2026, 11, 26, tzinfo=UTC)
CHANNEL = "tintucdongnai24h"
TITLE = "Tin Tức Đồng Nai 24h 📰"
HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE1 = (FIXTURES / "page1.html").read_bytes()
PAGE2 = (FIXTURES / "page2-before-11.html").read_bytes()
ROBOTS = Reply(200, b"User-agent: *\nAllow: /s/\nDisallow: /\n", {"Content-Type": "text/plain"})

# Documents on page 1 (13 is a pinned-message notice, 22 shows nothing the preview can render) and page 2
# (1 and 2 are "channel created" and "photo updated" notices).
PAGE1_POSTS = [11, 12, 14, 15, 17, 18, 19, 20, 21]
PAGE2_POSTS = [3, 5, 7, 9, 10]


def _page(body: bytes) -> Reply:
    return Reply(200, body, HTML)


def _routes(**extra: Route) -> dict[str, Route]:
    routes: dict[str, Route] = {
        "/robots.txt": ROBOTS,
        f"/s/{CHANNEL}": _page(PAGE1),
        f"/s/{CHANNEL}?before=11": _page(PAGE2),
    }
    routes.update(extra)
    return routes


def _source(server: Loopback, **options: object) -> TelegramChannelSource:
    spec = TelegramChannelSourceSpec.model_validate(
        {"id": "tg-dongnai", "channel": CHANNEL, "base_url": server.base_url, "allow_private_network": True} | options
    )
    return TelegramChannelSource(spec)


def _collect(source: TelegramChannelSource, crawl: CrawlSettings | None = None) -> Collected:
    async def run() -> Collected:
        # The service's own kind of client (monitor.ingestion.crawl.http_client): checked addresses, redirects followed.
        async with outbound_client(timeout=5) as http:
            context = CollectContext(http=http, crawl=crawl or CrawlSettings(), config_dir=FIXTURES, now=NOW)
            return await source.collect(context)

    return asyncio.run(run())


def _raw(body: bytes, url: str = f"https://t.me/s/{CHANNEL}", status: int = 200) -> RawItem:
    return RawItem(source_id="tg", url=url, fetched_at=NOW, status=status, headers=HTML, body=body)


def _numbers(documents: list[Document]) -> list[int]:
    return [int(document.url.rsplit("/", 1)[1]) for document in documents]


def _by_number(documents: list[Document]) -> dict[int, Document]:
    return dict(zip(_numbers(documents), documents, strict=True))


def _paths(server: Loopback) -> list[str]:
    return [path for path, _ in server.requests]


def test_pages_back_through_before_until_the_channel_start() -> None:
    with serve(_routes()) as server:
        result = _collect(_source(server))
        assert _paths(server) == ["/robots.txt", f"/s/{CHANNEL}", f"/s/{CHANNEL}?before=11"]
    assert not result.fetch_failed
    assert not result.not_modified
    assert _numbers(result.documents) == PAGE1_POSTS + PAGE2_POSTS
    assert len({document.doc_id for document in result.documents}) == 14
    assert [raw.url for raw in result.raw_items] == [server.url(f"/s/{CHANNEL}"), server.url(f"/s/{CHANNEL}?before=11")]
    # Only the skipped messages are reported, as warnings: nothing on these pages is an error.
    assert sorted((p.location, p.severity) for p in result.problems) == [
        (f"https://t.me/{CHANNEL}/{number}", Severity.WARNING) for number in (1, 13, 2, 22)
    ]


def test_message_fields() -> None:
    documents = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)
    notice = documents[11]
    assert notice.doc_id == doc_id_for_post(Platform.TELEGRAM, f"{CHANNEL}/11")
    assert notice.platform is Platform.TELEGRAM
    assert notice.source_id == "tg"
    assert notice.url == f"https://t.me/{CHANNEL}/11"
    assert notice.title == ""
    # Line breaks (the empty line between paragraphs too), the link's text rather than its address, emoji.
    assert notice.text == (
        "⚡️ THÔNG BÁO CÚP ĐIỆN\n\n"
        "Ngày 4/11, cúp điện khu vực phường Tam Hiệp và Long Bình (TP. Biên Hòa) từ 7h30 đến 16h00 để bảo trì "
        "lưới điện 110kV.\nXem chi tiết: Lịch cúp điện PC Đồng Nai"
    )
    assert notice.published_at == datetime(2026, 11, 3, 12, 15, 30, tzinfo=UTC)
    assert notice.fetched_at == NOW
    assert notice.engagement.views == 12_300
    assert (notice.engagement.likes, notice.engagement.comments, notice.engagement.shares) == (None, None, None)
    assert notice.channel == TITLE
    assert notice.author == TITLE  # an unsigned post is the channel's own
    assert notice.parent_id is None
    assert notice.media_urls == ()

    assert documents[18].engagement.views == 987
    assert documents[19].engagement.views == 15_000
    assert documents[15].engagement.views == 21_400


def test_ids_ignore_the_case_of_the_username_like_telegram_does() -> None:
    shouting = PAGE1.replace(f'data-post="{CHANNEL}/'.encode(), b'data-post="TinTucDongNai24h/')
    documents = _by_number(parse_channel_page(_raw(shouting), "tg").documents)
    assert documents[11].doc_id == doc_id_for_post(Platform.TELEGRAM, f"{CHANNEL}/11")
    assert documents[11].url == "https://t.me/TinTucDongNai24h/11"  # as Telegram spells it
    assert documents[21].parent_id == documents[11].doc_id  # the reply links in lower case


def test_signed_post_is_authored_by_its_signature() -> None:
    signed = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)[20]
    assert signed.author == "Phóng viên Minh Anh"
    assert signed.channel == TITLE
    assert signed.text.endswith("Cầu mở cửa miễn phí từ 5h đến 22h hằng ngày.\n\n#BienHoa #DongNai")
    assert "," not in signed.text.splitlines()[-1]  # the footer's "Phóng viên Minh Anh, 09:45" is not text


def test_forwarded_message_names_the_original_and_links_to_it() -> None:
    forwarded = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)[12]
    assert forwarded.author == "Báo Đồng Nai (mô phỏng)"
    assert forwarded.channel == TITLE
    assert forwarded.parent_id == doc_id_for_post(Platform.TELEGRAM, "baodongnai_demo/4521")
    assert forwarded.text == (
        "Cao tốc Biên Hòa – Vũng Tàu đoạn qua Long Thành sẽ thông xe kỹ thuật ngày 15/11 🚗\n"
        "Đây là đoạn đầu tiên của tuyến được đưa vào khai thác, giúp giảm tải cho QL51."
    )
    assert "Forwarded from" not in forwarded.text


def test_reply_points_to_its_parent_and_leaves_the_quote_out() -> None:
    documents = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)
    reply = documents[21]
    assert reply.parent_id == documents[11].doc_id
    assert reply.text == "Cập nhật: khu vực Tam Hiệp đã có điện trở lại từ 15h20 ✅ Cảm ơn bà con đã thông cảm."


def test_media_with_and_without_captions() -> None:
    documents = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)
    photo = documents[14]
    assert photo.text == "[ảnh]"
    assert photo.media_urls == (
        "https://cdn4.telesco.pe/file/aX4e7Kq0Vb2Nc9Wd5Rf1Ty8Hu3Jm6Lp0Zs4Gq7Ek2Oi9Dn5Bw1Cx8Fv3Mh6Ju0.jpg",
    )
    video = documents[19]
    assert video.text == "[video]"  # the player's "0:42" and "not supported in your browser" are not text
    [video_url] = video.media_urls
    assert video_url.startswith("https://cdn4.telesco.pe/file/b7c1e09d4a.mp4?token=")  # the file, not the thumbnail
    album = documents[15]
    assert album.text == (
        "🌧️ Mưa lớn chiều nay khiến đường Phạm Văn Thuận (đoạn qua phường Tân Tiến) ngập sâu 40–50cm.\n"
        "Người dân di chuyển cẩn thận, tránh đi vào khu vực này!"
    )
    assert [url.rsplit("/", 1)[1][:6] for url in album.media_urls] == ["Ng9pV2", "Yc2Tb7"]
    # A link preview's picture and the channel's avatar are not the message's media.
    assert all(not d.media_urls for d in parse_channel_page(_raw(PAGE2), "tg").documents)


def test_texts_without_diacritics_and_in_teencode_are_kept_as_written() -> None:
    documents = _by_number(parse_channel_page(_raw(PAGE1), "tg").documents)
    assert documents[17].text == (
        "Ket xe keo dai tren QL51 doan qua Long Thanh, hang tram xe nhich tung chut. "
        "Moi nguoi nen di som hoac chon duong khac nhe"
    )
    assert documents[18].text == (
        "Mn ơi cầu Hóa An h kẹt cứng luôn á 😭 ai đi lm thì né ra nha, k thì trễ giờ đó. Ko bít bao h mới thông nữa 🤦‍♂️"
    )


def test_link_preview_is_not_part_of_the_text() -> None:
    documents = _by_number(parse_channel_page(_raw(PAGE2), "tg").documents)
    assert documents[9].text == (
        "Đồng Nai điều chỉnh lịch cấp nước khu vực Trảng Dài từ ngày 3/11:\n"
        "https://capnuocdongnai.example/thong-bao/trang-dai"
    )


def test_service_and_empty_messages_are_skipped_with_warnings() -> None:
    page = parse_channel_page(_raw(PAGE1), "tg")
    problems = {p.location.rsplit("/", 1)[1]: p for p in page.problems}
    assert sorted(problems) == ["13", "22"]
    assert problems["13"].severity is Severity.WARNING
    assert problems["13"].message.startswith("service message")
    assert problems["22"].severity is Severity.WARNING
    assert problems["22"].message.startswith("message has neither text nor photo or video")
    assert 'data-post="tintucdongnai24h/22"' in problems["22"].raw  # the markup, to see what it was
    assert page.message_ids == [11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22]
    assert page.older == 11
    older = parse_channel_page(_raw(PAGE2, f"https://t.me/s/{CHANNEL}?before=11"), "tg")
    assert older.older is None  # only a "newer messages" (data-after) link: this is the channel's start
    assert {p.location.rsplit("/", 1)[1] for p in older.problems} == {"1", "2"}


def test_max_pages_bounds_paging() -> None:
    with serve(_routes()) as server:
        result = _collect(_source(server, max_pages=1))
        assert _paths(server) == ["/robots.txt", f"/s/{CHANNEL}"]
    assert _numbers(result.documents) == PAGE1_POSTS


def test_next_collection_stops_at_messages_already_read_and_rewind_reads_again() -> None:
    with serve(_routes()) as server:
        source = _source(server)
        _collect(source)
        again = _collect(source)
        # Page 1 is always read (views change); it reaches message 11, read last time, so no paging back.
        assert _paths(server)[3:] == [f"/s/{CHANNEL}"]
        assert _numbers(again.documents) == PAGE1_POSTS
        source.rewind()
        assert _numbers(_collect(source).documents) == PAGE1_POSTS + PAGE2_POSTS
        assert _paths(server)[4:] == [f"/s/{CHANNEL}", f"/s/{CHANNEL}?before=11"]


def test_a_failed_older_page_keeps_the_newer_one_and_is_tried_again() -> None:
    with serve(_routes(**{f"/s/{CHANNEL}?before=11": Reply(500, b"oops")})) as server:
        source = _source(server)
        result = _collect(source, CrawlSettings(max_retries=0))
        assert not result.fetch_failed  # the newest messages arrived
        assert _numbers(result.documents) == PAGE1_POSTS
        errors = [p for p in result.problems if p.severity is Severity.ERROR]
        assert [p.message for p in errors] == [f"HTTP 500 from {server.url(f'/s/{CHANNEL}?before=11')}"]
        _collect(source, CrawlSettings(max_retries=0))
        # The gap was not read, so the cursor did not move: the next collection pages back again.
        assert _paths(server).count(f"/s/{CHANNEL}?before=11") == 2


def test_redirect_to_the_app_page_is_a_failed_fetch() -> None:
    app_page = (FIXTURES / "app-page-kenhkhongtontai.html").read_bytes()
    routes: dict[str, Route] = {
        "/robots.txt": ROBOTS,
        "/s/kenhkhongtontai": Reply(302, b"", {"Location": "/kenhkhongtontai"}),
        "/kenhkhongtontai": _page(app_page),
    }
    with serve(routes) as server:
        result = _collect(_source(server, channel="kenhkhongtontai"))
    assert result.fetch_failed
    assert result.documents == []
    [problem] = result.problems
    assert problem.severity is Severity.ERROR
    assert problem.message.startswith(f"Telegram redirected to {server.url('/kenhkhongtontai')}")
    assert "does not exist, is not public, or has its web preview turned off" in problem.message
    assert len(result.raw_items) == 1  # archived, to show what Telegram answered


def test_pages_that_are_not_channel_previews() -> None:
    app_page = parse_channel_page(_raw((FIXTURES / "app-page-kenhkhongtontai.html").read_bytes()), "tg")
    assert app_page.unreadable
    assert "'open in the app' page" in app_page.problems[0].message
    portal = b"<html><head><title>Wi-Fi</title></head><body><h1>\xc4\x90\xc4\x83ng nh\xe1\xba\xadp</h1></body></html>"
    for body in (portal, b"", b"\x00\xff garbage"):
        page = parse_channel_page(_raw(body), "tg")
        assert page.unreadable
        assert page.documents == []
        assert page.problems[0].message.startswith("no Telegram messages")
    redirect = _raw(b"", status=302).model_copy(update={"headers": {"Location": "https://t.me/kenhkhongtontai"}})
    page = parse_channel_page(redirect, "tg")
    assert page.unreadable
    assert page.problems[0].message.startswith("HTTP 302 redirecting to https://t.me/kenhkhongtontai")


def test_html_without_messages_fails_the_collection_and_is_read_again() -> None:
    reply = _page(b"<!DOCTYPE html><html><body><p>Service temporarily unavailable</p></body></html>")
    reply.headers["ETag"] = '"v1"'
    with serve(_routes(**{f"/s/{CHANNEL}": reply})) as server:
        source = _source(server)
        result = _collect(source)
        assert result.fetch_failed
        assert result.problems[0].severity is Severity.ERROR
        _collect(source)
        assert "If-None-Match" not in server.requests[-1][1]  # not "unchanged": it must be read again


def test_malformed_markup_keeps_every_readable_message() -> None:
    page = parse_channel_page(_raw((FIXTURES / "malformed.html").read_bytes()), "tg")
    documents = _by_number(page.documents)
    assert sorted(documents) == [31, 33, 34, 35, 36]
    # An unclosed text element swallows the footer; its view count and time are still not text.
    assert documents[31].text == "Đường Võ Thị Sáu (Biên Hòa) tạm cấm xe tải từ 6h đến 9h\nđể thi công nút giao."
    assert documents[31].engagement.views == 2200
    assert documents[31].published_at == datetime(2026, 11, 6, 0, 10, tzinfo=UTC)
    assert documents[33].text.startswith("Giá xăng RON95 giảm 320 đồng/lít")  # upper-case tags, unquoted values
    assert documents[33].engagement.views is None
    assert documents[34].published_at == NOW
    assert documents[35].published_at == NOW
    # The unclosed <b> ends with the text, the upper-case <BR> breaks the line, &nbsp; is a space.
    assert documents[36].text == (
        "Khẩn: mất nước diện rộng ở Long Thành\ntừ 22h đêm nay đến 4h sáng mai. Bà con trữ nước nhé"
    )
    assert documents[36].published_at == datetime(2026, 11, 6, 7, 30, tzinfo=UTC)  # +07:00 read as such
    messages = sorted((p.severity.value, p.message.split(":")[0]) for p in page.problems)
    assert messages == [
        ("error", "data-post is not 'channel/number'"),
        ("warning", "invalid publication time"),
        ("warning", "no publication time; using the fetch time"),
        ("warning", "unreadable view count"),
    ]
    assert page.older == 31


def test_truncated_page_keeps_the_complete_messages() -> None:
    cut = PAGE1.index("cù lao Hiệp Hòa".encode())  # inside the text of message 20
    page = parse_channel_page(_raw(PAGE1[:cut]), "tg")
    assert _numbers(page.documents) == [11, 12, 14, 15, 17, 18, 19]
    truncated = [p for p in page.problems if p.location.endswith("/20")]
    assert [p.message for p in truncated] == ["the page ends inside this message (truncated download?): skipped"]
    assert page.older == 11  # the older-messages link is at the top, so paging can go on

    # Cut after its footer, message 20 is complete even though its closing tags are missing.
    after_footer = PAGE1.index(b"</time>", PAGE1.index(b'data-post="tintucdongnai24h/20"')) + len(b"</time>")
    assert _numbers(parse_channel_page(_raw(PAGE1[:after_footer]), "tg").documents)[-1] == 20


def test_any_truncation_never_crashes() -> None:
    full = {document.doc_id: document for document in parse_channel_page(_raw(PAGE1), "tg").documents}
    for cut in range(0, len(PAGE1), 97):  # cuts fall inside tags, attributes, entities and UTF-8 sequences
        page = parse_channel_page(_raw(PAGE1[:cut]), "tg")
        for document in page.documents:
            assert document.doc_id in full
            assert full[document.doc_id].text.startswith(document.text.rstrip("\ufffd"))


def test_retries_after_429_honouring_retry_after() -> None:
    answers = [Reply(429, b"Too Many Requests", {"Retry-After": "0"}), _page(PAGE1)]
    with serve(_routes(**{f"/s/{CHANNEL}": lambda handler: answers.pop(0)})) as server:
        result = _collect(_source(server, max_pages=1), CrawlSettings(max_retries=2, max_retry_wait_seconds=2))
        assert _paths(server) == ["/robots.txt", f"/s/{CHANNEL}", f"/s/{CHANNEL}"]
    assert _numbers(result.documents) == PAGE1_POSTS
    assert not result.fetch_failed


def test_gives_up_when_asked_to_wait_longer_than_allowed() -> None:
    busy = Reply(429, b"Too Many Requests", {"Retry-After": "3600"})
    with serve(_routes(**{f"/s/{CHANNEL}": busy})) as server:
        result = _collect(_source(server), CrawlSettings(max_retries=3, max_retry_wait_seconds=2))
        assert _paths(server).count(f"/s/{CHANNEL}") == 1
    assert result.fetch_failed
    assert result.problems[0].message == f"HTTP 429 from {server.url(f'/s/{CHANNEL}')}"


def test_archived_pages_replay_to_the_same_documents() -> None:
    with serve(_routes()) as server:
        collected = _collect(_source(server))
        replayer = _source(server)  # a fresh instance, as `monitor replay` uses after a restart
    replayed = [replayer.parse(raw) for raw in collected.raw_items]
    assert [document for result in replayed for document in result.documents] == collected.documents
    assert [problem for result in replayed for problem in result.problems] == collected.problems
    assert all(result.raw_items == [raw] for result, raw in zip(replayed, collected.raw_items, strict=True))
    assert not any(result.fetch_failed for result in replayed)


def test_robots_txt_is_obeyed() -> None:
    with serve(_routes(**{"/robots.txt": Reply(200, b"User-agent: *\nDisallow: /s/\n")})) as server:
        result = _collect(_source(server))
        assert _paths(server) == ["/robots.txt"]
    assert result.fetch_failed
    assert "disallowed by" in result.problems[0].message


def test_private_addresses_are_refused_unless_allowed() -> None:
    with serve(_routes()) as server:
        result = _collect(_source(server, allow_private_network=False))
        assert server.requests == []
    assert result.fetch_failed
    assert "non-public address 127.0.0.1" in result.problems[0].message


@pytest.mark.parametrize(
    "channel", ["@tintucdongnai24h", "t.me/tintucdongnai24h", "tin", "a" * 33, "tin tuc", "tintứcđồngnai"]
)
def test_channel_must_be_a_public_username(channel: str) -> None:
    with pytest.raises(ValidationError, match="'channel' must be the public username"):
        TelegramChannelSourceSpec(id="tg", channel=channel)


def test_spec_defaults_and_base_url() -> None:
    spec = TelegramChannelSourceSpec(id="tg", channel="Dong_Nai_24h")
    assert (spec.type, spec.base_url, spec.max_pages) == ("telegram_channel", "https://t.me", 3)
    assert TelegramChannelSource(spec).page_url(42) == "https://t.me/s/Dong_Nai_24h?before=42"
    assert TelegramChannelSourceSpec(id="tg", channel="abcde", base_url="http://127.0.0.1:8080/").base_url == (
        "http://127.0.0.1:8080"
    )
    for bad in ("ftp://t.me", "t.me", "https://t.me/?x=1"):
        with pytest.raises(ValidationError, match="'base_url' must be"):
            TelegramChannelSourceSpec(id="tg", channel="abcde", base_url=bad)
    with pytest.raises(ValidationError):
        TelegramChannelSourceSpec(id="tg", channel="abcde", max_pages=0)


def test_post_urls_are_canonical_whatever_the_base_url() -> None:
    with serve(_routes()) as server:
        result = _collect(_source(server, max_pages=1))
    assert all(document.url.startswith(f"https://t.me/{CHANNEL}/") for document in result.documents)
    assert result.raw_items[0].url.startswith("http://127.0.0.1:")
