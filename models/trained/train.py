"""Train a classifier on a labelled JSONL file, measure it, and write a model directory; evaluate one.

The metrics in a model card are always measured on texts the model did not learn from: the dev file
when one is given, otherwise 5-fold cross-validation on the training file (scikit-learn), or a 10%
held-out slice (transformers, where five fine-tunings would cost too much).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold, train_test_split  # type: ignore[import-untyped]

from models.trained import sklearn_backend
from models.trained.base import TextClassifier
from models.trained.dataset import LabelledData, load_labelled
from models.trained.metrics import evaluate
from models.trained.modeldir import (
    Backend,
    DataRef,
    ModelCard,
    import_backend,
    is_model_directory,
    load_model,
    now_utc,
    read_card,
    write_model,
)
from models.trained.preprocess import Preprocessing
from monitor.errors import ModelError

Progress = Callable[[str], None]
CV_FOLDS = 5
HOLDOUT_SHARE = 0.1
PREDICT_BATCH = 2_000
SEED = 13


class _Fit(Protocol):
    def __call__(
        self,
        train_texts: Sequence[str],
        train_labels: Sequence[str],
        *,
        dev_texts: Sequence[str] | None,
        dev_labels: Sequence[str] | None,
        progress: Progress | None,
        seed: int,
    ) -> TextClassifier: ...


def _fitter(backend: Backend, base: str | None, preprocessing: Preprocessing | None) -> _Fit:
    """The backend's ``fit``, with the transformers base model and pre-processing bound."""
    if backend == "sklearn":
        if preprocessing is not None and not preprocessing.is_identity:
            raise ModelError(
                "text pre-processing is for the transformers backend; "
                "the sklearn recipe builds its own views of the text"
            )
        return sklearn_backend.fit
    transformers_backend = import_backend("transformers")
    if not base:
        raise ModelError("the transformers backend needs a base model (a local directory or a model name)")
    transformers_fit = transformers_backend.fit

    def fit(
        train_texts: Sequence[str],
        train_labels: Sequence[str],
        *,
        dev_texts: Sequence[str] | None,
        dev_labels: Sequence[str] | None,
        progress: Progress | None,
        seed: int,
    ) -> TextClassifier:
        classifier: TextClassifier = transformers_fit(
            train_texts,
            train_labels,
            dev_texts=dev_texts,
            dev_labels=dev_labels,
            base=base,
            progress=progress,
            seed=seed,
            preprocessing=preprocessing,
        )
        return classifier

    return fit


def predict_in_batches(classifier: TextClassifier, texts: Sequence[str]) -> NDArray[np.float64]:
    """``classifier.predict_proba`` over ``texts`` in slices, so memory stays flat on big files."""
    if not texts:
        return np.zeros((0, len(classifier.labels)))
    parts = [classifier.predict_proba(texts[i : i + PREDICT_BATCH]) for i in range(0, len(texts), PREDICT_BATCH)]
    return np.vstack(parts)


def evaluate_classifier(classifier: TextClassifier, data: LabelledData) -> dict[str, Any]:
    """Metrics of ``classifier`` on ``data`` (see :func:`models.trained.metrics.evaluate`), plus the data's identity."""
    metrics = evaluate(data.labels, predict_in_batches(classifier, data.texts), classifier.labels)
    metrics["data"] = _data_ref(data).model_dump()
    return metrics


def evaluate_model(model_ref: Path | str, data_path: Path | str) -> dict[str, Any]:
    """Load the model directory ``model_ref`` (files verified) and evaluate it on a labelled JSONL file."""
    card, classifier = load_model(Path(model_ref))
    metrics = evaluate_classifier(classifier, load_labelled(data_path))
    metrics["model"] = {"task": card.task, "name": card.name, "version": card.version, "backend": card.backend}
    return metrics


def _data_ref(data: LabelledData) -> DataRef:
    return DataRef(path=str(data.path), sha256=data.sha256, rows=len(data))


