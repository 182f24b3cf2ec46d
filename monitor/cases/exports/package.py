"""The police evidence package: a ZIP streamed file by file, with a sha256sum manifest.

Layout::

    case.json                         the case, its service record, timeline and evidence list (with the
                                      sha256 each file had when it was attached), and who exported it, why
    documents.jsonl                   one line per evidence snapshot: the analysed document as captured
    evidence/<evidence_id>/<file>     the evidence files exactly as frozen in the locker
    summary.md                        a summary in Vietnamese, with how to check the package
    manifest.sha256                   ``sha256sum`` lines for every file above (not for itself)

Evidence-grade means nothing is redacted: the package is for an investigation, its purpose is stated and
logged. The locker is verified before anything is logged or written, and every evidence file is hashed
again while it is copied, so a file that changed in between stops the export instead of shipping.

Nothing is built in memory: :meth:`PolicePackage.chunks` yields the archive's bytes as zipfile writes them
(one block of one file at a time), for an HTTP response or a file alike.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from monitor.cases import Case, Cases, Evidence, EvidenceTamperedError, ServiceRecord
from monitor.cases.exports.common import (
    ExportKind,
    Requester,
    dumps,
    evidence_document,
    exportable_case,
    exported_timeline,
    record_export,
)
from monitor.cases.exports.summary import DocumentLine, summary_markdown
from monitor.files import open_private

CASE_FILE = "case.json"
DOCUMENTS_FILE = "documents.jsonl"
SUMMARY_FILE = "summary.md"
MANIFEST_FILE = "manifest.sha256"
EVIDENCE_DIR = "evidence"
PACKAGE_FORMAT = "dongnai-monitor/police-package"
BLOCK = 1 << 20  # evidence files are copied (and hashed) a mebibyte at a time
ZIP64_ABOVE = 1 << 30  # entries this large need zip64 headers, which zipfile must know before writing


class _Sink:
    """A write-only target for zipfile that hands over what was written since the last :meth:`take`.

    Having no ``tell``, it makes zipfile write a streamable archive (data descriptors after each entry).
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: :meth:`take` hands the bytes over."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def evidence_path(evidence: Evidence, name: str) -> str:
    """Where an evidence file goes in the package."""
    return f"{EVIDENCE_DIR}/{evidence.evidence_id}/{name}"


