"""Load the shipped default models, each checked against the digest recorded in ``manifest.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from models.shipped import SHIPPED_DIR, shipped_model_dir
from models.trained.base import TextClassifier
from models.trained.modeldir import ModelCard, load_model
from monitor.analysis import ModelRef
from monitor.errors import ModelError

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class LoadedModel:
    """A verified model directory, ready to score: its card, classifier and the reference scores carry."""

    card: ModelCard
    classifier: TextClassifier
    model: ModelRef
    directory: Path


def manifest_path() -> Path:
    return SHIPPED_DIR / MANIFEST_FILE


def shipped_digests() -> dict[str, str]:
    """Task -> digest of every shipped model (empty in a checkout where none was built)."""
    path = manifest_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(task): str(entry["sha256"]) for task, entry in data["models"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{path}: not a valid shipped-model manifest ({exc}); reinstall the package") from exc


def loaded_model(directory: Path, digest: str) -> LoadedModel:
    """Verify ``directory`` against ``digest`` and load it; the score reference names both."""
    card, classifier = load_model(directory, expected_digest=digest)
    return LoadedModel(card, classifier, ModelRef(name=card.name, version=f"{card.version}+{digest[:12]}"), directory)


@lru_cache(maxsize=8)
def load_shipped(task: str) -> LoadedModel | None:
    """The shipped model for ``task``, or ``None`` when the package ships none for it.

    Cached per process: every analyzer a worker builds shares one verified copy.

    Raises:
        ModelError: a shipped model's files do not match the manifest (a damaged or edited install).
    """
    digest = shipped_digests().get(task)
    if digest is None:
        return None
    try:
        return loaded_model(shipped_model_dir(task), digest)
    except ModelError as exc:
        raise ModelError(f"shipped {task} model: {exc.message}; reinstall the package or rebuild it") from exc
