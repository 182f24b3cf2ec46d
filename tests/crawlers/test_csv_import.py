from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.csv_import import CsvSourceSpec, parse_csv
from monitor.ingestion.sources import Severity
from monitor.records import Platform, RawItem

SOCIAL = Path(__file__).resolve().parents[1] / "fixtures" / "social"
FETCHED = datetime(2026, 11, 1, tzinfo=UTC)


def _parse(name: str, **spec: object) -> tuple[dict[str, object], dict[str, str], dict[str, str]]:
    raw = RawItem(source_id="csv", url="file:" + name, fetched_at=FETCHED, body=(SOCIAL / name).read_bytes())
    documents, problems = parse_csv(raw, CsvSourceSpec(id="csv", path=name, platform=Platform.FACEBOOK, **spec), name)
    docs = {doc.url.removeprefix("facebook:"): doc for doc in documents}
    errors = {p.location: p.message for p in problems if p.severity is Severity.ERROR}
    warnings = {p.location: p.message for p in problems if p.severity is Severity.WARNING}
    return docs, errors, warnings


def test_messy_reintel_style_export() -> None:
    docs, errors, warnings = _parse("reintel-style.csv")
    assert sorted(docs) == ["9001", "9002", "9004", "9007"]
    first = docs["9001"]
    assert first.text.startswith("Đường Phạm Văn Thuận ngập sâu")  # a multi-line cell stays one post
    assert (first.engagement.likes, first.engagement.comments, first.engagement.shares) == (1100, 35, None)
    assert first.published_at == datetime.fromtimestamp(1792411200, UTC)
    assert docs["9002"].published_at == FETCHED  # empty timestamp: kept, dated by the import
    assert docs["9002"].engagement.shares == 8800
    assert docs["9004"].published_at == datetime.fromtimestamp(1792411200, UTC)  # milliseconds
    assert docs["9007"].author == "ff00aa"
    # Line numbers are where each row starts: the first post spans lines 2 to 4.
    assert errors == {
        "reintel-style.csv:6": "field 'text' is missing or empty",
        "reintel-style.csv:8": "field 'likes': not a count: 'nhiều'",
        "reintel-style.csv:9": "row contains bytes that are not valid utf-8",
    }
    assert "missing timestamp; using the import time" in warnings["reintel-style.csv:5"]
    assert "1 more cells than the header" in warnings["reintel-style.csv:7"]
    assert "not valid utf-8 at byte" in warnings["reintel-style.csv"]


def test_legacy_vietnamese_encoding_is_read_when_configured() -> None:
    docs, errors, _ = _parse("legacy-cp1258.csv", encoding="cp1258")
    assert errors == {}
    # Windows-1258 writes tone marks as combining characters; NFC makes them the usual letters.
    assert unicodedata.normalize("NFC", docs["9101"].text) == "Hồ Trị An mùa nước nổi đẹp quá"
    wrong, wrong_errors, _ = _parse("legacy-cp1258.csv")  # read as UTF-8 by mistake: reported, not garbled
    assert wrong == {}
    assert list(wrong_errors.values()) == ["row contains bytes that are not valid utf-8"]


def test_column_renames_and_unknown_encoding(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text(
        "message;likes;post;when\nNgập ở Tân Hiệp;2;x1;2026-10-20T19:00:00+07:00\n", encoding="utf-8"
    )
    raw = RawItem(source_id="csv", url="file:other.csv", fetched_at=FETCHED, body=(tmp_path / "other.csv").read_bytes())
    spec = CsvSourceSpec(
        id="csv",
        path="other.csv",
        delimiter=";",
        columns={"message": "text", "post": "post_id", "when": "published_at"},
    )
    [doc], problems = parse_csv(raw, spec, "other.csv")
    assert problems == []
    assert doc.text == "Ngập ở Tân Hiệp"
    assert doc.engagement.likes == 2
    with pytest.raises(ValueError, match="unknown encoding"):
        CsvSourceSpec(id="csv", path="x.csv", encoding="vni-windows")
