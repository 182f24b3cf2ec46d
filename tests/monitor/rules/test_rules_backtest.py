"""``backtest``: what a rule would have fired over a past period, without recording anything."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.rules.backtest import backtest
from monitor.rules.specs import (
    NegativeShareRuleSpec,
    SourceSilenceRuleSpec,
    SpikeRuleSpec,
    ThresholdRuleSpec,
    TrendingStoryRuleSpec,
    WatchRuleSpec,
)
from tests.factories import analyzed, at
from tests.monitor.rules.test_rules import VN_OFFSET, Harness, posts

FLOOD = "Mưa lớn, đường Phạm Văn Thuận ngập sâu, xe chết máy hàng loạt"


def _flood_week() -> list[AnalyzedDocument]:
    """A quiet week of one complaint a day, then a flood evening."""
    return (
        posts(
            7, at("2026-10-13 10:00"), "quiet", text=FLOOD, spacing_minutes=24 * 60, sentiment=SentimentLabel.NEGATIVE
        )
        + posts(12, at("2026-10-20 18:10"), "flood", text=FLOOD, sentiment=SentimentLabel.NEGATIVE)
        + posts(3, at("2026-10-20 19:00"), "calm", text="Trời mưa nhẹ, ngập chút xíu thôi")
    )


def test_backtest_reports_windowed_alerts_and_records_nothing(tmp_path: Path) -> None:
    threshold = ThresholdRuleSpec(id="flood-volume", query="ngập", window=6 * 3600, min_count=10)
    h = Harness(tmp_path, [])
    h.store.upsert(_flood_week())  # stored without running any rule
    [candidate] = backtest(threshold, h.store, at("2026-10-14 00:00"), at("2026-10-21 00:00"), VN_OFFSET)
    assert candidate.details["count"] == 15
    assert candidate.event_start == at("2026-10-20 18:10")
    assert h.all_alerts() == []
    assert h.alerts.pending_windows() == []
    # A period that ends before the flood finds nothing.
    assert backtest(threshold, h.store, at("2026-10-14 00:00"), at("2026-10-20 12:00"), VN_OFFSET) == []


def test_backtest_matches_what_the_engine_records_live(tmp_path: Path) -> None:
    rules = [
        SpikeRuleSpec(id="neg", window=6 * 3600, min_count=8),
        NegativeShareRuleSpec(id="share", query="ngập", min_share=0.6, min_count=8),
        WatchRuleSpec(id="watch", query='"phạm văn thuận"'),
    ]
    live = Harness(tmp_path / "live", rules)
    dry = Harness(tmp_path / "dry", [])
    history = _flood_week()
    live.ingest(history)
    dry.store.upsert(history)
    recorded = {(a.rule_id, a.key): set(a.doc_ids) for a in live.all_alerts()}
    tested = {
        (rule.id, c.key): set(c.doc_ids)
        for rule in rules
        for c in backtest(rule, dry.store, at("2026-10-13 00:00"), at("2026-10-21 12:00"), VN_OFFSET)
    }
    assert tested == recorded
    assert {rule_id for rule_id, _ in tested} == {"neg", "share", "watch"}


def test_backtest_merges_one_key_across_windows_and_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.rules.backtest as backtest_module

    monkeypatch.setattr(backtest_module, "PAGE_SIZE", 4)  # several pages per day
    h = Harness(tmp_path, [])
    story = [
        analyzed(
            f"Tin đồn trạm thu phí mới #{i}",
            post_id=f"s{i}",
            published=at("2026-11-10 08:00") + timedelta(hours=3 * i),
            source_id=f"src-{i % 3}",
            story_id="toll",
        )
        for i in range(10)
    ]
    h.store.upsert(story)
    trending = TrendingStoryRuleSpec(id="trend", window=12 * 3600, min_new_members=3, min_sources=2)
    [grown] = backtest(trending, h.store, at("2026-11-10 00:00"), at("2026-11-12 00:00"), VN_OFFSET)
    assert grown.key == "story:toll"
    assert len(grown.doc_ids) == 8  # the two windows with three or more members, one alert
    watch = WatchRuleSpec(id="w", query="thu phí", group_window=86_400)
    [day] = backtest(watch, h.store, at("2026-11-10 00:00"), at("2026-11-11 00:00"), VN_OFFSET)
    # 08:00 on the 10th .. 11:00 on the 11th: consecutive daily windows are one watch episode, one alert
    assert len(day.doc_ids) == 10
    assert day.key == "window:2026-11-09T17:00:00+00:00"  # local midnight of the 10th


def test_backtest_finds_past_silences_and_works_for_disabled_rules(tmp_path: Path) -> None:
    h = Harness(tmp_path, [])
    h.store.upsert(
        [
            analyzed(
                f"Bản tin sáng {d}-{i}",
                post_id=f"a{d}-{i}",
                published=at("2026-10-01 07:00") + timedelta(days=d, hours=i),
                source_id="bao-a",
            )
            for d in range(20)
            if d not in (15, 16)  # 16 and 17 October: nothing
            for i in range(5)
        ]
    )
    rule = SourceSilenceRuleSpec(id="silence", gap=86_400, min_daily=3, enabled=False)
    [silence] = backtest(rule, h.store, at("2026-10-10 00:00"), at("2026-10-20 00:00"), VN_OFFSET)
    assert silence.event_start == at("2026-10-15 11:00")
    assert silence.details["median_daily"] == 5.0
    assert silence.details["health"] is None  # today's crawler state says nothing about the past


def test_backtest_rejects_empty_or_naive_periods(tmp_path: Path) -> None:
    h = Harness(tmp_path, [])
    rule = ThresholdRuleSpec(id="t", min_count=1)
    with pytest.raises(ValueError, match="empty period"):
        backtest(rule, h.store, at("2026-10-20 00:00"), at("2026-10-20 00:00"))
    with pytest.raises(ValueError, match="timezone-aware"):
        backtest(rule, h.store, at("2026-10-20 00:00").replace(tzinfo=None), at("2026-10-21 00:00"))
