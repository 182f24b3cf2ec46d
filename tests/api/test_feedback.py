"""Officers correct labels through the API; corrections export as training JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.access.keys import Role
from monitor.analytics.feedback import training_examples
from monitor.context import Monitor
from tests.factories import analyzed, at


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    monitor.store.upsert(
        [
            analyzed("ko đc như quảng cáo, thất vọng wá 😡", post_id="1", published=at("2026-10-20 19:00")),
            analyzed("Nghe nói nước máy Thiện Tân nhiễm độc!!!", post_id="2", published=at("2026-10-20 20:00")),
        ]
    )
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


def _key(monitor: Monitor, role: Role) -> dict[str, str]:
    return {"X-API-Key": monitor.keys.create(role)[1]}


def _doc_id(client: TestClient, monitor: Monitor, text: str) -> str:
    items = client.get("/documents", params={"q": f'"{text}"'}, headers=_key(monitor, Role.OFFICER)).json()["items"]
    return str(items[0]["document"]["doc_id"])


def test_officer_corrects_labels_and_the_history_keeps_every_correction(client: TestClient, monitor: Monitor) -> None:
    officer = _key(monitor, Role.OFFICER)
    doc_id = _doc_id(client, monitor, "thất vọng")
    first = client.post(f"/documents/{doc_id}/labels", json={"task": "sentiment", "label": "neutral"}, headers=officer)
    assert first.status_code == 201
    assert first.json()["label"] == "neutral"
    second = client.post(
        f"/documents/{doc_id}/labels",
        json={"task": "sentiment", "label": "negative", "note": "khách hàng thất vọng: tiêu cực"},
        headers=officer,
    )
    assert second.status_code == 201
    history = client.get(f"/documents/{doc_id}/labels", headers=officer).json()
    assert [h["label"] for h in history] == ["neutral", "negative"]
    assert history[1]["note"] == "khách hàng thất vọng: tiêu cực"
    assert history[1]["corrected_by"].startswith("officer key (")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"task": "sentiment", "label": "angry"}, "label"),
        ({"task": "mood", "label": "negative"}, "task"),
        ({"task": "topic", "label": "du lịch có dấu cách"}, "label"),
        ({"task": "toxicity"}, "label"),
        ({"task": "toxicity", "label": "hate", "extra": 1}, "extra"),
    ],
)
def test_invalid_corrections_are_422_naming_the_field(
    client: TestClient, monitor: Monitor, body: dict[str, object], field: str
) -> None:
    doc_id = _doc_id(client, monitor, "thất vọng")
    response = client.post(f"/documents/{doc_id}/labels", json=body, headers=_key(monitor, Role.OFFICER))
    assert response.status_code == 422
    assert field in json.dumps(response.json()["detail"])


def test_unknown_document_is_404_and_roles_are_enforced(client: TestClient, monitor: Monitor) -> None:
    body = {"task": "misinformation", "label": "unreliable"}
    assert client.post("/documents/no-such-doc/labels", json=body, headers=_key(monitor, Role.ADMIN)).status_code == 404
    doc_id = _doc_id(client, monitor, "nhiễm độc")
    for role in (Role.RESEARCHER, Role.LIAISON):
        assert client.post(f"/documents/{doc_id}/labels", json=body, headers=_key(monitor, role)).status_code == 403
    assert monitor.feedback.history(doc_id) == []


def test_export_writes_the_newest_label_per_document_with_its_text(client: TestClient, monitor: Monitor) -> None:
    officer = _key(monitor, Role.OFFICER)
    rumour, complaint = _doc_id(client, monitor, "nhiễm độc"), _doc_id(client, monitor, "thất vọng")
    for doc_id, label in ((rumour, "reliable"), (complaint, "reliable"), (rumour, "unreliable")):
        body = {"task": "misinformation", "label": label}
        assert client.post(f"/documents/{doc_id}/labels", json=body, headers=officer).status_code == 201
    examples = list(training_examples(monitor.feedback, monitor.store, "misinformation"))
    assert [(e.id, e.label) for e in examples if not isinstance(e, str)] == [
        (complaint, "reliable"),
        (rumour, "unreliable"),
    ]
    assert "Thiện Tân" in next(e.text for e in examples if not isinstance(e, str) and e.id == rumour)
    assert list(training_examples(monitor.feedback, monitor.store, "sentiment")) == []
