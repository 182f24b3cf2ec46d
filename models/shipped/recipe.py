"""How a shipped default model is trained: the open corpus (plus any extra rows), the scikit-learn recipe.

One home for the recipe: ``monitor models build-shipped`` uses it to write ``models/shipped/``, and
``monitor models retrain`` uses it to train on the corpus together with officers' corrections.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from models.corpus import export_task, load_corpus
from models.trained.modeldir import ModelCard
from models.trained.train import train_model

Progress = Callable[[str], None]
SEED = 13


def training_rows(task: str, extra: Sequence[Mapping[str, str]] = ()) -> list[dict[str, str]]:
    """The corpus rows for ``task`` (``{"text", "label"}``) followed by ``extra`` rows."""
    return [*export_task(load_corpus(), task), *({"text": r["text"], "label": r["label"]} for r in extra)]


def train_default(
    task: str,
    out_dir: Path,
    *,
    extra: Sequence[Mapping[str, str]] = (),
    progress: Progress | None = None,
    name: str | None = None,
) -> ModelCard:
    """Train the default model for ``task`` on the corpus plus ``extra`` rows into ``out_dir``."""
    rows = training_rows(task, extra)
    with tempfile.TemporaryDirectory(prefix="monitor-recipe-") as scratch:
        data = Path(scratch) / f"{task}.jsonl"
        data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        return train_model(task, data, out_dir, progress=progress, seed=SEED, name=name or f"{task}-vi-open")
