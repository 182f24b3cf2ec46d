from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.analysis import SentimentLabel
from monitor.context import Monitor
from tests.factories import analyzed, at


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    docs = [
        analyzed(
            "Biên Hòa ngập sâu sau mưa lớn 😭",
            post_id="1",
            published=at("2026-10-20 19:00"),
            sentiment=SentimentLabel.NEGATIVE,
            author="Trần Thị B",
        ),
        analyzed(
            "Cát Tiên đẹp tuyệt vời",
            post_id="2",
            published=at("2026-10-22 09:00"),
            sentiment=SentimentLabel.POSITIVE,
            topics=("tourism",),
        ),
    ]
    monitor.store.upsert(docs)
    monitor.engine.on_documents(docs)
    monitor.engine.evaluate_pending()  # the shipped watch-flooding rule matches the first one
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def _key(monitor: Monitor, role: Role) -> dict[str, str]:
    return {"X-API-Key": monitor.keys.create(role)[1]}


def test_health_needs_no_key(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["documents"] == 2


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/documents",
        "/documents/{doc_id}",
        "/alerts",
        "/alerts/{alert_id}/acknowledge",
        "/rules",
        "/sources",
    } <= set(paths)


@pytest.mark.parametrize("path", ["/documents", "/alerts", "/rules", "/sources", "/me"])
def test_no_key_and_wrong_key_are_401(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    response = client.get(path, headers={"X-API-Key": "dnm_not-a-real-key"})
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown API key"


def test_revoked_key_is_refused(client: TestClient, monitor: Monitor) -> None:
    key, secret = monitor.keys.create(Role.OFFICER)
    monitor.keys.revoke(key.key_id)
    response = client.get("/alerts", headers={"X-API-Key": secret})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "path", "allowed"),
    [
        (Role.LIAISON, "/documents", False),
        (Role.LIAISON, "/alerts", False),
        (Role.RESEARCHER, "/alerts", False),
        (Role.RESEARCHER, "/rules", False),
        (Role.RESEARCHER, "/documents", True),
        (Role.OFFICER, "/alerts", True),
        (Role.OFFICER, "/sources", True),
        (Role.ADMIN, "/rules", True),
    ],
)
def test_roles(client: TestClient, monitor: Monitor, role: Role, path: str, allowed: bool) -> None:
    response = client.get(path, headers=_key(monitor, role))
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert f"role '{role.value}' may not do this" in response.json()["detail"]


def test_bearer_token_works_too(client: TestClient, monitor: Monitor) -> None:
    secret = monitor.keys.create(Role.OFFICER)[1]
    assert client.get("/me", headers={"Authorization": f"Bearer {secret}"}).json()["role"] == "officer"


def test_search_is_accent_insensitive_and_filters(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.OFFICER)
    found = client.get("/documents", params={"q": "bien hoa ngap"}, headers=headers).json()
    assert found["total"] == 1
    assert found["items"][0]["document"]["author"] == "Trần Thị B"
    positive = client.get("/documents", params={"sentiment": "positive", "topic": "tourism"}, headers=headers)
    assert positive.json()["total"] == 1
    counts = client.get("/documents/counts", params={"by": "sentiment"}, headers=headers).json()
    assert counts["counts"] == {"negative": 1, "positive": 1}
    days = client.get("/documents/counts", params={"by": "time", "interval": "1d"}, headers=headers).json()
    assert [b["count"] for b in days["buckets"]] == [1, 1]


def test_researchers_see_pseudonyms_not_names(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.RESEARCHER)
    items = client.get("/documents", params={"q": "ngập"}, headers=headers).json()["items"]
    author = items[0]["document"]["author"]
    assert author.startswith("anon-")
    assert "Trần" not in str(items)
    probe = client.get("/documents", params={"q": 'ngập OR author:"Trần Thị B"'}, headers=headers)
    assert probe.status_code == 403
    assert "may not filter by author" in probe.json()["detail"]
    officer = client.get("/documents", params={"q": 'author:"tran thi b"'}, headers=_key(monitor, Role.OFFICER))
    assert officer.json()["total"] == 1


