"""Rules on how many documents one window holds: ``threshold`` (a count) and ``negative_share`` (a share)."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.alerting.types import AlertCandidate
from monitor.analysis import SentimentLabel
from monitor.durations import format_duration
from monitor.rules.base import Prepared
from monitor.rules.specs import NegativeShareRuleSpec, ThresholdRuleSpec
from monitor.rules.windows import SelectedWindowEvaluator, WindowDetails
from monitor.store.base import DocumentFilter


class ThresholdDetails(WindowDetails):
    """A ``threshold`` alert: how many documents the window holds, against the rule's minimum."""

    count: int
    min_count: int


class NegativeShareDetails(WindowDetails):
    """A ``negative_share`` alert: negative documents out of all the target's documents in the window."""

    total: int
    negative: int
    share: float
    min_share: float
    min_count: int


class ThresholdEvaluator(SelectedWindowEvaluator[ThresholdRuleSpec]):
    """At least ``min_count`` matching documents in a window; one alert per window."""

    details_model = ThresholdDetails

    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        rule, store = self.rule, self.context.store
        end = start + timedelta(seconds=rule.window)
        window_filter = self.selection.filter(start, end)
        count = store.count(window_filter)
        if count < rule.min_count:
            return []
        span = format_duration(rule.window)
        return [
            self.window_alert(
                start,
                window_filter,
                title=f"Vượt ngưỡng '{rule.label}': {count} tài liệu trong {span}",
                summary=(
                    f"{count} tài liệu khớp điều kiện trong {span} từ {self.context.local_text(start)} "
                    f"(ngưỡng {rule.min_count})."
                ),
                details=ThresholdDetails(**self.selection.window_details(start), count=count, min_count=rule.min_count),
            )
        ]


class NegativeShareEvaluator(SelectedWindowEvaluator[NegativeShareRuleSpec]):
    """Negative documents make up at least ``min_share`` of a watch target's documents in a window."""

    details_model = NegativeShareDetails

    def touches(self, p: Prepared) -> bool:
        # A neutral or positive document changes the share too, so every sentiment marks the window.
        return self.selection.matches(p, any_sentiment=True)

    def touched_filter(self, since: datetime, until: datetime) -> DocumentFilter:
        return self.selection.filter(since, until, sentiments=())

    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        rule, store = self.rule, self.context.store
        end = start + timedelta(seconds=rule.window)
        total = store.count(self.selection.filter(start, end, sentiments=()))
        if total < rule.min_count:
            return []
        negative_filter = self.selection.filter(start, end, sentiments=(SentimentLabel.NEGATIVE,))
        negative = store.count(negative_filter)
        share = negative / total
        if share < rule.min_share:
            return []
        span = format_duration(rule.window)
        return [
            self.window_alert(
                start,
                negative_filter,
                title=f"Tỷ lệ tiêu cực cao '{rule.label}': {share:.0%} trong {span}",
                summary=(
                    f'{negative}/{total} tài liệu về "{rule.query}" trong {span} từ {self.context.local_text(start)} '
                    f"là tiêu cực ({share:.0%}; ngưỡng {rule.min_share:.0%}, tối thiểu {rule.min_count} tài liệu)."
                ),
                details=NegativeShareDetails(
                    **self.selection.window_details(start),
                    total=total,
                    negative=negative,
                    share=round(share, 3),
                    min_share=rule.min_share,
                    min_count=rule.min_count,
                ),
            )
        ]
