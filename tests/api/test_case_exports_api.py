"""Case exports through the API: downloads, purposes (422), agencies (404/403), roles, custody entries."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter
from api.routes import case_exports
from monitor.access.keys import Role
from monitor.cases.exports import verify_package
from monitor.context import Monitor
from tests.api.alerting import headers
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

POLICE = "Liên lạc Công an tỉnh"
FOREIGN = "Liên lạc Sở Ngoại vụ"
PRIVATE_AUTHOR = "Đặng Thị Mai"
CASES_YAML = f"""
agencies:
  police: {{name: Công an tỉnh Đồng Nai, key_names: ["{POLICE}"]}}
  foreign_affairs: {{name: Sở Ngoại vụ, key_names: ["{FOREIGN}"]}}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor]]:
    config_dir = make_config_dir(tmp_path_factory.mktemp("exports") / "configs")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    monitor = open_monitor(config_dir)
    app = create_app(monitor)
    app.include_router(case_exports.router)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    monitor.store.upsert(
        [
            analyzed(
                "Nước máy nhiễm độc, gọi 0987654321",
                post_id="e1",
                published=at("2026-10-20 19:00"),
                author=PRIVATE_AUTHOR,
            )
        ]
    )
    with TestClient(app) as client:
        yield client, monitor
    monitor.close()


@pytest.fixture(scope="module")
def keys(service: tuple[TestClient, Monitor]) -> dict[str, dict[str, str]]:
    _, monitor = service
    return {
        "admin": headers(monitor, Role.ADMIN, "Quản trị"),
        "officer": headers(monitor, Role.OFFICER, "Cán bộ trực"),
        "police": headers(monitor, Role.LIAISON, POLICE),
        "foreign": headers(monitor, Role.LIAISON, FOREIGN),
        "unmapped": headers(monitor, Role.LIAISON, "Liên lạc chưa cấu hình"),
        "researcher": headers(monitor, Role.RESEARCHER, "Nhà nghiên cứu"),
    }


def _case(client: TestClient, keys: Any, agency: str = "police") -> str:
    doc_id = analyzed("x", post_id="e1", published=at("2026-10-20 19:00")).doc_id
    opened = client.post("/cases", json={"title": "Tin đồn", "doc_ids": [doc_id]}, headers=keys["officer"])
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["case"]["case_id"]
    client.put(f"/cases/{case_id}/claim", json={"claim": "Nước máy bị nhiễm độc."}, headers=keys["officer"])
    client.post(f"/cases/{case_id}/shares", json={"agency": agency}, headers=keys["officer"])
    return case_id


def _exports(client: TestClient, keys: Any, case_id: str) -> list[tuple[str, str]]:
    log = client.get(f"/cases/{case_id}/custody", headers=keys["admin"]).json()
    return [(e["reason"], e["detail"]["export"]) for e in log if e["action"] == "export"]


def test_police_package_download(service: tuple[TestClient, Monitor], keys: Any, tmp_path: Path) -> None:
    client, _ = service
    case_id = _case(client, keys)
    response = client.post(f"/cases/{case_id}/exports/police", json={"purpose": "Điều tra"}, headers=keys["police"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert f"ho-so-chung-cu-{case_id}" in response.headers["content-disposition"]
    path = tmp_path / "p.zip"
    path.write_bytes(response.content)
    assert verify_package(path) == []
    with zipfile.ZipFile(path) as archive:
        assert "summary.md" in archive.namelist()
    assert _exports(client, keys, case_id) == [("Điều tra", "police-package")]


def test_briefing_download_is_redacted(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, _ = service
    case_id = _case(client, keys, agency="foreign_affairs")
    body = {"purpose": "Chuẩn bị họp báo", "english_summary": "Rumour about tap water."}
    response = client.post(f"/cases/{case_id}/exports/briefing", json=body, headers=keys["foreign"])
    assert response.status_code == 200, response.text
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(
        [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    assert "Nước máy bị nhiễm độc." in text
    assert "Rumour about tap water." in text
    assert PRIVATE_AUTHOR not in text
    assert "0987654321" not in text
    assert _exports(client, keys, case_id) == [("Chuẩn bị họp báo", "briefing")]


def test_register_download(service: tuple[TestClient, Monitor], keys: Any, tmp_path: Path) -> None:
    client, _ = service
    case_id = _case(client, keys)
    assert client.get("/cases/exports/register.xlsx", headers=keys["officer"]).status_code == 422
    response = client.get("/cases/exports/register.xlsx", params={"purpose": "Báo cáo tháng"}, headers=keys["officer"])
    assert response.status_code == 200, response.text
    path = tmp_path / "r.xlsx"
    path.write_bytes(response.content)
    ids = [row[0] for row in openpyxl.load_workbook(path)["Sổ vụ việc"].iter_rows(min_row=2, values_only=True)]
    assert case_id in ids
    assert ("Báo cáo tháng", "register") in _exports(client, keys, case_id)
    for role in ("police", "researcher"):
        refused = client.get("/cases/exports/register.xlsx", params={"purpose": "x"}, headers=keys[role])
        assert refused.status_code == 403


@pytest.mark.parametrize("kind", ["police", "briefing"])
def test_purpose_agency_and_role_checks(service: tuple[TestClient, Monitor], keys: Any, kind: str) -> None:
    client, _ = service
    case_id = _case(client, keys)  # shared with the police only
    url = f"/cases/{case_id}/exports/{kind}"
    assert client.post(url, json={}, headers=keys["officer"]).status_code == 422
    assert client.post(url, json={"purpose": "   "}, headers=keys["officer"]).status_code == 422
    other = client.post(url, json={"purpose": "x"}, headers=keys["foreign"])
    assert other.status_code == 404
    assert other.json() == {"detail": f"no case with id '{case_id}'"}
    assert client.post(url, json={"purpose": "x"}, headers=keys["unmapped"]).status_code == 403
    assert client.post(url, json={"purpose": "x"}, headers=keys["researcher"]).status_code == 403
    assert _exports(client, keys, case_id) == []
    for role in ("admin", "officer", "police"):
        assert client.post(url, json={"purpose": f"hợp lệ {role}"}, headers=keys[role]).status_code == 200
    assert len(_exports(client, keys, case_id)) == 3
