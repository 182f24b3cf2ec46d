"""Officers work alerts through the API: filters, acknowledge, resolve, comment, audit trail, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.alerting.silences import SilenceCreate
from monitor.alerting.types import AlertSeverity
from monitor.context import Monitor
from monitor.records import utc_now
from tests.api.alerting import ALL_ROLES, headers, record_alert
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor]]:
    """One service for the role matrix (each case works on an alert of its own)."""
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("roles") / "configs"))
    with TestClient(create_app(monitor)) as test_client:
        yield test_client, monitor
    monitor.close()


def test_acknowledge_then_resolve_and_the_audit_trail_names_who(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    key, secret = monitor.keys.create(Role.OFFICER, "Trực ban ca đêm")
    officer = {"X-API-Key": secret}
    acked = client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=officer)
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == f"Trực ban ca đêm ({key.key_id})"
    resolved = client.post(
        f"/alerts/{alert.alert_id}/resolve", json={"note": "Đã đăng tin đính chính"}, headers=officer
    )
    assert resolved.status_code == 200
    assert resolved.json()["state"] == "resolved"
    trail = client.get(f"/alerts/{alert.alert_id}/audit", headers=officer).json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in trail] == [
        ("create", None, "new"),
        ("acknowledge", "new", "acknowledged"),
        ("resolve", "acknowledged", "resolved"),
    ]
    assert (trail[2]["actor"], trail[2]["actor_id"]) == ("Trực ban ca đêm", key.key_id)
    assert trail[2]["detail"] == {"note": "Đã đăng tin đính chính"}
    assert trail[0]["actor"] == "system"


def test_resolve_from_new_without_a_body(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    response = client.post(f"/alerts/{alert.alert_id}/resolve", headers=headers(monitor, Role.ADMIN))
    assert response.status_code == 200
    assert response.json()["state"] == "resolved"


def test_acknowledging_twice_keeps_the_first(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    first = client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=headers(monitor, Role.OFFICER, "A"))
    second = client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=headers(monitor, Role.OFFICER, "B"))
    assert second.status_code == 200
    assert second.json()["acknowledged_by"] == first.json()["acknowledged_by"]
    assert [
        e["action"] for e in client.get(f"/alerts/{alert.alert_id}/audit", headers=headers(monitor, Role.ADMIN)).json()
    ] == [
        "create",
        "acknowledge",
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [("acknowledge", "is resolved (by "), ("resolve", "is already resolved (by ")],
)
def test_steps_a_resolved_alert_refuses_are_409(client: TestClient, monitor: Monitor, step: str, message: str) -> None:
    alert = record_alert(monitor)
    officer = headers(monitor, Role.OFFICER)
    client.post(f"/alerts/{alert.alert_id}/resolve", headers=officer)
    response = client.post(f"/alerts/{alert.alert_id}/{step}", headers=officer)
    assert response.status_code == 409
    assert message in response.json()["detail"]
    assert alert.alert_id in response.json()["detail"]


@pytest.mark.parametrize("step", ["acknowledge", "resolve", "comments", "audit"])
def test_unknown_alert_is_404(client: TestClient, monitor: Monitor, step: str) -> None:
    officer = headers(monitor, Role.OFFICER)
    response = (
        client.get(f"/alerts/nope/{step}", headers=officer)
        if step == "audit"
        else client.post(f"/alerts/nope/{step}", json={"text": "x"} if step == "comments" else None, headers=officer)
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "no alert with id 'nope'"


def test_reopened_alert_shows_in_the_api(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor, docs=("d1",))
    officer = headers(monitor, Role.OFFICER)
    client.post(f"/alerts/{alert.alert_id}/resolve", headers=officer)
    record_alert(monitor, docs=("d2",))
    assert client.get(f"/alerts/{alert.alert_id}", headers=officer).json()["alert"]["state"] == "new"
    trail = client.get(f"/alerts/{alert.alert_id}/audit", headers=officer).json()
    assert (trail[-1]["action"], trail[-1]["from_state"], trail[-1]["to_state"]) == ("reopen", "resolved", "new")


def test_comments(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    key, secret = monitor.keys.create(Role.OFFICER, "Cán bộ A")
    officer = {"X-API-Key": secret}
    created = client.post(f"/alerts/{alert.alert_id}/comments", json={"text": "Đã báo Sở TT&TT"}, headers=officer)
    assert created.status_code == 201
    assert created.json()["author"] == "Cán bộ A"
    assert created.json()["author_id"] == key.key_id
    listed = client.get(f"/alerts/{alert.alert_id}/comments", headers=officer).json()
    assert [c["text"] for c in listed] == ["Đã báo Sở TT&TT"]
    detail = client.get(f"/alerts/{alert.alert_id}", headers=officer).json()
    assert detail["comments"][0]["text"] == "Đã báo Sở TT&TT"
    assert detail["alert"]["comment_count"] == 1
    assert detail["rule"]["id"] == "misinfo-high"  # the rule that explains the alert
    assert detail["alert"]["details"]["reasons"] == ["contradicted by an official correction"]
    trail = client.get(f"/alerts/{alert.alert_id}/audit", headers=officer).json()
    assert trail[-1]["action"] == "comment"
    assert trail[-1]["detail"]["text"] == "Đã báo Sở TT&TT"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": "   "}, "parameter 'text'"),
        ({"text": ""}, "parameter 'text'"),
        ({"text": "x" * 4001}, "parameter 'text'"),
        ({}, "parameter 'text'"),
        ({"text": "ok", "extra": 1}, "parameter 'extra'"),
    ],
)
def test_invalid_comments_are_422(client: TestClient, monitor: Monitor, body: dict[str, Any], fragment: str) -> None:
    alert = record_alert(monitor)
    response = client.post(f"/alerts/{alert.alert_id}/comments", json=body, headers=headers(monitor, Role.OFFICER))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_resolve_note_is_validated(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    officer = headers(monitor, Role.OFFICER)
    response = client.post(f"/alerts/{alert.alert_id}/resolve", json={"note": "x" * 2001}, headers=officer)
    assert response.status_code == 422
    assert "parameter 'note'" in response.json()["detail"]
    assert client.post(f"/alerts/{alert.alert_id}/resolve", json={"why": "x"}, headers=officer).status_code == 422
    assert client.get(f"/alerts/{alert.alert_id}", headers=officer).json()["alert"]["state"] == "new"


def test_list_filters(client: TestClient, monitor: Monitor) -> None:
    record_alert(monitor, "a", title="Ngập sâu ở Biên Hòa", severity=AlertSeverity.LOW, day="2026-10-20")
    record_alert(monitor, "b", title="Kẹt xe ở Long Thành", day="2026-10-22")
    muted = record_alert(monitor, "c", rule_id="watch-flooding", title="Ngập ở Trảng Bom", day="2026-10-21")
    monitor.alerts.create_silence(
        SilenceCreate(rule_id="watch-flooding", reason="đã biết", expires_at=utc_now() + timedelta(hours=1)), "admin"
    )
    officer = headers(monitor, Role.OFFICER)

    def keys(**params: Any) -> list[str]:
        response = client.get("/alerts", params=params, headers=officer)
        assert response.status_code == 200, response.text
        return [item["key"] for item in response.json()["items"]]

    assert keys() == ["b", "a"]  # the silenced one is hidden by default, newest event first
    assert keys(include_silenced="true") == ["b", "c", "a"]
    assert keys(q="bien hoa") == ["a"]
    assert keys(q="ngập", include_silenced="true") == ["c", "a"]
    assert keys(severity="high") == ["b"]
    assert keys(rule="misinfo-high", severity=["low", "high"]) == ["b", "a"]
    assert keys(event_since="2026-10-21T00:00:00+07:00", include_silenced="true") == ["b", "c"]
    assert keys(event_since="2026-10-21T00:00:00+07:00", event_until="2026-10-22T00:00:00+07:00") == []
    assert keys(since=(utc_now() + timedelta(minutes=1)).isoformat()) == []
    assert keys(state="new", limit=1, offset=1) == ["a"]
    assert keys(escalated="false") == ["b", "a"]
    detail = client.get(f"/alerts/{muted.alert_id}", headers=officer).json()["alert"]
    assert detail["silenced"] is True
    assert detail["silence_id"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (
            {"since": "2026-10-21T00:00:00+07:00", "until": "2026-10-20T00:00:00+07:00"},
            "parameters 'since' and 'until'",
        ),
        (
            {"event_since": "2026-10-21T00:00:00Z", "event_until": "2026-10-20T00:00:00Z"},
            "parameters 'event_since' and 'event_until'",
        ),
        ({"event_until": "2026-10-20T00:00:00"}, "parameter 'event_until' needs a time zone"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "parameter 'since': timestamp out of range"),
        ({"state": "open"}, "parameter 'state"),
        ({"severity": "urgent"}, "parameter 'severity"),
        ({"limit": "501"}, "parameter 'limit'"),
        ({"offset": "-1"}, "parameter 'offset'"),
        ({"offset": "100001"}, "parameter 'offset'"),
        ({"q": "x" * 201}, "parameter 'q'"),
        ({"include_silenced": "maybe"}, "parameter 'include_silenced'"),
    ],
)
def test_invalid_list_parameters_are_422_naming_them(
    client: TestClient, monitor: Monitor, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/alerts", params=params, headers=headers(monitor, Role.OFFICER))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_documents_time_range_is_checked_too(client: TestClient, monitor: Monitor) -> None:
    monitor.store.upsert([analyzed("Biên Hòa", post_id="1", published=at("2026-10-20 19:00"))])
    response = client.get(
        "/documents",
        params={"since": "2026-10-21T00:00:00+07:00", "until": "2026-10-20T00:00:00+07:00"},
        headers=headers(monitor, Role.OFFICER),
    )
    assert response.status_code == 422
    assert "parameters 'since' and 'until'" in response.json()["detail"]


ALERT_ENDPOINTS = [
    ("GET", "/alerts/{alert_id}/comments", None),
    ("POST", "/alerts/{alert_id}/comments", {"text": "xem"}),
    ("GET", "/alerts/{alert_id}/audit", None),
    ("POST", "/alerts/{alert_id}/resolve", None),
    ("POST", "/alerts/{alert_id}/acknowledge", None),
    ("GET", "/alerts/{alert_id}", None),
    ("GET", "/alerts", None),
]
OFFICERS = {Role.ADMIN, Role.OFFICER}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("method", "path", "body"), ALERT_ENDPOINTS)
def test_alert_endpoints_by_role(
    shared: tuple[TestClient, Monitor], role: Role, method: str, path: str, body: dict[str, str] | None
) -> None:
    client, monitor = shared
    alert = record_alert(monitor, f"{role.value} {method} {path}")
    response = client.request(method, path.format(alert_id=alert.alert_id), json=body, headers=headers(monitor, role))
    if role in OFFICERS:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403
        assert f"role '{role.value}' may not do this (allowed: admin, officer)" == response.json()["detail"]
        assert monitor.alerts.get(alert.alert_id).state.value == "new"
        assert monitor.alerts.comments(alert.alert_id) == []
