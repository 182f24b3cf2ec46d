"""Learning curve of the scikit-learn recipe on the open corpus: does more of the corpus still help?

    python -m tests.bench.corpus_curve --data-dir ../shared/data      # make bench-corpus
    python -m tests.bench.corpus_curve                                # the corpus hold-out only

The corpus (``models/data/corpus``) is split once into a fixed hold-out (20%, stratified by toxicity,
sentiment and genre together) and a training part. The training part is cut into growing, nested,
stratified slices (10% … 100%); on each the recipe of ``monitor models train`` is fitted for sentiment,
toxicity and topics, several times with different seeds, and each model is scored on the corpus
hold-out and on the research files of ``--data-dir`` as out-of-domain tests, next to the built-in
scorers on the same rows. Research files larger than ``--max-rows`` are subsampled (stratified, fixed
seed). Nothing is written to disk: the models live in memory, the research data only ever is test data.

Scores are macro-F1 over the labels of each test set. AIVIVN 2019 has only negative and positive: a
three-label model's answer there is the likelier of those two (its neutral column is ignored); a second
column counts a neutral answer as an error, as ``monitor models evaluate`` does. Topics
are multi-label: micro-F1 of the topic sets, as the service builds them (the trained model's top topic
when its probability reaches 0.5, alone or added to the keyword topics).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # comparable timings on a shared machine

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import f1_score  # type: ignore[import-untyped]

from models.builtin_classifiers import builtin_classifier
from models.corpus import CorpusItem, load_corpus
from models.topics import KeywordTopics
from models.trained import sklearn_backend
from models.trained.base import TextClassifier
from models.trained.dataset import load_labelled
from models.trained.train import predict_in_batches
from monitor.config.topics import load_taxonomy

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
FRACTIONS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)
HOLDOUT_SHARE = 0.2
SEED = 13
MAX_ROWS = 4000
TOPIC_MIN_PROBABILITY = 0.5  # models.config.TopicModel's default: below it the service adds no topic
HOLDOUT = "corpus hold-out"
# test-set name -> (task, file under --data-dir)
RESEARCH_FILES: dict[str, tuple[str, str]] = {
    "UIT-VSFC dev": ("sentiment", "sentiment/uit-vsfc/dev.jsonl"),
    "VLSP 2016 train": ("sentiment", "sentiment/vlsp2016/train.jsonl"),
    "AIVIVN 2019 train": ("sentiment", "sentiment/aivivn2019/train.jsonl"),
    "UIT-ViHSD dev": ("toxicity", "toxicity/uit-vihsd/dev.jsonl"),
}
TASKS = ("sentiment", "toxicity", "topic")

T = TypeVar("T")
Scores = dict[str, list[float]]  # test-set name -> one score per repeat


@dataclass(frozen=True)
class TestSet:
    """Labelled texts to score a model on (single-label tasks)."""

    name: str
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    restrict: bool = True  # see macro_f1


def _systematic(ordered: Sequence[T], share: float) -> tuple[list[T], list[T]]:
    """Every ``1/share``-th element of ``ordered`` is picked: each run of equal keys gets its share ±1."""
    picked: list[T] = []
    rest: list[T] = []
    for i, element in enumerate(ordered):
        (picked if int((i + 1) * share) > int(i * share) else rest).append(element)
    return picked, rest


def holdout_split(
    items: Sequence[CorpusItem], share: float = HOLDOUT_SHARE, seed: int = SEED
) -> tuple[list[CorpusItem], list[CorpusItem]]:
    """Split the corpus into (training part, hold-out), stratified by toxicity, sentiment and genre.

    Items are sorted by that key (shuffled within it by ``seed``) and every ``1/share``-th is held out,
    so every combination, and every label of each field, keeps its share to within one item.
    """
    rng = random.Random(seed)
    keyed = [(item.toxicity.value, item.sentiment.value, item.genre.value, rng.random(), item) for item in items]
    keyed.sort(key=lambda row: row[:4])
    held, train = _systematic([row[4] for row in keyed], share)
    return train, held


def stratified_slice(items: Sequence[T], fraction: float, key: Callable[[T], Hashable], seed: int) -> list[T]:
    """The first ``fraction`` of each ``key`` group of ``items``, after shuffling each group with ``seed``.

    With one seed, a larger fraction holds every item of a smaller one (a learning curve adds data, it
    does not redraw it). Each group keeps at least 2 items (the recipe calibrates by cross-validation).
    The result is in the order of ``items``.
    """
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for index, element in enumerate(items):
        groups[key(element)].append(index)
    chosen: list[int] = []
    for group_key in sorted(groups, key=repr):
        indices = groups[group_key]
        random.Random(f"{seed}:{group_key!r}").shuffle(indices)
        chosen += indices[: min(len(indices), max(2, round(fraction * len(indices))))]
    return [items[i] for i in sorted(chosen)]


def subsample(texts: Sequence[str], labels: Sequence[str], limit: int, seed: int = SEED) -> tuple[list[str], list[str]]:
    """At most ``limit`` rows, stratified by label with a fixed seed; all of them when there are fewer."""
    if len(texts) <= limit:
        return list(texts), list(labels)
    rows = list(range(len(texts)))
    kept = stratified_slice(rows, limit / len(texts), lambda i: labels[i], seed)
    return [texts[i] for i in kept], [labels[i] for i in kept]


def macro_f1(
    truth: Sequence[str], probabilities: NDArray[np.float64], model_labels: Sequence[str], *, restrict: bool = True
) -> float:
    """Macro-F1 over the labels of ``truth``.

    With ``restrict`` the prediction is the likeliest of the test set's own labels (a three-label model
    on a two-label set); without it, the likeliest of all the model's labels, so a prediction outside the
    test set's labels is an error (what ``monitor models evaluate`` does, but averaged over the test
    set's labels only).
    """
    labels = sorted(set(truth))
    allowed = [label for label in model_labels if label in labels] if restrict else list(model_labels)
    columns = [list(model_labels).index(label) for label in allowed]
    predicted = [allowed[i] for i in np.argmax(probabilities[:, columns], axis=1)]
    return float(f1_score(list(truth), predicted, labels=labels, average="macro", zero_division=0))


def micro_f1(truth: Sequence[frozenset[str]], predicted: Sequence[frozenset[str]]) -> float:
    """Micro-F1 of multi-label predictions (an item with no topic may rightly get none)."""
    hits = sum(len(t & p) for t, p in zip(truth, predicted, strict=True))
    guessed = sum(len(p) for p in predicted)
    actual = sum(len(t) for t in truth)
    return 0.0 if hits == 0 else 2 * hits / (guessed + actual)


def final_gain(curve: Sequence[float]) -> float:
    """What the last step of a learning curve added (80% → 100% of the training part)."""
    return curve[-1] - curve[-2]


def _cell(values: Sequence[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def render_table(columns: Sequence[str], rows: Sequence[tuple[str, Scores]]) -> str:
    """A Markdown table: one row per system, one column per test set, mean ± sd over repeats."""
    lines = ["| trained on | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {name} | " + " | ".join(_cell(scores.get(c, [])) for c in columns) + " |" for name, scores in rows]
    if len(rows) >= 3:  # the built-in row, then at least two slices: the gain of the last step
        (_, before), (_, last) = rows[-2], rows[-1]
        gains = [
            f"{statistics.fmean(last[c]) - statistics.fmean(before[c]):+.3f}" if last.get(c) and before.get(c) else "–"
            for c in columns
        ]
        lines.append("| gain of the last step | " + " | ".join(gains) + " |")
    return "\n".join(lines) + "\n"


def _key(task: str) -> Callable[[CorpusItem], str]:
    """The label an item is stratified by for ``task`` (topics: its first topic, or none)."""
    if task == "sentiment":
        return lambda item: item.sentiment.value
    if task == "toxicity":
        return lambda item: item.toxicity.value
    return lambda item: item.topics[0] if item.topics else ""


def _rows(items: Sequence[CorpusItem], task: str) -> tuple[list[str], list[str]]:
    if task == "topic":
        pairs = [(item.text, topic) for item in items for topic in item.topics]
    else:
        pairs = [(item.text, _key(task)(item)) for item in items]
    return [text for text, _ in pairs], [label for _, label in pairs]


class _Bench:
    """Test sets and the built-in scorers' scores, then one entry per fitted model."""

    def __init__(self, holdout: Sequence[CorpusItem], research: dict[str, tuple[str, TestSet]]) -> None:
        self.holdout = holdout
        self.research = research
        self.keywords = KeywordTopics(load_taxonomy(CONFIGS))
        self.keyword_topics = [
            frozenset(r.labels) for r in self.keywords.predict_batch([("", i.text) for i in holdout])
        ]

    def tests(self, task: str) -> list[TestSet]:
        texts, labels = [i.text for i in self.holdout], [_key(task)(i) for i in self.holdout]
        own = [TestSet(HOLDOUT, tuple(texts), tuple(labels))] if task != "topic" else []
        return own + [test for kind, test in self.research.values() if kind == task]

    def columns(self, task: str) -> list[str]:
        if task == "topic":
            return [f"{HOLDOUT}: model", f"{HOLDOUT}: keywords + model"]
        return [test.name for test in self.tests(task)]

    def score(self, task: str, classifier: TextClassifier) -> dict[str, float]:
        if task != "topic":
            return {
                t.name: macro_f1(
                    t.labels, predict_in_batches(classifier, t.texts), classifier.labels, restrict=t.restrict
                )
                for t in self.tests(task)
            }
        probabilities = predict_in_batches(classifier, [item.text for item in self.holdout])
        best = np.argmax(probabilities, axis=1)
        model = [
            frozenset([classifier.labels[b]]) if row[b] >= TOPIC_MIN_PROBABILITY else frozenset[str]()
            for b, row in zip(best, probabilities, strict=True)
        ]
        truth = [frozenset(item.topics) for item in self.holdout]
        return {
            f"{HOLDOUT}: model": micro_f1(truth, model),
            f"{HOLDOUT}: keywords + model": micro_f1(
                truth, [k | m for k, m in zip(self.keyword_topics, model, strict=True)]
            ),
        }

    def builtin(self, task: str) -> dict[str, float]:
        if task == "topic":
            truth = [frozenset(item.topics) for item in self.holdout]
            keywords = micro_f1(truth, self.keyword_topics)
            return {f"{HOLDOUT}: model": keywords, f"{HOLDOUT}: keywords + model": keywords}
        return self.score(task, builtin_classifier(f"lexicon-{task}", CONFIGS))


