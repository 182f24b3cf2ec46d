"""The result of a search as a spreadsheet (CSV or XLSX): one writer for the API and the console.

The rows are those of :func:`monitor.analytics.research.document_row` (the research dataset's columns),
newest first, through the caller's privacy view (researchers get pseudonyms, as in every dataset; see
:mod:`monitor.access.documents`), with Vietnamese column headings and times in the office's local time
(spreadsheets have no time zones). At most :data:`EXPORT_LIMIT` rows are written: a larger result is cut
to its newest documents, and the export says so (:attr:`SearchExport.capped`; the XLSX file's "Thông tin"
sheet; the API's ``X-Export-*`` headers), since a bigger selection is the Parquet dataset's job
(``monitor export dataset``).

Every cell goes through :func:`monitor.spreadsheet.safe_cell` (no formula injection from a post's text).
The CSV is UTF-8 with a byte-order mark, which Excel needs to read Vietnamese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from monitor.access.privacy import PrivacyPolicy
from monitor.analytics.research import COLUMNS, LIST_COLUMNS, PAGE_SIZE, TIME_COLUMNS, document_row
from monitor.spreadsheet import safe_row
from monitor.store.base import DocumentFilter, DocumentStore, SearchRequest, SortOrder

EXPORT_LIMIT = 5_000
"""Rows in one export at most (the newest documents of a larger result)."""

HEADINGS: dict[str, str] = {
    "doc_id": "Mã bài",
    "source_id": "Nguồn",
    "platform": "Nền tảng",
    "url": "Đường dẫn",
    "published_at": "Đăng lúc",
    "fetched_at": "Thu thập lúc",
    "title": "Tiêu đề",
    "text": "Nội dung",
    "lang": "Ngôn ngữ",
    "author": "Tác giả",
    "channel": "Kênh/nhóm",
    "parent_id": "Trả lời bài",
    "sentiment": "Sắc thái",
    "sentiment_negative": "Xác suất tiêu cực",
    "sentiment_neutral": "Xác suất trung tính",
    "sentiment_positive": "Xác suất tích cực",
    "topics": "Chủ đề",
    "toxicity": "Độc hại",
    "toxicity_clean": "Xác suất bình thường",
    "misinformation": "Điểm tin sai",
    "misinformation_reasons": "Lý do tin sai",
    "claim_ids": "Nội dung sai lặp lại",
    "watchlist_hits": "Danh sách theo dõi",
    "story_id": "Mã câu chuyện",
    "likes": "Lượt thích",
    "comments": "Bình luận",
    "shares": "Chia sẻ",
    "views": "Lượt xem",
}
_WIDE = {"title": 50, "text": 80, "url": 40, "doc_id": 38, "story_id": 38, "parent_id": 38}
DATA_SHEET = "Kết quả tìm kiếm"
INFO_SHEET = "Thông tin"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    """The file types a search result is exported as."""

    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class SearchExport:
    """What was written: how many rows, of how many matching documents."""

    rows: int
    total: int
    limit: int

    @property
    def capped(self) -> bool:
        """Whether the result had more documents than the export holds."""
        return self.total > self.rows

    def note(self) -> str:
        """One Vietnamese sentence on what the file holds (for the file and the page)."""
        if self.capped:
            return (
                f"Kết quả có {self.total} bài; tệp chỉ gồm {self.rows} bài mới nhất (giới hạn {self.limit} dòng). "
                "Hãy thu hẹp bộ lọc (thời gian, nguồn) để xuất phần còn lại."
            )
        return f"Tệp gồm đủ {self.rows} bài của kết quả."


def _cells(row: dict[str, Any], *, plain_times: bool) -> list[object]:
    cells: list[object] = []
    for column in COLUMNS:
        value = row[column]
        if column in LIST_COLUMNS:
            value = "; ".join(value)
        elif column in TIME_COLUMNS:
            local: datetime = value.replace(tzinfo=None, microsecond=0)  # Excel has no time zones
            value = local.isoformat(sep=" ") if plain_times else local
        cells.append(value)
    return safe_row(cells)


def _pages(store: DocumentStore, document_filter: DocumentFilter, limit: int) -> Iterator[tuple[int, list[Any]]]:
    # Newest first, as the search page lists them; offsets stay far below the store's bound (100,000).
    offset = 0
    while offset < limit:
        size = min(PAGE_SIZE, limit - offset)
        page = store.search(SearchRequest(filter=document_filter, limit=size, offset=offset, sort=SortOrder.NEWEST))
        yield page.total, page.items
        if len(page.items) < size:
            return
        offset += size


def write_search_export(
    store: DocumentStore,
    document_filter: DocumentFilter,
    out: IO[bytes],
    *,
    file_format: ExportFormat,
    privacy: PrivacyPolicy | None,
    zone: tzinfo,
    limit: int = EXPORT_LIMIT,
) -> SearchExport:
    """Write the newest ``limit`` documents matching ``document_filter`` to ``out``.

    Args:
        store: The document store to read.
        document_filter: The search (built by :func:`monitor.access.documents.search_filter`).
        out: A binary file to write the CSV or XLSX bytes to.
        file_format: CSV (UTF-8 with BOM) or XLSX.
        privacy: The caller's privacy view (:func:`monitor.access.documents.privacy_for`); None for all.
        zone: The office's time zone, for the time columns.
        limit: Rows at most.

    Returns:
        How many rows were written and how many documents matched.
    """
    total = 0
    collected: list[list[object]] = []  # at most ``limit`` rows: the cap keeps this small
    for matched, items in _pages(store, document_filter, limit):
        total = matched
        collected.extend(
            _cells(document_row(item, privacy, zone), plain_times=file_format is ExportFormat.CSV) for item in items
        )
    result = SearchExport(rows=len(collected), total=total, limit=limit)
    headings = [HEADINGS[column] for column in COLUMNS]
    if file_format is ExportFormat.CSV:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow(headings)
        writer.writerows(collected)
        text.detach()  # leave ``out`` open for the caller
        return result
    book = Workbook(write_only=True)
    sheet = book.create_sheet(DATA_SHEET)
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _WIDE.get(column, 16)
    sheet.append(headings)
    for row in collected:
        sheet.append(row)
    info = book.create_sheet(INFO_SHEET)
    for label, value in (
        ("Truy vấn", document_filter.text or "(không có)"),
        ("Số bài khớp", result.total),
        ("Số dòng trong tệp", result.rows),
        ("Ghi chú", result.note()),
        ("Múi giờ của các cột thời gian", str(zone)),
        ("Quyền riêng tư", "tác giả là bí danh (chế độ nghiên cứu)" if privacy is not None else "đầy đủ"),
    ):
        info.append(safe_row([label, value]))
    book.save(out)
    return result


def export_filename(file_format: ExportFormat, at: datetime, zone: tzinfo) -> str:
    """``tim-kiem-20261103-1405.csv``: the download's name, in local time."""
    return f"tim-kiem-{at.astimezone(zone):%Y%m%d-%H%M}.{file_format.value}"
