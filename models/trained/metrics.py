"""Evaluation metrics for a classifier's probabilities against true labels, as plain JSON-ready data.

Macro-F1 is the headline number: the datasets are imbalanced (neutral, hate, unreliable are rare) and
accuracy hides a model that ignores the rare label. Binary tasks also get ROC-AUC with the *minority*
label as the positive class (unreliable, not reliable), which is how ReINTEL is scored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import (  # type: ignore[import-untyped]
    accuracy_score,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from monitor.errors import ModelError


def _round(value: float) -> float:
    return round(float(value), 4)


def evaluate(true_labels: Sequence[str], probabilities: NDArray[np.float64], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro/weighted F1, per-label precision/recall/F1/support and, for two labels, ROC-AUC.

    ``probabilities`` has one column per entry of ``labels`` (the model's label order); the predicted
    label is the most probable one. True labels the model does not know are always errors: they are
    scored as their own classes (so they lower macro-F1 and recall) and listed under ``unknown_labels``.

    Raises:
        ModelError: no rows, or ``probabilities`` does not have shape ``(len(true_labels), len(labels))``.
    """
    model_labels = list(labels)
    n = len(true_labels)
    if n == 0:
        raise ModelError("cannot evaluate on an empty data set")
    if probabilities.shape != (n, len(model_labels)):
        raise ModelError(
            f"probabilities have shape {probabilities.shape}, expected ({n}, {len(model_labels)}) for labels {labels}"
        )
    truth = [str(label) for label in true_labels]
    predicted = [model_labels[i] for i in np.argmax(probabilities, axis=1)]
    unknown = sorted(set(truth) - set(model_labels))
    # Report every label the model predicts or the data contains, model labels first.
    report_labels = [*model_labels, *unknown]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=report_labels, zero_division=0
    )
    # Averages run over the labels that occur (as truth or prediction), as scikit-learn does by default:
    # a label absent from this data set is neither right nor wrong here.
    occurring = [label for label in report_labels if label in set(truth) | set(predicted)]
    result: dict[str, Any] = {
        "n": n,
        "accuracy": _round(accuracy_score(truth, predicted)),
        "macro_f1": _round(f1_score(truth, predicted, labels=occurring, average="macro", zero_division=0)),
        "weighted_f1": _round(f1_score(truth, predicted, labels=occurring, average="weighted", zero_division=0)),
        "per_class": {
            label: {
                "precision": _round(precision[i]),
                "recall": _round(recall[i]),
                "f1": _round(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(report_labels)
        },
    }
    if unknown:
        result["unknown_labels"] = unknown
    result.update(_binary_auc(truth, probabilities, model_labels))
    return result


def _binary_auc(truth: list[str], probabilities: NDArray[np.float64], model_labels: list[str]) -> dict[str, Any]:
    """ROC-AUC of the minority true label when the task is binary and both labels occur."""
    counts = Counter(truth)
    if len(model_labels) != 2 or len(counts) != 2 or set(counts) != set(model_labels):
        return {}
    # The rarer label is the one worth finding; a tie goes to the label sorted last (deterministic).
    positive = min(sorted(counts, reverse=True), key=lambda label: counts[label])
    scores = probabilities[:, model_labels.index(positive)]
    is_positive = np.array([label == positive for label in truth])
    return {"roc_auc": _round(roc_auc_score(is_positive, scores)), "positive_label": positive}
