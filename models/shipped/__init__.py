"""The default models that ship with the product, trained on the open corpus (``models/data/corpus``).

A fresh install scores with these unless ``models.yaml`` (or a command's pin) names another model.
``models/shipped/<task>/`` is an ordinary model directory (card + artifact); ``manifest.json`` holds
each one's digest, checked at load like a pin in ``models.yaml``.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent
SHIPPED_TASKS = ("sentiment", "topic", "toxicity")


def shipped_model_dir(task: str) -> Path:
    """Where the shipped model for ``task`` lives (it may be absent in a development checkout)."""
    return SHIPPED_DIR / task
