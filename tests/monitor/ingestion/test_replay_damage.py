"""Replay keeps the articles the crawl merged into feed items, and reads past a damaged archive record."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cases.evidence import find_raw
from monitor.cli import main
from monitor.ingestion.archive import ArchiveDamage, RawArchive
from monitor.ingestion.replay import replay_archive
from monitor.records import RawItem, doc_id_for_url
from tests.conftest import crawl, make_config_dir, open_monitor
from tests.factories import analyzed
from tests.loopback import Reply, serve

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "articles"
HTML = {"Content-Type": "text/html; charset=utf-8", "ETag": '"trang-1"'}
NOW = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)


def _feed(base: str) -> bytes:
    item = (
        f"<item><title>Đồng Nai thông xe cầu mới</title><link>{base}/cau-moi</link>"
        "<description>Tóm tắt: cầu mới qua sông Đồng Nai thông xe.</description>"
        "<pubDate>Mon, 12 Oct 2026 08:00:00 +0700</pubDate></item>"
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{item}</channel></rss>".encode()


def test_replay_never_puts_a_feed_summary_over_the_article_text(tmp_path: Path) -> None:
    config_dir = make_config_dir(tmp_path / "configs")
    (config_dir / "sources" / "samples.yaml").unlink()
    page = (PAGES / "cau-moi.html").read_bytes()

    def article(handler: Any) -> Reply:
        # The page is unchanged on the second crawl: 304, nothing archived for it that time.
        return Reply(304) if handler.headers.get("If-None-Match") == '"trang-1"' else Reply(200, page, HTML)

    routes: dict[str, Any] = {"/cau-moi": article}
    with serve(routes) as server:
        routes["/rss"] = Reply(200, _feed(server.base_url), {"Content-Type": "application/rss+xml"})
        (config_dir / "sources" / "loopback.yaml").write_text(
            "sources:\n  - {type: rss, id: tin-dong-nai, url: '"
            + server.url("/rss")
            + "', fetch_articles: true, allow_private_network: true}\n",
            encoding="utf-8",
        )
        doc_id = doc_id_for_url(server.url("/cau-moi"))
        monitor = open_monitor(config_dir)
        try:
            crawl(monitor)
            crawl(monitor)  # the feed again (archived), the page 304 (not archived)
            crawled = monitor.store.get(doc_id).document
            assert crawled.text.startswith("Sáng 12/10, UBND tỉnh Đồng Nai")
            archived = [raw.url.rsplit("/", 1)[-1] for raw in monitor.pipeline.archive.items("tin-dong-nai")]
            assert archived == ["rss", "cau-moi", "rss"]  # the last record is a feed: its summary comes last

            replay_archive(monitor)
            assert monitor.store.get(doc_id).document.text == crawled.text
            # From an empty store too: the page completes the feed's item, the later feed keeps the article.
            monitor.store.delete([doc_id])
            replay_archive(monitor)
            rebuilt = monitor.store.get(doc_id).document
            assert (rebuilt.text, rebuilt.title, rebuilt.published_at) == (
                crawled.text,
                crawled.title,
                crawled.published_at,
            )
        finally:
            monitor.close()


def _item(i: int, rnd: random.Random) -> RawItem:
    # Text that barely compresses, so cutting bytes off the file cuts into the last record's body.
    words = " ".join(f"tin{rnd.getrandbits(32):08x}" for _ in range(400))
    body = f"<html><body><p>Bài {i}: người dân Biên Hòa phản ánh {words}</p></body></html>".encode()
    return RawItem(
        source_id="sample-social",
        url=f"https://facebook.example/posts/p{i}",
        fetched_at=NOW + timedelta(minutes=i),
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=body,
    )


@pytest.mark.parametrize("cut", [1, 10, 2_000])
def test_a_day_file_cut_short_is_read_up_to_the_damage_which_is_reported(tmp_path: Path, cut: int) -> None:
    archive = RawArchive(tmp_path / "archive")
    rnd = random.Random(7)
    items = [_item(i, rnd) for i in range(3)]
    pointers = archive.store(items)
    path = Path(pointers[0].path)
    path.write_bytes(path.read_bytes()[:-cut])  # the disk filled up while the third record was written

    damage: list[ArchiveDamage] = []
    assert list(archive.items("sample-social", on_damage=damage.append)) == items[:2]  # no shortened third
    assert [(d.path, d.offset) for d in damage] == [(str(path), pointers[2].offset)]
    assert "cut short" in damage[0].reason
    assert archive.read(pointers[1]) == items[1]

    # A restarted crawler appends after the damage: what it wrote later is read too.
    later = _item(9, rnd)
    archive.store([later])
    damage.clear()
    assert list(archive.items("sample-social", on_damage=damage.append)) == [*items[:2], later]
    assert [d.offset for d in damage] == [pointers[2].offset]


def test_replay_and_evidence_lookup_go_past_a_truncated_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_dir = make_config_dir(tmp_path / "configs")
    monitor = open_monitor(config_dir)
    try:
        rnd = random.Random(3)
        archive = monitor.pipeline.archive
        pointers = archive.store([_item(i, rnd) for i in range(3)])
        path = Path(pointers[0].path)
        path.write_bytes(path.read_bytes()[:-500])
        stored = analyzed("Bài 1", post_id="p1", published=NOW, source_id="sample-social")
        document = stored.document.model_copy(
            update={"url": "https://facebook.example/posts/p1", "fetched_at": NOW + timedelta(minutes=1)}
        )
        raw = find_raw(archive, stored.model_copy(update={"document": document}))
        assert raw is not None
        assert raw.url == "https://facebook.example/posts/p1"
        report = replay_archive(monitor, ("sample-social",))
        assert report.items == 2
        assert [(d.path, d.offset) for d in report.damaged] == [(str(path), pointers[2].offset)]
        assert report.problems >= len(report.damaged)  # counted with the other problems
    finally:
        monitor.close()
    assert main(["--config-dir", str(config_dir), "replay", "--source", "sample-social"]) == 0
    captured = capsys.readouterr()
    assert f"archive file {path} is damaged at byte {pointers[2].offset}" in captured.err
    assert "Replayed 2 archived items" in captured.out
