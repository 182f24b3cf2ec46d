"""Model pins written by commands, kept apart from the operator's hand-written ``models.yaml``.

``monitor models train-research`` and ``monitor models retrain`` pin the models they produce in
``<config_dir>/models.pinned.yaml``. The operator's ``models.yaml`` is never rewritten (its comments and
layout are theirs): an entry there for a task wins over the machine pin, and the commands say so when
that hides the model they just pinned. Deleting the file returns every task to ``models.yaml`` or to
the shipped defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.config import TrainedModels
from monitor.config.yamlfile import config_error_from_validation, load_yaml
from monitor.files import write_private_file

PINS_FILE = "models.pinned.yaml"
HEADER = (
    "# Written by `monitor models` commands: which trained model scores which task.\n"
    "# An entry for the same task under `trained:` in models.yaml wins over this file.\n"
    "# Delete an entry (or the file) to go back to models.yaml or the shipped defaults.\n"
)


def pins_path(config_dir: Path) -> Path:
    return config_dir / PINS_FILE


def read_pins(config_dir: Path) -> TrainedModels:
    """The machine pins (none when the file is absent); errors name the file, line and key."""
    path = pins_path(config_dir)
    if not path.exists():
        return TrainedModels()
    document = load_yaml(path)
    data = document.data or {}
    try:
        return TrainedModels.model_validate(data.get("trained") or {} if isinstance(data, dict) else data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc


def write_pin(config_dir: Path, task: str, model_dir: Path, sha256: str, *, command: str, **options: Any) -> Path:
    """Pin ``model_dir`` (by ``sha256``) for ``task``, keeping the other tasks' pins; returns the file.

    The path is written absolute, so the pin means the same model whatever directory the service starts
    in. ``options`` are the task's extra settings (e.g. ``min_probability`` for topics).
    """
    current = read_pins(config_dir).model_dump(mode="json", exclude_none=True)
    entry = {"path": str(model_dir.resolve()), "sha256": sha256, **options}
    merged = TrainedModels.model_validate({**current, task: entry})  # validates before anything is written
    pinned_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = yaml.safe_dump(
        {"trained": merged.model_dump(mode="json", exclude_none=True)}, allow_unicode=True, sort_keys=True
    )
    note = f"# Last change: {task} pinned {pinned_at} by `{command}`.\n"
    path = pins_path(config_dir)
    # Written aside and renamed: a service starting meanwhile reads the old pins or the new, never half.
    partial = write_private_file(path.with_name(f".{path.name}.partial"), HEADER + note + body)
    partial.replace(path)
    return path
