"""The FastAPI application factory: routes, error mapping (:mod:`api.errors`) and OpenAPI docs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.console.mount import mount_console
from api.docs import mount_docs
from api.errors import install_error_handlers
from api.limits import BodyLimitMiddleware
from api.ratelimit import RateLimiter
from api.responses import Problem, declare_answers
from api.routes import alerts, audit, case_exports, cases, documents, meta, reports, rules, silences
from api.sse import close_streams
from monitor.access.privacy import Pseudonymizer
from monitor.context import Monitor
from monitor.db import waiting_at_most

DESCRIPTION = """
Media monitoring for Đồng Nai: search Vietnamese news and social posts, follow alerts.

Authenticate with an API key in the `X-API-Key` header (create one with `monitor keys create --role officer`).
Search is accent-insensitive: `dong nai` finds `Đồng Nai`.
"""


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
    install_error_handlers(app)
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
    mount_console(app)
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
