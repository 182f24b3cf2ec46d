"""What every rule evaluator shares: the prepared document, the evaluation context, the three kinds.

A rule's spec says what to look for; its evaluator does the looking. Evaluators come in three kinds,
told apart by the engine and by :mod:`monitor.rules.backtest`:

- :class:`DocumentEvaluator`: looks at each new document (misinformation);
- :class:`WindowEvaluator`: reads stored documents per event-time window (counts, watch episodes); new
  documents mark the windows they fall in, which are evaluated at the end of a cycle and on the schedule;
- :class:`ScheduledEvaluator`: looks at the store "as of" a moment, on the schedule only (silence).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from monitor import query as query_syntax
from monitor.alerting.details import AlertDetails
from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument
from monitor.ingestion.health import HealthStore
from monitor.rules.calendar import HolidayCalendar
from monitor.store.base import DocumentFilter, DocumentStore


@dataclass(frozen=True)
class Prepared:
    """A document with what query matching needs computed once for all rules."""

    item: AnalyzedDocument
    matchable: query_syntax.Matchable

    @classmethod
    def of(cls, item: AnalyzedDocument) -> Prepared:
        doc, analysis = item.document, item.analysis
        matchable = query_syntax.Matchable.of(
            (doc.title, doc.text),
            source=doc.source_id,
            platform=doc.platform.value,
            topics=analysis.topics.labels,
            sentiment=analysis.sentiment.label.value,
            author=doc.author,
            published_at=doc.published_at,
            story=analysis.story_id,
        )
        return cls(item, matchable)


@dataclass(frozen=True)
class RuleContext:
    """What evaluators read: the documents, local time, the holiday calendar and (live only) source health."""

    store: DocumentStore
    tz_offset_seconds: int = 0
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)
    health: HealthStore | None = None  # None in backtests: today's health says nothing about the past

    def local_text(self, moment: datetime) -> str:
        """A moment as people read it in a summary (alerts are mailed and posted as written): local, to the
        minute, day first (``03/11/2026 18:00``), never the UTC of the stored data."""
        local = moment.astimezone(timezone(timedelta(seconds=self.tz_offset_seconds)))
        return local.strftime("%d/%m/%Y %H:%M")


class DocumentEvaluator(ABC):
    """A rule that decides from the new documents alone."""

    details_model: ClassVar[type[AlertDetails]]  # what its alerts' details say

    @abstractmethod
    def on_documents(self, prepared: Sequence[Prepared]) -> list[AlertCandidate]:
        """Candidates for the documents of one batch."""


class WindowEvaluator(ABC):
    """A rule that counts stored documents in one event-time window at a time."""

    details_model: ClassVar[type[AlertDetails]]  # what its alerts' details say

    window_seconds: int

    @abstractmethod
    def touches(self, p: Prepared) -> bool:
        """Whether a new document can change this rule's verdict on its window."""

    @abstractmethod
    def touched_filter(self, since: datetime, until: datetime) -> DocumentFilter:
        """The stored documents :meth:`touches` would accept, for walking past windows."""

    @abstractmethod
    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        """Candidates for the window starting at ``start`` (aligned by :func:`window_start`)."""


class ScheduledEvaluator(ABC):
    """A rule that looks at the store as it was at a moment (absence of documents cannot be 'touched')."""

    details_model: ClassVar[type[AlertDetails]]  # what its alerts' details say

    @abstractmethod
    def evaluate_at(self, now: datetime) -> list[AlertCandidate]:
        """Candidates as of ``now``, seeing only documents published before it."""


Evaluator = DocumentEvaluator | WindowEvaluator | ScheduledEvaluator
