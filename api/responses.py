"""What the OpenAPI schema says routes answer besides success: one home for the error answers.

Authentication answers follow from the dependencies, so they cannot drift from the code: a route that
needs a key (:func:`api.deps.current_key`) can answer 401 and 429, one that checks a role
(:class:`api.deps.RoleCheck`) also 403, and one addressing an object by path can answer 404.
Conflicts (409) depend on what a route does, so routes that can answer one say so with
``responses=CONFLICT``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from api.deps import RoleCheck, current_key


class Problem(BaseModel):
    """Every error body: a readable message naming the parameter or field; validation errors add details."""

    detail: str
    errors: list[dict[str, Any]] | None = Field(default=None, description="Pydantic's errors, for programs.")


def _problem(description: str) -> dict[str, Any]:
    # A reference, not ``model``: answers derived after the routes exist (declare_answers) cannot add models;
    # the app puts Problem in the schema's components.
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


Answers = dict[int | str, dict[str, Any]]

UNAUTHENTICATED: Answers = {401: _problem("No API key, or an unknown or revoked one.")}
RATE_LIMITED: Answers = {429: _problem("This key's rate limit is exceeded; the Retry-After header says when to retry.")}
FORBIDDEN: Answers = {403: _problem("This key's role may not do this.")}
NOT_FOUND: Answers = {404: _problem("No such object.")}
CONFLICT: Answers = {
    409: _problem("Not allowed in the object's current state, or it clashes with another (the detail says).")
}


def _calls(dependant: Dependant) -> list[Any]:
    found = [dependant.call]
    for sub in dependant.dependencies:
        found.extend(_calls(sub))
    return found


def _names_an_object(route: APIRoute) -> bool:
    """Whether a path parameter picks an object (an enum of kinds is checked as a value: 422, not 404)."""
    return any(
        not (isinstance(kind, type) and issubclass(kind, Enum))
        for kind in (param.field_info.annotation for param in route.dependant.path_params)
    )


def declare_answers(router: APIRouter) -> None:
    """Add the 401/403/404/429 answers each route of ``router`` can give to its OpenAPI description
    (call it before the router is included)."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        calls = _calls(route.dependant)
        answers: Answers = {}
        if current_key in calls:
            answers |= UNAUTHENTICATED | RATE_LIMITED
        if any(isinstance(call, RoleCheck) for call in calls):
            answers |= FORBIDDEN
        if _names_an_object(route):
            answers |= NOT_FOUND
        route.responses = {**answers, **route.responses}
