"""Cases in the console: the board by state with deadlines and breaches, opening a case, and the case page.

Everything goes through the API's case service and rules: :func:`visible_case` and :func:`agency_scope`
decide what a liaison sees (only the cases shared with their agency; another agency's case answers the
same 404 page as an unknown one), the API's request models check the forms, and the actions
(:mod:`api.console.case_actions`) and exports (:mod:`api.console.case_exports`) call the functions the
API routes call. A liaison sees cases read-only and is never shown an action they may not take.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.console.case_views import assignee_name, deadlines, event_text, form_problem
from api.console.charts import Series, columns
from api.console.web import PageError, Posted, Viewer, allow, monitor_of, redirect, render, router, templates
from api.deps import actor
from api.routes.cases import get_cases
from api.sessions import SignedIn
from monitor.access.keys import ApiKey
from monitor.cases import TRANSITIONS, Case, CaseOpen, CasePriority, CaseQuery, Cases, CaseState
from monitor.cases.access import EXPORT_ROLES, REGISTER_ROLES, SEE_ROLES, WORK_ROLES, agency_scope, visible_case
from monitor.cases.assignees import assignable

templates.env.filters["assignee_name"] = assignee_name

BOARD_STATES = (CaseState.TRIAGE, CaseState.VERIFYING, CaseState.RESPONDING, CaseState.RESOLVED)
FINAL_STATES = (CaseState.CLOSED, CaseState.DISMISSED)
COLUMN_LIMIT = 100  # cards per column; the column says how many more there are


def cases_of(request: Request) -> Cases:
    """The case service the API uses (the app's, built once)."""
    return get_cases(request, monitor_of(request))


def can(found: SignedIn, roles: tuple[Any, ...]) -> bool:
    return found.user.role in roles


def people(request: Request, found: SignedIn) -> list[ApiKey]:
    """Who a case may be assigned to (only for those who work cases: a liaison never sees the staff list)."""
    if not can(found, WORK_ROLES):
        return []
    monitor = monitor_of(request)
    return assignable(monitor.keys, monitor.users)


@dataclass(frozen=True)
class Column:
    state: CaseState
    total: int
    cards: list[Case]


def _priorities(values: list[str]) -> tuple[CasePriority, ...]:
    try:
        return tuple(CasePriority(value) for value in values)
    except ValueError:
        known = ", ".join(p.value for p in CasePriority)
        raise PageError(422, "Bộ lọc không hợp lệ", f"Mức ưu tiên phải là một trong: {known}.") from None


@router.get("/cases", response_class=HTMLResponse)
def board(request: Request, found: Viewer) -> Response:
    """The board: a column per state being worked, closed and dismissed folded below; filters."""
    return board_page(request, found)


def board_page(request: Request, found: SignedIn, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The board (also re-shown by a refused register export, with its ``error``)."""
    key = allow(found, SEE_ROLES)
    cases = cases_of(request)
    own = agency_scope(key, cases.config)  # a liaison: only the cases shared with their agency
    priorities = _priorities([p for p in request.query_params.getlist("priority") if p])
    assignee = (request.query_params.get("assignee") or "").strip()[:64] if can(found, WORK_ROLES) else ""

    def column(state: CaseState) -> Column:
        query = CaseQuery(
            states=(state,), priorities=priorities, assignee_id=assignee or None, agency=own, limit=COLUMN_LIMIT
        )
        total, items = cases.store.search(query)
        return Column(state, total, items)

    now = cases.store.clock()
    columns_ = [column(state) for state in BOARD_STATES]
    finals = [column(state) for state in FINAL_STATES]
    shown = [case for c in columns_ for case in c.cards]
    due = {case.case_id: deadlines(case, cases.config.service_levels, now) for case in shown}
    late = [(case, due[case.case_id][0]) for case in shown if due[case.case_id] and due[case.case_id][0].late]
    return render(
        request,
        "cases_board.html",
        found,
        status_code,
        section="cases",
        columns=columns_,
        finals=finals,
        deadlines=due,
        late=sorted(late, key=lambda item: item[1].due),
        agencies={agency_id: a.name for agency_id, a in cases.config.agencies.items()},
        people=people(request, found),
        chosen_priorities=[p.value for p in priorities],
        chosen_assignee=assignee,
        priorities=list(CasePriority),
        any_case=any(c.total for c in [*columns_, *finals]),
        filtered=bool(priorities or assignee),
        own_agency=own,
        can_work=can(found, WORK_ROLES),
        can_register=can(found, REGISTER_ROLES),
        **extra,
    )


@router.post("/cases", response_class=HTMLResponse)
def open_case(request: Request, found: Viewer, form: Posted) -> Response:
    """Open a case from documents (ids, one per line) and/or an alert; then go to the case's page."""
    key = allow(found, WORK_ROLES)
    doc_ids = [line.strip() for value in form.getlist("doc_ids") for line in value.splitlines() if line.strip()]
    fields: dict[str, Any] = {
        "title": form.get("title"),
        "priority": form.get("priority") or CasePriority.NORMAL.value,
        "claim": form.get("claim") or None,
        "alert_id": form.get("alert_id") or None,
        "doc_ids": tuple(doc_ids),
    }
    try:
        spec = CaseOpen.model_validate(fields)
    except ValidationError as exc:
        raise PageError(422, "Chưa mở được vụ việc", form_problem(exc)) from None
    if spec.alert_id is None and not spec.doc_ids:
        message = "Một vụ việc mở từ một cảnh báo hoặc từ các bài viết: hãy điền mã cảnh báo hoặc mã bài viết."
        raise PageError(422, "Chưa mở được vụ việc", message)
    case, _ = cases_of(request).open_case(spec, actor(key))
    return redirect(f"/console/cases/{case.case_id}", done="case-opened")


def case_page(request: Request, found: SignedIn, case_id: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The case page (also re-shown by a refused form, with its ``error``, and after verifying evidence)."""
    key = allow(found, SEE_ROLES)
    cases = cases_of(request)
    case = visible_case(cases.store, cases.config, key, case_id)  # another agency's case: 404 as unknown
    monitor = monitor_of(request)
    zone = monitor.settings.zone
    agencies = {agency_id: a.name for agency_id, a in cases.config.agencies.items()}
    spread = cases.claims.spread(case_id, zone) if cases.claims is not None else None
    registered = cases.claims.registered(case_id) if cases.claims is not None else None
    chart = None
    if spread is not None and spread.days:
        chart = columns(
            "Lan truyền: bài lặp lại nội dung sai và bài đính chính theo ngày",
            [day.day.strftime("%d/%m") for day in spread.days],
            [
                Series("Lặp lại nội dung sai", [day.repeats for day in spread.days], "repeat"),
                Series("Đính chính", [day.corrections for day in spread.days], "correction"),
            ],
        )
    now = cases.store.clock()
    return render(
        request,
        "case_page.html",
        found,
        status_code,
        section="cases",
        case=case,
        moves=[state for state in CaseState if state in TRANSITIONS[case.state]],  # forward first, dismiss last
        deadlines=deadlines(case, cases.config.service_levels, now),
        service=cases.service_record(case_id),
        timeline=[(event, event_text(event, agencies)) for event in cases.store.timeline(case_id)],
        comments=cases.store.comments(case_id),
        evidence=cases.evidence.attached(case_id),
        spread=spread,
        chart=chart,
        registered=registered,
        agencies=agencies,
        unshared=[(a, name) for a, name in agencies.items() if a not in case.agencies],
        people=people(request, found),
        priorities=list(CasePriority),
        can_work=can(found, WORK_ROLES),
        can_export=can(found, EXPORT_ROLES),
        **extra,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(request: Request, found: Viewer, case_id: str) -> Response:
    """One case: its state and deadlines, claim and correction, spread, evidence, sharing, exports."""
    return case_page(request, found, case_id)
