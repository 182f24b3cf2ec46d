"""The register of cases (XLSX) with their timings, for the office's own reporting.

One row per case, newest first (the case store's order, read a page at a time), written with openpyxl's
write-only mode so rows go to disk as they are produced. Times are local (Excel has no time zones), in
the export's zone, named on the "Thông tin" sheet; durations are hours; "deadline met" columns are Excel
booleans (empty while the stage is not done, or when the priority has no service level).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from monitor.cases import Case, CaseQuery, Cases
from monitor.cases.exports.common import ExportKind, Requester, record_case_exports
from monitor.cases.exports.labels import PRIORITY_VI, STATE_VI
from monitor.errors import ForbiddenError
from monitor.spreadsheet import safe_row

REGISTER_SHEET = "Sổ vụ việc"
INFO_SHEET = "Thông tin"
PAGE = 500  # CaseQuery's largest page
HEADERS = (
    "Mã vụ việc",
    "Tiêu đề",
    "Mức ưu tiên",
    "Trạng thái",
    "Mở lúc",
    "Xác minh xong lúc",
    "Phản hồi lúc",
    "Kết thúc lúc",
    "Thời gian xác minh (giờ)",
    "Thời gian phản hồi (giờ)",
    "Hạn xác minh",
    "Hạn phản hồi",
    "Xác minh đúng hạn",
    "Phản hồi đúng hạn",
    "Chia sẻ với",
    "Người phụ trách",
    "Số chứng cứ",
)
_WIDTHS = (38, 50, 12, 14, 17, 17, 17, 17, 12, 12, 17, 17, 10, 10, 24, 30, 8)


@dataclass(frozen=True)
class RegisterResult:
    """What was written: how many cases, and which (each got a custody entry)."""

    cases: int
    case_ids: tuple[str, ...]


def _cases(cases: Cases) -> list[Case]:
    # Pages of the store's own order; collecting the Case models (small) lets the log name every case.
    found: list[Case] = []
    offset = 0
    while True:
        _, page = cases.store.search(CaseQuery(limit=PAGE, offset=offset))
        found.extend(page)
        if len(page) < PAGE:
            return found
        offset += PAGE


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def register_row(cases: Cases, case: Case, requester: Requester) -> list[object]:
    """One register row: the case's timings and whether each deadline was met."""

    def local(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.astimezone(requester.zone).replace(tzinfo=None)

    service = cases.service_record(case.case_id)
    return [
        case.case_id,
        case.title,
        PRIORITY_VI[case.priority],
        STATE_VI[case.state],
        local(case.opened_at),
        local(case.verified_at),
        local(case.responded_at),
        local(case.closed_at),
        _hours(service.time_to_verify_seconds),
        _hours(service.time_to_respond_seconds),
        local(service.verify_deadline),
        local(service.respond_deadline),
        service.verified_in_time,
        service.responded_in_time,
        ", ".join(case.agencies),
        case.assignee,
        case.evidence_count,
    ]


def write_register(cases: Cases, requester: Requester, out: Path | IO[bytes]) -> RegisterResult:
    """Write the register of every case to ``out`` and log it in each case's custody log.

    The register is the office's own report: officers and admins only (a liaison's ``agency`` is refused,
    since the register lists every agency's cases).
    """
    if requester.agency is not None:
        raise ForbiddenError("the register of cases is for the office's officers and admins, not liaisons")
    listed = _cases(cases)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(REGISTER_SHEET)
    for index, width in enumerate(_WIDTHS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.append(list(HEADERS))
    for case in listed:
        sheet.append(safe_row(register_row(cases, case, requester)))
    info = book.create_sheet(INFO_SHEET)
    for label, value in (
        ("Mã lần xuất", requester.export_id),
        ("Thời điểm xuất", requester.local(requester.at)),
        ("Người xuất", requester.by.label),
        ("Mục đích", requester.purpose),
        ("Múi giờ của các cột thời gian", str(requester.zone)),
        ("Số vụ việc", len(listed)),
    ):
        info.append(safe_row([label, value]))
    book.save(out)
    ids = tuple(case.case_id for case in listed)
    detail = requester.about(ExportKind.REGISTER, cases=len(ids))
    detail.pop("purpose")
    # Logged once the file exists and before it is handed to anyone (the API serves it after this).
    record_case_exports(cases.evidence, list(ids), requester, detail)
    return RegisterResult(cases=len(ids), case_ids=ids)
