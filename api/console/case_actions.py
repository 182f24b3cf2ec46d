"""The case page's forms for those who work cases (officers, admins): each calls what the API route calls.

A form the API's request model refuses (or the service refuses as invalid) shows the case page again with
the reason (422); a move the workflow forbids answers the 409 page; a liaison or researcher posting any of
these gets the 403 page, before the case is even looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from api.console.case_views import form_problem
from api.console.cases import case_page, cases_of
from api.console.web import Posted, Viewer, allow, monitor_of, redirect, router
from api.deps import actor
from api.routes.cases import (
    ClaimRequest,
    CommentCreate,
    EvidenceRequest,
    PriorityRequest,
    RegisterRequest,
    ShareRequest,
    TransitionRequest,
)
from api.sessions import SignedIn
from monitor.access.audit import Actor
from monitor.cases import Cases, Correction
from monitor.cases.access import WORK_ROLES
from monitor.cases.assignees import assignee
from monitor.errors import InvalidInputError

Model = TypeVar("Model", bound=BaseModel)


def checked(model: type[Model], fields: dict[str, Any]) -> Model:
    """The form's fields as the API's request ``model`` (its limits are the rule); InvalidInputError if refused."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInputError(form_problem(exc)) from None


def act(
    request: Request, found: SignedIn, case_id: str, done: str, action: Callable[[Cases, Actor], object]
) -> Response:
    """Run ``action`` as the signed-in officer and go back to the case with the notice ``done``; a refused
    form shows the case page again with the reason (422)."""
    key = allow(found, WORK_ROLES)
    cases = cases_of(request)
    try:
        action(cases, actor(key))
    except InvalidInputError as exc:
        message = f"{exc.message}" if exc.parameter is None else f"{exc.message} (ô {exc.parameter})"
        return case_page(request, found, case_id, 422, error=message)
    return redirect(f"/console/cases/{case_id}", done=done)


@router.post("/cases/{case_id}/transition", response_class=HTMLResponse)
def transition(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Move the case (409 page for a move its state does not allow), with an optional note."""

    def run(cases: Cases, by: Actor) -> object:
        body = checked(TransitionRequest, {"to": form.get("to"), "note": form.get("note") or None})
        return cases.transition(case_id, body.to, by, body.note)

    return act(request, found, case_id, "case-updated", run)


@router.post("/cases/{case_id}/priority", response_class=HTMLResponse)
def priority(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Set the priority (the deadlines follow it)."""

    def run(cases: Cases, by: Actor) -> object:
        return cases.store.set_priority(
            case_id, checked(PriorityRequest, {"priority": form.get("priority")}).priority, by
        )

    return act(request, found, case_id, "case-updated", run)


@router.post("/cases/{case_id}/assignee", response_class=HTMLResponse)
def assign(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Assign to an active officer or admin, person or key (empty: unassign); the API's rule decides."""
    monitor = monitor_of(request)

    def run(cases: Cases, by: Actor) -> object:
        chosen = form.get("key_id")
        target = assignee(monitor.keys, monitor.users, chosen) if chosen else None
        return cases.store.assign(case_id, target, by)

    return act(request, found, case_id, "case-updated", run)


@router.post("/cases/{case_id}/comments", response_class=HTMLResponse)
def comment(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    def run(cases: Cases, by: Actor) -> object:
        return cases.store.comment(case_id, by, checked(CommentCreate, {"text": form.get("text")}).text)

    return act(request, found, case_id, "commented", run)


@router.post("/cases/{case_id}/claim", response_class=HTMLResponse)
def claim(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Record the false claim in a sentence."""

    def run(cases: Cases, by: Actor) -> object:
        return cases.set_claim(case_id, checked(ClaimRequest, {"claim": form.get("claim")}).claim, by)

    return act(request, found, case_id, "claim-saved", run)


def _issued_at(request: Request, value: str) -> datetime | str:
    """The local time typed in a ``datetime-local`` field, in the office's zone (the model checks the rest)."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=monitor_of(request).settings.zone)
    except ValueError:
        return value  # the model names the field and says what is wrong


@router.post("/cases/{case_id}/correction", response_class=HTMLResponse)
def correction(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Record the official correction: statement, link, issuing body, local time of issue."""

    def run(cases: Cases, by: Actor) -> object:
        fields = {
            "statement": form.get("statement"),
            "url": form.get("url"),
            "issued_by": form.get("issued_by"),
            "issued_at": _issued_at(request, form.get("issued_at")),
        }
        return cases.set_correction(case_id, checked(Correction, fields), by)

    return act(request, found, case_id, "correction-saved", run)


@router.post("/cases/{case_id}/claim/registration", response_class=HTMLResponse)
def register(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Register the claim and its correction: later repeats are flagged and linked to this case."""

    def run(cases: Cases, by: Actor) -> object:
        lines = [line.strip() for line in form.get("keywords").splitlines() if line.strip()]
        body = checked(RegisterRequest, {"keywords": lines or None})
        if cases.claims is None:  # pragma: no cover - the app always connects the registry
            raise InvalidInputError("the claim registry is not connected")
        return cases.claims.register(case_id, by, tuple(body.keywords) if body.keywords is not None else None)

    return act(request, found, case_id, "claim-registered", run)


@router.post("/cases/{case_id}/shares", response_class=HTMLResponse)
def share(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Share with a configured agency: its liaisons then see the case."""

    def run(cases: Cases, by: Actor) -> object:
        agency = cases.config.check_agency(checked(ShareRequest, {"agency": form.get("agency")}).agency)
        return cases.store.share(case_id, agency, by)

    return act(request, found, case_id, "shared", run)


@router.post("/cases/{case_id}/shares/{agency}/remove", response_class=HTMLResponse)
def unshare(request: Request, found: Viewer, case_id: str, agency: str) -> Response:
    """Stop sharing with an agency."""
    return act(request, found, case_id, "unshared", lambda cases, by: cases.store.unshare(case_id, agency, by))


@router.post("/cases/{case_id}/evidence", response_class=HTMLResponse)
def attach(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """Attach a stored document (by its id) as evidence: a write-once snapshot."""

    def run(cases: Cases, by: Actor) -> object:
        return cases.evidence.attach(case_id, checked(EvidenceRequest, {"doc_id": form.get("doc_id")}).doc_id, by)

    return act(request, found, case_id, "evidence-attached", run)


@router.post("/cases/{case_id}/evidence/verify", response_class=HTMLResponse)
def verify(request: Request, found: Viewer, case_id: str) -> Response:
    """Re-hash every evidence file and show the result on the case page (missing or changed files named)."""
    key = allow(found, WORK_ROLES)
    verification = cases_of(request).evidence.verify(case_id, actor(key))
    return case_page(request, found, case_id, verification=verification)
