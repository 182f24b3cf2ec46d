"""How a shipped default model is trained: the open corpus (plus any extra rows), the scikit-learn recipe.

One home for the recipe: ``monitor models build-shipped`` uses it to write ``models/shipped/``, and
``monitor models retrain`` uses it to train on the corpus together with officers' corrections.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from models.corpus import CorpusItem, export_task, load_corpus
from models.taxonomy_topics import NO_TOPIC
from models.trained.modeldir import ModelCard
from models.trained.train import train_model

Progress = Callable[[str], None]
SEED = 13
CORPUS_NAME = "models/data/corpus (open corpus, CC BY 4.0)"


def corpus_rows(task: str, items: Sequence[CorpusItem] | None = None) -> list[dict[str, str]]:
    """The corpus as ``{"text", "label"}`` rows for ``task``.

    Topics: one row per item and topic, and items that belong to no topic of the taxonomy as
    :data:`NO_TOPIC`, so the model learns that an off-topic post has none rather than the likeliest one.
    """
    corpus = load_corpus() if items is None else items
    rows = export_task(corpus, task)
    if task == "topic":
        rows += [{"text": item.text, "label": NO_TOPIC} for item in corpus if not item.topics]
    return rows


def training_rows(
    task: str, extra: Sequence[Mapping[str, str]] = (), items: Sequence[CorpusItem] | None = None
) -> list[dict[str, str]]:
    """The corpus rows for ``task`` (of ``items``: default all) followed by ``extra`` rows (e.g. corrections)."""
    return [*corpus_rows(task, items), *({"text": r["text"], "label": r["label"]} for r in extra)]


def train_default(
    task: str,
    out_dir: Path,
    *,
    extra: Sequence[Mapping[str, str]] = (),
    progress: Progress | None = None,
    name: str | None = None,
    items: Sequence[CorpusItem] | None = None,
    holdout: float | None = None,
) -> ModelCard:
    """Train the default model for ``task`` on the corpus plus ``extra`` rows into ``out_dir``.

    The card's metrics are 5-fold cross-validation over those rows, or with ``holdout`` that share held
    out (one fit instead of six). ``items`` replaces the corpus (a benchmark's training part).
    """
    rows = training_rows(task, extra, items)
    data_name = CORPUS_NAME if not extra else f"{CORPUS_NAME} + {len(extra)} extra rows"
    with tempfile.TemporaryDirectory(prefix="monitor-recipe-") as scratch:
        data = Path(scratch) / f"{task}.jsonl"
        data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        return train_model(
            task,
            data,
            out_dir,
            progress=progress,
            seed=SEED,
            name=name or f"{task}-vi-open",
            data_name=data_name,
            holdout=holdout,
        )
