"""What every console page shares: who is signed in, role checks, CSRF on every form, rendering, errors.

Pages are rendered on the server (Jinja2) and work without JavaScript; a little of our own script adds
the live alert inbox. A console route is declared on :data:`router` like an API route and calls the same
service functions the API calls, with the signed-in person as the caller (:attr:`SignedIn.principal`),
so one rule decides for both. What the API answers with a JSON problem, the console answers with a page
in Vietnamese that says what went wrong and what to do.

The route class :class:`ConsoleRoute` is where the rules that must never be forgotten are enforced once:
every POST carries the session's CSRF token (checked before the handler runs), a request without a live
session goes to the sign-in page, and errors become pages.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from api.console import vocabulary
from api.console.reasons import reason_text
from api.sessions import CSRF_FIELD, SESSION_COOKIE, SignedIn, delete_cookie, signed_in
from monitor.access.keys import ApiKey, Role
from monitor.access.roles import (
    ALERT_ROLES,
    DOCUMENT_ROLES,
    REPORT_ROLES,
    RULE_READ_ROLES,
    SOURCE_ROLES,
    USER_MANAGE_ROLES,
)
from monitor.cases.access import SEE_ROLES
from monitor.context import Monitor
from monitor.errors import AuthError, ConflictError, ForbiddenError, InvalidInputError, MonitorError, NotFoundError

HERE = Path(__file__).resolve().parent
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
CSRF_PAGE_REFUSAL = "Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo). Hãy tải lại trang rồi thử lại."

templates = Jinja2Templates(directory=HERE / "templates")


@dataclass(frozen=True)
class Section:
    """One entry of the navigation bar: where it goes and who sees it."""

    key: str
    href: str
    label: str
    roles: tuple[Role, ...]


SECTIONS = (
    Section("overview", "/console/", "Tổng quan", DOCUMENT_ROLES),
    Section("alerts", "/console/alerts", "Cảnh báo", ALERT_ROLES),
    Section("search", "/console/search", "Tìm kiếm", DOCUMENT_ROLES),
    Section("cases", "/console/cases", "Vụ việc", SEE_ROLES),
    Section("sources", "/console/sources", "Nguồn tin", SOURCE_ROLES),
    Section("rules", "/console/rules", "Quy tắc", RULE_READ_ROLES),
    Section("reports", "/console/reports", "Báo cáo", REPORT_ROLES),
    Section("users", "/console/users", "Người dùng", USER_MANAGE_ROLES),
)


def sections_for(role: Role) -> list[Section]:
    """The sections a role may open, in the bar's order."""
    return [section for section in SECTIONS if role in section.roles]


def start_page(role: Role) -> str:
    """Where a person lands after signing in: the first section their role may open."""
    return sections_for(role)[0].href


# --- what a handler raises to end the request with a page ------------------------------------------------


class SignInNeededError(Exception):
    """No live session: go to the sign-in page (and come back here afterwards)."""


@dataclass
class PageError(Exception):
    """End the request with an error page: its status, a title and what to do."""

    status_code: int
    title: str
    message: str


# --- the signed-in person --------------------------------------------------------------------------------


def monitor_of(request: Request) -> Monitor:
    monitor: Monitor = request.app.state.monitor
    return monitor


def current(request: Request) -> SignedIn | None:
    """The live session of the request's cookie and its person, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return signed_in(monitor_of(request), token)
    except AuthError:
        return None


def viewer(request: Request) -> SignedIn:
    """The dependency of every signed-in page: the person, or a redirect to the sign-in page."""
    found = current(request)
    if found is None:
        raise SignInNeededError
    request.state.viewer = found
    return found


Viewer = Annotated[SignedIn, Depends(viewer)]


def allow(found: SignedIn, roles: Iterable[Role]) -> ApiKey:
    """The person as the API's caller, if their role is one of ``roles``; else a 403 page."""
    allowed = tuple(roles)
    if found.user.role not in allowed:
        names = ", ".join(vocabulary.ROLE_LABELS[role] for role in allowed)
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Không có quyền xem trang này",
            f"Vai trò {vocabulary.ROLE_LABELS[found.user.role]} không được làm việc này (dành cho: {names}). "
            "Nếu cần, hãy nhờ quản trị viên.",
        )
    return found.principal


