"""The console's start page: the day at a glance."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Viewer, redirect, render, router, start_page
from monitor.access.roles import DOCUMENT_ROLES


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, found: Viewer) -> Response:
    """The overview for the roles that read documents; a liaison goes to their cases."""
    if found.user.role not in DOCUMENT_ROLES:
        return redirect(start_page(found.user.role))
    return render(request, "overview.html", found, section="overview")
