"""Officers' corrections as retraining data: the held-back split and the exported JSONL reader."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from models.corrections import Correction, RetrainError, read_corrections_file, split_corrections

COMPLAINTS = [
    "Đường Võ Thị Sáu ngập sâu sau mưa, xe chết máy hàng loạt",
    "kẹt xe cầu Đồng Nai cả tiếng, bức xúc quá",
    "rac thai o cho Tan Hiep boc mui ca tuan",
    "Thủ tục cấp sổ đỏ kéo dài nửa năm chưa xong",
]
NOTICES = [
    "UBND phường thông báo lịch tiếp công dân tuần sau",
    "Sở GD thông báo lịch thi tuyển sinh lớp 10",
    "thong bao cat dien khu vuc Tam Hiep sang Chu nhat",
]


def _corrections(count: int) -> list[Correction]:
    return [
        Correction(f"doc-{i:03d}", f"{COMPLAINTS[i % 4]} ({i})", "negative")
        if i % 3
        else Correction(f"doc-{i:03d}", f"{NOTICES[i % 3]} ({i})", "neutral")
        for i in range(count)
    ]


def test_the_split_is_stratified_sized_and_deterministic() -> None:
    corrections = _corrections(90)
    split = split_corrections(corrections, 0.3)
    assert len(split.training) + len(split.held_back) == 90
    held = Counter(c.label for c in split.held_back)
    assert held == {"negative": 18, "neutral": 9}  # 30% of each label's 60 and 30
    # The same corrections in another order give the same sides.
    again = split_corrections(list(reversed(corrections)), 0.3)
    assert {c.doc_id for c in again.held_back} == {c.doc_id for c in split.held_back}
    other_seed = split_corrections(corrections, 0.3, seed=1)
    assert {c.doc_id for c in other_seed.held_back} != {c.doc_id for c in split.held_back}


def test_one_document_or_one_text_is_never_on_both_sides() -> None:
    corrections = _corrections(60)
    # The same post shared by two pages (same text, other id) and a document corrected twice (same id).
    shared = [Correction(f"share-{c.doc_id}", c.text.upper(), c.label) for c in corrections[:20]]
    twice = [Correction(c.doc_id, f"{c.text} (bản sửa)", c.label) for c in corrections[20:30]]
    split = split_corrections([*corrections, *shared, *twice], 0.3)
    sides = [split.training, split.held_back]
    for correction in [*corrections[:30]]:
        text = correction.text.casefold()
        on = [any(c.doc_id == correction.doc_id or c.text.casefold() == text for c in side) for side in sides]
        assert on.count(True) == 1, correction


def test_a_rare_label_gives_one_to_each_side_and_a_lone_one_trains() -> None:
    corrections = [
        *_corrections(40),
        Correction("praise-1", "Công viên mới sạch đẹp quá", "positive"),
        Correction("praise-2", "Cảm ơn phường xử lý nhanh", "positive"),
    ]
    split = split_corrections(corrections, 0.3)
    assert Counter(c.label for c in split.held_back)["positive"] == 1
    lone = split_corrections([*_corrections(40), Correction("praise-1", "Tuyệt vời", "positive")], 0.3)
    assert all(c.label != "positive" for c in lone.held_back)


def test_an_exported_file_is_read_newest_last_and_bad_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    rows = [
        {"id": "a", "text": "Tin đồn sai sự thật", "label": "negative", "task": "sentiment"},
        {"id": "b", "text": "Cảm ơn phường", "label": "positive"},
        {"id": "a", "text": "Tin đồn sai sự thật", "label": "neutral", "task": "sentiment"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    assert read_corrections_file(path, "sentiment") == [
        Correction("b", "Cảm ơn phường", "positive"),
        Correction("a", "Tin đồn sai sự thật", "neutral"),
    ]
    path.write_text(json.dumps(rows[0]) + "\n" + json.dumps({**rows[1], "label": "vui"}) + "\n", encoding="utf-8")
    with pytest.raises(RetrainError, match=r"corrections\.jsonl, line 2: 'vui' is not a sentiment label"):
        read_corrections_file(path, "sentiment")
    with pytest.raises(RetrainError, match="line 1: a correction for task 'sentiment', not 'toxicity'"):
        read_corrections_file(path, "toxicity")
    path.write_text('{"id": "a", "label": "neutral"}\n', encoding="utf-8")
    with pytest.raises(RetrainError, match="line 1: 'text' is missing"):
        read_corrections_file(path, "sentiment")
    with pytest.raises(RetrainError, match="cannot read the corrections file"):
        read_corrections_file(tmp_path / "absent.jsonl", "sentiment")
