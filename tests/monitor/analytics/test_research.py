"""The research API's DataFrames against the store, on the sample corpus."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from monitor.access.privacy import Pseudonymizer
from monitor.analytics.research import COLUMNS, Research, iter_documents
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.store.base import CountField, DocumentFilter, SearchRequest


@pytest.fixture(scope="module")
def research(sample_run: tuple[Monitor, CycleReport]) -> Research:
    monitor, _ = sample_run
    return Research.from_parts(monitor.settings, monitor.store)


@pytest.fixture(scope="module")
def everything(research: Research) -> pd.DataFrame:
    return research.documents(limit=None)


def _real_authors(monitor: Monitor) -> set[str]:
    page = monitor.store.search(SearchRequest(limit=500))
    return {item.document.author for item in page.items if item.document.author}


def test_documents_have_the_columns_and_one_row_per_stored_document(
    research: Research, everything: pd.DataFrame, sample_run: tuple[Monitor, CycleReport]
) -> None:
    monitor, _ = sample_run
    assert list(everything.columns) == list(COLUMNS)
    assert len(everything) == monitor.store.count(DocumentFilter()) == 204
    assert everything["doc_id"].is_unique
    assert everything["published_at"].is_monotonic_increasing
    stored = monitor.store.get(everything["doc_id"].iloc[0])
    first = everything.iloc[0]
    assert first["text"] == stored.document.text or "@anon-" in first["text"]
    assert first["sentiment"] == stored.analysis.sentiment.label.value
    assert first["misinformation"] == stored.analysis.misinformation.score
    assert first["story_id"] == stored.analysis.story_id


def test_times_are_tz_aware_in_the_local_zone(everything: pd.DataFrame) -> None:
    assert str(everything["published_at"].dt.tz) == "Asia/Ho_Chi_Minh"
    first = everything["published_at"].iloc[0].to_pydatetime()
    assert first.utcoffset().total_seconds() == 7 * 3600
    # The corpus starts at 2026-10-01 08:30 local time (01:30 UTC).
    assert first.astimezone(UTC) == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)


def test_authors_are_pseudonymized_and_stable(
    research: Research, everything: pd.DataFrame, sample_run: tuple[Monitor, CycleReport]
) -> None:
    monitor, _ = sample_run
    real = _real_authors(monitor)
    assert real
    authors = set(everything["author"].dropna())
    public = {name for name in real if research.privacy.is_public(name)}  # institutions keep their names
    assert public == {"Ban Biên tập Cổng TTĐT", "Hội buôn bán Biên Hòa", "Hội đầu tư BĐS Long Thành"}
    assert all(author.startswith("anon-") for author in authors - public)
    assert not authors & (real - public)
    pseudonyms = Pseudonymizer.for_data_dir(monitor.settings.data_dir)
    assert authors == {pseudonyms.pseudonym(name) for name in real - public} | public
    real -= public
    again = research.documents(limit=None)
    assert again["author"].tolist() == everything["author"].tolist()
    # No real name left in any text column: @mentions and channels named after their author are replaced too.
    for column in ("title", "text", "channel", "url"):
        values = " ".join(everything[column].dropna())
        assert not [name for name in real if f"@{name}" in values or name in set(everything[column].dropna())]
    assert everything.loc[everything["platform"] != "news", "url"].isna().all()


def test_mentions_get_the_mentioned_authors_pseudonym(everything: pd.DataFrame) -> None:
    reply = everything[everything["text"].str.contains("chị gỡ bài giúp em")].iloc[0]
    rumour = everything[everything["text"].str.contains("CHIA SẺ GẤP")]
    assert f"@{rumour['author'].iloc[0]} chị gỡ bài" in reply["text"] or "@anon-" in reply["text"]


def test_filters_and_limit(research: Research, sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    since = datetime(2026, 11, 3, 19, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    frame = research.documents("nước máy", since=since, until="2026-11-05", platforms=["facebook"])
    expected = monitor.store.count(
        DocumentFilter(
            text="nước máy", since=since, until=datetime(2026, 11, 4, 17, tzinfo=UTC), platforms=("facebook",)
        )
    )
    assert len(frame) == expected > 0
    assert set(frame["platform"]) == {"facebook"}
    assert len(research.documents(limit=7)) == 7


def test_paging_by_keyset_returns_everything_once(research: Research, everything: pd.DataFrame) -> None:
    pages = list(iter_documents(research.store, DocumentFilter(), page_size=7))
    assert all(len(page) <= 7 for page in pages)
    ids = [item.doc_id for page in pages for item in page]
    assert ids == everything["doc_id"].tolist()


def test_counts_equal_the_store(research: Research, sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    for field in (CountField.SOURCE, CountField.PLATFORM, CountField.SENTIMENT, CountField.TOPIC):
        frame = research.counts(field)
        assert dict(zip(frame[field.value], frame["count"], strict=True)) == monitor.store.count_by_field(
            DocumentFilter(), field
        )
    assert research.count(platforms=["news"]) == 68


def test_over_time_fills_empty_buckets_and_splits(research: Research) -> None:
    daily = research.over_time("1d")
    assert daily["count"].sum() == 204
    assert str(daily.index.tz) == "Asia/Ho_Chi_Minh"
    assert (daily.index.hour == 0).all()
    assert (pd.Series(daily.index).diff().dropna() == pd.Timedelta(days=1)).all()
    by_sentiment = research.over_time("1d", by="sentiment")
    assert set(by_sentiment.columns) == {"positive", "negative", "neutral"}
    assert by_sentiment.to_numpy().sum() == 204
    # The flooding burst of 2026-10-20 evening is negative.
    assert by_sentiment.loc["2026-10-20", "negative"] >= 10


def test_stories_and_story(research: Research, everything: pd.DataFrame) -> None:
    all_stories = research.stories(min_size=1)
    assert all_stories["size"].sum() == 204
    assert list(all_stories.columns) == [
        "story_id",
        "size",
        "first_published",
        "last_published",
        "sources",
        "platforms",
    ]
    assert (all_stories["first_published"] <= all_stories["last_published"]).all()
    assert research.stories(min_size=2)["size"].ge(2).all()
    story_id = all_stories["story_id"].iloc[0]
    members = research.story(story_id)
    assert len(members) == all_stories["size"].iloc[0]
    assert set(members["story_id"]) == {story_id}
    assert research.story("no-such-story").empty
