"""The Vietnamese summary (``summary.md``) of a police evidence package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.analysis import AnalyzedDocument
from monitor.cases import Case, Evidence, ServiceRecord
from monitor.cases.exports.common import Requester
from monitor.cases.exports.labels import PRIORITY_VI, STATE_VI, hours, yes_no


@dataclass(frozen=True)
class DocumentLine:
    """What the summary lists of one evidence document (kept small: one per document of the case)."""

    evidence_id: str
    published_at: datetime
    platform: str
    author: str | None
    url: str

    @classmethod
    def of(cls, evidence: Evidence, document: AnalyzedDocument) -> DocumentLine:
        doc = document.document
        return cls(evidence.evidence_id, doc.published_at, doc.platform.value, doc.author, doc.url)


def _cell(text: str | None) -> str:
    # A "|" in a name would split a Markdown table cell.
    return "—" if not text else text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(
    case: Case, service: ServiceRecord, documents: Sequence[DocumentLine], requester: Requester, files: Sequence[str]
) -> str:
    """The summary: the case, claim and correction, the evidence documents, the export and how to check it."""
    t = requester.local
    correction = case.correction
    lines = [
        f"# Hồ sơ chứng cứ vụ việc {case.case_id}",
        "",
        f"- **Tiêu đề:** {case.title}",
        f"- **Trạng thái:** {STATE_VI[case.state]}",
        f"- **Mức ưu tiên:** {PRIORITY_VI[case.priority]}",
        f"- **Mở lúc:** {t(case.opened_at)} (bởi {case.opened_by})",
        f"- **Xác minh xong:** {t(case.verified_at)}; thời gian xác minh: {hours(service.time_to_verify_seconds)} giờ;"
        f" đúng hạn: {yes_no(service.verified_in_time)}",
        f"- **Phản hồi chính thức:** {t(case.responded_at)}; thời gian phản hồi: "
        f"{hours(service.time_to_respond_seconds)} giờ; đúng hạn: {yes_no(service.responded_in_time)}",
        "",
        "## Thông tin sai lệch",
        "",
        case.claim or "(chưa ghi nhận)",
        "",
        "## Đính chính chính thức",
        "",
    ]
    if correction is None:
        lines.append("(chưa có)")
    else:
        lines += [
            correction.statement,
            "",
            f"— {correction.issued_by}, {t(correction.issued_at)}, {correction.url}",
        ]
    lines += [
        "",
        f"## Tài liệu làm chứng cứ ({len(documents)})",
        "",
        "| # | Thời điểm đăng | Nền tảng | Tác giả | Địa chỉ | Mã chứng cứ |",
        "|---|---|---|---|---|---|",
    ]
    for number, doc in enumerate(documents, 1):
        lines.append(
            f"| {number} | {t(doc.published_at)} | {doc.platform} | {_cell(doc.author)} | {_cell(doc.url)} "
            f"| {doc.evidence_id} |"
        )
    lines += [
        "",
        "## Thông tin xuất hồ sơ",
        "",
        f"- **Mã lần xuất:** {requester.export_id}",
        f"- **Thời điểm xuất:** {t(requester.at)}",
        f"- **Người xuất:** {requester.by.label}",
        f"- **Cơ quan nhận:** {requester.agency or '(cán bộ của Văn phòng)'}",
        f"- **Mục đích:** {requester.purpose}",
        "",
        "Lần xuất này đã được ghi vào nhật ký lưu giữ chứng cứ (chain of custody) của vụ việc.",
        "",
        "## Kiểm tra tính toàn vẹn",
        "",
        "Hồ sơ gồm: " + ", ".join(f"`{name}`" for name in files) + ".",
        "Tệp `manifest.sha256` ghi mã SHA-256 của mọi tệp khác trong hồ sơ. Giải nén rồi chạy",
        "`sha256sum -c manifest.sha256`, hoặc chạy `monitor evidence verify <tệp.zip>` trên tệp ZIP;",
        "mọi tệp bị sửa, thiếu hoặc thêm vào đều được nêu tên. Mã SHA-256 của từng tệp chứng cứ lúc thu",
        "thập cũng được ghi trong `case.json` và trong cơ sở dữ liệu của hệ thống.",
        "",
    ]
    return "\n".join(lines)
