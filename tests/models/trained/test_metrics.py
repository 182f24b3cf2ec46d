from __future__ import annotations

import json

import numpy as np
import pytest

from models.trained.metrics import evaluate
from monitor.errors import ModelError

LABELS = ("negative", "neutral", "positive")


def _one_hot(predicted: list[str], labels: tuple[str, ...] = LABELS) -> np.ndarray:
    rows = np.full((len(predicted), len(labels)), 0.1)
    for row, label in zip(rows, predicted, strict=True):
        row[labels.index(label)] = 0.8
    return rows


def test_multiclass_metrics_match_hand_computed_values() -> None:
    truth = ["positive", "positive", "positive", "negative", "negative", "neutral"]
    predicted = ["positive", "positive", "negative", "negative", "positive", "neutral"]
    result = evaluate(truth, _one_hot(predicted), LABELS)
    # positive: 2 right of 3 predicted, 2 found of 3 -> P = R = F1 = 2/3
    # negative: 1 right of 2 predicted, 1 found of 2 -> P = R = F1 = 1/2; neutral: all right
    assert result["n"] == 6
    assert result["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3, abs=1e-4)
    assert result["weighted_f1"] == pytest.approx((3 * 2 / 3 + 2 * 1 / 2 + 1 * 1) / 6, abs=1e-4)
    assert result["per_class"]["positive"] == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "support": 3}
    assert result["per_class"]["negative"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_class"]["neutral"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert "roc_auc" not in result
    json.dumps(result)  # plain JSON, no numpy types


def test_binary_task_reports_roc_auc_of_the_minority_label() -> None:
    labels = ("reliable", "unreliable")
    truth = ["reliable", "reliable", "reliable", "unreliable", "unreliable"]
    unreliable = np.array([0.1, 0.4, 0.35, 0.8, 0.3])
    result = evaluate(truth, np.column_stack([1 - unreliable, unreliable]), labels)
    # 0.8 outranks all three reliable texts, 0.3 only the one at 0.1: 4 of 6 pairs ordered right.
    assert result["positive_label"] == "unreliable"
    assert result["roc_auc"] == pytest.approx(4 / 6, abs=1e-4)
    json.dumps(result)


def test_labels_the_model_does_not_know_count_as_errors() -> None:
    truth = ["positive", "negative", "spam", "spam"]
    predicted = ["positive", "negative", "positive", "neutral"]
    result = evaluate(truth, _one_hot(predicted), LABELS)
    assert result["unknown_labels"] == ["spam"]
    assert result["accuracy"] == 0.5
    assert result["per_class"]["spam"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    # Averaged over positive (P 1/2, R 1), negative (1), neutral (0, wrongly predicted) and spam (0).
    assert result["macro_f1"] == pytest.approx((2 / 3 + 1 + 0 + 0) / 4, abs=1e-4)


def test_labels_absent_from_the_data_do_not_lower_the_average() -> None:
    result = evaluate(["positive", "negative"], _one_hot(["positive", "negative"]), LABELS)
    assert result["macro_f1"] == 1.0
    assert result["per_class"]["neutral"]["support"] == 0


def test_shape_mismatch_and_empty_data_are_errors() -> None:
    with pytest.raises(ModelError, match="expected"):
        evaluate(["positive"], np.zeros((1, 2)), LABELS)
    with pytest.raises(ModelError, match="empty"):
        evaluate([], np.zeros((0, 3)), LABELS)
