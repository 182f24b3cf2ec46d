"""Vietnamese reports (issue #8): daily, weekly and campaign reports as DOCX, PDF and HTML.

Example::

    report = build_report(monitor, "weekly", end=date(2026, 11, 14))
    write_report(report, "var/reports", ["docx", "pdf", "html"])
"""

from __future__ import annotations

from monitor.reports.build import build_report, period_ending
from monitor.reports.mailing import MailOutcome, email_channels, email_report
from monitor.reports.model import MEDIA_TYPES, Chart, Report, ReportFormat, ReportKind, Section, Table
from monitor.reports.schedule import PassResult, report_pass, reports_forever, scheduled_reports
from monitor.reports.write import render, write_report

__all__ = [
    "MEDIA_TYPES",
    "Chart",
    "MailOutcome",
    "PassResult",
    "Report",
    "ReportFormat",
    "ReportKind",
    "Section",
    "Table",
    "build_report",
    "email_channels",
    "email_report",
    "period_ending",
    "render",
    "report_pass",
    "reports_forever",
    "scheduled_reports",
    "write_report",
]
