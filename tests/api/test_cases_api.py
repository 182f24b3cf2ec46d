"""Cases through the API: opening, the workflow (409s), evidence with its custody log, and roles × endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter
from api.routes import cases as cases_routes
from monitor.access.keys import Role
from monitor.context import Monitor
from tests.api.alerting import headers, record_alert
from tests.conftest import make_config_dir, open_monitor
from tests.factories import analyzed, at
from tests.monitor.access.people import PASSWORD

POLICE_LIAISON = "Liên lạc Công an tỉnh"
CASES_YAML = f"""
service_levels:
  high: {{verify: 2h, respond: 24h}}
agencies:
  police: {{name: Công an tỉnh Đồng Nai, key_names: ["{POLICE_LIAISON}"]}}
  foreign_affairs: {{name: Sở Ngoại vụ, key_ids: []}}
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Monitor]]:
    config_dir = make_config_dir(tmp_path_factory.mktemp("cases") / "configs")
    (config_dir / "cases.yaml").write_text(CASES_YAML, encoding="utf-8")
    monitor = open_monitor(config_dir)
    app = create_app(monitor)
    app.include_router(cases_routes.router)
    app.state.rate_limiter = RateLimiter(1_000_000, 1_000_000)  # the role matrix sends many requests per key
    monitor.store.upsert(
        [
            analyzed(
                f"Tin đồn số {i}: nước máy Thiện Tân bị nhiễm độc", post_id=f"c{i}", published=at("2026-10-20 19:00")
            )
            for i in range(3)
        ]
    )
    with TestClient(app) as client:
        yield client, monitor
    monitor.close()


@pytest.fixture(scope="module")
def keys(service: tuple[TestClient, Monitor]) -> dict[str, dict[str, str]]:
    _, monitor = service
    return {
        "admin": headers(monitor, Role.ADMIN, "Quản trị"),
        "officer": headers(monitor, Role.OFFICER, "Cán bộ trực"),
        "liaison": headers(monitor, Role.LIAISON, POLICE_LIAISON),
        "liaison_other": headers(monitor, Role.LIAISON, "Liên lạc chưa cấu hình"),
        "researcher": headers(monitor, Role.RESEARCHER, "Nhà nghiên cứu"),
    }


def _doc(monitor: Monitor, i: int) -> str:
    return analyzed("x", post_id=f"c{i}", published=at("2026-10-20 19:00")).doc_id


