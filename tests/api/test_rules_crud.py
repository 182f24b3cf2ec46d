"""Administrators create, replace and delete rules through the API; the files stay untouched; every
change is audited and takes effect on the next pass, also in another process sharing the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.conftest import open_monitor
from tests.factories import analyzed, at

RULE = {"type": "watch", "id": "watch-nuoc-may", "name": "Nước máy", "query": '"nước máy" OR "nuoc may"'}


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def _key(monitor: Monitor, role: Role) -> dict[str, str]:
    return {"X-API-Key": monitor.keys.create(role)[1]}


def test_a_rule_created_through_the_api_fires_then_changes_then_goes(
    client: TestClient, monitor: Monitor, config_dir: Path
) -> None:
    admin = _key(monitor, Role.ADMIN)
    created = client.post("/rules", json=RULE, headers=admin)
    assert created.status_code == 201
    assert created.json()["origin"] == "api"
    listed = {r["id"]: r["origin"] for r in client.get("/rules", headers=admin).json()}
    assert listed["watch-nuoc-may"] == "api"
    assert listed["negative-spike"] == "file"

    post = analyzed("Nuoc may o Thien Tan co mui la", post_id="1", published=at("2026-11-03 08:00"))
    monitor.store.upsert([post])
    monitor.engine.on_documents([post])
    [alert] = [a for a in monitor.engine.evaluate_pending() if a.rule_id == "watch-nuoc-may"]
    assert alert.doc_ids == (post.doc_id,)

    # Another process (the crawler, when the API runs apart) sees the change on its next pass.
    other = open_monitor(config_dir)
    try:
        assert "watch-nuoc-may" in {r.id for r in other.engine.rules}
        changed = client.put("/rules/watch-nuoc-may", json={**RULE, "enabled": False}, headers=admin)
        assert changed.status_code == 200
        other.engine.refresh()
        assert "watch-nuoc-may" not in {r.id for r in other.engine.rules}
    finally:
        other.close()

    assert client.delete("/rules/watch-nuoc-may", headers=admin).status_code == 200
    assert "watch-nuoc-may" not in {r["id"] for r in client.get("/rules", headers=admin).json()}
    assert client.delete("/rules/watch-nuoc-may", headers=admin).status_code == 404
    audit = client.get("/audit", params={"object_type": "rule"}, headers=admin).json()
    assert [entry["action"] for entry in audit["items"]][::-1] == ["rule.create", "rule.update", "rule.delete"]


def test_file_rules_cannot_be_changed_and_ids_are_unique(client: TestClient, monitor: Monitor) -> None:
    admin = _key(monitor, Role.ADMIN)
    file_rule = {"type": "watch", "id": "negative-spike", "query": "ngập"}
    assert client.post("/rules", json=file_rule, headers=admin).status_code == 409
    assert client.put("/rules/negative-spike", json=file_rule, headers=admin).status_code == 409
    assert client.delete("/rules/negative-spike", headers=admin).status_code == 409
    assert client.post("/rules", json=RULE, headers=admin).status_code == 201
    again = client.post("/rules", json=RULE, headers=admin)
    assert again.status_code == 409
    assert "replace it with PUT" in again.json()["detail"]
    assert client.put("/rules/other-id", json=RULE, headers=admin).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "watch", "id": "x"}, "query"),
        ({"type": "watch", "id": "Bad Id", "query": "ngập"}, "id"),
        ({"type": "weather", "id": "x"}, "type"),
        ({"type": "watch", "id": "x", "query": "ngập AND (lụt"}, "query"),
        ({"type": "spike", "id": "x", "window": "5h", "baseline": "same_hour"}, "window"),
        ({"type": "threshold", "id": "x", "min_count": 5, "ngưỡng": 3}, "ngưỡng"),  # unknown keys are refused
        ({"type": "threshold", "id": "x", "min_count": "nhiều"}, "min_count"),
    ],
)
def test_invalid_rules_are_422_naming_the_field(
    client: TestClient, monitor: Monitor, body: dict[str, object], field: str
) -> None:
    response = client.post("/rules", json=body, headers=_key(monitor, Role.ADMIN))
    assert response.status_code == 422
    assert field in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.RESEARCHER, Role.LIAISON])
def test_only_admins_manage_rules(client: TestClient, monitor: Monitor, role: Role) -> None:
    headers = _key(monitor, role)
    assert client.post("/rules", json=RULE, headers=headers).status_code == 403
    assert client.delete("/rules/watch-nuoc-may", headers=headers).status_code == 403
