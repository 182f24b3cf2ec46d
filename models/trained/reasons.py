"""Why a scikit-learn model gave a text its label: the phrases of the text that pushed it there most.

Each active feature's contribution toward a label is its tf-idf value times its combined weight toward
that label. The combined weight runs the chain the score went through: the base models' weights
(``features -> base scores``) times the gradient of the label's log-odds against the other labels with
respect to those base scores, at this text (:meth:`Stacker.log_odds_gradient`). For a two-label model
with a linear stacker the gradient is the stacker's coefficients over the scaler's scale, the same for
every text, and the contributions add up exactly to the base scores' share of the log-odds. For three
labels or the quadratic stacker it is the local linearisation at the text: what a small change of each
feature would do to the label's log-odds there. Lengths feed the stacker too, but are not phrases and
are left out.

Features are mapped back to the text's own words (:meth:`TextFeaturizer.occurrences`): a feature that
occurs several times shares its contribution equally between its occurrences, contributions are summed
per phrase (case-insensitively; the same phrase said twice is one stronger reason), and phrases that
pushed toward the label are joined with those inside them (``tuyệt``, ``vời`` and ``tuyệt vời`` are one
reason, spelled as the longest, weighing all three), so the few reasons shown say different things.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from models.trained.featurizer import Occurrences
from models.trained.portable import Parts
from models.trained.stacking import apply_log_prior
from monitor.errors import ModelError

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SPARE_GROUPS = 4
CANDIDATES = 16


@dataclass
class _Reason:
    words: tuple[str, ...]
    phrase: str
    weight: float
    alive: bool = True  # False once joined into a longer reason


def explain(
    model: Parts,
    texts: Sequence[str],
    label_indices: Sequence[int],
    top: int = 3,
) -> list[list[tuple[str, float]]]:
    """For each text, up to ``top`` ``(phrase, weight)`` that pushed it most toward its label, largest first.

    Raises:
        ModelError: ``texts`` and ``label_indices`` differ in length, or a label index is out of range.
    """
    featurizer, base_models, stacker = model.featurizer, model.base_models, model.stacker
    if len(texts) != len(label_indices):
        raise ModelError(f"{len(texts)} texts but {len(label_indices)} label indices to explain")
    n_labels = len(model.labels)
    for index in label_indices:
        if not 0 <= index < n_labels:
            raise ModelError(f"label index {index} is out of range for a model with {n_labels} labels")
    if not texts:
        return []
    features, lengths = featurizer.transform_with_lengths(texts)
    inputs = np.hstack([base_models.scores(features), lengths])
    probabilities = apply_log_prior(stacker.predict_proba(inputs), model.log_prior_shift)
    n_scores = base_models.weights.shape[1]
    explained: list[list[tuple[str, float]]] = []
    for row, (text, label) in enumerate(zip(texts, label_indices, strict=True)):
        gradient = stacker.log_odds_gradient(inputs[row], probabilities[row], int(label))[:n_scores]
        start, end = features.indptr[row], features.indptr[row + 1]
        columns, values = features.indices[start:end], features.data[start:end]
        contributions = values * (base_models.weights[columns].astype(np.float64) @ gradient)
        explained.append(_phrases(featurizer.occurrences(text), columns, contributions, top))
    return explained


def _phrases(
    occurrences: Occurrences, columns: NDArray[np.int32], contributions: NDArray[np.float64], top: int
) -> list[tuple[str, float]]:
    """The ``top`` phrases with the largest positive contribution, largest first.

    ``contributions[i]`` is feature ``columns[i]``'s push toward the label; every feature that occurs in
    the text is among ``columns``.
    """
    spelled = occurrences.spelled
    order = np.argsort(columns)
    sorted_columns, sorted_pushes = columns[order], contributions[order]

    def push(features: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.asarray(sorted_pushes[np.searchsorted(sorted_columns, features)], dtype=np.float64)

    totals: dict[str, float] = defaultdict(float)
    shown: dict[str, str] = {}

    def add(phrase: str, weight: float) -> None:
        totals[phrase.lower()] += weight  # the same phrase said twice is one stronger reason
        shown.setdefault(phrase.lower(), phrase)

    # A feature occurring n times gives each of its places 1/n of its push. Only places that pushed toward
    # the label are named (the strongest few dozen): a word's push and its token's are summed if both did.
    features, starts, ends = occurrences.features, occurrences.starts, occurrences.ends
    if len(features):
        _, feature_of, times = np.unique(features, return_inverse=True, return_counts=True)
        width = len(spelled) + 1  # a place is keyed start * width + end
        places, place_of = np.unique(starts * width + ends, return_inverse=True)
        by_place = np.asarray(np.bincount(place_of, weights=push(features) / times[feature_of]), dtype=np.float64)
        for place in _strongest(by_place, top).tolist():
            add(spelled[places[place] // width : places[place] % width], float(by_place[place]))
    grams, tokens = occurrences.gram_features, occurrences.gram_tokens
    if len(grams):
        _, gram_of = np.unique(grams, return_inverse=True)
        times = np.bincount(gram_of, weights=occurrences.token_counts[tokens])
        per_token = np.bincount(tokens, weights=push(grams) / times[gram_of], minlength=len(occurrences.token_spans))
        by_token = np.asarray(per_token * occurrences.token_counts, dtype=np.float64)
        for token in _strongest(by_token, top).tolist():
            start, end = occurrences.token_spans[token]
            add(spelled[start:end], float(by_token[token]))
    candidates = sorted(((weight, key) for key, weight in totals.items() if weight > 0), key=lambda c: (-c[0], c[1]))
    groups: list[_Reason] = []
    by_word: dict[str, list[_Reason]] = defaultdict(list)
    for weight, key in candidates:
        reason = _Reason(tuple(_WORD.findall(key)) or (key,), shown[key], weight)
        near = {id(group): group for word in set(reason.words) for group in by_word[word] if group.alive}
        overlapping = [g for g in near.values() if _inside(g.words, reason.words) or _inside(reason.words, g.words)]
        # Later candidates weigh less than every group so far: past a few spare groups they can only join one.
        if not overlapping and len(groups) >= SPARE_GROUPS * max(top, 1):
            continue
        for group in overlapping:  # one reason for "tuyệt", "vời" and "tuyệt vời", spelled as the longest
            group.alive = False
            if len(group.words) > len(reason.words):
                reason.words, reason.phrase = group.words, group.phrase
            reason.weight += group.weight
        groups.append(reason)
        for word in set(reason.words):
            by_word[word].append(reason)
    alive = sorted((group for group in groups if group.alive), key=lambda group: (-group.weight, group.phrase))
    return [(group.phrase, group.weight) for group in alive[: max(top, 0)]]


def _strongest(weights: NDArray[np.float64], top: int) -> NDArray[np.intp]:
    """Indices of the largest positive ``weights``, at most :data:`CANDIDATES` per reason asked for.

    Only what pushed toward the label can be a reason, and a long article has thousands of places:
    naming all of them would cost more than scoring it.
    """
    positive = np.flatnonzero(weights > 0)
    limit = CANDIDATES * max(top, 1)
    if len(positive) > limit:
        positive = positive[np.argsort(-weights[positive], kind="stable")[:limit]]
    return positive


def _inside(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """True when ``part`` is a run of consecutive words of ``whole``."""
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))
