"""A weekly report of the sample corpus in DOCX, PDF and HTML, checked against the store."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document

from monitor.context import Monitor
from monitor.ingestion.crawl import CycleReport
from monitor.records import Platform
from monitor.reports import build_report, scheduled_reports, write_report
from monitor.store.base import DocumentFilter


def test_weekly_report_in_three_formats(sample_run: tuple[Monitor, CycleReport], tmp_path: Path) -> None:
    monitor, _ = sample_run
    report = build_report(monitor, "weekly", end=date(2026, 11, 7))
    paths = write_report(report, tmp_path, ["docx", "pdf", "html"])
    assert [p.suffix for p in paths] == [".docx", ".pdf", ".html"]
    week = report.period.restrict(DocumentFilter())
    total = monitor.store.count(week)

    cells = {row.cells[0].text: row.cells[1].text for row in Document(str(paths[0])).tables[0].rows}
    assert cells["Tổng số bài"] == str(total) == "48"
    assert cells["Bài báo chí"] == str(monitor.store.count(week.model_copy(update={"platforms": (Platform.NEWS,)})))
    assert cells["Bài có dấu hiệu thông tin sai lệch"] == str(
        monitor.store.count(week.model_copy(update={"min_misinformation": 0.6}))
    )

    pdf = paths[1].read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) > 1

    html = paths[2].read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(report.charts) == 4
    assert {c.key for c in report.charts} == {"volume", "sentiment", "sources", "topics"}
    assert "Số liệu chính" in html


def test_scheduled_reports_are_written_once_per_period(sample_run: tuple[Monitor, CycleReport], tmp_path: Path) -> None:
    monitor, _ = sample_run
    now = date(2026, 11, 10)  # a Tuesday: daily for 9/11, weekly for 2/11 – 8/11
    moment = datetime(now.year, now.month, now.day, 7, tzinfo=monitor.settings.zone)
    first = scheduled_reports(monitor, moment, tmp_path)
    assert sorted(p.name for p in first) == sorted(
        f"{slug}.{ext}" for slug in ("daily-2026-11-09", "weekly-2026-11-02") for ext in ("docx", "pdf", "html")
    )
    assert scheduled_reports(monitor, moment, tmp_path) == []


def test_report_command_writes_the_files(config_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from monitor.cli import main

    assert main(["--config-dir", str(config_dir), "crawl", "--once"]) == 0
    capsys.readouterr()
    out = tmp_path / "reports"
    args = ["--config-dir", str(config_dir), "report", "weekly", "--end", "2026-11-09", "--out", str(out)]
    assert main([*args, "--format", "html", "--format", "docx"]) == 0
    written = sorted(Path(line).suffix for line in capsys.readouterr().out.split())
    assert written == [".docx", ".html"]
    assert all(path.stat().st_size > 1000 for path in out.iterdir())


def test_a_report_is_emailed_with_its_files_attached(tmp_path: Path) -> None:
    import asyncio

    from monitor.delivery import load_channels
    from monitor.reports import email_report
    from tests.monitor.delivery.servers import smtp_server
    from tests.monitor.delivery.test_email import email_yaml

    files = [tmp_path / "weekly-2026-11-03.html", tmp_path / "weekly-2026-11-03.pdf"]
    files[0].write_text("<html><body>Báo cáo tuần</body></html>", encoding="utf-8")
    files[1].write_bytes(b"%PDF-1.4 test")
    with smtp_server() as server:
        (tmp_path / "channels.yaml").write_text(email_yaml(server), encoding="utf-8")
        [channel] = load_channels(tmp_path).channels
        asyncio.run(email_report(channel, "Báo cáo tuần 03/11–09/11", files))
    [mail] = server.mails
    assert "Báo cáo tuần 03/11–09/11" in mail.message["Subject"]
    attached = sorted(part.get_filename() for part in mail.message.iter_attachments())
    assert attached == ["weekly-2026-11-03.html", "weekly-2026-11-03.pdf"]
