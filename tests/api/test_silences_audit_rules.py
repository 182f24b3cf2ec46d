"""Silences (admins create and delete, officers read), the audit log (admins) and rule validation (admins)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from monitor.records import utc_now
from tests.api.alerting import ALL_ROLES, headers, record_alert
from tests.conftest import make_config_dir, open_monitor


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def _in(hours: float) -> str:
    return (utc_now() + timedelta(hours=hours)).isoformat()


def test_silence_lifecycle(client: TestClient, monitor: Monitor) -> None:
    noisy = record_alert(monitor, "claim:a")
    key, secret = monitor.keys.create(Role.ADMIN, "Quản trị")
    admin = {"X-API-Key": secret}
    officer = headers(monitor, Role.OFFICER)
    created = client.post(
        "/silences",
        json={"key_pattern": "claim:*", "reason": "Đã xử lý, chờ đính chính", "expires_at": _in(2)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["state"] == "active"
    assert (silence["created_by"], silence["created_by_id"]) == ("Quản trị", key.key_id)
    assert client.get("/alerts", headers=officer).json()["total"] == 0  # muted in the feed
    assert client.get("/alerts", params={"include_silenced": True}, headers=officer).json()["total"] == 1
    later = record_alert(monitor, "claim:b")  # recorded while silenced: kept, marked
    assert later.silenced
    assert later.silence_id == silence["silence_id"]

    listing = client.get("/silences", params={"state": "active"}, headers=officer).json()
    assert [s["silence_id"] for s in listing["items"]] == [silence["silence_id"]]
    assert client.get(f"/silences/{silence['silence_id']}", headers=officer).json()["reason"] == silence["reason"]

    ended = client.delete(f"/silences/{silence['silence_id']}", headers=admin)
    assert ended.status_code == 200
    assert ended.json()["state"] == "expired"
    assert client.get("/silences", params={"state": "active"}, headers=officer).json()["total"] == 0
    assert client.get("/silences", params={"state": "expired"}, headers=officer).json()["total"] == 1
    assert client.get("/alerts", headers=officer).json()["total"] == 2
    assert not client.get(f"/alerts/{noisy.alert_id}", headers=officer).json()["alert"]["silenced"]

    audit = client.get("/audit", params={"object_type": "silence"}, headers=admin).json()
    assert [(e["action"], e["actor_id"]) for e in audit["items"]] == [
        ("silence.delete", key.key_id),
        ("silence.create", key.key_id),
    ]
    assert audit["items"][1]["detail"]["applied_to_open_alerts"] == 1


def test_unknown_silence_is_404(client: TestClient, monitor: Monitor) -> None:
    admin = headers(monitor, Role.ADMIN)
    assert client.get("/silences/nope", headers=admin).status_code == 404
    response = client.delete("/silences/nope", headers=admin)
    assert response.status_code == 404
    assert response.json()["detail"] == "no silence with id 'nope'"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"reason": "x", "expires_at": "2100-01-01T00:00:00Z"}, "give 'rule_id' or 'key_pattern'"),
        ({"rule_id": "r", "expires_at": "2100-01-01T00:00:00Z"}, "parameter 'reason'"),
        ({"rule_id": "r", "reason": "x"}, "parameter 'expires_at'"),
        ({"rule_id": "r", "reason": "x", "expires_at": "2100-01-01T00:00:00"}, "needs a time zone offset"),
        ({"rule_id": "r", "reason": "x", "expires_at": "2001-01-01T00:00:00Z"}, "'expires_at' is in the past"),
        (
            {"rule_id": "r", "reason": "x", "starts_at": "2100-02-01T00:00:00Z", "expires_at": "2100-01-01T00:00:00Z"},
            "'expires_at' must be after 'starts_at'",
        ),
        (
            {
                "rule_id": "r",
                "reason": "x",
                "starts_at": "0001-01-01T00:00:00+05:00",
                "expires_at": "2100-01-01T00:00:00Z",
            },
            "out of range",
        ),
        ({"rule_id": "r", "reason": "x", "expires_at": "2100-01-01T00:00:00Z", "min_severity": "huge"}, "min_severity"),
        ({"rule_id": "r", "reason": "x", "expires_at": "2100-01-01T00:00:00Z", "match": "all"}, "parameter 'match'"),
    ],
)
def test_invalid_silences_are_422_naming_the_field(
    client: TestClient, monitor: Monitor, body: dict[str, Any], fragment: str
) -> None:
    response = client.post("/silences", json=body, headers=headers(monitor, Role.ADMIN))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert client.get("/silences", headers=headers(monitor, Role.ADMIN)).json()["total"] == 0


def test_audit_log_listing_and_filters(client: TestClient, monitor: Monitor) -> None:
    alert = record_alert(monitor)
    other = record_alert(monitor, "other")
    key, secret = monitor.keys.create(Role.OFFICER, "Cán bộ")
    officer = {"X-API-Key": secret}
    client.post(f"/alerts/{alert.alert_id}/acknowledge", headers=officer)
    client.post(f"/alerts/{alert.alert_id}/comments", json={"text": "đang xác minh"}, headers=officer)
    client.post(f"/alerts/{other.alert_id}/resolve", headers=headers(monitor, Role.ADMIN))
    admin = headers(monitor, Role.ADMIN)
    everything = client.get("/audit", headers=admin).json()
    assert everything["total"] == 5  # two creations, acknowledge, comment, resolve
    assert [e["action"] for e in everything["items"]][:3] == ["resolve", "comment", "acknowledge"]
    mine = client.get("/audit", params={"actor_id": key.key_id}, headers=admin).json()
    assert [e["action"] for e in mine["items"]] == ["comment", "acknowledge"]
    by_action = client.get("/audit", params={"action": ["resolve", "acknowledge"]}, headers=admin).json()
    assert by_action["total"] == 2
    one = client.get("/audit", params={"object_type": "alert", "object_id": other.alert_id}, headers=admin).json()
    assert [e["action"] for e in one["items"]] == ["resolve", "create"]
    assert client.get("/audit", params={"since": _in(1)}, headers=admin).json()["total"] == 0
    page = client.get("/audit", params={"limit": 2, "offset": 1}, headers=admin).json()
    assert [e["action"] for e in page["items"]] == ["comment", "acknowledge"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"since": "2026-10-21T00:00:00Z", "until": "2026-10-20T00:00:00Z"}, "parameters 'since' and 'until'"),
        ({"action": "delete"}, "parameter 'action"),
        ({"object_type": "document"}, "parameter 'object_type'"),
        ({"limit": "0"}, "parameter 'limit'"),
        ({"since": "2026-10-21T00:00:00"}, "time zone"),
    ],
)
def test_invalid_audit_parameters(client: TestClient, monitor: Monitor, params: dict[str, str], fragment: str) -> None:
    response = client.get("/audit", params=params, headers=headers(monitor, Role.ADMIN))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_rule_validation(client: TestClient, monitor: Monitor) -> None:
    admin = headers(monitor, Role.ADMIN)
    ok = client.post(
        "/rules/validate",
        json={"type": "watch", "id": "watch-landslide", "query": "sạt lở", "group_window": "2h"},
        headers=admin,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["valid"] is True
    assert ok.json()["rule"]["group_window"] == 7200
    assert ok.json()["warnings"] == []
    clash = client.post(
        "/rules/validate",
        json={"type": "watch", "id": "watch-flooding", "query": "ngập", "enabled": False},
        headers=admin,
    ).json()
    assert len(clash["warnings"]) == 2
    assert "already has id 'watch-flooding'" in clash["warnings"][0]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"id": "x"}, "parameter 'type': required"),
        ({"type": "magic", "id": "x"}, "parameter 'type': unknown rule type 'magic'"),
        ({"type": "watch", "id": "x"}, "parameter 'query': Field required"),
        ({"type": "watch", "id": "Bad Id", "query": "x"}, "parameter 'id'"),
        ({"type": "watch", "id": "x", "query": '"ngập'}, "parameter 'query'"),
        ({"type": "misinformation", "id": "x", "threshold": 2}, "parameter 'threshold'"),
        ({"type": "watch", "id": "x", "query": "x", "colour": "red"}, "parameter 'colour'"),
        ({"type": "watch", "id": "x", "query": "x", "severity": "urgent"}, "parameter 'severity'"),
    ],
)
def test_invalid_rules_are_422_naming_the_field(
    client: TestClient, monitor: Monitor, body: dict[str, Any], fragment: str
) -> None:
    response = client.post("/rules/validate", json=body, headers=headers(monitor, Role.ADMIN))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_rule_validation_body_must_be_an_object(client: TestClient, monitor: Monitor) -> None:
    admin = headers(monitor, Role.ADMIN)
    response = client.post("/rules/validate", json=["watch"], headers=admin)
    assert response.status_code == 422
    assert "parameter 'body'" in response.json()["detail"]
    broken = client.post("/rules/validate", content=b"{", headers={**admin, "Content-Type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("body: invalid JSON at character 1")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor]]:
    monitor = open_monitor(make_config_dir(tmp_path_factory.mktemp("roles") / "configs"))
    with TestClient(create_app(monitor)) as test_client:
        yield test_client, monitor
    monitor.close()


VALID_SILENCE = {"rule_id": "misinfo-high", "reason": "x", "expires_at": "2100-01-01T00:00:00Z"}
ENDPOINTS = [
    ("GET", "/silences", None, {Role.ADMIN, Role.OFFICER}),
    ("GET", "/silences/{silence_id}", None, {Role.ADMIN, Role.OFFICER}),
    ("POST", "/silences", VALID_SILENCE, {Role.ADMIN}),
    ("DELETE", "/silences/{silence_id}", None, {Role.ADMIN}),
    ("GET", "/audit", None, {Role.ADMIN}),
    ("GET", "/rules", None, {Role.ADMIN, Role.OFFICER}),
    ("POST", "/rules/validate", {"type": "watch", "id": "x", "query": "x"}, {Role.ADMIN}),
]


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
def test_endpoints_by_role(
    shared: tuple[TestClient, Monitor],
    role: Role,
    method: str,
    path: str,
    body: dict[str, str] | None,
    allowed: set[Role],
) -> None:
    client, monitor = shared
    silence = client.post("/silences", json=VALID_SILENCE, headers=headers(monitor, Role.ADMIN)).json()
    response = client.request(
        method, path.format(silence_id=silence["silence_id"]), json=body, headers=headers(monitor, role)
    )
    if role in allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403
        assert response.json()["detail"].startswith(f"role '{role.value}' may not do this")
        assert monitor.alerts.silences.get(silence["silence_id"]).deleted_at is None
