"""Labelled training and evaluation data: JSONL files with a ``text`` and a ``label`` per line.

This is the schema of the converted public datasets (one JSON object per line; other fields such as
``id`` or ``topic`` are ignored). The file's sha256 is kept with the rows so a model card can say
exactly which bytes a model was trained and measured on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ModelError


class DataError(ModelError):
    """A labelled data file cannot be used; the message names the file, and the line and field if any."""


@dataclass(frozen=True)
class LabelledData:
    """The rows of one labelled file, in file order."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    path: Path
    sha256: str

    @property
    def label_set(self) -> tuple[str, ...]:
        """The distinct labels, sorted."""
        return tuple(sorted(set(self.labels)))

    def __len__(self) -> int:
        return len(self.texts)


def _field(row: object, name: str, path: Path, line_number: int) -> str:
    if not isinstance(row, dict):
        raise DataError(f"{path}:{line_number}: expected a JSON object, got {type(row).__name__}")
    if name not in row:
        raise DataError(f"{path}:{line_number}: field '{name}' is missing")
    value = row[name]
    if not isinstance(value, str):
        raise DataError(f"{path}:{line_number}: field '{name}' must be a string, got {type(value).__name__}")
    return value


def load_labelled(path: Path | str) -> LabelledData:
    """Read a JSONL file of ``{"text": ..., "label": ...}`` objects.

    Blank lines are skipped; texts may be empty strings, labels may not.

    Raises:
        DataError: the file is missing or unreadable, a line is not a JSON object, ``text`` or ``label``
            is missing or not a string, a label is empty, the file has no rows, or fewer than 2 labels.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read labelled data: {exc.strerror or exc}") from exc
    try:
        content = raw.decode("utf-8-sig")  # a BOM from a spreadsheet export is not part of the first row
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    texts: list[str] = []
    labels: list[str] = []
    for line_number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{line_number}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        text = _field(row, "text", path, line_number)
        label = _field(row, "label", path, line_number)
        if not label.strip():
            raise DataError(f"{path}:{line_number}: field 'label' is empty")
        texts.append(text)
        labels.append(label)
    if not texts:
        raise DataError(f"{path}: no labelled rows")
    distinct = sorted(set(labels))
    if len(distinct) < 2:
        raise DataError(f"{path}: needs at least 2 labels to train or evaluate a classifier, found {distinct}")
    return LabelledData(tuple(texts), tuple(labels), path, hashlib.sha256(raw).hexdigest())
