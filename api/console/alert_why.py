"""Why an alert fired, in an officer's words: its rule, and the numbers of its details (window, threshold,
baseline...), each with a Vietnamese label and times in local time.

The details are read with the model of the alert's rule type, as the API reads them
(:func:`api.schemas.alerts.typed_details`); a field with no label here is still shown, under its name,
so a new rule type's numbers are never hidden (DESIGN.md: explain every number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from api.console import vocabulary
from api.console.reasons import reason_text
from api.console.web import local_time, number, percent
from api.schemas.alerts import typed_details
from monitor.alerting.details import AlertDetails
from monitor.alerting.types import Alert
from monitor.analysis import Reason
from monitor.rules.specs import RuleSpec

UNITS = {"s": "giây", "m": "phút", "h": "giờ", "d": "ngày", "w": "tuần"}
# Details too long for a fact line; shown elsewhere (documents, reasons) or not useful to an officer.
SHOWN_ELSEWHERE = frozenset({"matches", "reasons", "model", "top_doc_id", "health", "daily_counts", "conditions"})


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Why:
    """What the alert page says under "Vì sao có cảnh báo này"."""

    rule_id: str
    rule_name: str
    rule_type: str
    description: str
    rule_missing: bool
    facts: list[Fact]
    reasons: list[Fact]  # a misinformation score's reasons, strongest first


def duration(text: str) -> str:
    """``6h`` → ``6 giờ``; ``1d12h`` → ``1 ngày 12 giờ`` (as the rule files write lengths)."""
    parts, digits = [], ""
    for char in text:
        if char.isdigit():
            digits += char
        elif char in UNITS and digits:
            parts.append(f"{digits} {UNITS[char]}")
            digits = ""
        else:
            return text
    return " ".join(parts) if parts and not digits else text


def _moment(zone: tzinfo) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        try:
            return local_time(datetime.fromisoformat(str(value)), zone)
        except ValueError:
            return str(value)

    return show


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) or "—"
    return str(value)


def _labelled(kind: str) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(vocabulary.label(kind, item) for item in values) or "—"

    return show


def _share(value: Any) -> str:
    return percent(float(value))


def _ratio(value: Any) -> str:
    return f"gấp {number(float(value))} lần"


def _evidence(value: Any) -> str:
    if isinstance(value, Mapping):
        return "đạt bậc " + _plain(value)
    return "mức mặc định của quy tắc"


# Field → (label, how to show it). Order here is the order on the page.
FIELDS: dict[str, tuple[str, Callable[[Any], str] | None]] = {
    "window": ("Cửa sổ thời gian", lambda v: duration(str(v))),
    "group_window": ("Gom các bài trong", lambda v: duration(str(v))),
    "count": ("Số tài liệu trong cửa sổ", None),
    "min_count": ("Ngưỡng tối thiểu (số tài liệu)", None),
    "factor": ("Hệ số vượt mức nền", None),
    "ratio": ("So với mức nền", _ratio),
    "baseline": ("Cách tính mức nền", _labelled("baseline")),
    "compare": ("So với các ngày", _labelled("compare_days")),
    "baseline_mean": ("Mức nền (trung bình mỗi cửa sổ)", None),
    "baseline_windows": ("Số cửa sổ của mức nền", None),
    "baseline_total": ("Tổng tài liệu trong mức nền", None),
    "holiday_windows_skipped": ("Số cửa sổ ngày lễ bỏ qua", None),
    "holidays_skipped": ("Ngày lễ bỏ qua khi tính mức nền", None),
    "holiday": ("Cửa sổ rơi vào ngày lễ", None),
    "total": ("Tổng số tài liệu", None),
    "negative": ("Số tài liệu tiêu cực", None),
    "share": ("Tỷ lệ tiêu cực", _share),
    "min_share": ("Ngưỡng tỷ lệ tiêu cực", _share),
    "threshold": ("Ngưỡng điểm sai lệch", None),
    "max_score": ("Điểm sai lệch cao nhất", None),
    "claim_id": ("Tin sai đã đăng ký", None),
    "case_id": ("Vụ việc", None),
    "documents": ("Số tài liệu", None),
    "outlets": ("Kênh đăng", None),
    "sources": ("Nguồn", None),
    "authors": ("Số tác giả khác nhau", None),
    "engagement": ("Tương tác (thích, bình luận, chia sẻ)", None),
    "severity_because": ("Mức độ vì", _evidence),
    "query": ("Truy vấn", None),
    "matched_terms": ("Cụm từ khớp", None),
    "story_id": ("Câu chuyện", None),
    "new_members": ("Bài mới của câu chuyện", None),
    "story_size": ("Tổng bài của câu chuyện", None),
    "min_new_members": ("Ngưỡng bài mới", None),
    "min_sources": ("Ngưỡng số nguồn", None),
    "source_id": ("Nguồn tin", None),
    "gap": ("Khoảng im lặng cho phép", lambda v: duration(str(v))),
    "alert_after": ("Cảnh báo sau", lambda v: duration(str(v))),
    "baseline_days": ("Số ngày của mức nền", None),
    "median_daily": ("Trung vị bài mỗi ngày", None),
    "min_daily": ("Ngưỡng bài mỗi ngày", None),
    "stage": ("Bước trễ hạn", None),
    "priority": ("Độ ưu tiên", _labelled("priority")),
    "state": ("Trạng thái vụ việc", _labelled("case_state")),
    "overdue_seconds": ("Trễ (giây)", None),
    "assignee": ("Người phụ trách", None),
}
TIMES = {
    "window_start": "Cửa sổ bắt đầu",
    "window_end": "Cửa sổ kết thúc",
    "baseline_from": "Mức nền tính từ",
    "first_published": "Bài đầu tiên",
    "last_published": "Bài cuối cùng",
    "silent_since": "Im lặng từ",
    "deadline": "Hạn",
}
FILTER_FIELDS = {
    "query": ("Truy vấn", None),
    "sources": ("Chỉ các nguồn", None),
    "platforms": ("Chỉ các nền tảng", _labelled("platform")),
    "sentiments": ("Chỉ sắc thái", _labelled("sentiment")),
    "topics": ("Chỉ chủ đề", None),
}


def _facts(details: Mapping[str, Any], zone: tzinfo) -> list[Fact]:
    facts: list[Fact] = []
    show_time = _moment(zone)
    for name, value in details.items():
        if value is None or value == [] or name in SHOWN_ELSEWHERE or name in FIELDS or name == "filter":
            continue
        if name in TIMES:
            facts.append(Fact(TIMES[name], show_time(value)))
        else:
            facts.append(Fact(name, _plain(value)))  # a field this page has no words for yet
    for name, (label, show) in FIELDS.items():
        value = details.get(name)
        if value is None or value in ([], {}):
            continue
        facts.append(Fact(label, (show or _plain)(value)))
    selection = details.get("filter")
    if isinstance(selection, Mapping):
        for name, (label, show) in FILTER_FIELDS.items():
            value = selection.get(name)
            if value:
                facts.append(Fact(label, (show or _plain)(value)))
    return facts


def _reasons(details: Mapping[str, Any]) -> list[Fact]:
    found = details.get("reasons")
    if not isinstance(found, list):
        return []
    reasons = [Reason.model_validate(item) for item in found if isinstance(item, Mapping)]
    reasons.sort(key=lambda reason: -reason.weight)
    return [Fact(number(reason.weight), reason_text(reason)) for reason in reasons]


def explain(alert: Alert, rule: RuleSpec | None, zone: tzinfo) -> Why:
    """The alert's rule and the numbers that made it fire, as the alert page shows them."""
    typed = typed_details(alert.rule_type, alert.details)
    details = typed.as_json() if isinstance(typed, AlertDetails) else typed
    return Why(
        rule_id=alert.rule_id,
        rule_name=rule.label if rule is not None else alert.rule_id,
        rule_type=vocabulary.label("rule_kind", alert.rule_type),
        description=rule.description if rule is not None else "",
        rule_missing=rule is None,
        facts=_facts(details, zone),
        reasons=_reasons(details),
    )
