"""E-mailing scheduled reports to the channels in ``reports.email_channels``, with a record of each send.

A scheduled report is the operator's full report (alerts and cases included), so it goes only to the
e-mail channels the settings name, never to every channel. Next to the report's files, a small ledger
``<slug>.mail.json`` keeps the message (subject and Vietnamese body, fixed when the report was written)
and, per channel, what happened: ``sent`` with the relay's reply, or ``failed`` with the error and the
number of attempts. A transient failure (a 4xx reply, the relay unreachable) is tried again on the next
pass of the scheduler, up to :data:`MAX_ATTEMPTS`; a permanent one (5xx) is not, since only an operator can
fix it. Either way the failure is logged and stays in the ledger, and the report stays on disk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from monitor.delivery.channels import Channel, EmailChannelSpec
from monitor.delivery.config import ChannelsConfig
from monitor.delivery.errors import ChannelError, Receipt, shorten
from monitor.delivery.smtp import EmailSender
from monitor.errors import ConfigError
from monitor.files import write_private_file
from monitor.records import utc_now
from monitor.reports.model import MEDIA_TYPES, Report, ReportFormat, duration, number, period_text

log = logging.getLogger(__name__)

LEDGER_SUFFIX = ".mail.json"
MAX_ATTEMPTS = 6  # one pass every ten minutes: an hour of a relay being down before giving up
DEFAULT_BODY = "Báo cáo định kỳ của hệ thống giám sát thông tin đính kèm thư này.\n"

# The headline figures of Report.figures, in the order and words of the report's own headline table.
_FIGURES = (
    ("documents", "Tổng số bài", number),
    ("news", "Bài báo chí", number),
    ("social", "Bài mạng xã hội, diễn đàn", number),
    ("sentiment_index", "Chỉ số cảm xúc", lambda value: number(value, 2)),
    ("misinformation_documents", "Bài có dấu hiệu thông tin sai lệch", number),
    ("misinformation_alerts", "Cảnh báo thông tin sai lệch", number),
    ("cases_opened", "Vụ việc mở trong kỳ", number),
    ("median_respond_seconds", "Thời gian phản hồi (trung vị)", duration),
)


@dataclass(frozen=True)
class MailOutcome:
    """What one pass sent: messages accepted by a relay, and send attempts that failed."""

    sent: int = 0
    failed: int = 0


def email_channels(channels: ChannelsConfig, ids: Iterable[str]) -> list[Channel]:
    """The enabled e-mail channels among ``ids``; the others are logged (``monitor config check`` names them too)."""
    by_id = {channel.id: channel for channel in channels.channels}
    found = []
    for channel_id in dict.fromkeys(ids):
        channel = by_id.get(channel_id)
        if channel is None or not isinstance(channel.spec, EmailChannelSpec):
            log.error("reports.email_channels: %s is not an e-mail channel in channels.yaml", channel_id)
        elif not channel.spec.enabled:
            log.warning("reports.email_channels: channel %s is disabled; reports are not mailed to it", channel_id)
        else:
            found.append(channel)
    return found


def report_text(report: Report, zone: tzinfo, files: Sequence[Path]) -> tuple[str, str]:
    """The subject and the plain-text Vietnamese body of the e-mail carrying ``report``."""
    period = period_text(report.period, zone)
    lines = [report.title, f"Kỳ báo cáo: {period}", "", "Số liệu chính:"]
    for key, label, formatted in _FIGURES:
        if key in report.figures:
            lines.append(f"- {label}: {formatted(report.figures[key])}")
    lines += ["", "Báo cáo đầy đủ (biểu đồ, bảng số liệu) trong các tệp đính kèm:"]
    lines += [f"- {path.name}" for path in files]
    lines += ["", "Thư này do hệ thống giám sát thông tin gửi tự động; báo cáo có nội dung nội bộ, không chuyển tiếp."]
    return f"{report.title} ({period})", "\n".join(lines) + "\n"


def report_message(
    channel: Channel, subject: str, files: Sequence[Path], body: str = DEFAULT_BODY, now: datetime | None = None
) -> EmailMessage:
    """An e-mail to the recipients of an ``email`` channel with ``files`` attached."""
    spec = channel.spec
    if not isinstance(spec, EmailChannelSpec):
        raise ConfigError(f"channel '{channel.id}' is not an e-mail channel")
    message = EmailMessage()
    message["Subject"] = f"{spec.subject_prefix} {subject}".strip()
    message["From"] = spec.sender
    message["To"] = ", ".join(spec.to)
    message["Date"] = format_datetime(now or utc_now())
    message["Message-ID"] = make_msgid(domain=spec.sender.rpartition("@")[2] or None)
    message["Content-Language"] = "vi"
    message.set_content(body, charset="utf-8")
    for path in files:
        maintype, _, subtype = MEDIA_TYPES[ReportFormat(path.suffix[1:])].split(";")[0].partition("/")
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


async def email_report(
    channel: Channel, subject: str, files: Sequence[Path], body: str = DEFAULT_BODY, now: datetime | None = None
) -> Receipt:
    """Send ``files`` through the SMTP relay of ``channel`` (raises ChannelError on failure)."""
    return await EmailSender(channel).send_message(report_message(channel, subject, files, body, now))


def ledger_path(folder: Path, slug: str) -> Path:
    return folder / f"{slug}{LEDGER_SUFFIX}"


def start_ledger(folder: Path, report: Report, files: Sequence[Path], zone: tzinfo) -> Path:
    """Write the ledger of a report just written: its message, and no channel served yet."""
    subject, body = report_text(report, zone, files)
    return _save(
        ledger_path(folder, report.slug),
        {"subject": subject, "body": body, "files": [p.name for p in files], "channels": {}},
    )


def read_ledger(folder: Path, slug: str) -> dict[str, Any] | None:
    """The ledger of report ``slug``; None if the report was written without one (no channel configured then)."""
    path = ledger_path(folder, slug)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def mail_reports(folder: Path, slugs: Iterable[str], channels: Sequence[Channel], now: datetime) -> MailOutcome:
    """Send each report in ``slugs`` that has a ledger to each channel it is still owed to.

    Owed: never sent to that channel, and not given up on (a permanent failure, or :data:`MAX_ATTEMPTS`).
    A send failure is logged and recorded in the ledger; it never raises.
    """
    sent = failed = 0
    for slug in slugs:
        ledger = read_ledger(folder, slug)
        if ledger is None:
            continue
        for channel in channels:
            entry = ledger["channels"].get(channel.id, {"state": "pending", "attempts": 0})
            if entry["state"] == "sent" or (entry["state"] == "failed" and not _owed(entry)):
                continue
            attempts = entry["attempts"] + 1
            files = [folder / name for name in ledger["files"]]
            try:
                receipt = await email_report(channel, ledger["subject"], files, ledger["body"], now)
            except (ChannelError, OSError) as exc:
                # OSError: a report file removed by hand; the ledger says which.
                retryable = isinstance(exc, ChannelError) and exc.retryable and attempts < MAX_ATTEMPTS
                entry = {"state": "failed", "attempts": attempts, "retryable": retryable, "error": shorten(str(exc))}
                failed += 1
                log.log(
                    logging.WARNING if retryable else logging.ERROR,
                    "report %s not mailed to %s (attempt %d, %s): %s [%s]",
                    slug,
                    channel.id,
                    attempts,
                    "will retry" if retryable else "giving up",
                    exc,
                    ledger_path(folder, slug),
                )
            else:
                entry = {"state": "sent", "attempts": attempts, "reply": receipt.reply}
                sent += 1
                log.info("report %s mailed to %s: %s", slug, channel.id, receipt.reply)
            ledger["channels"][channel.id] = {**entry, "at": now.isoformat()}
            _save(ledger_path(folder, slug), ledger)
    return MailOutcome(sent=sent, failed=failed)


def _owed(entry: dict[str, Any]) -> bool:
    return bool(entry.get("retryable")) and int(entry["attempts"]) < MAX_ATTEMPTS


def _save(path: Path, ledger: dict[str, Any]) -> Path:
    # Written aside and renamed: a pass interrupted mid-write leaves the previous ledger, not half of one.
    partial = write_private_file(path.with_name(path.name + ".part"), json.dumps(ledger, ensure_ascii=False, indent=2))
    partial.replace(path)
    return path
