"""A report as a Word document (python-docx), charts as pictures."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Inches, Pt

from monitor.reports.model import Report, Table, local_time

CHART_WIDTH = Inches(6.3)


def render_docx(report: Report, zone_name: str) -> bytes:
    """The report as DOCX bytes; ``zone_name`` is the zone the generation time is shown in."""
    document = Document()
    document.styles["Normal"].font.name = "Times New Roman"  # the font of Vietnamese official documents
    document.styles["Normal"].font.size = Pt(12)
    document.core_properties.title = report.title
    document.core_properties.language = "vi-VN"
    document.add_heading(report.title, level=0)
    document.add_paragraph(report.subtitle)
    document.add_paragraph(f"Lập lúc: {local_time(report.generated_at, ZoneInfo(zone_name))}")
    for section in report.sections:
        document.add_heading(section.heading, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for table in section.tables:
            _table(document, table)
        for chart in section.charts:
            document.add_picture(io.BytesIO(chart.png), width=CHART_WIDTH)
            document.add_paragraph().add_run(chart.title).italic = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document: DocxDocument, table: Table) -> None:
    document.add_heading(table.title, level=2)
    if not table.rows:
        document.add_paragraph(table.empty)
        return
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
