"""Evidence: write-once snapshots of documents attached to a case, and the chain-of-custody log.

Attaching a document freezes what was captured: the analysed document as stored (text, metadata,
scores), the raw response the crawler archived for its URL, and the capture time. Each file is written
once (exclusive create, then made read-only) under ``<data_dir>/evidence/<case_id>/<evidence_id>/`` and
its sha256 is kept in the database, so :meth:`EvidenceLocker.verify` can prove the files are unchanged
and name any that are not. Attaching the same document again returns the first snapshot.

Every view, download, verification and export of evidence is written to the custody log (who, when,
why) in the same transaction as it is served (DESIGN.md: privacy and accountability).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import uuid
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from monitor.access.audit import Actor
from monitor.analysis import AnalyzedDocument
from monitor.cases.model import TimelineKind
from monitor.cases.store import Clock, require_case, require_changeable, write_event
from monitor.db import Database, Transaction, datetime_from_ts, record_from_row
from monitor.errors import ConflictError, InvalidInputError, NotFoundError, StoreError
from monitor.files import open_private, private_dir
from monitor.ingestion.archive import RawArchive
from monitor.records import RawItem, UtcDatetime, utc_now
from monitor.store.base import DocumentStore

EVIDENCE_NAMESPACE = uuid.UUID("6f1e2a9c-4d3b-5a7e-9c20-7b8d1e4f3a61")
DOCUMENT_FILE = "document.json"
RAW_META_FILE = "raw-response.json"
RAW_BODY_FILE = "raw-response.body"
MAX_REASON_CHARS = 1000
# How far around the document's capture time the archive is searched for its raw response.
RAW_SEARCH_DAYS = 2


class EvidenceTamperedError(ConflictError):
    """An evidence file no longer matches the sha256 recorded when it was attached."""


class CustodyAction(StrEnum):
    ATTACH = "attach"
    VIEW = "view"
    DOWNLOAD = "download"
    VERIFY = "verify"
    EXPORT = "export"


class EvidenceFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    sha256: str
    size: int


class Evidence(BaseModel):
    """A frozen snapshot of one document, as attached to one case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence_id: str
    case_id: str
    doc_id: str
    url: str
    captured_at: UtcDatetime
    attached_at: UtcDatetime
    attached_by: str
    raw_note: str | None = None  # why there is no raw response, when there is none
    files: tuple[EvidenceFile, ...]


