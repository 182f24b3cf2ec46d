"""The research data folder: which files each task trains on, where they live, and how each is measured.

The folder is laid out like ``../shared/data`` (see its README)::

    sentiment/uit-vsfc/{train,dev}.jsonl     sentiment/vlsp2016/train.jsonl     sentiment/aivivn2019/train.jsonl
    toxicity/uit-vihsd/{train,dev}.jsonl     misinfo/reintel/train.jsonl         topic/vntc/train.jsonl

Each task's model trains on the union of its datasets that are present; a missing dataset is skipped
(and said so), a malformed row stops the command with the file and line at fault. Every dataset is
measured on rows the model did not learn from: its dev file when it has one, else a stratified 10% held
out of its training file, or, for sets too small to spare 10% (ReINTEL), cross-validation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from models.config import Task
from models.trained.dataset import DataError, LabelledData, load_labelled
from models.trained.modeldir import DataRef

HOLDOUT_SHARE = 0.1
# Below this many rows a 10% hold-out is too few to measure with (ReINTEL's 47 would give 8 unreliable).
MIN_ROWS_FOR_HOLDOUT = 1_000


class Evaluation(StrEnum):
    DEV = "dev file"
    HOLDOUT = "10% of the training file held out"
    CROSS_VALIDATION = "5-fold cross-validation on the training file"


@dataclass(frozen=True)
class DatasetSpec:
    """One public dataset inside the folder."""

    name: str
    train: str  # path relative to the data folder
    dev: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    """A product task and the datasets its research model learns from."""

    task: Task
    labels: frozenset[str]  # the labels the product's scorer for this task understands
    datasets: tuple[DatasetSpec, ...]


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        Task.SENTIMENT,
        frozenset({"negative", "neutral", "positive"}),
        (
            DatasetSpec("uit-vsfc", "sentiment/uit-vsfc/train.jsonl", "sentiment/uit-vsfc/dev.jsonl"),
            DatasetSpec("vlsp2016", "sentiment/vlsp2016/train.jsonl"),
            DatasetSpec("aivivn2019", "sentiment/aivivn2019/train.jsonl"),
        ),
    ),
    TaskSpec(
        Task.TOXICITY,
        frozenset({"clean", "offensive", "hate"}),
        (DatasetSpec("uit-vihsd", "toxicity/uit-vihsd/train.jsonl", "toxicity/uit-vihsd/dev.jsonl"),),
    ),
    TaskSpec(
        Task.MISINFORMATION,
        frozenset({"reliable", "unreliable"}),
        (DatasetSpec("reintel", "misinfo/reintel/train.jsonl"),),
    ),
    TaskSpec(
        Task.TOPIC,
        frozenset({"XH", "DS", "KH", "KD", "PL", "SK", "TG", "TT", "VH", "VT"}),
        (DatasetSpec("vntc", "topic/vntc/train.jsonl"),),
    ),
)


@dataclass(frozen=True)
class LoadedDataset:
    """A dataset's training rows and how it is measured (its dev rows when it has a dev file)."""

    spec: DatasetSpec
    train: LabelledData
    dev: LabelledData | None

    @property
    def evaluation(self) -> Evaluation:
        if self.dev is not None:
            return Evaluation.DEV
        return Evaluation.HOLDOUT if len(self.train) >= MIN_ROWS_FOR_HOLDOUT else Evaluation.CROSS_VALIDATION

    def refs(self) -> dict[str, DataRef]:
        refs = {"train": _ref(self.train)}
        if self.dev is not None:
            refs["dev"] = _ref(self.dev)
        return refs


def _ref(data: LabelledData) -> DataRef:
    return DataRef(path=str(data.path), sha256=data.sha256, rows=len(data))


def _check_labels(data: LabelledData, allowed: frozenset[str]) -> None:
    unknown = sorted(set(data.labels) - allowed)
    if unknown:
        raise DataError(f"{data.path}: labels {unknown} are not among this task's labels {sorted(allowed)}")


def load_task_data(data_dir: Path, spec: TaskSpec, report: Callable[[str], None]) -> tuple[LoadedDataset, ...]:
    """The task's datasets present under ``data_dir``; each missing one is reported and skipped.

    Raises:
        DataError: a present file has a malformed row (file and line named) or a label foreign to the task.
    """
    loaded = []
    for dataset in spec.datasets:
        train_path = data_dir / dataset.train
        if not train_path.is_file():
            report(f"{spec.task.value}: skipping {dataset.name}: {train_path} not found")
            continue
        train = load_labelled(train_path)
        _check_labels(train, spec.labels)
        dev = None
        if dataset.dev is not None and (data_dir / dataset.dev).is_file():
            dev = load_labelled(data_dir / dataset.dev)
            _check_labels(dev, spec.labels)
        loaded.append(LoadedDataset(dataset, train, dev))
    return tuple(loaded)


def combined_ref(datasets: tuple[LoadedDataset, ...], data_dir: Path, rows: int) -> DataRef:
    """One reference for a union of files: their paths and one sha256 over their sha256s."""
    digest = hashlib.sha256()
    for dataset in datasets:
        digest.update(f"{dataset.spec.train}\0{dataset.train.sha256}\n".encode())
    names = " + ".join(dataset.spec.train for dataset in datasets)
    return DataRef(path=f"{data_dir}: {names}", sha256=digest.hexdigest(), rows=rows)
