"""Alert summaries are read by people (mailed, posted to Telegram, shown in the console): their times are
the office's local time, day first, never the UTC of the stored data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from monitor.alerting.types import AlertQuery
from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.rules.base import RuleContext

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LOCAL_MOMENT = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b")


def test_a_moment_is_written_in_the_offices_zone(monitor: Monitor) -> None:
    context = RuleContext(monitor.store, tz_offset_seconds=7 * 3600)
    assert context.local_text(datetime(2026, 11, 30, 17, 5, tzinfo=UTC)) == "01/12/2026 00:05"


def test_the_sample_corpus_alerts_say_their_times_in_local_time(sample_run: tuple[Monitor, CycleReport]) -> None:
    monitor, _ = sample_run
    _, alerts = monitor.alerts.search(AlertQuery(limit=500, include_silenced=True))
    timed = [alert for alert in alerts if LOCAL_MOMENT.search(alert.summary)]
    assert {alert.rule_type for alert in timed} >= {"spike", "watch"}  # the rules whose summaries carry a time
    assert [alert.summary for alert in alerts if ISO_MOMENT.search(alert.summary)] == []
