"""A document's archived original: its own response when the crawler fetched its page, else the archived
feed or file that holds it (its URL as the feed wrote it: escaped in XML, escaped in JSON), else nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.analysis import AnalyzedDocument
from monitor.ingestion.archive import RawArchive
from monitor.ingestion.originals import as_text, find_original
from monitor.records import RawItem
from tests.factories import analyzed, at

ARTICLE = "https://baodongnai.example/thoi-su/cat-nuoc-phuoc-tan.html?id=17&trang=2"


def _document(url: str = ARTICLE) -> AnalyzedDocument:
    item = analyzed("Cắt nước xã Phước Tân ngày 5/11.", post_id="orig-1", published=at("2026-11-04 08:00"))
    document = item.document.model_copy(
        update={"url": url, "source_id": "sample-baodongnai", "fetched_at": at("2026-11-04 09:00")}
    )
    return item.model_copy(update={"document": document})


def _raw(url: str, body: str, minutes: int = 0) -> RawItem:
    fetched = at("2026-11-04 09:00") + timedelta(minutes=minutes)
    return RawItem(source_id="sample-baodongnai", url=url, fetched_at=fetched, status=200, body=body.encode())


def test_the_page_s_own_response_comes_first(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    feed = _raw("https://baodongnai.example/rss.xml", f"<item><link>{ARTICLE.replace('&', '&amp;')}</link></item>")
    archive.store([feed, _raw(ARTICLE, "<html><p>Cắt nước xã Phước Tân</p></html>", minutes=1)])
    original = find_original(archive, _document())
    assert original is not None
    assert original.own
    assert original.raw.url == ARTICLE
    assert as_text(original).startswith("# Bản gốc đã lưu: phản hồi của chính bài\n# URL: " + ARTICLE)


def test_a_feed_item_s_original_is_the_feed_that_holds_it_even_with_its_url_escaped(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    xml = f"<rss><item><title>Cắt nước</title><link>{ARTICLE.replace('&', '&amp;')}</link></item></rss>"
    json_line = '{"url": "' + ARTICLE.replace("/", "\\/") + '"}'
    archive.store([_raw("https://baodongnai.example/rss.xml", xml, minutes=-30)])
    archive.store([_raw("file:///imports/posts.jsonl", json_line, minutes=90)])
    original = find_original(archive, _document())
    assert original is not None
    assert not original.own
    assert original.raw.url == "https://baodongnai.example/rss.xml"  # the closest to the capture time
    assert "Cắt nước" in as_text(original)


def test_nothing_archived_is_none(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path)
    archive.store(
        [_raw("https://baodongnai.example/rss.xml", "<rss><item><link>https://khac.example/</link></item></rss>")]
    )
    assert find_original(archive, _document()) is None
