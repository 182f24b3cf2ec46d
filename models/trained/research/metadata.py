"""How much ReINTEL's post metadata adds to the text model: a measurement, not a model the service loads.

VLSP 2020's winners stacked n-gram scores with the posts' like, comment and share counts. This module
measures that on the labelled ReINTEL rows, by nested cross-validation: the text recipe's out-of-fold
probability (``models.trained.sklearn_backend.fit``) plus the counts and a few text-shape features go
into a logistic regression, scored on folds neither saw::

    python -m models.trained.research.metadata --data-dir ../shared/data

The pinned misinformation model stays text-only: the service scores a post when it is first collected,
when its counts are near zero and still growing, and its scorers receive the text alone. The author
(``user_name``) is never a feature; the labelled subset has no posting time or image fields.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]
from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from models.trained import sklearn_backend
from models.trained.dataset import DataError

COUNTS = ("num_like", "num_comment", "num_share")
FOLDS = 5
SEED = 13
STACKER_C = 0.3
_SUFFIXES = {"K": 1e3, "M": 1e6}
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def parse_count(value: object) -> float | None:
    """A count as ReINTEL writes it ("6", "1.1K", "2,345", "" or missing); ``None`` when absent or unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    text = str(value or "").strip().upper().replace(",", "")
    if not text:
        return None
    scale = _SUFFIXES.get(text[-1], 1.0)
    try:
        return float(text[:-1] if scale != 1.0 else text) * scale
    except ValueError:
        return None


def count_features(row: dict[str, Any]) -> list[float]:
    """log(1 + count) per count (-1 when missing) and a missing flag per count."""
    counts = [parse_count(row.get(name)) for name in COUNTS]
    return [math.log1p(c) if c is not None else -1.0 for c in counts] + [float(c is None) for c in counts]


def shape_features(text: str) -> list[float]:
    """Text shape the n-grams miss: length, links, and the shares of '!', capitals and digits."""
    n = max(len(text), 1)
    return [
        math.log1p(len(text)),
        float(len(_LINK.findall(text))),
        100.0 * text.count("!") / n,
        sum(c.isupper() for c in text) / n,
        sum(c.isdigit() for c in text) / n,
        float(text.count("#")),
    ]


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of ReINTEL's labelled JSONL (``text``, ``label`` and the counts); errors name file and line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not isinstance(row.get("label"), str):
            raise DataError(f"{path}:{number}: expected an object with string 'text' and 'label'")
        rows.append(row)
    return rows


def _text_scores(texts: Sequence[str], labels: Sequence[str], held: Sequence[str], positive: str) -> NDArray[Any]:
    model = sklearn_backend.fit(texts, labels)
    return np.asarray(model.predict_proba(held)[:, model.labels.index(positive)])


def _logit(p: NDArray[Any]) -> NDArray[Any]:
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(clipped / (1 - clipped)))


def cross_validate(rows: list[dict[str, Any]], positive: str = "unreliable") -> dict[str, float]:
    """Out-of-fold ROC-AUC of the text recipe alone, and stacked with shape and with shape + counts."""
    texts = [row["text"] for row in rows]
    labels = [row["label"] for row in rows]
    y = np.array([label == positive for label in labels], dtype=np.int64)
    extra = {
        "text + shape": np.array([shape_features(t) for t in texts]),
        "text + shape + counts": np.array([shape_features(r["text"]) + count_features(r) for r in rows]),
    }
    out_of_fold = {name: np.zeros(len(rows)) for name in ("text", *extra)}
    outer = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for fit_rows, held_rows in outer.split(texts, y):
        inner_scores = np.zeros(len(fit_rows))
        inner = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED + 1)
        for a, b in inner.split(fit_rows, y[fit_rows]):
            inner_scores[b] = _text_scores(
                [texts[fit_rows[i]] for i in a],
                [labels[fit_rows[i]] for i in a],
                [texts[fit_rows[i]] for i in b],
                positive,
            )
        held_scores = _text_scores(
            [texts[i] for i in fit_rows], [labels[i] for i in fit_rows], [texts[i] for i in held_rows], positive
        )
        out_of_fold["text"][held_rows] = held_scores
        for name, features in extra.items():
            stacker = make_pipeline(StandardScaler(), LogisticRegression(C=STACKER_C, max_iter=2000))
            stacker.fit(np.column_stack([_logit(inner_scores), features[fit_rows]]), y[fit_rows])
            held_inputs = np.column_stack([_logit(held_scores), features[held_rows]])
            out_of_fold[name][held_rows] = stacker.predict_proba(held_inputs)[:, 1]
    return {name: round(float(roc_auc_score(y, scores)), 4) for name, scores in out_of_fold.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the nested cross-validated ROC-AUC of the text model with and without metadata, as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path, help="folder laid out like ../shared/data")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        result = cross_validate(read_rows(args.data_dir / "misinfo/reintel/train.jsonl"))
    print(json.dumps({"roc_auc": result, "source": f"{FOLDS}-fold nested cross-validation"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
