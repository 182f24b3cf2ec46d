"""Evaluating alert rules over event time (``published_at``).

Per-document rules (watch, misinformation) run on every batch of newly stored or changed documents.
Windowed rules (spike) note every window a new batch touched; those windows are evaluated once, at the
end of a crawl cycle or replay and on the schedule (which also looks at the current window), so replaying
history yields the alerts that history would have produced. Counting a window after every batch of a
busy cycle would recount the same window hundreds of times. Each alert explains
itself: which rule, which window, which counts and which documents.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor import query as query_syntax
from monitor.alerts import Alert, AlertCandidate, AlertStore
from monitor.analysis import AnalyzedDocument
from monitor.durations import format_duration
from monitor.errors import StoreError
from monitor.rules.specs import MisinformationRuleSpec, RuleSpec, SpikeRuleSpec, WatchRuleSpec
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest

log = logging.getLogger(__name__)

MAX_DOCS_PER_WINDOW_ALERT = 200


@dataclass(frozen=True)
class _Prepared:
    item: AnalyzedDocument
    matchable: query_syntax.Matchable

    @classmethod
    def of(cls, item: AnalyzedDocument) -> _Prepared:
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


@dataclass
class _Group:
    doc_ids: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, item: AnalyzedDocument) -> None:
        published = item.document.published_at
        self.doc_ids.append(item.doc_id)
        self.first = published if self.first is None else min(self.first, published)
        self.last = published if self.last is None else max(self.last, published)


def window_start(moment: datetime, window_seconds: int, tz_offset_seconds: int) -> datetime:
    """Start of the window containing ``moment``; windows are aligned in local time."""
    local = int(moment.timestamp()) + tz_offset_seconds
    return datetime.fromtimestamp(local - local % window_seconds - tz_offset_seconds, UTC)


def _in_scope(rule: RuleSpec, item: AnalyzedDocument) -> bool:
    doc = item.document
    if rule.sources and doc.source_id not in rule.sources:
        return False
    return not (rule.platforms and doc.platform not in rule.platforms)


class RuleEngine:
    """Runs the configured rules and records their alerts."""

    def __init__(
        self, rules: Sequence[RuleSpec], store: DocumentStore, alerts: AlertStore, tz_offset_seconds: int = 0
    ) -> None:
        self.rules = [rule for rule in rules if rule.enabled]
        self.store = store
        self.alerts = alerts
        self.tz_offset_seconds = tz_offset_seconds
        self._queries = {
            rule.id: query_syntax.parse(rule.query)
            for rule in self.rules
            if isinstance(rule, WatchRuleSpec | SpikeRuleSpec) and rule.query
        }

    def on_documents(self, items: Sequence[AnalyzedDocument]) -> list[Alert]:
        """Evaluate every rule for newly stored or changed documents; return the alerts touched."""
        if not items:
            return []
        prepared = [_Prepared.of(item) for item in items]
        candidates: list[AlertCandidate] = []
        for rule in self.rules:
            if isinstance(rule, WatchRuleSpec):
                candidates.extend(self._watch(rule, prepared))
            elif isinstance(rule, MisinformationRuleSpec):
                candidates.extend(self._misinformation(rule, prepared))
            elif isinstance(rule, SpikeRuleSpec):
                self.alerts.mark_windows_pending(
                    (rule.id, window_start(p.item.document.published_at, rule.window, self.tz_offset_seconds))
                    for p in prepared
                    if self._spike_selects(rule, p)
                )
        return self._record(candidates)

    def evaluate_pending(self) -> list[Alert]:
        """Evaluate every window that new documents touched since the last evaluation."""
        spikes = {rule.id: rule for rule in self.rules if isinstance(rule, SpikeRuleSpec)}
        alerts: list[Alert] = []
        for rule_id, start in self.alerts.pending_windows():
            rule = spikes.get(rule_id)
            if rule is not None:
                try:
                    candidate = self._spike(rule, start)
                except StoreError as exc:  # the window stays pending until the store answers
                    log.warning("rule %s: windows not evaluated, the store is unavailable (%s)", rule_id, exc)
                    break
                if candidate is not None:
                    alerts.extend(self._record([candidate]))
            self.alerts.clear_pending_window(rule_id, start)
        return alerts

    def evaluate_windows(self, now: datetime) -> list[Alert]:
        """The scheduled pass: pending windows, then the window containing ``now`` for every windowed rule."""
        alerts = self.evaluate_pending()
        candidates = [
            self._spike(rule, window_start(now, rule.window, self.tz_offset_seconds))
            for rule in self.rules
            if isinstance(rule, SpikeRuleSpec)
        ]
        return alerts + self._record(c for c in candidates if c is not None)

    def _record(self, candidates: Iterable[AlertCandidate]) -> list[Alert]:
        return [self.alerts.record(candidate)[0] for candidate in candidates]

    # -- watch ---------------------------------------------------------------------------------

    def _watch(self, rule: WatchRuleSpec, prepared: Sequence[_Prepared]) -> list[AlertCandidate]:
        node = self._queries[rule.id]
        groups: dict[datetime, _Group] = defaultdict(_Group)
        for p in prepared:
            if _in_scope(rule, p.item) and query_syntax.matches(node, p.matchable):
                groups[window_start(p.item.document.published_at, rule.group_window, self.tz_offset_seconds)].add(
                    p.item
                )
        terms = query_syntax.positive_terms(node)
        return [
            AlertCandidate(
                rule_id=rule.id,
                rule_type=rule.type,
                severity=rule.severity,
                key=f"window:{start.isoformat()}",
                title=f"Theo dõi '{rule.label}': tài liệu khớp truy vấn",
                summary=(
                    f'Các tài liệu khớp truy vấn "{rule.query}" trong khung '
                    f"{format_duration(rule.group_window)} bắt đầu {start.isoformat()}."
                ),
                details={
                    "query": rule.query,
                    "matched_terms": terms,
                    "window_start": start.isoformat(),
                    "window_end": (start + timedelta(seconds=rule.group_window)).isoformat(),
                },
                doc_ids=tuple(group.doc_ids),
                event_start=group.first or start,
                event_end=group.last or start,
            )
            for start, group in groups.items()
        ]

    # -- misinformation ------------------------------------------------------------------------

    def _misinformation(self, rule: MisinformationRuleSpec, prepared: Sequence[_Prepared]) -> list[AlertCandidate]:
        groups: dict[str, _Group] = defaultdict(_Group)
        for p in prepared:
            score = p.item.analysis.misinformation
            if not _in_scope(rule, p.item) or score.score < rule.threshold:
                continue
            key = f"claim:{score.claim_ids[0]}" if score.claim_ids else f"doc:{p.item.doc_id}"
            group = groups[key]
            group.add(p.item)
            if score.score >= group.details.get("max_score", -1.0):
                group.details.update(
                    max_score=round(score.score, 3),
                    top_doc_id=p.item.doc_id,
                    reasons=[reason.model_dump() for reason in score.reasons],
                    model=score.model.model_dump(),
                )
        candidates = []
        for key, group in groups.items():
            claim = key.removeprefix("claim:") if key.startswith("claim:") else None
            what = f"lặp lại tin sai đã đăng ký '{claim}'" if claim else "có dấu hiệu thông tin sai lệch"
            candidates.append(
                AlertCandidate(
                    rule_id=rule.id,
                    rule_type=rule.type,
                    severity=rule.severity,
                    key=key,
                    title=f"Thông tin sai lệch: {len(group.doc_ids)} tài liệu {what}",
                    summary=(
                        f"Điểm thông tin sai lệch cao nhất {group.details['max_score']} "
                        f"(ngưỡng {rule.threshold}); {what}."
                    ),
                    details={"threshold": rule.threshold, "claim_id": claim, **group.details},
                    doc_ids=tuple(group.doc_ids),
                    event_start=group.first or datetime.now(UTC),
                    event_end=group.last or datetime.now(UTC),
                )
            )
        return candidates

    # -- spike ---------------------------------------------------------------------------------

    def _spike_selects(self, rule: SpikeRuleSpec, p: _Prepared) -> bool:
        analysis = p.item.analysis
        if not _in_scope(rule, p.item):
            return False
        if rule.sentiments and analysis.sentiment.label not in rule.sentiments:
            return False
        if rule.topics and not set(rule.topics) & set(analysis.topics.labels):
            return False
        node = self._queries.get(rule.id)
        return node is None or query_syntax.matches(node, p.matchable)

    def _spike_filter(self, rule: SpikeRuleSpec, since: datetime, until: datetime) -> DocumentFilter:
        return DocumentFilter(
            text=rule.query,
            since=since,
            until=until,
            sources=rule.sources,
            platforms=rule.platforms,
            sentiments=rule.sentiments,
            topics=rule.topics,
        )

    def _spike(self, rule: SpikeRuleSpec, start: datetime) -> AlertCandidate | None:
        window = timedelta(seconds=rule.window)
        end = start + window
        count = self.store.count(self._spike_filter(rule, start, end))
        if count < rule.min_count:
            return None
        baseline_start = start - window * rule.baseline_windows
        buckets = self.store.count_by_time(
            self._spike_filter(rule, baseline_start, start), rule.window, self.tz_offset_seconds
        )
        baseline_total = sum(bucket.count for bucket in buckets)
        baseline_mean = baseline_total / rule.baseline_windows
        # A floor of one document per window keeps "10 vs 0.1" from reading as a 100x spike.
        required = rule.factor * max(baseline_mean, 1.0)
        if count < required:
            return None
        page = self.store.search(
            SearchRequest(filter=self._spike_filter(rule, start, end), limit=MAX_DOCS_PER_WINDOW_ALERT)
        )
        span = format_duration(rule.window)
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=rule.severity,
            key=f"window:{start.isoformat()}",
            title=f"Tăng đột biến '{rule.label}': {count} tài liệu trong {span}",
            summary=(
                f"{count} tài liệu trong {span} từ {start.isoformat()}, so với trung bình "
                f"{baseline_mean:.2f} của {rule.baseline_windows} khung trước (ngưỡng "
                f"{rule.factor}x, tối thiểu {rule.min_count})."
            ),
            details={
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "count": count,
                "baseline_mean": round(baseline_mean, 3),
                "baseline_windows": rule.baseline_windows,
                "baseline_total": baseline_total,
                "factor": rule.factor,
                "min_count": rule.min_count,
                "ratio": round(count / max(baseline_mean, 1.0), 2),
                "filter": {
                    "query": rule.query,
                    "sentiments": [s.value for s in rule.sentiments],
                    "topics": list(rule.topics),
                },
            },
            doc_ids=tuple(item.doc_id for item in page.items),
            event_start=min((i.document.published_at for i in page.items), default=start),
            event_end=max((i.document.published_at for i in page.items), default=end),
        )
