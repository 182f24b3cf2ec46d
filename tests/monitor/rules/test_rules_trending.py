"""``trending_story``: a story cluster gaining members fast, from several sources; one alert per story."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.analysis import AnalyzedDocument
from monitor.rules.specs import TrendingStoryRuleSpec
from tests.factories import analyzed, at
from tests.monitor.rules.test_rules import Harness

RUMOUR = "Nghe nói cao tốc Biên Hòa – Vũng Tàu sẽ thu phí 5.000 đồng/km từ tháng sau, chia sẻ cho mọi người biết"


def _rule(**overrides: object) -> TrendingStoryRuleSpec:
    values: dict[str, object] = {"id": "trending", "window": "6h", "min_new_members": 5, "min_sources": 2}
    values.update(overrides)
    return TrendingStoryRuleSpec.model_validate(values)


def _story(story_id: str, sources: list[str], start: str, prefix: str) -> list[AnalyzedDocument]:
    """One member per entry of ``sources``, five minutes apart."""
    return [
        analyzed(
            f"{RUMOUR} #{prefix}{i}",
            post_id=f"{prefix}{i}",
            published=at(start) + timedelta(minutes=5 * i),
            source_id=source,
            story_id=story_id,
        )
        for i, source in enumerate(sources)
    ]


def test_story_spreading_across_sources_fires_once_and_grows(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule()])
    spreading = _story(
        "story-cao-toc", ["fb-page-a", "fb-page-b", "forum", "fb-page-a", "telegram", "forum"], "2026-11-10 08:00", "s"
    )
    h.ingest(spreading)
    [alert] = h.all_alerts()
    assert alert.key == "story:story-cao-toc"
    assert alert.details["new_members"] == 6
    assert alert.details["sources"] == {"fb-page-a": 2, "fb-page-b": 1, "forum": 2, "telegram": 1}
    assert alert.details["story_size"] == 6
    assert set(alert.doc_ids) == {item.doc_id for item in spreading}
    # The next window it keeps spreading in adds to the same alert.
    later = _story(
        "story-cao-toc", ["zalo-group", "fb-page-c", "forum", "fb-page-b", "telegram"], "2026-11-10 14:10", "t"
    )
    h.ingest(later)
    [grown] = h.all_alerts()
    assert grown.alert_id == alert.alert_id
    assert grown.doc_count == 11
    assert grown.details["story_size"] == 11
    assert grown.details["new_members"] == 5


def test_story_quiet_from_one_source_too_few_members_or_spread_out(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_rule()])
    one_source = _story("one-page", ["fb-page-a"] * 8, "2026-11-10 08:00", "a")  # one page reposting itself
    small = _story("small", ["fb-page-a", "forum", "telegram", "fb-page-b"], "2026-11-10 08:00", "b")  # 4 < 5
    slow = [  # six members over six windows: one a window
        analyzed(
            f"{RUMOUR} #c{i}",
            post_id=f"c{i}",
            published=at("2026-11-11 01:00") + timedelta(hours=6 * i),
            source_id=f"src-{i}",
            story_id="slow",
        )
        for i in range(6)
    ]
    unclustered = [  # documents without a story are not one story
        analyzed(f"{RUMOUR} #d{i}", post_id=f"d{i}", published=at("2026-11-12 09:00"), source_id=f"src-{i}")
        for i in range(6)
    ]
    h.ingest(one_source + small + slow + unclustered)
    assert h.all_alerts() == []
