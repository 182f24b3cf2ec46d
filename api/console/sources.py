"""The sources page: every configured source with its crawl health, failing ones first (as ``GET /sources``)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console.web import Viewer, allow, monitor_of, render, router
from monitor.access.roles import SOURCE_ROLES
from monitor.ingestion.source_views import failing_first, source_views


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, found: Viewer) -> Response:
    """The sources' health table (the same views as the API's ``GET /sources``)."""
    allow(found, SOURCE_ROLES)
    views = failing_first(source_views(monitor_of(request)))
    failing = sum(1 for view in views if view.status == "failing")
    return render(request, "sources_list.html", found, section="sources", views=views, failing=failing)
