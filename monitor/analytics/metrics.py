"""Performance metrics of official communication over any time range and filter (issue #8).

Every document figure goes through the :class:`~monitor.store.base.DocumentStore` interface only, so the
numbers are the same on SQLite and Elasticsearch. Counts use the store's own aggregations; engagement
totals have no aggregation in the contract, so they stream the matching documents page by page through
:func:`monitor.analytics.research.iter_documents` (never more than one page in memory).

Example::

    period = Period.of_days(date(2026, 11, 14), 7, settings.zone)
    figures = compute_metrics(monitor, period)
    figures.sentiment[-1].index   # (positive - negative) / total of the last day
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from monitor.alerting.types import Alert, AlertQuery
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.analytics.research import ENGAGEMENT, iter_documents
from monitor.cases import CaseQuery, Cases
from monitor.config.topics import TOPICS_FILE, load_taxonomy
from monitor.ingestion.health import HealthStore
from monitor.rules.specs import MisinformationRuleSpec, RuleSpec, WatchRuleSpec
from monitor.store.base import CountField, DocumentFilter, DocumentStore

if TYPE_CHECKING:
    from monitor.alerting.store import AlertStore
    from monitor.context import Monitor

DAY = timedelta(days=1)
DEFAULT_MISINFORMATION_THRESHOLD = 0.6  # the shipped misinformation rule's threshold
ALERT_PAGE = 500  # AlertQuery.limit / CaseQuery.limit maximum


class Period(BaseModel):
    """A half-open time range ``[since, until)`` in UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: datetime
    until: datetime

    @classmethod
    def of_days(cls, first: date, days: int, zone: tzinfo) -> Period:
        """``days`` whole local days starting at local midnight of ``first``."""
        start = datetime.combine(first, time(), zone)
        end = datetime.combine(first + timedelta(days=days), time(), zone)
        return cls(since=start.astimezone(UTC), until=end.astimezone(UTC))

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    def shifted(self, periods: int) -> Period:
        """The period of the same length ``periods`` lengths later (negative: earlier)."""
        step = self.length * periods
        return Period(since=self.since + step, until=self.until + step)

    def restrict(self, document_filter: DocumentFilter) -> DocumentFilter:
        """``document_filter`` limited to this period."""
        return document_filter.model_copy(update={"since": self.since, "until": self.until})


class Volume(BaseModel):
    """How many documents, and how they split (a document has several topics, so topics overlap)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: int
    by_source: dict[str, int]
    by_platform: dict[str, int]
    by_topic: dict[str, int]
    by_sentiment: dict[str, int]


class EngagementTotals(BaseModel):
    """Summed interactions; ``reported`` counts the documents whose platform reported each figure."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    documents: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    views: int = 0
    reported: dict[str, int] = Field(default_factory=dict)

    @property
    def interactions(self) -> int:
        """Likes + comments + shares (views are reach, not interaction)."""
        return self.likes + self.comments + self.shares


class EngagementCounter:
    """Adds up engagement one document at a time (shared by metrics and campaign reports)."""

    def __init__(self) -> None:
        self.documents = 0
        self.sums = dict.fromkeys(ENGAGEMENT, 0)
        self.reported = dict.fromkeys(ENGAGEMENT, 0)

    def add(self, item: AnalyzedDocument) -> None:
        self.documents += 1
        engagement = item.document.engagement
        for name in ENGAGEMENT:
            value: int | None = getattr(engagement, name)
            if value is not None:  # None means "not reported", not zero: keep the two apart
                self.sums[name] += value
                self.reported[name] += 1

    def result(self) -> EngagementTotals:
        return EngagementTotals(documents=self.documents, reported=dict(self.reported), **self.sums)


class Share(BaseModel):
    """One participant's part of the conversation: ``count`` of ``total`` documents."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    label: str
    count: int
    total: int

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


class DailySentiment(BaseModel):
    """Sentiment of one local day; ``index`` is (positive − negative) / total, None on an empty day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    day: date
    positive: int
    negative: int
    neutral: int

    @property
    def total(self) -> int:
        return self.positive + self.negative + self.neutral

    @property
    def index(self) -> float | None:
        return (self.positive - self.negative) / self.total if self.total else None


class Misinformation(BaseModel):
    """Documents at or over the threshold, and alerts of misinformation rules whose event overlaps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float
    documents: int
    total: int
    alerts: list[Alert]

    @property
    def share(self) -> float:
        return self.documents / self.total if self.total else 0.0


class CaseResponse(BaseModel):
    """One case opened in the period and how fast it was handled (from its service record)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    title: str
    priority: str
    state: str
    opened_at: datetime
    time_to_verify_seconds: float | None
    time_to_respond_seconds: float | None
    verified_in_time: bool | None
    responded_in_time: bool | None


