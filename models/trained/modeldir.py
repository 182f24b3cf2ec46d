"""The model directory: artifact files plus ``model.json``, a card saying what they are and how good.

A directory holds everything needed to load and trust a trained classifier::

    model.json          the ModelCard: task, backend, labels, data hashes, metrics, file hashes, and the
                        text pre-processing the model expects (see models.trained.preprocess)
    classifier.json     (scikit-learn: labels, vocabularies) and classifier.npz (its arrays),
                        or the transformers files

The card lists every artifact with its sha256 and :func:`model_digest` folds those and the card into one
digest, which ``configs/models.yaml`` pins. Loading verifies both before unpickling anything, so a
changed or swapped file is refused with its name rather than silently scoring documents.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from models.trained.base import TextClassifier
from models.trained.preprocess import NO_PREPROCESSING, Preprocessing
from monitor.errors import ModelError

CARD_FILE = "model.json"
Backend = Literal["sklearn", "transformers", "mixture"]


class DataRef(BaseModel):
    """Which bytes a model was trained or measured on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    sha256: str
    rows: int


class ModelCard(BaseModel):
    """What a model directory contains; written as ``model.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str
    backend: Backend
    name: str
    version: str
    labels: tuple[str, ...]
    created_at: datetime
    train_data: DataRef
    dev_data: DataRef | None = None
    metrics: dict[str, Any]  # dev metrics, or cross-validated ones when there was no dev file
    params: dict[str, Any]
    files: dict[str, str]  # relative file name -> sha256
    # What texts go through before the tokenizer, at training and at scoring (absent in older cards: none).
    preprocessing: Preprocessing = NO_PREPROCESSING

    @field_validator("created_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("created_at needs a time zone")
        return value.astimezone(UTC)

    @field_validator("files")
    @classmethod
    def _relative_names(cls, files: dict[str, str]) -> dict[str, str]:
        # A card must not point outside its own directory (it is read before anything is trusted).
        for name in files:
            parts = PurePosixPath(name).parts
            if not parts or name.startswith("/") or ".." in parts or "\\" in name or name == CARD_FILE:
                raise ValueError(f"file name '{name}' must be a relative path inside the model directory")
        return files

    @model_validator(mode="after")
    def _preprocessing_is_for_transformers(self) -> ModelCard:
        # The scikit-learn recipe builds its own views of the text (words, accent-folded words, characters);
        # a second, card-level transformation would silently change what it learned from.
        if self.backend == "sklearn" and not self.preprocessing.is_identity:
            raise ValueError("preprocessing applies to the transformers backend; a sklearn model must not declare it")
        return self


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (transformer weights run to hundreds of megabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model(directory: Path, classifier: TextClassifier, card: ModelCard) -> ModelCard:
    """Save ``classifier`` into ``directory`` and write its card; returns the card with ``files`` filled.

    ``card.files`` is ignored: it is computed from what the classifier wrote. So is ``card.preprocessing``:
    it is what the classifier was trained with (its ``preprocessing`` attribute; none if it has no such).
    """
    directory.mkdir(parents=True, exist_ok=True)
    names = sorted(classifier.save(directory))
    files = {name: file_sha256(directory / name) for name in names}
    preprocessing = getattr(classifier, "preprocessing", NO_PREPROCESSING)
    written = card.model_copy(update={"files": files, "preprocessing": preprocessing})
    written = ModelCard.model_validate(written.model_dump())  # re-validate the file names
    text = json.dumps(written.model_dump(mode="json"), ensure_ascii=False, indent=2, sort_keys=True)
    (directory / CARD_FILE).write_text(text + "\n", encoding="utf-8")
    return written


def is_model_directory(directory: Path) -> bool:
    """True when ``directory`` has a ``model.json`` (valid or not)."""
    return (directory / CARD_FILE).is_file()


def read_card(directory: Path) -> ModelCard:
    """The card of a model directory, without checking the artifact files.

    Raises:
        ModelError: the directory or ``model.json`` is missing, or the card is not valid.
    """
    if not directory.is_dir():
        raise ModelError(f"{directory}: model directory does not exist")
    path = directory / CARD_FILE
    if not path.is_file():
        raise ModelError(f"{path}: missing; {directory} is not a model directory (train one with 'monitor train')")
    try:
        return ModelCard.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'card'}: {e['msg']}" for e in exc.errors())
        raise ModelError(f"{path}: invalid model card: {problems}") from exc


def _verify_files(directory: Path, card: ModelCard) -> None:
    for name, expected in sorted(card.files.items()):
        path = directory / name
        if not path.is_file():
            raise ModelError(f"{path}: listed in {CARD_FILE} but missing")
        actual = file_sha256(path)
        if actual != expected:
            raise ModelError(
                f"{path}: sha256 {actual} does not match {expected} recorded in {CARD_FILE}; "
                "the file changed after training"
            )


def _digest(directory: Path, card: ModelCard) -> str:
    digest = hashlib.sha256()
    for name, file_hash in sorted(card.files.items()):
        digest.update(f"{name}\0{file_hash}\n".encode())
    digest.update((directory / CARD_FILE).read_bytes())
    return digest.hexdigest()


def model_digest(directory: Path) -> str:
    """The sha256 that pins a model directory: its files' hashes and the card itself.

    Raises:
        ModelError: the directory is not a model directory, or a file does not match its card.
    """
    card = read_card(directory)
    _verify_files(directory, card)
    return _digest(directory, card)


def load_model(directory: Path, expected_digest: str | None = None) -> tuple[ModelCard, TextClassifier]:
    """Verify and load a model directory written by :func:`write_model`.

    Args:
        directory: the model directory.
        expected_digest: the pinned :func:`model_digest`; ``None`` checks only the files against the card.

    Raises:
        ModelError: missing directory or card, a file that does not match the card (named), a digest that
            differs from the pin (both shown), or an artifact the backend cannot read.
    """
    card = read_card(directory)
    _verify_files(directory, card)
    if expected_digest is not None:
        actual = _digest(directory, card)
        if actual != expected_digest.strip().lower().removeprefix("sha256:"):
            raise ModelError(
                f"{directory}: model digest {actual} does not match the pinned {expected_digest}; "
                "retrain or update the pin deliberately"
            )
    return card, _backend_load(card, directory)


BACKEND_MODULES: dict[Backend, str] = {
    "sklearn": "models.trained.sklearn_backend",
    "mixture": "models.trained.research.mixture",  # experts per dataset (monitor models train-research)
    "transformers": "models.trained.transformers_backend",
}
# torch and transformers are an optional extra: the default install (and the service's CPU scorers) has neither.
TRANSFORMERS_INSTALL = "pip install 'dongnai-monitor[transformers]' (in a checkout: pip install -e '.[transformers]')"


def import_backend(backend: Backend) -> ModuleType:
    """The backend's module, imported on first use, so that nothing else ever imports torch.

    Raises:
        ModelError: the backend's libraries are not installed; for transformers, naming the optional extra
            and the command that installs it.
    """
    try:
        return importlib.import_module(BACKEND_MODULES[backend])
    except ImportError as exc:
        if backend == "transformers":
            raise ModelError(
                "the transformers backend needs the optional 'transformers' extra (torch and transformers), "
                f"which is not installed ({exc}); install it with {TRANSFORMERS_INSTALL}"
            ) from exc
        raise ModelError(f"the {backend} backend is not available: {exc}") from exc


def _backend_load(card: ModelCard, directory: Path) -> TextClassifier:
    try:
        module = import_backend(card.backend)
    except ModelError as exc:
        raise ModelError(f"{directory}: {exc.message}") from exc
    classifier: TextClassifier
    if card.backend == "transformers":
        # The card is the one declaration of the pre-processing; the backend applies it before its tokenizer.
        classifier = module.load(directory, preprocessing=card.preprocessing)
    else:
        classifier = module.load(directory)
    return classifier


def now_utc() -> datetime:
    """The current time in UTC, second precision (cards are read by people)."""
    return datetime.now(UTC).replace(microsecond=0)
