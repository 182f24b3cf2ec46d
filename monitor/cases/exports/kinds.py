"""The kinds of case export, one table: who may ask, whether a case is named, the file, how it is written.

A new export is one module in this package (it takes a :class:`~monitor.cases.exports.common.Requester`
and logs itself in the custody log) plus one line in :data:`CASE_EXPORTS`; ``monitor cases export``
offers every kind listed here. The API gives each kind its own route (their bodies and answers differ).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from monitor.access.keys import Role
from monitor.access.privacy import Pseudonymizer
from monitor.cases import Cases
from monitor.cases.access import EXPORT_ROLES, REGISTER_ROLES
from monitor.cases.exports.briefing import write_briefing
from monitor.cases.exports.common import Requester
from monitor.cases.exports.package import prepare_police_package
from monitor.cases.exports.register import write_register


@dataclass(frozen=True)
class ExportRequest:
    """One export asked for: of which case (none for the register), by whom and why, with its options."""

    cases: Cases
    requester: Requester
    pseudonyms: Callable[[], Pseudonymizer]  # called only by the exports that redact (it may create the key)
    case_id: str | None = None
    english_summary: str | None = None


@dataclass(frozen=True)
class PreparedExport:
    """An export checked and logged, ready to write: its default file name and its writer."""

    filename: str
    write: Callable[[IO[bytes]], object]


@dataclass(frozen=True)
class CaseExport:
    """One kind of export: the roles that may ask for it, whether it is of one case, and how it is made."""

    roles: tuple[Role, ...]
    of_one_case: bool
    prepare: Callable[[ExportRequest], PreparedExport]
    description: str


def _case(request: ExportRequest) -> str:
    assert request.case_id is not None  # checked by the caller for every kind of_one_case
    return request.case_id


def _police(request: ExportRequest) -> PreparedExport:
    package = prepare_police_package(request.cases, _case(request), request.requester)
    return PreparedExport(package.filename, lambda handle: handle.writelines(package.chunks()))


def _briefing(request: ExportRequest) -> PreparedExport:
    case_id = _case(request)
    pseudonyms = request.pseudonyms()
    return PreparedExport(
        f"ban-tin-{case_id}-{request.requester.export_id[:8]}.docx",
        lambda handle: write_briefing(
            request.cases,
            case_id,
            request.requester,
            handle,
            pseudonyms=pseudonyms,
            english_summary=request.english_summary,
        ),
    )


def _register(request: ExportRequest) -> PreparedExport:
    requester = request.requester
    return PreparedExport(
        f"so-vu-viec-{requester.at.astimezone(requester.zone):%Y%m%d-%H%M}.xlsx",
        lambda handle: write_register(request.cases, requester, handle),
    )


CASE_EXPORTS: dict[str, CaseExport] = {
    "police": CaseExport(EXPORT_ROLES, True, _police, "the evidence package (ZIP) for the police"),
    "briefing": CaseExport(EXPORT_ROLES, True, _briefing, "the foreign-affairs briefing (DOCX), redacted"),
    "register": CaseExport(REGISTER_ROLES, False, _register, "the register of all cases (XLSX)"),
}
