"""Reasons for a trained model's label: the phrases of the text that pushed it most toward that label.

Backends that can say which features weighed (the scikit-learn recipe) implement ``explain``; others
(a fine-tuned transformer) give scores without reasons rather than invented ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.trained.base import ExplainableClassifier
from monitor.analysis import Reason

TOP_PHRASES = 3


def phrase_reasons(
    classifier: object, texts: Sequence[str], label_indices: Sequence[int], label_names: Sequence[str]
) -> list[tuple[Reason, ...]]:
    """Per text, up to :data:`TOP_PHRASES` reasons toward ``label_names[i]``; weights are shares of their sum."""
    if not isinstance(classifier, ExplainableClassifier) or not texts:
        return [() for _ in texts]
    explained = classifier.explain(texts, label_indices, top=TOP_PHRASES)
    reasons: list[tuple[Reason, ...]] = []
    for phrases, label in zip(explained, label_names, strict=True):
        total = sum(weight for _, weight in phrases if weight > 0)
        reasons.append(
            tuple(
                Reason(kind="phrase", detail=f'"{phrase}" → {label}', weight=round(weight / total, 3), ref=phrase)
                for phrase, weight in phrases
                if weight > 0
            )
        )
    return reasons
