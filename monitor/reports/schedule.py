"""Scheduled reports: yesterday's daily report and last week's weekly report, written once each.

:func:`scheduled_reports` is idempotent per period: a report whose files already exist is not built
again, so calling it every few minutes (or after a restart) writes each period exactly once. E-mail goes
through the SMTP settings of an ``email`` channel of ``configs/channels.yaml``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from monitor.context import Monitor
from monitor.delivery.channels import EmailChannelSpec
from monitor.delivery.config import Channel
from monitor.delivery.errors import Receipt
from monitor.delivery.smtp import EmailSender
from monitor.reports.build import build_report
from monitor.reports.model import MEDIA_TYPES, ReportFormat, ReportKind
from monitor.reports.write import write_report

log = logging.getLogger(__name__)

SCHEDULED_FORMATS = (ReportFormat.DOCX, ReportFormat.PDF, ReportFormat.HTML)
CHECK_INTERVAL_SECONDS = 600


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


def scheduled_reports(
    monitor: Monitor, now: datetime, folder: Path | str, formats: Sequence[ReportFormat] = SCHEDULED_FORMATS
) -> list[Path]:
    """Write the reports due at ``now`` that are not in ``folder`` yet; return the files written."""
    written: list[Path] = []
    target = Path(folder)
    for kind, last_day in due_reports(now, monitor):
        first_day = last_day - timedelta(days=0 if kind is ReportKind.DAILY else 6)
        slug = f"{kind.value}-{first_day:%Y-%m-%d}"
        if all((target / f"{slug}.{fmt.value}").exists() for fmt in formats):
            continue
        report = build_report(monitor, kind, end=last_day)
        written.extend(write_report(report, target, formats, monitor.settings.timezone))
    return written


def report_message(channel: Channel, subject: str, files: Sequence[Path]) -> EmailMessage:
    """An e-mail to the recipients of an ``email`` channel with ``files`` attached."""
    spec = channel.spec
    if not isinstance(spec, EmailChannelSpec):
        raise TypeError(f"channel '{channel.id}' is not an e-mail channel")
    message = EmailMessage()
    message["Subject"] = f"{spec.subject_prefix} {subject}".strip()
    message["From"] = spec.sender
    message["To"] = ", ".join(spec.to)
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain=spec.sender.rpartition("@")[2] or None)
    message["Content-Language"] = "vi"
    message.set_content("Báo cáo định kỳ của hệ thống giám sát thông tin đính kèm thư này.\n", charset="utf-8")
    for path in files:
        maintype, _, subtype = MEDIA_TYPES[ReportFormat(path.suffix[1:])].split(";")[0].partition("/")
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


async def email_report(channel: Channel, subject: str, files: Sequence[Path]) -> Receipt:
    """Send ``files`` through the SMTP relay of ``channel`` (raises ChannelError on failure)."""
    return await EmailSender(channel).send_message(report_message(channel, subject, files))


async def reports_forever(monitor: Monitor, folder: Path, channel_ids: Sequence[str] = ()) -> None:
    """Every few minutes, write the reports that are due and mail new ones to ``channel_ids``."""
    channels = [c for c in monitor.delivery.config.channels if c.id in set(channel_ids)]
    unknown = set(channel_ids) - {c.id for c in channels}
    if unknown:
        log.error("reports.email_channels names channels not in channels.yaml: %s", ", ".join(sorted(unknown)))
    while True:
        try:
            files = await asyncio.to_thread(scheduled_reports, monitor, datetime.now().astimezone(), folder)
            by_report: dict[str, list[Path]] = {}
            for path in files:
                by_report.setdefault(path.stem, []).append(path)
            for stem, paths in by_report.items():
                for channel in channels:
                    await email_report(channel, f"Báo cáo {stem}", paths)
        except Exception:  # keep the loop alive: a failing SMTP relay must not stop the next reports
            log.exception("scheduled reports failed")
        await asyncio.sleep(CHECK_INTERVAL_SECONDS)
