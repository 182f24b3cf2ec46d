"""Query faults through the API: a 400 naming the position, never a 500 or a 503 that looks like an outage."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.factories import analyzed, at


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    monitor.store.upsert([analyzed("Biên Hòa ngập sâu sau mưa lớn", post_id="1", published=at("2026-10-20 19:00"))])
    with TestClient(create_app(monitor), raise_server_exceptions=False) as test_client:
        test_client.headers["X-API-Key"] = monitor.keys.create(Role.ADMIN)[1]
        yield test_client


@pytest.mark.parametrize(
    ("q", "position", "reason"),
    [
        ("(" * 300 + "ngập" + ")" * 300, 6, "more than 6 levels of nested parentheses"),
        ("NOT " * 1000 + "ngập", 2000, "longer than 2000 characters"),
        ("since:0001-01-01T00:00+14:00", 0, "outside the dates a query can use"),
        ("sentiment:angry", 0, "field 'sentiment' has no value 'angry' (accepted: negative, neutral, positive)"),
        ("platform:tiktok", 0, "field 'platform' has no value 'tiktok' (accepted: facebook, forum, import, news"),
        ("ngập foo:bar", 5, "unknown field 'foo'"),
    ],
)
@pytest.mark.parametrize("path", ["/documents", "/documents/counts?by=time", "/documents/significant-words"])
def test_query_faults_are_400_with_the_position(
    client: TestClient, path: str, q: str, position: int, reason: str
) -> None:
    response = client.get(path, params={"q": q})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["parameter"] == "q"
    assert body["position"] == position
    assert reason in body["detail"]


@pytest.mark.parametrize(
    ("q", "total"), [("-" * 1000 + "ngập", 1), ("NOT " * 100 + "ngập", 1), ("NOT " * 99 + "ngập", 0)]
)
def test_negation_chains_are_answered(client: TestClient, q: str, total: int) -> None:
    response = client.get("/documents", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == total


def test_a_huge_interval_is_a_clear_422(client: TestClient) -> None:
    response = client.get("/documents/counts", params={"by": "time", "interval": "99999999999999999999d"})
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "parameter 'interval': a duration must be at most 36500d (100 years), got '99999999999999999999d'"
    )


def test_rules_validate_names_the_query_fault(client: TestClient) -> None:
    deep = "(" * 300 + "ngập" + ")" * 300
    response = client.post("/rules/validate", json={"type": "watch", "id": "sau", "query": deep})
    assert response.status_code == 422
    assert "invalid query: more than 6 levels of nested parentheses at position 6" in response.json()["detail"]
    response = client.post("/rules/validate", json={"type": "watch", "id": "sau", "query": "platform:tiktok"})
    assert response.status_code == 422
    assert "field 'platform' has no value 'tiktok'" in response.json()["detail"]


def test_a_saved_rule_the_stricter_parser_refuses_is_skipped_not_fatal(
    client: TestClient, monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    rule = {"type": "watch", "id": "cu", "query": "nước máy", "severity": "high"}
    assert client.post("/rules", json=rule).status_code == 201
    # As saved by a version that took any field value: the query never matched, now it does not parse.
    db = monitor.engine.managed_rules().db
    with db.connection() as conn:
        conn.execute(
            "UPDATE managed_rules SET spec = ? WHERE rule_id = 'cu'",
            (json.dumps({**rule, "query": "sentiment:angry"}),),
        )
        conn.execute("UPDATE managed_rules_version SET version = version + 1")
    monitor.engine.refresh()
    assert "rule 'cu' (saved through the API) is no longer valid and does not run" in caplog.text
    assert "cu" not in {r["id"] for r in client.get("/rules").json()}
    assert "cu" not in {r.id for r in monitor.engine.rules}
    deleted = client.delete("/rules/cu")
    assert deleted.status_code == 200
    assert deleted.json()["query"] == "sentiment:angry"
