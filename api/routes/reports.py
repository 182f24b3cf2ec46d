"""Reports on demand: ``GET /reports/{kind}?end=...&format=docx|pdf|html`` returns the file."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.deps import MonitorDep, require
from monitor.access.keys import ApiKey
from monitor.access.roles import REPORT_ROLES
from monitor.reports import MEDIA_TYPES, ReportFormat, ReportKind
from monitor.reports.on_demand import report_file

router = APIRouter(prefix="/reports", tags=["reports"])

# Every report is built from documents; its alerts and cases parts follow their own roles (report_scope).
ReadReports = Annotated[ApiKey, Depends(require(*REPORT_ROLES))]


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
    found = report_file(monitor, key, kind, end=end, fmt=fmt, campaign=campaign)
    return Response(
        found.body,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
