"""The console's sign-in pages, server-rendered in Vietnamese: sign in, sign out, change password, home.

Forms post ``application/x-www-form-urlencoded`` bodies (read here with the standard library, within the
API's body limit). Every form carries a CSRF token: the session's own once signed in, and before that a
double-submit token (a cookie and the same value in the form), so a foreign site cannot sign a browser
in to an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.sessions import CSRF_FIELD, SESSION_COOKIE, SignedIn, delete_cookie, set_cookie, signed_in
from monitor.access.keys import Role
from monitor.access.users import LockedOutError
from monitor.cli_common import local_minute
from monitor.context import Monitor
from monitor.errors import AuthError, InvalidInputError

HERE = Path(__file__).resolve().parent
SIGN_IN_COOKIE = "dnm_sign_in"  # the double-submit CSRF token of the sign-in form
ROLE_LABELS = {
    Role.ADMIN: "quản trị viên",
    Role.OFFICER: "cán bộ theo dõi",
    Role.RESEARCHER: "nhà nghiên cứu",
    Role.LIAISON: "liên lạc viên",
}
CSRF_PAGE_REFUSAL = "Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo). Hãy tải lại trang rồi thử lại."
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")


def mount_console(app: Any) -> None:
    """Add the console's pages and its style sheet to ``app``."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")


def _monitor(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


def _current(request: Request) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return signed_in(_monitor(request), token)
    except AuthError:
        return None


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=HEADERS)


def _signed_in_page(
    request: Request, name: str, found: SignedIn, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return _page(
        request,
        name,
        {"person": found.user, "csrf_token": found.session.csrf_token, **context},
        status_code,
    )


def _to_sign_in(request: Request) -> RedirectResponse:
    response = RedirectResponse("/console/sign-in", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    if request.cookies.get(SESSION_COOKIE):  # an ended session: forget its cookie
        delete_cookie(response, SESSION_COOKIE, _monitor(request))
    return response


async def _form(request: Request) -> dict[str, str]:
    """The posted form's fields (the last value of each)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[-1] for name, values in parse_qs(body, keep_blank_values=True).items()}


def _same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest((expected or "").encode(), (given or "").encode())


def _sign_in_form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(request, "sign_in.html", {"csrf_token": token, "username": "", **context}, status_code=status_code)
    set_cookie(response, SIGN_IN_COOKIE, token, _monitor(request))
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    """The sign-in form (or the home page for someone already signed in)."""
    if _current(request) is not None:
        return RedirectResponse("/console/", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    return _sign_in_form(request)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    """Check the form's CSRF token and the password; open a new session and go home, or say what failed."""
    monitor = _monitor(request)
    form = await _form(request)
    if not _same(request.cookies.get(SIGN_IN_COOKIE), form.get(CSRF_FIELD)):
        return _sign_in_form(request, status.HTTP_403_FORBIDDEN, error=CSRF_PAGE_REFUSAL)
    username = form.get("username", "")
    try:
        user = monitor.users.sign_in(username, form.get("password", ""))
    except LockedOutError as exc:
        until = local_minute(exc.until, monitor.settings.zone)
        message = f"{exc.message} Hãy thử lại sau {until} (giờ Việt Nam) hoặc nhờ quản trị viên đặt lại mật khẩu."
        return _sign_in_form(request, status.HTTP_429_TOO_MANY_REQUESTS, error=message, username=username)
    except AuthError as exc:
        return _sign_in_form(request, status.HTTP_401_UNAUTHORIZED, error=exc.message, username=username)
    # Always a new session at sign-in: a session id planted before sign-in is never promoted.
    _, token = monitor.users.sessions.open(user.user_id)
    response = RedirectResponse("/console/", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    set_cookie(response, SESSION_COOKIE, token, monitor)
    delete_cookie(response, SIGN_IN_COOKIE, monitor)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """End this session (with its CSRF token) and forget its cookie."""
    found = _current(request)
    if found is None:
        return _to_sign_in(request)
    form = await _form(request)
    if not found.session.csrf_matches(form.get(CSRF_FIELD)):
        return _home(request, found, status.HTTP_403_FORBIDDEN, error=CSRF_PAGE_REFUSAL)
    _monitor(request).users.sessions.revoke(found.session.session_id)
    response = RedirectResponse("/console/sign-in", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    delete_cookie(response, SESSION_COOKIE, _monitor(request))
    return response


def _home(request: Request, found: SignedIn, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = _monitor(request).settings
    label = ROLE_LABELS[found.user.role]
    if found.user.agency:
        label = f"{label} – {found.user.agency}"
    return _signed_in_page(
        request,
        "home.html",
        found,
        status_code,
        role_label=label,
        expires=local_minute(found.session.expires_at, settings.zone),
        idle_minutes=f"{settings.console.idle_minutes:g}",
        **context,
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The console's home: who is signed in, with which role, until when."""
    found = _current(request)
    return _to_sign_in(request) if found is None else _home(request, found)


def _password_page(request: Request, found: SignedIn, status_code: int = 200, **context: Any) -> HTMLResponse:
    min_length = _monitor(request).settings.console.password_min_length
    return _signed_in_page(request, "password.html", found, status_code, min_length=min_length, **context)


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request) -> Response:
    """The password change form."""
    found = _current(request)
    return _to_sign_in(request) if found is None else _password_page(request, found)


@router.post("/password", response_class=HTMLResponse)
async def change_password(request: Request) -> Response:
    """Change the password (current one, policy, confirmation checked); other sessions end."""
    found = _current(request)
    if found is None:
        return _to_sign_in(request)
    form = await _form(request)
    if not found.session.csrf_matches(form.get(CSRF_FIELD)):
        return _password_page(request, found, status.HTTP_403_FORBIDDEN, error=CSRF_PAGE_REFUSAL)
    new = form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _password_page(request, found, 422, error="Hai lần nhập mật khẩu mới không khớp nhau.")
    try:
        _monitor(request).users.change_password(
            found.user.user_id, form.get("current_password", ""), new, keep_session=found.session.session_id
        )
    except InvalidInputError as exc:
        return _password_page(request, found, 422, error=exc.message)
    return _password_page(request, found, notice="Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất.")
