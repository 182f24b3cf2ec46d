"""Dry runs: what a rule would have fired over a past period, without recording or notifying anything.

``monitor rules test RULE --since 7d`` shows these candidates. The rule runs exactly as the engine runs it
(the same evaluators), over the documents already stored:

- per-document rules see every stored document published in the period, oldest first;
- windowed rules evaluate every window of the period that holds at least one document they look at
  (the window containing ``since`` included), with baselines reaching back before ``since`` as live;
- scheduled rules (source silence) are evaluated as of every hour of the period and at its end.

Candidates for the same key are merged as the alert store would merge them, so the result is one entry
per alert the rule would have produced. Source health is not consulted: today's crawler state says
nothing about the past.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument
from monitor.rules.base import DocumentEvaluator, Prepared, RuleContext, WindowEvaluator
from monitor.rules.calendar import HolidayCalendar
from monitor.rules.catalog import evaluator_for
from monitor.rules.specs import RuleSpec
from monitor.rules.windows import window_start
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest, SortOrder

PAGE_SIZE = 500
SCHEDULE_STEP = timedelta(hours=1)
# Documents are read one day at a time so offset paging stays far below the store's offset limit.
READ_CHUNK = timedelta(days=1)


def backtest(
    rule: RuleSpec,
    store: DocumentStore,
    since: datetime,
    until: datetime,
    tz_offset_seconds: int = 0,
    *,
    calendar: HolidayCalendar | None = None,
) -> list[AlertCandidate]:
    """The alerts ``rule`` would have produced for events in ``[since, until)``, oldest first.

    Nothing is recorded and nothing is notified; a disabled rule is tested all the same.

    Args:
        rule: The rule to try (from the rule files, or a draft).
        store: The document store holding the period.
        since: Start of the period (timezone-aware).
        until: End of the period, exclusive (timezone-aware).
        tz_offset_seconds: Offset of local time from UTC; windows and days are aligned in local time.
        calendar: Holidays for spike baselines (``load_holiday_calendar(config_dir)``); none if omitted.

    Returns:
        One candidate per alert key, as the alert store would merge them, ordered by event start.

    Raises:
        ValueError: ``since`` or ``until`` is naive, or the period is empty.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    if since >= until:
        raise ValueError(f"empty period: since ({since.isoformat()}) is not before until ({until.isoformat()})")
    context = RuleContext(store, tz_offset_seconds, calendar or HolidayCalendar())
    evaluator = evaluator_for(rule, context)
    if isinstance(evaluator, DocumentEvaluator):
        found = [c for batch in _batches(rule, store, since, until) for c in evaluator.on_documents(batch)]
    elif isinstance(evaluator, WindowEvaluator):
        found = [c for start in _windows(evaluator, context, since, until) for c in evaluator.evaluate(start)]
    else:
        found = [c for moment in _moments(since, until) for c in evaluator.evaluate_at(moment)]
    return sorted(merge_candidates(found), key=lambda c: (c.event_start, c.key))


def merge_candidates(candidates: list[AlertCandidate]) -> list[AlertCandidate]:
    """One candidate per key, merged like :meth:`monitor.alerting.store.AlertStore.record` merges alerts: documents
    added in order, event span widened, the latest title, summary and details kept."""
    merged: dict[str, AlertCandidate] = {}
    for candidate in candidates:
        earlier = merged.get(candidate.key)
        if earlier is None:
            merged[candidate.key] = candidate
            continue
        doc_ids = dict.fromkeys((*earlier.doc_ids, *candidate.doc_ids))
        merged[candidate.key] = candidate.model_copy(
            update={
                "doc_ids": tuple(doc_ids),
                "event_start": min(earlier.event_start, candidate.event_start),
                "event_end": max(earlier.event_end, candidate.event_end),
            }
        )
    return list(merged.values())


def _batches(rule: RuleSpec, store: DocumentStore, since: datetime, until: datetime) -> Iterator[list[Prepared]]:
    """Stored documents of the rule's sources and platforms published in the period, oldest first."""
    chunk_start = since
    while chunk_start < until:
        chunk_end = min(chunk_start + READ_CHUNK, until)
        document_filter = DocumentFilter(
            since=chunk_start, until=chunk_end, sources=rule.sources, platforms=rule.platforms
        )
        offset = 0
        while True:
            items: list[AnalyzedDocument] = store.search(
                SearchRequest(filter=document_filter, limit=PAGE_SIZE, offset=offset, sort=SortOrder.OLDEST)
            ).items
            if items:
                yield [Prepared.of(item) for item in items]
            if len(items) < PAGE_SIZE:
                break
            offset += PAGE_SIZE
        chunk_start = chunk_end


def _windows(evaluator: WindowEvaluator, context: RuleContext, since: datetime, until: datetime) -> list[datetime]:
    """Starts of the period's windows that hold documents the rule looks at."""
    first = window_start(since, evaluator.window_seconds, context.tz_offset_seconds)
    buckets = context.store.count_by_time(
        evaluator.touched_filter(first, until), evaluator.window_seconds, context.tz_offset_seconds
    )
    return [bucket.start for bucket in buckets if bucket.count > 0]


def _moments(since: datetime, until: datetime) -> Iterator[datetime]:
    """Every hour from ``since``, then ``until`` itself (the scheduled pass as it would have run)."""
    moment = since + SCHEDULE_STEP
    while moment < until:
        yield moment
        moment += SCHEDULE_STEP
    yield until
