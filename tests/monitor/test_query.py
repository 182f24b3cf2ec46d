from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.errors import QueryError
from monitor.query import And, FieldTerm, Matchable, Not, Or, Phrase, Term, TimeRange, matches, parse, positive_terms

VN = timezone(timedelta(hours=7))


def _doc(text: str, **fields: object) -> Matchable:
    values: dict[str, object] = {
        "source": "sample-social",
        "platform": "facebook",
        "topics": ("health",),
        "sentiment": "negative",
        "author": "Trần Thị Bích",
        "published_at": datetime(2026, 10, 20, 12, tzinfo=UTC),
    }
    values.update(fields)
    return Matchable.of(text, **values)  # type: ignore[arg-type]


def _matches(query: str, text: str, **fields: object) -> bool:
    return matches(parse(query, VN), _doc(text, **fields))


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
        ("source:", 0, "needs a value"),
        ("since:hôm-qua", 0, "is not a date or time"),
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


def test_pure_negation_is_allowed() -> None:
    assert _matches("NOT ngập", "trời đẹp")
    assert not _matches("-ngập", "ngập sâu")


def test_exact_accent_terms() -> None:
    assert parse("=hồ") == Term("hồ", 0, exact=True)
    assert _matches("=hồ", "Hồ Trị An")
    assert not _matches("=hồ", "con hổ")
    assert _matches("hồ", "con hổ")  # folded by default: ho = ho
    assert _matches('="Biên Hòa"', "Biên Hoà ngập")  # exact still normalizes tone-mark placement
    assert not _matches('="Biên Hòa"', "Bien Hoa ngap")
    assert matches(parse("hồ", exact_accents=True), _doc("Hồ Trị An"))
    assert not matches(parse("hồ", exact_accents=True), _doc("con hổ"))


def test_field_filters() -> None:
    assert parse("source:Sample-Social") == FieldTerm("source", "sample-social", 0)
    assert parse('author:"Trần Thị Bích"') == FieldTerm("author", "tran thi bich", 0)
    assert _matches("ngập source:sample-social", "ngập")
    assert not _matches("ngập platform:youtube", "ngập")
    assert _matches("topic:health sentiment:negative", "bất kỳ")
    assert parse("author:tran thị") == And((FieldTerm("author", "tran", 0), Term("thi", 12)), 0)  # one word only
    assert _matches('author:"tran thi bich"', "x")
    assert not _matches('author:"Le Van C"', "x")
    assert _matches('(platform:youtube OR platform:facebook) AND "dong nai"', "Đồng Nai đẹp")


def test_time_ranges_use_the_default_zone_for_bare_dates() -> None:
    node = parse("since:2026-10-20 until:2026-10-21T06:00+07:00", VN)
    assert isinstance(node, And)
    assert node.children[0] == TimeRange(datetime(2026, 10, 19, 17, tzinfo=UTC), None, 0)
    assert node.children[1] == TimeRange(None, datetime(2026, 10, 20, 23, tzinfo=UTC), 17)
    assert _matches("since:2026-10-20", "x", published_at=datetime(2026, 10, 19, 17, tzinfo=UTC))
    assert not _matches("since:2026-10-20", "x", published_at=datetime(2026, 10, 19, 16, tzinfo=UTC))
    assert not _matches("until:2026-10-20", "x", published_at=datetime(2026, 10, 19, 17, tzinfo=UTC))


def test_a_colon_word_that_is_not_a_field_is_a_word() -> None:
    assert parse("10:30") == Phrase(("10", "30"), 0)
