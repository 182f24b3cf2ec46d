"""Alert rules: the list, a dry validation, and rules created, replaced and deleted through the API.

The reviewed files in ``configs/rules/*.yaml`` are the baseline and are never written by the API (409 if
asked to change one); rules created here live in the database (:mod:`monitor.rules.managed`), every change
is audited, and every process running the rules picks the change up on its next pass.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from api.deps import UNPROCESSABLE, ManageRules, MonitorDep, ReadRules, actor
from monitor.errors import ConfigError, MonitorError
from monitor.rules.managed import RuleConflictError
from monitor.rules.specs import RULE_TYPES, RuleSpec, rule_spec_class

router = APIRouter(tags=["alerts"])


class RuleValidation(BaseModel):
    valid: bool
    rule: dict[str, Any]
    warnings: list[str]


@router.get("/rules", summary="Alert rules: from the configuration files, then those created through the API")
def rules(monitor: MonitorDep, key: ReadRules) -> list[dict[str, Any]]:
    monitor.engine.refresh()
    file_ids = {rule.id for rule in monitor.engine.file_rules}
    return [
        {**rule.model_dump(mode="json"), "origin": "file" if rule.id in file_ids else "api"}
        for rule in monitor.engine.all_rules
    ]


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "rule"


@router.post(
    "/rules/validate",
    response_model=RuleValidation,
    summary="Check a rule spec (as it would appear in configs/rules/*.yaml) without saving it",
)
def validate_rule(
    monitor: MonitorDep,
    key: ManageRules,
    spec: Annotated[dict[str, Any], Body(description="One rule: {'type': 'watch', 'id': ..., ...}")],
) -> RuleValidation | JSONResponse:
    parsed = _parse(spec)
    if isinstance(parsed, JSONResponse):
        return parsed
    rule = parsed
    warnings = []
    if any(existing.id == rule.id for existing in monitor.engine.all_rules):
        warnings.append(f"a configured rule already has id '{rule.id}': saving this one would replace or clash with it")
    if not rule.enabled:
        warnings.append("the rule is disabled ('enabled: false'): it would not fire")
    return RuleValidation(valid=True, rule=rule.model_dump(mode="json"), warnings=warnings)


def _parse(spec: dict[str, Any]) -> RuleSpec | JSONResponse:
    """The rule ``spec`` describes, or a 422 response naming every field at fault."""
    type_name = spec.get("type")
    if not isinstance(type_name, str):
        known = ", ".join(sorted(RULE_TYPES))
        raise HTTPException(UNPROCESSABLE, f"field 'type': required, one of {known}")
    try:
        spec_class = rule_spec_class(type_name)
    except ConfigError as exc:
        raise HTTPException(UNPROCESSABLE, f"field 'type': {exc.message}") from exc
    try:
        rule = spec_class.model_validate(spec)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        return JSONResponse(
            status_code=UNPROCESSABLE,
            content={
                "detail": "; ".join(f"field '{_field(tuple(e['loc']))}': {e['msg']}" for e in errors),
                "errors": jsonable_encoder(errors),
            },
        )
    except MonitorError as exc:  # a validator that raised our own error (e.g. a query that does not parse)
        raise HTTPException(UNPROCESSABLE, f"rule: {exc.message}") from exc
    return rule


def _not_a_file_rule(monitor: MonitorDep, rule_id: str) -> None:
    if any(rule.id == rule_id for rule in monitor.engine.file_rules):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"rule '{rule_id}' comes from the configuration files (configs/rules/); change it there",
        )


RuleBody = Annotated[dict[str, Any], Body(description="One rule: {'type': 'watch', 'id': ..., ...}")]


@router.post("/rules", status_code=status.HTTP_201_CREATED, summary="Create a rule (admin); it runs from the next pass")
def create_rule(monitor: MonitorDep, key: ManageRules, spec: RuleBody) -> Any:
    parsed = _parse(spec)
    if isinstance(parsed, JSONResponse):
        return parsed
    _not_a_file_rule(monitor, parsed.id)
    try:
        monitor.engine.managed_rules().create(parsed, actor(key))
    except RuleConflictError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, exc.message) from exc
    monitor.engine.refresh()
    return {**parsed.model_dump(mode="json"), "origin": "api"}


@router.put("/rules/{rule_id}", summary="Replace a rule created through the API (admin)")
def replace_rule(rule_id: str, monitor: MonitorDep, key: ManageRules, spec: RuleBody) -> Any:
    parsed = _parse(spec)
    if isinstance(parsed, JSONResponse):
        return parsed
    if parsed.id != rule_id:
        raise HTTPException(UNPROCESSABLE, f"field 'id': '{parsed.id}' differs from the rule in the path '{rule_id}'")
    _not_a_file_rule(monitor, rule_id)
    monitor.engine.managed_rules().replace(parsed, actor(key))
    monitor.engine.refresh()
    return {**parsed.model_dump(mode="json"), "origin": "api"}


@router.delete("/rules/{rule_id}", summary="Delete a rule created through the API (admin)")
def delete_rule(rule_id: str, monitor: MonitorDep, key: ManageRules) -> dict[str, Any]:
    _not_a_file_rule(monitor, rule_id)
    deleted = monitor.engine.managed_rules().delete(rule_id, actor(key))
    monitor.engine.refresh()
    return {**deleted.model_dump(mode="json"), "origin": "api"}
