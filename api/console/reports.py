"""The reports page: choose a report and download it, built as ``GET /reports/{kind}`` builds it.

The form posts (with its CSRF token) and the answer is the file itself, from
:func:`monitor.reports.on_demand.report_file`: the API's checks and the reader's scope (a researcher's
report has no alerts nor cases) apply unchanged.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.days import today
from api.console.web import PageError, Posted, Viewer, allow, day_start, monitor_of, render, router
from api.sessions import SignedIn
from monitor.access.roles import REPORT_ROLES
from monitor.analytics.campaigns import load_campaigns
from monitor.errors import InvalidInputError, NotFoundError
from monitor.reports import ReportFormat, ReportKind
from monitor.reports.on_demand import report_file

FORMAT_NAMES = {
    ReportFormat.DOCX: "Word (.docx)",
    ReportFormat.PDF: "PDF (.pdf)",
    ReportFormat.HTML: "Trang web (.html)",
}
Choice = TypeVar("Choice", ReportKind, ReportFormat)
FIELD_NAMES = {"end": "Ngày cuối của kỳ", "campaign": "Chiến dịch", "kind": "Loại báo cáo", "format": "Định dạng"}


def _form(
    request: Request, found: SignedIn, status_code: int = 200, error: str | None = None, **chosen: Any
) -> HTMLResponse:
    monitor = monitor_of(request)
    campaigns = sorted(load_campaigns(monitor.settings.config_dir).values(), key=lambda c: c.start, reverse=True)
    yesterday = today(monitor.settings.zone) - timedelta(days=1)
    values = {"kind": "daily", "end": yesterday.isoformat(), "format": "docx", "campaign": ""} | chosen
    return render(
        request,
        "reports_form.html",
        found,
        status_code,
        section="reports",
        kinds=list(ReportKind),
        formats=FORMAT_NAMES,
        campaigns=campaigns,
        values=values,
        error=error,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, found: Viewer) -> Response:
    """The form: kind, last day, format and campaign."""
    allow(found, REPORT_ROLES)
    return _form(request, found)


@router.post("/reports", response_class=Response)
def download_report(request: Request, found: Viewer, form: Posted) -> Response:
    """Build the report and answer with the file; a wrong choice re-shows the form saying which field."""
    key = allow(found, REPORT_ROLES)
    monitor = monitor_of(request)
    chosen = {name: form.get(name) for name in ("kind", "end", "format", "campaign")}
    try:
        kind = _choice(ReportKind, chosen["kind"], "kind")
        fmt = _choice(ReportFormat, chosen["format"], "format")
        start = day_start("end", chosen["end"], monitor.settings.zone, FIELD_NAMES["end"])
        end: date | None = start.date() if start is not None else None
        found_file = report_file(
            monitor, key, kind, end=end, fmt=fmt, campaign=chosen["campaign"] if kind is ReportKind.CAMPAIGN else None
        )
    except InvalidInputError as exc:
        field = FIELD_NAMES.get(exc.parameter or "", exc.parameter or "")
        message = f"Ô “{field}”: {exc.message}." if field else exc.message
        return _form(request, found, 422, error=f"{message} Hãy sửa rồi tạo lại.", **chosen)
    except PageError as exc:  # a day that is not a date, named by day_start
        return _form(request, found, 422, error=f"{exc.message} Hãy sửa rồi tạo lại.", **chosen)
    except NotFoundError as exc:
        return _form(request, found, 422, error=f"{exc.message}. Hãy chọn chiến dịch khác.", **chosen)
    return Response(
        found_file.body,
        media_type=found_file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found_file.filename}"', "Cache-Control": "no-store"},
    )


def _choice(kind: type[Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(item.value for item in kind)
        raise InvalidInputError(f"“{value}” không phải lựa chọn hợp lệ ({known})", parameter=field) from None
