"""Train one task's research model on the union of its datasets, measure it per dataset, write its directory.

The model directory is an ordinary scikit-learn one (:mod:`models.trained.modeldir`), so the service
loads and pins it like any other. Its card records every dataset it read (file, sha256, rows), how each
was measured, and the metrics per dataset under ``metrics.by_dataset``; the top-level metrics are over
all the held-out rows together.

A union model speaks the union of the labels (AIVIVN has no neutral, UIT-VSFC does); each dataset is
scored on its own label set, by renormalising the model's probabilities over those labels, which is
how that dataset's benchmark reads a classifier.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import StratifiedKFold, train_test_split  # type: ignore[import-untyped]

from models.trained import sklearn_backend
from models.trained.base import TextClassifier
from models.trained.dataset import DataError
from models.trained.metrics import evaluate
from models.trained.modeldir import ModelCard, model_digest, now_utc, write_model
from models.trained.research import mixture
from models.trained.research.datasets import (
    HOLDOUT_SHARE,
    Evaluation,
    LoadedDataset,
    TaskSpec,
    combined_ref,
)
from models.trained.research.mixture import MixtureClassifier, fit_mixture
from models.trained.train import check_model_output, clear_previous_model, predict_in_batches
from monitor.errors import ModelError

Progress = Callable[[str], None]
CV_FOLDS = 5
SEED = 13


class Fitter:
    """How a task's classifier is fitted: the shared recipe on one dataset, a mixture of experts on several."""

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], groups: Sequence[str], progress: Progress | None, seed: int
    ) -> TextClassifier:
        """Fit on ``texts``; ``groups`` names each row's dataset."""
        if len(set(groups)) > 1:
            return fit_mixture(texts, labels, groups, progress, seed)
        classifier: TextClassifier = sklearn_backend.fit(texts, labels, progress=progress, seed=seed)
        return classifier


def _recipe(classifier: TextClassifier) -> dict[str, Any]:
    if isinstance(classifier, MixtureClassifier):
        return {**mixture.RECIPE, "base": sklearn_backend.RECIPE}
    return {"base": sklearn_backend.RECIPE}


@dataclass(frozen=True)
class BuiltModel:
    """What :func:`build_task_model` wrote."""

    card: ModelCard
    directory: Path
    digest: str
    seconds: float
    size_bytes: int


