"""What an officer does to an alert from the console, over the real app and SQLite: each form changes the
alert through the same service as the API (and its audit trail names the person), refuses a missing CSRF
token, and a second resolve is the 409 page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.audit import AuditAction
from monitor.access.keys import Role
from monitor.alerting.silences import SilenceState
from monitor.alerting.types import AlertState
from monitor.cases import CaseQuery
from monitor.cases.store import CaseStore
from monitor.context import Monitor
from tests.api.alerting import record_alert
from tests.api.test_console_sign_in import sign_in
from tests.monitor.access.people import PASSWORD, Clock, people_on

ROW = re.compile(r'<tr id="alert-([0-9a-f-]+)"')
ACTIONS = ("acknowledge", "resolve", "comment", "silence", "case", "deliveries/retry")


@pytest.fixture
def app_monitor(monitor: Monitor) -> Monitor:
    people_on(monitor, Clock())
    monitor.users.create("lan", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    monitor.users.create("quan.tri", Role.ADMIN, PASSWORD, display_name="Trần Văn Quản")
    return monitor


@pytest.fixture
def client(app_monitor: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(app_monitor), base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def test_the_inbox_pages_by_25(client: TestClient, app_monitor: Monitor) -> None:
    alerts = [record_alert(app_monitor, f"claim:tin-{n}", day=f"2026-10-{n + 1:02d}") for n in range(30)]
    newest_first = [alert.alert_id for alert in reversed(alerts)]
    sign_in(client, "lan")
    first = client.get("/console/alerts?severity=high").text
    assert ROW.findall(first) == newest_first[:25]
    assert "trang 1/2" in first
    assert 'href="/console/alerts?severity=high&amp;page=2"' in first
    second = client.get("/console/alerts?severity=high&page=2").text
    assert ROW.findall(second) == newest_first[25:]
    assert 'href="/console/alerts?severity=high"' in second  # back to the first page
    assert client.get("/console/alerts?page=3").status_code == 200  # past the end: the empty state
    assert 'id="alerts-empty"' in client.get("/console/alerts?page=3").text


def test_acknowledge_from_the_list_goes_back_to_the_same_filters(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    back = "/console/alerts?severity=high&q=n%C6%B0%E1%BB%9Bc"
    response = client.post(f"/console/alerts/{alert.alert_id}/acknowledge", data={"csrf_token": token, "back": back})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/alerts?severity=high&q=n%C6%B0%E1%BB%9Bc&done=acknowledged"
    after = app_monitor.alerts.get(alert.alert_id)
    assert after.state is AlertState.ACKNOWLEDGED
    assert after.acknowledged_by is not None
    assert after.acknowledged_by.startswith("Nguyễn Thị Lan (user:")
    page = client.get(response.headers["location"])
    assert "Đã tiếp nhận cảnh báo." in page.text


def test_a_foreign_back_address_is_not_followed(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    for back in ("https://evil.example/console/alerts", "//evil.example/x", "/console/cases"):
        response = client.post(
            f"/console/alerts/{alert.alert_id}/acknowledge", data={"csrf_token": token, "back": back}
        )
        assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=acknowledged"


def test_resolve_with_a_note_then_again_is_the_409_page(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    note = "Đã liên hệ Công ty Cấp nước Đồng Nai, có văn bản đính chính."
    response = client.post(f"/console/alerts/{alert.alert_id}/resolve", data={"csrf_token": token, "note": note})
    assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=resolved"
    assert app_monitor.alerts.get(alert.alert_id).state is AlertState.RESOLVED
    resolved = [e for e in app_monitor.alerts.trail(alert.alert_id) if e.action is AuditAction.RESOLVE]
    assert [e.detail for e in resolved] == [{"note": note}]
    assert resolved[0].actor_id is not None
    assert resolved[0].actor_id.startswith("user:")
    page = client.get(response.headers["location"]).text
    assert note in page  # the trail shows it
    assert 'id="resolve"' not in page  # nothing left to resolve
    again = client.post(f"/console/alerts/{alert.alert_id}/resolve", data={"csrf_token": token})
    assert again.status_code == 409
    assert "Không thực hiện được lúc này" in again.text
    assert "already resolved" in again.text
    too_long = client.post(
        f"/console/alerts/{record_alert(app_monitor, 'k2').alert_id}/resolve",
        data={"csrf_token": token, "note": "x" * 2001},
    )
    assert too_long.status_code == 422
    assert "Ghi chú khi xử lý" in too_long.text


def test_comments_are_added_and_shown_and_a_blank_one_is_refused(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    text = "Đã gọi cho Trung tâm Y tế Biên Hòa: chưa có ca ngộ độc nào."
    response = client.post(f"/console/alerts/{alert.alert_id}/comment", data={"csrf_token": token, "text": text})
    assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=commented"
    assert [c.text for c in app_monitor.alerts.comments(alert.alert_id)] == [text]
    page = client.get(f"/console/alerts/{alert.alert_id}").text
    assert text in page[page.index('id="comment-list"') :]
    blank = client.post(f"/console/alerts/{alert.alert_id}/comment", data={"csrf_token": token, "text": "   "})
    assert blank.status_code == 422
    assert "Ghi chú" in blank.text
    assert len(app_monitor.alerts.comments(alert.alert_id)) == 1


def test_an_admin_silences_alerts_like_this_one(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor, "claim:nước*[độc]")
    other = record_alert(app_monitor, "claim:nước-khác")
    token = sign_in(client, "quan.tri")
    reason = "Đã có đính chính chính thức, tránh báo lặp."
    response = client.post(
        f"/console/alerts/{alert.alert_id}/silence",
        data={"csrf_token": token, "scope": "key", "hours": "24", "reason": reason},
    )
    assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=silenced"
    _, silences = app_monitor.alerts.silences.search(SilenceState.ACTIVE, limit=10, offset=0)
    assert [(s.rule_id, s.key_pattern, s.reason) for s in silences] == [
        ("misinfo-high", "claim:nước[*][[]độc]", reason)  # the key matched literally
    ]
    assert app_monitor.alerts.get(alert.alert_id).silenced
    assert not app_monitor.alerts.get(other.alert_id).silenced
    assert reason in client.get(f"/console/alerts/{alert.alert_id}").text
    for form, words in (
        ({"scope": "key", "hours": "5", "reason": reason}, "Tắt trong"),
        ({"scope": "key", "hours": "24", "reason": "  "}, "Ô “Lý do”: cần được điền"),
        ({"scope": "everything", "hours": "24", "reason": reason}, "scope"),
    ):
        refused = client.post(f"/console/alerts/{other.alert_id}/silence", data={"csrf_token": token, **form})
        assert refused.status_code == 422, form
        assert words in refused.text, form


def test_an_officer_may_not_silence(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    assert 'id="silence-form"' not in client.get(f"/console/alerts/{alert.alert_id}").text
    refused = client.post(
        f"/console/alerts/{alert.alert_id}/silence",
        data={"csrf_token": token, "scope": "rule", "hours": "24", "reason": "thử"},
    )
    assert refused.status_code == 403
    assert app_monitor.alerts.silences.search(None, limit=10, offset=0)[0] == 0


def test_open_a_case_from_the_alert(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    response = client.post(
        f"/console/alerts/{alert.alert_id}/case",
        data={"csrf_token": token, "title": "Tin đồn nước máy Thiện Tân", "priority": "high", "claim": ""},
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/console/cases/")
    assert location.endswith("?done=case-opened")
    case_id = location.removeprefix("/console/cases/").removesuffix("?done=case-opened")
    case = CaseStore(app_monitor.db).get(case_id)
    assert (case.alert_id, case.title, case.priority.value, case.claim) == (
        alert.alert_id,
        "Tin đồn nước máy Thiện Tân",
        "high",
        None,
    )
    assert case.opened_by.startswith("Nguyễn Thị Lan (user:")
    refused = client.post(
        f"/console/alerts/{alert.alert_id}/case", data={"csrf_token": token, "title": " ", "priority": "high"}
    )
    assert refused.status_code == 422
    assert "Tên vụ việc" in refused.text


def test_retry_failed_deliveries_answers_with_the_notice(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    token = sign_in(client, "lan")
    page = client.get(f"/console/alerts/{alert.alert_id}").text
    assert "chưa được gửi đi kênh nào" in page  # the empty state says why and where channels are set
    response = client.post(f"/console/alerts/{alert.alert_id}/deliveries/retry", data={"csrf_token": token})
    assert response.headers["location"] == f"/console/alerts/{alert.alert_id}?done=deliveries-retried"


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_refuses_a_form_without_the_csrf_token(
    client: TestClient, app_monitor: Monitor, action: str
) -> None:
    alert = record_alert(app_monitor)
    sign_in(client, "quan.tri")
    form = {"text": "ghi chú", "note": "x", "title": "Vụ việc", "scope": "rule", "hours": "24", "reason": "lý do"}
    for token in ({}, {"csrf_token": "not-the-token"}):
        refused = client.post(f"/console/alerts/{alert.alert_id}/{action}", data={**form, **token})
        assert refused.status_code == 403
        assert "Biểu mẫu bị từ chối" in refused.text
    after = app_monitor.alerts.get(alert.alert_id)
    assert (after.state, after.comment_count, after.silenced) == (AlertState.NEW, 0, False)
    assert CaseStore(app_monitor.db).search(CaseQuery())[0] == 0
    assert [e.action for e in app_monitor.alerts.trail(alert.alert_id)] == [AuditAction.CREATE]
