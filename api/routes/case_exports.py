"""Exports of cases: the police evidence package (ZIP), the foreign-affairs briefing (DOCX), the register (XLSX).

Every export needs a stated purpose (422 without one) and is written to the case's custody log before its
content leaves. Officers and admins export any case; a liaison only cases shared with its agency (another
case answers 404, as in ``api/routes/cases.py``); researchers never. The register is the office's own
report: officers and admins only.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from api.deps import MonitorDep, require
from api.params import CaseId
from api.responses import CONFLICT
from api.routes.cases import CasesDep
from monitor.access.keys import ApiKey
from monitor.access.privacy import Pseudonymizer
from monitor.cases import Cases
from monitor.cases.access import EXPORT_ROLES, REGISTER_ROLES
from monitor.cases.exports import (
    MAX_ENGLISH_SUMMARY_CHARS,
    MAX_PURPOSE_CHARS,
    Requester,
    prepare_police_package,
    requester_for,
    write_briefing,
    write_register,
)
from monitor.context import Monitor

router = APIRouter(prefix="/cases", tags=["case exports"])

ExportCases = Annotated[ApiKey, Depends(require(*EXPORT_ROLES))]
ExportRegister = Annotated[ApiKey, Depends(require(*REGISTER_ROLES))]

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(
        min_length=1, max_length=MAX_PURPOSE_CHARS, description="Why the export is needed (custody log)."
    )


class BriefingRequest(ExportRequest):
    english_summary: str | None = Field(
        default=None, max_length=MAX_ENGLISH_SUMMARY_CHARS, description="Printed as given, in its own section."
    )


def requester(key: ApiKey, cases: Cases, monitor: Monitor, purpose: str) -> Requester:
    """The export's requester (the API's caller or the console's person); a liaison's agency limits it
    (403 if the key is in no agency, as in cases.py); 422 without a purpose."""
    return requester_for(key, cases.config, purpose, monitor.settings.zone)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def police_response(cases: Cases, case_id: str, requester: Requester) -> StreamingResponse:
    """The police package, streamed; access, verification and the custody entry happen before the first byte."""
    package = prepare_police_package(cases, case_id, requester)
    return StreamingResponse(package.chunks(), media_type="application/zip", headers=_attachment(package.filename))


def briefing_response(
    cases: Cases, case_id: str, requester: Requester, monitor: Monitor, english_summary: str | None
) -> Response:
    """The foreign-affairs briefing (DOCX), private individuals pseudonymized."""
    out = io.BytesIO()
    write_briefing(
        cases,
        case_id,
        requester,
        out,
        pseudonyms=Pseudonymizer.for_data_dir(monitor.settings.data_dir),
        english_summary=english_summary,
    )
    name = f"ban-tin-{case_id}-{requester.export_id[:8]}.docx"
    return Response(out.getvalue(), media_type=DOCX, headers=_attachment(name))


def register_response(cases: Cases, requester: Requester) -> FileResponse:
    """The register of every case (XLSX), written to a temporary file that is removed once sent."""
    # write_only openpyxl streams rows to a file; the file is served, then removed.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115  (removed after sending)
    path = Path(handle.name)
    try:
        with handle:
            write_register(cases, requester, handle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = f"so-vu-viec-{requester.at.astimezone(requester.zone):%Y%m%d-%H%M}.xlsx"
    return FileResponse(path, media_type=XLSX, filename=name, background=BackgroundTask(path.unlink, missing_ok=True))


@router.post(
    "/{case_id}/exports/police",
    summary="Evidence package for the police (ZIP, streamed; logged with your purpose; 409 if evidence changed)",
    response_class=StreamingResponse,
    responses={**CONFLICT, 200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
def police_package(
    case_id: CaseId, body: ExportRequest, cases: CasesDep, monitor: MonitorDep, key: ExportCases
) -> StreamingResponse:
    return police_response(cases, case_id, requester(key, cases, monitor, body.purpose))


@router.post(
    "/{case_id}/exports/briefing",
    summary="Briefing for foreign affairs (DOCX, Vietnamese, private individuals redacted; logged)",
    response_class=Response,
    responses={**CONFLICT, 200: {"content": {DOCX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def briefing(
    case_id: CaseId, body: BriefingRequest, cases: CasesDep, monitor: MonitorDep, key: ExportCases
) -> Response:
    return briefing_response(
        cases, case_id, requester(key, cases, monitor, body.purpose), monitor, body.english_summary
    )


@router.get(
    "/exports/register.xlsx",
    summary="Register of all cases with their timings (XLSX; officers and admins; logged in each case)",
    response_class=FileResponse,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def register(
    cases: CasesDep,
    monitor: MonitorDep,
    key: ExportRegister,
    purpose: Annotated[str, Query(min_length=1, max_length=MAX_PURPOSE_CHARS, description="Why (custody log).")],
) -> FileResponse:
    return register_response(cases, requester(key, cases, monitor, purpose))
