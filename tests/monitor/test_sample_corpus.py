"""The bundled sample corpus through the whole pipeline: the stories an office must catch are caught.

The id lists come from the JSON block at the end of configs/samples/README.md, which names the items
of each story.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerting.types import Alert, AlertQuery
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport, crawl_cycle
from monitor.records import Platform, doc_id_for_post
from monitor.store.base import DocumentFilter, SearchRequest
from tests.conftest import CONFIGS, crawl

VN = timezone(timedelta(hours=7))
CLAIM_ID = "thien-tan-tap-water-poisoned"


def _stories() -> dict[str, list[str]]:
    readme = (CONFIGS / "samples" / "README.md").read_text(encoding="utf-8")
    block = readme[readme.rindex("```json") + len("```json") : readme.rindex("```")]
    stories: dict[str, list[str]] = json.loads(block)
    return stories


STORIES = _stories()
PLATFORM_PREFIXES = {"fb": Platform.FACEBOOK, "forum": Platform.FORUM, "yt": Platform.YOUTUBE, "tg": Platform.TELEGRAM}


def _doc_id(item_id: str) -> str:
    if item_id.startswith("http"):
        from crawlers.urls import canonical_url
        from monitor.records import doc_id_for_url

        return doc_id_for_url(canonical_url(item_id))
    return doc_id_for_post(PLATFORM_PREFIXES[item_id.split("_", maxsplit=1)[0]], item_id)


def _items(monitor: Monitor, *groups: str) -> list[AnalyzedDocument]:
    ids = [_doc_id(item_id) for group in groups for item_id in STORIES[group]]
    found = monitor.store.get_many(ids)
    assert len(found) == len(ids), "every listed sample item is stored"
    return found


def _alerts(monitor: Monitor, rule_id: str) -> list[Alert]:
    return monitor.alerts.search(AlertQuery(rule_ids=(rule_id,), limit=500))[1]


def test_whole_corpus_is_ingested_without_problems(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, report = sample_run
    assert report.failed_sources == []
    assert sum(o.counts.errors + o.counts.warnings for o in report.outcomes) == 0
    assert monitor.store.count(DocumentFilter()) == 204
    assert monitor.store.count(DocumentFilter(platforms=(Platform.NEWS,))) == 68
    languages = {item.document.lang for item in monitor.store.search(SearchRequest(limit=500)).items}
    assert languages == {"vi"}


def test_false_claim_repeats_are_flagged_and_grouped_in_one_alert(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    repeats = _items(monitor, "story_a_repeats", "story_a_late_repeats")
    flagged = [i for i in repeats if CLAIM_ID in i.analysis.misinformation.claim_ids]
    assert len(flagged) >= len(repeats) - 2  # the baseline may miss a reply that never names the plant
    [alert] = [a for a in _alerts(monitor, "misinfo-high") if a.key == f"claim:{CLAIM_ID}"]
    repeat_ids = {i.doc_id for i in repeats}
    assert set(alert.doc_ids) <= repeat_ids  # every document in the alert is a real repeat
    assert alert.doc_count == len(flagged)
    assert any(reason["kind"] == "claim_match" for reason in alert.details["reasons"])
    late = _items(monitor, "story_a_late_repeats")
    assert all(i.doc_id in alert.doc_ids for i in late)  # repeats after the correction are still caught


def test_corrections_citations_and_criticism_are_not_misinformation(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    innocent = _items(
        monitor,
        "story_a_correction_links",
        "story_a_citations",
        "story_a_skeptical_replies",
        "story_b_burst",
        "story_b_news_links",
        "story_d_negative_social",
        "hard_negative_news_links",
        "hard_negative_social",
        "story_c_social",
    )
    over = [
        (i.document.url, i.analysis.misinformation.score) for i in innocent if i.analysis.misinformation.score >= 0.6
    ]
    assert over == []
    alerted = {doc_id for alert in _alerts(monitor, "misinfo-high") for doc_id in alert.doc_ids}
    assert alerted.isdisjoint({i.doc_id for i in innocent})


def test_flood_night_fires_the_negative_spike(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    burst = _items(monitor, "story_b_burst")
    negative = [i for i in burst if i.analysis.sentiment.label is SentimentLabel.NEGATIVE]
    assert len(negative) >= 0.9 * len(burst)
    spikes = {
        datetime.fromisoformat(a.details["window_start"]).astimezone(VN): a for a in _alerts(monitor, "negative-spike")
    }
    flood_window = datetime(2026, 10, 20, 18, 0, tzinfo=VN)
    assert flood_window in spikes
    flood = spikes[flood_window]
    assert flood.details["count"] >= 20
    assert flood.details["baseline_mean"] < 1.0
    assert set(flood.doc_ids) <= {i.doc_id for i in burst}
    # Quiet weeks stay quiet: spikes only on the flood night and the evening the rumour spread.
    assert {start.date().isoformat() for start in spikes} <= {"2026-10-20", "2026-10-21", "2026-11-03", "2026-11-04"}


def test_positive_coverage_reads_positive(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    social = _items(monitor, "story_c_social")
    assert sum(i.analysis.sentiment.label is SentimentLabel.POSITIVE for i in social) >= 0.8 * len(social)
    news = _items(monitor, "story_c_news_links")
    assert sum(
        "tourism" in i.analysis.topics.labels or "investment_economy" in i.analysis.topics.labels for i in news
    ) >= 0.8 * len(news)


@pytest.mark.parametrize(
    ("with_marks", "without_marks"), [("Thiện Tân", "thien tan"), ("Đồng Nai", "dong nai"), ("ngập", "ngap")]
)
def test_search_finds_the_same_with_and_without_diacritics(
    sample_run: tuple[Monitor, CycleReport], with_marks: str, without_marks: str
) -> None:
    monitor, _ = sample_run
    marked = monitor.store.count(DocumentFilter(text=with_marks))
    assert marked > 0
    assert marked == monitor.store.count(DocumentFilter(text=without_marks))


def test_reprocessing_the_corpus_changes_nothing(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    before = monitor.alerts.search(AlertQuery(limit=500))
    for source in monitor.sources:
        source.rewind()  # read every file again, as after a restart
    import asyncio

    again = asyncio.run(crawl_cycle(monitor))
    assert again.inserted == 0
    assert sum(o.counts.unchanged for o in again.outcomes) == 204
    after = monitor.alerts.search(AlertQuery(limit=500))
    assert after[0] == before[0]
    assert [a.doc_count for a in after[1]] == [a.doc_count for a in before[1]]
    assert crawl(monitor).inserted == 0


# The tone the annotation guide (docs/annotation-guide.md) gives each story's items, as the shipped
# models must read them: a rumour is alarming (negative); the official correction and the posts relaying
# it are neutral information, not negative; complaints are negative; tourism and investment praise is
# positive. The sample corpus was written before the shipped models and none of its texts is in the open
# corpus they are trained on, so this is a test on unseen text: one item in ten (rounded up) may be read otherwise.
GUIDE_TONE = [
    ("story_a_repeats", SentimentLabel.NEGATIVE),
    ("story_a_late_repeats", SentimentLabel.NEGATIVE),
    ("story_a_correction_links", SentimentLabel.NEUTRAL),
    ("story_a_citations", SentimentLabel.NEUTRAL),
    ("story_b_burst", SentimentLabel.NEGATIVE),
    ("story_d_negative_social", SentimentLabel.NEGATIVE),
    ("story_c_social", SentimentLabel.POSITIVE),
    ("story_c_news_links", SentimentLabel.POSITIVE),
]


@pytest.mark.parametrize(("group", "tone"), GUIDE_TONE)
def test_the_shipped_models_read_each_story_as_the_guide_says(
    sample_run: tuple[Monitor, CycleReport], group: str, tone: SentimentLabel
) -> None:
    monitor, _ = sample_run
    items = _items(monitor, group)
    assert {i.analysis.sentiment.model.name for i in items} == {"sentiment-vi-open"}
    wrong = [
        (i.document.content[:80], i.analysis.sentiment.label.value)
        for i in items
        if i.analysis.sentiment.label is not tone
    ]
    assert len(wrong) <= math.ceil(len(items) / 10), wrong


def test_every_shipped_score_says_why(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    rumour = _items(monitor, "story_a_repeats")[0].analysis
    assert rumour.sentiment.reasons, "a negative label names the phrases behind it"
    assert all(
        reason.kind == "phrase" and reason.ref in _items(monitor, "story_a_repeats")[0].document.content
        for reason in rumour.sentiment.reasons
    )
    tourism = [i.analysis for i in _items(monitor, "story_c_social")]
    topics = [topic for analysis in tourism for topic in analysis.topics.topics if topic.topic == "tourism"]
    assert topics
    assert all(topic.reasons for topic in topics)
