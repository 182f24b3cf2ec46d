"""What every console page shares (api/console/web.py): CSRF on every form, the way back after sign-in
without an open redirect, pages (not JSON) for errors and refusals, the navigation by role, local times,
and charts that escape what they draw."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from api.console import charts
from api.console.web import local_time, number, safe_next
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.api.test_console_sign_in import TOKEN, _client, _form_token, app_monitor, clock, sign_in
from tests.monitor.access.people import PASSWORD, Clock

__all__ = ["app_monitor", "clock"]  # fixtures used here


@pytest.fixture
def client(app_monitor: Monitor) -> Iterator[TestClient]:
    with _client(app_monitor) as test_client:
        yield test_client


def test_the_site_root_leads_to_the_console(client: TestClient) -> None:
    root = client.get("/")
    assert (root.status_code, root.headers["location"]) == (307, "/console/")


def test_every_console_post_needs_the_session_csrf_token(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    token = sign_in(client, "lan.nguyen")
    refused = client.post("/console/sign-out", data={})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "mã chống giả mạo" in refused.text
    assert client.get("/console/password").status_code == 200  # still signed in
    assert client.post("/console/sign-out", data={"csrf_token": token}).status_code == 303
    assert client.get("/console/password").headers["location"].startswith("/console/sign-in")


def test_a_page_asked_for_before_sign_in_is_where_sign_in_returns(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    asked = client.get("/console/password?tab=1")
    assert asked.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fpassword%3Ftab%3D1"
    token = _form_token(client, asked.headers["location"])
    form = {"csrf_token": token, "username": "lan.nguyen", "password": PASSWORD, "next": "/console/password?tab=1"}
    assert client.post("/console/sign-in", data=form).headers["location"] == "/console/password?tab=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console/", "/console/\\evil", "/alerts"])
def test_sign_in_never_sends_a_person_off_the_console(client: TestClient, app_monitor: Monitor, target: str) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    page = client.get("/console/sign-in", params={"next": target})
    assert 'name="next" value=""' in page.text
    token = TOKEN.search(page.text)
    assert token is not None
    form = {"csrf_token": token.group(1), "username": "lan.nguyen", "password": PASSWORD, "next": target}
    assert client.post("/console/sign-in", data=form).headers["location"] == "/console/"
    assert safe_next(target) is None


def test_the_navigation_shows_each_role_its_sections(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("nghien.cuu", Role.RESEARCHER, PASSWORD)
    sign_in(client, "nghien.cuu")
    page = client.get("/console/password").text
    assert 'href="/console/search"' in page
    assert 'href="/console/alerts"' not in page
    assert 'href="/console/cases"' not in page


def test_a_liaison_starts_at_the_cases_and_sees_only_that_section(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("cong.an", Role.LIAISON, PASSWORD, agency="police")
    sign_in(client, "cong.an")
    assert client.get("/console/").headers["location"] == "/console/cases"
    page = client.get("/console/password").text
    assert 'href="/console/cases"' in page
    assert 'href="/console/search"' not in page


def test_an_unknown_console_path_is_a_page_in_vietnamese(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    sign_in(client, "lan.nguyen")
    assert client.get("/console/static/console.css").status_code == 200
    missing = client.get("/console/khong-co")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Địa chỉ /console/khong-co không dẫn tới trang nào." in missing.text
    client.cookies.clear()
    assert client.get("/console/khong-co").headers["location"].startswith("/console/sign-in")


def test_times_are_shown_in_the_office_zone_and_numbers_as_vietnamese_writes_them() -> None:
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    assert local_time(datetime(2026, 11, 30, 17, 5, tzinfo=UTC), zone) == "01/12/2026 00:05"
    assert local_time(None, zone) == "—"
    assert (number(12345), number(0.5)) == ("12.345", "0,50")


def test_bar_charts_escape_labels_and_say_what_they_show() -> None:
    chart = charts.bars("Theo nguồn", [("<script>alert(1)</script>", 3), ("Báo Đồng Nai", 7)])
    assert "<script>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg
    assert 'role="img"' in chart.svg
    assert "nhiều nhất: Báo Đồng Nai (7)" in chart.svg
    assert chart.rows == (("Báo Đồng Nai", "7"), ("<script>alert(1)</script>", "3"))  # the table escapes on render


def test_a_chart_with_many_categories_sums_the_rest_and_an_empty_one_says_so() -> None:
    many = charts.bars("Chủ đề", [(f"chủ đề {i}", i + 1) for i in range(20)], limit=5)
    assert len(many.rows) == 5
    assert many.rows[-1] == ("Khác", str(sum(range(1, 17))))
    assert charts.bars("Trống", []).empty
    assert charts.columns("Theo ngày", ["01/12"], [charts.Series("Bài", [0])]).empty


def test_column_charts_stack_series_per_period() -> None:
    chart = charts.columns(
        "Lan truyền",
        ["01/12", "02/12"],
        [charts.Series("Lặp lại", [4, 1], "repeat"), charts.Series("Đính chính", [0, 6], "correction")],
    )
    assert chart.headers == ("", "Lặp lại", "Đính chính")
    assert chart.rows == (("01/12", "4", "0"), ("02/12", "1", "6"))
    assert chart.svg.count('class="repeat"') == 3  # legend + two columns
    assert chart.svg.count('class="correction"') == 2  # legend + one column (zero is not drawn)
    assert "cao nhất 02/12 (7)" in chart.svg


def test_an_idle_session_ends_and_the_page_asks_to_sign_in_again(
    client: TestClient, app_monitor: Monitor, clock: Clock
) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    token = sign_in(client, "lan.nguyen")
    clock.advance(minutes=31)  # idle_minutes is 30 in these tests
    page = client.get("/console/password")
    assert page.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fpassword"
    assert 'dnm_session=""' in page.headers["set-cookie"]  # the ended session's cookie is forgotten
    client.cookies.clear()
    refused = client.post("/console/sign-out", data={"csrf_token": token})
    assert refused.headers["location"] == "/console/sign-in"
