"""People signed in to the console by cookie, over the real app and SQLite: the sign-in form, CSRF refusals,
session expiry, lock-out, and the API's role rules and audit log applied to a person as to a key."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.sessions import CSRF_HEADER, SESSION_COOKIE
from monitor.access.audit import AuditObject
from monitor.access.keys import Role
from monitor.access.privacy import Pseudonymizer
from monitor.config.settings import ApiSettings, ConsoleSettings
from monitor.context import Monitor
from tests.api.alerting import headers, record_alert
from tests.api.test_stream import read_frames, read_to_end
from tests.factories import analyzed, at
from tests.monitor.access.people import PASSWORD, Clock, people_on

NEW_PASSWORD = "Biên Hòa nắng đẹp 2026"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_monitor(monitor: Monitor, clock: Clock) -> Monitor:
    people_on(monitor, clock, ConsoleSettings(session_hours=8, idle_minutes=30, lockout_attempts=3))
    return monitor


def _client(monitor: Monitor) -> TestClient:
    # https: the session cookie is Secure, and a client (as a browser) keeps Secure cookies off plain http.
    return TestClient(create_app(monitor), base_url="https://testserver", follow_redirects=False)


@pytest.fixture
def client(app_monitor: Monitor) -> Iterator[TestClient]:
    with _client(app_monitor) as test_client:
        yield test_client


def _form_token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return the session's CSRF token (from the page, as a browser has it)."""
    token = _form_token(client, "/console/sign-in")
    response = client.post("/console/sign-in", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 303, response.text
    start = response.headers["location"]
    assert start in ("/console/", "/console/cases")  # a liaison starts at their cases
    return _form_token(client, "/console/password")  # every role may open its account page


def test_sign_in_sets_a_secure_http_only_cookie_and_greets_the_person(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    assert client.get("/console/").headers["location"] == "/console/sign-in"
    token = _form_token(client, "/console/sign-in")
    response = client.post(
        "/console/sign-in", data={"csrf_token": token, "username": "lan.nguyen", "password": PASSWORD}
    )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= {p.strip().lower() for p in cookie.split(";")}
    assert "Nguyễn Thị Lan · cán bộ theo dõi" in client.get("/console/").text
    page = client.get("/console/password")
    # 08:00 in Vietnam plus 8 hours, shown in Vietnam time
    assert "Phiên đăng nhập kết thúc lúc 2026-11-03 16:00 (giờ Việt Nam)" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_wrong_password_and_lock_out_through_the_form(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    for _ in range(2):
        token = _form_token(client, "/console/sign-in")
        wrong = client.post(
            "/console/sign-in", data={"csrf_token": token, "username": "lan.nguyen", "password": "sai rồi"}
        )
        assert wrong.status_code == 401
        assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.text
    token = _form_token(client, "/console/sign-in")
    locked = client.post(
        "/console/sign-in", data={"csrf_token": token, "username": "lan.nguyen", "password": "sai rồi"}
    )
    assert locked.status_code == 429
    assert "Tài khoản tạm khoá" in locked.text
    assert "thử lại sau 2026-11-03 08:15 (giờ Việt Nam)" in locked.text  # the window's default 15 minutes
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize("token", [None, "không-đúng"])
def test_sign_in_form_without_its_csrf_token_is_refused(
    client: TestClient, app_monitor: Monitor, token: str | None
) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    _form_token(client, "/console/sign-in")  # the browser holds the form's cookie
    data = {"username": "lan.nguyen", "password": PASSWORD} | ({"csrf_token": token} if token else {})
    refused = client.post("/console/sign-in", data=data)
    assert refused.status_code == 403
    assert "mã chống giả mạo" in refused.text
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize("token", [None, "không-đúng"])
def test_sign_out_needs_the_session_csrf_token(client: TestClient, app_monitor: Monitor, token: str | None) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    csrf = sign_in(client, "lan.nguyen")
    refused = client.post("/console/sign-out", data={"csrf_token": token} if token else {})
    assert refused.status_code == 403
    assert client.get("/alerts").status_code == 200  # still signed in
    done = client.post("/console/sign-out", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/console/sign-in"
    assert client.get("/alerts").status_code == 401


def test_a_signed_out_cookie_replayed_is_refused(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    csrf = sign_in(client, "lan.nguyen")
    stolen = client.cookies[SESSION_COOKIE]
    client.post("/console/sign-out", data={"csrf_token": csrf})
    with _client(app_monitor) as other:
        other.cookies.set(SESSION_COOKIE, stolen)
        assert other.get("/alerts").status_code == 401
        assert other.get("/console/").headers["location"] == "/console/sign-in"


@pytest.mark.parametrize("token", [None, "không-đúng"])
def test_password_change_needs_the_csrf_token(client: TestClient, app_monitor: Monitor, token: str | None) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    sign_in(client, "lan.nguyen")
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    refused = client.post("/console/password", data=form | ({"csrf_token": token} if token else {}))
    assert refused.status_code == 403
    assert app_monitor.users.sign_in("lan.nguyen", PASSWORD).username == "lan.nguyen"  # unchanged


def test_password_change_keeps_this_session_and_ends_the_others(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    with _client(app_monitor) as phone:
        sign_in(phone, "lan.nguyen")
        csrf = sign_in(client, "lan.nguyen")
        form = {"csrf_token": csrf, "current_password": PASSWORD, "new_password": "ngắn", "confirm_password": "ngắn"}
        weak = client.post("/console/password", data=form)
        assert weak.status_code == 422
        assert "Mật khẩu quá ngắn: cần ít nhất 12 ký tự (hiện có 4)." in weak.text
        form |= {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        changed = client.post("/console/password", data=form, follow_redirects=True)
        assert changed.status_code == 200
        assert "Đã đổi mật khẩu." in changed.text
        assert client.get("/alerts").status_code == 200
        assert phone.get("/alerts").status_code == 401


def test_sessions_end_when_idle_as_the_clock_says(client: TestClient, app_monitor: Monitor, clock: Clock) -> None:
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    sign_in(client, "lan.nguyen")
    clock.advance(minutes=29)
    assert client.get("/alerts").status_code == 200
    clock.advance(minutes=30)
    expired = client.get("/alerts")
    assert expired.status_code == 401
    assert expired.json()["detail"] == "Phiên đăng nhập đã hết hạn: vui lòng đăng nhập lại."
    assert client.get("/console/").headers["location"] == "/console/sign-in"


def test_an_api_post_by_cookie_needs_the_csrf_header_and_the_audit_log_names_the_person(
    client: TestClient, app_monitor: Monitor
) -> None:
    person = app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    alert = record_alert(app_monitor)
    csrf = sign_in(client, "lan.nguyen")
    path = f"/alerts/{alert.alert_id}/acknowledge"
    missing = client.post(path)
    assert missing.status_code == 403
    assert "CSRF" in missing.json()["detail"]
    assert client.post(path, headers={CSRF_HEADER: csrf + "x"}).status_code == 403
    assert client.get(f"/alerts/{alert.alert_id}").json()["alert"]["state"] == "new"  # refused: nothing changed
    done = client.post(path, headers={CSRF_HEADER: csrf})
    assert done.status_code == 200, done.text
    entry = app_monitor.alerts.audit.trail(AuditObject.ALERT, alert.alert_id)[-1]
    assert (entry.action.value, entry.actor, entry.actor_id) == (
        "acknowledge",
        "Nguyễn Thị Lan",
        f"user:{person.user_id}",
    )


def test_a_key_needs_no_csrf_token(client: TestClient, app_monitor: Monitor) -> None:
    alert = record_alert(app_monitor)
    officer = headers(app_monitor, Role.OFFICER, "Máy trực")
    assert client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=officer).status_code == 200


def test_a_person_has_the_role_rules_of_a_key(client: TestClient, app_monitor: Monitor) -> None:
    app_monitor.store.upsert(
        [analyzed("Biên Hòa ngập sâu sau mưa lớn", post_id="1", published=at("2026-10-20 19:00"), author="Trần Thị B")]
    )
    app_monitor.users.create("nghien.cuu", Role.RESEARCHER, PASSWORD)
    sign_in(client, "nghien.cuu")
    refused = client.get("/alerts")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "role 'researcher' may not do this (allowed: admin, officer)"
    found = client.get("/documents")
    assert found.status_code == 200
    assert found.json()["total"] == 1
    assert "Trần Thị B" not in found.text  # a researcher sees pseudonyms, by session as by key
    [item] = found.json()["items"]
    assert item["document"]["author"] == Pseudonymizer.for_data_dir(app_monitor.settings.data_dir).pseudonym(
        "Trần Thị B"
    )


def test_a_liaison_session_sees_only_cases_shared_with_its_agency(client: TestClient, app_monitor: Monitor) -> None:
    officer = headers(app_monitor, Role.OFFICER, "Cán bộ trực")
    cases = []
    for key, title in (("claim:nuoc", "Tin đồn nước nhiễm độc"), ("claim:sat-lo", "Tin đồn sạt lở")):
        body = {"title": title, "alert_id": record_alert(app_monitor, key).alert_id}
        opened = client.post("/cases", json=body, headers=officer)
        assert opened.status_code == 201, opened.text
        cases.append(opened.json()["case"])
    shared, hidden = cases
    assert client.post(f"/cases/{shared['case_id']}/shares", json={"agency": "police"}, headers=officer).is_success
    app_monitor.users.create("cong.an", Role.LIAISON, PASSWORD, display_name="Trung tá Hùng", agency="police")
    liaison_key = {"X-API-Key": app_monitor.keys.create(Role.LIAISON, "Máy Công an", agency="police")[1]}
    sign_in(client, "cong.an")
    assert client.get(f"/cases/{shared['case_id']}").status_code == 200
    by_cookie = client.get(f"/cases/{hidden['case_id']}")
    client.cookies.clear()
    by_key = client.get(f"/cases/{hidden['case_id']}", headers=liaison_key)
    assert by_cookie.status_code == by_key.status_code == 404
    assert by_cookie.json() == by_key.json()


def test_a_signed_out_session_stops_receiving_the_alert_stream(monitor: Monitor) -> None:
    monitor.settings = monitor.settings.model_copy(
        update={"api": ApiSettings(stream_poll_seconds=0.05, stream_heartbeat_seconds=0.3, stream_key_check_seconds=30)}
    )
    person = monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    session, token = monitor.users.sessions.open(person.user_id)
    with _client(monitor) as client:
        client.cookies.set(SESSION_COOKIE, token)
        with client.stream("GET", "/alerts/stream") as response:
            lines = response.iter_lines()
            assert next(lines) == "retry: 5000"
            record_alert(monitor, "before")
            [before] = read_frames(lines, 1)
            monitor.users.sessions.revoke(session.session_id)  # signed out in another tab
            record_alert(monitor, "after")
            rest = read_to_end(lines)
    assert before.json()["key"] == "before"
    assert "after" not in "\n".join(rest)
    assert "event: end" in rest
    assert any(line.startswith("data: ") and "Phiên đăng nhập đã hết hạn" in line for line in rest)
