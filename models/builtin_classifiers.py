"""The built-in scorers seen as text classifiers, so ``monitor models evaluate builtin:NAME`` measures
them exactly as it measures a trained model (same metrics, same data files).

Names: ``builtin:sentiment``, ``builtin:toxicity`` and ``builtin:topic`` are the models shipped in the
package, exactly what a fresh install scores with (the topic model over the office's taxonomy, its best
topic per text); ``builtin:misinfo`` is the claims-and-cues score as the probability of ``unreliable``;
``builtin:lexicon-sentiment`` and ``builtin:lexicon-toxicity`` are the word lists the shipped models
replaced (still the fallback with ``defaults: lexicons`` in ``models.yaml``), kept for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.misinfo import CueMisinformation
from models.sentiment import LexiconSentiment
from models.shipped import SHIPPED_TASKS
from models.shipped.loader import load_shipped, manifest_path
from models.toxicity import LexiconToxicity
from models.trained.base import TextClassifier
from monitor.analysis import SentimentLabel, ToxicityLabel
from monitor.claims.reviewed import load_claims
from monitor.errors import ModelError
from monitor.records import Document, Platform, utc_now

BUILTIN_PREFIX = "builtin:"


class _LexiconSentimentClassifier:
    labels = tuple(label.value for label in SentimentLabel)

    def __init__(self) -> None:
        self._scorer = LexiconSentiment()

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        scores = self._scorer.predict_batch(texts)
        return np.array(
            [[s.probabilities[SentimentLabel(label)] for label in self.labels] for s in scores], dtype=np.float64
        ).reshape(len(texts), len(self.labels))

    def save(self, directory: Path) -> list[str]:
        raise ModelError("a built-in scorer has nothing to save")


class _LexiconToxicityClassifier:
    labels = tuple(label.value for label in ToxicityLabel)

    def __init__(self) -> None:
        self._scorer = LexiconToxicity()

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        scores = self._scorer.predict_batch(texts)
        return np.array(
            [[s.probabilities[ToxicityLabel(label)] for label in self.labels] for s in scores], dtype=np.float64
        ).reshape(len(texts), len(self.labels))

    def save(self, directory: Path) -> list[str]:
        raise ModelError("a built-in scorer has nothing to save")


class _CueMisinformationClassifier:
    labels = ("reliable", "unreliable")

    def __init__(self, config_dir: Path) -> None:
        self._scorer = CueMisinformation(load_claims(config_dir), {})

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        now = utc_now()
        documents = [
            Document(
                doc_id=f"evaluation-{i}",
                source_id="evaluation",
                platform=Platform.IMPORT,
                url=f"urn:evaluation:{i}",
                text=text,
                published_at=now,
                fetched_at=now,
            )
            for i, text in enumerate(texts)
        ]
        unreliable = np.array([score.score for score in self._scorer.score_batch(documents)], dtype=np.float64)
        return np.column_stack([1.0 - unreliable, unreliable]).reshape(len(texts), 2)

    def save(self, directory: Path) -> list[str]:
        raise ModelError("a built-in scorer has nothing to save")


BUILTIN_NAMES = ("sentiment", "toxicity", "topic", "misinfo", "lexicon-sentiment", "lexicon-toxicity")


def builtin_classifier(name: str, config_dir: Path) -> TextClassifier:
    """The built-in scorer ``builtin:NAME`` (or ``NAME``) as a classifier.

    Raises:
        ModelError: an unknown name, or a shipped model missing from this install (named).
    """
    short = name.removeprefix(BUILTIN_PREFIX)
    if short in SHIPPED_TASKS:
        loaded = load_shipped(short)
        if loaded is None:
            raise ModelError(f"this install ships no {short} model ({manifest_path()} does not list it)")
        return loaded.classifier
    if short == "lexicon-sentiment":
        return _LexiconSentimentClassifier()
    if short == "lexicon-toxicity":
        return _LexiconToxicityClassifier()
    if short == "misinfo":
        return _CueMisinformationClassifier(config_dir)
    known = ", ".join(BUILTIN_PREFIX + n for n in BUILTIN_NAMES)
    raise ModelError(f"unknown built-in scorer '{name}' (known: {known})")
