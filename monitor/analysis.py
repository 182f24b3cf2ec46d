"""What the NLP layer says about a document (:class:`Analysis`).

Every score records the model name and version that produced it, and the reasons behind it (the words
and phrases that weighed most, the claims and cues matched): an officer must be able to see *why* a post
was labelled or flagged.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from monitor.records import Document


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class ToxicityLabel(StrEnum):
    CLEAN = "clean"
    OFFENSIVE = "offensive"
    HATE = "hate"


class ModelRef(BaseModel):
    """Which model produced a score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str


class Reason(BaseModel):
    """One piece of evidence behind a score: a phrase that weighed, a matched claim or cue, a source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # e.g. "phrase", "keyword", "claim_match", "source_credibility", "cue"
    detail: str
    weight: float = Field(ge=0.0, le=1.0)
    ref: str | None = None  # claim id, source id, cue phrase...


class SentimentScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: SentimentLabel
    probabilities: dict[SentimentLabel, float]
    model: ModelRef
    reasons: tuple[Reason, ...] = Field(default=(), description="What weighed most toward the label.")


class TopicScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    score: float = Field(ge=0.0, le=1.0)
    reasons: tuple[Reason, ...] = Field(default=(), description="The phrases or keywords behind the topic.")


class TopicsResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: tuple[TopicScore, ...] = ()
    model: ModelRef

    @property
    def labels(self) -> list[str]:
        return [t.topic for t in self.topics]


class ToxicityScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: ToxicityLabel
    probabilities: dict[ToxicityLabel, float]
    model: ModelRef
    reasons: tuple[Reason, ...] = Field(default=(), description="What weighed most toward the label.")


class MisinfoScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    score: float = Field(ge=0.0, le=1.0)
    reasons: tuple[Reason, ...] = ()
    model: ModelRef
    claim_ids: tuple[str, ...] = Field(default=(), description="Registered false claims the document repeats.")
    corrected_claim_ids: tuple[str, ...] = Field(
        default=(), description="Registered claims whose official correction the document relays."
    )


class EntityMention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    kind: str  # "PER", "LOC", "ORG" from NER; gazetteer kinds such as "admin_unit", "landmark", "project"
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    ref: str | None = None  # the gazetteer entry id, shared by an entity's old and new names


class Markup(BaseModel):
    """Links, @mentions, #hashtags and emoji found in a document's text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    urls: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()  # lower-case, without '#'
    emoji: tuple[str, ...] = ()


class Analysis(BaseModel):
    """All scores for one document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sentiment: SentimentScore
    topics: TopicsResult
    toxicity: ToxicityScore
    misinformation: MisinfoScore
    entities: tuple[EntityMention, ...] = ()
    watchlist_hits: tuple[str, ...] = ()
    markup: Markup = Field(default_factory=Markup)
    story_id: str | None = None


class AnalyzedDocument(BaseModel):
    """A document with its analysis: the unit the store holds and the rules read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document: Document
    analysis: Analysis

    @property
    def doc_id(self) -> str:
        return self.document.doc_id
