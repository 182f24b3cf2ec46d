"""Add the console to the application: its pages, its static files, and ``/`` leading to it."""

from __future__ import annotations

from fastapi import FastAPI, status
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

# Each page module adds its routes to the console's router when imported.
from api.console import documents, overview, pages, search  # noqa: F401
from api.console.web import HERE, router


def mount_console(app: FastAPI) -> None:
    """Serve the console under ``/console/`` (``/`` redirects there: it is what a person opens)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status.HTTP_307_TEMPORARY_REDIRECT)
