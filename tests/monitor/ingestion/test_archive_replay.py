"""The raw archive keeps every fetched response as WARC; replay rebuilds the store from it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from monitor.alerting.types import AlertQuery
from monitor.cli import main
from monitor.ingestion.archive import RawArchive
from monitor.records import RawItem
from monitor.store.base import DocumentFilter, SearchRequest
from tests.conftest import crawl, open_monitor

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def test_round_trip_of_http_responses_and_files(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "archive")
    response = RawItem(
        source_id="vne",
        url="https://vnexpress.example/rss",
        fetched_at=NOW,
        status=200,
        headers={"content-type": "application/rss+xml; charset=utf-8", "etag": '"v1"', "content-encoding": "gzip"},
        body="<rss><channel><title>Tin mới</title></channel></rss>".encode(),
    )
    upload = RawItem(
        source_id="import",
        url="file:///srv/exports/posts.jsonl",
        fetched_at=NOW,
        body='{"post_id": "1", "text": "Đồng Nai"}\n'.encode(),
    )
    first, second = archive.store([response, upload])
    assert archive.read(first) == response.model_copy(
        update={"headers": {"content-type": "application/rss+xml; charset=utf-8", "etag": '"v1"'}}
    )  # body is stored decoded
    assert archive.read(second) == upload
    assert first.sha256 == response.sha256
    # Standard WARC that any tool reads: one gzip member per record, with the source id.
    with Path(first.path).open("rb") as handle:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Source-Id")) for r in ArchiveIterator(handle)]
    assert records == [("response", "vne")]
    assert [item.url for item in archive.items()] == [
        "file:///srv/exports/posts.jsonl",
        "https://vnexpress.example/rss",
    ]
    assert [item.url for item in archive.items("vne")] == ["https://vnexpress.example/rss"]
    assert list(archive.items(since=datetime(2026, 11, 27, tzinfo=UTC))) == []


def test_replay_rebuilds_the_store_and_alerts(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monitor = open_monitor(config_dir)
    try:
        assert crawl(monitor).inserted == 204
        archived = sorted(
            p.relative_to(config_dir / "var" / "archive").parts[0]
            for p in (config_dir / "var" / "archive").rglob("*.warc.gz")
        )
        assert archived == [
            "sample-baodongnai",
            "sample-dongnai-gov",
            "sample-social",
            "sample-tuoitre",
            "sample-vnexpress",
        ]
        ids = [item.doc_id for item in monitor.store.search(SearchRequest(limit=500)).items]
        monitor.store.delete(ids)
        assert monitor.store.count(DocumentFilter()) == 0
        claim = next(a for a in monitor.alerts.search(AlertQuery(limit=500))[1] if a.key.startswith("claim:"))
    finally:
        monitor.close()

    assert main(["--config-dir", str(config_dir), "replay"]) == 0
    out = capsys.readouterr().out
    assert "Replayed 8 archived items: 204 documents, 204 new" in out

    monitor = open_monitor(config_dir)
    try:
        assert monitor.store.count(DocumentFilter()) == 204
        assert monitor.alerts.get(claim.alert_id).doc_count == claim.doc_count  # same alert, not a second one
        health = monitor.health.get("sample-social")
        assert health.items_total == 136  # replay does not count as new crawling
    finally:
        monitor.close()
    assert main(["--config-dir", str(config_dir), "replay", "--source", "sample-social"]) == 0
    assert "Replayed 4 archived items: 136 documents, 0 new, 0 updated" in capsys.readouterr().out
