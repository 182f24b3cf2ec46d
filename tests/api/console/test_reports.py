"""The console's reports form: a report chosen, built and downloaded as ``GET /reports/{kind}`` builds it,
with the API's checks and the reader's scope (a researcher's report has no alerts nor cases)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from docx import Document as DocxDocument

from monitor.context import Monitor
from monitor.reports import MEDIA_TYPES, ReportFormat
from tests.api.console.ops_service import CORPUS_DAY, sample_monitor, signed_in_client

TITLE = "Báo cáo ngày về thông tin truyền thông tỉnh Đồng Nai"
ALERTS_SECTION = "Cảnh báo và vụ việc"


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    instance = sample_monitor(tmp_path_factory.mktemp("reports"))
    yield instance
    instance.close()


def _download(monitor: Monitor, who: str, **fields: str):  # type: ignore[no-untyped-def]
    with signed_in_client(monitor, who) as (client, csrf):
        data = {"kind": "daily", "end": CORPUS_DAY.isoformat(), "format": "html", "campaign": ""} | fields
        return client.post("/console/reports", data={"csrf_token": csrf, **data})


@pytest.mark.parametrize("who", ["admin", "officer", "researcher"])
def test_the_form_is_offered_to_the_roles_that_read_reports(monitor: Monitor, who: str) -> None:
    with signed_in_client(monitor, who) as (client, _):
        page = client.get("/console/reports")
    assert page.status_code == 200
    assert 'id="report-form"' in page.text
    assert "Lễ hội Văn hóa – Du lịch Đồng Nai 2026 (24/10/2026 – 06/11/2026)" in page.text


def test_a_liaison_gets_no_report(monitor: Monitor) -> None:
    with signed_in_client(monitor, "liaison") as (client, csrf):
        assert client.get("/console/reports").status_code == 403
        refused = client.post("/console/reports", data={"csrf_token": csrf, "kind": "daily", "format": "html"})
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]


def test_a_daily_report_as_docx(monitor: Monitor) -> None:
    response = _download(monitor, "officer", format="docx")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPES[ReportFormat.DOCX]
    assert response.headers["content-disposition"] == 'attachment; filename="daily-2026-11-03.docx"'
    text = "\n".join(p.text for p in DocxDocument(io.BytesIO(response.content)).paragraphs)
    assert TITLE in text
    assert "Kỳ báo cáo: ngày 03/11/2026" in text


def test_a_pdf_and_the_researchers_scope(monitor: Monitor) -> None:
    pdf = _download(monitor, "admin", format="pdf")
    assert pdf.headers["content-type"] == MEDIA_TYPES[ReportFormat.PDF]
    assert pdf.content.startswith(b"%PDF-")
    officer = _download(monitor, "officer").text
    researcher = _download(monitor, "researcher").text
    assert TITLE in officer
    assert TITLE in researcher
    assert ALERTS_SECTION in officer
    assert ALERTS_SECTION not in researcher


def test_a_campaign_report(monitor: Monitor) -> None:
    response = _download(monitor, "officer", kind="campaign", campaign="le-hoi-du-lich-2026")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="campaign-le-hoi-du-lich-2026.html"'
    assert "Báo cáo chiến dịch: Lễ hội Văn hóa – Du lịch Đồng Nai 2026" in response.text


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"kind": "campaign"}, "Ô “Chiến dịch”: required for a campaign report."),
        ({"end": "1999-12-31"}, "Ô “Ngày cuối của kỳ”: must be between 2000-01-01 and 2100-12-31."),
        ({"end": "31/12/2026"}, "Ô “Ngày cuối của kỳ” (end): “31/12/2026” không phải ngày"),
        ({"format": "odt"}, "Ô “Định dạng”: “odt” không phải lựa chọn hợp lệ (docx, pdf, html)."),
        ({"kind": "campaign", "campaign": "khong-co"}, "no campaign &#39;khong-co&#39; in campaigns.yaml"),
    ],
)
def test_a_wrong_choice_is_named_in_the_form(monitor: Monitor, fields: dict[str, str], said: str) -> None:
    response = _download(monitor, "officer", **fields)
    assert response.status_code == 422
    assert said in response.text
    assert 'id="report-form"' in response.text  # the form again, with what was chosen


def test_the_form_needs_its_csrf_token(monitor: Monitor) -> None:
    with signed_in_client(monitor, "officer") as (client, _):
        refused = client.post("/console/reports", data={"kind": "daily", "format": "html"})
    assert refused.status_code == 403
    assert "mã chống giả mạo" in refused.text
