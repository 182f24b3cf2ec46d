from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.builtin import BuiltinAnalyzer
from models.langid import LanguageIdentifier
from models.misinfo import CueMisinformation
from models.sentiment import LexiconSentiment
from models.tokens import word_tokens
from models.topics import KeywordTopics
from models.toxicity import LexiconToxicity
from monitor.analysis import SentimentLabel, ToxicityLabel
from monitor.config.topics import load_taxonomy
from monitor.errors import ConfigError
from monitor.ingestion.scoring import AnalysisContext, Claim
from monitor.ingestion.sources import Credibility
from monitor.records import Document, Platform, doc_id_for_post

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NOW = datetime(2026, 11, 4, tzinfo=UTC)

CLAIM = Claim(
    id="water",
    text="Nước máy từ Nhà máy nước Thiện Tân bị nhiễm độc, người dân Biên Hòa không được dùng nước máy.",
    correction="Nước máy đạt chuẩn QCVN 01-1:2018/BYT, thông tin nhiễm độc là sai sự thật.",
    keywords=("nước máy nhiễm độc", "thiện tân nhiễm độc"),
)


def _doc(text: str, source_id: str = "social", post_id: str = "1") -> Document:
    return Document(
        doc_id=doc_id_for_post("facebook", post_id),
        source_id=source_id,
        platform=Platform.FACEBOOK,
        url="https://facebook.example/p/1",
        text=text,
        published_at=NOW,
        fetched_at=NOW,
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Đường Phạm Văn Thuận ngập như sông, dân khổ quá 😭", SentimentLabel.NEGATIVE),
        ("duong pham van thuan ngap nhu song, kho qua troi", SentimentLabel.NEGATIVE),  # no diacritics
        ("Thủ tục ở phường chậm, ko dc giải quyết, thất vọng wá 😡", SentimentLabel.NEGATIVE),  # teencode
        ("Cát Tiên đẹp tuyệt vời, view đẹp xỉu ❤️🔥", SentimentLabel.POSITIVE),
        ("Tự hào Đồng Nai! Sân bay Long Thành hiện đại quá 👍", SentimentLabel.POSITIVE),
        ("UBND tỉnh họp ban chấp hành về kế hoạch năm 2027", SentimentLabel.NEUTRAL),
        ("Dịch vụ không tốt", SentimentLabel.NEGATIVE),  # negation flips
        ("😭😭😭", SentimentLabel.NEGATIVE),  # only emoji
        ("", SentimentLabel.NEUTRAL),
    ],
)
def test_lexicon_sentiment_on_real_vietnamese(text: str, label: SentimentLabel) -> None:
    score = LexiconSentiment().predict(text)
    assert score.label is label
    assert abs(sum(score.probabilities.values()) - 1.0) < 1e-3
    assert score.model.name == "builtin-lexicon-sentiment"


def test_bare_words_in_accented_text_are_not_misread() -> None:
    # "ban" (committee) must not be read as "bẩn" (dirty) when the text has diacritics elsewhere.
    assert LexiconSentiment().predict("Ban quản lý dự án họp sáng nay").label is SentimentLabel.NEUTRAL


def test_teencode_expands_before_matching() -> None:
    assert word_tokens("ko dc j đâu mn") == ["không", "được", "gì", "đâu", "mọi", "người"]


def test_keyword_topics_are_multi_label_and_configurable(tmp_path: Path) -> None:
    topics = KeywordTopics(load_taxonomy(CONFIGS))
    result = topics.predict("Sân bay Long Thành đón nhà đầu tư FDI", "Dự án thu hút vốn đầu tư, tạo việc làm.")
    assert {"infrastructure_transport", "investment_economy"} <= set(result.labels)
    assert topics.predict("", "Hôm nay trời đẹp").labels == []
    (tmp_path / "topics.yaml").write_text("topics:\n  water:\n    label: Nước\n    keywords: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"topics\.yaml.*topics\.water\.keywords"):
        load_taxonomy(tmp_path)


def test_toxicity_lexicon() -> None:
    scorer = LexiconToxicity()
    assert scorer.predict("Đường ngập quá, chính quyền đâu rồi?").label is ToxicityLabel.CLEAN
    assert scorer.predict("thằng ngu, câm mồm đi").label is ToxicityLabel.OFFENSIVE


def test_misinformation_repeat_of_registered_claim_scores_high_with_reasons() -> None:
    scorer = CueMisinformation([CLAIM], {})
    score = scorer.score(_doc("⚠️ CẢNH BÁO: nghe nói nước máy Thiện Tân bị nhiễm độc, chia sẻ gấp cho người thân!!!"))
    assert score.score >= 0.8
    assert score.claim_ids == ("water",)
    kinds = {reason.kind for reason in score.reasons}
    assert {"claim_match", "cue:unattributed", "cue:urgency", "cue:style"} <= kinds


def test_misinformation_without_diacritics_still_matches_the_claim() -> None:
    score = CueMisinformation([CLAIM], {}).score(_doc("nuoc may thien tan nhiem doc roi, ko dung duoc nua"))
    assert score.claim_ids == ("water",)
    assert score.score >= 0.6


def test_citing_the_correction_is_not_a_repeat() -> None:
    scorer = CueMisinformation([CLAIM], {})
    score = scorer.score(_doc("Tin nước máy Thiện Tân nhiễm độc là tin giả, Sở Y tế đã bác bỏ. Đừng share nữa mn."))
    assert score.score < 0.3
    assert score.claim_ids == ()
    assert any(reason.kind == "cites_correction" for reason in score.reasons)


def test_official_source_lowers_the_score_and_says_so() -> None:
    text = "Thông tin nước máy Thiện Tân nhiễm độc, người dân không được dùng nước máy"
    unknown = CueMisinformation([CLAIM], {}).score(_doc(text))
    official = CueMisinformation([CLAIM], {"gov": Credibility.OFFICIAL}).score(_doc(text, source_id="gov"))
    assert official.score < unknown.score
    assert any(reason.kind == "source_credibility" for reason in official.reasons)


def test_criticism_is_not_misinformation() -> None:
    scorer = CueMisinformation([CLAIM], {})
    score = scorer.score(_doc("Năm nào cũng ngập, chính quyền vô trách nhiệm, quá thất vọng 😡"))
    assert score.score == 0.0
    assert score.reasons == ()


def test_rumour_cues_alone_stay_below_a_registered_claim() -> None:
    scorer = CueMisinformation([], {})
    score = scorer.score(_doc("NGHE NÓI sắp xả lũ hồ Trị An, chia sẻ gấp, báo chí không dám đưa, 100% sự thật!!!"))
    assert 0.5 <= score.score <= 0.65


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Đồng Nai khánh thành cầu mới qua sông", "vi"),
        ("nuoc may Thien Tan bi nhiem doc chia se gap", "vi"),
        ("The airport in Long Thanh will open next year for international flights", "en"),
        ("😭😭🙏", "und"),
    ],
)
def test_language_identification_offline(text: str, language: str) -> None:
    assert LanguageIdentifier().identify(text) == language


def test_builtin_analyzer_scores_a_batch() -> None:
    analyzer = BuiltinAnalyzer(AnalysisContext(config_dir=CONFIGS, claims=[CLAIM]))
    docs = [_doc("Cát Tiên đẹp tuyệt vời", post_id="a"), _doc("x" * 100_000, post_id="b")]
    analyses = analyzer.analyze(docs)
    assert [a.sentiment.label for a in analyses] == [SentimentLabel.POSITIVE, SentimentLabel.NEUTRAL]
    assert analyses[0].topics.labels == ["tourism"]
