"""A report asked for by a person (the API's ``GET /reports/{kind}``, the console's form): checked, built, rendered.

One function for both, so the checks on what was asked (the end day's range, a campaign for a campaign
report) and the parts the reader may see (:func:`~monitor.reports.access.report_scope`) are decided once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from monitor.access.keys import ApiKey
from monitor.errors import InvalidInputError
from monitor.reports.access import report_scope
from monitor.reports.build import build_report
from monitor.reports.model import MEDIA_TYPES, ReportFormat, ReportKind
from monitor.reports.write import render

if TYPE_CHECKING:
    from monitor.context import Monitor

# Reports cover the monitoring era; far-off dates would only overflow the period arithmetic.
EARLIEST_END = date(2000, 1, 1)
LATEST_END = date(2100, 12, 31)


@dataclass(frozen=True)
class ReportFile:
    """A rendered report: its bytes, media type and file name (``<slug>.<format>``)."""

    body: bytes
    media_type: str
    filename: str


def report_file(
    monitor: Monitor,
    key: ApiKey,
    kind: ReportKind,
    *,
    end: date | None = None,
    fmt: ReportFormat = ReportFormat.HTML,
    campaign: str | None = None,
) -> ReportFile:
    """Build the report ``key`` asked for now and render it as one file.

    A researcher's report leaves out the alerts and cases (they may not read those).

    Raises:
        InvalidInputError: ``end`` out of range, or a campaign report without a campaign (parameter named).
        ForbiddenError: ``key``'s role may not read documents, which every report is built from.
        NotFoundError: An unknown campaign.
    """
    if end is not None and not EARLIEST_END <= end <= LATEST_END:
        raise InvalidInputError(f"must be between {EARLIEST_END} and {LATEST_END}", parameter="end")
    if kind is ReportKind.CAMPAIGN and not campaign:
        raise InvalidInputError("required for a campaign report", parameter="campaign")
    report = build_report(monitor, kind, end=end, campaign=campaign, scope=report_scope(key))
    body = render(report, fmt, monitor.settings.timezone)
    return ReportFile(body, MEDIA_TYPES[fmt], f"{report.slug}.{fmt.value}")
