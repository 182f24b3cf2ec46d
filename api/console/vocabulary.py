"""The console's Vietnamese words for the service's codes: one home, so every page names a state alike.

The service keeps English codes (``acknowledged``, ``negative``); the console shows these labels. A code
with no label here is shown as it is, so a new state never breaks a page.
"""

from __future__ import annotations

from typing import Any

from monitor.access.keys import Role

ROLE_LABELS = {
    Role.ADMIN: "quản trị viên",
    Role.OFFICER: "cán bộ theo dõi",
    Role.RESEARCHER: "nhà nghiên cứu",
    Role.LIAISON: "liên lạc viên",
}

LABELS: dict[str, dict[str, str]] = {
    "role": {role.value: text for role, text in ROLE_LABELS.items()},
    "sentiment": {"negative": "Tiêu cực", "neutral": "Trung tính", "positive": "Tích cực"},
    "toxicity": {"clean": "Bình thường", "offensive": "Xúc phạm", "hate": "Thù ghét"},
    "alert_state": {"new": "Mới", "acknowledged": "Đã tiếp nhận", "resolved": "Đã xử lý"},
    "severity": {"low": "Thấp", "medium": "Trung bình", "high": "Cao", "critical": "Khẩn cấp"},
    "case_state": {
        "triage": "Phân loại",
        "verifying": "Đang xác minh",
        "responding": "Đang phản hồi",
        "resolved": "Đã xử lý",
        "closed": "Đã đóng",
        "dismissed": "Bỏ qua",
    },
    "priority": {"low": "Thấp", "normal": "Bình thường", "high": "Cao", "critical": "Khẩn cấp"},
    "platform": {
        "news": "Báo chí",
        "facebook": "Facebook",
        "youtube": "YouTube",
        "telegram": "Telegram",
        "forum": "Diễn đàn",
        "import": "Nhập từ tệp",
    },
    "sla_stage": {"verify": "Xác minh", "respond": "Phản hồi chính thức"},
    "rule_kind": {
        "watch": "Theo dõi từ khóa",
        "threshold": "Ngưỡng số bài",
        "spike": "Tăng đột biến",
        "negative_share": "Tỷ lệ tiêu cực",
        "misinformation": "Thông tin sai lệch",
        "trending_story": "Câu chuyện lan nhanh",
        "source_silence": "Nguồn ngừng đăng",
        "case_sla": "Vụ việc trễ hạn",
    },
    "rule_origin": {"file": "Tệp cấu hình", "api": "Tạo trên hệ thống"},
    "report_kind": {"daily": "Báo cáo ngày", "weekly": "Báo cáo tuần", "campaign": "Báo cáo chiến dịch"},
    "source_status": {"ok": "Hoạt động", "failing": "Đang lỗi", "degraded": "Lỗi một phần", "pending": "Chưa chạy"},
    # --- alerts ---
    "baseline": {"preceding": "các cửa sổ ngay trước", "same_hour": "cùng giờ các ngày trước"},
    "compare_days": {"all_days": "mọi ngày", "same_weekday": "cùng thứ trong tuần"},
    "delivery_state": {"pending": "Đang chờ gửi", "sent": "Đã gửi", "failed": "Gửi lỗi"},
    "attempt_outcome": {
        "sent": "Đã gửi",
        "retry": "Lỗi, sẽ thử lại",
        "failed": "Lỗi hẳn",
        "requeued": "Yêu cầu gửi lại",
    },
    "audit_action": {
        "create": "Tạo cảnh báo",
        "acknowledge": "Tiếp nhận",
        "resolve": "Đánh dấu đã xử lý",
        "reopen": "Mở lại (có tài liệu mới)",
        "comment": "Ghi chú",
        "escalate": "Báo lên cấp trên (quá hạn)",
    },
    "credibility": {
        "official": "Chính thức",
        "established": "Báo chí được cấp phép",
        "unknown": "Chưa đánh giá",
        "low": "Độ tin cậy thấp",
    },
    "claim_link": {"repeat": "Lặp lại nội dung sai", "correction": "Đưa tin đính chính"},
}

# Notices shown once after an action (``?done=<code>``): codes, never free text, so a link cannot make
# the console say something it did not.
NOTICES = {
    "signed-in": "Đã đăng nhập.",
    "password-changed": "Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất.",
    "acknowledged": "Đã tiếp nhận cảnh báo.",
    "resolved": "Đã đánh dấu cảnh báo là đã xử lý.",
    "commented": "Đã thêm ghi chú.",
    "silenced": "Đã tạm tắt các cảnh báo giống vậy.",
    "case-opened": "Đã mở vụ việc.",
    "case-updated": "Đã cập nhật vụ việc.",
    "claim-saved": "Đã ghi nhận nội dung sai sự thật.",
    "correction-saved": "Đã ghi nhận thông tin đính chính.",
    "claim-registered": "Đã đăng ký nội dung sai: các bài lặp lại sẽ được gắn vào vụ việc.",
    "shared": "Đã chia sẻ vụ việc.",
    "unshared": "Đã thôi chia sẻ vụ việc.",
    "evidence-attached": "Đã đính kèm bằng chứng.",
    "label-corrected": "Đã ghi nhận nhãn đúng; lần huấn luyện lại sau sẽ dùng nó.",
    "rule-saved": "Đã lưu quy tắc.",
    "rule-deleted": "Đã xoá quy tắc.",
    "deliveries-retried": "Đã gửi lại các lần gửi lỗi.",
    "user-disabled": "Đã khoá tài khoản; mọi phiên đăng nhập của nó đã kết thúc.",
}


def label(kind: str, value: Any) -> str:
    """The Vietnamese label of a code (an enum or its value) of the given ``kind``; the code if unknown."""
    code = str(getattr(value, "value", value))
    return LABELS.get(kind, {}).get(code, code)


def person_label(role: Role, agency: str | None) -> str:
    """``liên lạc viên – Công an tỉnh Đồng Nai``: the role, with the agency of a liaison."""
    text = ROLE_LABELS[role]
    return f"{text} – {agency}" if agency else text
