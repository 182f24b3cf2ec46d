"""``monitor models retrain TASK``: the office's corrections improve the shipped models.

One run: split the officers' corrections into a training share and a held-back share; train a candidate
with the shipped recipe (:func:`models.shipped.recipe.train_default`) on the open corpus plus the training
share; measure the model the service scores with now and the candidate on the held-back share; pin the
candidate (``models.pinned.yaml``) only when its macro-F1 there is strictly higher, judged on at least
:data:`MIN_HELD_BACK` corrections. A JSON report in the model's directory says what was compared and decided.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from pathlib import Path
from typing import Any

from models.builtin_classifiers import BUILTIN_PREFIX, builtin_classifier
from models.config import MODELS_FILE, load_models_config
from models.corrections import Correction, RetrainError, split_corrections
from models.pins import pins_path, write_pin
from models.shipped import SHIPPED_TASKS
from models.shipped.recipe import train_default, training_rows
from models.trained.base import TextClassifier
from models.trained.metrics import evaluate
from models.trained.modeldir import load_model, model_digest
from models.trained.train import predict_in_batches
from monitor.config.yamlfile import load_yaml
from monitor.errors import ModelError

Progress = Callable[[str], None]
MIN_HELD_BACK = 20  # below this, one correction more or less swings macro-F1 by several points
DEFAULT_HOLDOUT = 0.3
REPORT_FILE = "retrain.json"
RETRAIN_TASKS = SHIPPED_TASKS  # the tasks the open corpus labels, so the recipe can train them


@dataclass(frozen=True)
class CurrentModel:
    """What the service scores ``task`` with now, and where that choice is made."""

    source: str  # "models.yaml" (by hand), "models.pinned.yaml" (a command's pin) or "built-in"
    name: str
    path: str | None
    sha256: str | None
    classifier: TextClassifier
    options: dict[str, Any]  # the pin's other settings (a topic model's min_probability), kept on re-pin

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "name": self.name, "path": self.path, "sha256": self.sha256}


def pinned_by_hand(config_dir: Path, task: str) -> bool:
    """True when the operator's ``models.yaml`` names a model for ``task`` (it wins over a command's pin)."""
    path = config_dir / MODELS_FILE
    if not path.is_file():
        return False
    data = load_yaml(path).data  # already validated by load_models_config
    trained = data.get("trained") if isinstance(data, dict) else None
    return isinstance(trained, dict) and trained.get(task) is not None


def current_classifier(task: str, config_dir: Path) -> CurrentModel:
    """The classifier the service scores ``task`` with now: the pinned model, else the built-in one.

    Raises:
        ModelError: the pinned model does not load or match its digest, or there is no built-in
            classifier for ``task``.
        ConfigError: ``models.yaml`` or ``models.pinned.yaml`` is invalid.
    """
    pinned = getattr(load_models_config(config_dir).trained, task, None)
    if pinned is None:
        name = BUILTIN_PREFIX + task
        try:
            classifier: TextClassifier = builtin_classifier(name, config_dir)
        except ModelError as exc:
            raise ModelError(f"no current {task} model to compare a candidate with: {exc.message}") from exc
        return CurrentModel("built-in", name, None, None, classifier, {})
    source = MODELS_FILE if pinned_by_hand(config_dir, task) else pins_path(config_dir).name
    card, loaded = load_model(Path(pinned.path), expected_digest=pinned.sha256)
    options = pinned.model_dump(exclude={"path", "sha256"})
    return CurrentModel(source, f"{card.name} {card.version}", str(pinned.path), pinned.sha256, loaded, options)


def measure(classifier: TextClassifier, corrections: Sequence[Correction]) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-label F1 of ``classifier`` on ``corrections``, and how often it predicted
    each label (macro-F1 averages over the labels held back *or* predicted, so a stray label counts)."""
    texts = [c.text for c in corrections]
    probabilities = predict_in_batches(classifier, texts)
    metrics = evaluate([c.label for c in corrections], probabilities, classifier.labels)
    predicted = Counter(classifier.labels[i] for i in probabilities.argmax(axis=1))
    metrics["predicted"] = dict(sorted(predicted.items()))
    return metrics


def default_out_dir(data_dir: Path, task: str, now: datetime) -> Path:
    """``<data_dir>/models/<task>-<UTC time>``: a new directory per run, so a pinned model is never overwritten."""
    return data_dir / "models" / f"{task}-{now.strftime('%Y%m%dT%H%M%SZ')}"


def _label_counts(corrections: Sequence[Correction]) -> dict[str, int]:
    return dict(sorted(Counter(c.label for c in corrections).items()))


def _check_enough(task: str, total: int, held: int, share: float) -> None:
    if total == 0:
        raise RetrainError(
            f"no {task} corrections to learn from: officers correct labels with "
            "POST /documents/{doc_id}/labels (the API), then run this again"
        )
    if held < MIN_HELD_BACK:
        need = ceil(MIN_HELD_BACK / share)
        raise RetrainError(
            f"too few {task} corrections to judge a new model: {total} corrections, {held} held back with "
            f"--holdout {share:g}; at least {MIN_HELD_BACK} held-back corrections are needed (about {need} "
            "corrections in all). Nothing was trained or pinned."
        )


