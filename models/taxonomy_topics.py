"""Topics in the office's taxonomy (``configs/topics.yaml``): the shipped model, with keywords beside it.

The model decides the topics it was trained on; a topic the operator adds to ``topics.yaml`` later is
unknown to it, so the keyword lists decide those. Keywords also explain a model topic: when a topic's
keywords occur in the text they are its reasons, next to the phrases the model weighed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.explanations import phrase_reasons
from models.readable import readable_probabilities
from models.shipped.loader import LoadedModel
from models.topics import KeywordTopics
from monitor.analysis import ModelRef, Reason, TopicScore, TopicsResult

NO_TOPIC = "_none"  # the label of corpus items that belong to no topic of the taxonomy


@dataclass(frozen=True)
class TopicThresholds:
    """When the model's probabilities make a topic: the best one from ``first``, others from ``other``."""

    first: float = 0.4
    other: float = 0.3
    max_topics: int = 3


class TaxonomyTopics:
    """Multi-label topics: model topics above the thresholds, plus keyword topics the model does not know."""

    def __init__(self, keywords: KeywordTopics, loaded: LoadedModel, thresholds: TopicThresholds) -> None:
        self._keywords = keywords
        self._classifier = loaded.classifier
        self._thresholds = thresholds
        labels = self._classifier.labels
        self._known = frozenset(label for label in labels if label != NO_TOPIC)
        self.model = ModelRef(name=f"{loaded.model.name}+keywords", version=loaded.model.version)

    def _chosen(self, row: np.ndarray) -> list[int]:
        labels = self._classifier.labels
        order = [int(i) for i in np.argsort(-row, kind="stable") if labels[int(i)] != NO_TOPIC]
        chosen: list[int] = []
        for rank, index in enumerate(order[: self._thresholds.max_topics]):
            if row[index] >= (self._thresholds.first if rank == 0 else self._thresholds.other):
                chosen.append(index)
        return chosen

    def predict_batch(self, items: Sequence[tuple[str, str]]) -> list[TopicsResult]:
        """Topics of each ``(title, text)``."""
        keyword_results = self._keywords.predict_batch(items)
        texts = [f"{title}\n{text}" if title else text for title, text in items]
        rows = readable_probabilities(self._classifier, texts, NO_TOPIC)
        chosen = [self._chosen(row) for row in rows]
        # Explain each chosen topic: one explain call per rank, over the texts that have that many topics.
        # A topic whose keywords occur in the text has them as reasons already; the model's phrases are
        # asked for only where no keyword says why (explaining costs ten times the scoring).
        phrases: dict[tuple[int, int], tuple[Reason, ...]] = {}
        keyword_hits = [{score.topic for score in result.topics} for result in keyword_results]
        for rank in range(self._thresholds.max_topics):
            which = [
                i
                for i, picks in enumerate(chosen)
                if len(picks) > rank and self._classifier.labels[picks[rank]] not in keyword_hits[i]
            ]
            labels = [self._classifier.labels[chosen[i][rank]] for i in which]
            indices = [chosen[i][rank] for i in which]
            found = phrase_reasons(self._classifier, [texts[i] for i in which], indices, labels)
            phrases.update({(i, rank): reasons for i, reasons in zip(which, found, strict=True)})
        results = []
        for i, (row, picks, by_keywords) in enumerate(zip(rows, chosen, keyword_results, strict=True)):
            keyword_topics = {score.topic: score for score in by_keywords.topics}
            topics = [
                TopicScore(
                    topic=self._classifier.labels[index],
                    score=round(float(row[index]), 4),
                    reasons=(*phrases.get((i, rank), ()), *self._keyword_reasons(keyword_topics, index)),
                )
                for rank, index in enumerate(picks)
            ]
            topics += [score for topic, score in keyword_topics.items() if topic not in self._known]
            results.append(TopicsResult(topics=tuple(topics), model=self.model))
        return results

    def _keyword_reasons(self, keyword_topics: dict[str, TopicScore], index: int) -> tuple[Reason, ...]:
        match = keyword_topics.get(self._classifier.labels[index])
        return match.reasons if match is not None else ()
