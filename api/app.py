"""The FastAPI application factory: routes, error mapping and OpenAPI docs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import UNPROCESSABLE
from api.docs import mount_docs
from api.limits import BodyLimitMiddleware
from api.ratelimit import RateLimiter
from api.responses import Problem, declare_answers
from api.routes import alerts, audit, case_exports, cases, documents, meta, reports, rules, silences
from api.sse import close_streams
from monitor.access.privacy import Pseudonymizer
from monitor.alerting.store import AlertStateError
from monitor.context import Monitor
from monitor.db import waiting_at_most
from monitor.errors import NotFoundError, QueryError, StoreError

DESCRIPTION = """
Media monitoring for Đồng Nai: search Vietnamese news and social posts, follow alerts.

Authenticate with an API key in the `X-API-Key` header (create one with `monitor keys create --role officer`).
Search is accent-insensitive: `dong nai` finds `Đồng Nai`.
"""


LOCATIONS = {("query",), ("path",), ("body",), ("header",), ("cookie",)}


def _parameter_name(location: tuple[object, ...]) -> str:
    # FastAPI locations look like ("query", "limit") or ("body", "sources", 1): where, then the parameter
    # (only the first part says where: a rule's body has a field named "query").
    names = [str(part) for part in location[1:]] if location[:1] in LOCATIONS else [str(part) for part in location]
    if not names and location[:1] == ("body",):
        return "body"
    return ".".join(names) or "request"


def _message(error: Any) -> str:
    if error["type"] == "json_invalid":  # the location is ("body", character offset), not a field
        position = error["loc"][-1] if len(error["loc"]) > 1 else 0
        reason = error.get("ctx", {}).get("error", "")
        return f"body: invalid JSON at character {position} ({reason})"
    return f"parameter '{_parameter_name(tuple(error['loc']))}': {error['msg']}"


# Longest input echoed back in a validation error, as JSON text; longer ones are described, not repeated:
# a 300 MB body must not come back inside its own 422.
MAX_ECHOED_INPUT_CHARS = 200
# What a 503 for a busy or unreachable store tells clients to wait before trying again.
STORE_RETRY_AFTER_SECONDS = 5


def _echo(value: object) -> object:
    text = json.dumps(jsonable_encoder(value), ensure_ascii=False, default=str)
    if len(text) <= MAX_ECHOED_INPUT_CHARS:
        return value
    return f"<not repeated: {len(text)} characters as JSON>"


def public_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic's errors for a response body, with long ``input`` values replaced by their size."""
    return [
        {**error, "input": _echo(error["input"])} if "input" in error else dict(error)
        for error in jsonable_encoder(errors)
    ]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return JSONResponse(
        status_code=UNPROCESSABLE,
        content={"detail": "; ".join(_message(e) for e in errors), "errors": public_errors(errors)},
    )


async def _query_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryError)
    return JSONResponse(
        status_code=status.HTTP_400_BAD_REQUEST,
        content={
            "detail": f"parameter 'q': {exc.reason} at position {exc.position}",
            "parameter": "q",
            "position": exc.position,
        },
    )


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoreError)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": f"storage unavailable: {exc.message}"},
        headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)} if exc.retryable else None,
    )


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFoundError)
    return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={"detail": exc.message})


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AlertStateError)
    return JSONResponse(status_code=status.HTTP_409_CONFLICT, content={"detail": exc.message})


class DatabaseWaitMiddleware:
    """Requests wait at most ``seconds`` for another writer's lock, then answer 503 (a StoreBusyError)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with waiting_at_most(self.seconds):
            await self.app(scope, receive, send)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.streams_closing = asyncio.Event()  # a fresh one for each run of the server
    yield
    close_streams(app.state)


def create_app(monitor: Monitor) -> FastAPI:
    """Build the API over an assembled :class:`Monitor` (which the caller owns and closes)."""
    app = FastAPI(
        title="Đồng Nai media monitor",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # served by mount_docs from installed files, not from a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.monitor = monitor
    app.state.cases = monitor.cases
    app.state.pseudonymizer = Pseudonymizer.for_data_dir(monitor.settings.data_dir)
    api = monitor.settings.api
    app.state.rate_limiter = RateLimiter(api.rate_limit_per_minute, api.rate_limit_burst)
    # Added last, so run first: bodies are limited before authentication and parsing read them.
    app.add_middleware(DatabaseWaitMiddleware, seconds=api.busy_timeout_seconds)
    app.add_middleware(BodyLimitMiddleware, max_bytes=api.max_body_bytes)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(AlertStateError, _conflict)
    for router in (
        meta.router,
        documents.router,
        alerts.router,
        silences.router,
        rules.router,
        audit.router,
        cases.router,
        case_exports.router,
        reports.router,
    ):
        declare_answers(router)
        app.include_router(router)
    mount_docs(app)
    _document_error_bodies(app)
    return app


def _document_error_bodies(app: FastAPI) -> None:
    """Make the schema say what 422 bodies really are (FastAPI documents its default list of errors)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas["HTTPValidationError"] = problem
            schemas["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
