"""The corpus learning-curve benchmark's pure parts, on the shipped corpus (no research data needed)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from models.corpus import CorpusItem, load_corpus
from tests.bench.corpus_curve import (
    FRACTIONS,
    holdout_split,
    macro_f1,
    micro_f1,
    render_table,
    stratified_slice,
    subsample,
)


@pytest.fixture(scope="module")
def corpus() -> list[CorpusItem]:
    return load_corpus()


def _ids(items: list[CorpusItem]) -> list[str]:
    return [item.id for item in items]


def test_holdout_is_a_deterministic_partition(corpus: list[CorpusItem]) -> None:
    train, held = holdout_split(corpus, 0.2, seed=13)
    again_train, again_held = holdout_split(corpus, 0.2, seed=13)
    assert (_ids(train), _ids(held)) == (_ids(again_train), _ids(again_held))
    assert set(_ids(train)).isdisjoint(_ids(held))
    assert sorted(_ids(train) + _ids(held)) == sorted(_ids(corpus))
    assert abs(len(held) - 0.2 * len(corpus)) <= 1
    assert _ids(holdout_split(corpus, 0.2, seed=14)[1]) != _ids(held)


@pytest.mark.parametrize("field", ["sentiment", "toxicity", "genre"])
def test_holdout_keeps_each_label_share(corpus: list[CorpusItem], field: str) -> None:
    _, held = holdout_split(corpus, 0.2, seed=13)
    everywhere = Counter(getattr(item, field).value for item in corpus)
    held_out = Counter(getattr(item, field).value for item in held)
    runs = Counter(
        getattr(item, field).value for item in {(i.toxicity, i.sentiment, i.genre): i for i in corpus}.values()
    )
    for label, count in everywhere.items():
        # Sorted by (toxicity, sentiment, genre) and cut every 5th item: each run of one key keeps its
        # share to within one item, so a label is off by at most the number of runs it spans.
        assert abs(held_out[label] - 0.2 * count) <= runs[label], (label, held_out[label], count)
    if field == "toxicity":
        assert held_out["hate"] >= 2  # the rarest label is tested too


def test_slices_are_nested_stratified_and_deterministic(corpus: list[CorpusItem]) -> None:
    train, _ = holdout_split(corpus)
    labels = Counter(item.toxicity.value for item in train)
    previous: set[str] = set()
    for fraction in FRACTIONS:
        part = stratified_slice(train, fraction, lambda item: item.toxicity.value, seed=13)
        assert _ids(part) == _ids(stratified_slice(train, fraction, lambda item: item.toxicity.value, seed=13))
        counts = Counter(item.toxicity.value for item in part)
        for label, total in labels.items():
            assert counts[label] == min(total, max(2, round(fraction * total)))
        assert previous <= set(_ids(part))
        previous = set(_ids(part))
    assert previous == set(_ids(train))
    other = stratified_slice(train, 0.4, lambda item: item.toxicity.value, seed=14)
    assert set(_ids(other)) != set(_ids(stratified_slice(train, 0.4, lambda item: item.toxicity.value, seed=13)))


def test_subsample_keeps_label_shares(corpus: list[CorpusItem]) -> None:
    texts = [item.text for item in corpus]
    labels = [item.sentiment.value for item in corpus]
    kept_texts, kept_labels = subsample(texts, labels, 1000, seed=13)
    assert abs(len(kept_texts) - 1000) <= 3
    for label, count in Counter(labels).items():
        assert abs(Counter(kept_labels)[label] - count * 1000 / len(texts)) <= 1
    assert subsample(texts, labels, len(texts) + 1) == (texts, labels)


def test_two_label_test_set_ignores_the_neutral_column() -> None:
    # AIVIVN 2019 has no neutral: the likelier of negative and positive is the answer.
    probabilities = np.array([[0.3, 0.6, 0.1], [0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
    truth = ["negative", "positive", "positive"]
    assert macro_f1(truth, probabilities, ("negative", "neutral", "positive")) == pytest.approx(2 / 3)


def test_micro_f1_of_topic_sets() -> None:
    truth = [frozenset({"health"}), frozenset({"tourism", "culture"}), frozenset()]
    predicted = [frozenset({"health"}), frozenset({"tourism"}), frozenset({"education"})]
    assert micro_f1(truth, predicted) == pytest.approx(2 * 2 / (3 + 3))
    assert micro_f1([frozenset()], [frozenset()]) == 0.0


def test_table_renders_mean_sd_and_last_gain() -> None:
    rows = [
        ("built-in", {"hold-out": [0.4], "UIT-VSFC dev": [0.35]}),
        ("80% (100 items)", {"hold-out": [0.6, 0.62], "UIT-VSFC dev": [0.5, 0.5]}),
        ("100% (125 items)", {"hold-out": [0.65, 0.65], "UIT-VSFC dev": [0.49, 0.49]}),
    ]
    assert render_table(["hold-out", "UIT-VSFC dev", "VLSP"], rows) == (
        "| trained on | hold-out | UIT-VSFC dev | VLSP |\n"
        "|---|---:|---:|---:|\n"
        "| built-in | 0.400 | 0.350 | – |\n"
        "| 80% (100 items) | 0.610 ± 0.014 | 0.500 ± 0.000 | – |\n"
        "| 100% (125 items) | 0.650 ± 0.000 | 0.490 ± 0.000 | – |\n"
        "| gain of the last step | +0.040 | -0.010 | – |\n"
    )


def test_two_label_test_set_can_count_neutral_as_an_error() -> None:
    probabilities = np.array([[0.3, 0.6, 0.1], [0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
    truth = ["negative", "positive", "positive"]
    # Predicted neutral, neutral, negative: nothing right.
    assert macro_f1(truth, probabilities, ("negative", "neutral", "positive"), restrict=False) == 0.0
