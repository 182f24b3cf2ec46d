"""Cases: open from alerts or documents, work them through the workflow, share with agencies, attach
evidence and see it (each view logged with a reason), check deadlines.

Officers and admins work cases; a liaison sees only the cases shared with its agency (configured in
``configs/cases.yaml``) and cannot change them; researchers see no cases. A case not shared with a
liaison's agency answers 404, as an unknown one does, so liaisons learn nothing of other agencies' cases.
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import UNPROCESSABLE, MonitorDep, actor, require
from api.params import LIMIT, OFFSET, CaseId, EvidenceId
from api.responses import CONFLICT
from monitor.access.keys import ApiKey
from monitor.cases import (
    TRANSITIONS,
    Breach,
    Case,
    CaseComment,
    CaseOpen,
    CasePriority,
    CaseQuery,
    Cases,
    CaseState,
    ClaimSpread,
    Correction,
    CustodyEntry,
    Evidence,
    EvidenceView,
    ServiceRecord,
    TimelineEvent,
    Verification,
    open_cases,
)
from monitor.cases.access import SEE_ROLES, WORK_ROLES, agency_scope, visible_case
from monitor.cases.assignees import assignee
from monitor.cases.evidence import MAX_REASON_CHARS
from monitor.cases.model import MAX_CLAIM_CHARS, MAX_COMMENT_CHARS
from monitor.claims.cases import MAX_KEYWORDS, CaseClaims
from monitor.claims.registry import ClaimLink, RegisteredClaim
from monitor.context import Monitor
from monitor.errors import NotFoundError

router = APIRouter(prefix="/cases", tags=["cases"])

WorkCases = Annotated[ApiKey, Depends(require(*WORK_ROLES))]
SeeCases = Annotated[ApiKey, Depends(require(*SEE_ROLES))]

_build_lock = threading.Lock()


def get_cases(request: Request, monitor: MonitorDep) -> Cases:
    """The case service: ``app.state.cases`` if the app set one, else built once from the monitor."""
    cases: Cases | None = getattr(request.app.state, "cases", None)
    if cases is None:
        with _build_lock:
            cases = getattr(request.app.state, "cases", None)
            if cases is None:
                cases = _build(monitor)
                request.app.state.cases = cases
    return cases


def _build(monitor: Monitor) -> Cases:
    return open_cases(
        monitor.db,
        config_dir=monitor.settings.config_dir,
        data_dir=monitor.settings.data_dir,
        documents=monitor.store,
        archive=monitor.pipeline.archive,
        alerts=monitor.alerts,
        claims=monitor.claims,
    )


CasesDep = Annotated[Cases, Depends(get_cases)]


def _visible(case_id: str, key: ApiKey, cases: Cases) -> Case:
    # 403 (ForbiddenError) before 404 for a liaison in no agency: visible_case checks the agency first.
    return visible_case(cases.store, cases.config, key, case_id)


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Case]


class OpenedCase(BaseModel):
    case: Case
    evidence: list[Evidence]


class CaseDetail(BaseModel):
    case: Case
    allowed_transitions: list[CaseState]
    service: ServiceRecord


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: CaseState
    note: str | None = Field(default=None, max_length=2000, description="Why (kept in the timeline).")


class PriorityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: CasePriority


class AssigneeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str | None = Field(
        description="An active officer or admin: a key id (monitor keys list) or a person's 'user:<id>'; "
        "null unassigns."
    )


class ShareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: str = Field(min_length=1, max_length=64)


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claim: str = Field(min_length=1, max_length=MAX_CLAIM_CHARS, description="The false claim, in a sentence.")


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keywords: list[Annotated[str, Field(min_length=2, max_length=200)]] | None = Field(
        default=None,
        max_length=MAX_KEYWORDS,
        description="Other phrasings that signal the claim on their own; null keeps the registered ones.",
    )


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    why: str = Field(min_length=1, max_length=2000, description="Why the claim stops being matched (timeline).")


class EvidenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_id: str = Field(min_length=1, max_length=200)


Reason = Annotated[
    str, Query(min_length=1, max_length=MAX_REASON_CHARS, description="Why you look (chain-of-custody log).")
]


@router.post(
    "", summary="Open a case from an alert and/or documents", status_code=status.HTTP_201_CREATED, responses=CONFLICT
)
def open_case(spec: CaseOpen, cases: CasesDep, key: WorkCases) -> OpenedCase:
    if spec.alert_id is None and not spec.doc_ids:
        raise HTTPException(UNPROCESSABLE, "a case comes from an alert ('alert_id') or documents ('doc_ids')")
    case, evidence = cases.open_case(spec, actor(key))
    return OpenedCase(case=case, evidence=evidence)


@router.get("", summary="List cases, most recently opened first (liaisons: those shared with their agency)")
def list_cases(
    cases: CasesDep,
    key: SeeCases,
    state: Annotated[list[CaseState] | None, Query(description="Case state; repeat for several.")] = None,
    priority: Annotated[list[CasePriority] | None, Query(description="Priority; repeat for several.")] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="Assignee key id.")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="Shared with this agency.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description=LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000, description=OFFSET)] = 0,
) -> CasePage:
    own = agency_scope(key, cases.config)
    if own is not None and agency is not None and agency != own:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a liaison of '{own}' sees only cases shared with '{own}'")
    request = CaseQuery(
        states=tuple(state or ()),
        priorities=tuple(priority or ()),
        assignee_id=assignee,
        agency=own or agency,
        limit=limit,
        offset=offset,
    )
    total, items = cases.store.search(request)
    return CasePage(total=total, limit=limit, offset=offset, items=items)


@router.get("/overdue", summary="Deadlines missed now by cases still being worked")
def list_overdue(cases: CasesDep, key: WorkCases) -> list[Breach]:
    return cases.overdue(cases.store.clock())


@router.get("/{case_id}", summary="One case, the moves allowed from its state, and its service record")
def get_case(case_id: CaseId, cases: CasesDep, key: SeeCases) -> CaseDetail:
    case = _visible(case_id, key, cases)
    return CaseDetail(
        case=case,
        allowed_transitions=sorted(TRANSITIONS[case.state]),
        service=cases.service_record(case_id),
    )


@router.post(
    "/{case_id}/transition", summary="Move a case to another state (409 if the move is not allowed)", responses=CONFLICT
)
def transition(case_id: CaseId, body: TransitionRequest, cases: CasesDep, key: WorkCases) -> Case:
    return cases.transition(case_id, body.to, actor(key), body.note)


@router.put("/{case_id}/priority", summary="Set the priority (deadlines follow it)", responses=CONFLICT)
def set_priority(case_id: CaseId, body: PriorityRequest, cases: CasesDep, key: WorkCases) -> Case:
    return cases.store.set_priority(case_id, body.priority, actor(key))


@router.put(
    "/{case_id}/assignee", summary="Assign to an officer or admin, key or person (null unassigns)", responses=CONFLICT
)
def assign(case_id: CaseId, body: AssigneeRequest, cases: CasesDep, monitor: MonitorDep, key: WorkCases) -> Case:
    # 422 "parameter 'key_id': ..." unless an active officer or admin (key or person): one rule with the console
    target = None if body.key_id is None else assignee(monitor.keys, monitor.users, body.key_id)
    return cases.store.assign(case_id, target, actor(key))


@router.post("/{case_id}/shares", summary="Share with an agency (its liaisons then see the case)")
def share(case_id: CaseId, body: ShareRequest, cases: CasesDep, key: WorkCases) -> Case:
    cases.config.check_agency(body.agency)  # 422 "parameter 'agency': ..." for an unknown one
    return cases.store.share(case_id, body.agency, actor(key))


@router.delete("/{case_id}/shares/{agency}", summary="Stop sharing with an agency")
def unshare(
    case_id: CaseId,
    agency: Annotated[str, Path(description="The agency the case is shared with.")],
    cases: CasesDep,
    key: WorkCases,
) -> Case:
    return cases.store.unshare(case_id, agency, actor(key))


@router.post(
    "/{case_id}/comments", summary="Comment on a case", status_code=status.HTTP_201_CREATED, responses=CONFLICT
)
def add_comment(case_id: CaseId, body: CommentCreate, cases: CasesDep, key: WorkCases) -> CaseComment:
    return cases.store.comment(case_id, actor(key), body.text)


@router.get("/{case_id}/comments", summary="A case's comments, oldest first")
def list_comments(case_id: CaseId, cases: CasesDep, key: SeeCases) -> list[CaseComment]:
    _visible(case_id, key, cases)
    return cases.store.comments(case_id)


@router.get("/{case_id}/timeline", summary="Everything that happened to a case, oldest first")
def timeline(case_id: CaseId, cases: CasesDep, key: SeeCases) -> list[TimelineEvent]:
    _visible(case_id, key, cases)
    return cases.store.timeline(case_id)


@router.put("/{case_id}/claim", summary="Record the false claim in a sentence", responses=CONFLICT)
def set_claim(case_id: CaseId, body: ClaimRequest, cases: CasesDep, key: WorkCases) -> Case:
    return cases.set_claim(case_id, body.claim, actor(key))


@router.put(
    "/{case_id}/correction",
    summary="Record the official correction (statement, URL, issuing body, time)",
    responses=CONFLICT,
)
def set_correction(case_id: CaseId, body: Correction, cases: CasesDep, key: WorkCases) -> Case:
    return cases.set_correction(case_id, body, actor(key))


def _claims(cases: Cases) -> CaseClaims:
    if cases.claims is None:  # pragma: no cover - the app always connects the registry
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the claim registry is not connected")
    return cases.claims


@router.post(
    "/{case_id}/claim/registration",
    responses=CONFLICT,
    summary="Register the claim and its correction: later repeats are flagged and linked to the case",
)
def register_claim(case_id: CaseId, body: RegisterRequest, cases: CasesDep, key: WorkCases) -> RegisteredClaim:
    keywords = tuple(body.keywords) if body.keywords is not None else None
    return _claims(cases).register(case_id, actor(key), keywords)


@router.get("/{case_id}/claim/registration", summary="The case's claim as registered (404 if never registered)")
def get_registration(case_id: CaseId, cases: CasesDep, key: SeeCases) -> RegisteredClaim:
    _visible(case_id, key, cases)
    registered = _claims(cases).registered(case_id)
    if registered is None:
        raise NotFoundError(f"case '{case_id}' has not registered its claim")
    return registered


@router.post("/{case_id}/claim/withdrawal", summary="Stop matching the case's registered claim", responses=CONFLICT)
def withdraw_claim(case_id: CaseId, body: WithdrawRequest, cases: CasesDep, key: WorkCases) -> RegisteredClaim:
    return _claims(cases).withdraw(case_id, actor(key), body.why)


@router.get("/{case_id}/spread", summary="Posts repeating the claim vs posts relaying the correction, per day")
def spread(case_id: CaseId, cases: CasesDep, monitor: MonitorDep, key: SeeCases) -> ClaimSpread:
    _visible(case_id, key, cases)
    return _claims(cases).spread(case_id, monitor.settings.zone)


@router.get("/{case_id}/linked", summary="Documents linked to the registered claim, newest published first")
def linked(
    case_id: CaseId,
    cases: CasesDep,
    key: SeeCases,
    kind: Annotated[Literal["repeat", "correction"] | None, Query(description="Only this kind of link.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description=LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000, description=OFFSET)] = 0,
) -> list[ClaimLink]:
    _visible(case_id, key, cases)
    return _claims(cases).linked(case_id, kind=kind, limit=limit, offset=offset)


@router.post(
    "/{case_id}/evidence",
    responses=CONFLICT,
    summary="Attach a document as evidence (201 new snapshot; 200 with the first snapshot if already attached)",
    status_code=status.HTTP_201_CREATED,
)
def attach_evidence(
    case_id: CaseId, body: EvidenceRequest, cases: CasesDep, key: WorkCases, response: Response
) -> Evidence:
    evidence, new = cases.evidence.attach(case_id, body.doc_id, actor(key))
    if not new:
        response.status_code = status.HTTP_200_OK
    return evidence


@router.get("/{case_id}/evidence", summary="A case's evidence: documents, capture times and file hashes")
def list_evidence(case_id: CaseId, cases: CasesDep, key: SeeCases) -> list[Evidence]:
    _visible(case_id, key, cases)
    return cases.evidence.attached(case_id)


@router.post("/{case_id}/evidence/verify", summary="Re-hash every evidence file; names any missing or changed")
def verify_evidence(case_id: CaseId, cases: CasesDep, key: WorkCases) -> Verification:
    return cases.evidence.verify(case_id, actor(key))


@router.get(
    "/{case_id}/evidence/{evidence_id}",
    summary="See one snapshot's content (logged with your reason)",
    responses=CONFLICT,
)
def view_evidence(
    case_id: CaseId, evidence_id: EvidenceId, reason: Reason, cases: CasesDep, key: SeeCases
) -> EvidenceView:
    _visible(case_id, key, cases)
    return cases.evidence.view(case_id, evidence_id, actor(key), reason)


@router.get(
    "/{case_id}/evidence/{evidence_id}/files/{name}",
    summary="Download one evidence file (logged with your reason; 409 if it changed since attached)",
    response_class=Response,
    responses={
        **CONFLICT,
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    },
)
def download_evidence(
    case_id: CaseId,
    evidence_id: EvidenceId,
    name: Annotated[str, Path(description="The file's name in the snapshot.")],
    reason: Reason,
    cases: CasesDep,
    key: SeeCases,
) -> Response:
    _visible(case_id, key, cases)
    record, data = cases.evidence.read_file(case_id, evidence_id, name, actor(key), reason)
    media = "application/json" if name.endswith(".json") else "application/octet-stream"
    return Response(
        data,
        media_type=media,
        headers={"X-Evidence-SHA256": record.sha256, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{case_id}/custody", summary="The chain of custody of a case's evidence: who saw what, when, why")
def custody(case_id: CaseId, cases: CasesDep, key: WorkCases) -> list[CustodyEntry]:
    return cases.evidence.custody(case_id)
