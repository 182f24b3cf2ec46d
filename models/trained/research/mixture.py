"""A union of datasets as a mixture of experts: one model per dataset, weighted by a router over the text.

One model fitted on the union of UIT-VSFC, VLSP 2016 and AIVIVN 2019 scores each of them worse than
its own model does (UIT-VSFC dev macro-F1 0.754 against 0.788): their neutral labels mean different
things (4% of student feedback, a third of tech reviews) and one prior shift cannot suit both. A dataset
tag would tell them apart, but a live post has none. So the text tells: a router, trained to recognise
which dataset a text looks like (lower-cased tokenised feedback, product reviews, teencode shop
reviews), weighs each dataset's expert::

    p(label | text) = sum over datasets d of p(d | text) * p_d(label | text)

An expert that lacks a label (AIVIVN has no neutral) gives it 0. The experts and the router are ordinary
scikit-learn classifiers, each saved as its own sub-directory (``experts/<dataset>/``, ``router/``)
next to ``mixture.json``; the model card lists and hashes every file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.trained import sklearn_backend
from monitor.errors import ModelError

MIXTURE_FILE = "mixture.json"
FORMAT_VERSION = 1
# Recognising the dataset is easy; a few thousand texts of each is plenty and keeps the router's fit short.
ROUTER_ROWS_PER_DATASET = 3_000
RECIPE = {
    "mixture": "one model per dataset (the recipe below), weighted by a router over the text that predicts "
    f"which dataset a text resembles (the recipe on up to {ROUTER_ROWS_PER_DATASET:,} texts per dataset)"
}

Progress = Callable[[str], None]


class MixtureClassifier:
    """Experts per dataset and a router; meets ``TextClassifier``."""

    def __init__(
        self, experts: dict[str, sklearn_backend.SklearnTextClassifier], router: sklearn_backend.SklearnTextClassifier
    ) -> None:
        if set(router.labels) != set(experts):
            raise ModelError(f"the router's datasets {list(router.labels)} are not the experts' {sorted(experts)}")
        self.experts = experts
        self.router = router
        self._labels = tuple(sorted({label for expert in experts.values() for label in expert.labels}))

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        result = np.zeros((len(texts), len(self._labels)))
        if not texts:
            return result
        weights = self.router.predict_proba(texts)
        for name, expert in self.experts.items():
            columns = [self._labels.index(label) for label in expert.labels]
            weight = weights[:, self.router.labels.index(name)][:, None]
            result[:, columns] += weight * expert.predict_proba(texts)
        return result

    def save(self, directory: Path) -> list[str]:
        names: list[str] = []
        parts = {**{f"experts/{name}": expert for name, expert in self.experts.items()}, "router": self.router}
        for part, classifier in parts.items():
            (directory / part).mkdir(parents=True, exist_ok=True)
            names.extend(f"{part}/{name}" for name in classifier.save(directory / part))
        state = {"format_version": FORMAT_VERSION, "experts": sorted(self.experts)}
        (directory / MIXTURE_FILE).write_text(json.dumps(state) + "\n", encoding="utf-8")
        return [*names, MIXTURE_FILE]


def load(directory: Path) -> MixtureClassifier:
    """Read a mixture written by :meth:`MixtureClassifier.save` (the card's file hashes already checked)."""
    path = directory / MIXTURE_FILE
    try:
        state: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the mixture: {exc}") from exc
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: not a mixture of format {FORMAT_VERSION}; train it again with train-research")
    experts = {str(name): sklearn_backend.load(directory / "experts" / str(name)) for name in state["experts"]}
    return MixtureClassifier(experts, sklearn_backend.load(directory / "router"))


def fit_mixture(
    texts: Sequence[str], labels: Sequence[str], groups: Sequence[str], progress: Progress | None, seed: int
) -> MixtureClassifier:
    """An expert per distinct ``groups`` value (the dataset of each row) and the router between them."""
    report = progress or (lambda _message: None)
    names = sorted(set(groups))
    experts = {}
    for name in names:
        rows = [i for i, group in enumerate(groups) if group == name]
        report(f"  expert {name}: fitting {len(rows):,} texts…")
        experts[name] = sklearn_backend.fit([texts[i] for i in rows], [labels[i] for i in rows], seed=seed)
    sample: list[int] = []
    generator = np.random.default_rng(seed)
    for name in names:
        rows = [i for i, group in enumerate(groups) if group == name]
        chosen = generator.choice(len(rows), size=min(len(rows), ROUTER_ROWS_PER_DATASET), replace=False)
        sample.extend(rows[int(i)] for i in sorted(chosen))
    report(f"  router: fitting {len(sample):,} texts to tell {', '.join(names)} apart…")
    router = sklearn_backend.fit([texts[i] for i in sample], [groups[i] for i in sample], seed=seed)
    return MixtureClassifier(experts, router)
