"""One local day against the usual: its volume, sentiment and topics next to the mean of the days before.

"The usual" is the mean of the ``usual_days`` whole local days just before the day (7 by default), so a
Monday's flood of posts stands out against last week. Every count comes from :mod:`monitor.analytics.metrics`
(the same functions as the reports), over the store's aggregations only.

Example::

    today = day_against_usual(monitor, date(2026, 10, 20))
    today.total, today.usual_total        # 31, 12.4
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from monitor.analysis import SentimentLabel
from monitor.analytics.campaigns import CampaignSpec, PhaseFigures, load_campaigns, phase_figures
from monitor.analytics.metrics import DailySentiment, Period, sentiment_index, topic_labels, volume
from monitor.store.base import DocumentFilter

if TYPE_CHECKING:
    from monitor.context import Monitor

USUAL_DAYS = 7


@dataclass(frozen=True)
class AgainstUsual:
    """A count of the day and the mean count of the usual days."""

    name: str
    label: str
    count: int
    usual: float

    @property
    def change(self) -> float | None:
        """(day − usual) / usual: +1.0 is twice the usual; None when the usual is 0."""
        return (self.count - self.usual) / self.usual if self.usual else None


@dataclass(frozen=True)
class DayAgainstUsual:
    """The day's figures and the usual ones; ``days`` holds every day's sentiment counts, usual days first."""

    day: date
    period: Period
    usual_days: int
    total: int
    usual_total: float
    sentiment: tuple[AgainstUsual, ...]
    topics: tuple[AgainstUsual, ...]
    days: tuple[DailySentiment, ...]


SENTIMENT_ORDER = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)


def day_against_usual(monitor: Monitor, day: date, usual_days: int = USUAL_DAYS) -> DayAgainstUsual:
    """The local ``day`` against the mean of the ``usual_days`` local days before it."""
    zone = monitor.settings.zone
    base = DocumentFilter(timezone=monitor.settings.timezone)
    period = Period.of_days(day, 1, zone)
    before = Period(since=period.shifted(-usual_days).since, until=period.since)
    today, usual = volume(monitor.store, period.restrict(base)), volume(monitor.store, before.restrict(base))
    labels = topic_labels(monitor.settings.config_dir)
    topics = [
        AgainstUsual(
            topic, labels.get(topic, topic), today.by_topic.get(topic, 0), usual.by_topic.get(topic, 0) / usual_days
        )
        for topic in {*today.by_topic, *usual.by_topic}
    ]
    sentiment = tuple(
        AgainstUsual(
            label.value,
            label.value,
            today.by_sentiment.get(label.value, 0),
            usual.by_sentiment.get(label.value, 0) / usual_days,
        )
        for label in SENTIMENT_ORDER
    )
    every_day = Period(since=before.since, until=period.until)
    return DayAgainstUsual(
        day=day,
        period=period,
        usual_days=usual_days,
        total=today.total,
        usual_total=usual.total / usual_days,
        sentiment=sentiment,
        topics=tuple(sorted(topics, key=lambda t: (-t.count, -t.usual, t.name))),
        days=tuple(sentiment_index(monitor.store, every_day.restrict(base), zone)),
    )


@dataclass(frozen=True)
class CampaignDay:
    """A campaign running on the day, and its figures that day (``figures.share_of_voice``)."""

    campaign: CampaignSpec
    figures: PhaseFigures


def campaigns_on(monitor: Monitor, day: date) -> list[CampaignDay]:
    """Every configured campaign running on the local ``day``, with its share of voice that day."""
    zone = monitor.settings.zone
    period = Period.of_days(day, 1, zone)
    base = DocumentFilter(timezone=monitor.settings.timezone)
    campaigns = load_campaigns(monitor.settings.config_dir).values()
    running = sorted((c for c in campaigns if c.start <= day <= c.end), key=lambda c: (c.start, c.id))
    return [CampaignDay(c, phase_figures(monitor.store, c, "during", period, base)) for c in running]
