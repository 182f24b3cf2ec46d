"""A document with its analysis, as API clients receive it (``GET /documents``, ``GET /documents/{id}``).

Mirrors :class:`monitor.analysis.AnalyzedDocument` field for field today (the JSON clients have always
received); the models are read from the internal record by attribute, so a field added to the record stays
internal until it is added here. Every score carries its reasons (DESIGN.md: "a score says why").
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from monitor.analysis import AnalyzedDocument, SentimentLabel, ToxicityLabel
from monitor.records import Platform


class _Public(BaseModel):
    # from_attributes: built from the internal records, reading only the fields declared here.
    model_config = ConfigDict(frozen=True, from_attributes=True)


class ModelRefPublic(_Public):
    """Which model produced a score."""

    name: str
    version: str


class ReasonPublic(_Public):
    """One piece of evidence behind a score."""

    kind: str = Field(description="'phrase', 'keyword', 'claim_match', 'source_credibility', 'cue'...")
    detail: str
    weight: float = Field(ge=0.0, le=1.0)
    ref: str | None = Field(default=None, description="The claim, source or cue the reason refers to.")


class SentimentPublic(_Public):
    label: SentimentLabel
    probabilities: dict[SentimentLabel, float]
    model: ModelRefPublic
    reasons: list[ReasonPublic] = Field(description="What weighed most toward the label.")


class TopicPublic(_Public):
    topic: str
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[ReasonPublic] = Field(description="The phrases or keywords behind the topic.")


class TopicsPublic(_Public):
    topics: list[TopicPublic]
    model: ModelRefPublic


class ToxicityPublic(_Public):
    label: ToxicityLabel
    probabilities: dict[ToxicityLabel, float]
    model: ModelRefPublic
    reasons: list[ReasonPublic] = Field(description="What weighed most toward the label.")


class MisinformationPublic(_Public):
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[ReasonPublic]
    model: ModelRefPublic
    claim_ids: list[str] = Field(description="Registered false claims the document repeats.")
    corrected_claim_ids: list[str] = Field(description="Registered claims whose official correction it relays.")


class EntityPublic(_Public):
    text: str
    kind: str = Field(description="'PER', 'LOC', 'ORG', or a gazetteer kind such as 'admin_unit'.")
    start: int
    end: int
    ref: str | None = Field(description="The gazetteer entry, shared by an entity's old and new names.")


class MarkupPublic(_Public):
    urls: list[str]
    mentions: list[str]
    hashtags: list[str] = Field(description="Lower-case, without '#'.")
    emoji: list[str]


class AnalysisPublic(_Public):
    sentiment: SentimentPublic
    topics: TopicsPublic
    toxicity: ToxicityPublic
    misinformation: MisinformationPublic
    entities: list[EntityPublic]
    watchlist_hits: list[str]
    markup: MarkupPublic
    story_id: str | None


class EngagementPublic(_Public):
    """Public interaction counts as published; null when the platform does not report one."""

    likes: int | None
    comments: int | None
    shares: int | None
    views: int | None


class PublishedPublic(_Public):
    """What was published: the text and where and when."""

    doc_id: str
    source_id: str
    platform: Platform
    url: str
    title: str
    text: str
    lang: str
    author: str | None
    published_at: datetime
    fetched_at: datetime
    engagement: EngagementPublic
    parent_id: str | None
    media_urls: list[str]
    channel: str | None


class DocumentPublic(_Public):
    """One document and its analysis."""

    document: PublishedPublic
    analysis: AnalysisPublic


def document_public(item: AnalyzedDocument) -> DocumentPublic:
    """The public view of a stored document (after any privacy view the caller's role needs)."""
    return DocumentPublic.model_validate(item)
