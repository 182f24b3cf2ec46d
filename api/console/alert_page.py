"""One alert: why it fired, its documents, comments, audit trail and delivery status, and what an officer
does with it (acknowledge and resolve are in :mod:`api.console.alerts`; comment, silence, open a case and
retry deliveries here).

Each action calls the service the API's route calls, with the API's request model checking the form:
``monitor.alerts.comment``, ``monitor.alerts.create_silence`` (``SilenceCreate``), ``Cases.open_case``
(``CaseOpen``), ``monitor.delivery.retry``. Who may silence (administrators) and who may open cases
(officers, administrators) is the roles table's; the page shows each action only to those roles.
"""

from __future__ import annotations

import glob
from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

# The inbox's routes first: /alerts/rows must be matched before /alerts/{alert_id}.
from api.console.alert_why import explain
from api.console.alerts import alert_url, rule_names
from api.console.forms import form_error, max_length
from api.console.web import PageError, Posted, Viewer, allow, monitor_of, redirect, render, router
from api.deps import actor
from api.routes.alerts import DOCUMENTS_IN_DETAIL, CommentCreate, ResolveRequest
from api.routes.cases import get_cases
from monitor.access.roles import ALERT_ACTION_ROLES, ALERT_ROLES, SILENCE_MANAGE_ROLES
from monitor.alerting.silences import SilenceCreate
from monitor.cases import CaseOpen, CasePriority
from monitor.cases.access import WORK_ROLES
from monitor.delivery.triggers import describe
from monitor.records import utc_now

# How long a silence made from an alert lasts: hours → the words in the form.
SILENCE_HOURS = {1: "1 giờ", 4: "4 giờ", 12: "12 giờ", 24: "1 ngày", 72: "3 ngày", 168: "7 ngày"}
# The forms' maxlength: the API models' own limits.
_LIMITS = {
    "note": max_length(ResolveRequest, "note"),
    "comment": max_length(CommentCreate, "text"),
    "title": max_length(CaseOpen, "title"),
    "claim": max_length(CaseOpen, "claim"),
    "reason": max_length(SilenceCreate, "reason"),
}
SILENCE_SCOPES = {"rule": "mọi cảnh báo của quy tắc này", "key": "chỉ các cảnh báo cùng loại với cảnh báo này"}


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, found: Viewer) -> Response:
    """The alert: why, documents, comments, trail, deliveries, and the actions the person's role allows."""
    allow(found, ALERT_ROLES)
    monitor = monitor_of(request)
    alert = monitor.alerts.get(alert_id)
    rule = next((r for r in monitor.rules if r.id == alert.rule_id), None)
    role = found.user.role
    return render(
        request,
        "alerts_detail.html",
        found,
        section="alerts",
        alert=alert,
        why=explain(alert, rule, monitor.settings.zone),
        documents=monitor.store.get_many(list(alert.doc_ids[:DOCUMENTS_IN_DETAIL])),
        more_documents=max(0, alert.doc_count - DOCUMENTS_IN_DETAIL),
        comments=monitor.alerts.comments(alert_id),
        trail=monitor.alerts.trail(alert_id),
        deliveries=monitor.delivery.deliveries_for(alert_id),
        attempts=monitor.delivery.log_for(alert_id),
        silence=monitor.alerts.silences.get(alert.silence_id) if alert.silence_id else None,
        rule_names=rule_names(request),
        can_act=role in ALERT_ACTION_ROLES,
        can_silence=role in SILENCE_MANAGE_ROLES,
        can_open_case=role in WORK_ROLES,
        silence_hours=SILENCE_HOURS,
        silence_scopes=SILENCE_SCOPES,
        priorities=list(CasePriority),
        limits=_LIMITS,
        describe_trigger=describe,  # the words the delivered messages use
    )


@router.post("/alerts/{alert_id}/comment")
def comment(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Add a comment (as ``POST /alerts/{id}/comments``)."""
    key = allow(found, ALERT_ACTION_ROLES)
    try:
        body = CommentCreate(text=form.raw("text"))
    except ValidationError as exc:
        raise form_error(exc, {"text": "Ghi chú"}) from None
    monitor_of(request).alerts.comment(alert_id, by=actor(key), text=body.text)
    return redirect(alert_url(alert_id), done="commented")


def _hours(value: str) -> int:
    if not value.isdigit() or int(value) not in SILENCE_HOURS:
        choices = ", ".join(SILENCE_HOURS.values())
        raise PageError(422, "Dữ liệu chưa hợp lệ", f"Ô “Tắt trong” (hours): hãy chọn một trong: {choices}.")
    return int(value)


@router.post("/alerts/{alert_id}/silence")
def silence(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Silence alerts like this one for a while (as ``POST /silences``: administrators only)."""
    key = allow(found, SILENCE_MANAGE_ROLES)
    monitor = monitor_of(request)
    alert = monitor.alerts.get(alert_id)
    scope = form.get("scope", "rule")
    if scope not in SILENCE_SCOPES:
        raise PageError(422, "Dữ liệu chưa hợp lệ", "Ô “Tắt những cảnh báo nào” (scope): hãy chọn một lựa chọn.")
    hours = _hours(form.get("hours"))
    try:
        spec = SilenceCreate(
            rule_id=alert.rule_id,
            # The key matched literally: an alert key may hold '*' or '[' that a glob would read as patterns.
            key_pattern=glob.escape(alert.key) if scope == "key" else None,
            reason=form.get("reason"),
            expires_at=utc_now() + timedelta(hours=hours),
        )
    except ValidationError as exc:
        raise form_error(exc, {"reason": "Lý do", "expires_at": "Tắt trong"}) from None
    monitor.alerts.create_silence(spec, by=actor(key))
    return redirect(alert_url(alert_id), done="silenced")


@router.post("/alerts/{alert_id}/case")
def open_case(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Open a case from the alert (as ``POST /cases`` with ``alert_id``), then go to the case."""
    key = allow(found, WORK_ROLES)
    monitor = monitor_of(request)
    monitor.alerts.get(alert_id)  # the 404 page for an unknown alert, before the form is read
    try:
        spec = CaseOpen(
            title=form.get("title"),
            priority=form.get("priority") or CasePriority.NORMAL,
            claim=form.get("claim") or None,
            alert_id=alert_id,
        )
    except ValidationError as exc:
        raise form_error(exc, {"title": "Tên vụ việc", "priority": "Độ ưu tiên", "claim": "Nội dung sai"}) from None
    case, _ = get_cases(request, monitor).open_case(spec, actor(key))
    return redirect(f"/console/cases/{case.case_id}", done="case-opened")


@router.post("/alerts/{alert_id}/deliveries/retry")
def retry_deliveries(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Send the failed deliveries again (as ``POST /alerts/{id}/deliveries/retry``), all or one channel."""
    key = allow(found, ALERT_ACTION_ROLES)
    monitor = monitor_of(request)
    monitor.alerts.get(alert_id)
    monitor.delivery.retry(alert_id, channel_id=form.get("channel") or None, by=actor(key).label)
    return redirect(alert_url(alert_id), done="deliveries-retried")
