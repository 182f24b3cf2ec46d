"""``spike``: a window holding many more matching documents than comparable windows before it.

Comparable windows are the preceding ones, or the same hours of previous days (optionally only the same
weekday). Windows on holidays are left out of every baseline and replaced by older ordinary windows:
Tết is not what "usual" looks like, so it must neither raise the level the next fortnight is measured
against nor stand in for a normal Monday. A window that itself falls on a holiday is still compared with
the ordinary baseline: a burst of complaints during Tết is a burst all the same (holiday windows rarely
have earlier holiday windows to compare with inside a few weeks' lookback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from monitor.alerting.types import AlertCandidate
from monitor.durations import format_duration
from monitor.rules.base import RuleContext
from monitor.rules.specs import DAY_SECONDS, WEEK_DAYS, BaselineKind, CompareDays, HolidayHandling, SpikeRuleSpec
from monitor.rules.windows import SelectedWindowEvaluator, WindowDetails

# Skipping holiday windows reaches back at most this many times the configured baseline length, which
# covers Tết (six days) for any baseline of two days or more.
MAX_REACH_FACTOR = 3


class SpikeDetails(WindowDetails):
    """A ``spike`` alert: the window's count, the baseline it is compared with, and the holidays involved."""

    count: int
    baseline: BaselineKind
    compare: CompareDays
    baseline_mean: float
    baseline_windows: int
    baseline_total: int
    baseline_from: str | None = Field(description="Start of the oldest baseline window (ISO-8601).")
    holiday_windows_skipped: int
    holidays_skipped: list[str]
    holiday: str | None = Field(description="The holiday the window itself falls on, if any.")
    factor: float
    min_count: int
    ratio: float = Field(description="Count over the baseline mean (at least one document per window).")


@dataclass(frozen=True)
class Baseline:
    """The windows a count is compared with, and what they held."""

    starts: tuple[datetime, ...]
    counts: tuple[int, ...]
    skipped_holidays: tuple[str, ...]  # one holiday name per window left out

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float:
        return self.total / len(self.counts) if self.counts else 0.0


def baseline_starts(rule: SpikeRuleSpec, start: datetime, context: RuleContext) -> tuple[list[datetime], list[str]]:
    """Starts of the baseline windows for the window at ``start`` (newest first) and the holidays skipped."""
    if rule.baseline is BaselineKind.PRECEDING:
        step, wanted = timedelta(seconds=rule.window), rule.baseline_windows
    elif rule.compare is CompareDays.SAME_WEEKDAY:
        step, wanted = timedelta(days=WEEK_DAYS), rule.baseline_days // WEEK_DAYS
    else:
        step, wanted = timedelta(seconds=DAY_SECONDS), rule.baseline_days
    skip_holidays = rule.holidays is HolidayHandling.EXCLUDE
    window = timedelta(seconds=rule.window)
    chosen: list[datetime] = []
    skipped: list[str] = []
    steps = 0
    while len(chosen) < wanted and steps < wanted * MAX_REACH_FACTOR:
        steps += 1
        candidate = start - step * steps
        holiday = (
            context.calendar.holiday_in(candidate, candidate + window, context.tz_offset_seconds)
            if skip_holidays
            else None
        )
        if holiday is None:
            chosen.append(candidate)
        else:
            skipped.append(holiday)
    return chosen, skipped


class SpikeEvaluator(SelectedWindowEvaluator[SpikeRuleSpec]):
    details_model = SpikeDetails

    def baseline(self, start: datetime) -> Baseline:
        starts, skipped = baseline_starts(self.rule, start, self.context)
        if not starts:
            return Baseline((), (), tuple(skipped))
        # One grouped count covers every baseline window: windows divide the day (or are the preceding
        # ones), so each baseline start is a bucket start.
        buckets = self.context.store.count_by_time(
            self.selection.filter(min(starts), start), self.rule.window, self.context.tz_offset_seconds
        )
        by_start = {bucket.start: bucket.count for bucket in buckets}
        return Baseline(tuple(starts), tuple(by_start.get(s, 0) for s in starts), tuple(skipped))

    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        rule, store = self.rule, self.context.store
        end = start + timedelta(seconds=rule.window)
        count = store.count(self.selection.filter(start, end))
        if count < rule.min_count:
            return []
        baseline = self.baseline(start)
        # A floor of one document per window keeps "10 vs 0.1" from reading as a 100x spike.
        floor = max(baseline.mean, 1.0)
        if count < rule.factor * floor:
            return []
        span = format_duration(rule.window)
        holiday = self.context.calendar.holiday_in(start, end, self.context.tz_offset_seconds)
        return [
            self.window_alert(
                start,
                self.selection.filter(start, end),
                title=f"Tăng đột biến '{rule.label}': {count} tài liệu trong {span}",
                summary=(
                    f"{count} tài liệu trong {span} từ {self.context.local_text(start)}, so với trung bình "
                    f"{baseline.mean:.2f} của {self._baseline_phrase(baseline)} (ngưỡng {rule.factor}x, "
                    f"tối thiểu {rule.min_count})." + (f" Khung này rơi vào {holiday}." if holiday else "")
                ),
                details=SpikeDetails(
                    **self.selection.window_details(start),
                    count=count,
                    baseline=rule.baseline,
                    compare=rule.compare,
                    baseline_mean=round(baseline.mean, 3),
                    baseline_windows=len(baseline.counts),
                    baseline_total=baseline.total,
                    baseline_from=min(baseline.starts).isoformat() if baseline.starts else None,
                    holiday_windows_skipped=len(baseline.skipped_holidays),
                    holidays_skipped=sorted(set(baseline.skipped_holidays)),
                    holiday=holiday,
                    factor=rule.factor,
                    min_count=rule.min_count,
                    ratio=round(count / floor, 2),
                ),
            )
        ]

    def _baseline_phrase(self, baseline: Baseline) -> str:
        n = len(baseline.counts)
        if self.rule.baseline is BaselineKind.PRECEDING:
            phrase = f"{n} khung liền trước"
        elif self.rule.compare is CompareDays.SAME_WEEKDAY:
            phrase = f"cùng khung giờ, cùng thứ của {n} tuần trước"
        else:
            phrase = f"cùng khung giờ của {n} ngày trước"
        if baseline.skipped_holidays:
            phrase += f", bỏ qua {len(baseline.skipped_holidays)} khung ngày lễ"
        return phrase
