"""The alert inbox: the alerts an officer works, filtered and paged, with acknowledge and resolve on each row.

The list is the API's list (``monitor.alerts.search`` with an :class:`AlertQuery`), read from a form of
filters whose dates are local days. New and changed alerts arrive without a reload: ``static/alerts.js``
listens to the API's own stream (``/alerts/stream``, which accepts the session cookie) and, on each event,
asks :func:`inbox_rows` for the same page again, so the rows it shows are chosen by the same search as
the page's and no filter is applied twice. Without script the page works the same, by reloading.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from api.console.forms import form_error, max_length
from api.console.web import PageError, Posted, Viewer, allow, day_start, monitor_of, redirect, render, router
from api.deps import actor
from api.routes.alerts import ResolveRequest
from api.sessions import SignedIn
from monitor.access.roles import ALERT_ACTION_ROLES, ALERT_ROLES
from monitor.alerting.types import Alert, AlertQuery, AlertSeverity, AlertState

PAGE_SIZE = 25
MAX_PAGE = 4000  # the API's largest offset (100 000) in pages of 25
MAX_TEXT = max_length(AlertQuery, "text") or 200  # checked here to say it in the page's own words
INBOX = "/console/alerts"
OPEN = "open"  # the state filter "not resolved yet": new and acknowledged
ALL = "all"
DAYS_REVERSED = "Ô “Đến ngày” đang ở trước ô “Sự việc từ ngày”: hãy đổi lại."
STATE_CHOICES = (OPEN, ALL, *(state.value for state in AlertState))


@dataclass(frozen=True)
class InboxFilter:
    """The inbox's filters as the form sends them (strings), checked; :meth:`query` turns them into a search."""

    rule: str = ""
    severity: str = ""
    state: str = OPEN
    since: str = ""  # first local day of the event (YYYY-MM-DD)
    until: str = ""  # last local day of the event, included
    text: str = ""
    silenced: bool = False
    page: int = 1

    @classmethod
    def read(cls, params: QueryParams) -> InboxFilter:
        """The filters of a request's query string; a 422 page naming the field for a value that is not one."""
        severity = params.get("severity", "").strip()
        if severity and severity not in {s.value for s in AlertSeverity}:
            raise PageError(422, "Bộ lọc không hợp lệ", f"Ô “Mức độ” (severity): “{severity}” không phải mức độ nào.")
        state = params.get("state", OPEN).strip() or OPEN
        if state not in STATE_CHOICES:
            raise PageError(422, "Bộ lọc không hợp lệ", f"Ô “Trạng thái” (state): “{state}” không phải trạng thái nào.")
        text = params.get("q", "").strip()
        if len(text) > MAX_TEXT:
            raise PageError(
                422, "Bộ lọc không hợp lệ", f"Ô “Có chữ” (q): tối đa {MAX_TEXT} ký tự; hãy rút gọn từ cần tìm."
            )
        raw_page = params.get("page", "1").strip() or "1"
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
            raise PageError(422, "Trang không hợp lệ", f"Tham số “page”: cần một số từ 1 đến {MAX_PAGE}.")
        return cls(
            rule=params.get("rule", "").strip(),
            severity=severity,
            state=state,
            since=params.get("since", "").strip(),
            until=params.get("until", "").strip(),
            text=text,
            silenced=params.get("silenced") in ("1", "on", "true"),
            page=int(raw_page),
        )

    def query(self, zone: tzinfo) -> AlertQuery:
        """The search the API's ``GET /alerts`` would run for these filters (event days in local time)."""
        since = day_start("since", self.since, zone, "Sự việc từ ngày")
        last_day = day_start("until", self.until, zone, "Đến ngày")
        if since is not None and last_day is not None and last_day < since:
            raise PageError(422, "Khoảng ngày không hợp lệ", DAYS_REVERSED)
        if self.state == OPEN:
            states: tuple[AlertState, ...] = (AlertState.NEW, AlertState.ACKNOWLEDGED)
        elif self.state == ALL:
            states = ()
        else:
            states = (AlertState(self.state),)
        return AlertQuery(
            states=states,
            severities=(AlertSeverity(self.severity),) if self.severity else (),
            rule_ids=(self.rule,) if self.rule else (),
            event_since=since,
            event_until=last_day + timedelta(days=1) if last_day else None,
            text=self.text or None,
            include_silenced=self.silenced,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (defaults left out), with ``changes`` applied."""
        chosen = replace(self, **changes)
        values = {
            "rule": chosen.rule,
            "severity": chosen.severity,
            "state": "" if chosen.state == OPEN else chosen.state,
            "since": chosen.since,
            "until": chosen.until,
            "q": chosen.text,
            "silenced": "1" if chosen.silenced else "",
            "page": "" if chosen.page == 1 else str(chosen.page),
        }
        return {name: value for name, value in values.items() if value}

    def url(self, path: str = INBOX, **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path


def rule_names(request: Request) -> dict[str, str]:
    """Rule id → the name officers know it by (a rule removed since keeps its id)."""
    return {rule.id: rule.label for rule in monitor_of(request).rules}


def _results(request: Request, found: SignedIn, filters: InboxFilter) -> dict[str, Any]:
    monitor = monitor_of(request)
    total, alerts = monitor.alerts.search(filters.query(monitor.settings.zone))
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "filters": filters,
        "alerts": alerts,
        "total": total,
        "pages": pages,
        "rule_names": rule_names(request),
        "can_act": found.user.role in ALERT_ACTION_ROLES,
        "back": filters.url(),
        "previous_url": filters.url(page=filters.page - 1) if filters.page > 1 else None,
        "next_url": filters.url(page=filters.page + 1) if filters.page < pages else None,
    }


@router.get("/alerts", response_class=HTMLResponse)
def inbox(request: Request, found: Viewer) -> Response:
    """The inbox: filters, the page of alerts, and the live indicator the script turns on."""
    allow(found, ALERT_ROLES)
    filters = InboxFilter.read(request.query_params)
    monitor = monitor_of(request)
    # The stream resumes after the last change this page shows: nothing between render and connect is lost.
    last_seq = monitor.alerts.last_seq()
    context = _results(request, found, filters)
    rules = sorted(context["rule_names"].items(), key=lambda item: item[1].casefold())
    return render(
        request,
        "alerts_inbox.html",
        found,
        section="alerts",
        rules=rules,
        severities=list(AlertSeverity),
        states=list(AlertState),
        last_seq=last_seq,
        rows_url=filters.url(INBOX + "/rows"),
        text_limit=MAX_TEXT,
        **context,
    )


@router.get("/alerts/rows", response_class=HTMLResponse)
def inbox_rows(request: Request, found: Viewer) -> Response:
    """The inbox's results alone (same filters, same search): what the live script swaps in."""
    allow(found, ALERT_ROLES)
    filters = InboxFilter.read(request.query_params)
    return render(request, "alerts_results.html", found, **_results(request, found, filters))


def back_to(form_value: str, fallback: str) -> str:
    """Where a form came from, if it is an alert page or the inbox (never another site); else ``fallback``."""
    parts = urlsplit(form_value)
    if parts.scheme or parts.netloc or not (parts.path == INBOX or parts.path.startswith(INBOX + "/")):
        return fallback
    return form_value


def redirect_back(target: str, done: str) -> Response:
    """See-other to ``target`` (its filters kept) with the notice ``done``."""
    parts = urlsplit(target)
    query = {name: value for name, value in parse_qsl(parts.query) if name != "done"}
    return redirect(parts.path, done=done, **query)


def alert_url(alert_id: str) -> str:
    return f"{INBOX}/{alert_id}"


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Acknowledge (as ``POST /alerts/{id}/acknowledge``), then back to the list or the alert."""
    key = allow(found, ALERT_ACTION_ROLES)
    alert: Alert = monitor_of(request).alerts.acknowledge(alert_id, by=actor(key))
    return redirect_back(back_to(form.get("back"), alert_url(alert.alert_id)), "acknowledged")


@router.post("/alerts/{alert_id}/resolve")
def resolve(request: Request, alert_id: str, found: Viewer, form: Posted) -> Response:
    """Resolve with an optional note (as ``POST /alerts/{id}/resolve``); a second resolve is the 409 page."""
    key = allow(found, ALERT_ACTION_ROLES)
    try:
        body = ResolveRequest(note=form.get("note") or None)
    except ValidationError as exc:
        raise form_error(exc, {"note": "Ghi chú khi xử lý"}) from None
    monitor_of(request).alerts.resolve(alert_id, by=actor(key), note=body.note)
    return redirect_back(back_to(form.get("back"), alert_url(alert_id)), "resolved")
