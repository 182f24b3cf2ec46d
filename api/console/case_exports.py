"""The case exports and the evidence viewer in the console: each asks why, and each is logged.

The files are produced by the API's own export functions (:mod:`api.routes.case_exports`) with the
requester they build, so who may export which case (a liaison: only their agency's), the purpose rule and
the custody log are the API's. A missing purpose shows the case page again with the reason (422).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.case_actions import checked
from api.console.cases import board_page, case_page, cases_of
from api.console.web import Posted, Viewer, allow, monitor_of, render, router
from api.deps import actor
from api.routes.case_exports import (
    BriefingRequest,
    ExportRequest,
    briefing_response,
    police_response,
    register_response,
    requester,
)
from api.sessions import SignedIn
from monitor.cases.access import EXPORT_ROLES, REGISTER_ROLES, SEE_ROLES, visible_case
from monitor.errors import InvalidInputError

PURPOSE_NEEDED = "Hãy ghi mục đích xuất tệp (ô “Mục đích”): mỗi lần xuất được ghi vào nhật ký lưu giữ bằng chứng."


@router.post("/cases/exports/register")
def export_register(request: Request, found: Viewer, form: Posted) -> Response:
    """The register of every case (XLSX), for officers and admins, with its purpose."""
    key = allow(found, REGISTER_ROLES)
    if not form.get("purpose"):
        return board_page(request, found, 422, error=PURPOSE_NEEDED)
    cases = cases_of(request)
    return register_response(cases, requester(key, cases, monitor_of(request), form.get("purpose")))


def _refused(request: Request, found: SignedIn, case_id: str, message: str) -> Response:
    # The case page again (visible_case inside: another agency's case is 404, not a form to retry).
    return case_page(request, found, case_id, 422, error=message)


@router.post("/cases/{case_id}/exports/police")
def export_police(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """The police evidence package (ZIP), made by the API's function, logged with the purpose."""
    key = allow(found, EXPORT_ROLES)
    cases = cases_of(request)
    if not form.get("purpose"):
        return _refused(request, found, case_id, PURPOSE_NEEDED)
    try:
        body = checked(ExportRequest, {"purpose": form.get("purpose")})
    except InvalidInputError as exc:
        return _refused(request, found, case_id, exc.message)
    return police_response(cases, case_id, requester(key, cases, monitor_of(request), body.purpose))


@router.post("/cases/{case_id}/exports/briefing")
def export_briefing(request: Request, found: Viewer, form: Posted, case_id: str) -> Response:
    """The foreign-affairs briefing (DOCX), private individuals redacted, logged with the purpose."""
    key = allow(found, EXPORT_ROLES)
    cases = cases_of(request)
    monitor = monitor_of(request)
    if not form.get("purpose"):
        return _refused(request, found, case_id, PURPOSE_NEEDED)
    fields = {"purpose": form.get("purpose"), "english_summary": form.get("english_summary") or None}
    try:
        body = checked(BriefingRequest, fields)
    except InvalidInputError as exc:
        return _refused(request, found, case_id, exc.message)
    who = requester(key, cases, monitor, body.purpose)
    return briefing_response(cases, case_id, who, monitor, body.english_summary)


@router.post("/cases/{case_id}/evidence/{evidence_id}/view", response_class=HTMLResponse)
def view_evidence(request: Request, found: Viewer, form: Posted, case_id: str, evidence_id: str) -> Response:
    """One snapshot's content, logged in the chain of custody with the reason given."""
    key = allow(found, SEE_ROLES)
    cases = cases_of(request)
    visible_case(cases.store, cases.config, key, case_id)
    reason = form.get("reason")
    if not reason:
        return case_page(request, found, case_id, 422, error="Hãy ghi lý do xem bằng chứng (ô “Lý do xem”).")
    seen = cases.evidence.view(case_id, evidence_id, actor(key), reason)
    return render(request, "case_evidence.html", found, section="cases", case_id=case_id, seen=seen, reason=reason)
