"""The contract every trained text classifier meets, whatever its backend.

A classifier maps texts to a probability per label. Backends (scikit-learn, transformers) implement
:class:`TextClassifier`; those that can say which phrases weighed most (scikit-learn) also implement
:class:`ExplainableClassifier`, which scorers check with ``isinstance``. The model directory
(:mod:`models.trained.modeldir`) records which backend wrote it, so loading never has to guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Prediction:
    """One text's label and the probability of every label (summing to 1)."""

    label: str
    probabilities: dict[str, float]


class TextClassifier(Protocol):
    """A fitted classifier over a fixed, ordered label set."""

    @property
    def labels(self) -> tuple[str, ...]:
        """The label set, in the column order of :meth:`predict_proba`."""
        ...

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Shape ``(len(texts), len(labels))``; rows sum to 1. Empty texts are allowed."""
        ...

    def save(self, directory: Path) -> list[str]:
        """Write the artifact files into ``directory``; returns their names (relative)."""
        ...


@runtime_checkable
class ExplainableClassifier(TextClassifier, Protocol):
    """A classifier that can name the phrases of a text behind a label's score: every score carries its reasons."""

    def explain(
        self, texts: Sequence[str], label_indices: Sequence[int], top: int = 3
    ) -> list[list[tuple[str, float]]]:
        """For each text, up to ``top`` ``(phrase, weight)`` that pushed it most toward ``label_indices[i]``.

        Phrases are spelled as in the text; weights are positive, largest first; phrases that pushed
        the text away from the label are left out, so a list may be shorter than ``top`` or empty (an
        empty text has no reasons). ``label_indices`` index :attr:`labels`.

        Raises:
            ModelError: ``texts`` and ``label_indices`` differ in length, or an index is out of range.
        """
        ...


def predictions(classifier: TextClassifier, texts: Sequence[str]) -> list[Prediction]:
    """Labels and rounded probabilities for ``texts``, in order."""
    if not texts:
        return []
    probabilities = classifier.predict_proba(texts)
    labels = classifier.labels
    result = []
    for row in probabilities:
        best = int(np.argmax(row))
        result.append(
            Prediction(labels[best], {label: round(float(p), 4) for label, p in zip(labels, row, strict=True)})
        )
    return result
