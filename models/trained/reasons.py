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
per phrase (case-insensitively), and a phrase inside a stronger one (``vời`` in ``tuyệt vời``) is folded
into it, so the few reasons shown say different things.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.trained.portable import Parts
from models.trained.stacking import apply_log_prior
from monitor.errors import ModelError

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class _Reason:
    words: tuple[str, ...]
    phrase: str
    weight: float


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
    explained = []
    for row, (text, label) in enumerate(zip(texts, label_indices, strict=True)):
        gradient = stacker.log_odds_gradient(inputs[row], probabilities[row], int(label))[:n_scores]
        start, end = features.indptr[row], features.indptr[row + 1]
        columns = features.indices[start:end]
        weights = base_models.weights[columns].astype(np.float64) @ gradient
        contributions = dict(zip(columns.tolist(), (features.data[start:end] * weights).tolist(), strict=True))
        explained.append(_phrases(featurizer.occurrences(text), contributions, top))
    return explained


def _phrases(occurrences: list[tuple[int, str]], contributions: dict[int, float], top: int) -> list[tuple[str, float]]:
    """The ``top`` phrases with the largest positive summed contribution, each with its sub-phrases folded in."""
    counts = Counter(feature for feature, _ in occurrences)
    totals: dict[str, float] = defaultdict(float)
    spelled: dict[str, str] = {}
    for feature, phrase in occurrences:
        key = phrase.lower()
        totals[key] += contributions.get(feature, 0.0) / counts[feature]
        spelled.setdefault(key, phrase)
    candidates = sorted(((weight, key) for key, weight in totals.items() if weight > 0), key=lambda c: (-c[0], c[1]))
    groups: list[_Reason] = []
    for weight, key in candidates:
        reason = _Reason(tuple(_WORD.findall(key)) or (key,), spelled[key], weight)
        overlapping = [g for g in groups if _inside(g.words, reason.words) or _inside(reason.words, g.words)]
        for group in overlapping:  # one reason for "tuyệt", "vời" and "tuyệt vời", spelled as the longest
            groups.remove(group)
            if len(group.words) > len(reason.words):
                reason.words, reason.phrase = group.words, group.phrase
            reason.weight += group.weight
        groups.append(reason)
    groups.sort(key=lambda group: (-group.weight, group.phrase))
    return [(group.phrase, group.weight) for group in groups[: max(top, 0)]]


def _inside(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """True when ``part`` is a run of consecutive words of ``whole``."""
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))
