"""What every export shares: the requester and purpose, who may export which case, reading evidence, the log.

An export is personal data leaving the system, so (DESIGN.md: privacy and accountability) each one needs
a stated purpose, is limited to cases the requester may see, and is written to the case's chain-of-custody
log with who, when and why *before* its content is handed over.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from monitor.access.audit import Actor
from monitor.access.keys import ApiKey
from monitor.analysis import AnalyzedDocument
from monitor.cases import Case, Cases, CustodyAction, Evidence, EvidenceLocker, EvidenceTamperedError, TimelineKind
from monitor.cases.access import agency_scope
from monitor.cases.config import CasesConfig
from monitor.cases.evidence import DOCUMENT_FILE, MAX_REASON_CHARS
from monitor.db import Transaction
from monitor.errors import InvalidInputError, NotFoundError
from monitor.records import utc_now
from monitor.zones import DEFAULT_ZONE

MAX_PURPOSE_CHARS = MAX_REASON_CHARS


class ExportKind(StrEnum):
    POLICE_PACKAGE = "police-package"
    BRIEFING = "briefing"
    REGISTER = "register"


def check_purpose(purpose: str) -> str:
    """The purpose, stripped; InvalidInputError (HTTP 422) when blank or longer than :data:`MAX_PURPOSE_CHARS`."""
    text = purpose.strip()
    if not text or len(text) > MAX_PURPOSE_CHARS:
        raise InvalidInputError(f"an export needs a stated purpose of 1 to {MAX_PURPOSE_CHARS} characters")
    return text


@dataclass(frozen=True)
class Requester:
    """Who asks for an export, why, and which agency's cases they may export.

    ``agency`` is None for officers and admins (any case); a liaison's agency limits them to the cases
    shared with it. Researchers never export: the API refuses them before a Requester is built.
    """

    by: Actor
    purpose: str
    agency: str | None = None
    zone: tzinfo = DEFAULT_ZONE
    export_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        object.__setattr__(self, "purpose", check_purpose(self.purpose))

    def local(self, moment: datetime | None) -> str:
        """``moment`` in the export's time zone as ``dd/mm/yyyy HH:MM`` (Vietnamese order), or '—'."""
        return "—" if moment is None else moment.astimezone(self.zone).strftime("%d/%m/%Y %H:%M")

    def about(self, kind: ExportKind, **extra: Any) -> dict[str, Any]:
        """The export's identity, as written into the package and the custody log."""
        return {
            "export": kind.value,
            "export_id": self.export_id,
            "exported_at": self.at.isoformat(),
            "exported_by": self.by.label,
            "agency": self.agency,
            "purpose": self.purpose,
            **extra,
        }


def requester_for(key: ApiKey, config: CasesConfig, purpose: str, zone: tzinfo) -> Requester:
    """The requester for ``key`` (the API's caller or the console's person): a liaison is limited to its
    agency's cases (ForbiddenError if it belongs to none); the purpose is checked (InvalidInputError)."""
    return Requester(by=Actor.for_key(key), purpose=purpose, agency=agency_scope(key, config), zone=zone)


def exportable_case(cases: Cases, case_id: str, requester: Requester) -> Case:
    """The case, if the requester may export it; a case not shared with a liaison's agency is "not found".

    Answering as for an unknown case (like ``api/routes/cases.py``) tells a liaison nothing about other
    agencies' cases.
    """
    case = cases.store.get(case_id)
    if requester.agency is not None and requester.agency not in case.agencies:
        raise NotFoundError(f"no case with id '{case_id}'")
    return case


def evidence_bytes(locker: EvidenceLocker, evidence: Evidence, name: str) -> bytes:
    """One evidence file, checked against the sha256 recorded at attach time (a changed file is refused)."""
    record = next((f for f in evidence.files if f.name == name), None)
    if record is None:
        raise NotFoundError(f"evidence '{evidence.evidence_id}' has no file '{name}'")
    path = locker.directory / evidence.case_id / evidence.evidence_id / record.name
    data = path.read_bytes() if path.is_file() else None
    actual = None if data is None else hashlib.sha256(data).hexdigest()
    if data is None or actual != record.sha256:
        raise EvidenceTamperedError(
            f"evidence file {evidence.evidence_id}/{name} {'is missing' if data is None else 'changed'} since it "
            f"was attached (sha256 recorded {record.sha256}, found {actual}): the export is refused"
        )
    return data


def evidence_document(locker: EvidenceLocker, evidence: Evidence) -> AnalyzedDocument:
    """The analysed document frozen in an evidence snapshot (hash-checked)."""
    return AnalyzedDocument.model_validate_json(evidence_bytes(locker, evidence, DOCUMENT_FILE))


def exported_timeline(cases: Cases, case_id: str) -> list[dict[str, Any]]:
    """The case's timeline for an export, without the text of officers' internal comments.

    Comments are the office's working notes, not part of the case record an agency needs; the export
    keeps that a comment was made, and when, so the timeline has no unexplained gaps.
    """
    events = []
    for event in cases.store.timeline(case_id):
        item = event.model_dump(mode="json")
        if event.kind is TimelineKind.COMMENT:
            item["detail"] = {"comment_id": event.detail.get("comment_id"), "text": "(ghi chú nội bộ, không xuất)"}
        events.append(item)
    return events


def record_export(
    locker: EvidenceLocker, case_id: str, evidence_ids: list[str], requester: Requester, detail: dict[str, Any]
) -> None:
    """Write the export to the case's custody log: one entry per evidence snapshot, else one for the case.

    ``EvidenceLocker.record_export`` writes one entry per exported snapshot and nothing for a case without
    evidence (or for the register, which carries no evidence), yet every export must leave a trace: those
    get a case-level entry (no evidence id) through the locker's own log writer.
    """
    if evidence_ids:
        locker.record_export(case_id, evidence_ids, requester.by, requester.purpose, detail)
        return
    record_case_exports(locker, [case_id], requester, detail)


def record_case_exports(
    locker: EvidenceLocker, case_ids: list[str], requester: Requester, detail: dict[str, Any]
) -> None:
    """One case-level custody entry per case, all in one transaction (the register lists many cases)."""
    with Transaction(locker.db) as conn:
        for case_id in case_ids:
            # The locker's writer keeps one format for every custody row; a public case-level variant of
            # record_export would be the better home for this (see the report of issue #7, item 5).
            locker._log(
                conn, case_id, None, requester.by, CustodyAction.EXPORT, reason=requester.purpose, detail=detail
            )


def dumps(value: Any) -> str:
    """Compact JSON with Vietnamese kept readable (one documents.jsonl line, say)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
