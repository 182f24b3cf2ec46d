"""Vietnamese labels and number formats shared by the human-readable exports."""

from __future__ import annotations

from monitor.cases import CasePriority, CaseState

STATE_VI = {
    CaseState.TRIAGE: "tiếp nhận",
    CaseState.VERIFYING: "đang xác minh",
    CaseState.RESPONDING: "đang phản hồi",
    CaseState.RESOLVED: "đã phản hồi",
    CaseState.CLOSED: "đã đóng",
    CaseState.DISMISSED: "không xử lý",
}
PRIORITY_VI = {
    CasePriority.LOW: "thấp",
    CasePriority.NORMAL: "bình thường",
    CasePriority.HIGH: "cao",
    CasePriority.CRITICAL: "khẩn cấp",
}


def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal and a decimal comma (Vietnamese), or '—'."""
    return "—" if seconds is None else f"{seconds / 3600:.1f}".replace(".", ",")


def yes_no(value: bool | None) -> str:
    """'có' / 'không', or '—' when not known yet (not verified or responded, or no service level)."""
    return "—" if value is None else ("có" if value else "không")