def _open(client: TestClient, officer: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/cases", json={"title": "Tin đồn nước nhiễm độc", **body}, headers=officer)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_open_from_an_alert_attaches_its_documents(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    alert = record_alert(monitor, key="claim:case-api", docs=(_doc(monitor, 0), "not-stored"))
    opened = _open(client, keys["officer"], alert_id=alert.alert_id, priority="high")
    assert opened["case"]["alert_id"] == alert.alert_id
    assert [e["doc_id"] for e in opened["evidence"]] == [_doc(monitor, 0)]
    assert opened["case"]["opened_by"].startswith("Cán bộ trực (")


def test_open_needs_a_source_and_known_documents(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, _ = service
    assert client.post("/cases", json={"title": "x"}, headers=keys["officer"]).status_code == 422
    missing = client.post("/cases", json={"title": "x", "doc_ids": ["khong-co"]}, headers=keys["officer"])
    assert missing.status_code == 404
    assert "'khong-co'" in missing.json()["detail"]
    assert client.post("/cases", json={"alert_id": "nope", "title": "x"}, headers=keys["officer"]).status_code == 404


def test_workflow_and_409(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    case_id = _open(client, keys["officer"], doc_ids=[_doc(monitor, 1)])["case"]["case_id"]
    refused = client.post(f"/cases/{case_id}/transition", json={"to": "resolved"}, headers=keys["officer"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"case '{case_id}' cannot move from triage to resolved (allowed from triage: dismissed, verifying)"
    )
    for state in ("verifying", "responding", "resolved", "closed"):
        moved = client.post(f"/cases/{case_id}/transition", json={"to": state}, headers=keys["officer"])
        assert moved.status_code == 200, moved.text
    detail = client.get(f"/cases/{case_id}", headers=keys["officer"]).json()
    assert detail["allowed_transitions"] == []
    assert detail["service"]["time_to_verify_seconds"] is not None
    final = client.post(f"/cases/{case_id}/transition", json={"to": "triage"}, headers=keys["officer"])
    assert final.status_code == 409
    assert "a final state" in final.json()["detail"]
    late = client.put(f"/cases/{case_id}/priority", json={"priority": "low"}, headers=keys["officer"])
    assert late.status_code == 409


def test_assign_share_claim_correction(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    case_id = _open(client, keys["officer"], doc_ids=[_doc(monitor, 1)])["case"]["case_id"]
    officer_key, _ = monitor.keys.create(Role.OFFICER, "Cán bộ Lê Văn C")
    researcher_key, _ = monitor.keys.create(Role.RESEARCHER, "NCV")
    assert (
        client.put(f"/cases/{case_id}/assignee", json={"key_id": officer_key.key_id}, headers=keys["admin"]).json()[
            "assignee_id"
        ]
        == officer_key.key_id
    )
    bad = client.put(f"/cases/{case_id}/assignee", json={"key_id": researcher_key.key_id}, headers=keys["admin"])
    assert bad.status_code == 422
    unknown = client.post(f"/cases/{case_id}/shares", json={"agency": "tòa án"}, headers=keys["officer"])
    assert unknown.status_code == 422
    assert "known: foreign_affairs, police" in unknown.json()["detail"]
    correction = {
        "statement": "Nước máy Thiện Tân đạt quy chuẩn, người dân yên tâm sử dụng.",
        "url": "https://dongnai.gov.vn/tin-tuc/dinh-chinh",
        "issued_by": "Sở Y tế tỉnh Đồng Nai",
        "issued_at": "2026-10-20T22:00:00+07:00",
    }
    assert client.put(f"/cases/{case_id}/correction", json=correction, headers=keys["officer"]).status_code == 200
    claim = client.put(f"/cases/{case_id}/claim", json={"claim": "Nước máy bị nhiễm độc."}, headers=keys["officer"])
    assert claim.json()["claim"] == "Nước máy bị nhiễm độc."
    kinds = [e["kind"] for e in client.get(f"/cases/{case_id}/timeline", headers=keys["officer"]).json()]
    assert kinds == ["open", "evidence", "assign", "correction", "claim"]


def test_assign_to_a_person_signed_in_to_the_console(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    case_id = _open(client, keys["officer"], doc_ids=[_doc(monitor, 1)])["case"]["case_id"]
    officer = monitor.users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    researcher = monitor.users.create("ha.nguyen", Role.RESEARCHER, PASSWORD, display_name="Nhà nghiên cứu Hà")
    person = f"user:{officer.user_id}"
    assigned = client.put(f"/cases/{case_id}/assignee", json={"key_id": person}, headers=keys["admin"])
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assignee_id"], assigned.json()["assignee"]) == (person, f"Nguyễn Thị Lan ({person})")
    for refused in (f"user:{researcher.user_id}", "user:khong-co", "user:"):
        bad = client.put(f"/cases/{case_id}/assignee", json={"key_id": refused}, headers=keys["admin"])
        assert bad.status_code == 422, refused
        assert bad.json()["detail"] == (
            f"parameter 'key_id': '{refused}' is not an active officer or admin key or person"
        )
    monitor.users.disable("lan.nguyen")
    gone = client.put(f"/cases/{case_id}/assignee", json={"key_id": person}, headers=keys["admin"])
    assert gone.status_code == 422


def test_evidence_views_are_logged_and_need_a_reason(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    opened = _open(client, keys["officer"], doc_ids=[_doc(monitor, 2)])
    case_id, evidence_id = opened["case"]["case_id"], opened["evidence"][0]["evidence_id"]
    client.post(f"/cases/{case_id}/shares", json={"agency": "police"}, headers=keys["officer"])
    again = client.post(f"/cases/{case_id}/evidence", json={"doc_id": _doc(monitor, 2)}, headers=keys["officer"])
    assert again.status_code == 200
    assert again.json() == opened["evidence"][0]
    base = f"/cases/{case_id}/evidence/{evidence_id}"
    assert client.get(base, headers=keys["liaison"]).status_code == 422  # no reason
    view = client.get(base, params={"reason": "Điều tra vụ việc"}, headers=keys["liaison"])
    assert view.status_code == 200
    assert view.json()["intact"] is True
    file = client.get(f"{base}/files/document.json", params={"reason": "Lưu hồ sơ"}, headers=keys["officer"])
    assert file.status_code == 200
    assert file.headers["X-Evidence-SHA256"] == opened["evidence"][0]["files"][0]["sha256"]
    traversal = client.get(f"{base}/files/..%2F..%2Fx", params={"reason": "x"}, headers=keys["officer"])
    assert traversal.status_code == 404
    log = client.get(f"/cases/{case_id}/custody", headers=keys["admin"]).json()
    assert [(e["action"], e["actor"], e["reason"]) for e in log] == [
        ("attach", "Cán bộ trực", "attached to the case"),
        ("view", POLICE_LIAISON, "Điều tra vụ việc"),
        ("download", "Cán bộ trực", "Lưu hồ sơ"),
    ]
    verified = client.post(f"/cases/{case_id}/evidence/verify", headers=keys["officer"]).json()
    assert (verified["ok"], verified["checked_files"]) == (True, 1)


def test_liaisons_see_only_their_agency(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    shared = _open(client, keys["officer"], doc_ids=[_doc(monitor, 0)])["case"]["case_id"]
    hidden = _open(client, keys["officer"], doc_ids=[_doc(monitor, 0)])["case"]["case_id"]
    client.post(f"/cases/{shared}/shares", json={"agency": "police"}, headers=keys["officer"])
    listed = {c["case_id"] for c in client.get("/cases", headers=keys["liaison"]).json()["items"]}
    assert shared in listed
    assert hidden not in listed
    assert client.get(f"/cases/{hidden}", headers=keys["liaison"]).json() == {"detail": f"no case with id '{hidden}'"}
    assert client.get("/cases", params={"agency": "foreign_affairs"}, headers=keys["liaison"]).status_code == 403
    unmapped = client.get("/cases", headers=keys["liaison_other"])
    assert unmapped.status_code == 403
    assert "belongs to no agency" in unmapped.json()["detail"]


CLAIM_TEXT = "Nước máy Thiện Tân bị nhiễm độc, người dân không được dùng nước máy."
CORRECTION = {
    "statement": "Sở Y tế khẳng định nước máy đạt QCVN 01-1:2018/BYT, tin nhiễm độc là sai sự thật.",
    "url": "https://dongnai-gov.example/dinh-chinh/nuoc-may.html",
    "issued_by": "Sở Y tế tỉnh Đồng Nai",
    "issued_at": "2026-10-21T08:00:00Z",
}


def _verifying_case(client: TestClient, monitor: Monitor, keys: Any, *, registered: bool) -> str:
    case_id: str = _open(client, keys["officer"], doc_ids=[_doc(monitor, 0)])["case"]["case_id"]
    officer = keys["officer"]
    client.post(f"/cases/{case_id}/shares", json={"agency": "police"}, headers=officer)
    client.put(f"/cases/{case_id}/claim", json={"claim": CLAIM_TEXT}, headers=officer)
    client.put(f"/cases/{case_id}/correction", json=CORRECTION, headers=officer)
    client.post(f"/cases/{case_id}/transition", json={"to": "verifying"}, headers=officer)
    if registered:
        response = client.post(f"/cases/{case_id}/claim/registration", json={}, headers=officer)
        assert response.status_code == 200, response.text
    return case_id


# (method, path, body, roles allowed); {c} is a verifying case shared with the police, its claim and
# correction recorded and registered; {e} its evidence.
MATRIX: list[tuple[str, str, dict[str, Any] | None, set[str]]] = [
    ("POST", "/cases", {"title": "Mới", "doc_ids": ["{d}"]}, {"admin", "officer"}),
    ("GET", "/cases", None, {"admin", "officer", "liaison"}),
    ("GET", "/cases/overdue", None, {"admin", "officer"}),
    ("GET", "/cases/{c}", None, {"admin", "officer", "liaison"}),
    ("POST", "/cases/{c}/transition", {"to": "dismissed"}, {"admin", "officer"}),
    ("PUT", "/cases/{c}/priority", {"priority": "high"}, {"admin", "officer"}),
    ("PUT", "/cases/{c}/assignee", {"key_id": None}, {"admin", "officer"}),
    ("POST", "/cases/{c}/shares", {"agency": "foreign_affairs"}, {"admin", "officer"}),
    ("DELETE", "/cases/{c}/shares/foreign_affairs", None, {"admin", "officer"}),
    ("POST", "/cases/{c}/comments", {"text": "Ghi chú"}, {"admin", "officer"}),
    ("GET", "/cases/{c}/comments", None, {"admin", "officer", "liaison"}),
    ("GET", "/cases/{c}/timeline", None, {"admin", "officer", "liaison"}),
    ("PUT", "/cases/{c}/claim", {"claim": "Tin sai về nước máy Thiện Tân."}, {"admin", "officer"}),
    (
        "PUT",
        "/cases/{c}/correction",
        {
            "statement": "Đính chính",
            "url": "https://dongnai.gov.vn/a",
            "issued_by": "UBND",
            "issued_at": "2026-10-21T08:00:00Z",
        },
        {"admin", "officer"},
    ),
    ("POST", "/cases/{c}/evidence", {"doc_id": "{d}"}, {"admin", "officer"}),
    ("GET", "/cases/{c}/evidence", None, {"admin", "officer", "liaison"}),
    ("POST", "/cases/{c}/evidence/verify", None, {"admin", "officer"}),
    ("GET", "/cases/{c}/evidence/{e}?reason=kiểm+tra", None, {"admin", "officer", "liaison"}),
    ("GET", "/cases/{c}/evidence/{e}/files/document.json?reason=kiểm+tra", None, {"admin", "officer", "liaison"}),
    ("GET", "/cases/{c}/custody", None, {"admin", "officer"}),
    ("POST", "/cases/{c}/claim/registration", {}, {"admin", "officer"}),
    ("GET", "/cases/{c}/claim/registration", None, {"admin", "officer", "liaison"}),
    ("POST", "/cases/{c}/claim/withdrawal", {"why": "Nhầm"}, {"admin", "officer"}),
    ("GET", "/cases/{c}/spread", None, {"admin", "officer", "liaison"}),
    ("GET", "/cases/{c}/linked", None, {"admin", "officer", "liaison"}),
]
ROLES = ("admin", "officer", "liaison", "researcher", "liaison_other")


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_roles_by_endpoint(
    service: tuple[TestClient, Monitor],
    keys: Any,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: set[str],
) -> None:
    client, monitor = service
    doc_id = _doc(monitor, 0)
    case_id = _verifying_case(client, monitor, keys, registered=True)
    evidence_id = client.get(f"/cases/{case_id}/evidence", headers=keys["officer"]).json()[0]["evidence_id"]
    url = path.format(c=case_id, e=evidence_id)
    payload = None if body is None else {k: (doc_id if v == "{d}" else v) for k, v in body.items()}
    if payload and "doc_ids" in payload:
        payload["doc_ids"] = [doc_id]
    response = client.request(method, url, json=payload, headers=keys[role])
    if role in allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403, response.text


def test_claim_registration_through_the_api(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    officer = keys["officer"]
    case_id = _verifying_case(client, monitor, keys, registered=False)
    assert client.get(f"/cases/{case_id}/claim/registration", headers=officer).status_code == 404
    too_many = {"keywords": [f"cụm từ {i}" for i in range(21)]}
    assert client.post(f"/cases/{case_id}/claim/registration", json=too_many, headers=officer).status_code == 422
    registered = client.post(
        f"/cases/{case_id}/claim/registration", json={"keywords": ["nước máy nhiễm độc"]}, headers=officer
    )
    assert registered.status_code == 200, registered.text
    body = registered.json()
    assert body["claim"]["keywords"] == ["nước máy nhiễm độc"]
    assert body["claim"]["id"] in [claim.id for claim in monitor.claims.claims()]
    assert client.get(f"/cases/{case_id}/claim/registration", headers=keys["liaison"]).json() == body
    short = client.put(f"/cases/{case_id}/claim", json={"claim": "Tin sai."}, headers=officer)
    assert short.status_code == 422
    assert "registered claim" in short.json()["detail"]
    assert client.post(f"/cases/{case_id}/claim/withdrawal", json={}, headers=officer).status_code == 422
    withdrawn = client.post(f"/cases/{case_id}/claim/withdrawal", json={"why": "Đăng ký nhầm"}, headers=officer)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None
    again = client.post(f"/cases/{case_id}/claim/withdrawal", json={"why": "Lần hai"}, headers=officer)
    assert again.status_code == 409
    # The three rumours stored before registration were linked by it; withdrawing keeps links made so far.
    spread = client.get(f"/cases/{case_id}/spread", headers=officer).json()
    assert (spread["repeats"], spread["corrections"]) == (3, 0)
    assert [(day["day"], day["repeats"]) for day in spread["days"]] == [("2026-10-20", 3)]
    assert client.get(f"/cases/{case_id}/linked", params={"kind": "other"}, headers=officer).status_code == 422


def test_claim_registry_endpoints_hide_cases_of_other_agencies(service: tuple[TestClient, Monitor], keys: Any) -> None:
    client, monitor = service
    case_id = _verifying_case(client, monitor, keys, registered=True)
    client.delete(f"/cases/{case_id}/shares/police", headers=keys["officer"])
    for path in ("claim/registration", "spread", "linked"):
        hidden = client.get(f"/cases/{case_id}/{path}", headers=keys["liaison"])
        assert hidden.status_code == 404
        assert hidden.json() == {"detail": f"no case with id '{case_id}'"}
