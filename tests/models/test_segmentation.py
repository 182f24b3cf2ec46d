"""Sentence splitting and word segmentation (underthesea's offline CRF models, without torch)."""

from __future__ import annotations

import subprocess
import sys

from models.segmentation import sentences, words


def test_words_joins_syllables_into_words() -> None:
    assert words("Sân bay Long Thành đang được đẩy nhanh tiến độ") == [
        "Sân bay",
        "Long Thành",
        "đang",
        "được",
        "đẩy",
        "nhanh",
        "tiến độ",
    ]


def test_words_survive_emoji_teencode_and_empty_text() -> None:
    assert words("") == []
    text = "ko bít j luôn 😢 #DongNai"
    segmented = words(text)
    assert segmented[:4] == ["ko", "bít", "j", "luôn"]
    assert "".join(segmented).replace(" ", "") == text.replace(" ", "")  # nothing dropped


def test_sentences_split_on_punctuation_and_line_breaks() -> None:
    text = "Biên Hòa ngập sâu. Người dân phải lội nước về nhà!\nUBND tỉnh chỉ đạo khắc phục"
    assert sentences(text) == [
        "Biên Hòa ngập sâu.",
        "Người dân phải lội nước về nhà!",
        "UBND tỉnh chỉ đạo khắc phục",
    ]
    assert sentences("   \n\n") == []


def test_segmenting_does_not_load_torch() -> None:
    # underthesea's package start-up would import torch and transformers (~520 MB) in every worker.
    probe = (
        "import sys; from models.segmentation import words; words('Đồng Nai'); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.split() == ["False", "False"]
