"""A report as PDF in pure Python: matplotlib's PdfPages, one A4 figure per page.

Text is laid out line by line (DejaVu Sans, bundled with matplotlib, has every Vietnamese letter), so no
LibreOffice or system fonts are needed.
"""

from __future__ import annotations

import io
import textwrap
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.image import imread

from monitor.reports.model import Report, Table, local_time

A4 = (8.27, 11.69)  # inches
LEFT, RIGHT, TOP, BOTTOM = 0.08, 0.92, 0.94, 0.06  # page margins, as fractions of the page
LINE = 0.017  # height of a 9 pt line
WRAP = 100  # characters per paragraph line at 9 pt over the text width


class _Pages:
    """Puts lines and images on pages, starting a new page when the current one is full."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.figure: Figure | None = None
        self.y = TOP
        self.count = 0

    def _page(self) -> Figure:
        if self.figure is None:
            self.figure = Figure(figsize=A4)
            self.y = TOP
            self.count += 1
            self.figure.text(0.5, 0.03, f"{self.footer} — trang {self.count}", ha="center", fontsize=7, color="#666")
        return self.figure

    def need(self, height: float) -> Figure:
        """The current page if ``height`` still fits on it, else a new one."""
        if self.figure is not None and self.y - height < BOTTOM:
            self.finish()
        return self._page()

    def finish(self) -> None:
        if self.figure is not None:
            self.pdf.savefig(self.figure)  # type: ignore[no-untyped-call]
            self.figure = None

    def text(self, value: str, *, size: float = 9, weight: str = "normal", gap: float = LINE, x: float = LEFT) -> None:
        figure = self.need(gap)
        figure.text(x, self.y, value, fontsize=size, fontweight=weight, va="top")
        self.y -= gap

    def paragraph(self, value: str) -> None:
        for line in textwrap.wrap(value, WRAP) or [""]:
            self.text(line)
        self.y -= LINE / 2

    def table(self, table: Table) -> None:
        self.need(LINE * 4)
        self.text(table.title, size=10, weight="bold", gap=LINE * 1.4)
        if not table.rows:
            self.paragraph(table.empty)
            return
        widths = _column_widths(table)
        positions = [LEFT + sum(widths[:i]) * (RIGHT - LEFT) for i in range(len(widths))]
        limits = [max(4, int(width * WRAP * 0.95)) for width in widths]
        self._row(table.columns, positions, limits, bold=True)
        for row in table.rows:
            self._row(row, positions, limits, bold=False)
        self.y -= LINE / 2

    def _row(self, cells: tuple[str, ...], positions: list[float], limits: list[int], *, bold: bool) -> None:
        figure = self.need(LINE)
        for value, x, limit in zip(cells, positions, limits, strict=True):
            shown = value if len(value) <= limit else value[: limit - 1] + "…"
            figure.text(x, self.y, shown, fontsize=8, fontweight="bold" if bold else "normal", va="top")
        self.y -= LINE

    def image(self, png: bytes, caption: str) -> None:
        pixels = imread(io.BytesIO(png), format="png")
        height, width = pixels.shape[0], pixels.shape[1]
        page_width = RIGHT - LEFT
        page_height = page_width * (height / width) * (A4[0] / A4[1])
        figure = self.need(page_height + LINE * 2)
        axes = figure.add_axes((LEFT, self.y - page_height, page_width, page_height))
        axes.imshow(pixels)
        axes.axis("off")
        self.y -= page_height + LINE * 0.5
        self.text(caption, size=8, gap=LINE * 1.5)


def _column_widths(table: Table) -> list[float]:
    """Column widths proportional to their longest cell (capped, so one long title does not take all)."""
    longest = [
        min(60, max(len(table.columns[i]), *(len(row[i]) for row in table.rows))) for i in range(len(table.columns))
    ]
    total = sum(longest) or 1
    return [length / total for length in longest]


def render_pdf(report: Report, zone_name: str) -> bytes:
    """The report as PDF bytes."""
    buffer = io.BytesIO()
    metadata = {"Title": report.title, "Subject": report.subtitle, "Creator": "dongnai-monitor"}
    with PdfPages(buffer, metadata=metadata) as pdf:
        pages = _Pages(pdf, report.title)
        pages.text(report.title, size=15, weight="bold", gap=LINE * 2.2)
        pages.text(report.subtitle, size=10, gap=LINE * 1.3)
        pages.text(f"Lập lúc: {local_time(report.generated_at, ZoneInfo(zone_name))}", size=9, gap=LINE * 2)
        for section in report.sections:
            pages.need(LINE * 6)
            pages.text(section.heading, size=12, weight="bold", gap=LINE * 1.8)
            for text in section.paragraphs:
                pages.paragraph(text)
            for table in section.tables:
                pages.table(table)
            for chart in section.charts:
                pages.image(chart.png, chart.title)
            pages.y -= LINE
        pages.finish()
    return buffer.getvalue()
