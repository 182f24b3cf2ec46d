"""The search box's help and its errors in Vietnamese: the syntax of :mod:`monitor.query` with examples,
and a parse error shown as the query with a caret under the character at fault."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import QueryError

# (what to type, what it finds): the help panel beside the search box, one line per rule of monitor.query.
SYNTAX: tuple[tuple[str, str], ...] = (
    ("nước sạch", "bài có cả hai từ (không phân biệt dấu: “nuoc sach” cũng tìm được)"),
    ('"Thiện Tân"', "đúng cụm từ theo thứ tự"),
    ("ngập OR lũ", "bài có ít nhất một trong hai từ"),
    ("nước AND NOT máy", "có “nước” nhưng không có “máy” (viết -máy cũng được)"),
    ('(ngập OR lũ) AND "Biên Hòa"', "dùng ngoặc để nhóm điều kiện"),
    ("=hồ", "đúng dấu như đã gõ: tìm “hồ”, không tìm “hổ”"),
    ("source:sample-baodongnai", "chỉ bài của một nguồn (mã nguồn, xem trang Nguồn tin)"),
    ("platform:facebook", "nền tảng: news, facebook, youtube, telegram, forum, import"),
    ("topic:environment_disasters", "bài thuộc một chủ đề (mã chủ đề trong configs/topics.yaml)"),
    ("sentiment:negative", "sắc thái: negative, neutral, positive"),
    ('author:"Trần Thị B"', "bài của một tác giả (nhà nghiên cứu không dùng được)"),
    ("since:2026-11-01 until:2026-11-03", "đăng từ ngày … đến trước ngày … (giờ Việt Nam)"),
)

# The parser's messages (monitor.query, monitor.query_lexer) in Vietnamese; the value quoted is kept.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"^unterminated quoted phrase$", "Thiếu dấu ngoặc kép đóng cụm từ."),
        (r"^missing '\)' for the '\(' here$", "Thiếu dấu “)” đóng cho dấu “(” này."),
        (r"^unexpected '(.*)'$", "Không đúng chỗ: “{0}”."),
        (r"^expected a word, a phrase or '\(' but the query ended$", "Truy vấn kết thúc khi còn thiếu một từ sau đó."),
        (r"^expected a word, a phrase or '\(' but found '(.*)'$", "Cần một từ, một cụm từ hoặc “(” nhưng gặp “{0}”."),
        (r"^'(.*)' has no letters or digits to search for$", "“{0}” không có chữ hay số nào để tìm."),
        (r"^'(.*):' needs a value$", "Trường “{0}:” cần một giá trị ngay sau dấu hai chấm."),
        (r"^unknown field '(.*?)'", "Không có trường “{0}”. Nếu muốn tìm chữ này, hãy đặt trong ngoặc kép."),
        (r"^field '(.*?)' has no value '(.*?)' \(accepted: (.*)\)$", "Trường “{0}” không nhận “{1}” (dùng: {2})."),
        (r"^'(.*)' is not a date or time", "“{0}” không phải ngày giờ (viết 2026-10-20 hoặc 2026-10-20T18:00+07:00)."),
        (r"^'(.*)' is outside the dates", "“{0}” nằm ngoài khoảng ngày tìm được."),
        (r"^the query is longer than (\d+) characters$", "Truy vấn dài quá {0} ký tự."),
        (r"^more than (\d+) levels of nested parentheses$", "Lồng ngoặc quá {0} tầng."),
        (r"^more than (\d+) words, phrases and filters$", "Quá {0} từ, cụm từ và bộ lọc trong một truy vấn."),
        (r"^empty query$", "Truy vấn trống."),
    )
)

WINDOW = 60  # characters shown each side of the fault: a long query is never echoed whole


@dataclass(frozen=True)
class QueryFault:
    """A parse error as the page shows it: the query around the fault, split at the character at fault."""

    before: str
    at: str
    after: str
    caret_indent: int
    position: int
    message: str


def vietnamese(reason: str) -> str:
    """The parser's message in Vietnamese (the English one if it is new)."""
    for pattern, text in _MESSAGES:
        found = pattern.search(reason)
        if found:
            return text.format(*found.groups())
    return reason


def fault_of(exc: QueryError) -> QueryFault:
    """Where the query went wrong, for ``search_query_error.html`` (the caret goes under ``at``)."""
    query, position = exc.query, min(exc.position, len(exc.query))
    start = max(0, position - WINDOW)
    lead = "…" if start else ""
    before = lead + query[start:position]
    at = query[position : position + 1] or " "  # past the end: the caret sits after the last character
    tail = query[position + 1 : position + 1 + WINDOW]
    after = tail + ("…" if len(query) > position + 1 + WINDOW else "")
    return QueryFault(before, at, after, len(before), position, vietnamese(exc.reason))
