"""Officers' label corrections as data for ``monitor models retrain``: read, then split into a share the
new model trains on and a share held back to judge it.

The corrections come from the store (the newest correction per document, exactly what
``monitor models export-feedback`` writes) or from such an exported JSONL file. The split keeps every
correction of one document (and every copy of one text, e.g. a post shared by two pages) on the same
side, so the judgement is never made on something the candidate learnt.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.corpus import normalized_text
from monitor.analytics.feedback import FeedbackError, FeedbackStore, check_label, training_examples
from monitor.config.settings import Settings
from monitor.db import Database
from monitor.errors import ModelError, StoreError
from monitor.store.factory import open_document_store

SPLIT_SEED = 13


class RetrainError(ModelError):
    """Retraining cannot go on: no or too few corrections, a bad corrections file, an unusable task."""


@dataclass(frozen=True)
class Correction:
    """One document's corrected label, with the text the label is about."""

    doc_id: str
    text: str
    label: str


@dataclass(frozen=True)
class StoredCorrections:
    corrections: list[Correction]
    skipped: int  # corrected documents no longer in the store (retention), so without a text
    source: str


@dataclass(frozen=True)
class Split:
    training: list[Correction]
    held_back: list[Correction]


def read_store_corrections(settings: Settings, task: str) -> StoredCorrections:
    """The newest correction per document for ``task``, with the document's text, from the configured store.

    Raises:
        StoreError: the database is missing or cannot be read (named).
    """
    path = settings.sqlite_path
    if not path.is_file():
        raise StoreError(
            f"no database at {path} (data_dir in {settings.config_dir}/settings.yaml): nothing has been "
            "collected or corrected here; give --config-dir of the installation, or --corrections FILE.jsonl",
            retryable=False,
        )
    db = Database(path)
    try:
        store = open_document_store(settings, db)
        try:
            found = list(training_examples(FeedbackStore(db), store, task))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the corrections in {path}: {exc}", retryable=False) from exc
        finally:
            store.close()
    finally:
        db.close()
    corrections = [Correction(e.id, e.text, e.label) for e in found if not isinstance(e, str)]
    return StoredCorrections(corrections, skipped=len(found) - len(corrections), source=str(path))


def read_corrections_file(path: Path, task: str) -> list[Correction]:
    """Corrections from a JSONL file as ``monitor models export-feedback`` writes it (``id``, ``text``,
    ``label``, optionally ``task``); a later line for the same ``id`` replaces an earlier one.

    Raises:
        RetrainError: the file cannot be read, or a line is not a correction of ``task`` (file and line named).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RetrainError(f"cannot read the corrections file {path}: {exc}") from exc
    by_id: dict[str, Correction] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RetrainError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise RetrainError(f"{where}: expected an object with 'text' and 'label'")
        text, label, doc_id = row.get("text"), row.get("label"), row.get("id", f"{path.name}:{number}")
        if not isinstance(text, str) or not text.strip():
            raise RetrainError(f"{where}: 'text' is missing or empty")
        if not isinstance(label, str) or not isinstance(doc_id, str):
            raise RetrainError(f"{where}: 'label' and 'id' must be strings")
        if row.get("task", task) != task:
            raise RetrainError(f"{where}: a correction for task '{row['task']}', not '{task}'")
        try:
            check_label(task, label)
        except FeedbackError as exc:
            raise RetrainError(f"{where}: {exc.message}") from exc
        by_id.pop(doc_id, None)  # keep the newest, in file order
        by_id[doc_id] = Correction(doc_id, text, label)
    return list(by_id.values())


def _groups(corrections: Sequence[Correction]) -> list[list[int]]:
    """Indices of corrections that must stay together: the same document id, or the same text."""
    parent = list(range(len(corrections)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, correction in enumerate(corrections):
        for key in (("id", correction.doc_id), ("text", normalized_text(correction.text))):
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(corrections)):
        members[root(i)].append(i)
    return list(members.values())


def split_corrections(corrections: Sequence[Correction], share: float, seed: int = SPLIT_SEED) -> Split:
    """Hold back about ``share`` of the corrections, per label (stratified), whole groups at a time.

    A group (see :func:`_groups`) counts under the label most of its corrections carry. Each label with at
    least two groups gives at least one to each side; a label with one group trains. Deterministic: the
    same corrections and seed give the same split, whatever order they came in.
    """
    if not 0.0 < share < 1.0:
        raise RetrainError(f"the held-back share must be between 0 and 1 (got {share})")
    by_label: dict[str, list[list[int]]] = defaultdict(list)
    for group in _groups(corrections):
        label = Counter(corrections[i].label for i in group).most_common(1)[0][0]
        by_label[label].append(group)
    rng = random.Random(seed)  # noqa: S311 (a reproducible split, not a secret)
    held: set[int] = set()
    for label in sorted(by_label):
        # Sorted first so that the input order does not matter, then shuffled with the seed.
        groups = sorted(by_label[label], key=lambda g: min(corrections[i].doc_id for i in g))
        rng.shuffle(groups)
        # A label with two groups or more gives at least one to each side; a lone group trains.
        count = min(max(round(share * len(groups)), 1), len(groups) - 1) if len(groups) >= 2 else 0
        for group in groups[:count]:
            held.update(group)
    return Split(
        training=[c for i, c in enumerate(corrections) if i not in held],
        held_back=[c for i, c in enumerate(corrections) if i in held],
    )
