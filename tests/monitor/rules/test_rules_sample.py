"""The shipped example rules of the new types on the bundled sample corpus (configs/samples/README.md).

The corpus has two events worth an alert (the flood night of 20 October, the tap-water rumour of 3
November), no syndicated story (every text is written once) and no broken source.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from monitor.alerting.types import AlertQuery
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.rules.backtest import backtest

VN = timezone(timedelta(hours=7))
CORPUS = (datetime(2026, 10, 1, tzinfo=VN), datetime(2026, 11, 21, tzinfo=VN))


def _windows(monitor: Monitor, rule_id: str) -> list[datetime]:
    alerts = monitor.alerts.search(AlertQuery(rule_ids=(rule_id,), limit=500))[1]
    return sorted(datetime.fromisoformat(a.details["window_start"]).astimezone(VN) for a in alerts)


def test_volume_rules_fire_on_the_two_events_only(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    flood_evening = datetime(2026, 10, 20, 18, tzinfo=VN)
    rumour_evening = datetime(2026, 11, 3, 18, tzinfo=VN)
    assert _windows(monitor, "flood-volume") == [flood_evening]
    assert _windows(monitor, "tap-water-volume") == [rumour_evening]
    assert _windows(monitor, "tap-water-negative-share") == [rumour_evening]


def test_trending_and_silence_rules_stay_quiet_on_the_corpus(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    quiet = {"trending-story", "silence-news", "silence-social", "procedures-weekday-spike"}
    assert monitor.alerts.search(AlertQuery(rule_ids=tuple(quiet)))[0] == 0
    # Also as of every hour of the corpus period and the week after it (what the schedule would have seen).
    for rule in (r for r in monitor.rules if r.id in quiet):
        assert backtest(rule, monitor.store, CORPUS[0], CORPUS[1] + timedelta(days=7), 7 * 3600) == []
