"""Build the shipped models from the open corpus: ``monitor models build-shipped`` (a maintainer's step).

Each model is trained into a scratch directory beside its final place and swapped in only when done, so
an interrupted build leaves the previous model; the manifest records every model's digest and size.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence

from models.shipped import SHIPPED_DIR, SHIPPED_TASKS, shipped_model_dir
from models.shipped.loader import load_shipped, manifest_path, shipped_digests
from models.shipped.recipe import Progress, train_default
from models.trained.modeldir import model_digest, read_card


def _size(task: str) -> int:
    return sum(path.stat().st_size for path in shipped_model_dir(task).iterdir() if path.is_file())


def write_manifest(digests: dict[str, str]) -> None:
    models = {}
    for task in sorted(digests):
        card = read_card(shipped_model_dir(task))
        models[task] = {
            "sha256": digests[task],
            "name": card.name,
            "version": card.version,
            "bytes": _size(task),
            "cross_validated_macro_f1": card.metrics.get("macro_f1"),
        }
    text = json.dumps({"models": models}, ensure_ascii=False, indent=2, sort_keys=True)
    manifest_path().write_text(text + "\n", encoding="utf-8")


def build_shipped(tasks: Sequence[str] = SHIPPED_TASKS, progress: Progress | None = None) -> dict[str, str]:
    """Train ``tasks`` on the corpus, replace their shipped models, and rewrite the manifest; returns digests."""
    report = progress or (lambda _message: None)
    digests = shipped_digests()
    for task in tasks:
        scratch = SHIPPED_DIR / f".{task}.building"
        shutil.rmtree(scratch, ignore_errors=True)
        report(f"{task}: training on the open corpus…")
        train_default(task, scratch, progress=report)
        final = shipped_model_dir(task)
        shutil.rmtree(final, ignore_errors=True)
        scratch.rename(final)
        digests[task] = model_digest(final)
        write_manifest(digests)
        report(f"{task}: {_size(task) / 1e6:.1f} MB, digest {digests[task]}")
    load_shipped.cache_clear()
    return digests
