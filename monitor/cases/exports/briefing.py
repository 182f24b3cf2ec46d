"""The foreign-affairs briefing (DOCX, Vietnamese): the claim, its spread, the official position, the response.

Private individuals' personal data is redacted by default (:mod:`monitor.cases.exports.redact` states the
rule); the requester may add an English summary, printed as given in its own section. The spread is read
from the case's evidence snapshots (as captured, hash-checked), counted per local day.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

import docx
from docx.document import Document as DocxDocument

from monitor.access.privacy import Pseudonymizer, author_lookup
from monitor.cases import Case, Cases, ClaimSpread, Evidence
from monitor.cases.exports.common import ExportKind, Requester, evidence_document, exportable_case, record_export
from monitor.cases.exports.labels import PRIORITY_VI, STATE_VI, hours, yes_no
from monitor.cases.exports.redact import Redactor
from monitor.errors import InvalidInputError

MAX_ENGLISH_SUMMARY_CHARS = 4000
MAX_LISTED_DOCUMENTS = 200  # the daily counts cover every document; the list shows the earliest this many
EXCERPT_CHARS = 240
REDACTION_NOTE = (
    "Dữ liệu cá nhân của cá nhân không phải công chức được ẩn: tên tác giả thay bằng bí danh (anon-…), "
    "@nhắc tên, số điện thoại và địa chỉ email trong nội dung được che; tên cơ quan, tổ chức và người phát "
    "ngôn, cán bộ trong vai trò công vụ được giữ nguyên. Địa chỉ bài đăng mạng xã hội không được ghi vì "
    "dẫn tới trang cá nhân của tác giả."
)


@dataclass
class Spread:
    """The spread of the claim over the case's evidence, accumulated one document at a time."""

    per_day: Counter[date] = field(default_factory=Counter)
    engagement_per_day: Counter[date] = field(default_factory=Counter)
    platforms: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    rows: list[tuple[datetime, str, str, str, str]] = field(default_factory=list)
    total: int = 0


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def _spread(cases: Cases, evidence: Iterable[Evidence], redactor: Redactor, requester: Requester) -> Spread:
    spread = Spread()
    for item in evidence:
        doc = evidence_document(cases.evidence, item).document
        day = doc.published_at.astimezone(requester.zone).date()
        engagement = doc.engagement
        spread.total += 1
        spread.per_day[day] += 1
        spread.engagement_per_day[day] += sum(
            v or 0 for v in (engagement.likes, engagement.comments, engagement.shares)
        )
        spread.platforms[doc.platform.value] += 1
        spread.first = doc.published_at if spread.first is None else min(spread.first, doc.published_at)
        spread.last = doc.published_at if spread.last is None else max(spread.last, doc.published_at)
        shown = redactor.document(doc)  # the privacy view: no social-post URL, names hidden
        who = f"{shown.author or '(không rõ)'} — {shown.channel or doc.source_id}"
        spread.rows.append((doc.published_at, doc.platform.value, who, shown.url, shown.content))
    spread.rows.sort(key=lambda row: row[0])
    del spread.rows[MAX_LISTED_DOCUMENTS:]
    return spread


