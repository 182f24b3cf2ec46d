"""Service levels: per-priority deadlines for verifying and responding, breaches, and per-case times.

Both deadlines count from when the case was opened: "high: verify within 2 h, respond within 24 h"
means verification done (case moved to responding) by opening + 2 h and the official response done
(case resolved) by opening + 24 h. Deadlines follow the case's *current* priority, so raising the
priority can make a case overdue at once, which is what an officer raising it wants to see.

:func:`overdue` is a pure function of the cases and a clock: the scheduler calls it as often as it
likes, and the alert id of :func:`breach_candidate` (rule ``case-sla`` and key ``<case>:<stage>``)
makes recording the same breach again merge into one alert instead of piling up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from monitor.alerting.details import AlertDetails
from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.cases.config import ServiceLevel
from monitor.cases.model import Case, CasePriority, CaseState
from monitor.records import UtcDatetime

SLA_RULE_ID = "case-sla"
SLA_RULE_TYPE = "case_sla"
MAX_DOCS_IN_ALERT = 50

_SEVERITY = {
    CasePriority.LOW: AlertSeverity.LOW,
    CasePriority.NORMAL: AlertSeverity.MEDIUM,
    CasePriority.HIGH: AlertSeverity.HIGH,
    CasePriority.CRITICAL: AlertSeverity.CRITICAL,
}
_STAGE_LABEL = {"verify": "xác minh", "respond": "phản hồi chính thức"}


class SlaStage(StrEnum):
    VERIFY = "verify"  # done when the case enters responding
    RESPOND = "respond"  # done when the case is resolved


# States in which each stage's clock is still running.
_RUNNING = {
    SlaStage.VERIFY: frozenset({CaseState.TRIAGE, CaseState.VERIFYING}),
    SlaStage.RESPOND: frozenset({CaseState.TRIAGE, CaseState.VERIFYING, CaseState.RESPONDING}),
}


def deadline_of(case: Case, stage: SlaStage, levels: Mapping[CasePriority, ServiceLevel]) -> datetime | None:
    """When ``stage`` is due for ``case`` (None: its priority has no service level)."""
    level = levels.get(case.priority)
    if level is None:
        return None
    seconds = level.verify if stage is SlaStage.VERIFY else level.respond
    return case.opened_at + timedelta(seconds=seconds)


class SlaBreachDetails(AlertDetails):
    """A ``case_sla`` alert: the case, the stage it missed and by how much."""

    case_id: str
    stage: SlaStage
    priority: CasePriority
    state: CaseState
    deadline: str = Field(description="The stage's deadline (ISO-8601).")
    overdue_seconds: int
    assignee: str | None


class Breach(BaseModel):
    """A stage not done by its deadline, for a case still being worked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    title: str
    priority: CasePriority
    state: CaseState
    stage: SlaStage
    opened_at: UtcDatetime
    deadline: UtcDatetime
    overdue_seconds: int
    assignee: str | None


def pending_deadlines(case: Case, levels: Mapping[CasePriority, ServiceLevel]) -> list[tuple[SlaStage, datetime]]:
    """The stages whose clock still runs for ``case`` (not done yet) and their deadlines, earliest first."""
    pending = []
    for stage in SlaStage:
        deadline = deadline_of(case, stage, levels)
        if deadline is not None and case.state in _RUNNING[stage]:
            pending.append((stage, deadline))
    return sorted(pending, key=lambda item: item[1])


def overdue(cases: Iterable[Case], levels: Mapping[CasePriority, ServiceLevel], now: datetime) -> list[Breach]:
    """Every stage past its deadline at ``now``, oldest deadline first."""
    breaches: list[Breach] = []
    for case in cases:
        for stage, deadline in pending_deadlines(case, levels):
            if now <= deadline:
                continue
            breaches.append(
                Breach(
                    case_id=case.case_id,
                    title=case.title,
                    priority=case.priority,
                    state=case.state,
                    stage=stage,
                    opened_at=case.opened_at,
                    deadline=deadline,
                    overdue_seconds=int((now - deadline).total_seconds()),
                    assignee=case.assignee,
                )
            )
    return sorted(breaches, key=lambda b: (b.deadline, b.case_id, b.stage.value))


def breach_candidate(breach: Breach, doc_ids: Iterable[str], now: datetime) -> AlertCandidate:
    """The alert for a breach, to record through the alerting engine (``monitor.alerting.store.record``).

    The key is the case and stage, so one alert per missed stage; ``doc_ids`` are the case's evidence
    documents (an alert must say which documents it is about).
    """
    hours = breach.overdue_seconds / 3600
    return AlertCandidate(
        rule_id=SLA_RULE_ID,
        rule_type=SLA_RULE_TYPE,
        severity=_SEVERITY[breach.priority],
        key=f"{breach.case_id}:{breach.stage.value}",
        title=f"Quá hạn {_STAGE_LABEL[breach.stage.value]}: {breach.title}",
        summary=(
            f"Case {breach.case_id} ({breach.priority.value}, {breach.state.value}) missed its "
            f"{breach.stage.value} deadline {breach.deadline.isoformat()} by {hours:.1f} h"
        ),
        details=SlaBreachDetails(
            case_id=breach.case_id,
            stage=breach.stage,
            priority=breach.priority,
            state=breach.state,
            deadline=breach.deadline.isoformat(),
            overdue_seconds=breach.overdue_seconds,
            assignee=breach.assignee,
        ),
        doc_ids=tuple(list(doc_ids)[:MAX_DOCS_IN_ALERT]),
        event_start=breach.deadline,
        event_end=max(now, breach.deadline),
    )


class ServiceRecord(BaseModel):
    """How one case did against its service levels (for reports)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    priority: CasePriority
    time_to_verify_seconds: float | None
    time_to_respond_seconds: float | None
    verify_deadline: UtcDatetime | None
    respond_deadline: UtcDatetime | None
    verified_in_time: bool | None  # None: not verified yet, or no service level
    responded_in_time: bool | None


def service_record(case: Case, levels: Mapping[CasePriority, ServiceLevel]) -> ServiceRecord:
    verify_deadline = deadline_of(case, SlaStage.VERIFY, levels)
    respond_deadline = deadline_of(case, SlaStage.RESPOND, levels)
    return ServiceRecord(
        case_id=case.case_id,
        priority=case.priority,
        time_to_verify_seconds=case.time_to_verify_seconds,
        time_to_respond_seconds=case.time_to_respond_seconds,
        verify_deadline=verify_deadline,
        respond_deadline=respond_deadline,
        verified_in_time=None
        if case.verified_at is None or verify_deadline is None
        else case.verified_at <= verify_deadline,
        responded_in_time=None
        if case.responded_at is None or respond_deadline is None
        else case.responded_at <= respond_deadline,
    )


class Due(BaseModel):
    """An open case's next deadline: the first stage still running (None: its priority has no service level)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case: Case
    stage: SlaStage
    deadline: UtcDatetime | None
    overdue: bool


def next_deadlines(cases: Iterable[Case], levels: Mapping[CasePriority, ServiceLevel], now: datetime) -> list[Due]:
    """Each case still being worked with its next deadline, the soonest (or most overdue) first."""
    found = []
    for case in cases:
        stage = next((s for s in SlaStage if case.state in _RUNNING[s]), None)
        if stage is None:
            continue
        deadline = deadline_of(case, stage, levels)
        found.append(Due(case=case, stage=stage, deadline=deadline, overdue=deadline is not None and now > deadline))
    return sorted(found, key=lambda due: (due.deadline is None, due.deadline or now, due.case.case_id))
