"""Sign-in by cookie: the session cookie's name and flags, and the person it stands for.

The API accepts either an API key (machines) or this cookie (people in the console); a cookie is sent
by the browser on its own, so every unsafe request authenticated by it must also carry the session's
CSRF token (the ``X-CSRF-Token`` header, or the ``csrf_token`` field of a console form).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, Response, status

from monitor.access.keys import ApiKey
from monitor.access.sessions import Session
from monitor.access.users import User
from monitor.context import Monitor
from monitor.errors import AuthError

SESSION_COOKIE = "dnm_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_REFUSED = (
    f"missing or wrong CSRF token: a request signed in by the session cookie must send the session's token "
    f"in the {CSRF_HEADER} header (or the {CSRF_FIELD} form field)"
)


@dataclass(frozen=True)
class SignedIn:
    """A live session and its person."""

    session: Session
    user: User

    @property
    def principal(self) -> ApiKey:
        return self.user.principal()


def signed_in(monitor: Monitor, token: str) -> SignedIn:
    """The live session of a cookie token and its active person; AuthError if either has ended."""
    session = monitor.users.sessions.resume(token)
    return SignedIn(session, monitor.users.active_user(session.user_id))


def session_principal(request: Request, monitor: Monitor, token: str) -> ApiKey:
    """The caller signed in by the session cookie, as the API sees a key: 401 if the session ended,
    403 if an unsafe request lacks the session's CSRF token."""
    try:
        found = signed_in(monitor, token)
    except AuthError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, exc.message) from exc
    if request.method not in SAFE_METHODS and not found.session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, CSRF_REFUSED)
    request.state.session_token = token  # for long responses that check the caller again (the alert stream)
    return found.principal


def set_cookie(response: Response, name: str, value: str, monitor: Monitor) -> None:
    """Set a console cookie: HTTP-only, SameSite=Lax, Secure unless settings say otherwise, for the site."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="lax",
        secure=monitor.settings.console.secure_cookies,
        path="/",
    )


def delete_cookie(response: Response, name: str, monitor: Monitor) -> None:
    """Tell the browser to forget a console cookie (with the flags it was set with)."""
    response.delete_cookie(
        name, httponly=True, samesite="lax", secure=monitor.settings.console.secure_cookies, path="/"
    )
