"""What a report is, independent of its file format: sections of text, tables and charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from monitor.analytics.metrics import Period


class ReportKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    CAMPAIGN = "campaign"


class ReportFormat(StrEnum):
    DOCX = "docx"
    PDF = "pdf"
    HTML = "html"


MEDIA_TYPES = {
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.HTML: "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells (the writers only lay them out)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "Không có dữ liệu."


@dataclass(frozen=True)
class Chart:
    """A chart rendered once as PNG, embedded by every writer."""

    key: str
    title: str
    png: bytes


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Report:
    """A built report. ``figures`` holds the headline numbers unformatted, for checks and machines."""

    kind: ReportKind
    title: str
    subtitle: str
    period: Period
    generated_at: datetime
    slug: str
    sections: tuple[Section, ...]
    figures: dict[str, float | int | None] = field(default_factory=dict)

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]


def local_time(value: datetime | None, zone: tzinfo) -> str:
    """``dd/mm/yyyy HH:MM`` in local time, the way Vietnamese offices write it."""
    return "—" if value is None else f"{value.astimezone(zone):%d/%m/%Y %H:%M}"


def period_text(period: Period, zone: tzinfo) -> str:
    """``01/11/2026 – 07/11/2026`` (the last day is the one before the exclusive end)."""
    first = period.since.astimezone(zone)
    last = (period.until - timedelta(microseconds=1)).astimezone(zone)
    if first.date() == last.date():
        return f"ngày {first:%d/%m/%Y}"
    return f"{first:%d/%m/%Y} – {last:%d/%m/%Y}"


def number(value: float | None, digits: int = 0) -> str:
    """Vietnamese number format: '.' between thousands, ',' before decimals; None is a dash."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number(value * 100, 1)}%"


def duration(seconds: float | None) -> str:
    """``2 giờ 05 phút`` (or ``45 phút``)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} giờ {minutes:02d} phút" if hours else f"{minutes} phút"