class ResponseTimes(BaseModel):
    """Cases opened in the period; medians over the cases that reached each stage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cases: list[CaseResponse]

    @property
    def opened(self) -> int:
        return len(self.cases)

    @property
    def responded(self) -> int:
        return sum(1 for case in self.cases if case.time_to_respond_seconds is not None)

    @property
    def median_verify_seconds(self) -> float | None:
        return _median(case.time_to_verify_seconds for case in self.cases)

    @property
    def median_respond_seconds(self) -> float | None:
        return _median(case.time_to_respond_seconds for case in self.cases)

    @property
    def responded_in_time(self) -> int:
        return sum(1 for case in self.cases if case.responded_in_time)


class SourceCoverage(BaseModel):
    """A source's documents in the period next to its crawl health."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    name: str
    documents: int
    status: str
    configured: bool
    last_success_at: datetime | None
    consecutive_failures: int
    last_error: str | None


class Metrics(BaseModel):
    """Everything :func:`compute_metrics` measures for one period and filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: Period
    volume: Volume
    engagement: EngagementTotals
    topics: list[Share]
    targets: list[Share]
    sentiment: list[DailySentiment]
    misinformation: Misinformation
    response: ResponseTimes
    coverage: list[SourceCoverage]

    @property
    def sentiment_index(self) -> float | None:
        """The index over the whole period (not the mean of the days)."""
        positive = self.volume.by_sentiment.get(SentimentLabel.POSITIVE.value, 0)
        negative = self.volume.by_sentiment.get(SentimentLabel.NEGATIVE.value, 0)
        return (positive - negative) / self.volume.total if self.volume.total else None


def volume(store: DocumentStore, document_filter: DocumentFilter) -> Volume:
    """Document counts: the total and per source, platform, topic and sentiment."""
    return Volume(
        total=store.count(document_filter),
        by_source=store.count_by_field(document_filter, CountField.SOURCE),
        by_platform=store.count_by_field(document_filter, CountField.PLATFORM),
        by_topic=store.count_by_field(document_filter, CountField.TOPIC),
        by_sentiment=store.count_by_field(document_filter, CountField.SENTIMENT),
    )


def engagement(store: DocumentStore, document_filter: DocumentFilter) -> EngagementTotals:
    """Likes, comments, shares and views summed over the matching documents (streamed in pages)."""
    counter = EngagementCounter()
    for page in iter_documents(store, document_filter):
        for item in page:
            counter.add(item)
    return counter.result()


def topic_labels(config_dir: Path) -> dict[str, str]:
    """Topic id → its label in ``topics.yaml`` (what reports print); empty if the file is absent."""
    if not (config_dir / TOPICS_FILE).exists():
        return {}
    return load_taxonomy(config_dir).labels


def topic_shares(
    store: DocumentStore, document_filter: DocumentFilter, labels: Mapping[str, str] | None = None
) -> list[Share]:
    """Each topic's share of all matching documents, largest first (shares may add up to over 1)."""
    total = store.count(document_filter)
    counted = store.count_by_field(document_filter, CountField.TOPIC)
    names = labels or {}
    shares = [Share(name=topic, label=names.get(topic, topic), count=n, total=total) for topic, n in counted.items()]
    return sorted(shares, key=lambda share: (-share.count, share.name))


def watch_targets(rules: Iterable[RuleSpec]) -> dict[str, tuple[str, str]]:
    """The watch targets of the enabled watch rules: rule id → (label, query)."""
    return {rule.id: (rule.label, rule.query) for rule in rules if isinstance(rule, WatchRuleSpec) and rule.enabled}


def target_shares(
    store: DocumentStore, document_filter: DocumentFilter, targets: Mapping[str, tuple[str, str]]
) -> list[Share]:
    """Each target query's share of the matching documents, largest first."""
    total = store.count(document_filter)
    shares = [
        Share(name=name, label=label, count=store.count(narrowed(document_filter, query)), total=total)
        for name, (label, query) in targets.items()
    ]
    return sorted(shares, key=lambda share: (-share.count, share.name))


