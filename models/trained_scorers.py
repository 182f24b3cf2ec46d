"""Trained classifiers in the scorers' shapes: the pipeline reads the same score types either way.

Each adapter checks at start-up that the model was trained for its task and that its labels mean
something to the product (a sentiment model must speak of negative/neutral/positive), and records the
model's name, version and digest on every score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.config import MisinformationModel, PinnedModel, Task, TopicModel
from models.trained.base import TextClassifier
from models.trained.modeldir import ModelCard, load_model
from monitor.analysis import (
    ModelRef,
    Reason,
    SentimentLabel,
    SentimentScore,
    TopicScore,
    ToxicityLabel,
    ToxicityScore,
)
from monitor.errors import ConfigError, ModelError


class _Loaded:
    def __init__(self, task: Task, pinned: PinnedModel, models_file: Path) -> None:
        key = f"trained.{task.value}"
        try:
            card, classifier = load_model(pinned.path, expected_digest=pinned.sha256)
        except ModelError as exc:
            raise ConfigError(exc.message, path=str(models_file), key=key) from exc
        if card.task != task.value:
            raise ConfigError(
                f"the model in {pinned.path} was trained for '{card.task}', not '{task.value}'",
                path=str(models_file),
                key=key,
            )
        self.card: ModelCard = card
        self.classifier: TextClassifier = classifier
        self.model = ModelRef(name=card.name, version=f"{card.version}+{pinned.sha256[:12]}")
        self.key = key
        self.models_file = models_file

    def require_labels(self, allowed: set[str]) -> None:
        unknown = set(self.classifier.labels) - allowed
        if unknown:
            raise ConfigError(
                f"the model's labels {sorted(unknown)} are not among {sorted(allowed)}",
                path=str(self.models_file),
                key=self.key,
            )


class TrainedSentiment:
    def __init__(self, pinned: PinnedModel, models_file: Path) -> None:
        self._loaded = _Loaded(Task.SENTIMENT, pinned, models_file)
        self._loaded.require_labels({label.value for label in SentimentLabel})
        self.model = self._loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[SentimentScore]:
        labels = [SentimentLabel(label) for label in self._loaded.classifier.labels]
        scores = []
        for row in _probabilities(self._loaded.classifier, texts):
            probabilities = dict.fromkeys(SentimentLabel, 0.0) | {
                label: round(float(p), 4) for label, p in zip(labels, row, strict=True)
            }
            scores.append(
                SentimentScore(label=labels[int(np.argmax(row))], probabilities=probabilities, model=self.model)
            )
        return scores


class TrainedToxicity:
    def __init__(self, pinned: PinnedModel, models_file: Path) -> None:
        self._loaded = _Loaded(Task.TOXICITY, pinned, models_file)
        self._loaded.require_labels({label.value for label in ToxicityLabel})
        self.model = self._loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[ToxicityScore]:
        labels = [ToxicityLabel(label) for label in self._loaded.classifier.labels]
        scores = []
        for row in _probabilities(self._loaded.classifier, texts):
            probabilities = dict.fromkeys(ToxicityLabel, 0.0) | {
                label: round(float(p), 4) for label, p in zip(labels, row, strict=True)
            }
            scores.append(
                ToxicityScore(label=labels[int(np.argmax(row))], probabilities=probabilities, model=self.model)
            )
        return scores


class TrainedTopic:
    """A single-label news-topic classifier; its top label joins the keyword topics when it is confident."""

    def __init__(self, pinned: TopicModel, models_file: Path) -> None:
        self._loaded = _Loaded(Task.TOPIC, pinned, models_file)
        self._min_probability = pinned.min_probability
        self.model = self._loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[TopicScore | None]:
        labels = self._loaded.classifier.labels
        result: list[TopicScore | None] = []
        for row in _probabilities(self._loaded.classifier, texts):
            best = int(np.argmax(row))
            confident = float(row[best]) >= self._min_probability
            result.append(TopicScore(topic=labels[best], score=round(float(row[best]), 4)) if confident else None)
        return result


class TrainedMisinformation:
    """The probability that a text is misinformation, as one more reason in the misinformation score."""

    def __init__(self, pinned: MisinformationModel, models_file: Path) -> None:
        self._loaded = _Loaded(Task.MISINFORMATION, pinned, models_file)
        labels = self._loaded.classifier.labels
        if pinned.positive_label not in labels:
            raise ConfigError(
                f"positive_label '{pinned.positive_label}' is not one of the model's labels {list(labels)}",
                path=str(models_file),
                key=f"{self._loaded.key}.positive_label",
            )
        self._column = labels.index(pinned.positive_label)
        self.weight = pinned.weight
        self.model = self._loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[float]:
        return [float(row[self._column]) for row in _probabilities(self._loaded.classifier, texts)]

    def reason(self, probability: float) -> Reason:
        return Reason(
            kind="classifier",
            ref=f"{self.model.name}@{self.model.version}",
            weight=round(self.weight * probability, 3),
            detail=f"trained classifier '{self.model.name}' gives {probability:.2f} for misinformation",
        )


def _probabilities(classifier: TextClassifier, texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, len(classifier.labels)))
    return classifier.predict_proba(texts)