def _decide(task: str, current: dict[str, Any], candidate: dict[str, Any], dry_run: bool) -> tuple[bool, str]:
    better = candidate["macro_f1"] > current["macro_f1"]
    numbers = f"macro-F1 {candidate['macro_f1']:.3f} against {current['macro_f1']:.3f} on the held-back corrections"
    if not better:
        return False, f"kept the current {task} model: the candidate is not better ({numbers})"
    if dry_run:
        return False, f"dry run: the candidate is better ({numbers}) but --dry-run never pins"
    return True, f"pinned the candidate: it is better ({numbers})"


def retrain(
    task: str,
    corrections: Sequence[Correction],
    *,
    config_dir: Path,
    data_dir: Path,
    source: str,
    out_dir: Path | None = None,
    holdout: float = DEFAULT_HOLDOUT,
    dry_run: bool = False,
    skipped: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train, judge and maybe pin a candidate for ``task``; returns the report (also written as JSON).

    Args:
        task: one of :data:`RETRAIN_TASKS`.
        corrections: the officers' corrections (one per document).
        config_dir: where ``models.yaml`` is read and ``models.pinned.yaml`` written.
        data_dir: the installation's data directory (the default home of the new model).
        source: where the corrections came from (a database or a file), for the report.
        out_dir: the new model's directory; default :func:`default_out_dir`.
        holdout: the share of corrections held back to judge on.
        dry_run: train and judge, never pin.
        skipped: corrections whose documents are gone from the store, for the report.
        progress: called with short status lines.

    Raises:
        RetrainError: unknown task, no or too few corrections, an output that would overwrite the current model.
        ModelError: the current model cannot be loaded, or training fails.
    """
    report_progress = progress or (lambda _message: None)
    if task not in RETRAIN_TASKS:
        raise RetrainError(f"cannot retrain '{task}': the open corpus labels only {', '.join(RETRAIN_TASKS)}")
    hidden = pinned_by_hand(config_dir, task)
    if hidden:
        report_progress(
            f"warning: {config_dir / MODELS_FILE} pins {task} by hand, and that entry wins over "
            f"{pins_path(config_dir)}: a pinned candidate would not be used until you remove it"
        )
    split = split_corrections(corrections, holdout)
    _check_enough(task, len(corrections), len(split.held_back), holdout)
    current = current_classifier(task, config_dir)
    report_progress(f"current {task} model: {current.name} ({current.source})")
    now = datetime.now(UTC).replace(microsecond=0)
    out = (out_dir or default_out_dir(data_dir, task, now)).resolve()
    if current.path is not None and Path(current.path).resolve() == out:
        raise RetrainError(f"{out} holds the current {task} model; give another --out")
    if out_dir is None and out.exists():
        raise RetrainError(f"{out} already exists; run again in a second, or give --out")

    report_progress(
        f"{len(corrections)} corrections: {len(split.training)} to train on, {len(split.held_back)} held back"
    )
    extra = [{"text": c.text, "label": c.label} for c in split.training]
    card = train_default(task, out, extra=extra, progress=report_progress, name=f"{task}-vi-office")
    digest = model_digest(out)
    _, candidate = load_model(out, expected_digest=digest)

    report_progress(f"measuring both models on {len(split.held_back)} held-back corrections…")
    current_metrics = measure(current.classifier, split.held_back)
    candidate_metrics = measure(candidate, split.held_back)
    pin, reason = _decide(task, current_metrics, candidate_metrics, dry_run)
    pins_file = None
    if pin:
        pins_file = write_pin(
            config_dir, task, out, digest, command=f"monitor models retrain {task}", **current.options
        )
    report: dict[str, Any] = {
        "task": task,
        "created_at": now.isoformat(),
        "decision": "pinned" if pin else ("dry-run" if dry_run else "kept"),
        "reason": reason,
        "pins_file": str(pins_file) if pins_file else None,
        "hidden_by_models_yaml": hidden,
        "min_held_back": MIN_HELD_BACK,
        "corrections": {
            "source": source,
            "total": len(corrections),
            "skipped_documents_gone": skipped,
            "holdout": holdout,
            "training": len(split.training),
            "held_back": len(split.held_back),
            "training_labels": _label_counts(split.training),
            "held_back_labels": _label_counts(split.held_back),
            "training_ids": [c.doc_id for c in split.training],
            "held_back_ids": [c.doc_id for c in split.held_back],
        },
        "current": {**current.describe(), "metrics": current_metrics},
        "candidate": {
            "path": str(out),
            "sha256": digest,
            "name": card.name,
            "version": card.version,
            "training_rows": card.train_data.rows,
            "corpus_rows": len(training_rows(task)),
            "metrics": candidate_metrics,
        },
    }
    (out / REPORT_FILE).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report
