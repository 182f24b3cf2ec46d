"""Search: the Boolean query box with its help and its errors, filters, the results, charts, and the export.

The page is a GET form (a search is a link one can share); it builds the API's filter with the API's
rules (:func:`monitor.access.documents.search_filter`: researchers may not filter by author) and shows
the results through the caller's privacy view, as ``GET /documents`` does. The export is a POST form
(with the CSRF token) repeating the search, written by the API's export writer
(:mod:`monitor.analytics.search_export`).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import vocabulary
from api.console.query_help import SYNTAX, fault_of
from api.console.search_charts import search_charts
from api.console.search_form import PAGE_SIZE, SearchForm
from api.console.web import PageError, Posted, Viewer, allow, monitor_of, render, router
from api.routes.documents import export_headers
from monitor.access.documents import privacy_for, visible
from monitor.access.roles import DOCUMENT_EXPORT_ROLES, DOCUMENT_ROLES
from monitor.analysis import SentimentLabel
from monitor.analytics.metrics import topic_labels
from monitor.analytics.search_export import (
    CSV_MEDIA_TYPE,
    EXPORT_LIMIT,
    XLSX_MEDIA_TYPE,
    ExportFormat,
    export_filename,
    write_search_export,
)
from monitor.context import Monitor
from monitor.errors import ForbiddenError, InvalidInputError, QueryError
from monitor.records import Platform
from monitor.store.base import SearchRequest, SortOrder

EXCERPT_CHARS = 280


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a text, cut at a word, for a result line."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _choices(monitor: Monitor) -> dict[str, list[tuple[str, str]]]:
    """The filters' options: the configured sources and topics, the platforms and sentiments."""
    topics = topic_labels(monitor.settings.config_dir)
    return {
        "source": sorted(((s.spec.id, s.spec.label) for s in monitor.sources), key=lambda pair: pair[1].casefold()),
        "platform": [(p.value, vocabulary.label("platform", p.value)) for p in Platform],
        "sentiment": [(s.value, vocabulary.label("sentiment", s.value)) for s in SentimentLabel],
        "topic": sorted(topics.items(), key=lambda pair: pair[1].casefold()),
    }


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, found: Viewer) -> Response:
    """The search box, the filters, and (when there is a result) its charts and its first page."""
    key = allow(found, DOCUMENT_ROLES)
    monitor = monitor_of(request)
    params = request.query_params
    form = SearchForm.read(lambda name: (params.get(name) or "").strip(), params.getlist)
    choices = _choices(monitor)
    context: dict[str, Any] = {
        "form": form,
        "choices": choices,
        "syntax": SYNTAX,
        "can_export": found.user.role in DOCUMENT_EXPORT_ROLES,
        "export_limit": EXPORT_LIMIT,
        "researcher_view": privacy_for(key.role, request.app.state.pseudonymizer, monitor.store) is not None,
    }
    try:
        document_filter = form.document_filter(key, monitor.settings.timezone, monitor.settings.zone)
    except QueryError as exc:
        return render(request, "search.html", found, 400, section="search", fault=fault_of(exc), **context)
    except ForbiddenError:
        message = (
            "Nhà nghiên cứu không được lọc theo tác giả (author:): tên tác giả được thay bằng bí danh để bảo vệ "
            "quyền riêng tư. Hãy bỏ điều kiện author: khỏi truy vấn."
        )
        return render(request, "search.html", found, 403, section="search", error=message, **context)
    except InvalidInputError:
        message = "“Đến ngày” đang trước “Từ ngày”. Hãy sửa lại khoảng thời gian."
        return render(request, "search.html", found, 422, section="search", error=message, **context)
    offset = (form.page - 1) * PAGE_SIZE
    request_page = SearchRequest(filter=document_filter, limit=PAGE_SIZE, offset=offset, sort=SortOrder.NEWEST)
    page = monitor.store.search(request_page)
    policy = privacy_for(key.role, request.app.state.pseudonymizer, monitor.store)
    source_names = dict(choices["source"])
    topic_names = dict(choices["topic"])
    found_charts = (
        search_charts(monitor.store, document_filter, monitor.settings.zone, source_names, topic_names)
        if page.total
        else []
    )
    pages = max(1, -(-page.total // PAGE_SIZE))
    return render(
        request,
        "search.html",
        found,
        section="search",
        results=visible(page.items, policy),
        total=page.total,
        pages=pages,
        page_links={
            "previous": form.link(form.page - 1) if form.page > 1 else None,
            "next": form.link(form.page + 1) if form.page < pages and form.page * PAGE_SIZE < 100_000 else None,
        },
        charts=found_charts,
        source_names=source_names,
        topic_names=topic_names,
        excerpt=excerpt,
        **context,
    )


@router.post("/search/export")
def export_search(request: Request, found: Viewer, form: Posted) -> Response:
    """The search of the posted form as CSV or XLSX, written as ``GET /documents/export`` writes it."""
    key = allow(found, DOCUMENT_EXPORT_ROLES)
    monitor = monitor_of(request)
    search = SearchForm.read(form.get, form.getlist)
    try:
        file_format = ExportFormat(form.get("format"))
    except ValueError:
        raise PageError(422, "Định dạng không hợp lệ", "Hãy chọn CSV hoặc XLSX rồi bấm “Xuất” lại.") from None
    document_filter = search.document_filter(key, monitor.settings.timezone, monitor.settings.zone)
    out = io.BytesIO()
    policy = privacy_for(key.role, request.app.state.pseudonymizer, monitor.store)
    zone = monitor.settings.zone
    result = write_search_export(
        monitor.store, document_filter, out, file_format=file_format, privacy=policy, zone=zone, limit=EXPORT_LIMIT
    )
    name = export_filename(file_format, datetime.now(UTC), zone)
    media = CSV_MEDIA_TYPE if file_format is ExportFormat.CSV else XLSX_MEDIA_TYPE
    return Response(out.getvalue(), media_type=media, headers=export_headers(result, name))