def test_exact_accents_parameter(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.OFFICER)
    assert client.get("/documents", params={"q": "bien hoa"}, headers=headers).json()["total"] == 1
    exact = client.get("/documents", params={"q": "bien hoa", "exact_accents": "true"}, headers=headers)
    assert exact.json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": "0"}, "parameter 'limit'"),
        ({"limit": "many"}, "parameter 'limit'"),
        ({"sentiment": "angry"}, "parameter 'sentiment"),
        ({"platform": "myspace"}, "parameter 'platform"),
        ({"since": "yesterday"}, "parameter 'since'"),
        ({"since": "2026-10-20T00:00:00"}, "parameter 'since' needs a time zone"),
        ({"min_misinformation": "2"}, "parameter 'min_misinformation'"),
    ],
)
def test_invalid_parameters_name_the_parameter(
    client: TestClient, monitor: Monitor, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/documents", params=params, headers=_key(monitor, Role.OFFICER))
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_invalid_query_is_400_with_position(client: TestClient, monitor: Monitor) -> None:
    response = client.get("/documents", params={"q": '"ngập'}, headers=_key(monitor, Role.OFFICER))
    assert response.status_code == 400
    assert response.json()["parameter"] == "q"
    assert response.json()["position"] == 0
    bad_by = client.get("/documents/counts", params={"by": "colour"}, headers=_key(monitor, Role.OFFICER))
    assert bad_by.status_code == 422
    assert "parameter 'by'" in bad_by.json()["detail"]


def test_document_fetch_and_404(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.OFFICER)
    doc_id = client.get("/documents", headers=headers).json()["items"][0]["document"]["doc_id"]
    assert client.get(f"/documents/{doc_id}", headers=headers).json()["document"]["doc_id"] == doc_id
    missing = client.get("/documents/nope", headers=headers)
    assert missing.status_code == 404
    assert "no document" in missing.json()["detail"]


def test_alerts_list_detail_and_acknowledge(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.OFFICER)
    listing = client.get("/alerts", params={"state": "new"}, headers=headers).json()
    assert listing["total"] == 1
    alert_id = listing["items"][0]["alert_id"]
    detail = client.get(f"/alerts/{alert_id}", headers=headers).json()
    assert detail["documents"][0]["excerpt"].startswith("Biên Hòa ngập sâu")
    assert client.post(f"/alerts/{alert_id}/acknowledge", headers=_key(monitor, Role.RESEARCHER)).status_code == 403
    acked = client.post(f"/alerts/{alert_id}/acknowledge", headers=headers).json()
    assert acked["state"] == "acknowledged"
    assert client.get("/alerts", params={"state": "new"}, headers=headers).json()["total"] == 0
    assert client.post("/alerts/nope/acknowledge", headers=headers).status_code == 404
    assert client.get("/alerts", params={"severity": "urgent"}, headers=headers).status_code == 422


def test_rules_and_sources_listing(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.ADMIN)
    rule_ids = {rule["id"] for rule in client.get("/rules", headers=headers).json()}
    assert {"negative-spike", "misinfo-high", "watch-flooding"} <= rule_ids
    sources = client.get("/sources", headers=headers).json()
    assert {s["id"] for s in sources} >= {"sample-social", "sample-dongnai-gov"}
    assert all(s["status"] == "pending" for s in sources)


def test_significant_words_endpoint(client: TestClient, monitor: Monitor) -> None:
    headers = _key(monitor, Role.OFFICER)
    extra = [
        analyzed(f"Triều cường gây ngập sâu ở Biên Hòa lần {i}", post_id=f"t{i}", published=at("2026-10-21 06:00"))
        for i in range(4)
    ]
    monitor.store.upsert(extra)
    words = client.get(
        "/documents/significant-words", params={"q": "since:2026-10-21", "size": 5}, headers=headers
    ).json()
    assert {w["word"] for w in words} >= {"trieu", "cuong"}
    assert client.get("/documents/significant-words", params={"size": 0}, headers=headers).status_code == 422
