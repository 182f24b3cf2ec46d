"""Links, mentions, hashtags and emoji in Vietnamese social text."""

from __future__ import annotations

from models.markup import extract_markup


def test_social_post_markup_is_found_once_each_in_order() -> None:
    text = (
        "Ngập quá 😭😭 @Nguyễn.Văn.An ơi, xem https://baodongnai.com.vn/tin-1.html?utm_source=fb. "
        "#BiênHòa #bienhoa #ngập2026 👍🏽 cờ 🇻🇳 gia đình 👨‍👩‍👧 www.dongnai.gov.vn"
    )
    markup = extract_markup(text)
    assert markup.urls == ("https://baodongnai.com.vn/tin-1.html?utm_source=fb", "www.dongnai.gov.vn")
    assert markup.mentions == ("Nguyễn.Văn.An",)
    assert markup.hashtags == ("biênhòa", "bienhoa", "ngập2026")
    assert markup.emoji == ("😭", "👍🏽", "🇻🇳", "👨‍👩‍👧")


def test_what_is_not_markup() -> None:
    markup = extract_markup("email a@b.vn, giá #1, mục 5#, https://x.vn/#phan-2 và @ một mình, C# là ngôn ngữ")
    assert markup.mentions == ()
    assert markup.hashtags == ()
    assert markup.urls == ("https://x.vn/#phan-2",)
    assert extract_markup("") == extract_markup("   ")
    assert extract_markup("").emoji == ()


def test_unaccented_and_teencode_tags_and_long_text() -> None:
    markup = extract_markup("ko bít j luôn #DongNai #dong_nai_oi 🙏" * 3000)
    assert markup.hashtags == ("dongnai", "dong_nai_oi")
    assert markup.emoji == ("🙏",)
