"""Loading the YAML word lists shipped in ``models/data`` (no downloads, ever)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from monitor.errors import ModelError


@cache
def load_resource(name: str) -> Any:
    """Parsed content of ``models/data/<name>``; cached, since the lists never change at run time."""
    try:
        text = resources.files("models").joinpath("data", name).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"cannot read built-in resource models/data/{name}: {exc}") from exc
