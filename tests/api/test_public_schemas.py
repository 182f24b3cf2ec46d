"""What API clients receive are the public schemas of api/schemas/, typed in the OpenAPI schema, with the
same JSON as the internal records today; alert details follow the model of their rule type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.schemas.alerts import DETAILS_MODELS
from api.sse import format_event
from monitor.access.keys import Role
from monitor.alerting.types import AlertCandidate, AlertSeverity
from monitor.analysis import AnalyzedDocument, Reason, SentimentLabel
from monitor.context import Monitor
from monitor.rules.catalog import ALERT_DETAILS, RULE_TYPES
from monitor.rules.watch_details import WatchDetails
from tests.api.alerting import headers
from tests.factories import analyzed, at


def _with_reasons() -> AnalyzedDocument:
    item = analyzed(
        "Biên Hòa ngập sâu sau mưa lớn, dân bức xúc vì cống thoát nước bị lấp",
        post_id="ly-do",
        published=at("2026-10-20 19:00"),
        sentiment=SentimentLabel.NEGATIVE,
        topics=("flooding",),
        misinformation=0.2,
        reasons=(Reason(kind="cue", detail="không có nguồn chính thức", weight=0.2),),
    )
    sentiment = item.analysis.sentiment.model_copy(
        update={"reasons": (Reason(kind="phrase", detail="bức xúc", weight=0.8),)}
    )
    return item.model_copy(update={"analysis": item.analysis.model_copy(update={"sentiment": sentiment})})


@pytest.fixture
def client(monitor: Monitor) -> Iterator[TestClient]:
    item = _with_reasons()
    monitor.store.upsert([item])
    monitor.engine.on_documents([item])
    monitor.engine.evaluate_pending()  # the shipped watch-flooding rule matches it
    with TestClient(create_app(monitor)) as test_client:
        yield test_client


@pytest.fixture
def schema(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def _ref(node: dict[str, Any]) -> str:
    return str(node["$ref"]).rsplit("/", 1)[1]


def test_a_document_is_sent_as_before_with_every_scores_reasons(client: TestClient, monitor: Monitor) -> None:
    item = _with_reasons()
    officer = headers(monitor, Role.OFFICER)
    one = client.get(f"/documents/{item.doc_id}", headers=officer).json()
    stored = monitor.store.get(item.doc_id)
    assert one == stored.model_dump(mode="json")  # the JSON clients got when the route returned the record
    assert one["analysis"]["sentiment"]["reasons"] == [
        {"kind": "phrase", "detail": "bức xúc", "weight": 0.8, "ref": None}
    ]
    assert one["analysis"]["misinformation"]["reasons"][0]["detail"] == "không có nguồn chính thức"
    listed = client.get("/documents", headers=officer).json()["items"]
    assert listed == [one]


def test_documents_have_public_schemas_with_reasons(schema: dict[str, Any]) -> None:
    answer = schema["paths"]["/documents/{doc_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert _ref(answer["schema"]) == "DocumentPublic"
    page = schema["components"]["schemas"]["DocumentPage"]["properties"]["items"]
    assert _ref(page["items"]) == "DocumentPublic"
    components = schema["components"]["schemas"]
    for score in ("SentimentPublic", "ToxicityPublic", "TopicPublic", "MisinformationPublic"):
        assert _ref(components[score]["properties"]["reasons"]["items"]) == "ReasonPublic"
    assert "AnalyzedDocument" not in components  # the internal record is not part of the contract


def test_alert_details_are_typed_per_rule_type_in_the_schema(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert _ref(components["AlertPage"]["properties"]["items"]["items"]) == "AlertPublic"
    details = components["AlertPublic"]["properties"]["details"]
    typed = {_ref(node) for node in details["anyOf"] if "$ref" in node}
    assert typed == {model.__name__ for model in DETAILS_MODELS.values()}
    assert set(ALERT_DETAILS) == set(RULE_TYPES)  # every rule type says what its alerts' details are
    assert {"count", "baseline_mean", "holiday", "window_start", "filter"} <= set(
        components["SpikeDetails"]["properties"]
    )
    assert components["SpikeDetails"]["additionalProperties"] is False
    assert "in" in components["WatchMatchDetails"]["properties"]  # the stored key, not the Python name


def test_an_evaluators_details_reach_the_client_in_their_model(client: TestClient, monitor: Monitor) -> None:
    alerts = client.get("/alerts", params={"rule": "watch-flooding"}, headers=headers(monitor, Role.OFFICER)).json()
    (alert,) = alerts["items"]
    details = WatchDetails.model_validate(alert["details"])
    assert details.matches[0].found_in in {"title", "text"}
    assert alert["details"] == monitor.alerts.get(alert["alert_id"]).details  # the stored JSON, unchanged


def test_an_alert_stored_in_an_older_shape_still_loads(client: TestClient, monitor: Monitor) -> None:
    older = {"count": 14, "window_start": "2026-10-20T18:00:00+07:00"}  # before baselines and filters were kept
    alert, _ = monitor.alerts.record(
        AlertCandidate(
            rule_id="spike-ngap",
            rule_type="spike",
            severity=AlertSeverity.MEDIUM,
            key="window:2026-10-20T18:00:00+07:00",
            title="Tăng đột biến 'ngập': 14 tài liệu trong 6h",
            summary="14 tài liệu trong 6h",
            details=older,
            doc_ids=("d1",),
            event_start=at("2026-10-20 18:00"),
            event_end=at("2026-10-20 23:00"),
        )
    )
    officer = headers(monitor, Role.OFFICER)
    detail = client.get(f"/alerts/{alert.alert_id}", headers=officer)
    assert detail.status_code == 200
    assert detail.json()["alert"]["details"] == older
    listed = client.get("/alerts", params={"rule": "spike-ngap"}, headers=officer).json()["items"]
    assert [a["details"] for a in listed] == [older]


def test_the_stream_sends_alerts_as_the_routes_answer_them(client: TestClient, monitor: Monitor) -> None:
    officer = headers(monitor, Role.OFFICER)
    (listed,) = client.get("/alerts", params={"rule": "watch-flooding"}, headers=officer).json()["items"]
    frame = format_event(monitor.alerts.get(listed["alert_id"]))
    data = next(line.removeprefix("data: ") for line in frame.splitlines() if line.startswith("data: "))
    assert json.loads(data) == listed
