"""The FastAPI application factory: routes, error mapping and OpenAPI docs."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.deps import UNPROCESSABLE
from api.routes import alerts, documents, meta
from monitor.context import Monitor
from monitor.errors import QueryError, StoreError
from monitor.privacy import Pseudonymizer

DESCRIPTION = """
Media monitoring for Đồng Nai: search Vietnamese news and social posts, follow alerts.

Authenticate with an API key in the `X-API-Key` header (create one with `monitor keys create --role officer`).
Search is accent-insensitive: `dong nai` finds `Đồng Nai`.
"""


def _parameter_name(location: tuple[object, ...]) -> str:
    # FastAPI locations look like ("query", "limit"); the last string part is the parameter.
    names = [str(part) for part in location if part not in ("query", "path", "body", "header")]
    return ".".join(names) or "request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    messages = [f"parameter '{_parameter_name(tuple(e['loc']))}': {e['msg']}" for e in errors]
    return JSONResponse(
        status_code=UNPROCESSABLE,
        content={"detail": "; ".join(messages), "errors": jsonable_encoder(errors)},
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
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE, content={"detail": f"storage unavailable: {exc.message}"}
    )


def create_app(monitor: Monitor) -> FastAPI:
    """Build the API over an assembled :class:`Monitor` (which the caller owns and closes)."""
    app = FastAPI(title="Đồng Nai media monitor", version="0.1.0", description=DESCRIPTION)
    app.state.monitor = monitor
    app.state.pseudonymizer = Pseudonymizer.for_data_dir(monitor.settings.data_dir)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)
    app.add_exception_handler(StoreError, _store_error)
    app.include_router(meta.router)
    app.include_router(documents.router)
    app.include_router(alerts.router)
    return app
