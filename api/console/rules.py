"""The rules pages: the list, and an editor that validates a rule and backtests it before saving.

A rule is typed as YAML in a text area (prefilled with an example of its kind, or the rule being edited),
exactly as in ``configs/rules/*.yaml``. "Chạy thử" reads and checks it (:func:`parse_rule_text`, the
API's validation, every field at fault named with its line) and shows what it would have fired in the 30
days up to the chosen day (:func:`dry_run`, as ``monitor rules test``); "Lưu" saves it through
:func:`save_rule`, as ``POST``/``PUT /rules``. Rules from the files are read-only here, as in the API.
"""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import forms
from api.console.days import chosen_day
from api.console.rule_examples import EXAMPLES
from api.console.web import PageError, Posted, Viewer, allow, monitor_of, redirect, render, router
from api.deps import actor
from api.sessions import SignedIn
from monitor.access.roles import RULE_MANAGE_ROLES, RULE_READ_ROLES
from monitor.errors import ConflictError, InvalidInputError, NotFoundError
from monitor.rules.drafts import (
    BACKTEST_DAYS,
    RuleTextError,
    RuleWarning,
    days_ending,
    delete_rule,
    dry_run,
    origin_of,
    parse_rule_text,
    rule_warnings,
    save_rule,
)
from monitor.rules.specs import RuleSpec

CANDIDATES_SHOWN = 5
# What a rule's own refusals mean in Vietnamese; the common kinds are said by api/console/forms.py.
ERROR_WORDS = {
    "missing": "thiếu trường bắt buộc này",
    "extra_forbidden": "không có trường này (kiểm tra chính tả; trường lạ bị từ chối)",
    "empty": "quy tắc đang trống: hãy viết các trường (type, id, ...)",
    "mapping": "cần đúng một quy tắc: các dòng “trường: giá trị” (type, id, ...)",
}
WARNING_WORDS = {
    RuleWarning.ID_TAKEN: "Đã có quy tắc mang mã “{id}”: lưu sẽ bị từ chối. Hãy đổi “id”.",
    RuleWarning.DISABLED: "Quy tắc đang tắt (enabled: false): lưu xong nó sẽ không kích hoạt.",
}


def rule_text(rule: RuleSpec) -> str:
    """A rule as YAML for the editor: its type and id first, then only the fields that differ from the defaults."""
    fields = rule.model_dump(mode="json", exclude_defaults=True)
    ordered = {"type": rule.type, "id": rule.id, **fields}
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100)


def _find(request: Request, rule_id: str) -> RuleSpec:
    engine = monitor_of(request).engine
    engine.refresh()
    for rule in engine.all_rules:
        if rule.id == rule_id:
            return rule
    raise NotFoundError(f"Không có quy tắc “{rule_id}”")


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, found: Viewer) -> Response:
    """Every rule, from the files then those created here, with who may change what."""
    allow(found, RULE_READ_ROLES)
    engine = monitor_of(request).engine
    engine.refresh()
    rules = [(rule, origin_of(engine, rule)) for rule in engine.all_rules]
    can_manage = found.user.role in RULE_MANAGE_ROLES
    return render(
        request, "rules_list.html", found, section="rules", rules=rules, can_manage=can_manage, kinds=list(EXAMPLES)
    )


def _editor(
    request: Request, found: SignedIn, text: str, *, replacing: str = "", status_code: int = 200, **context: Any
) -> HTMLResponse:
    zone = monitor_of(request).settings.zone
    day = context.pop("day", None) or chosen_day(request.query_params.get("day"), zone)
    return render(
        request,
        "rules_edit.html",
        found,
        status_code,
        section="rules",
        text=text,
        replacing=replacing,
        day=day,
        day_value=day.isoformat(),
        days=BACKTEST_DAYS,
        kinds=list(EXAMPLES),
        **context,
    )


@router.get("/rules/new", response_class=HTMLResponse)
def new_rule(request: Request, found: Viewer, kind: str = "watch") -> Response:
    """The editor with an example of the chosen kind."""
    allow(found, RULE_MANAGE_ROLES)
    if kind not in EXAMPLES:
        known = ", ".join(EXAMPLES)
        raise PageError(422, "Loại quy tắc không có", f"Không có loại quy tắc “{kind}”. Hãy chọn một trong: {known}.")
    return _editor(request, found, EXAMPLES[kind], kind=kind)


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, found: Viewer, rule_id: str) -> Response:
    """A rule: the editor for an administrator and a rule created here; read-only otherwise."""
    allow(found, RULE_READ_ROLES)
    rule = _find(request, rule_id)
    origin = origin_of(monitor_of(request).engine, rule)
    if origin == "api" and found.user.role in RULE_MANAGE_ROLES:
        return _editor(request, found, rule_text(rule), replacing=rule.id)
    return render(request, "rules_view.html", found, section="rules", rule=rule, origin=origin, text=rule_text(rule))


@router.post("/rules/editor", response_class=HTMLResponse)
def edit_rule(request: Request, found: Viewer, form: Posted) -> Response:
    """ "Chạy thử" (check and backtest) or "Lưu" (check and save) the typed rule."""
    key = allow(found, RULE_MANAGE_ROLES)
    monitor = monitor_of(request)
    text, replacing = form.raw("rule"), form.get("replacing")
    day = chosen_day(form.get("day"), monitor.settings.zone, label="Ngày cuối của 30 ngày chạy thử")
    keep: dict[str, Any] = {"text": text, "replacing": replacing, "day": day}
    try:
        rule = parse_rule_text(text)
    except RuleTextError as exc:
        errors = [
            (
                e.field,
                None if e.kind == "missing" else e.line,
                ERROR_WORDS.get(e.kind) or forms.reason(e.kind, e.message, e.limits),
            )
            for e in exc.errors
        ]
        return _editor(request, found, status_code=422, field_errors=errors, **keep)
    warnings = [
        WARNING_WORDS[w].format(id=rule.id)
        for w in rule_warnings(rule, monitor.engine.all_rules, replacing=replacing or None)
    ]
    if form.get("action") == "save":
        try:
            save_rule(monitor.engine, rule, actor(key), replacing=replacing or None)
        except (InvalidInputError, ConflictError, NotFoundError) as exc:
            message = f"Chưa lưu được: {exc.message}. Hãy sửa rồi lưu lại."
            return _editor(request, found, status_code=422, error=message, warnings=warnings, kind=rule.type, **keep)
        return redirect("/console/rules", done="rule-saved")
    period = days_ending(day, BACKTEST_DAYS, monitor.settings.zone)
    candidates = dry_run(monitor, rule, period.since, period.until)
    return _editor(
        request,
        found,
        rule=rule,
        kind=rule.type,
        warnings=warnings,
        candidates=candidates[:CANDIDATES_SHOWN],
        fired=len(candidates),
        period=period,
        **keep,
    )


@router.post("/rules/{rule_id}/delete", response_class=HTMLResponse)
def remove_rule(request: Request, found: Viewer, rule_id: str) -> Response:
    """Delete a rule created here (a file rule: a page saying to change the file)."""
    key = allow(found, RULE_MANAGE_ROLES)
    delete_rule(monitor_of(request).engine, rule_id, actor(key))
    return redirect("/console/rules", done="rule-deleted")
