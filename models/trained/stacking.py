"""The scikit-learn recipe's models: three linear base models, a stacker over their scores, a prior shift.

1. Three linear models read the tf-idf features: class-weighted linear SVMs with a weaker and a stronger
   penalty, and an NB-SVM (the same SVM over features scaled by their naive-Bayes log-count ratio, which
   helps on sentiment-like tasks). All three are kept as one weight matrix (:class:`BaseModels`).
2. A small logistic regression, fitted on *out-of-fold* decision scores of all three plus the text's log
   word and character counts, combines them into calibrated probabilities. It is linear, or quadratic
   (products of scores) when cross-validation on those out-of-fold scores says so. Training uses
   scikit-learn; the fitted pipeline is turned into a :class:`Stacker`, plain arrays whose forward pass
   is written out here in numpy, so a saved model is read and run without scikit-learn objects.
3. A per-label log-prior shift, tuned on the out-of-fold probabilities to maximise macro-F1, so rare
   labels (neutral, hate) are not drowned by frequent ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]
from scipy.special import expit  # type: ignore[import-untyped]

from monitor.errors import ModelError

FloatArray = NDArray[np.float64]
FOLDS = 5
SVM_C = 0.5
SMOOTH_SVM_C = 0.15
NB_SVM_C = 0.2  # the NB-scaled features are larger, so they want a stronger penalty
STACKER_C = 1.0
QUADRATIC_STACKER_C = 0.3
QUADRATIC_MARGIN = 0.002
STACKERS = ("linear", "quadratic")
BIAS_GRID = np.linspace(-2.0, 2.0, 41)
BIAS_ROUNDS = 3

# The base models, as (kind, C). Two SVM penalties rather than one tuned C: the stacker weighs a
# smoother and a sharper model per task, which cross-validation on the training sets preferred to any
# single C (AIVIVN 0.907 -> 0.909, UIT-ViHSD 0.671 -> 0.676 macro-F1), at the cost of one more fit.
BASE_MODELS: tuple[tuple[str, float], ...] = (("svm", SVM_C), ("svm", SMOOTH_SVM_C), ("nb-svm", NB_SVM_C))


class BaseModels:
    """The :data:`BASE_MODELS`, all class-weighted, kept as one weight matrix: scoring is one product.

    ``weights`` has shape ``(n_features, n_scores)``; score columns: per base model in order, 1 for two
    labels, else one per label. Fitting lives in :mod:`models.trained.sklearn_backend`.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.weights = np.zeros((0, 0), dtype=np.float32)
        self.intercepts = np.zeros(0, dtype=np.float32)

    @classmethod
    def from_arrays(cls, weights: NDArray[np.float32], intercepts: NDArray[np.float32]) -> BaseModels:
        """Fitted base models from their saved weights and intercepts."""
        models = cls(seed=0)
        models.weights, models.intercepts = np.ascontiguousarray(weights), np.ascontiguousarray(intercepts)
        return models

    @staticmethod
    def n_scores(n_labels: int) -> int:
        return len(BASE_MODELS) * (1 if n_labels == 2 else n_labels)

    def scores(self, features: sparse.csr_matrix) -> FloatArray:
        return np.asarray(features @ self.weights, dtype=np.float64) + self.intercepts


def macro_f1(targets: NDArray[np.int64], predicted: NDArray[np.int64], n_labels: int) -> float:
    """Macro-F1 from a confusion matrix; far faster than sklearn's in the bias search's inner loop."""
    confusion = np.bincount(targets * n_labels + predicted, minlength=n_labels * n_labels).reshape(n_labels, -1)
    true_positive = np.diag(confusion).astype(np.float64)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(n_labels), where=denominator > 0)
    return float(f1.mean())


