"""The console's sources page: every configured source with its health, failing first, the same data as
``GET /sources``; for the roles that may read sources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from monitor.access.keys import Role
from monitor.context import Monitor
from monitor.ingestion.health import CycleCounts
from tests.api.alerting import headers
from tests.api.console.ops_service import sample_monitor, signed_in_client

ERROR = "HTTP 503 từ https://facebook.example/: máy chủ quá tải"


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    instance = sample_monitor(tmp_path_factory.mktemp("sources"))
    failing = instance.sources[-1].spec.id  # last in the configuration: the page must put it first
    for minute in (10, 40):
        instance.health.record(failing, datetime(2026, 11, 3, 1, minute, tzinfo=UTC), CycleCounts(), error=ERROR)
    yield instance
    instance.close()


@pytest.mark.parametrize("who", ["admin", "officer", "researcher"])
def test_every_source_with_its_health_failing_first(monitor: Monitor, who: str) -> None:
    with signed_in_client(monitor, who) as (client, _):
        page = client.get("/console/sources")
        api = client.get("/sources", headers=headers(monitor, Role.OFFICER)).json()
    assert page.status_code == 200
    rows = re.findall(r'<tr id="source-([^"]+)" class="status-([a-z]+)">', page.text)
    assert sorted(rows) == sorted((view["id"], view["status"]) for view in api)  # the API's data, all of it
    assert rows[0] == (monitor.sources[-1].spec.id, "failing")
    assert all(status == "ok" for _, status in rows[1:])
    first = page.text[page.text.index('<tr id="source-') :]
    first = first[: first.index("</tr>")]
    assert "Đang lỗi" in first
    assert ERROR in first
    assert "03/11/2026 08:40" in first  # the last failure, in Vietnam time
    assert '<td data-label="Lỗi liên tiếp">2</td>' in first
    assert "1 nguồn đang lỗi" in page.text


def test_a_working_source_shows_its_last_success_in_local_time(monitor: Monitor) -> None:
    source = monitor.sources[0].spec.id
    success = monitor.health.get(source).last_success_at
    assert success is not None
    with signed_in_client(monitor, "officer") as (client, _):
        page = client.get("/console/sources").text
    row = page[page.index(f'<tr id="source-{source}"') :]
    row = row[: row.index("</tr>")]
    assert success.astimezone(monitor.settings.zone).strftime("%d/%m/%Y %H:%M") in row
    assert "Hoạt động" in row


def test_a_liaison_may_not_see_sources(monitor: Monitor) -> None:
    with signed_in_client(monitor, "liaison") as (client, _):
        page = client.get("/console/sources")
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]
    assert "Không có quyền xem trang này" in page.text
