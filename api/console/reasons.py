"""A score's reasons in Vietnamese, written from their structured fields (kind, ref, weight).

The scorers write each reason's ``detail`` in English for the API and the logs; a reason's ``kind`` and
``ref`` say the same thing as data, so the console words it here (one home for the wording) and falls
back on the detail for a kind it does not know yet.
"""

from __future__ import annotations

from monitor.analysis import Reason

CUE_KINDS = {
    "unattributed": "không nêu nguồn",
    "urgency": "hối thúc lan truyền",
    "sensational": "giật gân",
    "correction": "đính chính",
}


def reason_text(reason: Reason) -> str:  # noqa: PLR0911 - one wording per kind of reason
    """What weighed, as an officer would say it: ``Cụm từ “tui vẫn”``, ``Dấu hiệu tin đồn “nghe nói” (không
    nêu nguồn)``..."""
    ref = reason.ref or ""
    kind = reason.kind
    if kind in ("phrase", "lexicon"):
        return f"Cụm từ “{ref}”"
    if kind == "keyword":
        return f"Từ khoá “{ref}”"
    if kind == "claim_match":
        return f"Giống nội dung sai đã đăng ký ({ref})"
    if kind == "cue:style":
        return "Trình bày kiểu báo động (chữ in hoa, “!!!” hoặc biểu tượng cảnh báo)"
    if kind.startswith("cue:"):
        cue = kind.removeprefix("cue:")
        return f"Dấu hiệu tin đồn “{ref}” ({CUE_KINDS.get(cue, cue)})"
    if kind == "cites_correction":
        return f"Dẫn lời cải chính “{ref}”: điểm được hạ xuống"
    if kind == "source_credibility":
        return f"Nguồn “{ref}” theo đánh giá của người vận hành: điểm được điều chỉnh"
    if kind == "classifier":
        return f"Mô hình “{ref}” chấm điểm tin sai"
    return reason.detail
