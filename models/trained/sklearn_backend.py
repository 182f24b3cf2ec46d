"""The CPU backend: sparse n-gram features, three linear models stacked, calibrated and tuned for macro-F1.

The recipe is one generic procedure for every task (sentiment, topic, toxicity, misinformation):

1. :class:`~models.trained.featurizer.TextFeaturizer`: tf-idf over words, folded words and character
   n-grams (:mod:`models.trained.featurizer`).
2. Three class-weighted linear models over those features, stacked by a small logistic regression
   (linear or quadratic) fitted on their out-of-fold scores and the text's lengths, then a per-label
   log-prior shift tuned for macro-F1 (:mod:`models.trained.stacking`).

Everything is tuned by cross-validation on the training data, never on a dev file, so dev metrics stay an
honest estimate. Training uses scikit-learn; the fitted model is kept and saved as plain arrays
(:mod:`models.trained.portable`), and scoring and explaining (:mod:`models.trained.reasons`) need only
numpy and scipy: scikit-learn is imported only when a model is trained (or a format-2 model read), so
a service that only scores never loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]

from models.trained import portable, reasons
from models.trained.featurizer import TextFeaturizer, WordBlock
from models.trained.portable import ARRAYS_FILE, FORMAT_VERSION, JSON_FILE
from models.trained.stacking import (
    BASE_MODELS,
    FOLDS,
    NB_SVM_C,
    QUADRATIC_MARGIN,
    QUADRATIC_STACKER_C,
    SMOOTH_SVM_C,
    STACKER_C,
    STACKERS,
    SVM_C,
    BaseModels,
    FloatArray,
    Stacker,
    apply_log_prior,
    macro_f1,
    tune_log_prior,
)
from monitor.errors import ModelError

__all__ = [
    "ARRAYS_FILE",
    "FORMAT_VERSION",
    "JSON_FILE",
    "RECIPE",
    "SklearnTextClassifier",
    "TextFeaturizer",
    "choose_stacker",
    "fit",
    "load",
    "macro_f1",
    "stacker_pipeline",
    "tune_log_prior",
]

LEGACY_ARTIFACT = "classifier.joblib"  # format 2: a joblib pickle of the fitted objects
# Format-2 pickles name these classes by their old home in this module; unpickling looks them up here.
_WordBlock = WordBlock
_BaseModels = BaseModels

# What the model card records about how a scikit-learn model was built.
RECIPE = {
    "features": "tf-idf (sublinear, min_df 2): words 1-2 (teencode expanded), folded words 1-2, char 2-5 in tokens",
    "models": f"LinearSVC C={SVM_C} and C={SMOOTH_SVM_C} balanced + NB-SVM C={NB_SVM_C}",
    "stacking": (
        f"logistic regression over scores and log lengths, linear (C={STACKER_C}) or quadratic"
        f" (C={QUADRATIC_STACKER_C}) chosen by cross-validated macro-F1"
    ),
    "calibration": f"{FOLDS}-fold out-of-fold scores; per-label log-prior shift tuned for macro-F1",
}

Progress = Callable[[str], None]


def _naive_bayes_svm(
    features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int, c: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    """Weights ``(n_features, columns)`` and intercepts of one-vs-rest NB-SVMs (Wang & Manning, 2012).

    Each SVM sees the features scaled by the label's naive-Bayes log-count ratio, so a feature's weight
    starts from how much more often it occurs with the label than without it. The SVM learns ``w`` on
    ``x * r``, so its weights on the raw features are ``r * w``: scoring needs no rescaled copy of ``x``.
    """
    from sklearn.svm import LinearSVC  # type: ignore[import-untyped]  # noqa: PLC0415  (training only)

    present = sparse.csr_matrix(features > 0, dtype=np.float32)
    # With two labels one model separates them; with more, one model per label.
    positives = [1] if n_labels == 2 else list(range(n_labels))
    weights, intercepts = [], []
    for positive in positives:
        mask = targets == positive
        with_label = 1.0 + np.asarray(present[mask].sum(axis=0)).ravel()  # add-one smoothing
        without_label = 1.0 + np.asarray(present[~mask].sum(axis=0)).ravel()
        ratio = np.log((with_label / with_label.sum()) / (without_label / without_label.sum())).astype(np.float32)
        model = LinearSVC(C=c, class_weight="balanced", random_state=seed)
        model.fit(sparse.csr_matrix(features.multiply(ratio)), mask)
        weights.append(ratio * model.coef_[0])
        intercepts.append(model.intercept_[0])
    return np.column_stack(weights), np.array(intercepts)


def _svm(
    features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int, c: float, seed: int
) -> tuple[FloatArray, FloatArray]:
    from sklearn.svm import LinearSVC  # noqa: PLC0415  (training only)

    del n_labels  # LinearSVC is one-vs-rest by itself
    model = LinearSVC(C=c, class_weight="balanced", random_state=seed).fit(features, targets)
    return np.asarray(model.coef_.T), np.asarray(model.intercept_)


_FITTERS = {"svm": _svm, "nb-svm": _naive_bayes_svm}


def fit_base_models(features: sparse.csr_matrix, targets: NDArray[np.int64], n_labels: int, seed: int) -> BaseModels:
    """Fit the :data:`~models.trained.stacking.BASE_MODELS` and keep their weights as one float32 matrix."""
    fitted = [_FITTERS[kind](features, targets, n_labels, c, seed) for kind, c in BASE_MODELS]
    models = BaseModels(seed)
    models.weights = np.ascontiguousarray(np.hstack([weights for weights, _ in fitted]), dtype=np.float32)
    models.intercepts = np.concatenate([intercepts for _, intercepts in fitted]).astype(np.float32)
    return models


def stacker_pipeline(kind: str) -> Any:
    """A logistic regression over standardised base scores and lengths, ``linear`` or ``quadratic``.

    The quadratic one also reads products of scores: "positive *and* negative evidence" is how neutral
    feedback looks, and a linear stacker can only add the two up.
    """
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]  # noqa: PLC0415
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # type: ignore[import-untyped]  # noqa: PLC0415

    if kind == "quadratic":
        # Many more inputs (products of ~10 columns): a stronger penalty keeps it from fitting noise.
        steps = [StandardScaler(), PolynomialFeatures(2), LogisticRegression(C=QUADRATIC_STACKER_C, max_iter=3000)]
    else:
        steps = [StandardScaler(), LogisticRegression(C=STACKER_C, max_iter=1000)]
    return make_pipeline(*steps)


def _proba(model: Any, inputs: FloatArray) -> FloatArray:
    return np.asarray(model.predict_proba(inputs), dtype=np.float64)


def choose_stacker(inputs: FloatArray, targets: NDArray[np.int64], seed: int) -> str:
    """The stacker kind with the better cross-validated macro-F1 on out-of-fold base scores.

    Each candidate is scored as it will be used: fitted and its log-prior shift tuned on the other
    folds, then applied to the held fold. Quadratic has to win by :data:`QUADRATIC_MARGIN`, since on
    small or two-label sets the two are within noise and the linear one is the safer bet.
    """
    n_labels = int(targets.max()) + 1
    folds = _folds(targets, seed + 1)  # not the base models' split: these rows were all held out once
    scores: dict[str, float] = {}
    for kind in STACKERS:
        predicted = np.zeros(len(targets), dtype=np.int64)
        for fit_rows, held_rows in folds.split(inputs, targets):
            model = stacker_pipeline(kind).fit(inputs[fit_rows], targets[fit_rows])
            shift = tune_log_prior(_proba(model, inputs[fit_rows]), targets[fit_rows])
            predicted[held_rows] = np.argmax(apply_log_prior(_proba(model, inputs[held_rows]), shift), axis=1)
        scores[kind] = macro_f1(targets, predicted, n_labels)
    return "quadratic" if scores["quadratic"] > scores["linear"] + QUADRATIC_MARGIN else "linear"


class SklearnTextClassifier:
    """A fitted featurizer, base models, stacker and log-prior shift; meets ``ExplainableClassifier``."""

    def __init__(
        self,
        labels: tuple[str, ...],
        featurizer: TextFeaturizer,
        base_models: BaseModels,
        stacker: Stacker,
        log_prior_shift: FloatArray,
    ) -> None:
        self._labels = labels
        self.featurizer = featurizer
        self.base_models = base_models
        self.stacker = stacker
        self.log_prior_shift = log_prior_shift

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        if not texts:
            return np.zeros((0, len(self._labels)))
        features, lengths = self.featurizer.transform_with_lengths(texts)
        inputs = np.hstack([self.base_models.scores(features), lengths])
        return apply_log_prior(self.stacker.predict_proba(inputs), self.log_prior_shift)

    @property
    def parts(self) -> portable.Parts:
        """What the classifier is made of, as :mod:`models.trained.portable` saves it."""
        return portable.Parts(self._labels, self.featurizer, self.base_models, self.stacker, self.log_prior_shift)

    def explain(
        self, texts: Sequence[str], label_indices: Sequence[int], top: int = 3
    ) -> list[list[tuple[str, float]]]:
        """The phrases of each text that pushed it most toward its label (see :mod:`models.trained.reasons`).

        Raises:
            ModelError: ``texts`` and ``label_indices`` differ in length, or an index is out of range.
        """
        return reasons.explain(self.parts, texts, label_indices, top)

    def save(self, directory: Path) -> list[str]:
        return portable.write(directory, self.parts)


def load(directory: Path) -> SklearnTextClassifier:
    """Read a classifier written by :meth:`SklearnTextClassifier.save` (format 3) or by format 2.

    Format 2 (``classifier.joblib``, a pickle) is still read: offices have such models pinned in
    ``configs/models.yaml``, and refusing them would stop their service on upgrade. It is safe only
    because :func:`models.trained.modeldir.load_model` checks every file's sha256 against the card before
    this runs; its fitted objects are converted at once to the arrays format 3 saves, so it scores the
    same way. Training again writes format 3.

    Raises:
        ModelError: no model file, or a file that is malformed or of an unknown format (named).
    """
    if not portable.is_portable(directory) and (directory / LEGACY_ARTIFACT).is_file():
        return _load_format_2(directory / LEGACY_ARTIFACT)
    return SklearnTextClassifier(*portable.read(directory))


def _load_format_2(path: Path) -> SklearnTextClassifier:
    import joblib  # type: ignore[import-untyped]  # noqa: PLC0415  (only old models need it)

    try:
        state: dict[str, Any] = joblib.load(path)
    except Exception as exc:  # unpickling can fail in many ways; all mean "not a usable artifact"
        raise ModelError(f"{path}: cannot load scikit-learn model: {exc}") from exc
    if not isinstance(state, dict) or "format_version" not in state:
        raise ModelError(f"{path}: not a scikit-learn model written by monitor models train")
    if state["format_version"] != 2:  # the one pickled format still read
        raise ModelError(
            f"{path}: a scikit-learn model of format version {state['format_version']}; this version reads "
            f"formats 2 and {FORMAT_VERSION}: train it again with monitor models train (then pin the new digest)"
        )
    try:
        base = state["base_models"]
        return SklearnTextClassifier(
            tuple(state["labels"]),
            state["featurizer"],
            BaseModels.from_arrays(np.asarray(base.weights, np.float32), np.asarray(base.intercepts, np.float32)),
            Stacker.from_pipeline(state["stacker"]),
            np.asarray(state["log_prior_shift"], dtype=np.float64),
        )
    except (KeyError, AttributeError) as exc:
        raise ModelError(f"{path}: malformed format-2 scikit-learn model: {exc}") from exc


def _folds(targets: NDArray[np.int64], seed: int) -> Any:
    from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]  # noqa: PLC0415

    smallest = int(np.bincount(targets).min())
    if smallest < 2:
        raise ModelError("every label needs at least 2 training texts (cross-validation calibrates the model)")
    return StratifiedKFold(n_splits=min(FOLDS, smallest), shuffle=True, random_state=seed)


def fit(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    *,
    dev_texts: Sequence[str] | None = None,
    dev_labels: Sequence[str] | None = None,
    progress: Progress | None = None,
    seed: int = 13,
) -> SklearnTextClassifier:
    """Fit the stacked classifier on any label set.

    ``dev_texts``/``dev_labels`` are accepted for parity with the transformers backend and ignored:
    calibration and the macro-F1 prior shift are tuned on out-of-fold training predictions, so a dev
    file measures the model without having shaped it.

    Raises:
        ModelError: texts and labels differ in length, fewer than 2 labels, or a label with 1 text.
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # noqa: PLC0415

    del dev_texts, dev_labels
    report = progress or (lambda _message: None)
    if len(train_texts) != len(train_labels):
        raise ModelError(f"{len(train_texts)} texts but {len(train_labels)} labels")
    labels = tuple(sorted(set(train_labels)))
    if len(labels) < 2:
        raise ModelError(f"a classifier needs at least 2 labels, got {list(labels)}")
    index = {label: i for i, label in enumerate(labels)}
    targets = np.array([index[label] for label in train_labels], dtype=np.int64)
    folds = _folds(targets, seed)

    report(f"extracting features from {len(train_texts):,} texts…")
    featurizer = TextFeaturizer()
    features, lengths = featurizer.fit_transform_with_lengths(train_texts)
    report(f"{features.shape[1]:,} features; {folds.n_splits}-fold out-of-fold scores for calibration…")
    out_of_fold = np.zeros((len(targets), BaseModels.n_scores(len(labels))))
    for number, (fit_rows, held_rows) in enumerate(folds.split(np.zeros(len(targets)), targets), start=1):
        fold_models = fit_base_models(features[fit_rows], targets[fit_rows], len(labels), seed)
        out_of_fold[held_rows] = fold_models.scores(features[held_rows])
        report(f"calibration fold {number}/{folds.n_splits} done")
    stacker_inputs = np.hstack([out_of_fold, lengths])
    # One BLAS thread: a multi-threaded BLAS sums in an order that depends on the core count, and the
    # linear and quadratic stackers can be close enough that those last bits flip the choice (UIT-ViHSD:
    # linear on one thread, quadratic on two, dev macro-F1 0.675 vs 0.661). Training must not depend on
    # the machine; these fits are small, so one thread costs nothing noticeable.
    with threadpool_limits(limits=1):
        kind = choose_stacker(stacker_inputs, targets, seed)
        report(f"{kind} stacker chosen by cross-validation")
        pipeline = stacker_pipeline(kind).fit(stacker_inputs, targets)
        shift = tune_log_prior(_proba(pipeline, stacker_inputs), targets)
    report(f"fitting the final models on {len(train_texts):,} texts…")
    base_models = fit_base_models(features, targets, len(labels), seed)
    return SklearnTextClassifier(labels, featurizer, base_models, Stacker.from_pipeline(pipeline), shift)
