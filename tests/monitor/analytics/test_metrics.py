"""Metrics against figures counted by hand from configs/samples, on SQLite and on Elasticsearch."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.access.audit import SYSTEM
from monitor.analytics.metrics import (
    Period,
    engagement,
    misinformation,
    response_times,
    sentiment_index,
    source_coverage,
    target_shares,
    volume,
    watch_targets,
)
from monitor.analytics.research import iter_documents
from monitor.cases import CaseOpen, CaseState, open_cases
from monitor.context import Monitor
from monitor.db import Database
from monitor.ingestion.crawl import CycleReport
from monitor.store.base import DocumentFilter, DocumentStore
from tests.conftest import CONFIGS
from tests.stores import fresh_store

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLES = CONFIGS / "samples"
NEWS_SOURCES = {
    "baodongnai.xml": "sample-baodongnai",
    "vnexpress.xml": "sample-vnexpress",
    "tuoitre.xml": "sample-tuoitre",
    "dongnai-gov.xml": "sample-dongnai-gov",
}
WEEK = Period.of_days(date(2026, 11, 1), 7, ZONE)  # story A (tap-water rumour) falls in this week


def _items() -> list[dict[str, object]]:
    """Every sample item as {source, platform, published, likes...}, read straight from the files."""
    items: list[dict[str, object]] = []
    for name, source in NEWS_SOURCES.items():
        for item in ET.parse(SAMPLES / "news" / name).getroot().iter("item"):
            published = parsedate_to_datetime(item.findtext("pubDate") or "")
            items.append({"source": source, "platform": "news", "published": published})
    for path in sorted((SAMPLES / "social").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            post = json.loads(line)
            published = datetime.fromisoformat(post["published_at"])
            items.append({"source": "sample-social", "platform": post["platform"], "published": published, **post})
    return items


def _in(period: Period) -> list[dict[str, object]]:
    return [i for i in _items() if period.since <= i["published"] < period.until]  # type: ignore[operator]


@pytest.fixture(scope="module", params=["sqlite", "elasticsearch"])
def store(
    request: pytest.FixtureRequest, sample_run: tuple[Monitor, CycleReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DocumentStore]:
    """The analysed sample corpus: the sample run's SQLite store, or a copy of it in Elasticsearch."""
    monitor, _ = sample_run
    if request.param == "sqlite":
        yield monitor.store
        return
    url = request.getfixturevalue("elasticsearch_url")
    with fresh_store("elasticsearch", tmp_path_factory.mktemp("es-metrics"), url) as copy:
        for page in iter_documents(monitor.store, DocumentFilter()):
            copy.upsert(page)
        yield copy


def test_volume_by_source_and_platform(store: DocumentStore) -> None:
    expected = _in(WEEK)
    found = volume(store, WEEK.restrict(DocumentFilter()))
    assert found.total == len(expected) == 48
    assert found.by_source == dict(Counter(str(i["source"]) for i in expected))
    assert found.by_platform == dict(Counter(str(i["platform"]) for i in expected))
    assert sum(found.by_sentiment.values()) == found.total
    everything = volume(store, DocumentFilter())
    assert everything.total == 204
    assert everything.by_platform == {"news": 68, "facebook": 63, "forum": 25, "youtube": 23, "telegram": 25}


def test_engagement_totals_are_summed_over_every_page(store: DocumentStore) -> None:
    expected = _in(WEEK)
    found = engagement(store, WEEK.restrict(DocumentFilter()))
    for name in ("likes", "comments", "shares", "views"):
        values = [i.get(name) for i in expected if i.get(name) is not None]
        assert getattr(found, name) == sum(values)  # type: ignore[arg-type]
        assert found.reported[name] == len(values)
    # The whole corpus needs more than one page (204 > the page size used here is not needed: 500), so
    # check the total over everything as well.
    social = [i for i in _items() if i["platform"] != "news"]
    assert engagement(store, DocumentFilter()).likes == sum(int(i["likes"] or 0) for i in social)  # type: ignore[call-overload]


