"""``threshold`` and ``negative_share``: counts and shares of one window, firing and quiet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.analysis import SentimentLabel
from monitor.records import Platform
from monitor.rules.specs import NegativeShareRuleSpec, ThresholdRuleSpec
from tests.factories import at
from tests.monitor.rules.test_rules import Harness, posts

TAP_WATER = '"nước máy" OR "nhà máy nước"'


def _threshold(**overrides: object) -> ThresholdRuleSpec:
    values: dict[str, object] = {"id": "tap-water-volume", "query": TAP_WATER, "window": "6h", "min_count": 10}
    values.update(overrides)
    return ThresholdRuleSpec.model_validate(values)


def _share(**overrides: object) -> NegativeShareRuleSpec:
    values: dict[str, object] = {
        "id": "tap-water-share",
        "query": TAP_WATER,
        "window": "6h",
        "min_share": 0.6,
        "min_count": 8,
    }
    values.update(overrides)
    return NegativeShareRuleSpec.model_validate(values)


def test_threshold_fires_once_per_busy_window_and_lists_its_documents(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_threshold()])
    first = posts(10, at("2026-11-03 18:05"), "a")  # 18:05 .. 19:35, window 18:00-24:00
    unrelated = posts(5, at("2026-11-03 19:00"), "u", text="Lễ hội du lịch Đồng Nai rất vui")
    h.ingest(first + unrelated)
    [alert] = h.all_alerts()
    assert alert.key == f"window:{at('2026-11-03 18:00').astimezone(UTC).isoformat()}"
    assert alert.details["count"] == 10
    assert alert.details["min_count"] == 10
    assert set(alert.doc_ids) == {item.doc_id for item in first}
    assert alert.event_start == at("2026-11-03 18:05")
    assert alert.event_end == at("2026-11-03 19:35")
    # More documents in the same window join the same alert; a second busy window gets its own.
    h.ingest(
        posts(2, at("2026-11-03 21:00"), "b") + posts(10, at("2026-11-04 06:30"), "c", text="Nhà máy nước tạm dừng")
    )
    alerts = {a.key: a for a in h.all_alerts()}
    assert len(alerts) == 2
    assert alerts[alert.key].doc_count == 12


def test_threshold_stays_quiet_below_the_count_or_when_split_across_windows(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_threshold()])
    h.ingest(posts(9, at("2026-11-03 18:05"), "a"))  # one short
    h.ingest(posts(6, at("2026-11-04 04:00"), "b", spacing_minutes=30))  # 04:00..06:30: 4 + 2 over two windows
    assert h.all_alerts() == []


def test_threshold_filters_by_platform_and_sentiment(tmp_path: Path) -> None:
    rule = _threshold(platforms=["facebook"], sentiments=["negative"], min_count=5)
    h = Harness(tmp_path, [rule])
    h.ingest(
        posts(5, at("2026-11-03 18:05"), "yt", platform=Platform.YOUTUBE, sentiment=SentimentLabel.NEGATIVE)
        + posts(5, at("2026-11-03 18:05"), "calm", sentiment=SentimentLabel.NEUTRAL)
    )
    assert h.all_alerts() == []
    h.ingest(posts(5, at("2026-11-03 20:00"), "fb", sentiment=SentimentLabel.NEGATIVE))
    [alert] = h.all_alerts()
    assert alert.doc_count == 5
    assert alert.details["filter"]["platforms"] == ["facebook"]


def test_negative_share_fires_with_the_share_and_the_negative_documents(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_share()])
    negative = posts(
        7, at("2026-11-03 18:10"), "n", text="Nước máy bị nhiễm độc, dân hoang mang", sentiment=SentimentLabel.NEGATIVE
    )
    calm = posts(3, at("2026-11-03 19:30"), "c", text="Nhà máy nước vẫn cấp nước bình thường")
    h.ingest(negative + calm)
    [alert] = h.all_alerts()
    assert alert.details["total"] == 10
    assert alert.details["negative"] == 7
    assert alert.details["share"] == 0.7
    assert set(alert.doc_ids) == {item.doc_id for item in negative}
    assert "70%" in alert.title


def test_negative_share_stays_quiet_on_low_volume_or_a_low_share(tmp_path: Path) -> None:
    low_volume = Harness(tmp_path / "low", [_share()])
    low_volume.ingest(posts(3, at("2026-11-03 18:10"), "n", sentiment=SentimentLabel.NEGATIVE))  # 100% of 3
    assert low_volume.all_alerts() == []

    mixed = Harness(tmp_path / "mixed", [_share()])
    mixed.ingest(
        posts(4, at("2026-11-03 18:10"), "n", sentiment=SentimentLabel.NEGATIVE)
        + posts(6, at("2026-11-03 18:15"), "p", text="Nước máy trong và sạch", sentiment=SentimentLabel.POSITIVE)
    )
    assert mixed.all_alerts() == []  # 40% < 60%


def test_negative_share_window_is_reevaluated_when_neutral_documents_arrive(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_share()])
    h.ingest(posts(6, at("2026-11-03 18:10"), "n", sentiment=SentimentLabel.NEGATIVE))  # 6 < min_count
    assert h.all_alerts() == []
    # Neutral posts do not match a negative filter, yet they complete the target's volume: 6/9 = 67%.
    h.ingest(posts(3, at("2026-11-03 20:00"), "c", text="Hỏi: nước máy hôm nay thế nào?"))
    [alert] = h.all_alerts()
    assert (alert.details["negative"], alert.details["total"]) == (6, 9)


def test_windowed_rules_count_whole_windows_on_the_schedule(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_threshold(min_count=3)])
    h.store.upsert(posts(3, at("2026-11-03 18:10"), "late"))  # stored without going through the rules
    [alert] = h.engine.evaluate_windows(at("2026-11-03 23:00"))
    assert alert.details["count"] == 3
    assert datetime.fromisoformat(alert.details["window_end"]) - datetime.fromisoformat(
        alert.details["window_start"]
    ) == timedelta(hours=6)