# --- forms -----------------------------------------------------------------------------------------------


class Form:
    """A posted ``application/x-www-form-urlencoded`` form, read and CSRF-checked by :class:`ConsoleRoute`."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str = "") -> str:
        """The field's last value, stripped of surrounding white space ("" when absent)."""
        values = self._fields.get(name)
        return values[-1].strip() if values else default

    def raw(self, name: str) -> str:
        """The field's last value exactly as typed (passwords)."""
        values = self._fields.get(name)
        return values[-1] if values else ""

    def getlist(self, name: str) -> list[str]:
        """Every non-empty value of a repeated field (checkboxes, multi-selects)."""
        return [value.strip() for value in self._fields.get(name, []) if value.strip()]

    def __contains__(self, name: str) -> bool:
        return name in self._fields


def parse_form(body: bytes) -> Form:
    return Form(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def posted(request: Request) -> Form:
    """The dependency of a POST handler: the form :class:`ConsoleRoute` read and checked."""
    form: Form = request.state.form
    return form


Posted = Annotated[Form, Depends(posted)]


def same_secret(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest((expected or "").encode(), (given or "").encode())


def own_csrf(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a POST handler that checks its CSRF token itself (only the sign-in form, before any session)."""
    endpoint.__dict__["console_own_csrf"] = True
    return endpoint


class ConsoleRoute(APIRoute):
    """Every console route: CSRF checked on POST before the handler, errors and sign-in needs as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks_own = getattr(self.endpoint, "console_own_csrf", False)

        async def handle(request: Request) -> Response:
            try:
                if request.method == "POST":
                    request.state.form = parse_form(await request.body())
                    if not checks_own:
                        found = viewer(request)
                        if not found.session.csrf_matches(request.state.form.get(CSRF_FIELD)):
                            raise PageError(status.HTTP_403_FORBIDDEN, "Biểu mẫu bị từ chối", CSRF_PAGE_REFUSAL)
                return await handler(request)
            except SignInNeededError:
                return to_sign_in(request)
            except PageError as exc:
                return error_page(request, exc)
            except MonitorError as exc:
                return error_page(request, page_error_of(exc))
            except HTTPException as exc:
                return error_page(request, PageError(exc.status_code, "Không thực hiện được", str(exc.detail)))

        return handle


router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)


def page_error_of(exc: MonitorError) -> PageError:
    """The page for a service error: its message kept (it names the field or record at fault)."""
    if isinstance(exc, NotFoundError):
        return PageError(404, "Không tìm thấy", f"{exc.message}. Có thể nó đã bị xoá hoặc đường dẫn sai.")
    if isinstance(exc, ForbiddenError):
        return PageError(403, "Không có quyền", exc.message)
    if isinstance(exc, ConflictError):
        title = "Không thực hiện được lúc này"
        return PageError(409, title, f"{exc.message}. Hãy tải lại trang để xem trạng thái mới.")
    if isinstance(exc, InvalidInputError):
        return PageError(422, "Dữ liệu chưa hợp lệ", exc.message)
    if isinstance(exc, AuthError):
        return PageError(401, "Cần đăng nhập lại", exc.message)
    return PageError(500, "Lỗi của hệ thống", f"{exc.message}. Hãy thử lại; nếu vẫn lỗi, báo quản trị viên.")


# --- rendering -------------------------------------------------------------------------------------------


def render(request: Request, name: str, found: SignedIn | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``templates/``; signed-in pages get the person, their sections and the CSRF token."""
    base: dict[str, Any] = {"zone": monitor_of(request).settings.zone}
    if found is not None:
        base |= {
            "person": found.user,
            "csrf_token": found.session.csrf_token,
            "sections": sections_for(found.user.role),
            "role_label": vocabulary.person_label(found.user.role, _agency_name(request, found.user.agency)),
        }
    notice = request.query_params.get("done")
    if notice in vocabulary.NOTICES and "notice" not in context:
        base["notice"] = vocabulary.NOTICES[notice]
    return templates.TemplateResponse(request, name, base | context, status_code=status_code, headers=HEADERS)


def _agency_name(request: Request, agency: str | None) -> str | None:
    """An agency's name from cases.yaml (its id if the file no longer lists it)."""
    if agency is None:
        return None
    listed = monitor_of(request).cases.config.agencies.get(agency)
    return listed.name if listed is not None else agency


def error_page(request: Request, error: PageError) -> HTMLResponse:
    found: SignedIn | None = getattr(request.state, "viewer", None) or current(request)
    return render(request, "error.html", found, error.status_code, title=error.title, message=error.message)


def redirect(url: str, done: str | None = None, **query: str) -> RedirectResponse:
    """See-other to ``url`` (after a form); ``done`` names a notice of :data:`vocabulary.NOTICES` to show."""
    params = {name: value for name, value in query.items() if value}
    if done is not None:
        if done not in vocabulary.NOTICES:
            raise ValueError(f"unknown notice {done!r}: add it to api/console/vocabulary.py")
        params["done"] = done
    target = f"{url}?{urlencode(params)}" if params else url
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER, headers=HEADERS)


def to_sign_in(request: Request) -> RedirectResponse:
    """To the sign-in page, which sends the person back to this page (a GET) afterwards."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/console/sign-in"
    if request.method == "GET" and back.startswith("/console/") and back != "/console/":
        target += "?next=" + quote(back, safe="")
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER, headers=HEADERS)
    if request.cookies.get(SESSION_COOKIE):  # an ended session: forget its cookie
        delete_cookie(response, SESSION_COOKIE, monitor_of(request))
    return response


def safe_next(value: str | None) -> str | None:
    """A ``next=`` target only if it stays inside the console (never another site: no open redirect)."""
    if not value or not value.startswith("/console/") or value.startswith("//") or "\\" in value:
        return None
    return value


# --- times: officers read and type local time ------------------------------------------------------------


def local_time(moment: datetime | None, zone: tzinfo) -> str:
    """``02/12/2026 14:05``: a moment in the office's zone, as Vietnamese dates are written."""
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def local_day(moment: datetime | date | None, zone: tzinfo) -> str:
    if moment is None:
        return "—"
    day = moment.astimezone(zone).date() if isinstance(moment, datetime) else moment
    return day.strftime("%d/%m/%Y")


def day_start(field: str, value: str, zone: tzinfo, label: str) -> datetime | None:
    """The local midnight that starts the day typed in a date field (``YYYY-MM-DD``), or None if empty."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        message = f"Ô “{label}” ({field}): “{value}” không phải ngày (năm-tháng-ngày)."
        raise PageError(422, "Ngày không hợp lệ", message) from None
    return datetime.combine(day, time(0), zone)


def number(value: float | int | None) -> str:
    """``12.345`` as Vietnamese writes thousands; ``0,42`` for fractions."""
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _label(value: Any, kind: str) -> str:
    return vocabulary.label(kind, value)


def _options(values: Sequence[Any], kind: str) -> list[tuple[str, str]]:
    return [(getattr(value, "value", value), vocabulary.label(kind, value)) for value in values]


def _svg(markup: str) -> Markup:
    return Markup(markup)  # noqa: S704  (charts.py escapes every text it writes into the SVG)


@pass_context
def _local_time(context: Context, moment: datetime | None) -> str:
    return local_time(moment, context["zone"])


@pass_context
def _local_day(context: Context, moment: datetime | date | None) -> str:
    return local_day(moment, context["zone"])


# In templates: {{ alert.created_at|local_time }}, {{ count|number }}, {{ alert.state|label("alert_state") }}
templates.env.filters["local_time"] = _local_time
templates.env.filters["local_day"] = _local_day
templates.env.filters["number"] = number
templates.env.filters["reason_text"] = reason_text
templates.env.filters["percent"] = percent
templates.env.filters["label"] = _label
templates.env.globals["options"] = _options
templates.env.globals["svg"] = _svg
