from __future__ import annotations

import pytest

from monitor.errors import QueryError
from monitor.query import And, Not, Or, Phrase, Term, matches, parse, positive_terms
from monitor.text import tokens


def _matches(query: str, text: str) -> bool:
    return matches(parse(query), tokens(text))


def test_words_are_folded_and_joined_by_and() -> None:
    node = parse("Đồng Nai ngập")
    assert isinstance(node, And)
    assert [child for child in node.children if isinstance(child, Term)] == [
        Term("dong", 0),
        Term("nai", 5),
        Term("ngap", 9),
    ]


def test_phrase_or_not_and_parentheses() -> None:
    node = parse('"biên hòa" AND (ngập OR lụt) NOT "quảng cáo"')
    assert isinstance(node, And)
    assert isinstance(node.children[0], Phrase)
    assert isinstance(node.children[1], Or)
    assert isinstance(node.children[2], Not)


def test_matching_is_accent_insensitive_both_ways() -> None:
    assert _matches("dong nai", "Tỉnh Đồng Nai mưa lớn")
    assert _matches("Đồng Nai", "dong nai mua lon")
    assert _matches("hoà", "hòa bình")


def test_phrase_needs_adjacent_words() -> None:
    assert _matches('"bien hoa"', "ngập ở Biên Hòa")
    assert not _matches('"bien hoa"', "Biên giới Hòa Bình")


def test_not_and_minus_exclude() -> None:
    assert not _matches("ngập NOT quảng", "ngập nặng, quảng cáo")
    assert not _matches("ngập -quảng", "ngập nặng, quảng cáo")
    assert _matches("ngập -quảng", "ngập nặng ở Biên Hòa")


def test_hyphenated_word_is_a_phrase() -> None:
    assert isinstance(parse("check-in"), Phrase)
    assert _matches("check-in", "check in tại Bửu Long")


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('ngập "biên hòa', 5, "unterminated quoted phrase"),
        ("(ngập OR lụt", 0, "missing ')'"),
        ("ngập OR", 7, "query ended"),
        ("", 0, "empty query"),
        ("NOT ngập", 0, "positive term"),
        ("ngập )", 5, "unexpected ')'"),
        ("ngập 😭", 5, "no letters or digits"),
    ],
)
def test_invalid_queries_point_at_the_fault(query: str, position: int, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert "^" in str(caught.value)


def test_positive_terms_explain_a_match() -> None:
    assert positive_terms(parse('"sân bay" OR ngập NOT lụt')) == ["san bay", "ngap"]
