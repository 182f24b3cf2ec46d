"""Posts relaying an official correction vs posts repeating the claim, and claims swapped while running."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from models.builtin import BuiltinAnalyzer
from models.misinfo import CueMisinformation
from monitor.ingestion.scoring import AnalysisContext, Claim, ClaimAware
from monitor.records import Document, Platform, doc_id_for_post

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NOW = datetime(2026, 11, 5, tzinfo=UTC)
CORRECTION_URL = "https://dongnai-gov.example/dinh-chinh/nuoc-may-thien-tan-8908.html"
WATER = Claim(
    id="case-water",
    text="Nước máy từ Nhà máy nước Thiện Tân bị nhiễm độc, người dân Biên Hòa không được dùng nước máy để uống.",
    correction=(
        "Sở Y tế khẳng định các mẫu nước đều đạt QCVN 01-1:2018/BYT; thông tin nước máy Thiện Tân bị nhiễm độc "
        "là sai sự thật, người dân sử dụng nước máy bình thường."
    ),
    correction_url=CORRECTION_URL,
    keywords=("nước máy nhiễm độc", "thiện tân nhiễm độc"),
)
DAM = Claim(
    id="case-dam",
    text="Hồ Trị An sắp vỡ đập, người dân hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay.",
    correction="Công ty Thủy điện Trị An khẳng định đập an toàn, thông tin vỡ đập là sai sự thật.",
)


def _doc(text: str, post_id: str = "1") -> Document:
    return Document(
        doc_id=doc_id_for_post(Platform.FACEBOOK, post_id),
        source_id="social",
        platform=Platform.FACEBOOK,
        url=f"https://facebook.example/p/{post_id}",
        text=text,
        published_at=NOW,
        fetched_at=NOW,
    )


def test_a_repeat_names_the_claim_and_relays_nothing() -> None:
    for text in (
        "CHIA SẺ GẤP!!! Nước máy Thiện Tân bị nhiễm độc, bà con Biên Hòa đừng dùng nước máy để uống ⚠️",
        "nuoc may thien tan bi nhiem doc, dan bien hoa ko dc dung nuoc may de uong nha mn",  # no diacritics
        "trời ơi nc máy thiện tân nhiễm độc thiệt hả mn 😱😱",  # teencode and emoji
    ):
        score = CueMisinformation([WATER], {}).score(_doc(text))
        assert score.claim_ids == ("case-water",), text
        assert score.corrected_claim_ids == (), text


def test_linking_to_the_official_statement_relays_the_correction() -> None:
    score = CueMisinformation([WATER, DAM], {}).score(_doc(f"Mọi người đọc thông tin ở đây nhé: {CORRECTION_URL}"))
    assert score.corrected_claim_ids == ("case-water",)
    assert score.claim_ids == ()


def test_a_denial_that_names_the_claim_or_the_statement_relays_the_correction() -> None:
    scorer = CueMisinformation([WATER, DAM], {})
    naming_claim = scorer.score(_doc("Tin nước máy Thiện Tân nhiễm độc là tin giả nha cả nhà, đừng share nữa."))
    assert naming_claim.corrected_claim_ids == ("case-water",)
    assert naming_claim.claim_ids == ()
    naming_statement = scorer.score(
        _doc("Sở Y tế đã xác nhận mẫu nước đạt QCVN 01-1:2018/BYT rồi, tin đồn kia là sai sự thật, dùng bình thường.")
    )
    assert naming_statement.corrected_claim_ids == ("case-water",)
    # Without diacritics too.
    unaccented = scorer.score(_doc("tin nuoc may thien tan nhiem doc la tin gia, so y te bac bo roi"))
    assert unaccented.corrected_claim_ids == ("case-water",)


def test_a_denial_of_something_else_relays_no_correction() -> None:
    score = CueMisinformation([WATER, DAM], {}).score(
        _doc("Tin giá vé tham quan Bửu Long tăng gấp đôi là tin giả, khu du lịch đã đính chính.")
    )
    assert score.corrected_claim_ids == ()
    assert score.claim_ids == ()
    assert any(reason.kind == "cites_correction" for reason in score.reasons)  # still a denial


def test_waiting_for_an_announcement_is_not_citing_one() -> None:
    scorer = CueMisinformation([WATER], {})
    for text in (
        "Thím có link báo không? Đợi thông báo chính thức rồi tính, đừng tự hù nhau.",
        "Vẫn chưa có thông báo chính thức, nhưng nước máy Thiện Tân nhiễm độc là thật!!!",
    ):
        score = scorer.score(_doc(text))
        assert score.corrected_claim_ids == (), text
        assert not any(reason.kind == "cites_correction" for reason in score.reasons), text


def test_claims_can_be_swapped_while_running() -> None:
    analyzer = BuiltinAnalyzer(AnalysisContext(config_dir=CONFIGS, claims=[WATER]))
    assert isinstance(analyzer, ClaimAware)
    rumour = _doc("Nghe nói hồ Trị An sắp vỡ đập, hạ du sông Đồng Nai phải sơ tán ngay trong đêm nay!!!")
    [before] = analyzer.analyze([rumour])
    assert before.misinformation.claim_ids == ()
    analyzer.use_claims([WATER, DAM])
    [after] = analyzer.analyze([rumour])
    assert after.misinformation.claim_ids == ("case-dam",)
    assert after.misinformation.score > before.misinformation.score
    analyzer.use_claims([])
    [cleared] = analyzer.analyze([rumour])
    assert cleared.misinformation.claim_ids == ()
