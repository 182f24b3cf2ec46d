"""The alert data types: states, what rules propose, what the store keeps, how to query it.

Kept apart from the store (:mod:`monitor.alerting.store`) so rules, the workflow and delivery use them
without the store.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from monitor.alerting.details import details_json
from monitor.errors import ConflictError
from monitor.records import UtcDatetime

ALERT_NAMESPACE = uuid.UUID("3c9d2f4e-1b7a-5e08-8c61-9a0f2d4b7e15")


class AlertSeverity(StrEnum):
    """How urgent an alert is: rules declare it, delivery and escalation act on it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class AlertState(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertStateError(ConflictError):
    """A workflow step that the alert's current state does not allow (the API answers 409)."""


class AlertCandidate(BaseModel):
    """What a rule evaluation proposes; the store merges it into an :class:`Alert`.

    Evaluators pass their typed details model (:mod:`monitor.alerting.details`); the candidate keeps its
    JSON, which is what the store writes and delivery sends.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    rule_type: str
    severity: AlertSeverity
    key: str
    title: str
    summary: str
    details: Annotated[dict[str, Any], BeforeValidator(details_json)] = Field(default_factory=dict)
    doc_ids: tuple[str, ...]
    event_start: UtcDatetime
    event_end: UtcDatetime

    @property
    def alert_id(self) -> str:
        return str(uuid.uuid5(ALERT_NAMESPACE, f"{self.rule_id}\x00{self.key}"))


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: str
    rule_id: str
    rule_type: str
    severity: AlertSeverity
    key: str
    title: str
    summary: str
    details: dict[str, Any]
    state: AlertState
    doc_ids: tuple[str, ...]
    doc_count: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    event_start: UtcDatetime
    event_end: UtcDatetime
    acknowledged_by: str | None = None
    acknowledged_at: UtcDatetime | None = None
    resolved_by: str | None = None
    resolved_at: UtcDatetime | None = None
    silenced: bool = Field(default=False, description="An active silence matches: hide from the feed, skip delivery.")
    silence_id: str | None = None
    escalated_at: UtcDatetime | None = None
    comment_count: int = 0
    seq: int = Field(default=0, description="Change sequence: larger means changed later; the stream's event id.")


class AlertComment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    comment_id: int
    alert_id: str
    at: UtcDatetime
    author: str
    author_id: str | None
    text: str


class AlertQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    states: tuple[AlertState, ...] = ()
    severities: tuple[AlertSeverity, ...] = ()
    rule_ids: tuple[str, ...] = ()
    since: UtcDatetime | None = None  # on created_at
    until: UtcDatetime | None = None
    event_since: UtcDatetime | None = None  # the alert's event span overlaps [event_since, event_until)
    event_until: UtcDatetime | None = None
    text: str | None = Field(default=None, max_length=200, description="Words in the title or summary (folded).")
    include_silenced: bool = True
    escalated: bool | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AlertQuery:
        for low, high in (("since", "until"), ("event_since", "event_until")):
            start, end = getattr(self, low), getattr(self, high)
            if start is not None and end is not None and end < start:
                raise ValueError(f"'{high}' is before '{low}'")
        return self


# Whether the alert's silence is in force now; two parameters: now, now.
SILENCED_SQL = (
    "(a.silence_id IS NOT NULL AND EXISTS (SELECT 1 FROM silences s WHERE s.silence_id = a.silence_id"
    " AND s.deleted_ts IS NULL AND s.starts_ts <= ? AND s.expires_ts > ?))"
)
