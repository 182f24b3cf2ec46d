"""The ``watch`` rule: documents matching a query in context, grouped into episodes, graded by evidence.

Grouping: event time is cut into ``group_window`` windows (aligned in local time). Matches in consecutive
windows form one *episode*, and an episode is one alert, keyed by the start of its first window: a rumour
wave from 19:00 to 11:00 the next day is one alert, not three. Like the windowed rules, a new matching
document marks its window pending and the engine evaluates pending windows once a collection's batches are
stored (and on the schedule), reading the episode from the store: so the alerts do not depend on the order
in which sources arrive, and a crash between storing and evaluating loses nothing. An episode is read up to
:data:`LOOKBACK_WINDOWS` windows each side of the window evaluated. A document of an earlier window that
arrives in a later collection and joins an episode already alerted moves its start: the episode is then
alerted under its new first window, and the earlier alert keeps the documents it had.

Severity: the highest step of the rule's ``evidence`` ladder the episode's documents reach (documents,
outlets = distinct source and platform pairs, engagement, an official source), never below the rule's
``severity``. The alert's details say how many documents, from which outlets, over what span, and for
each document (up to :data:`EXPLAINED_DOCUMENTS`) which phrase matched where and which conditions held.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.analysis import AnalyzedDocument
from monitor.durations import format_duration
from monitor.rules.base import Prepared, RuleContext, WindowEvaluator
from monitor.rules.specs import EvidenceStep, WatchRuleSpec
from monitor.rules.watch_details import WatchDetails, WatchEvidence
from monitor.rules.watch_match import WatchMatch, WatchMatcher
from monitor.rules.windows import in_scope, window_start
from monitor.store.base import DocumentFilter, SearchRequest, SortOrder

LOOKBACK_WINDOWS = 28
"""Windows read at most each side of an evaluated window to find its episode (28 six-hour windows: a week)."""
MAX_EPISODE_DOCUMENTS = 500
"""Stored documents read at once (the store's page limit); in a busier neighbourhood the episode is read
window by window, and a window's evidence counts stop there."""
EXPLAINED_DOCUMENTS = 20
"""Documents whose match is spelled out in an alert's details (the first ones, by publication time)."""
_RANK = {severity: rank for rank, severity in enumerate(AlertSeverity)}

Matched = tuple[AnalyzedDocument, WatchMatch]


def _outlet(item: AnalyzedDocument) -> str:
    return f"{item.document.source_id}/{item.document.platform.value}"


def grade(rule: WatchRuleSpec, items: Sequence[AnalyzedDocument]) -> tuple[AlertSeverity, WatchEvidence]:
    """The severity the documents' evidence earns under ``rule``, and the evidence itself."""
    outlets = sorted({_outlet(item) for item in items})
    sources = {item.document.source_id for item in items}
    engagement = sum(item.document.engagement.total for item in items)

    def reached(step: EvidenceStep) -> bool:
        return (
            len(items) >= step.documents
            and len(outlets) >= step.outlets
            and engagement >= step.engagement
            and (not step.from_sources or bool(sources & set(step.from_sources)))
        )

    because: str | dict[str, Any] = "the rule's base severity"
    severity = rule.severity
    for step in rule.evidence:
        if reached(step) and _RANK[step.severity] > _RANK[severity]:
            severity, because = step.severity, step.model_dump(exclude_defaults=True, mode="json")
    evidence = WatchEvidence(
        documents=len(items),
        outlets=outlets,
        sources=sorted(sources),
        authors=len({item.document.author for item in items if item.document.author}),
        engagement=engagement,
        severity_because=because,
    )
    return severity, evidence


class WatchEvaluator(WindowEvaluator):
    """Matching documents in context, one alert per episode of consecutive windows.

    New documents mark their window pending (:meth:`touches`); the engine evaluates pending windows once
    the batches of a collection are stored, so the episodes do not depend on the order sources arrive in.
    """

    details_model = WatchDetails

    def __init__(self, rule: WatchRuleSpec, context: RuleContext) -> None:
        self.rule = rule
        self.context = context
        self.matcher = WatchMatcher(rule)
        self.window_seconds = rule.group_window

    def _window(self, moment: datetime) -> datetime:
        return window_start(moment, self.rule.group_window, self.context.tz_offset_seconds)

    def _match(self, p: Prepared) -> WatchMatch | None:
        return self.matcher.match(p) if in_scope(self.rule, p.item) else None

    def touches(self, p: Prepared) -> bool:
        return self._match(p) is not None

    def touched_filter(self, since: datetime, until: datetime) -> DocumentFilter:
        rule = self.rule
        return DocumentFilter(text=rule.query, since=since, until=until, sources=rule.sources, platforms=rule.platforms)

    def _stored(self, since: datetime, until: datetime) -> tuple[list[Matched], bool]:
        """Stored documents of ``[since, until)`` that count for the rule, oldest first, and whether that is
        all of them (a page holds at most :data:`MAX_EPISODE_DOCUMENTS`)."""
        request = SearchRequest(
            filter=self.touched_filter(since, until), limit=MAX_EPISODE_DOCUMENTS, sort=SortOrder.OLDEST
        )
        page = self.context.store.search(request)
        matched = [(item, found) for item in page.items if (found := self._match(Prepared.of(item))) is not None]
        return matched, page.total <= len(page.items)

    def evaluate(self, start: datetime) -> list[AlertCandidate]:
        step = timedelta(seconds=self.rule.group_window)
        around, complete = self._stored(start - LOOKBACK_WINDOWS * step, start + (LOOKBACK_WINDOWS + 1) * step)
        if complete:  # one read for the whole neighbourhood: the usual case
            by_window: dict[datetime, list[Matched]] = {}
            for item, found in around:
                by_window.setdefault(self._window(item.document.published_at), []).append((item, found))
            return self._episode(start, step, lambda window: by_window.get(window, []))
        # A busy neighbourhood: read window by window, so the evaluated window is never cut off a page.
        return self._episode(start, step, lambda window: self._stored(window, window + step)[0])

    def _episode(
        self, start: datetime, step: timedelta, matches_in: Callable[[datetime], list[Matched]]
    ) -> list[AlertCandidate]:
        """The alert of the episode holding ``start``: walk out while the neighbouring windows hold matches."""
        members = matches_in(start)
        if not members:
            return []
        first = start
        for _ in range(LOOKBACK_WINDOWS):
            earlier = matches_in(first - step)
            if not earlier:
                break
            first -= step
            members = earlier + members
        last = start
        for _ in range(LOOKBACK_WINDOWS):
            later = matches_in(last + step)
            if not later:
                break
            last += step
            members += later
        return [self._candidate(first, members)]

    def _candidate(self, first_window: datetime, members: list[Matched]) -> AlertCandidate:
        rule = self.rule
        members = sorted(members, key=lambda pair: (pair[0].document.published_at, pair[0].doc_id))
        items = [item for item, _ in members]
        severity, evidence = grade(rule, items)
        start, end = items[0].document.published_at, items[-1].document.published_at
        span = format_duration(max(60, int((end - start).total_seconds())))
        outlets = len(evidence.outlets)
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=severity,
            key=f"window:{first_window.isoformat()}",
            title=f"Theo dõi '{rule.label}': {len(items)} tài liệu từ {outlets} kênh",
            summary=(
                f'{len(items)} tài liệu khớp "{rule.query}" từ {outlets} kênh trong {span}, '
                f"từ {self.context.local_text(start)} đến {self.context.local_text(end)}; mức độ {severity.value}."
            ),
            details=WatchDetails(
                **dict(evidence),
                query=rule.query,
                conditions=self._conditions(),
                matched_terms=sorted({found.hit.phrase for _, found in members if found.hit.phrase}),
                window_start=first_window.isoformat(),
                window_end=(self._window(end) + timedelta(seconds=rule.group_window)).isoformat(),
                group_window=format_duration(rule.group_window),
                first_published=start.isoformat(),
                last_published=end.isoformat(),
                matches=[found.explain(item.doc_id) for item, found in members[:EXPLAINED_DOCUMENTS]],
            ),
            doc_ids=tuple(item.doc_id for item in items),
            event_start=start,
            event_end=end,
        )

    def _conditions(self) -> dict[str, Any]:
        rule = self.rule
        conditions: dict[str, Any] = {
            "topics": list(rule.topics),
            "requires_any": list(rule.requires_any),
            "near": rule.near,
            "excludes": list(rule.excludes),
            "not_after": list(rule.not_after),
            "count_negated": rule.count_negated,
        }
        return {key: value for key, value in conditions.items() if value not in ([], None)}
