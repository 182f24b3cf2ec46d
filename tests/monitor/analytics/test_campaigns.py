"""Campaign tracking on the example campaign of configs/campaigns.yaml (sample corpus)."""

from __future__ import annotations

from monitor.analytics.campaigns import campaign_report, load_campaigns
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from tests.conftest import CONFIGS


def test_example_campaign_before_during_after(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    campaign = load_campaigns(CONFIGS)["le-hoi-du-lich-2026"]
    report = campaign_report(monitor.store, campaign, monitor.settings.zone)
    assert [p.phase for p in report.phases] == ["before", "during", "after"]
    assert {p.period.length.days for p in report.phases} == {14}
    assert report.before.period.until == report.during.period.since
    during = report.during
    assert during.documents == during.official + during.reactions > 0
    assert during.official >= 1  # the provincial portal's opening announcement
    assert sum(during.reaction_sentiment.values()) == during.reactions
    assert 0 < during.share_of_voice < 1
