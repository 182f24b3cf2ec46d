"""The console's sign-in pages: sign in, sign out, change password; and where the console starts.

Before sign-in there is no session to carry a CSRF token, so the sign-in form uses a double-submit token
(a cookie and the same value in the form): a foreign site cannot sign a browser in to an account of its
choosing. Every other form is checked by :class:`api.console.web.ConsoleRoute`.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.web import (
    CSRF_PAGE_REFUSAL,
    HEADERS,
    Posted,
    Viewer,
    current,
    monitor_of,
    own_csrf,
    redirect,
    render,
    router,
    safe_next,
    same_secret,
    start_page,
)
from api.sessions import CSRF_FIELD, SESSION_COOKIE, SignedIn, delete_cookie, set_cookie
from monitor.access.users import LockedOutError
from monitor.cli_common import local_minute
from monitor.errors import AuthError, InvalidInputError

SIGN_IN_COOKIE = "dnm_sign_in"  # the double-submit CSRF token of the sign-in form


def _sign_in_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    context = {"username": "", "next": safe_next(request.query_params.get("next")) or "", **context}
    response = render(request, "sign_in.html", None, status_code, csrf_token=token, **context)
    monitor = monitor_of(request)
    set_cookie(response, SIGN_IN_COOKIE, token, monitor)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    """The sign-in form (or the start page for someone already signed in)."""
    found = current(request)
    if found is not None:
        return redirect(start_page(found.user.role))
    return _sign_in_form(request)


@router.post("/sign-in", response_class=HTMLResponse)
@own_csrf
async def sign_in(request: Request, form: Posted) -> Response:
    """Check the form's CSRF token and the password; open a new session and go on, or say what failed."""
    monitor = monitor_of(request)
    back = safe_next(form.get("next")) or ""
    if not same_secret(request.cookies.get(SIGN_IN_COOKIE), form.get(CSRF_FIELD)):
        return _sign_in_form(request, status.HTTP_403_FORBIDDEN, error=CSRF_PAGE_REFUSAL, next=back)
    username = form.get("username")
    try:
        user = monitor.users.sign_in(username, form.raw("password"))
    except LockedOutError as exc:
        until = local_minute(exc.until, monitor.settings.zone)
        message = f"{exc.message} Hãy thử lại sau {until} (giờ Việt Nam) hoặc nhờ quản trị viên đặt lại mật khẩu."
        return _sign_in_form(request, status.HTTP_429_TOO_MANY_REQUESTS, error=message, username=username, next=back)
    except AuthError as exc:
        return _sign_in_form(request, status.HTTP_401_UNAUTHORIZED, error=exc.message, username=username, next=back)
    # Always a new session at sign-in: a session id planted before sign-in is never promoted.
    _, token = monitor.users.sessions.open(user.user_id)
    response = RedirectResponse(back or start_page(user.role), status.HTTP_303_SEE_OTHER, headers=HEADERS)
    set_cookie(response, SESSION_COOKIE, token, monitor)
    delete_cookie(response, SIGN_IN_COOKIE, monitor)
    return response


@router.post("/sign-out")
def sign_out(request: Request, found: Viewer) -> Response:
    """End this session and forget its cookie (the CSRF token was checked by the route)."""
    monitor = monitor_of(request)
    monitor.users.sessions.revoke(found.session.session_id)
    response = RedirectResponse("/console/sign-in", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    delete_cookie(response, SESSION_COOKIE, monitor)
    return response


def _password_page(request: Request, found: SignedIn, status_code: int = 200, **context: Any) -> HTMLResponse:
    min_length = monitor_of(request).settings.console.password_min_length
    return render(request, "password.html", found, status_code, min_length=min_length, **context)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, found: Viewer) -> Response:
    """The password change form, with when the session ends."""
    settings = monitor_of(request).settings
    return _password_page(
        request,
        found,
        expires=local_minute(found.session.expires_at, settings.zone),
        idle_minutes=f"{settings.console.idle_minutes:g}",
    )


@router.post("/password", response_class=HTMLResponse)
def change_password(request: Request, found: Viewer, form: Posted) -> Response:
    """Change the password (current one, policy, confirmation checked); other sessions end."""
    new = form.raw("new_password")
    if new != form.raw("confirm_password"):
        return _password_page(request, found, 422, error="Hai lần nhập mật khẩu mới không khớp nhau.")
    try:
        monitor_of(request).users.change_password(
            found.user.user_id, form.raw("current_password"), new, keep_session=found.session.session_id
        )
    except InvalidInputError as exc:
        return _password_page(request, found, 422, error=exc.message)
    return redirect("/console/password", done="password-changed")
