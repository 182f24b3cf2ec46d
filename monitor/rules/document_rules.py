"""Per-document rule ``misinformation`` (a score, grouped by registered claim).

The other per-document rule, ``watch``, lives in :mod:`monitor.rules.watch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import Field

from monitor.alerting.details import AlertDetails
from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument, ModelRef, Reason
from monitor.claims.registry import case_of_claim
from monitor.rules.base import DocumentEvaluator, Prepared, RuleContext
from monitor.rules.specs import MisinformationRuleSpec
from monitor.rules.windows import in_scope


class MisinformationDetails(AlertDetails):
    """A ``misinformation`` alert: the highest score among its documents and why, and the claim repeated."""

    threshold: float
    claim_id: str | None = Field(description="The registered false claim the documents repeat, if any.")
    case_id: str | None = Field(description="The case opened for that claim, if any.")
    max_score: float
    top_doc_id: str = Field(description="The document with the highest score.")
    reasons: list[Reason] = Field(description="The reasons of the highest score.")
    model: ModelRef


@dataclass
class _Group:
    """Documents that share one alert key within a batch, and the one with the highest score."""

    top: AnalyzedDocument  # the latest of equal scores, as documents come in order
    items: list[AnalyzedDocument] = field(default_factory=list)

    def add(self, item: AnalyzedDocument) -> None:
        self.items.append(item)
        if item.analysis.misinformation.score >= self.top.analysis.misinformation.score:
            self.top = item

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(item.doc_id for item in self.items)

    @property
    def first(self) -> datetime:
        return min(item.document.published_at for item in self.items)

    @property
    def last(self) -> datetime:
        return max(item.document.published_at for item in self.items)


class MisinformationEvaluator(DocumentEvaluator):
    """Documents scoring at least the threshold; repeats of one registered claim share an alert."""

    details_model = MisinformationDetails

    def __init__(self, rule: MisinformationRuleSpec, context: RuleContext) -> None:
        self.rule = rule

    def on_documents(self, prepared: Sequence[Prepared]) -> list[AlertCandidate]:
        rule = self.rule
        groups: dict[str, _Group] = {}
        for p in prepared:
            score = p.item.analysis.misinformation
            if not in_scope(rule, p.item) or score.score < rule.threshold:
                continue
            key = f"claim:{score.claim_ids[0]}" if score.claim_ids else f"doc:{p.item.doc_id}"
            groups.setdefault(key, _Group(p.item)).add(p.item)
        return [self._candidate(key, group) for key, group in groups.items()]

    def _candidate(self, key: str, group: _Group) -> AlertCandidate:
        rule = self.rule
        claim = key.removeprefix("claim:") if key.startswith("claim:") else None
        what = f"lặp lại tin sai đã đăng ký '{claim}'" if claim else "có dấu hiệu thông tin sai lệch"
        top = group.top.analysis.misinformation
        details = MisinformationDetails(
            threshold=rule.threshold,
            claim_id=claim,
            case_id=case_of_claim(claim) if claim else None,
            max_score=round(top.score, 3),
            top_doc_id=group.top.doc_id,
            reasons=list(top.reasons),
            model=top.model,
        )
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=rule.severity,
            key=key,
            title=f"Thông tin sai lệch: {len(group.doc_ids)} tài liệu {what}",
            summary=(f"Điểm thông tin sai lệch cao nhất {details.max_score} (ngưỡng {rule.threshold}); {what}."),
            details=details,
            doc_ids=group.doc_ids,
            event_start=group.first,
            event_end=group.last,
        )
