"""Dependencies shared by the routes: the assembled monitor and API-key authentication by role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from monitor.context import Monitor
from monitor.errors import AuthError
from monitor.keys import ApiKey, Role

# 422, spelled as a number: Starlette renamed the constant between releases.
UNPROCESSABLE = 422

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (monitor keys create)")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")


def get_monitor(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


MonitorDep = Annotated[Monitor, Depends(get_monitor)]


def current_key(
    monitor: MonitorDep,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> ApiKey:
    secret = api_key or (bearer.credentials if bearer else None)
    if not secret:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send it in the X-API-Key header (or as 'Authorization: Bearer <key>')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return monitor.keys.authenticate(secret)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.message, headers={"WWW-Authenticate": "Bearer"}) from exc


KeyDep = Annotated[ApiKey, Depends(current_key)]


def require(*roles: Role) -> Callable[[ApiKey], ApiKey]:
    """A dependency that admits only keys with one of ``roles``."""
    allowed = frozenset(roles)

    def check(key: KeyDep) -> ApiKey:
        if key.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"role '{key.role.value}' may not do this (allowed: {names})"
            )
        return key

    return check


# Who may do what. Liaisons will see cases shared with their agency (a later feature), nothing else.
ReadDocuments = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER, Role.RESEARCHER))]
ReadAlerts = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER))]
ActOnAlerts = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER))]
CorrectLabels = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER))]
ReadRules = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER))]
ReadSources = Annotated[ApiKey, Depends(require(Role.ADMIN, Role.OFFICER, Role.RESEARCHER))]


def aware(name: str, value: datetime | None) -> datetime | None:
    """Reject a timestamp parameter without a zone offset: guessing the zone would shift results by hours."""
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            UNPROCESSABLE, f"parameter '{name}' needs a time zone offset, e.g. 2026-11-03T00:00:00+07:00"
        )
    return value
