"""Trained classifiers in the scorers' shapes: the pipeline reads the same score types either way.

A scorer is built from a verified model (:class:`models.shipped.loader.LoadedModel`): one pinned in
``models.yaml`` (or by a command), or one shipped with the package. Each checks that the model was
trained for its task and that its labels mean something to the product (a sentiment model must speak of
negative/neutral/positive), records the model's name, version and digest on every score, and gives the
phrases behind each label when the backend can tell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from models.config import MisinformationModel, PinnedModel, Task, TopicModel
from models.explanations import phrase_reasons
from models.readable import readable_probabilities
from models.shipped.loader import LoadedModel, loaded_model
from models.trained.base import TextClassifier
from monitor.analysis import Reason, SentimentLabel, SentimentScore, TopicScore, ToxicityLabel, ToxicityScore
from monitor.errors import ConfigError, ModelError

T = TypeVar("T")
L = TypeVar("L", bound=str)


def load_pinned(task: Task, pinned: PinnedModel, models_file: Path) -> LoadedModel:
    """The model ``pinned`` for ``task``; every problem is a configuration error naming the file and key."""
    key = f"trained.{task.value}"
    try:
        loaded = loaded_model(pinned.path, pinned.sha256)
    except ModelError as exc:
        raise ConfigError(exc.message, path=str(models_file), key=key) from exc
    if loaded.card.task != task.value:
        raise ConfigError(
            f"the model in {pinned.path} was trained for '{loaded.card.task}', not '{task.value}'",
            path=str(models_file),
            key=key,
        )
    return loaded


def _require_labels(loaded: LoadedModel, allowed: set[str]) -> None:
    unknown = set(loaded.classifier.labels) - allowed
    if unknown:
        raise ModelError(f"{loaded.directory}: the model's labels {sorted(unknown)} are not among {sorted(allowed)}")


@dataclass(frozen=True)
class _Labelled:
    """One batch through a single-label model: probabilities, the best label and its reasons per text."""

    rows: NDArray[np.float64]
    best: list[int]
    reasons: list[tuple[Reason, ...]]


def _label_batch(classifier: TextClassifier, texts: Sequence[str], quiet: str) -> _Labelled:
    """Score ``texts``; explain every best label but ``quiet`` (the label that means "nothing here").

    The quiet label (neutral sentiment, clean text) is the absence of a push, and explaining costs ten
    times the scoring: leaving it out halves the cost on a typical stream. A text with no readable word
    gets the quiet label (:func:`readable_probabilities`).
    """
    labels = classifier.labels
    rows = readable_probabilities(classifier, texts, quiet)
    best = [int(np.argmax(row)) for row in rows]
    loud = [i for i, top in enumerate(best) if labels[top] != quiet]
    indices = [best[i] for i in loud]
    found = phrase_reasons(classifier, [texts[i] for i in loud], indices, [labels[i] for i in indices])
    explained: dict[int, tuple[Reason, ...]] = dict(zip(loud, found, strict=True))
    return _Labelled(rows, best, [explained.get(i, ()) for i in range(len(texts))])


def _probabilities_of(labels: Sequence[L], row: NDArray[np.float64], every: Sequence[L]) -> dict[L, float]:
    """Every label's probability (0 for a label the model lacks), rounded for storage."""
    return dict.fromkeys(every, 0.0) | {label: round(float(p), 4) for label, p in zip(labels, row, strict=True)}


class TrainedSentiment:
    def __init__(self, loaded: LoadedModel) -> None:
        _require_labels(loaded, {label.value for label in SentimentLabel})
        self._classifier = loaded.classifier
        self.model = loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[SentimentScore]:
        labels = [SentimentLabel(label) for label in self._classifier.labels]
        batch = _label_batch(self._classifier, texts, SentimentLabel.NEUTRAL.value)
        return [
            SentimentScore(
                label=labels[top],
                probabilities=_probabilities_of(labels, row, list(SentimentLabel)),
                model=self.model,
                reasons=why,
            )
            for row, top, why in zip(batch.rows, batch.best, batch.reasons, strict=True)
        ]


class TrainedToxicity:
    def __init__(self, loaded: LoadedModel) -> None:
        _require_labels(loaded, {label.value for label in ToxicityLabel})
        self._classifier = loaded.classifier
        self.model = loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[ToxicityScore]:
        labels = [ToxicityLabel(label) for label in self._classifier.labels]
        batch = _label_batch(self._classifier, texts, ToxicityLabel.CLEAN.value)
        return [
            ToxicityScore(
                label=labels[top],
                probabilities=_probabilities_of(labels, row, list(ToxicityLabel)),
                model=self.model,
                reasons=why,
            )
            for row, top, why in zip(batch.rows, batch.best, batch.reasons, strict=True)
        ]


def pinned_sentiment(pinned: PinnedModel, models_file: Path) -> TrainedSentiment:
    return _pinned(TrainedSentiment, Task.SENTIMENT, pinned, models_file)


def pinned_toxicity(pinned: PinnedModel, models_file: Path) -> TrainedToxicity:
    return _pinned(TrainedToxicity, Task.TOXICITY, pinned, models_file)


def _pinned(scorer: Callable[[LoadedModel], T], task: Task, pinned: PinnedModel, models_file: Path) -> T:
    """The scorer over the pinned model; a model unfit for the task is an error of the pin in ``models_file``."""
    loaded = load_pinned(task, pinned, models_file)
    try:
        return scorer(loaded)
    except ModelError as exc:
        raise ConfigError(exc.message, path=str(models_file), key=f"trained.{task.value}") from exc


class TrainedTopic:
    """A single-label news-topic classifier; its top label joins the office's topics when it is confident."""

    def __init__(self, loaded: LoadedModel, min_probability: float) -> None:
        self._classifier = loaded.classifier
        self._min_probability = min_probability
        self.model = loaded.model

    @classmethod
    def from_pin(cls, pinned: TopicModel, models_file: Path) -> TrainedTopic:
        return cls(load_pinned(Task.TOPIC, pinned, models_file), pinned.min_probability)

    def predict_batch(self, texts: Sequence[str]) -> list[TopicScore | None]:
        labels = self._classifier.labels
        result: list[TopicScore | None] = []
        for row in readable_probabilities(self._classifier, texts):
            best = int(np.argmax(row))
            confident = float(row[best]) >= self._min_probability
            result.append(TopicScore(topic=labels[best], score=round(float(row[best]), 4)) if confident else None)
        return result


class TrainedMisinformation:
    """The probability that a text is misinformation, as one more reason in the misinformation score."""

    def __init__(self, pinned: MisinformationModel, models_file: Path) -> None:
        loaded = load_pinned(Task.MISINFORMATION, pinned, models_file)
        labels = loaded.classifier.labels
        if pinned.positive_label not in labels:
            raise ConfigError(
                f"positive_label '{pinned.positive_label}' is not one of the model's labels {list(labels)}",
                path=str(models_file),
                key=f"trained.{Task.MISINFORMATION.value}.positive_label",
            )
        self._classifier = loaded.classifier
        self._column = labels.index(pinned.positive_label)
        self.weight = pinned.weight
        self.model = loaded.model

    def predict_batch(self, texts: Sequence[str]) -> list[float]:
        return [float(row[self._column]) for row in readable_probabilities(self._classifier, texts)]

    def reason(self, probability: float) -> Reason:
        return Reason(
            kind="classifier",
            ref=f"{self.model.name}@{self.model.version}",
            weight=round(self.weight * probability, 3),
            detail=f"trained classifier '{self.model.name}' gives {probability:.2f} for misinformation",
        )
