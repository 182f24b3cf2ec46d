"""Durations written the way operators write them: ``90s``, ``30m``, ``6h``, ``7d``, ``2w``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def parse_duration(value: str | int) -> int:
    """Return seconds for ``"6h"``-style text (or an int of seconds); raise ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30m', '6h' or '7d'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a duration must be positive")
        return value
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"expected a duration such as '30m', '6h' or '7d', got {value!r}")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def _coerce(value: Any) -> int:
    if isinstance(value, str | int):
        return parse_duration(value)
    raise ValueError("expected a duration such as '30m', '6h' or '7d'")


def format_duration(seconds: int) -> str:
    """Inverse of :func:`parse_duration` for the largest exact unit (``21600`` → ``6h``)."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


DurationSeconds = Annotated[int, BeforeValidator(_coerce)]
