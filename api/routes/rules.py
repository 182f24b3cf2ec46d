"""Alert rules: the list, a dry validation, and rules created, replaced and deleted through the API.

The reviewed files in ``configs/rules/*.yaml`` are the baseline and are never written by the API (409 if
asked to change one); rules created here live in the database (:mod:`monitor.rules.managed`), every change
is audited, and every process running the rules picks the change up on its next pass.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal, Union

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model

from api.deps import ManageRules, MonitorDep, ReadRules, actor
from api.params import RuleId
from api.responses import CONFLICT
from monitor.rules import drafts
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


class RuleRoute(APIRoute):
    """A route whose body errors name the rule's fields as the rule files do (:func:`drafts.rule_errors`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_rule(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as exc:
                raise RequestValidationError(drafts.rule_errors(exc.errors(), ("body",)), body=exc.body) from None

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
    return [view(rule, drafts.origin_of(monitor.engine, rule)) for rule in monitor.engine.all_rules]


@router.post(
    "/rules/validate", summary="Check a rule spec (as it would appear in configs/rules/*.yaml) without saving it"
)
def validate_rule(monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> RuleValidation:
    warnings = drafts.rule_warnings(rule, monitor.engine.all_rules)
    return RuleValidation(valid=True, rule=rule, warnings=[drafts.WARNING_TEXT[w].format(id=rule.id) for w in warnings])


@router.post(
    "/rules",
    status_code=status.HTTP_201_CREATED,
    summary="Create a rule (admin); it runs from the next pass",
    response_model=RuleView,
    responses=CONFLICT,
)
def create_rule(monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> BaseModel:
    drafts.save_rule(monitor.engine, rule, actor(key))  # 409 for a file rule's id or an id already taken
    return view(rule, "api")


@router.put(
    "/rules/{rule_id}",
    summary="Replace a rule created through the API (admin)",
    response_model=RuleView,
    responses=CONFLICT,
)
def replace_rule(rule_id: RuleId, monitor: MonitorDep, key: ManageRules, rule: RuleBody) -> BaseModel:
    drafts.save_rule(monitor.engine, rule, actor(key), replacing=rule_id)
    return view(rule, "api")


@router.delete(
    "/rules/{rule_id}",
    summary="Delete a rule created through the API (admin)",
    response_model=RuleView,
    responses=CONFLICT,
)
def delete_rule(rule_id: RuleId, monitor: MonitorDep, key: ManageRules) -> JSONResponse:
    deleted = drafts.delete_rule(monitor.engine, rule_id, actor(key))
    # Returned as saved, without validating it again: a rule saved before the query language became
    # stricter no longer validates, and deleting it is exactly how an officer gets rid of it.
    return JSONResponse({**deleted.model_dump(mode="json"), "origin": "api"})