def tune_log_prior(probabilities: FloatArray, targets: NDArray[np.int64]) -> FloatArray:
    """Per-label shifts of log-probability that maximise macro-F1 (coordinate ascent on a grid).

    The first label stays at 0: only differences between labels change the argmax.
    """
    n_labels = probabilities.shape[1]
    log_p = np.log(np.clip(probabilities, 1e-12, 1.0))
    shift = np.zeros(n_labels)
    best = macro_f1(targets, np.argmax(log_p, axis=1), n_labels)
    for _ in range(BIAS_ROUNDS):
        improved = False
        for label in range(1, n_labels):
            for value in BIAS_GRID:
                candidate = shift.copy()
                candidate[label] = value
                score = macro_f1(targets, np.argmax(log_p + candidate, axis=1), n_labels)
                if score > best + 1e-9:
                    best, shift, improved = score, candidate, True
        if not improved:
            break
    return shift


def apply_log_prior(probabilities: FloatArray, shift: FloatArray) -> FloatArray:
    """``probabilities`` with each label's log-probability moved by ``shift``, renormalised."""
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) + shift
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float64)


@cache  # called once per explained text; the pairs depend only on the width
def quadratic_pairs(n_inputs: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The ``(i, j)``, ``i <= j``, of the degree-2 terms ``u_i * u_j`` in scikit-learn's column order.

    ``PolynomialFeatures(2)`` writes ``1, u_0 … u_{n-1}``, then ``u_0 u_0, u_0 u_1 … u_0 u_{n-1}, u_1 u_1 …``:
    the upper triangle read row by row, which is what ``numpy.triu_indices`` yields.
    """
    first, second = np.triu_indices(n_inputs)
    pairs = first.astype(np.intp), second.astype(np.intp)
    for index in pairs:
        index.flags.writeable = False  # shared by every caller through the cache
    return pairs


@dataclass(frozen=True, eq=False)
class Stacker:
    """A fitted stacker as plain arrays: ``StandardScaler`` → (``PolynomialFeatures(2)``) → logistic regression.

    ``coef`` has one row for two labels (scikit-learn's binary model: the sigmoid of one decision
    score gives the second label's probability) and one row per label otherwise (multinomial softmax).
    :meth:`predict_proba` computes what the scikit-learn pipeline's ``predict_proba`` does, in the same
    order of operations (equal to the last bit or two: the arrays are kept row-major, as saved).
    """

    kind: str
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: FloatArray

    def __post_init__(self) -> None:
        if self.kind not in STACKERS:
            raise ModelError(f"unknown stacker kind {self.kind!r}; known: {', '.join(STACKERS)}")
        n_inputs = len(self.mean)
        terms = n_inputs if self.kind == "linear" else 1 + n_inputs + n_inputs * (n_inputs + 1) // 2
        rows = self.coef.shape[0] if self.coef.ndim == 2 else 0
        if (
            self.scale.shape != (n_inputs,)
            or self.coef.shape != (rows, terms)
            or rows < 1
            or rows == 2
            or self.intercept.shape != (rows,)
        ):
            raise ModelError(
                f"inconsistent {self.kind} stacker: {n_inputs} inputs, scale {self.scale.shape}, "
                f"coefficients {self.coef.shape} (expected (1 or labels >= 3, {terms})), "
                f"intercept {self.intercept.shape}"
            )

    @classmethod
    def from_pipeline(cls, pipeline: object) -> Stacker:
        """The arrays of a fitted scikit-learn stacker pipeline (see ``sklearn_backend.stacker_pipeline``)."""
        steps = dict(pipeline.named_steps)  # type: ignore[attr-defined]
        scaler, logistic = steps["standardscaler"], steps["logisticregression"]
        kind = "quadratic" if "polynomialfeatures" in steps else "linear"
        n_inputs = len(scaler.mean_)
        if kind == "quadratic":
            first, second = quadratic_pairs(n_inputs)
            expected = np.zeros((1 + n_inputs + len(first), n_inputs), dtype=np.int64)
            expected[np.arange(1, n_inputs + 1), np.arange(n_inputs)] = 1
            np.add.at(expected, (np.arange(len(first)) + 1 + n_inputs, first), 1)
            np.add.at(expected, (np.arange(len(first)) + 1 + n_inputs, second), 1)
            if not np.array_equal(steps["polynomialfeatures"].powers_, expected):
                raise ModelError("PolynomialFeatures wrote its columns in an order this version does not know")
        if not np.array_equal(logistic.classes_, np.arange(len(logistic.classes_))):
            raise ModelError(f"the stacker's classes are {logistic.classes_}, expected 0..n-1")
        # Row-major copies, as the saved arrays load: scikit-learn keeps a multinomial model's coefficients
        # column-major, and BLAS may round a product differently by layout, so a model would not score
        # bit for bit the same after saving.
        return cls(
            kind,
            np.array(scaler.mean_, dtype=np.float64, order="C"),
            np.array(scaler.scale_, dtype=np.float64, order="C"),
            np.array(logistic.coef_, dtype=np.float64, order="C"),
            np.array(logistic.intercept_, dtype=np.float64, order="C"),
        )

    @property
    def n_labels(self) -> int:
        return 2 if self.coef.shape[0] == 1 else self.coef.shape[0]

    def _terms(self, inputs: FloatArray) -> FloatArray:
        scaled = (np.asarray(inputs, dtype=np.float64) - self.mean) / self.scale
        if self.kind == "linear":
            return scaled
        first, second = quadratic_pairs(len(self.mean))
        ones = np.ones((len(scaled), 1))
        return np.hstack([ones, scaled, scaled[:, second] * scaled[:, first]])

    def predict_proba(self, inputs: FloatArray) -> FloatArray:
        """Probabilities, shape ``(n, n_labels)``, of the stacker inputs ``(n, n_inputs)``."""
        decision = self._terms(inputs) @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:
            positive = expit(decision[:, 0])
            return np.asarray(np.stack([1 - positive, positive], axis=1), dtype=np.float64)
        decision -= decision.max(axis=1).reshape((-1, 1))
        np.exp(decision, out=decision)
        decision /= decision.sum(axis=1).reshape((-1, 1))
        return np.asarray(decision, dtype=np.float64)

    def logit_gradients(self, inputs: FloatArray) -> FloatArray:
        """d(logit of each label)/d(input) at one row of inputs, shape ``(n_labels, n_inputs)``.

        For two labels the logits are ``(0, decision)``, which the sigmoid turns into the same probabilities.
        """
        n_inputs = len(self.mean)
        scaled = (np.asarray(inputs, dtype=np.float64) - self.mean) / self.scale
        if self.kind == "linear":
            by_scaled = self.coef
        else:
            # Terms 1, u, u_i u_j: d/du_c of u_i u_j is u_j where i == c, plus u_i where j == c.
            first, second = quadratic_pairs(n_inputs)
            products = self.coef[:, 1 + n_inputs :]
            unit = np.eye(n_inputs)
            by_scaled = self.coef[:, 1 : 1 + n_inputs] + (products * scaled[second]) @ unit[first]
            by_scaled += (products * scaled[first]) @ unit[second]
        gradients = by_scaled / self.scale
        if self.coef.shape[0] == 1:
            gradients = np.vstack([np.zeros(n_inputs), gradients])
        return np.asarray(gradients, dtype=np.float64)

    def log_odds_gradient(self, inputs: FloatArray, probabilities: FloatArray, label: int) -> FloatArray:
        """d log(p_label / (1 - p_label)) / d(input) at one row of inputs, ``probabilities`` its final ones.

        With softmax probabilities ``p`` over logits ``l`` (shifting a label's log-probability by a
        constant, as the log-prior shift does, is a softmax over shifted logits), this is
        ``dl_label - sum_j q_j dl_j`` over the other labels ``j`` weighted ``q_j = p_j / (1 - p_label)``:
        the label against the others as likely as the text makes them. It does not vanish when
        ``p_label`` nears 1, so a confident score still has reasons.
        """
        gradients = self.logit_gradients(inputs)
        others = np.array(probabilities, dtype=np.float64)
        others[label] = 0.0
        total = others.sum()
        if total > 0:
            others /= total
        else:  # the label took all the probability: weigh the others equally
            others = np.full(len(others), 1.0 / (len(others) - 1))
            others[label] = 0.0
        return np.asarray(gradients[label] - others @ gradients, dtype=np.float64)
