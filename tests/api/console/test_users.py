"""People's accounts in the console: an administrator creates, resets and disables them without the
command line; the generated password is shown once on the answer page; the audit log names the
administrator; nobody else may open the page or post its forms."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor.access.audit import AuditAction, AuditObject
from monitor.access.keys import Role
from monitor.context import Monitor
from monitor.errors import AuthError
from tests.api.test_console_sign_in import _client, app_monitor, clock, sign_in
from tests.monitor.access.people import PASSWORD

__all__ = ["app_monitor", "clock"]  # fixtures used here

SHOWN_PASSWORD = re.compile(r'<code id="account-password">([^<]+)</code>')


@pytest.fixture
def admin(app_monitor: Monitor) -> Iterator[tuple[TestClient, str]]:
    app_monitor.users.create("quan.tri", Role.ADMIN, PASSWORD, display_name="Trần Văn Quản")
    with _client(app_monitor) as client:
        yield client, sign_in(client, "quan.tri")


def _shown_password(html: str) -> str:
    found = SHOWN_PASSWORD.search(html)
    assert found is not None, "the answer page shows the generated password"
    return found.group(1)


def test_an_admin_creates_an_officer_who_signs_in_with_the_password_shown_once(
    admin: tuple[TestClient, str], app_monitor: Monitor
) -> None:
    client, csrf = admin
    form = {"csrf_token": csrf, "username": "lan.nguyen", "display_name": "Nguyễn Thị Lan", "role": "officer"}
    created = client.post("/console/users", data=form)
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    password = _shown_password(created.text)
    assert app_monitor.users.sign_in("lan.nguyen", password).display_name == "Nguyễn Thị Lan"
    listing = client.get("/console/users").text
    assert 'id="user-lan.nguyen"' in listing
    assert password not in listing  # shown once, on the answer only
    [entry] = app_monitor.alerts.audit.trail(AuditObject.USER, app_monitor.users.find("lan.nguyen").user_id)
    admin_id = app_monitor.users.find("quan.tri").user_id
    assert (entry.action, entry.actor, entry.actor_id) == (AuditAction.USER_CREATE, "Trần Văn Quản", f"user:{admin_id}")


def test_a_liaison_account_needs_a_known_agency(admin: tuple[TestClient, str], app_monitor: Monitor) -> None:
    client, csrf = admin
    form = {"csrf_token": csrf, "username": "cong.an", "display_name": "Trung tá Hùng", "role": "liaison"}
    missing = client.post("/console/users", data=form)
    assert missing.status_code == 422
    assert "Cơ quan: a liaison account needs its agency" in missing.text
    assert 'value="cong.an"' in missing.text  # what was typed is kept
    unknown = client.post("/console/users", data=form | {"agency": "bo-ngoai-giao"})
    assert unknown.status_code == 422
    assert "unknown agency 'bo-ngoai-giao' (known: foreign_affairs, police)" in html.unescape(unknown.text)
    created = client.post("/console/users", data=form | {"agency": "police"})
    assert created.status_code == 201
    assert app_monitor.users.find("cong.an").agency == "police"


def test_bad_names_and_taken_names_are_said_in_vietnamese(admin: tuple[TestClient, str]) -> None:
    client, csrf = admin
    bad = client.post("/console/users", data={"csrf_token": csrf, "username": "Nguyễn Lan", "role": "officer"})
    assert bad.status_code == 422
    assert "Tên đăng nhập: Tên đăng nhập cần 2–64 ký tự" in bad.text
    taken = client.post("/console/users", data={"csrf_token": csrf, "username": "quan.tri", "role": "officer"})
    assert taken.status_code == 422
    assert "Tên đăng nhập này đã có người dùng" in taken.text
    no_role = client.post("/console/users", data={"csrf_token": csrf, "username": "x.y", "role": "boss"})
    assert "Hãy chọn vai trò" in no_role.text


def test_a_reset_password_ends_the_person_s_sessions(admin: tuple[TestClient, str], app_monitor: Monitor) -> None:
    client, csrf = admin
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    with _client(app_monitor) as phone:
        sign_in(phone, "lan.nguyen")
        reset = client.post("/console/users/lan.nguyen/reset-password", data={"csrf_token": csrf})
        assert reset.status_code == 200
        new = _shown_password(reset.text)
        assert phone.get("/console/password").headers["location"].startswith("/console/sign-in")
    with pytest.raises(AuthError):
        app_monitor.users.sign_in("lan.nguyen", PASSWORD)
    assert app_monitor.users.sign_in("lan.nguyen", new).username == "lan.nguyen"


def test_disabling_an_account_ends_its_sessions_but_not_one_s_own(
    admin: tuple[TestClient, str], app_monitor: Monitor
) -> None:
    client, csrf = admin
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    with _client(app_monitor) as phone:
        sign_in(phone, "lan.nguyen")
        disabled = client.post("/console/users/lan.nguyen/disable", data={"csrf_token": csrf}, follow_redirects=True)
        assert "Đã khoá tài khoản" in disabled.text
        assert phone.get("/console/password").headers["location"].startswith("/console/sign-in")
    own = client.post("/console/users/quan.tri/disable", data={"csrf_token": csrf})
    assert own.status_code == 422
    assert app_monitor.users.find("quan.tri").disabled_at is None
    unknown = client.post("/console/users/khong-co/disable", data={"csrf_token": csrf})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.RESEARCHER, Role.LIAISON])
def test_only_administrators_reach_the_accounts(app_monitor: Monitor, role: Role) -> None:
    app_monitor.users.create("nguoi.khac", role, PASSWORD, agency="police" if role is Role.LIAISON else None)
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    with _client(app_monitor) as client:
        csrf = sign_in(client, "nguoi.khac")
        assert 'href="/console/users"' not in client.get("/console/password").text
        assert client.get("/console/users").status_code == 403
        for path in ("/console/users", "/console/users/lan.nguyen/reset-password", "/console/users/lan.nguyen/disable"):
            refused = client.post(path, data={"csrf_token": csrf, "username": "ke.gian", "role": "admin"})
            assert refused.status_code == 403, path
    assert app_monitor.users.find("lan.nguyen").disabled_at is None
    assert [user.username for user in app_monitor.users.all_users() if user.username == "ke.gian"] == []


@pytest.mark.parametrize("token", [None, "giả-mạo"])
def test_account_forms_need_the_csrf_token(
    admin: tuple[TestClient, str], app_monitor: Monitor, token: str | None
) -> None:
    client, _ = admin
    app_monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    form = {"username": "ke.gian", "role": "admin"} | ({"csrf_token": token} if token else {})
    assert client.post("/console/users", data=form).status_code == 403
    assert client.post("/console/users/lan.nguyen/disable", data=form).status_code == 403
    assert app_monitor.users.find("lan.nguyen").disabled_at is None
    assert "ke.gian" not in {user.username for user in app_monitor.users.all_users()}
