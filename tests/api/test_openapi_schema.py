"""The OpenAPI schema tells clients what every parameter means and which errors each route can answer."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from monitor.context import Monitor
from monitor.rules.catalog import RULE_TYPES

# The only authenticated route any active key may call, whatever its role.
ANY_ROLE = {("get", "/me")}


@pytest.fixture
def schema(monitor: Monitor) -> dict[str, Any]:
    return create_app(monitor).openapi()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_parameter_is_described(schema: dict[str, Any]) -> None:
    undescribed = [
        f"{method.upper()} {path}: {parameter['name']}"
        for method, path, op in _operations(schema)
        for parameter in op.get("parameters", [])
        if not parameter.get("description", "").strip()
    ]
    assert undescribed == []


def test_every_authenticated_route_declares_its_error_answers(schema: dict[str, Any]) -> None:
    missing = []
    for method, path, op in _operations(schema):
        if not op.get("security"):
            continue
        expected = {"401", "429"} | (set() if (method, path) in ANY_ROLE else {"403"})
        if "{" in path and not path.startswith("/reports/"):  # /reports/{kind}: a kind, 422 if unknown
            expected.add("404")
        absent = expected - set(op["responses"])
        if absent:
            missing.append(f"{method.upper()} {path}: {sorted(absent)}")
    assert missing == []
    assert len([op for _, _, op in _operations(schema) if op.get("security")]) > 40


def test_error_answers_have_the_problem_body(schema: dict[str, Any]) -> None:
    acknowledge = schema["paths"]["/alerts/{alert_id}/acknowledge"]["post"]["responses"]
    assert set(acknowledge) >= {"401", "403", "404", "409", "429"}
    body = acknowledge["409"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Problem"}
    assert "detail" in schema["components"]["schemas"]["Problem"]["properties"]
    assert "409" not in schema["paths"]["/alerts"]["get"]["responses"]


def test_rule_endpoints_have_typed_bodies_and_answers(schema: dict[str, Any]) -> None:
    schemas = schema["components"]["schemas"]

    def variants(node: dict[str, Any]) -> set[str]:
        return {ref["$ref"].rsplit("/", 1)[1] for ref in node["oneOf"]}

    create = schema["paths"]["/rules"]["post"]
    sent = create["requestBody"]["content"]["application/json"]["schema"]
    assert sent["discriminator"]["propertyName"] == "type"
    assert variants(sent) == {cls.__name__ for cls in RULE_TYPES.values()}
    assert {"query", "group_window"} <= set(schemas["WatchRuleSpec"]["properties"])
    answered = create["responses"]["201"]["content"]["application/json"]["schema"]
    assert variants(answered) == {cls.__name__.removesuffix("Spec") for cls in RULE_TYPES.values()}
    assert "origin" in schemas["WatchRule"]["properties"]
    listed = schema["paths"]["/rules"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["type"] == "array"
    assert variants(listed["items"]) == variants(answered)
    for path, method in [("/rules/validate", "post"), ("/rules/{rule_id}", "put")]:
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert variants(body) == variants(sent)
    assert "409" in schema["paths"]["/rules/{rule_id}"]["delete"]["responses"]


def test_alert_detail_shows_the_rule_as_its_typed_spec(schema: dict[str, Any]) -> None:
    rule = schema["components"]["schemas"]["AlertDetail"]["properties"]["rule"]
    union = next(node for node in rule["anyOf"] if "oneOf" in node)
    assert union["discriminator"]["propertyName"] == "type"
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in union["oneOf"]} == {cls.__name__ for cls in RULE_TYPES.values()}
