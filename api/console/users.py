"""People's accounts in the console (administrators): list, create, disable, reset a password.

The same functions as ``monitor users`` (:mod:`monitor.access.accounts`); a generated password is shown
once, on the page that answers the form (never in an address, never stored but as its hash), and the
audit log names the administrator who acted.
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.responses import HTMLResponse, Response

from api.console.web import Posted, Viewer, allow, monitor_of, redirect, render, router
from api.deps import actor
from api.sessions import SignedIn
from monitor.access.accounts import create_account, reset_account_password
from monitor.access.keys import Role
from monitor.access.roles import USER_MANAGE_ROLES
from monitor.errors import ConflictError, InvalidInputError

ROLE_CHOICES = (Role.OFFICER, Role.RESEARCHER, Role.LIAISON, Role.ADMIN)


def _list_page(request: Request, found: SignedIn, status_code: int = 200, **context: object) -> HTMLResponse:
    monitor = monitor_of(request)
    agencies = {agency_id: agency.name for agency_id, agency in monitor.cases.config.agencies.items()}
    users = sorted(monitor.users.all_users(), key=lambda user: (user.disabled_at is not None, user.username))
    return render(
        request,
        "users_list.html",
        found,
        status_code,
        section="users",
        users=users,
        agencies=agencies,
        roles=ROLE_CHOICES,
        values=context.pop("values", {}),
        min_length=monitor.settings.console.password_min_length,
        **context,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, found: Viewer) -> Response:
    """Every account, active first, with the form that creates one."""
    allow(found, USER_MANAGE_ROLES)
    return _list_page(request, found)


@router.post("/users", response_class=HTMLResponse)
def create_user(request: Request, found: Viewer, form: Posted) -> Response:
    """Create an account and show its generated password once."""
    key = allow(found, USER_MANAGE_ROLES)
    monitor = monitor_of(request)
    values = {name: form.get(name) for name in ("username", "display_name", "role", "agency")}
    try:
        role = Role(values["role"])
    except ValueError:
        return _list_page(request, found, 422, error="Hãy chọn vai trò của tài khoản.", values=values)
    agency = values["agency"] or None
    if role is not Role.LIAISON:
        agency = None  # only liaisons belong to an agency; a leftover choice in the form is ignored
    try:
        user, password = create_account(
            monitor.users,
            monitor.cases.config,
            values["username"],
            role,
            display_name=values["display_name"],
            agency=agency,
            by=actor(key),
        )
    except (InvalidInputError, ConflictError) as exc:
        return _list_page(request, found, 422, error=_account_error(exc), values=values)
    return render(
        request,
        "users_password.html",
        found,
        status.HTTP_201_CREATED,
        section="users",
        user=user,
        password=password,
        created=True,
    )


@router.post("/users/{username}/reset-password", response_class=HTMLResponse)
def reset_password(request: Request, username: str, found: Viewer, form: Posted) -> Response:
    """Give an account a new generated password (shown once); its sessions end."""
    key = allow(found, USER_MANAGE_ROLES)
    user, password = reset_account_password(monitor_of(request).users, username, by=actor(key))
    return render(request, "users_password.html", found, section="users", user=user, password=password, created=False)


@router.post("/users/{username}/disable", response_class=HTMLResponse)
def disable(request: Request, username: str, found: Viewer, form: Posted) -> Response:
    """Disable an account (its sessions end; its audit entries stay). Nobody disables their own."""
    key = allow(found, USER_MANAGE_ROLES)
    if username == found.user.username:
        refusal = "Không thể tự khoá tài khoản đang dùng; nhờ một quản trị viên khác."
        return _list_page(request, found, 422, error=refusal)
    monitor_of(request).users.disable(username, by=actor(key))
    return redirect("/console/users", done="user-disabled")


def _account_error(exc: InvalidInputError | ConflictError) -> str:
    if isinstance(exc, ConflictError):
        return "Tên đăng nhập này đã có người dùng; hãy chọn tên khác."
    field = {"username": "Tên đăng nhập", "agency": "Cơ quan", "password": "Mật khẩu"}.get(exc.parameter or "", "")
    return f"{field}: {exc.message}" if field else exc.message