@dataclass
class PolicePackage:
    """A package ready to stream: its case was checked, its evidence verified and the export logged."""

    cases: Cases
    case: Case
    evidence: list[Evidence]
    service: ServiceRecord
    requester: Requester
    _manifest: list[tuple[str, str]] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"ho-so-chung-cu-{self.case.case_id}-{self.requester.export_id[:8]}.zip"

    def chunks(self) -> Iterator[bytes]:
        """The ZIP's bytes, in order, a block at a time."""
        self._manifest = []
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
            for _ in self._entries(archive):
                if data := sink.take():
                    yield data
        if data := sink.take():  # the central directory, written when the archive closes
            yield data

    def write_to(self, path: Path) -> Path:
        """Write the package to ``path`` (streamed the same way) and return it."""
        with open_private(path, "wb") as handle:
            for data in self.chunks():
                handle.write(data)
        return path

    # -- the entries, each yielding after every block it wrote ------------------------------------

    def _entries(self, archive: zipfile.ZipFile) -> Iterator[None]:
        yield from self._write_text(archive, CASE_FILE, self._case_json())
        lines: list[DocumentLine] = []
        yield from self._documents(archive, lines)
        for evidence in self.evidence:
            for record in evidence.files:
                yield from self._copy_evidence(archive, evidence, record.name, record.sha256, record.size)
        summary = summary_markdown(self.case, self.service, lines, self.requester, PACKAGE_FILES)
        yield from self._write_text(archive, SUMMARY_FILE, summary)
        manifest = "".join(f"{digest}  {name}\n" for name, digest in self._manifest)
        with archive.open(self._info(MANIFEST_FILE), "w") as entry:
            entry.write(manifest.encode())
        yield None

    def _info(self, name: str) -> zipfile.ZipInfo:
        local = self.requester.at.astimezone(self.requester.zone)
        info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def _write_text(self, archive: zipfile.ZipFile, name: str, text: str) -> Iterator[None]:
        data = text.encode()
        with archive.open(self._info(name), "w") as entry:
            entry.write(data)
        self._manifest.append((name, hashlib.sha256(data).hexdigest()))
        yield None

    def _documents(self, archive: zipfile.ZipFile, lines: list[DocumentLine]) -> Iterator[None]:
        digest = hashlib.sha256()
        locker = self.cases.evidence
        with archive.open(self._info(DOCUMENTS_FILE), "w") as entry:
            for evidence in self.evidence:
                document = evidence_document(locker, evidence)
                line = dumps(
                    {
                        "evidence_id": evidence.evidence_id,
                        "captured_at": evidence.captured_at.isoformat(),
                        "document": document.model_dump(mode="json"),
                    }
                )
                data = (line + "\n").encode()
                entry.write(data)
                digest.update(data)
                lines.append(DocumentLine.of(evidence, document))
                yield None
        self._manifest.append((DOCUMENTS_FILE, digest.hexdigest()))

    def _copy_evidence(
        self, archive: zipfile.ZipFile, evidence: Evidence, name: str, expected: str, size: int
    ) -> Iterator[None]:
        source = self.cases.evidence.directory / evidence.case_id / evidence.evidence_id / name
        target = evidence_path(evidence, name)
        digest = hashlib.sha256()
        with (
            source.open("rb") as handle,
            archive.open(self._info(target), "w", force_zip64=size > ZIP64_ABOVE) as entry,
        ):
            while block := handle.read(BLOCK):
                digest.update(block)
                entry.write(block)
                yield None
        if digest.hexdigest() != expected:
            # Changed after the check in prepare_police_package: stop rather than ship an altered file.
            raise EvidenceTamperedError(
                f"evidence file {evidence.evidence_id}/{name} changed during the export "
                f"(sha256 recorded {expected}, read {digest.hexdigest()})"
            )
        self._manifest.append((target, expected))

    def _case_json(self) -> str:
        document: dict[str, Any] = {
            "format": PACKAGE_FORMAT,
            "version": 1,
            "export": self.requester.about(ExportKind.POLICE_PACKAGE),
            "case": self.case.model_dump(mode="json"),
            "service": self.service.model_dump(mode="json"),
            "timeline": exported_timeline(self.cases, self.case.case_id),
            "evidence": [
                {
                    **e.model_dump(mode="json", exclude={"files"}),
                    "files": [{**f.model_dump(mode="json"), "path": evidence_path(e, f.name)} for f in e.files],
                }
                for e in self.evidence
            ],
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


PACKAGE_FILES = (CASE_FILE, DOCUMENTS_FILE, f"{EVIDENCE_DIR}/", SUMMARY_FILE, MANIFEST_FILE)


def prepare_police_package(cases: Cases, case_id: str, requester: Requester) -> PolicePackage:
    """Check access, verify the case's evidence, log the export, and return the package to stream.

    Raises:
        NotFoundError: no such case, or not shared with the requester's agency.
        EvidenceTamperedError: an evidence file is missing or changed since it was attached.
    """
    case = exportable_case(cases, case_id, requester)
    verification = cases.evidence.verify(case_id, requester.by, reason=f"trước khi xuất hồ sơ: {requester.purpose}")
    if not verification.ok:
        named = ", ".join(f"{p.path} ({p.problem})" for p in verification.problems)
        raise EvidenceTamperedError(f"case '{case_id}' has evidence that changed since it was attached: {named}")
    evidence = cases.evidence.attached(case_id)
    detail = requester.about(ExportKind.POLICE_PACKAGE, files=sum(len(e.files) for e in evidence))
    detail.pop("purpose")  # the custody entry's reason already holds it
    record_export(cases.evidence, case_id, [e.evidence_id for e in evidence], requester, detail)
    return PolicePackage(cases, case, evidence, cases.service_record(case_id), requester)


def write_police_package(cases: Cases, case_id: str, requester: Requester, out: Path | IO[bytes]) -> None:
    """Prepare and write a package to a path or an open binary file (the CLI's and the tests' way)."""
    package = prepare_police_package(cases, case_id, requester)
    if isinstance(out, Path):
        package.write_to(out)
        return
    for data in package.chunks():
        out.write(data)
