"""Add the console to the application: its pages, its static files, and ``/`` leading to it."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, status
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

# Each page module adds its routes to the console's router when imported.
from api.console import (  # noqa: F401
    alert_page,
    alerts,
    case_actions,
    case_exports,
    cases,
    documents,
    overview,
    pages,
    reports,
    rules,
    search,
    sources,
    users,
)
from api.console.web import HERE, ConsoleRoute, PageError, Viewer, router

# Added after every page: a console address that matches none is a page saying so, not a JSON answer.
unknown = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)


@unknown.get("/{rest:path}")
def no_such_page(rest: str, found: Viewer) -> None:
    raise PageError(
        status.HTTP_404_NOT_FOUND, "Không có trang này", f"Địa chỉ /console/{rest} không dẫn tới trang nào."
    )


def mount_console(app: FastAPI) -> None:
    """Serve the console under ``/console/`` (``/`` redirects there: it is what a person opens)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.include_router(unknown)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status.HTTP_307_TEMPORARY_REDIRECT)
