"""Per-document rule ``misinformation`` (a score, grouped by registered claim).

The other per-document rule, ``watch``, lives in :mod:`monitor.rules.watch`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.alerting.types import AlertCandidate
from monitor.analysis import AnalyzedDocument
from monitor.claims.registry import case_of_claim
from monitor.rules.base import DocumentEvaluator, Prepared, RuleContext
from monitor.rules.specs import MisinformationRuleSpec
from monitor.rules.windows import in_scope


@dataclass
class _Group:
    """Documents that share one alert key within a batch (never empty once created by ``add``)."""

    items: list[AnalyzedDocument] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, item: AnalyzedDocument) -> None:
        self.items.append(item)

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

    def __init__(self, rule: MisinformationRuleSpec, context: RuleContext) -> None:
        self.rule = rule

    def on_documents(self, prepared: Sequence[Prepared]) -> list[AlertCandidate]:
        rule = self.rule
        groups: dict[str, _Group] = defaultdict(_Group)
        for p in prepared:
            score = p.item.analysis.misinformation
            if not in_scope(rule, p.item) or score.score < rule.threshold:
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
        return [self._candidate(key, group) for key, group in groups.items()]

    def _candidate(self, key: str, group: _Group) -> AlertCandidate:
        rule = self.rule
        claim = key.removeprefix("claim:") if key.startswith("claim:") else None
        what = f"lặp lại tin sai đã đăng ký '{claim}'" if claim else "có dấu hiệu thông tin sai lệch"
        return AlertCandidate(
            rule_id=rule.id,
            rule_type=rule.type,
            severity=rule.severity,
            key=key,
            title=f"Thông tin sai lệch: {len(group.doc_ids)} tài liệu {what}",
            summary=(
                f"Điểm thông tin sai lệch cao nhất {group.details['max_score']} (ngưỡng {rule.threshold}); {what}."
            ),
            details={
                "threshold": rule.threshold,
                "claim_id": claim,
                "case_id": case_of_claim(claim) if claim else None,
                **group.details,
            },
            doc_ids=group.doc_ids,
            event_start=group.first,
            event_end=group.last,
        )
