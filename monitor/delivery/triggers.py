"""When an alert is (re)announced: a new alert, a rise in severity, or a doubling of its documents.

Alerts are merged as matching documents keep arriving, so the rules touch the same alert many times.
Announcing every touch would bury the officers; announcing only creation would hide an event that
grows. The compromise:

- a **new** alert is always announced (trigger ``new``);
- an existing alert is announced again when its severity **rose** above the highest severity already
  announced (trigger ``severity-<level>``), or
- when its document count reached **at least twice** the count last announced (trigger
  ``docs-<count>``); so 1 → 2 → 4 → 8 documents, or 5 → 10 → 20.

An alert the delivery has never seen but that is not new (the process stopped between recording the
alert and enqueuing it, or delivery was configured after the alert was created) is announced as
``new`` once, so no alert is silently skipped. The trigger key is part of the outbox's unique key,
which makes enqueuing idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.alerting.types import AlertSeverity
from monitor.delivery.channels import SEVERITY_RANK

NEW = "new"


ESCALATED = "escalated"


@dataclass(frozen=True)
class Announced:
    """What the recipients were last told about an alert."""

    severity: AlertSeverity
    doc_count: int


def trigger_for(
    severity: AlertSeverity,
    doc_count: int,
    *,
    is_new: bool,
    announced: Announced | None,
    escalated_at: datetime | None = None,
) -> str | None:
    """The trigger key for an alert now at ``severity`` with ``doc_count`` documents, or None (stay quiet).

    An escalation (a high-severity alert nobody acknowledged in time) is always announced, once per
    escalation: its key carries the escalation time.
    """
    if escalated_at is not None:
        return f"{ESCALATED}-{int(escalated_at.timestamp())}"
    if is_new or announced is None:
        return NEW
    if SEVERITY_RANK[severity] > SEVERITY_RANK[announced.severity]:
        return f"severity-{severity.value}"
    if doc_count >= 2 * max(announced.doc_count, 1):
        return f"docs-{doc_count}"
    return None


def after_trigger(severity: AlertSeverity, doc_count: int, announced: Announced | None) -> Announced:
    """What the recipients know once an announcement went out (the highest severity ever announced)."""
    if announced is not None and SEVERITY_RANK[announced.severity] > SEVERITY_RANK[severity]:
        severity = announced.severity
    return Announced(severity=severity, doc_count=doc_count)


def describe(trigger: str) -> str:
    """The trigger in Vietnamese, for message headers."""
    if trigger == NEW:
        return "Cảnh báo mới"
    kind, _, value = trigger.partition("-")
    if kind == ESCALATED:
        return "Chưa được xác nhận quá thời hạn: cảnh báo được nâng cấp"
    if kind == "severity":
        return f"Mức độ tăng lên {severity_label(value)}"
    if kind == "docs":
        return f"Số tài liệu tăng lên {value}"
    return trigger


SEVERITY_LABELS = {
    AlertSeverity.LOW: "Thấp",
    AlertSeverity.MEDIUM: "Trung bình",
    AlertSeverity.HIGH: "Cao",
    AlertSeverity.CRITICAL: "Khẩn cấp",
}


def severity_label(value: str) -> str:
    """Vietnamese name of a severity (the raw value if unknown)."""
    try:
        return SEVERITY_LABELS[AlertSeverity(value)]
    except ValueError:
        return value
