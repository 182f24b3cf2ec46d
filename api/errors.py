"""How the API answers the core's errors: one exception handler per kind of :class:`MonitorError`.

| error | status |
| --- | --- |
| request validation | 422, with every problem |
| :class:`QueryError` | 400, with the position in ``q`` |
| :class:`StoreError` | 503 (with Retry-After when retrying can help) |
| :class:`NotFoundError` | 404 |
| :class:`ConflictError` | 409 |
| :class:`InvalidInputError` | 422 |
| :class:`ForbiddenError` | 403 |
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.deps import UNPROCESSABLE
from monitor.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, QueryError, StoreError

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
    assert isinstance(exc, ConflictError)
    return JSONResponse(status_code=status.HTTP_409_CONFLICT, content={"detail": exc.message})


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    detail = f"parameter '{exc.parameter}': {exc.message}" if exc.parameter else exc.message
    return JSONResponse(status_code=UNPROCESSABLE, content={"detail": detail})


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ForbiddenError)
    return JSONResponse(status_code=status.HTTP_403_FORBIDDEN, content={"detail": exc.message})


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error the core raises on purpose with its HTTP status: the one place for the mapping.

    Routes raise the core's errors and let them through; only authentication (401 with its
    ``WWW-Authenticate`` header) is answered in :mod:`api.deps`.
    """
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QueryError, _query_error)  # 400
    app.add_exception_handler(StoreError, _store_error)  # 503
    app.add_exception_handler(NotFoundError, _not_found)  # 404
    app.add_exception_handler(ConflictError, _conflict)  # 409: alert, case, evidence and rule states
    app.add_exception_handler(InvalidInputError, _invalid_input)  # 422
    app.add_exception_handler(ForbiddenError, _forbidden)  # 403