def check_model_output(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that is a file, or a non-empty directory holding no model."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ModelError(f"{out_dir}: exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_model_directory(out_dir):
        raise ModelError(f"{out_dir}: not empty and not a model directory; refusing to write a model into it")


def clear_previous_model(out_dir: Path) -> None:
    """Remove the files an earlier model in ``out_dir`` listed, so no stale artifact is left behind."""
    if not is_model_directory(out_dir):
        return
    try:
        previous = read_card(out_dir).files
    except ModelError:
        previous = {}
    for name in previous:
        (out_dir / name).unlink(missing_ok=True)
    (out_dir / "model.json").unlink()


def _cross_validated_metrics(fit: _Fit, data: LabelledData, progress: Progress, seed: int) -> dict[str, Any]:
    """Metrics over out-of-fold predictions of ``CV_FOLDS`` fits (fewer when a label is rarer)."""
    labels = np.array(data.labels)
    smallest = min(int((labels == label).sum()) for label in data.label_set)
    n_splits = min(CV_FOLDS, smallest)
    if n_splits < 2:
        raise ModelError(f"{data.path}: every label needs at least 2 rows to cross-validate without a dev file")
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    probabilities = np.zeros((len(data), len(data.label_set)))
    texts = list(data.texts)
    for number, (fit_rows, held_rows) in enumerate(folds.split(texts, labels), start=1):
        progress(f"cross-validation fold {number}/{n_splits}: fitting {len(fit_rows):,} texts…")
        classifier = fit(
            [texts[i] for i in fit_rows],
            [data.labels[i] for i in fit_rows],
            dev_texts=None,
            dev_labels=None,
            progress=None,
            seed=seed,
        )
        order = [classifier.labels.index(label) for label in data.label_set]  # stratified: every label is seen
        probabilities[held_rows] = predict_in_batches(classifier, [texts[i] for i in held_rows])[:, order]
    metrics = evaluate(data.labels, probabilities, data.label_set)
    metrics["source"] = f"{n_splits}-fold cross-validation on the training data"
    return metrics


def train_model(
    task: str,
    data_path: Path | str,
    out_dir: Path | str,
    *,
    dev_path: Path | str | None = None,
    backend: Backend = "sklearn",
    base: str | None = None,
    progress: Progress | None = None,
    seed: int = SEED,
    name: str | None = None,
    holdout: float | None = None,
    preprocessing: Preprocessing | None = None,
    data_name: str | None = None,
) -> ModelCard:
    """Fit a classifier for ``task`` and write it, with its card, into ``out_dir``.

    Args:
        task: what the labels mean (``sentiment``, ``topic``...); recorded, not interpreted.
        data_path: training JSONL (``text`` and ``label`` per line).
        out_dir: the model directory; created, or replaced if it already holds a model.
        dev_path: optional JSONL to measure on; without it, cross-validation (or a hold-out) measures.
        backend: ``sklearn`` (CPU) or ``transformers`` (fine-tunes ``base``).
        base: the transformers base model; unused by scikit-learn.
        progress: called with short human-readable status lines.
        seed: makes the scikit-learn artifact reproducible.
        name: the model's name in the card; defaults to ``<task>-<backend>``.
        holdout: without ``dev_path``, measure on this share of the training data held out (stratified)
            instead of cross-validating: one fit instead of six, for large corpora.
        preprocessing: transformers only: what texts go through before the tokenizer; ``None`` takes the
            base's needs (its card's, or word segmentation for a PhoBERT tokenizer). The card records it.
        data_name: what the card calls the training data, instead of ``data_path`` (a scratch file's name
            says nothing to a reader).

    Raises:
        ModelError: bad data, an unusable ``out_dir``, or a backend failure.
    """
    report = progress or (lambda _message: None)
    out_path = Path(out_dir)
    check_model_output(out_path)
    fit = _fitter(backend, base, preprocessing)
    train = load_labelled(data_path)
    dev = load_labelled(dev_path) if dev_path is not None else None
    report(f"loaded {len(train):,} training texts, labels {', '.join(train.label_set)}")

    train_texts, train_labels = list(train.texts), list(train.labels)
    metrics: dict[str, Any] | None = None
    dev_texts: list[str] | None = None
    dev_labels: list[str] | None = None
    if dev is not None:
        dev_texts, dev_labels = list(dev.texts), list(dev.labels)
    elif backend == "sklearn" and holdout is None:
        metrics = _cross_validated_metrics(fit, train, report, seed)
        report(f"cross-validated macro-F1 {metrics['macro_f1']:.3f}")
    else:
        # One fine-tuning is costly: measure on a stratified 10% the model does not train on.
        train_texts, dev_texts, train_labels, dev_labels = train_test_split(
            train_texts, train_labels, test_size=holdout or HOLDOUT_SHARE, stratify=train_labels, random_state=seed
        )

    report(f"fitting {len(train_texts):,} texts…")
    classifier = fit(train_texts, train_labels, dev_texts=dev_texts, dev_labels=dev_labels, progress=report, seed=seed)
    if metrics is None:
        assert dev_texts is not None
        assert dev_labels is not None
        metrics = evaluate(dev_labels, predict_in_batches(classifier, dev_texts), classifier.labels)
        metrics["source"] = (
            "dev file" if dev is not None else f"{holdout or HOLDOUT_SHARE:.0%} of the training data held out"
        )
        report(f"dev macro-F1 {metrics['macro_f1']:.3f}")

    created_at = now_utc()
    params: dict[str, Any] = {"seed": seed, "training_rows": len(train_texts)}
    if backend == "transformers":
        params["base"] = base
    else:
        params["recipe"] = sklearn_backend.RECIPE
    card = ModelCard(
        task=task,
        backend=backend,
        name=name or f"{task}-{backend}",
        version=created_at.strftime("%Y%m%d%H%M%S"),
        labels=classifier.labels,
        created_at=created_at,
        train_data=_data_ref(train).model_copy(update={"path": data_name}) if data_name else _data_ref(train),
        dev_data=_data_ref(dev) if dev is not None else None,
        metrics=metrics,
        params=params,
        files={},
    )
    clear_previous_model(out_path)
    written = write_model(out_path, classifier, card)
    report(f"wrote {out_path}")
    return written
