"""One contract, two backends: every test here runs on SQLite and on a real Elasticsearch server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.analysis import SentimentLabel
from monitor.errors import NotFoundError, QueryError
from monitor.records import Platform
from monitor.store.base import CountField, DocumentFilter, DocumentStore, SearchRequest, SortOrder
from monitor.store.sqlite import SqliteDocumentStore
from tests.factories import VN, analyzed, at
from tests.stores import fresh_store


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    url = request.getfixturevalue("elasticsearch_url") if request.param == "elasticsearch" else None
    with fresh_store(request.param, tmp_path, url) as opened:
        yield opened


@pytest.fixture
def filled(store: DocumentStore) -> DocumentStore:
    store.upsert(
        [
            analyzed(
                "Mưa lớn, đường Phạm Văn Thuận ngập sâu 😭",
                post_id="1",
                published=at("2026-10-20 19:00"),
                sentiment=SentimentLabel.NEGATIVE,
                topics=("environment_disasters",),
                author="Trần Thị Bích",
            ),
            analyzed(
                "Dong Nai ngap qua troi oi, xe chet may",
                post_id="2",
                published=at("2026-10-20 20:30"),
                sentiment=SentimentLabel.NEGATIVE,
                topics=("environment_disasters",),
                author="Lê Văn C",
            ),
            analyzed(
                "Khu du lịch Bửu Long đẹp tuyệt vời, check-in thôi! Hồ Trị An",
                post_id="3",
                published=at("2026-10-22 09:00"),
                sentiment=SentimentLabel.POSITIVE,
                topics=("tourism",),
                platform=Platform.YOUTUBE,
            ),
            analyzed(
                "Sân bay Long Thành đón chuyến bay thử nghiệm, con hổ",
                post_id="4",
                published=at("2026-11-25 10:00"),
                title="Tiến độ sân bay Long Thành",
                source_id="news",
                platform=Platform.NEWS,
                topics=("infrastructure_transport", "investment_economy"),
                author=None,
            ),
        ]
    )
    return store


def _texts(store: DocumentStore, **filters: object) -> list[str]:
    page = store.search(SearchRequest(filter=DocumentFilter.model_validate(filters), limit=50))
    return [item.document.text[:12] for item in page.items]


def test_upsert_is_idempotent_and_reports_changes(store: DocumentStore) -> None:
    doc = analyzed("Biên Hòa ngập", post_id="x", published=at("2026-10-20 19:00"))
    assert store.upsert([doc]).inserted == [doc.doc_id]
    refetched = doc.model_copy(
        update={
            "document": doc.document.model_copy(update={"fetched_at": doc.document.fetched_at + timedelta(hours=1)})
        }
    )
    assert store.upsert([refetched]).unchanged == [doc.doc_id]  # a re-crawl of the same item
    edited = analyzed("Biên Hòa ngập sâu", post_id="x", published=at("2026-10-20 19:00"))
    assert store.upsert([edited]).updated == [doc.doc_id]
    assert store.count(DocumentFilter()) == 1
    stored = store.get(doc.doc_id)
    assert stored.document.text == "Biên Hòa ngập sâu"
    assert _texts(store, text="sau") == ["Biên Hòa ngậ"]  # the index follows the update


def test_stored_documents_stay_unevaluated_until_marked(store: DocumentStore) -> None:
    """The durable "rules pending" mark: set with every insert or update, kept until the rules ran."""
    first = analyzed("Biên Hòa ngập sâu sau mưa", post_id="e1", published=at("2026-10-20 19:00"))
    second = analyzed("Cầu Hóa An kẹt xe", post_id="e2", published=at("2026-10-20 19:05"))
    store.upsert([first, second])
    assert store.unevaluated(10) == [first.doc_id, second.doc_id]  # in the order they were stored
    assert store.unevaluated(1) == [first.doc_id]
    store.mark_evaluated([first.doc_id, second.doc_id])
    assert store.upsert([first]).unchanged == [first.doc_id]
    assert store.unevaluated(10) == []  # nothing new to evaluate in an unchanged document
    edited = analyzed("Biên Hòa ngập sâu sau mưa lớn", post_id="e1", published=at("2026-10-20 19:00"))
    assert store.upsert([edited]).updated == [first.doc_id]
    # Stored again unchanged (a restarted crawl) before its rules ran: the mark stays.
    assert store.upsert([edited]).unchanged == [first.doc_id]
    assert store.unevaluated(10) == [first.doc_id]
    store.mark_evaluated([first.doc_id])
    assert store.unevaluated(10) == []


def test_moving_to_another_month_keeps_one_copy(store: DocumentStore) -> None:
    first = analyzed("Tin sửa ngày", post_id="m", published=at("2026-10-31 23:00"))
    store.upsert([first])
    store.upsert([analyzed("Tin sửa ngày", post_id="m", published=at("2026-11-01 08:00"))])
    assert store.count(DocumentFilter()) == 1
    assert store.get(first.doc_id).document.published_at == at("2026-11-01 08:00")


def test_search_is_accent_insensitive_in_both_directions(filled: DocumentStore) -> None:
    assert len(_texts(filled, text="ngập")) == 2
    assert len(_texts(filled, text="ngap")) == 2
    assert _texts(filled, text="buu long") == ["Khu du lịch "]
    assert _texts(filled, text='"sân bay long thành"') == ["Sân bay Long"]


def test_exact_accent_option(filled: DocumentStore) -> None:
    assert _texts(filled, text="=ngập") == ["Mưa lớn, đườ"]  # the unaccented post is not an exact match
    assert _texts(filled, text="hồ") == ["Sân bay Long", "Khu du lịch "]  # folded: hồ = hổ = ho
    assert _texts(filled, text="=hồ") == ["Khu du lịch "]
    assert _texts(filled, text="hồ", exact_accents=True) == ["Khu du lịch "]


def test_search_syntax_boolean_phrase_and_title(filled: DocumentStore) -> None:
    assert len(_texts(filled, text='ngập OR "bửu long"')) == 3
    assert _texts(filled, text="ngập NOT xe") == ["Mưa lớn, đườ"]
    assert _texts(filled, text="ngập -xe") == ["Mưa lớn, đườ"]
    assert _texts(filled, text="tiến độ") == ["Sân bay Long"]  # matched in the title only
    assert len(_texts(filled, text="NOT ngập")) == 2
    assert _texts(filled, text='"đẹp long"') == []  # words present, not in this order


def test_field_filters_in_the_query(filled: DocumentStore) -> None:
    assert _texts(filled, text="source:news") == ["Sân bay Long"]
    assert _texts(filled, text="platform:youtube OR topic:investment_economy") == ["Sân bay Long", "Khu du lịch "]
    assert len(_texts(filled, text="sentiment:negative ngap")) == 2
    assert _texts(filled, text='author:"tran thi bich"') == ["Mưa lớn, đườ"]
    assert _texts(filled, text='author:"Lê Văn C" OR author:nobody') == ["Dong Nai nga"]


def test_time_ranges_in_the_query_use_local_dates(filled: DocumentStore) -> None:
    assert _texts(filled, text="since:2026-10-20 until:2026-10-21") == ["Dong Nai nga", "Mưa lớn, đườ"]
    assert _texts(filled, text="since:2026-10-20T20:00+07:00 until:2026-10-21") == ["Dong Nai nga"]
    assert len(_texts(filled, text="since:2026-10-21")) == 2


def test_filters_combine(filled: DocumentStore) -> None:
    assert len(_texts(filled, sentiments=["negative"])) == 2
    assert _texts(filled, platforms=["youtube"]) == ["Khu du lịch "]
    assert _texts(filled, sources=["news"]) == ["Sân bay Long"]
    assert _texts(filled, topics=["investment_economy"]) == ["Sân bay Long"]
    assert _texts(filled, since=at("2026-10-20 20:00"), until=at("2026-10-23 00:00")) == [
        "Khu du lịch ",
        "Dong Nai nga",
    ]
    assert _texts(filled, text="ngap", platforms=["youtube"]) == []


def test_pagination_and_sort(filled: DocumentStore) -> None:
    first = filled.search(SearchRequest(limit=2, offset=0, sort=SortOrder.OLDEST))
    second = filled.search(SearchRequest(limit=2, offset=2, sort=SortOrder.OLDEST))
    beyond = filled.search(SearchRequest(limit=2, offset=4))
    assert first.total == second.total == beyond.total == 4
    ordered = [i.document.published_at for i in first.items + second.items]
    assert ordered == sorted(ordered)
    assert beyond.items == []


def test_counts_by_field_and_local_day(filled: DocumentStore) -> None:
    assert filled.count_by_field(DocumentFilter(), CountField.SENTIMENT) == {"negative": 2, "neutral": 1, "positive": 1}
    assert filled.count_by_field(DocumentFilter(), CountField.TOPIC) == {
        "environment_disasters": 2,
        "tourism": 1,
        "infrastructure_transport": 1,
        "investment_economy": 1,
    }
    assert filled.count_by_field(DocumentFilter(text="ngap"), CountField.PLATFORM) == {"facebook": 2}
    days = filled.count_by_time(DocumentFilter(), 86_400, tz_offset_seconds=7 * 3600)
    assert [(b.start.astimezone(VN).isoformat(), b.count) for b in days] == [
        ("2026-10-20T00:00:00+07:00", 2),
        ("2026-10-22T00:00:00+07:00", 1),
        ("2026-11-25T00:00:00+07:00", 1),
    ]
    hours = filled.count_by_time(DocumentFilter(sentiments=(SentimentLabel.NEGATIVE,)), 6 * 3600, 7 * 3600)
    assert [(b.start.astimezone(VN).hour, b.count) for b in hours] == [(18, 2)]


def test_get_missing_get_many_and_delete(filled: DocumentStore) -> None:
    with pytest.raises(NotFoundError):
        filled.get("no-such-id")
    page = filled.search(SearchRequest(limit=4, sort=SortOrder.OLDEST))
    ids = [item.doc_id for item in page.items]
    assert [i.doc_id for i in filled.get_many([ids[2], "nope", ids[0]])] == [ids[2], ids[0]]
    assert filled.delete([ids[0], "no-such-id"]) == 1
    assert filled.count(DocumentFilter()) == 3
    assert filled.get_many([ids[0]]) == []
    assert _texts(filled, text="pham van thuan") == []


def test_significant_words_find_what_a_burst_is_about(store: DocumentStore) -> None:
    background = [
        analyzed(
            f"Hôm nay {topic} ở Đồng Nai, nhà nào cũng bị gây chú ý",
            post_id=f"b{i}",
            published=at("2026-10-01 08:00") + timedelta(hours=i),
        )
        for i, topic in enumerate(["giao thông", "thời tiết", "học sinh", "chợ", "lễ hội"] * 6)
    ]
    burst = [
        analyzed(
            f"Triều cường gây ngập ở Đồng Nai, nhà {i} bị ngập",
            post_id=f"f{i}",
            published=at("2026-10-20 18:00") + timedelta(minutes=i),
        )
        for i in range(8)
    ]
    store.upsert(background + burst)
    words = store.significant_words(DocumentFilter(since=at("2026-10-20 00:00")), size=5)
    assert {w.word for w in words[:3]} == {"ngap", "trieu", "cuong"}
    assert "dong" not in {w.word for w in words}  # everywhere, so not significant
    ngap = next(w for w in words if w.word == "ngap")
    assert (ngap.foreground_count, ngap.background_count) == (8, 8)
    # Background counts follow edits and deletes.
    store.delete([burst[0].doc_id])
    store.upsert([analyzed("Triều cường đã rút", post_id="f1", published=burst[1].document.published_at)])
    again = {w.word: w for w in store.significant_words(DocumentFilter(since=at("2026-10-20 00:00")), size=10)}
    assert (again["trieu"].foreground_count, again["trieu"].background_count) == (7, 7)
    assert (again["ngap"].foreground_count, again["ngap"].background_count) == (6, 6)


def test_invalid_query_is_rejected_before_reaching_the_backend() -> None:
    with pytest.raises(QueryError):
        DocumentFilter(text='"unterminated')


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    with fresh_store("sqlite", tmp_path) as opened:
        assert isinstance(opened, SqliteDocumentStore)
        assert opened.db.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_story_filters_and_counts(store: DocumentStore) -> None:
    store.upsert(
        [
            analyzed("Bài gốc về ngập", post_id="s1", published=at("2026-10-20 19:00"), story_id="story-a"),
            analyzed("Bản sao về ngập", post_id="s2", published=at("2026-10-20 20:00"), story_id="story-a"),
            analyzed("Chuyện khác", post_id="s3", published=at("2026-10-21 08:00"), story_id="story-b"),
        ]
    )
    assert store.count(DocumentFilter(story_ids=("story-a",))) == 2
    assert len(_texts(store, text="story:story-a ngập")) == 2
    assert store.count_by_field(DocumentFilter(), CountField.STORY) == {"story-a": 2, "story-b": 1}
