"""Tests of trained classifiers. ``REVIEWS`` is a small, separable Vietnamese sentiment task they share.

Product reviews in the styles the models meet: with diacritics, without them, teencode (``ko``, ``dc``,
``sp``), emoji and emoticons. Every phrase recurs across rows, as n-grams must to enter a vocabulary.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

_PRAISE = ("sản phẩm rất tốt", "giao hàng nhanh", "đóng gói cẩn thận", "chất lượng tuyệt vời", "hang dep, rat hai long")
_PRAISE_TAIL = ("shop nhiệt tình 😍", "sẽ ủng hộ tiếp", "sp dùng ok lắm =))", "dc tặng quà nữa ❤️")
_COMPLAINT = ("hàng kém chất lượng", "giao hàng quá chậm", "ko giống hình", "sản phẩm bị lỗi", "hang te, that vong")
_COMPLAINT_TAIL = ("shop trả lời cộc lốc 😡", "không bao giờ mua lại", "phí tiền :(((", "đổi trả rất mệt")


def reviews() -> tuple[list[str], list[str]]:
    """40 texts, 20 positive and 20 negative, alternating."""
    texts: list[str] = []
    labels: list[str] = []
    pairs = zip(itertools.product(_PRAISE, _PRAISE_TAIL), itertools.product(_COMPLAINT, _COMPLAINT_TAIL), strict=True)
    for (praise, praise_tail), (complaint, complaint_tail) in pairs:
        texts += [f"{praise.capitalize()}, {praise_tail}", f"{complaint.capitalize()}, {complaint_tail}"]
        labels += ["positive", "negative"]
    return texts, labels


def write_jsonl(path: Path, texts: list[str], labels: list[str]) -> Path:
    """Write ``texts``/``labels`` in the shared data schema (with an ``id`` the loader ignores)."""
    rows = [
        json.dumps({"id": f"r{i}", "text": text, "label": label}, ensure_ascii=False)
        for i, (text, label) in enumerate(zip(texts, labels, strict=True))
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
