from __future__ import annotations

from monitor.ingestion.health import CycleCounts
from monitor.ingestion.scheduling import FAILURE_CAP_SECONDS, Cadence


def test_busy_sources_are_polled_faster_and_quiet_ones_slower() -> None:
    cadence = Cadence(base=300)
    busy = CycleCounts(inserted=12)
    assert cadence.next_interval(busy, 0) == 150
    assert cadence.next_interval(busy, 0) == 75
    assert cadence.next_interval(busy, 0) == 75  # never faster than a quarter of the interval
    quiet = CycleCounts(not_modified=True)
    intervals = [cadence.next_interval(quiet, 0) for _ in range(8)]
    assert intervals[0] == 112.5
    assert intervals == sorted(intervals)
    assert intervals[-1] == 1200  # never slower than four times the interval


def test_failing_sources_back_off_and_recover() -> None:
    cadence = Cadence(base=300)
    assert [cadence.next_interval(CycleCounts(errors=1), n) for n in (1, 2, 3)] == [600, 1200, 2400]
    assert cadence.next_interval(CycleCounts(errors=1), 20) == FAILURE_CAP_SECONDS
    assert cadence.next_interval(CycleCounts(inserted=3), 0) == 150  # back to its pace at the first success


def test_items_per_day_averages_the_last_week() -> None:
    from datetime import UTC, datetime, timedelta

    from monitor.ingestion.health import SourceHealth

    today = datetime.now(UTC).date()
    days = {(today - timedelta(days=n)).isoformat(): 10 for n in range(10)}  # ten days of 10 a day
    assert SourceHealth(source_id="s", daily_items=days).items_per_day == 10.0
    assert SourceHealth(source_id="s", daily_items={today.isoformat(): 40}).items_per_day == 40.0
    two_days = {(today - timedelta(days=1)).isoformat(): 30, today.isoformat(): 10}
    assert SourceHealth(source_id="s", daily_items=two_days).items_per_day == 20.0
    assert SourceHealth(source_id="s").items_per_day == 0.0