def _table(doc: DocxDocument, header: list[str], rows: Iterable[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text


def _facts(doc: DocxDocument, facts: Iterable[tuple[str, str]]) -> None:
    for label, value in facts:
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)


def _after_correction(doc: DocxDocument, spread: ClaimSpread, t: Callable[[datetime | None], str]) -> None:
    """Repeats of the registered claim against posts relaying the correction, per day."""
    doc.add_paragraph(
        "Sau khi thông tin được đăng ký là sai sự thật, hệ thống đối chiếu mọi tài liệu mới thu thập: "
        "tài liệu lặp lại tin sai và tài liệu dẫn lại thông tin đính chính."
    )
    _facts(
        doc,
        [
            ("Đăng ký lúc", t(spread.registered.registered_at if spread.registered else None)),
            ("Lặp lại tin sai (tổng / sau đính chính)", f"{spread.repeats} / {spread.repeats_after_correction}"),
            (
                "Dẫn lại đính chính (tổng / sau đính chính)",
                f"{spread.corrections} / {spread.corrections_after_correction}",
            ),
        ],
    )
    _table(
        doc,
        ["Ngày", "Lặp lại tin sai", "Dẫn lại đính chính"],
        ([day.day.strftime("%d/%m/%Y"), str(day.repeats), str(day.corrections)] for day in spread.days),
    )


def render_briefing(
    cases: Cases,
    case: Case,
    spread: Spread,
    redactor: Redactor,
    requester: Requester,
    *,
    english_summary: str | None,
    claim_spread: ClaimSpread | None = None,
) -> DocxDocument:
    """Lay the briefing out (pure: no logging); :func:`write_briefing` is the entry point."""
    t = requester.local
    service = cases.service_record(case.case_id)
    doc = docx.Document()
    doc.add_heading("BẢN TIN VỤ VIỆC THÔNG TIN SAI LỆCH", level=0)
    _facts(
        doc,
        [
            ("Vụ việc", redactor.text(case.title)),
            ("Mã vụ việc", case.case_id),
            ("Mức ưu tiên", PRIORITY_VI[case.priority]),
            ("Trạng thái", STATE_VI[case.state]),
            ("Mở lúc", t(case.opened_at)),
        ],
    )
    doc.add_heading("1. Nội dung thông tin sai lệch", level=1)
    doc.add_paragraph(redactor.text(case.claim) if case.claim else "(chưa ghi nhận)")

    doc.add_heading("2. Mức độ lan truyền", level=1)
    platforms = ", ".join(f"{name}: {count}" for name, count in spread.platforms.most_common()) or "—"
    _facts(
        doc,
        [
            ("Số tài liệu ghi nhận", str(spread.total)),
            ("Nền tảng", platforms),
            ("Xuất hiện đầu tiên", t(spread.first)),
            ("Xuất hiện gần nhất", t(spread.last)),
        ],
    )
    _table(
        doc,
        ["Ngày", "Số tài liệu", "Lượt tương tác"],
        (
            [day.strftime("%d/%m/%Y"), str(count), str(spread.engagement_per_day[day])]
            for day, count in sorted(spread.per_day.items())
        ),
    )
    if spread.rows:
        doc.add_paragraph(f"Các tài liệu tiêu biểu (sớm nhất, tối đa {MAX_LISTED_DOCUMENTS}):")
        _table(
            doc,
            ["Thời điểm", "Nền tảng", "Tác giả — kênh", "Trích nội dung"],
            (
                [t(when), platform, who, redactor.text(_excerpt(text)) + (f" ({link})" if link else "")]
                for when, platform, who, link, text in spread.rows
            ),
        )

    if claim_spread is not None and claim_spread.registered is not None:
        doc.add_heading("Diễn biến sau đính chính", level=2)
        _after_correction(doc, claim_spread, t)

    doc.add_heading("3. Quan điểm chính thức", level=1)
    if case.correction is None:
        doc.add_paragraph("Chưa có thông tin đính chính chính thức.")
    else:
        doc.add_paragraph(case.correction.statement)
        _facts(
            doc,
            [
                ("Cơ quan đính chính", case.correction.issued_by),
                ("Thời điểm", t(case.correction.issued_at)),
                ("Nguồn", str(case.correction.url)),
            ],
        )

    doc.add_heading("4. Kết quả xử lý", level=1)
    _facts(
        doc,
        [
            ("Xác minh xong", f"{t(case.verified_at)} (sau {hours(service.time_to_verify_seconds)} giờ; "
             f"đúng hạn: {yes_no(service.verified_in_time)})"),
            ("Phản hồi chính thức", f"{t(case.responded_at)} (sau {hours(service.time_to_respond_seconds)} giờ; "
             f"đúng hạn: {yes_no(service.responded_in_time)})"),
        ],
    )  # fmt: skip

    if english_summary:
        doc.add_heading("English summary", level=1)
        doc.add_paragraph(redactor.text(english_summary))

    doc.add_heading("Ghi chú", level=1)
    doc.add_paragraph(REDACTION_NOTE)
    _facts(
        doc,
        [
            ("Mã lần xuất", requester.export_id),
            ("Thời điểm xuất", t(requester.at)),
            ("Người xuất", requester.by.label),
            ("Mục đích", requester.purpose),
        ],
    )
    return doc


def write_briefing(
    cases: Cases,
    case_id: str,
    requester: Requester,
    out: IO[bytes],
    *,
    pseudonyms: Pseudonymizer,
    english_summary: str | None = None,
    keep: Iterable[str] = (),
) -> None:
    """Write the briefing of ``case_id`` to ``out``; the export is logged before the bytes are written.

    Args:
        cases: The case service.
        case_id: The case.
        requester: Who asks, why, and their agency (liaisons only cases shared with it).
        out: Where the DOCX goes.
        pseudonyms: The install's pseudonymizer (``Pseudonymizer.for_data_dir``).
        english_summary: Optional English summary written by the requester, printed as given (redacted).
        keep: Names of officials to show unredacted besides those the rule recognizes.

    Raises:
        NotFoundError: no such case, or not shared with the requester's agency.
        EvidenceTamperedError: an evidence snapshot changed since it was attached.
        InvalidInputError: the English summary is too long.
    """
    if english_summary is not None and len(english_summary) > MAX_ENGLISH_SUMMARY_CHARS:
        raise InvalidInputError(f"the English summary is limited to {MAX_ENGLISH_SUMMARY_CHARS} characters")
    case = exportable_case(cases, case_id, requester)
    official = [case.correction.issued_by] if case.correction is not None else []
    # Channels named after any stored author are hidden, as in the researchers' view (monitor.access.privacy).
    is_author = author_lookup(cases.evidence.documents)
    redactor = Redactor(pseudonyms, keep=[*official, *keep], is_author=is_author)
    evidence = cases.evidence.attached(case_id)
    spread = _spread(cases, evidence, redactor, requester)
    buffer = io.BytesIO()  # bounded: the document list is capped at MAX_LISTED_DOCUMENTS rows
    claim_spread = cases.claims.spread(case_id, requester.zone) if cases.claims is not None else None
    render_briefing(
        cases,
        case,
        spread,
        redactor,
        requester,
        english_summary=(english_summary or "").strip() or None,
        claim_spread=claim_spread,
    ).save(buffer)
    detail = requester.about(ExportKind.BRIEFING, documents=spread.total, redacted=True)
    detail.pop("purpose")
    record_export(cases.evidence, case_id, [e.evidence_id for e in evidence], requester, detail)
    out.write(buffer.getvalue())
