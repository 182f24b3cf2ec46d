"""What the case pages show beside the case itself: deadlines in words, the timeline in sentences, form errors.

Presentation only: which stages still run and when they are due comes from
:func:`monitor.cases.sla.pending_deadlines` (the rule the overdue alerts use), the form fields are checked
by the API's own request models, and this module only says the results in Vietnamese.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from api.console import forms, vocabulary
from monitor.cases import Case, CasePriority, ServiceLevel, TimelineEvent, TimelineKind
from monitor.cases.sla import pending_deadlines

STAGE_LABELS = {"verify": "xác minh", "respond": "phản hồi chính thức"}

# The Vietnamese name of each form field the case pages post (for the messages of a refused form).
FIELD_LABELS = {
    "title": "Tiêu đề",
    "priority": "Mức ưu tiên",
    "claim": "Nội dung sai sự thật",
    "alert_id": "Mã cảnh báo",
    "doc_ids": "Mã bài viết",
    "to": "Chuyển sang",
    "note": "Ghi chú",
    "agency": "Cơ quan",
    "text": "Ghi chú",
    "keywords": "Cách diễn đạt khác",
    "doc_id": "Mã bài viết",
    "statement": "Nội dung đính chính",
    "url": "Đường dẫn bài đính chính",
    "issued_by": "Cơ quan đính chính",
    "issued_at": "Thời điểm đính chính",
    "purpose": "Mục đích",
    "english_summary": "Tóm tắt tiếng Anh",
    "reason": "Lý do xem",
    "key_id": "Người phụ trách",
}


def form_problem(exc: ValidationError) -> str:
    """A refused case form in words, naming its fields as the case pages label them."""
    return forms.form_problem(exc, FIELD_LABELS)


def duration(seconds: float) -> str:
    """``2 ngày 3 giờ``, ``3 giờ 20 phút``, ``15 phút``: the two largest units, as an officer says it."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "ngày"), (hours, "giờ"), (minutes, "phút")]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) if shown else "dưới 1 phút"


@dataclass(frozen=True)
class Deadline:
    """A stage still running: what it is, when it is due, and whether (and by how much) it is late."""

    stage: str
    due: datetime
    late: bool
    gap: str  # how long until it is due, or how long overdue


def deadlines(case: Case, levels: Mapping[CasePriority, ServiceLevel], now: datetime) -> list[Deadline]:
    """The case's running deadlines, earliest first (none once it is resolved, closed or dismissed)."""
    return [
        Deadline(STAGE_LABELS[stage.value], due, now > due, duration((now - due).total_seconds()))
        for stage, due in pending_deadlines(case, levels)
    ]


def _name(label: Any) -> str:
    # An actor's label is "name (key id)": the name is what a person reads.
    text = str(label or "")
    return text.rsplit(" (", 1)[0] if text.endswith(")") else text


def assignee_name(case: Case) -> str:
    """Who works the case, by name (the key id stays in the timeline's records), or "Chưa giao"."""
    return _name(case.assignee) if case.assignee else "Chưa giao"


def _state(value: Any) -> str:
    return vocabulary.label("case_state", value)


def _registered(detail: dict[str, Any]) -> str:
    stored = detail.get("stored_documents") or {}
    found = f" ({stored.get('repeats', 0)} bài lặp lại, {stored.get('corrections', 0)} bài đính chính đã có)"
    return "Đăng ký nội dung sai để theo dõi bài lặp lại" + (found if stored else "")


_SENTENCES: dict[TimelineKind, Callable[[TimelineEvent, dict[str, Any], Mapping[str, str]], str]] = {
    TimelineKind.OPEN: lambda e, d, a: (
        f"Mở vụ việc “{d.get('title', '')}”" + (" từ cảnh báo" if d.get("alert_id") else "")
    ),
    TimelineKind.TRANSITION: lambda e, d, a: (
        f"Chuyển trạng thái: {_state(e.from_state)} → {_state(e.to_state)}"
        + (f". Ghi chú: {d['note']}" if d.get("note") else "")
    ),
    TimelineKind.PRIORITY: lambda e, d, a: (
        f"Đổi mức ưu tiên: {vocabulary.label('priority', d.get('from'))} → {vocabulary.label('priority', d.get('to'))}"
    ),
    TimelineKind.ASSIGN: lambda e, d, a: f"Giao cho {_name(d['to'])}" if d.get("to") else "Bỏ giao việc",
    TimelineKind.SHARE: lambda e, d, a: f"Chia sẻ với {a.get(str(d.get('agency')), d.get('agency'))}",
    TimelineKind.UNSHARE: lambda e, d, a: f"Thôi chia sẻ với {a.get(str(d.get('agency')), d.get('agency'))}",
    TimelineKind.COMMENT: lambda e, d, a: f"Ghi chú: {d.get('text', '')}",
    TimelineKind.CLAIM: lambda e, d, a: f"Ghi nhận nội dung sai: {d.get('to', '')}",
    TimelineKind.CORRECTION: lambda e, d, a: (
        f"Ghi nhận đính chính của {d.get('issued_by', '')}: {d.get('statement', '')}"
    ),
    TimelineKind.REGISTER: lambda e, d, a: _registered(d),
    TimelineKind.WITHDRAW: lambda e, d, a: f"Ngừng theo dõi nội dung sai: {d.get('why', '')}",
    TimelineKind.EVIDENCE: lambda e, d, a: f"Đính kèm bằng chứng: bài {d.get('doc_id', '')}",
}


def event_text(event: TimelineEvent, agencies: Mapping[str, str]) -> str:
    """One timeline entry as a sentence (its time and who did it are shown beside it)."""
    sentence = _SENTENCES.get(event.kind)
    return sentence(event, event.detail or {}, agencies) if sentence else event.kind.value
