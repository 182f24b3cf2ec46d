"""``source_silence``: a source that normally publishes every day has published nothing for too long.

Usually a broken crawler, a changed page layout or a blocked account, sometimes a real pause. Evaluated
on the schedule ("as of" a moment, seeing only documents published before it), because an absence of
documents touches no window. Event time is publication time, so a backtest over the past finds the
silences history had. The normal level is the median of documents per local day over the days before
the source's last document, so a long silence does not lower the level it is measured against; the
median (not the mean) keeps one busy day from making a trickle look like a steady flow.
"""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from pydantic import Field

from monitor.alerting.details import AlertDetails
from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument
from monitor.durations import format_duration
from monitor.rules.base import RuleContext, ScheduledEvaluator
from monitor.rules.specs import DAY_SECONDS, SourceSilenceRuleSpec
from monitor.rules.windows import window_start
from monitor.store.base import CountField, DocumentFilter, SearchRequest, SortOrder


class CrawlerHealth(AlertDetails):
    """What the crawler last reported for a silent source: tells a broken crawler from a quiet source."""

    status: str
    last_success_at: str | None
    last_error_at: str | None
    last_error: str | None


class SourceSilenceDetails(AlertDetails):
    """A ``source_silence`` alert: since when the source is silent, and how much it usually publishes."""

    source_id: str
    silent_since: str = Field(description="Publication time of the source's last document (ISO-8601).")
    alert_after: str
    gap: str
    baseline_days: int
    daily_counts: list[int] = Field(description="Documents per local day over the baseline days, oldest first.")
    median_daily: float
    min_daily: float
    last_doc_id: str
    health: CrawlerHealth | None = Field(description="Live evaluation only; None in backtests.")


class SourceSilenceEvaluator(ScheduledEvaluator):
    details_model = SourceSilenceDetails

    def __init__(self, rule: SourceSilenceRuleSpec, context: RuleContext) -> None:
        self.rule = rule
        self.context = context

    def evaluate_at(self, now: datetime) -> list[AlertCandidate]:
        candidates = []
        for source_id in self._sources(now):
            candidate = self._source(source_id, now)
            if candidate is not None:
                candidates.append(candidate)
        return candidates

    def _sources(self, now: datetime) -> list[str]:
        """The rule's sources, or every source that published during the lookback before ``now``."""
        if self.rule.sources:
            return list(self.rule.sources)
        since = now - timedelta(seconds=self.rule.gap) - timedelta(days=self.rule.baseline_days)
        seen = self.context.store.count_by_field(
            DocumentFilter(since=since, until=now, platforms=self.rule.platforms), CountField.SOURCE
        )
        return sorted(source for source in seen if source)

    def _last_document(self, source_id: str, now: datetime) -> AnalyzedDocument | None:
        page = self.context.store.search(
            SearchRequest(
                filter=DocumentFilter(sources=(source_id,), platforms=self.rule.platforms, until=now),
                limit=1,
                sort=SortOrder.NEWEST,
            )
        )
        return page.items[0] if page.items else None

    def daily_counts(self, source_id: str, before: datetime) -> list[int]:
        """Documents per local day for the ``baseline_days`` whole days before the day of ``before``."""
        tz = self.context.tz_offset_seconds
        until = window_start(before, DAY_SECONDS, tz)
        days = [until - timedelta(days=n) for n in range(self.rule.baseline_days, 0, -1)]
        buckets = self.context.store.count_by_time(
            DocumentFilter(sources=(source_id,), platforms=self.rule.platforms, since=days[0], until=until),
            DAY_SECONDS,
            tz,
        )
        by_day = {bucket.start: bucket.count for bucket in buckets}
        return [by_day.get(day, 0) for day in days]

    def _source(self, source_id: str, now: datetime) -> AlertCandidate | None:
        rule = self.rule
        last = self._last_document(source_id, now)
        if last is None:
            return None
        silent_since = last.document.published_at
        if now - silent_since <= timedelta(seconds=rule.gap):
            return None
        daily = self.daily_counts(source_id, silent_since)
        median = float(statistics.median(daily))
        if median < rule.min_daily:
            return None
        gap = format_duration(rule.gap)
        # Nothing here depends on ``now``: re-evaluating an ongoing silence every pass leaves the alert as is.
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=rule.severity,
            key=f"source:{source_id}:since:{silent_since.astimezone(UTC).isoformat()}",
            title=f"Nguồn '{source_id}' im lặng hơn {gap}",
            summary=(
                f"Nguồn {source_id} không có tài liệu mới nào sau {self.context.local_text(silent_since)} (quá {gap}), "
                f"trong khi trung vị {rule.baseline_days} ngày trước đó là {median:g} tài liệu/ngày "
                f"(ngưỡng {rule.min_daily:g}). Kiểm tra bộ thu thập hoặc trang nguồn."
            ),
            details=SourceSilenceDetails(
                source_id=source_id,
                silent_since=silent_since.isoformat(),
                alert_after=(silent_since + timedelta(seconds=rule.gap)).isoformat(),
                gap=gap,
                baseline_days=rule.baseline_days,
                daily_counts=daily,
                median_daily=median,
                min_daily=rule.min_daily,
                last_doc_id=last.doc_id,
                health=self._health(source_id),
            ),
            doc_ids=(last.doc_id,),
            event_start=silent_since,
            event_end=silent_since + timedelta(seconds=rule.gap),
        )

    def _health(self, source_id: str) -> CrawlerHealth | None:
        """What the crawler last reported for the source (live evaluation only): tells a broken crawler
        (failures, errors) from a source that is simply quiet (successful fetches, nothing new)."""
        if self.context.health is None:
            return None
        health = self.context.health.get(source_id)
        return CrawlerHealth(
            status=health.status,
            last_success_at=health.last_success_at.isoformat() if health.last_success_at else None,
            last_error_at=health.last_error_at.isoformat() if health.last_error_at else None,
            last_error=health.last_error,
        )
