"""Reports on demand: ``GET /reports/{kind}?end=...&format=docx|pdf|html`` returns the file."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from api.deps import UNPROCESSABLE, MonitorDep, require
from monitor.access.keys import ApiKey
from monitor.access.roles import REPORT_ROLES
from monitor.reports import MEDIA_TYPES, ReportFormat, ReportKind, build_report, render
from monitor.reports.access import report_scope

router = APIRouter(prefix="/reports", tags=["reports"])

# Every report is built from documents; its alerts and cases parts follow their own roles (report_scope).
ReadReports = Annotated[ApiKey, Depends(require(*REPORT_ROLES))]


# Reports cover the monitoring era; far-off dates would only overflow the period arithmetic.
EARLIEST_END = date(2000, 1, 1)
LATEST_END = date(2100, 12, 31)


@router.get("/{kind}", response_class=Response, responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}})
def get_report(
    kind: Annotated[ReportKind, Path(description="Which report.")],
    monitor: MonitorDep,
    key: ReadReports,
    end: Annotated[
        date | None, Query(description="Last local day included (daily, weekly); default yesterday.")
    ] = None,
    fmt: Annotated[ReportFormat, Query(alias="format", description="docx, pdf or html.")] = ReportFormat.HTML,
    campaign: Annotated[str | None, Query(max_length=64, description="Campaign id (kind=campaign).")] = None,
) -> Response:
    """Build the report now and return it as one file (a plain ``def``: FastAPI runs it in a thread).

    A researcher's report leaves out the alerts and cases (403 on ``/alerts`` and ``/cases`` for them too).
    """
    if end is not None and not EARLIEST_END <= end <= LATEST_END:
        raise HTTPException(UNPROCESSABLE, f"parameter 'end': must be between {EARLIEST_END} and {LATEST_END}")
    if kind is ReportKind.CAMPAIGN and not campaign:
        raise HTTPException(UNPROCESSABLE, "parameter 'campaign': required for a campaign report")
    report = build_report(monitor, kind, end=end, campaign=campaign, scope=report_scope(key))
    body = render(report, fmt, monitor.settings.timezone)
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{report.slug}.{fmt.value}"'},
    )
