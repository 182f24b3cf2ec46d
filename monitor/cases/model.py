"""Case types: states and their transitions, priorities, the false claim and its official correction.

A case is how the office handles one piece of false or distorted information, from first look to the
published correction. States go triage → verifying → responding → resolved → closed; a case can be
dismissed while it is still being triaged or verified (not misinformation, or not ours to answer).
Closed and dismissed are final: a claim that resurfaces gets a new case, so each case's time to verify
and time to respond stay true numbers for the reports.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from monitor.errors import ConflictError
from monitor.records import UtcDatetime

MAX_TITLE_CHARS = 300
MAX_CLAIM_CHARS = 1000
MAX_COMMENT_CHARS = 4000
MAX_STATEMENT_CHARS = 20_000


class CaseState(StrEnum):
    TRIAGE = "triage"
    VERIFYING = "verifying"
    RESPONDING = "responding"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DISMISSED = "dismissed"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


# The only moves the workflow allows; everything else is a CaseStateError (HTTP 409).
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.TRIAGE: frozenset({CaseState.VERIFYING, CaseState.DISMISSED}),
    CaseState.VERIFYING: frozenset({CaseState.RESPONDING, CaseState.DISMISSED}),
    CaseState.RESPONDING: frozenset({CaseState.RESOLVED}),
    CaseState.RESOLVED: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
    CaseState.DISMISSED: frozenset(),
}

# States in which a case is still being worked (deadlines run, evidence and edits are accepted).
OPEN_STATES = frozenset({CaseState.TRIAGE, CaseState.VERIFYING, CaseState.RESPONDING})
FINAL_STATES = frozenset({CaseState.CLOSED, CaseState.DISMISSED})


class CaseStateError(ConflictError):
    """A step the case's current state does not allow (the API answers 409 with this message)."""


def check_transition(case_id: str, current: CaseState, target: CaseState) -> None:
    """Raise :class:`CaseStateError` naming the allowed moves unless ``current → target`` is one."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    if current is target:
        raise CaseStateError(f"case '{case_id}' is already {current.value}")
    if not allowed:
        raise CaseStateError(
            f"case '{case_id}' is {current.value}, a final state: it cannot move to {target.value} "
            "(open a new case if the claim resurfaces)"
        )
    names = ", ".join(sorted(state.value for state in allowed))
    raise CaseStateError(
        f"case '{case_id}' cannot move from {current.value} to {target.value} (allowed from {current.value}: {names})"
    )


class TimelineKind(StrEnum):
    OPEN = "open"
    TRANSITION = "transition"
    PRIORITY = "priority"
    ASSIGN = "assign"
    SHARE = "share"
    UNSHARE = "unshare"
    COMMENT = "comment"
    CLAIM = "claim"
    CORRECTION = "correction"
    REGISTER = "register"
    WITHDRAW = "withdraw"
    EVIDENCE = "evidence"


class Correction(BaseModel):
    """The official correction: what the authority said, where, who said it and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    statement: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)
    url: HttpUrl
    issued_by: str = Field(min_length=1, max_length=300, description="The issuing body, e.g. 'UBND tỉnh Đồng Nai'.")
    issued_at: UtcDatetime

    @field_validator("statement", "issued_by")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class CaseOpen(BaseModel):
    """What opening a case needs: a title, and an alert or documents (or both) it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    priority: CasePriority = CasePriority.NORMAL
    claim: str | None = Field(default=None, max_length=MAX_CLAIM_CHARS, description="The false claim, in a sentence.")
    alert_id: str | None = Field(default=None, max_length=64)
    doc_ids: tuple[str, ...] = Field(default=(), max_length=100)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    title: str
    state: CaseState
    priority: CasePriority
    claim: str | None
    correction: Correction | None
    alert_id: str | None
    assignee: str | None = Field(description="Label of the officer's key: 'name (key id)'.")
    assignee_id: str | None
    agencies: tuple[str, ...] = Field(description="Agencies the case is shared with (their liaisons see it).")
    opened_by: str
    opened_at: UtcDatetime
    updated_at: UtcDatetime
    verified_at: UtcDatetime | None = Field(description="When verification ended (the case entered responding).")
    responded_at: UtcDatetime | None = Field(description="When the official response was done (resolved).")
    closed_at: UtcDatetime | None = Field(description="When the case became closed or dismissed.")
    evidence_count: int = 0
    comment_count: int = 0

    @property
    def time_to_verify_seconds(self) -> float | None:
        return None if self.verified_at is None else (self.verified_at - self.opened_at).total_seconds()

    @property
    def time_to_respond_seconds(self) -> float | None:
        return None if self.responded_at is None else (self.responded_at - self.opened_at).total_seconds()


class CaseComment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    comment_id: int
    case_id: str
    at: UtcDatetime
    author: str
    author_id: str | None
    text: str


class TimelineEvent(BaseModel):
    """One thing that happened to a case; the timeline is append-only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: int
    case_id: str
    at: UtcDatetime
    actor: str
    actor_id: str | None
    kind: TimelineKind
    from_state: CaseState | None
    to_state: CaseState | None
    detail: dict[str, Any]


class CaseQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    states: tuple[CaseState, ...] = ()
    priorities: tuple[CasePriority, ...] = ()
    assignee_id: str | None = None
    agency: str | None = Field(default=None, description="Only cases shared with this agency.")
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
