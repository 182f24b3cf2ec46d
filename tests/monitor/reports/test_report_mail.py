"""Scheduled reports e-mailed to ``reports.email_channels`` through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from monitor.analytics.metrics import Period
from monitor.context import Monitor
from monitor.delivery import load_channels
from monitor.delivery.channels import Channel
from monitor.ingestion.crawl import CycleReport
from monitor.reports import MailOutcome, email_channels, report_pass, reports_forever
from monitor.reports.model import number
from monitor.store.base import DocumentFilter
from tests.conftest import open_monitor
from tests.monitor.delivery.servers import SmtpServer, smtp_server
from tests.monitor.delivery.test_email import email_yaml

TUESDAY = date(2026, 11, 10)  # due: the daily report of 9/11 and the weekly report of 2/11 – 8/11
SLUGS = ("daily-2026-11-09", "weekly-2026-11-02")
FORMATS = ("docx", "pdf", "html")

# A second e-mail channel, not named in reports.email_channels: it must get nothing.
OTHER_CHANNEL = """
      - id: press-mail
        type: email
        host: 127.0.0.1
        port: {port}
        starttls: false
        allow_private_network: true
        from: giamsat@dongnai.example.vn
        to: [bao-chi@dongnai.example.vn]
"""


def at_seven(monitor: Monitor) -> datetime:
    return datetime(TUESDAY.year, TUESDAY.month, TUESDAY.day, 7, tzinfo=monitor.settings.zone)


def report_channels(server: SmtpServer, folder: Path) -> list[Channel]:
    folder.mkdir()
    text = email_yaml(server).rstrip() + OTHER_CHANNEL.format(port=server.port)
    (folder / "channels.yaml").write_text(text, encoding="utf-8")
    return email_channels(load_channels(folder), ["officers-mail"])


def test_scheduled_reports_are_mailed_to_the_report_channels_only(
    sample_run: tuple[Monitor, CycleReport], tmp_path: Path
) -> None:
    monitor, _ = sample_run
    now = at_seven(monitor)
    folder = tmp_path / "reports"
    with smtp_server() as server:
        channels = report_channels(server, tmp_path / "configs")
        first = asyncio.run(report_pass(monitor, now, folder, channels))
        again = asyncio.run(report_pass(monitor, now, folder, channels))

    assert sorted(p.name for p in first.written) == sorted(f"{s}.{f}" for s in SLUGS for f in FORMATS)
    assert first.mail == MailOutcome(sent=2, failed=0)
    assert again.written == []
    assert again.mail == MailOutcome()
    assert len(server.mails) == 2
    for mail in server.mails:
        assert mail.rcpt_tos == ["truc-ban@dongnai.example.vn", "lanh-dao@dongnai.example.vn"]
        assert mail.message["Date"] == format_datetime(now)
    daily, weekly = sorted(server.mails, key=lambda mail: str(mail.message["Subject"]))
    assert weekly.message["Subject"] == (
        "[Giám sát truyền thông Đồng Nai] Báo cáo tuần về thông tin truyền thông tỉnh Đồng Nai "
        "(02/11/2026 – 08/11/2026)"
    )
    assert "Báo cáo ngày" in daily.message["Subject"]
    assert "(ngày 09/11/2026)" in daily.message["Subject"]
    attached = sorted(part.get_filename() or "" for part in weekly.message.iter_attachments())
    assert attached == sorted(f"weekly-2026-11-02.{f}" for f in FORMATS)
    pdf = next(p for p in weekly.message.iter_attachments() if p.get_filename() == "weekly-2026-11-02.pdf")
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content() == (folder / "weekly-2026-11-02.pdf").read_bytes()

    body = weekly.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    week = Period.of_days(date(2026, 11, 2), 7, monitor.settings.zone).restrict(DocumentFilter())
    assert "Kỳ báo cáo: 02/11/2026 – 08/11/2026" in text
    assert f"- Tổng số bài: {number(monitor.store.count(week))}" in text
    ledger = json.loads((folder / "weekly-2026-11-02.mail.json").read_text(encoding="utf-8"))
    assert ledger["channels"]["officers-mail"]["state"] == "sent"
    assert "press-mail" not in ledger["channels"]


def test_a_refusing_relay_is_logged_and_recorded_and_not_retried(
    sample_run: tuple[Monitor, CycleReport], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monitor, _ = sample_run
    now = at_seven(monitor)
    folder = tmp_path / "reports"
    with smtp_server() as server:
        channels = report_channels(server, tmp_path / "configs")
        server.replies.extend(["550 5.7.1 Relaying denied"] * 2)
        with caplog.at_level(logging.WARNING, logger="monitor.reports"):
            first = asyncio.run(report_pass(monitor, now, folder, channels))
        again = asyncio.run(report_pass(monitor, now, folder, channels))

    assert first.mail == MailOutcome(sent=0, failed=2)
    assert all((folder / f"{s}.{f}").stat().st_size > 1000 for s in SLUGS for f in FORMATS)  # reports kept
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all("550" in e and "giving up" in e and "officers-mail" in e for e in errors)
    for slug in SLUGS:
        entry = json.loads((folder / f"{slug}.mail.json").read_text(encoding="utf-8"))["channels"]["officers-mail"]
        assert entry["state"] == "failed"
        assert entry["attempts"] == 1
        assert not entry["retryable"]
        assert "550" in entry["error"]
    # A permanent refusal needs an operator: the next pass does not try again.
    assert again.mail == MailOutcome()
    assert server.mails == []


def test_a_transient_failure_is_retried_by_the_running_loop(config_dir: Path, tmp_path: Path) -> None:
    """The service's loop mails to reports.email_channels; a 451 does not stop it, the next pass delivers."""
    with smtp_server() as server:
        server.replies.extend(["451 4.3.0 Try again later"] * 2)
        (config_dir / "channels.yaml").write_text(email_yaml(server), encoding="utf-8")
        with (config_dir / "settings.yaml").open("a", encoding="utf-8") as settings:
            settings.write("\nreports:\n  email_channels: [officers-mail]\n")
        monitor = open_monitor(config_dir)
        folder = tmp_path / "reports"
        now = at_seven(monitor)

        def recorded_sent() -> bool:
            # The server has the mail before the loop records it: wait for the record the test reads.
            records = [folder / f"{slug}.mail.json" for slug in SLUGS]
            return all(
                record.is_file()
                and json.loads(record.read_text(encoding="utf-8"))["channels"].get("officers-mail", {}).get("state")
                == "sent"
                for record in records
            )

        async def run_until_mailed() -> None:
            loop = asyncio.create_task(reports_forever(monitor, folder, clock=lambda: now, interval=0.05))
            try:
                for _ in range(600):
                    if recorded_sent() or loop.done():
                        break
                    await asyncio.sleep(0.05)
            finally:
                loop.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await loop

        try:
            asyncio.run(run_until_mailed())
        finally:
            monitor.close()

    assert len(server.mails) == 2
    for slug in SLUGS:
        entry = json.loads((folder / f"{slug}.mail.json").read_text(encoding="utf-8"))["channels"]["officers-mail"]
        assert entry["state"] == "sent"
        assert entry["attempts"] == 2
