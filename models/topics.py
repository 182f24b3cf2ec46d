"""Built-in topic baseline: multi-label keyword topics over the taxonomy of :mod:`monitor.config.topics`."""

from __future__ import annotations

import math
from collections.abc import Sequence

from models.phrases import PhraseMatcher
from models.tokens import word_tokens
from monitor.analysis import ModelRef, Reason, TopicScore, TopicsResult
from monitor.config.topics import Taxonomy

MIN_SCORE = 0.3
TITLE_WEIGHT = 2.0
MAX_REASONS = 3


def _keyword_reasons(phrases: dict[str, float], total: float) -> tuple[Reason, ...]:
    """The topic's keywords found, most weighty first (at most :data:`MAX_REASONS`)."""
    ranked = sorted(phrases.items(), key=lambda item: (-item[1], item[0]))[:MAX_REASONS]
    return tuple(
        Reason(kind="keyword", detail=f'keyword "{phrase}"', weight=round(weight / total, 3), ref=phrase)
        for phrase, weight in ranked
    )


class KeywordTopics:
    """Scores each topic by how many of its phrases a document mentions (title counts double)."""

    model = ModelRef(name="builtin-keyword-topics", version="1")

    def __init__(self, taxonomy: Taxonomy) -> None:
        phrases: dict[str, set[str]] = {}
        for topic_id, definition in taxonomy.topics.items():
            for keyword in definition.keywords:
                phrases.setdefault(keyword.lower(), set()).add(topic_id)
        self._matcher = PhraseMatcher({k: frozenset(v) for k, v in phrases.items()})
        self.labels = taxonomy.labels

    def predict(self, title: str, text: str) -> TopicsResult:
        hits: dict[str, float] = {}
        phrases: dict[str, dict[str, float]] = {}
        for part, weight in ((title, TITLE_WEIGHT), (text, 1.0)):
            for match in self._matcher.find(word_tokens(part, expand_teencode=False)):
                for topic_id in match.value:
                    hits[topic_id] = hits.get(topic_id, 0.0) + weight
                    found = phrases.setdefault(topic_id, {})
                    found[match.phrase] = found.get(match.phrase, 0.0) + weight
        scores = [
            TopicScore(topic=t, score=round(1 - math.exp(-h / 2), 4), reasons=_keyword_reasons(phrases[t], h))
            for t, h in hits.items()
        ]
        kept = sorted((s for s in scores if s.score >= MIN_SCORE), key=lambda s: (-s.score, s.topic))
        return TopicsResult(topics=tuple(kept), model=self.model)

    def predict_batch(self, texts: Sequence[tuple[str, str]]) -> list[TopicsResult]:
        return [self.predict(title, text) for title, text in texts]
