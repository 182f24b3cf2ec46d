"""Alert rules: the configured list, and a dry validation of a rule spec before it goes into a file.

Rules live in ``configs/rules/*.yaml`` (reviewed, versioned configuration); the API does not write them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from api.deps import UNPROCESSABLE, ManageRules, MonitorDep, ReadRules
from monitor.errors import ConfigError, MonitorError
from monitor.rules.specs import RULE_TYPES, rule_spec_class

router = APIRouter(tags=["alerts"])


class RuleValidation(BaseModel):
    valid: bool
    rule: dict[str, Any]
    warnings: list[str]


@router.get("/rules", summary="Configured alert rules")
def rules(monitor: MonitorDep, key: ReadRules) -> list[dict[str, Any]]:
    return [rule.model_dump(mode="json") for rule in monitor.rules]


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
    warnings = []
    if any(existing.id == rule.id for existing in monitor.rules):
        warnings.append(f"a configured rule already has id '{rule.id}': saving this one would replace or clash with it")
    if not rule.enabled:
        warnings.append("the rule is disabled ('enabled: false'): it would not fire")
    return RuleValidation(valid=True, rule=rule.model_dump(mode="json"), warnings=warnings)