@dataclass
class _Rows:
    texts: list[str]
    labels: list[str]

    def extend(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.texts.extend(texts)
        self.labels.extend(labels)


def evaluate_on_own_labels(
    truth: Sequence[str], probabilities: NDArray[np.float64], model_labels: Sequence[str]
) -> dict[str, Any]:
    """Metrics with the model's probabilities renormalised over the labels ``truth`` uses, when fewer."""
    own = sorted(set(truth))
    labels = list(model_labels)
    if len(own) >= 2 and set(own) < set(labels):
        columns = [labels.index(label) for label in own]
        kept = probabilities[:, columns]
        probabilities = kept / np.clip(kept.sum(axis=1, keepdims=True), 1e-12, None)
        labels = own
    return evaluate(truth, probabilities, labels)


def _split(dataset: LoadedDataset, seed: int) -> tuple[_Rows, _Rows | None]:
    """The rows a dataset contributes to training, and the rows that measure it (``None``: cross-validated)."""
    texts, labels = list(dataset.train.texts), list(dataset.train.labels)
    if dataset.dev is not None:
        return _Rows(texts, labels), _Rows(list(dataset.dev.texts), list(dataset.dev.labels))
    if dataset.evaluation is Evaluation.HOLDOUT:
        counts = Counter(labels)
        rare = sorted(label for label, count in counts.items() if count < 2)
        if rare:
            raise DataError(f"{dataset.train.path}: labels {rare} have a single row; a stratified hold-out needs 2")
        fit_texts, held_texts, fit_labels, held_labels = train_test_split(
            texts, labels, test_size=HOLDOUT_SHARE, stratify=labels, random_state=seed
        )
        return _Rows(fit_texts, fit_labels), _Rows(held_texts, held_labels)
    return _Rows(texts, labels), None


def _cross_validate(
    fitter: Fitter, rows: _Rows, owners: list[str], progress: Progress, seed: int
) -> dict[str, tuple[list[str], NDArray[np.float64], tuple[str, ...]]]:
    """Out-of-fold probabilities of every training row, grouped by the dataset it came from."""
    targets = np.array(rows.labels)
    smallest = min(int((targets == label).sum()) for label in set(rows.labels))
    n_splits = min(CV_FOLDS, smallest)
    if n_splits < 2:
        raise ModelError("every label needs at least 2 rows to cross-validate")
    label_set = tuple(sorted(set(rows.labels)))
    probabilities = np.zeros((len(targets), len(label_set)))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for number, (fit_rows, held_rows) in enumerate(folds.split(rows.texts, targets), start=1):
        progress(f"  cross-validation fold {number}/{n_splits}: fitting {len(fit_rows):,} texts…")
        classifier = fitter.fit(
            [rows.texts[i] for i in fit_rows],
            [rows.labels[i] for i in fit_rows],
            [owners[i] for i in fit_rows],
            None,
            seed,
        )
        order = [classifier.labels.index(label) for label in label_set]
        probabilities[held_rows] = predict_in_batches(classifier, [rows.texts[i] for i in held_rows])[:, order]
    grouped: dict[str, tuple[list[str], NDArray[np.float64], tuple[str, ...]]] = {}
    for name in dict.fromkeys(owners):
        index = [i for i, owner in enumerate(owners) if owner == name]
        grouped[name] = ([rows.labels[i] for i in index], probabilities[index], label_set)
    return grouped


def _prepare_output(out_dir: Path) -> None:
    """Refuse a non-model directory with files in it; remove an earlier model's files (no stale artifact)."""
    check_model_output(out_dir)
    clear_previous_model(out_dir)


def build_task_model(
    spec: TaskSpec,
    datasets: tuple[LoadedDataset, ...],
    data_dir: Path,
    out_dir: Path,
    *,
    fitter: Fitter | None = None,
    progress: Progress | None = None,
    seed: int = SEED,
) -> BuiltModel:
    """Fit ``spec``'s model on ``datasets``, measure it on each one's held-out rows, write ``out_dir``.

    Raises:
        ModelError: no dataset, too few rows per label, or an unusable ``out_dir``.
    """
    report = progress or (lambda _message: None)
    fitter = fitter or Fitter()
    if not datasets:
        raise ModelError(f"{spec.task.value}: no dataset to train on")
    _prepare_output(out_dir)
    started = time.monotonic()
    training = _Rows([], [])
    owners: list[str] = []
    held: dict[str, _Rows] = {}
    for dataset in datasets:
        fit_rows, held_rows = _split(dataset, seed)
        training.extend(fit_rows.texts, fit_rows.labels)
        owners.extend([dataset.spec.name] * len(fit_rows.texts))
        if held_rows is not None:
            held[dataset.spec.name] = held_rows
        report(
            f"  {dataset.spec.name}: {len(fit_rows.texts):,} training rows, measured on "
            f"{dataset.evaluation.value}" + (f" ({len(held_rows.texts):,} rows)" if held_rows else "")
        )

    cross_validated = [d.spec.name for d in datasets if d.evaluation is Evaluation.CROSS_VALIDATION]
    out_of_fold = _cross_validate(fitter, training, owners, report, seed) if cross_validated else {}

    report(f"  fitting on {len(training.texts):,} texts…")
    classifier = fitter.fit(training.texts, training.labels, owners, report, seed)

    by_dataset: dict[str, dict[str, Any]] = {}
    all_truth: list[str] = []
    all_probabilities: list[NDArray[np.float64]] = []
    for dataset in datasets:
        name = dataset.spec.name
        if name in held:
            truth = held[name].labels
            probabilities = predict_in_batches(classifier, held[name].texts)
            model_labels: Sequence[str] = classifier.labels
        else:
            truth, probabilities, model_labels = out_of_fold[name]
            order = [list(model_labels).index(label) for label in classifier.labels]
            probabilities, model_labels = probabilities[:, order], classifier.labels
        metrics = evaluate_on_own_labels(truth, probabilities, model_labels)
        metrics["source"] = dataset.evaluation.value
        by_dataset[name] = metrics
        all_truth.extend(truth)
        all_probabilities.append(probabilities)
        report(f"  {name}: {_summary(metrics)}")

    metrics = evaluate(all_truth, np.vstack(all_probabilities), classifier.labels)
    metrics["source"] = "held-out rows of every dataset together (see by_dataset for each)"
    metrics["by_dataset"] = by_dataset
    created_at = now_utc()
    card = ModelCard(
        task=spec.task.value,
        backend="mixture" if isinstance(classifier, MixtureClassifier) else "sklearn",
        name=f"{spec.task.value}-research",
        version=created_at.strftime("%Y%m%d%H%M%S"),
        labels=classifier.labels,
        created_at=created_at,
        train_data=combined_ref(datasets, data_dir, len(training.texts)),
        metrics=metrics,
        params={
            "seed": seed,
            "training_rows": len(training.texts),
            "recipe": _recipe(classifier),
            "datasets": {
                d.spec.name: {
                    "evaluation": d.evaluation.value,
                    "training_rows": owners.count(d.spec.name),
                    **{key: ref.model_dump() for key, ref in d.refs().items()},
                }
                for d in datasets
            },
            "licence": "trained on research-use datasets: use under their terms; do not redistribute",
        },
        files={},
    )
    written = write_model(out_dir, classifier, card)
    size = sum((out_dir / name).stat().st_size for name in written.files)
    return BuiltModel(written, out_dir, model_digest(out_dir), time.monotonic() - started, size)


def _summary(metrics: dict[str, Any]) -> str:
    keys = ("accuracy", "macro_f1", "roc_auc")
    return ", ".join(f"{key} {metrics[key]:.3f}" for key in keys if key in metrics) + f" ({metrics['source']})"
