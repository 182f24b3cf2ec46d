"""Scoring only what can be read: texts without a single ordinary word never reach a model."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from models.trained.base import TextClassifier

# A word a person could have written: letters (and digits) of ordinary length. A text without one (only
# punctuation, emoji, a 100 KB run of one character) is outside anything a model was trained on, and a
# linear stacker extrapolates there to near-certainty ("...." read as 99.7% negative): such texts get
# the label that means "nothing here" instead.
_READABLE_WORD = re.compile(r"(?<![^\W_])[^\W\d_]{1,30}(?![^\W_])")


def readable_probabilities(classifier: TextClassifier, texts: Sequence[str], fallback: str = "") -> NDArray[np.float64]:
    """Probabilities per text; a text with no readable word gets all of it on ``fallback`` (none if empty)."""
    rows = np.zeros((len(texts), len(classifier.labels)))
    readable = [i for i, text in enumerate(texts) if _READABLE_WORD.search(text)]
    if readable:
        rows[readable] = classifier.predict_proba([texts[i] for i in readable])
    seen = set(readable)
    unreadable = [i for i in range(len(texts)) if i not in seen]
    if unreadable and fallback in classifier.labels:
        rows[unreadable, classifier.labels.index(fallback)] = 1.0
    return rows
