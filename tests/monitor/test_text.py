from __future__ import annotations

import unicodedata

import pytest

from monitor.text import fold, folded_words, normalize, tokens


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("khoẻ", "khỏe"),
        ("thuỷ", "thủy"),
        ("Uỷ ban", "Ủy ban"),
        ("toà án", "tòa án"),
        ("hoá đơn", "hóa đơn"),
        ("Thanh Hoá", "Thanh Hóa"),
    ],
)
def test_old_and_new_tone_placement_normalize_to_the_same_string(old: str, new: str) -> None:
    assert normalize(old) == normalize(new) == new


@pytest.mark.parametrize("word", ["quý", "quỳnh", "hoàng", "thuyền", "khoảng", "quà", "hòa"])
def test_words_whose_mark_does_not_move_are_left_alone(word: str) -> None:
    assert normalize(word) == word


def test_decomposed_input_becomes_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Đồng Nai")
    assert decomposed != "Đồng Nai"
    assert normalize(decomposed) == "Đồng Nai"


def test_normalize_keeps_paragraphs_and_collapses_spaces() -> None:
    assert normalize("  Biên   Hòa\r\n\r\nLong\u00a0Thành  ") == "Biên Hòa\n\nLong Thành"


def test_fold_removes_marks_and_maps_d_with_stroke() -> None:
    assert fold("Đồng Nai") == "dong nai"
    assert fold("ĐƯỜNG Phạm Văn Thuận") == "duong pham van thuan"
    assert fold("Trị An") == fold("tri an")


def test_tokens_ignore_emoji_punctuation_and_keep_mixed_scripts() -> None:
    assert tokens("Ngập quá!!! 😭 #BienHoa @UBND check-in Long Thành") == [
        "ngap",
        "qua",
        "bienhoa",
        "ubnd",
        "check",
        "in",
        "long",
        "thanh",
    ]
    assert tokens("東京 và Đồng Nai") == ["東京", "va", "dong", "nai"]


def test_folded_words_of_only_emoji_is_empty() -> None:
    assert folded_words("😭😭🙏") == ""
