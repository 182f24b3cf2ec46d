"""Model-quality benchmark: train the scikit-learn backend on each public data set and measure it.

    python -m tests.bench.model_quality --data-dir /work/shared/data
    python -m tests.bench.model_quality --data-dir /work/shared/data --tasks uit-vsfc,reintel

Data sets with a dev split (UIT-VSFC, UIT-ViHSD) are measured on it; the others by 5-fold stratified
cross-validation on train (what ``train_model`` does without a dev file). Also times prediction on one
core: short social texts and 3,000-character articles. Prints one JSON object. Models go to a temporary
directory and are deleted; nothing here is part of the pytest run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # "one core" means one BLAS thread too

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.trained.base import TextClassifier
from models.trained.dataset import load_labelled
from models.trained.modeldir import load_model
from models.trained.train import train_model

# name -> (task, train file, dev file or None), relative to --data-dir
DATASETS: dict[str, tuple[str, str, str | None]] = {
    "uit-vsfc": ("sentiment", "sentiment/uit-vsfc/train.jsonl", "sentiment/uit-vsfc/dev.jsonl"),
    "vlsp2016": ("sentiment", "sentiment/vlsp2016/train.jsonl", None),
    "aivivn2019": ("sentiment", "sentiment/aivivn2019/train.jsonl", None),
    "vntc": ("topic", "topic/vntc/train.jsonl", None),
    "uit-vihsd": ("toxicity", "toxicity/uit-vihsd/train.jsonl", "toxicity/uit-vihsd/dev.jsonl"),
    "reintel": ("misinfo", "misinfo/reintel/train.jsonl", None),
}
SHORT_TEXTS = 10_000
LONG_TEXTS = 500
LONG_CHARS = 3_000


def _speed_corpora(data_dir: Path) -> tuple[list[str], list[str]]:
    """Short social comments (UIT-ViHSD dev) and 3,000-character news articles (VNTC)."""
    comments = list(load_labelled(data_dir / "toxicity/uit-vihsd/dev.jsonl").texts)
    short = (comments * (SHORT_TEXTS // len(comments) + 1))[:SHORT_TEXTS]
    articles = [
        t[:LONG_CHARS] for t in load_labelled(data_dir / "topic/vntc/train.jsonl").texts if len(t) >= LONG_CHARS
    ]
    return short, articles[:LONG_TEXTS]


def _texts_per_second(classifier: TextClassifier, texts: list[str]) -> float:
    classifier.predict_proba(texts[:100])  # warm the token caches a long-running service would have
    started = time.perf_counter()
    classifier.predict_proba(texts)
    return round(len(texts) / (time.perf_counter() - started))


def _progress_for(name: str) -> Callable[[str], None]:
    def report(message: str) -> None:
        print(f"[{name}] {message}", file=sys.stderr, flush=True)

    return report


def _summary(metrics: dict[str, Any]) -> dict[str, Any]:
    keep = ("source", "n", "accuracy", "macro_f1", "weighted_f1", "roc_auc", "positive_label")
    summary = {key: metrics[key] for key in keep if key in metrics}
    summary["f1_per_class"] = {label: values["f1"] for label, values in metrics["per_class"].items()}
    return summary


def run(data_dir: Path, names: list[str]) -> dict[str, Any]:
    short, long = _speed_corpora(data_dir)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="model-quality-") as scratch:
        for name in names:
            task, train_file, dev_file = DATASETS[name]
            out_dir = Path(scratch) / name
            started = time.perf_counter()
            card = train_model(
                task,
                data_dir / train_file,
                out_dir,
                dev_path=data_dir / dev_file if dev_file else None,
                progress=_progress_for(name),
            )
            elapsed = round(time.perf_counter() - started, 1)
            _, classifier = load_model(out_dir)
            results[name] = {
                **_summary(card.metrics),
                "train_seconds_incl_cv": elapsed,
                "model_bytes": sum(f.stat().st_size for f in out_dir.iterdir()),
                "short_texts_per_second": _texts_per_second(classifier, short),
                "articles_3000_chars_per_second": _texts_per_second(classifier, long),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="the converted public data (../shared/data)")
    parser.add_argument("--tasks", default=",".join(DATASETS), help=f"comma-separated subset of {', '.join(DATASETS)}")
    args = parser.parse_args()
    names = [name.strip() for name in args.tasks.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown data sets {unknown}; choose from {sorted(DATASETS)}")
    print(json.dumps(run(args.data_dir, names), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
