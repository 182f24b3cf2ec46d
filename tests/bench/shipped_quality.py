"""How good the shipped default models are: ``make bench-shipped`` (``python -m tests.bench.shipped_quality``).

1. **Corpus hold-out.** The shipped recipe is fitted on 80% of the open corpus and scored on the other
   20% (the split of :mod:`tests.bench.corpus_curve`, stratified by toxicity, sentiment and genre): the
   office's own domain. Topics are scored as the service assigns them (model topics above the
   thresholds, multi-label), micro-F1, with the thresholds that fit the hold-out best shown next to the
   shipped ones.
2. **Research test files** (``--data-dir``, laid out like ``../shared/data``; only read): the shipped
   models exactly as a fresh install scores with them, next to the word lists they replaced. None of
   these files is in the corpus, so they are out-of-domain tests.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import product
from pathlib import Path

import numpy as np

from models.builtin_classifiers import builtin_classifier
from models.corpus import CorpusItem, load_corpus
from models.shipped.loader import load_shipped
from models.shipped.recipe import train_default
from models.taxonomy_topics import NO_TOPIC, TopicThresholds
from models.topics import KeywordTopics
from models.trained.base import TextClassifier
from models.trained.modeldir import load_model
from models.trained.train import predict_in_batches
from monitor.config.topics import load_taxonomy
from tests.bench.corpus_curve import CONFIGS, holdout_split, load_research, macro_f1, micro_f1

FIRST_GRID = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
OTHER_GRID = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.01)


def topic_sets(probabilities: np.ndarray, labels: Sequence[str], thresholds: TopicThresholds) -> list[frozenset[str]]:
    """The topics the service would give each row (see :class:`models.taxonomy_topics.TaxonomyTopics`)."""
    result = []
    for row in probabilities:
        order = [int(i) for i in np.argsort(-row, kind="stable") if labels[int(i)] != NO_TOPIC]
        chosen = [
            labels[i]
            for rank, i in enumerate(order[: thresholds.max_topics])
            if row[i] >= (thresholds.first if rank == 0 else thresholds.other)
        ]
        result.append(frozenset(chosen))
    return result


def _fit(task: str, train: Sequence[CorpusItem], scratch: Path) -> TextClassifier:
    """The shipped recipe on the training part only (10% of it held out for the card: one fit)."""
    train_default(task, scratch / task, items=train, holdout=0.1)
    return load_model(scratch / task)[1]


def corpus_holdout(lines: list[str]) -> None:
    train, held = holdout_split(load_corpus())
    lines += [f"## Corpus hold-out ({len(held):,} items; the recipe fitted on the other {len(train):,})", ""]
    with tempfile.TemporaryDirectory(prefix="bench-shipped-") as scratch:
        for task in ("sentiment", "toxicity"):
            started = time.perf_counter()
            model = _fit(task, train, Path(scratch))
            truth = [item.sentiment.value if task == "sentiment" else item.toxicity.value for item in held]
            texts = [item.text for item in held]
            shipped_recipe = macro_f1(truth, predict_in_batches(model, texts), model.labels, restrict=False)
            lexicon = builtin_classifier(f"lexicon-{task}", CONFIGS)
            words = macro_f1(truth, predict_in_batches(lexicon, texts), lexicon.labels, restrict=False)
            lines.append(
                f"- {task}: macro-F1 **{shipped_recipe:.3f}** (word lists {words:.3f}); "
                f"fit {time.perf_counter() - started:.0f} s"
            )
        model = _fit("topic", train, Path(scratch))
        probabilities = predict_in_batches(model, [item.text for item in held])
        truth_sets = [frozenset(item.topics) for item in held]
        shipped = micro_f1(truth_sets, topic_sets(probabilities, model.labels, TopicThresholds()))
        best = max(
            (micro_f1(truth_sets, topic_sets(probabilities, model.labels, TopicThresholds(f, o))), f, o)
            for f, o in product(FIRST_GRID, OTHER_GRID)
        )
        keywords = KeywordTopics(load_taxonomy(CONFIGS)).predict_batch([("", item.text) for item in held])
        by_keywords = micro_f1(truth_sets, [frozenset(result.labels) for result in keywords])
        defaults = TopicThresholds()
        lines.append(
            f"- topics: micro-F1 **{shipped:.3f}** with the shipped thresholds ({defaults.first}, {defaults.other});"
            f" best on this hold-out {best[0]:.3f} at ({best[1]}, {best[2]}); keywords alone {by_keywords:.3f}"
        )
    lines.append("")


def research(data_dir: Path, limit: int, lines: list[str]) -> None:
    lines += ["## Research test files (out of domain): shipped models vs word lists", ""]
    lines += ["| test set | shipped | word lists |", "|---|---|---|"]
    for _, (task, test) in load_research(data_dir, limit).items():
        shipped = load_shipped(task)
        if shipped is None:
            continue
        lexicon = builtin_classifier(f"lexicon-{task}", CONFIGS)
        scores = [
            macro_f1(test.labels, predict_in_batches(model, test.texts), model.labels, restrict=test.restrict)
            for model in (shipped.classifier, lexicon)
        ]
        lines.append(f"| {test.name} ({task}) | **{scores[0]:.3f}** | {scores[1]:.3f} |")
    lines.append("")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="research data laid out like ../shared/data (optional)")
    parser.add_argument("--limit", type=int, default=100_000, help="at most this many rows per research file")
    parser.add_argument("--skip-holdout", action="store_true", help="only score the shipped models")
    args = parser.parse_args(argv)
    lines = ["# Shipped models", ""]
    for task in ("sentiment", "topic", "toxicity"):
        shipped = load_shipped(task)
        if shipped is not None:
            size = sum(p.stat().st_size for p in shipped.directory.iterdir())
            lines.append(f"- {task}: {shipped.model.name} {shipped.model.version}, {size / 1e6:.1f} MB")
    lines.append("")
    if not args.skip_holdout:
        corpus_holdout(lines)
    if args.data_dir:
        research(args.data_dir, args.limit, lines)
    print("\n".join(lines))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
