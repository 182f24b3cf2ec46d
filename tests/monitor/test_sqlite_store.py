from __future__ import annotations

from pathlib import Path

import pytest

from monitor.analysis import SentimentLabel
from monitor.db import Database
from monitor.errors import NotFoundError, QueryError
from monitor.records import Platform
from monitor.store.base import CountField, DocumentFilter, SearchRequest, SortOrder
from monitor.store.sqlite import SqliteDocumentStore
from tests.factories import analyzed, at


@pytest.fixture
def store(tmp_path: Path) -> SqliteDocumentStore:
    return SqliteDocumentStore(Database(tmp_path / "store.sqlite3"))


@pytest.fixture
def filled(store: SqliteDocumentStore) -> SqliteDocumentStore:
    store.upsert(
        [
            analyzed(
                "Mưa lớn, đường Phạm Văn Thuận ngập sâu 😭",
                post_id="1",
                published=at("2026-10-20 19:00"),
                sentiment=SentimentLabel.NEGATIVE,
                topics=("environment_disasters",),
            ),
            analyzed(
                "Dong Nai ngap qua troi oi, xe chet may",
                post_id="2",
                published=at("2026-10-20 20:30"),
                sentiment=SentimentLabel.NEGATIVE,
                topics=("environment_disasters",),
            ),
            analyzed(
                "Khu du lịch Bửu Long đẹp tuyệt vời, check-in thôi!",
                post_id="3",
                published=at("2026-10-22 09:00"),
                sentiment=SentimentLabel.POSITIVE,
                topics=("tourism",),
                platform=Platform.YOUTUBE,
            ),
            analyzed(
                "Sân bay Long Thành đón chuyến bay thử nghiệm",
                post_id="4",
                published=at("2026-10-25 10:00"),
                title="Tiến độ sân bay Long Thành",
                source_id="news",
                platform=Platform.NEWS,
                topics=("infrastructure_transport", "investment_economy"),
            ),
        ]
    )
    return store


def _search(store: SqliteDocumentStore, **filters: object) -> list[str]:
    page = store.search(SearchRequest(filter=DocumentFilter.model_validate(filters), limit=50))
    return [item.document.text[:12] for item in page.items]


def test_sqlite_file_uses_wal(store: SqliteDocumentStore) -> None:
    mode = store.db.connection().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_upsert_is_idempotent_and_reports_changes(store: SqliteDocumentStore) -> None:
    doc = analyzed("Biên Hòa ngập", post_id="x", published=at("2026-10-20 19:00"))
    assert store.upsert([doc]).inserted == [doc.doc_id]
    assert store.upsert([doc]).unchanged == [doc.doc_id]
    edited = analyzed("Biên Hòa ngập sâu", post_id="x", published=at("2026-10-20 19:00"))
    assert store.upsert([edited]).updated == [doc.doc_id]
    assert store.count(DocumentFilter()) == 1
    assert store.get(doc.doc_id).document.text == "Biên Hòa ngập sâu"
    # The full-text index follows the update: the old text alone no longer finds a stale copy twice.
    assert _search(store, text="sau") == ["Biên Hòa ngậ"]


def test_search_is_accent_insensitive_in_both_directions(filled: SqliteDocumentStore) -> None:
    assert len(_search(filled, text="ngập")) == 2  # one with diacritics, one without
    assert len(_search(filled, text="ngap")) == 2
    assert _search(filled, text="buu long") == ["Khu du lịch "]
    assert _search(filled, text='"sân bay long thành"') == ["Sân bay Long"]


def test_search_syntax_or_not_and_title(filled: SqliteDocumentStore) -> None:
    assert len(_search(filled, text='ngập OR "bửu long"')) == 3
    assert _search(filled, text="ngập NOT xe") == ["Mưa lớn, đườ"]
    assert _search(filled, text="tiến độ") == ["Sân bay Long"]  # matched in the title only


def test_filters_combine(filled: SqliteDocumentStore) -> None:
    assert len(_search(filled, sentiments=["negative"])) == 2
    assert _search(filled, platforms=["youtube"]) == ["Khu du lịch "]
    assert _search(filled, sources=["news"]) == ["Sân bay Long"]
    assert _search(filled, topics=["investment_economy"]) == ["Sân bay Long"]
    assert _search(filled, since=at("2026-10-20 20:00"), until=at("2026-10-23 00:00")) == [
        "Khu du lịch ",
        "Dong Nai nga",
    ]


def test_pagination_and_sort(filled: SqliteDocumentStore) -> None:
    first = filled.search(SearchRequest(limit=2, offset=0, sort=SortOrder.OLDEST))
    second = filled.search(SearchRequest(limit=2, offset=2, sort=SortOrder.OLDEST))
    assert first.total == second.total == 4
    ordered = [i.document.published_at for i in first.items + second.items]
    assert ordered == sorted(ordered)


def test_counts_by_field_and_local_day(filled: SqliteDocumentStore) -> None:
    assert filled.count_by_field(DocumentFilter(), CountField.SENTIMENT) == {
        "negative": 2,
        "neutral": 1,
        "positive": 1,
    }
    assert filled.count_by_field(DocumentFilter(), CountField.TOPIC)["environment_disasters"] == 2
    days = filled.count_by_time(DocumentFilter(), 86_400, tz_offset_seconds=7 * 3600)
    assert [(b.start.astimezone(at("2026-10-20 00:00").tzinfo).date().isoformat(), b.count) for b in days] == [
        ("2026-10-20", 2),
        ("2026-10-22", 1),
        ("2026-10-25", 1),
    ]


def test_get_missing_and_delete(filled: SqliteDocumentStore) -> None:
    with pytest.raises(NotFoundError):
        filled.get("no-such-id")
    victim = filled.search(SearchRequest(limit=1)).items[0]
    assert filled.delete([victim.doc_id, "no-such-id"]) == 1
    assert filled.count(DocumentFilter()) == 3
    assert filled.get_many([victim.doc_id]) == []


def test_invalid_query_is_rejected_before_reaching_sqlite() -> None:
    with pytest.raises(QueryError):
        DocumentFilter(text='"unterminated')
