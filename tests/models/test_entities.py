"""EntityRecognizer: gazetteer plus underthesea's bundled CRF NER, bounded, offline, with exact offsets."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from models.entities import CrfNer, EntityRecognizer, NerSettings
from models.gazetteer import Gazetteer, load_gazetteer
from monitor.analysis import EntityMention
from tests.conftest import CONFIGS

LEAD = (
    "Chiều 12/3, UBND tỉnh Đồng Nai làm việc với Bộ Giao thông vận tải về tiến độ dự án sân bay Long Thành. "
    "Ông Nguyễn Văn Hùng cho biết người dân ở Đồng Xoài, Bình Phước cũng rất quan tâm."
)
SENTENCES = [
    "Chiều 12/3, UBND tỉnh Đồng Nai làm việc với Bộ Giao thông vận tải về tiến độ dự án sân bay Long Thành.",
    "Ông Nguyễn Văn Hùng, Chủ tịch UBND huyện Long Thành cho biết người dân ở Đồng Xoài, Bình Phước quan tâm.",
    "Bà Trần Thị Mai, Giám đốc Bệnh viện Đa khoa Đồng Nai, kiểm tra công tác phòng dịch tại Biên Hòa.",
    '"Hà Nội" - TP.HCM: 1.700 km, giá vé 1,2 triệu đồng (tăng 5%)!',
    "Công an tỉnh Đồng Nai khuyến cáo người dân cảnh giác với các cuộc gọi lừa đảo qua Zalo.",
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(CONFIGS)


@pytest.fixture(scope="module")
def tagger() -> CrfNer:
    return CrfNer()  # shared: underthesea loads once (~5 s, it imports torch)


@pytest.fixture(scope="module")
def recognizer(gazetteer: Gazetteer, tagger: CrfNer) -> EntityRecognizer:
    return EntityRecognizer(gazetteer, NerSettings(min_text_chars=0), tagger)


def check_offsets(text: str, mentions: tuple[EntityMention, ...] | list[EntityMention]) -> None:
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


@pytest.mark.parametrize("sentence", SENTENCES)
def test_fast_tagger_agrees_with_underthesea_ner(tagger: CrfNer, sentence: str) -> None:
    from underthesea import ner

    assert tagger.tag(sentence) == [(row[0], row[3]) for row in ner(sentence)]


def test_gazetteer_wins_and_ner_adds_people(recognizer: EntityRecognizer) -> None:
    mentions = recognizer.find(LEAD)
    check_offsets(LEAD, mentions)
    by_text = {m.text: (m.kind, m.ref) for m in mentions}
    assert by_text["UBND tỉnh Đồng Nai"] == ("institution", "dong_nai_peoples_committee")  # NER says LOC
    assert by_text["sân bay Long Thành"] == ("project", "long_thanh_airport")
    assert by_text["Nguyễn Văn Hùng"] == ("PER", None)
    assert by_text["Đồng Xoài"] == ("admin_unit", "dong_xoai")
    assert by_text["Bình Phước"] == ("admin_unit", "binh_phuoc")
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    spans = [(m.start, m.end) for m in mentions]
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(spans))  # no overlaps


def test_ner_reads_only_the_lead(gazetteer: Gazetteer, tagger: CrfNer) -> None:
    text = "Ông Nguyễn Văn Hùng phát biểu tại hội nghị. " + "Nội dung cuộc họp kéo dài. " * 40
    text += "Bà Trần Thị Mai ở Biên Hòa cũng có mặt."
    bounded = EntityRecognizer(gazetteer, NerSettings(max_chars=100, min_text_chars=0), tagger)
    mentions = bounded.find(text)
    check_offsets(text, mentions)
    assert [(m.text, m.kind) for m in mentions] == [("Nguyễn Văn Hùng", "PER"), ("Biên Hòa", "admin_unit")]


def test_short_unaccented_or_disabled_text_gets_gazetteer_only(gazetteer: Gazetteer, tagger: CrfNer) -> None:
    default = EntityRecognizer(gazetteer, tagger=tagger)
    post = "Ông Nguyễn Văn Hùng nói Biên Hòa sẽ hết ngập 😍"
    assert len(post) < default.settings.min_text_chars
    assert [m.ref for m in default.find(post)] == ["bien_hoa"]
    every = EntityRecognizer(gazetteer, NerSettings(min_text_chars=0), tagger)
    assert [m.kind for m in every.find(post)] == ["PER", "admin_unit"]
    assert [m.kind for m in every.find(post, ner=False)] == ["admin_unit"]
    unaccented = "Ong Nguyen Van Hung noi bien hoa se het ngap, ko bik dc j"
    assert [m.ref for m in every.find(unaccented)] == ["bien_hoa"]
    off = EntityRecognizer(gazetteer, NerSettings(enabled=False, min_text_chars=0), tagger)
    assert [m.kind for m in off.find(post)] == ["admin_unit"]
    assert [m.kind for m in off.find(post, ner=True)] == ["PER", "admin_unit"]


def test_nfd_and_old_tone_placement_offsets(recognizer: EntityRecognizer) -> None:
    for text in (
        unicodedata.normalize("NFD", LEAD),
        "Ông Nguyễn Văn Hoà và bà Lê Thị Thuý gặp nhau ở Biên Hoà hôm qua để bàn chuyện làm ăn.",
    ):
        mentions = recognizer.find(text)
        check_offsets(text, mentions)
        assert any(m.kind == "PER" for m in mentions)
        assert any(m.ref in {"bien_hoa", "dong_xoai"} for m in mentions)


def test_batch_and_odd_input(recognizer: EntityRecognizer) -> None:
    texts = ["", "😭😭🔥", "   \n ", LEAD, "Biên Hòa 边和市 Бьенхоа"]
    results = recognizer.find_batch(texts)
    assert len(results) == len(texts)
    assert results[:3] == [(), (), ()]
    assert results[3] == recognizer.find(LEAD)
    assert [m.ref for m in results[4]] == ["bien_hoa"]
    for text, mentions in zip(texts, results, strict=True):
        check_offsets(text, mentions)


def test_hundred_kilobyte_text(gazetteer: Gazetteer, tagger: CrfNer) -> None:
    recognizer = EntityRecognizer(gazetteer, tagger=tagger)
    text = LEAD + " " + "Người dân Long Khánh phản ánh đường ngập 😡. " * 2500
    assert len(text) > 100_000
    mentions = recognizer.find(text)
    check_offsets(text, mentions)
    assert sum(m.ref == "long_khanh" for m in mentions) == 2500
    assert all(m.end <= recognizer.settings.max_chars for m in mentions if m.ref is None)
