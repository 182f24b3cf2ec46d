"""Alert rules: the list, a dry validation, and rules created, replaced and deleted through the API.

The reviewed files in ``configs/rules/*.yaml`` are the baseline and are never written by the API (409 if
asked to change one); rules created here live in the database (:mod:`monitor.rules.managed`), every change
is audited, and every process running the rules picks the change up on its next pass.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model

from api.deps import UNPROCESSABLE, ManageRules, MonitorDep, ReadRules, actor
from api.params import RuleId
from api.responses import CONFLICT
from monitor.rules.catalog import RULE_TYPES, AnyRuleSpec
from monitor.rules.specs import RuleSpec

Origin = Literal["file", "api"]


def _view(spec_class: type[RuleSpec]) -> type[BaseModel]:
    """The spec of one rule type as the API shows it: its fields and where the rule comes from."""
    return create_model(
        spec_class.__name__.removesuffix("Spec"),
        __base__=spec_class,
        origin=(Origin, Field(description="'file': configs/rules/ (read-only here); 'api': created here.")),
    )


_VIEWS = {name: _view(spec_class) for name, spec_class in RULE_TYPES.items()}
# One rule as listed and returned: a union over the rule types, told apart by 'type'.
RuleView: Any = Annotated[Union[tuple(_VIEWS.values())], Field(discriminator="type")]  # noqa: UP007
# One rule as sent: the same specs as configs/rules/*.yaml.
RuleBody = Annotated[
    AnyRuleSpec,
    Body(discriminator="type", description="One rule, as in configs/rules/*.yaml: {'type': ..., 'id': ...}"),
]


def view(rule: RuleSpec, origin: Origin) -> BaseModel:
    return _VIEWS[rule.type].model_validate({**rule.model_dump(), "origin": origin})


def _rule_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors of a rule body worded as for the rule files: the 'type' field named, no union tags."""
    known = ", ".join(sorted(RULE_TYPES))
    worded = []
    for error in errors:
        loc = tuple(error["loc"])
        change: dict[str, Any] = {}
        if error["type"] == "union_tag_not_found":
            change = {"loc": (*loc, "type"), "msg": f"required, one of {known}"}
        elif error["type"] == "union_tag_invalid":
            tag = error.get("ctx", {}).get("tag", "")
            change = {"loc": (*loc, "type"), "msg": f"unknown rule type '{tag}' (known: {known})"}
        elif loc[:1] == ("body",) and len(loc) > 1 and loc[1] in RULE_TYPES:
            change = {"loc": (loc[0], *loc[2:])}
        worded.append({**error, **change})
    return worded


class RuleRoute(APIRoute):
    """A route whose body errors name the rule's fields as the rule files do (see :func:`_rule_errors`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_rule(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as exc:
                raise RequestValidationError(_rule_errors(exc.errors()), body=exc.body) from None

        return handle_rule


router = APIRouter(tags=["alerts"], route_class=RuleRoute)


class RuleValidation(BaseModel):
    valid: bool
    rule: AnyRuleSpec = Field(discriminator="type")
    warnings: list[str]


@router.get(
    "/rules",
    summary="Alert rules: from the configuration files, then those created through the API",
    response_model=list[RuleView],
)
def rules(monitor: MonitorDep, key: ReadRules) -> list[BaseModel]:
    monitor.engine.refresh()
    file_ids = {rule.id for rule in monitor.engine.file_rules}
    return [view(rule, "file" if rule.id in file_ids else "api") for rule in monitor.engine.all_rules]


@router.post(
    "/rules/validate", summary="Check a rule spec (as it would appear in configs/rules/*.yaml) without saving it"
)
def validate_rule(monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> RuleValidation:
    warnings = []
    if any(existing.id == rule.id for existing in monitor.engine.all_rules):
        warnings.append(f"a configured rule already has id '{rule.id}': saving this one would replace or clash with it")
    if not rule.enabled:
        warnings.append("the rule is disabled ('enabled: false'): it would not fire")
    return RuleValidation(valid=True, rule=rule, warnings=warnings)


def _not_a_file_rule(monitor: MonitorDep, rule_id: str) -> None:
    if any(rule.id == rule_id for rule in monitor.engine.file_rules):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"rule '{rule_id}' comes from the configuration files (configs/rules/); change it there",
        )


@router.post(
    "/rules",
    status_code=status.HTTP_201_CREATED,
    summary="Create a rule (admin); it runs from the next pass",
    response_model=RuleView,
    responses=CONFLICT,
)
def create_rule(monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> BaseModel:
    _not_a_file_rule(monitor, rule.id)
    monitor.engine.managed_rules().create(rule, actor(key))  # 409 for an id already taken (RuleConflictError)
    monitor.engine.refresh()
    return view(rule, "api")


@router.put(
    "/rules/{rule_id}",
    summary="Replace a rule created through the API (admin)",
    response_model=RuleView,
    responses=CONFLICT,
)
def replace_rule(rule_id: RuleId, monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> BaseModel:
    if rule.id != rule_id:
        raise HTTPException(UNPROCESSABLE, f"field 'id': '{rule.id}' differs from the rule in the path '{rule_id}'")
    _not_a_file_rule(monitor, rule_id)
    monitor.engine.managed_rules().replace(rule, actor(key))
    monitor.engine.refresh()
    return view(rule, "api")


@router.delete(
    "/rules/{rule_id}",
    summary="Delete a rule created through the API (admin)",
    response_model=RuleView,
    responses=CONFLICT,
)
def delete_rule(rule_id: RuleId, monitor: MonitorDep, key: ManageRules) -> JSONResponse:
    _not_a_file_rule(monitor, rule_id)
    deleted = monitor.engine.managed_rules().delete(rule_id, actor(key))
    monitor.engine.refresh()
    # Returned as saved, without validating it again: a rule saved before the query language became
    # stricter no longer validates, and deleting it is exactly how an officer gets rid of it.
    return JSONResponse({**deleted.model_dump(mode="json"), "origin": "api"})