def sentiment_index(store: DocumentStore, document_filter: DocumentFilter, zone: tzinfo) -> list[DailySentiment]:
    """Positive, negative and neutral counts per local day, every day of the filter's range included.

    One ``count_by_time`` per label, so the cost does not grow with the number of documents.
    """
    reference = document_filter.since or datetime.now(UTC)
    offset = reference.astimezone(zone).utcoffset()
    offset_seconds = int(offset.total_seconds()) if offset else 0
    per_label: dict[SentimentLabel, dict[date, int]] = {}
    for label in (SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL):
        buckets = store.count_by_time(
            document_filter.model_copy(update={"sentiments": (label,)}), int(DAY.total_seconds()), offset_seconds
        )
        per_label[label] = {bucket.start.astimezone(zone).date(): bucket.count for bucket in buckets}
    days = sorted({day for counted in per_label.values() for day in counted})
    if document_filter.since is not None and document_filter.until is not None:
        first = document_filter.since.astimezone(zone).date()
        last = (document_filter.until - timedelta(microseconds=1)).astimezone(zone).date()
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    elif days:
        days = [days[0] + timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    return [
        DailySentiment(
            day=day,
            positive=per_label[SentimentLabel.POSITIVE].get(day, 0),
            negative=per_label[SentimentLabel.NEGATIVE].get(day, 0),
            neutral=per_label[SentimentLabel.NEUTRAL].get(day, 0),
        )
        for day in days
    ]


def misinformation_threshold(rules: Iterable[RuleSpec]) -> float:
    """The lowest threshold of the enabled misinformation rules (what the office treats as a case)."""
    thresholds = [rule.threshold for rule in rules if isinstance(rule, MisinformationRuleSpec) and rule.enabled]
    return min(thresholds) if thresholds else DEFAULT_MISINFORMATION_THRESHOLD


def misinformation(
    store: DocumentStore,
    alerts: AlertStore,
    rules: Sequence[RuleSpec],
    document_filter: DocumentFilter,
    threshold: float | None = None,
) -> Misinformation:
    """Documents scored at or over ``threshold`` (default: the rules') and misinformation alerts."""
    limit = misinformation_threshold(rules) if threshold is None else threshold
    rule_ids = tuple(rule.id for rule in rules if isinstance(rule, MisinformationRuleSpec))
    found: list[Alert] = []
    if rule_ids:
        query = AlertQuery(
            rule_ids=rule_ids, event_since=document_filter.since, event_until=document_filter.until, limit=ALERT_PAGE
        )
        found = all_alerts(alerts, query)
    return Misinformation(
        threshold=limit,
        documents=store.count(document_filter.model_copy(update={"min_misinformation": limit})),
        total=store.count(document_filter),
        alerts=found,
    )


def all_alerts(alerts: AlertStore, query: AlertQuery) -> list[Alert]:
    """Every alert matching ``query``, reading page after page."""
    found: list[Alert] = []
    while True:
        total, page = alerts.search(query.model_copy(update={"offset": len(found)}))
        found.extend(page)
        if not page or len(found) >= total:
            return found


def response_times(cases: Cases, period: Period) -> ResponseTimes:
    """Cases opened in ``period`` with their times to verify and respond (:meth:`Cases.service_record`).

    Cases come newest first, so reading stops at the first page that reaches before the period.
    """
    found: list[CaseResponse] = []
    offset = 0
    while True:
        total, page = cases.store.search(CaseQuery(limit=ALERT_PAGE, offset=offset))
        for case in page:
            if period.since <= case.opened_at < period.until:
                record = cases.service_record(case.case_id)
                found.append(
                    CaseResponse(
                        case_id=case.case_id,
                        title=case.title,
                        priority=case.priority.value,
                        state=case.state.value,
                        opened_at=case.opened_at,
                        time_to_verify_seconds=record.time_to_verify_seconds,
                        time_to_respond_seconds=record.time_to_respond_seconds,
                        verified_in_time=record.verified_in_time,
                        responded_in_time=record.responded_in_time,
                    )
                )
        offset += len(page)
        if not page or offset >= total or page[-1].opened_at < period.since:
            return ResponseTimes(cases=sorted(found, key=lambda case: case.opened_at))


def source_coverage(
    store: DocumentStore, health: HealthStore, sources: Mapping[str, str], document_filter: DocumentFilter
) -> list[SourceCoverage]:
    """Configured sources (id → name) and any other source with documents: documents and health.

    A configured source with no documents in the period is exactly what an officer must notice, so it
    is listed with 0 rather than left out.
    """
    counted = store.count_by_field(document_filter, CountField.SOURCE)
    states = health.all()
    rows = []
    for source_id in sorted({*sources, *counted}):
        state = health.get(source_id) if source_id not in states else states[source_id]
        rows.append(
            SourceCoverage(
                source_id=source_id,
                name=sources.get(source_id, source_id),
                documents=counted.get(source_id, 0),
                status=state.status,
                configured=source_id in sources,
                last_success_at=state.last_success_at,
                consecutive_failures=state.consecutive_failures,
                last_error=state.last_error,
            )
        )
    return sorted(rows, key=lambda row: (-row.documents, row.source_id))


def compute_metrics(monitor: Monitor, period: Period, document_filter: DocumentFilter | None = None) -> Metrics:
    """All metrics of ``period`` for the documents matching ``document_filter`` (default: all)."""
    base = period.restrict(
        document_filter or DocumentFilter(timezone=monitor.settings.timezone),
    )
    store = monitor.store
    return Metrics(
        period=period,
        volume=volume(store, base),
        engagement=engagement(store, base),
        topics=topic_shares(store, base, topic_labels(monitor.settings.config_dir)),
        targets=target_shares(store, base, watch_targets(monitor.rules)),
        sentiment=sentiment_index(store, base, monitor.settings.zone),
        misinformation=misinformation(store, monitor.alerts, monitor.rules, base),
        response=response_times(monitor.cases, period),
        coverage=source_coverage(
            store, monitor.health, {source.spec.id: source.spec.label for source in monitor.sources}, base
        ),
    )


def narrowed(document_filter: DocumentFilter, query: str) -> DocumentFilter:
    """``document_filter`` narrowed by ``query`` (ANDed with its own text, if any)."""
    return document_filter.narrowed(query)


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None
