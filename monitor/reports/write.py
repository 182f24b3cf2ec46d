"""Rendering a report in the asked formats, to bytes or to files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from monitor.files import open_private, private_dir
from monitor.reports.docx_writer import render_docx
from monitor.reports.html_writer import render_html
from monitor.reports.model import Report, ReportFormat
from monitor.reports.pdf_writer import render_pdf
from monitor.zones import DEFAULT_TIMEZONE

_RENDERERS = {ReportFormat.DOCX: render_docx, ReportFormat.PDF: render_pdf, ReportFormat.HTML: render_html}


def render(report: Report, fmt: ReportFormat | str, zone_name: str = DEFAULT_TIMEZONE) -> bytes:
    """The report as the bytes of one file format."""
    return _RENDERERS[ReportFormat(fmt)](report, zone_name)


def write_report(
    report: Report, out_dir: Path | str, formats: Iterable[ReportFormat | str], zone_name: str = DEFAULT_TIMEZONE
) -> list[Path]:
    """Write ``<out_dir>/<report.slug>.<format>`` for each format; return the paths written.

    Each file is written to a temporary name and renamed, so a reader (or the scheduler's "already
    written?" check) never sees half a file.
    """
    folder = Path(out_dir)
    private_dir(folder)
    written = []
    for fmt in dict.fromkeys(ReportFormat(f) for f in formats):
        path = folder / f"{report.slug}.{fmt.value}"
        partial = path.with_name(path.name + ".part")
        with open_private(partial, "wb") as handle:
            handle.write(render(report, fmt, zone_name))
        partial.replace(path)
        written.append(path)
    return written
