"""Scheduled reports: yesterday's daily report and last week's weekly report, written once each, and mailed.

:func:`scheduled_reports` is idempotent per period: a report whose files already exist is not built
again, so calling it every few minutes (or after a restart) writes each period exactly once.
:func:`report_pass` is one pass of the service's loop: it writes what is due and mails it to the e-mail
channels of ``reports.email_channels`` (see :mod:`monitor.reports.mailing` for the record of each send
and the retries).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.context import Monitor
from monitor.delivery.channels import Channel
from monitor.records import utc_now
from monitor.reports.build import build_report
from monitor.reports.mailing import MailOutcome, email_channels, mail_reports, start_ledger
from monitor.reports.model import Report, ReportFormat, ReportKind
from monitor.reports.write import write_report

log = logging.getLogger(__name__)

SCHEDULED_FORMATS = (ReportFormat.DOCX, ReportFormat.PDF, ReportFormat.HTML)
CHECK_INTERVAL_SECONDS = 600


@dataclass(frozen=True)
class PassResult:
    """One pass of the report loop: the files written, and the mail sent and failed."""

    written: list[Path]
    mail: MailOutcome


def due_reports(now: datetime, monitor: Monitor) -> list[tuple[ReportKind, date]]:
    """The reports due at ``now``: (kind, the last local day it includes).

    Daily: yesterday. Weekly: the last full Monday–Sunday week.
    """
    today = now.astimezone(monitor.settings.zone).date()
    yesterday = today - timedelta(days=1)
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return [
        (ReportKind.DAILY, yesterday),
        (ReportKind.WEEKLY, last_sunday),
    ]


def due_slug(kind: ReportKind, last_day: date) -> str:
    """The file name stem of a scheduled report (the same as :attr:`Report.slug`)."""
    first_day = last_day - timedelta(days=0 if kind is ReportKind.DAILY else 6)
    return f"{kind.value}-{first_day:%Y-%m-%d}"


def write_due_reports(
    monitor: Monitor, now: datetime, folder: Path | str, formats: Sequence[ReportFormat] = SCHEDULED_FORMATS
) -> list[tuple[Report, list[Path]]]:
    """Build and write the reports due at ``now`` that are not in ``folder`` yet, with their files."""
    written: list[tuple[Report, list[Path]]] = []
    target = Path(folder)
    for kind, last_day in due_reports(now, monitor):
        slug = due_slug(kind, last_day)
        if all((target / f"{slug}.{fmt.value}").exists() for fmt in formats):
            continue
        report = build_report(monitor, kind, end=last_day)
        written.append((report, write_report(report, target, formats, monitor.settings.timezone)))
    return written


def scheduled_reports(
    monitor: Monitor, now: datetime, folder: Path | str, formats: Sequence[ReportFormat] = SCHEDULED_FORMATS
) -> list[Path]:
    """Write the reports due at ``now`` that are not in ``folder`` yet; return the files written."""
    return [path for _, paths in write_due_reports(monitor, now, folder, formats) for path in paths]


async def report_pass(monitor: Monitor, now: datetime, folder: Path, channels: Sequence[Channel]) -> PassResult:
    """Write the reports due at ``now``, then mail the due ones still owed to ``channels``.

    A report written while no channel is configured gets no ledger and is never mailed; a failed send
    raises nothing (it is logged and recorded in the report's ledger).
    """
    written = await asyncio.to_thread(write_due_reports, monitor, now, folder)
    if channels:
        for report, paths in written:
            start_ledger(folder, report, paths, monitor.settings.zone)
    slugs = [due_slug(kind, last_day) for kind, last_day in due_reports(now, monitor)]
    mail = await mail_reports(folder, slugs, channels, now) if channels else MailOutcome()
    return PassResult(written=[path for _, paths in written for path in paths], mail=mail)


async def reports_forever(
    monitor: Monitor,
    folder: Path,
    channel_ids: Sequence[str] | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    interval: float = CHECK_INTERVAL_SECONDS,
) -> None:
    """Every ``interval`` seconds, write the reports that are due and mail them.

    Args:
        monitor: The running monitor.
        folder: Where the reports are written.
        channel_ids: The e-mail channels that receive them; by default ``reports.email_channels``.
        clock: The current time (tests pin it).
        interval: Seconds between passes.
    """
    ids = monitor.settings.reports.email_channels if channel_ids is None else channel_ids
    channels = email_channels(monitor.delivery.config, ids)
    failures = 0  # since start-up, for the log line: the ledgers hold each failure
    while True:
        try:
            result = await report_pass(monitor, clock(), folder, channels)
        except Exception:  # keep the loop alive: a failing report must not stop the next ones
            log.exception("scheduled reports failed")
        else:
            failures += result.mail.failed
            if result.written or result.mail.sent or result.mail.failed:
                log.info(
                    "scheduled reports: %d files written, %d mailed, %d mail failures (%d since start-up)",
                    len(result.written),
                    result.mail.sent,
                    result.mail.failed,
                    failures,
                )
        await asyncio.sleep(interval)