def test_daily_sentiment_index(store: DocumentStore) -> None:
    days = sentiment_index(store, WEEK.restrict(DocumentFilter()), ZONE)
    assert [d.day for d in days] == [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]
    per_day = Counter(i["published"].astimezone(ZONE).date() for i in _in(WEEK))  # type: ignore[attr-defined]
    assert {d.day: d.total for d in days} == {day: per_day.get(day, 0) for day in (d.day for d in days)}
    for day in days:
        assert day.index == ((day.positive - day.negative) / day.total if day.total else None)
    # Story B: every social item of the flood burst is a strongly negative complaint (README).
    burst = Period(
        since=datetime(2026, 10, 20, 18, tzinfo=ZONE).astimezone(UTC),
        until=datetime(2026, 10, 21, 6, tzinfo=ZONE).astimezone(UTC),
    )
    assert len(_in(burst)) == 28
    (night,) = [d for d in sentiment_index(store, burst.restrict(DocumentFilter()), ZONE) if d.day.day == 20]
    assert night.total == len([i for i in _in(burst) if i["published"].day == 20])  # type: ignore[attr-defined]


def test_share_of_voice_of_watch_targets(store: DocumentStore, sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    shares = {s.name: s for s in target_shares(store, WEEK.restrict(DocumentFilter()), watch_targets(monitor.rules))}
    assert set(shares) == {"watch-flooding", "watch-long-thanh-airport", "watch-tap-water"}
    assert all(s.total == 48 for s in shares.values())
    # The rumour week is dominated by tap water: story A's 18 repeats + 2 replies + 3 corrections, at least.
    assert shares["watch-tap-water"].count >= 23
    assert shares["watch-tap-water"].share == shares["watch-tap-water"].count / 48


def test_misinformation_and_coverage(store: DocumentStore, sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    found = misinformation(store, monitor.alerts, monitor.rules, WEEK.restrict(DocumentFilter()))
    assert found.threshold == 0.6
    assert found.total == 48
    # Only story A's repeats (18 in the spreading window, 3 late) may be scored as misinformation.
    assert 0 < found.documents <= 21
    assert [a.rule_id for a in found.alerts] == ["misinfo-high"]
    names = {s.spec.id: s.spec.label for s in monitor.sources}
    coverage = {
        row.source_id: row for row in source_coverage(store, monitor.health, names, WEEK.restrict(DocumentFilter()))
    }
    assert {k: v.documents for k, v in coverage.items()} == dict(Counter(str(i["source"]) for i in _in(WEEK)))
    assert all(row.status == "ok" and row.configured for row in coverage.values())


def test_response_times_from_service_records(tmp_path: Path, sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    clock = [datetime(2026, 11, 4, 8, tzinfo=UTC)]
    db = Database(tmp_path / "cases.sqlite3")
    cases = open_cases(
        db, config_dir=CONFIGS, data_dir=tmp_path, documents=monitor.store, archive=None, clock=lambda: clock[0]
    )
    opened = cases.store.open(CaseOpen(title="Tin đồn nước máy nhiễm độc"), SYSTEM)
    clock[0] += timedelta(hours=1)
    cases.store.transition(opened.case_id, CaseState.VERIFYING, SYSTEM)
    cases.store.transition(opened.case_id, CaseState.RESPONDING, SYSTEM)
    clock[0] += timedelta(hours=2)
    cases.store.transition(opened.case_id, CaseState.RESOLVED, SYSTEM)
    clock[0] = datetime(2026, 10, 1, tzinfo=UTC)  # before the week: not counted
    cases.store.open(CaseOpen(title="Cũ"), SYSTEM)
    found = response_times(cases, WEEK)
    assert found.opened == 1
    assert found.responded == 1
    assert found.median_verify_seconds == 3600
    assert found.median_respond_seconds == 3 * 3600
    db.close()
