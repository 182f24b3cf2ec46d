"""The whole analysis survives messy input: empty text, only emoji, 100 KB posts, mixed scripts, no
diacritics, broken Unicode; every score stays within its range and every text gets one analysis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.plugin import register
from monitor.analysis import SentimentLabel, ToxicityLabel
from monitor.ingestion.registry import Registry
from monitor.ingestion.scoring import AnalysisContext, Analyzer
from monitor.ingestion.workers import score_documents
from monitor.records import Document, Platform

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

MESSY = {
    "only_emoji": "😭😭😭🙏🙏👍🏽🇻🇳",
    "huge_post": "Biên Hòa ngập quá trời luôn, ko đi đc đâu hết 😢 " * 2100,  # ~100 KB
    "mixed_scripts": "Đồng Nai hợp tác với 日本 và 한국, dự án Long Thành airport — Москва cũng quan tâm",
    "no_diacritics": "bien hoa ngap qua, nguoi dan buc xuc vi duong xa xuong cap, chinh quyen o dau",
    "teencode": "ko bít j luôn, mn ơi cho hỏi QL51 có kẹt hk, đc thì share giúp nha",
    "decomposed": "Đồng Nai".replace("ồ", "ồ"),  # o + combining marks, not the precomposed letter
    "control_chars": "tin\x00 nóng\u200b\u200b: Trị\tAn\r\nxả lũ",
    "one_word": "ok",
}


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    registry = Registry()
    register(registry)
    return registry.analyzer("builtin")(AnalysisContext(config_dir=CONFIGS))


def _doc(name: str, text: str) -> Document:
    return Document(
        doc_id=name, source_id="t", platform=Platform.FACEBOOK, url=f"https://t.example/{name}",
        text=text, published_at=NOW, fetched_at=NOW,
    )  # fmt: skip


def test_every_messy_text_gets_one_valid_analysis(analyzer: Analyzer) -> None:
    batch = score_documents(analyzer, [_doc(name, text) for name, text in MESSY.items()] + [_doc("empty", "  \n ")])
    assert [p.location for p in batch.problems] == ["https://t.example/empty"]  # no text: a problem, kept raw
    assert [item.document.doc_id for item in batch.scored] == list(MESSY)
    for item in batch.scored:
        analysis = item.analysis
        assert analysis.sentiment.label in SentimentLabel
        assert abs(sum(analysis.sentiment.probabilities.values()) - 1) < 0.01
        assert analysis.toxicity.label in ToxicityLabel
        assert 0.0 <= analysis.misinformation.score <= 1.0
        for entity in analysis.entities:
            assert item.document.content[entity.start : entity.end] == entity.text
    by_name = {item.document.doc_id: item for item in batch.scored}
    assert by_name["only_emoji"].analysis.markup.emoji[0] == "😭"
    assert by_name["no_diacritics"].document.lang == "vi"
    assert "bien_hoa" in by_name["no_diacritics"].analysis.watchlist_hits
    assert by_name["decomposed"].document.text == "Đồng Nai"  # normalized to NFC on the way in
    assert by_name["huge_post"].analysis.sentiment.label is SentimentLabel.NEGATIVE