class EvidenceView(BaseModel):
    """What a viewer sees: the snapshot's content, and whether its files are still intact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence: Evidence
    document: dict[str, Any]
    raw_response: dict[str, Any] | None
    intact: bool


class CustodyEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: int
    at: UtcDatetime
    case_id: str
    evidence_id: str | None
    actor: str
    actor_id: str | None
    action: CustodyAction
    reason: str
    detail: dict[str, Any]


class FileProblem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str  # "<evidence_id>/<file name>", relative to the case's evidence folder
    problem: str  # missing, changed, unexpected
    expected_sha256: str | None
    actual_sha256: str | None


class Verification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    case_id: str
    ok: bool
    checked_files: int
    problems: tuple[FileProblem, ...]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_raw(archive: RawArchive, document: AnalyzedDocument) -> RawItem | None:
    """The archived response for the document's URL closest to its capture time, if the archive has one.

    Items from feeds and file imports have no response of their own (the archive holds the feed or the
    file), so None is a normal answer; the snapshot then says why it has no raw response.
    """
    captured = document.document.fetched_at
    best: RawItem | None = None
    for item in archive.items(document.document.source_id, since=captured - timedelta(days=RAW_SEARCH_DAYS)):
        if item.url != document.document.url:
            continue
        if best is None or abs(item.fetched_at - captured) < abs(best.fetched_at - captured):
            best = item
    return best


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > MAX_REASON_CHARS:
        raise InvalidInputError(f"a reason of 1 to {MAX_REASON_CHARS} characters is required to see evidence")
    return text


def _write_once(path: Path, data: bytes) -> EvidenceFile:
    # "xb" refuses to replace a file that exists; read-only permissions discourage later edits.
    with open_private(path, "xb") as handle:
        handle.write(data)
    path.chmod(stat.S_IRUSR)  # the owner's alone (monitor.files)
    return EvidenceFile(name=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _snapshot_files(document: AnalyzedDocument, raw: RawItem | None) -> dict[str, bytes]:
    files = {
        DOCUMENT_FILE: json.dumps(
            document.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, indent=2
        ).encode()
    }
    if raw is not None:
        meta = {
            "source_id": raw.source_id,
            "url": raw.url,
            "fetched_at": raw.fetched_at.isoformat(),
            "status": raw.status,
            "headers": raw.headers,
            "body_sha256": raw.sha256,
            "body_size": len(raw.body),
        }
        files[RAW_META_FILE] = json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=2).encode()
        files[RAW_BODY_FILE] = raw.body
    return files


class EvidenceLocker:
    """Attaches, serves and verifies evidence; keeps the custody log."""

    def __init__(
        self,
        db: Database,
        directory: Path,
        documents: DocumentStore,
        archive: RawArchive | None,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.directory = directory
        self.documents = documents
        self.archive = archive
        self.clock = clock

    def _folder(self, case_id: str, evidence_id: str) -> Path:
        return self.directory / case_id / evidence_id

    # -- attaching -------------------------------------------------------------------------------

    def attach(self, case_id: str, doc_id: str, by: Actor) -> tuple[Evidence, bool]:
        """Freeze a snapshot of ``doc_id`` into the case; return it and whether it is new.

        A document attached before returns its first snapshot untouched: evidence never changes.
        """
        evidence_id = str(uuid.uuid5(EVIDENCE_NAMESPACE, f"{case_id}\x00{doc_id}"))
        with Transaction(self.db) as conn:
            row = require_case(conn, case_id)
            if conn.execute("SELECT 1 FROM case_evidence WHERE evidence_id = ?", (evidence_id,)).fetchone():
                return self._get(conn, case_id, evidence_id), False
            require_changeable(row, "evidence")
            document = self.documents.get(doc_id)
            raw = find_raw(self.archive, document) if self.archive is not None else None
            raw_note = None if raw is not None else self._no_raw_reason(document)
            now = self.clock().timestamp()
            conn.execute(
                """INSERT INTO case_evidence (evidence_id, case_id, doc_id, url, captured_ts, attached_ts,
                   attached_by, attached_by_id, raw_note) VALUES (?,?,?,?,?,?,?,?,?)""",
                (
                    evidence_id,
                    case_id,
                    doc_id,
                    document.document.url,
                    document.document.fetched_at.timestamp(),
                    now,
                    by.label,
                    by.key_id,
                    raw_note,
                ),
            )
            written = self._write_folder(case_id, evidence_id, _snapshot_files(document, raw))
            conn.executemany(
                "INSERT INTO case_evidence_files (evidence_id, name, sha256, size) VALUES (?,?,?,?)",
                [(evidence_id, f.name, f.sha256, f.size) for f in written],
            )
            detail = {"evidence_id": evidence_id, "doc_id": doc_id, "files": {f.name: f.sha256 for f in written}}
            write_event(
                conn,
                case_id,
                by,
                TimelineKind.EVIDENCE,
                now,
                from_state=row["state"],
                to_state=row["state"],
                detail=detail,
            )
            self._log(
                conn,
                case_id,
                evidence_id,
                by,
                CustodyAction.ATTACH,
                reason="attached to the case",
                detail=detail,
                at=now,
            )
            return self._get(conn, case_id, evidence_id), True

    def _no_raw_reason(self, document: AnalyzedDocument) -> str:
        if self.archive is None:
            return "no crawl archive is configured"
        return (
            f"the crawl archive of source '{document.document.source_id}' has no response for this URL "
            "(items from feeds and imports are archived as the feed or file they came in)"
        )

    def _write_folder(self, case_id: str, evidence_id: str, files: dict[str, bytes]) -> list[EvidenceFile]:
        """Write into a hidden partial folder, then rename it into place, so a crash never leaves half a snapshot."""
        target = self._folder(case_id, evidence_id)
        if target.exists():
            raise StoreError(
                f"evidence folder {target} exists but is not recorded (an interrupted attach?): "
                "move it aside and attach the document again",
                retryable=False,
            )
        partial = target.parent / f".{evidence_id}.partial"
        try:
            if partial.exists():  # never recorded, so not evidence: a leftover of a failed attempt
                shutil.rmtree(partial)
            private_dir(partial)
            written = [_write_once(partial / name, data) for name, data in files.items()]
            partial.rename(target)
        except OSError as exc:
            raise StoreError(f"cannot write evidence to {target}: {exc}") from exc
        return written

    # -- reading (each logged) -------------------------------------------------------------------

    def attached(self, case_id: str) -> list[Evidence]:
        """The case's evidence (metadata and hashes only, so not a view of the content: not logged)."""
        conn = self.db.connection()
        require_case(conn, case_id)
        rows = conn.execute(
            "SELECT evidence_id FROM case_evidence WHERE case_id = ? ORDER BY attached_ts, doc_id", (case_id,)
        )
        return [self._get(conn, case_id, row["evidence_id"]) for row in rows.fetchall()]

    def get(self, case_id: str, evidence_id: str) -> Evidence:
        return self._get(self.db.connection(), case_id, evidence_id)

    def view(self, case_id: str, evidence_id: str, by: Actor, reason: str) -> EvidenceView:
        """The snapshot's content; the view is logged with ``reason`` before anything is returned."""
        why = _check_reason(reason)
        evidence = self.get(case_id, evidence_id)
        folder = self._folder(case_id, evidence_id)
        intact = all(self._intact(folder, f) for f in evidence.files)
        with Transaction(self.db) as conn:
            self._log(conn, case_id, evidence_id, by, CustodyAction.VIEW, reason=why, detail={"intact": intact})
        document = json.loads((folder / DOCUMENT_FILE).read_text(encoding="utf-8"))
        meta = folder / RAW_META_FILE
        raw = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else None
        return EvidenceView(evidence=evidence, document=document, raw_response=raw, intact=intact)

    def read_file(
        self, case_id: str, evidence_id: str, name: str, by: Actor, reason: str
    ) -> tuple[EvidenceFile, bytes]:
        """One evidence file's bytes, checked against its sha256 (a changed file is refused), logged."""
        why = _check_reason(reason)
        evidence = self.get(case_id, evidence_id)
        # Only names recorded at attach time are served: no path from the request reaches the disk.
        record = next((f for f in evidence.files if f.name == name), None)
        if record is None:
            raise NotFoundError(f"evidence '{evidence_id}' has no file '{name}'")
        path = self._folder(case_id, evidence_id) / record.name
        data = path.read_bytes() if path.exists() else None
        actual = None if data is None else hashlib.sha256(data).hexdigest()
        with Transaction(self.db) as conn:
            self._log(
                conn,
                case_id,
                evidence_id,
                by,
                CustodyAction.DOWNLOAD,
                reason=why,
                detail={"file": name, "sha256": record.sha256, "intact": actual == record.sha256},
            )
        if data is None or actual != record.sha256:
            raise EvidenceTamperedError(
                f"evidence file {evidence_id}/{name} {'is missing' if data is None else 'changed'} since it was "
                f"attached (sha256 recorded {record.sha256}, found {actual})"
            )
        return record, data

    def verify(self, case_id: str, by: Actor, reason: str = "integrity check") -> Verification:
        """Re-hash every evidence file of the case; name each missing, changed or unexpected file (logged)."""
        conn = self.db.connection()
        require_case(conn, case_id)
        problems: list[FileProblem] = []
        checked = 0
        for evidence in self.attached(case_id):
            folder = self._folder(case_id, evidence.evidence_id)
            known = {f.name for f in evidence.files}
            for record in evidence.files:
                checked += 1
                path = folder / record.name
                actual = sha256_of(path) if path.is_file() else None
                if actual != record.sha256:
                    problems.append(
                        FileProblem(
                            path=f"{evidence.evidence_id}/{record.name}",
                            problem="missing" if actual is None else "changed",
                            expected_sha256=record.sha256,
                            actual_sha256=actual,
                        )
                    )
            if folder.is_dir():
                for extra in sorted(p for p in folder.iterdir() if p.name not in known):
                    problems.append(
                        FileProblem(
                            path=f"{evidence.evidence_id}/{extra.name}",
                            problem="unexpected",
                            expected_sha256=None,
                            actual_sha256=sha256_of(extra) if extra.is_file() else None,
                        )
                    )
        result = Verification(case_id=case_id, ok=not problems, checked_files=checked, problems=tuple(problems))
        with Transaction(self.db) as write:
            self._log(
                write,
                case_id,
                None,
                by,
                CustodyAction.VERIFY,
                reason=reason.strip() or "integrity check",
                detail={"checked_files": checked, "problems": [p.path for p in problems]},
            )
        return result

    def record_export(
        self, case_id: str, evidence_ids: list[str], by: Actor, reason: str, detail: dict[str, Any]
    ) -> None:
        """Log that evidence left the system in an export (for the export feature of issue #7)."""
        why = _check_reason(reason)
        with Transaction(self.db) as conn:
            require_case(conn, case_id)
            for evidence_id in evidence_ids:
                self._log(conn, case_id, evidence_id, by, CustodyAction.EXPORT, reason=why, detail=detail)

    def custody(self, case_id: str) -> list[CustodyEntry]:
        """The chain of custody of a case's evidence, oldest first."""
        conn = self.db.connection()
        require_case(conn, case_id)
        rows = conn.execute("SELECT * FROM case_custody WHERE case_id = ? ORDER BY entry_id", (case_id,))
        return [record_from_row(CustodyEntry, row, at=row["ts"], detail=json.loads(row["detail"])) for row in rows]

    # -- helpers ---------------------------------------------------------------------------------

    def _log(
        self,
        conn: sqlite3.Connection,
        case_id: str,
        evidence_id: str | None,
        by: Actor,
        action: CustodyAction,
        *,
        reason: str,
        detail: dict[str, Any],
        at: float | None = None,
    ) -> None:
        conn.execute(
            """INSERT INTO case_custody (ts, case_id, evidence_id, actor, actor_id, action, reason, detail)
               VALUES (?,?,?,?,?,?,?,?)""",
            (
                self.clock().timestamp() if at is None else at,
                case_id,
                evidence_id,
                by.name,
                by.key_id,
                action.value,
                reason,
                json.dumps(detail, ensure_ascii=False),
            ),
        )

    @staticmethod
    def _intact(folder: Path, record: EvidenceFile) -> bool:
        path = folder / record.name
        return path.is_file() and sha256_of(path) == record.sha256

    @staticmethod
    def _get(conn: sqlite3.Connection, case_id: str, evidence_id: str) -> Evidence:
        row = conn.execute(
            "SELECT * FROM case_evidence WHERE evidence_id = ? AND case_id = ?", (evidence_id, case_id)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"case '{case_id}' has no evidence with id '{evidence_id}'")
        files = conn.execute(
            "SELECT name, sha256, size FROM case_evidence_files WHERE evidence_id = ? ORDER BY name", (evidence_id,)
        ).fetchall()
        return Evidence(
            evidence_id=row["evidence_id"],
            case_id=row["case_id"],
            doc_id=row["doc_id"],
            url=row["url"],
            captured_at=datetime_from_ts(row["captured_ts"]),
            attached_at=datetime_from_ts(row["attached_ts"]),
            attached_by=row["attached_by"],
            raw_note=row["raw_note"],
            files=tuple(EvidenceFile(name=f["name"], sha256=f["sha256"], size=f["size"]) for f in files),
        )
