"""Small builders for analysed documents in tests (real types, hand-set scores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from monitor.analysis import (
    Analysis,
    AnalyzedDocument,
    MisinfoScore,
    ModelRef,
    Reason,
    SentimentLabel,
    SentimentScore,
    TopicScore,
    TopicsResult,
    ToxicityLabel,
    ToxicityScore,
)
from monitor.records import Document, Engagement, Platform, doc_id_for_post

VN = timezone(timedelta(hours=7))
TEST_MODEL = ModelRef(name="test", version="0")


def at(text: str) -> datetime:
    """'2026-10-20 19:00' in Vietnam time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=VN)


def analyzed(
    text: str,
    *,
    post_id: str,
    published: datetime,
    title: str = "",
    source_id: str = "test-source",
    platform: Platform = Platform.FACEBOOK,
    sentiment: SentimentLabel = SentimentLabel.NEUTRAL,
    topics: tuple[str, ...] = (),
    misinformation: float = 0.0,
    claim_ids: tuple[str, ...] = (),
    corrected_claim_ids: tuple[str, ...] = (),
    reasons: tuple[Reason, ...] = (),
    author: str | None = "Nguyễn Văn A",
    story_id: str | None = None,
    parent_post_id: str | None = None,
) -> AnalyzedDocument:
    document = Document(
        doc_id=doc_id_for_post(platform, post_id),
        source_id=source_id,
        platform=platform,
        url=f"https://facebook.example/posts/{post_id}",
        title=title,
        text=text,
        lang="vi",
        author=author,
        published_at=published,
        fetched_at=datetime.now(UTC),
        engagement=Engagement(likes=3, shares=1),
        parent_id=doc_id_for_post(platform, parent_post_id) if parent_post_id else None,
    )
    analysis = Analysis(
        sentiment=SentimentScore(label=sentiment, probabilities={sentiment: 1.0}, model=TEST_MODEL),
        topics=TopicsResult(topics=tuple(TopicScore(topic=t, score=0.9) for t in topics), model=TEST_MODEL),
        toxicity=ToxicityScore(label=ToxicityLabel.CLEAN, probabilities={ToxicityLabel.CLEAN: 1.0}, model=TEST_MODEL),
        misinformation=MisinfoScore(
            score=misinformation,
            model=TEST_MODEL,
            claim_ids=claim_ids,
            corrected_claim_ids=corrected_claim_ids,
            reasons=reasons,
        ),
        story_id=story_id,
    )
    return AnalyzedDocument(document=document, analysis=analysis)
