"""The search page's charts: the result over time (by local day, stacked by sentiment) and by sentiment,
platform, source and topic, from the store's own counts (:meth:`DocumentStore.count_by_time` and
:meth:`DocumentStore.count_by_field`, as ``GET /documents/counts`` answers)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from api.console import charts, vocabulary
from monitor.analysis import SentimentLabel
from monitor.store.base import CountField, DocumentFilter, DocumentStore

DAY = 86_400
MAX_DAILY_COLUMNS = 92  # a longer span is drawn by week, so columns stay readable on a phone


def _offset_seconds(zone: tzinfo) -> int:
    offset = datetime.now(UTC).astimezone(zone).utcoffset()  # Asia/Ho_Chi_Minh has no daylight saving
    return int(offset.total_seconds()) if offset else 0


def over_time(store: DocumentStore, document_filter: DocumentFilter, zone: tzinfo) -> charts.Chart:
    """Columns per local day (per week over long spans), one series per sentiment."""
    offset = _offset_seconds(zone)
    labels = list(document_filter.sentiments or SentimentLabel)
    counts: dict[SentimentLabel, dict[date, int]] = {}
    first = last = None
    for interval in (DAY, 7 * DAY):
        counts = {}
        for label in labels:
            buckets = store.count_by_time(document_filter.model_copy(update={"sentiments": (label,)}), interval, offset)
            counts[label] = {bucket.start.astimezone(zone).date(): bucket.count for bucket in buckets}
        days = sorted({day for by_day in counts.values() for day in by_day})
        if not days:
            return charts.columns("Số bài theo ngày", [], [])
        first, last = days[0], days[-1]
        if (last - first).days <= MAX_DAILY_COLUMNS or interval != DAY:
            break
    assert first is not None
    assert last is not None
    step = timedelta(days=1 if (last - first).days <= MAX_DAILY_COLUMNS else 7)
    periods: list[date] = []
    moment = first
    while moment <= last:
        periods.append(moment)
        moment += step
    series = [
        charts.Series(vocabulary.label("sentiment", label), [counts[label].get(day, 0) for day in periods], label.value)
        for label in labels
    ]
    title = "Số bài theo ngày" if step.days == 1 else "Số bài theo tuần (ngày đầu tuần)"
    return charts.columns(title, [day.strftime("%d/%m") for day in periods], series)


def by_field(
    store: DocumentStore, document_filter: DocumentFilter, field: CountField, names: dict[str, str]
) -> charts.Chart:
    """Bars of the result's counts per value of ``field``, each value under its Vietnamese name."""
    titles = {
        CountField.SENTIMENT: "Theo sắc thái",
        CountField.PLATFORM: "Theo nền tảng",
        CountField.SOURCE: "Theo nguồn",
        CountField.TOPIC: "Theo chủ đề",
    }
    counts = store.count_by_field(document_filter, field)
    return charts.bars(titles[field], [(names.get(value, value), count) for value, count in counts.items()])


def search_charts(
    store: DocumentStore,
    document_filter: DocumentFilter,
    zone: tzinfo,
    source_names: dict[str, str],
    topic_names: dict[str, str],
) -> list[charts.Chart]:
    """Every chart of the search page, in the order shown."""
    sentiment_names = vocabulary.LABELS["sentiment"]
    platform_names = vocabulary.LABELS["platform"]
    return [
        over_time(store, document_filter, zone),
        by_field(store, document_filter, CountField.SENTIMENT, sentiment_names),
        by_field(store, document_filter, CountField.PLATFORM, platform_names),
        by_field(store, document_filter, CountField.SOURCE, source_names),
        by_field(store, document_filter, CountField.TOPIC, topic_names),
    ]