def load_research(data_dir: Path, limit: int) -> dict[str, tuple[str, TestSet]]:
    """The research test files found under ``data_dir`` (a missing one is skipped, with a note)."""
    found: dict[str, tuple[str, TestSet]] = {}
    for name, (task, relative) in RESEARCH_FILES.items():
        path = data_dir / relative
        if not path.is_file():
            print(f"note: {path} not found; {name} left out", file=sys.stderr)
            continue
        data = load_labelled(path)  # its errors name the file, the line and the field
        texts, labels = subsample(data.texts, data.labels, limit)
        shown = f"{name} ({len(texts):,} of {len(data):,})" if len(texts) < len(data) else name
        found[shown] = (task, TestSet(shown, tuple(texts), tuple(labels)))
        if task == "sentiment" and len(set(labels)) < 3:  # also as monitor models evaluate counts it
            strict = f"{shown}, neutral = error"
            found[strict] = (task, TestSet(strict, tuple(texts), tuple(labels), restrict=False))
    return found


def run(data_dir: Path | None, repeats: int, limit: int, tasks: Sequence[str]) -> str:
    """Fit every slice of every task ``repeats`` times; the Markdown report."""
    started = time.perf_counter()
    train, holdout = holdout_split(load_corpus())
    research = load_research(data_dir, limit) if data_dir else {}
    bench = _Bench(holdout, research)
    out = [
        f"Corpus: {len(train) + len(holdout):,} items; training part {len(train):,}, hold-out {len(holdout):,}"
        f" (20%, stratified by toxicity, sentiment and genre). {repeats} repeat(s) per slice (seeds"
        f" {SEED}..{SEED + repeats - 1}: slice draw and fit); mean ± sd. Macro-F1 (topics: micro-F1).",
        "",
    ]
    for task in tasks:
        builtin = "keyword topics" if task == "topic" else f"lexicon `builtin:lexicon-{task}`"
        rows: list[tuple[str, Scores]] = [(builtin, {k: [v] for k, v in bench.builtin(task).items()})]
        for fraction in FRACTIONS:
            scores: Scores = defaultdict(list)
            sizes = []
            for repeat in range(repeats):
                seed = SEED + repeat
                part = stratified_slice(train, fraction, _key(task), seed)
                texts, labels = _rows(part, task)
                sizes.append(len(part))
                classifier = sklearn_backend.fit(texts, labels, seed=seed)
                for name, value in bench.score(task, classifier).items():
                    scores[name].append(value)
                print(
                    f"[{task}] {fraction:.0%} seed {seed}: {len(part)} items, {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            rows.append((f"{fraction:.0%} ({statistics.fmean(sizes):,.0f} items)", scores))
        out += [f"### {task}", "", render_table(bench.columns(task), rows)]
    out.append(f"Total time {time.perf_counter() - started:.0f} s.")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run the benchmark and print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="the research data (../shared/data), as test sets")
    parser.add_argument("--repeats", type=int, default=3, help="fits per slice with different seeds (default 3)")
    parser.add_argument("--max-rows", type=int, default=MAX_ROWS, help="subsample bigger research files to this")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {', '.join(TASKS)}")
    args = parser.parse_args(argv)
    tasks = [task for task in args.tasks.split(",") if task]
    if unknown := sorted(set(tasks) - set(TASKS)):
        parser.error(f"unknown tasks {unknown}; choose from {list(TASKS)}")
    if args.repeats < 1 or args.max_rows < 1:
        parser.error("--repeats and --max-rows must be at least 1")
    print(run(args.data_dir, args.repeats, args.max_rows, tasks), end="")


if __name__ == "__main__":
    main()
