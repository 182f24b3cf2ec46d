"""Reports through the API follow the role rules of the data they contain (alerts, cases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter
from monitor.access.audit import Actor
from monitor.access.keys import Role
from monitor.cases import CaseOpen
from monitor.context import Monitor
from tests.api.alerting import headers, record_alert
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at

CASE_TITLE = "Vụ việc bí mật: tin đồn nước máy Thiện Tân"
ALERT_TITLE = "Cảnh báo nội bộ: nước máy Thiện Tân"
CASES_YAML = """
agencies:
  police: {name: Công an tỉnh Đồng Nai, key_names: ["Liên lạc Công an"]}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor, str]]:
    config_dir = make_config_dir(tmp_path_factory.mktemp("reports") / "configs")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    monitor = open_monitor(config_dir)
    app = create_app(monitor)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)
    document = analyzed("Nước máy Thiện Tân bị nhiễm độc?", post_id="r1", published=at("2026-10-20 19:00"))
    monitor.store.upsert([document])
    case, _ = monitor.cases.open_case(
        CaseOpen(title=CASE_TITLE, doc_ids=(document.doc_id,)), Actor(name="Cán bộ", key_id="k1")
    )
    monitor.cases.store.share(case.case_id, "police", Actor(name="Cán bộ", key_id="k1"))
    day = case.opened_at.astimezone(monitor.settings.zone).date()  # the case is opened now: report that day
    record_alert(monitor, title=ALERT_TITLE, docs=(document.doc_id,), day=day.isoformat())
    with TestClient(app) as client:
        yield client, monitor, day.isoformat()
    monitor.close()


@pytest.fixture(scope="module")
def keys(service: tuple[TestClient, Monitor, str]) -> dict[str, dict[str, str]]:
    _, monitor, _ = service
    return {
        "admin": headers(monitor, Role.ADMIN, "Quản trị"),
        "officer": headers(monitor, Role.OFFICER, "Cán bộ trực"),
        "liaison": headers(monitor, Role.LIAISON, "Liên lạc Công an"),
        "researcher": headers(monitor, Role.RESEARCHER, "Nhà nghiên cứu"),
    }


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_officers_reports_list_alerts_and_cases(service: Any, keys: Any, role: str) -> None:
    client, _, day = service
    response = client.get("/reports/daily", params={"end": day, "format": "html"}, headers=keys[role])
    assert response.status_code == 200, response.text
    assert CASE_TITLE in response.text
    assert ALERT_TITLE in response.text


def test_a_researchers_report_has_no_alerts_or_cases(service: Any, keys: Any) -> None:
    client, _, day = service
    assert client.get("/cases", headers=keys["researcher"]).status_code == 403
    assert client.get("/alerts", headers=keys["researcher"]).status_code == 403
    response = client.get("/reports/daily", params={"end": day, "format": "html"}, headers=keys["researcher"])
    assert response.status_code == 200, response.text
    assert "Số liệu chính" in response.text  # the documents' part is there
    assert CASE_TITLE not in response.text
    assert ALERT_TITLE not in response.text
    assert "Vụ việc" not in response.text
    assert "Cảnh báo" not in response.text


def test_a_liaison_gets_no_report(service: Any, keys: Any) -> None:
    client, _, day = service
    assert client.get("/cases", headers=keys["liaison"]).status_code == 200  # its shared cases are there
    response = client.get("/reports/daily", params={"end": day}, headers=keys["liaison"])
    assert response.status_code == 403
    assert CASE_TITLE not in response.text
