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
from models.resources import load_resource
from models.taxonomy_topics import NO_TOPIC
from models.trained.modeldir import ModelCard
from models.trained.train import train_model

Progress = Callable[[str], None]
SEED = 13
CORPUS_NAME = "models/data/corpus (open corpus, CC BY 4.0)"
LEXICON_NAME = "the word lists of models/data"


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


def lexicon_rows(task: str) -> list[dict[str, str]]:
    """The word lists the models replace, as short labelled rows: what the lexicons know is not lost.

    Sentiment: each positive and negative word or phrase, and each positive one negated ("không tốt").
    Toxicity: each offensive and hateful expression. Measured on the corpus hold-out and the research
    files (``make bench-shipped``): out-of-domain sentiment gains 0.01-0.03 macro-F1 (product reviews
    most), the corpus hold-out moves by less than its noise.
    """
    if task == "sentiment":
        words = load_resource("sentiment_vi.yaml")
        positive, negative = [str(w) for w in words["positive"]], [str(w) for w in words["negative"]]
        return [
            *({"text": w, "label": "positive"} for w in positive),
            *({"text": w, "label": "negative"} for w in negative),
            *({"text": f"không {w}", "label": "negative"} for w in positive),
        ]
    if task == "toxicity":
        words = load_resource("toxicity_vi.yaml")
        return [
            *({"text": str(w), "label": "offensive"} for w in words["offensive"]),
            *({"text": str(w), "label": "hate"} for w in words["hate"]),
        ]
    return []


def training_rows(
    task: str, extra: Sequence[Mapping[str, str]] = (), items: Sequence[CorpusItem] | None = None
) -> list[dict[str, str]]:
    """What the recipe trains ``task`` on: the corpus (``items``: default all), the word lists, then ``extra``
    rows (e.g. officers' corrections)."""
    return [
        *corpus_rows(task, items),
        *lexicon_rows(task),
        *({"text": r["text"], "label": r["label"]} for r in extra),
    ]


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
    parts = [
        CORPUS_NAME,
        *([LEXICON_NAME] if lexicon_rows(task) else []),
        *([f"{len(extra)} extra rows"] if extra else []),
    ]
    data_name = " + ".join(parts)
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
