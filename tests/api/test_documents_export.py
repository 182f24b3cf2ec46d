"""``GET /documents/export``: the search result as CSV or XLSX with the search's filters, the caller's privacy
view, a documented row cap that the response states, and cells that never start a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from api.ratelimit import RateLimiter
from api.routes import documents as documents_route
from monitor.access.keys import Role
from monitor.analytics import search_export
from monitor.analytics.search_export import ExportFormat, write_search_export
from monitor.context import Monitor
from monitor.store.base import DocumentFilter
from tests.api.alerting import headers
from tests.api.test_researcher_privacy import POSTER, SECRETS, _documents, _leaks
from tests.conftest import make_config_dir, open_monitor


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor, dict[str, Any]]]:
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("export") / "configs"))
    app = create_app(monitor)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    monitor.store.upsert(_documents())
    with TestClient(app) as client:
        keys = {role: headers(monitor, role, role.value) for role in Role}
        yield client, monitor, keys
    monitor.close()


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Vietnamese correctly
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_an_officer_exports_the_search_as_csv(service: Any) -> None:
    client, _, keys = service
    response = client.get("/documents/export", params={"format": "csv", "q": "nước"}, headers=keys[Role.OFFICER])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="tim-kiem-')
    rows = _csv_rows(response.content)
    searched = client.get("/documents", params={"q": "nước"}, headers=keys[Role.OFFICER]).json()
    assert sorted(row["Mã bài"] for row in rows) == sorted(item["document"]["doc_id"] for item in searched["items"])
    assert (response.headers["x-export-rows"], response.headers["x-export-total"]) == ("3", "3")
    assert {row["Tác giả"] for row in rows} >= {POSTER}
    assert rows[0]["Đăng lúc"] == "2026-10-20 20:00:00"  # newest first, in local time


def test_filters_apply_as_in_the_search(service: Any) -> None:
    client, _, keys = service
    params = {"format": "csv", "platform": "telegram"}
    rows = _csv_rows(client.get("/documents/export", params=params, headers=keys[Role.OFFICER]).content)
    assert [row["Nền tảng"] for row in rows] == ["telegram"]


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_a_researcher_exports_the_privacy_view(service: Any, fmt: ExportFormat) -> None:
    client, _, keys = service
    response = client.get("/documents/export", params={"format": fmt.value}, headers=keys[Role.RESEARCHER])
    assert response.status_code == 200, response.text
    if fmt is ExportFormat.CSV:
        rows = _csv_rows(response.content)
        text = response.content.decode("utf-8-sig")
        authors = {row["Tác giả"] for row in rows}
    else:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        cells = [list(row) for row in book["Kết quả tìm kiếm"].iter_rows(values_only=True)]
        text = "\n".join(str(cell) for row in cells for cell in row)
        authors = {row[cells[0].index("Tác giả")] for row in cells[1:]}
    assert _leaks(text) == []
    api = client.get("/documents", headers=keys[Role.RESEARCHER]).json()["items"]
    assert authors == {item["document"]["author"] for item in api}  # the API's view, pseudonym for pseudonym
    assert len(SECRETS) > 0


def test_a_researcher_may_not_export_by_author(service: Any) -> None:
    client, _, keys = service
    params = {"format": "csv", "q": f'author:"{POSTER}"'}
    response = client.get("/documents/export", params=params, headers=keys[Role.RESEARCHER])
    assert response.status_code == 403
    assert response.json()["detail"] == "role 'researcher' may not filter by author (privacy)"


def test_roles_and_parameters_are_checked(service: Any) -> None:
    client, _, keys = service
    assert client.get("/documents/export", params={"format": "csv"}, headers=keys[Role.LIAISON]).status_code == 403
    assert client.get("/documents/export", params={"format": "csv"}).status_code == 401
    wrong = client.get("/documents/export", params={"format": "pdf"}, headers=keys[Role.OFFICER])
    assert wrong.status_code == 422
    assert "parameter 'format'" in wrong.json()["detail"]
    broken = client.get("/documents/export", params={"format": "csv", "q": "(nước"}, headers=keys[Role.OFFICER])
    assert broken.status_code == 400
    assert broken.json()["position"] == 0


def test_the_cap_is_stated_in_the_headers(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, keys = service
    monkeypatch.setattr(documents_route, "EXPORT_LIMIT", 2)
    response = client.get("/documents/export", params={"format": "xlsx"}, headers=keys[Role.OFFICER])
    assert (response.headers["x-export-rows"], response.headers["x-export-total"]) == ("2", "3")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert len(list(book["Kết quả tìm kiếm"].iter_rows())) == 3  # the heading and the two newest
    info = dict(book["Thông tin"].iter_rows(values_only=True))
    assert info["Số bài khớp"] == 3
    assert info["Số dòng trong tệp"] == 2


def test_the_writer_reads_past_one_store_page(service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cap, not the store's page size (500), bounds an export: pages of 2 must join up without a gap.
    _, monitor, _ = service
    monkeypatch.setattr(search_export, "PAGE_SIZE", 2)
    for limit, rows, note in ((10, 3, "Tệp gồm đủ 3 bài của kết quả."), (2, 2, "Kết quả có 3 bài; tệp chỉ gồm 2")):
        out = io.BytesIO()
        zone = monitor.settings.zone
        result = write_search_export(
            monitor.store, DocumentFilter(), out, file_format=ExportFormat.CSV, privacy=None, zone=zone, limit=limit
        )
        assert (result.rows, result.total, result.capped) == (rows, 3, rows < 3)
        assert result.note().startswith(note)
        ids = [row["Mã bài"] for row in _csv_rows(out.getvalue())]
        assert len(set(ids)) == rows
