"""Dependencies shared by the routes: the assembled monitor and API-key authentication by role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.ratelimit import RateLimiter, retry_after_header
from api.sessions import SESSION_COOKIE, session_principal, signed_in
from monitor.access.audit import Actor
from monitor.access.keys import ApiKey, Role
from monitor.access.roles import (
    ALERT_ACTION_ROLES,
    ALERT_ROLES,
    AUDIT_ROLES,
    DOCUMENT_ROLES,
    LABEL_ROLES,
    RULE_MANAGE_ROLES,
    RULE_READ_ROLES,
    SILENCE_MANAGE_ROLES,
    SILENCE_READ_ROLES,
    SOURCE_ROLES,
)
from monitor.context import Monitor
from monitor.errors import AuthError

# 422, spelled as a number: Starlette renamed the constant between releases.
UNPROCESSABLE = 422

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (monitor keys create)")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")


def get_monitor(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


MonitorDep = Annotated[Monitor, Depends(get_monitor)]


def current_key(
    request: Request,
    monitor: MonitorDep,
    api_key: Annotated[str | None, Security(_api_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> ApiKey:
    """The caller's active key (401 otherwise), within its rate limit (429 with Retry-After otherwise).

    A person signed in to the console is accepted too, by the session cookie, as the key record of their
    account (:meth:`monitor.access.users.User.principal`): the same role rules then apply to both.
    """
    secret = api_key or (bearer.credentials if bearer else None)
    request.state.api_key_secret = secret  # for long responses that check the key again (the alert stream)
    request.state.session_token = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not secret and cookie:
        key = session_principal(request, monitor, cookie)
    elif not secret:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send it in the X-API-Key header (or as 'Authorization: Bearer <key>')",
            headers={"WWW-Authenticate": "Bearer"},
        )
    else:
        try:
            key = monitor.keys.authenticate(secret)
        except AuthError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, exc.message, headers={"WWW-Authenticate": "Bearer"}
            ) from exc
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.acquire(key.key_id)
    if wait > 0:
        retry_after = retry_after_header(wait)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"rate limit of this API key exceeded ({limiter.burst} at once, "
            f"{round(limiter.rate * 60)} a minute): retry in {retry_after} s",
            headers={"Retry-After": retry_after},
        )
    return key


KeyDep = Annotated[ApiKey, Depends(current_key)]


def role_refusal(key: ApiKey, roles: frozenset[Role]) -> str | None:
    """Why ``key`` may not do what ``roles`` may (None if it may): the one wording of a 403."""
    if key.role in roles:
        return None
    names = ", ".join(sorted(r.value for r in roles))
    return f"role '{key.role.value}' may not do this (allowed: {names})"


@dataclass(frozen=True)
class RoleCheck:
    """A dependency that admits only keys with one of ``roles`` (a class, so the schema can tell 403s)."""

    roles: frozenset[Role]

    def __call__(self, key: KeyDep) -> ApiKey:
        refused = role_refusal(key, self.roles)
        if refused is not None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, refused)
        return key


def require(*roles: Role) -> Callable[[ApiKey], ApiKey]:
    """A dependency that admits only keys with one of ``roles``."""
    return RoleCheck(frozenset(roles))


def key_recheck(request: Request, monitor: Monitor, roles: frozenset[Role]) -> Callable[[], str | None]:
    """For a long response: a function that authenticates the request's key again and says why it may
    no longer go on (revoked, or a role outside ``roles``), or None while it may."""
    secret: str | None = request.state.api_key_secret
    token: str | None = request.state.session_token

    def check() -> str | None:
        try:
            key = monitor.keys.authenticate(secret) if secret else signed_in(monitor, token or "").principal
        except AuthError as exc:
            return exc.message
        return role_refusal(key, roles)

    return check


# Who may do what: the roles come from monitor.access.roles, shared with the console.
ALERT_READERS = frozenset(ALERT_ROLES)  # the stream re-checks its key against the same roles
ReadDocuments = Annotated[ApiKey, Depends(require(*DOCUMENT_ROLES))]
ReadAlerts = Annotated[ApiKey, Depends(require(*ALERT_READERS))]
ActOnAlerts = Annotated[ApiKey, Depends(require(*ALERT_ACTION_ROLES))]
CorrectLabels = Annotated[ApiKey, Depends(require(*LABEL_ROLES))]
ReadRules = Annotated[ApiKey, Depends(require(*RULE_READ_ROLES))]
ReadSources = Annotated[ApiKey, Depends(require(*SOURCE_ROLES))]
ReadSilences = Annotated[ApiKey, Depends(require(*SILENCE_READ_ROLES))]
ManageSilences = Annotated[ApiKey, Depends(require(*SILENCE_MANAGE_ROLES))]
ManageRules = Annotated[ApiKey, Depends(require(*RULE_MANAGE_ROLES))]
ReadAuditLog = Annotated[ApiKey, Depends(require(*AUDIT_ROLES))]


def actor(key: ApiKey) -> Actor:
    """The audit log's "who" for an API key: its name and id (for a person signed in: name and ``user:<id>``)."""
    return Actor(name=key.name, key_id=key.key_id)


def aware(name: str, value: datetime | None) -> datetime | None:
    """Reject a timestamp parameter without a zone offset: guessing the zone would shift results by hours."""
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            UNPROCESSABLE, f"parameter '{name}' needs a time zone offset, e.g. 2026-11-03T00:00:00+07:00"
        )
    if value is not None:
        try:  # year 1 or 9999 with an offset cannot be converted to UTC
            value.timestamp()
            value.astimezone(UTC)
        except (OverflowError, ValueError, OSError):
            raise HTTPException(UNPROCESSABLE, f"parameter '{name}': timestamp out of range") from None
    return value


def time_range(
    since_name: str, since: datetime | None, until_name: str, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Check both ends with :func:`aware` and that the range is not reversed (422 naming both)."""
    start, end = aware(since_name, since), aware(until_name, until)
    if start is not None and end is not None and end < start:
        raise HTTPException(
            UNPROCESSABLE, f"parameters '{since_name}' and '{until_name}': '{until_name}' is before '{since_name}'"
        )
    return start, end
