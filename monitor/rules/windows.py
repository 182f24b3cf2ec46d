"""Event-time windows and the document selection that windowed rules count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import Field

from monitor import query as query_syntax
from monitor.alerting.details import AlertDetails
from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument, SentimentLabel
from monitor.durations import format_duration
from monitor.records import Platform
from monitor.rules.base import Prepared, RuleContext, WindowEvaluator
from monitor.rules.specs import RuleSpec, WindowedRuleSpec
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest, SortOrder

MAX_DOCS_PER_WINDOW_ALERT = 200


def window_start(moment: datetime, window_seconds: int, tz_offset_seconds: int) -> datetime:
    """Start of the window containing ``moment``; windows are aligned in local time."""
    local = int(moment.timestamp()) + tz_offset_seconds
    return datetime.fromtimestamp(local - local % window_seconds - tz_offset_seconds, UTC)


def in_scope(rule: RuleSpec, item: AnalyzedDocument) -> bool:
    """Whether the document comes from the rule's sources and platforms (empty lists mean any)."""
    doc = item.document
    if rule.sources and doc.source_id not in rule.sources:
        return False
    return not (rule.platforms and doc.platform not in rule.platforms)


class SelectionDetails(AlertDetails):
    """The documents a windowed rule counts, as its alerts' details show them."""

    query: str | None
    sources: list[str]
    platforms: list[Platform]
    sentiments: list[SentimentLabel]
    topics: list[str]


class WindowDetails(AlertDetails):
    """What the details of every windowed rule's alert say: the window (ISO-8601, local offset kept) and
    the selection counted in it."""

    window_start: str
    window_end: str
    window: str = Field(description="The window's length, as the rule files write it ('6h').")
    filter: SelectionDetails


def window_bounds(rule: WindowedRuleSpec, start: datetime) -> dict[str, str]:
    """The window as alert details show it (the fields of :class:`WindowDetails` but the filter)."""
    return {
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(seconds=rule.window)).isoformat(),
        "window": format_duration(rule.window),
    }


@dataclass(frozen=True)
class Selection:
    """The documents a windowed rule counts, matched in memory (new documents) or by the store (windows).

    Both paths must agree: a document that marks a window pending is one the window's count includes.
    """

    rule: WindowedRuleSpec
    node: query_syntax.Node | None

    @classmethod
    def of(cls, rule: WindowedRuleSpec) -> Selection:
        return cls(rule, query_syntax.parse(rule.query) if rule.query else None)

    def matches(self, p: Prepared, *, any_sentiment: bool = False) -> bool:
        analysis = p.item.analysis
        if not in_scope(self.rule, p.item):
            return False
        if not any_sentiment and self.rule.sentiments and analysis.sentiment.label not in self.rule.sentiments:
            return False
        if self.rule.topics and not set(self.rule.topics) & set(analysis.topics.labels):
            return False
        return self.node is None or query_syntax.matches(self.node, p.matchable)

    def filter(
        self,
        since: datetime,
        until: datetime,
        *,
        sentiments: tuple[SentimentLabel, ...] | None = None,
        story_ids: tuple[str, ...] = (),
    ) -> DocumentFilter:
        """The store filter for ``[since, until)``; ``sentiments`` replaces the rule's own."""
        return DocumentFilter(
            text=self.rule.query,
            since=since,
            until=until,
            sources=self.rule.sources,
            platforms=self.rule.platforms,
            sentiments=self.rule.sentiments if sentiments is None else sentiments,
            topics=self.rule.topics,
            story_ids=story_ids,
        )

    def describe(self) -> SelectionDetails:
        """The selection as alert details show it."""
        return SelectionDetails(
            query=self.rule.query,
            sources=list(self.rule.sources),
            platforms=list(self.rule.platforms),
            sentiments=list(self.rule.sentiments),
            topics=list(self.rule.topics),
        )

    def window_details(self, start: datetime) -> dict[str, Any]:
        """The :class:`WindowDetails` fields of the window at ``start``, for a rule's details model."""
        return {**window_bounds(self.rule, start), "filter": self.describe()}


def window_documents(store: DocumentStore, document_filter: DocumentFilter) -> list[AnalyzedDocument]:
    """The documents an alert lists: the newest :data:`MAX_DOCS_PER_WINDOW_ALERT`.

    Newest first, so re-evaluating a busy window adds its latest documents to the (merged) alert.
    """
    page = store.search(SearchRequest(filter=document_filter, limit=MAX_DOCS_PER_WINDOW_ALERT, sort=SortOrder.NEWEST))
    return page.items


def event_span(items: list[AnalyzedDocument], start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """First and last publication among ``items``; the window itself when there are none."""
    published = [item.document.published_at for item in items]
    return (min(published), max(published)) if published else (start, end)


WindowedSpecT = TypeVar("WindowedSpecT", bound=WindowedRuleSpec)


class SelectedWindowEvaluator(WindowEvaluator, Generic[WindowedSpecT]):
    """A windowed rule over the documents its :class:`Selection` picks; subclasses say what a window means."""

    def __init__(self, rule: WindowedSpecT, context: RuleContext) -> None:
        self.rule = rule
        self.context = context
        self.selection = Selection.of(rule)
        self.window_seconds = rule.window

    def touches(self, p: Prepared) -> bool:
        return self.selection.matches(p)

    def touched_filter(self, since: datetime, until: datetime) -> DocumentFilter:
        return self.selection.filter(since, until)

    def window_alert(
        self, start: datetime, documents: DocumentFilter, *, title: str, summary: str, details: WindowDetails
    ) -> AlertCandidate:
        """The alert for the window at ``start``: its key, ``details`` (built on :meth:`Selection.window_details`) and
        newest ``documents``."""
        end = start + timedelta(seconds=self.rule.window)
        items = window_documents(self.context.store, documents)
        first, last = event_span(items, start, end)
        return AlertCandidate(
            rule_id=self.rule.id,
            rule_type=self.rule.type,
            severity=self.rule.severity,
            key=f"window:{start.isoformat()}",
            title=title,
            summary=summary,
            details=details,
            doc_ids=tuple(item.doc_id for item in items),
            event_start=first,
            event_end=last,
        )
