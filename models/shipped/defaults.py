"""The scorers a fresh install uses: the shipped models, each where the package has one."""

from __future__ import annotations

from dataclasses import dataclass

from models.shipped.loader import load_shipped
from models.taxonomy_topics import TaxonomyTopics, TopicThresholds
from models.topics import KeywordTopics
from models.trained_scorers import TrainedSentiment, TrainedToxicity


@dataclass(frozen=True)
class ShippedScorers:
    """Scorers built from the shipped models; ``None`` where the package ships no model for the task."""

    sentiment: TrainedSentiment | None
    topics: TaxonomyTopics | None
    toxicity: TrainedToxicity | None


def shipped_scorers(keywords: KeywordTopics, thresholds: TopicThresholds | None = None) -> ShippedScorers:
    """The shipped scorers; topics combine the shipped model with the operator's ``keywords``."""
    sentiment = load_shipped("sentiment")
    topic = load_shipped("topic")
    toxicity = load_shipped("toxicity")
    return ShippedScorers(
        sentiment=TrainedSentiment(sentiment) if sentiment else None,
        topics=TaxonomyTopics(keywords, topic, thresholds or TopicThresholds()) if topic else None,
        toxicity=TrainedToxicity(toxicity) if toxicity else None,
    )
