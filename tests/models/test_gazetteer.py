"""The gazetteer: configs/gazetteer.yaml found in real Vietnamese text, offsets exact, errors located."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from models.gazetteer import (
    Gazetteer,
    GazetteerConfig,
    GazetteerEntry,
    alias_keys,
    fold_with_offsets,
    load_gazetteer,
    load_gazetteer_config,
)
from monitor.analysis import EntityMention
from monitor.errors import ConfigError
from tests.conftest import CONFIGS


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer(CONFIGS)


def found(gazetteer: Gazetteer, text: str) -> list[tuple[str, str | None]]:
    mentions = gazetteer.find(text)
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text
    return [(m.text, m.ref) for m in mentions]


def refs(gazetteer: Gazetteer, text: str) -> list[str | None]:
    return [ref for _, ref in found(gazetteer, text)]


# --- old and new names ---------------------------------------------------------------------------------


def test_old_binh_phuoc_names_map_to_their_entries_and_roll_up_to_dong_nai(gazetteer: Gazetteer) -> None:
    text = "Mưa lớn kéo dài ở Đồng Xoài, Bình Phước khiến nhiều tuyến đường ngập sâu."
    assert found(gazetteer, text) == [("Đồng Xoài", "dong_xoai"), ("Bình Phước", "binh_phuoc")]
    assert gazetteer.entry("dong_xoai").former
    assert gazetteer.current("dong_xoai") == "dong_nai"
    assert gazetteer.current("binh_phuoc") == "dong_nai"
    assert gazetteer.current("binh_phuoc_police") == "dong_nai_police"
    assert gazetteer.current("dong_nai") == "dong_nai"
    assert gazetteer.current("binh_duong") == "ho_chi_minh_city"


def test_mention_carries_kind_and_offsets(gazetteer: Gazetteer) -> None:
    text = "Du khách đổ về Vườn quốc gia Cát Tiên dịp lễ."
    assert gazetteer.find(text) == (
        EntityMention(text="Vườn quốc gia Cát Tiên", kind="landmark", start=15, end=37, ref="cat_tien_national_park"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kẹt xe ở bien hoa wá 😭 ko bik dc j", [("bien hoa", "bien_hoa")]),
        ("BIÊN HÒA MƯA TO", [("BIÊN HÒA", "bien_hoa")]),
        ("Phường ở Biên Hoà ngập", [("Biên Hoà", "bien_hoa")]),  # old tone placement
        ("ÐỒNG NAI", [("ÐỒNG NAI", "dong_nai")]),  # Icelandic eth typed for Đ
        (
            "dong xoai binh phuoc gio thuoc dong nai roi ha",
            [("dong xoai", "dong_xoai"), ("binh phuoc", "binh_phuoc"), ("dong nai", "dong_nai")],
        ),
        ("Bien Hòa nửa dấu nửa không", [("Bien Hòa", "bien_hoa")]),
    ],
)
def test_accent_and_case_insensitive(gazetteer: Gazetteer, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(gazetteer, text) == expected


def test_nfd_input_offsets_slice_the_original(gazetteer: Gazetteer) -> None:
    text = unicodedata.normalize("NFD", "Ở Biên Hòa, Long Thành và Nhơn Trạch.")
    mentions = gazetteer.find(text)
    assert [m.ref for m in mentions] == ["bien_hoa", "long_thanh", "nhon_trach"]
    assert [unicodedata.normalize("NFC", m.text) for m in mentions] == ["Biên Hòa", "Long Thành", "Nhơn Trạch"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text
        assert not unicodedata.combining(text[mention.end])  # the last letter's marks are inside the slice


# --- word boundaries, separators, overlaps ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Anh ấy tên Long Anh, ở quê.",  # "Long An" inside "Long Anh"
        "Tuyến QL513 không phải quốc lộ năm mốt",  # "QL51" inside "QL513"
        "Long. Thành phố mới",  # punctuation between the words of "Long Thành"
        "Ngày dài\nLong\nThành phố mới",  # so is a line break
        "phường Long Thạnh Mỹ ở Thủ Đức",  # folds like "Long Thành", but the marks differ
        "thanh an bien hoang",
    ],
)
def test_no_match_inside_words_across_punctuation_or_with_other_marks(gazetteer: Gazetteer, text: str) -> None:
    assert found(gazetteer, text) == []


def test_dashes_and_spacing_between_words_do_not_matter(gazetteer: Gazetteer) -> None:
    for text in (
        "cao tốc Biên Hòa - Vũng Tàu",
        "cao tốc Biên Hòa-Vũng Tàu",
        "cao tốc Biên Hòa – Vũng Tàu",
        "Cao tốc  Biên Hòa   —  Vũng Tàu",
        "CAO TOC BIEN HOA VUNG TAU",
        "cao tốc Biên\u00a0Hòa\t-\tVũng Tàu",
    ):
        assert refs(gazetteer, text) == ["bien_hoa_vung_tau_expressway"], text


def test_abbreviations_with_and_without_dots(gazetteer: Gazetteer) -> None:
    text = "Từ TP.HCM, TP. HCM, TPHCM hay TP HCM đi QL51, QL 51, QL.51 về BR-VT"
    assert refs(gazetteer, text) == ["ho_chi_minh_city"] * 4 + ["national_road_51"] * 3 + ["ba_ria_vung_tau"]


def test_longest_leftmost_wins(gazetteer: Gazetteer) -> None:
    text = "UBND tỉnh Đồng Nai họp về sân bay Long Thành; huyện Long Thành và sông Đồng Nai."
    assert found(gazetteer, text) == [
        ("UBND tỉnh Đồng Nai", "dong_nai_peoples_committee"),
        ("sân bay Long Thành", "long_thanh_airport"),
        ("huyện Long Thành", "long_thanh"),
        ("sông Đồng Nai", "dong_nai_river"),
    ]


# --- ambiguous names and blockers --------------------------------------------------------------------------


def test_ambiguous_alias_needs_local_context(gazetteer: Gazetteer) -> None:
    assert refs(gazetteer, "Kẹt xe ở Tân Phú từ sáng") == []
    assert refs(gazetteer, "Tân Phú (TP.HCM) kẹt xe") == ["ho_chi_minh_city"]  # a neighbour is no context
    assert refs(gazetteer, "Nông dân Tân Phú, Định Quán trúng mùa") == ["tan_phu", "dinh_quan"]
    assert refs(gazetteer, "Kẹt xe ở huyện Tân Phú") == ["tan_phu"]  # the qualified name is never ambiguous


def test_ambiguous_alias_needs_capitals(gazetteer: Gazetteer) -> None:
    assert refs(gazetteer, "Xuân Lộc thống nhất chủ trương mở rộng đường") == ["xuan_loc"]
    assert refs(gazetteer, "Xuân Lộc và Thống Nhất cùng mở rộng đường") == ["xuan_loc", "thong_nhat"]


def test_blockers_swallow_other_places(gazetteer: Gazetteer) -> None:
    assert refs(gazetteer, "Người dân quận Tân Phú và Biên Hòa") == ["bien_hoa"]
    assert refs(gazetteer, "Đoàn Đồng Nai thăm Dinh Thống Nhất") == ["dong_nai"]


# --- odd input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "😭😭🔥🔥", "\n\n", "!!!???"])
def test_empty_and_symbol_only_text(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(text) == ()


def test_mixed_scripts_and_emoji(gazetteer: Gazetteer) -> None:
    text = "🔥Biên Hòa🔥 边和市 Бьенхоа #LongKhánh #Long_Khánh Long Khánh😍"
    assert found(gazetteer, text) == [
        ("Biên Hòa", "bien_hoa"),
        ("Long_Khánh", "long_khanh"),
        ("Long Khánh", "long_khanh"),
    ]


def test_hundred_kilobyte_text_is_exact(gazetteer: Gazetteer) -> None:
    # Its speed is measured by tests.bench.entities_bench, not asserted here (tests never time the clock).
    unit = "Người dân Biên Hoà, Đồng Xoài phản ánh về QL51 và sân bay Long Thành 😡 ko hiểu sao chậm vậy. "
    text = unit * (100_000 // len(unit) + 1)
    mentions = gazetteer.find(text)
    assert len(mentions) == 4 * text.count(unit)
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_batch_keeps_order(gazetteer: Gazetteer) -> None:
    batches = gazetteer.find_batch(["Biên Hòa", "", "Long Khánh"])
    assert [[m.ref for m in b] for b in batches] == [["bien_hoa"], [], ["long_khanh"]]


# --- folding with offsets ------------------------------------------------------------------------------------


def test_fold_with_offsets_maps_back() -> None:
    nfc = fold_with_offsets("Đồng Nai")
    assert nfc.folded == "dong nai"
    assert nfc.origin is None  # one to one: no map needed
    nfd_text = unicodedata.normalize("NFD", "Hòa An")
    nfd = fold_with_offsets(nfd_text)
    assert nfd.folded == "hoa an"
    assert nfd_text[slice(*nfd.original_span(0, 3))] == unicodedata.normalize("NFD", "Hòa")
    dotted = fold_with_offsets("İstanbul Biên Hòa")
    assert dotted.folded == "istanbul bien hoa"
    assert "İstanbul Biên Hòa"[slice(*dotted.original_span(9, 17))] == "Biên Hòa"


def test_alias_keys_cover_punctuated_and_plain_forms() -> None:
    assert alias_keys("TP.HCM") == {"tp|hcm", "tp hcm"}
    assert alias_keys("Biên Hòa - Vũng Tàu") == {"bien hoa vung tau"}
    assert alias_keys("...") == set()


# --- configuration errors ---------------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gazetteer.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "entries:\n  - id: a\n    kind: [admin_unit\n    name: A\n")
    with pytest.raises(ConfigError) as caught:
        load_gazetteer_config(path)
    assert str(path) in str(caught.value)
    assert caught.value.line is not None
    assert caught.value.line >= 3


def test_unknown_kind_names_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "entries:\n  - id: a\n    kind: admin_unit\n    name: A\n"  # lines 1-4
        "  - id: b\n    kind: castle\n    name: B\n",  # lines 5-7
    )
    with pytest.raises(ConfigError) as caught:
        load_gazetteer_config(path)
    assert caught.value.line == 6
    assert caught.value.key == "entries[1].kind"


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "entries:\n  - id: a\n    kind: landmark\n    name: A\n    alias: [B]\n")
    with pytest.raises(ConfigError, match="unknown key") as caught:
        load_gazetteer_config(path)
    assert caught.value.line == 5


def test_dangling_merged_into_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "entries:\n  - id: a\n    kind: admin_unit\n    name: A\n    merged_into: nowhere\n")
    with pytest.raises(ConfigError, match="unknown id 'nowhere'") as caught:
        load_gazetteer_config(path)
    assert caught.value.line == 5
    assert caught.value.key == "entries[0].merged_into"


def test_duplicate_alias_across_entries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "entries:\n  - id: a\n    kind: landmark\n    name: Bửu Long\n"
        "  - id: b\n    kind: admin_unit\n    name: B\n    aliases: [bửu long]\n",
    )
    with pytest.raises(ConfigError, match="also in 'a'") as caught:
        load_gazetteer_config(path)
    assert caught.value.line == 5


def test_merge_cycle_is_rejected() -> None:
    config = GazetteerConfig(
        entries=(
            GazetteerEntry(id="a", kind="admin_unit", name="A", merged_into="b"),
            GazetteerEntry(id="b", kind="admin_unit", name="B", merged_into="a"),
        )
    )
    with pytest.raises(ConfigError, match="circle"):
        Gazetteer(config)
